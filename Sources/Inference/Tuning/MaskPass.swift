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
/// Threads: the heavy products (linear layers, LM head, attention against prompt and context
/// keys) are BLAS calls; the remaining loops run in parallel over rows, each task writing only
/// its own row; sums across rows (prompt-K/V gradients, own-group K/V gradients, mask
/// gradients) happen in BLAS or in serial loops of fixed order. So results depend on the BLAS
/// thread count at most, never on the pool's.
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
    private var scoreBuf = GrowableScratch<T>(), finalBuf = GrowableScratch<T>()
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
                let label = lp[r]
                let labelLogit = z[label]
                var sum: T = 0
                if backward {
                    // z becomes exp(z - m), then softmax * lossScale - onehot * lossScale.
                    for j in 0..<vocab { let e = T.exponential(z[j] - m); z[j] = e; sum += e }
                    let inv = lossScale / sum
                    for j in 0..<vocab { z[j] *= inv }
                    z[label] -= lossScale
                } else {
                    for j in 0..<vocab { sum += T.exponential(z[j] - m) }
                }
                losses[r] = m + T.logarithm(sum) - labelLogit
                argmax[r] = best
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
    //
    // Per query head and per block of rows, the scores against the prompt keys and against the
    // context keys are two matrix products (the context part spans the longest context in the
    // block; entries beyond a row's own context get probability 0). The few own-group keys of a
    // row (at most k) are handled by plain loops. Score matrix of a block: [rows, P + C + k],
    // columns [prompt | context 0..<C | own masks 0..<k].

    private static var rowBlock: Int { 64 }

    private struct Block {
        let first: Int
        let count: Int
        /// Longest context of a row in the block.
        let context: Int
        /// Columns of the score matrix: P + context + k.
        let width: Int
    }

    private func blocks(promptCount: Int, maskCount: Int) -> [Block] {
        var out: [Block] = []
        var r0 = 0
        let R = rowGroup.count
        while r0 < R {
            let r1 = min(r0 + Self.rowBlock, R)
            let ctx = (r0..<r1).map { chunkGroups[rowGroup[$0]].contextCount }.max()!
            out.append(Block(first: r0, count: r1 - r0, context: ctx, width: promptCount + ctx + maskCount))
            r0 = r1
        }
        return out
    }

    /// Probabilities of the block's rows for query head h, written to `s` [count, width].
    private func probabilities(_ b: Block, head h: Int, layer l: Int, context: ContextKV<T>, prompt: PromptBlocks<T>,
                               q: UnsafePointer<T>, k: UnsafePointer<T>, maskCount: Int, _ s: UnsafeMutablePointer<T>) {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim
        let off = (h / c.queriesPerKVHead) * hd
        let P = prompt.count, C = b.context, W = b.width
        let scale = 1 / T.squareRoot(T(hd))
        let qh = q + b.first * dim + h * hd
        if P > 0 {
            T.gemm(transposeA: false, transposeB: true, m: b.count, n: P, k: hd, alpha: scale, qh, lda: dim,
                   prompt.keys[l] + off, ldb: kvDim, beta: 0, s, ldc: W)
        }
        T.gemm(transposeA: false, transposeB: true, m: b.count, n: C, k: hd, alpha: scale, qh, lda: dim,
               context.keys[l].pointer + off, ldb: kvDim, beta: 0, s + P, ldc: W)
        pool.parallelFor(b.count) { i in
            let r = b.first + i
            let row = s + i * W
            let g = self.rowGroup[r]
            let ctx = self.chunkGroups[g].contextCount, own = self.rowMask[r] + 1, first = self.groupFirstRow[g]
            let qi = q + r * dim + h * hd
            for j in 0..<own {
                let kp = k + (first + j) * kvDim + off
                var d: T = 0
                for e in 0..<hd { d += qi[e] * kp[e] }
                row[P + C + j] = d * scale
            }
            var m = -T.infinity
            for j in 0..<P { m = max(m, row[j]) }
            for j in 0..<ctx { m = max(m, row[P + j]) }
            for j in 0..<own { m = max(m, row[P + C + j]) }
            var sum: T = 0
            for j in 0..<P { row[j] = T.exponential(row[j] - m); sum += row[j] }
            for j in 0..<ctx { row[P + j] = T.exponential(row[P + j] - m); sum += row[P + j] }
            for j in 0..<own { row[P + C + j] = T.exponential(row[P + C + j] - m); sum += row[P + C + j] }
            let inv = 1 / sum
            for j in 0..<P { row[j] *= inv }
            for j in 0..<ctx { row[P + j] *= inv }
            for j in ctx..<C { row[P + j] = 0 }
            for j in 0..<own { row[P + C + j] *= inv }
            for j in own..<maskCount { row[P + C + j] = 0 }
        }
    }

    private func attentionForward(layer l: Int, context: ContextKV<T>, prompt: PromptBlocks<T>,
                                  q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                  out: UnsafeMutablePointer<T>) {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim
        let maskCount = chunkGroups.map(\.rowCount).max()!
        let P = prompt.count
        for b in blocks(promptCount: P, maskCount: maskCount) {
            let s = scoreBuf.reserve(b.count * b.width)
            for h in 0..<c.headCount {
                let off = (h / c.queriesPerKVHead) * hd
                probabilities(b, head: h, layer: l, context: context, prompt: prompt, q: q, k: k, maskCount: maskCount, s)
                let oh = out + b.first * dim + h * hd
                T.gemm(transposeA: false, transposeB: false, m: b.count, n: hd, k: b.context, alpha: 1, s + P, lda: b.width,
                       context.values[l].pointer + off, ldb: kvDim, beta: 0, oh, ldc: dim)
                if P > 0 {
                    T.gemm(transposeA: false, transposeB: false, m: b.count, n: hd, k: P, alpha: 1, s, lda: b.width,
                           prompt.values[l] + off, ldb: kvDim, beta: 1, oh, ldc: dim)
                }
                let ownColumn = P + b.context
                pool.parallelFor(b.count) { i in
                    let r = b.first + i
                    let first = self.groupFirstRow[self.rowGroup[r]]
                    let o = out + r * dim + h * hd, row = s + i * b.width + ownColumn
                    for j in 0...self.rowMask[r] {
                        let p = row[j], vp = v + (first + j) * kvDim + off
                        for e in 0..<hd { o[e] += p * vp[e] }
                    }
                }
            }
        }
    }

    /// Gradients of the attention outputs `dOut` [R, dim] with respect to the rows' own q (dq,
    /// written), k and v (dk/dv, written; includes what later masks of the group send back), and
    /// the layer's prompt keys/values (added into `gradients`; heads and blocks in fixed order).
    private func attentionBackward(layer l: Int, context: ContextKV<T>, prompt: PromptBlocks<T>,
                                   q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                   dOut: UnsafePointer<T>, dq: UnsafeMutablePointer<T>,
                                   dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                   gradients: AdapterTensors<T>) {
        let c = model.config
        let dim = c.dim, kvDim = c.kvDim, hd = c.headDim
        let R = rowGroup.count, P = prompt.count
        let maskCount = chunkGroups.map(\.rowCount).max()!
        let scale = 1 / T.squareRoot(T(hd))
        dk.update(repeating: 0, count: R * kvDim)
        dv.update(repeating: 0, count: R * kvDim)
        let gk = gradients.promptKeys[l].pointer, gv = gradients.promptValues[l].pointer
        for b in blocks(promptCount: P, maskCount: maskCount) {
            let W = b.width, C = b.context, ownColumn = P + C
            let s = scoreBuf.reserve(2 * b.count * W), d = s + b.count * W
            for h in 0..<c.headCount {
                let off = (h / c.queriesPerKVHead) * hd
                probabilities(b, head: h, layer: l, context: context, prompt: prompt, q: q, k: k, maskCount: maskCount, s)
                let qh = q + b.first * dim + h * hd, dOh = dOut + b.first * dim + h * hd
                // dP = dO * V^T, then dS = P * (dP - sum_j P_j dP_j) (zero where P is).
                if P > 0 {
                    T.gemm(transposeA: false, transposeB: true, m: b.count, n: P, k: hd, alpha: 1, dOh, lda: dim,
                           prompt.values[l] + off, ldb: kvDim, beta: 0, d, ldc: W)
                }
                T.gemm(transposeA: false, transposeB: true, m: b.count, n: C, k: hd, alpha: 1, dOh, lda: dim,
                       context.values[l].pointer + off, ldb: kvDim, beta: 0, d + P, ldc: W)
                pool.parallelFor(b.count) { i in
                    let r = b.first + i
                    let first = self.groupFirstRow[self.rowGroup[r]], own = self.rowMask[r] + 1
                    let srow = s + i * W, drow = d + i * W
                    let dOi = dOut + r * dim + h * hd
                    for j in 0..<own {
                        let vp = v + (first + j) * kvDim + off
                        var acc: T = 0
                        for e in 0..<hd { acc += dOi[e] * vp[e] }
                        drow[ownColumn + j] = acc
                    }
                    for j in own..<maskCount { drow[ownColumn + j] = 0 }
                    var mean: T = 0
                    for j in 0..<W { mean += srow[j] * drow[j] }
                    for j in 0..<W { drow[j] = srow[j] * (drow[j] - mean) }
                }
                // dQ = scale * dS * K.
                let dqh = dq + b.first * dim + h * hd
                T.gemm(transposeA: false, transposeB: false, m: b.count, n: hd, k: C, alpha: scale, d + P, lda: W,
                       context.keys[l].pointer + off, ldb: kvDim, beta: 0, dqh, ldc: dim)
                if P > 0 {
                    T.gemm(transposeA: false, transposeB: false, m: b.count, n: hd, k: P, alpha: scale, d, lda: W,
                           prompt.keys[l] + off, ldb: kvDim, beta: 1, dqh, ldc: dim)
                    // dK_prompt += scale * dS_prompt^T * Q; dV_prompt += P_prompt^T * dO.
                    T.gemm(transposeA: true, transposeB: false, m: P, n: hd, k: b.count, alpha: scale, d, lda: W,
                           qh, ldb: dim, beta: 1, gk + off, ldc: kvDim)
                    T.gemm(transposeA: true, transposeB: false, m: P, n: hd, k: b.count, alpha: 1, s, lda: W,
                           dOh, ldb: dim, beta: 1, gv + off, ldc: kvDim)
                }
                pool.parallelFor(b.count) { i in
                    let r = b.first + i
                    let first = self.groupFirstRow[self.rowGroup[r]]
                    let dqi = dq + r * dim + h * hd, drow = d + i * W + ownColumn
                    for j in 0...self.rowMask[r] {
                        let ds = drow[j] * scale, kp = k + (first + j) * kvDim + off
                        for e in 0..<hd { dqi[e] += ds * kp[e] }
                    }
                }
                // Own-group keys/values: row r sends gradient to rows first...r of its group.
                for i in 0..<b.count {
                    let r = b.first + i
                    let first = self.groupFirstRow[self.rowGroup[r]]
                    let qi = q + r * dim + h * hd, dOi = dOut + r * dim + h * hd
                    let srow = s + i * W + ownColumn, drow = d + i * W + ownColumn
                    for j in 0...rowMask[r] {
                        let ds = drow[j] * scale, p = srow[j]
                        let dkp = dk + (first + j) * kvDim + off, dvp = dv + (first + j) * kvDim + off
                        for e in 0..<hd { dkp[e] += ds * qi[e]; dvp[e] += p * dOi[e] }
                    }
                }
            }
        }
    }
}
