import CKernels

/// One query head's attention over runs of key/value rows, the inner loop of every forward pass.
///
/// A head attends its keys in a fixed order given as runs: `runs` calls its argument once per
/// run (keys, values, count), rows t = 0..<count at `keys + t * stride` and `values + t * stride`.
/// The engine's runs are the prompt K/V block, the cache prefix, then the visible new rows; the
/// tuner's batched generator has one run per sequence. Then:
///   score_t = attentionDot(q, k_t) * scale              (in key order, into `scores`)
///   p_t     = expf(score_t - max), inv = 1 / sum_t p_t   (Exponential.softmaxInPlace)
///   out     = sum_t half(p_t * inv) * v_t                (rounded product, rounded add, key order)
/// Every number depends only on the row's own query and its key list, never on how keys are
/// split into runs or which batch the row is in: that is what makes a row's logits the same
/// bits alone or in any BiTA tree.
///
/// Why a kernel: at a 256-token context the per-key work (a dot product with a horizontal fold,
/// then a value update) was the largest per-row cost of a BiTA step after the matmuls. For
/// 64-element heads on AVX-512 machines, `bita_attention_scores64_avx512` folds sixteen keys'
/// dot products together (same additions, fewer instructions) and the value loop runs in
/// registers; AVX2 machines have the same kernels eight keys at a time (`attention_avx2.c`). The
/// plain Swift loops below are the reference twins and the path everywhere else.
/// `AttentionKernelTests` pins them bit for bit.
enum AttentionKernel {
    /// Which C kernel runs for 64-element heads.
    enum Backend { case avx512, avx2, none }
    static let backend: Backend = bita_cpu_has_avx512f() != 0 ? .avx512 : bita_cpu_has_avx2_fma_f16c() != 0 ? .avx2 : .none
    /// Whether a C kernel exists on this machine (otherwise the reference loops run).
    static let vectorized = backend != .none

    /// Attention of one head; see the type comment. `scores` needs room for every key.
    /// `useKernel: false` runs the reference loops (for tests).
    @inline(__always)
    static func attend(query q: UnsafePointer<Float>, headDim: Int, stride: Int, scale: Float,
                       scores s: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                       useKernel: Bool = vectorized,
                       runs: ((_ keys: UnsafePointer<Float>, _ values: UnsafePointer<Float>, _ count: Int) -> Void) -> Void) {
        let fast = useKernel && headDim == 64
        var count = 0
        var m = -Float.infinity
        runs { keys, _, n in
            let runMax = scores(query: q, keys: keys, stride: stride, count: n, headDim: headDim, scale: scale,
                                into: s + count, useKernel: fast)
            if runMax > m { m = runMax }
            count += n
        }
        let inv = Exponential.softmaxInPlace(s, count: count, max: m)
        out.update(repeating: 0, count: headDim)
        var t = 0
        runs { _, values, n in
            if fast && backend == .avx512 {
                bita_attention_values64_avx512(s + t, inv, values, Int64(stride), Int64(n), out)
            } else if fast {
                bita_attention_values64_avx2(s + t, inv, values, Int64(stride), Int64(n), out)
            } else {
                accumulateReference(probabilities: s + t, inverseSum: inv, values: values, stride: stride, count: n,
                                    headDim: headDim, into: out)
            }
            t += n
        }
    }

    /// s[t] = attentionDot(q, keys + t * stride) * scale; returns the largest non-NaN score
    /// (-infinity if none).
    @inline(__always)
    static func scores(query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, count: Int,
                       headDim: Int, scale: Float, into s: UnsafeMutablePointer<Float>,
                       useKernel: Bool = vectorized) -> Float {
        if useKernel && headDim == 64 {
            switch backend {
            case .avx512: return bita_attention_scores64_avx512(q, keys, Int64(stride), Int64(count), scale, s)
            case .avx2: return bita_attention_scores64_avx2(q, keys, Int64(stride), Int64(count), scale, s)
            case .none: break
            }
        }
        return scoresReference(query: q, keys: keys, stride: stride, count: count, headDim: headDim, scale: scale, into: s)
    }

    /// `bita_attention_scores64_avx512` in Swift SIMD, for measuring against the C kernel
    /// (KernelBenchmarkTests.attentionPerRow): the same transposed fold of sixteen keys.
    static func scoresSIMD(query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, count: Int,
                           scale: Float, into s: UnsafeMutablePointer<Float>) -> Float {
        typealias V = SIMD16<Float>
        let raw = UnsafeRawPointer(q)
        let q0 = raw.loadUnaligned(as: V.self), q1 = raw.loadUnaligned(fromByteOffset: 64, as: V.self)
        let q2 = raw.loadUnaligned(fromByteOffset: 128, as: V.self), q3 = raw.loadUnaligned(fromByteOffset: 192, as: V.self)
        @inline(__always) func dot(_ t: Int) -> V {
            let k = UnsafeRawPointer(keys + min(t, count - 1) * stride)
            var a = V(repeating: 0)
            a = a.addingProduct(q0, k.loadUnaligned(as: V.self))
            a = a.addingProduct(q1, k.loadUnaligned(fromByteOffset: 64, as: V.self))
            a = a.addingProduct(q2, k.loadUnaligned(fromByteOffset: 128, as: V.self))
            a = a.addingProduct(q3, k.loadUnaligned(fromByteOffset: 192, as: V.self))
            return a
        }
        @inline(__always) func halves(_ x: V, _ y: V) -> V {
            V(lowHalf: x.lowHalf, highHalf: y.lowHalf) + V(lowHalf: x.highHalf, highHalf: y.highHalf)
        }
        @inline(__always) func quarters(_ x: V, _ y: V) -> V {
            V(lowHalf: SIMD8(lowHalf: x.lowHalf.lowHalf, highHalf: x.highHalf.lowHalf),
              highHalf: SIMD8(lowHalf: y.lowHalf.lowHalf, highHalf: y.highHalf.lowHalf))
                + V(lowHalf: SIMD8(lowHalf: x.lowHalf.highHalf, highHalf: x.highHalf.highHalf),
                    highHalf: SIMD8(lowHalf: y.lowHalf.highHalf, highHalf: y.highHalf.highHalf))
        }
        @inline(__always) func perLane(_ x: V, _ y: V, _ f: (SIMD4<Float>, SIMD4<Float>) -> SIMD4<Float>) -> V {
            V(lowHalf: SIMD8(lowHalf: f(x.lowHalf.lowHalf, y.lowHalf.lowHalf), highHalf: f(x.lowHalf.highHalf, y.lowHalf.highHalf)),
              highHalf: SIMD8(lowHalf: f(x.highHalf.lowHalf, y.highHalf.lowHalf), highHalf: f(x.highHalf.highHalf, y.highHalf.highHalf)))
        }
        var m = -Float.infinity
        var t0 = 0
        while t0 < count {
            let b0 = halves(dot(t0), dot(t0 + 4)), b1 = halves(dot(t0 + 8), dot(t0 + 12))
            let b2 = halves(dot(t0 + 1), dot(t0 + 5)), b3 = halves(dot(t0 + 9), dot(t0 + 13))
            let b4 = halves(dot(t0 + 2), dot(t0 + 6)), b5 = halves(dot(t0 + 10), dot(t0 + 14))
            let b6 = halves(dot(t0 + 3), dot(t0 + 7)), b7 = halves(dot(t0 + 11), dot(t0 + 15))
            let c0 = quarters(b0, b1), c1 = quarters(b2, b3), c2 = quarters(b4, b5), c3 = quarters(b6, b7)
            let pairs = { (x: SIMD4<Float>, y: SIMD4<Float>) in
                SIMD4(lowHalf: x.lowHalf, highHalf: y.lowHalf) + SIMD4(lowHalf: x.highHalf, highHalf: y.highHalf)
            }
            let d0 = perLane(c0, c1, pairs), d1 = perLane(c2, c3, pairs)
            let singles = { (x: SIMD4<Float>, y: SIMD4<Float>) in
                SIMD4(lowHalf: x.evenHalf, highHalf: y.evenHalf) + SIMD4(lowHalf: x.oddHalf, highHalf: y.oddHalf)
            }
            let sc = perLane(d0, d1, singles) * scale
            for i in 0..<min(16, count - t0) {
                s[t0 + i] = sc[i]
                if sc[i] > m { m = sc[i] }
            }
            t0 += 16
        }
        return m
    }

    /// `bita_attention_values64_avx512` in Swift SIMD (running sums in four registers), for
    /// measuring against the C kernel.
    static func accumulateSIMD(probabilities p: UnsafePointer<Float>, inverseSum inv: Float,
                               values: UnsafePointer<Float>, stride: Int, count: Int,
                               into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let o = UnsafeMutableRawPointer(out)
        var a0 = o.loadUnaligned(as: V.self), a1 = o.loadUnaligned(fromByteOffset: 64, as: V.self)
        var a2 = o.loadUnaligned(fromByteOffset: 128, as: V.self), a3 = o.loadUnaligned(fromByteOffset: 192, as: V.self)
        for t in 0..<count {
            let w = roundedToHalfPrecision(p[t] * inv)
            let v = UnsafeRawPointer(values + t * stride)
            a0 += w * v.loadUnaligned(as: V.self)
            a1 += w * v.loadUnaligned(fromByteOffset: 64, as: V.self)
            a2 += w * v.loadUnaligned(fromByteOffset: 128, as: V.self)
            a3 += w * v.loadUnaligned(fromByteOffset: 192, as: V.self)
        }
        o.storeBytes(of: a0, as: V.self)
        o.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        o.storeBytes(of: a2, toByteOffset: 128, as: V.self)
        o.storeBytes(of: a3, toByteOffset: 192, as: V.self)
    }

    /// The plain twin of `scores`.
    static func scoresReference(query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, count: Int,
                                headDim: Int, scale: Float, into s: UnsafeMutablePointer<Float>) -> Float {
        var m = -Float.infinity
        for t in 0..<count {
            let sc = attentionDot(q, keys + t * stride, count: headDim) * scale
            s[t] = sc
            if sc > m { m = sc }
        }
        return m
    }

    /// out[e] += half(p[t] * inv) * values[t * stride + e], t in order.
    static func accumulateReference(probabilities p: UnsafePointer<Float>, inverseSum inv: Float,
                                    values: UnsafePointer<Float>, stride: Int, count: Int, headDim: Int,
                                    into out: UnsafeMutablePointer<Float>) {
        for t in 0..<count {
            let w = roundedToHalfPrecision(p[t] * inv)
            let v = values + t * stride
            for e in 0..<headDim { out[e] += w * v[e] }
        }
    }
}
