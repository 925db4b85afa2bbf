import CKernels

/// One query head's attention over runs of key/value rows, the inner loop of every forward pass.
///
/// Keys and values are binary16 (`KVElement`), as the KV cache and the prompt K/V store them; the
/// engine rounds every key and value to binary16 before storing it, so widening them back to
/// Float is exact and the arithmetic below is the Float arithmetic of a Float cache holding the
/// same values, at half the bytes read per key.
///
/// A head attends its keys in a fixed order given as runs: `runs` calls its argument once per
/// run (keys, values, count), rows t = 0..<count at `keys + t * stride` and `values + t * stride`.
/// The engine's runs are the prompt K/V block, the cache prefix, then the visible new rows; the
/// tuner's batched generator has one run per sequence. Then:
///   score_t = attentionDot(q, k_t) * scale              (in key order, into `scores`)
///   p_t     = expf(score_t - max), inv = 1 / sum_t p_t   (Exponential.softmaxInPlace, 16-lane sum)
///   out     = sum_t half(p_t * inv) * v_t                (a fused multiply-add per key, key order)
/// Every number depends only on the row's own query and its key list, never on how keys are
/// split into runs or which batch the row is in: that is what makes a row's logits the same
/// bits alone or in any BiTA tree.
///
/// Why a kernel: at a 256-token context the per-key work (a dot product with a horizontal fold,
/// then a value update) is the largest per-row cost of a BiTA step after the matmuls. For
/// 64-element heads on x86-64 with AVX2, FMA and F16C, `attention_avx2.c` folds eight keys' dot
/// products together (same additions, fewer instructions) and runs the value loop in registers.
/// The plain Swift loops below are the reference twins and the path everywhere else.
/// `AttentionKernelTests` pins them bit for bit.
enum AttentionKernel {
    /// Which C kernel runs for 64-element heads.
    enum Backend { case avx2, none }
    static let backend: Backend = bita_cpu_has_avx2_fma_f16c() != 0 ? .avx2 : .none
    /// Whether a C kernel exists on this machine (otherwise the reference loops run).
    static let vectorized = backend != .none

    /// Attention of one head; see the type comment. `scores` needs room for every key.
    /// `useKernel: false` runs the reference loops (for tests).
    @inline(__always)
    static func attend(query q: UnsafePointer<Float>, headDim: Int, stride: Int, scale: Float,
                       scores s: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                       useKernel: Bool = vectorized,
                       runs: ((_ keys: UnsafePointer<KVElement>, _ values: UnsafePointer<KVElement>, _ count: Int) -> Void) -> Void) {
        let fast = useKernel && headDim == 64 && backend == .avx2
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
            if fast {
                values.withMemoryRebound(to: UInt16.self, capacity: 1) { v in
                    bita_attention_values64_f16_avx2(s + t, inv, v, Int64(stride), Int64(n), out)
                }
            } else {
                accumulateReference(probabilities: s + t, inverseSum: inv, values: values, stride: stride, count: n,
                                    headDim: headDim, into: out)
            }
            t += n
        }
    }

    /// Whether `attendGroup` has its kernel here (AVX-512 for the registers, 64-element heads).
    static let groupVectorized = backend == .avx2 && bita_cpu_has_avx512f() != 0

    /// Attention of the three query heads that share one key/value head, at once: queries at
    /// q, q + 64, q + 128 (consecutive heads of one row), outputs likewise at `out`, head j's
    /// scores at `s + j * scoreStride`. Every key and value is read once for the three heads;
    /// each head's results are the bits `attend` gives it alone (`AttentionKernelTests`). Without
    /// the kernel (or with `useKernel: false`) it is three `attend` calls, the reference twin.
    static func attendGroup(query q: UnsafePointer<Float>, stride: Int, scale: Float,
                            scores s: UnsafeMutablePointer<Float>, scoreStride: Int, out: UnsafeMutablePointer<Float>,
                            useKernel: Bool = groupVectorized,
                            runs: ((_ keys: UnsafePointer<KVElement>, _ values: UnsafePointer<KVElement>, _ count: Int) -> Void) -> Void) {
        guard useKernel else {
            for j in 0..<3 {
                attend(query: q + 64 * j, headDim: 64, stride: stride, scale: scale, scores: s + j * scoreStride,
                       out: out + 64 * j, useKernel: useKernel, runs: runs)
            }
            return
        }
        var count = 0
        var maxima = SIMD4<Float>(repeating: -.infinity)
        runs { keys, _, n in
            var runMaxima = SIMD4<Float>(repeating: -.infinity)
            withUnsafeMutableBytes(of: &runMaxima) { m in
                keys.withMemoryRebound(to: UInt16.self, capacity: 1) { k in
                    bita_attention_group_scores64_f16_avx512(q, k, Int64(stride), Int64(n), scale, s + count,
                                                             Int64(scoreStride), m.baseAddress!.assumingMemoryBound(to: Float.self))
                }
            }
            for j in 0..<3 where runMaxima[j] > maxima[j] { maxima[j] = runMaxima[j] }
            count += n
        }
        var inverses = SIMD4<Float>(repeating: 0)
        for j in 0..<3 { inverses[j] = Exponential.softmaxInPlace(s + j * scoreStride, count: count, max: maxima[j]) }
        out.update(repeating: 0, count: 3 * 64)
        var t = 0
        withUnsafeBytes(of: &inverses) { inv in
            runs { _, values, n in
                values.withMemoryRebound(to: UInt16.self, capacity: 1) { v in
                    bita_attention_group_values64_f16_avx512(s + t, Int64(scoreStride), inv.baseAddress!.assumingMemoryBound(to: Float.self),
                                                             v, Int64(stride), Int64(n), out)
                }
                t += n
            }
        }
    }

    /// s[t] = attentionDot(q, keys + t * stride) * scale; returns the largest non-NaN score
    /// (-infinity if none).
    @inline(__always)
    static func scores(query q: UnsafePointer<Float>, keys: UnsafePointer<KVElement>, stride: Int, count: Int,
                       headDim: Int, scale: Float, into s: UnsafeMutablePointer<Float>,
                       useKernel: Bool = vectorized) -> Float {
        if useKernel && headDim == 64 && backend == .avx2 {
            return keys.withMemoryRebound(to: UInt16.self, capacity: 1) { k in
                bita_attention_scores64_f16_avx2(q, k, Int64(stride), Int64(count), scale, s)
            }
        }
        return scoresReference(query: q, keys: keys, stride: stride, count: count, headDim: headDim, scale: scale, into: s)
    }

    /// The plain twin of `scores`.
    static func scoresReference(query q: UnsafePointer<Float>, keys: UnsafePointer<KVElement>, stride: Int, count: Int,
                                headDim: Int, scale: Float, into s: UnsafeMutablePointer<Float>) -> Float {
        var m = -Float.infinity
        for t in 0..<count {
            let sc = attentionDot(q, keys + t * stride, count: headDim) * scale
            s[t] = sc
            if sc > m { m = sc }
        }
        return m
    }

    /// out[e] = fma(half(p[t] * inv), values[t * stride + e], out[e]), t in order.
    static func accumulateReference(probabilities p: UnsafePointer<Float>, inverseSum inv: Float,
                                    values: UnsafePointer<KVElement>, stride: Int, count: Int, headDim: Int,
                                    into out: UnsafeMutablePointer<Float>) {
        for t in 0..<count {
            let w = roundedToHalfPrecision(p[t] * inv)
            let v = values + t * stride
            for e in 0..<headDim { out[e] = out[e].addingProduct(w, Float(v[e])) }
        }
    }
}
