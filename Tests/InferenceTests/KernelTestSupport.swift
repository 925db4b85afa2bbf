@testable import Inference

/// Deterministic pseudo-random numbers for kernel tests (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    /// Uniform in [-1, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    /// Random activations with a few large outlier channels, like real hidden states.
    mutating func activations(_ count: Int, outlierEvery: Int = 97) -> [Float] {
        (0..<count).map { i in unit() * (i % outlierEvery == 5 ? 20 : 1) }
    }

    /// Random but well-formed GGML data for `rows` x `cols` of `type`: every binary16 scale is a
    /// finite, moderate value; quant bytes are arbitrary.
    mutating func ggmlMatrix(_ type: GGMLType, rows: Int, cols: Int) -> [UInt8] {
        let blocks = rows * cols / type.blockElements
        var bytes = [UInt8](repeating: 0, count: blocks * type.blockBytes)
        for b in 0..<blocks {
            let o = b * type.blockBytes
            for i in 0..<type.blockBytes { bytes[o + i] = byte() }
            func putHalf(_ at: Int, _ value: Float) {
                let bits = Float16(value).bitPattern
                bytes[o + at] = UInt8(bits & 0xFF)
                bytes[o + at + 1] = UInt8(bits >> 8)
            }
            switch type {
            case .f32:
                let v = unit().bitPattern
                for k in 0..<4 { bytes[o + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
            case .f16: putHalf(0, unit())
            case .bf16:
                let v = unit().bitPattern >> 16
                bytes[o] = UInt8(v & 0xFF); bytes[o + 1] = UInt8(v >> 8)
            case .q4_0, .q5_0, .q8_0: putHalf(0, unit() * 0.05)
            case .q4_1, .q5_1: putHalf(0, abs(unit()) * 0.02); putHalf(2, unit() * 0.2)
            case .q4_K, .q5_K: putHalf(0, abs(unit()) * 0.01); putHalf(2, abs(unit()) * 0.01)
            case .q6_K: putHalf(208, abs(unit()) * 0.01)
            }
        }
        return bytes
    }
}

extension Float {
    /// Bit-exact equality (distinguishes -0 from +0, compares NaN payloads).
    func bitEqual(_ other: Float) -> Bool { bitPattern == other.bitPattern }
}

/// Little-endian byte helpers for hand-built blocks.
enum Bytes {
    static func half(_ bits: UInt16) -> [UInt8] { [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
    static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
    static func f32(_ v: Float) -> [UInt8] { u32(v.bitPattern) }
}

/// Reference dequantization of a byte array.
func referenceDequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    bytes.withUnsafeBytes { src in
        out.withUnsafeMutableBufferPointer { ReferenceDequantization.dequantize(type, src.baseAddress!, $0.baseAddress!, count: count) }
    }
    return out
}

func fastDequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    bytes.withUnsafeBytes { src in
        out.withUnsafeMutableBufferPointer { dequantizeRow(type, src.baseAddress!, count: count, $0.baseAddress!) }
    }
    return out
}
