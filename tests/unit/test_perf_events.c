/* The perf_event_open profiler on this machine, for real: software events
 * counted over every thread of the workload (threads that existed before,
 * threads created during the region) but not aibench's own "aib-" helpers;
 * hardware events counted where there is a PMU and missing with the reason
 * where there is none; and, in a child that drops root, the
 * perf_event_paranoid reasons. Compared with CPU time the threads measure
 * themselves, never with wall time. */
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../profilers/profiler.h"

#define SPIN 12000000L

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Spins `n` iterations; returns the CPU time this thread spent doing it. */
static double spin(long n)
{
    double t0 = thread_cpu();
    volatile double x = 0;
    for (long i = 0; i < n; i++)
        x += (double)i;
    return thread_cpu() - t0;
}

struct team {
    pthread_barrier_t go, done;
    double cpu[4];
};
struct member {
    struct team *t;
    int idx;
    long n;
};

static void *member_main(void *arg)
{
    struct member *m = arg;
    pthread_barrier_wait(&m->t->go);
    m->t->cpu[m->idx] = spin(m->n);
    pthread_barrier_wait(&m->t->done);
    return NULL;
}

static void *late_main(void *arg)
{
    *(double *)arg = spin(SPIN);
    return NULL;
}

static const struct aib_prof_value *get(const struct aib_prof_values *v, const char *name)
{
    const struct aib_prof_value *x = aib_prof_values_get(v, name);
    if (!x)
        fail_msg("no value %s", name);
    return x;
}

static struct aib_device cpu_dev(void)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .cores = 2, .threads = 2};
    strcpy(d.id, "cpu");
    return d;
}

static int read_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int p = -99;
    if (f) {
        if (fscanf(f, "%d", &p) != 1)
            p = -99;
        fclose(f);
    }
    return p;
}

static void test_counts_the_workload_threads(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_prof_opts o = {.interval_s = 0.1};
    struct aib_err err = {0};
    struct team t;
    struct member m[3];
    pthread_t th[3];
    /* A pool started before the profiler opens (like OpenBLAS's), and a
     * helper of aibench's own that spins four times as long. */
    pthread_barrier_init(&t.go, NULL, 4);
    pthread_barrier_init(&t.done, NULL, 4);
    for (int i = 0; i < 3; i++) {
        m[i] = (struct member){.t = &t, .idx = i, .n = i == 2 ? 4 * SPIN : SPIN};
        assert_int_equal(pthread_create(&th[i], NULL, member_main, &m[i]), 0);
    }
    pthread_setname_np(th[2], "aib-helper");

    /* Where perf_event_open is refused altogether (perf_event_paranoid >= 3
     * without root), every value is missing with that reason instead. */
    char why[128] = "";
    int usable = aib_prof_perf.probe(&dev, &o, why, sizeof why);
    bool kernel_ok = geteuid() == 0 || read_paranoid() <= 1;
    void *st = NULL;
    assert_int_equal(aib_prof_perf.open(&dev, &o, &st, &err), 0);
    assert_int_equal(aib_prof_perf.start(st, &err), 0);
    double main0 = thread_cpu();
    pthread_barrier_wait(&t.go);
    double late = 0;
    pthread_t lt; /* created inside the region: followed by inherit */
    assert_int_equal(pthread_create(&lt, NULL, late_main, &late), 0);
    pthread_join(lt, NULL);
    size_t len = 16u << 20;
    char *fresh = malloc(len);
    assert_non_null(fresh);
    memset(fresh, 1, len); /* page faults */
    pthread_barrier_wait(&t.done);
    double main_cpu = thread_cpu() - main0;
    assert_int_equal(aib_prof_perf.stop(st, &err), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    free(fresh);

    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_perf.read(st, &v, &err), 0);
    const struct aib_prof_value *tc = get(&v, "task_clock");
    double workload = t.cpu[0] + t.cpu[1] + late + main_cpu;
    if (!usable) {
        for (size_t i = 0; i < v.len; i++) {
            assert_false(v.items[i].valid);
            assert_non_null(strstr(v.items[i].note, "perf_event_paranoid="));
        }
        assert_non_null(strstr(why, "perf_event_paranoid="));
        goto cleanup;
    }
    assert_true(tc->valid);
    assert_string_equal(tc->unit, "s");
    /* Every workload thread is in the total, the helper is not. */
    if (!(tc->value > 0.9 * workload && tc->value < workload + 0.5 * t.cpu[2]))
        fail_msg("task clock %.4f s; workload threads %.4f s, helper %.4f s", tc->value,
                 workload, t.cpu[2]);
    assert_non_null(strstr(tc->note, "threads"));
    const struct aib_prof_value *pf = get(&v, "page_faults");
    assert_true(pf->valid && pf->value > 0);
    /* Kernel-side events need root or perf_event_paranoid <= 1. */
    const struct aib_prof_value *cs = get(&v, "context_switches");
    assert_int_equal(cs->valid, kernel_ok);
    assert_true(kernel_ok || strstr(cs->note, "perf_event_paranoid="));
    assert_int_equal(get(&v, "cpu_migrations")->valid, kernel_ok);
    assert_int_equal(tc->kind, AIB_PV_TOTAL);
cleanup:
    aib_prof_values_free(&v);
    aib_prof_perf.close(st);
    pthread_barrier_destroy(&t.go);
    pthread_barrier_destroy(&t.done);
}

/* What the kernel says about a cycles counter here, asked directly. */
static int pmu_errno(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    a.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd >= 0) {
        close((int)fd);
        return 0;
    }
    return errno;
}

static void test_hardware_counted_or_missing_with_reason(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    void *st = NULL;
    assert_int_equal(aib_prof_perf.open(&dev, NULL, &st, &err), 0);
    assert_int_equal(aib_prof_perf.start(st, &err), 0);
    spin(SPIN);
    assert_int_equal(aib_prof_perf.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_perf.read(st, &v, &err), 0);
    int e = pmu_errno();
    const char *hw[] = {"cycles", "instructions", "cache_references", "cache_misses",
                        "branch_misses"};
    for (size_t i = 0; i < sizeof hw / sizeof hw[0]; i++) {
        const struct aib_prof_value *x = get(&v, hw[i]);
        if (e == 0) {
            /* A PMU: counted (cycles and instructions are never 0 for a spin). */
            if (i < 2)
                assert_true(x->valid && x->value > 0);
            else
                assert_true(x->valid || x->note[0]);
        } else {
            assert_false(x->valid);
            assert_true(x->value == 0); /* stored as missing, with the reason */
            if (e == ENOENT || e == EOPNOTSUPP)
                assert_string_equal(x->note, "not supported by this CPU/VM (no PMU)");
            else if (e == EACCES)
                assert_non_null(strstr(x->note, "perf_event_paranoid="));
            else
                assert_true(x->note[0] != '\0');
        }
    }
    const struct aib_prof_value *llc = get(&v, "llc_load_misses");
    assert_true(llc->valid || llc->note[0]);
    aib_prof_values_free(&v);
    aib_prof_perf.close(st);

    char why[128] = "";
    if (aib_prof_perf.probe(&dev, NULL, why, sizeof why))
        assert_non_null(strstr(why, e == 0 ? "software and hardware" : "software events only"));
    else /* nothing at all allowed here */
        assert_non_null(strstr(why, "perf_event_paranoid="));
}

/* Runs in a child without root: 0 when the reasons match the paranoia level. */
static int unprivileged_child(int paranoid)
{
    if (geteuid() == 0 && setuid(65534) != 0)
        return 10;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct aib_prof_values v = {0};
    void *st = NULL;
    if (aib_prof_perf.open(&dev, NULL, &st, &err) || aib_prof_perf.start(st, &err))
        return 11;
    spin(SPIN / 4);
    if (aib_prof_perf.stop(st, &err) || aib_prof_perf.read(st, &v, &err))
        return 12;
    const struct aib_prof_value *tc = aib_prof_values_get(&v, "task_clock");
    const struct aib_prof_value *cs = aib_prof_values_get(&v, "context_switches");
    char want[64];
    snprintf(want, sizeof want, "perf_event_paranoid=%d", paranoid);
    int rc = 0;
    if (paranoid >= 3) { /* Debian: nothing for unprivileged users */
        if (tc->valid || !strstr(tc->note, want))
            rc = 13;
    } else if (paranoid == 2) { /* user space only; kernel-only events missing */
        if (!tc->valid || tc->value <= 0 || !strstr(tc->note, "user space only"))
            rc = 14;
        if (cs->valid || !strstr(cs->note, want))
            rc = 15;
    } else if (!tc->valid || !cs->valid) {
        rc = 16;
    }
    if (rc)
        fprintf(stderr, "paranoid %d: task_clock valid=%d '%s'; context_switches valid=%d '%s'\n",
                paranoid, tc->valid, tc->note, cs->valid, cs->note);
    aib_prof_values_free(&v);
    aib_prof_perf.close(st);
    return rc;
}

static void test_paranoid_reasons(void **state)
{
    (void)state;
    int paranoid = read_paranoid();
    assert_true(paranoid != -99);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unprivileged_child(paranoid));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_the_workload_threads),
        cmocka_unit_test(test_hardware_counted_or_missing_with_reason),
        cmocka_unit_test(test_paranoid_reasons),
    };
    return cmocka_run_group_tests_name("perf_events", tests, NULL, NULL);
}
