/* NVML's GPUs for the live endpoint (see prom_nvml.h). */
#include "prom_nvml.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct aib_prom_gpus {
    struct aib_prom_nvml_fns f;
    void *dl; /* NULL with a test's functions */
    size_t n;
    aib_nvml_dev h[AIB_PROM_MAX_GPUS];
    struct aib_prom_gpu g[AIB_PROM_MAX_GPUS];
};

/* The aibench id of the CUDA device with this handle's PCI bus id. */
static void match_device(const struct aib_prom_gpus *G, const struct aib_devlist *devs,
                         aib_nvml_dev h, char *id, size_t len)
{
    for (size_t k = 0; k < devs->len && G->f.api.handle_by_pci; k++) {
        const char *bus = aib_kv_get(&devs->items[k].props, "pci_bus_id");
        aib_nvml_dev hk;
        if (devs->items[k].kind == AIB_DEV_CUDA && bus && *bus &&
            G->f.api.handle_by_pci(bus, &hk) == AIB_NVML_SUCCESS && hk == h) {
            snprintf(id, len, "%s", devs->items[k].id);
            return;
        }
    }
}

bool aib_prom_gpus_open(const struct aib_prom_nvml_fns *fns, const struct aib_devlist *devs,
                        struct aib_prom_gpus **out)
{
    struct aib_prom_gpus *G = calloc(1, sizeof *G);
    char why[160];
    unsigned n = 0;
    *out = NULL;
    if (!G)
        return false;
    if (fns) {
        G->f = *fns;
    } else {
        G->dl = aib_nvml_load(NULL, &G->f.api, why, sizeof why);
        if (!G->dl)
            goto fail;
        *(void **)&G->f.count = dlsym(G->dl, "nvmlDeviceGetCount_v2");
        *(void **)&G->f.name = dlsym(G->dl, "nvmlDeviceGetName");
        *(void **)&G->f.uuid = dlsym(G->dl, "nvmlDeviceGetUUID");
    }
    if (!G->f.count || !G->f.api.init || G->f.api.init() != AIB_NVML_SUCCESS)
        goto fail;
    if (G->f.count(&n) != AIB_NVML_SUCCESS)
        n = 0;
    for (unsigned i = 0; i < n && G->n < AIB_PROM_MAX_GPUS; i++) {
        aib_nvml_dev h;
        if (G->f.api.handle_by_index(i, &h) != AIB_NVML_SUCCESS)
            continue;
        struct aib_prom_gpu *g = &G->g[G->n];
        g->index = i;
        if (G->f.name && G->f.name(h, g->name, sizeof g->name) != AIB_NVML_SUCCESS)
            g->name[0] = '\0';
        if (G->f.uuid && G->f.uuid(h, g->uuid, sizeof g->uuid) != AIB_NVML_SUCCESS)
            g->uuid[0] = '\0';
        match_device(G, devs, h, g->device, sizeof g->device);
        G->h[G->n++] = h;
    }
    *out = G;
    return true;
fail:
    if (G->dl)
        dlclose(G->dl);
    free(G);
    return false;
}

size_t aib_prom_gpus_read(struct aib_prom_gpus *G, const struct aib_prom_gpu **out)
{
    *out = NULL;
    if (!G)
        return 0;
    const struct aib_nvml_api *a = &G->f.api;
    for (size_t i = 0; i < G->n; i++) {
        struct aib_prom_gpu *g = &G->g[i];
        aib_nvml_dev h = G->h[i];
        struct aib_nvml_utilization u;
        struct aib_nvml_memory m;
        unsigned int x;
        unsigned long long e;
        g->valid = 0;
        if (a->utilization && a->utilization(h, &u) == AIB_NVML_SUCCESS) {
            g->util = u.gpu / 100.0;
            g->mem_util = u.memory / 100.0;
            g->valid |= AIB_PG_UTIL | AIB_PG_MEM_UTIL;
        }
        if (a->memory && a->memory(h, &m) == AIB_NVML_SUCCESS) {
            g->mem_used = (double)m.used;
            g->mem_total = (double)m.total;
            g->valid |= AIB_PG_MEM;
        }
        if (a->power && a->power(h, &x) == AIB_NVML_SUCCESS) { /* mW */
            g->power_w = x / 1000.0;
            g->valid |= AIB_PG_POWER;
        }
        if (a->temperature && a->temperature(h, AIB_NVML_TEMPERATURE_GPU, &x) == AIB_NVML_SUCCESS) {
            g->temp_c = x;
            g->valid |= AIB_PG_TEMP;
        }
        if (a->clock && a->clock(h, AIB_NVML_CLOCK_SM, &x) == AIB_NVML_SUCCESS) { /* MHz */
            g->sm_hz = x * 1e6;
            g->valid |= AIB_PG_SM_CLOCK;
        }
        if (a->clock && a->clock(h, AIB_NVML_CLOCK_MEM, &x) == AIB_NVML_SUCCESS) {
            g->mem_hz = x * 1e6;
            g->valid |= AIB_PG_MEM_CLOCK;
        }
        if (a->energy && a->energy(h, &e) == AIB_NVML_SUCCESS) { /* mJ */
            g->energy_j = (double)e / 1000.0;
            g->valid |= AIB_PG_ENERGY;
        }
    }
    *out = G->g;
    return G->n;
}

void aib_prom_gpus_close(struct aib_prom_gpus *G)
{
    if (!G)
        return;
    if (G->f.api.shutdown)
        G->f.api.shutdown();
    if (G->dl)
        dlclose(G->dl);
    free(G);
}
