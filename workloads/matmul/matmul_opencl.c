/* matmul on an OpenCL device: aibench's own tiled kernel. Each work-group
 * computes a 64x64 tile of C from tiles of A and B staged in local memory
 * (loaded with vload4); each work-item keeps a few rows of one vector
 * (float16 on CPUs, float4 on GPUs) of C in registers and updates them with
 * vector FMAs. fp32, fp16 (cl_khr_fp16, fp32 accumulation) and fp64
 * (cl_khr_fp64). Sizes are padded with zeros to the tile; timed with
 * profiling events; sampled elements are checked against a double reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../opencl_common.h"
#include "shapes.h"

enum { PREC_FP32, PREC_FP16, PREC_FP64 };

struct mm_cl_params {
    int64_t n, m, k;
    char shape[AIB_PARAM_STR_MAX];
    int precision;
};

#define P_(f) offsetof(struct mm_cl_params, f)
static const struct aib_param mm_cl_decl[] = {
    {"n", AIB_PT_INT, P_(n), "512", 1, 65536, NULL, "columns of C and B (and m, k when those are 0)"},
    {"m", AIB_PT_INT, P_(m), "0", 0, 65536, NULL, "rows of C and A (0: same as n)"},
    {"k", AIB_PT_INT, P_(k), "0", 0, 65536, NULL, "inner dimension (0: same as n)"},
    {"shape", AIB_PT_STR, P_(shape), "none", 0, 0, NULL,
     "a model GEMM (sets m, n, k), e.g. llama7b-mlp-up-t2048; shape=list lists them"},
    {"precision", AIB_PT_ENUM, P_(precision), "fp32", 0, 0, "fp32|fp16|fp64",
     "element type; fp16 (needs cl_khr_fp16) accumulates in fp32"},
};

/* Tiles: a work-group computes TSM x TSN of C (TSM = RTSM x WPTM rows,
 * TSN = RTSN x VW columns), a work-item WPTM rows of one VW-wide vector.
 * CPUs (PoCL and the like) want wide vectors and few work-items; GPUs many
 * work-items with short vectors. Both configurations tile 64 x 64, and
 * sizes are padded to 64 (m, n) and 32 (k). */
struct tiling {
    int vw, wptm, rtsn, rtsm, tsk;
};
static const struct tiling cpu_tiling = {16, 8, 4, 8, 32};
static const struct tiling gpu_tiling = {4, 8, 16, 8, 16};
#define PAD_MN 64
#define PAD_K 32

static const char *const kernel_src =
    "#ifdef AIB_FP16\n"
    "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    "#endif\n"
    "#ifdef AIB_FP64\n"
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "#endif\n"
    "#define TSM (RTSM * WPTM)\n"
    "#define TSN (RTSN * VW)\n"
    "#define NWI (RTSM * RTSN)\n"
    "#define LPTA ((TSM * TSK / 4) / NWI)\n"
    "#define LPTB ((TSK * TSN / 4) / NWI)\n"
    "__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))\n"
    "void aib_gemm_tiled(const int M, const int N, const int K, __global const T *restrict A,\n"
    "                    __global const T *restrict B, __global T *restrict C)\n"
    "{\n"
    "    const int tn = get_local_id(0), tm = get_local_id(1), tid = tm * RTSN + tn;\n"
    "    const int offm = TSM * get_group_id(1), offn = TSN * get_group_id(0);\n"
    "    __local T As[TSK][TSM];\n" /* A stored k-major: a work-item's rows are adjacent */
    "    __local T Bs[TSK][TSN];\n"
    "    ACCV acc[WPTM];\n"
    "    for (int i = 0; i < WPTM; i++)\n"
    "        acc[i] = (ACCV)(0);\n"
    "    for (int t = 0; t < K; t += TSK) {\n"
    "        for (int l = 0; l < LPTA; l++) {\n"
    "            const int id = l * NWI + tid;\n"
    "            const int row = id / (TSK / 4), kq = (id % (TSK / 4)) * 4;\n"
    "            const VT4 v = vload4(0, A + (size_t)(offm + row) * K + t + kq);\n"
    "            As[kq][row] = v.s0; As[kq + 1][row] = v.s1; As[kq + 2][row] = v.s2; As[kq + 3][row] = v.s3;\n"
    "        }\n"
    "        for (int l = 0; l < LPTB; l++) {\n"
    "            const int id = l * NWI + tid;\n"
    "            const int kr = id / (TSN / 4), nq = (id % (TSN / 4)) * 4;\n"
    "            vstore4(vload4(0, B + (size_t)(t + kr) * N + offn + nq), 0, &Bs[kr][nq]);\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "        for (int k = 0; k < TSK; k++) {\n"
    "            const ACCV b = CVT_ACC(VLOAD(0, &Bs[k][tn * VW]));\n"
    "            for (int i = 0; i < WPTM; i++)\n"
    "                acc[i] = fma((ACCV)(As[k][tm * WPTM + i]), b, acc[i]);\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    for (int i = 0; i < WPTM; i++)\n"
    "        VSTORE(CVT_T(acc[i]), 0, C + (size_t)(offm + tm * WPTM + i) * N + offn + tn * VW);\n"
    "}\n";

struct mm_cl_state {
    struct aib_cl_job job; /* first: the shared run and metrics hooks take the state as a job */
    cl_program prog;
    cl_kernel kern;
    cl_mem a, b, c;
    int prec;
    size_t m, n, k, mp, np, kp, es;
    void *ha, *hb; /* padded host copies of the inputs */
    size_t gws[2], lws[2];
    struct tiling tl;
};

static const char *const prec_names[] = {"fp32", "fp16", "fp64"};

static size_t up(size_t x, size_t to) { return (x + to - 1) / to * to; }

static int dims(const struct mm_cl_params *p, int64_t *m, int64_t *n, int64_t *k, struct aib_err *err)
{
    return aib_gemm_dims(p->shape, p->n, p->m, p->k, m, n, k, err);
}

static int mm_cl_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct mm_cl_params *p = params;
    static const double esize[] = {4, 2, 8};
    struct aib_cl_info info;
    int64_t m, n, k;
    int rc = dims(p, &m, &n, &k, err);
    if (rc || (rc = aib_cl_query(dev, &info, err)) || (rc = aib_cl_check_prec(dev, &info, prec_names[p->precision], err)))
        return rc;
    const struct tiling *tl = info.type & CL_DEVICE_TYPE_CPU ? &cpu_tiling : &gpu_tiling;
    if (info.max_wg < (size_t)(tl->rtsn * tl->rtsm))
        return aib_err_set(err, AIB_EUSAGE, "%s allows %zu work-items per group; the matmul kernel needs %d", dev->id,
                           info.max_wg, tl->rtsn * tl->rtsm);
    double mp = (double)up((size_t)m, PAD_MN), np = (double)up((size_t)n, PAD_MN), kp = (double)up((size_t)k, PAD_K);
    double a = mp * kp * esize[p->precision], b = kp * np * esize[p->precision], c = mp * np * esize[p->precision];
    double largest = a > b ? (a > c ? a : c) : (b > c ? b : c);
    char what[96];
    snprintf(what, sizeof what, "matmul m=%lld n=%lld k=%lld %s", (long long)m, (long long)n, (long long)k,
             prec_names[p->precision]);
    return aib_cl_check_mem(dev, &info, largest, a + b + c, what, err);
}

static void mm_cl_work(const void *params, struct aib_work *out)
{
    int64_t m = 0, n = 0, k = 0;
    struct aib_err err = {0};
    dims(params, &m, &n, &k, &err); /* validated before any work is asked */
    memset(out, 0, sizeof *out);
    out->flops = 2.0 * (double)m * (double)n * (double)k;
}

static double get(const struct mm_cl_state *s, const void *base, size_t i)
{
    switch (s->prec) {
    case PREC_FP16: return aib_half_to_float(((const uint16_t *)base)[i]);
    case PREC_FP64: return ((const double *)base)[i];
    default: return ((const float *)base)[i];
    }
}

static void put(const struct mm_cl_state *s, void *base, size_t i, double v)
{
    switch (s->prec) {
    case PREC_FP16: ((uint16_t *)base)[i] = aib_half_from_float((float)v); break;
    case PREC_FP64: ((double *)base)[i] = v; break;
    default: ((float *)base)[i] = (float)v; break;
    }
}

/* Deterministic inputs in [-1, 1) (xorshift64*). */
static double next_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void mm_cl_teardown(void *state)
{
    struct mm_cl_state *s = state;
    if (!s)
        return;
    aib_cl_job_close(&s->job, &s->kern, 1, s->prog, (cl_mem[]){s->a, s->b, s->c}, 3);
    free(s->ha);
    free(s->hb);
    free(s);
}

static int upload(struct mm_cl_state *s, struct aib_err *err)
{
    struct aib_cl *cl = &s->job.cl;
    cl_int e;
    int rc;
    size_t sa = s->mp * s->kp * s->es, sb = s->kp * s->np * s->es, sc = s->mp * s->np * s->es;
    if ((rc = aib_cl_buffer(cl, CL_MEM_READ_ONLY, sa, "A", &s->a, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_ONLY, sb, "B", &s->b, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_WRITE_ONLY, sc, "C", &s->c, err)) ||
        (rc = aib_cl_write(cl, s->a, 0, sa, s->ha, "A", err)) || (rc = aib_cl_write(cl, s->b, 0, sb, s->hb, "B", err)))
        return rc;
    /* All-ones bytes are NaN in every element type: unwritten C fails. */
    const unsigned char ones = 0xff;
    if ((e = clEnqueueFillBuffer(cl->q, s->c, &ones, 1, 0, sc, 0, NULL, NULL)) != CL_SUCCESS ||
        (e = clFinish(cl->q)) != CL_SUCCESS)
        return aib_cl_fail(err, cl->id, "clEnqueueFillBuffer(C)", e);
    return 0;
}

static cl_int enqueue(void *ctx, cl_event *ev)
{
    struct mm_cl_state *s = ctx;
    return clEnqueueNDRangeKernel(s->job.cl.q, s->kern, 2, NULL, s->gws, s->lws, 0, NULL, ev);
}

static int mm_cl_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct mm_cl_params *p = params;
    static const char *const types[] = {"float", "half", "double"};
    static const char *const accs[] = {"float", "float", "double"};
    static const size_t esize[] = {4, 2, 8};
    int64_t m, n, k;
    char opts[256];
    cl_int e;
    int rc = dims(p, &m, &n, &k, err);
    if (rc)
        return rc;
    struct mm_cl_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->prec = p->precision;
    s->m = (size_t)m, s->n = (size_t)n, s->k = (size_t)k;
    s->mp = up(s->m, PAD_MN), s->np = up(s->n, PAD_MN), s->kp = up(s->k, PAD_K);
    s->es = esize[p->precision];
    mm_cl_work(params, &s->job.work);
    s->ha = calloc(s->mp * s->kp, s->es);
    s->hb = calloc(s->kp * s->np, s->es);
    if (!s->ha || !s->hb) {
        rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate host copies of A and B");
        goto fail;
    }
    /* The padding stays zero: it adds nothing to any dot product. */
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->k; j++)
            put(s, s->ha, i * s->kp + j, next_uniform(&seed));
    for (size_t i = 0; i < s->k; i++)
        for (size_t j = 0; j < s->n; j++)
            put(s, s->hb, i * s->np + j, next_uniform(&seed));
    if ((rc = aib_cl_open(dev, &s->job.cl, err)))
        goto fail;
    s->tl = s->job.cl.info.type & CL_DEVICE_TYPE_CPU ? cpu_tiling : gpu_tiling;
    const char *t = types[p->precision], *acc = accs[p->precision];
    int vw = s->tl.vw;
    snprintf(opts, sizeof opts,
             "-DT=%s -DVT4=%s4 -DACCV=%s%d -DVW=%d -DVLOAD=vload%d -DVSTORE=vstore%d -DCVT_ACC=convert_%s%d "
             "-DCVT_T=convert_%s%d -DWPTM=%d -DRTSN=%d -DRTSM=%d -DTSK=%d%s",
             t, t, acc, vw, vw, vw, vw, acc, vw, t, vw, s->tl.wptm, s->tl.rtsn, s->tl.rtsm, s->tl.tsk,
             p->precision == PREC_FP16 ? " -DAIB_FP16" : p->precision == PREC_FP64 ? " -DAIB_FP64" : "");
    if ((rc = aib_cl_build(&s->job.cl, kernel_src, opts, &s->prog, err)) ||
        (rc = aib_cl_kernel(&s->job.cl, s->prog, "aib_gemm_tiled", &s->kern, err)) || (rc = upload(s, err)))
        goto fail;
    cl_int M = (cl_int)s->mp, N = (cl_int)s->np, K = (cl_int)s->kp;
    if ((e = clSetKernelArg(s->kern, 0, sizeof M, &M)) != CL_SUCCESS ||
        (e = clSetKernelArg(s->kern, 1, sizeof N, &N)) != CL_SUCCESS ||
        (e = clSetKernelArg(s->kern, 2, sizeof K, &K)) != CL_SUCCESS ||
        (e = clSetKernelArg(s->kern, 3, sizeof s->a, &s->a)) != CL_SUCCESS ||
        (e = clSetKernelArg(s->kern, 4, sizeof s->b, &s->b)) != CL_SUCCESS ||
        (e = clSetKernelArg(s->kern, 5, sizeof s->c, &s->c)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, s->job.cl.id, "clSetKernelArg", e);
        goto fail;
    }
    s->lws[0] = (size_t)s->tl.rtsn, s->lws[1] = (size_t)s->tl.rtsm;
    s->gws[0] = s->np / (size_t)vw, s->gws[1] = s->mp / (size_t)s->tl.wptm;
    s->job.enqueue = enqueue;
    s->job.what = "clEnqueueNDRangeKernel(aib_gemm_tiled)";
    snprintf(s->job.how, sizeof s->job.how, "OpenCL tiled kernel %s, %dx%dx%d local tiles, %d rows x %s%d per work-item",
             prec_names[p->precision], s->tl.rtsm * s->tl.wptm, s->tl.rtsn * vw, s->tl.tsk, s->tl.wptm, t, vw);
    *state = s;
    return 0;
fail:
    mm_cl_teardown(s);
    return rc;
}

/* All of C when small, else 256 sampled elements (corners first), against
 * a double reference with a rounding-error bound for the accumulation type. */
static int mm_cl_verify(void *state, struct aib_err *err)
{
    struct mm_cl_state *s = state;
    const double u_lin = s->prec == PREC_FP64 ? 0x1p-52 : 0x1p-23;
    const double u_out = s->prec == PREC_FP64 ? 0x1p-53 : s->prec == PREC_FP16 ? 0x1p-11 : 0x1p-24;
    bool all = s->m * s->n <= 65536;
    size_t count = all ? s->m * s->n : 256;
    unsigned char *row = malloc(s->np * s->es);
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    size_t have_row = (size_t)-1;
    int rc = 0;
    if (!row)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    for (size_t t = 0; t < count; t++) {
        size_t i, j;
        if (all) {
            i = t / s->n, j = t % s->n;
        } else {
            i = t == 0 ? 0 : t == 1 ? s->m - 1 : (size_t)((next_uniform(&seed) + 1) / 2 * (double)s->m);
            j = t == 0 ? 0 : t == 1 ? s->n - 1 : (size_t)((next_uniform(&seed) + 1) / 2 * (double)s->n);
            i = i < s->m ? i : s->m - 1;
            j = j < s->n ? j : s->n - 1;
        }
        if (i != have_row) { /* one row of C at a time */
            if ((rc = aib_cl_read(&s->job.cl, s->c, i * s->np * s->es, s->np * s->es, row, "C", err)))
                goto out;
            have_row = i;
        }
        struct aib_refdot d = {0};
        for (size_t q = 0; q < s->k; q++)
            aib_refdot_add(&d, get(s, s->ha, i * s->kp + q) * get(s, s->hb, q * s->np + j));
        double got = get(s, row, j), allowed = aib_refdot_allowed(&d, u_lin, u_out);
        if (!(fabs(got - d.sum) <= allowed)) {
            rc = aib_err_set(err, AIB_EVERIFY,
                             "wrong answer: C[%zu,%zu] = %.9g, reference %.9g (|error| %.3g > tolerance %.3g for %s)",
                             i, j, got, d.sum, fabs(got - d.sum), allowed, prec_names[s->prec]);
            goto out;
        }
    }
    aib_devtime_verified(&s->job.dt);
out:
    free(row);
    return rc;
}

const struct aib_workload_ops aib_matmul_opencl = {
    .name = "matmul",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_OPENCL,
    .summary = "dense matrix multiply with aibench's tiled OpenCL kernel (GFLOP/s), profiling-event timed, verified",
    .params = {"matmul", mm_cl_decl, sizeof mm_cl_decl / sizeof mm_cl_decl[0], sizeof(struct mm_cl_params)},
    .validate = mm_cl_validate,
    .setup = mm_cl_setup,
    .run = aib_cl_job_run,
    .verify = mm_cl_verify,
    .work = mm_cl_work,
    .metrics = aib_cl_job_metrics,
    .teardown = mm_cl_teardown,
};

/* Every loader count in the kernel must come out whole. */
_Static_assert((16 * 8 * 32 / 4) % (4 * 8) == 0 && (32 * 4 * 16 / 4) % (4 * 8) == 0, "cpu tiling loads");
_Static_assert((8 * 8 * 16 / 4) % (16 * 8) == 0 && (16 * 16 * 4 / 4) % (16 * 8) == 0, "gpu tiling loads");
_Static_assert(8 * 8 == PAD_MN && 4 * 16 == PAD_MN && 16 * 4 == PAD_MN && 8 * 8 == PAD_MN, "64 x 64 tiles");
