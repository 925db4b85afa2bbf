// Attention for the three query heads that share one key/value head (SmolLM2: 9 query heads over
// 3 key/value heads), 64-element heads over the binary16 KV cache: every key and value row is
// loaded and widened once for all three heads instead of once per head. Each head's numbers are
// exactly those of attention_avx2.c (and so of the Swift reference): the same per-key 16-lane
// fused multiply-adds, the same transposed fold over eight keys, the same fused value updates in
// key order. Measured on Zen 4 (docs/PERFORMANCE.md): scores 9.1 -> 6.8 cycles per key and head.
//
// Needs AVX-512 F + VL for its 32 vector registers (three heads' accumulators for eight keys);
// the arithmetic itself is 256-bit for scores and 512-bit for values (per-element, so the same
// bits at any width).
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#include "attention_fold.h"

#define GROUP_TARGET __attribute__((target("avx512f,avx512vl,fma,f16c")))

// Unscaled scores of keys t0 .. t0 + 7 (clamped to `last`) for the three heads, into out[h].
static inline __attribute__((always_inline)) GROUP_TARGET void
group_scores8(const float *q, const uint16_t *keys, int64_t stride, int64_t t0, int64_t last, __m256 out[3]) {
    __m256 a[3][8];
#pragma clang loop unroll(full)
    for (int f = 0; f < 8; f++) {
        int64_t t = t0 + BITA_FOLD_SLOT_KEY[f];
        if (t > last) t = last;
        const uint16_t *k = keys + t * stride;
        __m256 kv[8];
#pragma clang loop unroll(full)
        for (int i = 0; i < 8; i++) kv[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + 8 * i)));
#pragma clang loop unroll(full)
        for (int h = 0; h < 3; h++) {
            // Lanes 0-7 (lo) and 8-15 (hi) of the reference's 16, then the first fold.
            const float *qh = q + 64 * h;
            __m256 lo = _mm256_fmadd_ps(_mm256_loadu_ps(qh), kv[0], _mm256_setzero_ps());
            __m256 hi = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 8), kv[1], _mm256_setzero_ps());
            lo = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 16), kv[2], lo);
            hi = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 24), kv[3], hi);
            lo = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 32), kv[4], lo);
            hi = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 40), kv[5], hi);
            lo = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 48), kv[6], lo);
            hi = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 56), kv[7], hi);
            a[h][f] = _mm256_add_ps(lo, hi);
        }
    }
#pragma clang loop unroll(full)
    for (int h = 0; h < 3; h++) out[h] = bita_fold8_keys(a[h]);
}

GROUP_TARGET void bita_attention_group_scores64_f16_avx512(const float *q, const uint16_t *keys, int64_t stride,
                                                           int64_t count, float scale, float *scores,
                                                           int64_t scoreStride, float *maxima) {
    const __m256 scaleV = _mm256_set1_ps(scale);
    __m256 maxV[3];
    for (int h = 0; h < 3; h++) maxV[h] = _mm256_set1_ps(-INFINITY);
    int64_t t0 = 0;
    for (; t0 + 8 <= count; t0 += 8) {
        __m256 s[3];
        group_scores8(q, keys, stride, t0, count - 1, s);
        for (int h = 0; h < 3; h++) {
            s[h] = _mm256_mul_ps(s[h], scaleV);
            _mm256_storeu_ps(scores + h * scoreStride + t0, s[h]);
            maxV[h] = _mm256_max_ps(s[h], maxV[h]);  // NaN in s never wins
        }
    }
    float tail[3][8];
    if (t0 < count) {
        __m256 s[3];
        group_scores8(q, keys, stride, t0, count - 1, s);
        for (int h = 0; h < 3; h++) _mm256_storeu_ps(tail[h], _mm256_mul_ps(s[h], scaleV));
    }
    for (int h = 0; h < 3; h++) {
        float lanes[8];
        _mm256_storeu_ps(lanes, maxV[h]);
        float m = -INFINITY;
        for (int i = 0; i < 8; i++)
            if (lanes[i] > m) m = lanes[i];
        for (int64_t i = 0; t0 + i < count; i++) {
            scores[h * scoreStride + t0 + i] = tail[h][i];
            if (tail[h][i] > m) m = tail[h][i];
        }
        maxima[h] = m;
    }
}

GROUP_TARGET void bita_attention_group_values64_f16_avx512(const float *p, int64_t pStride, const float *inv,
                                                           const uint16_t *values, int64_t stride, int64_t count,
                                                           float *out) {
    __m512 acc[3][4];
    for (int h = 0; h < 3; h++)
        for (int k = 0; k < 4; k++) acc[h][k] = _mm512_loadu_ps(out + 64 * h + 16 * k);
    __attribute__((aligned(32))) float w[3][8];
    for (int64_t t0 = 0; t0 < count; t0 += 8) {
        const int64_t live = count - t0 < 8 ? count - t0 : 8;
        for (int h = 0; h < 3; h++) {
            if (live == 8) {
                const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(p + h * pStride + t0), _mm256_set1_ps(inv[h]));
                _mm256_store_ps(w[h], _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
            } else {
                for (int64_t i = 0; i < live; i++)
                    w[h][i] = _cvtsh_ss(_cvtss_sh(p[h * pStride + t0 + i] * inv[h],
                                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            }
        }
        for (int64_t i = 0; i < live; i++) {
            const uint16_t *v = values + (t0 + i) * stride;
            __m512 x[4];
#pragma clang loop unroll(full)
            for (int k = 0; k < 4; k++) x[k] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + 16 * k)));
#pragma clang loop unroll(full)
            for (int h = 0; h < 3; h++) {
                const __m512 wi = _mm512_set1_ps(w[h][i]);
#pragma clang loop unroll(full)
                for (int k = 0; k < 4; k++) acc[h][k] = _mm512_fmadd_ps(wi, x[k], acc[h][k]);
            }
        }
    }
    for (int h = 0; h < 3; h++)
        for (int k = 0; k < 4; k++) _mm512_storeu_ps(out + 64 * h + 16 * k, acc[h][k]);
}

#else

void bita_attention_group_scores64_f16_avx512(const float *q, const uint16_t *keys, int64_t stride, int64_t count,
                                              float scale, float *scores, int64_t scoreStride, float *maxima) {
    (void)q; (void)keys; (void)stride; (void)count; (void)scale; (void)scores; (void)scoreStride; (void)maxima;
    __builtin_trap();
}
void bita_attention_group_values64_f16_avx512(const float *p, int64_t pStride, const float *inv,
                                              const uint16_t *values, int64_t stride, int64_t count, float *out) {
    (void)p; (void)pStride; (void)inv; (void)values; (void)stride; (void)count; (void)out; __builtin_trap();
}

#endif
