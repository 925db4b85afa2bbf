import Foundation
import Testing
@testable import Inference

@Suite struct ForwardPassTests {
    /// Greedy continuation of BOS, one token at a time.
    static func greedy(_ model: LlamaModel, prompt: [Int32], count: Int) -> [Int32] {
        let cache = model.makeCache(capacity: 512)
        let state = RunState(pool: ThreadPool(threads: 1))
        var logits = [Float](repeating: 0, count: model.config.vocabSize)
        var out: [Int32] = []
        var pending = prompt
        var pos = 0
        for _ in 0..<count {
            let batch = ForwardBatch.causal(tokens: pending, startPosition: pos)
            logits.withUnsafeMutableBufferPointer {
                model.forward(batch, cache: cache, state: state, logitRows: [pending.count - 1], logits: $0.baseAddress!)
            }
            pos += pending.count
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            pending = [next]
        }
        return out
    }

    @Test func storiesGreedyFromBOS() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let tokens = Self.greedy(model, prompt: [1], count: 40)
        let vocab = model.file.stringArray("tokenizer.ggml.tokens")!
        let text = tokens.map { vocab[Int($0)] }.joined().replacingOccurrences(of: "▁", with: " ")
        print("stories260K greedy:", text)
        #expect(text.contains("Once upon a time"))
    }
}
