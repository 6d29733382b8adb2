/* The CUDA backend's side door for workloads: the plugin table behind a
 * CUDA device. The plugin stays loaded while the device list that found
 * the device lives (it owns the handle; aib_devices_free unloads it). */
#ifndef AIB_DEVICES_CUDA_H
#define AIB_DEVICES_CUDA_H

#include "../cuda/aib_cuda_plugin.h"
#include "device.h"

/* The loaded plugin for a cuda device, or NULL (not a cuda device, or a
 * device made by hand without a plugin, as in tests). */
const struct aib_cuda_plugin *aib_cuda_plugin_of(const struct aib_device *dev);

/* The plugin loaded on its own, for commands that need CUDA's host-side
 * libraries (CUPTI's metric lists) whether or not there is a GPU: found as
 * device discovery finds it, its table checked, init() called once. */
struct aib_cuda_loaded {
    void *handle;
    const struct aib_cuda_plugin *pl;
    char path[4160];
    int ndev;           /* init(): number of GPUs, or -1 (no driver...) */
    char init_why[256]; /* init()'s reason when ndev < 0 */
    int inited;
};
/* 0, or -1 with the reason (plugin not found, not loadable, bad ABI). */
int aib_cuda_plugin_load(struct aib_cuda_loaded *out, char *why, size_t len);
void aib_cuda_plugin_unload(struct aib_cuda_loaded *l);

#endif
