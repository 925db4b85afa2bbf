import Foundation
import Testing
@testable import Inference

/// BiTA greedy output equals AR greedy output on the real chat model with a random adapter,
/// whose drafts are almost always wrong: every step exercises rejection and cache compaction.
/// The suite runs two prompts per category of prompts/bench.jsonl; `bita-chat bench` checks the
/// identity on every prompt (and fails when any differs).
@Suite struct LosslessSmolLM2Tests {
    struct Prompt: Decodable { var id: String; var category: String; var turns: [String]; var system: String? }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func randomAdapterMatchesARGreedy() throws {
        let engine = try Engine(modelPath: TestModels.smolLM2, adapterPath: nil, threads: 2)
        let bita = BiTAParameters.random(config: engine.model.config, maskCount: 3, std: 0.02, seed: 17)
        let text = try String(contentsOfFile: TestModels.repoRoot + "/prompts/bench.jsonl", encoding: .utf8)
        var perCategory: [String: Int] = [:]
        var prompts: [Prompt] = []
        for line in text.split(separator: "\n") {
            let p = try JSONDecoder().decode(Prompt.self, from: Data(line.utf8))
            if perCategory[p.category, default: 0] < 2 { prompts.append(p); perCategory[p.category, default: 0] += 1 }
        }
        #expect(prompts.count >= 12)
        let shapes: [ShapePolicy] = [
            .fixed(try TreeShape(parsing: "2,1,1/g3", maskCount: 3)),
            .adaptive(ShapeChooser(maskCount: 3, costModel: StepCostModel(measured: [1: 1, 8: 1.2, 32: 2]), prior: [0.8, 0.6, 0.5])),
        ]
        for (i, p) in prompts.enumerated() {
            let messages = [ChatMessage(role: .system, content: p.system ?? "You are a helpful assistant."),
                            ChatMessage(role: .user, content: p.turns[0])]
            let prompt = engine.promptTokens(for: messages)
            func run(_ bitaParams: BiTAParameters?, _ policy: ShapePolicy) throws -> [Int32] {
                let d = SpeculativeDecoder(model: engine.model, bita: bitaParams, cache: engine.model.makeCache(capacity: 1024),
                                           pool: engine.pool, policy: policy, sampling: SamplingParameters(), seed: 0)
                try d.prefill(prompt)
                var out: [Int32] = []
                while out.count < 256 {
                    let r = try d.step()
                    out += r.tokens.map(\.id)
                    if r.tokens.contains(where: { engine.tokenizer.isEndOfTurn($0.id) }) { break }
                }
                // Compare up to and including the first end-of-turn token.
                if let end = out.firstIndex(where: { engine.tokenizer.isEndOfTurn($0) }) { out = Array(out[...end]) }
                return Array(out.prefix(256))
            }
            let ar = try run(nil, .autoregressive)
            let b = try run(bita, shapes[i % shapes.count])
            #expect(b == ar, "\(p.id): BiTA differs from AR")
        }
    }
}
