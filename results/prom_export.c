/* Stored runs as a node_exporter textfile (see prom.h): what a run
 * measured becomes gauges labelled by run, host, workload, device and
 * parameters; the file is replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "prom.h"
#include "store.h"

enum { L_RUN, L_HOST, L_WORKLOAD, L_DEVICE, L_PARAMS, L_EXTRA, NL };

static const struct {
    const char *name, *help;
} stat_fam[] = {
    {"aibench_result_median_seconds", "Median time per iteration."},
    {"aibench_result_ci_lower_seconds",
     "Lower end of the 95% confidence interval of the median time per iteration."},
    {"aibench_result_ci_upper_seconds",
     "Upper end of the 95% confidence interval of the median time per iteration."},
    {"aibench_result_min_seconds", "Shortest time per iteration of any timed sample."},
    {"aibench_result_mean_seconds", "Mean time per iteration over the timed samples."},
    {"aibench_result_p95_seconds", "95th percentile of the time per iteration."},
    {"aibench_result_stddev_seconds", "Standard deviation of the time per iteration."},
    {"aibench_result_cv_ratio", "Coefficient of variation of the time per iteration."},
    {"aibench_result_samples", "Timed samples taken (each one a batch of iterations)."},
    {"aibench_result_iterations_per_sample", "Iterations timed together in one sample."},
    {"aibench_result_outliers",
     "Samples further than 3 x 1.4826 x MAD from the median (kept in the statistics)."},
};
#define NSTAT (sizeof stat_fam / sizeof stat_fam[0])

static int declare(struct aib_prom *p, struct aib_err *err)
{
    int rc = aib_prom_family(p, "aibench_run_info", AIB_PROM_GAUGE,
                             "An aibench run (always 1), with its host, suite, status and "
                             "git commit as labels.",
                             err);
    rc = rc ? rc
            : aib_prom_family(p, "aibench_run_start_timestamp_seconds", AIB_PROM_GAUGE,
                              "When the run started, in Unix time.", err);
    rc = rc ? rc
            : aib_prom_family(p, "aibench_run_end_timestamp_seconds", AIB_PROM_GAUGE,
                              "When the run ended, in Unix time.", err);
    rc = rc ? rc
            : aib_prom_family(p, "aibench_result_status", AIB_PROM_GAUGE,
                              "A result of a run (always 1), with its status (ok, failed, "
                              "interrupted, skipped) as a label.",
                              err);
    rc = rc ? rc
            : aib_prom_family(p, "aibench_result_throughput", AIB_PROM_GAUGE,
                              "Work per iteration over the median time per iteration, in the "
                              "unit the unit label names (GFLOP/s, GB/s, op/s).",
                              err);
    for (size_t i = 0; i < NSTAT && !rc; i++)
        rc = aib_prom_family(p, stat_fam[i].name, AIB_PROM_GAUGE, stat_fam[i].help, err);
    return rc;
}

/* The result's stored metrics that hold a number: one family each, in base
 * units. A missing metric (valid == 0) is left out, never written as 0. */
static int add_metrics(struct aib_prom *p, const struct aib_result *r,
                       const struct aib_prom_label *l, struct aib_err *err)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct aib_metric *m = &r->metrics[i];
        char name[160], src[96], help[1024];
        double scale;
        int rc;
        if (!m->valid || !isfinite(m->value) ||
            !aib_prom_metric_for("aibench_metric", m->name, m->unit, name, sizeof name, &scale))
            continue;
        /* The help names the stored metrics the family comes from (io's
         * mb_s and net's gbit_s both become ..._bytes_per_second). */
        snprintf(src, sizeof src, "%s%s%s%s", m->name, *m->unit ? " [" : "", m->unit,
                 *m->unit ? "]" : "");
        const char *old = aib_prom_help(p, name);
        if (!old) {
            snprintf(help, sizeof help,
                     "Metric stored with results (docs/metrics.md), in base units, from: %s",
                     src);
            if ((rc = aib_prom_family(p, name, AIB_PROM_GAUGE, help, err)))
                return rc;
        } else if (!strstr(old, src) && strlen(old) + strlen(src) + 3 < sizeof help) {
            size_t ol = strlen(old);
            memcpy(help, old, ol);
            memcpy(help + ol, ", ", 2);
            memcpy(help + ol + 2, src, strlen(src) + 1);
            if ((rc = aib_prom_set_help(p, name, help, err)))
                return rc;
        }
        /* Two stored names that map to one family name: the first is kept. */
        if (aib_prom_has(p, name, l, L_EXTRA))
            continue;
        if ((rc = aib_prom_add(p, name, l, L_EXTRA, m->value * scale, err)))
            return rc;
    }
    return 0;
}

static int add_result(struct aib_prom *p, const struct aib_run *run, const struct aib_result *r,
                      struct aib_err *err)
{
    struct aib_prom_label l[NL] = {
        {"run", run->uuid},       {"host", run->host},     {"workload", r->workload},
        {"device", r->device},    {"params", r->params},   {"status", r->status},
    };
    int rc = aib_prom_add(p, "aibench_result_status", l, NL, 1, err);
    if (rc || strcmp(r->status, AIB_STATUS_FAILED) == 0 || r->st.n == 0)
        return rc; /* a failed result has no speed */
    if (r->throughput > 0 && isfinite(r->throughput)) {
        l[L_EXTRA] = (struct aib_prom_label){"unit", r->unit};
        if ((rc = aib_prom_add(p, "aibench_result_throughput", l, NL, r->throughput, err)))
            return rc;
    }
    const double v[NSTAT] = {r->st.median, r->st.ci_lo, r->st.ci_hi, r->st.min, r->st.mean,
                             r->st.p95,    r->st.stddev, r->st.cv,   (double)r->st.n,
                             (double)r->iters_per_sample, (double)r->st.outliers};
    for (size_t i = 0; i < NSTAT && !rc; i++)
        if (isfinite(v[i]))
            rc = aib_prom_add(p, stat_fam[i].name, l, L_EXTRA, v[i], err);
    return rc ? rc : add_metrics(p, r, l, err);
}

int aib_prom_add_run(struct aib_prom *p, const struct aib_run *run,
                     const struct aib_result *results, size_t nresults, struct aib_err *err)
{
    int rc = declare(p, err);
    if (rc)
        return rc;
    const char *ver = aib_kv_get(&run->env, "aibench.version");
    const struct aib_prom_label info[] = {
        {"run", run->uuid},
        {"host", run->host},
        {"suite", run->suite},
        {"status", run->status},
        {"git_commit", run->git_commit},
        {"git_branch", run->git_branch},
        {"aibench_version", ver ? ver : ""},
    };
    const struct aib_prom_label id[] = {{"run", run->uuid}, {"host", run->host}};
    rc = aib_prom_add(p, "aibench_run_info", info, sizeof info / sizeof info[0], 1, err);
    if (!rc && run->started > 0)
        rc = aib_prom_add(p, "aibench_run_start_timestamp_seconds", id, 2, run->started, err);
    if (!rc && run->ended > 0)
        rc = aib_prom_add(p, "aibench_run_end_timestamp_seconds", id, 2, run->ended, err);
    for (size_t i = 0; i < nresults && !rc; i++) {
        /* The same workload, device and parameters twice in one run (a
         * suite may list an entry twice): the first one stands for both. */
        bool again = false;
        for (size_t j = 0; j < i && !again; j++)
            again = strcmp(results[j].workload, results[i].workload) == 0 &&
                    strcmp(results[j].device, results[i].device) == 0 &&
                    strcmp(results[j].params, results[i].params) == 0;
        if (!again)
            rc = add_result(p, run, &results[i], err);
    }
    return rc;
}

int aib_prom_check_path(const char *path, struct aib_err *err)
{
    struct stat sb;
    if (!path || !*path)
        return aib_err_set(err, AIB_EUSAGE, "no file to write the Prometheus metrics to");
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "cannot write '%s': it is a directory", path);
    const char *slash = strrchr(path, '/');
    if (slash && !slash[1])
        return aib_err_set(err, AIB_EUSAGE, "cannot write '%s': no file name", path);
    char dir[4096];
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "cannot write '%s': no directory '%s'", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return aib_err_set(err, AIB_EUSAGE, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* Writes through a hidden temporary file in the same directory (not named
 * *.prom, so the textfile collector never reads it) and renames it. */
static int write_atomic(const char *path, const char *text, size_t len, struct aib_err *err)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t tlen = dlen + strlen(base) + 16;
    char *tmp = malloc(tlen);
    if (!tmp)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    if (slash)
        snprintf(tmp, tlen, "%.*s/.%s.XXXXXX", (int)dlen, path, base);
    else
        snprintf(tmp, tlen, ".%s.XXXXXX", base);
    if (slash && dlen == 0) /* "/name": the root directory */
        snprintf(tmp, tlen, "/.%s.XXXXXX", base);
    int rc = 0, fd = mkstemp(tmp);
    if (fd < 0) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = aib_err_set(err, AIB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
            break;
        }
        done += (size_t)w;
    }
    /* node_exporter often runs as another user: the file must be readable. */
    if (!rc && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc = aib_err_set(err, AIB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = aib_err_set(err, AIB_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = aib_err_set(err, AIB_EUSAGE, "cannot replace '%s': %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

int aib_prom_export_runs(struct aib_store *st, const int64_t *run_ids, size_t n, const char *path,
                         struct aib_err *err)
{
    int rc = aib_prom_check_path(path, err);
    if (rc)
        return rc;
    if (n == 0)
        return aib_err_set(err, AIB_EUSAGE, "no runs to export");
    struct aib_prom *p = NULL;
    struct aib_run run = {0};
    struct aib_result *res = NULL;
    size_t nres = 0;
    char *text = NULL;
    size_t len = 0;
    rc = aib_prom_new(&p, err);
    for (size_t i = 0; i < n && !rc; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= run_ids[j] == run_ids[i];
        if (seen)
            continue;
        char ref[32];
        snprintf(ref, sizeof ref, "%" PRId64, run_ids[i]);
        rc = aib_store_load_run(st, ref, &run, &res, &nres, err);
        if (!rc)
            rc = aib_prom_add_run(p, &run, res, nres, err);
        aib_run_free(&run);
        aib_results_free(res, nres);
        res = NULL;
        nres = 0;
    }
    if (!rc)
        rc = aib_prom_render(p, &text, &len, err);
    if (!rc)
        rc = write_atomic(path, text, len, err);
    free(text);
    aib_prom_free(p);
    return rc;
}
