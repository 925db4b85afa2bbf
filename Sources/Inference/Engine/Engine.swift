import Foundation

/// Everything needed to answer: the model, its tokenizer, an optional BiTA adapter and a thread
/// pool. Immutable and shareable; decoders (which own a KV cache) are made per conversation.
public final class Engine: Sendable {
    public let modelPath: String
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let fingerprint: ModelFingerprint
    public let adapterPath: String?
    public let adapter: BiTAAdapter?
    public let bita: BiTAParameters?
    public let pool: ThreadPool
    /// KV cache rows per conversation.
    public let contextLength: Int
    /// Whether adaptive decoders may also draft from the context (`ContextLookup`).
    public let contextDrafts: Bool
    private let costs = Locked<StepCostModel?>(nil)
    /// What the adaptive decoders of this engine have measured so far (made on first use).
    private let chooserMemory = Locked<ShapeChooserMemory?>(nil)

    /// Where the BiTA parameters come from.
    public enum AdapterChoice: Sendable, Equatable {
        case none
        case file(String)
        /// Random prompt K/V and mask embeddings of the model's shape (N(0, 0.02), 16 prompt and
        /// 3 mask tokens): drafts that are almost never accepted, BiTA's worst case.
        case random(seed: UInt64)
    }

    public convenience init(modelPath: String, adapterPath: String?, threads: Int, contextLength: Int? = nil,
                            contextDrafts: Bool = true) throws {
        try self.init(modelPath: modelPath, adapter: adapterPath.map { .file($0) } ?? .none,
                      threads: threads, contextLength: contextLength, contextDrafts: contextDrafts)
    }

    public init(modelPath: String, adapter choice: AdapterChoice, threads: Int, contextLength: Int? = nil,
                contextDrafts: Bool = true) throws {
        self.modelPath = modelPath
        self.contextDrafts = contextDrafts
        let file = try GGUFFile(path: modelPath)
        model = try LlamaModel(file: file)
        tokenizer = try Tokenizer(gguf: file)
        fingerprint = ModelFingerprint(file: file)
        switch choice {
        case .none:
            adapter = nil
            bita = nil
            adapterPath = nil
        case .file(let path):
            let a = try BiTAAdapter.load(path: path, for: model.config, fingerprint: fingerprint)
            adapter = a
            bita = BiTAParameters(adapter: a)
            adapterPath = path
        case .random(let seed):
            adapter = nil
            bita = BiTAParameters.random(config: model.config, maskCount: 3, std: 0.02, seed: seed)
            adapterPath = "random (seed \(seed))"
        }
        pool = ThreadPool(threads: threads)
        self.contextLength = min(contextLength ?? model.config.contextLength, model.config.contextLength)
    }

    /// The machine's cost curve for this model and thread count (measured once, cached on disk).
    public var costModel: StepCostModel {
        if let c = costs.withLock({ $0 }) { return c }
        let measured = StepCostCalibration.cached(model: model, fingerprint: fingerprint, pool: pool)
        costs.withLock { $0 = measured }
        return measured
    }

    /// Validation accuracy per depth recorded by the tuner, used as the chooser's prior; at
    /// depth 1 the ranked drafts' held-out accuracy when the adapter has a draft ranking.
    var acceptancePrior: [Double]? {
        guard let info = adapter?.trainingInfo else { return nil }
        var out: [Double] = []
        for d in 1...max(1, adapter?.maskCount ?? 1) {
            guard let v = info["bita.train.val_top1_depth\(d)"]?.floatValue else { break }
            out.append(Double(v))
        }
        if adapter?.ranking != nil, let ranked = info["bita.train.rank_heldout_top1"]?.floatValue, !out.isEmpty {
            out[0] = Double(ranked)
        }
        return out.isEmpty ? nil : out
    }

    public func makeDecoder(mode: DecodingMode, tree: TreeShape?, sampling: SamplingParameters, seed: UInt64) -> SpeculativeDecoder {
        let decoder = SpeculativeDecoder(model: model, bita: bita, cache: model.makeCache(capacity: contextLength), pool: pool,
                                         policy: policy(mode: mode, tree: tree), sampling: sampling, seed: seed)
        if !contextDrafts { decoder.contextLookup = nil }
        return decoder
    }

    public func policy(mode: DecodingMode, tree: TreeShape?) -> ShapePolicy {
        guard mode == .bita, let bita else { return .autoregressive }
        if let tree { return .fixed(tree) }
        let memory = chooserMemory.withLock { m in
            if let m { return m }
            let made = ShapeChooserMemory(maskCount: bita.maskCount, costModel: costModel, prior: acceptancePrior)
            m = made
            return made
        }
        return .adaptive(ShapeChooser(maskCount: bita.maskCount, costModel: costModel, prior: acceptancePrior, memory: memory))
    }

    /// Prompt ids for a conversation, rendered with the model's chat template.
    public func promptTokens(for conversation: [ChatMessage]) -> [Int32] {
        tokenizer.encode(conversation: conversation)
    }

    public func textHooks() -> Generation.TextHooks {
        let detok = Locked(StreamingDetokenizer(tokenizer: tokenizer))
        let tokenizer = self.tokenizer
        return Generation.TextHooks(
            stream: { id in detok.withLock { $0.append(id) } },
            flush: { detok.withLock { $0.finish() } },
            piece: { id in tokenizer.displayText(id) })
    }

    /// Looks for `prompts/<model file name without .gguf>.bita.gguf` under each directory.
    public static func defaultAdapterPath(forModel modelPath: String, searching roots: [String]) -> String? {
        var stem = (modelPath as NSString).lastPathComponent
        if stem.hasSuffix(".gguf") { stem.removeLast(5) }
        for root in roots {
            let candidate = (root as NSString).appendingPathComponent("prompts/\(stem)\(BiTAAdapter.fileExtension)")
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }
}
