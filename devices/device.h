/* Compute devices: discovery through one backend table per device kind
 * (cpu via hwloc, opencl via the ICD loader, cuda via the dlopen'ed plugin).
 * A backend that cannot work here (no driver, no plugin) is not an error:
 * it reports itself unavailable with a reason and lists no devices. */
#ifndef AIB_DEVICE_H
#define AIB_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../bench/json.h"
#include "../bench/kv.h"

enum aib_device_kind {
    AIB_DEV_CPU = 1u << 0,
    AIB_DEV_OPENCL = 1u << 1,
    AIB_DEV_CUDA = 1u << 2,
};
#define AIB_DEV_ALL (AIB_DEV_CPU | AIB_DEV_OPENCL | AIB_DEV_CUDA)

struct aib_device {
    char id[48];    /* stable id: "cpu", "cpu:1", "opencl:0:0", "cuda:0" */
    enum aib_device_kind kind;
    char name[256]; /* model name */
    /* Ordered, human-readable properties ("cores" -> "2", "l3" -> "32 MiB",
     * "peak_fp32_gflops" -> "201.6", ...). Shown by `aibench devices`,
     * stored with every run. Keys are lower_snake_case. */
    struct aib_kvlist props;
    /* Fields workloads need, so they do not parse props. */
    int platform_index; /* opencl: platform; otherwise -1 */
    int index;          /* opencl: device in platform; cuda: ordinal; cpu: NUMA node or -1 for all */
    unsigned cores;     /* cpu: physical cores in scope; gpu: SMs / compute units */
    unsigned threads;   /* cpu: hardware threads in scope */
    uint64_t mem_bytes; /* memory usable by this device (cpu: see props for the hwloc vs meminfo note) */
    double peak_fp32_gflops, peak_fp64_gflops; /* 0 when it cannot be derived */
    /* Borrowed: what the backend keeps loaded for this device (the CUDA
     * plugin), owned by the device list's backend status; NULL otherwise. */
    void *backend_ctx;
};

/* Status of one backend, e.g. "cuda: unavailable: no NVIDIA driver (cudaGetDeviceCount: ...)". */
struct aib_backend_status {
    char name[16];     /* "cpu", "opencl", "cuda" */
    bool available;
    char reason[384];  /* why unavailable, or a note such as "no OpenCL platforms" */
    /* Owned: released by aib_devices_free with ctx_free (the loaded CUDA
     * plugin, kept open while its devices are listed); NULL when none. */
    void *ctx;
    void (*ctx_free)(void *ctx);
};

struct aib_devlist {
    struct aib_device *items;
    size_t len, cap;
    struct aib_backend_status backends[4];
    size_t nbackends;
};

/* One table per device kind (fio ioengine_ops style). discover() appends
 * devices to `out` and fills `st`; it returns 0 even when the backend is
 * unavailable (st->available = false), and a negative code only for a real
 * failure such as out of memory. */
struct aib_device_backend {
    const char *name;
    enum aib_device_kind kind;
    int (*discover)(struct aib_devlist *out, struct aib_backend_status *st, struct aib_err *err);
};

extern const struct aib_device_backend aib_cpu_backend;
extern const struct aib_device_backend aib_opencl_backend;
extern const struct aib_device_backend aib_cuda_backend;

/* Runs the backends selected by `kinds` (a mask of aib_device_kind). */
int aib_devices_discover(struct aib_devlist *out, unsigned kinds, struct aib_err *err);
/* Adds a device (copies *d, takes ownership of d->props). */
int aib_devlist_add(struct aib_devlist *l, struct aib_device *d);
const struct aib_device *aib_devices_find(const struct aib_devlist *l, const char *id);
void aib_devices_free(struct aib_devlist *l);

void aib_devices_print(const struct aib_devlist *l, FILE *f);
void aib_devices_json(const struct aib_devlist *l, struct aib_json *j);
/* The "kind" part of an id ("cuda:0" -> AIB_DEV_CUDA), 0 if unknown. */
unsigned aib_device_kind_of_id(const char *id);

#endif
