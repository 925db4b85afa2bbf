// The AVX2 twin of exponential_avx512.c for machines without AVX-512: the same double-precision
// steps of glibc's expf (FMA build), four lanes per ymm of doubles, the table read with a 64-bit
// gather. Lanes with |x| >= 88 or NaN go through expf itself. Bit for bit what expf gives
// (ExponentialTests runs on whichever kernel the machine has).
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define EXP2_TARGET __attribute__((target("avx2,fma,f16c")))

#include "exp_table.h"

static inline __attribute__((always_inline)) EXP2_TARGET __m128 exp4(__m128 x) {
    // |x| >= 88 (magnitude bits >= 0x42B00000) or NaN: expf's own special cases.
    const __m128i magnitude = _mm_and_si128(_mm_castps_si128(x), _mm_set1_epi32(0x7FFFFFFF));
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(magnitude, _mm_set1_epi32(0x42AFFFFF))) != 0) {
        float lanes[4];
        _mm_storeu_ps(lanes, x);
        for (int i = 0; i < 4; i++) lanes[i] = expf(lanes[i]);
        return _mm_loadu_ps(lanes);
    }
    const __m256d shift = _mm256_set1_pd(0x1.8p52);
    const __m256d z = _mm256_mul_pd(_mm256_set1_pd(0x1.71547652b82fep0 * 32), _mm256_cvtps_pd(x));
    const __m256d shifted = _mm256_add_pd(z, shift);
    const __m256i k = _mm256_castpd_si256(shifted);
    const __m256d r = _mm256_sub_pd(z, _mm256_sub_pd(shifted, shift));
    const __m256i idx = _mm256_and_si256(k, _mm256_set1_epi64x(31));
    const __m256i t = _mm256_i64gather_epi64((const long long *)exp_table, idx, 8);
    const __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(t, _mm256_slli_epi64(k, 47)));
    const __m256d cubic = _mm256_fmadd_pd(_mm256_set1_pd(0x1.c6af84b912394p-5 / (32.0 * 32.0 * 32.0)), r,
                                          _mm256_set1_pd(0x1.ebfce50fac4f3p-3 / (32.0 * 32.0)));
    const __m256d linear = _mm256_fmadd_pd(_mm256_set1_pd(0x1.62e42ff0c52d6p-1 / 32.0), r, _mm256_set1_pd(1.0));
    const __m256d y = _mm256_mul_pd(_mm256_fmadd_pd(cubic, _mm256_mul_pd(r, r), linear), s);
    return _mm256_cvtpd_ps(y);
}

EXP2_TARGET void bita_exp_offset_avx2(float *p, int64_t count, float offset) {
    const __m128 o = _mm_set1_ps(offset);
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) _mm_storeu_ps(p + i, exp4(_mm_sub_ps(_mm_loadu_ps(p + i), o)));
    for (; i < count; i++) p[i] = expf(p[i] - offset);
}

EXP2_TARGET void bita_silu_mul_avx2(float *gate, const float *up, int64_t count) {
    const __m128 one = _mm_set1_ps(1.0f);
    const __m128 sign = _mm_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const __m128 g = _mm_loadu_ps(gate + i);
        const __m128 e = exp4(_mm_xor_ps(g, sign));
        _mm_storeu_ps(gate + i, _mm_mul_ps(_mm_div_ps(g, _mm_add_ps(one, e)), _mm_loadu_ps(up + i)));
    }
    for (; i < count; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

#else

void bita_exp_offset_avx2(float *p, int64_t count, float offset) { (void)p; (void)count; (void)offset; __builtin_trap(); }
void bita_silu_mul_avx2(float *gate, const float *up, int64_t count) { (void)gate; (void)up; (void)count; __builtin_trap(); }

#endif
