/* Pinned thread team over hwloc; see cpu_threads.h for the contract. */
#include "cpu_threads.h"

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* Spins before a worker sleeps (about a millisecond): long enough to bridge
 * the engine's gap between two samples, short enough not to hog a core. */
#define IDLE_SPINS 50000u
/* Spins before a waiter yields (there may be more threads than cores). */
#define WAIT_SPINS 4096u

struct member {
    struct aib_cpu_team *team;
    unsigned tid;
    pthread_t thread;
};

struct aib_cpu_team {
    unsigned n, pinned, started;
    int spin;
    struct member *members;
    hwloc_topology_t topo;
    hwloc_bitmap_t saved; /* the creator's binding before it was pinned */
    int restore;

    aib_team_fn fn;
    void *ctx;
    atomic_uint gen;  /* job counter: a new value hands out fn/ctx */
    atomic_uint done; /* workers finished with the current job */
    atomic_bool quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    atomic_uint bar_count; /* sense-reversing barrier */
    atomic_uint bar_sense;
    /* Each member's barrier sense, on its own cache line. */
    struct {
        unsigned sense;
        char pad[60];
    } *local;
};

static void wait_while_equal(atomic_uint *v, unsigned seen)
{
    for (unsigned i = 0; atomic_load_explicit(v, memory_order_acquire) == seen; i++) {
        if (i < WAIT_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
}

void aib_cpu_team_barrier(struct aib_cpu_team *t, unsigned tid)
{
    if (t->n == 1)
        return;
    unsigned sense = t->local[tid].sense ^= 1u;
    if (atomic_fetch_add_explicit(&t->bar_count, 1, memory_order_acq_rel) == t->n - 1) {
        atomic_store_explicit(&t->bar_count, 0, memory_order_relaxed);
        atomic_store_explicit(&t->bar_sense, sense, memory_order_release);
    } else {
        wait_while_equal(&t->bar_sense, sense ^ 1u);
    }
}

static void *worker_main(void *arg)
{
    struct member *m = arg;
    struct aib_cpu_team *t = m->team;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&t->gen, memory_order_acquire);
        for (unsigned i = 0; g == seen && t->spin && i < IDLE_SPINS; i++) {
            cpu_relax();
            g = atomic_load_explicit(&t->gen, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&t->mu);
            while ((g = atomic_load_explicit(&t->gen, memory_order_acquire)) == seen)
                pthread_cond_wait(&t->cv, &t->mu);
            pthread_mutex_unlock(&t->mu);
        }
        seen = g;
        if (atomic_load_explicit(&t->quit, memory_order_acquire))
            return NULL;
        t->fn(t->ctx, m->tid, t->n);
        atomic_fetch_add_explicit(&t->done, 1, memory_order_acq_rel);
    }
}

void aib_cpu_team_run(struct aib_cpu_team *t, aib_team_fn fn, void *ctx)
{
    if (t->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    t->fn = fn;
    t->ctx = ctx;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    pthread_mutex_lock(&t->mu);
    atomic_fetch_add_explicit(&t->gen, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    fn(ctx, 0, t->n);
    for (unsigned i = 0; atomic_load_explicit(&t->done, memory_order_acquire) != t->n - 1; i++) {
        if (i < WAIT_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
}

unsigned aib_cpu_team_size(const struct aib_cpu_team *t) { return t->n; }
unsigned aib_cpu_team_pinned(const struct aib_cpu_team *t) { return t->pinned; }

/* The cpuset a device stands for: a NUMA node's, or the whole machine's. */
static hwloc_const_cpuset_t device_cpuset(hwloc_topology_t topo, const struct aib_device *dev)
{
    if (dev && dev->index >= 0) {
        hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)dev->index);
        if (node && node->cpuset)
            return node->cpuset;
    }
    return hwloc_topology_get_allowed_cpuset(topo);
}

/* The single PU member `i` goes to: one per core first, then the other PUs. */
static int member_cpuset(hwloc_topology_t topo, hwloc_const_cpuset_t set, unsigned i,
                         hwloc_bitmap_t out)
{
    int ncores = hwloc_get_nbobjs_inside_cpuset_by_type(topo, set, HWLOC_OBJ_CORE);
    int npus = hwloc_get_nbobjs_inside_cpuset_by_type(topo, set, HWLOC_OBJ_PU);
    hwloc_obj_t o = NULL;
    if (ncores > 0 && i < (unsigned)ncores)
        o = hwloc_get_obj_inside_cpuset_by_type(topo, set, HWLOC_OBJ_CORE, i);
    else if (npus > 0)
        o = hwloc_get_obj_inside_cpuset_by_type(topo, set, HWLOC_OBJ_PU, i % (unsigned)npus);
    if (!o || !o->cpuset || hwloc_bitmap_copy(out, o->cpuset) != 0)
        return -1;
    return hwloc_bitmap_singlify(out);
}

static int pin_self(struct aib_cpu_team *t, hwloc_const_cpuset_t set, unsigned i)
{
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    int rc = -1;
    if (b && member_cpuset(t->topo, set, i, b) == 0)
        rc = hwloc_set_cpubind(t->topo, b, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(b);
    return rc;
}

struct start_arg {
    struct member *m;
    hwloc_const_cpuset_t set;
    atomic_int pinned; /* -1 pending, 0 no, 1 yes */
};

static void *worker_start(void *arg)
{
    struct start_arg *sa = arg;
    struct member *m = sa->m;
    int ok = pin_self(m->team, sa->set, m->tid) == 0;
    atomic_store_explicit(&sa->pinned, ok, memory_order_release);
    return worker_main(m);
}

int aib_cpu_team_create(const struct aib_device *dev, unsigned nthreads, int spin,
                        struct aib_cpu_team **out, struct aib_err *err)
{
    int rc = 0;
    *out = NULL;
    if (nthreads == 0)
        return aib_err_set(err, AIB_EUSAGE, "a thread team needs at least one thread");
    struct aib_cpu_team *t = calloc(1, sizeof *t);
    if (!t)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    t->n = nthreads;
    t->spin = spin;
    atomic_init(&t->gen, 0);
    atomic_init(&t->done, 0);
    atomic_init(&t->quit, false);
    atomic_init(&t->bar_count, 0);
    atomic_init(&t->bar_sense, 0);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->members = calloc(nthreads, sizeof *t->members);
    t->local = aligned_alloc(64, (size_t)nthreads * sizeof *t->local);
    if (!t->members || !t->local) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < nthreads; i++)
        t->local[i].sense = 0;
    if (hwloc_topology_init(&t->topo) != 0 || hwloc_topology_load(t->topo) != 0) {
        rc = aib_err_set(err, AIB_ERUN, "hwloc cannot load the topology");
        goto fail;
    }
    hwloc_const_cpuset_t set = device_cpuset(t->topo, dev);
    t->saved = hwloc_bitmap_alloc();
    if (!t->saved) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    t->restore = hwloc_get_cpubind(t->topo, t->saved, HWLOC_CPUBIND_THREAD) == 0;
    t->pinned += pin_self(t, set, 0) == 0;
    t->members[0] = (struct member){.team = t, .tid = 0};
    t->started = 1;
    for (unsigned i = 1; i < nthreads; i++) {
        t->members[i] = (struct member){.team = t, .tid = i};
        struct start_arg sa = {.m = &t->members[i], .set = set};
        atomic_init(&sa.pinned, -1);
        if (pthread_create(&t->members[i].thread, NULL, worker_start, &sa) != 0) {
            rc = aib_err_set(err, AIB_ERUN, "cannot start worker thread %u of %u", i, nthreads);
            goto fail;
        }
        t->started++;
        /* sa lives on this stack: wait until the worker has read it */
        int p;
        while ((p = atomic_load_explicit(&sa.pinned, memory_order_acquire)) < 0)
            sched_yield();
        t->pinned += (unsigned)p;
    }
    *out = t;
    return 0;
fail:
    aib_cpu_team_destroy(t);
    return rc;
}

void aib_cpu_team_destroy(struct aib_cpu_team *t)
{
    if (!t)
        return;
    if (t->started > 1) {
        pthread_mutex_lock(&t->mu);
        atomic_store_explicit(&t->quit, true, memory_order_release);
        atomic_fetch_add_explicit(&t->gen, 1, memory_order_acq_rel);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        for (unsigned i = 1; i < t->started; i++)
            pthread_join(t->members[i].thread, NULL);
    }
    if (t->topo) {
        if (t->restore)
            hwloc_set_cpubind(t->topo, t->saved, HWLOC_CPUBIND_THREAD);
        hwloc_topology_destroy(t->topo);
    }
    hwloc_bitmap_free(t->saved);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t->members);
    free(t->local);
    free(t);
}

int aib_cpu_caches(const struct aib_device *dev, struct aib_cpu_caches *out, struct aib_err *err)
{
    static const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
                                              HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
                                              HWLOC_OBJ_L5CACHE};
    hwloc_topology_t topo;
    *out = (struct aib_cpu_caches){0};
    if (hwloc_topology_init(&topo) != 0)
        return aib_err_set(err, AIB_ERUN, "hwloc cannot load the topology");
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return aib_err_set(err, AIB_ERUN, "hwloc cannot load the topology");
    }
    hwloc_const_cpuset_t set = device_cpuset(topo, dev);
    for (unsigned l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        uint64_t sum = 0;
        int n = hwloc_get_nbobjs_by_type(topo, levels[l]);
        for (int i = 0; i < n; i++) {
            hwloc_obj_t o = hwloc_get_obj_by_type(topo, levels[l], (unsigned)i);
            if (o && o->cpuset && hwloc_bitmap_intersects(o->cpuset, set) &&
                o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION)
                sum += o->attr->cache.size;
        }
        if (l == 0)
            out->l1d = sum;
        else if (l == 1)
            out->l2 = sum;
        if (sum) {
            out->llc = sum;
            out->llc_level = l + 1;
        }
    }
    hwloc_topology_destroy(topo);
    return 0;
}

void aib_cpu_features_detect(struct aib_cpu_features *f)
{
    *f = (struct aib_cpu_features){0};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f->avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f->avx512f = !!__builtin_cpu_supports("avx512f");
    f->avx512bf16 = f->avx512f && __builtin_cpu_supports("avx512bf16");
#endif
}

int aib_simd_pick(const struct aib_cpu_features *f, enum aib_simd want, enum aib_simd *out,
                  struct aib_err *err)
{
    switch (want) {
    case AIB_SIMD_AUTO:
        *out = f->avx512f ? AIB_SIMD_AVX512 : f->avx2_fma ? AIB_SIMD_AVX2 : AIB_SIMD_PORTABLE;
        return 0;
    case AIB_SIMD_AVX512:
        if (!f->avx512f)
            return aib_err_set(err, AIB_EUSAGE, "simd=avx512: this CPU has no AVX-512F");
        break;
    case AIB_SIMD_AVX2:
        if (!f->avx2_fma)
            return aib_err_set(err, AIB_EUSAGE, "simd=avx2: this CPU has no AVX2 with FMA");
        break;
    case AIB_SIMD_PORTABLE:
        break;
    }
    *out = want;
    return 0;
}

const char *aib_simd_name(enum aib_simd s)
{
    switch (s) {
    case AIB_SIMD_AVX512: return "avx512";
    case AIB_SIMD_AVX2: return "avx2";
    case AIB_SIMD_PORTABLE: return "portable";
    case AIB_SIMD_AUTO: break;
    }
    return "auto";
}

int aib_simd_bits(enum aib_simd s)
{
    /* portable is plain C, vectorised by the compiler for the baseline
     * (SSE2 on x86-64) */
    return s == AIB_SIMD_AVX512 ? 512 : s == AIB_SIMD_AVX2 ? 256 : 128;
}
