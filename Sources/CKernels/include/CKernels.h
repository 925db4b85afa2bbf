// Small C kernels behind Swift APIs (Sources/Inference/Tensors, Model/AttentionKernel.swift,
// Threading). Only what Swift cannot express well lives here: int8 dot products with AMX,
// AVX-512 VNNI, AVX-VNNI or AVX2 (Swift emits none of vpdpbusd / tdpbsud / vpmaddubsw for
// them), vector exponentials and attention's cross-lane folds (Swift's SIMD types compiled
// those to per-lane loops), a spin-wait hint and the affinity-mask CPU count. Every function
// with special instructions carries its own target attribute and is only
// called after the matching bita_cpu_* check returned 1, so the library runs on any x86-64
// (and builds on other architectures, where the checks return 0).
#ifndef BITA_CKERNELS_H
#define BITA_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A weight matrix in the int8 panel layout (see Int8PanelLayout.swift): panels of 16 rows;
/// a panel holds, for each 32-element block b, `codeBytes` bytes of codes, then `blocks` x 16
/// binary16 scales d, then (if hasMin) `blocks` x 16 binary16 minima m.
///   codeBytes == 256: 4-bit codes; byte 64p + 4r + t holds element 4p + t of row r in its low
///                     nibble and element 4(p + 4) + t in its high nibble (p < 4, r < 16, t < 4).
///   codeBytes == 512: 8-bit codes; byte 64g + 4r + t holds element 4g + t of row r (g < 8).
/// A weight is d * (code - offset) (+ m when hasMin).
/// prefetchToL2: where the kernels' software prefetch of the weight stream puts its lines:
/// 1 = L2 (prefetcht1), 0 = L1 (prefetcht0). A speed choice only; results are the same bits.
typedef struct {
    const uint8_t *panels;
    int64_t panelBytes;
    int32_t blocks;
    int32_t codeBytes;
    int32_t offset;
    int32_t hasMin;
    int32_t prefetchToL2;
} BitaPanelMatrix;

/// n activation columns quantized to int8 with one scale per 32 elements.
///   q[j * qStride + i]               int8 value of element i of column j
///   scale[j * blockStride + b]       block scale (dequantized value = q * scale)
///   sum[j * blockStride + b]         sum of the 32 int8 values of block b
///   scaledSum[j * blockStride + b]   scale * sum (the Q4_1 / Q5_1 minimum term)
typedef struct {
    const int8_t *q;
    const float *scale;
    const int32_t *sum;
    const float *scaledSum;
    int64_t qStride;
    int64_t blockStride;
} BitaInt8Columns;

/// 1 when the CPU's vendor is AMD, else 0.
int bita_cpu_is_amd(void);

/// 1 when the CPU and OS support AVX-512 F/BW/VL + VNNI (zmm state enabled), else 0.
int bita_cpu_has_avx512vnni(void);

/// y[j * ldy + r] for rows r in panels [panelBegin, panelEnd) (r < rows) and columns j < n:
///   acc = 0
///   for each block b: isum = sum_i code(r, 32b + i) * q[j][32b + i] - offset * sum[j][b]
///                     acc  = fma((float)isum, d(r, b) * scale[j][b], acc)
///                     if hasMin: acc = fma(m(r, b), scaledSum[j][b], acc)
/// Requires bita_cpu_has_avx512vnni().
void bita_int8_panels_avx512vnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                                 int64_t panelBegin, int64_t panelEnd, int64_t rows,
                                 float *y, int64_t ldy);

// Attention for 64-element heads over the binary16 KV cache (see
// Sources/Inference/Model/AttentionKernel.swift). Keys and values are IEEE binary16 bit patterns,
// `stride` is in elements between consecutive keys. Require bita_cpu_has_avx2_fma_f16c().
int bita_cpu_has_avx2_fma_f16c(void);

/// scores[t] = dot(q, float(keys + t * stride)) * scale for t < count, each dot in attentionDot's
/// order (16 lanes of fused multiply-adds, lanes folded pairwise). Returns the largest score that
/// is not NaN (-infinity if none).
float bita_attention_scores64_f16_avx2(const float *q, const uint16_t *keys, int64_t stride, int64_t count,
                                       float scale, float *scores);
/// For t < count in order: w = half(p[t] * inv); out[e] = fma(w, float(values[t * stride + e]), out[e])
/// for e < 64.
void bita_attention_values64_f16_avx2(const float *p, float inv, const uint16_t *values, int64_t stride,
                                      int64_t count, float *out);

// The same attention for the three query heads of one key/value head at once (see
// attention_group_avx512.c): q holds the three heads' queries (3 x 64 floats), head h's scores
// go to scores + h * scoreStride, its probabilities are read from p + h * pStride, and out holds
// the three heads' outputs (3 x 64 floats). Each head's results are the bits of the one-head
// functions above. Require bita_cpu_has_avx512f() and bita_cpu_has_avx2_fma_f16c().
/// maxima[h]: head h's largest score that is not NaN (-infinity if none).
void bita_attention_group_scores64_f16_avx512(const float *q, const uint16_t *keys, int64_t stride, int64_t count,
                                              float scale, float *scores, int64_t scoreStride, float *maxima);
void bita_attention_group_values64_f16_avx512(const float *p, int64_t pStride, const float *inv,
                                              const uint16_t *values, int64_t stride, int64_t count, float *out);

/// Processors this process may run on (affinity mask), at least 1.
int bita_active_cpu_count(void);

/// 1 when the CPU has AMX-TILE + AMX-INT8 (and AVX-512 VNNI) and the OS granted this process
/// the tile state, else 0. Call once before bita_int8_panels_amx.
int bita_cpu_has_amx_int8(void);

/// Same contract and bit-identical results as bita_int8_panels_avx512vnni. Requires
/// bita_cpu_has_amx_int8(). Works on columns in groups of up to 16. Faster than VNNI from
/// about 10 columns.
void bita_int8_panels_amx(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                          int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy);

/// 1 when the CPU has AVX2 + FMA + F16C / additionally AVX-VNNI (256-bit vpdpbusd), else 0.
int bita_cpu_has_avx2(void);
int bita_cpu_has_avxvnni(void);

/// Same contract and bit-identical results as bita_int8_panels_avx512vnni, for CPUs without
/// AVX-512. Require bita_cpu_has_avx2() / bita_cpu_has_avxvnni().
void bita_int8_panels_avx2(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                           int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy);
void bita_int8_panels_avxvnni(const BitaPanelMatrix *w, const BitaInt8Columns *x, int32_t n,
                              int64_t panelBegin, int64_t panelEnd, int64_t rows, float *y, int64_t ldy);

/// A hint for spin-wait loops (x86 `pause`).
static inline void bita_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Vector exponentials with exactly glibc expf's results (see Sources/Inference/Tensors/Exponential.swift).
/// AVX-512F with DQ (any CPU with AVX-512 VNNI has both).
int bita_cpu_has_avx512f(void);
/// p[i] = expf(p[i] - offset) for i < count. Requires bita_cpu_has_avx512f().
void bita_exp_offset_avx512(float *p, int64_t count, float offset);
/// gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i] for i < count. Requires bita_cpu_has_avx512f().
void bita_silu_mul_avx512(float *gate, const float *up, int64_t count);
/// The same two on AVX2 machines (bita_cpu_has_avx2_fma_f16c()), four lanes at a time, same bits.
void bita_exp_offset_avx2(float *p, int64_t count, float offset);
void bita_silu_mul_avx2(float *gate, const float *up, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
