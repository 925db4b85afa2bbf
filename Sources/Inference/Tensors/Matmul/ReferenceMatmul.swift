// The scalar twin of `matmul`: the same numerics written as plainly as possible, reading the
// GGML-layout bytes directly (not the packed panels), so a test pinning the fast kernels to it
// also checks the packing.
//
// Numerics (what every kernel must reproduce bit for bit), for row r and column j:
//  32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), activations quantized by
//  ActivationQuantization (scale s_jb, sum, scaledSum per block b):
//      acc = 0
//      for b in blocks:  isum = sum_i quant(r, 32b + i) * q_j(32b + i)        (exact integer)
//                        acc  = fma(Float(isum), d_rb * s_jb, acc)
//                        if the type has a minimum: acc = fma(m_rb, scaledSum_jb, acc)
//      y = acc
//  (quant = the signed value: nibble - 8 for Q4_0, 5-bit - 16 for Q5_0, int8 for Q8_0, the raw
//  code for Q4_1 / Q5_1.) Integer sums are exact, so kernels may add the 32 products in any
//  order; the Float operations are fixed.
//  Other types (F32, F16, BF16, Q4_K, Q5_K, Q6_K): w = the dequantized row (Float), x in Float:
//      lane[k] = 0 for k < 16;  for i in 0..<cols: lane[i % 16] = fma(w[i], x[i], lane[i % 16])
//      then halving: lane[k] += lane[k + 8] (k < 8), += lane[k + 4] (k < 4), += lane[k + 2], += lane[k + 1]
//      y = lane[0]
// Each output element therefore has one fixed reduction order, independent of n, of the other
// columns, of the column's position and of the thread count.

enum ReferenceMatmul {
    /// y[j * rows + r] = dot(W[r], x[j]) for W in GGML layout at `data`.
    static func matmul(type: GGMLType, rows: Int, cols: Int, data: UnsafeRawPointer,
                       x: UnsafePointer<Float>, n: Int, y: UnsafeMutablePointer<Float>) {
        let rowBytes = cols / type.blockElements * type.blockBytes
        if type.int8PanelFormat != nil {
            let blocks = cols / 32
            var q = [Int8](repeating: 0, count: n * cols)
            var scale = [Float](repeating: 0, count: n * blocks)
            var sum = [Int32](repeating: 0, count: n * blocks)
            var scaledSum = [Float](repeating: 0, count: n * blocks)
            for j in 0..<n {
                q.withUnsafeMutableBufferPointer { q in
                    scale.withUnsafeMutableBufferPointer { s in
                        sum.withUnsafeMutableBufferPointer { t in
                            scaledSum.withUnsafeMutableBufferPointer { u in
                                ActivationQuantization.quantizeColumn(
                                    x + j * cols, cols: cols, q: q.baseAddress! + j * cols,
                                    scale: s.baseAddress! + j * blocks, sum: t.baseAddress! + j * blocks,
                                    scaledSum: u.baseAddress! + j * blocks)
                            }
                        }
                    }
                }
            }
            for r in 0..<rows {
                for j in 0..<n {
                    var acc: Float = 0
                    for b in 0..<blocks {
                        let block = data + r * rowBytes + b * type.blockBytes
                        let (quants, d, m) = signedQuants(type, block)
                        var isum = 0
                        for i in 0..<32 { isum += quants[i] * Int(q[j * cols + 32 * b + i]) }
                        acc = acc.addingProduct(Float(isum), d * scale[j * blocks + b])
                        if let m { acc = acc.addingProduct(m, scaledSum[j * blocks + b]) }
                    }
                    y[j * rows + r] = acc
                }
            }
        } else {
            var w = [Float](repeating: 0, count: cols)
            for r in 0..<rows {
                w.withUnsafeMutableBufferPointer {
                    ReferenceDequantization.dequantize(type, data + r * rowBytes, $0.baseAddress!, count: cols)
                }
                for j in 0..<n { y[j * rows + r] = floatDot(w, x + j * cols, cols) }
            }
        }
    }

    /// The canonical 16-lane Float dot product (see the file comment).
    static func floatDot(_ w: [Float], _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var lane = [Float](repeating: 0, count: 16)
        for i in 0..<count { lane[i % 16] = lane[i % 16].addingProduct(w[i], x[i]) }
        for half in [8, 4, 2, 1] {
            for k in 0..<half { lane[k] = lane[k] + lane[k + half] }
        }
        return lane[0]
    }

    /// The 32 signed quants, d and (for Q4_1 / Q5_1) m of one GGML block.
    static func signedQuants(_ type: GGMLType, _ block: UnsafeRawPointer) -> ([Int], Float, Float?) {
        let half = { (offset: Int) in
            floatFromHalfBitsReference(block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        let nibble = { (qs: UnsafeRawPointer, j: Int) -> Int in
            let byte = qs.load(fromByteOffset: j % 16, as: UInt8.self)
            return j < 16 ? Int(byte & 0x0F) : Int(byte >> 4)
        }
        switch type {
        case .q4_0: return ((0..<32).map { nibble(block + 2, $0) - 8 }, half(0), nil)
        case .q4_1: return ((0..<32).map { nibble(block + 4, $0) }, half(0), half(2))
        case .q5_0:
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            return ((0..<32).map { ReferenceDequantization.q5Code(qh, block + 6, $0) - 16 }, half(0), nil)
        case .q5_1:
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            return ((0..<32).map { ReferenceDequantization.q5Code(qh, block + 8, $0) }, half(0), half(2))
        case .q8_0: return ((0..<32).map { Int(block.load(fromByteOffset: 2 + $0, as: Int8.self)) }, half(0), nil)
        case .f32, .f16, .bf16, .q4_K, .q5_K, .q6_K:
            preconditionFailure("\(type) is not a 32-element integer block type")
        }
    }
}
