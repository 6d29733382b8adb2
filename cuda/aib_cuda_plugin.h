/* The one interface between the main binary (plain C, no CUDA libraries)
 * and the CUDA plugin (aibench-cuda.so, built with nvcc). The main binary
 * dlopen()s the plugin, looks up AIB_CUDA_PLUGIN_SYMBOL and refuses a table
 * whose abi differs from AIB_CUDA_PLUGIN_ABI. Bump the ABI whenever a
 * struct below changes layout or a hook changes meaning; new hooks are
 * appended at the end of struct aib_cuda_plugin. */
#ifndef AIB_CUDA_PLUGIN_H
#define AIB_CUDA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIB_CUDA_PLUGIN_ABI 1
#define AIB_CUDA_PLUGIN_SYMBOL "aib_cuda_plugin_get"

struct aib_cuda_devinfo {
    char name[256];
    int cc_major, cc_minor;     /* compute capability */
    int sm_count;
    uint64_t total_mem;         /* bytes */
    int sm_clock_khz;           /* peak SM clock */
    int mem_clock_khz;          /* peak memory clock */
    int mem_bus_width;          /* bits */
    char pci_bus_id[32];        /* "0000:3b:00.0" (lower case, as in sysfs) */
    int pcie_gen, pcie_width;   /* current link from sysfs; -1 when unreadable */
    int driver_version;         /* cudaDriverGetVersion, e.g. 13000; 0 without a driver */
    int runtime_version;        /* cudaRuntimeGetVersion of the cudart linked in */
};

struct aib_cuda_plugin {
    int abi;          /* AIB_CUDA_PLUGIN_ABI of the plugin's build */
    const char *name; /* e.g. "aibench-cuda (CUDA runtime 13.0)" */
    /* Returns the number of CUDA devices (>= 0), or -1 with the reason
     * in errbuf (no driver, no device, ...). Call before anything else. */
    int (*init)(char *errbuf, size_t errlen);
    /* Fills *out for device idx; 0 or -1 with the reason in errbuf. */
    int (*device_info)(int idx, struct aib_cuda_devinfo *out, char *errbuf, size_t errlen);
    /* Releases what init() set up; safe to call after a failed init. */
    void (*shutdown)(void);
};

typedef const struct aib_cuda_plugin *(*aib_cuda_plugin_get_fn)(void);

/* The plugin's only exported symbol (named by AIB_CUDA_PLUGIN_SYMBOL). */
const struct aib_cuda_plugin *aib_cuda_plugin_get(void);

#ifdef __cplusplus
}
#endif

#endif
