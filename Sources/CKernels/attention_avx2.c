// Attention for 64-element heads on AVX2 machines without AVX-512, eight keys at a time, with
// exactly the bits of the Swift reference (AttentionKernel.scoresReference / accumulateReference)
// and so of the AVX-512 kernel (attention_avx512.c, whose comment explains the method).
//
// Scores. A key's 16 lanes of fused multiply-adds are two 8-lane registers (lanes 0-7 and 8-15
// of the reference), whose sum is the reference's first fold (lane j + lane j+8). The remaining
// folds run for eight keys together in a transposed tree with the same additions:
//   level 2  128-bit halves of two keys     -> 4 lanes each  (4 adds)
//   level 3  within 128-bit lanes, 4 keys   -> 2 lanes each  (2 adds)
//   level 4  even + odd lanes               -> 8 scores      (1 add)
// Keys are fed in the order the tree emits them (slot f holds key SLOT_KEY[f]), so the scores
// come out in key order.
//
// Values. out[e] += w_t * v_t[e] in key order, a rounded product then a rounded add, with
// w_t = half(p_t * inv) (F16C, nearest even), as in the AVX-512 kernel.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define ATTN2_TARGET __attribute__((target("avx2,fma,f16c")))

int bita_cpu_has_avx2_fma_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

// One key's 16 reference lanes, first fold applied: lane j = acc[j] + acc[j + 8].
static inline __attribute__((always_inline)) ATTN2_TARGET __m256 key_lanes(const __m256 q[8], const float *k) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    lo = _mm256_fmadd_ps(q[0], _mm256_loadu_ps(k), lo);
    hi = _mm256_fmadd_ps(q[1], _mm256_loadu_ps(k + 8), hi);
    lo = _mm256_fmadd_ps(q[2], _mm256_loadu_ps(k + 16), lo);
    hi = _mm256_fmadd_ps(q[3], _mm256_loadu_ps(k + 24), hi);
    lo = _mm256_fmadd_ps(q[4], _mm256_loadu_ps(k + 32), lo);
    hi = _mm256_fmadd_ps(q[5], _mm256_loadu_ps(k + 40), hi);
    lo = _mm256_fmadd_ps(q[6], _mm256_loadu_ps(k + 48), lo);
    hi = _mm256_fmadd_ps(q[7], _mm256_loadu_ps(k + 56), hi);
    return _mm256_add_ps(lo, hi);
}

// The scores of keys t0 .. t0 + 7 (clamped to the last key; only live lanes are used).
static inline __attribute__((always_inline)) ATTN2_TARGET __m256
scores8(const __m256 q[8], const float *keys, int64_t stride, int64_t t0, int64_t last) {
    // Slots A B C D E F G H hold keys 0 4 1 5 2 6 3 7: the tree below emits A C E G B D F H.
    static const int SLOT_KEY[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    __m256 a[8];
#pragma clang loop unroll(full)
    for (int f = 0; f < 8; f++) {
        int64_t t = t0 + SLOT_KEY[f];
        if (t > last) t = last;
        a[f] = key_lanes(q, keys + t * stride);
    }
    // Level 2: lane j + lane j+4, two keys per register ([A | B], [C | D], ...).
    __m256 b[4];
#pragma clang loop unroll(full)
    for (int p = 0; p < 4; p++) {
        b[p] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * p], a[2 * p + 1], 0x20),
                             _mm256_permute2f128_ps(a[2 * p], a[2 * p + 1], 0x31));
    }
    // Level 3: lane j + lane j+2 within each 128-bit half, four keys per register.
    __m256 c0 = _mm256_add_ps(_mm256_shuffle_ps(b[0], b[1], 0x44), _mm256_shuffle_ps(b[0], b[1], 0xEE));
    __m256 c1 = _mm256_add_ps(_mm256_shuffle_ps(b[2], b[3], 0x44), _mm256_shuffle_ps(b[2], b[3], 0xEE));
    // Level 4: lane 0 + lane 1: [A C E G | B D F H] = keys 0..7.
    return _mm256_add_ps(_mm256_shuffle_ps(c0, c1, 0x88), _mm256_shuffle_ps(c0, c1, 0xDD));
}

ATTN2_TARGET float bita_attention_scores64_avx2(const float *q, const float *keys, int64_t stride,
                                               int64_t count, float scale, float *scores) {
    __m256 qv[8];
    for (int i = 0; i < 8; i++) qv[i] = _mm256_loadu_ps(q + 8 * i);
    const __m256 scaleV = _mm256_set1_ps(scale);
    float m = -INFINITY;
    float tmp[8];
    for (int64_t t0 = 0; t0 < count; t0 += 8) {
        const int64_t live = count - t0 < 8 ? count - t0 : 8;
        const __m256 s = _mm256_mul_ps(scores8(qv, keys, stride, t0, count - 1), scaleV);
        float *dst = live == 8 ? scores + t0 : tmp;
        _mm256_storeu_ps(dst, s);
        for (int64_t i = 0; i < live; i++) {
            scores[t0 + i] = dst[i];
            if (dst[i] > m) m = dst[i];  // NaN never wins, as in the reference
        }
    }
    return m;
}

ATTN2_TARGET void bita_attention_values64_avx2(const float *p, float inv, const float *values, int64_t stride,
                                              int64_t count, float *out) {
    __m256 acc[8];
    for (int i = 0; i < 8; i++) acc[i] = _mm256_loadu_ps(out + 8 * i);
    const __m256 invV = _mm256_set1_ps(inv);
    float w[8];
    for (int64_t t0 = 0; t0 < count; t0 += 8) {
        const int64_t live = count - t0 < 8 ? count - t0 : 8;
        if (live == 8) {
            // Round to IEEE half and back (nearest even), as Float(Float16(x)).
            const __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(p + t0), invV),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm256_storeu_ps(w, _mm256_cvtph_ps(h));
        } else {
            for (int64_t i = 0; i < live; i++)
                w[i] = _cvtsh_ss(_cvtss_sh(p[t0 + i] * inv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        for (int64_t i = 0; i < live; i++) {
            const float *v = values + (t0 + i) * stride;
            const __m256 wi = _mm256_set1_ps(w[i]);
#pragma clang loop unroll(full)
            for (int k = 0; k < 8; k++) acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(wi, _mm256_loadu_ps(v + 8 * k)));
        }
    }
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + 8 * i, acc[i]);
}

#else

int bita_cpu_has_avx2_fma_f16c(void) { return 0; }
float bita_attention_scores64_avx2(const float *q, const float *keys, int64_t stride, int64_t count, float scale,
                                   float *scores) {
    (void)q; (void)keys; (void)stride; (void)count; (void)scale; (void)scores; __builtin_trap();
}
void bita_attention_values64_avx2(const float *p, float inv, const float *values, int64_t stride, int64_t count,
                                  float *out) {
    (void)p; (void)inv; (void)values; (void)stride; (void)count; (void)out; __builtin_trap();
}

#endif
