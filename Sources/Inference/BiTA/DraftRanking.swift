/// Re-orders the first mask token's draft candidates once the token they follow is known.
///
/// The first mask of a group sits at the position of its node's successor (the next step's root)
/// but cannot see it: it guesses the token after next, and its logits mix over every possible
/// root. When the next step's drafts are picked, the root has just been verified, so the mask's
/// best `candidatesConsidered` tokens are re-ordered by
///
///     score(c) = maskLogit(c) + e_c · (V Uᵀ e_root)
///
/// with e the model's own input embedding rows and U, V [dim, rank] fitted on decode logs
/// (`DraftRankingFit`). Only which tokens get drafted changes; verification does not look at
/// the ranking, so every emitted token is still exactly the model's.
///
/// Cost per step: rank x dim multiply-adds for Uᵀ e_root, the same for V (Uᵀ e_root), and one
/// dim-long dot product per candidate (~55k for SmolLM2 at rank 32), plus 33 embedding rows.
public struct DraftRanking: Sendable, Equatable {
    public let dim: Int
    public let rank: Int
    /// [rank][dim], row-major: row j is column j of U (the root's side).
    public let rootProjection: [Float]
    /// [rank][dim], row-major: row j is column j of V (the candidate's side).
    public let nextProjection: [Float]

    /// Candidates of the mask's logits that are re-ordered (the rest keep their order after them).
    public static let candidatesConsidered = 32
    /// Limits on the rank: far above useful values, low enough that a corrupt file cannot drive
    /// a huge allocation.
    public static let rankRange = 1...256

    public init(dim: Int, rank: Int, rootProjection: [Float], nextProjection: [Float]) {
        precondition(rootProjection.count == rank * dim && nextProjection.count == rank * dim, "projection sizes")
        self.dim = dim
        self.rank = rank
        self.rootProjection = rootProjection
        self.nextProjection = nextProjection
    }

    /// The candidate-side query w = V (Uᵀ e_root), [dim]: score(c) = maskLogit(c) + w · e_c.
    public func query(rootEmbedding e: UnsafePointer<Float>) -> [Float] {
        var w = [Float](repeating: 0, count: dim)
        rootProjection.withUnsafeBufferPointer { u in
            nextProjection.withUnsafeBufferPointer { v in
                w.withUnsafeMutableBufferPointer { out in
                    for j in 0..<rank {
                        let a = Self.dot(u.baseAddress! + j * dim, e, dim)
                        let row = v.baseAddress! + j * dim
                        for i in 0..<dim { out[i] += a * row[i] }
                    }
                }
            }
        }
        return w
    }

    /// Token ids best first by score. `candidates` are (id, mask logit) pairs; `embeddings` holds
    /// their embedding rows [candidates.count][dim] in the same order. Ties keep the input order.
    public func ranked(_ candidates: [(id: Int32, logit: Float)], embeddings: UnsafePointer<Float>,
                       query w: [Float]) -> [Int32] {
        let scored = w.withUnsafeBufferPointer { q in
            candidates.enumerated().map { i, c in
                (id: c.id, score: c.logit + Self.dot(q.baseAddress!, embeddings + i * dim, dim), order: i)
            }
        }
        return scored.sorted { $0.score > $1.score || ($0.score == $1.score && $0.order < $1.order) }.map(\.id)
    }

    /// The plain reference of the score's bilinear term, Σ_j (U_j · e_root)(V_j · e_c) in Double,
    /// for pinning `query` + dot against it.
    public func referenceTerm(root: [Float], candidate: [Float]) -> Double {
        var s = 0.0
        for j in 0..<rank {
            var a = 0.0, b = 0.0
            for i in 0..<dim {
                a += Double(rootProjection[j * dim + i]) * Double(root[i])
                b += Double(nextProjection[j * dim + i]) * Double(candidate[i])
            }
            s += a * b
        }
        return s
    }

    /// Float dot product in 16 lanes (order fixed by `count`; ranking needs no bit-exactness).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            acc = acc.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                                    UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }
}
