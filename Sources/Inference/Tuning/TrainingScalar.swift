import COpenBLAS
import Foundation

/// The number type the adapter trainer computes in. Training runs in Float (the frozen weights
/// are dequantized to F32 and the heavy products go to OpenBLAS sgemm); Double runs the very same
/// code as the reference path that gradient checks compare finite differences against.
protocol TrainingScalar: BinaryFloatingPoint, Sendable {
    init(_ value: Float)
    init(_ value: Double)
    var doubleValue: Double { get }
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func squareRoot(_ x: Self) -> Self

    /// Row-major C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, where op transposes when
    /// asked; lda/ldb/ldc are the row strides of A, B and C as stored.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, _ c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: TrainingScalar {
    var doubleValue: Double { Double(self) }
    static func exponential(_ x: Float) -> Float { expf(x) }
    static func logarithm(_ x: Float) -> Float { logf(x) }
    static func squareRoot(_ x: Float) -> Float { x.squareRoot() }
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: TrainingScalar {
    var doubleValue: Double { self }
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
    static func squareRoot(_ x: Double) -> Double { x.squareRoot() }
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
                     beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Threads OpenBLAS may use for the trainer's products (process-wide setting).
enum BLASThreads {
    static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}
