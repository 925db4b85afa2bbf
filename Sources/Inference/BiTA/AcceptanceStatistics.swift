/// Running acceptance counts per draft depth and sibling rank, with a prior, used to predict how
/// many tokens a tree shape will yield per step.
public struct AcceptanceStatistics: Sendable {
    public let maxDepth: Int
    public let maxRank: Int
    /// offered[d][r]: steps where verification reached depth d+1 and a rank-r candidate was there.
    private(set) var offered: [[Double]]
    /// accepted[d][r]: of those, how often the rank-r candidate was the accepted one.
    private(set) var accepted: [[Double]]

    /// - Parameter prior: expected acceptance of the top candidate per depth (e.g. from the
    ///   adapter's validation metrics); weighted like `priorWeight` observations.
    public init(maxDepth: Int, maxRank: Int = 8, prior: [Double]? = nil, priorWeight: Double = 8) {
        self.maxDepth = maxDepth
        self.maxRank = maxRank
        offered = Array(repeating: Array(repeating: priorWeight, count: maxRank), count: maxDepth)
        accepted = (0..<maxDepth).map { d in
            let top = prior.flatMap { d < $0.count ? $0[d] : nil } ?? 0.5
            // Lower ranks share what the top candidate leaves, decaying.
            return (0..<maxRank).map { r in priorWeight * (r == 0 ? top : (1 - top) * 0.25 * pow(0.5, Double(r - 1))) }
        }
    }

    /// Observations kept per depth and rank: beyond this many, older ones fade (both counts are
    /// scaled down together), so the rates follow the text being written, e.g. code after chat.
    public static let memory: Double = 64

    /// Records one reached depth: `candidates` were offered there, `acceptedRank` won (nil: none).
    public mutating func record(depth d: Int, candidates: Int, acceptedRank: Int?) {
        guard d >= 1, d <= maxDepth else { return }
        for r in 0..<min(candidates, maxRank) {
            offered[d - 1][r] += 1
            if acceptedRank == r { accepted[d - 1][r] += 1 }
            if offered[d - 1][r] > Self.memory {
                let shrink = Self.memory / offered[d - 1][r]
                offered[d - 1][r] *= shrink
                accepted[d - 1][r] *= shrink
            }
        }
    }

    /// Probability that the rank-r candidate at depth d is accepted, given depth d is reached.
    public func rate(depth d: Int, rank r: Int) -> Double {
        guard d >= 1, d <= maxDepth, r < maxRank else { return 0 }
        return accepted[d - 1][r] / offered[d - 1][r]
    }

    /// Probability that every depth's top-1 draft of a shape is accepted: the step then ends on
    /// its deepest top-1 draft (where a lean shape's mask group sits).
    public func spineAcceptance(_ shape: TreeShape) -> Double {
        shape.candidates.indices.reduce(1.0) { $0 * rate(depth: $1 + 1, rank: 0) }
    }

    /// Expected tokens per step (accepted drafts + the bonus token) of a shape.
    public func expectedTokens(_ shape: TreeShape) -> Double {
        var total = 1.0
        var reach = 1.0
        for (i, c) in shape.candidates.enumerated() {
            let d = i + 1
            let any = min(1, (0..<c).reduce(0.0) { $0 + rate(depth: d, rank: $1) })
            total += reach * any
            reach *= rate(depth: d, rank: 0)
        }
        return total
    }
}

import Foundation
