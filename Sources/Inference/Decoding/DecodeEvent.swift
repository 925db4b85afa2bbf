// The stream a decoder produces and every front end consumes (TUI, `generate --json`, bench).
// One decoder step emits: zero or more `.token` events (in text order), one `.step`, then `.stats`.

/// Where an emitted token came from.
public enum TokenOrigin: Sendable, Hashable, Codable {
    /// Predicted by the model at the last verified position: plain AR, or BiTA's bonus token.
    case autoregressive
    /// A BiTA draft that verification accepted; `depth` is 1 for the first drafted position.
    case draft(depth: Int)

    public var draftDepth: Int? {
        if case .draft(let d) = self { return d }
        return nil
    }
}

/// One token of the answer, as it leaves the decoder.
public struct EmittedToken: Sendable, Hashable {
    public var id: Int32
    /// The text this token completes. May be empty while a multi-byte UTF-8 character is pending;
    /// the streaming detokenizer then puts the whole character on the token that completes it.
    public var text: String
    public var origin: TokenOrigin
    /// 0-based index of the decoder step that produced it.
    public var step: Int

    public init(id: Int32, text: String, origin: TokenOrigin, step: Int) {
        self.id = id; self.text = text; self.origin = origin; self.step = step
    }
}

/// One drafted candidate in a step's tree, for the draft inspector.
public struct DraftCandidate: Sendable, Hashable {
    public var text: String
    /// Depth in the tree (1 = first drafted position).
    public var depth: Int
    /// Rank among its siblings (0 = the mask token's top prediction).
    public var rank: Int
    public var accepted: Bool

    public init(text: String, depth: Int, rank: Int, accepted: Bool) {
        self.text = text; self.depth = depth; self.rank = rank; self.accepted = accepted
    }
}

/// What one decoder step did. AR steps have no candidates and accept nothing.
public struct StepSummary: Sendable, Hashable {
    public var index: Int
    /// Every drafted candidate of this step's tree, grouped by depth (index 0 = depth 1).
    public var candidatesByDepth: [[DraftCandidate]]
    /// Number of drafted tokens that were accepted this step.
    public var acceptedDrafts: Int
    /// The token the model produced after the accepted path (always present).
    public var bonusText: String
    /// Tokens in the step's forward pass (last token + draft nodes + mask rows).
    public var batchSize: Int
    /// Wall time of the step in milliseconds.
    public var milliseconds: Double

    public init(index: Int, candidatesByDepth: [[DraftCandidate]], acceptedDrafts: Int,
                bonusText: String, batchSize: Int, milliseconds: Double) {
        self.index = index; self.candidatesByDepth = candidatesByDepth
        self.acceptedDrafts = acceptedDrafts; self.bonusText = bonusText
        self.batchSize = batchSize; self.milliseconds = milliseconds
    }
}

/// Running statistics of one answer.
public struct DecodeStats: Sendable, Hashable, Codable {
    public var promptTokens: Int = 0
    public var newTokens: Int = 0
    public var steps: Int = 0
    public var prefillMilliseconds: Double = 0
    public var decodeMilliseconds: Double = 0
    /// proposed[d-1] / accepted[d-1]: drafts offered / accepted at depth d over the answer.
    public var proposedPerDepth: [Int] = []
    public var acceptedPerDepth: [Int] = []

    public init() {}

    /// Mean tokens emitted per step (BiTA's tau; 1 for AR).
    public var tau: Double { steps == 0 ? 0 : Double(newTokens) / Double(steps) }
    public var tokensPerSecond: Double {
        decodeMilliseconds <= 0 ? 0 : Double(newTokens) / (decodeMilliseconds / 1000)
    }
    /// Acceptance rate at depth d (1-based), nil when nothing was proposed there.
    public func acceptRate(depth d: Int) -> Double? {
        guard d >= 1, d <= proposedPerDepth.count, proposedPerDepth[d - 1] > 0 else { return nil }
        return Double(acceptedPerDepth[d - 1]) / Double(proposedPerDepth[d - 1])
    }
}

public enum FinishReason: String, Sendable, Hashable, Codable {
    case endOfTurn        // the model produced EOS / end-of-turn
    case maxTokens        // the token budget ran out
    case contextFull      // the context window is full
    case cancelled        // the consumer stopped it
}

public enum DecodeEvent: Sendable {
    /// The prompt is in the KV cache; decoding starts.
    case prefilled(promptTokens: Int, milliseconds: Double)
    case token(EmittedToken)
    case step(StepSummary)
    case stats(DecodeStats)
    case finished(FinishReason, DecodeStats)
    /// A problem that ended the answer early, in words a user can act on.
    case failed(String)
}
