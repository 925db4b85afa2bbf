import Foundation
@testable import Inference

/// Small models and data for the adapter-trainer tests.
enum TuningTestSupport {
    /// A random LLaMA model written with GGUFWriter: dim 32, 2 layers, 4 query heads over 2 KV
    /// heads (GQA), vocabulary 50, F32, with a separate output matrix (untied) unless `tied`.
    static func tinyRandomModel(tied: Bool = false, seed: UInt64 = 1) throws -> LlamaModel {
        let dim = 32, layers = 2, heads = 4, kvHeads = 2, ff = 48, vocab = 50, context = 64
        let kvDim = kvHeads * dim / heads
        var rng = SeededRandom(seed: seed)
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("general.name", .string("tiny-random"))
        w.set("llama.embedding_length", .uint32(UInt32(dim)))
        w.set("llama.block_count", .uint32(UInt32(layers)))
        w.set("llama.feed_forward_length", .uint32(UInt32(ff)))
        w.set("llama.attention.head_count", .uint32(UInt32(heads)))
        w.set("llama.attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.set("llama.context_length", .uint32(UInt32(context)))
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.set("tokenizer.ggml.model", .string("llama"))
        w.set("tokenizer.ggml.tokens", .array((0..<vocab).map { .string("t\($0)") }))
        func matrix(_ name: String, rows: Int, cols: Int, std: Float) {
            w.addTensor(name, dimensions: [cols, rows], floats: rng.normalFloats(count: rows * cols, std: std))
        }
        func norm(_ name: String) {
            w.addTensor(name, dimensions: [dim], floats: (0..<dim).map { _ in 1 + 0.2 * Float(rng.nextGaussian()) })
        }
        matrix("token_embd.weight", rows: vocab, cols: dim, std: 1)
        for l in 0..<layers {
            norm("blk.\(l).attn_norm.weight")
            matrix("blk.\(l).attn_q.weight", rows: dim, cols: dim, std: 0.3)
            matrix("blk.\(l).attn_k.weight", rows: kvDim, cols: dim, std: 0.3)
            matrix("blk.\(l).attn_v.weight", rows: kvDim, cols: dim, std: 0.3)
            matrix("blk.\(l).attn_output.weight", rows: dim, cols: dim, std: 0.2)
            norm("blk.\(l).ffn_norm.weight")
            matrix("blk.\(l).ffn_gate.weight", rows: ff, cols: dim, std: 0.3)
            matrix("blk.\(l).ffn_up.weight", rows: ff, cols: dim, std: 0.3)
            matrix("blk.\(l).ffn_down.weight", rows: dim, cols: ff, std: 0.2)
        }
        norm("output_norm.weight")
        if !tied { matrix("output.weight", rows: vocab, cols: dim, std: 0.5) }
        let path = TestModels.temporaryDirectory() + "/tiny.gguf"
        try w.write(to: path)
        return try LlamaModel(path: path)
    }

    /// Random adapter tensors N(0, std^2).
    static func randomAdapter<T: TrainingScalar>(_ config: LlamaConfig, promptCount: Int, maskCount: Int,
                                                 std: Double, seed: UInt64) -> AdapterTensors<T> {
        let a = AdapterTensors<T>(layerCount: config.layerCount, promptCount: promptCount, kvDim: config.kvDim,
                                  maskCount: maskCount, dim: config.dim)
        var rng = SeededRandom(seed: seed)
        for b in a.buffers { for i in 0..<b.count { b[i] = T(rng.nextGaussian() * std) } }
        return a
    }

    static func randomTokens(_ n: Int, vocab: Int, seed: UInt64) -> [Int32] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Int32(rng.nextInt(below: vocab)) }
    }
}
