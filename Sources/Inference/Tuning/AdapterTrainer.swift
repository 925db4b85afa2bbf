import Foundation

/// What one optimizer update did.
public struct TuningStepReport: Sendable {
    public var step: Int
    /// Mean cross-entropy over the update's mask rows (nats), before the update.
    public var loss: Double
    public var maskTokens: Int
    public var learningRate: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    public var seconds: Double
}

/// Held-out metrics: loss, top-1 accuracy per mask depth and the chain tau they imply.
public struct TuningValidationReport: Sendable {
    public var loss: Double
    public var accuracyByDepth: [Double]
    /// 1 + mean number of leading correct masks per group (teacher-forced greedy chain).
    public var expectedTau: Double
    public var maskTokens: Int
    public var sequences: Int

    init(_ s: MaskPassStatistics, sequences: Int) {
        loss = s.meanLoss
        accuracyByDepth = s.accuracyByDepth
        expectedTau = s.expectedTau
        maskTokens = s.rows
        self.sequences = sequences
    }
}

/// Trains a BiTA adapter (prompt K/V and mask embeddings) for a frozen model on self-generated
/// records (see design/BITA.md section 4 and MaskGroup for the indexing).
///
/// One update: B training records in a seeded per-epoch order; for each, G start points drawn
/// from a generator seeded by (seed, step, record slot); the real tokens' K/V once; a
/// forward/backward pass over the mask rows with elementwise dropout on the prompt K/V; the
/// gradient of the mean loss over all mask rows of the update; global-norm clipping; AdamW with
/// warm-up + cosine. Every random choice derives from (seed, step), so the run is a function of
/// its settings and data, and a checkpoint needs no generator state beyond the step.
public final class AdapterTrainer {
    public let model: LlamaModel
    public private(set) var configuration: TuningConfiguration
    public let dataset: TuningDataset
    public let base: BiTAAdapter.BaseModel
    public let schedule: LearningRateSchedule
    /// Updates done.
    public internal(set) var step = 0
    /// Mask rows trained on so far (all updates, including before a resume).
    public internal(set) var maskTokensTrained = 0
    /// Wall-clock seconds spent in updates (including before a resume).
    public internal(set) var trainingSeconds = 0.0

    let frozen: FrozenModel<Float>
    let pool: ThreadPool
    let pass: MaskPass<Float>
    let parameters: AdapterTensors<Float>
    private let gradients: AdapterTensors<Float>
    private let sequenceGradients: AdapterTensors<Float>
    /// Prompt K/V as the pass sees them (after dropout) and the per-element dropout factor.
    private let effective: AdapterTensors<Float>
    private let dropScale: AdapterTensors<Float>
    var optimizer: AdamW
    private let engineState: RunState
    private var epochOrder: (epoch: Int, order: [Int]) = (-1, [])

    /// - Parameter initial: an adapter to start from (e.g. to continue training with a new
    ///   schedule); its P and k must match the configuration. Default: N(0, initialStd^2).
    public init(model: LlamaModel, fingerprint: ModelFingerprint, dataset: TuningDataset,
                configuration: TuningConfiguration, initial: BiTAAdapter? = nil) throws(TuningError) {
        try configuration.validate()
        let c = model.config
        guard !dataset.training.isEmpty else {
            throw .noTrainingData(reason: "every record is in the validation split or too short (a response needs 2+ tokens)")
        }
        for r in dataset.training + dataset.validation {
            if let bad = r.sequence.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
                throw .tokenOutOfRange(id: r.id, token: bad, vocabSize: c.vocabSize)
            }
            if r.sequence.count + configuration.maskCount > c.contextLength {
                throw .sequenceTooLong(id: r.id, length: r.sequence.count, contextLength: c.contextLength)
            }
        }
        if let initial {
            do { try initial.checkCompatible(with: c, fingerprint: fingerprint) } catch {
                throw .invalidSetting("the starting adapter does not fit the model: \(error)")
            }
            guard initial.promptCount == configuration.promptCount, initial.maskCount == configuration.maskCount else {
                throw .invalidSetting("the starting adapter has P=\(initial.promptCount), k=\(initial.maskCount); "
                    + "set --prompt-tokens and --mask-tokens to match")
            }
        }
        self.model = model
        self.configuration = configuration
        self.dataset = dataset
        base = BiTAAdapter.BaseModel(config: c, fingerprint: fingerprint)
        schedule = LearningRateSchedule(peak: configuration.learningRate, warmupSteps: configuration.warmupSteps,
                                        totalSteps: configuration.steps,
                                        finalFraction: configuration.finalLearningRateFraction)
        BLASThreads.set(configuration.threads)
        pool = ThreadPool(threads: configuration.threads)
        frozen = FrozenModel(model: model)
        pass = MaskPass(model: frozen, pool: pool, maxRows: configuration.maxRowsPerChunk)
        let random = BiTAAdapter.random(for: c, fingerprint: fingerprint, promptCount: configuration.promptCount,
                                        maskCount: configuration.maskCount, seed: configuration.seed)
        parameters = AdapterTensors(adapter: initial ?? random)
        if let initial {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for block in initial.promptKeys + initial.promptValues + [initial.maskEmbeddings] {
                for v in block { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
            }
            self.configuration.initialization = "adapter " + String(h, radix: 16)
        } else if configuration.initialStd != 0.02 {
            let factor = Float(configuration.initialStd / 0.02)
            for b in parameters.buffers { for i in 0..<b.count { b[i] *= factor } }
        }
        gradients = AdapterTensors(shapeOf: parameters)
        sequenceGradients = AdapterTensors(shapeOf: parameters)
        effective = AdapterTensors(shapeOf: parameters)
        dropScale = AdapterTensors(shapeOf: parameters)
        optimizer = AdamW(shapeOf: parameters, weightDecay: configuration.weightDecay)
        engineState = RunState(pool: pool)
    }

    /// Mixes the run seed with stream coordinates into an independent generator seed.
    static func streamSeed(_ seed: UInt64, _ coordinates: UInt64...) -> UInt64 {
        var h = seed
        for c in coordinates {
            var m = SplitMix64(state: h ^ (c &* 0x9e37_79b9_7f4a_7c15))
            h = m.next()
        }
        return h
    }

    /// Index into `dataset.training` of the n-th record drawn (epochs are seeded permutations).
    func recordIndex(forDraw n: Int) -> Int {
        let count = dataset.training.count
        let epoch = n / count
        if epochOrder.epoch != epoch {
            var rng = SeededRandom(seed: Self.streamSeed(configuration.seed, 0xE90C, UInt64(epoch)))
            var order = Array(0..<count)
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            epochOrder = (epoch, order)
        }
        return epochOrder.order[n % count]
    }

    func context(for tokens: [Int32]) -> ContextKV<Float> {
        switch configuration.contextSource {
        case .trainer: return frozen.encodeContext(tokens, pool: pool)
        case .kernels: return frozen.encodeContext(tokens, pool: pool, quantizedKernelsOf: model)
        case .engine: return ContextKV(engine: model, tokens: tokens, state: engineState)
        }
    }

    /// Groups of a record for a given generator.
    func groups(for record: TuningRecord, rng: inout SeededRandom) -> [MaskGroup] {
        let seq = record.sequence
        return MaskGroup.sampleStarts(promptCount: record.promptTokens.count, sequenceCount: seq.count,
                                      count: configuration.groupsPerSequence, rng: &rng)
            .compactMap { MaskGroup(sequence: seq, start: $0, maskCount: configuration.maskCount) }
    }

    /// Runs one optimizer update.
    @discardableResult
    public func trainStep() -> TuningStepReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let cfg = configuration
        var plan: [(record: TuningRecord, groups: [MaskGroup], slot: Int)] = []
        for b in 0..<cfg.batchSize {
            let record = dataset.training[recordIndex(forDraw: step * cfg.batchSize + b)]
            var rng = SeededRandom(seed: Self.streamSeed(cfg.seed, 0x6A0F, UInt64(step), UInt64(b)))
            plan.append((record, groups(for: record, rng: &rng), b))
        }
        let rows = plan.reduce(0) { $0 + $1.groups.reduce(0) { $0 + $1.rowCount } }
        gradients.zero()
        var stats = MaskPassStatistics(maskCount: cfg.maskCount)
        for item in plan where !item.groups.isEmpty {
            let seq = item.record.sequence
            let needed = item.groups.map(\.contextCount).max()!
            let ctx = context(for: Array(seq[0..<needed]))
            var rng = SeededRandom(seed: Self.streamSeed(cfg.seed, 0xD409, UInt64(step), UInt64(item.slot)))
            let prompt = applyDropout(rng: &rng)
            sequenceGradients.zero()
            stats.add(pass.run(context: ctx, groups: item.groups, prompt: prompt, masks: parameters.masks,
                               lossScale: 1 / Float(rows), gradients: sequenceGradients))
            accumulateSequenceGradients()
        }
        let norm = gradients.squaredNorm.squareRoot()
        if cfg.gradientClip > 0, norm > cfg.gradientClip {
            let factor = Float(cfg.gradientClip / (norm + 1e-6))
            for b in gradients.buffers { for i in 0..<b.count { b[i] *= factor } }
        }
        let lr = schedule.rate(at: step)
        optimizer.apply(gradients, to: parameters, learningRate: lr)
        step += 1
        maskTokensTrained += rows
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        trainingSeconds += seconds
        return TuningStepReport(step: step, loss: stats.meanLoss, maskTokens: rows, learningRate: lr,
                                gradientNorm: norm, seconds: seconds)
    }

    /// Fills `effective` with the dropped-out prompt K/V (and `dropScale` with the factors).
    private func applyDropout(rng: inout SeededRandom) -> PromptBlocks<Float> {
        let p = Float(configuration.promptDropout)
        guard p > 0 else { return parameters.promptKV() }
        let keep = 1 / (1 - p)
        for l in 0..<parameters.layerCount {
            for (src, dst, scale) in [(parameters.promptKeys[l], effective.promptKeys[l], dropScale.promptKeys[l]),
                                      (parameters.promptValues[l], effective.promptValues[l], dropScale.promptValues[l])] {
                for i in 0..<src.count {
                    let f: Float = rng.nextUniformFloat() < p ? 0 : keep
                    scale[i] = f
                    dst[i] = src[i] * f
                }
            }
        }
        return effective.promptKV()
    }

    private func accumulateSequenceGradients() {
        let dropout = configuration.promptDropout > 0
        for l in 0..<parameters.layerCount {
            for (g, s, f) in [(gradients.promptKeys[l], sequenceGradients.promptKeys[l], dropScale.promptKeys[l]),
                              (gradients.promptValues[l], sequenceGradients.promptValues[l], dropScale.promptValues[l])] {
                if dropout { for i in 0..<g.count { g[i] += s[i] * f[i] } } else { for i in 0..<g.count { g[i] += s[i] } }
            }
        }
        for i in 0..<gradients.masks.count { gradients.masks[i] += sequenceGradients.masks[i] }
    }

    /// Loss, per-depth accuracy and chain tau on the validation split (or the first `limit`
    /// records of it). Groups are drawn from a fixed generator per record, independent of the
    /// run's seed and step, so every evaluation (and every run) sees the same groups.
    public func validate(limit: Int? = nil, groupsPerSequence: Int? = nil) -> TuningValidationReport {
        let records = Array(dataset.validation.prefix(limit ?? dataset.validation.count))
        var stats = MaskPassStatistics(maskCount: configuration.maskCount)
        let g = groupsPerSequence ?? configuration.groupsPerSequence
        for (i, record) in records.enumerated() {
            var rng = SeededRandom(seed: Self.streamSeed(0x7A11D, UInt64(i)))
            let seq = record.sequence
            let groups = MaskGroup.sampleStarts(promptCount: record.promptTokens.count, sequenceCount: seq.count,
                                                count: g, rng: &rng)
                .compactMap { MaskGroup(sequence: seq, start: $0, maskCount: configuration.maskCount) }
            guard let needed = groups.map(\.contextCount).max() else { continue }
            let ctx = context(for: Array(seq[0..<needed]))
            stats.add(pass.run(context: ctx, groups: groups, prompt: parameters.promptKV(), masks: parameters.masks))
        }
        return TuningValidationReport(stats, sequences: records.count)
    }

    /// The adapter as trained so far, with how it was made in `bita.train.*`.
    public func adapter(extraInfo: [String: GGUFValue] = [:]) -> BiTAAdapter {
        var info: [String: GGUFValue] = [
            "bita.train.method": .string("bi-directional tuning on self-generated data (bita-chat tune)"),
            "bita.train.steps": .uint64(UInt64(step)),
            "bita.train.mask_tokens": .uint64(UInt64(maskTokensTrained)),
            "bita.train.records": .uint64(UInt64(dataset.training.count)),
            "bita.train.seconds": .float64(trainingSeconds),
        ]
        for (k, v) in configuration.recordedSettings { info["bita.train.setting." + k] = .string(v) }
        for (k, v) in extraInfo { info[k] = v }
        return parameters.adapter(base: base, trainingInfo: info)
    }

    /// Decoder-ready parameters of the current adapter.
    public func decoderParameters() -> BiTAParameters { BiTAParameters(adapter: adapter()) }
}
