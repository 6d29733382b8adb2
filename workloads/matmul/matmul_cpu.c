/* matmul on the CPU: C = A * B, row-major, A m x k, B k x n, fp32 or fp64.
 * This is the simple, correct cache-blocked kernel (the fast packed SIMD
 * kernel and the BLAS path come later); it exists to prove the engine end to
 * end with a verified answer. */
#if defined(__GNUC__) && !defined(__clang__)
/* The inner loop must vectorise even in the -O1 sanitizer build. */
#pragma GCC optimize("O3")
#endif

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../workload.h"

enum { PREC_FP32, PREC_FP64 };

struct matmul_params {
    int64_t n, m, k;
    int precision;
    int64_t threads;
};

static const struct aib_param matmul_params_decl[] = {
    {"n", AIB_PT_INT, offsetof(struct matmul_params, n), "512", 1, 65536, NULL,
     "columns of C and B (and m, k when those are 0)"},
    {"m", AIB_PT_INT, offsetof(struct matmul_params, m), "0", 0, 65536, NULL,
     "rows of C and A (0: same as n)"},
    {"k", AIB_PT_INT, offsetof(struct matmul_params, k), "0", 0, 65536, NULL,
     "inner dimension (0: same as n)"},
    {"precision", AIB_PT_ENUM, offsetof(struct matmul_params, precision), "fp32", 0, 0,
     "fp32|fp64", "element type; accumulation in the same type"},
    {"threads", AIB_PT_INT, offsetof(struct matmul_params, threads), "0", 0, 4096, NULL,
     "worker threads (0: one per core of the device)"},
};

struct matmul_state {
    size_t m, n, k, esize;
    int precision;
    unsigned threads;
    void *a, *b, *c;
};

static void dims(const struct matmul_params *p, size_t *m, size_t *n, size_t *k)
{
    *n = (size_t)p->n;
    *m = p->m ? (size_t)p->m : (size_t)p->n;
    *k = p->k ? (size_t)p->k : (size_t)p->n;
}

static int matmul_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct matmul_params *p = params;
    size_t m, n, k;
    dims(p, &m, &n, &k);
    double esize = p->precision == PREC_FP64 ? 8.0 : 4.0;
    double bytes = ((double)m * (double)k + (double)k * (double)n + (double)m * (double)n) * esize;
    if (bytes > (double)SIZE_MAX / 2)
        return aib_err_set(err, AIB_EUSAGE, "m=%zu n=%zu k=%zu: buffer sizes overflow", m, n, k);
    if (dev->mem_bytes && bytes > 0.8 * (double)dev->mem_bytes)
        return aib_err_set(err, AIB_EUSAGE,
                           "m=%zu n=%zu k=%zu needs %.1f GiB of buffers, more than 80%% of the "
                           "%.1f GiB of memory on %s",
                           m, n, k, bytes / 1073741824.0, (double)dev->mem_bytes / 1073741824.0,
                           dev->id);
    return 0;
}

/* Deterministic inputs in [-1, 1) (xorshift64*), so runs are comparable. */
static double next_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

#define MC 64
#define KC 256
#define NC 1024

/* Cache-blocked C[rows r0..r1) = A * B; the j loop is unit-stride so it
 * vectorises. One generator for both element types. */
#define DEFINE_GEMM_ROWS(T, NAME)                                                        \
    static void NAME(const struct matmul_state *s, size_t r0, size_t r1)                 \
    {                                                                                    \
        const T *restrict a = s->a, *restrict b = s->b;                                  \
        T *restrict c = s->c;                                                            \
        size_t n = s->n, k = s->k;                                                       \
        for (size_t i = r0; i < r1; i++)                                                 \
            memset(c + i * n, 0, n * sizeof(T));                                         \
        for (size_t jj = 0; jj < n; jj += NC) {                                          \
            size_t je = jj + NC < n ? jj + NC : n;                                       \
            for (size_t pp = 0; pp < k; pp += KC) {                                      \
                size_t pe = pp + KC < k ? pp + KC : k;                                   \
                for (size_t ii = r0; ii < r1; ii += MC) {                                \
                    size_t ie = ii + MC < r1 ? ii + MC : r1;                             \
                    for (size_t i = ii; i < ie; i++) {                                   \
                        T *restrict ci = c + i * n;                                      \
                        for (size_t p = pp; p < pe; p++) {                               \
                            T aip = a[i * k + p];                                        \
                            const T *restrict bp = b + p * n;                            \
                            for (size_t j = jj; j < je; j++)                             \
                                ci[j] += aip * bp[j];                                    \
                        }                                                                \
                    }                                                                    \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    }
DEFINE_GEMM_ROWS(float, gemm_rows_f32)
DEFINE_GEMM_ROWS(double, gemm_rows_f64)

struct worker {
    const struct matmul_state *s;
    size_t r0, r1;
    uint64_t iters;
    pthread_t tid;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* Rows are independent, so each thread repeats its own block without
     * synchronising; the answer is the same as iters separate products. */
    for (uint64_t it = 0; it < w->iters; it++) {
        if (w->s->precision == PREC_FP64)
            gemm_rows_f64(w->s, w->r0, w->r1);
        else
            gemm_rows_f32(w->s, w->r0, w->r1);
    }
    return NULL;
}

static int matmul_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct matmul_state *s = state;
    unsigned nt = s->threads;
    if (nt > s->m)
        nt = (unsigned)s->m;
    struct worker ws[nt];
    size_t started = 0;
    int rc = 0;
    for (unsigned t = 0; t < nt; t++) {
        ws[t] = (struct worker){.s = s, .iters = iters, .r0 = s->m * t / nt,
                                .r1 = s->m * (t + 1) / nt};
        if (t == 0)
            continue; /* the calling thread does block 0 */
        if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0) {
            rc = aib_err_set(err, AIB_ERUN, "cannot start worker thread %u", t);
            break;
        }
        started = t;
    }
    if (rc == 0)
        worker_main(&ws[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(ws[t].tid, NULL);
    return rc;
}

static int matmul_setup(const struct aib_device *dev, const void *params, void **state,
                        struct aib_err *err)
{
    const struct matmul_params *p = params;
    struct matmul_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    dims(p, &s->m, &s->n, &s->k);
    s->precision = p->precision;
    s->esize = p->precision == PREC_FP64 ? sizeof(double) : sizeof(float);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->threads = p->threads ? (unsigned)p->threads
                 : dev->cores ? dev->cores
                              : (unsigned)(ncpu > 0 ? ncpu : 1);
    s->a = aligned_alloc(64, ((s->m * s->k * s->esize) + 63) / 64 * 64);
    s->b = aligned_alloc(64, ((s->k * s->n * s->esize) + 63) / 64 * 64);
    s->c = aligned_alloc(64, ((s->m * s->n * s->esize) + 63) / 64 * 64);
    if (!s->a || !s->b || !s->c) {
        int rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate matrices for m=%zu n=%zu k=%zu",
                             s->m, s->n, s->k);
        free(s->a);
        free(s->b);
        free(s->c);
        free(s);
        return rc;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < s->m * s->k; i++) {
        double v = next_uniform(&seed);
        if (s->precision == PREC_FP64)
            ((double *)s->a)[i] = v;
        else
            ((float *)s->a)[i] = (float)v;
    }
    for (size_t i = 0; i < s->k * s->n; i++) {
        double v = next_uniform(&seed);
        if (s->precision == PREC_FP64)
            ((double *)s->b)[i] = v;
        else
            ((float *)s->b)[i] = (float)v;
    }
    memset(s->c, 0, s->m * s->n * s->esize);
    *state = s;
    return 0;
}

static double elem(const void *base, int prec, size_t i)
{
    return prec == PREC_FP64 ? ((const double *)base)[i] : (double)((const float *)base)[i];
}

/* Checks sampled elements (all of them for small C) against a double
 * reference. Bound: |c - ref| <= 2 k eps sum|a||b| (the worst-case rounding
 * bound of a k-term dot product), so a right answer always passes and a
 * missed or doubled block does not. NaN fails the comparison. */
static int matmul_verify(void *state, struct aib_err *err)
{
    const struct matmul_state *s = state;
    double eps = s->precision == PREC_FP64 ? DBL_EPSILON : FLT_EPSILON;
    size_t total = s->m * s->n;
    size_t count = total <= 65536 ? total : 512;
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    for (size_t t = 0; t < count; t++) {
        size_t idx = count == total ? t : (size_t)((next_uniform(&seed) + 1.0) / 2.0 * (double)total);
        if (idx >= total)
            idx = total - 1;
        size_t i = idx / s->n, j = idx % s->n;
        double ref = 0, mag = 0;
        for (size_t p = 0; p < s->k; p++) {
            double x = elem(s->a, s->precision, i * s->k + p) * elem(s->b, s->precision, p * s->n + j);
            ref += x;
            mag += fabs(x);
        }
        double got = elem(s->c, s->precision, idx);
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
    size_t m, n, k;
    dims(params, &m, &n, &k);
    out->flops = 2.0 * (double)m * (double)n * (double)k;
    out->bytes = 0;
    out->ops = 0;
}

static int matmul_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct matmul_state *s = state;
    if (aib_result_set_metric(r, "threads", s->threads, "", 1, NULL))
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    return 0;
}

static void matmul_teardown(void *state)
{
    struct matmul_state *s = state;
    if (!s)
        return;
    free(s->a);
    free(s->b);
    free(s->c);
    free(s);
}

const struct aib_workload_ops aib_matmul_cpu = {
    .name = "matmul",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "dense matrix multiply C = A*B (GFLOP/s, 2*m*n*k flops), verified in fp64",
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
