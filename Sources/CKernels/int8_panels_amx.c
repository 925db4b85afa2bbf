// Int8 panel matmul with AMX (Intel Sapphire Rapids and later): one tdpbsud per 32-element
// block multiplies up to 16 activation columns (tile A: columns x 32 int8, read straight from
// the activation buffer) by the panel's 16 rows (tile B: the 8 x 64-byte code vectors of the
// panel layout are exactly AMX's 4-byte-interleaved B format). The int32 sums are stored and
// scaled with the same Float operations as the VNNI kernel, so results are bit-identical.
// AMX pays a fixed cost per block (tile loads, the store of the sums), so it only wins over
// VNNI from about 10 columns (measured on a full SmolLM2 step); the Swift side chooses.
#define _GNU_SOURCE
#include "CKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#include <string.h>
#include "panel_prefetch.h"
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,f16c,fma")))
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

typedef struct {
    uint8_t palette;
    uint8_t startRow;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} TileConfig;

int bita_cpu_has_amx_int8(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-int8")) return 0;
    if (!bita_cpu_has_avx512vnni()) return 0;  // the epilogue uses AVX-512
    // Linux hands out the 8 KB tile state only on request (once per process).
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

// Tiles: 0/1 = C (int32 sums, M columns x 16 rows), 2/3 = A (activations, M x 32 int8),
// 4/5 = B (codes, 8 x 64 bytes). Two sets, so block b + 1's tdpbsud runs while block b's sums
// are scaled. T is the set (1 or 2; tile numbers must be constants).
#define ISSUE_BLOCK(T, b)                                                                          \
    do {                                                                                           \
        const uint8_t *codes_ = panel + (int64_t)(b) * codeBytes;                                  \
        prefetch_ahead(w, panel, (b));                                                             \
        if (U4) {                                                                                  \
            uint8_t *unpacked_ = codeScratch + 512 * ((T) - 1);                                     \
            for (int p = 0; p < 4; p++) {                                                          \
                const __m512i v = _mm512_loadu_si512((const void *)(codes_ + 64 * p));              \
                _mm512_store_si512((void *)(unpacked_ + 64 * p), _mm512_and_si512(v, low4));        \
                _mm512_store_si512((void *)(unpacked_ + 64 * (p + 4)),                              \
                                   _mm512_and_si512(_mm512_srli_epi16(v, 4), low4));                \
            }                                                                                      \
            _tile_loadd(3 + (T), unpacked_, 64);                                                   \
        } else {                                                                                   \
            _tile_loadd(3 + (T), codes_, 64);                                                      \
        }                                                                                          \
        _tile_loadd(1 + (T), q + 32 * (b), x->qStride);                                            \
        _tile_zero((T) - 1);                                                                       \
        _tile_dpbsud((T) - 1, 1 + (T), 3 + (T));                                                   \
    } while (0)

static inline __attribute__((always_inline)) AMX_TARGET
void scale_block(const BitaInt8Columns *x, int32_t j0, int M, const int HAS_MIN, int32_t offset, int32_t b,
                 const int32_t *sums, const uint16_t *dh, const uint16_t *mh, __m512 *acc) {
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(dh + 16 * b)));
    __m512 m = _mm512_setzero_ps();
    if (HAS_MIN) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(mh + 16 * b)));
    for (int j = 0; j < M; j++) {
        const int64_t block = (int64_t)(j0 + j) * x->blockStride + b;
        __m512i isum = _mm512_load_si512((const void *)(sums + 16 * j));
        if (!HAS_MIN) isum = _mm512_add_epi32(isum, _mm512_set1_epi32(-offset * x->sum[block]));
        const __m512 s = _mm512_mul_ps(d, _mm512_set1_ps(x->scale[block]));
        acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[j]);
        if (HAS_MIN) acc[j] = _mm512_fmadd_ps(m, _mm512_set1_ps(x->scaledSum[block]), acc[j]);
    }
}

static inline __attribute__((always_inline)) AMX_TARGET
void amx_panel(const BitaPanelMatrix *w, const BitaInt8Columns *x, const uint8_t *panel, int32_t j0, int M,
               const int U4, const int HAS_MIN, float *y, int64_t ldy, int64_t rowBase, int64_t validRows,
               uint8_t *scratch) {
    const int32_t nb = w->blocks;
    const int32_t codeBytes = U4 ? 256 : 512;
    const uint16_t *dh = (const uint16_t *)(panel + (int64_t)nb * codeBytes);
    const uint16_t *mh = dh + 16 * (int64_t)nb;
    const int32_t offset = w->offset;
    uint8_t *codeScratch = scratch;                       // 2 x 512 B unpacked 4-bit codes
    int32_t *sums0 = (int32_t *)(scratch + 1024);         // 2 x (16 x 16) int32 sums
    int32_t *sums1 = (int32_t *)(scratch + 2048);
    const int8_t *q = x->q + (int64_t)j0 * x->qStride;
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    __m512 acc[16];
    for (int j = 0; j < 16; j++) acc[j] = _mm512_setzero_ps();

    ISSUE_BLOCK(1, 0);
    int32_t b = 0;
    for (; b + 1 < nb; b += 2) {
        ISSUE_BLOCK(2, b + 1);
        _tile_stored(0, sums0, 64);
        scale_block(x, j0, M, HAS_MIN, offset, b, sums0, dh, mh, acc);
        if (b + 2 < nb) ISSUE_BLOCK(1, b + 2);
        _tile_stored(1, sums1, 64);
        scale_block(x, j0, M, HAS_MIN, offset, b + 1, sums1, dh, mh, acc);
    }
    if (b < nb) {
        _tile_stored(0, sums0, 64);
        scale_block(x, j0, M, HAS_MIN, offset, b, sums0, dh, mh, acc);
    }
    const __mmask16 mask = validRows >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << validRows) - 1u);
    for (int j = 0; j < M; j++) _mm512_mask_storeu_ps(y + (int64_t)(j0 + j) * ldy + rowBase, mask, acc[j]);
}

static inline __attribute__((always_inline)) AMX_TARGET
void amx_run(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n, int64_t panelBegin, int64_t panelEnd,
             int64_t rows, float *y, int64_t ldy, const int U4, const int HAS_MIN) {
    _Alignas(64) uint8_t scratch[3072];
    // Balanced groups of at most 16 columns (20 = 10 + 10, not 16 + 4): each group pays AMX's
    // fixed cost per block once.
    const int32_t groups = (n + 15) / 16;
    for (int32_t g = 0, j0 = 0; g < groups; g++) {
        const int M = (n - j0 + (groups - g) - 1) / (groups - g);
        TileConfig config;
        memset(&config, 0, sizeof config);
        config.palette = 1;
        for (int t = 0; t < 2; t++) {
            config.rows[t] = (uint8_t)M;     config.colsb[t] = 64;      // C
            config.rows[2 + t] = (uint8_t)M; config.colsb[2 + t] = 32;  // A
            config.rows[4 + t] = 8;          config.colsb[4 + t] = 64;  // B
        }
        _tile_loadconfig(&config);
        for (int64_t p = panelBegin; p < panelEnd; p++) {
            const int64_t rowBase = 16 * p;
            amx_panel(w, x, w->panels + p * w->panelBytes, j0, M, U4, HAS_MIN, y, ldy, rowBase, rows - rowBase, scratch);
        }
        j0 += M;
    }
    _tile_release();
}

AMX_TARGET static void amx_u4_min(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n, int64_t pb,
                                  int64_t pe, int64_t rows, float *y, int64_t ldy) { amx_run(w, x, n, pb, pe, rows, y, ldy, 1, 1); }
AMX_TARGET static void amx_u4(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n, int64_t pb,
                              int64_t pe, int64_t rows, float *y, int64_t ldy) { amx_run(w, x, n, pb, pe, rows, y, ldy, 1, 0); }
AMX_TARGET static void amx_u8_min(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n, int64_t pb,
                                  int64_t pe, int64_t rows, float *y, int64_t ldy) { amx_run(w, x, n, pb, pe, rows, y, ldy, 0, 1); }
AMX_TARGET static void amx_u8(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n, int64_t pb,
                              int64_t pe, int64_t rows, float *y, int64_t ldy) { amx_run(w, x, n, pb, pe, rows, y, ldy, 0, 0); }

void bita_int8_panels_amx(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                          int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    if (w->codeBytes == 256) {
        (w->hasMin ? amx_u4_min : amx_u4)(w, x, n, panelBegin, panelEnd, rows, y, ldy);
    } else {
        (w->hasMin ? amx_u8_min : amx_u8)(w, x, n, panelBegin, panelEnd, rows, y, ldy);
    }
}

#else

int bita_cpu_has_amx_int8(void) { return 0; }

void bita_int8_panels_amx(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                          int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy) {
    (void)w; (void)x; (void)n; (void)panelBegin; (void)panelEnd; (void)rows; (void)y; (void)ldy;
    __builtin_trap();
}

#endif
