/* Painting the results browser: the run list, a run's detail and a
 * comparison (see browse.h). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../bench/fmt.h"
#include "../bench/stats.h"
#include "browse.h"

#define CELL BROWSE_CELL

static int maxi(int a, int b) { return a > b ? a : b; }

/* Widths from the header and every cell, then fitted to the box. */
static int fit(int width, int n, char (*cells)[CELL], size_t rows, const int *flex, int flex_min,
               int *cw)
{
    int want[16], minw[16];
    for (int c = 0; c < n; c++) {
        want[c] = 0;
        for (size_t r = 0; r < rows; r++)
            want[c] = maxi(want[c], (int)strlen(cells[r * (size_t)n + (size_t)c]));
        /* A flexible column gives way first, down to flex_min cells (or its widest cell). */
        minw[c] = flex[c] ? (want[c] < flex_min ? want[c] : maxi(flex_min, (int)strlen(cells[c])))
                          : want[c];
    }
    return aib_layout_columns(width, n, minw, want, flex, cw);
}

static void draw_rows(const struct aib_ui *ui, const struct aib_rect *box, int n,
                      char (*cells)[CELL], const int *styles, size_t nrows, const int *flex,
                      int flex_min, const int *right, int sel, int *first)
{
    int cw[16], x = box->x + 2, w = box->w - 4;
    const char *ptr[16];
    int shown = fit(w, n, cells, nrows + 1, flex, flex_min, cw);
    for (int c = shown; c < n; c++)
        cw[c] = 0;
    for (int c = 0; c < n; c++)
        ptr[c] = cells[c];
    int bold[16];
    for (int c = 0; c < n; c++)
        bold[c] = AIB_S_BOLD;
    aib_ui_row(ui, box->y + 1, x, n, cw, right, ptr, bold);
    int visible = box->h - 3;
    *first = aib_layout_scroll(sel, *first, visible, (int)nrows);
    for (int k = 0; k < visible && *first + k < (int)nrows; k++) {
        size_t r = (size_t)(*first + k) + 1;
        for (int c = 0; c < n; c++)
            ptr[c] = cells[r * (size_t)n + (size_t)c];
        int y = box->y + 2 + k;
        if (*first + k == sel) {
            struct aib_rect line = {y, box->x + 1, 1, box->w - 2};
            aib_ui_fill(ui, &line, AIB_C_SEL);
            int st[16];
            for (int c = 0; c < n; c++)
                st[c] = AIB_C_SEL;
            aib_ui_row(ui, y, x, n, cw, right, ptr, st);
        } else {
            aib_ui_row(ui, y, x, n, cw, right, ptr, styles ? styles + (r - 1) * (size_t)n : NULL);
        }
    }
}

static const char *tput_cell(const struct aib_result *r, char *buf, size_t len)
{
    if (!r)
        return "-";
    if (r->st.n == 0 || strcmp(r->status, "failed") == 0)
        return r->status;
    return aib_ui_fmt_tput(r->throughput, r->unit, buf, len);
}

/* --- the run list -------------------------------------------------------- */

static void draw_list(const struct aib_ui *ui, struct browse *b, const struct aib_browse_layout *l)
{
    enum { M, ID, UU, ST, STATUS, SUITE, NRES, HOST, CMD, NC };
    static const char *const head[NC] = {"", "ID", "UUID", "STARTED", "STATUS", "SUITE",
                                         "RESULTS", "HOST", "COMMAND"};
    static const int flex[NC] = {0, 0, 0, 0, 0, 1, 0, 1, 1};
    static const int right[NC] = {0, 1, 0, 0, 0, 0, 1, 0, 0};
    char (*cells)[CELL] = b->cells;
    int *styles = b->styles;
    char title[96];
    snprintf(title, sizeof title, "runs %zu of %zu%s%s", b->nvis, b->nruns,
             b->filter[0] ? ", filter: " : "", b->filter);
    aib_ui_box(ui, &l->body, title, AIB_C_TITLE);
    if (!b->nvis) {
        aib_ui_text(ui, l->body.y + 1, l->body.x + 2, l->body.w - 4, AIB_S_DIM, "%s",
                    b->nruns ? "no run matches the filter (Esc clears it)"
                             : "no runs in this database yet: aibench run ...");
        return;
    }
    /* Only the rows that can be on screen are formatted. */
    int visible = l->body.h - 3 < BROWSE_ROWS ? l->body.h - 3 : BROWSE_ROWS;
    b->first = aib_layout_scroll(b->sel, b->first, visible, (int)b->nvis);
    size_t nrows = 0;
    for (int c = 0; c < NC; c++)
        snprintf(cells[c], CELL, "%s", head[c]);
    for (int k = 0; k < visible && b->first + k < (int)b->nvis; k++, nrows++) {
        const struct aib_run *r = &b->runs[b->vis[b->first + k]];
        char (*row)[CELL] = &cells[(nrows + 1) * NC];
        snprintf(row[M], CELL, "%s", r->id == b->marks[0] ? "A" : r->id == b->marks[1] ? "B" : "");
        snprintf(row[ID], CELL, "%lld", (long long)r->id);
        snprintf(row[UU], CELL, "%.8s", r->uuid);
        aib_fmt_time(r->started, row[ST], CELL);
        snprintf(row[STATUS], CELL, "%.15s", r->status);
        snprintf(row[SUITE], CELL, "%.127s", r->suite[0] ? r->suite : "-");
        snprintf(row[NRES], CELL, "%zu", r->nresults);
        snprintf(row[HOST], CELL, "%.100s", r->host);
        snprintf(row[CMD], CELL, "%.150s", r->cmdline);
        for (int c = 0; c < NC; c++)
            styles[nrows * NC + (size_t)c] = c == STATUS ? aib_ui_status_style(r->status)
                                             : c == M    ? AIB_C_WARN | AIB_S_BOLD
                                                         : 0;
    }
    /* The window is already scrolled: draw it as a list whose first row is b->first. */
    int first = 0;
    draw_rows(ui, &l->body, NC, cells, styles, nrows, flex, 8, right, b->sel - b->first, &first);
}

/* --- one run -------------------------------------------------------------- */

static void draw_detail_info(const struct aib_ui *ui, const struct browse *b,
                             const struct aib_result *r, const struct aib_rect *box)
{
    aib_ui_box(ui, box, "statistics, metrics, series", AIB_C_TITLE);
    int x = box->x + 2, w = box->w - 4, y = box->y + 1, end = box->y + box->h - 1;
    char a[32], c[32], d[32];
    if (y < end)
        aib_ui_text(ui, y++, x, w, 0, "median %s  min %s  p95 %s",
                    aib_fmt_seconds(r->st.median, a, sizeof a),
                    aib_fmt_seconds(r->st.min, c, sizeof c), aib_fmt_seconds(r->st.p95, d, sizeof d));
    if (y < end) {
        double ci = aib_stats_ci_rel(&r->st);
        char cis[32];
        if (isfinite(ci))
            snprintf(cis, sizeof cis, "%s%.2f%%", aib_ui_pm(ui), ci * 100);
        else
            snprintf(cis, sizeof cis, "-");
        aib_ui_text(ui, y++, x, w, 0, "CV %.1f%%  CI %s  outliers %zu  x%llu per sample",
                    r->st.cv * 100, cis, r->st.outliers, (unsigned long long)r->iters_per_sample);
    }
    if (r->error[0] && y < end)
        aib_ui_text(ui, y++, x, w, AIB_C_BAD, "%s", r->error);
    for (size_t i = 0; i < r->nmetrics && y < end; i++) {
        const struct aib_metric *m = &r->metrics[i];
        if (m->valid)
            aib_ui_text(ui, y++, x, w, 0, "%-20s %.4g %s", m->name, m->value, m->unit);
        else
            aib_ui_text(ui, y++, x, w, AIB_S_DIM, "%-20s n/a %s", m->name, m->note);
    }
    for (size_t i = 0; i < b->dser.len && y < end; i++) {
        const struct aib_series *s = &b->dser.items[i];
        if (s->result_id != r->id || s->n == 0)
            continue;
        int lw = w / 2;
        aib_ui_text(ui, y, x, lw, 0, "%s.%s %.3g..%.3g %s", s->source, s->name, s->min, s->max,
                    s->unit);
        double v[512];
        size_t gw = (size_t)(w - lw - 1) < 512 ? (size_t)(w - lw - 1) : 512;
        size_t n = aib_bucket_means(s->v, s->n, gw, v);
        struct aib_rect g = {y, x + lw + 1, 1, (int)gw};
        aib_ui_graph(ui, &g, v, n, s->min < 0 ? s->min : 0, s->max > 0 ? s->max : 1, AIB_C_GRAPH);
        y++;
    }
}

static void draw_detail(const struct aib_ui *ui, struct browse *b, const struct aib_browse_layout *l)
{
    enum { NUM, WL, DEV, PAR, STATUS, N, TP, CI, MED, NC };
    static const char *const head[NC] = {"#", "workload", "device", "params", "status",
                                         "n", "throughput", "95%CI", "median"};
    static const int flex[NC] = {0, 0, 0, 1, 0, 0, 0, 0, 0};
    static const int right[NC] = {1, 0, 0, 0, 0, 1, 1, 1, 1};
    char (*cells)[CELL] = b->cells;
    int *styles = b->styles;
    size_t nrows = b->ndres < BROWSE_ROWS ? b->ndres : BROWSE_ROWS;
    for (int c = 0; c < NC; c++)
        snprintf(cells[c], CELL, "%s", head[c]);
    for (size_t i = 0; i < nrows; i++) {
        const struct aib_result *r = &b->dres[i];
        char (*row)[CELL] = &cells[(i + 1) * NC];
        double ci = aib_stats_ci_rel(&r->st);
        snprintf(row[NUM], CELL, "%zu", i + 1);
        snprintf(row[WL], CELL, "%s", r->workload);
        snprintf(row[DEV], CELL, "%s", r->device);
        snprintf(row[PAR], CELL, "%s", b->dshort[i]);
        snprintf(row[STATUS], CELL, "%s", r->status);
        snprintf(row[N], CELL, "%zu", r->st.n);
        if (r->st.n && strcmp(r->status, "failed"))
            aib_ui_fmt_tput(r->throughput, r->unit, row[TP], CELL);
        else
            snprintf(row[TP], CELL, "-");
        if (isfinite(ci))
            snprintf(row[CI], CELL, "%s%.1f%%", aib_ui_pm(ui), ci * 100);
        else
            snprintf(row[CI], CELL, "-");
        if (r->st.n)
            aib_fmt_seconds(r->st.median, row[MED], CELL);
        else
            snprintf(row[MED], CELL, "-");
        for (int c = 0; c < NC; c++)
            styles[i * NC + (size_t)c] = c == STATUS ? aib_ui_status_style(r->status) : 0;
    }
    char title[96];
    snprintf(title, sizeof title, "results of run %lld (%zu)", (long long)b->drun.id, b->ndres);
    aib_ui_box(ui, &l->table, title, AIB_C_TITLE);
    draw_rows(ui, &l->table, NC, cells, styles, nrows, flex, 24, right, b->dsel, &b->dfirst);
    if (!b->ndres) {
        aib_ui_text(ui, l->table.y + 2, l->table.x + 2, l->table.w - 4, AIB_S_DIM,
                    "this run has no results");
        aib_ui_box(ui, &l->graph, "samples", AIB_C_TITLE);
        aib_ui_box(ui, &l->info, "statistics", AIB_C_TITLE);
        return;
    }
    const struct aib_result *r = &b->dres[b->dsel];
    /* Every sample, squeezed into the graph's width, as throughput. */
    const char *unit;
    aib_tui_tput(r->flops, r->bytes, r->ops, 1, &unit);
    snprintf(title, sizeof title, "samples of #%d, %s per slice", b->dsel + 1, unit);
    aib_ui_box(ui, &l->graph, title, AIB_C_TITLE);
    const struct aib_rect *g = &l->graph;
    double v[1024], top = 0;
    size_t gw = g->w - 10 > 0 ? (size_t)(g->w - 10) : 0;
    if (gw > 1024)
        gw = 1024;
    size_t n = aib_bucket_means(r->samples, r->nsamples, gw, v);
    for (size_t i = 0; i < n; i++) {
        v[i] = aib_tui_tput(r->flops, r->bytes, r->ops, v[i], &unit);
        top = v[i] > top ? v[i] : top;
    }
    if (n) {
        top = aib_nice_ceil(top);
        aib_ui_rtext(ui, g->y + 1, g->x + 1, 7, AIB_S_DIM, "%.4g", top);
        aib_ui_rtext(ui, g->y + g->h - 2, g->x + 1, 7, AIB_S_DIM, "0");
        struct aib_rect bars = {g->y + 1, g->x + 9, g->h - 2, (int)gw};
        aib_ui_graph(ui, &bars, v, n, 0, top, AIB_C_GRAPH);
    } else {
        aib_ui_text(ui, g->y + 1, g->x + 2, g->w - 4, AIB_S_DIM, "no samples stored");
    }
    draw_detail_info(ui, b, r, &l->info);
}

/* --- a comparison --------------------------------------------------------- */

static void draw_compare(const struct aib_ui *ui, struct browse *b, const struct aib_browse_layout *l)
{
    enum { WL, DEV, PAR, A, B, RATIO, VERDICT, NC };
    static const char *const head[NC] = {"workload", "device", "params", "A", "B", "B/A",
                                         "verdict"};
    static const int flex[NC] = {0, 0, 1, 0, 0, 0, 0};
    static const int right[NC] = {0, 0, 0, 1, 1, 1, 0};
    char (*cells)[CELL] = b->cells;
    int *styles = b->styles;
    size_t nrows = b->nrows < BROWSE_ROWS ? b->nrows : BROWSE_ROWS, count[6] = {0};
    for (int c = 0; c < NC; c++)
        snprintf(cells[c], CELL, "%s", head[c]);
    for (size_t i = 0; i < b->nrows; i++) {
        const struct aib_cmp_row *r = &b->rows[i];
        int k = !r->b ? 4 : !r->a ? 5 : (int)r->verdict;
        count[k]++;
        if (i >= nrows)
            continue;
        const struct aib_result *key = r->a ? r->a : r->b;
        char (*row)[CELL] = &cells[(i + 1) * NC];
        snprintf(row[WL], CELL, "%s", key->workload);
        snprintf(row[DEV], CELL, "%s", key->device);
        snprintf(row[PAR], CELL, "%s", b->cshort[i]);
        char ta[48], tb[48];
        snprintf(row[A], CELL, "%s", tput_cell(r->a, ta, sizeof ta));
        snprintf(row[B], CELL, "%s", tput_cell(r->b, tb, sizeof tb));
        if (isfinite(r->speedup))
            snprintf(row[RATIO], CELL, "%.2fx", r->speedup);
        else
            snprintf(row[RATIO], CELL, "-");
        snprintf(row[VERDICT], CELL, "%s",
                 k == 4 ? "only in A" : k == 5 ? "only in B" : aib_verdict_name(r->verdict));
        int vs = k == AIB_VERDICT_FASTER ? AIB_C_GOOD | AIB_S_BOLD
                 : k == AIB_VERDICT_SLOWER ? AIB_C_BAD | AIB_S_BOLD
                 : k == AIB_VERDICT_SAME   ? 0
                                           : AIB_C_WARN;
        for (int c = 0; c < NC; c++)
            styles[i * NC + (size_t)c] = c == VERDICT || c == RATIO ? vs : 0;
    }
    char title[160];
    snprintf(title, sizeof title,
             "B vs A: %zu same, %zu faster, %zu slower, %zu inconclusive, %zu only A, %zu only B",
             count[0], count[1], count[2], count[3], count[4], count[5]);
    aib_ui_box(ui, &l->body, title, AIB_C_TITLE);
    if (!b->nrows)
        aib_ui_text(ui, l->body.y + 1, l->body.x + 2, l->body.w - 4, AIB_S_DIM,
                    "no results in either run");
    else
        draw_rows(ui, &l->body, NC, cells, styles, nrows, flex, 8, right, b->csel, &b->cfirst);
}

/* --- the screen ----------------------------------------------------------- */

static const char *const help_lines[] = {
    "run list:  up/down move, Enter open the run, space mark A/B,",
    "           c compare the marked runs (B against A), / filter",
    "           (words, any column), Esc clear it, r reload",
    "run:       up/down/tab pick a result: its samples and metrics",
    "compare:   up/down move; verdicts from the 95% intervals",
    "anywhere:  Esc or left goes back, q quits, ? this help",
};

void aib_browse_draw(const struct aib_ui *ui, struct browse *b, int rows, int cols)
{
    struct aib_browse_layout l;
    if (aib_layout_browse(rows, cols, &l)) {
        aib_ui_too_small(ui, rows, cols);
        refresh();
        return;
    }
    erase();
    aib_ui_fill(ui, &l.header, AIB_C_HEAD);
    char when[32], when2[32];
    const char *keys;
    if (b->mode == BROWSE_LIST) {
        aib_ui_text(ui, 0, 0, cols, AIB_C_HEAD | AIB_S_BOLD, " aibench browse  %s",
                    aib_store_path(b->store));
        draw_list(ui, b, &l);
        keys = " q quit  enter open  space mark  c compare  / filter  ? help";
    } else if (b->mode == BROWSE_DETAIL) {
        const struct aib_run *r = &b->drun;
        aib_ui_text(ui, 0, 0, cols, AIB_C_HEAD | AIB_S_BOLD, " run %lld  %.8s  %s  %s%s  host %s  %.1f s",
                    (long long)r->id, r->uuid, r->status, r->suite[0] ? "suite " : "",
                    r->suite[0] ? r->suite : aib_fmt_time(r->started, when, sizeof when), r->host,
                    r->ended > r->started ? r->ended - r->started : 0);
        draw_detail(ui, b, &l);
        keys = " esc back  up/down result  q quit  ? help";
    } else {
        aib_ui_text(ui, 0, 0, cols, AIB_C_HEAD | AIB_S_BOLD,
                    " compare  A: run %lld %.8s %s   B: run %lld %.8s %s   tolerance %g%%",
                    (long long)b->ca.id, b->ca.uuid, aib_fmt_time(b->ca.started, when, sizeof when),
                    (long long)b->cb.id, b->cb.uuid,
                    aib_fmt_time(b->cb.started, when2, sizeof when2), b->tol * 100);
        draw_compare(ui, b, &l);
        keys = " esc back  up/down move  q quit  ? help";
    }
    if (b->editing)
        aib_ui_text(ui, l.footer.y, 0, cols, AIB_S_BOLD, " /%s_   (Enter keep, Esc clear)",
                    b->filter);
    else
        aib_ui_text(ui, l.footer.y, 0, cols, 0, "%s", keys);
    if (b->msg[0] && !b->editing)
        aib_ui_rtext(ui, l.footer.y, 0, cols - 1, AIB_C_WARN | AIB_S_BOLD, "%s", b->msg);
    if (b->help)
        aib_ui_popup(ui, rows, cols, "keys", help_lines, sizeof help_lines / sizeof help_lines[0]);
    refresh();
}
