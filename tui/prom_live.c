/* The live exporter (see prom_serve.h): host telemetry from the procfs
 * sampler, GPU telemetry from NVML, the device list as info, rendered on
 * the sampler's thread after each sample and handed to the server. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prom_nvml.h"
#include "prom_serve.h"

void aib_prom_totals_add(struct aib_prom_totals *t, const struct aib_procfs_sample *s)
{
    t->samples++;
    if (!(s->interval > 0))
        return; /* the first sample has no rates */
    /* rate x interval is the difference of the kernel's byte counters the
     * rate came from: a whole number, recovered exactly by rounding */
    if (s->valid & AIB_PF_DISK) {
        t->disk_read += round(s->disk_read_bps * s->interval);
        t->disk_written += round(s->disk_write_bps * s->interval);
        t->valid |= AIB_PF_DISK;
    }
    if (s->valid & AIB_PF_NET) {
        t->net_rx += round(s->net_rx_bps * s->interval);
        t->net_tx += round(s->net_tx_bps * s->interval);
        t->valid |= AIB_PF_NET;
    }
}

struct fam {
    const char *name;
    enum aib_prom_type type;
    const char *help;
};

/* Every family, in the order they are written. */
static const struct fam fams[] = {
    {"aibench_telemetry_samples_total", AIB_PROM_COUNTER,
     "Host telemetry samples taken since this aibench started."},
    {"aibench_telemetry_interval_seconds", AIB_PROM_GAUGE, "Seconds between telemetry samples."},
    {"aibench_telemetry_timestamp_seconds", AIB_PROM_GAUGE,
     "When the metrics were last refreshed, in Unix time."},
    {"aibench_device_info", AIB_PROM_GAUGE,
     "A compute device aibench sees (always 1), with its kind and name."},
    {"aibench_backend_available", AIB_PROM_GAUGE,
     "1 when a device backend (cpu, opencl, cuda) works here, 0 when it is unavailable "
     "('aibench devices' says why)."},
    {"aibench_host_cpus", AIB_PROM_GAUGE, "CPUs listed in /proc/stat."},
    {"aibench_host_utilization_ratio", AIB_PROM_GAUGE,
     "Busy fraction of all CPUs together over the last sampling interval."},
    {"aibench_host_cpu_utilization_ratio", AIB_PROM_GAUGE,
     "Busy fraction of each CPU over the last sampling interval."},
    {"aibench_host_cpu_frequency_hertz", AIB_PROM_GAUGE,
     "Current clock of each CPU (cpufreq, else /proc/cpuinfo)."},
    {"aibench_host_memory_total_bytes", AIB_PROM_GAUGE, "MemTotal of /proc/meminfo."},
    {"aibench_host_memory_available_bytes", AIB_PROM_GAUGE, "MemAvailable of /proc/meminfo."},
    {"aibench_host_swap_total_bytes", AIB_PROM_GAUGE, "SwapTotal of /proc/meminfo."},
    {"aibench_host_swap_free_bytes", AIB_PROM_GAUGE, "SwapFree of /proc/meminfo."},
    {"aibench_host_load1", AIB_PROM_GAUGE, "1-minute load average."},
    {"aibench_host_disk_read_bytes_total", AIB_PROM_COUNTER,
     "Bytes read from whole disks (not loop, ram, zram, dm or md) since this aibench started."},
    {"aibench_host_disk_written_bytes_total", AIB_PROM_COUNTER,
     "Bytes written to whole disks (not loop, ram, zram, dm or md) since this aibench started."},
    {"aibench_host_network_receive_bytes_total", AIB_PROM_COUNTER,
     "Bytes received on every interface but lo since this aibench started."},
    {"aibench_host_network_transmit_bytes_total", AIB_PROM_COUNTER,
     "Bytes sent on every interface but lo since this aibench started."},
    {"aibench_gpu_info", AIB_PROM_GAUGE,
     "An NVIDIA GPU seen through NVML (always 1), with its name, UUID and aibench device id."},
    {"aibench_gpu_utilization_ratio", AIB_PROM_GAUGE,
     "Fraction of the last sample period a kernel ran on the GPU (NVML)."},
    {"aibench_gpu_memory_utilization_ratio", AIB_PROM_GAUGE,
     "Fraction of the last sample period device memory was read or written (NVML)."},
    {"aibench_gpu_memory_used_bytes", AIB_PROM_GAUGE, "Device memory in use."},
    {"aibench_gpu_memory_total_bytes", AIB_PROM_GAUGE, "Device memory in all."},
    {"aibench_gpu_power_watts", AIB_PROM_GAUGE, "Power draw of the board."},
    {"aibench_gpu_temperature_celsius", AIB_PROM_GAUGE, "GPU core temperature."},
    {"aibench_gpu_sm_clock_hertz", AIB_PROM_GAUGE, "Current SM clock."},
    {"aibench_gpu_memory_clock_hertz", AIB_PROM_GAUGE, "Current memory clock."},
    {"aibench_gpu_energy_joules_total", AIB_PROM_COUNTER,
     "Energy used by the GPU since the driver was loaded."},
};

static const char *kind_name(unsigned kind)
{
    return kind == AIB_DEV_CPU ? "cpu" : kind == AIB_DEV_OPENCL ? "opencl" : "cuda";
}

static int add1(struct aib_prom *p, const char *fam, const char *lname, const char *lvalue,
                double v, struct aib_err *err)
{
    struct aib_prom_label l = {lname, lvalue};
    return aib_prom_add(p, fam, lname ? &l : NULL, lname ? 1 : 0, v, err);
}

static int render_host(struct aib_prom *p, const struct aib_procfs_sample *s,
                       const struct aib_prom_totals *t, struct aib_err *err)
{
    int rc = 0;
    char id[16];
    if (s->ncpus)
        rc = add1(p, "aibench_host_cpus", NULL, NULL, s->ncpus, err);
    if (!rc && (s->total.valid & AIB_PF_UTIL))
        rc = add1(p, "aibench_host_utilization_ratio", NULL, NULL, s->total.util, err);
    for (unsigned i = 0; i < s->ncpus && !rc; i++) {
        const struct aib_procfs_cpu *c = &s->cpu[i];
        snprintf(id, sizeof id, "%d", c->id);
        if (c->valid & AIB_PF_UTIL)
            rc = add1(p, "aibench_host_cpu_utilization_ratio", "cpu", id, c->util, err);
        if (!rc && (c->valid & AIB_PF_FREQ))
            rc = add1(p, "aibench_host_cpu_frequency_hertz", "cpu", id, c->freq_mhz * 1e6, err);
    }
    if (!rc && (s->valid & AIB_PF_MEM)) {
        rc = add1(p, "aibench_host_memory_total_bytes", NULL, NULL, (double)s->mem_total, err);
        rc = rc ? rc
                : add1(p, "aibench_host_memory_available_bytes", NULL, NULL,
                       (double)s->mem_available, err);
    }
    if (!rc && (s->valid & AIB_PF_SWAP)) {
        rc = add1(p, "aibench_host_swap_total_bytes", NULL, NULL, (double)s->swap_total, err);
        rc = rc ? rc
                : add1(p, "aibench_host_swap_free_bytes", NULL, NULL, (double)s->swap_free, err);
    }
    if (!rc && (s->valid & AIB_PF_LOAD))
        rc = add1(p, "aibench_host_load1", NULL, NULL, s->load1, err);
    if (!rc && (t->valid & AIB_PF_DISK)) {
        rc = add1(p, "aibench_host_disk_read_bytes_total", NULL, NULL, t->disk_read, err);
        rc = rc ? rc
                : add1(p, "aibench_host_disk_written_bytes_total", NULL, NULL, t->disk_written,
                       err);
    }
    if (!rc && (t->valid & AIB_PF_NET)) {
        rc = add1(p, "aibench_host_network_receive_bytes_total", NULL, NULL, t->net_rx, err);
        rc = rc ? rc
                : add1(p, "aibench_host_network_transmit_bytes_total", NULL, NULL, t->net_tx,
                       err);
    }
    return rc;
}

static int render_gpu(struct aib_prom *p, const struct aib_prom_gpu *g, struct aib_err *err)
{
    static const struct {
        unsigned bit;
        const char *fam;
        size_t off;
    } v[] = {
        {AIB_PG_UTIL, "aibench_gpu_utilization_ratio", offsetof(struct aib_prom_gpu, util)},
        {AIB_PG_MEM_UTIL, "aibench_gpu_memory_utilization_ratio",
         offsetof(struct aib_prom_gpu, mem_util)},
        {AIB_PG_MEM, "aibench_gpu_memory_used_bytes", offsetof(struct aib_prom_gpu, mem_used)},
        {AIB_PG_MEM, "aibench_gpu_memory_total_bytes", offsetof(struct aib_prom_gpu, mem_total)},
        {AIB_PG_POWER, "aibench_gpu_power_watts", offsetof(struct aib_prom_gpu, power_w)},
        {AIB_PG_TEMP, "aibench_gpu_temperature_celsius", offsetof(struct aib_prom_gpu, temp_c)},
        {AIB_PG_SM_CLOCK, "aibench_gpu_sm_clock_hertz", offsetof(struct aib_prom_gpu, sm_hz)},
        {AIB_PG_MEM_CLOCK, "aibench_gpu_memory_clock_hertz",
         offsetof(struct aib_prom_gpu, mem_hz)},
        {AIB_PG_ENERGY, "aibench_gpu_energy_joules_total",
         offsetof(struct aib_prom_gpu, energy_j)},
    };
    char idx[16];
    snprintf(idx, sizeof idx, "%u", g->index);
    const struct aib_prom_label info[] = {
        {"gpu", idx}, {"name", g->name}, {"uuid", g->uuid}, {"device", g->device}};
    int rc = aib_prom_add(p, "aibench_gpu_info", info, 4, 1, err);
    for (size_t i = 0; i < sizeof v / sizeof v[0] && !rc; i++)
        if (g->valid & v[i].bit) {
            double x = *(const double *)((const char *)g + v[i].off);
            rc = add1(p, v[i].fam, "gpu", idx, x, err);
        }
    return rc;
}

int aib_prom_live_render(struct aib_prom *p, const struct aib_devlist *devs,
                         const struct aib_procfs_sample *s, const struct aib_prom_totals *t,
                         double interval_s, const struct aib_prom_gpu *gpus, size_t ngpus,
                         double now_unix, struct aib_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof fams / sizeof fams[0] && !rc; i++)
        rc = aib_prom_family(p, fams[i].name, fams[i].type, fams[i].help, err);
    rc = rc ? rc : add1(p, "aibench_telemetry_samples_total", NULL, NULL, (double)t->samples, err);
    rc = rc ? rc : add1(p, "aibench_telemetry_interval_seconds", NULL, NULL, interval_s, err);
    rc = rc ? rc : add1(p, "aibench_telemetry_timestamp_seconds", NULL, NULL, now_unix, err);
    for (size_t i = 0; i < devs->len && !rc; i++) {
        const struct aib_device *d = &devs->items[i];
        const struct aib_prom_label l[] = {
            {"device", d->id}, {"kind", kind_name(d->kind)}, {"name", d->name}};
        rc = aib_prom_add(p, "aibench_device_info", l, 3, 1, err);
    }
    for (size_t i = 0; i < devs->nbackends && !rc; i++)
        rc = add1(p, "aibench_backend_available", "backend", devs->backends[i].name,
                  devs->backends[i].available ? 1 : 0, err);
    if (!rc && s)
        rc = render_host(p, s, t, err);
    for (size_t i = 0; i < ngpus && !rc; i++)
        rc = render_gpu(p, &gpus[i], err);
    return rc;
}

/* --- the sampler glue ---------------------------------------------------------- */

struct aib_prom_live {
    const struct aib_devlist *devs;
    struct aib_prom_server *srv;
    double interval;
    struct aib_procfs_sampler *ps;
    /* the sampler thread's own from here on */
    struct aib_prom_totals totals;
    struct aib_prom_gpus *gpus; /* NULL: no NVML here */
};

/* On the sampler thread after each sample. A failure leaves the previous
 * text served (a scrape sees the timestamp stop moving). */
static void on_sample(void *ctx, const struct aib_procfs_sample *s)
{
    struct aib_prom_live *l = ctx;
    struct aib_prom *p = NULL;
    struct aib_err err = {0};
    char *text = NULL;
    size_t len = 0;
    const struct aib_prom_gpu *g = NULL;
    size_t ng = aib_prom_gpus_read(l->gpus, &g);
    aib_prom_totals_add(&l->totals, s);
    if (aib_prom_new(&p, &err) == 0 &&
        aib_prom_live_render(p, l->devs, s, &l->totals, l->interval, g, ng, (double)time(NULL),
                             &err) == 0 &&
        aib_prom_render(p, &text, &len, &err) == 0)
        aib_prom_server_publish(l->srv, text, len);
    free(text);
    aib_prom_free(p);
}

int aib_prom_live_start(const struct aib_devlist *devs, double interval_s,
                        struct aib_prom_server *srv, struct aib_prom_live **out,
                        struct aib_err *err)
{
    struct aib_prom_live *l = calloc(1, sizeof *l);
    if (!l)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    l->devs = devs;
    l->srv = srv;
    l->interval = interval_s;
    /* Without a driver there is simply no GPU series (never zeros). */
    aib_prom_gpus_open(NULL, devs, &l->gpus);
    struct aib_procfs_opts o = {.interval_s = interval_s,
                                .on_sample = on_sample,
                                .ctx = l,
                                .thread_name = "aib-prom-telem"};
    int rc = aib_procfs_start(&o, &l->ps, err);
    if (rc) {
        aib_prom_gpus_close(l->gpus);
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void aib_prom_live_stop(struct aib_prom_live *l)
{
    if (!l)
        return;
    aib_procfs_stop(l->ps);
    aib_prom_gpus_close(l->gpus);
    free(l);
}
