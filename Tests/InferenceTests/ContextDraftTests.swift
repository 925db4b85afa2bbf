import Foundation
import Testing
@testable import Inference

/// Drafts read from the context: the lookup against its plain twin, the statistics and the
/// chooser's decision, the chain tree, and losslessness of decoding with them.
@Suite struct ContextDraftTests {
    @Test func lookupFindsLatestLongestMatch() {
        let lookup = ContextLookup(minimumMatch: 1, maximumMatch: 4, length: 3)
        // Suffix [6, 7] occurs at 1...2 (followed by 8) and at 6...7 (followed by 1): the
        // 3-token suffix [5, 6, 7] only at 0...2, so that one wins.
        let h: [Int32] = [5, 6, 7, 8, 9, 1, 6, 7, 1, 2, 5, 6, 7]
        #expect(lookup.propose(h) == ContextLookup.Proposal(tokens: [8, 9, 1], match: 3))
        // Same length: the latest occurrence wins; the chain stops at the end of the history.
        #expect(lookup.propose([3, 4, 9, 3, 4, 8, 3, 4]) == ContextLookup.Proposal(tokens: [8, 3, 4], match: 2))
        #expect(lookup.propose([1, 2, 3, 4]) == nil)
        #expect(lookup.propose([]) == nil)
        #expect(lookup.propose([7]) == nil)
        // A run of one token: the match overlaps the suffix itself.
        #expect(lookup.propose([2, 2, 2]) == ContextLookup.Proposal(tokens: [2], match: 2))
        #expect(ContextLookup(minimumMatch: 3, maximumMatch: 4, length: 2).propose([3, 4, 9, 3, 4]) == nil)
    }

    @Test func lookupMatchesReferenceOnRandomHistories() {
        var rng = SeededRandom(seed: 41)
        for trial in 0..<2000 {
            let count = Int(rng.next() % 60)
            let alphabet = UInt64(2 + trial % 6)
            let h = (0..<count).map { _ in Int32(rng.next() % alphabet) }
            let minimum = 1 + trial % 3, maximum = minimum + Int(rng.next() % 3), length = 1 + trial % 6
            let fast = ContextLookup(minimumMatch: minimum, maximumMatch: maximum, length: length).propose(h)
            let plain = ContextLookup.referencePropose(h, minimumMatch: minimum, maximumMatch: maximum, length: length)
            #expect(fast == plain, "history \(h), match \(minimum)...\(maximum), length \(length)")
        }
    }

    @Test func statisticsFollowRecordsAndPredictChains() {
        var s = ContextDraftStatistics(prior: [[0.5]], priorWeight: 2)
        #expect(abs(s.expectedTokens(match: 2, length: 3) - (1 + 0.5 + 0.25 + 0.125)) < 1e-12)
        // Chains after 4-token matches always fully accepted: depth 1 and 2 rates rise.
        for _ in 0..<30 { s.record(match: 4, offered: 2, accepted: 2) }
        #expect(s.rate(match: 4, depth: 1) > 0.95)
        #expect(s.rate(match: 4, depth: 2) > 0.95)
        #expect(s.rate(match: 4, depth: 3) == 0.5, "depth 3 was never offered")
        // Chains after 1-token matches rejected at once: depth 1 falls, depth 2 never reached.
        for _ in 0..<30 { s.record(match: 1, offered: 3, accepted: 0) }
        #expect(s.rate(match: 1, depth: 1) < 0.05)
        #expect(s.rate(match: 1, depth: 2) == 0.5)
        // Longer matches than tracked count as the longest.
        #expect(s.rate(match: 9, depth: 1) == s.rate(match: 4, depth: 1))
    }

    @Test func chooserRunsChainsOnlyWhereTheyPay() {
        let costs = StepCostModel(measured: [1: 1, 2: 1.05, 3: 1.1, 4: 1.25, 5: 1.5, 6: 1.8, 7: 2.1, 8: 2.4])
        let chooser = ShapeChooser(maskCount: 3, costModel: costs, prior: [0.5, 0.3, 0.2])
        // A 4-token match (prior ~0.9 per depth) beats the mask tree, with a chain of several.
        let long = chooser.contextChainLength(match: 4, available: 6, maskDraftsPending: true)
        #expect(long >= 3)
        // A 1-token match (prior 0.19 at depth 1) does not beat mask drafts at 0.5.
        #expect(chooser.contextChainLength(match: 1, available: 6, maskDraftsPending: true) == 0)
        // Nothing to run.
        #expect(chooser.contextChainLength(match: 4, available: 0, maskDraftsPending: true) == 0)
        // The expected rate of the chosen length is the best of all lengths.
        let s = chooser.contextStatistics
        let rates = (1...6).map { s.expectedTokens(match: 4, length: $0) / costs.cost(1 + $0) }
        #expect(rates[long - 1] == rates.max())
    }

    @Test func chainTreeLayout() {
        let t = DraftTree(base: 10, root: 7, chain: [8, 9, 4], groupSize: 1)
        #expect(t.rowCount == 5)
        #expect(t.children(ofRow: 0) == [1])
        #expect(t.children(ofRow: 2) == [3])
        #expect(t.path(toRow: 3) == [0, 1, 2, 3])
        #expect(t.groupStart == [nil, nil, nil, 4])
        let b = t.batch()
        #expect(b.positions == [10, 11, 12, 13, 14])
        // Row 2 sees root and row 1; the mask row sees the whole chain and the prompt K/V.
        let row2: [Bool] = Array(b.visible[10..<15]), mask: [Bool] = Array(b.visible[20..<25])
        #expect(row2 == [true, true, true, false, false])
        #expect(mask == [true, true, true, true, true])
        #expect(b.seesPromptKV == [false, false, false, false, true])
        let bare = DraftTree(base: 0, root: 1, chain: [2], groupSize: 0)
        #expect(bare.rowCount == 2 && bare.groupStart == [nil, nil])
    }

    /// The adaptive decoder with context drafts on a prompt that makes the model repeat itself:
    /// the same tokens as plain decoding, and context chains were actually accepted.
    @Test func storiesAdaptiveWithContextDraftsMatchesAR() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 5)
        let costs = StepCostModel(measured: [1: 1, 4: 1.2, 16: 2, 64: 6])
        var contextAccepted = 0
        for prompt in LosslessDecodingTests.storyPrompts + [[1, 403, 407, 261, 403, 407, 261, 403, 407]] {
            let ar = try LosslessDecodingTests.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 96).tokens
            for threads in [1, 2] {
                let chooser = ShapeChooser(maskCount: 3, costModel: costs, prior: [0.3, 0.2, 0.1])
                let b = try LosslessDecodingTests.decode(model, bita: bita, policy: .adaptive(chooser), prompt: prompt,
                                                         count: 96, threads: threads)
                #expect(b.tokens == ar, "prompt \(prompt), \(threads) thread(s)")
                contextAccepted += b.steps.reduce(0) { $0 + $1.contextDraftsAccepted }
                for step in b.steps where step.contextDraftsOffered > 0 {
                    #expect(step.candidatesByDepth.isEmpty, "a context step runs no mask drafts")
                }
            }
        }
        #expect(contextAccepted > 20, "context drafts should be accepted on repetitive text, got \(contextAccepted)")
    }

    /// Without context drafts the adaptive decoder never runs a context chain.
    @Test func contextDraftsCanBeTurnedOff() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 5)
        let chooser = ShapeChooser(maskCount: 3, costModel: StepCostModel(measured: [1: 1, 4: 1.2, 16: 2]), prior: [0.3, 0.2, 0.1])
        let decoder = SpeculativeDecoder(model: model, bita: bita, cache: model.makeCache(capacity: 256),
                                         pool: ThreadPool(threads: 1), policy: .adaptive(chooser),
                                         sampling: SamplingParameters(), seed: 0)
        decoder.contextLookup = nil
        try decoder.prefill([1, 403, 407, 261, 403, 407, 261, 403, 407])
        for _ in 0..<40 { #expect(try decoder.step().contextDraftsOffered == 0) }
    }
}
