/// A short identity of a model file: 64-bit FNV-1a over its tensor-info table (names,
/// dimensions, types, in file order) and its tokenizer (`tokenizer.ggml.model`, `.tokens`,
/// `.merges`). It binds BiTA adapters to the model they were trained for. It reads no weight
/// bytes (a few milliseconds even for large models), so it detects a different model,
/// quantization or vocabulary, not a flipped bit inside the weights. It is an identity check,
/// not a security measure: FNV is not collision resistant.
public struct ModelFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64

    public init(value: UInt64) { self.value = value }

    /// Parses the 16-digit lowercase or uppercase hex form written by `description`.
    public init?(hex: String) {
        guard hex.utf8.count == 16, let v = UInt64(hex, radix: 16) else { return nil }
        value = v
    }

    public init(file: GGUFFile) {
        var h = FNV1a64()
        h.add(text: "bita-fingerprint-v1")
        h.add(UInt64(file.tensors.count))
        for t in file.tensors {
            h.add(text: t.name)
            h.add(UInt64(t.dimensions.count))
            for d in t.dimensions { h.add(UInt64(d)) }
            h.add(UInt64(t.type.rawValue))
        }
        // Each string is length-prefixed, so ["ab", "c"] and ["a", "bc"] hash differently.
        for key in ["tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.merges"] {
            h.add(text: key)
            switch file.metadata[key] {
            case .string(let s)?:
                h.add(UInt64(1))
                h.add(text: s)
            case .array(let values)?:
                h.add(UInt64(2))
                h.add(UInt64(values.count))
                for v in values { h.add(text: v.stringValue ?? v.summary) }
            case let other?:
                h.add(UInt64(3))
                h.add(text: other.summary)
            case nil:
                h.add(UInt64(0))
            }
        }
        value = h.state
    }

    /// 16 lowercase hex digits.
    public var description: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// 64-bit FNV-1a (Fowler-Noll-Vo): state = (state XOR byte) * prime, over each byte.
struct FNV1a64 {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3
    private(set) var state = offsetBasis

    mutating func add(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* Self.prime
    }

    mutating func add(bytes: some Sequence<UInt8>) {
        for b in bytes { add(byte: b) }
    }

    /// Little-endian bytes of `v`.
    mutating func add(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            add(byte: UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
    }

    /// Byte length, then UTF-8 bytes.
    mutating func add(text: String) {
        var s = text
        s.withUTF8 { buf in
            add(UInt64(buf.count))
            for b in buf { add(byte: b) }
        }
    }
}
