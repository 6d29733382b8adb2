/* transfer on an OpenCL device: clEnqueueWriteBuffer (host to device),
 * clEnqueueReadBuffer (device to host) from pageable malloc memory or from
 * pinned memory (a CL_MEM_ALLOC_HOST_PTR buffer, mapped: the usual way to
 * get page-locked memory in OpenCL), and clEnqueueCopyBuffer (device to
 * device, counted as read + written). Timed with profiling events; sampled
 * bytes of the destination are checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../opencl_common.h"
#include "transfer.h"

struct xfer_cl_state {
    struct aib_cl_job job; /* first: the shared run and metrics hooks take the state as a job */
    struct aib_transfer_params p;
    size_t bytes;
    cl_mem src, dst, pin; /* device source / destination; pinned host buffer */
    unsigned char *host;  /* pageable (owned) or the mapping of pin */
    bool host_owned;
};

static const char *const dir_names[] = {"h2d", "d2h", "d2d"};

/* Never zero: a destination still holding zeros fails. */
static unsigned char pattern(size_t i) { return (unsigned char)(1 + (i * 131) % 251); }

static int xfer_cl_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct aib_transfer_params *p = params;
    struct aib_cl_info info;
    int rc = aib_transfer_check_host(p, err);
    if (rc || (rc = aib_cl_query(dev, &info, err)))
        return rc;
    double sz = (double)p->size;
    /* pinned memory is one more buffer of the same size */
    double total = sz * (p->direction == AIB_TRANSFER_D2D || p->memory ? 2 : 1);
    char what[64];
    snprintf(what, sizeof what, "transfer %s", dir_names[p->direction]);
    return aib_cl_check_mem(dev, &info, sz, total, what, err);
}

static void xfer_cl_teardown(void *state)
{
    struct xfer_cl_state *s = state;
    if (!s)
        return;
    if (s->pin && s->host && s->job.cl.q)
        clEnqueueUnmapMemObject(s->job.cl.q, s->pin, s->host, 0, NULL, NULL);
    if (s->host_owned)
        free(s->host);
    aib_cl_job_close(&s->job, NULL, 0, NULL, (cl_mem[]){s->src, s->dst, s->pin}, 3);
    free(s);
}

/* The device source gets the pattern, written in 16 MiB pieces. */
static int fill_source(struct xfer_cl_state *s, struct aib_err *err)
{
    const size_t piece = 16u << 20;
    size_t len = s->bytes < piece ? s->bytes : piece;
    unsigned char *buf = malloc(len);
    int rc = 0;
    if (!buf)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    for (size_t off = 0; off < s->bytes && rc == 0; off += piece) {
        size_t n = s->bytes - off < piece ? s->bytes - off : piece;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(off + i);
        rc = aib_cl_write(&s->job.cl, s->src, off, n, buf, "source", err);
    }
    free(buf);
    return rc;
}

static cl_int enqueue(void *ctx, cl_event *ev)
{
    struct xfer_cl_state *s = ctx;
    cl_command_queue q = s->job.cl.q;
    switch (s->p.direction) {
    case AIB_TRANSFER_H2D: return clEnqueueWriteBuffer(q, s->dst, CL_FALSE, 0, s->bytes, s->host, 0, NULL, ev);
    case AIB_TRANSFER_D2H: return clEnqueueReadBuffer(q, s->src, CL_FALSE, 0, s->bytes, s->host, 0, NULL, ev);
    default: return clEnqueueCopyBuffer(q, s->src, s->dst, 0, 0, s->bytes, 0, NULL, ev);
    }
}

static int xfer_cl_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct aib_transfer_params *p = params;
    cl_int e;
    int rc;
    struct xfer_cl_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->p = *p;
    s->bytes = (size_t)p->size;
    aib_transfer_work(params, &s->job.work);
    if ((rc = aib_cl_open(dev, &s->job.cl, err)))
        goto fail;
    struct aib_cl *cl = &s->job.cl;
    if (p->direction != AIB_TRANSFER_D2D) {
        if (p->memory) {
            if ((rc = aib_cl_buffer(cl, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_WRITE, s->bytes, "pinned host buffer",
                                    &s->pin, err)))
                goto fail;
            s->host = clEnqueueMapBuffer(cl->q, s->pin, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, s->bytes, 0, NULL,
                                         NULL, &e);
            if (!s->host) {
                rc = aib_cl_fail(err, cl->id, "clEnqueueMapBuffer(pinned host buffer)", e);
                goto fail;
            }
        } else {
            if (!(s->host = malloc(s->bytes))) {
                rc = aib_err_set(err, AIB_ENOMEM, "cannot allocate a %zu-byte host buffer", s->bytes);
                goto fail;
            }
            s->host_owned = true;
        }
        /* Written now, so pageable pages are resident before timing. */
        for (size_t i = 0; i < s->bytes; i++)
            s->host[i] = p->direction == AIB_TRANSFER_H2D ? pattern(i) : 0;
    }
    const unsigned char zero = 0;
    if (p->direction != AIB_TRANSFER_D2H &&
        ((rc = aib_cl_buffer(cl, CL_MEM_READ_WRITE, s->bytes, "destination", &s->dst, err)) ||
         (e = clEnqueueFillBuffer(cl->q, s->dst, &zero, 1, 0, s->bytes, 0, NULL, NULL)) != CL_SUCCESS)) {
        rc = rc ? rc : aib_cl_fail(err, cl->id, "clEnqueueFillBuffer(destination)", e);
        goto fail;
    }
    if (p->direction != AIB_TRANSFER_H2D &&
        ((rc = aib_cl_buffer(cl, CL_MEM_READ_WRITE, s->bytes, "source", &s->src, err)) || (rc = fill_source(s, err))))
        goto fail;
    if ((e = clFinish(cl->q)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, cl->id, "clFinish", e);
        goto fail;
    }
    s->job.enqueue = enqueue;
    s->job.what = dir_names[p->direction];
    snprintf(s->job.how, sizeof s->job.how, "OpenCL %s, %s", p->direction == AIB_TRANSFER_H2D ? "clEnqueueWriteBuffer"
                                                  : p->direction == AIB_TRANSFER_D2H ? "clEnqueueReadBuffer"
                                                                                     : "clEnqueueCopyBuffer",
             p->direction == AIB_TRANSFER_D2D ? "device buffers"
             : p->memory                      ? "pinned host memory (mapped CL_MEM_ALLOC_HOST_PTR)"
                                              : "pageable host memory (malloc)");
    *state = s;
    return 0;
fail:
    xfer_cl_teardown(s);
    return rc;
}

static int xfer_cl_verify(void *state, struct aib_err *err)
{
    struct xfer_cl_state *s = state;
    uint64_t seed = 0xBF58476D1CE4E5B9ULL;
    int rc;
    for (size_t t = 0; t < 1024; t++) {
        size_t i = aib_gpu_sample_index(&seed, t, s->bytes);
        unsigned char v = 0;
        if (s->p.direction == AIB_TRANSFER_D2H)
            v = s->host[i];
        else if ((rc = aib_cl_read(&s->job.cl, s->dst, i, 1, &v, "byte", err)))
            return rc;
        if (v != pattern(i))
            return aib_err_set(err, AIB_EVERIFY, "wrong answer: %s byte %zu is %u, expected %u",
                               dir_names[s->p.direction], i, v, pattern(i));
    }
    aib_devtime_verified(&s->job.dt);
    return 0;
}

const struct aib_workload_ops aib_transfer_opencl = {
    .name = "transfer",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_OPENCL,
    .summary = "host<->device and device-to-device copies (GB/s; d2d counts read + written), profiling-event timed, "
               "verified",
    .params = {"transfer", aib_transfer_decl, AIB_TRANSFER_NPARAMS, sizeof(struct aib_transfer_params)},
    .validate = xfer_cl_validate,
    .setup = xfer_cl_setup,
    .run = aib_cl_job_run,
    .verify = xfer_cl_verify,
    .work = aib_transfer_work,
    .metrics = aib_cl_job_metrics,
    .teardown = xfer_cl_teardown,
};
