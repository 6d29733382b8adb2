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

#endif
