/* OpenBLAS calls for the CPU GEMM; see gemm_blas.h. */
#include "gemm_blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int aib_gemm_blas_init(const struct aib_gemm_desc *d, struct aib_gemm_blas *out,
                       struct aib_err *err)
{
    *out = (struct aib_gemm_blas){.d = *d};
    size_t dims[] = {d->m, d->n, d->k, d->lda, d->ldb, d->ldc};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i] > INT_MAX)
            return aib_err_set(err, AIB_EUSAGE, "m=%zu n=%zu k=%zu: too large for OpenBLAS's "
                               "32-bit dimensions", d->m, d->n, d->k);
    if (d->prec == AIB_GEMM_BF16) {
        /* dlsym returns an object pointer; the cast through memcpy is the
         * portable way to get a function pointer from it */
        void *sym = dlsym(RTLD_DEFAULT, "cblas_sbgemm");
        if (!sym)
            return aib_err_set(err, AIB_EUSAGE, "precision=bf16 with impl=blas: this OpenBLAS "
                               "has no cblas_sbgemm (built without bfloat16); use impl=native");
        memcpy(&out->sbgemm, &sym, sizeof sym);
    }
    return 0;
}

int aib_gemm_blas_set_threads(int want)
{
    openblas_set_num_threads(want);
    return openblas_get_num_threads();
}

void aib_gemm_blas_describe(char *buf, size_t len)
{
    const char *cfg = openblas_get_config();
    const char *core = openblas_get_corename();
    snprintf(buf, len, "%s (core %s)", cfg ? cfg : "OpenBLAS", core ? core : "unknown");
}

void aib_gemm_blas_run(const struct aib_gemm_blas *g, uint64_t iters)
{
    const struct aib_gemm_desc *d = &g->d;
    const int m = (int)d->m, n = (int)d->n, k = (int)d->k;
    const int lda = (int)d->lda, ldb = (int)d->ldb, ldc = (int)d->ldc;
    const enum CBLAS_TRANSPOSE ta = d->transa ? CblasTrans : CblasNoTrans;
    const enum CBLAS_TRANSPOSE tb = d->transb ? CblasTrans : CblasNoTrans;
    switch (d->prec) {
    case AIB_GEMM_FP32:
        for (uint64_t i = 0; i < iters; i++)
            cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, d->a, lda, d->b, ldb, 0.0f, d->c, ldc);
        break;
    case AIB_GEMM_FP64:
        for (uint64_t i = 0; i < iters; i++)
            cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, d->a, lda, d->b, ldb, 0.0, d->c, ldc);
        break;
    case AIB_GEMM_BF16:
        for (uint64_t i = 0; i < iters; i++)
            g->sbgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, d->a, lda, d->b, ldb, 0.0f, d->c, ldc);
        break;
    }
}
