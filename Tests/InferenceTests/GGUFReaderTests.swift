import Foundation
import Testing
@testable import Inference

@Suite struct GGUFReaderTests {
    @Test func readsStories260K() throws {
        let f = try GGUFFile(path: TestModels.stories260K)
        #expect(f.version == 3)
        #expect(f.string("general.architecture") == "llama")
        #expect(f.int("llama.embedding_length") == 64)
        #expect(f.int("llama.block_count") == 5)
        #expect(f.stringArray("tokenizer.ggml.tokens")?.count == 512)
        let embd = try #require(f.tensor(named: "token_embd.weight"))
        #expect(embd.dimensions == [64, 512])
        #expect(embd.type == .f32)
        #expect(f.data(for: embd).count == 64 * 512 * 4)
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func readsSmolLM2() throws {
        let f = try GGUFFile(path: TestModels.smolLM2)
        #expect(f.string("tokenizer.ggml.pre") == "smollm")
        #expect(f.int("llama.block_count") == 30)
        #expect(f.tensors.count == 272)
        #expect(f.tensor(named: "blk.0.attn_q.weight")?.type == .q4_1)
        #expect(f.tensor(named: "token_embd.weight")?.type == .q8_0)
        #expect(f.tensor(named: "token_embd.weight")?.dimensions == [576, 49152])
        #expect(f.stringArray("tokenizer.ggml.merges")?.count == 48900)
    }

    @Test func writerRoundTrip() throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("test.u8", .uint8(7)); w.set("test.i64", .int64(-5)); w.set("test.f64", .float64(2.5))
        w.set("test.flag", .bool(true)); w.set("test.list", .array([.int32(1), .int32(-2)]))
        w.set("test.strings", .array([.string("a"), .string("ünï")]))
        w.addTensor("t.weight", dimensions: [32, 2], floats: (0..<64).map(Float.init))
        w.addTensor("q.weight", dimensions: [32, 1], type: .q8_0, data: [UInt8](repeating: 1, count: 34))
        let dir = TestModels.temporaryDirectory()
        let path = dir + "/x.gguf"
        try w.write(to: path)
        let f = try GGUFFile(path: path)
        #expect(f.int("test.u8") == 7)
        #expect(f.int("test.i64") == -5)
        #expect(f.metadata["test.f64"] == .float64(2.5))
        #expect(f.bool("test.flag") == true)
        #expect(f.intArray("test.list") == [1, -2])
        #expect(f.stringArray("test.strings") == ["a", "ünï"])
        let t = try #require(f.tensor(named: "t.weight"))
        let floats = f.data(for: t).withMemoryRebound(to: Float.self) { Array($0) }
        #expect(floats == (0..<64).map(Float.init))
        #expect(f.tensor(named: "q.weight")?.byteCount == 34)
        #expect(f.metadataKeys.first == "general.architecture")
    }
}
