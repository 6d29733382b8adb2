/* The roofline model (roofline.h): ceilings from measured results and
 * declared peaks, points placed under them, and the verdicts. No I/O. */
#include "roofline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/params.h"
#include "../workloads/conv/layers.h"
#include "../workloads/matmul/shapes.h"

/* A faster cache-resident membw result becomes a cache ceiling only when it
 * beats main memory by this much (else it adds a line that says nothing). */
#define CACHE_CEIL_MIN_RATIO 1.25

const char *aib_roof_bound_name(enum aib_roof_bound b)
{
    switch (b) {
    case AIB_ROOF_COMPUTE: return "compute-bound";
    case AIB_ROOF_MEMORY: return "memory-bound";
    case AIB_ROOF_NEITHER: return "neither";
    case AIB_ROOF_UNPLACED: break;
    }
    return "not placed";
}

/* --- the pure model ---------------------------------------------------------- */

double aib_roof_attainable(double peak, double bw, double intensity)
{
    bool p = isfinite(peak) && peak > 0;
    bool b = isfinite(bw) && bw > 0 && isfinite(intensity) && intensity > 0;
    if (!(isfinite(intensity) && intensity > 0))
        return 0;
    if (p && b)
        return fmin(peak, intensity * bw);
    return p ? peak : b ? intensity * bw : 0;
}

enum aib_roof_bound aib_roof_classify(double gflops, double intensity, double peak, double bw,
                                      double *roof, double *fraction)
{
    double a = aib_roof_attainable(peak, bw, intensity);
    *roof = a;
    *fraction = 0;
    if (!(a > 0) || !isfinite(gflops) || gflops <= 0)
        return AIB_ROOF_UNPLACED;
    *fraction = gflops / a;
    if (*fraction < AIB_ROOF_BOUND_FRACTION)
        return AIB_ROOF_NEITHER;
    bool have_bw = isfinite(bw) && bw > 0;
    return peak > 0 && (!have_bw || peak <= intensity * bw) ? AIB_ROOF_COMPUTE : AIB_ROOF_MEMORY;
}

bool aib_roof_param(const char *params, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = params; p && *p;) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            snprintf(buf, len, "%.*s", (int)strcspn(v, ","), v);
            return true;
        }
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return false;
}

static double num_param(const char *params, const char *key, double def)
{
    char buf[64], *end;
    if (!aib_roof_param(params, key, buf, sizeof buf))
        return def;
    double v = strtod(buf, &end);
    return end != buf && *end == '\0' ? v : def;
}

/* Bytes per element read (in) and written (out) at a precision; the output
 * of bf16, int8 and fp8 products is wider (fp32 / int32 accumulators on
 * CPUs; the CUDA library paths write bf16 and fp16). */
static void elem_sizes(const char *params, bool cuda, double *in, double *out)
{
    char p[16] = "fp32";
    aib_roof_param(params, "precision", p, sizeof p);
    static const struct {
        const char *name;
        double in, out, cuda_out;
    } t[] = {{"fp64", 8, 8, 8}, {"fp32", 4, 4, 4}, {"tf32", 4, 4, 4}, {"fp16", 2, 2, 2},
             {"bf16", 2, 4, 2}, {"int8", 1, 4, 4}, {"fp8", 1, 2, 2}};
    *in = *out = 4;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(p, t[i].name) == 0)
            *in = t[i].in, *out = cuda ? t[i].cuda_out : t[i].out;
}

static double matmul_traffic(const char *params, double in, double out)
{
    char shape[AIB_PARAM_STR_MAX];
    double m, n, k;
    if (aib_roof_param(params, "shape", shape, sizeof shape) && strcmp(shape, "none") != 0) {
        const struct aib_gemm_shape *s = aib_gemm_shape_find(shape);
        if (!s)
            return 0;
        m = (double)s->m, n = (double)s->n, k = (double)s->k;
    } else {
        n = num_param(params, "n", 0);
        m = num_param(params, "m", 0);
        k = num_param(params, "k", 0);
        m = m > 0 ? m : n;
        k = k > 0 ? k : n;
    }
    if (!(m > 0 && n > 0 && k > 0))
        return 0;
    return in * (m * k + k * n) + out * m * n;
}

static double conv_traffic(const char *params, double in, double out)
{
    char layer[AIB_PARAM_STR_MAX];
    double n = num_param(params, "n", 1), c = num_param(params, "c", 0);
    double h = num_param(params, "h", 0), w = num_param(params, "w", 0);
    double k = num_param(params, "k", 0), r = num_param(params, "r", 0);
    double s = num_param(params, "s", 0), stride = num_param(params, "stride", 1);
    double pad = num_param(params, "pad", 0), dil = num_param(params, "dilation", 1);
    double groups = num_param(params, "groups", 1);
    if (aib_roof_param(params, "layer", layer, sizeof layer) && strcmp(layer, "none") != 0) {
        const struct aib_conv_layer *l = aib_conv_layer_find(layer);
        if (!l)
            return 0;
        c = l->c, h = l->h, w = l->w, k = l->k, r = l->r, s = l->s;
        stride = l->stride, pad = l->pad, dil = l->dilation, groups = l->groups;
    }
    if (!(n > 0 && c > 0 && h > 0 && w > 0 && k > 0 && r > 0 && s > 0 && stride > 0 &&
          groups > 0))
        return 0;
    double p = floor((h + 2 * pad - dil * (r - 1) - 1) / stride) + 1;
    double q = floor((w + 2 * pad - dil * (s - 1) - 1) / stride) + 1;
    if (!(p > 0 && q > 0))
        return 0;
    return in * (n * c * h * w + k * (c / groups) * r * s) + out * n * k * p * q;
}

static double traffic(const char *workload, const char *params, bool cuda)
{
    double in, out;
    elem_sizes(params, cuda, &in, &out);
    if (strcmp(workload, "matmul") == 0)
        return matmul_traffic(params, in, out);
    if (strcmp(workload, "conv") == 0)
        return conv_traffic(params, in, out);
    return 0;
}

double aib_roof_traffic(const char *workload, const char *params)
{
    return traffic(workload, params, false);
}

double aib_roof_intensity(const struct aib_result *r, char *src, size_t len)
{
    const struct aib_metric *m = aib_result_metric(r, "intensity");
    if (m && m->valid && isfinite(m->value) && m->value > 0) {
        snprintf(src, len, "%s", m->note[0] ? m->note : "intensity metric");
        return m->value;
    }
    if (!(r->flops > 0)) {
        snprintf(src, len, "no flops: not a compute result");
        return 0;
    }
    if (r->bytes > 0) {
        snprintf(src, len, "bytes declared by the workload");
        return r->flops / r->bytes;
    }
    double t = traffic(r->workload, r->params, strncmp(r->device, "cuda", 4) == 0);
    if (t > 0) {
        snprintf(src, len, "compulsory traffic (operands read once, output written once)");
        return r->flops / t;
    }
    snprintf(src, len, "no bytes: not declared by the workload and no memory counters");
    return 0;
}

double aib_roof_cache_bytes(const char *text)
{
    static const struct {
        const char *unit;
        double scale;
    } u[] = {{"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
             {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}};
    char unit[8];
    double size, count = 1;
    if (!text || sscanf(text, "%lf %7s x %lf", &size, unit, &count) < 2 || !(size > 0) ||
        !(count >= 1))
        return 0;
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (strcmp(unit, u[i].unit) == 0)
            return size * u[i].scale * count;
    return 0;
}

/* --- building ---------------------------------------------------------------- */

static bool ok_result(const struct aib_result *r, const char *unit)
{
    return strcmp(r->status, AIB_STATUS_OK) == 0 && strcmp(r->unit, unit) == 0 &&
           isfinite(r->throughput) && r->throughput > 0;
}

static void precision_of(const struct aib_result *r, char *buf, size_t len)
{
    if (!aib_roof_param(r->params, "precision", buf, len))
        snprintf(buf, len, "fp32");
}

static struct aib_roof_ceiling *ceil_add(struct aib_roofline *rl)
{
    if (rl->nceil == rl->ceil_cap) {
        size_t cap = rl->ceil_cap ? rl->ceil_cap * 2 : 8;
        struct aib_roof_ceiling *n = realloc(rl->ceil, cap * sizeof *n);
        if (!n)
            return NULL;
        rl->ceil = n, rl->ceil_cap = cap;
    }
    struct aib_roof_ceiling *c = &rl->ceil[rl->nceil++];
    memset(c, 0, sizeof *c);
    return c;
}

int aib_roof_find(const struct aib_roofline *rl, const char *device, enum aib_roof_ceil_kind kind,
                  const char *precision)
{
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        if (c->kind == kind && strcmp(c->device, device) == 0 &&
            (kind != AIB_CEIL_COMPUTE || strcmp(c->precision, precision) == 0))
            return (int)i;
    }
    return -1;
}

static bool has_device(const struct aib_roof_source *s0, const char *device)
{
    for (size_t i = 0; i < s0->n; i++)
        if (strcmp(s0->res[i].device, device) == 0)
            return true;
    return false;
}

static void measured(struct aib_roof_ceiling *c, const struct aib_result *r, int64_t run_id)
{
    c->value = r->throughput;
    c->declared = false;
    c->run_id = run_id;
    c->result_id = r->id;
    c->working_set = c->kind == AIB_CEIL_COMPUTE ? 0 : r->bytes;
    snprintf(c->source, sizeof c->source, "result %lld (run %lld): %s %s", (long long)r->id,
             (long long)run_id, r->workload, r->params);
}

/* The fastest matmul / peak result per (device, precision). */
static int compute_ceilings(const struct aib_roof_source *src, size_t nsrc,
                            struct aib_roofline *rl)
{
    char prec[16];
    for (size_t s = 0; s < nsrc; s++) {
        for (size_t i = 0; i < src[s].n; i++) {
            const struct aib_result *r = &src[s].res[i];
            if ((strcmp(r->workload, "matmul") != 0 && strcmp(r->workload, "peak") != 0) ||
                !ok_result(r, "GFLOP/s") || !has_device(&src[0], r->device))
                continue;
            precision_of(r, prec, sizeof prec);
            int k = aib_roof_find(rl, r->device, AIB_CEIL_COMPUTE, prec);
            if (k >= 0 && rl->ceil[k].value >= r->throughput)
                continue;
            struct aib_roof_ceiling *c = k >= 0 ? &rl->ceil[k] : ceil_add(rl);
            if (!c)
                return AIB_ENOMEM;
            c->kind = AIB_CEIL_COMPUTE;
            snprintf(c->device, sizeof c->device, "%s", r->device);
            snprintf(c->precision, sizeof c->precision, "%s", prec);
            measured(c, r, src[s].run_id);
        }
    }
    return 0;
}

/* A declared peak for each point's precision that has no measured one. */
static int declared_ceilings(const struct aib_roof_source *s0, struct aib_roofline *rl)
{
    char prec[16], key[128];
    for (size_t i = 0; s0->env && i < s0->n; i++) {
        const struct aib_result *r = &s0->res[i];
        if (!(r->flops > 0))
            continue;
        precision_of(r, prec, sizeof prec);
        if (aib_roof_find(rl, r->device, AIB_CEIL_COMPUTE, prec) >= 0)
            continue;
        snprintf(key, sizeof key, "device.%s.peak_%s_gflops", r->device, prec);
        const char *v = aib_kv_get(s0->env, key);
        double peak = v ? strtod(v, NULL) : 0;
        if (!(isfinite(peak) && peak > 0))
            continue;
        snprintf(key, sizeof key, "device.%s.peak_method", r->device);
        const char *how = aib_kv_get(s0->env, key);
        struct aib_roof_ceiling *c = ceil_add(rl);
        if (!c)
            return AIB_ENOMEM;
        c->kind = AIB_CEIL_COMPUTE;
        c->declared = true;
        c->value = peak;
        snprintf(c->device, sizeof c->device, "%s", r->device);
        snprintf(c->precision, sizeof c->precision, "%s", prec);
        snprintf(c->source, sizeof c->source, "declared peak (no %s matmul measured): %s", prec,
                 how ? how : "from the device's properties");
    }
    return 0;
}

/* Main memory and cache ceilings of one device from its membw results. */
static int memory_ceilings_of(const struct aib_roof_source *src, size_t nsrc, const char *device,
                              struct aib_roofline *rl)
{
    char key[128];
    const struct aib_result *best = NULL, *dram = NULL;
    int64_t best_run = 0, dram_run = 0;
    double llc = 0, max_ws = 0;
    snprintf(key, sizeof key, "device.%s.l3", device);
    if (src[0].env)
        llc = aib_roof_cache_bytes(aib_kv_get(src[0].env, key));
    bool beyond_llc = false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t s = 0; s < nsrc; s++) {
            for (size_t i = 0; i < src[s].n; i++) {
                const struct aib_result *r = &src[s].res[i];
                if (strcmp(r->workload, "membw") != 0 || strcmp(r->device, device) != 0 ||
                    !ok_result(r, "GB/s"))
                    continue;
                if (pass == 0) { /* what main memory means here */
                    max_ws = fmax(max_ws, r->bytes);
                    beyond_llc |= llc > 0 && r->bytes > AIB_ROOF_DRAM_FACTOR * llc;
                    if (!best || r->throughput > best->throughput)
                        best = r, best_run = src[s].run_id;
                    continue;
                }
                bool in_dram = beyond_llc ? r->bytes > AIB_ROOF_DRAM_FACTOR * llc
                                          : r->bytes >= max_ws / 2;
                if (in_dram && (!dram || r->throughput > dram->throughput))
                    dram = r, dram_run = src[s].run_id;
            }
        }
    }
    if (!dram)
        return 0;
    struct aib_roof_ceiling *c = ceil_add(rl);
    if (!c)
        return AIB_ENOMEM;
    c->kind = AIB_CEIL_MEMORY;
    snprintf(c->device, sizeof c->device, "%s", device);
    measured(c, dram, dram_run);
    if (best == dram || best->bytes >= dram->bytes ||
        best->throughput < CACHE_CEIL_MIN_RATIO * dram->throughput)
        return 0;
    if (!(c = ceil_add(rl)))
        return AIB_ENOMEM;
    c->kind = AIB_CEIL_CACHE;
    snprintf(c->device, sizeof c->device, "%s", device);
    measured(c, best, best_run);
    return 0;
}

static struct aib_roof_point *point_add(struct aib_roofline *rl)
{
    if (rl->npts == rl->pts_cap) {
        size_t cap = rl->pts_cap ? rl->pts_cap * 2 : 16;
        struct aib_roof_point *n = realloc(rl->pts, cap * sizeof *n);
        if (!n)
            return NULL;
        rl->pts = n, rl->pts_cap = cap;
    }
    struct aib_roof_point *p = &rl->pts[rl->npts++];
    memset(p, 0, sizeof *p);
    return p;
}

/* The one-line reason for a placed point's verdict. */
static void explain(struct aib_roof_point *p, const struct aib_roofline *rl)
{
    const struct aib_roof_ceiling *c = p->compute >= 0 ? &rl->ceil[p->compute] : NULL;
    const struct aib_roof_ceiling *m = p->memory >= 0 ? &rl->ceil[p->memory] : NULL;
    char roof[96], miss[96] = "";
    double pct = p->fraction * 100;
    if (c && (!m || c->value <= p->intensity * m->value))
        snprintf(roof, sizeof roof, "the %s compute ceiling (%.4g GFLOP/s)", c->precision,
                 c->value);
    else
        snprintf(roof, sizeof roof, "the memory roof here (%.3g flop/B x %.4g GB/s = %.4g GFLOP/s)",
                 p->intensity, m->value, p->intensity * m->value);
    if (!c)
        snprintf(miss, sizeof miss, "; no %s compute ceiling (run matmul precision=%s)",
                 p->precision, p->precision);
    else if (!m)
        snprintf(miss, sizeof miss, "; no memory ceiling (run membw on %s)", p->device);
    switch (p->bound) {
    case AIB_ROOF_COMPUTE:
    case AIB_ROOF_MEMORY:
        snprintf(p->why, sizeof p->why, "%.0f%% of %s%s%s", pct, roof,
                 p->bound == AIB_ROOF_MEMORY && p->fraction > 1.05
                     ? ": above the main-memory roof, so the data came from caches"
                     : "",
                 miss);
        break;
    default:
        snprintf(p->why, sizeof p->why,
                 "only %.0f%% of %s: neither compute nor bandwidth limits it; latency,"
                 " launches, synchronisation, IO or the code itself take the time%s", pct,
                 roof, miss);
    }
}

static int place_points(const struct aib_roof_source *s0, struct aib_roofline *rl)
{
    for (size_t i = 0; i < s0->n; i++) {
        const struct aib_result *r = &s0->res[i];
        /* a peak result is a ceiling, not a workload to place */
        if (!(r->flops > 0) || !ok_result(r, "GFLOP/s") || strcmp(r->workload, "peak") == 0)
            continue;
        struct aib_roof_point *p = point_add(rl);
        if (!p)
            return AIB_ENOMEM;
        p->result_id = r->id;
        p->index = i + 1;
        snprintf(p->workload, sizeof p->workload, "%s", r->workload);
        snprintf(p->device, sizeof p->device, "%s", r->device);
        snprintf(p->params, sizeof p->params, "%s", r->params);
        precision_of(r, p->precision, sizeof p->precision);
        p->gflops = r->throughput;
        p->intensity = aib_roof_intensity(r, p->intensity_src, sizeof p->intensity_src);
        p->compute = aib_roof_find(rl, r->device, AIB_CEIL_COMPUTE, p->precision);
        p->memory = aib_roof_find(rl, r->device, AIB_CEIL_MEMORY, "");
        double peak = p->compute >= 0 ? rl->ceil[p->compute].value : 0;
        double bw = p->memory >= 0 ? rl->ceil[p->memory].value : 0;
        if (!(p->intensity > 0)) {
            p->bound = AIB_ROOF_UNPLACED;
            snprintf(p->why, sizeof p->why, "%s", p->intensity_src);
            continue;
        }
        p->bound = aib_roof_classify(p->gflops, p->intensity, peak, bw, &p->roof, &p->fraction);
        if (p->bound == AIB_ROOF_UNPLACED)
            snprintf(p->why, sizeof p->why,
                     "no ceiling for %s: run matmul precision=%s and membw on it", p->device,
                     p->precision);
        else
            explain(p, rl);
    }
    return 0;
}

int aib_roofline_build(const struct aib_roof_source *src, size_t nsrc, struct aib_roofline *out,
                       struct aib_err *err)
{
    const char *ids[64];
    memset(out, 0, sizeof *out);
    int rc = nsrc ? compute_ceilings(src, nsrc, out) : 0;
    rc = rc || !nsrc ? rc : declared_ceilings(&src[0], out);
    /* memory ceilings for every device of the run that has results */
    size_t nd = 0;
    for (size_t i = 0; !rc && nsrc && i < src[0].n && nd < 64; i++) {
        bool seen = false;
        for (size_t j = 0; j < nd; j++)
            seen |= strcmp(ids[j], src[0].res[i].device) == 0;
        if (!seen) {
            ids[nd++] = src[0].res[i].device;
            rc = memory_ceilings_of(src, nsrc, src[0].res[i].device, out);
        }
    }
    rc = rc || !nsrc ? rc : place_points(&src[0], out);
    if (rc) {
        aib_roofline_free(out);
        return aib_err_set(err, AIB_ENOMEM, "out of memory building the roofline");
    }
    return 0;
}

void aib_roofline_free(struct aib_roofline *rl)
{
    free(rl->ceil);
    free(rl->pts);
    memset(rl, 0, sizeof *rl);
}

size_t aib_roof_devices(const struct aib_roofline *rl, const char **ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rl->npts; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen |= strcmp(ids[j], rl->pts[i].device) == 0;
        if (!seen && n < max)
            ids[n++] = rl->pts[i].device;
    }
    return n;
}
