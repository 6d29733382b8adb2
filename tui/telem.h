/* Device telemetry for the views (internal to tui/): one struct with a
 * validity bit per figure, whatever the source. The CPU's comes from the
 * procfs sampler; a device with no source (OpenCL today, CUDA until the
 * NVML reader lands) has valid == 0 and is shown as "no telemetry", never
 * as zeros. A new source fills aib_devtel in aib_devtel_get(). */
#ifndef AIB_TUI_TELEM_H
#define AIB_TUI_TELEM_H

#include <stdbool.h>

#include "../profilers/procfs.h"
#include "draw.h"

enum {
    AIB_DT_UTIL = 1u << 0,  /* util */
    AIB_DT_MEM = 1u << 1,   /* mem_used, mem_total */
    AIB_DT_POWER = 1u << 2, /* power_w */
    AIB_DT_TEMP = 1u << 3,  /* temp_c */
    AIB_DT_CLOCK = 1u << 4, /* clock_mhz */
};

struct aib_devtel {
    unsigned valid;
    double util;                /* busy fraction [0, 1] */
    double mem_used, mem_total; /* bytes */
    double power_w, temp_c, clock_mhz;
    char source[32];            /* "procfs", or why there is none */
};

/* Telemetry of the device with this id and kind (enum aib_device_kind),
 * from the latest host sample (have_host false: none yet). Returns true
 * when anything is valid. */
bool aib_devtel_get(const char *id, unsigned kind, const struct aib_procfs_sample *host,
                    bool have_host, struct aib_devtel *out);

/* The host CPU panel inside `in` (no border): all CPUs, the per-CPU grid,
 * memory, swap and load, disk and network rates. Missing figures say
 * "n/a". Returns the rows used. */
int aib_telem_draw_cpu(const struct aib_ui *ui, const struct aib_rect *in,
                       const struct aib_procfs_sample *s, bool have);

#endif
