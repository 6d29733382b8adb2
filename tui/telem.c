/* Device telemetry lookup and the host CPU panel (see telem.h). */
#include "telem.h"

#include <stdio.h>
#include <string.h>

#include "../devices/device.h"

bool aib_devtel_get(const char *id, unsigned kind, const struct aib_procfs_sample *host,
                    bool have_host, struct aib_devtel *out)
{
    (void)id;
    memset(out, 0, sizeof *out);
    if (kind == AIB_DEV_CPU) {
        snprintf(out->source, sizeof out->source, "procfs");
        if (!have_host)
            return false;
        if (host->total.valid & AIB_PF_UTIL) {
            out->util = host->total.util;
            out->valid |= AIB_DT_UTIL;
        }
        if (host->total.valid & AIB_PF_FREQ) {
            out->clock_mhz = host->total.freq_mhz;
            out->valid |= AIB_DT_CLOCK;
        }
        if (host->valid & AIB_PF_MEM) {
            out->mem_total = (double)host->mem_total;
            out->mem_used = (double)(host->mem_total - host->mem_available);
            out->valid |= AIB_DT_MEM;
        }
        return out->valid != 0;
    }
    /* No reader for these yet: say so rather than show zeros. */
    snprintf(out->source, sizeof out->source, "%s",
             kind == AIB_DEV_CUDA ? "no telemetry (no NVML)" : "no telemetry");
    return false;
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024 * 1024); }

/* "[bar] 87.3%" or "[    ]   n/a" */
static void util_cells(const struct aib_ui *ui, int y, int x, int bar_w,
                       const struct aib_procfs_cpu *c, const char *pct_fmt, int pct_w)
{
    bool ok = c->valid & AIB_PF_UTIL;
    aib_ui_bar(ui, y, x, bar_w, ok ? c->util : 0, 0);
    if (ok)
        aib_ui_text(ui, y, x + bar_w, pct_w, 0, pct_fmt, c->util * 100);
    else
        aib_ui_text(ui, y, x + bar_w, pct_w, AIB_S_DIM, "%*s", pct_w, "n/a");
}

/* Returns the rows the grid takes. */
static int cpu_grid(const struct aib_ui *ui, const struct aib_rect *r,
                    const struct aib_procfs_sample *s)
{
    int rows_used;
    bool freq = false;
    for (unsigned i = 0; i < s->ncpus; i++)
        freq |= (s->cpu[i].valid & AIB_PF_FREQ) != 0;
    struct aib_cpu_grid g;
    aib_layout_cpu_grid(r->h, r->w, (int)s->ncpus, freq, &g);
    rows_used = g.rows;
    int bar_w = g.cell_w - 4 - 5 - (freq ? 5 : 0) - 1;
    for (int k = 0; k < g.shown; k++) {
        const struct aib_procfs_cpu *c = &s->cpu[k];
        int y = r->y + k / g.cols, x = r->x + (k % g.cols) * g.cell_w;
        aib_ui_text(ui, y, x, 4, AIB_S_DIM, "%3d ", c->id);
        util_cells(ui, y, x + 4, bar_w, c, " %3.0f%%", 5);
        if (freq) {
            if (c->valid & AIB_PF_FREQ)
                aib_ui_text(ui, y, x + 4 + bar_w + 5, 5, 0, " %3.1fG", c->freq_mhz / 1000);
            else
                aib_ui_text(ui, y, x + 4 + bar_w + 5, 5, AIB_S_DIM, "  n/a");
        }
    }
    if (g.more) {
        int k = g.shown;
        aib_ui_text(ui, r->y + k / g.cols, r->x + (k % g.cols) * g.cell_w, g.cell_w, AIB_S_DIM,
                    "+%d more", g.more);
    }
    return rows_used;
}

int aib_telem_draw_cpu(const struct aib_ui *ui, const struct aib_rect *in,
                       const struct aib_procfs_sample *s, bool have)
{
    int y = in->y, end = in->y + in->h, w = in->w;
    char a[32], b[32];
    if (in->h <= 0 || w < 20)
        return 0;
    if (!have) {
        aib_ui_text(ui, y, in->x, w, AIB_S_DIM, "reading /proc ...");
        return 1;
    }
    /* all CPUs: label, bar, percentage, mean clock */
    int bar_w = w - 4 - 7 - 9;
    aib_ui_text(ui, y, in->x, 4, AIB_S_BOLD, "all ");
    util_cells(ui, y, in->x + 4, bar_w, &s->total, " %5.1f%%", 7);
    if (s->total.valid & AIB_PF_FREQ)
        aib_ui_text(ui, y, in->x + w - 9, 9, 0, " %.2f GHz", s->total.freq_mhz / 1000);
    else
        aib_ui_text(ui, y, in->x + w - 9, 9, AIB_S_DIM, "  clk n/a");
    y++;
    /* The per-CPU grid takes what the four summary lines leave. */
    int grid_h = end - y - 4;
    if (grid_h < 1)
        grid_h = end - y > 0 ? 1 : 0;
    struct aib_rect gr = {y, in->x, grid_h, w};
    y += cpu_grid(ui, &gr, s);
    if (y < end) {
        aib_ui_text(ui, y, in->x, 4, AIB_S_BOLD, "mem ");
        if (s->valid & AIB_PF_MEM) {
            uint64_t used = s->mem_total - s->mem_available;
            aib_ui_bar(ui, y, in->x + 4, w - 4 - 12, (double)used / (double)s->mem_total, 0);
            aib_ui_rtext(ui, y, in->x + w - 12, 12, 0, "%.1f/%.1fG", gib(used), gib(s->mem_total));
        } else {
            aib_ui_text(ui, y, in->x + 4, w - 4, AIB_S_DIM, "n/a");
        }
        y++;
    }
    if (y < end) {
        if (s->valid & AIB_PF_SWAP)
            aib_ui_text(ui, y, in->x, w / 2, 0, "swp %.1f/%.1fG",
                        gib(s->swap_total - s->swap_free), gib(s->swap_total));
        else
            aib_ui_text(ui, y, in->x, w / 2, AIB_S_DIM, "swp n/a");
        if (s->valid & AIB_PF_LOAD)
            aib_ui_rtext(ui, y, in->x + w / 2, w - w / 2, 0, "load %.2f", s->load1);
        else
            aib_ui_rtext(ui, y, in->x + w / 2, w - w / 2, AIB_S_DIM, "load n/a");
        y++;
    }
    if (y < end) {
        if (s->valid & AIB_PF_DISK)
            aib_ui_text(ui, y, in->x, w, 0, "dsk r %s  w %s",
                        aib_ui_fmt_rate(s->disk_read_bps, a, sizeof a),
                        aib_ui_fmt_rate(s->disk_write_bps, b, sizeof b));
        else
            aib_ui_text(ui, y, in->x, w, AIB_S_DIM, "dsk n/a");
        y++;
    }
    if (y < end) {
        if (s->valid & AIB_PF_NET)
            aib_ui_text(ui, y, in->x, w, 0, "net rx %s  tx %s",
                        aib_ui_fmt_rate(s->net_rx_bps, a, sizeof a),
                        aib_ui_fmt_rate(s->net_tx_bps, b, sizeof b));
        else
            aib_ui_text(ui, y, in->x, w, AIB_S_DIM, "net n/a");
        y++;
    }
    return y - in->y;
}
