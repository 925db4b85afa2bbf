/// A token's type as stored in `tokenizer.ggml.token_type` (SentencePiece's piece types).
public enum TokenKind: Int32, Sendable, Hashable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// Markers such as BOS, EOS and chat-turn delimiters: produced from text only when special
    /// tokens are parsed, rendered as nothing unless asked for.
    case control = 3
    /// Added words that are always matched as whole tokens, even in user text.
    case userDefined = 4
    case unused = 5
    /// SentencePiece byte-fallback pieces `<0x00>`..`<0xFF>`.
    case byte = 6

    init(fileValue: Int) {
        self = TokenKind(rawValue: Int32(truncatingIfNeeded: fileValue)) ?? .undefined
    }

    /// Matched by the special-token splitter before pre-tokenization (control and unknown only
    /// when special tokens are parsed).
    var isSpecial: Bool { self == .control || self == .userDefined || self == .unknown }
}
