// Interim scalar kernels so the forward pass can be built and tested before the fast kernel
// family lands. Replaced wholesale by Tensors/ kernels (same names).

public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    public let base: UnsafeRawPointer
    public init(type: GGMLType, rows: Int, cols: Int, base: UnsafeRawPointer) {
        self.type = type; self.rows = rows; self.cols = cols; self.base = base
    }
    var rowBytes: Int { type.byteCount(elements: cols)! }
}

public final class ThreadPool: @unchecked Sendable {
    public let threads: Int
    public init(threads: Int) { self.threads = max(1, threads) }
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        for i in 0..<count { body(i) }
    }
}

@inline(__always) func halfToFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

public func dequantizeRow(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int, _ dst: UnsafeMutablePointer<Float>) {
    switch type {
    case .f32:
        for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
    case .q8_0:
        for b in 0..<(count / 32) {
            let blk = src + 34 * b
            let d = halfToFloat(blk.loadUnaligned(as: UInt16.self))
            for i in 0..<32 { dst[32 * b + i] = d * Float(blk.load(fromByteOffset: 2 + i, as: Int8.self)) }
        }
    case .q4_1:
        for b in 0..<(count / 32) {
            let blk = src + 20 * b
            let d = halfToFloat(blk.loadUnaligned(as: UInt16.self))
            let m = halfToFloat(blk.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            for i in 0..<16 {
                let q = blk.load(fromByteOffset: 4 + i, as: UInt8.self)
                dst[32 * b + i] = Float(q & 0x0f) * d + m
                dst[32 * b + i + 16] = Float(q >> 4) * d + m
            }
        }
    default:
        fatalError("interim kernels: \(type) not supported")
    }
}

public func matmul(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let row = UnsafeMutablePointer<Float>.allocate(capacity: w.cols)
    defer { row.deallocate() }
    for r in 0..<w.rows {
        dequantizeRow(w.type, w.base + r * w.rowBytes, count: w.cols, row)
        for j in 0..<n {
            var s: Float = 0
            let xj = x + j * w.cols
            for c in 0..<w.cols { s += row[c] * xj[c] }
            y[j * w.rows + r] = s
        }
    }
}
