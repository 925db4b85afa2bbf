// Attention for 64-element heads, sixteen keys at a time, with exactly the bits of the Swift
// reference (AttentionKernel.scoresReference / accumulateReference in
// Sources/Inference/Model/AttentionKernel.swift).
//
// Scores. The reference dot product (attentionDot) keeps 16 lanes of fused multiply-adds over
// the 4 vectors of a head, then folds lanes pairwise: 16 -> 8 (lane j + lane j+8), 8 -> 4,
// 4 -> 2, 2 -> 1. Done one key at a time, the folds are three extracts and a scalar add per key.
// Here 16 keys' accumulators are folded together, two keys per instruction at each level, in a
// transposed tree that performs the same additions on the same operands:
//   level 1  [a | b] halves            -> per pair of keys, 8 lanes each  (8 adds)
//   level 2  128-bit lanes of 4 keys   -> 4 lanes each                    (4 adds)
//   level 3  within 128-bit lanes      -> 2 lanes each                    (2 adds)
//   level 4  even + odd lanes          -> 1 lane each, 16 scores          (1 add)
// Fifteen adds and thirty shuffles for 16 scores instead of ~100 dependent operations, and the
// result comes out in key order because the keys are fed in the transposed order the tree
// produces (slot f holds key 4 * (f % 4) + f / 4).
//
// Values. out[e] += w_t * v_t[e] in key order, a rounded product then a rounded add (never a
// fused multiply-add: the reference does not fuse), with w_t = half(p_t * inv) computed sixteen
// at a time.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define ATTN_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,fma,f16c")))

// The scores of keys t0 .. t0 + 15 (clamped to the last key: a block past the end repeats it,
// and only `live` lanes are stored).
static inline __attribute__((always_inline)) ATTN_TARGET __m512
scores16(const __m512 q[4], const float *keys, int64_t stride, int64_t t0, int64_t last) {
    __m512 acc[16];
#pragma clang loop unroll(full)
    for (int f = 0; f < 16; f++) {
        int64_t t = t0 + 4 * (f & 3) + (f >> 2);
        if (t > last) t = last;
        const float *k = keys + t * stride;
        __m512 a = _mm512_setzero_ps();
        a = _mm512_fmadd_ps(q[0], _mm512_loadu_ps(k), a);
        a = _mm512_fmadd_ps(q[1], _mm512_loadu_ps(k + 16), a);
        a = _mm512_fmadd_ps(q[2], _mm512_loadu_ps(k + 32), a);
        a = _mm512_fmadd_ps(q[3], _mm512_loadu_ps(k + 48), a);
        acc[f] = a;
    }
    // Level 1: lanes j + (j + 8), two keys per vector.
    __m512 b[8];
#pragma clang loop unroll(full)
    for (int p = 0; p < 8; p++) {
        __m512 lo = _mm512_shuffle_f32x4(acc[2 * p], acc[2 * p + 1], 0x44);  // 128-bit lanes 0,1 | 0,1
        __m512 hi = _mm512_shuffle_f32x4(acc[2 * p], acc[2 * p + 1], 0xEE);  // 2,3 | 2,3
        b[p] = _mm512_add_ps(lo, hi);
    }
    // Level 2: lanes j + (j + 4), four keys per vector (one per 128-bit lane).
    __m512 c[4];
#pragma clang loop unroll(full)
    for (int p = 0; p < 4; p++) {
        __m512 lo = _mm512_shuffle_f32x4(b[2 * p], b[2 * p + 1], 0x88);  // 0,2 | 0,2
        __m512 hi = _mm512_shuffle_f32x4(b[2 * p], b[2 * p + 1], 0xDD);  // 1,3 | 1,3
        c[p] = _mm512_add_ps(lo, hi);
    }
    // Level 3: lanes j + (j + 2), two lanes per key.
    __m512 d[2];
#pragma clang loop unroll(full)
    for (int p = 0; p < 2; p++) {
        __m512 lo = _mm512_shuffle_ps(c[2 * p], c[2 * p + 1], 0x44);  // x0 x1 y0 y1
        __m512 hi = _mm512_shuffle_ps(c[2 * p], c[2 * p + 1], 0xEE);  // x2 x3 y2 y3
        d[p] = _mm512_add_ps(lo, hi);
    }
    // Level 4: lane 0 + lane 1. Element 4L + m now holds fed slot 4m + L, i.e. key 4L + m.
    __m512 lo = _mm512_shuffle_ps(d[0], d[1], 0x88);  // x0 x2 y0 y2
    __m512 hi = _mm512_shuffle_ps(d[0], d[1], 0xDD);  // x1 x3 y1 y3
    return _mm512_add_ps(lo, hi);
}

ATTN_TARGET float bita_attention_scores64_avx512(const float *q, const float *keys, int64_t stride,
                                                 int64_t count, float scale, float *scores) {
    __m512 qv[4] = {_mm512_loadu_ps(q), _mm512_loadu_ps(q + 16), _mm512_loadu_ps(q + 32), _mm512_loadu_ps(q + 48)};
    const __m512 scaleV = _mm512_set1_ps(scale);
    __m512 maxV = _mm512_set1_ps(-INFINITY);
    for (int64_t t0 = 0; t0 < count; t0 += 16) {
        int64_t live = count - t0 < 16 ? count - t0 : 16;
        __mmask16 mask = (__mmask16)((1u << live) - 1);
        __m512 s = _mm512_mul_ps(scores16(qv, keys, stride, t0, count - 1), scaleV);
        _mm512_mask_storeu_ps(scores + t0, mask, s);
        // max keeps the first operand unless s > max (ordered): NaN scores never win, as in the
        // reference's `if sc > m`.
        __mmask16 greater = _mm512_mask_cmp_ps_mask(mask, s, maxV, _CMP_GT_OQ);
        maxV = _mm512_mask_blend_ps(greater, maxV, s);
    }
    float lanes[16];
    _mm512_storeu_ps(lanes, maxV);
    float m = -INFINITY;
    for (int i = 0; i < 16; i++) if (lanes[i] > m) m = lanes[i];
    return m;
}

ATTN_TARGET void bita_attention_values64_avx512(const float *p, float inv, const float *values, int64_t stride,
                                                int64_t count, float *out) {
    __m512 a0 = _mm512_loadu_ps(out), a1 = _mm512_loadu_ps(out + 16);
    __m512 a2 = _mm512_loadu_ps(out + 32), a3 = _mm512_loadu_ps(out + 48);
    const __m512 invV = _mm512_set1_ps(inv);
    float w[16];
    for (int64_t t0 = 0; t0 < count; t0 += 16) {
        int64_t live = count - t0 < 16 ? count - t0 : 16;
        __mmask16 mask = (__mmask16)((1u << live) - 1);
        __m512 pw = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, p + t0), invV);
        // Round to IEEE half and back (nearest even), as Float(Float16(x)).
        __m256i h = _mm512_cvtps_ph(pw, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm512_storeu_ps(w, _mm512_cvtph_ps(h));
        for (int64_t i = 0; i < live; i++) {
            const float *v = values + (t0 + i) * stride;
            const __m512 wi = _mm512_set1_ps(w[i]);
            a0 = _mm512_add_ps(a0, _mm512_mul_ps(wi, _mm512_loadu_ps(v)));
            a1 = _mm512_add_ps(a1, _mm512_mul_ps(wi, _mm512_loadu_ps(v + 16)));
            a2 = _mm512_add_ps(a2, _mm512_mul_ps(wi, _mm512_loadu_ps(v + 32)));
            a3 = _mm512_add_ps(a3, _mm512_mul_ps(wi, _mm512_loadu_ps(v + 48)));
        }
    }
    _mm512_storeu_ps(out, a0);
    _mm512_storeu_ps(out + 16, a1);
    _mm512_storeu_ps(out + 32, a2);
    _mm512_storeu_ps(out + 48, a3);
}

#else

float bita_attention_scores64_avx512(const float *q, const float *keys, int64_t stride, int64_t count, float scale,
                                     float *scores) {
    (void)q; (void)keys; (void)stride; (void)count; (void)scale; (void)scores; __builtin_trap();
}
void bita_attention_values64_avx512(const float *p, float inv, const float *values, int64_t stride, int64_t count,
                                    float *out) {
    (void)p; (void)inv; (void)values; (void)stride; (void)count; (void)out; __builtin_trap();
}

#endif
