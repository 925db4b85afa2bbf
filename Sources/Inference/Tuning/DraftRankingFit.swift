import Foundation

/// Fits a `DraftRanking` to decode logs: U and V [dim, rank] minimise the cross-entropy of the
/// target among each example's candidates under score(c) = maskLogit(c) + e_c · (V Uᵀ e_root).
/// The mask logits stay fixed; examples whose target is not among the candidates cannot be
/// helped and give no gradient (they still count, as misses, in every accuracy).
///
/// Per example, with a = Uᵀ e_root [rank], w = V a [dim], p = softmax(scores), g = p - onehot(target):
///   ē = Σ_i g_i e_ci,  dL/dV_j = a_j ē,  dL/dU_j = (V_j · ē) e_root
/// (V_j, U_j: column j, stored as row j). Adam on the batch mean, U drawn from N(0, 1/dim),
/// V zero, so the fit starts at the mask's own order. Deterministic for a seed.
public struct DraftRankingFit {
    public struct Settings: Sendable {
        public var rank = 32
        public var epochs = 4
        public var batchSize = 256
        public var learningRate = 3e-3
        public var seed: UInt64 = 0
        public init() {}
    }

    /// Accuracy of a ranking on a set of examples: how often the target is first, or in the
    /// first two, of the drafted order.
    public struct Accuracy: Sendable, Equatable {
        public var examples = 0
        public var top1 = 0
        public var top2 = 0
        public var top1Rate: Double { examples > 0 ? Double(top1) / Double(examples) : 0 }
        public var top2Rate: Double { examples > 0 ? Double(top2) / Double(examples) : 0 }
    }

    public let dim: Int
    /// [vocab][dim]: the model's input embedding rows as Float.
    let table: [Float]

    public init(model: LlamaModel) {
        let d = model.config.dim, n = model.config.vocabSize
        var t = [Float](repeating: 0, count: n * d)
        t.withUnsafeMutableBufferPointer { b in
            for id in 0..<n { model.embedding(of: Int32(id), into: b.baseAddress! + id * d) }
        }
        dim = d
        table = t
    }

    /// For tests: an explicit table [vocab][dim].
    public init(table: [Float], dim: Int) {
        precondition(dim > 0 && table.count % dim == 0)
        self.dim = dim
        self.table = table
    }

    /// The drafted order's accuracy; `ranking` nil measures the mask's own order. Uses the
    /// decoder's ranking code (`DraftRanking.ranked`).
    public func accuracy(of ranking: DraftRanking?, on examples: [DraftRankingExample]) -> Accuracy {
        var acc = Accuracy()
        var rows = [Float](repeating: 0, count: (DraftRanking.candidatesConsidered + 1) * dim)
        for e in examples {
            acc.examples += 1
            let order: [Int32]
            if let ranking {
                order = table.withUnsafeBufferPointer { t in
                    rows.withUnsafeMutableBufferPointer { r in
                        if r.count < e.candidates.count * dim { return e.candidates }  // longer lists than logged
                        for (i, c) in e.candidates.enumerated() {
                            (r.baseAddress! + i * dim).update(from: t.baseAddress! + Int(c) * dim, count: dim)
                        }
                        let w = ranking.query(rootEmbedding: t.baseAddress! + Int(e.root) * dim)
                        return ranking.ranked(Array(zip(e.candidates, e.logits)).map { (id: $0.0, logit: $0.1) },
                                              embeddings: r.baseAddress!, query: w)
                    }
                }
            } else {
                order = e.candidates
            }
            if order.first == e.target { acc.top1 += 1 }
            if order.prefix(2).contains(e.target) { acc.top2 += 1 }
        }
        return acc
    }

    /// Fits U and V on `training`. `progress` sees (epoch, batches done in it, batches per epoch,
    /// mean loss of the epoch so far).
    public func fit(_ training: [DraftRankingExample], settings: Settings,
                    progress: (Int, Int, Int, Double) -> Void = { _, _, _, _ in }) -> DraftRanking {
        let r = settings.rank
        var rng = SeededRandom(seed: settings.seed)
        var u = rng.normalFloats(count: r * dim, std: Float(1 / Double(dim).squareRoot()))
        var v = [Float](repeating: 0, count: r * dim)
        var gu = [Float](repeating: 0, count: r * dim), gv = gu
        var mu = gu, su = gu, mv = gu, sv = gu
        var order = Array(training.indices.filter { training[$0].targetIndex != nil })
        let batches = max(1, (order.count + settings.batchSize - 1) / settings.batchSize)
        var updates = 0
        var a = [Float](repeating: 0, count: r), w = [Float](repeating: 0, count: dim), ebar = w
        table.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            for epoch in 0..<settings.epochs {
                order.shuffle(using: &rng)
                var lossSum = 0.0, seen = 0
                for b in 0..<batches {
                    let slice = order[(b * settings.batchSize)..<min((b + 1) * settings.batchSize, order.count)]
                    guard !slice.isEmpty else { continue }
                    for i in gu.indices { gu[i] = 0; gv[i] = 0 }
                    for index in slice {
                        let e = training[index]
                        let root = t + Int(e.root) * dim
                        // a = Uᵀ e_root, w = V a
                        for j in 0..<r { a[j] = u.withUnsafeBufferPointer { DraftRanking.dot($0.baseAddress! + j * dim, root, dim) } }
                        for i in 0..<dim { w[i] = 0 }
                        for j in 0..<r { for i in 0..<dim { w[i] += a[j] * v[j * dim + i] } }
                        // scores, softmax, loss
                        let scores = e.candidates.indices.map { i in
                            e.logits[i] + w.withUnsafeBufferPointer { DraftRanking.dot($0.baseAddress!, t + Int(e.candidates[i]) * dim, dim) }
                        }
                        let top = scores.max()!
                        let ex = scores.map { Double(exp($0 - top)) }
                        let z = ex.reduce(0, +)
                        let target = e.targetIndex!
                        lossSum += -log(ex[target] / z)
                        seen += 1
                        // ē = Σ g_i e_ci
                        for i in 0..<dim { ebar[i] = 0 }
                        for (i, c) in e.candidates.enumerated() {
                            let g = Float(ex[i] / z) - (i == target ? 1 : 0)
                            let row = t + Int(c) * dim
                            for k in 0..<dim { ebar[k] += g * row[k] }
                        }
                        for j in 0..<r {
                            let dv = a[j]
                            let du = v.withUnsafeBufferPointer { vb in ebar.withUnsafeBufferPointer { DraftRanking.dot(vb.baseAddress! + j * dim, $0.baseAddress!, dim) } }
                            for k in 0..<dim {
                                gv[j * dim + k] += dv * ebar[k]
                                gu[j * dim + k] += du * root[k]
                            }
                        }
                    }
                    let scale = 1 / Float(slice.count)
                    for i in gu.indices { gu[i] *= scale; gv[i] *= scale }
                    updates += 1
                    AdamW.update(&u, gradients: gu, firstMoment: &mu, secondMoment: &su, count: u.count,
                                 learningRate: settings.learningRate, updates: updates)
                    AdamW.update(&v, gradients: gv, firstMoment: &mv, secondMoment: &sv, count: v.count,
                                 learningRate: settings.learningRate, updates: updates)
                    progress(epoch, b + 1, batches, lossSum / Double(max(seen, 1)))
                }
            }
        }
        return DraftRanking(dim: dim, rank: r, rootProjection: u, nextProjection: v)
    }
}
