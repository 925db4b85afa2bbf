import Foundation

/// Perplexity of a model over a tokenized text, window by window (see PerplexityWindows), with
/// optional teacher-forced top-1 agreement against a reference engine's argmax ids.
public struct PerplexityResult: Sendable {
    public var context: Int
    public var windows: Int
    /// Scored positions.
    public var scored: Int
    /// Sum of NLL (nats) and of its square over scored positions.
    public var totalNLL: Double
    public var totalSquaredNLL: Double
    public var windowMeanNLL: [Double]
    public var seconds: Double
    public var agreement: TopOneAgreement?

    public var meanNLL: Double { totalNLL / Double(max(1, scored)) }
    public var perplexity: Double { exp(meanNLL) }
    /// Standard error of the mean NLL (positions treated as independent, as llama.cpp does).
    public var meanNLLStandardError: Double {
        guard scored > 1 else { return 0 }
        let n = Double(scored)
        let variance = max(0, totalSquaredNLL / n - meanNLL * meanNLL) * n / (n - 1)
        return (variance / n).squareRoot()
    }
    /// Input tokens (every row of every window) run per second.
    public var tokensPerSecond: Double { seconds > 0 ? Double(windows * context) / seconds : 0 }
}

public enum PerplexityRun {
    /// Progress after each window: (windows done, windows in total, running perplexity).
    public typealias Progress = (_ done: Int, _ total: Int, _ perplexity: Double) -> Void

    /// Scores the first `maxWindows` windows (default: all) of `text`.
    /// `reference`, when given, must describe the same text and windows; its argmax ids are
    /// compared position by position.
    public static func evaluate(model: LlamaModel, pool: ThreadPool, text: [Int32], windows: PerplexityWindows,
                                maxWindows: Int? = nil, chunkRows: Int = 64,
                                reference: PerplexityReference.Evaluation? = nil,
                                progress: Progress? = nil) throws(EvaluationError) -> PerplexityResult {
        let scorer = try WindowScorer(model: model, pool: pool, context: windows.context, chunkRows: chunkRows)
        let n = min(maxWindows ?? windows.count, windows.count)
        var result = PerplexityResult(context: windows.context, windows: n, scored: 0, totalNLL: 0, totalSquaredNLL: 0,
                                      windowMeanNLL: [], seconds: 0, agreement: reference == nil ? nil : TopOneAgreement())
        let started = DispatchTime.now().uptimeNanoseconds
        for w in 0..<n {
            let score = scorer.score(windows.inputs(ofWindow: w, text: text))
            result.scored += score.nll.count
            for v in score.nll { result.totalNLL += v; result.totalSquaredNLL += v * v }
            result.windowMeanNLL.append(score.meanNLL)
            if let reference, w < reference.windows {
                let off = w * windows.scoredPerWindow
                result.agreement?.add(ours: score.argmax, ourMargins: score.margin,
                                      reference: reference.argmax[off..<(off + windows.scoredPerWindow)],
                                      referenceMargins: reference.margin[off..<(off + windows.scoredPerWindow)], offset: off)
            }
            result.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            progress?(w + 1, n, result.perplexity)
        }
        return result
    }
}
