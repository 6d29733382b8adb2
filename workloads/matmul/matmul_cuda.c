/* matmul on a CUDA GPU: C = A * B through cuBLAS (cublasGemmEx), cuBLASLt
 * (cublasLtMatmul with its best heuristic algorithm) or aibench's own
 * kernels (SIMT tiles for fp64/fp32, WMMA tensor cores for fp16/bf16), in
 * the CUDA plugin. Shapes are n/m/k or a model shape by name (shapes.c).
 * The plugin times with CUDA events (metrics device_time/_throughput) and
 * checks sampled elements against a CPU reference. */
#include <stdio.h>
#include <string.h>

#include "../cuda_common.h"
#include "shapes.h"

struct mm_cuda_params {
    int64_t n, m, k;
    char shape[AIB_PARAM_STR_MAX];
    int precision; /* enum aib_cuda_prec: same order as the choices */
    int impl;      /* enum aib_cuda_matmul_impl */
};

#define P_(f) offsetof(struct mm_cuda_params, f)
static const struct aib_param mm_cuda_decl[] = {
    {"n", AIB_PT_INT, P_(n), "4096", 1, 65536, NULL, "columns of C and B (and m, k when those are 0)"},
    {"m", AIB_PT_INT, P_(m), "0", 0, 65536, NULL, "rows of C and A (0: same as n)"},
    {"k", AIB_PT_INT, P_(k), "0", 0, 65536, NULL, "inner dimension (0: same as n)"},
    {"shape", AIB_PT_STR, P_(shape), "none", 0, 0, NULL,
     "a model GEMM (sets m, n, k), e.g. llama7b-mlp-up-t2048; shape=list lists them"},
    {"precision", AIB_PT_ENUM, P_(precision), "fp32", 0, 0, "fp64|fp32|tf32|fp16|bf16|int8|fp8",
     "inputs; output the same but int8 -> int32, fp8 (e4m3) -> bf16; fp32 accumulation except fp64/int8"},
    {"impl", AIB_PT_ENUM, P_(impl), "cublas", 0, 0, "cublas|cublaslt|native",
     "cublas: cublasGemmEx; cublaslt: cublasLtMatmul (needed for fp8); native: aibench's kernels"},
};

static int dims(const struct mm_cuda_params *p, int64_t *m, int64_t *n, int64_t *k, struct aib_err *err)
{
    return aib_gemm_dims(p->shape, p->n, p->m, p->k, m, n, k, err);
}

static int64_t up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

static int mm_cuda_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct mm_cuda_params *p = params;
    static const double in_b[] = {8, 4, 4, 2, 2, 1, 1}, out_b[] = {8, 4, 4, 2, 2, 4, 2};
    int64_t m, n, k;
    int rc = dims(p, &m, &n, &k, err);
    if (rc)
        return rc;
    bool native = p->impl == AIB_CUDA_MM_NATIVE;
    if (native && (p->precision == AIB_CUDA_TF32 || p->precision == AIB_CUDA_INT8 || p->precision == AIB_CUDA_FP8))
        return aib_err_set(err, AIB_EUSAGE, "impl=native has no %s kernel (it does fp64, fp32, fp16, bf16; use impl=cublas)",
                           aib_cuda_prec_name(p->precision));
    if (p->impl == AIB_CUDA_MM_CUBLAS && p->precision == AIB_CUDA_FP8)
        return aib_err_set(err, AIB_EUSAGE, "precision=fp8 needs impl=cublaslt (cublasGemmEx has no fp8)");
    if (p->precision == AIB_CUDA_FP8 && (m % 16 || n % 16 || k % 16))
        return aib_err_set(err, AIB_EUSAGE, "fp8 needs m, n and k to be multiples of 16 (got m=%lld n=%lld k=%lld)",
                           (long long)m, (long long)n, (long long)k);
    if (p->precision == AIB_CUDA_INT8 && (n % 4 || k % 4))
        return aib_err_set(err, AIB_EUSAGE, "int8 needs n and k to be multiples of 4 (got n=%lld k=%lld)",
                           (long long)n, (long long)k);
    if ((rc = aib_cuda_check(dev, p->precision, native, err)))
        return rc;
    double mm = (double)(native ? up(m, 128) : m), nn = (double)(native ? up(n, 128) : n),
           kk = (double)(native ? up(k, 32) : k);
    double bytes = (mm * kk + kk * nn) * in_b[p->precision] + mm * nn * out_b[p->precision] +
                   (native ? 0 : 32.0 * 1048576);
    char what[96];
    snprintf(what, sizeof what, "matmul m=%lld n=%lld k=%lld", (long long)m, (long long)n, (long long)k);
    return aib_cuda_check_mem(dev, bytes, what, err);
}

static void mm_cuda_work(const void *params, struct aib_work *out)
{
    int64_t m = 0, n = 0, k = 0;
    struct aib_err err = {0};
    dims(params, &m, &n, &k, &err); /* validated before any work is asked */
    out->flops = 2.0 * (double)m * (double)n * (double)k;
    out->bytes = 0;
    out->ops = 0;
}

static int mm_cuda_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct mm_cuda_params *p = params;
    struct aib_cuda_matmul_args a = {.impl = p->impl, .precision = p->precision};
    struct aib_work work;
    struct aib_cuda_state *s;
    char why[512] = "";
    int rc = dims(p, &a.m, &a.n, &a.k, err);
    if (rc)
        return rc;
    mm_cuda_work(params, &work);
    if ((rc = aib_cuda_state_new(dev, &work, &s, err)))
        return rc;
    rc = s->pl->matmul_create(dev->index, &a, &s->job, why, sizeof why);
    return aib_cuda_state_created(s, rc, why, state, err);
}

const struct aib_workload_ops aib_matmul_cuda = {
    .name = "matmul",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "dense matrix multiply on the GPU (cuBLAS, cuBLASLt or native kernels; GFLOP/s, int8: GOP/s), "
               "CUDA-event timed, verified on sampled elements",
    .params = {"matmul", mm_cuda_decl, sizeof mm_cuda_decl / sizeof mm_cuda_decl[0], sizeof(struct mm_cuda_params)},
    .validate = mm_cuda_validate,
    .setup = mm_cuda_setup,
    .run = aib_cuda_run,
    .verify = aib_cuda_verify,
    .work = mm_cuda_work,
    .metrics = aib_cuda_metrics,
    .teardown = aib_cuda_teardown,
};
