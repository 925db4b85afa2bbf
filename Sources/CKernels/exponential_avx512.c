// Eight float exponentials per step with exactly the results of glibc's expf (its FMA build):
// the same double-precision steps as Exponential.swift describes (z = x * 32 / ln 2 rounded with
// the 1.5 * 2^52 shift, a 32-entry table of 2^(i/32), a cubic in r with fused multiply-adds, one
// rounding to float). The Swift SIMD version of this compiled to scalar lane loops and generic
// calls and measured no faster than scalar expf; this one keeps the whole computation in zmm
// registers. Lanes with |x| >= 88 or NaN go through expf itself.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define EXP_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,fma")))

int bita_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}

#include "exp_table.h"

static inline __attribute__((always_inline)) EXP_TARGET __m256 exp8(__m256 x) {
    // |x| >= 88 (float bits >> 20 >= 0x42B, sign cleared) or NaN: expf's own special cases.
    const __m256i magnitude = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF));
    if (_mm256_cmpge_epu32_mask(magnitude, _mm256_set1_epi32(0x42B00000)) != 0) {
        float lanes[8];
        _mm256_storeu_ps(lanes, x);
        for (int i = 0; i < 8; i++) lanes[i] = expf(lanes[i]);
        return _mm256_loadu_ps(lanes);
    }
    const __m512d shift = _mm512_set1_pd(0x1.8p52);
    const __m512d z = _mm512_mul_pd(_mm512_set1_pd(0x1.71547652b82fep0 * 32), _mm512_cvtps_pd(x));
    const __m512d shifted = _mm512_add_pd(z, shift);
    const __m512i k = _mm512_castpd_si512(shifted);
    const __m512d r = _mm512_sub_pd(z, _mm512_sub_pd(shifted, shift));
    // T[k & 31]: two 16-entry permutes (bit 3 picks the register of a pair), bit 4 picks the pair.
    const __m512i idx = _mm512_and_si512(k, _mm512_set1_epi64(31));
    const __m512i t0 = _mm512_loadu_si512((const void *)(exp_table + 0));
    const __m512i t1 = _mm512_loadu_si512((const void *)(exp_table + 8));
    const __m512i t2 = _mm512_loadu_si512((const void *)(exp_table + 16));
    const __m512i t3 = _mm512_loadu_si512((const void *)(exp_table + 24));
    const __m512i low = _mm512_permutex2var_epi64(t0, idx, t1);
    const __m512i high = _mm512_permutex2var_epi64(t2, idx, t3);
    const __mmask8 upper = _mm512_test_epi64_mask(idx, _mm512_set1_epi64(16));
    const __m512i bits = _mm512_add_epi64(_mm512_mask_blend_epi64(upper, low, high), _mm512_slli_epi64(k, 47));
    const __m512d s = _mm512_castsi512_pd(bits);
    const __m512d cubic = _mm512_fmadd_pd(_mm512_set1_pd(0x1.c6af84b912394p-5 / (32.0 * 32.0 * 32.0)), r,
                                          _mm512_set1_pd(0x1.ebfce50fac4f3p-3 / (32.0 * 32.0)));
    const __m512d linear = _mm512_fmadd_pd(_mm512_set1_pd(0x1.62e42ff0c52d6p-1 / 32.0), r, _mm512_set1_pd(1.0));
    const __m512d y = _mm512_mul_pd(_mm512_fmadd_pd(cubic, _mm512_mul_pd(r, r), linear), s);
    return _mm512_cvtpd_ps(y);
}

EXP_TARGET void bita_exp_offset_avx512(float *p, int64_t count, float offset) {
    const __m256 o = _mm256_set1_ps(offset);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(p + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(p + i), o)));
    if (i < count) {
        const __mmask8 m = (__mmask8)((1u << (count - i)) - 1u);
        const __m256 v = _mm256_sub_ps(_mm256_maskz_loadu_ps(m, p + i), o);
        _mm256_mask_storeu_ps(p + i, m, exp8(v));
    }
}

EXP_TARGET void bita_silu_mul_avx512(float *gate, const float *up, int64_t count) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = exp8(_mm256_xor_ps(g, sign));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    for (; i < count; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

#else

int bita_cpu_has_avx512f(void) { return 0; }
void bita_exp_offset_avx512(float *p, int64_t count, float offset) { (void)p; (void)count; (void)offset; __builtin_trap(); }
void bita_silu_mul_avx512(float *gate, const float *up, int64_t count) { (void)gate; (void)up; (void)count; __builtin_trap(); }

#endif
