// Interim: replaced by the validated config type.
public struct LlamaConfig: Sendable, Hashable {
    public var dim: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var ffDim: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var ropeBase: Float
    public var normEpsilon: Float
    public var headDim: Int { dim / headCount }
    public var kvDim: Int { headDim * kvHeadCount }

    public init(file: GGUFFile) throws {
        dim = file.int("llama.embedding_length")!
        layerCount = file.int("llama.block_count")!
        headCount = file.int("llama.attention.head_count")!
        kvHeadCount = file.int("llama.attention.head_count_kv") ?? headCount
        ffDim = file.int("llama.feed_forward_length")!
        vocabSize = file.stringArray("tokenizer.ggml.tokens")!.count
        contextLength = file.int("llama.context_length") ?? 2048
        ropeBase = file.float("llama.rope.freq_base") ?? 10000
        normEpsilon = file.float("llama.attention.layer_norm_rms_epsilon") ?? 1e-5
    }
}
