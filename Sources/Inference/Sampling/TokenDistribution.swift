/// The distribution the sampler draws from after temperature, top-k and top-p: token ids with
/// probabilities (summing to 1), most likely first (ties: lower id first).
public struct TokenDistribution: Sendable, Equatable {
    public var ids: [Int32]
    public var probabilities: [Double]

    public func probability(of id: Int32) -> Double {
        guard let i = ids.firstIndex(of: id) else { return 0 }
        return probabilities[i]
    }
}

/// Temperature / top-k / top-p settings. temperature == 0 means greedy (argmax).
public struct SamplingParameters: Sendable, Hashable, Codable {
    public var temperature: Double
    public var topK: Int
    public var topP: Double

    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1) {
        self.temperature = temperature; self.topK = topK; self.topP = topP
    }

    public var isGreedy: Bool { temperature <= 0 }

    /// Argmax with ties broken towards the lower id (the same rule everywhere).
    public static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
        var best = 0
        var bestValue = logits[0]
        for i in 1..<count where logits[i] > bestValue {
            best = i
            bestValue = logits[i]
        }
        return Int32(best)
    }

    /// The k highest logits' ids, best first (ties: lower id first).
    public static func topIDs(_ logits: UnsafePointer<Float>, count: Int, k: Int) -> [Int32] {
        topEntries(logits, count: count, k: k).map(\.id)
    }

    /// The k largest logits with their ids, largest first (ties: lower id first).
    public static func topEntries(_ logits: UnsafePointer<Float>, count: Int, k: Int) -> [(id: Int32, logit: Float)] {
        guard k > 0 else { return [] }
        var best: [(id: Int32, logit: Float)] = []
        best.reserveCapacity(k + 1)
        for i in 0..<count {
            let v = logits[i]
            if best.count == k, let last = best.last, !(v > last.logit) { continue }
            var j = best.count
            while j > 0 && v > best[j - 1].logit { j -= 1 }
            best.insert((Int32(i), v), at: j)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Applies temperature, then top-k, then softmax, then top-p, and renormalises.
    public func distribution(_ logits: UnsafePointer<Float>, count: Int) -> TokenDistribution {
        precondition(!isGreedy, "greedy decoding has no distribution; use argmax")
        let invT = 1 / temperature
        var ids: [Int32]
        if topK > 0 && topK < count {
            ids = Self.topIDs(logits, count: count, k: topK)
        } else {
            ids = (0..<Int32(count)).map { $0 }
            if topP < 1 {
                ids.sort { logits[Int($0)] > logits[Int($1)] || (logits[Int($0)] == logits[Int($1)] && $0 < $1) }
            }
        }
        var maxLogit = -Double.infinity
        for id in ids { maxLogit = max(maxLogit, Double(logits[Int(id)])) }
        var probs = ids.map { Foundation.exp((Double(logits[Int($0)]) - maxLogit) * invT) }
        var total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        if topP < 1 {
            // ids are sorted best first here (topIDs sorts too).
            var cumulative = 0.0
            var keep = probs.count
            for (i, p) in probs.enumerated() {
                cumulative += p
                if cumulative >= topP { keep = i + 1; break }
            }
            ids.removeLast(ids.count - keep)
            probs.removeLast(probs.count - keep)
            total = probs.reduce(0, +)
            for i in probs.indices { probs[i] /= total }
        }
        return TokenDistribution(ids: ids, probabilities: probs)
    }
}

/// Draws from a distribution by inverse CDF with one uniform number.
public func sample(_ d: TokenDistribution, using rng: inout SeededRandom) -> Int32 {
    let u = rng.nextUniform()
    var cumulative = 0.0
    for (id, p) in zip(d.ids, d.probabilities) {
        cumulative += p
        if u < cumulative { return id }
    }
    // Rounding left the sum just under 1: the last token with non-zero mass.
    return d.ids[d.probabilities.lastIndex { $0 > 0 } ?? (d.ids.count - 1)]
}

import Foundation
