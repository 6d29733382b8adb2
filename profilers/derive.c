/* Figures derived from profiler values and the timing of one entry. Each
 * one is either computed, with a note saying from what, or missing with the
 * reason its inputs are missing. The work done over the profiled region is
 * exactly iterations x work per iteration (the region holds the timed
 * samples and nothing else of the workload). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "profiler.h"

/* A value's reason for being missing, for the derived figure's note. */
static const char *why(const struct aib_prof_value *v, const char *name)
{
    return !v ? "not measured (profiler off or not for this device)" : v->note[0] ? v->note : name;
}

static bool ok(const struct aib_prof_value *v) { return v && v->valid; }

/* value = a / b, or missing naming the first missing input. */
static int ratio(struct aib_result *r, const char *name, const char *unit,
                 const struct aib_prof_values *all, const char *an, const char *bn)
{
    const struct aib_prof_value *a = aib_prof_values_get(all, an), *b = aib_prof_values_get(all, bn);
    char note[256]; /* truncated to the metric's note by aib_result_set_metric */
    if (ok(a) && ok(b) && b->value > 0) {
        snprintf(note, sizeof note, "%s / %s", an, bn);
        return aib_result_set_metric(r, name, a->value / b->value, unit, 1, note);
    }
    if (!ok(a))
        snprintf(note, sizeof note, "no %s: %s", an, why(a, an));
    else if (!ok(b))
        snprintf(note, sizeof note, "no %s: %s", bn, why(b, bn));
    else
        snprintf(note, sizeof note, "%s is 0", bn);
    return aib_result_set_metric(r, name, 0, unit, 0, note);
}

/* The peak for the result's precision (a "precision=" parameter), if any. */
static int peak_fraction(const struct aib_device *dev, struct aib_result *r)
{
    char note[256]; /* truncated to the metric's note by aib_result_set_metric */
    if (!r->unit[0] || !(r->throughput > 0))
        return 0;
    if (strcmp(r->unit, "GFLOP/s") != 0) {
        snprintf(note, sizeof note, "no peak %s known for %s", r->unit, dev->id);
        return aib_result_set_metric(r, "peak_fraction", 0, "", 0, note);
    }
    const char *p = strstr(r->params, "precision=");
    const char *prec = p ? p + 10 : "fp32";
    size_t plen = strcspn(prec, ",");
    double peak = 0;
    if (strncmp(prec, "fp32", plen) == 0 && plen == 4)
        peak = dev->peak_fp32_gflops;
    else if (strncmp(prec, "fp64", plen) == 0 && plen == 4)
        peak = dev->peak_fp64_gflops;
    else {
        snprintf(note, sizeof note, "no peak known for precision=%.*s", (int)plen, prec);
        return aib_result_set_metric(r, "peak_fraction", 0, "", 0, note);
    }
    if (!(peak > 0)) {
        snprintf(note, sizeof note, "the %.*s peak of %s is unknown", (int)plen, prec, dev->id);
        return aib_result_set_metric(r, "peak_fraction", 0, "", 0, note);
    }
    snprintf(note, sizeof note, "of the %.1f GFLOP/s %.*s peak of %s", peak, (int)plen, prec,
             dev->id);
    return aib_result_set_metric(r, "peak_fraction", r->throughput / peak, "", 1, note);
}

/* flop/byte: from counted memory traffic when there is some, else declared. */
static int intensity(const struct aib_prof_values *all, double iters, struct aib_result *r)
{
    const struct aib_prof_value *llc = aib_prof_values_get(all, "perf.llc_load_misses");
    char note[256]; /* truncated to the metric's note by aib_result_set_metric */
    if (!(r->flops > 0))
        return 0;
    if (ok(llc) && llc->value > 0 && iters > 0)
        return aib_result_set_metric(r, "intensity", r->flops / (llc->value * 64.0 / iters),
                                     "flop/B", 1, "bytes from counters: LLC load misses x 64 B");
    if (r->bytes > 0)
        return aib_result_set_metric(r, "intensity", r->flops / r->bytes, "flop/B", 1,
                                     "bytes declared by the workload");
    snprintf(note, sizeof note, "no bytes: workload declares none; LLC misses: %s",
             why(llc, "perf.llc_load_misses"));
    return aib_result_set_metric(r, "intensity", 0, "flop/B", 0, note);
}

/* Energy over the region: NVML for a GPU, else RAPL package (+ DRAM). */
static int energy(const struct aib_device *dev, const struct aib_prof_values *all, double iters,
                  double region_s, struct aib_result *r)
{
    const struct aib_prof_value *nv = aib_prof_values_get(all, "nvml.energy");
    const struct aib_prof_value *pkg = aib_prof_values_get(all, "rapl.package_energy");
    const struct aib_prof_value *dram = aib_prof_values_get(all, "rapl.dram_energy");
    double j;
    char note[256]; /* truncated to the metric's note by aib_result_set_metric */
    if (dev->kind == AIB_DEV_CUDA) {
        if (!ok(nv)) {
            snprintf(note, sizeof note, "%s", why(nv, "nvml.energy"));
            return aib_result_set_metric(r, "energy", 0, "J", 0, note);
        }
        j = nv->value;
        snprintf(note, sizeof note, "NVML total energy counter of %s", dev->id);
    } else {
        if (!ok(pkg)) {
            snprintf(note, sizeof note, "%s", why(pkg, "rapl.package_energy"));
            return aib_result_set_metric(r, "energy", 0, "J", 0, note);
        }
        j = pkg->value + (ok(dram) ? dram->value : 0);
        snprintf(note, sizeof note, "RAPL package%s (whole socket, not only this process)",
                 ok(dram) ? " + DRAM" : "");
    }
    int rc = aib_result_set_metric(r, "energy", j, "J", 1, note);
    if (rc || !(iters > 0) || !(j > 0))
        return rc;
    rc = aib_result_set_metric(r, "energy_per_iter", j / iters, "J", 1, NULL);
    if (!rc && isfinite(region_s))
        rc = aib_result_set_metric(r, "avg_power", j / region_s, "W", 1,
                                   "energy / profiled time");
    double gflop = r->flops * iters / 1e9, gb = r->bytes * iters / 1e9;
    if (!rc && gflop > 0) {
        rc = aib_result_set_metric(r, "gflops_per_watt", gflop / j, "GFLOP/J", 1,
                                   "GFLOP/s per W = GFLOP per J");
        if (!rc)
            rc = aib_result_set_metric(r, "j_per_gflop", j / gflop, "J/GFLOP", 1, NULL);
    }
    if (!rc && gb > 0)
        rc = aib_result_set_metric(r, "j_per_gb", j / gb, "J/GB", 1, NULL);
    return rc;
}

int aib_prof_derive(const struct aib_device *dev, const struct aib_prof_values *all,
                    double region_s, struct aib_result *r, struct aib_err *err)
{
    double iters = (double)r->nsamples * (double)r->iters_per_sample;
    int rc = 0;
    if (aib_prof_values_get(all, "perf.cycles")) {
        rc = ratio(r, "ipc", "", all, "perf.instructions", "perf.cycles");
        if (!rc)
            rc = ratio(r, "cache_miss_ratio", "", all, "perf.cache_misses",
                       "perf.cache_references");
    }
    const struct aib_prof_value *tc = aib_prof_values_get(all, "perf.task_clock");
    if (!rc && ok(tc) && isfinite(region_s) && region_s > 0)
        rc = aib_result_set_metric(r, "cpus_used", tc->value / region_s, "CPUs", 1,
                                   "task clock / profiled time");
    if (!rc)
        rc = peak_fraction(dev, r);
    if (!rc)
        rc = intensity(all, iters, r);
    if (!rc && (aib_prof_values_get(all, "nvml.energy") ||
                aib_prof_values_get(all, "rapl.package_energy")))
        rc = energy(dev, all, iters, region_s, r);
    if (rc)
        return aib_err_set(err, AIB_ENOMEM, "out of memory deriving figures");
    return 0;
}
