/// Picks each step's tree shape to maximise expected tokens per second:
/// expectedTokens(shape) / cost(rows(shape)), over chains-with-alternatives up to the adapter's
/// mask count. When plain decoding wins it decodes plainly, but every `exploreEvery` steps it
/// runs the best drafting shape for two steps (one to draft, one to verify) so the statistics
/// can notice when drafts start paying.
public struct ShapeChooser: Sendable {
    public private(set) var statistics: AcceptanceStatistics
    public var costModel: StepCostModel
    public let shapes: [TreeShape]
    public let exploreEvery: Int
    private var stepsSinceDraft = 0
    private var exploring = 0

    public init(maskCount: Int, costModel: StepCostModel, prior: [Double]? = nil,
                maxCandidates: Int = 4, maxRows: Int = 64, exploreEvery: Int = 16) {
        statistics = AcceptanceStatistics(maxDepth: maskCount, prior: prior)
        self.costModel = costModel
        self.exploreEvery = exploreEvery
        var all: [TreeShape] = []
        func extend(_ prefix: [Int]) {
            if !prefix.isEmpty, let s = try? TreeShape(candidates: prefix, groupSize: prefix.count, maskCount: maskCount),
               s.rowCount <= maxRows {
                all.append(s)
            }
            guard prefix.count < maskCount else { return }
            for c in 1...(prefix.last ?? maxCandidates) { extend(prefix + [c]) }
        }
        extend([])
        shapes = all
    }

    public func expectedTokensPerMillisecond(_ s: TreeShape) -> Double {
        statistics.expectedTokens(s) / costModel.cost(s.rowCount)
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
        if stepsSinceDraft >= exploreEvery {
            stepsSinceDraft = 0
            exploring = 1
            return best
        }
        return .autoregressive
    }

    public mutating func record(depth: Int, candidates: Int, acceptedRank: Int?) {
        statistics.record(depth: depth, candidates: candidates, acceptedRank: acceptedRank)
    }

    public mutating func observe(rows: Int, milliseconds: Double) {
        costModel.observe(rows: rows, milliseconds: milliseconds)
    }
}
