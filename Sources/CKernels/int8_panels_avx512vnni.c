// Int8 panel matmul with AVX-512 VNNI (vpdpbusd: 64 u8 x s8 products summed in groups of 4
// into 16 int32 lanes per instruction). Layout and arithmetic: see CKernels.h. One zmm lane
// per weight row: a panel's 16 rows x 4 consecutive elements are one 64-byte vector, and the 4
// matching activation bytes are broadcast to all lanes, so a 32-element block needs 8 vpdpbusd
// per column and no horizontal sums; each weight block is unpacked once and used for up to 8
// columns held in registers.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "panel_prefetch.h"

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")))
#define MAX_COLUMNS 8
// 0x4B400000 is the float 12582912 = 1.5 * 2^23, whose ulp is 1: adding an integer i with
// |i| < 2^22 to its bit pattern gives the float 12582912 + i exactly. Block sums are below
// 32 * 255 * 128 < 2^21.
#define MAGIC_INT 0x4B400000
#define MAGIC_FLOAT 12582912.0f

int bita_cpu_has_avx512vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

static inline int32_t load_i32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

// One panel (16 rows) times columns [j0, j0 + NC). U4: 4-bit codes, else 8-bit. HAS_MIN: Q4_1/Q5_1.
static inline __attribute__((always_inline)) VNNI_TARGET
void panel_columns(const BitaPanelMatrix *w, const BitaInt8Columns *x, const uint8_t *panel,
                   int32_t j0, const int NC, const int U4, const int HAS_MIN,
                   float *y, int64_t ldy, int64_t rowBase, int64_t validRows) {
    const int32_t nb = w->blocks;
    const int32_t codeBytes = U4 ? 256 : 512;
    const uint16_t *dh = (const uint16_t *)(panel + (int64_t)nb * codeBytes);
    const uint16_t *mh = dh + 16 * (int64_t)nb;
    const int32_t offset = w->offset;

    const int8_t *xq[MAX_COLUMNS];
    const float *xscale[MAX_COLUMNS];
    const int32_t *xsum[MAX_COLUMNS];
    const float *xscaledSum[MAX_COLUMNS];
    __m512 acc[MAX_COLUMNS];
    for (int j = 0; j < NC; j++) {
        xq[j] = x->q + (int64_t)(j0 + j) * x->qStride;
        xscale[j] = x->scale + (int64_t)(j0 + j) * x->blockStride;
        xsum[j] = x->sum + (int64_t)(j0 + j) * x->blockStride;
        xscaledSum[j] = x->scaledSum + (int64_t)(j0 + j) * x->blockStride;
        acc[j] = _mm512_setzero_ps();
    }
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i magic = _mm512_set1_epi32(MAGIC_INT);
    const __m512 magicFloat = _mm512_set1_ps(MAGIC_FLOAT);

    for (int32_t b = 0; b < nb; b++) {
        __m512i wv[8];
        const uint8_t *codes = panel + (int64_t)b * codeBytes;
        prefetch_ahead(w, panel, b);
        if (U4) {
            for (int p = 0; p < 4; p++) {
                const __m512i v = _mm512_loadu_si512((const void *)(codes + 64 * p));
                wv[p] = _mm512_and_si512(v, low4);
                wv[p + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
            }
        } else {
            for (int g = 0; g < 8; g++) wv[g] = _mm512_loadu_si512((const void *)(codes + 64 * g));
        }
        const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(dh + 16 * b)));
        __m512 m = _mm512_setzero_ps();
        if (HAS_MIN) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(mh + 16 * b)));

        for (int j = 0; j < NC; j++) {
            const int8_t *xb = xq[j] + 32 * b;
            // The int32 accumulator starts at MAGIC + bias: after the 8 vpdpbusd its bit
            // pattern read as a float is exactly 1.5 * 2^23 + isum (|isum| < 2^22), so one
            // subtraction gives (float)isum without vcvtdq2ps, which would compete with
            // vpdpbusd for port 0. Two chains halve the vpdpbusd latency chain; the extra
            // add runs on port 5, which has room.
            __m512i s0 = HAS_MIN ? magic : _mm512_set1_epi32(MAGIC_INT - offset * xsum[j][b]);
            __m512i s1 = _mm512_setzero_si512();
            for (int g = 0; g < 8; g += 2) {
                s0 = _mm512_dpbusd_epi32(s0, wv[g], _mm512_set1_epi32(load_i32(xb + 4 * g)));
                s1 = _mm512_dpbusd_epi32(s1, wv[g + 1], _mm512_set1_epi32(load_i32(xb + 4 * g + 4)));
            }
            s0 = _mm512_add_epi32(s0, s1);
            const __m512 isum = _mm512_sub_ps(_mm512_castsi512_ps(s0), magicFloat);
            const __m512 s = _mm512_mul_ps(d, _mm512_set1_ps(xscale[j][b]));
            acc[j] = _mm512_fmadd_ps(isum, s, acc[j]);
            if (HAS_MIN) acc[j] = _mm512_fmadd_ps(m, _mm512_set1_ps(xscaledSum[j][b]), acc[j]);
        }
    }

    if (validRows >= 16) {
        for (int j = 0; j < NC; j++) _mm512_storeu_ps(y + (int64_t)(j0 + j) * ldy + rowBase, acc[j]);
    } else {
        const __mmask16 mask = (__mmask16)((1u << validRows) - 1u);
        for (int j = 0; j < NC; j++) _mm512_mask_storeu_ps(y + (int64_t)(j0 + j) * ldy + rowBase, mask, acc[j]);
    }
}

typedef void (*panel_fn)(const BitaPanelMatrix *, const BitaInt8Columns *, const uint8_t *, int32_t,
                         float *, int64_t, int64_t, int64_t);

#define DEFINE_PANEL_FN(NC, U4, MIN)                                                              \
    static VNNI_TARGET void panel_##U4##_##MIN##_##NC(                                           \
        const BitaPanelMatrix *w, const BitaInt8Columns *x, const uint8_t *panel, int32_t j0,    \
        float *y, int64_t ldy, int64_t rowBase, int64_t validRows) {                             \
        panel_columns(w, x, panel, j0, NC, U4, MIN, y, ldy, rowBase, validRows);                 \
    }
#define DEFINE_PANEL_FNS(U4, MIN)                                                                 \
    DEFINE_PANEL_FN(1, U4, MIN) DEFINE_PANEL_FN(2, U4, MIN) DEFINE_PANEL_FN(3, U4, MIN)           \
    DEFINE_PANEL_FN(4, U4, MIN) DEFINE_PANEL_FN(5, U4, MIN) DEFINE_PANEL_FN(6, U4, MIN)           \
    DEFINE_PANEL_FN(7, U4, MIN) DEFINE_PANEL_FN(8, U4, MIN)                                       \
    static const panel_fn panel_fns_##U4##_##MIN[MAX_COLUMNS] = {                                 \
        panel_##U4##_##MIN##_1, panel_##U4##_##MIN##_2, panel_##U4##_##MIN##_3,                   \
        panel_##U4##_##MIN##_4, panel_##U4##_##MIN##_5, panel_##U4##_##MIN##_6,                   \
        panel_##U4##_##MIN##_7, panel_##U4##_##MIN##_8};

DEFINE_PANEL_FNS(0, 0)
DEFINE_PANEL_FNS(0, 1)
DEFINE_PANEL_FNS(1, 0)
DEFINE_PANEL_FNS(1, 1)

void bita_int8_panels_avx512vnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                                 int64_t panelBegin, int64_t panelEnd, int64_t rows,
                                 float *y, int64_t ldy) {
    const int u4 = w->codeBytes == 256;
    const panel_fn *fns = u4 ? (w->hasMin ? panel_fns_1_1 : panel_fns_1_0)
                             : (w->hasMin ? panel_fns_0_1 : panel_fns_0_0);
    for (int64_t p = panelBegin; p < panelEnd; p++) {
        const uint8_t *panel = w->panels + p * w->panelBytes;
        const int64_t rowBase = 16 * p;
        const int64_t validRows = rows - rowBase < 16 ? rows - rowBase : 16;
        // Balanced groups of at most 8 columns (9 = 5 + 4, not 8 + 1).
        const int32_t groups = (n + MAX_COLUMNS - 1) / MAX_COLUMNS;
        for (int32_t g = 0, j0 = 0; g < groups; g++) {
            const int32_t nc = (n - j0 + (groups - g) - 1) / (groups - g);
            fns[nc - 1](w, x, panel, j0, y, ldy, rowBase, validRows);
            j0 += nc;
        }
    }
}

#else

int bita_cpu_has_avx512vnni(void) { return 0; }

void bita_int8_panels_avx512vnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                                 int64_t panelBegin, int64_t panelEnd, int64_t rows,
                                 float *y, int64_t ldy) {
    (void)w; (void)x; (void)n; (void)panelBegin; (void)panelEnd; (void)rows; (void)y; (void)ldy;
    __builtin_trap();
}

#endif
