/// How a token sequence is cut into perplexity windows, following llama.cpp's perplexity tool
/// as reproduced by `scripts/peer/perplexity.py`, so that both engines score the same positions:
///
///   * windows do not overlap and hold exactly `context` input tokens;
///   * when the model adds BOS, each window is [BOS] + the next `context - 1` text tokens,
///     otherwise the next `context` text tokens; a trailing partial window is dropped;
///   * input position j (0 ..< context - 1) predicts input j + 1, so every window scores
///     `context - 1` positions.
public struct PerplexityWindows: Sendable, Hashable {
    /// Input tokens per window.
    public let context: Int
    /// Token put in front of every window (BOS), or nil.
    public let beginToken: Int32?
    /// Tokens of the whole text (without BOS).
    public let textTokenCount: Int

    public init(context: Int, beginToken: Int32?, textTokenCount: Int) throws(EvaluationError) {
        guard context >= 2 else { throw .contextTooSmall(context) }
        self.context = context
        self.beginToken = beginToken
        self.textTokenCount = textTokenCount
        guard count > 0 else {
            throw .textTooShort(tokens: textTokenCount, needed: textTokensPerWindow, context: context)
        }
    }

    /// Text tokens each window consumes.
    public var textTokensPerWindow: Int { beginToken == nil ? context : context - 1 }
    /// Full windows in the text.
    public var count: Int { textTokenCount / textTokensPerWindow }
    /// Positions scored per window.
    public var scoredPerWindow: Int { context - 1 }
    /// Positions scored over `windows` windows (default: all).
    public func scored(windows: Int? = nil) -> Int { (windows ?? count) * scoredPerWindow }

    /// Input ids of window `w` (`context` of them).
    public func inputs(ofWindow w: Int, text: [Int32]) -> [Int32] {
        precondition(w >= 0 && w < count && text.count == textTokenCount, "window \(w) out of range")
        let start = w * textTokensPerWindow
        let body = text[start..<(start + textTokensPerWindow)]
        if let b = beginToken { return [b] + body }
        return Array(body)
    }
}

public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case contextTooSmall(Int)
    case textTooShort(tokens: Int, needed: Int, context: Int)
    case contextTooLarge(context: Int, modelContext: Int)

    public var description: String {
        switch self {
        case .contextTooSmall(let c):
            return "a perplexity window needs at least 2 tokens (got --ctx \(c))"
        case let .textTooShort(tokens, needed, context):
            return "the text has \(tokens) tokens, fewer than one window of \(context) needs (\(needed)); use a longer file or a smaller --ctx"
        case let .contextTooLarge(context, modelContext):
            return "--ctx \(context) exceeds the model's context length (\(modelContext)); use --ctx \(modelContext) or less"
        }
    }
}
