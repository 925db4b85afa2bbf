import Foundation
import Testing
import CKernels
@testable import Inference

/// The vector exponentials against their scalar `expf` twins, bit for bit: softmax and SiLU use
/// them, and every logit (so every comparison with llama.cpp and between decoding modes)
/// depends on them giving exactly what the scalar code gives.
@Suite struct ExponentialTests {
    /// Runs the kernel on `xs` (offset 0) and lists the inputs where it differs from expf.
    static func mismatches(_ xs: [Float]) -> [String] {
        var fast = xs
        fast.withUnsafeMutableBufferPointer { Exponential.exponentiate($0.baseAddress!, count: $0.count, subtracting: 0) }
        var bad: [String] = []
        for (x, e) in zip(xs, fast) {
            let want = expf(x)
            if e.bitPattern != want.bitPattern && !(e.isNaN && want.isNaN) { bad.append("exp(\(x)) = \(e), expf \(want)") }
        }
        return bad
    }

    @Test func kernelIsInUseOnThisMachine() {
        // The comparisons below only test the kernel where it runs; say so where it does not.
        if !Exponential.vectorized { print("Exponential: neither AVX-512 nor AVX2 here, the scalar twins run") }
        #expect(Exponential.vectorized == (bita_cpu_has_avx512f() != 0 || bita_cpu_has_avx2_fma_f16c() != 0))
    }

    @Test func equalsExpfOnFourMillionRandomInputs() {
        var rng = SeededRandom(seed: 20261128)
        var xs: [Float] = []
        xs.reserveCapacity(4_000_000)
        for i in 0..<4_000_000 {
            // Half over the whole range that neither overflows nor flushes to zero, half where
            // softmax and SiLU live (scores minus their maximum; gate values).
            let u = Float(rng.nextUniform())
            xs.append(i % 2 == 0 ? -104 + 193 * u : -30 + 40 * u)
        }
        let bad = Self.mismatches(xs)
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test func equalsExpfOnWholeBinades() {
        // Every float of [1, 2), [-2, -1), [16, 32) and [-32, -16), and a stride through the
        // tiny magnitudes where r stays near 0.
        var xs: [Float] = []
        for (lo, hi) in [(Float(1), Float(2)), (Float(16), Float(32))] {
            for bits in lo.bitPattern..<hi.bitPattern {
                xs.append(Float(bitPattern: bits)); xs.append(-Float(bitPattern: bits))
            }
        }
        for bits in stride(from: UInt32(0), to: Float(0x1p-10).bitPattern, by: 97) {
            xs.append(Float(bitPattern: bits)); xs.append(-Float(bitPattern: bits))
        }
        let bad = Self.mismatches(xs)
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test func specialValuesFollowExpf() {
        let xs: [Float] = [0, -0, 1, -1, 88, -88, 88.72, 88.73, 89, -103.9, -104, -150, -1000, 1000,
                           .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                           .leastNonzeroMagnitude, 87.99, -87.99, 0x1p-30]
        let bad = Self.mismatches(xs)
        #expect(bad.isEmpty, "\(bad)")
    }

    @Test(arguments: [1, 7, 8, 9, 16, 100, 1537])
    func softmaxAndSiLUMatchTheirTwins(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        let scores = (0..<count).map { _ in Float(rng.nextUniform() * 20 - 10) }
        let m = scores.max()!
        var fast = scores, plain = scores
        fast.withUnsafeMutableBufferPointer { Exponential.exponentiate($0.baseAddress!, count: count, subtracting: m) }
        plain.withUnsafeMutableBufferPointer { Exponential.exponentiateReference($0.baseAddress!, count: count, subtracting: m) }
        #expect(fast.map(\.bitPattern) == plain.map(\.bitPattern))

        let up = (0..<count).map { _ in Float(rng.nextUniform() * 4 - 2) }
        var gateFast = scores, gatePlain = scores
        up.withUnsafeBufferPointer { u in
            gateFast.withUnsafeMutableBufferPointer { Exponential.siluTimes($0.baseAddress!, u.baseAddress!, count: count) }
            gatePlain.withUnsafeMutableBufferPointer { Exponential.siluTimesReference($0.baseAddress!, u.baseAddress!, count: count) }
        }
        #expect(gateFast.map(\.bitPattern) == gatePlain.map(\.bitPattern))
    }

    /// The softmax sum's 16 lanes and pairwise folds against the same additions written one
    /// element at a time, and against an exact sum (so the order is a sum, not something else).
    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 33, 100, 256, 1000])
    func laneSumMatchesItsTwin(count: Int) {
        var rng = SeededRandom(seed: UInt64(count) + 17)
        let p = (0..<count).map { _ in Float(rng.nextUniform()) * Float(1 << (count % 7)) }
        let fast = Exponential.laneSum(p, count: count)
        let plain = Exponential.laneSumReference(p, count: count)
        #expect(fast.bitPattern == plain.bitPattern, "\(fast) vs \(plain)")
        let exact = p.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(fast) - exact) <= 1e-5 * max(1, exact))
    }
}
