/// Everything a tokenizer needs, as plain values: what GGUF's `tokenizer.ggml.*` keys hold.
/// Tests build small ones by hand; `init(metadata:)` reads a model file's.
public struct TokenizerVocabulary: Sendable, Hashable {
    public enum Model: String, Sendable, Hashable {
        /// Byte-level BPE with merge ranks (GPT-2 style): `tokenizer.ggml.model = gpt2`.
        case bytePairEncoding = "gpt2"
        /// SentencePiece-style BPE by piece scores with byte fallback: `tokenizer.ggml.model = llama`.
        case sentencePiece = "llama"
    }

    public var model: Model
    /// Token texts, indexed by id (byte-level texts for BPE, `▁` for spaces for SentencePiece).
    public var tokens: [String]
    public var kinds: [TokenKind]
    /// SentencePiece piece scores (higher merges first); empty for BPE.
    public var scores: [Float]
    /// BPE merges, "left right", in rank order; empty for SentencePiece.
    public var merges: [String]
    /// `tokenizer.ggml.pre`; nil when absent (llama.cpp then uses its default pre-tokenizer).
    public var preTokenizer: String?
    public var bosID: Int32?
    public var eosID: Int32?
    public var eotID: Int32?
    public var eomID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    /// Whether `encode(addSpecial: true)` puts BOS first / EOS last.
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece: a space is put before text that starts the input or follows a special token.
    public var addSpacePrefix: Bool
    /// `tokenizer.chat_template` (Jinja source), if the model has one.
    public var chatTemplate: String?

    public init(model: Model, tokens: [String], kinds: [TokenKind]? = nil, scores: [Float] = [],
                merges: [String] = [], preTokenizer: String? = nil,
                bosID: Int32? = nil, eosID: Int32? = nil, eotID: Int32? = nil, eomID: Int32? = nil,
                unknownID: Int32? = nil, paddingID: Int32? = nil,
                addBOS: Bool? = nil, addEOS: Bool = false, addSpacePrefix: Bool? = nil,
                chatTemplate: String? = nil) {
        self.model = model
        self.tokens = tokens
        self.kinds = kinds ?? Array(repeating: .normal, count: tokens.count)
        self.scores = scores
        self.merges = merges
        self.preTokenizer = preTokenizer
        self.bosID = bosID; self.eosID = eosID; self.eotID = eotID; self.eomID = eomID
        self.unknownID = unknownID; self.paddingID = paddingID
        // llama.cpp's defaults: SentencePiece adds BOS and the space prefix; BPE adds neither,
        // except the Llama-3 pre-tokenizer family, which adds BOS.
        let llama3Family = preTokenizer.map { PreTokenizerKind.llama3Names.contains($0) } ?? false
        self.addBOS = addBOS ?? (model == .sentencePiece || llama3Family)
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix ?? (model == .sentencePiece)
        self.chatTemplate = chatTemplate
    }
}

extension TokenizerVocabulary {
    /// Reads `tokenizer.ggml.*` (and `tokenizer.chat_template`) from GGUF metadata.
    public init(metadata: [String: GGUFValue]) throws(TokenizerError) {
        func strings(_ key: String) -> [String]? {
            guard let a = metadata[key]?.arrayValue else { return nil }
            var out: [String] = []
            out.reserveCapacity(a.count)
            for v in a { guard let s = v.stringValue else { return nil }; out.append(s) }
            return out
        }
        guard let modelName = metadata["tokenizer.ggml.model"]?.stringValue else {
            throw .missingKey("tokenizer.ggml.model")
        }
        guard let model = Model(rawValue: modelName) else { throw .unsupportedModel(modelName) }
        guard let tokens = strings("tokenizer.ggml.tokens") else { throw .missingKey("tokenizer.ggml.tokens") }
        guard !tokens.isEmpty else { throw .emptyVocabulary }

        var kinds: [TokenKind]? = nil
        if let a = metadata["tokenizer.ggml.token_type"]?.arrayValue {
            guard a.count >= tokens.count else {
                throw .inconsistentArrays(key: "tokenizer.ggml.token_type", count: a.count, expected: tokens.count)
            }
            kinds = a.prefix(tokens.count).map { TokenKind(fileValue: $0.intValue ?? 0) }
        }
        var scores: [Float] = []
        if let a = metadata["tokenizer.ggml.scores"]?.arrayValue {
            guard a.count >= tokens.count else {
                throw .inconsistentArrays(key: "tokenizer.ggml.scores", count: a.count, expected: tokens.count)
            }
            scores = a.prefix(tokens.count).map { $0.floatValue ?? 0 }
        }
        var merges: [String] = []
        if model == .bytePairEncoding {
            guard let m = strings("tokenizer.ggml.merges") else { throw .missingKey("tokenizer.ggml.merges") }
            merges = m
        }
        func id(_ key: String) throws(TokenizerError) -> Int32? {
            guard let v = metadata[key]?.intValue else { return nil }
            guard v >= 0, v < tokens.count else {
                throw .specialTokenOutOfRange(key: key, id: v, vocabularySize: tokens.count)
            }
            return Int32(v)
        }
        let pre = metadata["tokenizer.ggml.pre"]?.stringValue
        self.init(model: model, tokens: tokens, kinds: kinds, scores: scores, merges: merges,
                  preTokenizer: pre,
                  bosID: try id("tokenizer.ggml.bos_token_id") ?? (model == .sentencePiece ? 1 : nil),
                  eosID: try id("tokenizer.ggml.eos_token_id") ?? (model == .sentencePiece ? 2 : nil),
                  eotID: try id("tokenizer.ggml.eot_token_id"),
                  eomID: try id("tokenizer.ggml.eom_token_id"),
                  unknownID: try id("tokenizer.ggml.unknown_token_id") ?? (model == .sentencePiece ? 0 : nil),
                  paddingID: try id("tokenizer.ggml.padding_token_id"),
                  addBOS: metadata["tokenizer.ggml.add_bos_token"]?.boolValue,
                  addEOS: metadata["tokenizer.ggml.add_eos_token"]?.boolValue ?? false,
                  addSpacePrefix: metadata["tokenizer.ggml.add_space_prefix"]?.boolValue,
                  chatTemplate: metadata["tokenizer.chat_template"]?.stringValue)
    }
}
