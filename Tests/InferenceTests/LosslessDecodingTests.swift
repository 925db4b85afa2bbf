import Foundation
import Testing
@testable import Inference

/// BiTA must emit exactly the tokens plain decoding emits (greedy), for any adapter and any tree.
@Suite struct LosslessDecodingTests {
    /// Decodes `count` new tokens (fewer when `stop` says a token ends the answer; the answer then
    /// ends with that token). `drafts` replaces the adapter's drafts before each step.
    static func decode(_ model: LlamaModel, bita: BiTAParameters?, policy: ShapePolicy, prompt: [Int32],
                       count: Int, sampling: SamplingParameters = .init(), seed: UInt64 = 0,
                       threads: Int = 1, pool: ThreadPool? = nil, capacity: Int = 512,
                       stop: ((Int32) -> Bool)? = nil,
                       drafts: (([Int32]) -> [[Int32]])? = nil) throws -> (tokens: [Int32], steps: [StepResult]) {
        let decoder = SpeculativeDecoder(model: model, bita: bita, cache: model.makeCache(capacity: capacity),
                                         pool: pool ?? ThreadPool(threads: threads), policy: policy, sampling: sampling, seed: seed)
        try decoder.prefill(prompt)
        var out: [Int32] = []
        var steps: [StepResult] = []
        while out.count < count {
            if let drafts { decoder.overrideDrafts(drafts(out)) }
            let r = try decoder.step()
            steps.append(r)
            out += r.tokens.map(\.id)
            if let stop, r.tokens.contains(where: { stop($0.id) }) { break }
        }
        if let stop, let end = out.firstIndex(where: stop) { out = Array(out[...end]) }
        return (Array(out.prefix(count)), steps)
    }

    static let storyPrompts: [[Int32]] = [[1], [1, 403, 407, 261], [1, 87, 300, 42, 7, 99], [1, 200, 201]]

    @Test func storiesRandomAdapterAllShapesMatchAR() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, std: 0.5, seed: 7)
        let shapes = ["1", "4", "1,1,1", "3,2,1/g3", "2,2/g3", "16,1,1", "1/g1/lean", "3,2,1/g3/lean", "2/g3/lean"]
        for prompt in Self.storyPrompts {
            let ar = try Self.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 48).tokens
            for text in shapes {
                let shape = try TreeShape(parsing: text, maskCount: 3)
                let b = try Self.decode(model, bita: bita, policy: .fixed(shape), prompt: prompt, count: 48, threads: 2).tokens
                #expect(b == ar, "shape \(text), prompt \(prompt)")
            }
        }
    }

    /// Drafts taken from the true continuation with deliberate mistakes exercise acceptance at
    /// every depth and rank, and cache compaction after partial acceptance.
    @Test func storiesOracleDraftsMatchAR() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 3)
        for prompt in Self.storyPrompts {
            let ar = try Self.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 80).tokens
            for text in ["3,2,2/g3", "3,2,2/g3/lean"] {
                var rng = SeededRandom(seed: 11)
                let shape = try TreeShape(parsing: text, maskCount: 3)
                let result = try Self.decode(model, bita: bita, policy: .fixed(shape), prompt: prompt, count: 80, drafts: { emitted in
                    // Depth d drafts guess ar[emitted.count + d - 1] (the root is the newest emitted token).
                    (1...3).map { d in
                        let truth = emitted.count + d - 1 < ar.count ? ar[emitted.count + d - 1] : 0
                        let wrong = Int32(rng.next() % 508)
                        switch rng.next() % 4 {
                        case 0: return [wrong, truth, wrong &+ 1]        // right at rank 1
                        case 1: return [wrong, wrong &+ 2, wrong &+ 1]    // all wrong (almost surely)
                        default: return [truth, wrong, wrong &+ 3]        // right at rank 0
                        }
                    }
                })
                #expect(result.tokens == ar, "shape \(text), prompt \(prompt)")
                let accepted = result.steps.reduce(0) { $0 + $1.tokens.count - 1 }
                #expect(accepted > 20, "oracle drafts should be accepted often, got \(accepted)")
                #expect(result.steps.count < 70)
            }
        }
    }

    @Test func storiesAdaptiveMatchesAR() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 5)
        let costs = StepCostModel(measured: [1: 1, 4: 1.2, 16: 2, 64: 6])
        let chooser = ShapeChooser(maskCount: 3, costModel: costs, prior: [0.9, 0.8, 0.7])
        for prompt in Self.storyPrompts {
            let ar = try Self.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 64).tokens
            let b = try Self.decode(model, bita: bita, policy: .adaptive(chooser), prompt: prompt, count: 64).tokens
            #expect(b == ar)
        }
    }

    @Test func seededSamplingIsReproducible() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 5)
        let s = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95)
        let shape = try TreeShape(parsing: "2,1/g2", maskCount: 3)
        let a = try Self.decode(model, bita: bita, policy: .fixed(shape), prompt: [1], count: 40, sampling: s, seed: 99).tokens
        let b = try Self.decode(model, bita: bita, policy: .fixed(shape), prompt: [1], count: 40, sampling: s, seed: 99).tokens
        let c = try Self.decode(model, bita: bita, policy: .fixed(shape), prompt: [1], count: 40, sampling: s, seed: 100).tokens
        #expect(a == b)
        #expect(a != c)
    }
}
