/// Lossless acceptance of drafted candidates under sampling.
///
/// Our drafts are chosen deterministically (the mask tokens' top predictions), so the draft
/// distribution of each candidate is a point mass. For point-mass drafts the exact rule is:
/// accept candidate t with probability p'(t), where p' is the target distribution with the
/// already-rejected siblings removed and renormalised; if every sibling is rejected, draw the
/// token from the remaining p'. This is sampling from p by asking "is it t1? is it t2? ...",
/// so the emitted token has exactly the distribution p, whatever the candidates are.
/// (The min(1, p/q) rule is for drafts that were themselves sampled from q.)
public enum TreeAcceptance {
    public enum Outcome: Equatable, Sendable {
        case accepted(index: Int)      // index into `candidates`
        case resampled(Int32)          // every candidate rejected; this token drawn from the residual
    }

    public static func choose(_ p: TokenDistribution, candidates: [Int32], rng: inout SeededRandom) -> Outcome {
        var removed = Set<Int32>()
        var remaining = 1.0
        for (index, t) in candidates.enumerated() where !removed.contains(t) {
            let pt = p.probability(of: t)
            if pt <= 0 { continue }
            let u = rng.nextUniform()
            if remaining - pt <= 1e-12 || u * remaining < pt { return .accepted(index: index) }
            removed.insert(t)
            remaining -= pt
        }
        var residual = TokenDistribution(ids: [], probabilities: [])
        for (id, prob) in zip(p.ids, p.probabilities) where !removed.contains(id) && prob > 0 {
            residual.ids.append(id)
            residual.probabilities.append(prob / remaining)
        }
        if residual.ids.isEmpty { return .resampled(p.ids[0]) }
        return .resampled(sample(residual, using: &rng))
    }
}
