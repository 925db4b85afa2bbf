/// The learned parts BiTA adds to a frozen model, in the layout the forward pass reads:
/// per-layer prompt keys/values [promptCount, kvDim] (no RoPE) and maskCount input embeddings
/// [maskCount, dim]. Owns its memory; `promptKV` and `maskEmbeddings` point into it. The prompt
/// keys and values are held as binary16 (`KVElement`, nearest even), the precision at which
/// attention reads every key and value.
public final class BiTAParameters: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let promptCount: Int
    public let maskCount: Int
    public let kvDim: Int
    public let dim: Int
    /// Re-ordering of the first mask's drafts by their root, when the adapter has one.
    public let ranking: DraftRanking?
    private let keyStorage: [UnsafeMutablePointer<KVElement>]
    private let valueStorage: [UnsafeMutablePointer<KVElement>]
    private let maskStorage: UnsafeMutablePointer<Float>

    /// - Parameters: promptKeys/promptValues: [layer][promptCount * kvDim]; maskEmbeddings: [maskCount * dim].
    public init(promptKeys: [[Float]], promptValues: [[Float]], maskEmbeddings: [Float],
                promptCount: Int, maskCount: Int, kvDim: Int, dim: Int, ranking: DraftRanking? = nil) {
        precondition(promptKeys.count == promptValues.count)
        precondition(ranking == nil || ranking!.dim == dim, "draft ranking width")
        precondition(promptKeys.allSatisfy { $0.count == promptCount * kvDim })
        precondition(promptValues.allSatisfy { $0.count == promptCount * kvDim })
        precondition(maskEmbeddings.count == maskCount * dim)
        self.promptCount = promptCount
        self.maskCount = maskCount
        self.kvDim = kvDim
        self.dim = dim
        self.ranking = ranking
        func copy(_ a: [Float]) -> UnsafeMutablePointer<Float> {
            let p = allocateCacheLineAligned(Float.self, count: a.count)
            p.initialize(from: a, count: a.count)
            return p
        }
        func copyHalf(_ a: [Float]) -> UnsafeMutablePointer<KVElement> {
            let p = allocateCacheLineAligned(KVElement.self, count: a.count)
            for (i, x) in a.enumerated() { (p + i).initialize(to: KVElement(x)) }
            return p
        }
        keyStorage = promptKeys.map(copyHalf)
        valueStorage = promptValues.map(copyHalf)
        maskStorage = copy(maskEmbeddings)
    }

    deinit {
        keyStorage.forEach { UnsafeMutableRawPointer($0).deallocate() }
        valueStorage.forEach { UnsafeMutableRawPointer($0).deallocate() }
        UnsafeMutableRawPointer(maskStorage).deallocate()
    }

    public var promptKV: PromptKV {
        PromptKV(count: promptCount, keys: keyStorage.map { UnsafePointer($0) },
                 values: valueStorage.map { UnsafePointer($0) })
    }
    public var maskEmbeddings: UnsafePointer<Float> { UnsafePointer(maskStorage) }

    /// Random parameters, N(0, std) (the reference initialisation; also the worst-case drafter).
    public static func random(config: LlamaConfig, promptCount: Int = 16, maskCount: Int = 3,
                              std: Double = 0.02, seed: UInt64) -> BiTAParameters {
        var rng = SeededRandom(seed: seed)
        func gaussians(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextGaussian() * std) } }
        let keys = (0..<config.layerCount).map { _ in gaussians(promptCount * config.kvDim) }
        let values = (0..<config.layerCount).map { _ in gaussians(promptCount * config.kvDim) }
        // Mask embeddings start at the scale of real token embeddings' typical norm is unknown
        // here; N(0, std) like the prompts keeps the reference's choice.
        let masks = gaussians(maskCount * config.dim)
        return BiTAParameters(promptKeys: keys, promptValues: values, maskEmbeddings: masks,
                              promptCount: promptCount, maskCount: maskCount, kvDim: config.kvDim, dim: config.dim)
    }
}

extension BiTAParameters {
    /// The decoder-ready form of an adapter (validated against the model by the loader).
    public convenience init(adapter a: BiTAAdapter) {
        self.init(promptKeys: a.promptKeys, promptValues: a.promptValues, maskEmbeddings: a.maskEmbeddings,
                  promptCount: a.promptCount, maskCount: a.maskCount, kvDim: a.base.kvDim, dim: a.base.dim,
                  ranking: a.ranking)
    }
}
