/* What the OpenCL workloads share: finding a listed device again (by its
 * platform and device index), its limits for validation, a context with a
 * profiling queue, program builds that report the compiler's log, buffers
 * checked against the allocation limit, blocking reads and writes,
 * device-timed enqueues (profiling events: START of the first command to
 * END of the last), and the job every OpenCL workload's state starts with
 * (its run, metrics and teardown). */
#ifndef AIB_OPENCL_COMMON_H
#define AIB_OPENCL_COMMON_H

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include <stdbool.h>

#include "gpu_common.h"

struct aib_cl_info {
    cl_device_type type;
    cl_ulong max_alloc, global_mem, local_mem;
    size_t max_wg;
    bool fp16, fp64;
    char name[128];
};

struct aib_cl {
    char id[48]; /* "opencl:0:0", for messages */
    cl_device_id dev;
    cl_context ctx;
    cl_command_queue q;
    struct aib_cl_info info;
};

/* "CL_OUT_OF_RESOURCES" etc.; unknown codes as "OpenCL error -N" in buf. */
const char *aib_cl_code(cl_int e, char *buf, size_t len);
/* AIB_ERUN "what failed on DEV: CL_NAME (code)". */
int aib_cl_fail(struct aib_err *err, const char *dev, const char *what, cl_int e);

/* The limits of a listed OpenCL device (for validate hooks). */
int aib_cl_query(const struct aib_device *d, struct aib_cl_info *info, struct aib_err *err);
/* AIB_EUSAGE when the device lacks cl_khr_fp16 / fp64 for `prec`
 * ("fp16", "fp64"; anything else passes). */
int aib_cl_check_prec(const struct aib_device *d, const struct aib_cl_info *info, const char *prec,
                      struct aib_err *err);
/* AIB_EUSAGE when one buffer exceeds the max allocation or all of them
 * 90% of the global memory. */
int aib_cl_check_mem(const struct aib_device *d, const struct aib_cl_info *info, double largest, double total,
                     const char *what, struct aib_err *err);

/* Context and in-order profiling queue on the device. */
int aib_cl_open(const struct aib_device *d, struct aib_cl *cl, struct aib_err *err);
void aib_cl_close(struct aib_cl *cl);
/* Builds `src` with `opts`; a compile error becomes AIB_ERUN carrying the
 * compiler's build log (its error lines first, on one line). */
int aib_cl_build(struct aib_cl *cl, const char *src, const char *opts, cl_program *out, struct aib_err *err);
int aib_cl_kernel(struct aib_cl *cl, cl_program p, const char *name, cl_kernel *out, struct aib_err *err);
/* A buffer of `bytes` (checked against the max allocation first). */
int aib_cl_buffer(struct aib_cl *cl, cl_mem_flags flags, size_t bytes, const char *what, cl_mem *out,
                  struct aib_err *err);

/* Enqueues one command; `ev` is NULL or receives its event. */
typedef cl_int (*aib_cl_enqueue_fn)(void *ctx, cl_event *ev);
/* Runs `iters` commands through enq, waits, and gives the device time from
 * the first command's start to the last one's end in *secs. */
int aib_cl_timed(struct aib_cl *cl, uint64_t iters, aib_cl_enqueue_fn enq, void *ctx, const char *what,
                 double *secs, struct aib_err *err);

/* Blocking reads and writes of `bytes` at `offset`; a failure names the
 * call and `what` ("clEnqueueReadBuffer(output) failed on ..."). */
int aib_cl_read(struct aib_cl *cl, cl_mem mem, size_t offset, size_t bytes, void *dst, const char *what,
                struct aib_err *err);
int aib_cl_write(struct aib_cl *cl, cl_mem mem, size_t offset, size_t bytes, const void *src, const char *what,
                 struct aib_err *err);

/* What every OpenCL workload's state starts with (as its first member, so
 * the state pointer is a job pointer and the hooks below serve directly as
 * the workload's run and metrics): the device, one iteration's enqueue, the
 * device clock's record of the timed samples and the note for its metrics. */
struct aib_cl_job {
    struct aib_cl cl;
    aib_cl_enqueue_fn enqueue; /* one iteration; its ctx is the state */
    const char *what;          /* the enqueue, for messages */
    struct aib_devtime dt;
    struct aib_work work;      /* per iteration, for device_throughput */
    char how[128];             /* how it was done, the note of the metrics */
};
/* run hook: `iters` enqueues, device-timed into dt. */
int aib_cl_job_run(void *state, uint64_t iters, struct aib_err *err);
/* metrics hook: device_time and device_throughput. */
int aib_cl_job_metrics(void *state, struct aib_result *r, struct aib_err *err);
/* For teardown: waits for the queue, releases the non-NULL kernels, program
 * and buffers given, then the queue and context, and the device-time record. */
void aib_cl_job_close(struct aib_cl_job *j, const cl_kernel *kernels, size_t nk, cl_program prog,
                      const cl_mem *mems, size_t nm);

#endif
