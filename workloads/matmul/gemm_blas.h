/* The OpenBLAS path of the CPU GEMM: cblas_sgemm / cblas_dgemm, and
 * cblas_sbgemm for bf16 when the OpenBLAS in use was built with it (looked
 * up at run time: Debian's 0.3.21 is built without it). Also used by conv. */
#ifndef AIB_GEMM_BLAS_H
#define AIB_GEMM_BLAS_H

#include <stdint.h>

#include "../../bench/err.h"
#include "gemm_native.h"

typedef void (*aib_sbgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha,
                              const uint16_t *a, int lda, const uint16_t *b, int ldb, float beta,
                              float *c, int ldc);

struct aib_gemm_blas {
    struct aib_gemm_desc d;
    aib_sbgemm_fn sbgemm; /* NULL unless prec is bf16 */
};

/* Checks OpenBLAS can do `d` (bf16 needs cblas_sbgemm; every dimension and
 * leading dimension must fit its 32-bit integers); AIB_EUSAGE if not. */
int aib_gemm_blas_init(const struct aib_gemm_desc *d, struct aib_gemm_blas *out,
                       struct aib_err *err);
/* Sets OpenBLAS's thread count (process-wide) and returns what it will use. */
int aib_gemm_blas_set_threads(int want);
/* "OpenBLAS 0.3.21 ... (core Haswell)", for notes. */
void aib_gemm_blas_describe(char *buf, size_t len);
/* C = op(A) op(B), `iters` times: one cblas call each, nothing else. */
void aib_gemm_blas_run(const struct aib_gemm_blas *g, uint64_t iters);

#endif
