/* `aibench top`: every device with its live telemetry, the selected one's
 * history graph and detail. Host figures come from a procfs sampler at the
 * chosen interval; the screen is redrawn when a sample or a key arrives,
 * never on its own. */
#include <curses.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "history.h"
#include "telem.h"
#include "term.h"
#include "views.h"

struct top {
    const struct aib_devlist *devs;
    size_t nrows;               /* devices, then unavailable backends */
    const struct aib_backend_status *down[4];
    struct aib_history *hist;   /* per device: utilisation in %, NaN when missing */
    struct aib_procfs_sample *host;
    bool have_host, help;
    int sel, first;
    double interval;
    char hostname[64];
};

static void devtel(const struct top *t, size_t i, struct aib_devtel *out)
{
    const struct aib_device *d = &t->devs->items[i];
    aib_devtel_get(d->id, d->kind, t->host, t->have_host, out);
}

static void fmt_opt(char *buf, size_t len, bool ok, const char *fmt, double v)
{
    if (ok)
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

static void draw_devices(const struct aib_ui *ui, struct top *t, const struct aib_rect *r)
{
    enum { ID, NAME, UTIL, MEM, CLK, PWR, TEMP, NC };
    static const char *const head[NC] = {"device", "name", "util", "memory", "clock", "power",
                                         "temp"};
    static const int right[NC] = {0, 0, 1, 1, 1, 1, 1};
    static const int minw[NC] = {12, 8, 6, 14, 8, 6, 5}, flex[NC] = {0, 1, 0, 0, 0, 0, 0};
    int want[NC], cw[NC];
    memcpy(want, minw, sizeof want);
    want[NAME] = 40;
    aib_ui_box(ui, r, "devices", AIB_C_TITLE);
    int x = r->x + 2, w = r->w - 4, y = r->y + 1;
    int shown = aib_layout_columns(w, NC, minw, want, flex, cw);
    for (int c = shown; c < NC; c++)
        cw[c] = 0;
    int bold[NC] = {AIB_S_BOLD, AIB_S_BOLD, AIB_S_BOLD, AIB_S_BOLD, AIB_S_BOLD, AIB_S_BOLD,
                    AIB_S_BOLD};
    aib_ui_row(ui, y, x, NC, cw, right, head, bold);
    int visible = r->h - 3;
    t->first = aib_layout_scroll(t->sel, t->first, visible, (int)t->nrows);
    for (int k = 0; k < visible && t->first + k < (int)t->nrows; k++) {
        size_t i = (size_t)(t->first + k);
        int yy = y + 1 + k, st = (int)i == t->sel ? AIB_C_SEL : 0;
        struct aib_rect line = {yy, r->x + 1, 1, r->w - 2};
        if (st)
            aib_ui_fill(ui, &line, st);
        if (i >= t->devs->len) {
            const struct aib_backend_status *b = t->down[i - t->devs->len];
            aib_ui_text(ui, yy, x, w, st ? st : AIB_S_DIM, "%-*s unavailable: %s", cw[ID],
                        b->name, b->reason);
            continue;
        }
        const struct aib_device *d = &t->devs->items[i];
        struct aib_devtel tel;
        devtel(t, i, &tel);
        char cell[NC][64];
        const char *ptr[NC];
        int sty[NC];
        snprintf(cell[ID], sizeof cell[0], "%s", d->id);
        snprintf(cell[NAME], sizeof cell[0], "%.63s", d->name);
        fmt_opt(cell[UTIL], sizeof cell[0], tel.valid & AIB_DT_UTIL, "%.1f%%", tel.util * 100);
        if (tel.valid & AIB_DT_MEM)
            snprintf(cell[MEM], sizeof cell[0], "%.1f/%.1f GiB", tel.mem_used / (1 << 30),
                     tel.mem_total / (1 << 30));
        else
            snprintf(cell[MEM], sizeof cell[0], "-");
        fmt_opt(cell[CLK], sizeof cell[0], tel.valid & AIB_DT_CLOCK, "%.0f MHz", tel.clock_mhz);
        fmt_opt(cell[PWR], sizeof cell[0], tel.valid & AIB_DT_POWER, "%.0f W", tel.power_w);
        fmt_opt(cell[TEMP], sizeof cell[0], tel.valid & AIB_DT_TEMP, "%.0f C", tel.temp_c);
        for (int c = 0; c < NC; c++) {
            ptr[c] = cell[c];
            sty[c] = st;
        }
        if (!st && (tel.valid & AIB_DT_UTIL))
            sty[UTIL] = aib_ui_level_style(tel.util);
        if (!tel.valid) {
            /* Nothing readable: say so once instead of a row of dashes. */
            aib_ui_row(ui, yy, x, 2, cw, right, ptr, sty);
            int cx = x + cw[ID] + cw[NAME] + 2;
            aib_ui_text(ui, yy, cx, x + w - cx, st ? st : AIB_C_WARN, "%s", tel.source);
            continue;
        }
        aib_ui_row(ui, yy, x, NC, cw, right, ptr, sty);
    }
}

static void draw_graph(const struct aib_ui *ui, struct top *t, const struct aib_rect *r)
{
    char title[96];
    size_t i = (size_t)t->sel;
    const char *id = i < t->devs->len ? t->devs->items[i].id : t->down[i - t->devs->len]->name;
    struct aib_devtel tel = {0};
    if (i < t->devs->len)
        devtel(t, i, &tel);
    snprintf(title, sizeof title, "utilization: %s", id);
    aib_ui_box(ui, r, title, AIB_C_TITLE);
    struct aib_rect in = {r->y + 1, r->x + 1, r->h - 2, r->w - 2};
    if (i >= t->devs->len) {
        aib_ui_text(ui, in.y, in.x + 1, in.w - 1, AIB_S_DIM, "unavailable: %s",
                    t->down[i - t->devs->len]->reason);
        return;
    }
    if (t->hist[i].n == 0) {
        if (t->devs->items[i].kind == AIB_DEV_CPU) {
            aib_ui_text(ui, in.y, in.x + 1, in.w - 1, AIB_S_DIM, "waiting for two samples ...");
        } else {
            aib_ui_text(ui, in.y, in.x + 1, in.w - 1, AIB_C_WARN, "%s", tel.source);
            aib_ui_text(ui, in.y + 1, in.x + 1, in.w - 1, AIB_S_DIM,
                        "no reader for this kind: nothing shown as 0");
        }
        return;
    }
    double v[1024];
    int gw = in.w - 6 < 1024 ? in.w - 6 : 1024;
    size_t n = aib_history_last(&t->hist[i], (size_t)gw, v);
    aib_ui_rtext(ui, in.y, in.x, 5, AIB_S_DIM, "100%%");
    aib_ui_rtext(ui, in.y + in.h - 1, in.x, 5, AIB_S_DIM, "0%%");
    char span[32];
    aib_fmt_duration(t->interval * (double)gw, span, sizeof span);
    aib_ui_rtext(ui, r->y + r->h - 1, r->x, r->w - 2, AIB_S_DIM, " last %s ", span);
    struct aib_rect g = {in.y, in.x + 6, in.h, gw};
    aib_ui_graph(ui, &g, v, n, 0, 100, AIB_C_GRAPH);
}

static void draw_detail(const struct aib_ui *ui, struct top *t, const struct aib_rect *r)
{
    size_t i = (size_t)t->sel;
    struct aib_rect in = {r->y + 1, r->x + 1, r->h - 2, r->w - 2};
    if (i < t->devs->len && t->devs->items[i].kind == AIB_DEV_CPU) {
        aib_ui_box(ui, r, "host: cpu, memory, disk, net", AIB_C_TITLE);
        aib_telem_draw_cpu(ui, &in, t->host, t->have_host);
        return;
    }
    aib_ui_box(ui, r, "properties", AIB_C_TITLE);
    if (i >= t->devs->len)
        return;
    const struct aib_device *d = &t->devs->items[i];
    aib_ui_text(ui, in.y, in.x, in.w, AIB_S_BOLD, "%s", d->name);
    for (size_t k = 0; k < d->props.len && (int)k + 1 < in.h; k++)
        aib_ui_text(ui, in.y + 1 + (int)k, in.x, in.w, 0, "%-18s %s", d->props.items[k].key,
                    d->props.items[k].value);
}

static const char *const top_help[] = {
    "q          quit",
    "up/down    select a device (tab: the next one)",
    "?          this help (any key closes it)",
    "",
    "Figures a device cannot report are shown as '-' or",
    "\"no telemetry\", never as 0.",
};

static void draw(const struct aib_ui *ui, struct top *t)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    struct aib_top_layout l;
    if (aib_layout_top(rows, cols, (int)t->nrows, &l)) {
        aib_ui_too_small(ui, rows, cols);
        refresh();
        return;
    }
    erase();
    aib_ui_fill(ui, &l.header, AIB_C_HEAD);
    aib_ui_text(ui, 0, 0, cols, AIB_C_HEAD | AIB_S_BOLD, " aibench top  host %s  every %gs",
                t->hostname, t->interval);
    if (t->have_host && (t->host->valid & AIB_PF_LOAD))
        aib_ui_rtext(ui, 0, 0, cols - 1, AIB_C_HEAD | AIB_S_BOLD, "load %.2f  %u cpus",
                     t->host->load1, t->host->ncpus);
    draw_devices(ui, t, &l.devices);
    draw_graph(ui, t, &l.graph);
    draw_detail(ui, t, &l.detail);
    aib_ui_text(ui, l.footer.y, 0, cols, 0, " q quit  up/down/tab select  ? help");
    if (t->help)
        aib_ui_popup(ui, rows, cols, "keys", top_help, sizeof top_help / sizeof top_help[0]);
    refresh();
}

/* Returns false to quit. */
static bool on_key(struct top *t, int ch)
{
    if (t->help && ch != KEY_RESIZE) {
        t->help = false;
        return ch != 'q' && ch != 'Q';
    }
    int n = (int)t->nrows;
    switch (ch) {
    case 'q':
    case 'Q': return false;
    case KEY_UP:
    case 'k': t->sel = t->sel > 0 ? t->sel - 1 : 0; break;
    case KEY_DOWN:
    case 'j': t->sel = t->sel + 1 < n ? t->sel + 1 : n - 1; break;
    case '\t': t->sel = n ? (t->sel + 1) % n : 0; break;
    case KEY_BTAB: t->sel = n ? (t->sel + n - 1) % n : 0; break;
    case KEY_HOME: t->sel = 0; break;
    case KEY_END: t->sel = n - 1; break;
    case '?':
    case 'h': t->help = true; break;
    default: break;
    }
    return true;
}

static void record(struct top *t)
{
    for (size_t i = 0; i < t->devs->len; i++) {
        struct aib_devtel tel;
        devtel(t, i, &tel);
        if (tel.valid)
            aib_history_push(&t->hist[i], tel.valid & AIB_DT_UTIL ? tel.util * 100 : NAN);
    }
}

int aib_top_run(const struct aib_devlist *devs, double interval_s, struct aib_err *err)
{
    struct top t = {.devs = devs, .interval = interval_s};
    struct aib_procfs_sampler *ps = NULL;
    struct aib_term *term = NULL;
    int status = 2;
    gethostname(t.hostname, sizeof t.hostname - 1);
    for (size_t b = 0; b < devs->nbackends && b < 4; b++)
        if (!devs->backends[b].available)
            t.down[t.nrows++] = &devs->backends[b];
    /* The unavailable backends are listed after the devices. */
    t.nrows += devs->len;
    t.hist = calloc(devs->len ? devs->len : 1, sizeof *t.hist);
    t.host = calloc(1, sizeof *t.host);
    if (!t.hist || !t.host) {
        aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto out;
    }
    struct aib_procfs_opts po = {.interval_s = interval_s};
    if (aib_procfs_start(&po, &ps, err) || aib_term_open(true, &term, err))
        goto out;
    struct aib_ui ui = {.colors = aib_term_colors(term), .utf8 = aib_term_utf8(term)};
    timeout(200);
    uint64_t seq = 0;
    bool run = true, dirty = true;
    while (run && !aib_term_signal(term)) {
        uint64_t s = aib_procfs_latest(ps, t.host);
        if (s != seq) {
            seq = s;
            t.have_host = true;
            record(&t);
            dirty = true;
        }
        if (dirty) {
            draw(&ui, &t);
            dirty = false;
        }
        int ch = getch();
        if (ch != ERR) {
            run = on_key(&t, ch);
            dirty = true;
        }
    }
    int sig = aib_term_signal(term);
    status = sig ? 128 + sig : 0;
out:
    aib_term_close(term);
    aib_procfs_stop(ps);
    free(t.hist);
    free(t.host);
    return status;
}
