// Attention for 64-element heads over the binary16 KV cache, eight keys at a time, with exactly
// the bits of the Swift reference (AttentionKernel.scoresReference / accumulateReference).
// Keys and values are read as binary16 and widened with F16C (`vcvtph2ps`, exact), so every
// product sees the same Float operands as the reference.
//
// Scores. The reference dot product (attentionDot) keeps 16 lanes of fused multiply-adds over
// the head's 64 elements, then folds lanes pairwise: 16 -> 8 (lane j + lane j+8), 8 -> 4,
// 4 -> 2, 2 -> 1. Here a key's 16 lanes are two 8-lane registers (lanes 0-7 and 8-15), whose
// sum is the first fold. The remaining folds run for eight keys together in a transposed tree
// that performs the same additions on the same operands:
//   level 2  128-bit halves of two keys     -> 4 lanes each  (4 adds)
//   level 3  within 128-bit lanes, 4 keys   -> 2 lanes each  (2 adds)
//   level 4  even + odd lanes               -> 8 scores      (1 add)
// Keys are fed in the order the tree emits them (slot f holds key BITA_FOLD_SLOT_KEY[f], attention_fold.h), so the scores
// come out in key order. The running maximum is a vector max: `maxps` returns its second
// operand when the first is NaN, so NaN never wins, as in the reference. (When the largest score
// is zero the sign of the returned zero may differ from the reference's first-found one; every
// score minus either zero is the same value, so the softmax is unchanged.)
//
// Values. out[e] = fma(w_t, v_t[e], out[e]) in key order, as the reference, with
// w_t = half(p_t * inv) rounded eight at a time (F16C, nearest even).
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#include "attention_fold.h"

#define ATTN2_TARGET __attribute__((target("avx2,fma,f16c")))

int bita_cpu_has_avx2_fma_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

// Eight binary16 values widened to Float (exact).
static inline __attribute__((always_inline)) ATTN2_TARGET __m256 load_half8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

// One key's 16 reference lanes, first fold applied: lane j = acc[j] + acc[j + 8].
static inline __attribute__((always_inline)) ATTN2_TARGET __m256 key_lanes(const __m256 q[8], const uint16_t *k) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    lo = _mm256_fmadd_ps(q[0], load_half8(k), lo);
    hi = _mm256_fmadd_ps(q[1], load_half8(k + 8), hi);
    lo = _mm256_fmadd_ps(q[2], load_half8(k + 16), lo);
    hi = _mm256_fmadd_ps(q[3], load_half8(k + 24), hi);
    lo = _mm256_fmadd_ps(q[4], load_half8(k + 32), lo);
    hi = _mm256_fmadd_ps(q[5], load_half8(k + 40), hi);
    lo = _mm256_fmadd_ps(q[6], load_half8(k + 48), lo);
    hi = _mm256_fmadd_ps(q[7], load_half8(k + 56), hi);
    return _mm256_add_ps(lo, hi);
}

// The scores of keys t0 .. t0 + 7 (clamped to the last key; only live lanes are used), unscaled.
static inline __attribute__((always_inline)) ATTN2_TARGET __m256
scores8(const __m256 q[8], const uint16_t *keys, int64_t stride, int64_t t0, int64_t last) {
    __m256 a[8];
#pragma clang loop unroll(full)
    for (int f = 0; f < 8; f++) {
        int64_t t = t0 + BITA_FOLD_SLOT_KEY[f];
        if (t > last) t = last;
        a[f] = key_lanes(q, keys + t * stride);
    }
    return bita_fold8_keys(a);
}

ATTN2_TARGET float bita_attention_scores64_f16_avx2(const float *q, const uint16_t *keys, int64_t stride,
                                                   int64_t count, float scale, float *scores) {
    __m256 qv[8];
    for (int i = 0; i < 8; i++) qv[i] = _mm256_loadu_ps(q + 8 * i);
    const __m256 scaleV = _mm256_set1_ps(scale);
    __m256 maxV = _mm256_set1_ps(-INFINITY);
    int64_t t0 = 0;
    for (; t0 + 8 <= count; t0 += 8) {
        const __m256 s = _mm256_mul_ps(scores8(qv, keys, stride, t0, count - 1), scaleV);
        _mm256_storeu_ps(scores + t0, s);
        maxV = _mm256_max_ps(s, maxV);  // NaN in s never wins
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, maxV);
    float m = -INFINITY;
    for (int i = 0; i < 8; i++)
        if (lanes[i] > m) m = lanes[i];
    if (t0 < count) {
        float tail[8];
        _mm256_storeu_ps(tail, _mm256_mul_ps(scores8(qv, keys, stride, t0, count - 1), scaleV));
        for (int64_t i = 0; i < count - t0; i++) {
            scores[t0 + i] = tail[i];
            if (tail[i] > m) m = tail[i];
        }
    }
    return m;
}

ATTN2_TARGET void bita_attention_values64_f16_avx2(const float *p, float inv, const uint16_t *values, int64_t stride,
                                                  int64_t count, float *out) {
    __m256 acc[8];
    for (int i = 0; i < 8; i++) acc[i] = _mm256_loadu_ps(out + 8 * i);
    const __m256 invV = _mm256_set1_ps(inv);
    // Eight rounded weights at a time; read back one by one as broadcasts (measured a little
    // faster here than in-register permutes).
    __attribute__((aligned(32))) float w[8];
    for (int64_t t0 = 0; t0 < count; t0 += 8) {
        const int64_t live = count - t0 < 8 ? count - t0 : 8;
        if (live == 8) {
            const __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(p + t0), invV),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm256_store_ps(w, _mm256_cvtph_ps(h));
        } else {
            for (int64_t i = 0; i < live; i++)
                w[i] = _cvtsh_ss(_cvtss_sh(p[t0 + i] * inv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        for (int64_t i = 0; i < live; i++) {
            const uint16_t *v = values + (t0 + i) * stride;
            const __m256 wi = _mm256_broadcast_ss(w + i);
#pragma clang loop unroll(full)
            for (int k = 0; k < 8; k++) acc[k] = _mm256_fmadd_ps(wi, load_half8(v + 8 * k), acc[k]);
        }
    }
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + 8 * i, acc[i]);
}

#else

int bita_cpu_has_avx2_fma_f16c(void) { return 0; }
float bita_attention_scores64_f16_avx2(const float *q, const uint16_t *keys, int64_t stride, int64_t count,
                                       float scale, float *scores) {
    (void)q; (void)keys; (void)stride; (void)count; (void)scale; (void)scores; __builtin_trap();
}
void bita_attention_values64_f16_avx2(const float *p, float inv, const uint16_t *values, int64_t stride,
                                      int64_t count, float *out) {
    (void)p; (void)inv; (void)values; (void)stride; (void)count; (void)out; __builtin_trap();
}

#endif
