/* conv on an OpenCL device: aibench's direct convolution kernel, NCHW
 * input, KCRS filters (C per group), fp32 accumulation; fp32, or fp16 where
 * the device has cl_khr_fp16. The input is stored with its zero padding
 * (so the kernel has no bounds checks) and each work-item computes KB
 * output channels x VW neighbouring output columns as vectors (float8 x 8
 * on CPUs, float4 x 4 on GPUs), loading a vector of inputs per filter tap.
 * Same shape parameters and layer list as the CPU conv; timed with
 * profiling events; sampled outputs are checked against a double reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../opencl_common.h"
#include "conv_common.h"

enum { PREC_FP32, PREC_FP16 };

struct conv_cl_params {
    char layer[AIB_PARAM_STR_MAX];
    int64_t n, c, h, w, k, r, s, stride, pad, dilation, groups;
    int precision;
};

#define P_(f) offsetof(struct conv_cl_params, f)
static const struct aib_param conv_cl_decl[] = {
    AIB_CONV_SHAPE_PARAMS(struct conv_cl_params, 1048576),
    {"precision", AIB_PT_ENUM, P_(precision), "fp32", 0, 0, "fp32|fp16",
     "tensor type; fp16 (needs cl_khr_fp16) accumulates in fp32"},
};

/* x: N x C x HP x WP (zero halo), w: K x C/groups x R x S, y: N x K x P x QP. */
static const char *const kernel_src =
    "#ifdef AIB_FP16\n"
    "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    "#endif\n"
    "__kernel void aib_conv_direct(__global const T *restrict x, __global const T *restrict w,\n"
    "                              __global T *restrict y, const int C, const int HP, const int WP,\n"
    "                              const int K, const int R, const int S, const int stride, const int dil,\n"
    "                              const int groups, const int P, const int QP)\n"
    "{\n"
    "    const int qb = get_global_id(0) * VW, p = get_global_id(1), nk = get_global_id(2) * KB;\n"
    "    const int n = nk / K, k0 = nk % K, cg = C / groups, g = k0 / (K / groups);\n"
    "    ACCV acc[KB];\n"
    "    for (int i = 0; i < KB; i++)\n"
    "        acc[i] = (ACCV)(0.0f);\n"
    "    for (int c = 0; c < cg; c++) {\n"
    "        __global const T *xc = x + ((size_t)n * C + g * cg + c) * HP * WP;\n"
    "        __global const T *wc = w + ((size_t)k0 * cg + c) * R * S;\n"
    "        for (int r = 0; r < R; r++) {\n"
    "            __global const T *xr = xc + (size_t)(p * stride + r * dil) * WP + qb * stride;\n"
    "            for (int s = 0; s < S; s++) {\n"
    "                ACCV xv;\n"
    "                if (stride == 1) {\n"
    "                    xv = CVT(VLOAD(0, xr + s * dil));\n"
    "                } else if (stride == 2) {\n" /* twice as many, keep the even ones */
    "                    xv = CVT(VLOAD2(0, xr + s * dil).even);\n"
    "                } else {\n"
    "                    T t[VW];\n"
    "                    for (int l = 0; l < VW; l++)\n"
    "                        t[l] = xr[s * dil + l * stride];\n"
    "                    xv = CVT(VLOAD(0, t));\n"
    "                }\n"
    "                for (int i = 0; i < KB; i++)\n"
    "                    acc[i] = fma((ACCV)((float)wc[(size_t)i * cg * R * S + r * S + s]), xv, acc[i]);\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    for (int i = 0; i < KB; i++)\n"
    "        VSTORE(CVTT(acc[i]), 0, y + (((size_t)n * K + k0 + i) * P + p) * QP + qb);\n"
    "}\n";

struct conv_cl_state {
    struct aib_cl_job job; /* first: the shared run and metrics hooks take the state as a job */
    struct aib_conv_geom g;
    int prec;
    int vw, kb;
    int64_t hp, wp, qp;     /* padded input height/width, padded output width */
    size_t es, nx, nw, ny;  /* logical element counts */
    size_t nxp, nyp, gws[3]; /* stored (padded) counts, NDRange */
    void *hx, *hw;
    cl_program prog;
    cl_kernel kern;
    cl_mem x, w, y;
};

static int geom(const struct conv_cl_params *p, struct aib_conv_geom *g, struct aib_err *err)
{
    *g = (struct aib_conv_geom){.n = p->n, .c = p->c, .h = p->h, .w = p->w, .k = p->k, .r = p->r, .s = p->s,
                                .stride = p->stride, .pad = p->pad, .dil = p->dilation, .groups = p->groups};
    return aib_conv_geom_resolve(p->layer, g, err);
}

static int conv_cl_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct conv_cl_params *p = params;
    struct aib_conv_geom g;
    struct aib_cl_info info;
    double es = p->precision == PREC_FP16 ? 2 : 4;
    int rc = geom(p, &g, err);
    if (rc || (rc = aib_cl_query(dev, &info, err)) ||
        (rc = aib_cl_check_prec(dev, &info, p->precision == PREC_FP16 ? "fp16" : "fp32", err)))
        return rc;
    /* the stored input has its halo, the output rows a vector's slack */
    double nw = aib_conv_elems_wt(&g);
    double nx = (double)g.n * g.c * (g.h + 2 * g.pad) * ((double)g.w + 2 * g.pad + 16 * g.stride + (double)g.s * g.dil + 2);
    double ny = (double)g.n * g.k * g.p * (g.q + 16);
    double largest = nx > nw ? (nx > ny ? nx : ny) : (nw > ny ? nw : ny);
    return aib_cl_check_mem(dev, &info, largest * es, (nx + nw + ny) * es, "this convolution", err);
}

static void conv_cl_work(const void *params, struct aib_work *out)
{
    struct aib_conv_geom g;
    struct aib_err err = {0};
    memset(out, 0, sizeof *out);
    if (geom(params, &g, &err) == 0) /* validated before any work is asked */
        out->flops = aib_conv_flops(&g);
}

static double get(int prec, const void *base, size_t i)
{
    return prec == PREC_FP16 ? aib_half_to_float(((const uint16_t *)base)[i]) : ((const float *)base)[i];
}

/* Deterministic inputs in [-1, 1) (xorshift64*), stored in the element type. */
static void fill(int prec, void *base, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        float v = (float)((double)((seed * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
        if (prec == PREC_FP16)
            ((uint16_t *)base)[i] = aib_half_from_float(v);
        else
            ((float *)base)[i] = v;
    }
}

static void conv_cl_teardown(void *state)
{
    struct conv_cl_state *s = state;
    if (!s)
        return;
    aib_cl_job_close(&s->job, &s->kern, 1, s->prog, (cl_mem[]){s->x, s->w, s->y}, 3);
    free(s->hx);
    free(s->hw);
    free(s);
}

static int set_args(struct conv_cl_state *s, struct aib_err *err)
{
    const struct aib_conv_geom *g = &s->g;
    cl_int v[] = {(cl_int)g->c, (cl_int)s->hp,       (cl_int)s->wp,     (cl_int)g->k,
                  (cl_int)g->r, (cl_int)g->s,        (cl_int)g->stride, (cl_int)g->dil,
                  (cl_int)g->groups, (cl_int)g->p, (cl_int)s->qp};
    cl_int e = clSetKernelArg(s->kern, 0, sizeof s->x, &s->x);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->kern, 1, sizeof s->w, &s->w);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->kern, 2, sizeof s->y, &s->y);
    for (cl_uint i = 0; e == CL_SUCCESS && i < sizeof v / sizeof v[0]; i++)
        e = clSetKernelArg(s->kern, 3 + i, sizeof v[i], &v[i]);
    return e == CL_SUCCESS ? 0 : aib_cl_fail(err, s->job.cl.id, "clSetKernelArg", e);
}

/* The input with its zero halo, as the kernel reads it. */
static int upload_input(struct conv_cl_state *s, struct aib_err *err)
{
    const struct aib_conv_geom *g = &s->g;
    unsigned char *xp = calloc(s->nxp, s->es);
    if (!xp)
        return aib_err_set(err, AIB_ENOMEM, "cannot allocate the padded input");
    for (size_t img = 0; img < (size_t)(g->n * g->c); img++)
        for (size_t h = 0; h < (size_t)g->h; h++)
            memcpy(xp + ((img * (size_t)s->hp + h + (size_t)g->pad) * (size_t)s->wp + (size_t)g->pad) * s->es,
                   (unsigned char *)s->hx + ((img * (size_t)g->h + h) * (size_t)g->w) * s->es, (size_t)g->w * s->es);
    int rc = aib_cl_write(&s->job.cl, s->x, 0, s->nxp * s->es, xp, "input", err);
    free(xp);
    return rc;
}

static cl_int enqueue(void *ctx, cl_event *ev)
{
    struct conv_cl_state *s = ctx;
    return clEnqueueNDRangeKernel(s->job.cl.q, s->kern, 3, NULL, s->gws, NULL, 0, NULL, ev);
}

static int conv_cl_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct conv_cl_params *p = params;
    char opts[256];
    cl_int e;
    int rc;
    struct conv_cl_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    if ((rc = geom(p, &s->g, err)))
        goto fail;
    const struct aib_conv_geom *g = &s->g;
    s->prec = p->precision;
    s->es = p->precision == PREC_FP16 ? 2 : 4;
    s->nx = (size_t)aib_conv_elems_in(g), s->nw = (size_t)aib_conv_elems_wt(g), s->ny = (size_t)aib_conv_elems_out(g);
    conv_cl_work(params, &s->job.work);
    if (!(s->hx = malloc(s->nx * s->es)) || !(s->hw = malloc(s->nw * s->es))) {
        rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate host copies of the input and filters");
        goto fail;
    }
    fill(s->prec, s->hx, s->nx, 0x243F6A8885A308D3ULL);
    fill(s->prec, s->hw, s->nw, 0x13198A2E03707344ULL);
    if ((rc = aib_cl_open(dev, &s->job.cl, err)))
        goto fail;
    bool cpu = (s->job.cl.info.type & CL_DEVICE_TYPE_CPU) != 0;
    int64_t kg = g->k / g->groups;
    s->vw = cpu ? 8 : 4;
    s->kb = kg % 8 == 0 && cpu ? 8 : kg % 4 == 0 ? 4 : kg % 2 == 0 ? 2 : 1;
    s->qp = (g->q + s->vw - 1) / s->vw * s->vw;
    s->hp = g->h + 2 * g->pad;
    s->wp = g->w + 2 * g->pad;
    /* the last vector's reach (stride 2 loads one element more) */
    if ((s->qp - 1) * g->stride + (g->s - 1) * g->dil + 2 > s->wp)
        s->wp = (s->qp - 1) * g->stride + (g->s - 1) * g->dil + 2;
    s->nxp = (size_t)(g->n * g->c * s->hp * s->wp);
    s->nyp = (size_t)(g->n * g->k * g->p * s->qp);
    s->gws[0] = (size_t)(s->qp / s->vw), s->gws[1] = (size_t)g->p, s->gws[2] = (size_t)(g->n * g->k / s->kb);
    const char *t = s->prec == PREC_FP16 ? "half" : "float";
    snprintf(opts, sizeof opts,
             "-DT=%s -DVW=%d -DKB=%d -DACCV=float%d -DVLOAD=vload%d -DVLOAD2=vload%d -DVSTORE=vstore%d "
             "-DCVT=convert_float%d -DCVTT=convert_%s%d%s",
             t, s->vw, s->kb, s->vw, s->vw, 2 * s->vw, s->vw, s->vw, t, s->vw,
             s->prec == PREC_FP16 ? " -DAIB_FP16" : "");
    const unsigned char ones = 0xff; /* NaN in both types: an unwritten y fails */
    struct aib_cl *cl = &s->job.cl;
    if ((rc = aib_cl_build(cl, kernel_src, opts, &s->prog, err)) ||
        (rc = aib_cl_kernel(cl, s->prog, "aib_conv_direct", &s->kern, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_ONLY, s->nxp * s->es, "input", &s->x, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_ONLY, s->nw * s->es, "filters", &s->w, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_WRITE_ONLY, s->nyp * s->es, "output", &s->y, err)) ||
        (rc = set_args(s, err)) || (rc = upload_input(s, err)) ||
        (rc = aib_cl_write(cl, s->w, 0, s->nw * s->es, s->hw, "filters", err)))
        goto fail;
    if ((e = clEnqueueFillBuffer(cl->q, s->y, &ones, 1, 0, s->nyp * s->es, 0, NULL, NULL)) != CL_SUCCESS ||
        (e = clFinish(cl->q)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, "clEnqueueFillBuffer(output)", e);
        goto fail;
    }
    s->job.enqueue = enqueue;
    s->job.what = "clEnqueueNDRangeKernel(aib_conv_direct)";
    snprintf(s->job.how, sizeof s->job.how, "OpenCL direct convolution %s, %d channels x %s%d outputs per work-item",
             s->prec == PREC_FP16 ? "fp16" : "fp32", s->kb, t, s->vw);
    *state = s;
    return 0;
fail:
    conv_cl_teardown(s);
    return rc;
}

static int conv_cl_verify(void *state, struct aib_err *err)
{
    struct conv_cl_state *s = state;
    const struct aib_conv_geom *g = &s->g;
    const double u_out = s->prec == PREC_FP16 ? 0x1p-11 : 0x1p-24;
    bool all = s->nyp <= 65536;
    size_t count = all ? s->ny : 256, cg = (size_t)(g->c / g->groups);
    unsigned char *got = malloc(all ? s->nyp * s->es : s->es);
    uint64_t seed = 0xA0761D6478BD642FULL;
    int rc = 0;
    if (!got)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    if (all && (rc = aib_cl_read(&s->job.cl, s->y, 0, s->nyp * s->es, got, "output", err)))
        goto out;
    for (size_t t = 0; t < count; t++) {
        size_t idx = all ? t : aib_gpu_sample_index(&seed, t, s->ny);
        /* where (n, k, p, q) is stored: rows are qp wide */
        size_t at = idx / (size_t)g->q * (size_t)s->qp + idx % (size_t)g->q;
        if (!all && (rc = aib_cl_read(&s->job.cl, s->y, at * s->es, s->es, got, "output", err)))
            goto out;
        int64_t q = (int64_t)(idx % (size_t)g->q), p = (int64_t)(idx / (size_t)g->q % (size_t)g->p);
        int64_t k = (int64_t)(idx / (size_t)g->q / (size_t)g->p % (size_t)g->k);
        int64_t n = (int64_t)(idx / (size_t)g->q / (size_t)g->p / (size_t)g->k), grp = k / (g->k / g->groups);
        struct aib_refdot d = {0};
        for (size_t c = 0; c < cg; c++)
            for (int64_t r = 0; r < g->r; r++)
                for (int64_t sx = 0; sx < g->s; sx++) {
                    int64_t ih = p * g->stride - g->pad + r * g->dil, iw = q * g->stride - g->pad + sx * g->dil;
                    if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
                        continue;
                    size_t xi = (((size_t)n * (size_t)g->c + (size_t)grp * cg + c) * (size_t)g->h + (size_t)ih) *
                                    (size_t)g->w + (size_t)iw;
                    size_t wi = (((size_t)k * cg + c) * (size_t)g->r + (size_t)r) * (size_t)g->s + (size_t)sx;
                    aib_refdot_add(&d, get(s->prec, s->hx, xi) * get(s->prec, s->hw, wi));
                }
        double v = get(s->prec, got, all ? at : 0), allowed = aib_refdot_allowed(&d, 0x1p-23, u_out);
        if (!(fabs(v - d.sum) <= allowed)) {
            rc = aib_err_set(err, AIB_EVERIFY,
                             "wrong answer: y[n=%lld,k=%lld,p=%lld,q=%lld] = %.9g, reference %.9g (|error| %.3g > "
                             "tolerance %.3g)",
                             (long long)n, (long long)k, (long long)p, (long long)q, v, d.sum, fabs(v - d.sum), allowed);
            goto out;
        }
    }
    aib_devtime_verified(&s->job.dt);
out:
    free(got);
    return rc;
}

const struct aib_workload_ops aib_conv_opencl = {
    .name = "conv",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_OPENCL,
    .summary = "2-D convolution forward with aibench's direct OpenCL kernel (GFLOP/s), profiling-event timed, verified",
    .params = {"conv", conv_cl_decl, sizeof conv_cl_decl / sizeof conv_cl_decl[0], sizeof(struct conv_cl_params)},
    .validate = conv_cl_validate,
    .setup = conv_cl_setup,
    .run = aib_cl_job_run,
    .verify = conv_cl_verify,
    .work = conv_cl_work,
    .metrics = aib_cl_job_metrics,
    .teardown = conv_cl_teardown,
};
