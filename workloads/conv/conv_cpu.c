/* conv on the CPU: 2-D convolution, fp32, NCHW or NHWC, as im2col + SGEMM
 * through OpenBLAS or as a direct loop nest on a pinned thread team. The
 * shape comes from the parameters or from a named real layer (layers.c);
 * work is 2*N*K*(C/groups)*R*S*P*Q flops. The output is checked against a
 * double-precision reference before any speed counts. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../matmul/gemm_blas.h"
#include "../workload.h"
#include "conv_cpu.h"
#include "layers.h"

enum { IMPL_IM2COL, IMPL_DIRECT };

struct conv_params {
    char layer[AIB_PARAM_STR_MAX];
    int64_t n, c, h, w, k, r, s, stride, pad, dilation, groups;
    int layout; /* 0 nchw, 1 nhwc */
    int impl;
    int64_t threads;
    int simd;
};

#define P_(f) offsetof(struct conv_params, f)
static const struct aib_param conv_params_decl[] = {
    AIB_CONV_SHAPE_PARAMS(struct conv_params, 65536),
    {"layout", AIB_PT_ENUM, P_(layout), "nchw", 0, 0, "nchw|nhwc",
     "tensor layout; weights KCRS for nchw, KRSC for nhwc"},
    {"impl", AIB_PT_ENUM, P_(impl), "im2col", 0, 0, "im2col|direct",
     "im2col: column buffer + OpenBLAS SGEMM; direct: loop nest on pinned threads"},
    {"threads", AIB_PT_INT, P_(threads), "0", 0, 4096, NULL,
     "threads (0: one per core of the device)"},
    {"simd", AIB_PT_ENUM, P_(simd), "auto", 0, 0, "auto|portable|avx2|avx512",
     "instruction set of the direct loops and the im2col copy (auto: the best here)"},
};

struct conv_state {
    struct aib_conv_geom g;
    int impl;
    unsigned threads;
    enum aib_simd simd;
    float *in, *wt, *out, *packed;
    struct aib_cpu_team *team;
    struct aib_conv_direct direct;
    int tiled; /* im2col on the team (aib_conv_tiles); else 1x1 or direct */
    struct aib_conv_tiles tiles;
};

/* The geometry from a named layer or the parameters (conv_common.c), and
 * the column buffer, which only the CPU variant has, within size_t. */
static int conv_geom(const struct conv_params *p, struct aib_conv_geom *g, struct aib_err *err)
{
    *g = (struct aib_conv_geom){.n = p->n, .c = p->c, .h = p->h, .w = p->w, .k = p->k, .r = p->r,
                                .s = p->s, .stride = p->stride, .pad = p->pad, .dil = p->dilation,
                                .groups = p->groups, .nhwc = p->layout};
    int rc = aib_conv_geom_resolve(p->layer, g, err);
    if (rc == 0 && aib_conv_elems_col(g) > 9007199254740992.0 / 8)
        rc = aib_err_set(err, AIB_EUSAGE, "r=%lld s=%lld c=%lld: sizes overflow (im2col column buffer)",
                         (long long)g->r, (long long)g->s, (long long)g->c);
    return rc;
}

static unsigned want_threads(const struct aib_device *dev, const struct conv_params *p)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return p->threads ? (unsigned)p->threads
           : dev->cores ? dev->cores
                        : (unsigned)(ncpu > 0 ? ncpu : 1);
}

static double conv_bytes(const struct aib_conv_geom *g, int impl)
{
    double e = aib_conv_elems_in(g) + aib_conv_elems_wt(g) + aib_conv_elems_out(g);
    e += impl == IMPL_IM2COL ? aib_conv_elems_col(g) : (g->nhwc ? aib_conv_elems_wt(g) : 0);
    return e * sizeof(float);
}

static int conv_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct conv_params *p = params;
    struct aib_conv_geom g;
    struct aib_cpu_features f;
    enum aib_simd simd;
    int rc = conv_geom(p, &g, err);
    if (rc)
        return rc;
    aib_cpu_features_detect(&f);
    if ((rc = aib_simd_pick(&f, (enum aib_simd)p->simd, &simd, err)))
        return rc;
    double bytes = conv_bytes(&g, p->impl);
    if (dev->mem_bytes && bytes > 0.8 * (double)dev->mem_bytes)
        return aib_err_set(err, AIB_EUSAGE, "this convolution needs %.1f GiB of buffers, more "
                           "than 80%% of the %.1f GiB of memory on %s", bytes / 1073741824.0,
                           (double)dev->mem_bytes / 1073741824.0, dev->id);
    return 0;
}

/* Deterministic inputs in [-1, 1) (xorshift64*). */
static float next_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (float)((double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static void conv_teardown(void *state)
{
    struct conv_state *s = state;
    if (!s)
        return;
    aib_cpu_team_destroy(s->team);
    free(s->in);
    free(s->wt);
    free(s->out);
    free(s->packed);
    free(s->tiles.bufs);
    free(s);
}

static float *alloc_floats(double n)
{
    size_t bytes = ((size_t)n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

static int conv_setup(const struct aib_device *dev, const void *params, void **state,
                      struct aib_err *err)
{
    const struct conv_params *p = params;
    struct aib_cpu_features f;
    int rc;
    *state = NULL;
    struct conv_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    aib_cpu_features_detect(&f);
    if ((rc = conv_geom(p, &s->g, err)) ||
        (rc = aib_simd_pick(&f, (enum aib_simd)p->simd, &s->simd, err)))
        goto fail;
    s->impl = p->impl;
    const struct aib_conv_geom *g = &s->g;
    s->in = alloc_floats(aib_conv_elems_in(g));
    s->wt = alloc_floats(aib_conv_elems_wt(g));
    s->out = alloc_floats(aib_conv_elems_out(g));
    s->tiled = s->impl == IMPL_IM2COL && !aib_conv_is_pointwise(g);
    int need_packed = s->impl == IMPL_DIRECT && g->nhwc;
    s->packed = need_packed ? alloc_floats(aib_conv_elems_wt(g)) : NULL;
    if (!s->in || !s->wt || !s->out || (need_packed && !s->packed)) {
        rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate %.1f GiB of convolution buffers",
                         conv_bytes(g, s->impl) / 1073741824.0);
        goto fail;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < (size_t)aib_conv_elems_in(g); i++)
        s->in[i] = next_uniform(&seed);
    for (size_t i = 0; i < (size_t)aib_conv_elems_wt(g); i++)
        s->wt[i] = next_uniform(&seed);
    memset(s->out, 0, (size_t)aib_conv_elems_out(g) * sizeof(float));
    unsigned nt = want_threads(dev, p);
    if (s->tiled) {
        struct aib_cpu_caches cc;
        struct aib_err ignored;
        uint64_t l2 = aib_cpu_caches(dev, &cc, &ignored) == 0 && dev->cores ? cc.l2 / dev->cores : 0;
        aib_gemm_blas_set_threads(1);
        aib_conv_tiles_plan(g, nt, l2, &s->tiles);
        if (!(s->tiles.bufs = alloc_floats((double)s->tiles.nbufs * (double)s->tiles.buf_elems))) {
            rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate the im2col tiles");
            goto fail;
        }
        if ((rc = aib_cpu_team_create(dev, nt, 1, &s->team, err)))
            goto fail;
        s->tiles.team = s->team;
        s->threads = nt;
    } else if (s->impl == IMPL_IM2COL) {
        s->threads = (unsigned)aib_gemm_blas_set_threads((int)nt);
    } else {
        if ((rc = aib_cpu_team_create(dev, nt, 1, &s->team, err)))
            goto fail;
        s->threads = nt;
        if (need_packed)
            aib_conv_direct_pack(g, s->wt, s->packed);
        s->direct = (struct aib_conv_direct){.g = &s->g, .in = s->in,
                                             .wt = need_packed ? s->packed : s->wt,
                                             .out = s->out, .simd = s->simd};
    }
    *state = s;
    return 0;
fail:
    conv_teardown(s);
    return rc;
}

static int conv_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct conv_state *s = state;
    (void)err;
    for (uint64_t i = 0; i < iters; i++) {
        if (s->tiled)
            aib_conv_im2col_tiled_run(&s->g, s->simd, s->in, s->wt, s->out, &s->tiles);
        else if (s->impl == IMPL_IM2COL)
            aib_conv_pointwise_run(&s->g, s->in, s->wt, s->out);
        else
            aib_conv_direct_run(s->team, &s->direct);
    }
    return 0;
}

/* Output element (n, k, p, q) in double from the stored inputs, and the
 * sum of |terms| for the rounding bound. */
static double reference(const struct conv_state *s, int64_t n, int64_t k, int64_t p, int64_t q,
                        double *mag)
{
    const struct aib_conv_geom *g = &s->g;
    int64_t grp = k / g->kg;
    double acc = 0;
    *mag = 0;
    for (int64_t c = 0; c < g->cg; c++)
        for (int64_t r = 0; r < g->r; r++)
            for (int64_t t = 0; t < g->s; t++) {
                int64_t h = p * g->stride - g->pad + r * g->dil;
                int64_t w = q * g->stride - g->pad + t * g->dil;
                if (h < 0 || h >= g->h || w < 0 || w >= g->w)
                    continue;
                int64_t ci = grp * g->cg + c;
                double x = g->nhwc ? s->in[((n * g->h + h) * g->w + w) * g->c + ci]
                                   : s->in[((n * g->c + ci) * g->h + h) * g->w + w];
                double wv = g->nhwc ? s->wt[((k * g->r + r) * g->s + t) * g->cg + c]
                                    : s->wt[((k * g->cg + c) * g->r + r) * g->s + t];
                acc += x * wv;
                *mag += fabs(x * wv);
            }
    return acc;
}

/* Sampled outputs (all of them when few) against the double reference;
 * tolerance 2 * C/groups*R*S * eps(fp32) * sum|x*w|, the worst-case bound
 * of the fp32 dot product: a right answer passes, a missing term does not. */
static int conv_verify(void *state, struct aib_err *err)
{
    const struct conv_state *s = state;
    const struct aib_conv_geom *g = &s->g;
    size_t total = (size_t)aib_conv_elems_out(g);
    size_t terms = (size_t)(g->cg * g->r * g->s);
    size_t count = ((size_t)1 << 24) / (terms ? terms : 1);
    count = count < 512 ? 512 : count;
    count = count > total ? total : count;
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    for (size_t t = 0; t < count; t++) {
        size_t idx = count == total ? t
                                    : (size_t)((next_uniform(&seed) + 1.0) / 2.0 * (double)total);
        idx = idx >= total ? total - 1 : idx;
        int64_t n, k, p, q, i = (int64_t)idx;
        if (g->nhwc) {
            k = i % g->k, i /= g->k, q = i % g->q, i /= g->q, p = i % g->p, n = i / g->p;
        } else {
            q = i % g->q, i /= g->q, p = i % g->p, i /= g->p, k = i % g->k, n = i / g->k;
        }
        double mag, ref = reference(s, n, k, p, q, &mag);
        double got = s->out[idx], tol = 2.0 * (double)terms * FLT_EPSILON * mag + 1e-30;
        if (!(fabs(got - ref) <= tol))
            return aib_err_set(err, AIB_EVERIFY, "wrong answer: out[n=%lld,k=%lld,p=%lld,q=%lld] "
                               "= %.9g, reference %.9g (|error| %.3g > tolerance %.3g)",
                               (long long)n, (long long)k, (long long)p, (long long)q, got, ref,
                               fabs(got - ref), tol);
    }
    return 0;
}

static void conv_work(const void *params, struct aib_work *out)
{
    struct aib_conv_geom g;
    struct aib_err err;
    *out = (struct aib_work){0};
    if (conv_geom(params, &g, &err) == 0) /* validated before any work is asked */
        out->flops = aib_conv_flops(&g);
}

static int conv_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct conv_state *s = state;
    char note[160];
    struct aib_metric_list m = {r, 0};
    aib_metric_put(&m, "threads", s->threads, "", 1,
                   s->tiled                  ? "pinned team, OpenBLAS on one thread per member"
                   : s->impl == IMPL_IM2COL ? "OpenBLAS threads"
                                             : "pinned team");
    if (s->tiled) {
        char blas[96];
        aib_gemm_blas_describe(blas, sizeof blas);
        if (s->tiles.rows)
            snprintf(note, sizeof note, "im2col: %s path, tiles of %lld output rows (%.0f KiB); "
                     "GEMM: %s", aib_simd_name(s->simd), (long long)s->tiles.rows,
                     (double)s->tiles.buf_elems * sizeof(float) / 1024, blas);
        else
            snprintf(note, sizeof note, "im2col: %s path, one shared buffer; GEMM: %s",
                     aib_simd_name(s->simd), blas);
    } else if (s->impl == IMPL_IM2COL) {
        char blas[128];
        aib_gemm_blas_describe(blas, sizeof blas);
        snprintf(note, sizeof note, "1x1, no column buffer; GEMM: %.100s", blas);
    } else {
        snprintf(note, sizeof note, "direct loops, %s path, %u of %u threads pinned",
                 aib_simd_name(s->simd), aib_cpu_team_pinned(s->team), s->threads);
    }
    aib_metric_put(&m, "simd_bits", aib_simd_bits(s->simd), "bit", 1, note);
    const struct aib_conv_geom *g = &s->g;
    /* the geometry used, which a layer sets whatever c..groups say */
    snprintf(note, sizeof note, "N=%lld C=%lld H=%lld W=%lld K=%lld R=%lld S=%lld stride=%lld "
             "pad=%lld dilation=%lld groups=%lld -> P=%lld Q=%lld", (long long)g->n,
             (long long)g->c, (long long)g->h, (long long)g->w, (long long)g->k, (long long)g->r,
             (long long)g->s, (long long)g->stride, (long long)g->pad, (long long)g->dil,
             (long long)g->groups, (long long)g->p, (long long)g->q);
    aib_metric_put(&m, "output_pixels", (double)(g->p * g->q), "", 1, note);
    return aib_metric_list_end(&m, err);
}

const struct aib_workload_ops aib_conv_cpu = {
    .name = "conv",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "2-D convolution, fp32, NCHW/NHWC, im2col+OpenBLAS or direct (GFLOP/s, "
               "2*N*K*C/groups*R*S*P*Q flops), verified in fp64",
    .params = {"conv", conv_params_decl, sizeof conv_params_decl / sizeof conv_params_decl[0],
               sizeof(struct conv_params)},
    .validate = conv_validate,
    .setup = conv_setup,
    .run = conv_run,
    .verify = conv_verify,
    .work = conv_work,
    .metrics = conv_metrics,
    .teardown = conv_teardown,
};
