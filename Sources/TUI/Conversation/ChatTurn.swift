import Inference

/// One token of a stored answer: its text, where it came from, and the decoder step.
public struct AnswerToken: Hashable, Sendable, Codable {
    public var text: String
    /// 0 for autoregressive/bonus tokens, d >= 1 for a draft accepted at depth d.
    public var depth: Int
    public var step: Int
    public var id: Int32

    public init(text: String, depth: Int, step: Int, id: Int32) {
        self.text = text; self.depth = depth; self.step = step; self.id = id
    }

    init(_ token: EmittedToken) {
        self.init(text: token.text, depth: token.origin.draftDepth ?? 0, step: token.step, id: token.id)
    }

    var origin: TokenOrigin { depth > 0 ? .draft(depth: depth) : .autoregressive }
}

/// One message of the conversation as the chat shows and stores it.
public struct ChatTurn: Hashable, Sendable {
    public var role: ChatRole
    public var text: String
    /// Assistant answers: every token with its origin (empty for user turns).
    public var tokens: [AnswerToken] = []
    /// The answer was stopped by the user (Ctrl-C/Esc) or by a signal; `text` is what arrived.
    public var interrupted = false
    public var finishReason: FinishReason?
    /// Why the answer ended early, when the backend reported a failure.
    public var failure: String?
    public var mode: DecodingMode?
    public var stats: DecodeStats?

    public init(role: ChatRole, text: String) {
        self.role = role; self.text = text
    }

    mutating func append(_ token: EmittedToken) {
        tokens.append(AnswerToken(token))
        text += token.text
    }

    /// Accepted drafts per decoder step, in step order (for the sparkline).
    var acceptedDraftsPerStep: [Int] {
        var perStep: [Int] = []
        for token in tokens {
            while perStep.count <= token.step { perStep.append(0) }
            if token.depth > 0 { perStep[token.step] += 1 }
        }
        return perStep
    }

    /// Runs of consecutive tokens with the same origin, as (text, origin): what highlighting draws.
    var originRuns: [(text: String, origin: TokenOrigin)] {
        if tokens.isEmpty { return text.isEmpty ? [] : [(text, .autoregressive)] }
        var runs: [(text: String, origin: TokenOrigin)] = []
        for token in tokens {
            if let last = runs.last, last.origin == token.origin {
                runs[runs.count - 1].text += token.text
            } else {
                runs.append((token.text, token.origin))
            }
        }
        return runs
    }
}
