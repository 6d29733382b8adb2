/* A persistent team of worker threads pinned to cores through hwloc, for
 * the CPU workloads (native matmul, conv direct, membw). The thread that
 * creates the team is its member 0: it is pinned too (its old binding comes
 * back on destroy) and must be the thread that calls aib_cpu_team_run.
 * Workers are created once; a job is handed out with no allocation and no
 * thread creation, so a timed iteration pays only a wake-up: workers spin
 * briefly on the job counter before they sleep on a condition variable. */
#ifndef AIB_CPU_THREADS_H
#define AIB_CPU_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "../bench/err.h"
#include "../devices/device.h"

struct aib_cpu_team;

/* A job: called once on every member with its id in [0, nthreads). */
typedef void (*aib_team_fn)(void *ctx, unsigned tid, unsigned nthreads);

/* Starts nthreads - 1 workers and pins member i to the i-th core of the
 * device's cpuset (the i-th PU when there are more threads than cores).
 * `spin` false: idle workers sleep at once (for teams that alternate with
 * another library's threads on the same cores). */
int aib_cpu_team_create(const struct aib_device *dev, unsigned nthreads, int spin,
                        struct aib_cpu_team **out, struct aib_err *err);
/* Runs fn on every member (the caller is member 0) and returns when all are done. */
void aib_cpu_team_run(struct aib_cpu_team *t, aib_team_fn fn, void *ctx);
/* Waits until every member reaches it; only from inside a job, by member tid. */
void aib_cpu_team_barrier(struct aib_cpu_team *t, unsigned tid);
unsigned aib_cpu_team_size(const struct aib_cpu_team *t);
/* Members whose binding to one core succeeded (0 when hwloc cannot bind here). */
unsigned aib_cpu_team_pinned(const struct aib_cpu_team *t);
/* Joins the workers and restores the caller's binding; t may be NULL. */
void aib_cpu_team_destroy(struct aib_cpu_team *t);

/* Sizes of the caches of the device's cpuset, summed over the instances
 * (bytes; 0 when hwloc does not know): level 1 data, 2, and the last level. */
struct aib_cpu_caches {
    uint64_t l1d, l2, llc;
    unsigned llc_level;
};
int aib_cpu_caches(const struct aib_device *dev, struct aib_cpu_caches *out, struct aib_err *err);

/* The SIMD paths the kernels are built for, chosen at run time. */
enum aib_simd { AIB_SIMD_AUTO, AIB_SIMD_PORTABLE, AIB_SIMD_AVX2, AIB_SIMD_AVX512 };
struct aib_cpu_features {
    int avx2_fma, avx512f, avx512bf16;
};
/* What this CPU (and OS) can run, from cpuid via the compiler's builtins. */
void aib_cpu_features_detect(struct aib_cpu_features *f);
/* The best path for `f` when want is AUTO, else `want` if `f` can run it;
 * AIB_EUSAGE naming the missing feature otherwise. */
int aib_simd_pick(const struct aib_cpu_features *f, enum aib_simd want, enum aib_simd *out,
                  struct aib_err *err);
const char *aib_simd_name(enum aib_simd s);
/* Vector width in bits of a path (64 for portable: scalar doubles). */
int aib_simd_bits(enum aib_simd s);

#endif
