// Fast dequantization of ggml rows to Float. Same values as ReferenceDequantization, bit for bit
// (same operations in the same order, no fused multiply-add); written as fixed-trip-count loops
// over raw pointers so that LLVM vectorizes them.

/// Dequantizes `count` elements of a GGML-layout row (or several consecutive rows) of `type`
/// from `src` into `dst`. `count` must be a multiple of `type.blockElements`.
public func dequantizeRow(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int, _ dst: UnsafeMutablePointer<Float>) {
    precondition(count % type.blockElements == 0, "\(type): \(count) elements is not a whole number of blocks")
    let blocks = count / type.blockElements
    switch type {
    case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
    case .f16: FastDequantization.f16(src, dst, count)
    case .bf16: FastDequantization.bf16(src, dst, count)
    case .q4_0: for b in 0..<blocks { FastDequantization.q4_0(src + 18 * b, dst + 32 * b) }
    case .q4_1: for b in 0..<blocks { FastDequantization.q4_1(src + 20 * b, dst + 32 * b) }
    case .q5_0: for b in 0..<blocks { FastDequantization.q5_0(src + 22 * b, dst + 32 * b) }
    case .q5_1: for b in 0..<blocks { FastDequantization.q5_1(src + 24 * b, dst + 32 * b) }
    case .q8_0: for b in 0..<blocks { FastDequantization.q8_0(src + 34 * b, dst + 32 * b) }
    case .q4_K: for b in 0..<blocks { FastDequantization.q4K(src + 144 * b, dst + 256 * b) }
    case .q5_K: for b in 0..<blocks { FastDequantization.q5K(src + 176 * b, dst + 256 * b) }
    case .q6_K: for b in 0..<blocks { FastDequantization.q6K(src + 210 * b, dst + 256 * b) }
    }
}

enum FastDequantization {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        floatFromHalfBits(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let h = src.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = Float(Float16(bitPattern: h[i])) }
    }

    static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let h = src.assumingMemoryBound(to: UInt16.self)
        let out = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt32.self)
        for i in 0..<count { out[i] = UInt32(h[i]) &<< 16 }
    }

    @inline(__always)
    static func q4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = Float(Int32(qs[j] & 0x0F) &- 8) * d
            out[j + 16] = Float(Int32(qs[j] &>> 4) &- 8) * d
        }
    }

    @inline(__always)
    static func q4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let qs = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = Float(qs[j] & 0x0F) * d + m
            out[j + 16] = Float(qs[j] &>> 4) * d + m
        }
    }

    @inline(__always)
    static func q5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let qs = (block + 6).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = Int32(qs[j] & 0x0F) | Int32((qh &>> UInt32(j)) & 1) &<< 4
            let hi = Int32(qs[j] &>> 4) | Int32((qh &>> UInt32(j + 16)) & 1) &<< 4
            out[j] = Float(lo &- 16) * d
            out[j + 16] = Float(hi &- 16) * d
        }
    }

    @inline(__always)
    static func q5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let qs = (block + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = Int32(qs[j] & 0x0F) | Int32((qh &>> UInt32(j)) & 1) &<< 4
            let hi = Int32(qs[j] &>> 4) | Int32((qh &>> UInt32(j + 16)) & 1) &<< 4
            out[j] = Float(lo) * d + m
            out[j + 16] = Float(hi) * d + m
        }
    }

    @inline(__always)
    static func q8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qs = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { out[j] = Float(qs[j]) * d }
    }

    @inline(__always)
    static func q4K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        let qs = (block + 16).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc1, m1) = ReferenceDequantization.scaleAndMinK4(2 * chunk, scales)
            let (sc2, m2) = ReferenceDequantization.scaleAndMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = qs + 32 * chunk
            let o = out + 64 * chunk
            for l in 0..<32 {
                o[l] = d1 * Float(q[l] & 0x0F) - min1
                o[l + 32] = d2 * Float(q[l] &>> 4) - min2
            }
        }
    }

    @inline(__always)
    static func q5K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
        let qs = (block + 48).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc1, m1) = ReferenceDequantization.scaleAndMinK4(2 * chunk, scales)
            let (sc2, m2) = ReferenceDequantization.scaleAndMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = qs + 32 * chunk
            let o = out + 64 * chunk
            let s1 = UInt8(2 * chunk), s2 = UInt8(2 * chunk + 1)
            for l in 0..<32 {
                let h1 = ((qh[l] &>> s1) & 1) &<< 4
                let h2 = ((qh[l] &>> s2) & 1) &<< 4
                o[l] = d1 * Float((q[l] & 0x0F) | h1) - min1
                o[l + 32] = d2 * Float((q[l] &>> 4) | h2) - min2
            }
        }
    }

    @inline(__always)
    static func q6K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for h in 0..<2 {
            let ql = (block + 64 * h).assumingMemoryBound(to: UInt8.self)
            let qh = (block + 128 + 32 * h).assumingMemoryBound(to: UInt8.self)
            let sc = (block + 192 + 8 * h).assumingMemoryBound(to: Int8.self)
            let o = out + 128 * h
            for half16 in 0..<2 {  // the scale changes every 16 elements
                let ds0 = d * Float(sc[half16]), ds2 = d * Float(sc[half16 + 2])
                let ds4 = d * Float(sc[half16 + 4]), ds6 = d * Float(sc[half16 + 6])
                for i in 0..<16 {
                    let l = 16 * half16 + i
                    let a = ql[l], b = ql[l + 32], hb = qh[l]
                    o[l] = ds0 * Float(Int32((a & 0x0F) | ((hb & 3) &<< 4)) &- 32)
                    o[l + 32] = ds2 * Float(Int32((b & 0x0F) | (((hb &>> 2) & 3) &<< 4)) &- 32)
                    o[l + 64] = ds4 * Float(Int32((a &>> 4) | (((hb &>> 4) & 3) &<< 4)) &- 32)
                    o[l + 96] = ds6 * Float(Int32((b &>> 4) | (((hb &>> 6) & 3) &<< 4)) &- 32)
                }
            }
        }
    }
}
