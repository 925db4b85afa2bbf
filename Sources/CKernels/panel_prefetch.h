// The int8 panel kernels' software prefetch of the weight stream (shared by the AVX2, AVX-512
// VNNI and AMX kernels). Per 32-element block b of a panel, one block's share of the panel,
// PANEL_PREFETCH_DISTANCE bytes ahead. The hardware prefetchers alone left a decode step ~25%
// slower on an Intel Xeon (measured n = 1: 8.4 -> 6.2 ms CPU; n = 8: 16 -> 9.2 ms; 4-64 KB ahead
// all helped, 16 KB about best). Into L1 there; into L2 on AMD EPYC, where prefetches into L1
// made every step slower (matmuls alone, one thread: n = 2 4.6-5.4 -> 2.8-3.3 ms, n = 8 8.5-9.0
// -> 7.2 ms; see Int8KernelBackend.weightPrefetchToL2). Prefetches past the end of the weights
// are harmless.
#ifndef BITA_PANEL_PREFETCH_H
#define BITA_PANEL_PREFETCH_H

#include <immintrin.h>
#include "CKernels.h"

#define PANEL_PREFETCH_DISTANCE 16384

static inline __attribute__((always_inline)) void prefetch_ahead(const BitaPanelMatrix *w, const uint8_t *panel, int32_t b) {
    const int64_t perBlock = (w->panelBytes / w->blocks + 63) & ~(int64_t)63;
    const uint8_t *ahead = panel + PANEL_PREFETCH_DISTANCE + b * perBlock;
    if (w->prefetchToL2) {
        for (int64_t k = 0; k < perBlock; k += 64) _mm_prefetch((const char *)(ahead + k), _MM_HINT_T1);
    } else {
        for (int64_t k = 0; k < perBlock; k += 64) _mm_prefetch((const char *)(ahead + k), _MM_HINT_T0);
    }
}

#endif
