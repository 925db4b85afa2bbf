#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A small, fast, seeded pseudo-random generator: xoshiro256** (Blackman & Vigna), with its
/// 256-bit state filled from the seed by SplitMix64 as its authors recommend. The same seed
/// gives the same integer sequence on every machine and build, which makes sampling, adapter
/// initialisation and tests reproducible (`nextGaussian` also depends on the C library's `log`
/// and `cos`, which are deterministic for a given libm). Not for cryptography.
///
/// Conforms to `RandomNumberGenerator`, so `Int.random(in:using:)`, `shuffled(using:)` etc.
/// work with it (note those standard-library algorithms are not promised stable across Swift
/// versions; the methods below are).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        // SplitMix64 outputs are a bijection of distinct counters, so all four cannot be zero.
    }

    /// Starts from an explicit state (not all zero), e.g. to check against reference outputs.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    /// Next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, 1) as Float, with 24 random bits.
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias (Lemire's multiply-shift
    /// with rejection).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal N(0, 1) by the Box-Muller transform (one of the pair is used, so each
    /// call consumes exactly two 64-bit outputs and the sequence never depends on call history).
    public mutating func nextGaussian() -> Double {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1 - nextUniform()
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` samples of N(mean, std^2) as Float.
    public mutating func normalFloats(count: Int, mean: Float = 0, std: Float) -> [Float] {
        (0..<count).map { _ in mean + std * Float(nextGaussian()) }
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// SplitMix64 (Steele, Lea & Flood): a 64-bit counter passed through a mixing function. Used to
/// expand one seed into xoshiro's state; also a fine generator for small needs on its own.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
