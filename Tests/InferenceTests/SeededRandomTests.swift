import Testing
@testable import Inference

@Suite struct SeededRandomTests {
    /// Published reference outputs of both generators.
    @Test func matchesReferenceOutputs() {
        var sm = SplitMix64(state: 0)
        #expect([sm.next(), sm.next()] == [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4])
        var x = SeededRandom(state: (1, 2, 3, 4))
        #expect((0..<4).map { _ in x.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func seedsAreReproducibleAndDistinct() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        #expect(sa == (0..<100).map { _ in b.next() })
        #expect(sa != (0..<100).map { _ in c.next() })
        // Seed 42 expands through SplitMix64 into xoshiro's state; pinned so the stream never drifts.
        #expect(sa[0] == 0x1578_0b2e_0c2e_c716)
    }

    @Test func uniformAndIntegerRanges() {
        var r = SeededRandom(seed: 7)
        var sum = 0.0
        var counts = [Int](repeating: 0, count: 10)
        let n = 100_000
        for _ in 0..<n {
            let u = r.nextUniform()
            #expect(u >= 0 && u < 1)
            sum += u
            let f = r.nextUniformFloat()
            #expect(f >= 0 && f < 1)
            counts[r.nextInt(below: 10)] += 1
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.005)
        // Chi-square with 9 degrees of freedom: 27.9 is the p = 0.001 critical value.
        let expected = Double(n) / 10
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 27.9, "chi-square \(chi2) for \(counts)")
    }

    @Test func gaussianMoments() {
        var r = SeededRandom(seed: 2024)
        let xs = (0..<200_000).map { _ in r.nextGaussian() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02, "mean \(mean) variance \(variance)")
        #expect(xs.allSatisfy { $0.isFinite })
        let within1 = Double(xs.filter { abs($0) < 1 }.count) / Double(xs.count)
        #expect(abs(within1 - 0.6827) < 0.005, "P(|x| < 1) = \(within1)")
    }
}
