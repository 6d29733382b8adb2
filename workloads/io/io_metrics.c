/* The figures fio would print, as result metrics. Rates come from the timed
 * samples (work per iteration / mean time per iteration: total work over
 * total timed time, as fio reports); latencies from the merged per-job
 * histograms (every IO of the entry, warm-up included, like fio without
 * ramp_time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

/* prefix "lat" gives lat_p50_us ... lat_max_us, lat_mean_us. */
static void put_lat(struct aib_metric_list *m, const char *prefix, const struct aib_hist *h, int all,
                    const char *note)
{
    static const struct {
        const char *name;
        double p;
    } ps[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"max", 100}};
    char name[48];
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        if (!all && i != 0 && i != 2)
            continue;
        snprintf(name, sizeof name, "%s_%s_us", prefix, ps[i].name);
        aib_metric_put(m, name, (double)aib_hist_percentile(h, ps[i].p) / 1e3, "us", h->count > 0,
                       h->count ? (i == 0 ? note : NULL) : "nothing completed");
    }
    if (all) {
        snprintf(name, sizeof name, "%s_mean_us", prefix);
        aib_metric_put(m, name, aib_hist_mean(h) / 1e3, "us", h->count > 0,
                       h->count ? NULL : "nothing completed");
    }
}

int aib_io_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    struct io_state *s = state;
    const struct io_params *p = &s->p;
    struct aib_metric_list m = {r, 0};
    struct aib_hist *hr = malloc(sizeof *hr), *hw = malloc(sizeof *hw), *hs = malloc(sizeof *hs),
                    *ha = malloc(sizeof *ha);
    if (!hr || !hw || !hs || !ha) {
        m.rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto out;
    }
    aib_hist_reset(hr);
    aib_hist_reset(hw);
    aib_hist_reset(hs);
    uint64_t reads = 0, writes = 0, bytes_r = 0, checked = 0;
    unsigned huge = 0;
    for (unsigned i = 0; i < s->njobs; i++) {
        const struct io_job *j = &s->jobs[i];
        huge += (unsigned)j->huge;
        aib_hist_merge(hr, j->hist_r);
        aib_hist_merge(hw, j->hist_w);
        aib_hist_merge(hs, j->hist_sync);
        reads += j->reads;
        writes += j->writes;
        bytes_r += j->bytes_r;
        checked += j->checked + j->read_back;
    }
    *ha = *hr;
    aib_hist_merge(ha, hw);

    double mean = aib_samples_mean(r);
    int ok = mean > 0;
    mean = ok ? mean : 1; /* the rates are then marked missing */
    const char *none = ok ? NULL : "no timed samples";
    char note[128];
    /* Which pages the buffers are on moves large-IO figures (io.h IO_HUGE). */
    const char *pages = huge == s->njobs ? "buffers on 2 MiB pages"
                        : huge ? "buffers partly on 2 MiB pages" : "buffers on 4 KiB pages";
    const char *lat_note = "per IO, submission to completion (fio lat; clat for psync); histogram error <= 0.4%";

    if (p->pattern == P_LOADER) {
        double fps = r->ops / mean;
        double avg = reads ? (double)bytes_r / (double)reads : 0;
        aib_metric_put(&m, "files_s", fps, "files/s", ok, none);
        aib_metric_put(&m, "mb_s", fps * avg / 1e6, "MB/s", ok && reads,
                       ok ? "files/s x mean bytes per file read" : none);
        aib_metric_put(&m, "mean_file_kib", avg / 1024, "KiB", reads > 0, NULL);
        put_lat(&m, "file_lat", hr, 1, "per file: open, read whole, close");
        aib_metric_put(&m, "files_read", (double)reads, "files", 1, "warm-up included");
        snprintf(note, sizeof note, "files: %lld, reader threads: %lld, %s, %s", (long long)p->files,
                 (long long)p->jobs, p->direct ? "O_DIRECT" : "buffered", pages);
        aib_metric_put(&m, "jobs", (double)p->jobs, "", 1, note);
        aib_metric_put(&m, "verified_files", (double)checked, "files", 1,
                       "size and the 512-byte headers of every file (every 4 KiB above 64 KiB); "
                       "every byte of 1 file in 64");
        goto out;
    }
    double iops = r->ops / mean;
    aib_metric_put(&m, "mb_s", r->bytes / mean / 1e6, "MB/s", ok, none);
    aib_metric_put(&m, "iops", iops, "IO/s", ok, none);
    put_lat(&m, "lat", ha, 1, lat_note);
    if (p->pattern == P_RWMIX) {
        double share = reads + writes ? (double)reads / (double)(reads + writes) : 0;
        aib_metric_put(&m, "read_iops", iops * share, "IO/s", ok, none);
        aib_metric_put(&m, "write_iops", iops * (1 - share), "IO/s", ok, none);
        put_lat(&m, "read_lat", hr, 0, NULL);
        put_lat(&m, "write_lat", hw, 0, NULL);
    }
    if (p->fsync) {
        aib_metric_put(&m, "fsyncs", (double)hs->count, "", 1, NULL);
        put_lat(&m, "fsync_lat", hs, 0, NULL);
    }
    snprintf(note, sizeof note, "engine %s, %s, %lld job(s), %s",
             p->engine == E_URING ? "io_uring (liburing)" : "psync (pread/pwrite)",
             p->direct ? "O_DIRECT" : "buffered", (long long)p->jobs, pages);
    aib_metric_put(&m, "iodepth", (double)p->iodepth, "", 1, note);
    aib_metric_put(&m, "verified_ios", (double)checked, "IOs", 1,
                   "every 512-byte header of every read (every 4 KiB above 64 KiB); every byte of "
                   "1 read in 64 (fewer above 256 KiB); the last 64 writes per job read back byte "
                   "by byte");
out:
    free(hr);
    free(hw);
    free(hs);
    free(ha);
    return aib_metric_list_end(&m, err);
}
