/* CPU counters through perf_event_open(2): one set of groups per thread of
 * the process, opened when an entry begins: the engine thread (with
 * inherit=1, so threads the workload creates afterwards are counted and
 * summed into it, exited ones included) and every thread that already exists
 * (a library's pool, like OpenBLAS's, started before the entry), except
 * aibench's own helper threads, which name themselves "aib-...". Totals are
 * summed over the threads.
 *
 * Groups keep what is compared on the PMU at the same time: cycles with
 * instructions (IPC), cache references with cache misses; the rest alone.
 * When the PMU has fewer counters than events the kernel multiplexes: each
 * thread's count is scaled by its time enabled / time running and the note
 * says so. An event that cannot be opened (no PMU in a VM,
 * perf_event_paranoid) is reported as missing with the reason, never as 0;
 * so is one that could be opened on some threads only. */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profiler.h"

#define LL_READ_MISS                                                                               \
    (PERF_COUNT_HW_CACHE_LL | (PERF_COUNT_HW_CACHE_OP_READ << 8) |                               \
     (PERF_COUNT_HW_CACHE_RESULT_MISS << 16))

struct ev_decl {
    const char *name;
    uint32_t type;
    uint64_t config;
    int group;        /* events with the same group are scheduled together */
    const char *unit;
    double scale;     /* raw count x scale = value in unit */
    bool kernel_only; /* counts nothing when kernel events are excluded */
};

static const struct ev_decl events[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, "", 1, false},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, "", 1, false},
    {"cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, 1, "", 1, false},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 1, "", 1, false},
    {"branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, 2, "", 1, false},
    {"llc_load_misses", PERF_TYPE_HW_CACHE, LL_READ_MISS, 3, "", 1, false},
    {"task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 4, "s", 1e-9, false},
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 4, "", 1, true},
    {"cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, 4, "", 1, true},
    {"page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 4, "", 1, false},
};
#define NEV (sizeof events / sizeof events[0])
#define NGROUPS 5

/* One counter on one thread. */
struct counter {
    int fd; /* -1: not open */
    uint64_t id; /* PERF_EVENT_IOC_ID, to find it in its group's read */
    uint64_t v0, v1, en0, en1, run0, run1; /* raw count and times at start and stop */
};

struct thr {
    pid_t tid;
    struct counter c[NEV];
    int leader[NGROUPS]; /* index of each group's leader in c, -1 if none */
};

struct perf_state {
    struct thr *t;
    size_t nt;
    bool user_only[NEV];
    char why[NEV][128]; /* why an event is missing ("" if counted on every thread) */
    int paranoid;       /* /proc/sys/kernel/perf_event_paranoid, or -99 unknown */
    bool started;
};

static long sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
                                unsigned long flags)
{
    return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

static int read_paranoid(const struct aib_prof_opts *o)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/proc/sys/kernel/perf_event_paranoid",
             o && o->root ? o->root : "");
    FILE *f = fopen(path, "r");
    int v = -99;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -99;
        fclose(f);
    }
    return v;
}

/* The reason an event cannot be opened, as one short phrase. */
static void reason(int e, int paranoid, char *buf, size_t len)
{
    char eb[64];
    switch (e) {
    case ENOENT:
    case EOPNOTSUPP:
        snprintf(buf, len, "not supported by this CPU/VM (no PMU)");
        break;
    case EACCES:
        snprintf(buf, len, "perf_event_paranoid=%d: run as root or lower it", paranoid);
        break;
    case EPERM:
        snprintf(buf, len, "not permitted (perf_event_paranoid=%d, or a container/seccomp rule)",
                 paranoid);
        break;
    case ENOSYS:
        snprintf(buf, len, "this kernel has no perf events (ENOSYS)");
        break;
    case EMFILE:
    case ENFILE:
        snprintf(buf, len, "out of file descriptors (one per event and thread)");
        break;
    default:
        snprintf(buf, len, "perf_event_open: %s", strerror_r(e, eb, sizeof eb));
    }
}

static long open_one(const struct ev_decl *d, pid_t tid, int group_fd, bool user_only)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = d->type;
    a.config = d->config;
    a.disabled = group_fd < 0; /* members follow their leader */
    a.inherit = 1;             /* and the threads this thread creates later */
    a.exclude_hv = 1;
    a.exclude_kernel = user_only;
    a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |
                    PERF_FORMAT_TOTAL_TIME_RUNNING;
    return sys_perf_event_open(&a, tid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* Opens event i on thread t (k-th thread). Returns -1 when the thread is
 * gone (ESRCH: not an error), else 0; failures go into st->why[i]. */
static int open_event(struct perf_state *st, struct thr *t, size_t k, size_t i)
{
    const struct ev_decl *d = &events[i];
    struct counter *c = &t->c[i];
    int leader = t->leader[d->group];
    int gfd = leader < 0 ? -1 : t->c[leader].fd;
    long fd = open_one(d, t->tid, gfd, st->user_only[i]);
    /* On the first thread, a permission problem may be helped by leaving the
     * kernel out; not for events that happen only in the kernel. */
    if (fd < 0 && k == 0 && (errno == EACCES || errno == EPERM) && !d->kernel_only) {
        int e = errno;
        fd = open_one(d, t->tid, gfd, true);
        if (fd >= 0)
            st->user_only[i] = true;
        else
            errno = e;
    }
    if (fd < 0) {
        if (errno == ESRCH)
            return -1;
        char r[96];
        reason(errno, st->paranoid, r, sizeof r);
        if (k == 0)
            snprintf(st->why[i], sizeof st->why[i], "%s", r);
        else /* some threads counted, others not: the total would be short */
            snprintf(st->why[i], sizeof st->why[i], "not on all threads (%s)", r);
        return 0;
    }
    c->fd = (int)fd;
    if (ioctl(c->fd, PERF_EVENT_IOC_ID, &c->id) != 0) {
        reason(errno, st->paranoid, st->why[i], sizeof st->why[i]);
        close(c->fd);
        c->fd = -1;
        return 0;
    }
    if (leader < 0)
        t->leader[d->group] = (int)i;
    return 0;
}

/* The threads to count: the calling (engine) thread first, then every other
 * thread of the process that exists now (a library's pool, such as
 * OpenBLAS's, started before the entry), except aibench's own helpers,
 * which name themselves "aib-..." (samplers, the live view). */
static int list_threads(struct perf_state *st)
{
    size_t cap = 8;
    pid_t self = (pid_t)syscall(SYS_gettid);
    st->t = calloc(cap, sizeof *st->t);
    if (!st->t)
        return AIB_ENOMEM;
    st->t[st->nt++].tid = self;
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 0; /* then the calling thread and what it creates */
    struct dirent *de;
    while ((de = readdir(dir))) {
        char *end;
        long tid = strtol(de->d_name, &end, 10);
        if (*end || tid <= 0 || tid == self)
            continue;
        char path[64], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = '\0';
            fclose(f);
        }
        if (strncmp(comm, "aib-", 4) == 0)
            continue;
        if (st->nt == cap) {
            struct thr *n = realloc(st->t, 2 * cap * sizeof *n);
            if (!n) {
                closedir(dir);
                return AIB_ENOMEM;
            }
            memset(n + cap, 0, cap * sizeof *n);
            st->t = n;
            cap *= 2;
        }
        st->t[st->nt++].tid = (pid_t)tid;
    }
    closedir(dir);
    return 0;
}

static void perf_close(void *state);

static int perf_open(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                     struct aib_err *err)
{
    (void)dev;
    struct perf_state *st = calloc(1, sizeof *st);
    if (!st || list_threads(st) != 0) {
        perf_close(st);
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    st->paranoid = read_paranoid(o);
    for (size_t k = 0; k < st->nt; k++) {
        for (int g = 0; g < NGROUPS; g++)
            st->t[k].leader[g] = -1;
        for (size_t i = 0; i < NEV; i++)
            st->t[k].c[i].fd = -1;
    }
    size_t live = 0;
    for (size_t k = 0; k < st->nt; k++) {
        bool gone = false;
        for (size_t i = 0; i < NEV && !gone; i++)
            if (!st->why[i][0] || k == 0) /* an event missing on one thread is missing */
                gone = open_event(st, &st->t[k], k, i) < 0;
        if (gone) { /* exited since listed: drop its counters */
            for (size_t i = NEV; i-- > 0;)
                if (st->t[k].c[i].fd >= 0)
                    close(st->t[k].c[i].fd);
            continue;
        }
        st->t[live++] = st->t[k];
    }
    st->nt = live;
    *state = st;
    return 0;
}

/* Reads one thread's group: fills the start or stop fields of its members. */
static int read_group(struct thr *t, int g, bool at_stop)
{
    uint64_t buf[3 + 2 * NEV];
    ssize_t n = read(t->c[t->leader[g]].fd, buf, sizeof buf);
    if (n < (ssize_t)(3 * sizeof(uint64_t)))
        return -1;
    uint64_t nr = buf[0];
    if (nr > NEV || (size_t)n < (3 + 2 * nr) * sizeof(uint64_t))
        return -1;
    for (uint64_t k = 0; k < nr; k++)
        for (size_t i = 0; i < NEV; i++) {
            struct counter *c = &t->c[i];
            if (c->fd < 0 || events[i].group != g || c->id != buf[4 + 2 * k])
                continue;
            if (at_stop) {
                c->v1 = buf[3 + 2 * k];
                c->en1 = buf[1];
                c->run1 = buf[2];
            } else {
                c->v0 = buf[3 + 2 * k];
                c->en0 = buf[1];
                c->run0 = buf[2];
            }
        }
    return 0;
}

static int read_all(struct perf_state *st, bool at_stop)
{
    for (size_t k = 0; k < st->nt; k++)
        for (int g = 0; g < NGROUPS; g++)
            if (st->t[k].leader[g] >= 0 && read_group(&st->t[k], g, at_stop) != 0)
                return -1;
    return 0;
}

/* Deltas, not a reset: exited threads' counts live in the parent's child
 * totals, which PERF_EVENT_IOC_RESET does not clear. */
static int perf_start(void *state, struct aib_err *err)
{
    struct perf_state *st = state;
    if (read_all(st, false) != 0)
        return aib_err_set(err, AIB_EIO, "cannot read the perf counters: %s", strerror(errno));
    for (size_t k = 0; k < st->nt; k++)
        for (int g = 0; g < NGROUPS; g++) {
            struct thr *t = &st->t[k];
            if (t->leader[g] >= 0 &&
                ioctl(t->c[t->leader[g]].fd, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0)
                return aib_err_set(err, AIB_EIO, "cannot enable the perf counters: %s",
                                   strerror(errno));
        }
    st->started = true;
    return 0;
}

static int perf_stop(void *state, struct aib_err *err)
{
    struct perf_state *st = state;
    if (!st->started)
        return 0;
    for (size_t k = 0; k < st->nt; k++)
        for (int g = 0; g < NGROUPS; g++) {
            struct thr *t = &st->t[k];
            if (t->leader[g] >= 0)
                ioctl(t->c[t->leader[g]].fd, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
        }
    st->started = false;
    if (read_all(st, true) != 0)
        return aib_err_set(err, AIB_EIO, "cannot read the perf counters: %s", strerror(errno));
    return 0;
}

static int perf_read(void *state, struct aib_prof_values *out, struct aib_err *err)
{
    struct perf_state *st = state;
    for (size_t i = 0; i < NEV; i++) {
        const struct ev_decl *d = &events[i];
        double v = 0, en = 0, run = 0;
        bool never = false;
        /* Each thread's count scaled by its own multiplexing ratio. */
        for (size_t k = 0; k < st->nt; k++) {
            const struct counter *c = &st->t[k].c[i];
            double ce = (double)(c->en1 - c->en0), cr = (double)(c->run1 - c->run0);
            if (c->fd < 0)
                continue;
            if (cr <= 0) {
                never |= ce > 0;
                continue;
            }
            v += (double)(c->v1 - c->v0) * (cr < ce ? ce / cr : 1);
            en += ce;
            run += cr;
        }
        char note[128] = "";
        int valid = 1;
        if (st->why[i][0]) {
            valid = 0;
            snprintf(note, sizeof note, "%s", st->why[i]);
        } else if (never || (run <= 0 && en > 0)) {
            valid = 0;
            snprintf(note, sizeof note, "never scheduled on the PMU (counters busy)");
        } else {
            snprintf(note, sizeof note, "%zu thread%s", st->nt, st->nt == 1 ? "" : "s");
            if (run < en)
                snprintf(note + strlen(note), sizeof note - strlen(note),
                         "; scaled: counted %.0f%% of the time (multiplexed)", 100 * run / en);
            if (st->user_only[i])
                snprintf(note + strlen(note), sizeof note - strlen(note),
                         "; user space only (perf_event_paranoid=%d)", st->paranoid);
        }
        if (aib_prof_values_set(out, d->name, AIB_PV_TOTAL, v * d->scale, d->unit, valid, "%s",
                                note))
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    return 0;
}

static void perf_close(void *state)
{
    struct perf_state *st = state;
    if (!st)
        return;
    for (size_t k = 0; k < st->nt; k++)
        for (size_t i = NEV; i-- > 0;) /* members before leaders */
            if (st->t[k].c[i].fd >= 0)
                close(st->t[k].c[i].fd);
    free(st->t);
    free(st);
}

static int perf_probe(const struct aib_device *dev, const struct aib_prof_opts *o, char *why,
                      size_t len)
{
    (void)dev;
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    long fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        reason(errno, read_paranoid(o), why, len);
        return 0;
    }
    close((int)fd);
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        char r[112];
        reason(errno, read_paranoid(o), r, sizeof r);
        snprintf(why, len, "software events only; hardware events: %s", r);
    } else {
        close((int)fd);
        snprintf(why, len, "software and hardware events");
    }
    return 1;
}

const struct aib_prof_ops aib_prof_perf = {
    .name = "perf",
    .abi = AIB_PROFILER_ABI,
    .devices = AIB_DEV_ALL,
    .summary = "CPU counters (perf_event_open): cycles, instructions, misses, task clock",
    .probe = perf_probe,
    .open = perf_open,
    .start = perf_start,
    .stop = perf_stop,
    .read = perf_read,
    .close = perf_close,
};
