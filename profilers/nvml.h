/* NVML, loaded at run time from libnvidia-ml.so.1 with the few prototypes
 * declared here (there is no nvml.h on machines without the driver), so the
 * main binary links no NVIDIA library and runs where there is none.
 * Internal to profilers/nvml*.c and their tests. */
#ifndef AIB_NVML_H
#define AIB_NVML_H

#include <stddef.h>

#include "profiler.h"

typedef int aib_nvml_ret; /* nvmlReturn_t */
typedef struct aib_nvml_dev_st *aib_nvml_dev; /* nvmlDevice_t */

#define AIB_NVML_SUCCESS 0
#define AIB_NVML_ERROR_NOT_SUPPORTED 3

/* nvmlClockType_t, nvmlTemperatureSensors_t, nvmlPcieUtilCounter_t values. */
enum { AIB_NVML_CLOCK_SM = 1, AIB_NVML_CLOCK_MEM = 2 };
enum { AIB_NVML_TEMPERATURE_GPU = 0 };
enum { AIB_NVML_PCIE_TX_BYTES = 0, AIB_NVML_PCIE_RX_BYTES = 1 };

struct aib_nvml_utilization { /* nvmlUtilization_t */
    unsigned int gpu, memory; /* percent */
};
struct aib_nvml_memory { /* nvmlMemory_t (v1) */
    unsigned long long total, free, used; /* bytes */
};

/* The functions used, by their NVML names. Required: init, shutdown,
 * error_string, handle_by_index. The others may be NULL (an older driver):
 * their values are then missing. */
struct aib_nvml_api {
    aib_nvml_ret (*init)(void);                                          /* nvmlInit_v2 */
    aib_nvml_ret (*shutdown)(void);                                      /* nvmlShutdown */
    const char *(*error_string)(aib_nvml_ret);                           /* nvmlErrorString */
    aib_nvml_ret (*handle_by_index)(unsigned int, aib_nvml_dev *);       /* ..._v2 */
    aib_nvml_ret (*handle_by_pci)(const char *, aib_nvml_dev *);         /* ...ByPciBusId_v2 */
    aib_nvml_ret (*power)(aib_nvml_dev, unsigned int *);                 /* GetPowerUsage, mW */
    aib_nvml_ret (*energy)(aib_nvml_dev, unsigned long long *);          /* TotalEnergy.., mJ */
    aib_nvml_ret (*clock)(aib_nvml_dev, int, unsigned int *);            /* GetClockInfo, MHz */
    aib_nvml_ret (*utilization)(aib_nvml_dev, struct aib_nvml_utilization *);
    aib_nvml_ret (*temperature)(aib_nvml_dev, int, unsigned int *);      /* degrees C */
    aib_nvml_ret (*memory)(aib_nvml_dev, struct aib_nvml_memory *);
    aib_nvml_ret (*pcie)(aib_nvml_dev, int, unsigned int *);             /* KB/s */
    aib_nvml_ret (*throttle)(aib_nvml_dev, unsigned long long *);        /* clock event reasons */
};

/* dlopens lib (NULL: libnvidia-ml.so.1) and resolves the table. Returns the
 * handle, or NULL with the reason in why ("libnvidia-ml.so.1 not found"). */
void *aib_nvml_load(const char *lib, struct aib_nvml_api *api, char *why, size_t len);

/* The profiler's open with a given table instead of the library (tests use
 * a table of their own functions; the real open loads the library). */
int aib_nvml_open_api(const struct aib_nvml_api *api, const struct aib_device *dev,
                      const struct aib_prof_opts *o, void **state, struct aib_err *err);

/* Names of the set bits of a clock event (throttle) reason mask, e.g.
 * "sw_power_cap, hw_thermal_slowdown"; "none" for 0. */
void aib_nvml_reasons(unsigned long long mask, char *buf, size_t len);

#endif
