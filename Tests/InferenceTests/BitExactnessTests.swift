import Foundation
import Testing
@testable import Inference

/// A token's logits must be the same bits whether it runs alone or inside any batch layout:
/// this is what makes BiTA's output identical to plain decoding.
@Suite struct BitExactnessTests {
    struct Tree {
        var tokens: [Int32]
        var parents: [Int]          // -1 = hangs off the cache
        var seesPrompt: [Bool]
        func ancestors(_ i: Int) -> [Int] {
            var chain: [Int] = []
            var p = parents[i]
            while p >= 0 { chain.append(p); p = parents[p] }
            return chain.reversed()
        }
        func depth(_ i: Int) -> Int { ancestors(i).count }
    }

    static func randomTree(n: Int, vocab: Int, rng: inout SplitMix) -> Tree {
        var t = Tree(tokens: [], parents: [], seesPrompt: [])
        for i in 0..<n {
            t.tokens.append(Int32(rng.next() % UInt64(vocab)))
            t.parents.append(i == 0 ? -1 : Int(rng.next() % UInt64(i + 1)) - 1)
            t.seesPrompt.append(rng.next() % 3 == 0)
        }
        // A row that sees the prompt makes its whole subtree see it (as BiTA's mask groups do).
        for i in 0..<n where t.parents[i] >= 0 && t.seesPrompt[t.parents[i]] { t.seesPrompt[i] = true }
        return t
    }

    struct SplitMix { var s: UInt64; mutating func next() -> UInt64 { s &+= 0x9E3779B97F4A7C15; var z = s
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31) } }

    static func check(modelPath: String, sizes: [Int], rowsChecked: Int, threads: Int) throws {
        let model = try LlamaModel(path: modelPath)
        let c = model.config
        var rng = SplitMix(s: 42)
        // Random prompt K/V (BiTA prompt tokens), 4 rows per layer.
        let p = 4
        let pk = (0..<c.layerCount).map { _ in (0..<(p * c.kvDim)).map { _ in Float(Int(rng.next() % 2001) - 1000) / 500 } }
        let pv = (0..<c.layerCount).map { _ in (0..<(p * c.kvDim)).map { _ in Float(Int(rng.next() % 2001) - 1000) / 500 } }
        func half(_ a: [Float]) -> UnsafePointer<KVElement> {
            let b = UnsafeMutablePointer<KVElement>.allocate(capacity: a.count)
            b.initialize(from: a.map { KVElement($0) }, count: a.count)
            return UnsafePointer(b)
        }
        let pkPtrs = pk.map(half), pvPtrs = pv.map(half)
        defer { (pkPtrs + pvPtrs).forEach { UnsafeMutablePointer(mutating: $0).deallocate() } }
        let promptKV = PromptKV(count: p, keys: pkPtrs, values: pvPtrs)
        let prefix: [Int32] = (0..<9).map { _ in Int32(rng.next() % UInt64(c.vocabSize)) }
        let vocab = c.vocabSize
        let stateAlone = RunState(pool: ThreadPool(threads: 1))
        let stateBatch = RunState(pool: ThreadPool(threads: threads))

        func prefixCache() -> KVCache {
            let cache = model.makeCache(capacity: 256)
            var scratch = [Float](repeating: 0, count: vocab)
            for (i, t) in prefix.enumerated() {   // one row at a time: the decode path
                scratch.withUnsafeMutableBufferPointer {
                    model.forward(.causal(tokens: [t], startPosition: i), cache: cache, state: stateAlone,
                                  logitRows: [], logits: $0.baseAddress!)
                }
            }
            return cache
        }

        for n in sizes {
            let tree = randomTree(n: n, vocab: vocab, rng: &rng)
            var vis = [Bool](repeating: false, count: n * n)
            for i in 0..<n { vis[i * n + i] = true; for a in tree.ancestors(i) { vis[i * n + a] = true } }
            let batch = ForwardBatch(inputs: tree.tokens.map { .token($0) },
                                     positions: (0..<n).map { prefix.count + tree.depth($0) },
                                     visible: vis, seesPromptKV: tree.seesPrompt)
            var batchLogits = [Float](repeating: 0, count: n * vocab)
            let cache = prefixCache()
            batchLogits.withUnsafeMutableBufferPointer {
                model.forward(batch, cache: cache, state: stateBatch, promptKV: promptKV,
                              logitRows: Array(0..<n), logits: $0.baseAddress!)
            }
            let checked = n <= rowsChecked ? Array(0..<n) : (0..<rowsChecked).map { _ in Int(rng.next() % UInt64(n)) }
            for i in checked {
                let alone = prefixCache()
                var logits = [Float](repeating: 0, count: vocab)
                for node in tree.ancestors(i) + [i] {
                    let b = ForwardBatch(inputs: [.token(tree.tokens[node])], positions: [prefix.count + tree.depth(node)],
                                         visible: [true], seesPromptKV: [tree.seesPrompt[node]])
                    logits.withUnsafeMutableBufferPointer {
                        model.forward(b, cache: alone, state: stateAlone, promptKV: promptKV,
                                      logitRows: node == i ? [0] : [], logits: $0.baseAddress!)
                    }
                }
                let same = (0..<vocab).allSatisfy { logits[$0].bitPattern == batchLogits[i * vocab + $0].bitPattern }
                #expect(same, "n=\(n) row \(i): logits differ between batch and alone")
            }
        }
    }

    @Test func storiesRandomTrees() throws {
        try Self.check(modelPath: TestModels.stories260K, sizes: [1, 2, 3, 7, 16, 51, 64], rowsChecked: 64, threads: 2)
    }

    @Test(.enabled(if: TestModels.exists(TestModels.smolLM2), "run `make model` first"))
    func smolLM2RandomTrees() throws {
        try Self.check(modelPath: TestModels.smolLM2, sizes: [1, 2, 3, 7, 16, 51], rowsChecked: 4, threads: 2)
    }
}
