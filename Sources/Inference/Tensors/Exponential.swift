import CKernels
import Foundation

/// The exponentials of softmax and SiLU, bit for bit what scalar `expf` (glibc, FMA build) gives.
///
/// Why: softmax (one exponential per key, head and row) and SiLU (one per feed-forward element)
/// made ~115k scalar `expf` calls per row of a forward pass with a 256-token context, ~0.7 ms of
/// CPU per row on the development machine (KernelBenchmarkTests.exponentialsPerRow), so every
/// extra row of a BiTA step paid for them. The AVX-512 kernel (Sources/CKernels/
/// exponential_avx512.c) computes eight at a time with glibc's published method, in double
/// precision:
///   z = x * 32 / ln 2,  k = round(z) (the 1.5 * 2^52 shift trick),  r = z - k,  |r| <= 1/2,
///   e^x = 2^(k/32) * 2^(r/32),  2^(k/32) from a 32-entry table of 2^(i/32) and k >> 5 added
///   to the exponent,  2^(r/32) ~ (C0 r + C1) r^2 + (C2 r + 1) with fused multiply-adds,
/// then one rounding to Float. Same bits, so no logit anywhere changes (every comparison with
/// llama.cpp and between decoding modes stays as it was). A Swift SIMD version of the same
/// steps compiled to per-lane loops and generic calls and measured no faster than `expf`, hence
/// the C kernel; AVX2 machines have its twin four lanes at a time (`exponential_avx2.c`). Other
/// CPUs take the plain loops below, which are also the reference twins;
/// `ExponentialTests` pins the kernel to them on millions of inputs and the special cases.
enum Exponential {
    /// Which C kernel runs.
    enum Backend { case avx512, avx2, none }
    static let backend: Backend = bita_cpu_has_avx512f() != 0 ? .avx512 : bita_cpu_has_avx2_fma_f16c() != 0 ? .avx2 : .none
    static let vectorized = backend != .none

    /// p[i] = expf(p[i] - offset) for i in 0..<count (the subtraction in Float).
    @inline(__always)
    static func exponentiate(_ p: UnsafeMutablePointer<Float>, count: Int, subtracting offset: Float) {
        switch backend {
        case .avx512: bita_exp_offset_avx512(p, Int64(count), offset)
        case .avx2: bita_exp_offset_avx2(p, Int64(count), offset)
        case .none:
            exponentiateReference(p, count: count, subtracting: offset)
        }
    }

    /// Softmax numerators in place, s[t] = expf(s[t] - max), then 1 / their sum: attention's
    /// softmax in the engine and in the tuner's batched generator, which must agree bit for bit.
    /// The sum runs in 16 lanes (lane j adds s[j], s[j + 16], ... in order), folded pairwise
    /// 16 -> 8 -> 4 -> 2 -> 1, then any tail of fewer than 16 in order: the order depends only on
    /// `count`. (A single running sum was a chain of dependent adds, ~3 cycles per key and head,
    /// about a tenth of attention's time; see docs/PERFORMANCE.md.)
    @inline(__always)
    static func softmaxInPlace(_ s: UnsafeMutablePointer<Float>, count: Int, max m: Float) -> Float {
        exponentiate(s, count: count, subtracting: m)
        return 1 / laneSum(s, count: count)
    }

    /// The sum of `softmaxInPlace`: 16 lanes, folded pairwise, then the tail in order.
    @inline(__always)
    static func laneSum(_ s: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var t = 0
        while t + 16 <= count {
            acc += UnsafeRawPointer(s + t).loadUnaligned(as: SIMD16<Float>.self)
            t += 16
        }
        var sum = foldedPairwise(acc)
        while t < count {
            sum += s[t]
            t += 1
        }
        return sum
    }

    /// The plain twin of `laneSum`: the same additions written one element at a time.
    static func laneSumReference(_ s: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = [Float](repeating: 0, count: 16)
        let full = count / 16 * 16
        for t in 0..<full { lanes[t % 16] += s[t] }
        var width = 8
        while width >= 1 {
            for j in 0..<width { lanes[j] += lanes[j + width] }
            width /= 2
        }
        var sum = lanes[0]
        for t in full..<count { sum += s[t] }
        return sum
    }

    /// gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i]: SiLU(gate) * up.
    @inline(__always)
    static func siluTimes(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        switch backend {
        case .avx512: bita_silu_mul_avx512(gate, up, Int64(count))
        case .avx2: bita_silu_mul_avx2(gate, up, Int64(count))
        case .none:
            siluTimesReference(gate, up, count: count)
        }
    }

    static func exponentiateReference(_ p: UnsafeMutablePointer<Float>, count: Int, subtracting offset: Float) {
        for i in 0..<count { p[i] = expf(p[i] - offset) }
    }

    static func siluTimesReference(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }
}
