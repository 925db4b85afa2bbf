/// Turns tokens into text as they arrive, never splitting a UTF-8 character: bytes of a
/// character that is not complete yet are held back and leave with the token that completes it.
///
/// Byte-fallback tokens (`<0xE2>`, ...) and byte-level BPE pieces that end mid-character are the
/// usual cause. Bytes that can never complete a character come out as U+FFFD right away.
///
///     var detok = StreamingDetokenizer(tokenizer: t, atTextStart: false)
///     for id in generated { print(detok.append(id), terminator: "") }
///     print(detok.finish())
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let renderSpecial: Bool
    private var pending: [UInt8] = []
    /// Drop the SentencePiece prefix space from the first text produced.
    private var stripSpace: Bool

    /// - Parameters:
    ///   - atTextStart: the tokens begin a text (encoded with the leading-space rule), so its added
    ///     space is dropped. Pass false for a model's answer that continues a prompt.
    ///   - renderSpecial: show control tokens as their text instead of nothing.
    public init(tokenizer: Tokenizer, atTextStart: Bool = false, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
        self.stripSpace = atTextStart && tokenizer.addsSpacePrefix
    }

    /// The text this token completes ("" while a character is pending).
    public mutating func append(_ id: Int32) -> String {
        var p = tokenizer.piece(id, renderSpecial: renderSpecial)
        if p.isEmpty { return "" }
        if stripSpace {
            stripSpace = false
            if p.first == 0x20 { p = p.dropFirst() }
        }
        pending.append(contentsOf: p)
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Text of several tokens, in order.
    public mutating func append<S: Sequence>(contentsOf ids: S) -> String where S.Element == Int32 {
        var s = ""
        for id in ids { s += append(id) }
        return s
    }

    /// Bytes still held back (an unfinished character).
    public var pendingByteCount: Int { pending.count }

    /// Flushes what is held back (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the trailing bytes that form a valid but unfinished UTF-8 sequence (0...3).
    static func incompleteSuffixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        // Find the last lead byte within the final 3 bytes.
        var i = n - 1
        while i >= 0 && i >= n - 3 && b[i] & 0xC0 == 0x80 { i -= 1 }
        guard i >= 0, i >= n - 3 else { return 0 }
        let lead = b[i]
        let need: Int
        switch lead {
        case 0xC2...0xDF: need = 2
        case 0xE0...0xEF: need = 3
        case 0xF0...0xF4: need = 4
        default: return 0  // ASCII or a byte that starts nothing: emit now
        }
        let have = n - i
        guard have < need else { return 0 }
        // The second byte's allowed range depends on the lead (no overlongs, surrogates, > U+10FFFF).
        if have >= 2 {
            let second = b[i + 1]
            let ok: Bool
            switch lead {
            case 0xE0: ok = (0xA0...0xBF).contains(second)
            case 0xED: ok = (0x80...0x9F).contains(second)
            case 0xF0: ok = (0x90...0xBF).contains(second)
            case 0xF4: ok = (0x80...0x8F).contains(second)
            default: ok = true
            }
            if !ok { return 0 }
        }
        return have
    }
}
