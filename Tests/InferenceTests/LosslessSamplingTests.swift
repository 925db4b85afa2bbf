import Foundation
import Testing
@testable import Inference

/// Speculative sampling over the tree must leave the output distribution exactly the AR one.
@Suite struct LosslessSamplingTests {
    @Test func chiSquareHelperRejectsDifferentDistributions() {
        var rng = SeededRandom(seed: 1)
        var a: [Int: Int] = [:], b: [Int: Int] = [:], c: [Int: Int] = [:]
        for _ in 0..<20_000 {
            a[Int(rng.nextUniform() * 10), default: 0] += 1
            b[Int(rng.nextUniform() * 10), default: 0] += 1
            c[Int(pow(rng.nextUniform(), 1.1) * 10), default: 0] += 1
        }
        #expect(ChiSquare.twoSample(a, b).p > 0.01)
        #expect(ChiSquare.twoSample(a, c).p < 0.001)
        #expect(abs(ChiSquare.regularizedLowerGamma(1, 2) - (1 - exp(-2))) < 1e-12)
    }

    @Test func handMadeDistributionsAcceptExactly() {
        // p over 4 tokens; candidates [2, 0]. Emitted token frequencies must follow p exactly.
        let p = TokenDistribution(ids: [0, 1, 2, 3], probabilities: [0.1, 0.2, 0.6, 0.1])
        var rng = SeededRandom(seed: 9)
        var counts = [Int32: Int]()
        let n = 200_000
        for _ in 0..<n {
            switch TreeAcceptance.choose(p, candidates: [2, 0], rng: &rng) {
            case .accepted(let i): counts[[2, 0][i], default: 0] += 1
            case .resampled(let t):
                #expect(t != 2 && t != 0, "a rejected candidate must not be resampled")
                counts[t, default: 0] += 1
            }
        }
        for (id, prob) in zip(p.ids, p.probabilities) {
            let f = Double(counts[id] ?? 0) / Double(n)
            #expect(abs(f - prob) < 0.005, "token \(id): \(f) vs \(prob)")
        }
        // A candidate with zero probability is never accepted; all mass on candidates never resamples.
        let q = TokenDistribution(ids: [5, 6], probabilities: [0.5, 0.5])
        for _ in 0..<1000 {
            let o = TreeAcceptance.choose(q, candidates: [7, 6, 5], rng: &rng)
            #expect(o == .accepted(index: 1) || o == .accepted(index: 2))
        }
    }

    /// >= 20,000 seeded samples per mode at temperature 0.8 on stories260K: the tokens at the
    /// first and the fourth generated position have the same distribution with BiTA as with AR.
    @Test func storiesBiTAMatchesARDistribution() throws {
        let model = try LlamaModel(path: TestModels.stories260K)
        let bita = BiTAParameters.random(config: model.config, maskCount: 3, seed: 2)
        let prompt: [Int32] = [1, 403, 407, 261, 378]
        let sampling = SamplingParameters(temperature: 0.8)
        let samples = 20_000
        let positions = [0, 3]
        // Drafts: the greedy continuation and runners-up, so acceptance happens often.
        let greedy = try LosslessDecodingTests.decode(model, bita: nil, policy: .autoregressive, prompt: prompt, count: 8).tokens
        // Half the samples with a mask group on every node, half lean (one group): both layouts
        // must leave the distribution unchanged.
        let shapes = [try TreeShape(parsing: "3,2,1/g3", maskCount: 3), try TreeShape(parsing: "3,2,1/g3/lean", maskCount: 3)]
        let pool = ThreadPool(threads: 1)
        func histograms(bitaMode: Bool) throws -> ([[Int: Int]], Int) {
            let decoders = shapes.map { shape in
                SpeculativeDecoder(model: model, bita: bitaMode ? bita : nil, cache: model.makeCache(capacity: 64),
                                   pool: pool, policy: bitaMode ? .fixed(shape) : .autoregressive,
                                   sampling: sampling, seed: 0)
            }
            var hist = [[Int: Int]](repeating: [:], count: positions.count)
            var accepted = 0
            for s in 0..<samples {
                let decoder = decoders[s % 2]
                decoder.reseed(UInt64(s) &* 7919 &+ (bitaMode ? 1 : 2))
                try decoder.prefill(prompt)
                var out: [Int32] = []
                while out.count <= positions.max()! {
                    if bitaMode {
                        let k = out.count
                        decoder.overrideDrafts((0..<3).map { d in
                            let g = k + d < greedy.count ? greedy[k + d] : 0
                            return [g, (g + 1) % 512, (g + 7) % 512]
                        })
                    }
                    let r = try decoder.step()
                    accepted += r.tokens.count - 1
                    out += r.tokens.map(\.id)
                }
                for (i, p) in positions.enumerated() { hist[i][Int(out[p]), default: 0] += 1 }
            }
            return (hist, accepted)
        }
        let (ar, _) = try histograms(bitaMode: false)
        let (bt, accepted) = try histograms(bitaMode: true)
        #expect(accepted > samples, "drafts should be accepted often (got \(accepted))")
        for (i, p) in positions.enumerated() {
            let test = ChiSquare.twoSample(ar[i], bt[i])
            print("position \(p): chi2 \(test.statistic) df \(test.df) p \(test.p)")
            #expect(test.p > 0.01, "position \(p): BiTA's distribution differs from AR's (p = \(test.p))")
        }
    }
}
