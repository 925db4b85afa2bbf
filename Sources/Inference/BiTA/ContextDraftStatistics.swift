/// Running acceptance of context drafts (`ContextLookup` chains), by the length of the suffix
/// match that proposed them and by depth in the chain, with a prior; used to decide, step by
/// step, whether a context chain (and how long a one) beats the mask tokens' tree.
///
/// The match length is what predicts most: a token that followed a 4-token match earlier is
/// the next token far more often than one that followed a single matching token. Deeper
/// positions are conditional on the shallower ones being accepted (each accepted token extends
/// the match, so deeper rates are higher).
public struct ContextDraftStatistics: Sendable {
    public let maxMatch: Int
    public let maxDepth: Int
    /// offered[m-1][d-1]: chains from a match of length m whose verification reached depth d.
    private(set) var offered: [[Double]]
    /// accepted[m-1][d-1]: of those, how often depth d's token was accepted.
    private(set) var accepted: [[Double]]

    /// Observations kept per entry before older ones fade (as in `AcceptanceStatistics`).
    public static let memory: Double = 64

    /// Prior acceptance rate of depth d after a match of m tokens, measured on the greedy answers
    /// of SmolLM2-135M-Instruct to the first 120 prompts of prompts/tune.jsonl (256 tokens each;
    /// lookups within each answer, latest longest match): rows m = 1...4, columns d = 1...6
    /// (deeper: the last). Weighted like 8 observations, so a model that repeats itself less
    /// soon shows its own rates.
    public static let measuredPrior: [[Double]] = [
        [0.21, 0.54, 0.70, 0.72, 0.79, 0.82],
        [0.54, 0.65, 0.72, 0.79, 0.83, 0.83],
        [0.64, 0.71, 0.80, 0.83, 0.84, 0.83],
        [0.88, 0.91, 0.92, 0.93, 0.93, 0.93],
    ]

    public init(maxMatch: Int = 4, maxDepth: Int = 8, prior: [[Double]] = Self.measuredPrior, priorWeight: Double = 8) {
        self.maxMatch = maxMatch
        self.maxDepth = maxDepth
        offered = Array(repeating: Array(repeating: priorWeight, count: maxDepth), count: maxMatch)
        accepted = (0..<maxMatch).map { m in
            let row = prior.isEmpty ? [0.5] : prior[min(m, prior.count - 1)]
            return (0..<maxDepth).map { d in priorWeight * row[min(d, row.count - 1)] }
        }
    }

    /// Records one verified chain: `offered` tokens proposed after a match of `match` tokens,
    /// the first `accepted` of them accepted (verification reached depth accepted + 1 unless the
    /// whole chain was accepted).
    public mutating func record(match: Int, offered chain: Int, accepted n: Int) {
        guard match >= 1, chain >= 1 else { return }
        let m = min(match, maxMatch) - 1
        for d in 0..<min(min(chain, n + 1), maxDepth) {
            offered[m][d] += 1
            if d < n { accepted[m][d] += 1 }
            if offered[m][d] > Self.memory {
                let shrink = Self.memory / offered[m][d]
                offered[m][d] *= shrink
                accepted[m][d] *= shrink
            }
        }
    }

    /// Probability that depth d of a chain from a match of `match` tokens is accepted, given
    /// that every shallower depth was.
    public func rate(match: Int, depth d: Int) -> Double {
        guard match >= 1, d >= 1 else { return 0 }
        let m = min(match, maxMatch) - 1, i = min(d, maxDepth) - 1
        return accepted[m][i] / offered[m][i]
    }

    /// Expected tokens of a step running a chain of `length` context drafts (accepted drafts
    /// plus the bonus token).
    public func expectedTokens(match: Int, length: Int) -> Double {
        var total = 1.0, reach = 1.0
        for d in stride(from: 1, through: length, by: 1) {
            reach *= rate(match: match, depth: d)
            total += reach
        }
        return total
    }
}
