/* membw on an OpenCL device: STREAM kernels over fp32 arrays in global
 * memory (read: a sum, like clpeak's global bandwidth test; copy c=a,
 * scale b=q*c, add c=a+b, triad a=b+q*c) with vector types: float16 and
 * one contiguous chunk per work-item on CPUs (each core streams through
 * memory), float4 with neighbouring work-items on neighbouring vectors on
 * GPUs (coalesced). Bytes are counted the STREAM way: 4, 8, 8, 12 and 12
 * per element; `size` is the working set of the arrays the kernel touches.
 * Timed with profiling events; results are exact and checked exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../opencl_common.h"

enum { K_READ, K_COPY, K_SCALE, K_ADD, K_TRIAD };

struct membw_cl_params {
    int kernel;
    int64_t size;
};

static const struct aib_param membw_cl_decl[] = {
    {"kernel", AIB_PT_ENUM, offsetof(struct membw_cl_params, kernel), "triad", 0, 0, "read|copy|scale|add|triad",
     "read sum(a) (4 B/element); copy c=a, scale b=q*c (8 B); add c=a+b, triad a=b+q*c (12 B)"},
    {"size", AIB_PT_SIZE, offsetof(struct membw_cl_params, size), "0", 0, 1099511627776.0, NULL,
     "working set of the arrays the kernel touches (0: 256 MiB per array)"},
};

static const int arrays_of[] = {1, 2, 2, 3, 3};
static const char *const knames[] = {"aib_membw_read", "aib_membw_copy", "aib_membw_scale", "aib_membw_add",
                                     "aib_membw_triad"};

/* Small integers: every result below is exact in fp32. */
static const char *const kernel_src =
    "#define Q 3.0f\n"
    "#if CHUNKED\n"
    "#define LOOP for (size_t i = get_global_id(0) * per, e_ = min(i + per, nv); i < e_; i++)\n"
    "#else\n"
    "#define LOOP for (size_t i = get_global_id(0); i < nv; i += get_global_size(0))\n"
    "#endif\n"
    "__kernel void aib_membw_init(__global float *a, __global float *b, __global float *c, const ulong n)\n"
    "{\n"
    "    for (size_t i = get_global_id(0); i < n; i += get_global_size(0)) {\n"
    "        a[i] = 1.0f + (float)(i % 7);\n"
    "        b[i] = 2.0f + (float)(i % 5);\n"
    "        c[i] = 3.0f + (float)(i % 3);\n"
    "    }\n"
    "}\n"
    "__kernel void aib_membw_read(__global const VT *restrict a, const ulong nv, const ulong per,\n"
    "                             __global float *restrict out)\n"
    "{\n"
    /* four independent sums: the adds must not be the bottleneck */
    "    VT s0 = (VT)(0.0f), s1 = s0, s2 = s0, s3 = s0;\n"
    "#if CHUNKED\n"
    "    size_t i = get_global_id(0) * per, e = min(i + per, nv);\n"
    "    for (; i + 4 <= e; i += 4) {\n"
    "        s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];\n"
    "    }\n"
    "    for (; i < e; i++)\n"
    "        s0 += a[i];\n"
    "#else\n"
    "    LOOP s0 += a[i];\n"
    "#endif\n"
    "    const VT s = (s0 + s1) + (s2 + s3);\n"
    "    float r = 0.0f;\n"
    "    for (int l = 0; l < VW; l++)\n"
    "        r += ((float *)&s)[l];\n"
    "    out[get_global_id(0)] = r;\n"
    "}\n"
    "__kernel void aib_membw_copy(__global const VT *restrict a, __global VT *restrict c, const ulong nv,\n"
    "                             const ulong per)\n"
    "{\n"
    "    LOOP c[i] = a[i];\n"
    "}\n"
    "__kernel void aib_membw_scale(__global VT *restrict b, __global const VT *restrict c, const ulong nv,\n"
    "                              const ulong per)\n"
    "{\n"
    "    LOOP b[i] = Q * c[i];\n"
    "}\n"
    "__kernel void aib_membw_add(__global const VT *restrict a, __global const VT *restrict b,\n"
    "                            __global VT *restrict c, const ulong nv, const ulong per)\n"
    "{\n"
    "    LOOP c[i] = a[i] + b[i];\n"
    "}\n"
    "__kernel void aib_membw_triad(__global VT *restrict a, __global const VT *restrict b,\n"
    "                              __global const VT *restrict c, const ulong nv, const ulong per)\n"
    "{\n"
    "    LOOP a[i] = b[i] + Q * c[i];\n"
    "}\n";

struct membw_cl_state {
    struct aib_cl_job job; /* first: the shared run and metrics hooks take the state as a job */
    int kernel, vw;
    size_t n, nv, per, gws; /* floats per array, vectors per array, vectors per work-item, work-items */
    cl_program prog;
    cl_kernel kern, init;
    cl_mem a, b, c, out;
};

/* Bytes of each array: size / arrays, a whole number of 64-byte vectors;
 * size 0 is 256 MiB per array on every device (so the work per iteration
 * does not depend on the device). */
static int64_t array_bytes(const struct membw_cl_params *p)
{
    if (p->size == 0)
        return 256ll << 20;
    return p->size / arrays_of[p->kernel] / 64 * 64;
}

static int membw_cl_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct membw_cl_params *p = params;
    struct aib_cl_info info;
    int rc = aib_cl_query(dev, &info, err);
    if (rc)
        return rc;
    int64_t ab = array_bytes(p);
    if (ab < 4096)
        return aib_err_set(err, AIB_EUSAGE, "membw size=%lld is too small: at least 4 KiB per array (%d arrays)",
                           (long long)p->size, arrays_of[p->kernel]);
    return aib_cl_check_mem(dev, &info, (double)ab, 3.0 * (double)ab, "membw (three arrays)", err);
}

static void membw_cl_work(const void *params, struct aib_work *out)
{
    const struct membw_cl_params *p = params;
    memset(out, 0, sizeof *out);
    out->bytes = (double)array_bytes(p) * arrays_of[p->kernel];
}

static void membw_cl_teardown(void *state)
{
    struct membw_cl_state *s = state;
    if (!s)
        return;
    aib_cl_job_close(&s->job, (cl_kernel[]){s->kern, s->init}, 2, s->prog, (cl_mem[]){s->a, s->b, s->c, s->out}, 4);
    free(s);
}

static int set_args(struct membw_cl_state *s, struct aib_err *err)
{
    cl_ulong nv = s->nv, per = s->per, n = s->n;
    cl_mem order[5][3] = {{s->a}, {s->a, s->c}, {s->b, s->c}, {s->a, s->b, s->c}, {s->a, s->b, s->c}};
    cl_uint nb = (cl_uint)arrays_of[s->kernel], i;
    cl_int e = CL_SUCCESS;
    for (i = 0; e == CL_SUCCESS && i < nb; i++)
        e = clSetKernelArg(s->kern, i, sizeof(cl_mem), &order[s->kernel][i]);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->kern, nb, sizeof nv, &nv);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->kern, nb + 1, sizeof per, &per);
    if (e == CL_SUCCESS && s->kernel == K_READ)
        e = clSetKernelArg(s->kern, nb + 2, sizeof s->out, &s->out);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->init, 0, sizeof s->a, &s->a);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->init, 1, sizeof s->b, &s->b);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->init, 2, sizeof s->c, &s->c);
    if (e == CL_SUCCESS)
        e = clSetKernelArg(s->init, 3, sizeof n, &n);
    return e == CL_SUCCESS ? 0 : aib_cl_fail(err, s->job.cl.id, "clSetKernelArg", e);
}

static cl_int enqueue(void *ctx, cl_event *ev)
{
    struct membw_cl_state *s = ctx;
    return clEnqueueNDRangeKernel(s->job.cl.q, s->kern, 1, NULL, &s->gws, NULL, 0, NULL, ev);
}

static int membw_cl_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct membw_cl_params *p = params;
    char opts[128];
    cl_int e;
    int rc;
    struct membw_cl_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->kernel = p->kernel;
    if ((rc = aib_cl_open(dev, &s->job.cl, err)))
        goto fail;
    struct aib_cl *cl = &s->job.cl;
    bool cpu = (cl->info.type & CL_DEVICE_TYPE_CPU) != 0;
    size_t ab = (size_t)array_bytes(p);
    s->vw = cpu ? 16 : 4;
    s->n = ab / sizeof(float);
    s->nv = s->n / (size_t)s->vw;
    /* Work-items: 256 per compute unit on CPUs, 2048 on GPUs; more when a
     * work-item's fp32 sum could pass 2^24 (no longer exact). */
    size_t cus = dev->cores ? dev->cores : 1;
    s->gws = cus * (cpu ? 256 : 2048);
    while (s->n / s->gws * 7 > (1u << 23) / 2)
        s->gws *= 2;
    s->gws = (s->gws + 63) / 64 * 64;
    s->per = (s->nv + s->gws - 1) / s->gws;
    membw_cl_work(params, &s->job.work);
    snprintf(opts, sizeof opts, "-DVT=float%d -DVW=%d -DCHUNKED=%d", s->vw, s->vw, cpu);
    if ((rc = aib_cl_build(cl, kernel_src, opts, &s->prog, err)) ||
        (rc = aib_cl_kernel(cl, s->prog, knames[p->kernel], &s->kern, err)) ||
        (rc = aib_cl_kernel(cl, s->prog, "aib_membw_init", &s->init, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_WRITE, ab, "a", &s->a, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_WRITE, ab, "b", &s->b, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_READ_WRITE, ab, "c", &s->c, err)) ||
        (rc = aib_cl_buffer(cl, CL_MEM_WRITE_ONLY, s->gws * sizeof(float), "partial sums", &s->out, err)) ||
        (rc = set_args(s, err)))
        goto fail;
    if ((e = clEnqueueNDRangeKernel(cl->q, s->init, 1, NULL, &s->gws, NULL, 0, NULL, NULL)) != CL_SUCCESS ||
        (e = clFinish(cl->q)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, "clEnqueueNDRangeKernel(aib_membw_init)", e);
        goto fail;
    }
    s->job.enqueue = enqueue;
    s->job.what = knames[p->kernel];
    char sz[32];
    aib_gpu_fmt_bytes((double)ab, sz, sizeof sz);
    snprintf(s->job.how, sizeof s->job.how, "OpenCL %s, float%d, %s per array, %zu work-items (%s)", knames[p->kernel] + 10,
             s->vw, sz, s->gws, cpu ? "a contiguous chunk each" : "coalesced");
    *state = s;
    return 0;
fail:
    membw_cl_teardown(s);
    return rc;
}

static float init_a(size_t i) { return 1.0f + (float)(i % 7); }
static float init_b(size_t i) { return 2.0f + (float)(i % 5); }
static float init_c(size_t i) { return 3.0f + (float)(i % 3); }

static int verify_read(struct membw_cl_state *s, struct aib_err *err)
{
    float *part = malloc(s->gws * sizeof *part);
    int rc = 0;
    if (!part)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    if ((rc = aib_cl_read(&s->job.cl, s->out, 0, s->gws * sizeof *part, part, "partial sums", err)))
        goto out;
    double got = 0, want = 28.0 * (double)(s->n / 7) + (double)((s->n % 7) * (s->n % 7 + 1) / 2);
    for (size_t i = 0; i < s->gws; i++)
        got += part[i];
    if (!(got == want))
        rc = aib_err_set(err, AIB_EVERIFY, "wrong answer: read sum %.17g, expected %.17g", got, want);
out:
    free(part);
    return rc;
}

static int membw_cl_verify(void *state, struct aib_err *err)
{
    struct membw_cl_state *s = state;
    int rc = 0;
    if (s->kernel == K_READ) {
        rc = verify_read(s, err);
    } else {
        cl_mem dst = s->kernel == K_SCALE ? s->b : s->kernel == K_TRIAD ? s->a : s->c;
        uint64_t seed = 0x94D049BB133111EBULL;
        for (size_t t = 0; t < 1024 && rc == 0; t++) {
            size_t i = aib_gpu_sample_index(&seed, t, s->n);
            float v = 0;
            if ((rc = aib_cl_read(&s->job.cl, dst, i * sizeof v, sizeof v, &v, "element", err)))
                return rc;
            float want = s->kernel == K_COPY    ? init_a(i)
                         : s->kernel == K_SCALE ? 3.0f * init_c(i)
                         : s->kernel == K_ADD   ? init_a(i) + init_b(i)
                                                : init_b(i) + 3.0f * init_c(i);
            if (!(v == want))
                rc = aib_err_set(err, AIB_EVERIFY, "wrong answer: %s element %zu = %.9g, expected %.9g",
                                 knames[s->kernel] + 10, i, (double)v, (double)want);
        }
    }
    if (rc == 0)
        aib_devtime_verified(&s->job.dt);
    return rc;
}

const struct aib_workload_ops aib_membw_opencl = {
    .name = "membw",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_OPENCL,
    .summary = "OpenCL global memory bandwidth, STREAM kernels with vector types (GB/s), profiling-event timed, "
               "verified exactly",
    .params = {"membw", membw_cl_decl, sizeof membw_cl_decl / sizeof membw_cl_decl[0], sizeof(struct membw_cl_params)},
    .validate = membw_cl_validate,
    .setup = membw_cl_setup,
    .run = aib_cl_job_run,
    .verify = membw_cl_verify,
    .work = membw_cl_work,
    .metrics = aib_cl_job_metrics,
    .teardown = membw_cl_teardown,
};
