import CKernels

// The int8 panel matmul in portable Swift, for CPUs without AVX-512 VNNI. Same contract and
// bit-identical results as bita_int8_panels_avx512vnni (see ReferenceMatmul for the numerics).
// Integer block sums are formed in Float: codes and activations are small integers, every
// product and partial sum is an integer below 2^24, so Float arithmetic on them is exact.

enum PortableInt8Kernel {
    /// Floats of worker scratch needed for n columns.
    static func scratchFloats(columns n: Int) -> Int { 16 * (32 + n) }

    static func run(_ w: WeightMatrix, _ x: BitaInt8Columns, n: Int, panels: Range<Int>,
                    y: UnsafeMutablePointer<Float>, ldy: Int, scratch: UnsafeMutableRawPointer) {
        guard let format = w.format, let base = w.panels else { preconditionFailure("not an int8 panel matrix") }
        let blocks = w.cols / 32
        let weights = scratch.bindMemory(to: SIMD16<Float>.self, capacity: 32 + n)
        let acc = weights + 32
        let offset = format.offset
        for p in panels {
            let panel = UnsafeRawPointer(base + p * w.panelBytes)
            let codes = panel.assumingMemoryBound(to: UInt8.self)
            let dh = (panel + blocks * format.codeBytes).assumingMemoryBound(to: UInt16.self)
            let mh = dh + 16 * blocks
            for j in 0..<n { acc[j] = SIMD16<Float>() }
            for b in 0..<blocks {
                // weights[i][r] = quant of element i, row r: plain loops over a Float view of the
                // scratch (vector element inserts are slow in Swift).
                let c = codes + b * format.codeBytes
                let wf = UnsafeMutableRawPointer(weights).assumingMemoryBound(to: Float.self)
                for g in 0..<8 {
                    for t in 0..<4 {
                        let out = wf + 16 * (4 * g + t)
                        if format.codeBits == 8 {
                            let src = c + 64 * g + t
                            for r in 0..<16 { out[r] = Float(Int32(src[4 * r]) &- offset) }
                        } else {
                            let src = c + 64 * (g % 4) + t
                            let shift: UInt8 = g < 4 ? 0 : 4
                            for r in 0..<16 { out[r] = Float(Int32((src[4 * r] &>> shift) & 0x0F) &- offset) }
                        }
                    }
                }
                var d = SIMD16<Float>(), m = SIMD16<Float>()
                for r in 0..<16 { d[r] = floatFromHalfBits(dh[16 * b + r]) }
                if format.hasMin { for r in 0..<16 { m[r] = floatFromHalfBits(mh[16 * b + r]) } }
                for j in 0..<n {
                    let xb = x.q + j * Int(x.qStride) + 32 * b
                    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
                    for i in stride(from: 0, to: 32, by: 2) {
                        s0 = s0.addingProduct(weights[i], Float(xb[i]))
                        s1 = s1.addingProduct(weights[i + 1], Float(xb[i + 1]))
                    }
                    let block = j * Int(x.blockStride) + b
                    acc[j] = acc[j].addingProduct(s0 + s1, d * x.scale[block])
                    if format.hasMin { acc[j] = acc[j].addingProduct(m, x.scaledSum[block]) }
                }
            }
            let rowBase = 16 * p
            let valid = min(16, w.rows - rowBase)
            for j in 0..<n {
                let out = y + j * ldy + rowBase
                for r in 0..<valid { out[r] = acc[j][r] }
            }
        }
    }
}
