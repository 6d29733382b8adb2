/* `peak` on the CPU: the arithmetic peak, measured. Every thread of a
 * pinned team runs AIB_PEAK_CHAINS independent chains of x = x * a + b in
 * registers (fused multiply-adds on the SIMD paths), with no memory traffic,
 * the way clpeak measures GPUs. It gives the roofline its compute ceiling
 * (results/roofline.h) where the best matmul would understate it.
 *
 * One iteration is ROUNDS rounds of STEPS steps on every chain, shared by
 * the threads, so the work per iteration does not depend on the thread
 * count (work() cannot see the device). Threads take rounds in chunks from
 * a shared counter: a thread the OS preempts does not hold up the others
 * at the end of the job, as a fixed split would. A round restarts the chains from
 * their start values; with a = 1 - 2^-8 and b = 2^-8 a chain starting at
 * x0 ends at 1 + a^STEPS (x0 - 1), which verify() recomputes in long double
 * for every lane of every chain of every thread: a kernel that skipped
 * steps, or did something else, fails (the error bound of STEPS roundings
 * is below the change one missing step makes to most chains). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cpu_threads.h"
#include "../workload.h"
#include "peak_kernels.h"

#define STEPS 1024u
#define ROUNDS 4096u /* per iteration, over all threads */
#define CHUNK 16u    /* rounds taken at a time: ~1e5 FMAs per atomic add */
#define COEF_A (1.0 - 1.0 / 256)
#define COEF_B (1.0 / 256)

struct peak_params {
    int precision; /* 0 fp32, 1 fp64 */
    int64_t threads;
    int simd;
};

static const struct aib_param peak_params_decl[] = {
    {"precision", AIB_PT_ENUM, offsetof(struct peak_params, precision), "fp32", 0, 0, "fp32|fp64",
     "floating-point precision of the chains"},
    {"threads", AIB_PT_INT, offsetof(struct peak_params, threads), "0", 0, ROUNDS, NULL,
     "pinned threads (0: one per core of the device)"},
    {"simd", AIB_PT_ENUM, offsetof(struct peak_params, simd), "auto", 0, 0,
     "auto|portable|avx2|avx512",
     "instruction set (auto: the best here; portable: multiply + add, no FMA)"},
};

struct peak_state {
    enum aib_simd simd;
    int fp64;
    unsigned threads, lanes, elems; /* elems = chains x lanes */
    aib_peak_fn fn;
    void *x0;      /* start values, elems of float or double */
    char *out;     /* per thread: elems, on its own cache lines */
    size_t stride; /* bytes between threads' outputs */
    struct aib_cpu_team *team;
    uint64_t total;         /* rounds of the current job */
    atomic_uint_fast64_t next; /* the next round to hand out */
    uint64_t *done;         /* per thread: rounds it ran (so its output is there) */
};

static unsigned want_threads(const struct aib_device *dev, const struct peak_params *p)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return p->threads ? (unsigned)p->threads
           : dev->cores ? dev->cores
                        : (unsigned)(ncpu > 0 ? ncpu : 1);
}

static int pick(const struct peak_params *p, enum aib_simd *simd, unsigned *lanes,
                aib_peak_fn *fn, struct aib_err *err)
{
    struct aib_cpu_features f;
    aib_cpu_features_detect(&f);
    int rc = aib_simd_pick(&f, (enum aib_simd)p->simd, simd, err);
    if (rc)
        return rc;
    *fn = aib_peak_kernel(*simd, p->precision, lanes);
    if (!*fn)
        return aib_err_set(err, AIB_EUSAGE, "simd=%s has no peak kernel on this architecture",
                           aib_simd_name(*simd));
    return 0;
}

static int peak_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    enum aib_simd simd;
    unsigned lanes;
    aib_peak_fn fn;
    (void)dev;
    return pick(params, &simd, &lanes, &fn, err);
}

/* Start value of element e of a chain set: chain j = e / lanes, lane l:
 * 2 + j + l / lanes, exact in float (lanes is a power of two). */
static double start_value(unsigned e, unsigned lanes)
{
    return 2.0 + (double)(e / lanes) + (double)(e % lanes) / (double)lanes;
}

static void peak_job(void *ctx, unsigned tid, unsigned nt)
{
    struct peak_state *s = ctx;
    (void)nt;
    for (;;) {
        uint64_t at = atomic_fetch_add_explicit(&s->next, CHUNK, memory_order_relaxed);
        if (at >= s->total)
            break;
        uint64_t n = s->total - at < CHUNK ? s->total - at : CHUNK;
        s->fn(s->out + (size_t)tid * s->stride, s->x0, COEF_A, COEF_B, n, STEPS);
        s->done[tid] += n;
    }
}

static void peak_teardown(void *state)
{
    struct peak_state *s = state;
    if (!s)
        return;
    aib_cpu_team_destroy(s->team);
    free(s->x0);
    free(s->out);
    free(s->done);
    free(s);
}

static int peak_setup(const struct aib_device *dev, const void *params, void **state,
                      struct aib_err *err)
{
    const struct peak_params *p = params;
    int rc;
    *state = NULL;
    struct peak_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    if ((rc = pick(p, &s->simd, &s->lanes, &s->fn, err)))
        goto fail;
    s->fp64 = p->precision;
    s->threads = want_threads(dev, p);
    s->elems = AIB_PEAK_CHAINS * s->lanes;
    size_t esize = s->fp64 ? sizeof(double) : sizeof(float);
    s->stride = (s->elems * esize + 63) / 64 * 64;
    s->x0 = aligned_alloc(64, s->stride);
    s->out = aligned_alloc(64, s->stride * s->threads);
    s->done = calloc(s->threads, sizeof *s->done);
    if (!s->x0 || !s->out || !s->done) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    memset(s->out, 0, s->stride * s->threads);
    for (unsigned e = 0; e < s->elems; e++) {
        if (s->fp64)
            ((double *)s->x0)[e] = start_value(e, s->lanes);
        else
            ((float *)s->x0)[e] = (float)start_value(e, s->lanes);
    }
    if ((rc = aib_cpu_team_create(dev, s->threads, 1, &s->team, err)))
        goto fail;
    *state = s;
    return 0;
fail:
    peak_teardown(s);
    return rc;
}

static int peak_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct peak_state *s = state;
    (void)err;
    s->total = iters * ROUNDS;
    atomic_store_explicit(&s->next, 0, memory_order_relaxed);
    aib_cpu_team_run(s->team, peak_job, s);
    return 0;
}

/* Every lane of every chain of every thread that ran a round, against the
 * recurrence in long double. Rounding: each step's error shrinks by a per
 * later step, so STEPS steps add up to at most 2 eps / (1 - a) of the
 * value (fp32: 3.7e-5; the portable path rounds twice a step); one missing
 * step moves a chain by (1 - a) a^STEPS (x0 - 1), 7e-5 x (x0 - 1), and
 * x0 - 1 runs from 1 to 13 over the chains. */
static int peak_verify(void *state, struct aib_err *err)
{
    struct peak_state *s = state;
    const double tol = s->fp64 ? 1e-12 : 1e-4;
    uint64_t ran = 0;
    for (unsigned t = 0; t < s->threads; t++)
        ran += s->done[t];
    if (ran == 0)
        return aib_err_set(err, AIB_EVERIFY, "wrong answer: no round has run yet");
    for (unsigned e = 0; e < s->elems; e++) {
        long double x = start_value(e, s->lanes);
        for (unsigned i = 0; i < STEPS; i++)
            x = x * (long double)COEF_A + (long double)COEF_B;
        double want = (double)x;
        for (unsigned t = 0; t < s->threads; t++) {
            if (s->done[t] == 0) /* the others took every round */
                continue;
            const char *o = s->out + (size_t)t * s->stride;
            double got = s->fp64 ? ((const double *)o)[e] : ((const float *)o)[e];
            if (!(fabs(got - want) <= tol * fabs(want)))
                return aib_err_set(err, AIB_EVERIFY,
                                   "wrong answer: thread %u chain %u lane %u = %.9g after %u"
                                   " steps, expected %.9g",
                                   t, e / s->lanes, e % s->lanes, got, STEPS, want);
        }
    }
    return 0;
}

static void peak_work(const void *params, struct aib_work *out)
{
    enum aib_simd simd;
    unsigned lanes = 0;
    aib_peak_fn fn;
    struct aib_err err;
    *out = (struct aib_work){0};
    if (pick(params, &simd, &lanes, &fn, &err) == 0) /* validated before any work is asked */
        out->flops = 2.0 * AIB_PEAK_CHAINS * lanes * STEPS * (double)ROUNDS;
}

static int peak_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct peak_state *s = state;
    char note[160];
    snprintf(note, sizeof note, "%s, %u chains of %u lanes per thread, %u of %u threads pinned",
             s->simd == AIB_SIMD_PORTABLE ? "portable C (multiply + add)" : aib_simd_name(s->simd),
             AIB_PEAK_CHAINS, s->lanes, aib_cpu_team_pinned(s->team), s->threads);
    struct aib_metric_list m = {r, 0};
    aib_metric_put(&m, "threads", s->threads, "", 1, "pinned team");
    aib_metric_put(&m, "simd_bits", aib_simd_bits(s->simd), "bit", 1, note);
    return aib_metric_list_end(&m, err);
}

const struct aib_workload_ops aib_peak_cpu = {
    .name = "peak",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "arithmetic peak: independent FMA chains in registers on pinned threads "
               "(GFLOP/s; the roofline's compute ceiling), checked",
    .params = {"peak", peak_params_decl, sizeof peak_params_decl / sizeof peak_params_decl[0],
               sizeof(struct peak_params)},
    .validate = peak_validate,
    .setup = peak_setup,
    .run = peak_run,
    .verify = peak_verify,
    .work = peak_work,
    .metrics = peak_metrics,
    .teardown = peak_teardown,
};
