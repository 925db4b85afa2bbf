import Inference

/// Text to ids and back on both real vocabularies (SmolLM2: byte-level BPE; stories260K:
/// SentencePiece with byte fallback).
///
/// Input layout: byte 0 selects the vocabulary (bit 0), special-token parsing (bit 1), BOS/EOS
/// (bit 2) and the direction (bit 3: the rest is little-endian UInt16 token ids to decode,
/// out-of-range ids included); the rest is the text (UTF-8, repaired if ill-formed).
public enum TokenizerFuzzTarget: FuzzTarget {
    public static let name = "tokenizer"

    public static func prepare() {
        _ = FuzzModels.smolLM2
        _ = FuzzModels.stories
    }

    public static func run(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }
        guard let control = input.first else { return }
        let useStories = control & 1 != 0
        guard let tokenizer = useStories ? FuzzModels.stories : FuzzModels.smolLM2 else { return }
        let body = input.dropFirst()

        if control & 8 != 0 {
            try decodeIDs(body, tokenizer, fail)
            return
        }
        let text = String(decoding: body, as: UTF8.self)
        let parseSpecial = control & 2 != 0
        let addSpecial = control & 4 != 0
        let ids = tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
        for id in ids where id < 0 || Int(id) >= tokenizer.vocabularySize {
            throw fail("encode produced id \(id) outside the vocabulary of \(tokenizer.vocabularySize)")
        }
        if text.isEmpty { return }

        // Typed text never becomes a control token: markers stay plain text.
        if !parseSpecial {
            var body = ids[...]
            if addSpecial, tokenizer.addsBOS, body.first == tokenizer.bosID { body = body.dropFirst() }
            if addSpecial, tokenizer.addsEOS, body.last == tokenizer.eosID { body = body.dropLast() }
            if let id = body.first(where: { tokenizer.isControl($0) }) {
                throw fail("plain text encoded to control token \(id) \(tokenizer.tokenText(id).debugDescription)")
            }
            // Round trip, where it is defined: SentencePiece spells spaces "▁", so a typed "▁"
            // comes back as a space; the byte-level BPE reference (llama.cpp) mangles code points
            // that Unicode 15.1 leaves unassigned, and we match it.
            // Both follow llama.cpp in dropping characters that have no token (SmolLM2 has none
            // for U+0016, for instance).
            let decoded = tokenizer.decode(ids)
            let kept = text.removingScalars(droppedScalars(tokenizer))
            let expected: String? = useStories ? kept.replacingScalar("\u{2581}", with: " ")
                                               : (text.hasUnassignedScalars ? nil : kept)
            if let expected, decoded != expected {
                throw fail("round trip changed \(text.debugDescription) into \(decoded.debugDescription) via \(ids)")
            }
        }
        try streamingMatchesWhole(ids, tokenizer, fail)
    }

    static func decodeIDs(_ body: ArraySlice<UInt8>, _ tokenizer: Tokenizer,
                          _ fail: (String) -> FuzzPropertyViolation) throws(FuzzPropertyViolation) {
        var ids: [Int32] = []
        var i = body.startIndex
        while i + 1 < body.endIndex {
            // Ids up to 65535 reach past both vocabularies; 0xFFFF maps to -1 (the flush marker).
            let raw = UInt16(body[i]) | UInt16(body[i + 1]) << 8
            ids.append(raw == 0xFFFF ? -1 : Int32(raw))
            i += 2
        }
        for special in [false, true] {
            _ = tokenizer.decode(ids, renderSpecial: special, atTextStart: special)
        }
        for id in ids.prefix(64) {
            _ = tokenizer.displayText(id)
            _ = tokenizer.tokenText(id)
            _ = tokenizer.kind(of: id)
        }
        try streamingMatchesWhole(ids, tokenizer, fail)
    }

    /// Scalars below U+0100 that encode to no token at all in this vocabulary.
    static func droppedScalars(_ tokenizer: Tokenizer) -> Set<Unicode.Scalar> {
        if let known = dropped.withLock({ $0[ObjectIdentifier(tokenizer)] }) { return known }
        var set = Set<Unicode.Scalar>()
        for v in 0..<0x100 {
            let s = Unicode.Scalar(UInt8(v))
            if tokenizer.encode(String(s), addSpecial: false).isEmpty { set.insert(s) }
        }
        dropped.withLock { $0[ObjectIdentifier(tokenizer)] = set }
        return set
    }
    private static let dropped = Locked<[ObjectIdentifier: Set<Unicode.Scalar>]>([:])

    /// What the chat streams token by token is exactly what decoding the whole answer gives.
    static func streamingMatchesWhole(_ ids: [Int32], _ tokenizer: Tokenizer,
                                      _ fail: (String) -> FuzzPropertyViolation) throws(FuzzPropertyViolation) {
        var detok = StreamingDetokenizer(tokenizer: tokenizer, atTextStart: false)
        var streamed = ""
        for id in ids { streamed += detok.append(id) }
        streamed += detok.finish()
        let whole = tokenizer.decode(ids, atTextStart: false)
        if streamed != whole {
            throw fail("streamed \(streamed.debugDescription) != decoded \(whole.debugDescription) for \(ids)")
        }
    }
}

extension String {
    /// Any scalar that Unicode 15.1 (the tokenizer reference's tables) does not assign.
    var hasUnassignedScalars: Bool {
        unicodeScalars.contains { s in
            if let age = s.properties.age, (age.major, age.minor) > (15, 1) { return true }
            return s.properties.generalCategory == .unassigned
        }
    }

    func removingScalars(_ set: Set<Unicode.Scalar>) -> String {
        if set.isEmpty { return self }
        var out = String.UnicodeScalarView()
        for s in unicodeScalars where !set.contains(s) { out.append(s) }
        return String(out)
    }

    func replacingScalar(_ target: Unicode.Scalar, with replacement: Unicode.Scalar) -> String {
        var out = String.UnicodeScalarView()
        for s in unicodeScalars { out.append(s == target ? replacement : s) }
        return String(out)
    }
}
