/* The report's charts as SVG (report.h): the roofline of a device, a
 * sweep (throughput against the swept parameter) and a telemetry series
 * over a run. Drawn with svg.h; every label is escaped there. */
#include <math.h>
#include <string.h>

#include "report.h"
#include "svg.h"

#define BOUND_COMPUTE_COLOR "#0072B2"
#define BOUND_MEMORY_COLOR "#D55E00"
#define BOUND_NEITHER_COLOR "#777777"

char aib_report_point_mark(size_t i)
{
    return i < 9 ? (char)('1' + i) : i < 35 ? (char)('a' + (i - 9)) : '*';
}

static bool placed(const struct aib_roof_point *p, const char *device)
{
    return strcmp(p->device, device) == 0 && p->bound != AIB_ROOF_UNPLACED;
}

/* [lo, hi] widened to span at least one decade (about its middle); the
 * ends stay where the data needs them, not at whole decades, so a chart
 * spends no rows on empty space. */
static void log_range(double lo, double hi, double *out_lo, double *out_hi)
{
    double a = log10(lo), b = log10(hi);
    if (b - a < 1)
        a = (a + b) / 2 - 0.5, b = a + 1;
    *out_lo = pow(10, a), *out_hi = pow(10, b);
}

void aib_report_roof_range(const struct aib_roofline *rl, const char *device, double *xlo,
                           double *xhi, double *ylo, double *yhi)
{
    double x0 = INFINITY, x1 = 0, y0 = INFINITY, y1 = 0;
    int m = aib_roof_find(rl, device, AIB_CEIL_MEMORY, "");
    double bw = m >= 0 ? rl->ceil[m].value : 0;
    for (size_t i = 0; i < rl->npts; i++) {
        const struct aib_roof_point *p = &rl->pts[i];
        if (!placed(p, device))
            continue;
        x0 = fmin(x0, p->intensity), x1 = fmax(x1, p->intensity);
        y0 = fmin(y0, p->gflops), y1 = fmax(y1, p->gflops);
    }
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        if (strcmp(c->device, device) != 0 || c->kind != AIB_CEIL_COMPUTE)
            continue;
        y0 = fmin(y0, c->value), y1 = fmax(y1, c->value);
        if (bw > 0) /* the ridge point */
            x0 = fmin(x0, c->value / bw), x1 = fmax(x1, c->value / bw);
    }
    if (!(x1 > 0))
        x0 = 0.1, x1 = 100;
    log_range(x0 / 3, x1 * 3, xlo, xhi);
    if (bw > 0) /* show the slope from where it enters the chart */
        y0 = fmin(y0, fmax(*xlo * bw, y0 / 100));
    if (!(y1 > 0))
        y0 = 1, y1 = 1000;
    log_range(y0 / 1.5, y1 * 1.5, ylo, yhi);
}

/* --- roofline ------------------------------------------------------------------ */

static const char *bound_color(enum aib_roof_bound b)
{
    return b == AIB_ROOF_COMPUTE ? BOUND_COMPUTE_COLOR
           : b == AIB_ROOF_MEMORY ? BOUND_MEMORY_COLOR
                                  : BOUND_NEITHER_COLOR;
}

/* A label along a memory roof, turned to its angle on the page and set
 * just above it, starting where the slope is visible: between where it
 * enters the plot and where it meets the highest compute ceiling (top). */
static void slope_label(const struct aib_svg_plot *p, double bw, double top, const char *text,
                        const char *color)
{
    double x0 = fmax(p->x.lo, p->y.lo / bw), x1 = top > 0 ? fmin(top / bw, p->x.hi) : p->x.hi;
    double ax, ay, bx, by;
    if (!(x1 > x0))
        return;
    double x = x0 * pow(x1 / x0, 0.15);
    if (!aib_svg_px(p, x, x * bw, &ax, &ay) || !aib_svg_px(p, x * 2, x * 2 * bw, &bx, &by))
        return;
    double th = atan2(by - ay, bx - ax);
    aib_svg_text(p->f, ax + 4 * sin(th), ay - 4 * cos(th), "start", 11, color, th * 180 / M_PI,
                 text);
}

/* A legend entry: a line sample, the ceiling, its source (cut to the
 * legend's width; the whole of it in the tooltip). */
static void legend(FILE *f, double x, double *y, const char *color, const char *dash,
                   const char *what, const char *source)
{
    char cut[72];
    size_t n = strlen(source);
    snprintf(cut, sizeof cut, "%.*s%s", n > 64 ? 62 : (int)n, source, n > 64 ? "..." : "");
    aib_svg_line(f, x, *y - 4, x + 18, *y - 4, color, 2, dash);
    aib_svg_text(f, x + 24, *y, "start", 11, "#000000", 0, what);
    fputs("<g><title>", f);
    aib_svg_escape(f, source);
    fputs("</title>", f);
    aib_svg_text(f, x + 24, *y + 13, "start", 9, "#555555", 0, cut);
    fputs("</g>\n", f);
    *y += 30;
}

static void roof_lines(const struct aib_svg_plot *p, const struct aib_roofline *rl,
                       const char *device, double *legend_y, double lx)
{
    char buf[160];
    const double xlo = p->x.lo, xhi = p->x.hi;
    int m = aib_roof_find(rl, device, AIB_CEIL_MEMORY, "");
    int cache = aib_roof_find(rl, device, AIB_CEIL_CACHE, "");
    double bw = m >= 0 ? rl->ceil[m].value : 0, top = 0, px, py;
    size_t k = 0;
    for (size_t i = 0; i < rl->nceil; i++)
        if (strcmp(rl->ceil[i].device, device) == 0 && rl->ceil[i].kind == AIB_CEIL_COMPUTE)
            top = fmax(top, rl->ceil[i].value);
    if (cache >= 0) { /* under the others */
        const struct aib_roof_ceiling *c = &rl->ceil[cache];
        double cb = c->value, end = top > 0 ? top : xhi * cb;
        double xs[2] = {xlo, end / cb}, ys[2] = {xlo * cb, end};
        aib_svg_plot_line(p, xs, ys, 2, "#999999", 1.5, "3 3");
        snprintf(buf, sizeof buf, "cache %.4g GB/s", cb);
        slope_label(p, cb, top, buf, "#777777");
    }
    /* each compute ceiling is flat from where it meets the memory slope */
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        if (strcmp(c->device, device) != 0 || c->kind != AIB_CEIL_COMPUTE)
            continue;
        const char *col = aib_svg_color(k++);
        double xs[2] = {bw > 0 ? c->value / bw : xlo, xhi}, ys[2] = {c->value, c->value};
        aib_svg_plot_line(p, xs, ys, 2, col, 2, c->declared ? "6 4" : NULL);
        snprintf(buf, sizeof buf, "%s %.4g GFLOP/s%s", c->precision, c->value,
                 c->declared ? " (declared)" : "");
        if (aib_svg_px(p, xhi, c->value, &px, &py))
            aib_svg_text(p->f, px - 4, py - 5, "end", 11, col, 0, buf);
        legend(p->f, lx, legend_y, col, c->declared ? "6 4" : NULL, buf, c->source);
    }
    if (m >= 0) { /* the slope, up to the highest ceiling */
        const struct aib_roof_ceiling *c = &rl->ceil[m];
        double xs[2] = {xlo, top > 0 ? top / bw : xhi}, ys[2] = {xlo * bw, top > 0 ? top : xhi * bw};
        aib_svg_plot_line(p, xs, ys, 2, "#333333", 2, NULL);
        snprintf(buf, sizeof buf, "memory %.4g GB/s", c->value);
        slope_label(p, bw, top, buf, "#333333");
        legend(p->f, lx, legend_y, "#333333", NULL, buf, c->source);
    }
    if (cache >= 0) {
        snprintf(buf, sizeof buf, "cache %.4g GB/s", rl->ceil[cache].value);
        legend(p->f, lx, legend_y, "#999999", "3 3", buf, rl->ceil[cache].source);
    }
}

/* Legend lines: 30 px per ceiling, 14 per point (20 at most), headings. */
static double roofline_height(const struct aib_roofline *rl, const char *device)
{
    size_t nc = 0, np = 0;
    for (size_t i = 0; i < rl->nceil; i++)
        nc += strcmp(rl->ceil[i].device, device) == 0;
    for (size_t i = 0; i < rl->npts; i++)
        np += strcmp(rl->pts[i].device, device) == 0;
    return fmax(440, 56 + 30.0 * (double)nc + 24 + 14.0 * (double)(np < 20 ? np : 20) + 16);
}

double aib_report_chart_height(const struct aib_report_chart *c)
{
    switch (c->kind) {
    case AIB_CHART_ROOFLINE: return roofline_height(c->rl, c->device);
    case AIB_CHART_SWEEP: return 400;
    case AIB_CHART_SERIES: break;
    }
    return 250;
}

static void roofline_chart(FILE *f, const struct aib_report_chart *ch, bool standalone)
{
    const struct aib_roofline *rl = ch->rl;
    struct aib_svg_axis x = {.log = true, .label = "arithmetic intensity (flop/byte)"};
    struct aib_svg_axis y = {.log = true, .label = "GFLOP/s"};
    struct aib_svg_plot p;
    const char *params[64];
    char mark[2] = {0}, tip[1024], short_p[512];
    size_t np = 0, nshown = 0;
    aib_report_roof_range(rl, ch->device, &x.lo, &x.hi, &y.lo, &y.hi);
    for (size_t i = 0; i < rl->npts && np < 64; i++)
        if (strcmp(rl->pts[i].device, ch->device) == 0)
            params[np++] = rl->pts[i].params;
    aib_svg_begin(f, AIB_REPORT_CHART_WIDTH, roofline_height(rl, ch->device), standalone,
                  ch->title);
    aib_svg_text(f, 20, 24, "start", 14, "#000000", 0, ch->title);
    aib_svg_plot_init(&p, f, ch->id, 80, 40, 440, 340, &x, &y);
    aib_svg_plot_axes(&p);
    double ly = 56;
    roof_lines(&p, rl, ch->device, &ly, 560);
    ly += 8;
    aib_svg_text(f, 560, ly, "start", 11, "#000000", 0, "points");
    aib_svg_text(f, 600, ly, "start", 9, "#555555", 0,
                 "blue: compute-bound, orange: memory-bound, grey: neither");
    ly += 16;
    for (size_t i = 0, k = 0; i < rl->npts; i++) {
        const struct aib_roof_point *pt = &rl->pts[i];
        if (strcmp(pt->device, ch->device) != 0)
            continue;
        mark[0] = aib_report_point_mark(k);
        if (k < np)
            aib_report_varying(params, np, k, short_p, sizeof short_p);
        else
            short_p[0] = '\0';
        k++;
        snprintf(tip, sizeof tip, "%s: %s %s %s: %.4g GFLOP/s at %.3g flop/B: %s (%s)", mark,
                 pt->workload, pt->device, pt->params, pt->gflops, pt->intensity,
                 aib_roof_bound_name(pt->bound), pt->why);
        if (pt->bound != AIB_ROOF_UNPLACED)
            aib_svg_plot_point(&p, pt->intensity, pt->gflops, bound_color(pt->bound), mark, tip);
        if (nshown++ < 20) {
            snprintf(tip, sizeof tip, "%s  %s %.60s  %s", mark, pt->workload, short_p,
                     aib_roof_bound_name(pt->bound));
            aib_svg_text(f, 560, ly, "start", 10, bound_color(pt->bound), 0, tip);
            ly += 14;
        }
    }
    aib_svg_end(f);
}

/* --- sweep ------------------------------------------------------------------------ */

static void sweep_chart(FILE *f, const struct aib_report_chart *ch, bool standalone)
{
    const struct aib_sweep *sw = ch->sweep;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    char xl[96], yl[64], mark[24];
    for (size_t i = 0; i < sw->nlines; i++)
        for (size_t j = 0; j < sw->lines[i].n; j++) {
            x0 = fmin(x0, sw->lines[i].x[j]), x1 = fmax(x1, sw->lines[i].x[j]);
            y0 = fmin(y0, sw->lines[i].y[j]), y1 = fmax(y1, sw->lines[i].y[j]);
        }
    snprintf(xl, sizeof xl, "%s", sw->key);
    snprintf(yl, sizeof yl, "throughput (%s)", sw->unit);
    struct aib_svg_axis x = {.log = x0 > 0 && x1 / x0 >= 8, .label = xl};
    struct aib_svg_axis y = {.log = y0 > 0 && y1 / y0 >= 100, .label = yl};
    aib_svg_nice_range(x0, x1, x.log, &x.lo, &x.hi);
    aib_svg_nice_range(y0, y1, y.log, &y.lo, &y.hi);
    if (!x.log && x.lo == x.hi)
        x.hi = x.lo + 1;
    struct aib_svg_plot p;
    size_t shown = sw->nlines < 8 ? sw->nlines : 8;
    aib_svg_begin(f, AIB_REPORT_CHART_WIDTH, 400, standalone, ch->title);
    aib_svg_text(f, 20, 24, "start", 14, "#000000", 0, ch->title);
    aib_svg_plot_init(&p, f, ch->id, 80, 40, 460, 300, &x, &y);
    aib_svg_plot_axes(&p);
    for (size_t i = 0; i < shown; i++) {
        const struct aib_sweep_line *l = &sw->lines[i];
        const char *col = aib_svg_color(i);
        aib_svg_plot_line(&p, l->x, l->y, l->n, col, 2, NULL);
        for (size_t j = 0; j < l->n; j++) {
            snprintf(mark, sizeof mark, "#%zu", l->idx[j]);
            aib_svg_plot_point(&p, l->x[j], l->y[j], col, NULL, mark);
        }
        double ly = 56 + 18.0 * (double)i;
        aib_svg_line(f, 570, ly - 4, 588, ly - 4, col, 2, NULL);
        aib_svg_text(f, 594, ly, "start", 10, "#000000", 0,
                     l->label[0] ? l->label : "(one line)");
    }
    if (shown < sw->nlines) {
        char note[64];
        snprintf(note, sizeof note, "(%zu more lines not drawn)", sw->nlines - shown);
        aib_svg_text(f, 570, 56 + 18.0 * (double)shown, "start", 10, "#555555", 0, note);
    }
    aib_svg_end(f);
}

/* --- telemetry series ------------------------------------------------------------ */

bool aib_report_series_shown(const struct aib_series *s)
{
    const char *n = s->name;
    if (strncmp(n, "cpu", 3) == 0 && n[3] >= '0' && n[3] <= '9')
        return false;
    return s->n > 0 && !(s->min == 0 && s->max == 0);
}

static void series_chart(FILE *f, const struct aib_report_chart *ch, bool standalone)
{
    const struct aib_report_run *r = ch->run;
    const struct aib_series_set *set = &r->series;
    double t0 = r->run.started, x1 = 0, y0 = INFINITY, y1 = -INFINITY;
    const char *unit = "";
    char yl[64], lab[24];
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *s = &set->items[i];
        if (strcmp(s->source, ch->source) != 0 || strcmp(s->name, ch->name) != 0 || !s->n)
            continue;
        unit = s->unit;
        x1 = fmax(x1, s->t0 + s->t[s->n - 1] - t0);
        for (size_t j = 0; j < s->n; j++)
            y0 = fmin(y0, s->v[j]), y1 = fmax(y1, s->v[j]);
    }
    snprintf(yl, sizeof yl, "%s", unit[0] ? unit : "value");
    struct aib_svg_axis x = {.label = "seconds since the run started"}, y = {.label = yl};
    aib_svg_nice_range(0, x1 > 0 ? x1 : 1, false, &x.lo, &x.hi);
    aib_svg_nice_range(y0, y1, false, &y.lo, &y.hi);
    struct aib_svg_plot p;
    aib_svg_begin(f, AIB_REPORT_CHART_WIDTH, 250, standalone, ch->title);
    aib_svg_text(f, 20, 22, "start", 13, "#000000", 0, ch->title);
    aib_svg_plot_init(&p, f, ch->id, 80, 34, 780, 160, &x, &y);
    /* the entries of the run as bands, numbered as in the results table */
    for (size_t i = 0; i < r->n; i++) {
        double a, b, py;
        if (!aib_svg_px(&p, fmax(r->res[i].started - t0, x.lo), y.lo, &a, &py) ||
            !aib_svg_px(&p, fmin(r->res[i].ended - t0, x.hi), y.lo, &b, &py) || b <= a)
            continue;
        aib_svg_rect(f, a, p.top, b - a, p.height, i % 2 ? "#e8eef7" : "#f4f4f4", 1);
        snprintf(lab, sizeof lab, "#%zu", i + 1);
        if (b - a > 18)
            aib_svg_text(f, (a + b) / 2, p.top + 11, "middle", 9, "#555555", 0, lab);
    }
    aib_svg_plot_axes(&p);
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *s = &set->items[i];
        if (strcmp(s->source, ch->source) != 0 || strcmp(s->name, ch->name) != 0 || !s->n)
            continue;
        double xs[256], ys[256];
        /* in pieces of 256 points, each joined to the next */
        for (size_t j = 0; j < s->n; j += 255) {
            size_t k = 0;
            for (; k < 256 && j + k < s->n; k++)
                xs[k] = s->t0 + s->t[j + k] - t0, ys[k] = s->v[j + k];
            aib_svg_plot_line(&p, xs, ys, k, aib_svg_color(0), 1.5, NULL);
            if (j + k >= s->n)
                break;
        }
    }
    aib_svg_end(f);
}

void aib_report_chart_svg(FILE *f, const struct aib_report_chart *c, bool standalone)
{
    switch (c->kind) {
    case AIB_CHART_ROOFLINE: roofline_chart(f, c, standalone); break;
    case AIB_CHART_SWEEP: sweep_chart(f, c, standalone); break;
    case AIB_CHART_SERIES: series_chart(f, c, standalone); break;
    }
}
