/* Pure layout and figure computations for the live views (see layout.h). */
#include "layout.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static struct aib_rect rect(int y, int x, int h, int w) { return (struct aib_rect){y, x, h, w}; }

static int too_small(int rows, int cols)
{
    return rows < AIB_TUI_MIN_ROWS || cols < AIB_TUI_MIN_COLS;
}

int aib_layout_dash(int rows, int cols, struct aib_dash_layout *l)
{
    if (too_small(rows, cols))
        return -1;
    int body_y = 2, body_h = rows - 3;
    /* The finished-entries table takes a third, at least a header and three rows. */
    int table_h = body_h / 3 > 5 ? body_h / 3 : 5;
    int top_h = body_h - table_h;
    int telem_w = clampi(cols * 3 / 8, 30, 60);
    int left_w = cols - telem_w;
    l->header = rect(0, 0, 2, cols);
    l->current = rect(body_y, 0, top_h, left_w);
    l->graph = rect(body_y + 1 + AIB_DASH_INFO_LINES, 1, top_h - 2 - AIB_DASH_INFO_LINES, left_w - 2);
    l->telem = rect(body_y, left_w, top_h, telem_w);
    l->table = rect(body_y + top_h, 0, table_h, cols);
    l->footer = rect(rows - 1, 0, 1, cols);
    return 0;
}

int aib_layout_top(int rows, int cols, int ndevices, struct aib_top_layout *l)
{
    if (too_small(rows, cols))
        return -1;
    int body_y = 1, body_h = rows - 2;
    /* Box borders (2) and a column header (1) around one line per device. */
    int dev_h = clampi(ndevices + 3, 5, body_h / 2);
    int rest = body_h - dev_h;
    int detail_w = clampi(cols / 2, 40, 80);
    l->header = rect(0, 0, 1, cols);
    l->devices = rect(body_y, 0, dev_h, cols);
    l->graph = rect(body_y + dev_h, 0, rest, cols - detail_w);
    l->detail = rect(body_y + dev_h, cols - detail_w, rest, detail_w);
    l->footer = rect(rows - 1, 0, 1, cols);
    return 0;
}

int aib_layout_browse(int rows, int cols, struct aib_browse_layout *l)
{
    if (too_small(rows, cols))
        return -1;
    int body_y = 1, body_h = rows - 2;
    int table_h = body_h / 2 > 6 ? body_h / 2 : 6;
    int info_w = clampi(cols * 2 / 5, 30, 60);
    l->header = rect(0, 0, 1, cols);
    l->body = rect(body_y, 0, body_h, cols);
    l->table = rect(body_y, 0, table_h, cols);
    l->graph = rect(body_y + table_h, 0, body_h - table_h, cols - info_w);
    l->info = rect(body_y + table_h, cols - info_w, body_h - table_h, info_w);
    l->footer = rect(rows - 1, 0, 1, cols);
    return 0;
}

int aib_rect_inside(const struct aib_rect *r, int rows, int cols)
{
    return r->y >= 0 && r->x >= 0 && r->h > 0 && r->w > 0 && r->y + r->h <= rows &&
           r->x + r->w <= cols;
}

int aib_rect_disjoint(const struct aib_rect *a, const struct aib_rect *b)
{
    return a->y + a->h <= b->y || b->y + b->h <= a->y || a->x + a->w <= b->x ||
           b->x + b->w <= a->x;
}

void aib_layout_cpu_grid(int h, int w, int ncpu, int with_freq, struct aib_cpu_grid *g)
{
    /* "NNN [bar] 100%" plus " 9.9G" with a clock, plus a space between cells. */
    int cell_min = with_freq ? 20 : 14;
    memset(g, 0, sizeof *g);
    if (h <= 0 || w <= 0 || ncpu <= 0) {
        g->more = ncpu > 0 ? ncpu : 0;
        return;
    }
    g->cols = w / cell_min > 1 ? w / cell_min : 1;
    if (g->cols > ncpu)
        g->cols = ncpu;
    g->cell_w = w / g->cols;
    int need = (ncpu + g->cols - 1) / g->cols;
    if (need <= h) {
        g->rows = need;
        g->shown = ncpu;
        return;
    }
    /* The last cell of the last line says how many are left out. */
    g->rows = h;
    g->shown = h * g->cols - 1;
    g->more = ncpu - g->shown;
}

int aib_layout_columns(int width, int n, const int *min, const int *want, const int *flex,
                       int *out)
{
    if (n <= 0)
        return 0;
    int total = -1;
    for (int i = 0; i < n; i++) {
        out[i] = want[i];
        total += want[i] + 1;
    }
    /* Shrink the widest flexible column one cell at a time. */
    while (total > width) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (flex[i] && out[i] > min[i] && (best < 0 || out[i] > out[best]))
                best = i;
        if (best < 0)
            break;
        out[best]--;
        total--;
    }
    int shown = n;
    while (total > width && shown > 1) {
        shown--;
        total -= out[shown] + 1;
        out[shown] = 0;
    }
    if (total > width)
        out[0] = width > 0 ? width : 0;
    return shown;
}

int aib_layout_scroll(int sel, int first, int visible, int count)
{
    if (visible <= 0 || count <= visible)
        return 0;
    if (sel < first)
        first = sel;
    if (sel >= first + visible)
        first = sel - visible + 1;
    return clampi(first, 0, count - visible);
}

void aib_graph_heights(const double *v, size_t n, double lo, double hi, int h, int *out)
{
    int full = h > 0 ? 8 * h : 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) {
            out[i] = -1;
            continue;
        }
        double f;
        if (hi > lo)
            f = (v[i] - lo) / (hi - lo);
        else
            f = v[i] >= hi ? 1 : 0;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        out[i] = (int)lround(f * full);
    }
}

size_t aib_bucket_means(const double *x, size_t n, size_t w, double *out)
{
    size_t m = n < w ? n : w;
    for (size_t c = 0; c < m; c++) {
        size_t lo = c * n / m, hi = (c + 1) * n / m;
        double sum = 0;
        for (size_t i = lo; i < hi; i++)
            sum += x[i];
        out[c] = sum / (double)(hi - lo);
    }
    return m;
}

int aib_bar_cells(double frac, int width)
{
    if (width <= 0 || !(frac > 0))
        return 0;
    if (frac >= 1)
        return width;
    return (int)lround(frac * width);
}

double aib_nice_ceil(double x)
{
    if (!(x > 0) || !isfinite(x))
        return 1;
    double p = pow(10, floor(log10(x)));
    static const double steps[] = {1, 2, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (x <= steps[i] * p * (1 + 1e-12))
            return steps[i] * p;
    return 10 * p;
}

double aib_eta_s(size_t done, size_t total, double done_s, double cur_s, double per_entry_max_s,
                 int *is_bound)
{
    *is_bound = 0;
    if (done >= total)
        return 0;
    double after = (double)(total - done - 1); /* entries after the current one */
    double per = per_entry_max_s;
    if (done > 0)
        per = done_s / (double)done;
    else
        *is_bound = 1;
    double left = per - cur_s;
    return (left > 0 ? left : 0) + per * after;
}

const char *aib_fmt_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || !isfinite(s)) {
        snprintf(buf, len, "-");
        return buf;
    }
    long t = lround(s), h = t / 3600, m = t / 60 % 60, sec = t % 60;
    if (h)
        snprintf(buf, len, "%ld:%02ld:%02ld", h, m, sec);
    else
        snprintf(buf, len, "%ld:%02ld", m, sec);
    return buf;
}

int aib_filter_match(const char *text, const char *filter)
{
    char word[128];
    const char *p = filter;
    for (;;) {
        p += strspn(p, " \t");
        if (!*p)
            return 1;
        size_t n = strcspn(p, " \t");
        if (n >= sizeof word)
            n = sizeof word - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        if (!strcasestr(text, word))
            return 0;
        p += strcspn(p, " \t");
    }
}

double aib_tui_tput(double flops, double bytes, double ops, double t, const char **unit)
{
    double work = flops > 0 ? flops : bytes > 0 ? bytes : ops > 0 ? ops : 1.0;
    *unit = flops > 0 ? "GFLOP/s" : bytes > 0 ? "GB/s" : "op/s";
    if (!(t > 0))
        return NAN;
    return flops > 0 || bytes > 0 ? work / t / 1e9 : work / t;
}

/* The value of key (klen bytes) in a "k=v,k=v" string: its start and
 * length, or NULL when the key is absent. */
static const char *param_value(const char *p, const char *key, size_t klen, size_t *vlen)
{
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            *vlen = n - klen - 1;
            return p + klen + 1;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return NULL;
}

void aib_params_varying(const char *const *params, size_t n, size_t i, char *buf, size_t len)
{
    size_t used = 0;
    const char *p = params[i];
    if (len == 0)
        return;
    buf[0] = '\0';
    while (*p) {
        size_t tok = strcspn(p, ","), klen = strcspn(p, "=");
        if (klen > tok)
            klen = tok;
        const char *val = p + klen + (klen < tok), *end = p + tok;
        bool differs = false;
        for (size_t j = 0; j < n && !differs; j++) {
            size_t vlen;
            const char *o = j == i ? val : param_value(params[j], p, klen, &vlen);
            differs = !o || (j != i && (vlen != (size_t)(end - val) ||
                                        strncmp(o, val, vlen) != 0));
        }
        if (differs && used + tok + 2 < len) {
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? "," : "", (int)tok, p);
        }
        p = end;
        if (*p == ',')
            p++;
    }
    if (used == 0)
        snprintf(buf, len, "%s", params[i]);
}
