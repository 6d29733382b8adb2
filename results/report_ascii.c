/* The terminal roofline (report.h): a log-log character chart of one
 * device that fits 80 columns, plain ASCII so it survives any terminal,
 * pipe or log file. Compute ceilings are flat lines drawn with their own
 * character, the memory roof is '/', a cache roof ':', points are marks
 * (1..9, a..z) that the table under the chart explains. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "report.h"
#include "svg.h"

#define ROWS 18
#define COLS 64
#define LEFT 9 /* "  1000 |" */

static const char flat_chars[] = "-=~+";

struct grid {
    char c[ROWS][COLS + 1];
    double lx0, lx1, ly0, ly1; /* log10 of the ranges */
};

static double col_x(const struct grid *g, double c) /* c in [0, COLS] */
{
    return pow(10, g->lx0 + (g->lx1 - g->lx0) * c / COLS);
}

/* Row of a value (0 at the top); -1 above, ROWS below. */
static int row_of(const struct grid *g, double y)
{
    if (!(y > 0))
        return ROWS;
    double f = (log10(y) - g->ly0) / (g->ly1 - g->ly0);
    if (f >= 1)
        return f > 1 + 0.5 / ROWS ? -1 : 0;
    if (f < 0)
        return ROWS;
    return ROWS - 1 - (int)floor(f * ROWS);
}

static void put(struct grid *g, int r, int c, char ch)
{
    if (r >= 0 && r < ROWS && c >= 0 && c < COLS)
        g->c[r][c] = ch;
}

/* The roof min(peak, x * bw) across the chart; peak <= 0: only the slope,
 * bw <= 0: only the flat line. */
static void draw_roof(struct grid *g, double peak, double bw, char flat, char slope)
{
    for (int c = 0; c < COLS; c++) {
        double xa = col_x(g, c), xb = col_x(g, c + 1);
        if (bw > 0 && (peak <= 0 || xa * bw < peak)) {
            double ya = xa * bw, yb = xb * bw;
            if (peak > 0)
                yb = fmin(yb, peak);
            int ra = row_of(g, ya), rb = row_of(g, yb);
            for (int r = rb; r <= ra && r < ROWS; r++)
                put(g, r, c, r == rb && peak > 0 && yb >= peak ? flat : slope);
        } else if (peak > 0) {
            put(g, row_of(g, peak), c, flat);
        }
    }
}

/* The value a row is labelled with, 0 for none: a decade in the row's
 * span (the top row includes its upper end), or with less than two
 * decades on the axis, a 2 or 5 times one too. */
static double row_label(const struct grid *g, int r)
{
    double a = g->ly0 + (g->ly1 - g->ly0) * (ROWS - r - 1) / ROWS;
    double b = g->ly0 + (g->ly1 - g->ly0) * (ROWS - r) / ROWS;
    bool fine = g->ly1 - g->ly0 < 2;
    for (int d = (int)floor(a); d <= (int)ceil(b); d++) {
        static const double mult[] = {1, 2, 5};
        for (int m = 0; m < (fine ? 3 : 1); m++) {
            double l = d + log10(mult[m]);
            if (l >= a - 1e-9 && (l < b - 1e-9 || (r == 0 && l <= b + 1e-9)))
                return pow(10, l);
        }
    }
    return 0;
}

static void axis_line(FILE *f, const struct grid *g)
{
    char lab[COLS + 16];
    fprintf(f, "%*s+", LEFT - 1, "");
    for (int c = 0; c < COLS; c++) {
        double a = log10(col_x(g, c)), b = log10(col_x(g, c + 1));
        fputc(floor(b + 1e-9) > floor(a + 1e-9) || c == 0 ? '+' : '-', f);
    }
    fputc('\n', f);
    memset(lab, ' ', sizeof lab);
    for (int d = (int)ceil(g->lx0 - 1e-9); d <= (int)floor(g->lx1 + 1e-9); d++) {
        char num[16];
        int c = (int)round((d - g->lx0) / (g->lx1 - g->lx0) * COLS);
        aib_svg_fmt_num(pow(10, d), num, sizeof num);
        int len = (int)strlen(num), at = LEFT + c - len / 2;
        if (at < 0)
            at = 0;
        if (at + len < (int)sizeof lab - 1)
            memcpy(lab + at, num, (size_t)len);
    }
    int end = (int)sizeof lab - 1;
    while (end > 0 && lab[end - 1] == ' ')
        end--;
    fprintf(f, "%.*s  flop/B\n", end, lab);
}

void aib_report_ascii_roofline(FILE *f, const struct aib_roofline *rl, const char *device)
{
    struct grid g;
    double xlo, xhi, ylo, yhi;
    aib_report_roof_range(rl, device, &xlo, &xhi, &ylo, &yhi);
    g.lx0 = log10(xlo), g.lx1 = log10(xhi), g.ly0 = log10(ylo), g.ly1 = log10(yhi);
    for (int r = 0; r < ROWS; r++) {
        memset(g.c[r], ' ', COLS);
        g.c[r][COLS] = '\0';
    }
    int m = aib_roof_find(rl, device, AIB_CEIL_MEMORY, "");
    int cache = aib_roof_find(rl, device, AIB_CEIL_CACHE, "");
    double bw = m >= 0 ? rl->ceil[m].value : 0, top = 0;
    for (size_t i = 0; i < rl->nceil; i++)
        if (rl->ceil[i].kind == AIB_CEIL_COMPUTE && strcmp(rl->ceil[i].device, device) == 0)
            top = fmax(top, rl->ceil[i].value);
    if (cache >= 0) /* first, so the main roofs draw over it */
        draw_roof(&g, top, rl->ceil[cache].value, ' ', ':');
    size_t k = 0;
    for (size_t i = 0; i < rl->nceil; i++)
        if (rl->ceil[i].kind == AIB_CEIL_COMPUTE && strcmp(rl->ceil[i].device, device) == 0)
            draw_roof(&g, rl->ceil[i].value, bw, flat_chars[k++ % 4], '/');
    if (k == 0 && bw > 0)
        draw_roof(&g, 0, bw, ' ', '/');
    /* points; where several share a cell, '#' and a line that names them */
    int at[512][2];
    char marks[512];
    size_t np = 0;
    k = 0;
    for (size_t i = 0; i < rl->npts && np < 512; i++) {
        const struct aib_roof_point *p = &rl->pts[i];
        if (strcmp(p->device, device) != 0)
            continue;
        char mark = aib_report_point_mark(k++);
        if (p->bound == AIB_ROOF_UNPLACED)
            continue;
        int r = row_of(&g, p->gflops);
        int c = (int)floor((log10(p->intensity) - g.lx0) / (g.lx1 - g.lx0) * COLS);
        c = c < 0 ? 0 : c >= COLS ? COLS - 1 : c;
        r = r < 0 ? 0 : r >= ROWS ? ROWS - 1 : r;
        at[np][0] = r, at[np][1] = c, marks[np++] = mark;
    }
    for (size_t i = 0; i < np; i++) {
        size_t same = 0;
        for (size_t j = 0; j < np; j++)
            same += at[j][0] == at[i][0] && at[j][1] == at[i][1];
        g.c[at[i][0]][at[i][1]] = same > 1 ? '#' : marks[i];
    }
    fprintf(f, "GFLOP/s\n");
    for (int r = 0; r < ROWS; r++) {
        char lab[16] = "";
        double v = row_label(&g, r);
        if (v > 0)
            aib_svg_fmt_num(v, lab, sizeof lab);
        int end = COLS;
        while (end > 0 && g.c[r][end - 1] == ' ')
            end--;
        fprintf(f, "%*s |%.*s\n", LEFT - 2, lab, end, g.c[r]);
    }
    axis_line(f, &g);
    for (size_t i = 0; i < np; i++) { /* each shared cell once, first to last */
        bool first = true, shared = false;
        for (size_t j = 0; j < np; j++) {
            bool here = at[j][0] == at[i][0] && at[j][1] == at[i][1];
            first &= !(here && j < i);
            shared |= here && j != i;
        }
        if (!first || !shared)
            continue;
        fputs("# in one place:", f);
        for (size_t j = i; j < np; j++)
            if (at[j][0] == at[i][0] && at[j][1] == at[i][1])
                fprintf(f, " %c", marks[j]);
        fputc('\n', f);
    }
    fputs("\nceilings:\n", f);
    k = 0;
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        if (strcmp(c->device, device) != 0)
            continue;
        char what[48], line[2] = {c->kind == AIB_CEIL_MEMORY ? '/' : ':', '\0'};
        if (c->kind == AIB_CEIL_COMPUTE)
            line[0] = flat_chars[k++ % 4];
        if (c->kind == AIB_CEIL_COMPUTE)
            snprintf(what, sizeof what, "%s %.4g GFLOP/s", c->precision, c->value);
        else
            snprintf(what, sizeof what, "%s %.4g GB/s",
                     c->kind == AIB_CEIL_MEMORY ? "memory" : "cache", c->value);
        fprintf(f, "  %s  %-22s %s\n", line, what, c->source);
    }
    if (m < 0)
        fprintf(f, "  no memory ceiling: run membw on %s (e.g. -p size=256m)\n", device);
}
