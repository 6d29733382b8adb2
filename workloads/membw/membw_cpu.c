/* membw on the CPU: STREAM's copy, scale, add and triad over double arrays,
 * on a pinned thread team; each thread first-touches, and then only ever
 * uses, its own contiguous share of every array, so its pages live on its
 * NUMA node. Bytes are counted the STREAM way: the bytes the kernel names,
 * 16 per element for copy and scale, 24 for add and triad (no
 * write-allocate traffic). `size` is the working set of all the arrays the
 * kernel touches, as likwid-bench -w counts it; sweeping it from a few KiB
 * to GiB walks L1, L2, LLC and DRAM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cpu_threads.h"
#include "../workload.h"
#include "membw_kernels.h"

struct membw_params {
    int kernel;   /* enum aib_stream_kernel */
    int64_t size; /* bytes of all arrays together; 0: auto */
    int64_t threads;
    int simd;
    int stores;
};

static const struct aib_param membw_params_decl[] = {
    {"kernel", AIB_PT_ENUM, offsetof(struct membw_params, kernel), "triad", 0, 0,
     "copy|scale|add|triad",
     "copy c=a, scale b=s*c (16 B/element); add c=a+b, triad a=b+s*c (24 B/element)"},
    {"size", AIB_PT_SIZE, offsetof(struct membw_params, size), "0", 0, 1e12, NULL,
     "working set of all arrays (0: each array 4x the machine's last-level cache)"},
    {"threads", AIB_PT_INT, offsetof(struct membw_params, threads), "0", 0, 4096, NULL,
     "pinned threads (0: one per core of the device)"},
    {"simd", AIB_PT_ENUM, offsetof(struct membw_params, simd), "auto", 0, 0,
     "auto|portable|avx2|avx512", "instruction set of the loops (auto: the best here)"},
    {"stores", AIB_PT_ENUM, offsetof(struct membw_params, stores), "normal", 0, 0,
     "normal|streaming", "streaming: non-temporal stores (no read-for-ownership)"},
};

/* STREAM's fixed scalar; with these inputs every result is an exact small
 * integer or half-integer, so the check is exact. */
#define SCALAR 3.0
static double init_a(size_t i) { return (double)(i & 7) + 1.0; }
static double init_b(size_t i) { return (double)(i % 5) + 2.0; }
static double init_c(size_t i) { return (double)(i % 3) + 0.5; }

struct membw_state {
    enum aib_stream_kernel kernel;
    enum aib_simd simd;
    int streaming;
    size_t n;        /* elements per array */
    unsigned threads;
    double *a, *b, *c;
    aib_stream_fn fn;
    struct aib_cpu_team *team;
    uint64_t iters;  /* for the current job */
    size_t *bad;     /* per thread: first wrong index + 1, 0 when right */
    int sized_down;  /* auto size was cut to fit in memory */
};

static unsigned arrays_of(int kernel) { return kernel == AIB_STREAM_ADD || kernel == AIB_STREAM_TRIAD ? 3 : 2; }

/* Elements per array: from `size`, or (size=0) 4x the machine's
 * last-level cache per array, at least 16 MiB, cut to leave most of the
 * memory to others. Depends on the machine, not the device, because work()
 * sees only the params and must count the same bytes as setup. */
static int membw_elems(const struct membw_params *p, size_t *n, int *sized_down,
                       struct aib_err *err)
{
    unsigned na = arrays_of(p->kernel);
    uint64_t per_array;
    *sized_down = 0;
    if (p->size) {
        per_array = (uint64_t)p->size / na;
    } else {
        struct aib_cpu_caches cc;
        int rc = aib_cpu_caches(NULL, &cc, err);
        if (rc)
            return rc;
        per_array = 4 * cc.llc;
        if (per_array < ((uint64_t)16 << 20))
            per_array = (uint64_t)16 << 20;
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
        uint64_t mem = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
        if (mem && per_array > mem * 2 / 5 / na) {
            per_array = mem * 2 / 5 / na;
            *sized_down = 1;
        }
    }
    *n = (size_t)(per_array / sizeof(double)) / 8 * 8;
    if (*n == 0)
        return aib_err_set(err, AIB_EUSAGE, "size=%lld is too small: %u arrays need at least "
                           "64 bytes each", (long long)p->size, na);
    return 0;
}

static unsigned want_threads(const struct aib_device *dev, const struct membw_params *p)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return p->threads ? (unsigned)p->threads
           : dev->cores ? dev->cores
                        : (unsigned)(ncpu > 0 ? ncpu : 1);
}

static int membw_check(const struct membw_params *p, const struct aib_cpu_features *f,
                       enum aib_simd *simd, struct aib_err *err)
{
    int rc = aib_simd_pick(f, (enum aib_simd)p->simd, simd, err);
    if (rc == 0 && p->stores && !aib_stream_kernel_get((enum aib_stream_kernel)p->kernel, *simd, 1))
        rc = aib_err_set(err, AIB_EUSAGE, "stores=streaming needs simd=avx2 or avx512");
    return rc;
}

static int membw_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct membw_params *p = params;
    struct aib_cpu_features f;
    enum aib_simd simd;
    size_t n;
    int down;
    aib_cpu_features_detect(&f);
    int rc = membw_check(p, &f, &simd, err);
    rc = rc ? rc : membw_elems(p, &n, &down, err);
    if (rc)
        return rc;
    double bytes = (double)n * sizeof(double) * arrays_of(p->kernel);
    if (dev->mem_bytes && bytes > 0.8 * (double)dev->mem_bytes)
        return aib_err_set(err, AIB_EUSAGE, "size=%lld: %.1f GiB of arrays is more than 80%% of "
                           "the %.1f GiB of memory on %s", (long long)p->size,
                           bytes / 1073741824.0, (double)dev->mem_bytes / 1073741824.0, dev->id);
    if (n < (size_t)8 * want_threads(dev, p))
        return aib_err_set(err, AIB_EUSAGE, "size=%lld is too small for %u threads (8 elements "
                           "per thread and array at least)", (long long)p->size, want_threads(dev, p));
    return 0;
}

/* Thread tid's share [lo, hi) of the elements: multiples of 8 (64 bytes),
 * so every vector access is aligned and no cache line is shared. */
static void share(const struct membw_state *s, unsigned tid, size_t *lo, size_t *hi)
{
    size_t blocks = s->n / 8;
    *lo = blocks * tid / s->threads * 8;
    *hi = blocks * (tid + 1) / s->threads * 8;
}

static void first_touch(void *ctx, unsigned tid, unsigned nt)
{
    struct membw_state *s = ctx;
    size_t lo, hi;
    (void)nt;
    share(s, tid, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        if (s->a)
            s->a[i] = init_a(i);
        if (s->b)
            s->b[i] = init_b(i);
        s->c[i] = init_c(i);
    }
}

/* Each thread repeats the kernel over its own share; no barrier between
 * iterations (a thread's iterations depend only on its own share). */
static void stream_job(void *ctx, unsigned tid, unsigned nt)
{
    struct membw_state *s = ctx;
    size_t lo, hi;
    (void)nt;
    share(s, tid, &lo, &hi);
    for (uint64_t it = 0; it < s->iters; it++)
        s->fn(s->a, s->b, s->c, SCALAR, lo, hi);
}

static void membw_teardown(void *state)
{
    struct membw_state *s = state;
    if (!s)
        return;
    aib_cpu_team_destroy(s->team);
    free(s->a);
    free(s->b);
    free(s->c);
    free(s->bad);
    free(s);
}

static int membw_setup(const struct aib_device *dev, const void *params, void **state,
                       struct aib_err *err)
{
    const struct membw_params *p = params;
    struct aib_cpu_features f;
    int rc;
    *state = NULL;
    struct membw_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    aib_cpu_features_detect(&f);
    if ((rc = membw_check(p, &f, &s->simd, err)) ||
        (rc = membw_elems(p, &s->n, &s->sized_down, err)))
        goto fail;
    s->kernel = (enum aib_stream_kernel)p->kernel;
    s->streaming = p->stores;
    s->fn = aib_stream_kernel_get(s->kernel, s->simd, s->streaming);
    s->threads = want_threads(dev, p);
    size_t bytes = (s->n * sizeof(double) + 4095) / 4096 * 4096;
    /* only the arrays the kernel uses: copy reads a, scale writes b */
    int use_a = s->kernel != AIB_STREAM_SCALE, use_b = s->kernel != AIB_STREAM_COPY;
    s->a = use_a ? aligned_alloc(4096, bytes) : NULL;
    s->b = use_b ? aligned_alloc(4096, bytes) : NULL;
    s->c = aligned_alloc(4096, bytes);
    s->bad = calloc(s->threads, sizeof *s->bad);
    if ((use_a && !s->a) || (use_b && !s->b) || !s->c || !s->bad) {
        rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate %u arrays of %zu bytes",
                         arrays_of(p->kernel), bytes);
        goto fail;
    }
    if ((rc = aib_cpu_team_create(dev, s->threads, 1, &s->team, err)))
        goto fail;
    aib_cpu_team_run(s->team, first_touch, s);
    *state = s;
    return 0;
fail:
    membw_teardown(s);
    return rc;
}

static int membw_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct membw_state *s = state;
    (void)err;
    s->iters = iters;
    aib_cpu_team_run(s->team, stream_job, s);
    return 0;
}

/* Each thread checks its own share of the written array (exact values). */
static void check_job(void *ctx, unsigned tid, unsigned nt)
{
    struct membw_state *s = ctx;
    size_t lo, hi;
    (void)nt;
    share(s, tid, &lo, &hi);
    s->bad[tid] = 0;
    for (size_t i = lo; i < hi; i++) {
        double got, want;
        switch (s->kernel) {
        case AIB_STREAM_COPY: got = s->c[i]; want = init_a(i); break;
        case AIB_STREAM_SCALE: got = s->b[i]; want = SCALAR * init_c(i); break;
        case AIB_STREAM_ADD: got = s->c[i]; want = init_a(i) + init_b(i); break;
        default: got = s->a[i]; want = init_b(i) + SCALAR * init_c(i); break;
        }
        if (got != want) {
            s->bad[tid] = i + 1;
            return;
        }
    }
}

static int membw_verify(void *state, struct aib_err *err)
{
    struct membw_state *s = state;
    static const char *const out[] = {"c", "b", "c", "a"};
    aib_cpu_team_run(s->team, check_job, s);
    for (unsigned t = 0; t < s->threads; t++)
        if (s->bad[t]) {
            size_t i = s->bad[t] - 1;
            const double *arr = s->kernel == AIB_STREAM_TRIAD ? s->a
                                : s->kernel == AIB_STREAM_SCALE ? s->b : s->c;
            return aib_err_set(err, AIB_EVERIFY, "wrong answer: %s[%zu] = %g after %s",
                               out[s->kernel], i, arr[i],
                               s->kernel == AIB_STREAM_COPY ? "copy" : s->kernel == AIB_STREAM_SCALE
                               ? "scale" : s->kernel == AIB_STREAM_ADD ? "add" : "triad");
        }
    return 0;
}

static void membw_work(const void *params, struct aib_work *out)
{
    const struct membw_params *p = params;
    size_t n = 0;
    int down;
    struct aib_err err;
    *out = (struct aib_work){0};
    if (membw_elems(p, &n, &down, &err) == 0) /* validated before any work is asked */
        out->bytes = (double)n * sizeof(double) * arrays_of(p->kernel);
}

static int membw_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct membw_state *s = state;
    char note[128];
    snprintf(note, sizeof note, "%s loops, %s stores, %u of %u threads pinned%s",
             aib_simd_name(s->simd), s->streaming ? "streaming" : "normal",
             aib_cpu_team_pinned(s->team), s->threads,
             s->sized_down ? "; arrays cut below 4x LLC to fit in memory" : "");
    struct aib_metric_list m = {r, 0};
    aib_metric_put(&m, "threads", s->threads, "", 1, "pinned team");
    aib_metric_put(&m, "simd_bits", aib_simd_bits(s->simd), "bit", 1, note);
    aib_metric_put(&m, "array_bytes", (double)(s->n * sizeof(double)), "B", 1, "bytes of each array");
    return aib_metric_list_end(&m, err);
}

const struct aib_workload_ops aib_membw_cpu = {
    .name = "membw",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "STREAM copy/scale/add/triad on pinned threads (GB/s; STREAM byte counting: "
               "16 B/element for copy and scale, 24 for add and triad, no write-allocate), checked",
    .params = {"membw", membw_params_decl, sizeof membw_params_decl / sizeof membw_params_decl[0],
               sizeof(struct membw_params)},
    .validate = membw_validate,
    .setup = membw_setup,
    .run = membw_run,
    .verify = membw_verify,
    .work = membw_work,
    .metrics = membw_metrics,
    .teardown = membw_teardown,
};
