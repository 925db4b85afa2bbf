import Foundation

/// A LLaMA-architecture model over a memory-mapped GGUF file: immutable, shareable.
/// `forward` runs n new rows through all layers against a KV cache (see ForwardBatch for the
/// visibility rules) and writes logits for the rows asked for.
///
/// Bit-exactness: every per-row computation (norms, RoPE, matmul columns, attention over an
/// ordered key list) is independent of the other rows in the batch, so a row's logits are the
/// same bits whether it runs alone or inside any batch.
public final class LlamaModel: Sendable {
    public let file: GGUFFile
    public let config: LlamaConfig
    let weights: LlamaWeights
    let rope: RopeTable

    public init(file: GGUFFile) throws {
        self.file = file
        config = try LlamaConfig(file: file)
        weights = try LlamaWeights(file: file, config: config)
        rope = RopeTable(headDim: config.headDim, rotatedDims: config.ropeDimensionCount, base: config.ropeFreqBase,
                         positions: config.contextLength)
    }

    public convenience init(path: String) throws {
        try self.init(file: try GGUFFile(path: path))
    }

    /// Token `t`'s input embedding row, [dim] floats, exactly as the forward pass reads it.
    public func embedding(of t: Int32, into out: UnsafeMutablePointer<Float>) {
        precondition(t >= 0 && Int(t) < config.vocabSize, "token id \(t) out of range")
        weights.tokenEmbedding.dequantizeRow(Int(t), into: out)
    }

    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layerCount: config.layerCount, kvDim: config.kvDim, capacity: capacity ?? config.contextLength)
    }

    /// Runs `batch` and appends its rows to `cache`. `logitRows` lists batch rows whose logits
    /// are wanted; they are written to `logits[k * vocab ..< (k + 1) * vocab]` for the k-th entry.
    /// `extraEmbeddings` holds the vectors `.embedding(i)` refers to ([count][dim]).
    public func forward(_ batch: ForwardBatch, cache: KVCache, state: RunState,
                        promptKV: PromptKV? = nil, extraEmbeddings: UnsafePointer<Float>? = nil,
                        logitRows: [Int], logits: UnsafeMutablePointer<Float>) {
        let n = batch.count
        let c = config
        let dim = c.dim
        precondition(n > 0)
        state.reserve(rows: n, config: c, keys: (promptKV?.count ?? 0) + cache.count + n, heads: c.headCount)
        let pool = state.pool
        let x = state.x, xb = state.xb

        // Embeddings.
        for (i, input) in batch.inputs.enumerated() {
            switch input {
            case .token(let t):
                precondition(t >= 0 && Int(t) < c.vocabSize, "token id \(t) out of range")
                let w = weights.tokenEmbedding
                dequantizeRow(w.type, w.base + Int(t) * w.type.byteCount(elements: w.cols)!, count: dim, x + i * dim)
            case .embedding(let e):
                guard let extra = extraEmbeddings else { preconditionFailure("batch uses extra embeddings but none given") }
                (x + i * dim).update(from: extra + e * dim, count: dim)
            }
        }

        let start = cache.append(positions: batch.positions)

        for l in 0..<c.layerCount {
            queryKeyValue(layer: l, rows: n, positions: batch.positions, state: state)
            // Attention runs at llama.cpp's default KV precision: keys, values and queries are
            // rounded to IEEE half (its f16 cache and the f16 conversion of q for the K dot).
            // Stored as Float: the rounding is what matters for agreement, not the bytes.
            for i in 0..<n {
                storeHalfPrecision(row: i, into: cache, at: start + i, layer: l, state: state)
            }
            attention(layer: l, batch: batch, start: start, cache: cache, promptKV: promptKV, state: state)
            outputAndFeedForward(layer: l, rows: n, state: state)
        }

        guard !logitRows.isEmpty else { return }
        for (kRow, i) in logitRows.enumerated() {
            rmsNorm(x + i * dim, weights.outputNorm, xb + kRow * dim, dim, c.rmsNormEpsilon)
        }
        matmul(weights.output, xb, n: logitRows.count, logits, pool: pool)
    }

    /// Layer l's first half for rows 0..<n of state.x: RMSNorm into xb, then q, k, v and RoPE
    /// at each row's position.
    func queryKeyValue(layer l: Int, rows n: Int, positions: [Int], state: RunState) {
        let c = config, lw = weights.layers[l], pool = state.pool
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim
        let x = state.x, xb = state.xb, q = state.q, k = state.k, v = state.v
        for i in 0..<n { rmsNorm(x + i * dim, lw.attentionNorm, xb + i * dim, dim, c.rmsNormEpsilon) }
        matmul([lw.wq, lw.wk, lw.wv], xb, n: n, [q, k, v], pool: pool)
        for i in 0..<n {
            for h in 0..<c.headCount { rope.rotate(q + i * dim + h * hd, position: positions[i]) }
            for h in 0..<c.kvHeadCount { rope.rotate(k + i * kvDim + h * hd, position: positions[i]) }
        }
    }

    /// Row i's k and v into `cache` row `row` of layer l, and its q in place, rounded to half.
    @inline(__always)
    func storeHalfPrecision(row i: Int, into cache: KVCache, at row: Int, layer l: Int, state: RunState) {
        let dim = config.dim, kvDim = config.kvDim
        let ck = cache.keys[l] + row * kvDim, cv = cache.values[l] + row * kvDim
        let k = state.k + i * kvDim, v = state.v + i * kvDim, q = state.q + i * dim
        for e in 0..<kvDim {
            ck[e] = KVElement(k[e])
            cv[e] = KVElement(v[e])
        }
        for e in 0..<dim { q[e] = roundedToHalfPrecision(q[e]) }
    }

    /// Layer l's second half for rows 0..<n: x += Wo·attentionOut, then
    /// x += Wdown·(silu(Wgate·norm(x)) * Wup·norm(x)).
    func outputAndFeedForward(layer l: Int, rows n: Int, state: RunState) {
        let c = config, lw = weights.layers[l], pool = state.pool
        let dim = c.dim, ff = c.feedForwardDim
        let x = state.x, xb = state.xb, h1 = state.hidden1, h2 = state.hidden2
        matmul(lw.wo, state.attentionOut, n: n, xb, pool: pool)
        for i in 0..<(n * dim) { x[i] += xb[i] }
        for i in 0..<n { rmsNorm(x + i * dim, lw.ffnNorm, xb + i * dim, dim, c.rmsNormEpsilon) }
        matmul([lw.wGate, lw.wUp], xb, n: n, [h1, h2], pool: pool)
        Exponential.siluTimes(h1, h2, count: n * ff)
        matmul(lw.wDown, h1, n: n, xb, pool: pool)
        for i in 0..<(n * dim) { x[i] += xb[i] }
    }

    /// Attention for every (row, head) of the batch. Keys of row i, in this fixed order:
    /// prompt K/V (mask rows only), cache rows [0, start), then visible new rows ascending.
    private func attention(layer l: Int, batch: ForwardBatch, start: Int, cache: KVCache,
                           promptKV: PromptKV?, state: RunState) {
        let c = config
        let n = batch.count, hd = c.headDim, dim = c.dim, kvDim = c.kvDim
        let groups = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let q = state.q, out = state.attentionOut
        let keys = cache.keys[l], values = cache.values[l]
        let scoreStride = state.scoreStride
        let scores = state.scores
        let visible = batch.visible
        let promptCount = promptKV?.count ?? 0
        let pk = promptKV?.keys[l], pv = promptKV?.values[l]
        // Row i's keys for key/value head g, as runs in the order above.
        func visitKeys(row i: Int, kvHead g: Int,
                       _ visit: (_ keys: UnsafePointer<KVElement>, _ values: UnsafePointer<KVElement>, _ count: Int) -> Void) {
            let kvOffset = g * hd
            if batch.seesPromptKV[i] && promptCount > 0, let pk, let pv { visit(pk + kvOffset, pv + kvOffset, promptCount) }
            if start > 0 { visit(keys + kvOffset, values + kvOffset, start) }
            // Visible new rows, ascending, as runs of consecutive rows.
            var j = 0
            while j < n {
                guard visible[i * n + j] || j == i else { j += 1; continue }
                var end = j + 1
                while end < n && (visible[i * n + end] || end == i) { end += 1 }
                let row = (start + j) * kvDim + kvOffset
                visit(keys + row, values + row, end - j)
                j = end
            }
        }
        // One task per row and key/value head runs its three query heads together (each key and
        // value read once for them; the same bits). A one-row step on several threads keeps one
        // task per query head: three tasks would leave one of two threads idle a third of the time.
        if (n >= 2 || state.pool.threads == 1) && hd == 64 && groups == 3 && AttentionKernel.groupVectorized {
            state.pool.parallelFor(n * c.kvHeadCount) { task in
                let i = task / c.kvHeadCount, g = task % c.kvHeadCount
                let h = g * groups
                AttentionKernel.attendGroup(query: q + i * dim + h * hd, stride: kvDim, scale: scale,
                                            scores: scores + (i * c.headCount + h) * scoreStride, scoreStride: scoreStride,
                                            out: out + i * dim + h * hd) { visit in
                    visitKeys(row: i, kvHead: g, visit)
                }
            }
            return
        }
        state.pool.parallelFor(n * c.headCount) { task in
            let i = task / c.headCount, h = task % c.headCount
            AttentionKernel.attend(query: q + i * dim + h * hd, headDim: hd, stride: kvDim, scale: scale,
                                   scores: scores + task * scoreStride, out: out + i * dim + h * hd) { visit in
                visitKeys(row: i, kvHead: h / groups, visit)
            }
        }
    }
}

/// y = x / rms(x) * weight, rms over `dim` values.
@inline(__always)
func rmsNorm(_ x: UnsafePointer<Float>, _ weight: [Float], _ y: UnsafeMutablePointer<Float>, _ dim: Int, _ eps: Float) {
    var ss: Float = 0
    for i in 0..<dim { ss += x[i] * x[i] }
    let scale = 1 / (ss / Float(dim) + eps).squareRoot()
    weight.withUnsafeBufferPointer { w in
        for i in 0..<dim { y[i] = x[i] * scale * w[i] }
    }
}
