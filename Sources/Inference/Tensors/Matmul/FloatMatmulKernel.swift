// Matmul for the types without an int8 kernel (F32, F16, BF16, Q4_K, Q5_K, Q6_K): rows are
// dequantized to Float (F32 is read in place) and dotted with Float activations in the
// canonical 16-lane order of ReferenceMatmul.floatDot, four rows at a time.

enum FloatMatmulKernel {
    static let rowsPerGroup = 4

    /// Floats of worker scratch needed for rows of `cols` elements.
    static func scratchFloats(cols: Int) -> Int { rowsPerGroup * ((cols + 15) & ~15) }

    static func run(_ w: WeightMatrix, x: UnsafePointer<Float>, n: Int, rows: Range<Int>,
                    y: UnsafeMutablePointer<Float>, ldy: Int, scratch: UnsafeMutablePointer<Float>) {
        guard let source = w.source else { preconditionFailure("not a Float-path matrix") }
        let cols = w.cols
        let stride = (cols + 15) & ~15
        var r0 = rows.lowerBound
        while r0 < rows.upperBound {
            let count = min(rowsPerGroup, rows.upperBound - r0)
            var rowPointers = (UnsafePointer<Float>(scratch), UnsafePointer<Float>(scratch),
                               UnsafePointer<Float>(scratch), UnsafePointer<Float>(scratch))
            withUnsafeMutableBytes(of: &rowPointers) { raw in
                let p = raw.bindMemory(to: UnsafePointer<Float>.self)
                for k in 0..<rowsPerGroup {
                    let r = r0 + min(k, count - 1)
                    if w.type == .f32 {
                        p[k] = (source + r * w.rowBytes).assumingMemoryBound(to: Float.self)
                    } else {
                        let dst = scratch + k * stride
                        if k < count { dequantizeRow(w.type, source + r * w.rowBytes, count: cols, dst) }
                        p[k] = UnsafePointer(scratch + min(k, count - 1) * stride)
                    }
                }
            }
            for j in 0..<n {
                let dots = dot4(rowPointers, x + j * cols, cols)
                let out = y + j * ldy + r0
                out[0] = dots.0
                if count > 1 { out[1] = dots.1 }
                if count > 2 { out[2] = dots.2 }
                if count > 3 { out[3] = dots.3 }
            }
            r0 += count
        }
    }

    @inline(__always)
    static func reduce(_ v: SIMD16<Float>) -> Float {
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Four canonical dot products sharing the activation loads.
    static func dot4(_ w: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                     _ x: UnsafePointer<Float>, _ cols: Int) -> (Float, Float, Float, Float) {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let whole = cols & ~15
        var i = 0
        while i < whole {
            let xv = load16(x + i)
            a0 = a0.addingProduct(load16(w.0 + i), xv)
            a1 = a1.addingProduct(load16(w.1 + i), xv)
            a2 = a2.addingProduct(load16(w.2 + i), xv)
            a3 = a3.addingProduct(load16(w.3 + i), xv)
            i += 16
        }
        if whole < cols {
            // Tail lanes only; the others keep their value exactly (no fma with zeros, which
            // could turn a -0 lane into +0).
            var xv = SIMD16<Float>(), v0 = SIMD16<Float>(), v1 = SIMD16<Float>(), v2 = SIMD16<Float>(), v3 = SIMD16<Float>()
            var mask = SIMDMask<SIMD16<Int32>>()
            for k in 0..<(cols - whole) {
                xv[k] = x[whole + k]
                v0[k] = w.0[whole + k]; v1[k] = w.1[whole + k]; v2[k] = w.2[whole + k]; v3[k] = w.3[whole + k]
                mask[k] = true
            }
            a0.replace(with: a0.addingProduct(v0, xv), where: mask)
            a1.replace(with: a1.addingProduct(v1, xv), where: mask)
            a2.replace(with: a2.addingProduct(v2, xv), where: mask)
            a3.replace(with: a3.addingProduct(v3, xv), where: mask)
        }
        return (reduce(a0), reduce(a1), reduce(a2), reduce(a3))
    }
}
