// Plain scalar dequantization of ggml blocks, written for clarity; the fast kernels in
// Dequantization.swift must reproduce these values bit for bit.
//
// Block layouts (little-endian; "half" = IEEE binary16; a row is a sequence of blocks):
//   Q4_0 (18 B / 32): half d; 16 B qs. Element j < 16 = (qs[j] & 15) - 8, j >= 16 = (qs[j-16] >> 4) - 8; value = q * d
//   Q4_1 (20 B / 32): half d, half m; 16 B qs (nibbles as Q4_0, unsigned); value = q * d + m
//   Q5_0 (22 B / 32): half d; 4 B qh (bit j = 5th bit of element j); 16 B qs; value = (q - 16) * d
//   Q5_1 (24 B / 32): half d, half m; 4 B qh; 16 B qs; value = q * d + m
//   Q8_0 (34 B / 32): half d; 32 x int8; value = q * d
//   Q4_K (144 B / 256): half d, half dmin; 12 B of 6-bit (scale, min) pairs for 8 sub-blocks of 32;
//        128 B qs: bytes [32c, 32c+32) hold sub-block 2c (low nibbles) and 2c+1 (high nibbles);
//        value = (d * scale) * q - (dmin * min)
//   Q5_K (176 B / 256): as Q4_K plus 32 B qh before qs; bit 2c of qh[l] is the 5th bit of
//        element l of sub-block 2c, bit 2c+1 that of sub-block 2c+1
//   Q6_K (210 B / 256): 128 B ql (low 4 bits), 64 B qh (high 2 bits), 16 x int8 scales (one per
//        16 elements), half d; two halves of 128 elements, see `dequantizeQ6K`;
//        value = (d * scale) * (q - 32)
// Arithmetic is written as separate multiply and add (no fused multiply-add), as ggml's
// reference C does.

enum ReferenceDequantization {
    /// Dequantizes `count` elements starting at the beginning of a block. `count` must be a
    /// multiple of `type.blockElements`.
    static func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % type.blockElements == 0, "\(type): \(count) elements is not a whole number of blocks")
        let blocks = count / type.blockElements
        for b in 0..<blocks {
            let block = src + b * type.blockBytes
            let out = dst + b * type.blockElements
            switch type {
            case .f32: out[0] = block.loadUnaligned(as: Float.self)
            case .f16: out[0] = floatFromHalfBitsReference(block.loadUnaligned(as: UInt16.self))
            case .bf16: out[0] = floatFromBFloat16Bits(block.loadUnaligned(as: UInt16.self))
            case .q4_0: dequantizeQ4_0(block, out)
            case .q4_1: dequantizeQ4_1(block, out)
            case .q5_0: dequantizeQ5_0(block, out)
            case .q5_1: dequantizeQ5_1(block, out)
            case .q8_0: dequantizeQ8_0(block, out)
            case .q4_K: dequantizeQ4K(block, out)
            case .q5_K: dequantizeQ5K(block, out)
            case .q6_K: dequantizeQ6K(block, out)
            }
        }
    }

    // MARK: 32-element blocks

    private static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        floatFromHalfBitsReference(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    static func dequantizeQ4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qs = block + 2
        for j in 0..<16 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            out[j] = Float(Int(byte & 0x0F) - 8) * d
            out[j + 16] = Float(Int(byte >> 4) - 8) * d
        }
    }

    static func dequantizeQ4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let qs = block + 4
        for j in 0..<16 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            out[j] = Float(byte & 0x0F) * d + m
            out[j + 16] = Float(byte >> 4) * d + m
        }
    }

    /// The 5-bit code of element `j` (0..<32) of a Q5_0/Q5_1 block, given its qh word and qs.
    static func q5Code(_ qh: UInt32, _ qs: UnsafeRawPointer, _ j: Int) -> Int {
        let byte = qs.load(fromByteOffset: j % 16, as: UInt8.self)
        let low = j < 16 ? Int(byte & 0x0F) : Int(byte >> 4)
        let high = Int((qh >> UInt32(j)) & 1)
        return low | (high << 4)
    }

    static func dequantizeQ5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<32 { out[j] = Float(q5Code(qh, block + 6, j) - 16) * d }
    }

    static func dequantizeQ5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<32 { out[j] = Float(q5Code(qh, block + 8, j)) * d + m }
    }

    static func dequantizeQ8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<32 { out[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    // MARK: 256-element super-blocks

    /// The 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes of Q4_K/Q5_K:
    /// bytes 0-3 hold scales 0-3 (low 6 bits) and the top 2 bits of scales 4-7; bytes 4-7 the
    /// same for mins; bytes 8-11 the low 4 bits of scale (low nibble) and min (high nibble) 4-7.
    static func scaleAndMinK4(_ j: Int, _ s: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        let q = { (i: Int) in s.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 {
            return (q(j) & 63, q(j + 4) & 63)
        }
        return ((q(j + 4) & 0x0F) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4))
    }

    static func dequantizeQ4K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        let qs = block + 16
        for chunk in 0..<4 {  // 64 elements: sub-blocks 2*chunk (low nibbles), 2*chunk+1 (high)
            let (sc1, m1) = scaleAndMinK4(2 * chunk, scales)
            let (sc2, m2) = scaleAndMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                out[64 * chunk + l] = d1 * Float(byte & 0x0F) - min1
                out[64 * chunk + 32 + l] = d2 * Float(byte >> 4) - min2
            }
        }
    }

    static func dequantizeQ5K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        let qh = block + 16
        let qs = block + 48
        for chunk in 0..<4 {
            let (sc1, m1) = scaleAndMinK4(2 * chunk, scales)
            let (sc2, m2) = scaleAndMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let h1 = (high >> UInt8(2 * chunk)) & 1
                let h2 = (high >> UInt8(2 * chunk + 1)) & 1
                out[64 * chunk + l] = d1 * Float((byte & 0x0F) | (h1 << 4)) - min1
                out[64 * chunk + 32 + l] = d2 * Float((byte >> 4) | (h2 << 4)) - min2
            }
        }
    }

    /// Q6_K: for each half h (128 elements; ql advances 64 B, qh 32 B, scales 8 per half) and
    /// l < 32, with s = scales[8h + l/16]:
    ///   element 128h + l      = low nibble of ql[l]      | bits 0-1 of qh[l] << 4, scale s
    ///   element 128h + l + 32 = low nibble of ql[l + 32] | bits 2-3 of qh[l] << 4, scale s + 2
    ///   element 128h + l + 64 = high nibble of ql[l]     | bits 4-5 of qh[l] << 4, scale s + 4
    ///   element 128h + l + 96 = high nibble of ql[l + 32]| bits 6-7 of qh[l] << 4, scale s + 6
    static func dequantizeQ6K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for h in 0..<2 {
            let ql = block + 64 * h
            let qh = block + 128 + 32 * h
            let sc = block + 192 + 8 * h
            for l in 0..<32 {
                let a = ql.load(fromByteOffset: l, as: UInt8.self)
                let b = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let hb = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int((a & 0x0F) | ((hb & 3) << 4)) - 32
                let q2 = Int((b & 0x0F) | (((hb >> 2) & 3) << 4)) - 32
                let q3 = Int((a >> 4) | (((hb >> 4) & 3) << 4)) - 32
                let q4 = Int((b >> 4) | (((hb >> 6) & 3) << 4)) - 32
                let s = l / 16
                let scale = { (i: Int) in Float(sc.load(fromByteOffset: i, as: Int8.self)) }
                out[128 * h + l] = d * scale(s) * Float(q1)
                out[128 * h + l + 32] = d * scale(s + 2) * Float(q2)
                out[128 * h + l + 64] = d * scale(s + 4) * Float(q3)
                out[128 * h + l + 96] = d * scale(s + 6) * Float(q4)
            }
        }
    }
}
