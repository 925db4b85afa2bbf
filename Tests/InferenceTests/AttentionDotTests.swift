import Testing
@testable import Inference

/// The vectorized attention dot product against its plain twin, and its batch independence.
@Suite struct AttentionDotTests {
    @Test(arguments: [1, 7, 16, 33, 64, 100, 128])
    func matchesPlainSum(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        let a = (0..<count).map { _ in Float(rng.nextUniform() * 2 - 1) }
        let b = (0..<count).map { _ in Float(rng.nextUniform() * 2 - 1) }
        let fast = attentionDot(a, b, count: count)
        let plain = attentionDotReference(a, b, count: count)
        let exact = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        // Both are float sums of `count` products: each within a few ulps of the magnitude.
        #expect(abs(Double(fast) - exact) <= 1e-6 * magnitude * Double(count), "fast \(fast) exact \(exact)")
        #expect(abs(Double(plain) - exact) <= 1e-6 * magnitude * Double(count), "plain \(plain) exact \(exact)")
    }

    @Test func handComputed() {
        let a: [Float] = (0..<20).map { Float($0) }
        let b = [Float](repeating: 0.5, count: 20)
        #expect(attentionDot(a, b, count: 20) == 95)   // 0.5 * (0 + 1 + ... + 19), exact in Float
    }

    @Test func sameBitsAtAnyOffset() {
        // Same values at another address (another batch layout) give the same bits.
        var rng = SeededRandom(seed: 9)
        let a = (0..<64).map { _ in Float(rng.nextUniform()) }
        let b = (0..<64).map { _ in Float(rng.nextUniform()) }
        let padded = [Float](repeating: 3, count: 5) + b
        let x = attentionDot(a, b, count: 64)
        let y = padded.withUnsafeBufferPointer { attentionDot(a, $0.baseAddress! + 5, count: 64) }
        #expect(x.bitPattern == y.bitPattern)
    }
}
