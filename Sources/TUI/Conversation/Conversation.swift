import Inference

/// The system prompt and the turns so far. Turns before `firstTurnInContext` stay on screen and in
/// the transcript but are no longer sent to the model (see `ContextWindowPolicy`).
public struct Conversation: Hashable, Sendable {
    public var systemPrompt: String?
    public var turns: [ChatTurn] = []
    public var firstTurnInContext = 0

    public init(systemPrompt: String? = nil) { self.systemPrompt = systemPrompt }

    /// What the backend sees: the system prompt, then the turns still in context. Empty answers
    /// (failed or interrupted before the first token) are left out.
    public func messages(fromTurn start: Int? = nil) -> [ChatMessage] {
        var out: [ChatMessage] = []
        if let systemPrompt, !systemPrompt.isEmpty { out.append(ChatMessage(role: .system, content: systemPrompt)) }
        let first = min(max(start ?? firstTurnInContext, 0), turns.count)
        for turn in turns[first...] where !(turn.role == .assistant && turn.text.isEmpty) {
            out.append(ChatMessage(role: turn.role, content: turn.text))
        }
        return out
    }
}

/// Keeps a conversation inside the model's context window: when the rendered conversation plus
/// room for the answer exceeds the window, the oldest turns leave the context one user turn (with
/// its answer) at a time. The system prompt and the newest user message always stay.
struct ContextWindowPolicy {
    var contextLength: Int
    /// Tokens kept free for the answer.
    var reserve: Int

    init(contextLength: Int, maxTokens: Int) {
        self.contextLength = contextLength
        reserve = min(max(maxTokens, 0), contextLength / 4)
    }

    var budget: Int { contextLength - reserve }

    /// The first turn to keep so the conversation fits, or nil when even the newest user message
    /// alone (with the system prompt) does not fit.
    func firstTurnToKeep(_ conversation: Conversation, tokenCount: ([ChatMessage]) -> Int) -> Int? {
        let start = conversation.firstTurnInContext
        if tokenCount(conversation.messages(fromTurn: start)) <= budget { return start }
        var candidate = start + 1
        while candidate < conversation.turns.count {
            if conversation.turns[candidate].role == .user,
               tokenCount(conversation.messages(fromTurn: candidate)) <= budget {
                return candidate
            }
            candidate += 1
        }
        return nil
    }
}
