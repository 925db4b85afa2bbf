import Foundation

/// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay decoupled
/// from the gradient, p -= lr * (m_hat / (sqrt(v_hat) + eps) + weightDecay * p). Moments are
/// kept in Float, like the parameters, so a checkpoint restores them exactly.
struct AdamW {
    var beta1: Double = 0.9
    var beta2: Double = 0.999
    var epsilon: Double = 1e-8
    var weightDecay: Double = 0
    let firstMoment: AdapterTensors<Float>
    let secondMoment: AdapterTensors<Float>
    /// Updates applied so far (the t of the bias correction).
    var updates = 0

    init(shapeOf p: AdapterTensors<Float>, weightDecay: Double) {
        firstMoment = AdapterTensors(shapeOf: p)
        secondMoment = AdapterTensors(shapeOf: p)
        self.weightDecay = weightDecay
    }

    mutating func apply(_ gradients: AdapterTensors<Float>, to parameters: AdapterTensors<Float>, learningRate: Double) {
        updates += 1
        for (((p, g), m), v) in zip(zip(zip(parameters.buffers, gradients.buffers), firstMoment.buffers), secondMoment.buffers) {
            Self.update(p.pointer, gradients: g.pointer, firstMoment: m.pointer, secondMoment: v.pointer, count: p.count,
                        learningRate: learningRate, updates: updates, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay)
        }
    }

    /// One AdamW update of `count` parameters with their gradients and moments, at the bias
    /// correction of `updates` (already counted for this step).
    static func update(_ pp: UnsafeMutablePointer<Float>, gradients gp: UnsafePointer<Float>,
                       firstMoment mp: UnsafeMutablePointer<Float>, secondMoment vp: UnsafeMutablePointer<Float>, count: Int,
                       learningRate: Double, updates: Int, beta1: Double = 0.9, beta2: Double = 0.999,
                       epsilon: Double = 1e-8, weightDecay: Double = 0) {
        let c1 = Float(1 - pow(beta1, Double(updates))), c2 = Float(1 - pow(beta2, Double(updates)))
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon), lr = Float(learningRate), wd = Float(weightDecay)
        for i in 0..<count {
            let gi = gp[i]
            mp[i] = b1 * mp[i] + (1 - b1) * gi
            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
            let mHat = mp[i] / c1, vHat = vp[i] / c2
            pp[i] -= lr * (mHat / (vHat.squareRoot() + eps) + wd * pp[i])
        }
    }
}

/// Linear warm-up to the peak rate, then a cosine decay to `finalFraction` of it at the last step.
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var finalFraction: Double

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, finalFraction: Double = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.finalFraction = finalFraction
    }

    /// Rate for update `step` (0-based).
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        let cosine = 0.5 * (1 + cos(Double.pi * progress))
        return peak * (finalFraction + (1 - finalFraction) * cosine)
    }
}
