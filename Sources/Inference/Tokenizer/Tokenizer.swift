/// Text <-> token ids for a GGUF model, matching llama.cpp id for id.
///
/// Immutable after init and safe to share across tasks. Built from a `TokenizerVocabulary`
/// (GGUF `tokenizer.ggml.*` metadata): byte-level BPE (`gpt2`) with the named pre-tokenizer,
/// or SentencePiece-style (`llama`) with byte fallback.
public final class Tokenizer: Sendable {
    public let vocabulary: TokenizerVocabulary
    /// Token kinds after llama.cpp's adjustments (end-of-turn and fill-in-the-middle markers
    /// listed by text are treated as control tokens even when the file says otherwise).
    let kinds: [TokenKind]
    let textIndex: TokenTextIndex
    let splitter: SpecialTokenSplitter
    let preTokenizer: PreTokenizer?
    let bytePairEncoder: BytePairEncoder?
    let sentencePiece: SentencePieceEncoder?
    /// Bytes each token decodes to; token i is pieceBytes[pieceStarts[i] ..< pieceStarts[i + 1]].
    let pieceBytes: [UInt8]
    let pieceStarts: [Int32]

    public let bosID: Int32?
    public let eosID: Int32?
    /// End of turn: from metadata, else the first of the well-known turn-end texts present.
    public let eotID: Int32?
    /// Tokens that end generation: EOS, EOT, EOM and every token spelled like a turn end.
    public let endOfGenerationIDs: Set<Int32>
    public let preTokenizerKind: PreTokenizerKind?

    public var vocabularySize: Int { vocabulary.tokens.count }
    public var addsBOS: Bool { vocabulary.addBOS }
    public var addsEOS: Bool { vocabulary.addEOS }
    /// SentencePiece leading-space rule: text gets a space in front at its start and after each
    /// special token; decoding from the start of a text drops it again.
    public var addsSpacePrefix: Bool { vocabulary.addSpacePrefix }

    // Texts llama.cpp recognises (see its vocabulary loader); forced to control.
    static let endOfTurnTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                 "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                                 "<end_of_utterance>"]
    static let endOfGenerationTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
                                       "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
                                       "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
                                       "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
                                       "<｜end▁of▁sentence｜>", "[e~["]
    /// Fill-in-the-middle pad / repository / file-separator markers also end generation.
    static let fillInMiddleStopTexts = [["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
                                        ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"],
                                        ["<|file_sep|>"]]
    static let fillInMiddleTexts = [["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>"],
                                    ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>"],
                                    ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>"]]

    public init(vocabulary: TokenizerVocabulary) throws(TokenizerError) {
        guard !vocabulary.tokens.isEmpty else { throw .emptyVocabulary }
        let n = vocabulary.tokens.count
        guard vocabulary.kinds.count == n else {
            throw .inconsistentArrays(key: "tokenizer.ggml.token_type", count: vocabulary.kinds.count, expected: n)
        }
        let named: [(String, Int32?)] = [("tokenizer.ggml.bos_token_id", vocabulary.bosID),
                                         ("tokenizer.ggml.eos_token_id", vocabulary.eosID),
                                         ("tokenizer.ggml.eot_token_id", vocabulary.eotID),
                                         ("tokenizer.ggml.eom_token_id", vocabulary.eomID),
                                         ("tokenizer.ggml.unknown_token_id", vocabulary.unknownID),
                                         ("tokenizer.ggml.padding_token_id", vocabulary.paddingID)]
        for (key, id) in named {
            if let id, id < 0 || Int(id) >= n { throw .specialTokenOutOfRange(key: key, id: Int(id), vocabularySize: n) }
        }
        self.vocabulary = vocabulary
        // An empty text would match everywhere; llama.cpp renames such tokens the same way.
        let texts: [[UInt8]] = vocabulary.tokens.enumerated().map { i, t in
            t.isEmpty ? Array("[EMPTY_\(i)]".utf8) : Array(t.utf8)
        }
        let index = TokenTextIndex(texts: texts)
        textIndex = index

        var kinds = vocabulary.kinds
        func firstPresent(_ list: [String]) -> Int32? {
            for t in list { if let id = index.id(of: t) { return id } }
            return nil
        }
        let eot = vocabulary.eotID ?? firstPresent(Self.endOfTurnTexts)
        let eom = vocabulary.eomID ?? index.id(of: "<|eom_id|>")
        var stops: Set<Int32> = []
        var forcedControl: [Int32] = [eot, eom].compactMap { $0 }
        for list in Self.fillInMiddleStopTexts { if let id = firstPresent(list) { stops.insert(id); forcedControl.append(id) } }
        for list in Self.fillInMiddleTexts { if let id = firstPresent(list) { forcedControl.append(id) } }
        for t in Self.endOfGenerationTexts { if let id = index.id(of: t) { stops.insert(id); forcedControl.append(id) } }
        for id in forcedControl where kinds[Int(id)] != .control {
            kinds[Int(id)] = .control
        }
        for id in [vocabulary.eosID, eot, eom].compactMap({ $0 }) { stops.insert(id) }
        self.kinds = kinds
        bosID = vocabulary.bosID
        eosID = vocabulary.eosID
        eotID = eot
        endOfGenerationIDs = stops
        splitter = SpecialTokenSplitter(texts: texts, kinds: kinds)

        var pieces: [UInt8] = []
        var starts: [Int32] = [0]
        starts.reserveCapacity(n + 1)
        switch vocabulary.model {
        case .bytePairEncoding:
            guard let kind = PreTokenizerKind.named(vocabulary.preTokenizer) else {
                throw .unsupportedPreTokenizer(vocabulary.preTokenizer ?? "")
            }
            preTokenizerKind = kind
            preTokenizer = PreTokenizer(kind: kind)
            let ignoreMerges = vocabulary.preTokenizer.map { PreTokenizerKind.llama3Names.contains($0) } ?? false
            bytePairEncoder = BytePairEncoder(tokens: vocabulary.tokens, merges: vocabulary.merges,
                                              textIndex: index, ignoreMerges: ignoreMerges)
            sentencePiece = nil
            for i in 0..<n {
                switch kinds[i] {
                case .control, .unknown, .userDefined: pieces.append(contentsOf: texts[i])
                case .normal, .byte: pieces.append(contentsOf: ByteLevelMapping.decode(vocabulary.tokens[i]))
                case .unused, .undefined: break
                }
                starts.append(Int32(pieces.count))
            }
        case .sentencePiece:
            preTokenizerKind = nil
            preTokenizer = nil
            bytePairEncoder = nil
            sentencePiece = SentencePieceEncoder(tokens: vocabulary.tokens, scores: vocabulary.scores,
                                                 textIndex: index, unknownID: vocabulary.unknownID)
            for i in 0..<n {
                switch kinds[i] {
                case .control, .unknown, .userDefined: pieces.append(contentsOf: texts[i])
                case .normal: pieces.append(contentsOf: Self.unescapeSpaces(texts[i]))
                case .byte: pieces.append(Self.byteValue(ofPiece: vocabulary.tokens[i]) ?? 0)
                case .unused, .undefined: break
                }
                starts.append(Int32(pieces.count))
            }
        }
        pieceBytes = pieces
        pieceStarts = starts
    }

    /// Reads the tokenizer of an open GGUF model file.
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        try self.init(vocabulary: TokenizerVocabulary(metadata: gguf.metadata))
    }

    // MARK: Encoding

    /// Token ids of `text`.
    /// - Parameters:
    ///   - addSpecial: put BOS first / EOS last when the model asks for them (`add_bos_token`).
    ///   - parseSpecial: turn special-token text such as `<|im_end|>` into its token. Use it for
    ///     text rendered by a chat template; leave it off for anything a user typed, so that
    ///     typed markers stay plain text and can never end a turn.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        let bytes = Array(text.utf8)
        return encode(bytes: bytes, parts: [(0..<bytes.count, parseSpecial)], addSpecial: addSpecial)
    }

    /// Ids of `bytes` (well-formed UTF-8) where special-token text is parsed only inside the
    /// parts that ask for it.
    func encode(bytes: [UInt8], parts: [(range: Range<Int>, parseSpecial: Bool)], addSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        if addSpecial && addsBOS, let bos = bosID { out.append(bos) }
        let fragments = splitter.split(bytes, parts: parts)
        switch vocabulary.model {
        case .bytePairEncoding:
            bytes.withUnsafeBufferPointer { all in
                for f in fragments {
                    switch f {
                    case .token(let id): out.append(id)
                    case .text(let r): encodeBytePairText(UnsafeBufferPointer(rebasing: all[r]), into: &out)
                    }
                }
            }
        case .sentencePiece:
            var afterSpecial = true
            for f in fragments {
                switch f {
                case .token(let id):
                    out.append(id)
                    afterSpecial = true
                case .text(let r):
                    var t: [UInt8] = []
                    t.reserveCapacity(r.count + 8)
                    if addsSpacePrefix && afterSpecial { t.append(contentsOf: Self.escapedSpace) }
                    for b in bytes[r] {
                        if b == 0x20 { t.append(contentsOf: Self.escapedSpace) } else { t.append(b) }
                    }
                    sentencePiece!.encode(t, into: &out)
                    afterSpecial = false
                }
            }
        }
        if addSpecial && addsEOS, let eos = eosID { out.append(eos) }
        return out
    }

    /// "▁" (U+2581), SentencePiece's spelling of a space.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    private func encodeBytePairText(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard let pre = preTokenizer, let bpe = bytePairEncoder, !bytes.isEmpty else { return }
        // Code points with the byte offset where each starts (offsets has one extra entry).
        var cps: [UInt32] = [], offsets: [Int] = [], flags: [CodepointFlags] = []
        cps.reserveCapacity(bytes.count); offsets.reserveCapacity(bytes.count + 1); flags.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let (cp, len) = Self.decodeScalar(bytes, at: i)
            cps.append(cp); offsets.append(i); flags.append(CodepointFlags.of(cp))
            i += len
        }
        offsets.append(bytes.count)
        let lengths = cps.withUnsafeBufferPointer { c in flags.withUnsafeBufferPointer { f in pre.split(c, flags: f) } }
        var start = 0
        for len in lengths {
            let word = UnsafeBufferPointer(rebasing: bytes[offsets[start]..<offsets[start + len]])
            bpe.encodeWord(word, into: &out)
            start += len
        }
    }

    /// One code point of well-formed UTF-8 and its length in bytes.
    @inline(__always)
    static func decodeScalar(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(b[i + 1]) & 0x3F, 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | (UInt32(b[i + 1]) & 0x3F) << 6 | UInt32(b[i + 2]) & 0x3F, 3) }
        return ((b0 & 0x07) << 18 | (UInt32(b[i + 1]) & 0x3F) << 12 | (UInt32(b[i + 2]) & 0x3F) << 6 | UInt32(b[i + 3]) & 0x3F, 4)
    }

    // MARK: Decoding

    /// The bytes token `id` stands for; control and unknown tokens give their text only when
    /// `renderSpecial`. Out-of-range ids give nothing.
    func piece(_ id: Int32, renderSpecial: Bool) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) < vocabularySize else { return [] }
        if !renderSpecial {
            let k = kinds[Int(id)]
            if k == .control || k == .unknown { return [] }
        }
        return pieceBytes[Int(pieceStarts[Int(id)])..<Int(pieceStarts[Int(id) + 1])]
    }

    /// Bytes of a token sequence. With `atTextStart` (the ids begin a text, after an optional
    /// BOS) the SentencePiece prefix space that encoding added is dropped.
    public func decodeBytes(_ ids: [Int32], renderSpecial: Bool = false, atTextStart: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        var stripSpace = atTextStart && addsSpacePrefix
        for id in ids {
            var p = piece(id, renderSpecial: renderSpecial)
            if p.isEmpty { continue }
            if stripSpace {
                stripSpace = false
                if p.first == 0x20 { p = p.dropFirst() }
            }
            out.append(contentsOf: p)
        }
        return out
    }

    /// Text of a token sequence (ill-formed UTF-8, e.g. a cut multi-byte character, becomes U+FFFD).
    public func decode(_ ids: [Int32], renderSpecial: Bool = false, atTextStart: Bool = true) -> String {
        String(decoding: decodeBytes(ids, renderSpecial: renderSpecial, atTextStart: atTextStart), as: UTF8.self)
    }

    // MARK: Token facts

    /// The token's text as stored in the vocabulary (e.g. "Ġthe", "▁the", "<0x0A>", "<|im_end|>").
    public func tokenText(_ id: Int32) -> String {
        guard id >= 0, Int(id) < vocabularySize else { return "" }
        return vocabulary.tokens[Int(id)]
    }

    /// What the token shows as on its own: its decoded text, special tokens by their text, a
    /// lone byte of a multi-byte character as `<0xNN>`.
    public func displayText(_ id: Int32) -> String {
        let p = piece(id, renderSpecial: true)
        if let s = String(validating: p, as: UTF8.self) { return s }
        return p.map { "<0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) + ">" }.joined()
    }

    public func kind(of id: Int32) -> TokenKind? {
        guard id >= 0, Int(id) < vocabularySize else { return nil }
        return kinds[Int(id)]
    }

    /// Control or unknown: a marker, not text.
    public func isControl(_ id: Int32) -> Bool {
        guard let k = kind(of: id) else { return false }
        return k == .control || k == .unknown
    }

    /// True for every token that ends the assistant's turn (EOS, EOT such as `<|im_end|>`, ...).
    public func isEndOfTurn(_ id: Int32) -> Bool { endOfGenerationIDs.contains(id) }

    /// The id of a token with exactly this text, if any.
    public func id(ofToken text: String) -> Int32? { textIndex.id(of: text) }

    static func unescapeSpaces(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if i + 2 < b.count && b[i] == 0xE2 && b[i + 1] == 0x96 && b[i + 2] == 0x81 {
                out.append(0x20); i += 3
            } else {
                out.append(b[i]); i += 1
            }
        }
        return out
    }

    /// The byte of a `<0xNN>` piece.
    static func byteValue(ofPiece text: String) -> UInt8? {
        guard text.hasPrefix("<0x"), text.hasSuffix(">"), text.count == 6 else { return nil }
        return UInt8(text.dropFirst(3).dropLast(), radix: 16)
    }
}

fileprivate extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
