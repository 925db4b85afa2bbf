import Foundation
import Testing
@testable import Inference

/// Small synthetic llama files (zero weights) for config and adapter tests.
enum TinyLlama {
    struct Shape {
        var dim = 16, layers = 2, heads = 4, kvHeads = 2, ff = 24, vocab = 10, context = 64
        var tied = true
        var architecture = "llama"
    }

    /// Writes a model of `shape`; `edit` may change metadata or tensors before writing.
    static func write(_ s: Shape = Shape(), name: String = "tiny", to path: String,
                      edit: (inout [String: GGUFValue], inout [(String, [Int])]) -> Void = { _, _ in }) throws {
        let a = s.architecture
        var meta: [String: GGUFValue] = [
            "general.architecture": .string(a), "general.name": .string(name),
            "\(a).embedding_length": .uint32(UInt32(s.dim)), "\(a).block_count": .uint32(UInt32(s.layers)),
            "\(a).feed_forward_length": .uint32(UInt32(s.ff)), "\(a).attention.head_count": .uint32(UInt32(s.heads)),
            "\(a).attention.head_count_kv": .uint32(UInt32(s.kvHeads)), "\(a).context_length": .uint32(UInt32(s.context)),
            "\(a).attention.layer_norm_rms_epsilon": .float32(1e-5),
            "tokenizer.ggml.model": .string("llama"),
            "tokenizer.ggml.tokens": .array((0..<s.vocab).map { .string("t\($0)") }),
        ]
        let kvDim = s.dim / s.heads * s.kvHeads
        var tensors: [(String, [Int])] = [("token_embd.weight", [s.dim, s.vocab]), ("output_norm.weight", [s.dim])]
        if !s.tied { tensors.append(("output.weight", [s.dim, s.vocab])) }
        for l in 0..<s.layers {
            tensors += [("blk.\(l).attn_norm.weight", [s.dim]), ("blk.\(l).attn_q.weight", [s.dim, s.dim]),
                        ("blk.\(l).attn_k.weight", [s.dim, kvDim]), ("blk.\(l).attn_v.weight", [s.dim, kvDim]),
                        ("blk.\(l).attn_output.weight", [s.dim, s.dim]), ("blk.\(l).ffn_norm.weight", [s.dim]),
                        ("blk.\(l).ffn_gate.weight", [s.dim, s.ff]), ("blk.\(l).ffn_up.weight", [s.dim, s.ff]),
                        ("blk.\(l).ffn_down.weight", [s.ff, s.dim])]
        }
        edit(&meta, &tensors)
        var w = GGUFWriter()
        for key in meta.keys.sorted() { w.set(key, meta[key]!) }
        for (n, d) in tensors { w.addTensor(n, dimensions: d, floats: [Float](repeating: 0, count: d.reduce(1, *))) }
        try w.write(to: path)
    }

    static func config(_ s: Shape = Shape(), name: String = "tiny",
                       edit: (inout [String: GGUFValue], inout [(String, [Int])]) -> Void = { _, _ in }) throws -> LlamaConfig {
        let path = TestModels.temporaryDirectory() + "/tiny.gguf"
        try write(s, name: name, to: path, edit: edit)
        return try LlamaConfig(file: GGUFFile(path: path))
    }

    /// The error `LlamaConfig` gives for the edited model (nil: none).
    static func configError(_ s: Shape = Shape(),
                            edit: (inout [String: GGUFValue], inout [(String, [Int])]) -> Void = { _, _ in }) throws -> ModelConfigError? {
        do {
            _ = try config(s, edit: edit)
            return nil
        } catch let e as ModelConfigError {
            return e
        }
    }
}

@Suite struct ModelConfigTests {
    @Test func stories260K() throws {
        let c = try LlamaConfig(file: GGUFFile(path: TestModels.stories260K))
        #expect(c.name == "stories260K")
        #expect(c.dim == 64 && c.layerCount == 5 && c.headCount == 8 && c.kvHeadCount == 4)
        #expect(c.vocabSize == 512 && c.feedForwardDim == 172 && c.contextLength == 512)
        #expect(c.headDim == 8 && c.kvDim == 32 && c.queriesPerKVHead == 2 && c.ropeDimensionCount == 8)
        #expect(c.ropeFreqBase == 10000 && abs(c.rmsNormEpsilon - 1e-5) < 1e-9)
        #expect(c.tiedEmbeddings)
        #expect(c.expectedTensors.count == 2 + 9 * 5)
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2() throws {
        let c = try LlamaConfig(file: GGUFFile(path: TestModels.smolLM2))
        #expect(c.dim == 576 && c.layerCount == 30 && c.headCount == 9 && c.kvHeadCount == 3)
        #expect(c.feedForwardDim == 1536 && c.ropeFreqBase == 100000 && c.vocabSize == 49152)
        #expect(c.headDim == 64 && c.kvDim == 192 && c.ropeDimensionCount == 64 && c.contextLength == 8192)
        #expect(c.tiedEmbeddings)
    }

    @Test func untiedOutputHeadAndDefaults() throws {
        let c = try TinyLlama.config(TinyLlama.Shape(heads: 4, kvHeads: 4, tied: false)) { meta, _ in
            meta["llama.attention.head_count_kv"] = nil
        }
        #expect(!c.tiedEmbeddings)
        #expect(c.kvHeadCount == c.headCount, "head_count_kv defaults to head_count")
        #expect(c.ropeFreqBase == 10000 && c.ropeDimensionCount == c.headDim)
        #expect(c.expectedTensors.contains { $0.name == "output.weight" && $0.dimensions == [16, 10] })
    }

    @Test func unsupportedArchitectures() throws {
        for arch in ["qwen2", "gpt2"] {
            let e = try TinyLlama.configError(TinyLlama.Shape(architecture: arch))
            #expect(e?.description.contains("architecture \(arch) is not supported (supported: llama)") == true,
                    "\(String(describing: e))")
        }
        let missing = try TinyLlama.configError { meta, _ in meta["general.architecture"] = nil }
        guard case .missingArchitecture? = missing else { Issue.record("\(String(describing: missing))"); return }
    }

    @Test func badMetadata() throws {
        let missing = try TinyLlama.configError { meta, _ in meta["llama.block_count"] = nil }
        #expect(missing?.description.contains("llama.block_count") == true)
        guard case .missingKey? = missing else { Issue.record("\(String(describing: missing))"); return }

        let asString = try TinyLlama.configError { meta, _ in meta["llama.embedding_length"] = .string("16") }
        #expect(asString?.description.contains("must be an integer") == true, "\(String(describing: asString))")

        let indivisible = try TinyLlama.configError { meta, _ in meta["llama.attention.head_count"] = .uint32(3) }
        #expect(indivisible?.description.contains("must divide llama.embedding_length") == true)

        let gqa = try TinyLlama.configError { meta, _ in meta["llama.attention.head_count_kv"] = .uint32(3) }
        #expect(gqa?.description.contains("must divide llama.attention.head_count") == true)

        let zero = try TinyLlama.configError { meta, _ in meta["llama.block_count"] = .uint32(0) }
        #expect(zero?.description.contains("must be in 1...") == true)

        let eps = try TinyLlama.configError { meta, _ in meta["llama.attention.layer_norm_rms_epsilon"] = .float32(.nan) }
        #expect(eps?.description.contains("positive finite") == true)

        let vocab = try TinyLlama.configError { meta, _ in meta["llama.vocab_size"] = .uint32(11) }
        #expect(vocab?.description.contains("the tokenizer has 10 tokens") == true)

        let keyLength = try TinyLlama.configError { meta, _ in meta["llama.attention.key_length"] = .uint32(8) }
        #expect(keyLength?.description.contains("head widths") == true)
    }

    @Test func tensorTableMustMatchTheConfig() throws {
        let missing = try TinyLlama.configError { _, tensors in tensors.removeAll { $0.0 == "blk.1.ffn_up.weight" } }
        #expect(missing == .missingTensor(path: missing.map(pathOf) ?? "", name: "blk.1.ffn_up.weight", expected: [16, 24]))

        // K projection as wide as Q: the metadata says 2 kv heads (kv dim 8).
        let wide = try TinyLlama.configError { _, tensors in
            if let i = tensors.firstIndex(where: { $0.0 == "blk.0.attn_k.weight" }) { tensors[i].1 = [16, 16] }
        }
        #expect(wide == .tensorShape(path: wide.map(pathOf) ?? "", name: "blk.0.attn_k.weight", expected: [16, 8], found: [16, 16]))

        // Transposed feed-forward down projection.
        let transposed = try TinyLlama.configError { _, tensors in
            if let i = tensors.firstIndex(where: { $0.0 == "blk.1.ffn_down.weight" }) { tensors[i].1 = [16, 24] }
        }
        #expect(transposed?.description.contains("ffn_down") == true)

        // A trailing dimension of 1 is the same shape.
        let padded = try TinyLlama.configError { _, tensors in
            if let i = tensors.firstIndex(where: { $0.0 == "output_norm.weight" }) { tensors[i].1 = [16, 1] }
        }
        #expect(padded == nil)
    }

    /// A real model with one dimension patched in place: the reader accepts it (the smaller
    /// tensor still fits), the config check must not.
    @Test func patchedStoriesEmbeddingIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestModels.stories260K)))
        let map = try GGUFFieldMap(bytes: bytes)
        let embd = try #require(map.tensor("token_embd.weight"))
        bytes.patch(UInt64(511), at: embd.dimensionOffsets[1])
        let path = TestModels.temporaryDirectory() + "/patched.gguf"
        try GGUFWriter.writeRaw(bytes, to: path)
        let file = try GGUFFile(path: path)
        #expect(throws: ModelConfigError.tensorShape(path: path, name: "token_embd.weight", expected: [64, 512], found: [64, 511])) {
            try LlamaConfig(file: file)
        }
    }

    private func pathOf(_ e: ModelConfigError) -> String {
        switch e {
        case .missingArchitecture(let p), .unsupportedArchitecture(let p, _), .missingKey(let p, _),
             .badValue(let p, _, _, _), .missingTensor(let p, _, _), .tensorShape(let p, _, _, _):
            return p
        }
    }
}
