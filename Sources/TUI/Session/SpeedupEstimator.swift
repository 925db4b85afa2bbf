import Inference

/// How much faster the current BiTA answer is than plain decoding would be, from step timings
/// measured in this session, for the status bar.
///
/// τ alone is not a speedup: a BiTA step runs the model on several rows and costs more than a
/// plain step, so an answer with τ 1.4 can be slower than plain decoding. The estimate divides
/// what the answer's tokens would have cost as plain one-row steps by what its steps did cost:
///
///     speedup = tokens × (ms of a one-row step) / (ms of the answer's steps)
///
/// One-row step times come from AR answers and from BiTA steps where the shape chooser decoded
/// plainly; until `minimumPlainSteps` of them were seen there is no estimate.
struct SpeedupEstimator {
    static let minimumPlainSteps = 4

    /// Exponential average of one-row step times, in milliseconds (weight 1/8 per new step, so a
    /// machine that gets busier is followed within a few dozen steps).
    private(set) var plainStepMilliseconds: Double?
    private var plainSteps = 0

    /// The current answer: tokens emitted and milliseconds spent in its steps.
    private var answerTokens = 0
    private var answerMilliseconds = 0.0

    mutating func beginAnswer() {
        answerTokens = 0
        answerMilliseconds = 0
    }

    mutating func observe(_ step: StepSummary) {
        guard step.milliseconds.isFinite, step.milliseconds > 0 else { return }
        answerTokens += step.acceptedDrafts + 1
        answerMilliseconds += step.milliseconds
        if step.batchSize == 1 {
            plainSteps += 1
            plainStepMilliseconds = plainStepMilliseconds.map { $0 + (step.milliseconds - $0) / 8 } ?? step.milliseconds
        }
    }

    /// BiTA / plain speed of the current answer, or nil while unknown.
    var estimate: Double? {
        guard plainSteps >= Self.minimumPlainSteps, let plain = plainStepMilliseconds,
              answerTokens > 0, answerMilliseconds > 0 else { return nil }
        return Double(answerTokens) * plain / answerMilliseconds
    }
}
