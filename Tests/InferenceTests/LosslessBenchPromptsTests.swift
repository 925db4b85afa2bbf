import Foundation
import Testing
@testable import Inference

/// BiTA greedy output equals AR greedy output on every prompt of prompts/bench.jsonl, 256 new
/// tokens (or up to the end of the turn), on the real chat model:
/// - with a random adapter, whose drafts are almost always wrong, so every step exercises
///   rejection and cache compaction;
/// - with the committed trained adapter, whose drafts are often accepted at several depths;
/// - and on stories260K with a random adapter.
/// Fixed shapes force drafting on every step (an adaptive chooser could back off to plain
/// steps and verify nothing); one prompt in six uses the adaptive chooser the app uses.
@Suite struct LosslessBenchPromptsTests {
    struct Prompt: Decodable, Sendable { var id: String; var category: String; var turns: [String]; var system: String? }

    static let newTokens = 256

    static func benchPrompts() throws -> [Prompt] {
        let text = try String(contentsOfFile: TestModels.repoRoot + "/prompts/bench.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Prompt.self, from: Data($0.utf8)) }
    }

    /// Decodes greedily until `newTokens` tokens or the first end-of-turn token (included), with
    /// the shared `LosslessDecodingTests.decode`.
    static func decode(_ model: LlamaModel, tokenizer: Tokenizer, bita: BiTAParameters?, policy: ShapePolicy,
                       prompt: [Int32], pool: ThreadPool, capacity: Int) throws -> (tokens: [Int32], steps: Int) {
        let r = try LosslessDecodingTests.decode(model, bita: bita, policy: policy, prompt: prompt, count: newTokens,
                                                 pool: pool, capacity: capacity, stop: { tokenizer.isEndOfTurn($0) })
        return (r.tokens, r.steps.count)
    }

    /// Shapes cycled over the prompts: cheap to wide, all of them drafting on every step.
    static func shapes(maskCount: Int) throws -> [ShapePolicy] {
        let optimistic = ShapeChooser(maskCount: maskCount,
                                      costModel: StepCostModel(measured: [1: 1, 4: 1.3, 8: 2.1, 16: 2.6, 32: 5.6]),
                                      prior: [0.8, 0.6, 0.5])
        return [.fixed(try TreeShape(parsing: "1/g1", maskCount: maskCount)),
                .fixed(try TreeShape(parsing: "1,1/g2", maskCount: maskCount)),
                .fixed(try TreeShape(parsing: "2,1,1/g3", maskCount: maskCount)),
                .fixed(try TreeShape(parsing: "1/g1/lean", maskCount: maskCount)),
                .fixed(try TreeShape(parsing: "2,1/g2/lean", maskCount: maskCount)),
                .adaptive(optimistic)]
    }

    // MARK: SmolLM2

    struct SmolReference: Sendable {
        var engine: Engine
        var prompts: [(id: String, tokens: [Int32])]
        var ar: [[Int32]]
    }

    /// The AR reference, computed once for both adapter tests (whichever runs first).
    static let smol: Result<SmolReference, any Error> = Result {
        let engine = try Engine(modelPath: TestModels.smolLM2, adapterPath: nil, threads: 2)
        let prompts = try benchPrompts().map { p in
            (id: p.id, tokens: engine.promptTokens(for: [
                ChatMessage(role: .system, content: p.system ?? "You are a helpful assistant."),
                ChatMessage(role: .user, content: p.turns[0])]))
        }
        let ar = try prompts.map {
            try decode(engine.model, tokenizer: engine.tokenizer, bita: nil, policy: .autoregressive,
                       prompt: $0.tokens, pool: engine.pool, capacity: 2048).tokens
        }
        return SmolReference(engine: engine, prompts: prompts, ar: ar)
    }

    static func checkSmolLM2(bita: BiTAParameters, label: String) throws -> (tokens: Int, steps: Int) {
        let ref = try smol.get()
        #expect(ref.prompts.count == 72)
        let pool = ThreadPool(threads: 2)
        let policies = try shapes(maskCount: bita.maskCount)
        var tokens = 0, steps = 0
        for (i, p) in ref.prompts.enumerated() {
            let b = try decode(ref.engine.model, tokenizer: ref.engine.tokenizer, bita: bita, policy: policies[i % policies.count],
                               prompt: p.tokens, pool: pool, capacity: 2048)
            #expect(b.tokens == ref.ar[i], "\(label), \(p.id): BiTA differs from AR")
            tokens += b.tokens.count
            steps += b.steps
        }
        return (tokens, steps)
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2RandomAdapterMatchesARGreedy() throws {
        let config = try Self.smol.get().engine.model.config
        let bita = BiTAParameters.random(config: config, maskCount: 3, std: 0.02, seed: 17)
        let r = try Self.checkSmolLM2(bita: bita, label: "random adapter")
        #expect(r.tokens > 72 * 50, "too few tokens decoded to mean anything: \(r.tokens)")
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2TrainedAdapterMatchesARGreedy() throws {
        let ref = try Self.smol.get()
        let path = TestModels.repoRoot + "/prompts/SmolLM2-135M-Instruct.Q4_1.bita.gguf"
        let adapter = try BiTAAdapter.load(path: path, for: ref.engine.model.config, fingerprint: ref.engine.fingerprint)
        let r = try Self.checkSmolLM2(bita: BiTAParameters(adapter: adapter), label: "trained adapter")
        // The trained adapter's drafts must actually be accepted, or this test checks nothing
        // more than the random one: more tokens than steps means drafts were verified and kept.
        #expect(Double(r.tokens) / Double(r.steps) > 1.1, "tau \(Double(r.tokens) / Double(r.steps))")
    }

    // MARK: stories260K

    @Test func storiesRandomAdapterMatchesARGreedyOnBenchPrompts() throws {
        let engine = try Engine(modelPath: TestModels.stories260K, adapterPath: nil, threads: 1)
        let context = engine.model.config.contextLength
        let bita = BiTAParameters.random(config: engine.model.config, maskCount: 3, std: 0.5, seed: 23)
        let policies = try Self.shapes(maskCount: 3)
        let prompts = try Self.benchPrompts()
        #expect(prompts.count == 72)
        for (i, p) in prompts.enumerated() {
            // No chat template: the text after BOS, cut to leave room for the answer and a tree.
            var ids = engine.tokenizer.encode(p.turns[0], addSpecial: true)
            let room = context - Self.newTokens - 64
            if ids.count > room { ids = [ids[0]] + ids.suffix(room - 1) }
            let ar = try Self.decode(engine.model, tokenizer: engine.tokenizer, bita: nil, policy: .autoregressive,
                                     prompt: ids, pool: engine.pool, capacity: context)
            let b = try Self.decode(engine.model, tokenizer: engine.tokenizer, bita: bita, policy: policies[i % policies.count],
                                    prompt: ids, pool: engine.pool, capacity: context)
            #expect(b.tokens == ar.tokens, "\(p.id): BiTA differs from AR")
            #expect(ar.tokens.count == Self.newTokens || ar.tokens.last.map(engine.tokenizer.isEndOfTurn) == true)
        }
    }
}
