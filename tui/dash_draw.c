/* Painting the run dashboard from its view state (see dash.h). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../bench/fmt.h"
#include "../devices/device.h"
#include "dash.h"
#include "telem.h"

static const struct aib_plan_entry *entry_at(const struct dash_view *v, size_t i)
{
    return i < v->plan->len ? &v->plan->items[i] : NULL;
}

static void draw_header(const struct aib_ui *ui, const struct dash_view *v,
                        const struct aib_rect *r, double now)
{
    const struct aib_plan *p = v->plan;
    struct aib_rect bar = {r->y, r->x, 1, r->w};
    aib_ui_fill(ui, &bar, AIB_C_HEAD);
    const char *state = v->ended        ? v->run_status
                        : v->quitting   ? "STOPPING (q)"
                        : v->stop_seen  ? "STOPPING"
                        : v->held       ? "PAUSED"
                        : v->pause_req  ? "PAUSE AFTER THIS ENTRY"
                        : v->started    ? "RUNNING"
                                        : "STARTING";
    aib_ui_text(ui, r->y, r->x, r->w, AIB_C_HEAD | AIB_S_BOLD, " aibench run%s%s  run %.8s",
                p->suite[0] ? "  suite " : "", p->suite, v->uuid[0] ? v->uuid : "-");
    aib_ui_rtext(ui, r->y, r->x, r->w - 1, AIB_C_HEAD | AIB_S_BOLD, "%s", state);

    /* entry i/n, progress, elapsed, ETA */
    size_t n = p->len, shown = v->in_entry ? v->cur + 1 : v->done < n ? v->done + 1 : n;
    char el[32], eta[32], prefix[48];
    double end = v->ended ? v->t_end : now;
    aib_fmt_duration(v->started ? end - v->t_start : 0, el, sizeof el);
    int bound = 0;
    double left = aib_eta_s(v->done, n, v->done_s, v->in_entry ? now - v->cur_start : 0,
                            p->opts.warmup_s + p->opts.max_time_s, &bound);
    aib_fmt_duration(left, eta, sizeof eta);
    int y = r->y + 1;
    snprintf(prefix, sizeof prefix, " entry %zu/%zu ", shown, n);
    int pw = (int)strlen(prefix);
    aib_ui_text(ui, y, r->x, pw, AIB_S_BOLD, "%s", prefix);
    int tail_w = 34, bar_w = r->w - pw - tail_w;
    aib_ui_bar(ui, y, r->x + pw, bar_w, n ? (double)v->done / (double)n : 0, AIB_C_GOOD);
    aib_ui_rtext(ui, y, r->x + pw + bar_w, tail_w, 0, "elapsed %s  ETA %s%s ", el,
                 v->ended ? "" : bound ? "<=" : "~", v->ended ? "-" : eta);
}

static void draw_current(const struct aib_ui *ui, const struct dash_view *v,
                         const struct aib_dash_layout *l, double now)
{
    const struct aib_rect *r = &l->current;
    /* Between entries, the panel shows the next one. */
    size_t idx = v->in_entry ? v->cur : v->done;
    const struct aib_plan_entry *e = entry_at(v, idx);
    char title[128], a[48], b[48];
    if (e)
        snprintf(title, sizeof title, "%s%s on %s", v->in_entry ? "" : "next: ", e->w->name,
                 e->dev->id);
    else
        snprintf(title, sizeof title, "run %s", v->ended ? v->run_status : "finishing");
    aib_ui_box(ui, r, title, AIB_C_TITLE);
    int x = r->x + 2, w = r->w - 4, y = r->y + 1;
    if (!e) {
        aib_ui_text(ui, y, x, w, AIB_S_DIM, "all %zu entries done; saving ...", v->plan->len);
        return;
    }
    aib_ui_text(ui, y++, x, w, 0, "params  %s", e->params_str[0] ? e->params_str : "(none)");
    const char *unit;
    aib_tui_tput(v->flops, v->bytes, v->ops, 1, &unit);
    if (v->in_entry && v->engine_nsamples == 0) {
        aib_ui_text(ui, y++, x, w, AIB_C_WARN, "warming up and verifying the answer ...");
        y++;
    } else if (v->in_entry) {
        aib_ui_fmt_tput(v->median_tput, unit, a, sizeof a);
        aib_ui_fmt_tput(v->last_tput, unit, b, sizeof b);
        aib_ui_text(ui, y, x, w, 0, "throughput ");
        aib_ui_text(ui, y, x + 11, w - 11, AIB_C_GOOD | AIB_S_BOLD, "%s", a);
        int used = 11 + (int)strlen(a);
        aib_ui_text(ui, y, x + used, w - used, AIB_S_DIM, " median");
        used += 7;
        if (w - used >= 6 + (int)strlen(b))
            aib_ui_rtext(ui, y, x + used, w - used, AIB_S_DIM, "last %s", b);
        y++;
        /* samples, then the CI against its target: green once it is met */
        double target = v->plan->opts.target_ci;
        char ci[32];
        if (isfinite(v->ci_rel))
            snprintf(ci, sizeof ci, "%s%.2f%%", aib_ui_pm(ui), v->ci_rel * 100);
        else
            snprintf(ci, sizeof ci, "- (few samples)");
        int cx = x;
        aib_ui_text(ui, y, cx, w, 0, "samples %-8llu CI ", (unsigned long long)v->engine_nsamples);
        cx += 20;
        aib_ui_text(ui, y, cx, x + w - cx, v->ci_rel <= target ? AIB_C_GOOD | AIB_S_BOLD : AIB_C_WARN,
                    "%s", ci);
        cx += (int)strlen(ci) + 1 - (isfinite(v->ci_rel) && ui->utf8); /* "±" is 2 bytes */
        aib_ui_text(ui, y, cx, x + w - cx, AIB_S_DIM, "target %s%.1f%%", aib_ui_pm(ui),
                    target * 100);
        y++;
    } else {
        if (v->held)
            aib_ui_text(ui, y, x, w, AIB_C_WARN | AIB_S_BOLD, "paused before this entry: p goes on");
        else if (v->stop_seen)
            aib_ui_text(ui, y, x, w, AIB_C_WARN, "stopping: this entry will not run");
        else
            aib_ui_text(ui, y, x, w, AIB_S_DIM, "%s", v->started ? "starting ..." : "opening the run ...");
        y += 2;
    }
    char in_e[32], mx[32];
    aib_fmt_duration(v->in_entry ? now - v->cur_start : 0, in_e, sizeof in_e);
    aib_fmt_duration(v->plan->opts.max_time_s, mx, sizeof mx);
    if (v->skip_req)
        aib_ui_text(ui, y, x, w, AIB_C_WARN | AIB_S_BOLD, "skipping: the entry ends at the next sample");
    else if (v->in_entry)
        aib_ui_text(ui, y, x, w, AIB_S_DIM, "in entry %s (max %s of samples)", in_e, mx);

    /* The whole entry so far squeezed into the graph's width: each column
     * is the throughput over its slice of the samples. */
    const struct aib_rect *g = &l->graph;
    double vals[1024];
    size_t gw = g->w - 8 > 0 ? (size_t)(g->w - 8) : 0;
    if (gw > sizeof vals / sizeof vals[0])
        gw = sizeof vals / sizeof vals[0];
    size_t n = v->in_entry ? aib_bucket_means(v->samples, v->nsamples, gw, vals) : 0;
    double top = 0;
    for (size_t i = 0; i < n; i++) {
        vals[i] = aib_tui_tput(v->flops, v->bytes, v->ops, vals[i], &unit);
        if (vals[i] > top)
            top = vals[i];
    }
    if (n) {
        top = aib_nice_ceil(top);
        aib_ui_rtext(ui, g->y, g->x, 7, AIB_S_DIM, "%.4g", top);
        aib_ui_rtext(ui, g->y + g->h - 1, g->x, 7, AIB_S_DIM, "0");
        aib_ui_text(ui, g->y + g->h / 2, g->x, 7, AIB_S_DIM, "%.7s", unit);
        struct aib_rect bars = {g->y, g->x + 8, g->h, (int)gw};
        aib_ui_graph(ui, &bars, vals, n, 0, top, AIB_C_GRAPH);
    }
}

static void draw_telem(const struct aib_ui *ui, const struct dash_view *v,
                       const struct aib_rect *r)
{
    const struct aib_plan_entry *e = entry_at(v, v->cur);
    char title[80];
    bool cpu = !e || e->dev->kind == AIB_DEV_CPU;
    snprintf(title, sizeof title, "telemetry: %s", e ? e->dev->id : "host");
    aib_ui_box(ui, r, title, AIB_C_TITLE);
    struct aib_rect in = {r->y + 1, r->x + 1, r->h - 2, r->w - 2};
    if (!cpu) {
        struct aib_devtel t;
        aib_devtel_get(e->dev->id, e->dev->kind, v->host, v->have_host, &t);
        aib_ui_text(ui, in.y, in.x, in.w, AIB_C_WARN, "%s: %s", e->dev->id, t.source);
        aib_ui_text(ui, in.y + 1, in.x, in.w, AIB_S_DIM, "host cpu:");
        in.y += 2;
        in.h -= 2;
    }
    int used = aib_telem_draw_cpu(ui, &in, v->host, v->have_host);
    /* Counters of the newest finished entry, in the room left. */
    int y = in.y + used + 1, end = in.y + in.h;
    if (v->nm && y + 1 < end) {
        aib_ui_text(ui, y++, in.x, in.w, AIB_S_BOLD, "metrics of entry %zu", v->m_entry + 1);
        for (int i = 0; i < v->nm && y < end; i++, y++) {
            const struct dash_metric *m = &v->m[i];
            if (m->valid)
                aib_ui_text(ui, y, in.x, in.w, 0, "%-16s %.4g %s", m->name, m->value, m->unit);
            else
                aib_ui_text(ui, y, in.x, in.w, AIB_S_DIM, "%-16s n/a", m->name);
        }
    }
}

static int maxi(int a, int b) { return a > b ? a : b; }

static void draw_table(const struct aib_ui *ui, const struct dash_view *v,
                       const struct aib_rect *r)
{
    char title[64];
    snprintf(title, sizeof title, "finished entries %zu/%zu", v->nrows, v->plan->len);
    aib_ui_box(ui, r, title, AIB_C_TITLE);
    /* Least needed last: narrow terminals drop columns from the end. */
    enum { C_NUM, C_WL, C_DEV, C_PAR, C_ST, C_N, C_TP, C_CI, C_MED, NC };
    static const char *const head[NC] = {"#", "workload", "device", "params", "status",
                                         "n", "throughput", "95%CI", "median"};
    static const int right[NC] = {1, 0, 0, 0, 0, 1, 1, 1, 1};
    static const int flex[NC] = {0, 0, 0, 1, 0, 0, 0, 0, 0};
    int want[NC] = {3, 8, 6, 10, 6, 5, 13, 6, 8}, minw[NC];
    for (size_t i = 0; i < v->nrows; i++) {
        const struct aib_plan_entry *e = entry_at(v, v->rows[i].index);
        if (!e)
            continue;
        want[C_WL] = maxi(want[C_WL], (int)strlen(e->w->name));
        want[C_DEV] = maxi(want[C_DEV], (int)strlen(e->dev->id));
        want[C_PAR] = maxi(want[C_PAR], (int)strlen(v->pshort[v->rows[i].index]));
        want[C_ST] = maxi(want[C_ST], (int)strlen(v->rows[i].status));
    }
    memcpy(minw, want, sizeof minw);
    /* Params give way first, but not below what tells a sweep apart. */
    minw[C_PAR] = want[C_PAR] < 24 ? want[C_PAR] : 24;
    int cw[NC], inner = r->w - 4;
    int shown = aib_layout_columns(inner, NC, minw, want, flex, cw);
    int y = r->y + 1;
    for (int c = 0, x = r->x + 2; c < shown; x += cw[c] + 1, c++) {
        if (right[c])
            aib_ui_rtext(ui, y, x, cw[c], AIB_S_BOLD, "%s", head[c]);
        else
            aib_ui_text(ui, y, x, cw[c], AIB_S_BOLD, "%s", head[c]);
    }
    int visible = r->h - 3;
    size_t first = v->nrows > (size_t)visible ? v->nrows - (size_t)visible : 0;
    for (size_t i = first; i < v->nrows; i++) {
        const struct dash_row *row = &v->rows[i];
        const struct aib_plan_entry *e = entry_at(v, row->index);
        char cell[NC][160];
        bool failed = strcmp(row->status, "failed") == 0;
        snprintf(cell[C_NUM], sizeof cell[0], "%zu", row->index + 1);
        snprintf(cell[C_WL], sizeof cell[0], "%s", e ? e->w->name : "?");
        snprintf(cell[C_DEV], sizeof cell[0], "%s", e ? e->dev->id : "?");
        snprintf(cell[C_PAR], sizeof cell[0], "%.159s", e ? v->pshort[row->index] : "?");
        snprintf(cell[C_ST], sizeof cell[0], "%s", row->status);
        snprintf(cell[C_N], sizeof cell[0], "%zu", row->n);
        if (failed || row->n == 0) {
            /* A wrong answer has no speed; the reason goes in its place. */
            snprintf(cell[C_TP], sizeof cell[0], "-");
            snprintf(cell[C_CI], sizeof cell[0], "-");
            snprintf(cell[C_MED], sizeof cell[0], "-");
        } else {
            aib_ui_fmt_tput(row->throughput, row->unit, cell[C_TP], sizeof cell[0]);
            if (isfinite(row->ci_rel))
                snprintf(cell[C_CI], sizeof cell[0], "%s%.1f%%", aib_ui_pm(ui), row->ci_rel * 100);
            else
                snprintf(cell[C_CI], sizeof cell[0], "-");
            aib_fmt_seconds(row->median, cell[C_MED], sizeof cell[0]);
        }
        y++;
        int x = r->x + 2;
        for (int c = 0; c < shown; x += cw[c] + 1, c++) {
            int st = c == C_ST ? aib_ui_status_style(row->status) : 0;
            if (failed && c == C_N) {
                aib_ui_text(ui, y, x, r->x + r->w - 2 - x, AIB_C_BAD, "%s", row->error);
                break;
            }
            if (right[c])
                aib_ui_rtext(ui, y, x, cw[c], st, "%s", cell[c]);
            else
                aib_ui_text(ui, y, x, cw[c], st, "%s", cell[c]);
        }
    }
}

static const char *const help_lines[] = {
    "q      quit: the run is saved, the current entry and",
    "       the run are marked interrupted",
    "p      pause before the next entry (again: go on)",
    "s      skip the current entry (kept as skipped)",
    "?      this help (any key closes it)",
    "",
    "Drawing happens on its own thread, outside every",
    "timed region; --no-tui prints plain lines instead.",
};

void aib_dash_draw(const struct aib_ui *ui, struct dash_view *v, int rows, int cols, double now)
{
    struct aib_dash_layout l;
    if (aib_layout_dash(rows, cols, &l)) {
        aib_ui_too_small(ui, rows, cols);
        return;
    }
    erase();
    draw_header(ui, v, &l.header, now);
    draw_current(ui, v, &l, now);
    draw_telem(ui, v, &l.telem);
    draw_table(ui, v, &l.table);
    aib_ui_text(ui, l.footer.y, 0, cols, 0, " q quit  p %s  s skip  ? help",
                v->pause_req ? "resume" : "pause");
    if (v->dropped)
        aib_ui_rtext(ui, l.footer.y, 0, cols - 1, AIB_S_DIM, "view skipped %llu samples",
                     (unsigned long long)v->dropped);
    if (v->help)
        aib_ui_popup(ui, rows, cols, "keys", help_lines, sizeof help_lines / sizeof help_lines[0]);
}
