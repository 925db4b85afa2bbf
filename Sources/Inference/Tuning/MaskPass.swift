/// What one pass over mask rows measured.
struct MaskPassStatistics: Sendable, Equatable {
    /// Sum over rows of -log p(label) (natural log).
    var lossSum: Double = 0
    var rows = 0
    /// Top-1 correct rows and rows per mask index (depth 1 = mask 1).
    var correctByDepth: [Int] = []
    var rowsByDepth: [Int] = []
    /// Sum over groups of the number of leading masks whose top-1 is right: the drafts a chain
    /// of the group's predictions would get accepted (teacher-forced).
    var acceptedPrefixSum = 0
    var groups = 0

    init(maskCount: Int) {
        correctByDepth = [Int](repeating: 0, count: maskCount)
        rowsByDepth = correctByDepth
    }

    mutating func add(_ o: MaskPassStatistics) {
        lossSum += o.lossSum
        rows += o.rows
        for d in 0..<min(correctByDepth.count, o.correctByDepth.count) {
            correctByDepth[d] += o.correctByDepth[d]
            rowsByDepth[d] += o.rowsByDepth[d]
        }
        acceptedPrefixSum += o.acceptedPrefixSum
        groups += o.groups
    }

    var meanLoss: Double { rows > 0 ? lossSum / Double(rows) : .nan }
    var accuracyByDepth: [Double] {
        zip(correctByDepth, rowsByDepth).map { $1 > 0 ? Double($0) / Double($1) : .nan }
    }
    /// Expected tokens per step of a greedy chain drafted by these groups: 1 (the bonus token)
    /// + mean accepted prefix.
    var expectedTau: Double { groups > 0 ? 1 + Double(acceptedPrefixSum) / Double(groups) : .nan }
}

/// Forward and backward over the mask rows of one training sequence, with the base model frozen.
///
/// Row r of a pass is mask i of group g (rows of a group are consecutive, masks ascending). Its
/// input is mask embedding i, its position start_g + i + 1 (MaskGroup). In every layer it attends,
/// in this order (the engine's order for a mask row of a DraftTree batch): the layer's prompt
/// keys/values, the context rows 0...start_g (ContextKV, constant), then masks 0...i of its own
/// group. Gradients flow into the prompt keys/values (as the pass sees them, i.e. after any
/// dropout) and the mask embeddings; the context and the weights get none.
///
/// Threads: the heavy products are BLAS calls; attention runs one task per (group, KV head),
/// each writing only its own rows' outputs and its own slice of per-group prompt-gradient
/// partials, which are then added in group order. The result does not depend on the pool size.
final class MaskPass<T: TrainingScalar> {
    let model: FrozenModel<T>
    let pool: ThreadPool
    /// Rows per chunk: groups are run in chunks of at most this many rows (bounds activation memory).
    let maxRows: Int

    // Current chunk.
    private var rowGroup: [Int] = []
    private var rowMask: [Int] = []
    private var rowPosition: [Int] = []
    private var groupFirstRow: [Int] = []
    private var chunkGroups: [MaskGroup] = []

    private var xBuf = GrowableScratch<T>(), aBuf = GrowableScratch<T>(), attBuf = GrowableScratch<T>()
    private var tmpBuf = GrowableScratch<T>(), hiddenBuf = GrowableScratch<T>(), upGradBuf = GrowableScratch<T>()
    private var savedBuf = GrowableScratch<T>(), logitBuf = GrowableScratch<T>(), lossBuf = GrowableScratch<T>()
    private var dqBuf = GrowableScratch<T>(), dkBuf = GrowableScratch<T>(), dvBuf = GrowableScratch<T>()
    private var partialBuf = GrowableScratch<T>(), scoreBuf = GrowableScratch<T>(), finalBuf = GrowableScratch<T>()
    private var argmaxBuf: UnsafeMutablePointer<Int> = .allocate(capacity: 1)
    private var argmaxCapacity = 1

    init(model: FrozenModel<T>, pool: ThreadPool, maxRows: Int = 256) {
        self.model = model
        self.pool = pool
        self.maxRows = max(1, maxRows)
    }

    deinit { argmaxBuf.deallocate() }

    /// Runs all `groups` of one sequence (chunked). With `gradients`, adds the gradient of
    /// `lossScale * (sum of row losses)` into them. `context` must hold at least the real tokens
    /// every group sees.
    func run(context: ContextKV<T>, groups: [MaskGroup], prompt: PromptBlocks<T>, masks: ScalarBuffer<T>,
             lossScale: T = 1, gradients: AdapterTensors<T>? = nil) -> MaskPassStatistics {
        var stats = MaskPassStatistics(maskCount: masks.count / model.config.dim)
        var chunk: [MaskGroup] = []
        var rows = 0
        func flush() {
            guard !chunk.isEmpty else { return }
            stats.add(runChunk(context: context, groups: chunk, prompt: prompt, masks: masks,
                               lossScale: lossScale, gradients: gradients))
            chunk = []
            rows = 0
        }
        for g in groups {
            if rows + g.rowCount > maxRows { flush() }
            chunk.append(g)
            rows += g.rowCount
        }
        flush()
        return stats
    }

    /// Logits of row r of the last chunk, [vocab]. Valid after a run without gradients (a
    /// backward pass overwrites them with their gradient).
    func logits(row r: Int) -> UnsafePointer<T> { UnsafePointer(logitBuf.buffer.pointer + r * model.config.vocabSize) }

    // MARK: - One chunk

    private func runChunk(context: ContextKV<T>, groups: [MaskGroup], prompt: PromptBlocks<T>, masks: ScalarBuffer<T>,
                          lossScale: T, gradients: AdapterTensors<T>?) -> MaskPassStatistics {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, ff = c.feedForwardDim, vocab = c.vocabSize, L = c.layerCount
        let eps = T(c.rmsNormEpsilon)
        let maskCount = masks.count / dim

        chunkGroups = groups
        rowGroup = []; rowMask = []; rowPosition = []; groupFirstRow = []
        for (gi, g) in groups.enumerated() {
            precondition(g.contextCount <= context.count, "context holds \(context.count) tokens, group needs \(g.contextCount)")
            precondition(g.rowCount <= maskCount, "group has more rows than mask embeddings")
            groupFirstRow.append(rowGroup.count)
            for i in 0..<g.rowCount {
                rowGroup.append(gi); rowMask.append(i); rowPosition.append(g.position(ofMask: i + 1))
            }
        }
        let R = rowGroup.count
        let savedStride = R * (3 * dim + 2 * kvDim + 2 * ff)
        let x = xBuf.reserve(R * dim), a = aBuf.reserve(R * dim), att = attBuf.reserve(R * dim)
        let tmp = tmpBuf.reserve(R * dim), hidden = hiddenBuf.reserve(R * ff)
        let saved = savedBuf.reserve(L * savedStride)
        let logits = logitBuf.reserve(R * vocab)
        func slots(_ l: Int) -> (xIn: UnsafeMutablePointer<T>, q: UnsafeMutablePointer<T>, k: UnsafeMutablePointer<T>,
                                 v: UnsafeMutablePointer<T>, xMid: UnsafeMutablePointer<T>,
                                 gate: UnsafeMutablePointer<T>, up: UnsafeMutablePointer<T>) {
            let base = saved + l * savedStride
            let q = base + R * dim, k = q + R * dim, v = k + R * kvDim, xMid = v + R * kvDim
            let gate = xMid + R * dim
            return (base, q, k, v, xMid, gate, gate + R * ff)
        }

        // Forward.
        for r in 0..<R { (x + r * dim).update(from: masks.pointer + rowMask[r] * dim, count: dim) }
        for l in 0..<L {
            let lw = model.layers[l]
            let s = slots(l)
            s.xIn.update(from: x, count: R * dim)
            LayerMath.rmsNorm(x, lw.attentionNorm, a, rows: R, dim: dim, eps: eps)
            LayerMath.linear(a, rows: R, lw.wq, inputs: dim, outputs: dim, s.q)
            LayerMath.linear(a, rows: R, lw.wk, inputs: dim, outputs: kvDim, s.k)
            LayerMath.linear(a, rows: R, lw.wv, inputs: dim, outputs: kvDim, s.v)
            for r in 0..<R {
                model.rope.rotate(s.q + r * dim, heads: c.headCount, position: rowPosition[r])
                model.rope.rotate(s.k + r * kvDim, heads: c.kvHeadCount, position: rowPosition[r])
            }
            attentionForward(layer: l, context: context, prompt: prompt, q: s.q, k: s.k, v: s.v, out: att)
            LayerMath.linear(att, rows: R, lw.wo, inputs: dim, outputs: dim, tmp)
            for i in 0..<(R * dim) { x[i] += tmp[i] }
            s.xMid.update(from: x, count: R * dim)
            LayerMath.rmsNorm(x, lw.ffnNorm, a, rows: R, dim: dim, eps: eps)
            LayerMath.linear(a, rows: R, lw.wGate, inputs: dim, outputs: ff, s.gate)
            LayerMath.linear(a, rows: R, lw.wUp, inputs: dim, outputs: ff, s.up)
            LayerMath.swiGLU(s.gate, s.up, hidden, count: R * ff)
            LayerMath.linear(hidden, rows: R, lw.wDown, inputs: ff, outputs: dim, tmp)
            for i in 0..<(R * dim) { x[i] += tmp[i] }
        }
        LayerMath.rmsNorm(x, model.outputNorm, a, rows: R, dim: dim, eps: eps)
        LayerMath.linear(a, rows: R, model.output, inputs: dim, outputs: vocab, logits)

        // Loss (and d loss / d logits in place when training).
        let stats = crossEntropy(rows: R, logits: logits, lossScale: lossScale, backward: gradients != nil,
                                 maskCount: maskCount)
        guard let gradients else { return stats }

        // Backward. `x` (holding the final residual) becomes d loss / d residual stream after the
        // final norm's backward; `a` and `att` are reused as gradient scratch [R, dim].
        let dx = x, da = a, datt = att
        let dq = dqBuf.reserve(R * dim), dk = dkBuf.reserve(R * kvDim), dv = dvBuf.reserve(R * kvDim)
        let dUp = upGradBuf.reserve(R * ff)
        let xFinal = finalBuf.reserve(R * dim)
        xFinal.update(from: x, count: R * dim)
        LayerMath.linearBackward(logits, rows: R, model.output, inputs: dim, outputs: vocab, tmp, accumulate: false)
        dx.update(repeating: 0, count: R * dim)
        LayerMath.rmsNormBackward(xFinal, model.outputNorm, tmp, dx, rows: R, dim: dim, eps: eps)

        for l in stride(from: L - 1, through: 0, by: -1) {
            let lw = model.layers[l]
            let s = slots(l)
            // Feed-forward: x_out = xMid + Wd * swiglu(Wg b, Wu b), b = rmsnorm(xMid).
            LayerMath.linearBackward(dx, rows: R, lw.wDown, inputs: ff, outputs: dim, hidden, accumulate: false)
            LayerMath.swiGLUBackward(s.gate, s.up, hidden, hidden, dUp, count: R * ff)
            LayerMath.linearBackward(hidden, rows: R, lw.wGate, inputs: dim, outputs: ff, da, accumulate: false)
            LayerMath.linearBackward(dUp, rows: R, lw.wUp, inputs: dim, outputs: ff, da, accumulate: true)
            LayerMath.rmsNormBackward(s.xMid, lw.ffnNorm, da, dx, rows: R, dim: dim, eps: eps)
            // Attention: xMid = xIn + Wo * attention(q, k, v), q/k/v from a = rmsnorm(xIn).
            LayerMath.linearBackward(dx, rows: R, lw.wo, inputs: dim, outputs: dim, datt, accumulate: false)
            attentionBackward(layer: l, context: context, prompt: prompt, q: s.q, k: s.k, v: s.v, dOut: datt,
                              dq: dq, dk: dk, dv: dv, gradients: gradients)
            for r in 0..<R {
                model.rope.rotateBack(dq + r * dim, heads: c.headCount, position: rowPosition[r])
                model.rope.rotateBack(dk + r * kvDim, heads: c.kvHeadCount, position: rowPosition[r])
            }
            LayerMath.linearBackward(dq, rows: R, lw.wq, inputs: dim, outputs: dim, da, accumulate: false)
            LayerMath.linearBackward(dk, rows: R, lw.wk, inputs: dim, outputs: kvDim, da, accumulate: true)
            LayerMath.linearBackward(dv, rows: R, lw.wv, inputs: dim, outputs: kvDim, da, accumulate: true)
            LayerMath.rmsNormBackward(s.xIn, lw.attentionNorm, da, dx, rows: R, dim: dim, eps: eps)
        }
        for r in 0..<R {
            let g = gradients.masks.pointer + rowMask[r] * dim, d = dx + r * dim
            for e in 0..<dim { g[e] += d[e] }
        }
        return stats
    }

    // MARK: - Cross-entropy

    private func crossEntropy(rows R: Int, logits: UnsafeMutablePointer<T>, lossScale: T, backward: Bool,
                              maskCount: Int) -> MaskPassStatistics {
        let vocab = model.config.vocabSize
        if argmaxCapacity < R {
            argmaxBuf.deallocate()
            argmaxBuf = .allocate(capacity: R)
            argmaxCapacity = R
        }
        let argmax = argmaxBuf
        let losses = lossBuf.reserve(R)
        var labels = [Int](repeating: 0, count: R)
        for r in 0..<R { labels[r] = Int(chunkGroups[rowGroup[r]].labels[rowMask[r]]) }
        labels.withUnsafeBufferPointer { lb in
            let lp = lb.baseAddress!
            pool.parallelFor(R) { r in
                let z = logits + r * vocab
                var m = z[0], best = 0
                for j in 1..<vocab where z[j] > m { m = z[j]; best = j }
                var sum: T = 0
                for j in 0..<vocab { sum += T.exponential(z[j] - m) }
                let label = lp[r]
                losses[r] = m + T.logarithm(sum) - z[label]
                argmax[r] = best
                if backward {
                    let inv = lossScale / sum
                    for j in 0..<vocab { z[j] = T.exponential(z[j] - m) * inv }
                    z[label] -= lossScale
                }
            }
        }
        var stats = MaskPassStatistics(maskCount: maskCount)
        stats.rows = R
        stats.groups = chunkGroups.count
        for r in 0..<R {
            stats.lossSum += losses[r].doubleValue
            let d = rowMask[r]
            stats.rowsByDepth[d] += 1
            if argmax[r] == labels[r] { stats.correctByDepth[d] += 1 }
        }
        for (gi, g) in chunkGroups.enumerated() {
            var i = 0
            while i < g.rowCount, argmax[groupFirstRow[gi] + i] == labels[groupFirstRow[gi] + i] { i += 1 }
            stats.acceptedPrefixSum += i
        }
        return stats
    }

    // MARK: - Attention

    /// Keys row r may attend in layer l, in order: prompt, context 0...start, own masks 0...i.
    private struct KeySpans {
        let promptCount: Int
        let contextCount: Int
        let ownFirstRow: Int
        let ownCount: Int
        var total: Int { promptCount + contextCount + ownCount }
    }

    @inline(__always)
    private func spans(row r: Int, promptCount: Int) -> KeySpans {
        let g = rowGroup[r]
        return KeySpans(promptCount: promptCount, contextCount: chunkGroups[g].contextCount,
                        ownFirstRow: groupFirstRow[g], ownCount: rowMask[r] + 1)
    }

    /// Probabilities of row r, query head h over its keys (written to s[0 ..< total]).
    @inline(__always)
    private func probabilities(_ qi: UnsafePointer<T>, _ sp: KeySpans, kvOffset off: Int, pk: UnsafePointer<T>?,
                               ck: UnsafePointer<T>, ownK: UnsafePointer<T>, scale: T,
                               _ s: UnsafeMutablePointer<T>) {
        let kvDim = model.config.kvDim, hd = model.config.headDim
        var m = -T.infinity
        var n = 0
        @inline(__always) func score(_ kp: UnsafePointer<T>) {
            var d: T = 0
            for e in 0..<hd { d += qi[e] * kp[e] }
            let v = d * scale
            s[n] = v
            if v > m { m = v }
            n += 1
        }
        if let pk { for p in 0..<sp.promptCount { score(pk + p * kvDim + off) } }
        for t in 0..<sp.contextCount { score(ck + t * kvDim + off) }
        for j in 0..<sp.ownCount { score(ownK + (sp.ownFirstRow + j) * kvDim + off) }
        var sum: T = 0
        for t in 0..<n {
            let e = T.exponential(s[t] - m)
            s[t] = e
            sum += e
        }
        let inv = 1 / sum
        for t in 0..<n { s[t] *= inv }
    }

    private func maxKeys(promptCount: Int) -> Int {
        promptCount + (chunkGroups.map(\.contextCount).max() ?? 0) + (chunkGroups.map(\.rowCount).max() ?? 0)
    }

    private func attentionForward(layer l: Int, context: ContextKV<T>, prompt: PromptBlocks<T>,
                                  q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                  out: UnsafeMutablePointer<T>) {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim, qpk = c.queriesPerKVHead
        let scale = 1 / T.squareRoot(T(hd))
        let tasks = chunkGroups.count * c.kvHeadCount
        let stride = maxKeys(promptCount: prompt.count)
        let scores = scoreBuf.reserve(tasks * stride)
        let pk = prompt.count > 0 ? prompt.keys[l] : nil, pv = prompt.count > 0 ? prompt.values[l] : nil
        let ck = UnsafePointer(context.keys[l].pointer), cv = UnsafePointer(context.values[l].pointer)
        pool.parallelFor(tasks) { task in
            let g = task / c.kvHeadCount, kvh = task % c.kvHeadCount
            let off = kvh * hd
            let s = scores + task * stride
            for i in 0..<self.chunkGroups[g].rowCount {
                let r = self.groupFirstRow[g] + i
                let sp = self.spans(row: r, promptCount: prompt.count)
                for h in (kvh * qpk)..<((kvh + 1) * qpk) {
                    self.probabilities(q + r * dim + h * hd, sp, kvOffset: off, pk: pk, ck: ck, ownK: k,
                                       scale: scale, s)
                    let o = out + r * dim + h * hd
                    for e in 0..<hd { o[e] = 0 }
                    var t = 0
                    @inline(__always) func accumulate(_ vp: UnsafePointer<T>) {
                        let p = s[t]
                        for e in 0..<hd { o[e] += p * vp[e] }
                        t += 1
                    }
                    if let pv { for p in 0..<sp.promptCount { accumulate(pv + p * kvDim + off) } }
                    for j in 0..<sp.contextCount { accumulate(cv + j * kvDim + off) }
                    for j in 0..<sp.ownCount { accumulate(v + (sp.ownFirstRow + j) * kvDim + off) }
                }
            }
        }
    }

    /// Gradients of the attention outputs `dOut` [R, dim] with respect to the rows' own q (dq,
    /// written), k and v (dk/dv, written; includes what later masks of the group send back), and
    /// the layer's prompt keys/values (added into `gradients`, per-group partials summed in order).
    private func attentionBackward(layer l: Int, context: ContextKV<T>, prompt: PromptBlocks<T>,
                                   q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                   dOut: UnsafePointer<T>, dq: UnsafeMutablePointer<T>,
                                   dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                   gradients: AdapterTensors<T>) {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim, qpk = c.queriesPerKVHead
        let R = rowGroup.count, G = chunkGroups.count, P = prompt.count
        let scale = 1 / T.squareRoot(T(hd))
        let tasks = G * c.kvHeadCount
        let stride = maxKeys(promptCount: P)
        let scores = scoreBuf.reserve(tasks * 2 * stride)
        let blockSize = P * kvDim
        let partials = partialBuf.reserve(max(1, G * 2 * blockSize))
        partials.update(repeating: 0, count: G * 2 * blockSize)
        dk.update(repeating: 0, count: R * kvDim)
        dv.update(repeating: 0, count: R * kvDim)
        let pk = P > 0 ? prompt.keys[l] : nil, pv = P > 0 ? prompt.values[l] : nil
        let ck = UnsafePointer(context.keys[l].pointer), cv = UnsafePointer(context.values[l].pointer)
        pool.parallelFor(tasks) { task in
            let g = task / c.kvHeadCount, kvh = task % c.kvHeadCount
            let off = kvh * hd
            let s = scores + task * 2 * stride, dp = s + stride
            let partialK = partials + g * 2 * blockSize, partialV = partialK + blockSize
            for i in 0..<self.chunkGroups[g].rowCount {
                let r = self.groupFirstRow[g] + i
                let sp = self.spans(row: r, promptCount: P)
                for h in (kvh * qpk)..<((kvh + 1) * qpk) {
                    let qi = q + r * dim + h * hd
                    let dOi = dOut + r * dim + h * hd
                    self.probabilities(qi, sp, kvOffset: off, pk: pk, ck: ck, ownK: k, scale: scale, s)
                    // dp_j = dO . v_j; ds_j = p_j (dp_j - sum_t p_t dp_t).
                    var n = 0
                    @inline(__always) func dotValue(_ vp: UnsafePointer<T>) {
                        var d: T = 0
                        for e in 0..<hd { d += dOi[e] * vp[e] }
                        dp[n] = d
                        n += 1
                    }
                    if let pv { for p in 0..<P { dotValue(pv + p * kvDim + off) } }
                    for j in 0..<sp.contextCount { dotValue(cv + j * kvDim + off) }
                    for j in 0..<sp.ownCount { dotValue(v + (sp.ownFirstRow + j) * kvDim + off) }
                    var mean: T = 0
                    for t in 0..<n { mean += s[t] * dp[t] }
                    for t in 0..<n { dp[t] = s[t] * (dp[t] - mean) }
                    // dq = scale * sum_j ds_j k_j; dk_j += scale * ds_j q; dv_j += p_j dO.
                    let dqi = dq + r * dim + h * hd
                    for e in 0..<hd { dqi[e] = 0 }
                    var t = 0
                    @inline(__always) func back(_ kp: UnsafePointer<T>, _ dkp: UnsafeMutablePointer<T>?,
                                                _ dvp: UnsafeMutablePointer<T>?) {
                        let ds = dp[t] * scale, p = s[t]
                        for e in 0..<hd { dqi[e] += ds * kp[e] }
                        if let dkp, let dvp {
                            for e in 0..<hd { dkp[e] += ds * qi[e]; dvp[e] += p * dOi[e] }
                        }
                        t += 1
                    }
                    if let pk {
                        for p in 0..<P { back(pk + p * kvDim + off, partialK + p * kvDim + off, partialV + p * kvDim + off) }
                    }
                    for j in 0..<sp.contextCount { back(ck + j * kvDim + off, nil, nil) }
                    for j in 0..<sp.ownCount {
                        let row = sp.ownFirstRow + j
                        back(k + row * kvDim + off, dk + row * kvDim + off, dv + row * kvDim + off)
                    }
                }
            }
        }
        guard P > 0 else { return }
        let gk = gradients.promptKeys[l].pointer, gv = gradients.promptValues[l].pointer
        for g in 0..<G {
            let partialK = partials + g * 2 * blockSize, partialV = partialK + blockSize
            for e in 0..<blockSize { gk[e] += partialK[e]; gv[e] += partialV[e] }
        }
    }
}
