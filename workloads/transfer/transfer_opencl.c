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
    struct aib_cl cl;
    struct aib_transfer_params p;
    size_t bytes;
    cl_mem src, dst, pin; /* device source / destination; pinned host buffer */
    unsigned char *host;  /* pageable (owned) or the mapping of pin */
    bool host_owned;
    struct aib_devtime dt;
    struct aib_work work;
    char how[128];
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
    if (s->pin && s->host && s->cl.q)
        clEnqueueUnmapMemObject(s->cl.q, s->pin, s->host, 0, NULL, NULL);
    if (s->host_owned)
        free(s->host);
    cl_mem *bufs[] = {&s->src, &s->dst, &s->pin};
    if (s->cl.q)
        clFinish(s->cl.q);
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (*bufs[i])
            clReleaseMemObject(*bufs[i]);
    aib_cl_close(&s->cl);
    aib_devtime_free(&s->dt);
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
        cl_int e = clEnqueueWriteBuffer(s->cl.q, s->src, CL_TRUE, off, n, buf, 0, NULL, NULL);
        if (e != CL_SUCCESS)
            rc = aib_cl_fail(err, s->cl.id, "clEnqueueWriteBuffer(source)", e);
    }
    free(buf);
    return rc;
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
    aib_transfer_work(params, &s->work);
    if ((rc = aib_cl_open(dev, &s->cl, err)))
        goto fail;
    if (p->direction != AIB_TRANSFER_D2D) {
        if (p->memory) {
            if ((rc = aib_cl_buffer(&s->cl, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_WRITE, s->bytes, "pinned host buffer",
                                    &s->pin, err)))
                goto fail;
            s->host = clEnqueueMapBuffer(s->cl.q, s->pin, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0, s->bytes, 0, NULL,
                                         NULL, &e);
            if (!s->host) {
                rc = aib_cl_fail(err, s->cl.id, "clEnqueueMapBuffer(pinned host buffer)", e);
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
        ((rc = aib_cl_buffer(&s->cl, CL_MEM_READ_WRITE, s->bytes, "destination", &s->dst, err)) ||
         (e = clEnqueueFillBuffer(s->cl.q, s->dst, &zero, 1, 0, s->bytes, 0, NULL, NULL)) != CL_SUCCESS)) {
        rc = rc ? rc : aib_cl_fail(err, s->cl.id, "clEnqueueFillBuffer(destination)", e);
        goto fail;
    }
    if (p->direction != AIB_TRANSFER_H2D &&
        ((rc = aib_cl_buffer(&s->cl, CL_MEM_READ_WRITE, s->bytes, "source", &s->src, err)) || (rc = fill_source(s, err))))
        goto fail;
    if ((e = clFinish(s->cl.q)) != CL_SUCCESS) {
        rc = aib_cl_fail(err, s->cl.id, "clFinish", e);
        goto fail;
    }
    snprintf(s->how, sizeof s->how, "OpenCL %s, %s", p->direction == AIB_TRANSFER_H2D ? "clEnqueueWriteBuffer"
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

static cl_int enqueue(void *ctx, cl_event *ev)
{
    struct xfer_cl_state *s = ctx;
    switch (s->p.direction) {
    case AIB_TRANSFER_H2D: return clEnqueueWriteBuffer(s->cl.q, s->dst, CL_FALSE, 0, s->bytes, s->host, 0, NULL, ev);
    case AIB_TRANSFER_D2H: return clEnqueueReadBuffer(s->cl.q, s->src, CL_FALSE, 0, s->bytes, s->host, 0, NULL, ev);
    default: return clEnqueueCopyBuffer(s->cl.q, s->src, s->dst, 0, 0, s->bytes, 0, NULL, ev);
    }
}

static int xfer_cl_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct xfer_cl_state *s = state;
    double secs;
    int rc = aib_cl_timed(&s->cl, iters, enqueue, s, dir_names[s->p.direction], &secs, err);
    return rc ? rc : aib_devtime_add(&s->dt, secs, iters, err);
}

static int xfer_cl_verify(void *state, struct aib_err *err)
{
    struct xfer_cl_state *s = state;
    uint64_t seed = 0xBF58476D1CE4E5B9ULL;
    for (int t = 0; t < 1024; t++) {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        size_t i = t == 0 ? 0 : t == 1 ? s->bytes - 1 : (size_t)((seed * 0x2545F4914F6CDD1DULL) >> 11) % s->bytes;
        unsigned char v = 0;
        if (s->p.direction == AIB_TRANSFER_D2H) {
            v = s->host[i];
        } else {
            cl_int e = clEnqueueReadBuffer(s->cl.q, s->dst, CL_TRUE, i, 1, &v, 0, NULL, NULL);
            if (e != CL_SUCCESS)
                return aib_cl_fail(err, s->cl.id, "clEnqueueReadBuffer(byte)", e);
        }
        if (v != pattern(i))
            return aib_err_set(err, AIB_EVERIFY, "wrong answer: %s byte %zu is %u, expected %u",
                               dir_names[s->p.direction], i, v, pattern(i));
    }
    aib_devtime_verified(&s->dt);
    return 0;
}

static int xfer_cl_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    struct xfer_cl_state *s = state;
    return aib_devtime_metrics(&s->dt, &s->work, s->how, r, err);
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
    .run = xfer_cl_run,
    .verify = xfer_cl_verify,
    .work = aib_transfer_work,
    .metrics = xfer_cl_metrics,
    .teardown = xfer_cl_teardown,
};
