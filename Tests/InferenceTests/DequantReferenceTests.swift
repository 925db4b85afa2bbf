import Testing
@testable import Inference

/// Hand-built blocks for every type; expected values written from the block layout with
/// exactly representable numbers (power-of-two scales, small integers).
@Suite struct DequantReferenceTests {
    @Test func f32F16BF16() {
        #expect(referenceDequantized(.f32, Bytes.f32(1.5) + Bytes.f32(-0.1), count: 2) == [1.5, -0.1])
        let halves: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x0001, 0x8400, 0x7C00, 0x7BFF]
        let f16 = referenceDequantized(.f16, halves.flatMap(Bytes.half), count: halves.count)
        #expect(f16 == [1, -2, 0.333251953125, 0x1p-24, -0x1p-14, .infinity, 65504])
        let bf16 = referenceDequantized(.bf16, [0x3F80, 0xC0A0, 0x0000].flatMap(Bytes.half), count: 3)
        #expect(bf16 == [1, -5, 0])
    }

    @Test func q4_0() {
        // d = 0.5; byte j = j | (15 - j) << 4 -> element j = (j - 8) d, element 16 + j = (7 - j) d.
        let block = Bytes.half(0x3800) + (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let y = referenceDequantized(.q4_0, block, count: 32)
        #expect(y[0] == -4 && y[8] == 0 && y[15] == 3.5 && y[16] == 3.5 && y[31] == -4)
        for j in 0..<16 {
            #expect(y[j] == Float(j - 8) * 0.5)
            #expect(y[16 + j] == Float(7 - j) * 0.5)
        }
    }

    @Test func q4_1() {
        // d = 0.25, m = -1; byte j = j | (3j mod 16) << 4.
        let block = Bytes.half(0x3400) + Bytes.half(0xBC00) + (0..<16).map { UInt8($0) | UInt8(($0 * 3) % 16) << 4 }
        let y = referenceDequantized(.q4_1, block, count: 32)
        #expect(y[0] == -1 && y[15] == 2.75 && y[17] == -0.25 && y[21] == 2.75)
        for j in 0..<16 {
            #expect(y[j] == Float(j) * 0.25 - 1)
            #expect(y[16 + j] == Float((3 * j) % 16) * 0.25 - 1)
        }
    }

    @Test func q5_0() {
        // d = 2; qh bits 0, 5, 16, 31 set; byte j = j | (15 - j) << 4.
        let block = Bytes.half(0x4000) + Bytes.u32(0x8001_0021) + (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let y = referenceDequantized(.q5_0, block, count: 32)
        #expect(y[0] == 0)        // (0 | 16) - 16
        #expect(y[1] == -30)      // (1 - 16) * 2
        #expect(y[5] == 10)       // (5 | 16) - 16 = 5
        #expect(y[16] == 30)      // (15 | 16) - 16 = 15
        #expect(y[17] == -4)      // 14 - 16
        #expect(y[31] == 0)       // (0 | 16) - 16
        #expect(y[30] == -30)     // 1 - 16
    }

    @Test func q5_1() {
        // d = 0.5, m = 0.25, qh bits 1 and 16; byte j = (15 - j) | j << 4.
        let block = Bytes.half(0x3800) + Bytes.half(0x3400) + Bytes.u32(0x0001_0002)
            + (0..<16).map { UInt8(15 - $0) | UInt8($0) << 4 }
        let y = referenceDequantized(.q5_1, block, count: 32)
        #expect(y[0] == 7.75)     // 15
        #expect(y[1] == 15.25)    // 14 | 16 = 30
        #expect(y[2] == 6.75)     // 13
        #expect(y[16] == 8.25)    // 0 | 16
        #expect(y[17] == 0.75)    // 1
        #expect(y[31] == 7.75)    // 15
    }

    @Test func q8_0() {
        let qs: [Int8] = (0..<32).map { $0 == 0 ? -128 : $0 == 1 ? 127 : Int8($0 - 16) }
        let block = Bytes.half(0x3000) + qs.map { UInt8(bitPattern: $0) }
        let y = referenceDequantized(.q8_0, block, count: 32)
        #expect(y[0] == -16 && y[1] == 15.875 && y[2] == -1.75 && y[16] == 0 && y[31] == 1.875)
    }

    // Sub-block scales [1,2,3,4,33,40,63,17] and mins [0,1,2,3,50,7,63,32] packed by hand:
    // bytes 0-3: scale j | (scale j+4 >> 4) << 6; 4-7: the same for mins; 8-11: low nibbles of
    // scale j+4 | min j+4 << 4.
    static let kScales: [Float] = [1, 2, 3, 4, 33, 40, 63, 17]
    static let kMins: [Float] = [0, 1, 2, 3, 50, 7, 63, 32]
    static let kScaleBytes: [UInt8] = [129, 130, 195, 68, 192, 1, 194, 131, 33, 120, 255, 1]

    /// 128 bytes: qs[32c + l] = (l mod 16) | ((l + c) mod 16) << 4.
    static func kQuantBytes() -> [UInt8] {
        var qs = [UInt8](repeating: 0, count: 128)
        for c in 0..<4 {
            for l in 0..<32 {
                let low = UInt8(l % 16), high = UInt8((l + c) % 16)
                qs[32 * c + l] = low | high << 4
            }
        }
        return qs
    }

    @Test func scaleAndMinUnpacking() {
        Self.kScaleBytes.withUnsafeBytes { s in
            for j in 0..<8 {
                let (scale, min) = ReferenceDequantization.scaleAndMinK4(j, s.baseAddress!)
                #expect(Float(scale) == Self.kScales[j] && Float(min) == Self.kMins[j])
            }
        }
    }

    @Test func q4K() {
        // d = 1, dmin = 0.5; qs[32c + l] = (l mod 16) | ((l + c) mod 16) << 4.
        let qs = Self.kQuantBytes()
        let block = Bytes.half(0x3C00) + Bytes.half(0x3800) + Self.kScaleBytes + qs
        #expect(block.count == 144)
        let y = referenceDequantized(.q4_K, block, count: 256)
        for c in 0..<4 {
            for l in 0..<32 {
                let low: Float = Self.kScales[2 * c] * Float(l % 16) - 0.5 * Self.kMins[2 * c]
                let high: Float = Self.kScales[2 * c + 1] * Float((l + c) % 16) - 0.5 * Self.kMins[2 * c + 1]
                #expect(y[64 * c + l] == low)
                #expect(y[64 * c + 32 + l] == high)
            }
        }
        #expect(y[64 * 2 + 32 + 15] == 36.5)  // sub-block 5 (scale 40, min 7), q = (15 + 2) mod 16 = 1
        #expect(y[64 * 3 + 32 + 1] == 52)     // sub-block 7 (scale 17, min 32), q = 4: 68 - 16
    }

    @Test func q5K() {
        // d = 0.5, dmin = 0.25; qh[l] = 37 l mod 256; qs as in q4K.
        let qh: [UInt8] = (0..<32).map { UInt8(($0 * 37) % 256) }
        let qs = Self.kQuantBytes()
        let block = Bytes.half(0x3800) + Bytes.half(0x3400) + Self.kScaleBytes + qh + qs
        #expect(block.count == 176)
        let y = referenceDequantized(.q5_K, block, count: 256)
        for c in 0..<4 {
            for l in 0..<32 {
                let lowSub = 2 * c, highSub = 2 * c + 1
                let lowBit: Int = Int((qh[l] >> UInt8(lowSub)) & 1)
                let highBit: Int = Int((qh[l] >> UInt8(highSub)) & 1)
                let lowCode = Float(l % 16 + 16 * lowBit)
                let highCode = Float((l + c) % 16 + 16 * highBit)
                let lowExpected: Float = 0.5 * Self.kScales[lowSub] * lowCode - 0.25 * Self.kMins[lowSub]
                let highExpected: Float = 0.5 * Self.kScales[highSub] * highCode - 0.25 * Self.kMins[highSub]
                #expect(y[64 * c + l] == lowExpected)
                #expect(y[64 * c + 32 + l] == highExpected)
            }
        }
        // qh[1] = 37 = 0b100101: bit 0 set -> element 1 has code 1 + 16; scale 1, min 0.
        #expect(y[1] == 0.5 * 17)
    }

    @Test func q6K() {
        // d = 0.25; ql[i] = 7i mod 256, qh[i] = 13i mod 256, scales +-(1...16) alternating.
        let ql: [UInt8] = (0..<128).map { UInt8(($0 * 7) % 256) }
        let qh: [UInt8] = (0..<64).map { UInt8(($0 * 13) % 256) }
        var sc = [Int8](repeating: 0, count: 16)
        for i in 0..<16 { sc[i] = i % 2 == 0 ? Int8(i + 1) : -Int8(i + 1) }
        let block = ql + qh + sc.map { UInt8(bitPattern: $0) } + Bytes.half(0x3400)
        #expect(block.count == 210)
        let y = referenceDequantized(.q6_K, block, count: 256)
        for e in 0..<256 {
            let h = e / 128, quarter = (e % 128) / 32, l = e % 32
            let lowIndex: Int = 64 * h + l + (quarter % 2 == 1 ? 32 : 0)
            let lowByte: UInt8 = ql[lowIndex]
            let low: UInt8 = quarter < 2 ? lowByte & 0x0F : lowByte >> 4
            let high: UInt8 = (qh[32 * h + l] >> UInt8(2 * quarter)) & 3
            let code: Int = Int(low) | Int(high) << 4
            let scale = Float(sc[8 * h + l / 16 + 2 * quarter])
            let expected: Float = 0.25 * scale * Float(code - 32)
            #expect(y[e] == expected)
        }
        // Element 0: ql[0] = 0, qh[0] = 0 -> code 0 -> 0.25 * 1 * -32.
        #expect(y[0] == -8)
    }
}
