/// Every setting of an adapter-tuning run. All of them except `threads` and the reporting
/// cadence change the numbers, so a checkpoint records them and a resume requires them equal.
public struct TuningConfiguration: Sendable, Equatable {
    /// P: prompt tokens per layer.
    public var promptCount = 16
    /// k: mask tokens per group.
    public var maskCount = 3
    /// Optimizer updates in the whole run (the cosine schedule spans them).
    public var steps = 1000
    /// Sequences per update.
    public var batchSize = 8
    /// Mask groups per sequence (G), at distinct random start points.
    public var groupsPerSequence = 32
    public var learningRate = 1e-2
    public var warmupSteps = 50
    /// The cosine schedule ends at this fraction of the peak rate.
    public var finalLearningRateFraction = 0.0
    public var weightDecay = 0.0
    /// Global gradient-norm clip (0 = off).
    public var gradientClip = 1.0
    /// Dropout probability on prompt keys/values during training (elementwise, inverted scaling).
    public var promptDropout = 0.1
    /// Standard deviation of the N(0, std^2) initialisation.
    public var initialStd = 0.02
    /// "random", or a digest of the adapter training starts from (set by AdapterTrainer).
    public internal(set) var initialization = "random"
    public var seed: UInt64 = 0
    /// Where real tokens' K/V come from: the trainer's F32 products, the engine's int8 kernels
    /// with the trainer's attention (fastest; closest to the decoder's numbers), or the engine's
    /// forward pass itself.
    public var contextSource: ContextSource = .kernels
    /// Mask rows per forward/backward chunk (bounds activation memory: about
    /// rows * layers * (3 dim + 2 kvDim + 2 ff) floats).
    public var maxRowsPerChunk = 256

    /// Threads for the products and attention. Attention and reductions do not depend on it;
    /// OpenBLAS is deterministic for a fixed thread count, so a bit-identical resume wants the same.
    public var threads = 1

    public enum ContextSource: String, Sendable, CaseIterable {
        case trainer, kernels, engine
    }

    public init() {}

    /// name -> value of every setting that affects the numbers, for checkpoints.
    public var recordedSettings: [String: String] {
        ["prompt_count": "\(promptCount)", "mask_count": "\(maskCount)", "steps": "\(steps)",
         "batch": "\(batchSize)", "groups": "\(groupsPerSequence)", "lr": "\(learningRate)",
         "warmup": "\(warmupSteps)", "final_lr_fraction": "\(finalLearningRateFraction)",
         "weight_decay": "\(weightDecay)", "clip": "\(gradientClip)", "prompt_dropout": "\(promptDropout)",
         "init_std": "\(initialStd)", "seed": "\(seed)", "context": contextSource.rawValue,
         "max_rows": "\(maxRowsPerChunk)", "init": initialization]
    }

    public func validate() throws(TuningError) {
        func need(_ ok: Bool, _ m: String) throws(TuningError) { if !ok { throw .invalidSetting(m) } }
        try need(BiTAAdapter.promptCountRange.contains(promptCount), "--prompt-tokens must be in 1...4096")
        try need(BiTAAdapter.maskCountRange.contains(maskCount), "--mask-tokens must be in 1...64")
        try need(steps >= 1, "--steps must be at least 1")
        try need(batchSize >= 1, "--batch must be at least 1")
        try need(groupsPerSequence >= 1, "--groups must be at least 1")
        try need(learningRate > 0 && learningRate.isFinite, "--lr must be a positive number")
        try need(warmupSteps >= 0, "--warmup must not be negative")
        try need((0..<1).contains(promptDropout), "--prompt-dropout must be in [0, 1)")
        try need(threads >= 1, "--threads must be at least 1")
        try need(maxRowsPerChunk >= maskCount, "rows per chunk must hold one mask group")
    }
}
