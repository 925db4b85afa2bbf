// OpenBLAS's CBLAS interface (sgemm for long-prompt prefill and training products).
#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
#endif
