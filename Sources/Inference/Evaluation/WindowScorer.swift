import Foundation

/// What the model predicted at the scored positions of one window.
public struct WindowScore: Sendable {
    /// Negative log-likelihood of the true next token, per scored position (nats).
    public var nll: [Double]
    /// Top-1 token per scored position (first index on ties, as numpy's argmax).
    public var argmax: [Int32]
    /// Top-1 minus top-2 logit per scored position (0 for an exact tie).
    public var margin: [Float]

    public var meanNLL: Double { nll.reduce(0, +) / Double(max(1, nll.count)) }
}

/// Runs perplexity windows through a model: each window from an empty KV cache, rows fed as
/// causal chunks of `chunkRows` (the same path as prompt prefill in decoding), logits of every
/// scored position turned into NLL, argmax and top-2 margin in Float64.
///
/// Owns its cache and scratch buffers: one scorer per task.
public final class WindowScorer {
    public let model: LlamaModel
    public let context: Int
    public let chunkRows: Int
    let pool: ThreadPool
    let cache: KVCache
    let state: RunState
    /// [chunkRows][vocab] logits of the current chunk.
    private var logits: [Float]

    public init(model: LlamaModel, pool: ThreadPool, context: Int, chunkRows: Int = 64) throws(EvaluationError) {
        guard context >= 2 else { throw .contextTooSmall(context) }
        guard context <= model.config.contextLength else {
            throw .contextTooLarge(context: context, modelContext: model.config.contextLength)
        }
        self.model = model
        self.pool = pool
        self.context = context
        self.chunkRows = max(1, min(chunkRows, context))
        cache = model.makeCache(capacity: context)
        state = RunState(pool: pool)
        logits = [Float](repeating: 0, count: self.chunkRows * model.config.vocabSize)
    }

    /// Scores one window: `inputs[j]` predicts `inputs[j + 1]` for j in 0 ..< inputs.count - 1.
    public func score(_ inputs: [Int32]) -> WindowScore {
        precondition(inputs.count >= 2 && inputs.count <= context, "window of \(inputs.count) tokens, scorer context \(context)")
        let vocab = model.config.vocabSize
        let scored = inputs.count - 1
        var nll = [Double](repeating: 0, count: scored)
        var argmax = [Int32](repeating: 0, count: scored)
        var margin = [Float](repeating: 0, count: scored)
        cache.reset()
        var start = 0
        while start < inputs.count {
            let end = min(start + chunkRows, inputs.count)
            let rows = Array(0..<(min(end, scored) - start))  // the last input predicts nothing
            logits.withUnsafeMutableBufferPointer { buf in
                let base = buf.baseAddress!
                model.forward(.causal(tokens: Array(inputs[start..<end]), startPosition: start), cache: cache,
                              state: state, logitRows: rows, logits: base)
                nll.withUnsafeMutableBufferPointer { nllOut in
                    argmax.withUnsafeMutableBufferPointer { argOut in
                        margin.withUnsafeMutableBufferPointer { marginOut in
                            let first = start
                            pool.parallelFor(rows.count) { k in
                                let p = first + k
                                let r = RowStatistics(base + k * vocab, count: vocab, target: Int(inputs[p + 1]))
                                nllOut[p] = r.nll
                                argOut[p] = Int32(r.argmax)
                                marginOut[p] = r.margin
                            }
                        }
                    }
                }
            }
            start = end
        }
        return WindowScore(nll: nll, argmax: argmax, margin: margin)
    }
}

/// Log-softmax of one logit row at a target, plus its top-1 and top-2.
struct RowStatistics {
    var nll: Double
    var argmax: Int
    var margin: Float

    init(_ row: UnsafePointer<Float>, count: Int, target: Int) {
        var best = 0
        var top1 = row[0]
        var top2 = -Float.infinity
        for t in 1..<count {
            let v = row[t]
            if v > top1 { top2 = top1; top1 = v; best = t } else if v > top2 { top2 = v }
        }
        let m = Double(top1)
        var sum = 0.0
        for t in 0..<count { sum += exp(Double(row[t]) - m) }
        nll = m + log(sum) - Double(row[target])
        argmax = best
        margin = top1 - top2
    }
}
