import Testing
@testable import Inference

/// The attention kernel against its reference loops, bit for bit, and its independence of how
/// the key list is split into runs.
@Suite struct AttentionKernelTests {
    static let kvDim = 192  // SmolLM2: 3 KV heads of 64

    /// Keys and values as the cache holds them (binary16), query rounded to half likewise.
    struct Head {
        let q: [Float], keys: [KVElement], values: [KVElement]
        init(keyCount: Int, seed: UInt64, spread: Float = 4) {
            var rng = SeededRandom(seed: seed)
            func value() -> Float { roundedToHalfPrecision(Float(rng.nextUniform() * 2 - 1) * spread) }
            q = (0..<64).map { _ in value() }
            keys = (0..<(max(keyCount, 1) * AttentionKernelTests.kvDim)).map { _ in KVElement(value()) }
            values = (0..<(max(keyCount, 1) * AttentionKernelTests.kvDim)).map { _ in KVElement(value()) }
        }
    }

    /// Runs attention of `head` (KV head `kvHead`) over `count` keys split at `cuts`.
    static func run(_ head: Head, count: Int, kvHead: Int, cuts: [Int], useKernel: Bool) -> (out: [Float], scores: [Float]) {
        var out = [Float](repeating: .nan, count: 64)
        var scores = [Float](repeating: .nan, count: max(count, 1))
        head.q.withUnsafeBufferPointer { q in
            head.keys.withUnsafeBufferPointer { k in
                head.values.withUnsafeBufferPointer { v in
                    out.withUnsafeMutableBufferPointer { o in
                        scores.withUnsafeMutableBufferPointer { s in
                            AttentionKernel.attend(query: q.baseAddress!, headDim: 64, stride: kvDim, scale: 0.125,
                                                   scores: s.baseAddress!, out: o.baseAddress!,
                                                   useKernel: useKernel) { visit in
                                let bounds = [0] + cuts.filter { $0 > 0 && $0 < count } + [count]
                                for (a, b) in zip(bounds, bounds.dropFirst()) where b > a {
                                    let offset = a * kvDim + kvHead * 64
                                    visit(k.baseAddress! + offset, v.baseAddress! + offset, b - a)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (out, Array(scores.prefix(count)))
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    @Test(.enabled(if: AttentionKernel.vectorized), arguments: [1, 2, 15, 16, 17, 31, 33, 64, 100, 257])
    func kernelMatchesReference(count: Int) {
        for kvHead in 0..<3 {
            let head = Head(keyCount: count, seed: UInt64(count * 7 + kvHead))
            let fast = Self.run(head, count: count, kvHead: kvHead, cuts: [], useKernel: true)
            let plain = Self.run(head, count: count, kvHead: kvHead, cuts: [], useKernel: false)
            #expect(Self.bits(fast.scores) == Self.bits(plain.scores), "scores, count \(count)")
            #expect(Self.bits(fast.out) == Self.bits(plain.out), "output, count \(count)")
        }
    }

    @Test(arguments: [false, true])
    func scoresAreTheEngineDotProduct(useKernel: Bool) {
        // Each score is attentionDot(q, k) * scale exactly, in key order; the maximum is theirs.
        guard !useKernel || AttentionKernel.vectorized else { return }
        let head = Head(keyCount: 40, seed: 5)
        var scores = [Float](repeating: .nan, count: 40)
        let m = head.q.withUnsafeBufferPointer { q in
            head.keys.withUnsafeBufferPointer { k in
                AttentionKernel.scores(query: q.baseAddress!, keys: k.baseAddress! + 64, stride: Self.kvDim, count: 40,
                                       headDim: 64, scale: 0.125, into: &scores, useKernel: useKernel)
            }
        }
        for t in 0..<40 {
            let expected = head.q.withUnsafeBufferPointer { q in
                head.keys.withUnsafeBufferPointer { k in
                    attentionDot(q.baseAddress!, k.baseAddress! + t * Self.kvDim + 64, count: 64) * 0.125
                }
            }
            #expect(scores[t].bitPattern == expected.bitPattern, "key \(t)")
        }
        #expect(m == scores.max())
    }

    @Test func halfKeysGiveTheFloatDotProduct() {
        // The binary16 overload of attentionDot is the Float one on the widened key, bit for bit,
        // for whole 16-lane blocks and tails alike.
        var rng = SeededRandom(seed: 21)
        for count in [64, 16, 20, 7] {
            let q = (0..<count).map { _ in Float(rng.nextUniform() * 2 - 1) }
            let k = (0..<count).map { _ in KVElement(Float(rng.nextUniform() * 8 - 4)) }
            let wide = k.map { Float($0) }
            let half = q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { attentionDot(q.baseAddress!, $0.baseAddress!, count: count) } }
            let full = q.withUnsafeBufferPointer { q in wide.withUnsafeBufferPointer { attentionDot(q.baseAddress!, $0.baseAddress!, count: count) } }
            #expect(half.bitPattern == full.bitPattern, "count \(count)")
        }
    }

    @Test(arguments: [false, true])
    func runSplitsDoNotChangeBits(useKernel: Bool) {
        guard !useKernel || AttentionKernel.vectorized else { return }
        let head = Head(keyCount: 90, seed: 11)
        let whole = Self.run(head, count: 90, kvHead: 2, cuts: [], useKernel: useKernel)
        for cuts in [[1], [16], [5, 21, 22, 70], Array(stride(from: 3, to: 90, by: 3))] {
            let split = Self.run(head, count: 90, kvHead: 2, cuts: cuts, useKernel: useKernel)
            #expect(Self.bits(split.out) == Self.bits(whole.out), "cuts \(cuts)")
        }
    }

    @Test func peakedScoresAndExtremes() {
        // Large spreads make the softmax nearly one-hot and push half rounding to its limits.
        for spread: Float in [0.01, 1, 30] {
            let head = Head(keyCount: 50, seed: 3, spread: spread)
            let plain = Self.run(head, count: 50, kvHead: 0, cuts: [], useKernel: false)
            #expect(plain.out.allSatisfy { $0.isFinite })
            if AttentionKernel.vectorized {
                let fast = Self.run(head, count: 50, kvHead: 0, cuts: [], useKernel: true)
                #expect(Self.bits(fast.out) == Self.bits(plain.out), "spread \(spread)")
            }
        }
    }

    @Test func handComputed() {
        // Two keys with scores 0 and ln 3 * 8 * 0.125 = ln 3: weights 1/4 and 3/4 (exact in half).
        var q = [Float](repeating: 0, count: 64); q[0] = 1
        var keys = [KVElement](repeating: 0, count: 2 * Self.kvDim); keys[Self.kvDim] = KVElement(8 * 1.0986122886681098)
        var values = [KVElement](repeating: 0, count: 2 * Self.kvDim)
        values[0] = 4; values[Self.kvDim] = 8; values[Self.kvDim + 63] = -4
        for useKernel in [false, AttentionKernel.vectorized] {
            var out = [Float](repeating: 0, count: 64), scores = [Float](repeating: 0, count: 2)
            AttentionKernel.attend(query: q, headDim: 64, stride: Self.kvDim, scale: 0.125, scores: &scores, out: &out,
                                   useKernel: useKernel) { visit in visit(keys, values, 2) }
            // The key holds 8 ln 3 as binary16 (8.7890625): the weights come out within 4e-6 of
            // 1/4 and 3/4 and round to them exactly at half precision.
            #expect(abs(out[0] - 7) < 1e-3)     // 4/4 + 8 * 3/4
            #expect(abs(out[63] + 3) < 1e-3)    // -4 * 3/4
            #expect(out[1] == 0)
        }
    }

    /// Three query heads over one key/value head at once, against three one-head reference
    /// runs, bit for bit: scores of every head, outputs, with the keys split into runs as the
    /// engine splits them (prompt block, cache prefix, visible new rows) and with tails of
    /// fewer than eight keys. The third head's query is ten times larger than the others, so its
    /// softmax is nearly one-hot.
    @Test(.enabled(if: AttentionKernel.groupVectorized), arguments: [1, 2, 7, 8, 9, 17, 64, 100, 257])
    func groupOfThreeHeadsMatchesOneHeadAtATime(count: Int) {
        for (kvHead, cuts) in [(0, [Int]()), (1, [16]), (2, [5, 21, 22, count - 1])] {
            let head = Head(keyCount: count, seed: UInt64(count * 13 + kvHead))
            var rng = SeededRandom(seed: UInt64(count) + 5)
            // Queries of three heads: the first from `head`, then two more, the third 10x larger.
            let q = head.q + (0..<128).map { i in roundedToHalfPrecision(Float(rng.nextUniform() * 2 - 1) * (i < 64 ? 4 : 40)) }
            let bounds = [0] + cuts.filter { $0 > 0 && $0 < count } + [count]
            func run(useKernel: Bool) -> (out: [Float], scores: [Float]) {
                let stride = max(count, 1) + 3
                var out = [Float](repeating: .nan, count: 3 * 64)
                var scores = [Float](repeating: .nan, count: 3 * stride)
                head.keys.withUnsafeBufferPointer { k in
                    head.values.withUnsafeBufferPointer { v in
                        AttentionKernel.attendGroup(query: q, stride: Self.kvDim, scale: 0.125, scores: &scores,
                                                    scoreStride: stride, out: &out, useKernel: useKernel) { visit in
                            for (a, b) in zip(bounds, bounds.dropFirst()) where b > a {
                                let offset = a * Self.kvDim + kvHead * 64
                                visit(k.baseAddress! + offset, v.baseAddress! + offset, b - a)
                            }
                        }
                    }
                }
                let live = (0..<3).flatMap { j in scores[(j * stride)..<(j * stride + count)] }
                return (out, live)
            }
            let fast = run(useKernel: true), plain = run(useKernel: false)
            #expect(Self.bits(fast.scores) == Self.bits(plain.scores), "scores, count \(count), cuts \(cuts)")
            #expect(Self.bits(fast.out) == Self.bits(plain.out), "output, count \(count), cuts \(cuts)")
            #expect(plain.out.allSatisfy { $0.isFinite })
        }
    }
}
