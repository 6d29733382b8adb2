/* Every GPU the NVIDIA driver lists, read through NVML for the live
 * Prometheus endpoint (see prom_serve.h). Reuses the NVML loader of
 * profilers/nvml.h; a test passes its own functions instead of the
 * library, as tests/unit/test_nvml.c does for the profiler. */
#ifndef AIB_TUI_PROM_NVML_H
#define AIB_TUI_PROM_NVML_H

#include "../profilers/nvml.h"
#include "prom_serve.h"

#define AIB_PROM_MAX_GPUS 64

/* What the reader calls: the profiler's table plus three functions it does
 * not need (nvmlDeviceGetCount_v2, nvmlDeviceGetName, nvmlDeviceGetUUID;
 * name and uuid may be NULL). */
struct aib_prom_nvml_fns {
    struct aib_nvml_api api;
    aib_nvml_ret (*count)(unsigned int *);
    aib_nvml_ret (*name)(aib_nvml_dev, char *, unsigned int);
    aib_nvml_ret (*uuid)(aib_nvml_dev, char *, unsigned int);
};

struct aib_prom_gpus;

/* fns NULL: loads libnvidia-ml.so.1. Returns true with *out set when NVML
 * initialised (even with no GPU listed); false with *out NULL when there is
 * no usable library or driver, or no memory: then there are no GPU series. A
 * GPU whose PCI bus id is a CUDA device's in `devs` gets that device's id. */
bool aib_prom_gpus_open(const struct aib_prom_nvml_fns *fns, const struct aib_devlist *devs,
                        struct aib_prom_gpus **out);
/* Reads every GPU now; *out points at the reader's array (valid until the
 * next read or close). A figure NVML does not give has its bit clear.
 * NULL reader: 0. */
size_t aib_prom_gpus_read(struct aib_prom_gpus *g, const struct aib_prom_gpu **out);
void aib_prom_gpus_close(struct aib_prom_gpus *g); /* NULL is fine */

#endif
