import Foundation
import Testing
@testable import Inference

/// The draft ranking: its fast score against the plain bilinear reference, its file form, its
/// fit, the decode log it is fitted on, and that drafting with it stays lossless.
@Suite struct DraftRankingTests {
    static func randomRanking(dim: Int, rank: Int, std: Float, seed: UInt64) -> DraftRanking {
        var rng = SeededRandom(seed: seed)
        return DraftRanking(dim: dim, rank: rank, rootProjection: rng.normalFloats(count: rank * dim, std: std),
                            nextProjection: rng.normalFloats(count: rank * dim, std: std))
    }

    /// query + dot (the decoder's path) equals Σ_j (U_j·e_root)(V_j·e_c) computed plainly in Double.
    @Test func scoreMatchesBilinearReference() {
        var rng = SeededRandom(seed: 4)
        for (dim, rank) in [(576, 32), (64, 3), (37, 5)] {
            let ranking = Self.randomRanking(dim: dim, rank: rank, std: 0.2, seed: UInt64(dim))
            let root = rng.normalFloats(count: dim, std: 1)
            let w = root.withUnsafeBufferPointer { ranking.query(rootEmbedding: $0.baseAddress!) }
            for _ in 0..<8 {
                let c = rng.normalFloats(count: dim, std: 1)
                let fast = w.withUnsafeBufferPointer { q in c.withUnsafeBufferPointer { DraftRanking.dot(q.baseAddress!, $0.baseAddress!, dim) } }
                let reference = ranking.referenceTerm(root: root, candidate: c)
                #expect(abs(Double(fast) - reference) <= 1e-4 * max(1, abs(reference)), "dim \(dim): \(fast) vs \(reference)")
            }
        }
    }

    /// A zero ranking keeps the mask's order (ties keep input order); a ranking whose bilinear
    /// term favours one candidate moves exactly that one to the front.
    @Test func rankedOrderFollowsScores() {
        let dim = 4
        // Embeddings: candidate i is the unit vector e_(i % 4); the root is e_0.
        let candidates: [(id: Int32, logit: Float)] = [(10, 3), (11, 2.5), (12, 2), (13, 1)]
        var rows = [Float](repeating: 0, count: 4 * dim)
        for i in 0..<4 { rows[i * dim + i] = 1 }
        let root: [Float] = [1, 0, 0, 0]
        let zero = DraftRanking(dim: dim, rank: 1, rootProjection: [Float](repeating: 0, count: dim),
                                nextProjection: [Float](repeating: 0, count: dim))
        let z = root.withUnsafeBufferPointer { zero.query(rootEmbedding: $0.baseAddress!) }
        #expect(rows.withUnsafeBufferPointer { zero.ranked(candidates, embeddings: $0.baseAddress!, query: z) } == [10, 11, 12, 13])
        let tied: [(id: Int32, logit: Float)] = [(7, 1), (5, 1), (6, 1)]
        #expect(rows.withUnsafeBufferPointer { zero.ranked(tied, embeddings: $0.baseAddress!, query: z) } == [7, 5, 6])

        // U = e_0 (reads the root), V = 2.5 e_2: candidate 12 gains 2.5 and leads with 4.5.
        let pick = DraftRanking(dim: dim, rank: 1, rootProjection: [1, 0, 0, 0], nextProjection: [0, 0, 2.5, 0])
        let w = root.withUnsafeBufferPointer { pick.query(rootEmbedding: $0.baseAddress!) }
        #expect(w == [0, 0, 2.5, 0])
        #expect(rows.withUnsafeBufferPointer { pick.ranked(candidates, embeddings: $0.baseAddress!, query: w) } == [12, 10, 11, 13])
    }

    @Test func adapterFileKeepsTheRankingAndRefusesHalfOfOne() throws {
        let (config, fp) = try AdapterTests.stories()
        var a = BiTAAdapter.random(for: config, fingerprint: fp, seed: 3)
        a.ranking = Self.randomRanking(dim: config.dim, rank: 5, std: 0.1, seed: 8)
        let dir = TestModels.temporaryDirectory()
        let path = dir + "/ranked" + BiTAAdapter.fileExtension
        try a.write(to: path)
        let b = try BiTAAdapter(contentsOf: path)
        #expect(b == a && b.ranking != nil)
        let f = try GGUFFile(path: path)
        #expect(f.tensor(named: "rank_root")?.dimensions == [config.dim, 5])
        #expect(BiTAParameters(adapter: b).ranking == a.ranking)

        var n = 0
        func loadError(_ edit: @escaping (inout [(String, [Int], GGMLType, [Float])]) -> Void) throws -> AdapterError? {
            n += 1
            let p = dir + "/bad-rank\(n).bita.gguf"
            try AdapterTests.writeEdited(a, to: p) { _, t in
                t.append(("rank_root", [config.dim, 5], .f32, a.ranking!.rootProjection))
                t.append(("rank_next", [config.dim, 5], .f32, a.ranking!.nextProjection))
                edit(&t)
            }
            do { _ = try BiTAAdapter(contentsOf: p); return nil } catch { return error }
        }
        #expect(try loadError { _ in } == nil, "both tensors: loads")
        let half = try loadError { t in t.removeAll { $0.0 == "rank_next" } }
        guard case .missingTensor(_, "rank_next", _)? = half else { Issue.record("\(String(describing: half))"); return }
        let otherRank = try loadError { t in
            let i = t.firstIndex { $0.0 == "rank_next" }!
            t[i].1 = [config.dim, 4]
            t[i].3 = [Float](repeating: 0, count: config.dim * 4)
        }
        guard case .tensorShape(_, "rank_next", _, _)? = otherRank else { Issue.record("\(String(describing: otherRank))"); return }
        let narrow = try loadError { t in
            let i = t.firstIndex { $0.0 == "rank_root" }!
            t[i].1 = [config.dim - 1, 5]
            t[i].3 = [Float](repeating: 0, count: (config.dim - 1) * 5)
        }
        guard case .tensorShape(_, "rank_root", _, _)? = narrow else { Issue.record("\(String(describing: narrow))"); return }
        let nan = try loadError { t in t[t.firstIndex { $0.0 == "rank_root" }!].3[3] = .infinity }
        guard case .nonFinite(_, "rank_root")? = nan else { Issue.record("\(String(describing: nan))"); return }
    }

    /// Examples made by a hidden bilinear rule, with the mask's logits uninformative: the fit must
    /// find the rule (held-out top-1 far above the 1 in 8 of the mask's own order).
    @Test func fitLearnsAHiddenRootDependence() {
        let vocab = 96, dim = 16, perExample = 8
        var rng = SeededRandom(seed: 21)
        let table = rng.normalFloats(count: vocab * dim, std: 1)
        let hidden = Self.randomRanking(dim: dim, rank: 2, std: 1, seed: 5)
        func example() -> DraftRankingExample {
            let root = Int32(rng.nextInt(below: vocab))
            var ids: [Int32] = []
            while ids.count < perExample {
                let c = Int32(rng.nextInt(below: vocab))
                if !ids.contains(c) { ids.append(c) }
            }
            let rootRow = Array(table[(Int(root) * dim)..<(Int(root) * dim + dim)])
            let target = ids.max { a, b in
                hidden.referenceTerm(root: rootRow, candidate: Array(table[(Int(a) * dim)..<(Int(a) * dim + dim)]))
                    < hidden.referenceTerm(root: rootRow, candidate: Array(table[(Int(b) * dim)..<(Int(b) * dim + dim)]))
            }!
            return DraftRankingExample(root: root, target: target, candidates: ids,
                                       logits: [Float](repeating: 0, count: perExample))
        }
        let training = (0..<6000).map { _ in example() }
        let heldOut = (0..<1000).map { _ in example() }
        let fitter = DraftRankingFit(table: table, dim: dim)
        var settings = DraftRankingFit.Settings()
        settings.rank = 4
        settings.epochs = 6
        settings.batchSize = 64
        settings.learningRate = 1e-2
        let ranking = fitter.fit(training, settings: settings)
        let before = fitter.accuracy(of: nil, on: heldOut), after = fitter.accuracy(of: ranking, on: heldOut)
        #expect(before.top1Rate < 0.2, "mask order: \(before.top1Rate)")
        #expect(after.top1Rate > 0.6, "fitted: \(after.top1Rate)")
        #expect(after.top2Rate >= after.top1Rate)
        // Same seed, same data: the same ranking.
        #expect(fitter.fit(training, settings: settings) == ranking)
    }

    @Test func logLinesRoundTripAndACutOffLastLineIsDropped() throws {
        let a = DraftRankingLog.Entry(id: "p-1 \"quoted\"", examples: [
            DraftRankingExample(root: 5, target: 9, candidates: [9, 3, 4], logits: [1.5, -0.25, 0.125]),
            DraftRankingExample(root: 9, target: 2, candidates: [7], logits: [3]),
        ])
        let b = DraftRankingLog.Entry(id: "p-2", examples: [])
        let path = TestModels.temporaryDirectory() + "/log.jsonl"
        let text = DraftRankingLog.line(id: a.id, examples: a.examples) + DraftRankingLog.line(id: b.id, examples: b.examples)
        try Data((text + "{\"id\":\"p-3\",\"exa").utf8).write(to: URL(fileURLWithPath: path))
        #expect(try DraftRankingLog.read(path: path) == [a, b])

        try Data(("{\"id\":1}\n" + text).utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DraftRankingLogError.self) { try DraftRankingLog.read(path: path) }
        do { _ = try DraftRankingLog.read(path: path) } catch {
            #expect(error.description.contains("\(path):1:"), "\(error)")
        }
        let (training, heldOut) = DraftRankingLog.split((0..<200).map { .init(id: "id-\($0)", examples: []) }, heldOutFraction: 0.1)
        #expect(training.count + heldOut.count == 200 && (8...35).contains(heldOut.count), "\(heldOut.count) held out")
    }

    /// The collected (root, target) pairs are consecutive tokens of the greedy answer, one per
    /// step after the first, and the answer is plain decoding's.
    @Test func collectedExamplesFollowTheAnswer() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, std: 0.5, seed: 7)
        let prompt: [Int32] = [1, 403, 407, 261]
        let ar = try LosslessDecodingTests.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 60).tokens
        let decoder = SpeculativeDecoder(model: model, bita: bita, cache: model.makeCache(capacity: 256), pool: ThreadPool(threads: 1),
                                         policy: .fixed(try TreeShape(parsing: "1/g1", maskCount: 3)),
                                         sampling: SamplingParameters(), seed: 0)
        let run = try DraftRankingLog.collect(decoder: decoder, prompt: prompt, maxTokens: 60, stopTokens: [])
        #expect(run.answer == ar)
        #expect(!run.examples.isEmpty && run.examples.count < 60)
        let text = [prompt.last!] + run.answer
        var from = 0
        for e in run.examples {
            guard let i = (from..<(text.count - 1)).first(where: { text[$0] == e.root && text[$0 + 1] == e.target }) else {
                Issue.record("(\(e.root), \(e.target)) is not a later pair of the answer"); return
            }
            from = i + 1
            #expect(e.candidates.count == DraftRanking.candidatesConsidered && e.logits == e.logits.sorted(by: >))
        }
        #expect(decoder.draftObserver == nil)
    }

    /// A strong random ranking reorders drafts a lot; greedy output must not change. (Sampled output
    /// keeps its distribution for any drafts: LosslessSamplingTests drives arbitrary drafts.)
    @Test func rankedDraftsStayLossless() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let adapter = BiTAAdapter.random(for: model.config, fingerprint: ModelFingerprint(file: model.file), seed: 7)
        var ranked = adapter
        ranked.ranking = Self.randomRanking(dim: model.config.dim, rank: 8, std: 0.5, seed: 2)
        let withRanking = BiTAParameters(adapter: ranked), without = BiTAParameters(adapter: adapter)
        var changed = 0
        for prompt in LosslessDecodingTests.storyPrompts {
            let ar = try LosslessDecodingTests.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 48).tokens
            for text in ["1/g1", "2/g1", "3,2,1/g3"] {
                let shape = try TreeShape(parsing: text, maskCount: 3)
                let r = try LosslessDecodingTests.decode(model, bita: withRanking, policy: .fixed(shape), prompt: prompt, count: 48)
                #expect(r.tokens == ar, "shape \(text), prompt \(prompt)")
                let unranked = try LosslessDecodingTests.decode(model, bita: without, policy: .fixed(shape), prompt: prompt, count: 48)
                #expect(unranked.tokens == ar)
                if r.steps.map(\.candidatesByDepth) != unranked.steps.map(\.candidatesByDepth) { changed += 1 }
            }
        }
        // The ranking must actually change drafts, or this test proves nothing.
        #expect(changed >= 6, "the ranking changed the drafts of only \(changed) of 12 runs")
    }
}
