/* RAPL energy through the powercap sysfs interface: every package domain
 * (/sys/class/powercap/intel-rapl:N, name "package-N"; AMD parts use the
 * same driver and names) and its "dram" subdomain, read at start and stop.
 * A counter that wrapped between the reads is corrected with
 * max_energy_range_uj (one wrap: hours at a socket's power). The energy is
 * the whole socket's, not only this process's. Absent or unreadable RAPL is
 * reported as missing with the reason. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/engine.h"
#include "profiler.h"

#define MAX_DOMAINS 16

enum { DOM_PACKAGE, DOM_DRAM };

struct domain {
    char path[1300]; /* the domain directory */
    int type;
    uint64_t max_range, e0, e1;
    int err;         /* errno of a failed read, 0 if fine */
};

struct rapl_state {
    struct domain d[MAX_DOMAINS];
    size_t n;
    char absent[128]; /* why there is no RAPL at all ("" if there is) */
    double t0, t1;
    bool started, stopped;
};

/* Reads a decimal counter; 0 or the errno. */
static int read_u64(const char *dir, const char *file, uint64_t *v)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno;
    unsigned long long x;
    int ok = fscanf(f, "%llu", &x) == 1;
    int e = ok ? 0 : ferror(f) ? (errno ? errno : EIO) : EINVAL;
    fclose(f);
    if (ok)
        *v = x;
    return e;
}

static void read_name(const char *dir, char *buf, size_t len)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/name", dir);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(buf, (int)len, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

/* Package domains are intel-rapl:N, their subdomains intel-rapl:N:M. */
static void scan(struct rapl_state *st, const char *base)
{
    DIR *dir = opendir(base);
    if (!dir) {
        snprintf(st->absent, sizeof st->absent,
                 "no RAPL here (%s absent: no powercap driver, or a VM)", "/sys/class/powercap");
        return;
    }
    struct dirent *de;
    while ((de = readdir(dir)) && st->n < MAX_DOMAINS) {
        if (strncmp(de->d_name, "intel-rapl:", 11) != 0)
            continue;
        struct domain *d = &st->d[st->n];
        char name[64];
        snprintf(d->path, sizeof d->path, "%s/%s", base, de->d_name);
        read_name(d->path, name, sizeof name);
        if (strncmp(name, "package", 7) == 0)
            d->type = DOM_PACKAGE;
        else if (strcmp(name, "dram") == 0)
            d->type = DOM_DRAM;
        else
            continue; /* core, uncore, psys: parts of or beside a package */
        if (read_u64(d->path, "max_energy_range_uj", &d->max_range) != 0)
            d->max_range = 0;
        st->n++;
    }
    closedir(dir);
    if (st->n == 0)
        snprintf(st->absent, sizeof st->absent,
                 "no RAPL package domain in /sys/class/powercap");
}

static int rapl_open(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                     struct aib_err *err)
{
    (void)dev;
    struct rapl_state *st = calloc(1, sizeof *st);
    if (!st)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    char base[1024];
    snprintf(base, sizeof base, "%s/sys/class/powercap", o && o->root ? o->root : "");
    scan(st, base);
    *state = st;
    return 0;
}

static void read_all(struct rapl_state *st, bool at_stop)
{
    for (size_t i = 0; i < st->n; i++) {
        struct domain *d = &st->d[i];
        int e = read_u64(d->path, "energy_uj", at_stop ? &d->e1 : &d->e0);
        if (e && !d->err)
            d->err = e;
    }
}

static int rapl_start(void *state, struct aib_err *err)
{
    (void)err;
    struct rapl_state *st = state;
    read_all(st, false);
    st->t0 = aib_now_mono();
    st->started = true;
    return 0;
}

static int rapl_stop(void *state, struct aib_err *err)
{
    (void)err;
    struct rapl_state *st = state;
    if (!st->started || st->stopped)
        return 0;
    read_all(st, true);
    st->t1 = aib_now_mono();
    st->stopped = true;
    return 0;
}

static uint64_t delta(const struct domain *d)
{
    if (d->e1 >= d->e0)
        return d->e1 - d->e0;
    return d->max_range > d->e0 ? d->max_range - d->e0 + d->e1 : 0;
}

/* Sum of one domain type in joules, or why not. */
static int sum(const struct rapl_state *st, int type, double *j, char *why, size_t len)
{
    size_t found = 0;
    *j = 0;
    for (size_t i = 0; i < st->n; i++) {
        const struct domain *d = &st->d[i];
        if (d->type != type)
            continue;
        found++;
        if (d->err == EACCES || d->err == EPERM) {
            snprintf(why, len, "%s/energy_uj is readable by root only: run as root",
                     strrchr(d->path, '/') + 1);
            return 0;
        }
        if (d->err) {
            char eb[64];
            snprintf(why, len, "cannot read %s/energy_uj: %s", strrchr(d->path, '/') + 1,
                     strerror_r(d->err, eb, sizeof eb));
            return 0;
        }
        if (d->e1 < d->e0 && d->max_range <= d->e0) {
            snprintf(why, len, "%s wrapped and max_energy_range_uj is unknown",
                     strrchr(d->path, '/') + 1);
            return 0;
        }
        *j += (double)delta(d) * 1e-6;
    }
    if (!found) {
        snprintf(why, len, "%s",
                 st->absent[0] ? st->absent
                 : type == DOM_DRAM ? "no DRAM RAPL domain on this CPU"
                                    : "no RAPL package domain");
        return 0;
    }
    return 1;
}

static int rapl_read(void *state, struct aib_prof_values *out, struct aib_err *err)
{
    struct rapl_state *st = state;
    double pkg, dram, t = st->t1 - st->t0;
    char wp[128] = "", wd[128] = "";
    int okp = sum(st, DOM_PACKAGE, &pkg, wp, sizeof wp);
    int okd = sum(st, DOM_DRAM, &dram, wd, sizeof wd);
    int rc = aib_prof_values_set(out, "package_energy", AIB_PV_TOTAL, pkg, "J", okp, "%s", wp);
    rc = rc ? rc
            : aib_prof_values_set(out, "dram_energy", AIB_PV_TOTAL, dram, "J", okd, "%s", wd);
    rc = rc ? rc
            : aib_prof_values_set(out, "package_power", AIB_PV_LEVEL, t > 0 ? pkg / t : 0, "W",
                                  okp && t > 0, "%s", okp ? "package energy / profiled time" : wp);
    return rc ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

static void rapl_close(void *state) { free(state); }

static int rapl_probe(const struct aib_device *dev, const struct aib_prof_opts *o, char *why,
                      size_t len)
{
    struct rapl_state *st = NULL;
    struct aib_err e = {0};
    if (rapl_open(dev, o, (void **)&st, &e)) {
        snprintf(why, len, "%s", e.msg);
        return 0;
    }
    read_all(st, false);
    for (size_t i = 0; i < st->n; i++)
        st->d[i].e1 = st->d[i].e0;
    double j;
    int ok = sum(st, DOM_PACKAGE, &j, why, len);
    if (ok)
        snprintf(why, len, "%zu RAPL domain%s", st->n, st->n == 1 ? "" : "s");
    rapl_close(st);
    return ok;
}

const struct aib_prof_ops aib_prof_rapl = {
    .name = "rapl",
    .abi = AIB_PROFILER_ABI,
    .devices = AIB_DEV_ALL,
    .summary = "CPU package and DRAM energy (RAPL, /sys/class/powercap; whole socket)",
    .probe = rapl_probe,
    .open = rapl_open,
    .start = rapl_start,
    .stop = rapl_stop,
    .read = rapl_read,
    .close = rapl_close,
};
