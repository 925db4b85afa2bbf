/// GPT-2's reversible map between bytes and printable characters: byte-level BPE vocabularies
/// spell every byte as one visible character, so "Ġ" (U+0120) stands for a space byte.
///
/// Printable Latin-1 bytes ('!'...'~', '¡'...'¬', '®'...'ÿ') map to themselves; the other 68
/// bytes map, in byte order, to U+0100, U+0101, ...
enum ByteLevelMapping {
    /// Byte -> code point.
    static let codepointOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 0x100
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte -> UTF-8 bytes of its character (1 or 2 bytes).
    static let utf8OfByte: [[UInt8]] = codepointOfByte.map { Array(String(Unicode.Scalar($0)!).utf8) }

    /// Code point -> byte, for code points below 0x144; -1 where the code point stands for no byte.
    static let byteOfCodepoint: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, cp) in codepointOfByte.enumerated() { table[Int(cp)] = Int16(b) }
        return table
    }()

    /// Raw bytes a byte-level token text stands for. Characters outside the map (never in a
    /// well-formed vocabulary) are kept as their own UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let cp = scalar.value
            if cp < 0x144, byteOfCodepoint[Int(cp)] >= 0 {
                out.append(UInt8(byteOfCodepoint[Int(cp)]))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Byte-level spelling (UTF-8) of raw bytes.
    static func encode<S: Sequence>(_ raw: S) -> [UInt8] where S.Element == UInt8 {
        var out: [UInt8] = []
        for b in raw { out.append(contentsOf: utf8OfByte[Int(b)]) }
        return out
    }
}
