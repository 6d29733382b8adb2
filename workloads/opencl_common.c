#include "opencl_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *aib_cl_code(cl_int e, char *buf, size_t len)
{
    static const struct {
        cl_int code;
        const char *name;
    } names[] = {
        {CL_DEVICE_NOT_FOUND, "CL_DEVICE_NOT_FOUND"},
        {CL_DEVICE_NOT_AVAILABLE, "CL_DEVICE_NOT_AVAILABLE"},
        {CL_COMPILER_NOT_AVAILABLE, "CL_COMPILER_NOT_AVAILABLE"},
        {CL_MEM_OBJECT_ALLOCATION_FAILURE, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
        {CL_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES"},
        {CL_OUT_OF_HOST_MEMORY, "CL_OUT_OF_HOST_MEMORY"},
        {CL_PROFILING_INFO_NOT_AVAILABLE, "CL_PROFILING_INFO_NOT_AVAILABLE"},
        {CL_BUILD_PROGRAM_FAILURE, "CL_BUILD_PROGRAM_FAILURE"},
        {CL_MAP_FAILURE, "CL_MAP_FAILURE"},
        {CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"},
        {CL_INVALID_VALUE, "CL_INVALID_VALUE"},
        {CL_INVALID_PLATFORM, "CL_INVALID_PLATFORM"},
        {CL_INVALID_DEVICE, "CL_INVALID_DEVICE"},
        {CL_INVALID_CONTEXT, "CL_INVALID_CONTEXT"},
        {CL_INVALID_QUEUE_PROPERTIES, "CL_INVALID_QUEUE_PROPERTIES"},
        {CL_INVALID_COMMAND_QUEUE, "CL_INVALID_COMMAND_QUEUE"},
        {CL_INVALID_MEM_OBJECT, "CL_INVALID_MEM_OBJECT"},
        {CL_INVALID_BUILD_OPTIONS, "CL_INVALID_BUILD_OPTIONS"},
        {CL_INVALID_PROGRAM, "CL_INVALID_PROGRAM"},
        {CL_INVALID_PROGRAM_EXECUTABLE, "CL_INVALID_PROGRAM_EXECUTABLE"},
        {CL_INVALID_KERNEL_NAME, "CL_INVALID_KERNEL_NAME"},
        {CL_INVALID_KERNEL, "CL_INVALID_KERNEL"},
        {CL_INVALID_ARG_INDEX, "CL_INVALID_ARG_INDEX"},
        {CL_INVALID_ARG_VALUE, "CL_INVALID_ARG_VALUE"},
        {CL_INVALID_ARG_SIZE, "CL_INVALID_ARG_SIZE"},
        {CL_INVALID_KERNEL_ARGS, "CL_INVALID_KERNEL_ARGS"},
        {CL_INVALID_WORK_DIMENSION, "CL_INVALID_WORK_DIMENSION"},
        {CL_INVALID_WORK_GROUP_SIZE, "CL_INVALID_WORK_GROUP_SIZE"},
        {CL_INVALID_WORK_ITEM_SIZE, "CL_INVALID_WORK_ITEM_SIZE"},
        {CL_INVALID_GLOBAL_OFFSET, "CL_INVALID_GLOBAL_OFFSET"},
        {CL_INVALID_EVENT, "CL_INVALID_EVENT"},
        {CL_INVALID_OPERATION, "CL_INVALID_OPERATION"},
        {CL_INVALID_BUFFER_SIZE, "CL_INVALID_BUFFER_SIZE"},
        {CL_INVALID_GLOBAL_WORK_SIZE, "CL_INVALID_GLOBAL_WORK_SIZE"},
        {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e)
            return names[i].name;
    snprintf(buf, len, "OpenCL error %d", (int)e);
    return buf;
}

int aib_cl_fail(struct aib_err *err, const char *dev, const char *what, cl_int e)
{
    char code[32];
    return aib_err_set(err, e == CL_OUT_OF_HOST_MEMORY ? AIB_ENOMEM : AIB_ERUN, "%s failed on %s: %s (%d)", what, dev,
                       aib_cl_code(e, code, sizeof code), (int)e);
}

/* The device listed as platform pi, device di (discovery's numbering). */
static int find_device(const struct aib_device *d, cl_device_id *out, struct aib_err *err)
{
    cl_platform_id plats[64];
    cl_device_id devs[256];
    cl_uint np = 0, nd = 0;
    cl_int e = clGetPlatformIDs(64, plats, &np);
    if (e != CL_SUCCESS)
        return aib_cl_fail(err, d->id, "clGetPlatformIDs", e);
    if (d->kind != AIB_DEV_OPENCL || d->platform_index < 0 || (cl_uint)d->platform_index >= np || np > 64)
        return aib_err_set(err, AIB_EUSAGE, "%s is not an OpenCL device on this machine", d->id);
    e = clGetDeviceIDs(plats[d->platform_index], CL_DEVICE_TYPE_ALL, 256, devs, &nd);
    if (e != CL_SUCCESS)
        return aib_cl_fail(err, d->id, "clGetDeviceIDs", e);
    if (d->index < 0 || (cl_uint)d->index >= nd || nd > 256)
        return aib_err_set(err, AIB_EUSAGE, "%s is not an OpenCL device on this machine", d->id);
    *out = devs[d->index];
    return 0;
}

static bool has_ext(const char *exts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = exts; (p = strstr(p, name)); p += n)
        if ((p == exts || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

static int query(const char *id, cl_device_id dev, struct aib_cl_info *info, struct aib_err *err)
{
    char *exts = NULL;
    size_t need = 0;
    cl_device_fp_config dfp = 0;
    int rc = 0;
    memset(info, 0, sizeof *info);
    cl_int e = clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof info->type, &info->type, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof info->max_alloc, &info->max_alloc, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof info->global_mem, &info->global_mem, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof info->local_mem, &info->local_mem, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof info->max_wg, &info->max_wg, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof info->name - 1, info->name, NULL);
    if (e == CL_SUCCESS)
        e = clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, 0, NULL, &need);
    if (e != CL_SUCCESS) {
        rc = aib_cl_fail(err, id, "clGetDeviceInfo", e);
        goto out;
    }
    if (!(exts = calloc(need + 1, 1))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto out;
    }
    if ((e = clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, need, exts, NULL)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, id, "clGetDeviceInfo(CL_DEVICE_EXTENSIONS)", e);
        goto out;
    }
    /* fp64 is optional; a device without it may reject the query. */
    if (clGetDeviceInfo(dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof dfp, &dfp, NULL) != CL_SUCCESS)
        dfp = 0;
    info->fp16 = has_ext(exts, "cl_khr_fp16");
    info->fp64 = dfp != 0 || has_ext(exts, "cl_khr_fp64");
out:
    free(exts);
    return rc;
}

int aib_cl_query(const struct aib_device *d, struct aib_cl_info *info, struct aib_err *err)
{
    cl_device_id dev;
    int rc = find_device(d, &dev, err);
    return rc ? rc : query(d->id, dev, info, err);
}

int aib_cl_check_prec(const struct aib_device *d, const struct aib_cl_info *info, const char *prec,
                      struct aib_err *err)
{
    if (strcmp(prec, "fp16") == 0 && !info->fp16)
        return aib_err_set(err, AIB_EUSAGE, "%s (%s) cannot do fp16: it lacks the cl_khr_fp16 extension", d->id,
                           info->name);
    if (strcmp(prec, "fp64") == 0 && !info->fp64)
        return aib_err_set(err, AIB_EUSAGE, "%s (%s) cannot do fp64: it lacks the cl_khr_fp64 extension", d->id,
                           info->name);
    return 0;
}

int aib_cl_check_mem(const struct aib_device *d, const struct aib_cl_info *info, double largest, double total,
                     const char *what, struct aib_err *err)
{
    char need[32], have[32];
    if (largest > (double)info->max_alloc) {
        aib_gpu_fmt_bytes(largest, need, sizeof need);
        aib_gpu_fmt_bytes((double)info->max_alloc, have, sizeof have);
        return aib_err_set(err, AIB_EUSAGE, "%s needs a %s buffer, over the %s maximum allocation of %s", what, need,
                           have, d->id);
    }
    if (total > 0.9 * (double)info->global_mem) {
        aib_gpu_fmt_bytes(total, need, sizeof need);
        aib_gpu_fmt_bytes((double)info->global_mem, have, sizeof have);
        return aib_err_set(err, AIB_EUSAGE, "%s needs %s of buffers, over 90%% of the %s global memory of %s", what,
                           need, have, d->id);
    }
    return 0;
}

int aib_cl_open(const struct aib_device *d, struct aib_cl *cl, struct aib_err *err)
{
    cl_int e;
    int rc;
    memset(cl, 0, sizeof *cl);
    snprintf(cl->id, sizeof cl->id, "%s", d->id);
    if ((rc = find_device(d, &cl->dev, err)) || (rc = query(d->id, cl->dev, &cl->info, err)))
        return rc;
    cl->ctx = clCreateContext(NULL, 1, &cl->dev, NULL, NULL, &e);
    if (!cl->ctx)
        return aib_cl_fail(err, d->id, "clCreateContext", e);
    cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl->q = clCreateCommandQueueWithProperties(cl->ctx, cl->dev, props, &e);
    if (!cl->q) {
        rc = aib_cl_fail(err, d->id, "clCreateCommandQueueWithProperties(profiling)", e);
        aib_cl_close(cl);
        return rc;
    }
    return 0;
}

void aib_cl_close(struct aib_cl *cl)
{
    if (cl->q) {
        clFinish(cl->q);
        clReleaseCommandQueue(cl->q);
    }
    if (cl->ctx)
        clReleaseContext(cl->ctx);
    cl->q = NULL;
    cl->ctx = NULL;
}

/* The build log on one line: the lines that say "error" first, then the
 * rest, separated by " | ", as much as fits. */
static void condense_log(const char *log, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const char *p = log;
        while (*p && used + 4 < len) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            bool is_err = false;
            for (size_t i = 0; i + 5 <= n && !is_err; i++)
                is_err = strncmp(p + i, "error", 5) == 0;
            if (n && is_err == (pass == 0)) {
                int w = snprintf(out + used, len - used, "%s%.*s", used ? " | " : "", (int)n, p);
                used = w > 0 && (size_t)w < len - used ? used + (size_t)w : len - 1;
            }
            p = nl ? nl + 1 : p + n;
        }
    }
}

int aib_cl_build(struct aib_cl *cl, const char *src, const char *opts, cl_program *out, struct aib_err *err)
{
    cl_int e;
    char *log = NULL;
    int rc = 0;
    *out = NULL;
    cl_program p = clCreateProgramWithSource(cl->ctx, 1, &src, NULL, &e);
    if (!p)
        return aib_cl_fail(err, cl->id, "clCreateProgramWithSource", e);
    e = clBuildProgram(p, 1, &cl->dev, opts, NULL, NULL);
    if (e == CL_BUILD_PROGRAM_FAILURE || e == CL_INVALID_BUILD_OPTIONS) {
        size_t need = 0;
        char line[400];
        if (clGetProgramBuildInfo(p, cl->dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &need) == CL_SUCCESS &&
            (log = calloc(need + 1, 1)) &&
            clGetProgramBuildInfo(p, cl->dev, CL_PROGRAM_BUILD_LOG, need, log, NULL) == CL_SUCCESS)
            condense_log(log, line, sizeof line);
        else
            snprintf(line, sizeof line, "(no build log)");
        rc = aib_err_set(err, AIB_ERUN, "OpenCL kernel build failed on %s (%s, options \"%s\"): build log: %s", cl->id,
                         e == CL_BUILD_PROGRAM_FAILURE ? "CL_BUILD_PROGRAM_FAILURE" : "CL_INVALID_BUILD_OPTIONS",
                         opts ? opts : "", line[0] ? line : "(empty)");
        goto out;
    }
    if (e != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, "clBuildProgram", e);
        goto out;
    }
    *out = p;
    p = NULL;
out:
    free(log);
    if (p)
        clReleaseProgram(p);
    return rc;
}

int aib_cl_kernel(struct aib_cl *cl, cl_program p, const char *name, cl_kernel *out, struct aib_err *err)
{
    cl_int e;
    *out = clCreateKernel(p, name, &e);
    if (!*out) {
        char what[96];
        snprintf(what, sizeof what, "clCreateKernel(%s)", name);
        return aib_cl_fail(err, cl->id, what, e);
    }
    return 0;
}

int aib_cl_buffer(struct aib_cl *cl, cl_mem_flags flags, size_t bytes, const char *what, cl_mem *out,
                  struct aib_err *err)
{
    cl_int e;
    *out = NULL;
    if (bytes > cl->info.max_alloc)
        return aib_err_set(err, AIB_EUSAGE, "%s: %zu bytes exceed the maximum allocation (%llu) of %s", what, bytes,
                           (unsigned long long)cl->info.max_alloc, cl->id);
    *out = clCreateBuffer(cl->ctx, flags, bytes ? bytes : 1, NULL, &e);
    if (!*out) {
        char w[96];
        snprintf(w, sizeof w, "clCreateBuffer(%s)", what);
        return aib_cl_fail(err, cl->id, w, e);
    }
    return 0;
}

int aib_cl_timed(struct aib_cl *cl, uint64_t iters, aib_cl_enqueue_fn enq, void *ctx, const char *what,
                 double *secs, struct aib_err *err)
{
    cl_event first = NULL, last = NULL;
    cl_ulong t0 = 0, t1 = 0;
    cl_int e = CL_SUCCESS;
    int rc = 0;
    *secs = 0;
    for (uint64_t i = 0; i < iters; i++) {
        cl_event *ev = i == 0 ? &first : i + 1 == iters ? &last : NULL;
        if ((e = enq(ctx, ev)) != CL_SUCCESS) {
            rc = aib_cl_fail(err, cl->id, what, e);
            goto out;
        }
    }
    cl_event end = last ? last : first;
    if (!end)
        goto out;
    if ((e = clWaitForEvents(1, &end)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, what, e);
        goto out;
    }
    if ((e = clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL)) != CL_SUCCESS ||
        (e = clGetEventProfilingInfo(end, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, "clGetEventProfilingInfo", e);
        goto out;
    }
    *secs = t1 > t0 ? (double)(t1 - t0) * 1e-9 : 0;
out:
    if (rc && cl->q)
        clFinish(cl->q); /* nothing of ours is left running */
    if (first)
        clReleaseEvent(first);
    if (last)
        clReleaseEvent(last);
    return rc;
}

/* 0, or the failure of `call` on `what` ("clEnqueueReadBuffer(output)"). */
static int rw_result(struct aib_cl *cl, cl_int e, const char *call, const char *what, struct aib_err *err)
{
    char w[96];
    if (e == CL_SUCCESS)
        return 0;
    snprintf(w, sizeof w, "%s(%s)", call, what);
    return aib_cl_fail(err, cl->id, w, e);
}

int aib_cl_read(struct aib_cl *cl, cl_mem mem, size_t offset, size_t bytes, void *dst, const char *what,
                struct aib_err *err)
{
    cl_int e = clEnqueueReadBuffer(cl->q, mem, CL_TRUE, offset, bytes, dst, 0, NULL, NULL);
    return rw_result(cl, e, "clEnqueueReadBuffer", what, err);
}

int aib_cl_write(struct aib_cl *cl, cl_mem mem, size_t offset, size_t bytes, const void *src, const char *what,
                 struct aib_err *err)
{
    cl_int e = clEnqueueWriteBuffer(cl->q, mem, CL_TRUE, offset, bytes, src, 0, NULL, NULL);
    return rw_result(cl, e, "clEnqueueWriteBuffer", what, err);
}

int aib_cl_job_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct aib_cl_job *j = state;
    double secs;
    int rc = aib_cl_timed(&j->cl, iters, j->enqueue, state, j->what, &secs, err);
    return rc ? rc : aib_devtime_add(&j->dt, secs, iters, err);
}

int aib_cl_job_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    const struct aib_cl_job *j = state;
    return aib_devtime_metrics(&j->dt, &j->work, j->how, r, err);
}

void aib_cl_job_close(struct aib_cl_job *j, const cl_kernel *kernels, size_t nk, cl_program prog,
                      const cl_mem *mems, size_t nm)
{
    if (j->cl.q)
        clFinish(j->cl.q);
    for (size_t i = 0; i < nk; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    if (prog)
        clReleaseProgram(prog);
    for (size_t i = 0; i < nm; i++)
        if (mems[i])
            clReleaseMemObject(mems[i]);
    aib_cl_close(&j->cl);
    aib_devtime_free(&j->dt);
}
