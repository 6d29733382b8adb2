/* The machine-speed probe: a fixed, short loop timed on each of the first
 * CPUs this process may use, just before every result is measured. Its time
 * moves when the machine does (another VM on the same physical core,
 * frequency, a compile on the other core), not when aibench's code does,
 * so the CI gate can tell "the machine was slower" from "the code got
 * slower" (docs/ci.md). */
#include "probe.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../results/model.h"
#include "engine.h"
#include "err.h"

/* 2048 floats (8 KiB, in L1): a triad over it plus eight independent
 * multiply-add chains; about 0.2 ms a pass on a 3 GHz core. */
#define PROBE_N 2048
#define PROBE_PASSES 96
#define PROBE_SAMPLES 7

/* One timed pass; the checksum keeps the compiler from dropping the work. */
static double probe_pass(float *a, const float *b, double *sink)
{
    double acc[8] = {1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7};
    double t0 = aib_now_mono();
    for (int p = 0; p < PROBE_PASSES; p++) {
        for (int i = 0; i < PROBE_N; i++)
            a[i] = 0.5f * a[i] + b[i];
        for (int i = 0; i < PROBE_N; i += 8)
            for (int k = 0; k < 8; k++)
                acc[k] = acc[k] * 0.999999 + (double)a[i + k];
    }
    double dt = aib_now_mono() - t0;
    for (int k = 0; k < 8; k++)
        *sink += acc[k];
    return dt;
}

/* The fastest of PROBE_SAMPLES passes on the calling thread's CPU: what
 * this CPU can do now. A pass that other work interrupted is slower, not
 * faster, so the minimum ignores brief interruptions (another thread of
 * this process, an interrupt) and keeps what lasts, a slower core. */
static double probe_here(float *a, const float *b, double *sink)
{
    double best = INFINITY;
    probe_pass(a, b, sink); /* warm the caches and the clock */
    for (int s = 0; s < PROBE_SAMPLES; s++)
        best = fmin(best, probe_pass(a, b, sink));
    return best;
}

int aib_probe_run(struct aib_probe *p)
{
    /* Same placement every time: a page-aligned start, and b 128 bytes off
     * a's page offsets. malloc's 16-byte alignment made the loop's time
     * depend on where the buffer landed (split vector loads), in steps
     * of 7% from one process to the next. */
    float *a = aligned_alloc(4096, 4 * PROBE_N * sizeof *a);
    double sink = 0, sum = 0;
    memset(p, 0, sizeof *p);
    if (!a)
        return AIB_ENOMEM;
    float *b = a + PROBE_N + 32;
    for (int i = 0; i < PROBE_N; i++) {
        a[i] = (float)(i % 7);
        b[i] = 1.0f / (float)(1 + i % 5);
    }
    cpu_set_t old, one;
    pthread_t self = pthread_self();
    if (pthread_getaffinity_np(self, sizeof old, &old) == 0) {
        for (int c = 0; c < CPU_SETSIZE && p->n < AIB_PROBE_MAX_CPUS; c++) {
            if (!CPU_ISSET(c, &old))
                continue;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            if (pthread_setaffinity_np(self, sizeof one, &one) != 0)
                continue;
            p->cpu[p->n] = c;
            p->s[p->n] = probe_here(a, b, &sink);
            sum += p->s[p->n++];
        }
        pthread_setaffinity_np(self, sizeof old, &old);
    }
    if (p->n == 0) { /* no affinity control: wherever the thread runs */
        p->cpu[0] = -1;
        sum = p->s[p->n++] = probe_here(a, b, &sink);
    }
    free(a);
    p->mean = sum / p->n;
    /* The sink is finite for any input above: a NaN would be a bug. */
    return isfinite(sink) ? 0 : AIB_ENOMEM;
}

int aib_probe_result(struct aib_result *r)
{
    struct aib_probe probe;
    char name[48], note[128];
    if (aib_probe_run(&probe))
        return AIB_ENOMEM;
    snprintf(note, sizeof note,
             "machine-speed probe: a fixed loop, mean over %d CPU%s, before the result (docs/ci.md)",
             probe.n, probe.n == 1 ? "" : "s");
    if (aib_result_set_metric(r, AIB_PROBE_METRIC, probe.mean, "s", 1, note))
        return AIB_ENOMEM;
    for (int i = 0; i < probe.n && probe.cpu[i] >= 0; i++) {
        snprintf(name, sizeof name, "%s.cpu%d", AIB_PROBE_METRIC, probe.cpu[i]);
        snprintf(note, sizeof note, "machine-speed probe on CPU %d", probe.cpu[i]);
        if (aib_result_set_metric(r, name, probe.s[i], "s", 1, note))
            return AIB_ENOMEM;
    }
    return 0;
}
