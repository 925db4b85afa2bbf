// Int8 panel matmul for x86-64 CPUs without AVX-512: AVX2 (Haswell and later, Zen) and
// AVX-VNNI (Alder Lake and later, Zen 5: the 256-bit vpdpbusd). Same contract and
// bit-identical results as bita_int8_panels_avx512vnni (see CKernels.h): a panel's 16 rows
// are two 8-lane halves; without VNNI a 4-byte dot product is vpmaddubsw + vpmaddwd.
// vpmaddubsw saturates pairs to int16, which 8-bit codes (Q8_0, up to 255 x 127 x 2) would
// overflow, so for 8-bit codes with offset 128 the weight is taken as the signed quant and
// the sign moved onto the activation (|q| <= 128, pairs <= 32512), and no offset is applied.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "panel_prefetch.h"

#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define AVXVNNI_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define MAX_COLUMNS 4
#define MAGIC_INT 0x4B400000
#define MAGIC_FLOAT 12582912.0f

int bita_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

int bita_cpu_has_avxvnni(void) {
    __builtin_cpu_init();
    return bita_cpu_has_avx2() && __builtin_cpu_supports("avxvnni");
}

static inline int32_t load_i32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

// acc + sum over groups of 4 bytes of w (unsigned) * x (signed), in int32 (no int16 pairs).
#define DOT_AVXVNNI(acc, w, x) _mm256_dpbusd_avx_epi32((acc), (w), (x))

// One panel times columns [j0, j0 + NC) with AVX-VNNI. SIGNED8: 8-bit codes used through the
// sign trick, as in the AVX2 twin below.
#define DEFINE_PANEL_COLUMNS(NAME, TARGET, DOT)                                                    \
static inline __attribute__((always_inline)) TARGET                                                \
void NAME(const BitaPanelMatrix *w, const BitaInt8Columns *x, const uint8_t *panel, int32_t j0,   \
          const int NC, const int U4, const int HAS_MIN, const int SIGNED8,                        \
          float *y, int64_t ldy, int64_t rowBase, int64_t validRows) {                             \
    const int32_t nb = w->blocks;                                                                  \
    const int32_t codeBytes = U4 ? 256 : 512;                                                      \
    const uint16_t *dh = (const uint16_t *)(panel + (int64_t)nb * codeBytes);                      \
    const uint16_t *mh = dh + 16 * (int64_t)nb;                                                    \
    const int32_t offset = SIGNED8 ? 0 : w->offset;                                                \
    const __m256i low4 = _mm256_set1_epi8(0x0F);                                                   \
    const __m256i flip = _mm256_set1_epi8((char)0x80);                                             \
    const __m256 magicFloat = _mm256_set1_ps(MAGIC_FLOAT);                                         \
    __m256 acc[MAX_COLUMNS][2];                                                                    \
    for (int j = 0; j < NC; j++) acc[j][0] = acc[j][1] = _mm256_setzero_ps();                      \
    for (int32_t b = 0; b < nb; b++) {                                                             \
        const uint8_t *codes = panel + (int64_t)b * codeBytes;                                     \
        prefetch_ahead(w, panel, b);                                                               \
        __m256i wv[8][2], sg[8][2];                                                                \
        for (int h = 0; h < 2; h++) {                                                              \
            if (U4) {                                                                              \
                for (int p = 0; p < 4; p++) {                                                      \
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(codes + 64 * p + 32 * h)); \
                    wv[p][h] = _mm256_and_si256(v, low4);                                          \
                    wv[p + 4][h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);                \
                }                                                                                  \
            } else {                                                                               \
                for (int g = 0; g < 8; g++) {                                                      \
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(codes + 64 * g + 32 * h)); \
                    if (SIGNED8) {                                                                 \
                        const __m256i q = _mm256_xor_si256(v, flip);   /* code - 128 */            \
                        wv[g][h] = _mm256_abs_epi8(q);                                             \
                        sg[g][h] = q;                                                              \
                    } else {                                                                       \
                        wv[g][h] = v;                                                              \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        const __m128i dbits = _mm_loadu_si128((const __m128i *)(dh + 16 * b));                     \
        const __m128i dbits2 = _mm_loadu_si128((const __m128i *)(dh + 16 * b + 8));                \
        const __m256 d[2] = {_mm256_cvtph_ps(dbits), _mm256_cvtph_ps(dbits2)};                     \
        __m256 m[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};                                  \
        if (HAS_MIN) {                                                                             \
            m[0] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mh + 16 * b)));               \
            m[1] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mh + 16 * b + 8)));           \
        }                                                                                          \
        for (int j = 0; j < NC; j++) {                                                             \
            const int64_t blk = (int64_t)(j0 + j) * x->blockStride + b;                            \
            const int8_t *xb = x->q + (int64_t)(j0 + j) * x->qStride + 32 * b;                     \
            const __m256 sc = _mm256_set1_ps(x->scale[blk]);                                       \
            const __m256i init = _mm256_set1_epi32(MAGIC_INT - offset * x->sum[blk]);              \
            for (int h = 0; h < 2; h++) {                                                          \
                __m256i s = init;                                                                  \
                for (int g = 0; g < 8; g++) {                                                      \
                    __m256i xv = _mm256_set1_epi32(load_i32(xb + 4 * g));                          \
                    if (SIGNED8) xv = _mm256_sign_epi8(xv, sg[g][h]);                              \
                    s = DOT(s, wv[g][h], xv);                                                      \
                }                                                                                  \
                const __m256 isum = _mm256_sub_ps(_mm256_castsi256_ps(s), magicFloat);             \
                acc[j][h] = _mm256_fmadd_ps(isum, _mm256_mul_ps(d[h], sc), acc[j][h]);             \
                if (HAS_MIN) acc[j][h] = _mm256_fmadd_ps(m[h], _mm256_set1_ps(x->scaledSum[blk]), acc[j][h]); \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    for (int j = 0; j < NC; j++) {                                                                 \
        float *out = y + (int64_t)(j0 + j) * ldy + rowBase;                                        \
        if (validRows >= 16) {                                                                     \
            _mm256_storeu_ps(out, acc[j][0]);                                                      \
            _mm256_storeu_ps(out + 8, acc[j][1]);                                                  \
        } else {                                                                                   \
            float tmp[16];                                                                         \
            _mm256_storeu_ps(tmp, acc[j][0]);                                                      \
            _mm256_storeu_ps(tmp + 8, acc[j][1]);                                                  \
            for (int64_t r = 0; r < validRows; r++) out[r] = tmp[r];                               \
        }                                                                                          \
    }                                                                                              \
}

DEFINE_PANEL_COLUMNS(panel_columns_avxvnni, AVXVNNI_TARGET, DOT_AVXVNNI)

// The AVX2 twin, ordered for 16 vector registers: each activation group is broadcast once per
// block and column and used on both half-panels (8 rows each) at once, each 32-byte weight load
// is used for every column right away (not kept as 16 unpacked registers per block, which
// spilled, as did broadcasts hoisted out of a per-half loop), and codes of at most 5 bits add
// their vpmaddubsw pairs in int16 before one vpmaddwd widens them: a pair is at most
// 2 x 31 x 127 = 7874 (4-bit: 2 x 15 x 127 = 3810), so four groups of 5-bit codes or all eight
// groups of 4-bit codes fit int16 exactly. The integer sums, and every float operation after
// them, are those of the kernel above, so the results keep their bits.
static inline __attribute__((always_inline)) AVX2_TARGET
void panel_columns_avx2(const BitaPanelMatrix *w, const BitaInt8Columns *x, const uint8_t *panel, int32_t j0,
                        const int NC, const int U4, const int HAS_MIN, const int SIGNED8,
                        float *y, int64_t ldy, int64_t rowBase, int64_t validRows) {
    const int32_t nb = w->blocks;
    const int32_t codeBytes = U4 ? 256 : 512;
    const uint16_t *dh = (const uint16_t *)(panel + (int64_t)nb * codeBytes);
    const uint16_t *mh = dh + 16 * (int64_t)nb;
    const int32_t offset = SIGNED8 ? 0 : w->offset;
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256 magicFloat = _mm256_set1_ps(MAGIC_FLOAT);
    __m256 acc[MAX_COLUMNS][2];
    for (int j = 0; j < NC; j++) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t *codes = panel + (int64_t)b * codeBytes;
        prefetch_ahead(w, panel, b);
        const int8_t *xb[MAX_COLUMNS];
        for (int j = 0; j < NC; j++) xb[j] = x->q + (int64_t)(j0 + j) * x->qStride + 32 * b;
        __m256i s[MAX_COLUMNS][2], s16[MAX_COLUMNS][2];
        if (U4) {
            for (int p = 0; p < 4; p++) {
                const __m256i v0 = _mm256_loadu_si256((const __m256i *)(codes + 64 * p));
                const __m256i v1 = _mm256_loadu_si256((const __m256i *)(codes + 64 * p + 32));
                // low nibbles: group p; high nibbles: group p + 4; per half h = 0, 1
                const __m256i lo0 = _mm256_and_si256(v0, low4), hi0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), low4);
                const __m256i lo1 = _mm256_and_si256(v1, low4), hi1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), low4);
                for (int j = 0; j < NC; j++) {
                    const __m256i xl = _mm256_set1_epi32(load_i32(xb[j] + 4 * p));
                    const __m256i xh = _mm256_set1_epi32(load_i32(xb[j] + 4 * (p + 4)));
                    const __m256i t0 = _mm256_add_epi16(_mm256_maddubs_epi16(lo0, xl), _mm256_maddubs_epi16(hi0, xh));
                    const __m256i t1 = _mm256_add_epi16(_mm256_maddubs_epi16(lo1, xl), _mm256_maddubs_epi16(hi1, xh));
                    s16[j][0] = p == 0 ? t0 : _mm256_add_epi16(s16[j][0], t0);
                    s16[j][1] = p == 0 ? t1 : _mm256_add_epi16(s16[j][1], t1);
                }
            }
            for (int j = 0; j < NC; j++)
                for (int h = 0; h < 2; h++) s[j][h] = _mm256_madd_epi16(s16[j][h], ones);
        } else if (SIGNED8) {
            for (int g = 0; g < 8; g++) {
                const __m256i q0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(codes + 64 * g)), flip);
                const __m256i q1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(codes + 64 * g + 32)), flip);
                const __m256i a0 = _mm256_abs_epi8(q0), a1 = _mm256_abs_epi8(q1);
                for (int j = 0; j < NC; j++) {
                    const __m256i xv = _mm256_set1_epi32(load_i32(xb[j] + 4 * g));
                    const __m256i t0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(xv, q0)), ones);
                    const __m256i t1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(xv, q1)), ones);
                    s[j][0] = g == 0 ? t0 : _mm256_add_epi32(s[j][0], t0);
                    s[j][1] = g == 0 ? t1 : _mm256_add_epi32(s[j][1], t1);
                }
            }
        } else {
            for (int g0 = 0; g0 < 8; g0 += 4) {
                for (int g = g0; g < g0 + 4; g++) {
                    const __m256i v0 = _mm256_loadu_si256((const __m256i *)(codes + 64 * g));
                    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(codes + 64 * g + 32));
                    for (int j = 0; j < NC; j++) {
                        const __m256i xv = _mm256_set1_epi32(load_i32(xb[j] + 4 * g));
                        const __m256i t0 = _mm256_maddubs_epi16(v0, xv), t1 = _mm256_maddubs_epi16(v1, xv);
                        s16[j][0] = g == g0 ? t0 : _mm256_add_epi16(s16[j][0], t0);
                        s16[j][1] = g == g0 ? t1 : _mm256_add_epi16(s16[j][1], t1);
                    }
                }
                for (int j = 0; j < NC; j++)
                    for (int h = 0; h < 2; h++) {
                        const __m256i t = _mm256_madd_epi16(s16[j][h], ones);
                        s[j][h] = g0 == 0 ? t : _mm256_add_epi32(s[j][h], t);
                    }
            }
        }
        for (int h = 0; h < 2; h++) {
            const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(dh + 16 * b + 8 * h)));
            const __m256 m = HAS_MIN ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mh + 16 * b + 8 * h)))
                                     : _mm256_setzero_ps();
            for (int j = 0; j < NC; j++) {
                const int64_t blk = (int64_t)(j0 + j) * x->blockStride + b;
                const __m256i si = _mm256_add_epi32(s[j][h], _mm256_set1_epi32(MAGIC_INT - offset * x->sum[blk]));
                const __m256 isum = _mm256_sub_ps(_mm256_castsi256_ps(si), magicFloat);
                acc[j][h] = _mm256_fmadd_ps(isum, _mm256_mul_ps(d, _mm256_set1_ps(x->scale[blk])), acc[j][h]);
                if (HAS_MIN) acc[j][h] = _mm256_fmadd_ps(m, _mm256_set1_ps(x->scaledSum[blk]), acc[j][h]);
            }
        }
    }
    for (int j = 0; j < NC; j++) {
        float *out = y + (int64_t)(j0 + j) * ldy + rowBase;
        if (validRows >= 16) {
            _mm256_storeu_ps(out, acc[j][0]);
            _mm256_storeu_ps(out + 8, acc[j][1]);
        } else {
            float tmp[16];
            _mm256_storeu_ps(tmp, acc[j][0]);
            _mm256_storeu_ps(tmp + 8, acc[j][1]);
            for (int64_t r = 0; r < validRows; r++) out[r] = tmp[r];
        }
    }
}

typedef void (*panel_fn)(const BitaPanelMatrix *, const BitaInt8Columns *, const uint8_t *, int32_t,
                         float *, int64_t, int64_t, int64_t);

#define DEFINE_FN(IMPL, TARGET, NC, U4, MIN, S8)                                                     \
    static TARGET void IMPL##_##U4##MIN##S8##_##NC(const BitaPanelMatrix *w, const BitaInt8Columns *x, \
        const uint8_t *panel, int32_t j0, float *y, int64_t ldy, int64_t rowBase, int64_t validRows) {  \
        panel_columns_##IMPL(w, x, panel, j0, NC, U4, MIN, S8, y, ldy, rowBase, validRows);           \
    }
#define DEFINE_FNS(IMPL, TARGET, U4, MIN, S8)                                                        \
    DEFINE_FN(IMPL, TARGET, 1, U4, MIN, S8) DEFINE_FN(IMPL, TARGET, 2, U4, MIN, S8)                 \
    DEFINE_FN(IMPL, TARGET, 3, U4, MIN, S8) DEFINE_FN(IMPL, TARGET, 4, U4, MIN, S8)                 \
    static const panel_fn IMPL##_##U4##MIN##S8[MAX_COLUMNS] = {                                      \
        IMPL##_##U4##MIN##S8##_1, IMPL##_##U4##MIN##S8##_2, IMPL##_##U4##MIN##S8##_3, IMPL##_##U4##MIN##S8##_4};
#define DEFINE_ALL(IMPL, TARGET)                                                                      \
    DEFINE_FNS(IMPL, TARGET, 1, 0, 0) DEFINE_FNS(IMPL, TARGET, 1, 1, 0)                               \
    DEFINE_FNS(IMPL, TARGET, 0, 0, 0) DEFINE_FNS(IMPL, TARGET, 0, 1, 0) DEFINE_FNS(IMPL, TARGET, 0, 0, 1)

DEFINE_ALL(avx2, AVX2_TARGET)
DEFINE_ALL(avxvnni, AVXVNNI_TARGET)

static void run(const panel_fn *fns, const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    for (int64_t p = panelBegin; p < panelEnd; p++) {
        const uint8_t *panel = w->panels + p * w->panelBytes;
        const int64_t rowBase = 16 * p;
        const int64_t validRows = rows - rowBase < 16 ? rows - rowBase : 16;
        const int32_t groups = (n + MAX_COLUMNS - 1) / MAX_COLUMNS;
        for (int32_t g = 0, j0 = 0; g < groups; g++) {
            const int32_t nc = (n - j0 + (groups - g) - 1) / (groups - g);
            fns[nc - 1](w, x, panel, j0, y, ldy, rowBase, validRows);
            j0 += nc;
        }
    }
}

// 8-bit codes: the sign trick only for Q8_0 (offset 128); Q5_0 / Q5_1 codes are below 32.
#define SELECT(IMPL)                                                                                  \
    (w->codeBytes == 256 ? (w->hasMin ? IMPL##_110 : IMPL##_100)                                      \
                         : (w->hasMin ? IMPL##_010 : (w->offset == 128 ? IMPL##_001 : IMPL##_000)))

void bita_int8_panels_avx2(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                           int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    run(SELECT(avx2), w, x, n, panelBegin, panelEnd, rows, y, ldy);
}

void bita_int8_panels_avxvnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                              int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    run(SELECT(avxvnni), w, x, n, panelBegin, panelEnd, rows, y, ldy);
}

#else

int bita_cpu_has_avx2(void) { return 0; }
int bita_cpu_has_avxvnni(void) { return 0; }
void bita_int8_panels_avx2(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                           int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    (void)w; (void)x; (void)n; (void)panelBegin; (void)panelEnd; (void)rows; (void)y; (void)ldy;
    __builtin_trap();
}
void bita_int8_panels_avxvnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                              int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    (void)w; (void)x; (void)n; (void)panelBegin; (void)panelEnd; (void)rows; (void)y; (void)ldy;
    __builtin_trap();
}

#endif
