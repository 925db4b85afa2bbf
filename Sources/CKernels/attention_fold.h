// The transposed fold shared by the attention kernels (attention_avx2.c, attention_group_avx512.c):
// eight keys' dot products, each already reduced to 8 lanes (the reference's 16 lanes after its
// first pairwise fold), finished with the reference's remaining folds 8 -> 4 -> 2 -> 1 for all
// eight keys at once. Slots A B C D E F G H of `a` hold keys 0 4 1 5 2 6 3 7 (BITA_FOLD_SLOT_KEY);
// the tree emits A C E G B D F H, i.e. the eight scores in key order.
#ifndef BITA_ATTENTION_FOLD_H
#define BITA_ATTENTION_FOLD_H

#if defined(__x86_64__)
#include <immintrin.h>

static const int BITA_FOLD_SLOT_KEY[8] = {0, 4, 1, 5, 2, 6, 3, 7};

static inline __attribute__((always_inline, target("avx2"))) __m256 bita_fold8_keys(const __m256 a[8]) {
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
#endif

#endif
