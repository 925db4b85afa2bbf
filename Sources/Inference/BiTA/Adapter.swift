/// The learned parts of BiTA for one base model (see design/BITA.md section 1): per-layer prompt
/// key/value blocks that only mask-token rows attend to, and k mask-token input embeddings.
/// The base model stays frozen; an adapter is bound to it by its `ModelFingerprint`.
public struct BiTAAdapter: Sendable, Equatable {
    /// The model an adapter was made for, as recorded in the adapter file (`bita.base.*`).
    public struct BaseModel: Sendable, Hashable {
        /// `general.architecture` of the base model ("llama").
        public var architecture: String
        /// Transformer blocks of the base model; one prompt K/V pair per block.
        public var layerCount: Int
        /// Residual-stream width: floats per mask embedding.
        public var dim: Int
        /// Floats per prompt key/value row (kvHeadCount * headDim of the base model).
        public var kvDim: Int
        public var fingerprint: ModelFingerprint
        /// Human-readable name (`general.name` of the base model), for messages.
        public var name: String

        public init(architecture: String, layerCount: Int, dim: Int, kvDim: Int, fingerprint: ModelFingerprint, name: String) {
            self.architecture = architecture
            self.layerCount = layerCount
            self.dim = dim
            self.kvDim = kvDim
            self.fingerprint = fingerprint
            self.name = name
        }

        public init(config: LlamaConfig, fingerprint: ModelFingerprint) {
            self.init(architecture: "llama", layerCount: config.layerCount, dim: config.dim, kvDim: config.kvDim,
                      fingerprint: fingerprint, name: config.name)
        }
    }

    public var base: BaseModel
    /// P: prompt tokens per layer.
    public var promptCount: Int
    /// k: mask tokens per group; one group drafts k tokens.
    public var maskCount: Int
    /// [layerCount][P * kvDim]: layer l's prompt keys, row-major [P, kvDim]. Used as raw keys
    /// (no RoPE is applied to them).
    public var promptKeys: [[Float]]
    /// [layerCount][P * kvDim]: layer l's prompt values, row-major [P, kvDim].
    public var promptValues: [[Float]]
    /// [k * dim]: mask-token input embeddings, row-major [k, dim]; row i is mask M_(i+1).
    public var maskEmbeddings: [Float]
    /// Free-form facts about how the adapter was made, keyed by full metadata key (each key
    /// starts with `bita.train.`): data, steps, learning rate, loss, seed, ...
    public var trainingInfo: [String: GGUFValue]
    /// Optional re-ordering of the first mask's drafts by the root they follow (`DraftRanking`,
    /// fitted by `bita-chat tune --fit-ranking`); nil: drafts in the mask's own order.
    public var ranking: DraftRanking?

    public init(base: BaseModel, promptCount: Int, maskCount: Int, promptKeys: [[Float]], promptValues: [[Float]],
                maskEmbeddings: [Float], trainingInfo: [String: GGUFValue] = [:], ranking: DraftRanking? = nil) {
        self.base = base
        self.promptCount = promptCount
        self.maskCount = maskCount
        self.promptKeys = promptKeys
        self.promptValues = promptValues
        self.maskEmbeddings = maskEmbeddings
        self.trainingInfo = trainingInfo
        self.ranking = ranking
    }

    /// Trainable parameters: P * 2 * kvDim * layers + k * dim.
    public var parameterCount: Int {
        promptCount * 2 * base.kvDim * base.layerCount + maskCount * base.dim
    }

    /// Limits on P and k: far above useful values, low enough that a corrupt count cannot
    /// drive a huge allocation.
    public static let promptCountRange = 1...4096
    public static let maskCountRange = 1...64

    /// An adapter with every parameter drawn from N(0, 0.02^2) (the reference initialisation),
    /// deterministically from `seed`. Draw order: for each layer its keys then its values,
    /// then the mask embeddings. Drafts from it are near-random: useful for testing that BiTA
    /// is lossless and for measuring worst-case overhead.
    public static func random(for config: LlamaConfig, fingerprint: ModelFingerprint, promptCount: Int = 16,
                              maskCount: Int = 3, seed: UInt64) -> BiTAAdapter {
        precondition(promptCountRange.contains(promptCount) && maskCountRange.contains(maskCount), "P or k out of range")
        var rng = SeededRandom(seed: seed)
        let std: Float = 0.02
        var keys: [[Float]] = []
        var values: [[Float]] = []
        for _ in 0..<config.layerCount {
            keys.append(rng.normalFloats(count: promptCount * config.kvDim, std: std))
            values.append(rng.normalFloats(count: promptCount * config.kvDim, std: std))
        }
        let masks = rng.normalFloats(count: maskCount * config.dim, std: std)
        return BiTAAdapter(base: BaseModel(config: config, fingerprint: fingerprint), promptCount: promptCount,
                           maskCount: maskCount, promptKeys: keys, promptValues: values, maskEmbeddings: masks,
                           trainingInfo: ["bita.train.method": .string("random N(0, 0.02) initialisation, untrained"),
                                          "bita.train.seed": .uint64(seed)])
    }

    /// Checks that every array has the length P, k and the base dimensions imply, that counts
    /// are in range and that all values are finite. `path` names the file in messages.
    public func validate(path: String = "adapter") throws(AdapterError) {
        guard Self.promptCountRange.contains(promptCount) else {
            throw .badValue(path: path, key: "bita.prompt_count", value: "\(promptCount)",
                            reason: "it must be in \(Self.promptCountRange.lowerBound)...\(Self.promptCountRange.upperBound)")
        }
        guard Self.maskCountRange.contains(maskCount) else {
            throw .badValue(path: path, key: "bita.mask_count", value: "\(maskCount)",
                            reason: "it must be in \(Self.maskCountRange.lowerBound)...\(Self.maskCountRange.upperBound)")
        }
        guard base.layerCount >= 1, base.dim >= 1, base.kvDim >= 1 else {
            throw .badValue(path: path, key: "bita.base", value: "layers \(base.layerCount), dim \(base.dim), kv_dim \(base.kvDim)",
                            reason: "dimensions must be positive")
        }
        guard promptKeys.count == base.layerCount, promptValues.count == base.layerCount else {
            throw .invalid(path: path, reason: "\(promptKeys.count) key and \(promptValues.count) value blocks "
                + "for a base model of \(base.layerCount) layers")
        }
        let rowFloats = promptCount * base.kvDim
        for l in 0..<base.layerCount {
            for (what, block) in [("prompt_k", promptKeys[l]), ("prompt_v", promptValues[l])] {
                let name = "blk.\(l).\(what)"
                guard block.count == rowFloats else {
                    throw .invalid(path: path, reason: "\(name) holds \(block.count) floats, expected P * kv_dim = \(rowFloats)")
                }
                guard block.allSatisfy(\.isFinite) else { throw .nonFinite(path: path, tensor: name) }
            }
        }
        guard maskEmbeddings.count == maskCount * base.dim else {
            throw .invalid(path: path, reason: "mask_embd holds \(maskEmbeddings.count) floats, expected k * dim = \(maskCount * base.dim)")
        }
        guard maskEmbeddings.allSatisfy(\.isFinite) else { throw .nonFinite(path: path, tensor: "mask_embd") }
        if let r = ranking {
            guard DraftRanking.rankRange.contains(r.rank) else {
                throw .invalid(path: path, reason: "the draft ranking has rank \(r.rank); it must be in "
                    + "\(DraftRanking.rankRange.lowerBound)...\(DraftRanking.rankRange.upperBound)")
            }
            guard r.dim == base.dim else {
                throw .invalid(path: path, reason: "the draft ranking is \(r.dim) wide, the base model's embeddings \(base.dim)")
            }
            for (name, block) in [("rank_root", r.rootProjection), ("rank_next", r.nextProjection)] {
                guard block.allSatisfy(\.isFinite) else { throw .nonFinite(path: path, tensor: name) }
            }
        }
        for key in trainingInfo.keys where !key.hasPrefix("bita.train.") {
            throw .badValue(path: path, key: key, value: "", reason: "training info keys must start with bita.train.")
        }
    }

    /// Whether this adapter was made for the model with `fingerprint`.
    public func matches(_ fingerprint: ModelFingerprint) -> Bool { base.fingerprint == fingerprint }

    /// Refuses the adapter unless it was made for this model: same fingerprint, and (as a
    /// guard against a hand-edited fingerprint) the same layer count and widths.
    public func checkCompatible(with config: LlamaConfig, fingerprint: ModelFingerprint,
                                path: String = "adapter") throws(AdapterError) {
        guard matches(fingerprint) else {
            throw .modelMismatch(path: path, adapterModel: base.name, adapterFingerprint: base.fingerprint.description,
                                 loadedModel: config.name, loadedFingerprint: fingerprint.description)
        }
        let pairs = [("block count", base.layerCount, config.layerCount), ("embedding length", base.dim, config.dim),
                     ("kv dim", base.kvDim, config.kvDim)]
        for (what, mine, theirs) in pairs where mine != theirs {
            throw .dimensionMismatch(path: path, what: what, adapter: mine, model: theirs)
        }
    }
}
