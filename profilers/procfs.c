/* The procfs reader: snapshots of /proc/stat, cpufreq (or /proc/cpuinfo),
 * /proc/meminfo, /proc/loadavg, /proc/diskstats and /proc/net/dev, turned
 * into utilisation and rates against the previous snapshot. */
#include "procfs.h"

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cpu_prev {
    uint64_t busy, total;
    int have;
};

struct aib_procfs_reader {
    char root[512];
    double prev_t;
    int have_t;
    struct cpu_prev total_prev;
    struct cpu_prev prev[AIB_PROCFS_MAX_CPUS]; /* by cpu id */
    uint64_t disk_rd, disk_wr, net_rx, net_tx;
    int have_disk, have_net;
    double freq[AIB_PROCFS_MAX_CPUS]; /* scratch: /proc/cpuinfo MHz by id, NAN if none */
    char *buf;                        /* file contents, reused */
    size_t cap;
};

/* Reads root/rel into r->buf (NUL-terminated). /proc files report size 0,
 * so this reads to EOF. Returns the length, or -1. */
static long slurp(struct aib_procfs_reader *r, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", r->root, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    long out = -1;
    for (;;) {
        if (r->cap - len < 4096) {
            size_t ncap = r->cap ? r->cap * 2 : 16384;
            char *nb = realloc(r->buf, ncap);
            if (!nb)
                goto done;
            r->buf = nb;
            r->cap = ncap;
        }
        ssize_t n = read(fd, r->buf + len, r->cap - len - 1);
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    r->buf[len] = '\0';
    out = (long)len;
done:
    close(fd);
    return out;
}

int aib_procfs_reader_new(const char *root, struct aib_procfs_reader **out, struct aib_err *err)
{
    struct aib_procfs_reader *r = calloc(1, sizeof *r);
    if (!r)
        return aib_err_set(err, AIB_ENOMEM, "out of memory for the procfs reader");
    size_t n = strlen(root ? root : "");
    if (n >= sizeof r->root) {
        free(r);
        return aib_err_set(err, AIB_EUSAGE, "procfs root path too long");
    }
    /* "" gives paths like "/proc/stat". */
    snprintf(r->root, sizeof r->root, "%s", root ? root : "");
    if (n && r->root[n - 1] == '/')
        r->root[n - 1] = '\0';
    *out = r;
    return 0;
}

void aib_procfs_reader_free(struct aib_procfs_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

/* Utilisation from cumulative jiffies; missing when there is no previous
 * snapshot, no time passed, or a counter went backwards (CPU hot-plug). */
static void cpu_util(struct cpu_prev *p, uint64_t busy, uint64_t total, struct aib_procfs_cpu *c)
{
    if (p->have && total > p->total && busy >= p->busy && total - p->total >= busy - p->busy) {
        c->util = (double)(busy - p->busy) / (double)(total - p->total);
        c->valid |= AIB_PF_UTIL;
    }
    p->busy = busy;
    p->total = total;
    p->have = 1;
}

static int read_stat(struct aib_procfs_reader *r, struct aib_procfs_sample *s)
{
    if (slurp(r, "proc/stat") < 0)
        return AIB_EIO;
    int seen = 0;
    for (char *line = r->buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "cpu", 3) == 0) {
            unsigned long long v[10] = {0};
            int id = -1, pos = 0;
            if (line[3] == ' ')
                pos = 3;
            else if (sscanf(line, "cpu%d%n", &id, &pos) != 1 || id < 0)
                pos = 0;
            int k = pos ? sscanf(line + pos, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                                 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                                 &v[9])
                        : 0;
            if (k >= 4) {
                /* user nice system idle iowait irq softirq steal (guest is
                 * already counted in user). */
                uint64_t idle = v[3] + v[4];
                uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
                if (id < 0) {
                    s->total.id = -1;
                    cpu_util(&r->total_prev, busy, busy + idle, &s->total);
                    seen = 1;
                } else if (id < AIB_PROCFS_MAX_CPUS && s->ncpus < AIB_PROCFS_MAX_CPUS) {
                    struct aib_procfs_cpu *c = &s->cpu[s->ncpus++];
                    *c = (struct aib_procfs_cpu){.id = id};
                    cpu_util(&r->prev[id], busy, busy + idle, c);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return seen ? 0 : AIB_EIO;
}

/* /proc/cpuinfo "processor : N" ... "cpu MHz : X" into r->freq[N]. */
static void read_cpuinfo_mhz(struct aib_procfs_reader *r)
{
    for (size_t i = 0; i < AIB_PROCFS_MAX_CPUS; i++)
        r->freq[i] = NAN;
    if (slurp(r, "proc/cpuinfo") < 0)
        return;
    int cur = -1;
    for (char *line = r->buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            if (strncmp(line, "processor", 9) == 0)
                cur = atoi(colon + 1);
            else if (strncmp(line, "cpu MHz", 7) == 0 && cur >= 0 && cur < AIB_PROCFS_MAX_CPUS) {
                char *end;
                double mhz = strtod(colon + 1, &end);
                if (end != colon + 1 && mhz > 0)
                    r->freq[cur] = mhz;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

static void read_freq(struct aib_procfs_reader *r, struct aib_procfs_sample *s)
{
    int need_cpuinfo = 0, have_cpuinfo = 0;
    double sum = 0;
    unsigned n = 0;
    for (unsigned i = 0; i < s->ncpus; i++) {
        struct aib_procfs_cpu *c = &s->cpu[i];
        char rel[128];
        snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", c->id);
        char *end;
        double khz = slurp(r, rel) > 0 ? strtod(r->buf, &end) : 0;
        if (khz > 0) {
            c->freq_mhz = khz / 1000.0;
            c->valid |= AIB_PF_FREQ;
        } else {
            need_cpuinfo = 1;
        }
    }
    for (unsigned i = 0; i < s->ncpus; i++) {
        struct aib_procfs_cpu *c = &s->cpu[i];
        if (!(c->valid & AIB_PF_FREQ) && need_cpuinfo) {
            if (!have_cpuinfo) {
                read_cpuinfo_mhz(r);
                have_cpuinfo = 1;
            }
            if (isfinite(r->freq[c->id])) {
                c->freq_mhz = r->freq[c->id];
                c->valid |= AIB_PF_FREQ;
            }
        }
        if (c->valid & AIB_PF_FREQ) {
            sum += c->freq_mhz;
            n++;
        }
    }
    if (n) {
        s->total.freq_mhz = sum / n;
        s->total.valid |= AIB_PF_FREQ;
    }
}

/* "Key:   123 kB" in /proc/meminfo, in bytes; 0 if absent. */
static int meminfo_get(const char *buf, const char *key, uint64_t *out)
{
    size_t k = strlen(key);
    for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, k) == 0 && p[k] == ':') {
            unsigned long long kb;
            if (sscanf(p + k + 1, "%llu", &kb) != 1)
                return 0;
            *out = (uint64_t)kb * 1024;
            return 1;
        }
    }
    return 0;
}

static void read_mem(struct aib_procfs_reader *r, struct aib_procfs_sample *s)
{
    if (slurp(r, "proc/meminfo") < 0)
        return;
    if (meminfo_get(r->buf, "MemTotal", &s->mem_total) &&
        meminfo_get(r->buf, "MemAvailable", &s->mem_available) && s->mem_total > 0)
        s->valid |= AIB_PF_MEM;
    if (meminfo_get(r->buf, "SwapTotal", &s->swap_total) &&
        meminfo_get(r->buf, "SwapFree", &s->swap_free))
        s->valid |= AIB_PF_SWAP;
    if (slurp(r, "proc/loadavg") > 0 && sscanf(r->buf, "%lf", &s->load1) == 1)
        s->valid |= AIB_PF_LOAD;
}

/* Whole disks only: partitions, loop, ram, zram, device-mapper and md
 * devices would count the same bytes twice or count memory. */
static int whole_disk(struct aib_procfs_reader *r, const char *name)
{
    static const char *const skip[] = {"loop", "ram", "zram", "dm-", "md"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strncmp(name, skip[i], strlen(skip[i])) == 0)
            return 0;
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/sys/block/%s", r->root, name);
    return stat(path, &st) == 0;
}

/* A rate from a cumulative counter: missing without a previous value, when
 * no time passed, or when the counter went backwards. */
static int rate(uint64_t now, uint64_t prev, int have, double dt, double *out)
{
    if (!have || !(dt > 0) || now < prev)
        return 0;
    *out = (double)(now - prev) / dt;
    return 1;
}

static void read_disk(struct aib_procfs_reader *r, struct aib_procfs_sample *s, double dt)
{
    if (slurp(r, "proc/diskstats") < 0) {
        r->have_disk = 0;
        return;
    }
    uint64_t rd = 0, wr = 0;
    for (char *line = r->buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char name[64];
        unsigned long long f[8];
        /* major minor name reads merged sectors_read ms writes merged sectors_written */
        if (sscanf(line, "%*u %*u %63s %llu %llu %llu %llu %llu %llu %llu", name, &f[0], &f[1],
                   &f[2], &f[3], &f[4], &f[5], &f[6]) == 8 &&
            whole_disk(r, name)) {
            rd += (uint64_t)f[2] * 512;
            wr += (uint64_t)f[6] * 512;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (rate(rd, r->disk_rd, r->have_disk, dt, &s->disk_read_bps) &&
        rate(wr, r->disk_wr, r->have_disk, dt, &s->disk_write_bps))
        s->valid |= AIB_PF_DISK;
    r->disk_rd = rd;
    r->disk_wr = wr;
    r->have_disk = 1;
}

static void read_net(struct aib_procfs_reader *r, struct aib_procfs_sample *s, double dt)
{
    if (slurp(r, "proc/net/dev") < 0) {
        r->have_net = 0;
        return;
    }
    uint64_t rx = 0, tx = 0;
    for (char *line = r->buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            const char *name = line + strspn(line, " ");
            unsigned long long v[9];
            if (strcmp(name, "lo") != 0 &&
                sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
                rx += v[0];
                tx += v[8];
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (rate(rx, r->net_rx, r->have_net, dt, &s->net_rx_bps) &&
        rate(tx, r->net_tx, r->have_net, dt, &s->net_tx_bps))
        s->valid |= AIB_PF_NET;
    r->net_rx = rx;
    r->net_tx = tx;
    r->have_net = 1;
}

int aib_procfs_read(struct aib_procfs_reader *r, double now, struct aib_procfs_sample *s)
{
    memset(s, 0, offsetof(struct aib_procfs_sample, cpu));
    s->t = now;
    s->total.id = -1;
    double dt = r->have_t ? now - r->prev_t : 0;
    s->interval = dt > 0 ? dt : 0;
    r->prev_t = now;
    r->have_t = 1;
    int rc = read_stat(r, s);
    if (rc == 0)
        read_freq(r, s);
    read_mem(r, s);
    read_disk(r, s, dt);
    read_net(r, s, dt);
    return rc;
}
