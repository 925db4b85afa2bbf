import Foundation

/// Greedy answers for many prompts at once, for making tuning data. Each sequence has its own
/// KV cache; one decode step runs one new token of every active sequence through the layers
/// together, so each quantized weight block is streamed once per step for all of them (the
/// single-sequence decoder streams every weight once per token).
///
/// The answers are the engine's own greedy answers, bit for bit: prompts are prefilled with
/// LlamaModel.forward, and a decode step repeats LlamaModel.forward's per-row arithmetic in the
/// same order (the engine's matmul kernels give each column the same bits for any batch width;
/// norms, RoPE, attention over cache rows 0...pos, SwiGLU and residual adds are per row).
/// TuningDataGeneratorTests pins this against SpeculativeDecoder.
public final class BatchedGreedyGenerator {
    public let model: LlamaModel
    let pool: ThreadPool
    let state: RunState

    private final class Sequence {
        let id: String
        let prompt: [Int32]
        var response: [Int32] = []
        let cache: KVCache
        init(id: String, prompt: [Int32], cache: KVCache) {
            self.id = id; self.prompt = prompt; self.cache = cache
        }
    }

    public init(model: LlamaModel, threads: Int) {
        self.model = model
        pool = ThreadPool(threads: threads)
        state = RunState(pool: pool)
    }

    /// Answers every prompt (up to `maxTokens` tokens, ending with the first stop token when one
    /// comes, which is kept) with at most `width` sequences in flight; `finished` is called in
    /// completion order. Prompts longer than the context (with room for the answer) are skipped.
    public func run(_ prompts: [(id: String, tokens: [Int32])], maxTokens: Int, stopTokens: Set<Int32>, width: Int,
                    finished: (TuningRecord) throws -> Void) rethrows {
        let c = model.config
        let vocab = c.vocabSize
        var waiting = prompts[...]
        var active: [Sequence] = []
        var logits = [Float](repeating: 0, count: vocab)
        func done(_ s: Sequence) -> Bool {
            s.response.count >= maxTokens || stopTokens.contains(s.response.last ?? -1)
                || s.cache.count + 1 > s.cache.capacity
        }
        while !waiting.isEmpty || !active.isEmpty {
            // Refill: prefill new prompts with the engine and take their first answer token.
            while active.count < width, let next = waiting.popFirst() {
                guard !next.tokens.isEmpty, next.tokens.count + 1 < c.contextLength else { continue }
                let s = Sequence(id: next.id, prompt: next.tokens,
                                 cache: model.makeCache(capacity: min(next.tokens.count + maxTokens, c.contextLength)))
                var i = 0
                while i < s.prompt.count {
                    let piece = Array(s.prompt[i..<min(i + 64, s.prompt.count)])
                    let last = i + piece.count == s.prompt.count
                    logits.withUnsafeMutableBufferPointer {
                        model.forward(.causal(tokens: piece, startPosition: i), cache: s.cache, state: state,
                                      logitRows: last ? [piece.count - 1] : [], logits: $0.baseAddress!)
                    }
                    i += piece.count
                }
                s.response.append(logits.withUnsafeBufferPointer { SamplingParameters.argmax($0.baseAddress!, count: vocab) })
                if done(s) { try finished(TuningRecord(id: s.id, promptTokens: s.prompt, responseTokens: s.response)) } else { active.append(s) }
            }
            guard !active.isEmpty else { continue }
            let next = step(active)
            var still: [Sequence] = []
            for (s, t) in zip(active, next) {
                s.response.append(t)
                if done(s) { try finished(TuningRecord(id: s.id, promptTokens: s.prompt, responseTokens: s.response)) } else { still.append(s) }
            }
            active = still
        }
    }

    /// Runs the newest token of every sequence (one row each, at position cache.count) and
    /// returns each row's argmax.
    private func step(_ seqs: [Sequence]) -> [Int32] {
        let c = model.config
        let n = seqs.count
        let dim = c.dim, vocab = c.vocabSize
        let w = model.weights
        let maxKeys = seqs.map { $0.cache.count + 1 }.max()!
        state.reserve(rows: n, config: c, keys: maxKeys, heads: c.headCount)
        let x = state.x, xb = state.xb
        for (i, s) in seqs.enumerated() {
            let t = s.response.last!
            let e = w.tokenEmbedding
            dequantizeRow(e.type, e.base + Int(t) * e.type.byteCount(elements: e.cols)!, count: dim, x + i * dim)
        }
        let positions = seqs.map { $0.cache.count }
        let rows = seqs.map { $0.cache.append(positions: [$0.cache.count]) }
        for l in 0..<c.layerCount {
            // The engine's layer halves around this batch's own attention (one row per sequence).
            model.queryKeyValue(layer: l, rows: n, positions: positions, state: state)
            for i in 0..<n { model.storeHalfPrecision(row: i, into: seqs[i].cache, at: rows[i], layer: l, state: state) }
            attention(layer: l, seqs, rows: rows)
            model.outputAndFeedForward(layer: l, rows: n, state: state)
        }
        for i in 0..<n { rmsNorm(x + i * dim, w.outputNorm, xb + i * dim, dim, c.rmsNormEpsilon) }
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: n * vocab)
        defer { logits.deallocate() }
        matmul(w.output, xb, n: n, logits, pool: pool)
        return (0..<n).map { SamplingParameters.argmax(logits + $0 * vocab, count: vocab) }
    }

    /// Row i attends its own cache rows 0...rows[i] in order (the engine's order for a
    /// one-row batch: cache rows, then the row itself).
    private func attention(layer l: Int, _ seqs: [Sequence], rows: [Int]) {
        let c = model.config
        let n = seqs.count, hd = c.headDim, dim = c.dim, kvDim = c.kvDim
        let groups = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        let q = state.q, out = state.attentionOut
        let scoreStride = state.scoreStride, scores = state.scores
        let keys = seqs.map { UnsafePointer($0.cache.keys[l]) }, values = seqs.map { UnsafePointer($0.cache.values[l]) }
        pool.parallelFor(n * c.headCount) { task in
            let i = task / c.headCount, h = task % c.headCount
            let off = (h / groups) * hd
            let kp = keys[i] + off, vp = values[i] + off
            AttentionKernel.attend(query: q + i * dim + h * hd, headDim: hd, stride: kvDim, scale: scale,
                                   scores: scores + task * scoreStride, out: out + i * dim + h * hd) { visit in
                visit(kp, vp, rows[i] + 1)
            }
        }
    }
}
