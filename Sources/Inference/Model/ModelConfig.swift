/// Hyperparameters of a LLaMA-architecture model, read from GGUF metadata (`llama.*` keys) and
/// checked against the tensor table: every tensor the forward pass needs must exist with the
/// shape these numbers imply. Shapes below are in GGUF order (ne0 first = row length).
public struct LlamaConfig: Sendable, Hashable {
    /// Architectures this engine can run (`general.architecture`).
    public static let supportedArchitectures = ["llama"]

    /// `general.name`, or the file name when the model has none. For messages only.
    public var name: String
    /// Width of the residual stream: floats per token between layers (`llama.embedding_length`).
    public var dim: Int
    /// Number of transformer blocks (`llama.block_count`).
    public var layerCount: Int
    /// Inner width of the SwiGLU feed-forward network (`llama.feed_forward_length`).
    public var feedForwardDim: Int
    /// Number of query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// Number of key/value heads; fewer than `headCount` means grouped-query attention
    /// (`llama.attention.head_count_kv`, default `headCount`).
    public var kvHeadCount: Int
    /// Tokens in the vocabulary: rows of the embedding and of the output head
    /// (count of `tokenizer.ggml.tokens`).
    public var vocabSize: Int
    /// Longest sequence the model was trained on, in tokens (`llama.context_length`).
    public var contextLength: Int
    /// RoPE base frequency theta: pair i of a head rotates by position * theta^(-2i/ropeDimensionCount)
    /// (`llama.rope.freq_base`, default 10000).
    public var ropeFreqBase: Float
    /// Leading dimensions of each head that RoPE rotates (`llama.rope.dimension_count`, default `headDim`).
    public var ropeDimensionCount: Int
    /// Epsilon added to the mean square inside RMSNorm (`llama.attention.layer_norm_rms_epsilon`).
    public var rmsNormEpsilon: Float
    /// True when the file has no `output.weight`: the output head reuses `token_embd.weight`.
    public var tiedEmbeddings: Bool

    /// Floats per head (query, key and value alike).
    public var headDim: Int { dim / headCount }
    /// Floats per token in each layer's key (and value) cache row: kvHeadCount * headDim.
    public var kvDim: Int { kvHeadCount * headDim }
    /// Query heads sharing one key/value head.
    public var queriesPerKVHead: Int { headCount / kvHeadCount }

    public init(name: String, dim: Int, layerCount: Int, feedForwardDim: Int, headCount: Int, kvHeadCount: Int,
                vocabSize: Int, contextLength: Int, ropeFreqBase: Float = 10000, ropeDimensionCount: Int? = nil,
                rmsNormEpsilon: Float = 1e-5, tiedEmbeddings: Bool) {
        self.name = name
        self.dim = dim
        self.layerCount = layerCount
        self.feedForwardDim = feedForwardDim
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensionCount = ropeDimensionCount ?? (headCount > 0 ? dim / headCount : 0)
        self.rmsNormEpsilon = rmsNormEpsilon
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Reads the metadata of `file` and validates the tensor table against it.
    public init(file: GGUFFile) throws(ModelConfigError) {
        let path = file.path
        guard let arch = file.metadata["general.architecture"] else { throw .missingArchitecture(path: path) }
        guard let architecture = arch.stringValue else {
            throw .badValue(path: path, key: "general.architecture", value: arch.summary, reason: "it must be a string")
        }
        guard Self.supportedArchitectures.contains(architecture) else {
            throw .unsupportedArchitecture(path: path, architecture: architecture)
        }

        func integer(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int>) throws(ModelConfigError) -> Int {
            guard let value = file.metadata[key] else {
                if let fallback { return fallback }
                throw .missingKey(path: path, key: key)
            }
            guard let v = value.intValue, value.boolValue == nil else {
                throw .badValue(path: path, key: key, value: "\(value.typeName) \(value.summary)", reason: "it must be an integer")
            }
            guard range.contains(v) else {
                throw .badValue(path: path, key: key, value: "\(v)",
                                reason: "it must be in \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        func real(_ key: String, default fallback: Float? = nil) throws(ModelConfigError) -> Float {
            guard let value = file.metadata[key] else {
                if let fallback { return fallback }
                throw .missingKey(path: path, key: key)
            }
            guard let v = value.floatValue, value.boolValue == nil else {
                throw .badValue(path: path, key: key, value: "\(value.typeName) \(value.summary)", reason: "it must be a number")
            }
            guard v.isFinite, v > 0 else {
                throw .badValue(path: path, key: key, value: "\(v)", reason: "it must be a positive finite number")
            }
            return v
        }

        // Upper bounds are far above any real model; they keep products like dim * vocab in range.
        let dim = try integer("llama.embedding_length", range: 1...65536)
        let layers = try integer("llama.block_count", range: 1...1024)
        let ff = try integer("llama.feed_forward_length", range: 1...1 << 20)
        let heads = try integer("llama.attention.head_count", range: 1...dim)
        let kvHeads = try integer("llama.attention.head_count_kv", default: heads, range: 1...heads)
        let context = try integer("llama.context_length", range: 1...1 << 24)
        let theta = try real("llama.rope.freq_base", default: 10000)
        let eps = try real("llama.attention.layer_norm_rms_epsilon")

        guard dim % heads == 0 else {
            throw .badValue(path: path, key: "llama.attention.head_count", value: "\(heads)",
                            reason: "it must divide llama.embedding_length (\(dim))")
        }
        guard heads % kvHeads == 0 else {
            throw .badValue(path: path, key: "llama.attention.head_count_kv", value: "\(kvHeads)",
                            reason: "it must divide llama.attention.head_count (\(heads))")
        }
        let headDim = dim / heads
        // Separate key/value head widths are allowed by the format; this engine needs them equal to dim / heads.
        for key in ["llama.attention.key_length", "llama.attention.value_length"] {
            if file.metadata[key] != nil {
                let v = try integer(key, range: 1...65536)
                guard v == headDim else {
                    throw .badValue(path: path, key: key, value: "\(v)",
                                    reason: "only head widths equal to embedding_length / head_count (\(headDim)) are supported")
                }
            }
        }
        let ropeDims = try integer("llama.rope.dimension_count", default: headDim, range: 2...headDim)
        guard ropeDims % 2 == 0 else {
            throw .badValue(path: path, key: "llama.rope.dimension_count", value: "\(ropeDims)", reason: "it must be even")
        }

        guard let tokens = file.metadata["tokenizer.ggml.tokens"] else {
            throw .missingKey(path: path, key: "tokenizer.ggml.tokens")
        }
        guard let vocab = tokens.arrayValue?.count, vocab > 0 else {
            throw .badValue(path: path, key: "tokenizer.ggml.tokens", value: tokens.summary, reason: "it must be a non-empty array")
        }
        if file.metadata["llama.vocab_size"] != nil {
            let declared = try integer("llama.vocab_size", range: 1...1 << 24)
            guard declared == vocab else {
                throw .badValue(path: path, key: "llama.vocab_size", value: "\(declared)",
                                reason: "the tokenizer has \(vocab) tokens")
            }
        }

        let fileName = String(path.split(separator: "/").last ?? Substring(path))
        self.init(name: file.string("general.name") ?? fileName, dim: dim, layerCount: layers, feedForwardDim: ff,
                  headCount: heads, kvHeadCount: kvHeads, vocabSize: vocab, contextLength: context,
                  ropeFreqBase: theta, ropeDimensionCount: ropeDims, rmsNormEpsilon: eps,
                  tiedEmbeddings: file.tensor(named: "output.weight") == nil)
        try validateTensors(of: file)
    }

    /// One tensor the forward pass reads, with its GGUF-order shape.
    public struct ExpectedTensor: Sendable, Hashable {
        public var name: String
        public var dimensions: [Int]
    }

    /// Name of a per-layer tensor, e.g. `layerTensorName(3, "attn_q")` = "blk.3.attn_q.weight".
    public static func layerTensorName(_ layer: Int, _ role: String) -> String { "blk.\(layer).\(role).weight" }

    /// Every tensor the forward pass reads, in a stable order. `output.weight` is listed only
    /// when the embeddings are not tied.
    public var expectedTensors: [ExpectedTensor] {
        var out = [ExpectedTensor(name: "token_embd.weight", dimensions: [dim, vocabSize]),
                   ExpectedTensor(name: "output_norm.weight", dimensions: [dim])]
        if !tiedEmbeddings { out.append(ExpectedTensor(name: "output.weight", dimensions: [dim, vocabSize])) }
        for l in 0..<layerCount {
            // Matrices are [input width, output width]: each row (ne0) is one output's weights.
            let roles: [(String, [Int])] = [
                ("attn_norm", [dim]), ("attn_q", [dim, dim]), ("attn_k", [dim, kvDim]), ("attn_v", [dim, kvDim]),
                ("attn_output", [dim, dim]), ("ffn_norm", [dim]), ("ffn_gate", [dim, feedForwardDim]),
                ("ffn_up", [dim, feedForwardDim]), ("ffn_down", [feedForwardDim, dim]),
            ]
            for (role, dims) in roles { out.append(ExpectedTensor(name: Self.layerTensorName(l, role), dimensions: dims)) }
        }
        return out
    }

    /// Checks that `file` has every expected tensor with the expected shape (a trailing 1 in
    /// GGUF dimensions is ignored: [576, 1] is the same as [576]).
    public func validateTensors(of file: GGUFFile) throws(ModelConfigError) {
        for expected in expectedTensors {
            guard let t = file.tensor(named: expected.name) else {
                throw .missingTensor(path: file.path, name: expected.name, expected: expected.dimensions)
            }
            var found = t.dimensions
            while found.count > expected.dimensions.count, found.last == 1 { found.removeLast() }
            guard found == expected.dimensions else {
                throw .tensorShape(path: file.path, name: expected.name, expected: expected.dimensions, found: t.dimensions)
            }
        }
    }
}

/// Why a model's metadata or tensor table cannot be used.
public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
    case missingArchitecture(path: String)
    case unsupportedArchitecture(path: String, architecture: String)
    case missingKey(path: String, key: String)
    case badValue(path: String, key: String, value: String, reason: String)
    case missingTensor(path: String, name: String, expected: [Int])
    case tensorShape(path: String, name: String, expected: [Int], found: [Int])

    public var description: String {
        func shape(_ d: [Int]) -> String { "[" + d.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .missingArchitecture(path):
            return "\(path) has no general.architecture key, so it is not a model bita-chat can run"
        case let .unsupportedArchitecture(path, architecture):
            return "\(path): architecture \(architecture) is not supported "
                + "(supported: \(LlamaConfig.supportedArchitectures.joined(separator: ", ")))"
        case let .missingKey(path, key):
            return "\(path) lacks the metadata key \(key), which a llama model needs; the file is incomplete or was converted by an incompatible tool"
        case let .badValue(path, key, value, reason):
            return "\(path): metadata \(key) = \(value) is invalid: \(reason)"
        case let .missingTensor(path, name, expected):
            return "\(path) lacks tensor \(name) (expected shape \(shape(expected))); the file is incomplete or not a llama model"
        case let .tensorShape(path, name, expected, found):
            return "\(path): tensor \(name) has shape \(shape(found)), but the metadata implies \(shape(expected)); "
                + "the file is corrupt or its metadata does not match its weights"
        }
    }
}
