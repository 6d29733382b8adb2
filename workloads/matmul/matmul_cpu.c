/* matmul on the CPU: C = op(A) * op(B), row-major, fp32, fp64 or bf16 (bf16
 * A and B, fp32 C). impl=blas calls OpenBLAS; impl=native runs aibench's
 * own packed kernel (gemm_native.c) on a pinned thread team. Sizes come
 * from n/m/k or from a named model shape (shapes.c). The answer is checked
 * against a double-precision reference before any speed counts. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../workload.h"
#include "gemm_blas.h"
#include "gemm_native.h"
#include "shapes.h"

enum { PREC_FP32, PREC_FP64, PREC_BF16 }; /* the order of AIB_GEMM_* */
enum { IMPL_BLAS, IMPL_NATIVE };

struct matmul_params {
    int64_t n, m, k;
    int precision;
    int64_t threads;
    int impl;
    int transa, transb;
    char shape[AIB_PARAM_STR_MAX];
    int simd; /* enum aib_simd */
};

static const struct aib_param matmul_params_decl[] = {
    {"n", AIB_PT_INT, offsetof(struct matmul_params, n), "512", 1, 65536, NULL,
     "columns of C and op(B) (and m, k when those are 0)"},
    {"m", AIB_PT_INT, offsetof(struct matmul_params, m), "0", 0, 65536, NULL,
     "rows of C and op(A) (0: same as n)"},
    {"k", AIB_PT_INT, offsetof(struct matmul_params, k), "0", 0, 65536, NULL,
     "inner dimension (0: same as n)"},
    {"precision", AIB_PT_ENUM, offsetof(struct matmul_params, precision), "fp32", 0, 0,
     "fp32|fp64|bf16", "element type; bf16: bf16 A and B, fp32 accumulate and C"},
    {"threads", AIB_PT_INT, offsetof(struct matmul_params, threads), "0", 0, 4096, NULL,
     "threads (0: one per core of the device)"},
    {"impl", AIB_PT_ENUM, offsetof(struct matmul_params, impl), "blas", 0, 0, "blas|native",
     "blas: OpenBLAS; native: aibench's packed kernel on pinned threads"},
    {"transa", AIB_PT_ENUM, offsetof(struct matmul_params, transa), "n", 0, 0, "n|t",
     "t: A is stored k x m and used transposed"},
    {"transb", AIB_PT_ENUM, offsetof(struct matmul_params, transb), "n", 0, 0, "n|t",
     "t: B is stored n x k and used transposed"},
    {"shape", AIB_PT_STR, offsetof(struct matmul_params, shape), "none", 0, 0, NULL,
     "a model GEMM, e.g. llama7b-mlp-up-t2048: sets m, n, k (n, m, k are then ignored); "
     "shape=list lists them"},
    {"simd", AIB_PT_ENUM, offsetof(struct matmul_params, simd), "auto", 0, 0,
     "auto|portable|avx2|avx512", "native kernel's instruction set (auto: the best here)"},
};

struct matmul_state {
    size_t m, n, k, esize;
    int precision, impl;
    unsigned threads; /* actually used */
    enum aib_simd simd;
    void *a, *b, *c;
    struct aib_gemm_desc d;
    struct aib_gemm_blas blas;
    struct aib_cpu_team *team;
    struct aib_gemm_native *native;
    char blas_info[128];
};

/* Sizes from the shape name, else n/m/k. AIB_EUSAGE listing the shapes
 * when the name is unknown (so shape=list shows them). */
static int dims(const struct matmul_params *p, size_t *m, size_t *n, size_t *k,
                struct aib_err *err)
{
    int64_t mm = 0, nn = 0, kk = 0;
    int rc = aib_gemm_dims(p->shape, p->n, p->m, p->k, &mm, &nn, &kk, err);
    *m = (size_t)mm, *n = (size_t)nn, *k = (size_t)kk;
    return rc;
}

static unsigned want_threads(const struct aib_device *dev, const struct matmul_params *p)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return p->threads ? (unsigned)p->threads
           : dev->cores ? dev->cores
                        : (unsigned)(ncpu > 0 ? ncpu : 1);
}

/* Per-core L1d and L2 sizes for the native kernel's blocking (0 when hwloc
 * does not know: the kernel then assumes common sizes). */
static void core_caches(const struct aib_device *dev, size_t *l1d, size_t *l2)
{
    struct aib_cpu_caches cc;
    struct aib_err ignored;
    unsigned cores = dev->cores ? dev->cores : 1;
    *l1d = *l2 = 0;
    if (aib_cpu_caches(dev, &cc, &ignored) == 0) {
        *l1d = (size_t)(cc.l1d / cores);
        *l2 = (size_t)(cc.l2 / cores);
    }
}

/* Whether this CPU and library can run the precision/impl/simd asked for;
 * `f` is passed in so tests can pretend to be another CPU. */
static int matmul_check_cpu(const struct matmul_params *p, const struct aib_cpu_features *f,
                            enum aib_simd *simd, struct aib_err *err)
{
    /* the simd choice is the native kernel's; OpenBLAS picks its own */
    int rc = aib_simd_pick(f, p->impl == IMPL_NATIVE ? (enum aib_simd)p->simd : AIB_SIMD_AUTO,
                           simd, err);
    if (rc)
        return rc;
    if (p->precision == PREC_BF16 && !f->avx512bf16)
        return aib_err_set(err, AIB_EUSAGE, "precision=bf16: this CPU has no AVX512_BF16");
    if (p->impl == IMPL_NATIVE && !aib_gemm_kernel_find(*simd, (enum aib_gemm_prec)p->precision))
        return aib_err_set(err, AIB_EUSAGE, "precision=%s has no native kernel for simd=%s",
                           p->precision == PREC_BF16 ? "bf16" : "this", aib_simd_name(*simd));
    return 0;
}

static int matmul_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct matmul_params *p = params;
    size_t m, n, k;
    int rc = dims(p, &m, &n, &k, err);
    if (rc)
        return rc;
    struct aib_cpu_features f;
    enum aib_simd simd;
    aib_cpu_features_detect(&f);
    rc = matmul_check_cpu(p, &f, &simd, err);
    if (rc)
        return rc;
    double ein = p->precision == PREC_FP64 ? 8.0 : p->precision == PREC_BF16 ? 2.0 : 4.0;
    double eout = p->precision == PREC_FP64 ? 8.0 : 4.0;
    double bytes = ((double)m * (double)k + (double)k * (double)n) * ein + (double)m * (double)n * eout;
    if (p->impl == IMPL_NATIVE) {
        size_t l1d, l2;
        core_caches(dev, &l1d, &l2);
        bytes += (double)aib_gemm_native_buffer_bytes(
            aib_gemm_kernel_find(simd, (enum aib_gemm_prec)p->precision), m, n, k,
            want_threads(dev, p), l1d, l2);
    }
    if (bytes > (double)SIZE_MAX / 2)
        return aib_err_set(err, AIB_EUSAGE, "m=%zu n=%zu k=%zu: buffer sizes overflow", m, n, k);
    if (dev->mem_bytes && bytes > 0.8 * (double)dev->mem_bytes)
        return aib_err_set(err, AIB_EUSAGE,
                           "m=%zu n=%zu k=%zu needs %.1f GiB of buffers, more than 80%% of the "
                           "%.1f GiB of memory on %s",
                           m, n, k, bytes / 1073741824.0, (double)dev->mem_bytes / 1073741824.0,
                           dev->id);
    if (p->impl == IMPL_BLAS) {
        struct aib_gemm_desc d = {.prec = (enum aib_gemm_prec)p->precision, .m = m, .n = n, .k = k,
                                  .lda = p->transa ? m : k, .ldb = p->transb ? k : n, .ldc = n};
        struct aib_gemm_blas b;
        rc = aib_gemm_blas_init(&d, &b, err);
    }
    return rc;
}

/* Deterministic inputs in [-1, 1) (xorshift64*), so runs are comparable. */
static double next_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* bf16 bits of v, rounded to nearest even (v is finite and small here). */
static uint16_t to_bf16(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static double from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void fill(void *buf, size_t count, int prec, uint64_t *seed)
{
    for (size_t i = 0; i < count; i++) {
        double v = next_uniform(seed);
        if (prec == PREC_FP64)
            ((double *)buf)[i] = v;
        else if (prec == PREC_BF16)
            ((uint16_t *)buf)[i] = to_bf16((float)v);
        else
            ((float *)buf)[i] = (float)v;
    }
}

static void matmul_teardown(void *state)
{
    struct matmul_state *s = state;
    if (!s)
        return;
    aib_gemm_native_destroy(s->native);
    aib_cpu_team_destroy(s->team);
    free(s->a);
    free(s->b);
    free(s->c);
    free(s);
}

static int matmul_setup(const struct aib_device *dev, const void *params, void **state,
                        struct aib_err *err)
{
    const struct matmul_params *p = params;
    struct aib_cpu_features f;
    int rc;
    *state = NULL;
    struct matmul_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    aib_cpu_features_detect(&f);
    if ((rc = dims(p, &s->m, &s->n, &s->k, err)) || (rc = matmul_check_cpu(p, &f, &s->simd, err)))
        goto fail;
    s->precision = p->precision;
    s->impl = p->impl;
    s->esize = p->precision == PREC_FP64 ? 8 : p->precision == PREC_BF16 ? 2 : 4;
    size_t csize = p->precision == PREC_FP64 ? 8 : 4;
    s->a = aligned_alloc(64, (s->m * s->k * s->esize + 63) / 64 * 64);
    s->b = aligned_alloc(64, (s->k * s->n * s->esize + 63) / 64 * 64);
    s->c = aligned_alloc(64, (s->m * s->n * csize + 63) / 64 * 64);
    if (!s->a || !s->b || !s->c) {
        rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate matrices for m=%zu n=%zu k=%zu", s->m,
                         s->n, s->k);
        goto fail;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    fill(s->a, s->m * s->k, s->precision, &seed);
    fill(s->b, s->k * s->n, s->precision, &seed);
    memset(s->c, 0, s->m * s->n * csize);
    s->d = (struct aib_gemm_desc){.prec = (enum aib_gemm_prec)p->precision, .transa = p->transa,
                                  .transb = p->transb, .m = s->m, .n = s->n, .k = s->k,
                                  .a = s->a, .b = s->b, .c = s->c,
                                  .lda = p->transa ? s->m : s->k, .ldb = p->transb ? s->k : s->n,
                                  .ldc = s->n};
    unsigned nt = want_threads(dev, p);
    if (p->impl == IMPL_BLAS) {
        if ((rc = aib_gemm_blas_init(&s->d, &s->blas, err)))
            goto fail;
        s->threads = (unsigned)aib_gemm_blas_set_threads((int)nt);
        aib_gemm_blas_describe(s->blas_info, sizeof s->blas_info);
    } else {
        size_t l1d, l2;
        core_caches(dev, &l1d, &l2);
        if ((rc = aib_cpu_team_create(dev, nt, 1, &s->team, err)) ||
            (rc = aib_gemm_native_create(&s->d, aib_gemm_kernel_find(s->simd, s->d.prec), s->team,
                                         l1d, l2, &s->native, err)))
            goto fail;
        s->threads = nt;
    }
    *state = s;
    return 0;
fail:
    matmul_teardown(s);
    return rc;
}

static int matmul_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct matmul_state *s = state;
    (void)err;
    if (s->impl == IMPL_BLAS)
        aib_gemm_blas_run(&s->blas, iters);
    else
        aib_gemm_native_run(s->native, iters);
    return 0;
}

static double elem(const struct matmul_state *s, const void *base, size_t i)
{
    switch (s->precision) {
    case PREC_FP64: return ((const double *)base)[i];
    case PREC_BF16: return from_bf16(((const uint16_t *)base)[i]);
    default: return ((const float *)base)[i];
    }
}

/* Checks sampled elements (all of them for a small C) against a double
 * reference computed from the stored inputs (bf16 values are exact in
 * double). Bound: |c - ref| <= 2 k eps sum|a||b|, the worst-case rounding
 * of a k-term dot product in the accumulation type (fp32 for bf16), so a
 * right answer always passes and a missed or doubled block does not. NaN
 * fails the comparison. */
static int matmul_verify(void *state, struct aib_err *err)
{
    const struct matmul_state *s = state;
    const struct aib_gemm_desc *d = &s->d;
    double eps = s->precision == PREC_FP64 ? DBL_EPSILON : FLT_EPSILON;
    size_t total = s->m * s->n;
    /* Whole C when small; at least 512 samples; about 2^24 products overall. */
    size_t budget = (size_t)1 << 24, count = budget / (s->k ? s->k : 1);
    count = count < 512 ? 512 : count;
    count = count > total ? total : count;
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    for (size_t t = 0; t < count; t++) {
        size_t idx = count == total ? t : (size_t)((next_uniform(&seed) + 1.0) / 2.0 * (double)total);
        if (idx >= total)
            idx = total - 1;
        size_t i = idx / s->n, j = idx % s->n;
        double ref = 0, mag = 0;
        for (size_t p = 0; p < s->k; p++) {
            double x = elem(s, s->a, d->transa ? p * d->lda + i : i * d->lda + p) *
                       elem(s, s->b, d->transb ? j * d->ldb + p : p * d->ldb + j);
            ref += x;
            mag += fabs(x);
        }
        double got = s->precision == PREC_FP64 ? ((const double *)s->c)[idx]
                                               : ((const float *)s->c)[idx];
        double tol = 2.0 * (double)s->k * eps * mag + DBL_MIN;
        if (!(fabs(got - ref) <= tol))
            return aib_err_set(err, AIB_EVERIFY,
                               "wrong answer: C[%zu,%zu] = %.9g, reference %.9g (|error| %.3g > "
                               "tolerance %.3g)",
                               i, j, got, ref, fabs(got - ref), tol);
    }
    return 0;
}

static void matmul_work(const void *params, struct aib_work *out)
{
    size_t m = 0, n = 0, k = 0;
    struct aib_err err;
    dims(params, &m, &n, &k, &err); /* validated before any work is asked */
    *out = (struct aib_work){.flops = 2.0 * (double)m * (double)n * (double)k};
}

static int matmul_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct matmul_state *s = state;
    char note[128];
    struct aib_metric_list m = {r, 0};
    aib_metric_put(&m, "threads", s->threads, "", 1,
                   s->impl == IMPL_BLAS ? "OpenBLAS threads" : "pinned team");
    if (s->impl == IMPL_BLAS) {
        aib_metric_put(&m, "simd_bits", 0, "bit", 0, s->blas_info);
    } else {
        snprintf(note, sizeof note, "native kernel, %s path, %u of %u threads pinned",
                 aib_simd_name(s->simd), aib_cpu_team_pinned(s->team), s->threads);
        aib_metric_put(&m, "simd_bits", aib_simd_bits(s->simd), "bit", 1, note);
    }
    /* the sizes used, which a shape sets whatever n, m, k say */
    aib_metric_put(&m, "m", (double)s->m, "", 1, "rows of C");
    aib_metric_put(&m, "n", (double)s->n, "", 1, "columns of C");
    aib_metric_put(&m, "k", (double)s->k, "", 1, "inner dimension");
    return aib_metric_list_end(&m, err);
}

const struct aib_workload_ops aib_matmul_cpu = {
    .name = "matmul",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "dense matrix multiply C = op(A)*op(B) (GFLOP/s, 2*m*n*k flops), OpenBLAS or "
               "native, verified in fp64",
    .params = {"matmul", matmul_params_decl,
               sizeof matmul_params_decl / sizeof matmul_params_decl[0],
               sizeof(struct matmul_params)},
    .validate = matmul_validate,
    .setup = matmul_setup,
    .run = matmul_run,
    .verify = matmul_verify,
    .work = matmul_work,
    .metrics = matmul_metrics,
    .teardown = matmul_teardown,
};
