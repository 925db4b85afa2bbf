/// Keys and values of a training sequence's real tokens, per layer: what every mask group of the
/// sequence attends to besides the prompt K/V and its own masks. Real tokens never see the prompt
/// K/V, so these are the base model's numbers and constant with respect to everything trained:
/// computed once per sequence, no gradient.
///
/// Layout per layer: keys[t * kvDim + c] (after RoPE at position t), values[t * kvDim + c].
final class ContextKV<T: TrainingScalar>: @unchecked Sendable {
    // @unchecked: filled once by its producer, then only read.
    let count: Int
    let kvDim: Int
    let keys: [ScalarBuffer<T>]
    let values: [ScalarBuffer<T>]

    init(layerCount: Int, kvDim: Int, count: Int) {
        self.count = count
        self.kvDim = kvDim
        keys = (0..<layerCount).map { _ in ScalarBuffer(count: count * kvDim) }
        values = (0..<layerCount).map { _ in ScalarBuffer(count: count * kvDim) }
    }
}

extension ContextKV where T == Float {
    /// The context as the engine computes it: `tokens` run causally through LlamaModel.forward
    /// (exactly the K/V the decoder keeps in its cache for verified text).
    convenience init(engine model: LlamaModel, tokens: [Int32], state: RunState, chunk: Int = 128) {
        let c = model.config
        self.init(layerCount: c.layerCount, kvDim: c.kvDim, count: tokens.count)
        let cache = model.makeCache(capacity: tokens.count)
        var unused: Float = 0
        var i = 0
        while i < tokens.count {
            let piece = Array(tokens[i..<min(i + chunk, tokens.count)])
            model.forward(.causal(tokens: piece, startPosition: i), cache: cache, state: state,
                          logitRows: [], logits: &unused)
            i += piece.count
        }
        for l in 0..<c.layerCount {
            let k = keys[l].pointer, v = values[l].pointer, ck = cache.keys[l], cv = cache.values[l]
            for i in 0..<(tokens.count * c.kvDim) {
                k[i] = Float(ck[i])
                v[i] = Float(cv[i])
            }
        }
    }
}

extension FrozenModel where T == Float {
    /// The context with the engine's int8 matmul kernels for the linear layers (the products the
    /// decoder itself computes, about twice as fast as sgemm for a few hundred rows) and the
    /// trainer's attention. `model` must be the model this was made from.
    func encodeContext(_ tokens: [Int32], pool: ThreadPool, quantizedKernelsOf model: LlamaModel) -> ContextKV<Float> {
        precondition(model.config == config, "encodeContext: another model's kernels")
        return encodeContext(tokens, pool: pool, halfPrecisionAttention: true) { l, role, x, rows, y in
            let lw = model.weights.layers[l]
            let w: WeightMatrix
            switch role {
            case .q: w = lw.wq
            case .k: w = lw.wk
            case .v: w = lw.wv
            case .o: w = lw.wo
            case .gate: w = lw.wGate
            case .up: w = lw.wUp
            case .down: w = lw.wDown
            }
            matmul(w, x, n: rows, y, pool: pool)
        }
    }
}

extension FrozenModel {
    /// The context computed by the trainer's own batched products (sgemm): the same function as
    /// `ContextKV(engine:)` up to summation order, usually much faster for long sequences, and
    /// available in Double for gradient checks. The last layer stops after its K/V.
    /// `halfPrecisionAttention`: round q, K, V and the probabilities to binary16 as the engine
    /// does (true to train for the engine; false for the exact function gradient checks compare).
    func encodeContext(_ tokens: [Int32], pool: ThreadPool, halfPrecisionAttention: Bool = true) -> ContextKV<T> {
        encodeContext(tokens, pool: pool, halfPrecisionAttention: halfPrecisionAttention) { l, role, x, rows, y in
            let lw = self.layers[l], dim = self.config.dim, kvDim = self.config.kvDim, ff = self.config.feedForwardDim
            switch role {
            case .q: LayerMath.linear(x, rows: rows, lw.wq, inputs: dim, outputs: dim, y)
            case .k: LayerMath.linear(x, rows: rows, lw.wk, inputs: dim, outputs: kvDim, y)
            case .v: LayerMath.linear(x, rows: rows, lw.wv, inputs: dim, outputs: kvDim, y)
            case .o: LayerMath.linear(x, rows: rows, lw.wo, inputs: dim, outputs: dim, y)
            case .gate: LayerMath.linear(x, rows: rows, lw.wGate, inputs: dim, outputs: ff, y)
            case .up: LayerMath.linear(x, rows: rows, lw.wUp, inputs: dim, outputs: ff, y)
            case .down: LayerMath.linear(x, rows: rows, lw.wDown, inputs: ff, outputs: dim, y)
            }
        }
    }

    enum LinearRole { case q, k, v, o, gate, up, down }

    static func roundToHalf(_ x: UnsafeMutablePointer<T>, count: Int) {
        for i in 0..<count { x[i] = T(roundedToHalfPrecision(Float(x[i].doubleValue))) }
    }

    /// The context pass with the linear layers supplied by `linear(layer, role, x, rows, y)`.
    func encodeContext(_ tokens: [Int32], pool: ThreadPool, halfPrecisionAttention half: Bool,
                       linear: (Int, LinearRole, UnsafePointer<T>, Int, UnsafeMutablePointer<T>) -> Void) -> ContextKV<T> {
        let c = config
        let n = tokens.count
        let dim = c.dim, kvDim = c.kvDim, ff = c.feedForwardDim
        let eps = T(c.rmsNormEpsilon)
        let ctx = ContextKV<T>(layerCount: c.layerCount, kvDim: kvDim, count: n)
        guard n > 0 else { return ctx }
        let x = ScalarBuffer<T>(count: n * dim), a = ScalarBuffer<T>(count: n * dim)
        let q = ScalarBuffer<T>(count: n * dim), att = ScalarBuffer<T>(count: n * dim)
        let gate = ScalarBuffer<T>(count: n * ff), up = ScalarBuffer<T>(count: n * ff)
        for (t, token) in tokens.enumerated() {
            precondition(token >= 0 && Int(token) < c.vocabSize, "token id \(token) out of range")
            (x.pointer + t * dim).update(from: tokenEmbedding.pointer + Int(token) * dim, count: dim)
        }
        for l in 0..<c.layerCount {
            let lw = layers[l]
            let k = ctx.keys[l].pointer, v = ctx.values[l].pointer
            LayerMath.rmsNorm(x.pointer, lw.attentionNorm, a.pointer, rows: n, dim: dim, eps: eps)
            linear(l, .k, a.pointer, n, k)
            linear(l, .v, a.pointer, n, v)
            for t in 0..<n { rope.rotate(k + t * kvDim, heads: c.kvHeadCount, position: t) }
            // The engine keeps K, V and q at half precision in attention (LlamaModel.forward).
            if half {
                Self.roundToHalf(k, count: n * kvDim)
                Self.roundToHalf(v, count: n * kvDim)
            }
            if l == c.layerCount - 1 { break }
            linear(l, .q, a.pointer, n, q.pointer)
            for t in 0..<n { rope.rotate(q.pointer + t * dim, heads: c.headCount, position: t) }
            if half { Self.roundToHalf(q.pointer, count: n * dim) }
            causalAttention(q: q.pointer, keys: k, values: v, out: att.pointer, rows: n, half: half, pool: pool)
            linear(l, .o, att.pointer, n, a.pointer)
            for i in 0..<(n * dim) { x[i] += a[i] }
            LayerMath.rmsNorm(x.pointer, lw.ffnNorm, a.pointer, rows: n, dim: dim, eps: eps)
            linear(l, .gate, a.pointer, n, gate.pointer)
            linear(l, .up, a.pointer, n, up.pointer)
            LayerMath.swiGLU(gate.pointer, up.pointer, gate.pointer, count: n * ff)
            linear(l, .down, gate.pointer, n, a.pointer)
            for i in 0..<(n * dim) { x[i] += a[i] }
        }
        return ctx
    }

    /// Row t attends rows 0...t. Per query head and block of rows [r0, r1): scores against keys
    /// 0..<r1 as one matrix product (entries above the diagonal get probability 0), softmax per
    /// row (parallel over rows), then one product with the values.
    private func causalAttention(q: UnsafePointer<T>, keys: UnsafePointer<T>, values: UnsafePointer<T>,
                                 out: UnsafeMutablePointer<T>, rows n: Int, half: Bool, pool: ThreadPool) {
        let c = config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim
        let scale = 1 / T.squareRoot(T(hd))
        let block = 128
        let scores = ScalarBuffer<T>(count: min(block, n) * n)
        let s = scores.pointer
        var r0 = 0
        while r0 < n {
            let r1 = min(r0 + block, n), m = r1 - r0
            for h in 0..<c.headCount {
                let off = (h / c.queriesPerKVHead) * hd
                T.gemm(transposeA: false, transposeB: true, m: m, n: r1, k: hd, alpha: scale, q + r0 * dim + h * hd, lda: dim,
                       keys + off, ldb: kvDim, beta: 0, s, ldc: r1)
                pool.parallelFor(m) { i in
                    let row = s + i * r1, t = r0 + i
                    var mx = -T.infinity
                    for j in 0...t { mx = max(mx, row[j]) }
                    var sum: T = 0
                    for j in 0...t { row[j] = T.exponential(row[j] - mx); sum += row[j] }
                    let inv = 1 / sum
                    // Probabilities at half precision, as the engine's V product uses them.
                    if half {
                        for j in 0...t { row[j] = T(roundedToHalfPrecision(Float((row[j] * inv).doubleValue))) }
                    } else {
                        for j in 0...t { row[j] *= inv }
                    }
                    for j in (t + 1)..<r1 { row[j] = 0 }
                }
                T.gemm(transposeA: false, transposeB: false, m: m, n: hd, k: r1, alpha: 1, s, lda: r1,
                       values + off, ldb: kvDim, beta: 0, out + r0 * dim + h * hd, ldc: dim)
            }
            r0 = r1
        }
    }
}
