/// Picks each step's tree shape to maximise expected tokens per second:
/// expectedTokens(shape) / cost(rows(shape)), over chains-with-alternatives up to the adapter's
/// mask count, each with a mask group per node or lean (one group, see `TreeShape`). When plain decoding wins it decodes plainly, but every `exploreEvery` steps (up
/// to 4x that while explorations keep failing) it runs the best drafting shape for two steps
/// (one to draft, one to verify) so the statistics can notice when drafts start paying.
public struct ShapeChooser: Sendable {
    public private(set) var statistics: AcceptanceStatistics
    /// Acceptance of drafts read from the context (see `contextChainLength`).
    public private(set) var contextStatistics: ContextDraftStatistics
    public var costModel: StepCostModel
    public let shapes: [TreeShape]
    public let exploreEvery: Int
    /// Where this chooser's observations also go, so the next decoder starts from them.
    public let memory: ShapeChooserMemory?
    private var stepsSinceDraft = 0
    private var exploring = 0
    /// Plain steps between explorations: `exploreEvery`, doubled after each rejected draft up
    /// to 4x, back to `exploreEvery` when a draft is accepted (a random adapter then costs one
    /// exploration in 64 steps instead of one in 16).
    private(set) var exploreInterval: Int

    /// - Parameter memory: statistics and step costs shared by the decoders of one engine (each
    ///   answer of a chat gets a new decoder). When given, the chooser starts from what earlier
    ///   decoders measured instead of from `prior` and `costModel`, and reports what it sees.
    public init(maskCount: Int, costModel: StepCostModel, prior: [Double]? = nil,
                maxCandidates: Int = 4, maxRows: Int = 64, exploreEvery: Int = 16,
                memory: ShapeChooserMemory? = nil) {
        let remembered = memory?.snapshot
        statistics = remembered?.statistics ?? AcceptanceStatistics(maxDepth: maskCount, prior: prior)
        contextStatistics = remembered?.contextStatistics ?? ContextDraftStatistics()
        self.costModel = remembered?.costModel ?? costModel
        self.memory = memory
        self.exploreEvery = exploreEvery
        exploreInterval = exploreEvery
        var all: [TreeShape] = []
        func extend(_ prefix: [Int]) {
            for lean in [false, true] where !prefix.isEmpty {
                if let s = try? TreeShape(candidates: prefix, groupSize: prefix.count, lean: lean, maskCount: maskCount),
                   s.rowCount <= maxRows {
                    all.append(s)
                }
            }
            guard prefix.count < maskCount else { return }
            for c in 1...(prefix.last ?? maxCandidates) { extend(prefix + [c]) }
        }
        extend([])
        shapes = all
    }

    /// Long-run tokens per millisecond of decoding with shape `s` on every step.
    ///
    /// A lean shape alternates between two kinds of step: with drafts (`rowCount` rows), and,
    /// after a step whose deepest top-1 draft was not accepted (no mask group on the accepted
    /// path), one without (root + mask group: 1 + groupSize rows, one token). With q the chance
    /// of a drafted step ending without a group, a drafted step is followed by q undrafted ones
    /// on average, so the rate is (E + q) / (cost(rows) + q cost(1 + groupSize)).
    public func expectedTokensPerMillisecond(_ s: TreeShape) -> Double {
        let tokens = statistics.expectedTokens(s)
        guard s.lean else { return tokens / costModel.cost(s.rowCount) }
        let q = 1 - statistics.spineAcceptance(s)
        return (tokens + q) / (costModel.cost(s.rowCount) + q * costModel.cost(1 + s.groupSize))
    }

    /// The best drafting shape by the current model.
    public var bestDraftingShape: TreeShape {
        shapes.max { expectedTokensPerMillisecond($0) < expectedTokensPerMillisecond($1) } ?? .autoregressive
    }

    public mutating func choose() -> TreeShape {
        let best = bestDraftingShape
        if expectedTokensPerMillisecond(best) > expectedTokensPerMillisecond(.autoregressive) {
            stepsSinceDraft = 0
            return best
        }
        if exploring > 0 {
            exploring -= 1
            return best
        }
        stepsSinceDraft += 1
        if stepsSinceDraft >= exploreInterval {
            stepsSinceDraft = 0
            exploring = 1
            return best
        }
        return .autoregressive
    }

    /// How many of `available` context drafts (proposed after a suffix match of `match` tokens)
    /// to run this step instead of the mask tokens' tree; 0 keeps the tree. Compares expected
    /// tokens per millisecond: a chain of L drafts costs a pass of 1 + L rows; the tree's rate is
    /// its best shape's (or plain decoding's), or plain decoding's when no mask drafts are
    /// pending (after a context chain, or a step whose mask group was not on the accepted path).
    public func contextChainLength(match: Int, available: Int, maskDraftsPending: Bool) -> Int {
        guard available >= 1 else { return 0 }
        var treeRate = expectedTokensPerMillisecond(.autoregressive)
        if maskDraftsPending { treeRate = max(treeRate, expectedTokensPerMillisecond(bestDraftingShape)) }
        var best = 0
        var bestRate = treeRate
        for length in 1...available {
            let rate = contextStatistics.expectedTokens(match: match, length: length) / costModel.cost(1 + length)
            if rate > bestRate { best = length; bestRate = rate }
        }
        return best
    }

    /// Records a verified context chain (see `ContextDraftStatistics.record`).
    public mutating func recordContext(match: Int, offered: Int, accepted: Int) {
        contextStatistics.record(match: match, offered: offered, accepted: accepted)
        memory?.recordContext(match: match, offered: offered, accepted: accepted)
    }

    public mutating func record(depth: Int, candidates: Int, acceptedRank: Int?) {
        statistics.record(depth: depth, candidates: candidates, acceptedRank: acceptedRank)
        memory?.record(depth: depth, candidates: candidates, acceptedRank: acceptedRank)
        if depth == 1 {
            exploreInterval = acceptedRank == nil ? min(2 * exploreInterval, 4 * exploreEvery) : exploreEvery
        }
    }

    public mutating func observe(rows: Int, milliseconds: Double) {
        costModel.observe(rows: rows, milliseconds: milliseconds)
        memory?.observe(rows: rows, milliseconds: milliseconds)
    }
}

/// Acceptance statistics and step costs that outlive one decoder: an engine keeps one per
/// adapter, and every decoder it makes starts from it and feeds it. Without it each answer
/// would start again from the prior, and an optimistic prior (an unknown or random adapter)
/// would make every answer pay for wide trees until its own statistics caught up.
public final class ShapeChooserMemory: Sendable {
    public struct Snapshot: Sendable {
        public var statistics: AcceptanceStatistics
        public var contextStatistics: ContextDraftStatistics
        public var costModel: StepCostModel
    }
    private let state: Locked<Snapshot>

    public init(maskCount: Int, costModel: StepCostModel, prior: [Double]?) {
        state = Locked(Snapshot(statistics: AcceptanceStatistics(maxDepth: maskCount, prior: prior),
                                contextStatistics: ContextDraftStatistics(), costModel: costModel))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func record(depth: Int, candidates: Int, acceptedRank: Int?) {
        state.withLock { $0.statistics.record(depth: depth, candidates: candidates, acceptedRank: acceptedRank) }
    }

    func recordContext(match: Int, offered: Int, accepted: Int) {
        state.withLock { $0.contextStatistics.record(match: match, offered: offered, accepted: accepted) }
    }

    func observe(rows: Int, milliseconds: Double) {
        state.withLock { $0.costModel.observe(rows: rows, milliseconds: milliseconds) }
    }
}
