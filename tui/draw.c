/* Drawing helpers on stdscr (see draw.h). */
#include "draw.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static attr_t attr_of(const struct aib_ui *ui, int style)
{
    attr_t a = 0;
    int pair = style & 0xff;
    if (style & AIB_S_BOLD)
        a |= A_BOLD;
    if (style & AIB_S_REV)
        a |= A_REVERSE;
    if (style & AIB_S_DIM)
        a |= A_DIM;
    if (pair && ui->colors)
        a |= COLOR_PAIR(pair);
    else if (pair == AIB_C_SEL || pair == AIB_C_HEAD)
        a |= A_REVERSE; /* without colours, selection and header bars still show */
    else if (pair == AIB_C_BAD)
        a |= A_BOLD;
    return a;
}

/* Bytes of s that fit in w columns (UTF-8: continuation bytes take none). */
static size_t fit_bytes(const char *s, int w, int *cols)
{
    size_t i = 0;
    int c = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (c == w)
            break;
        c++;
    }
    *cols = c;
    return i;
}

static void put(const struct aib_ui *ui, int y, int x, int w, int style, const char *s, bool right)
{
    if (w <= 0)
        return;
    int cols;
    size_t n = fit_bytes(s, w, &cols);
    if (right)
        x += w - cols;
    attr_t a = attr_of(ui, style);
    attron(a);
    mvaddnstr(y, x, s, (int)n);
    attroff(a);
}

void aib_ui_text(const struct aib_ui *ui, int y, int x, int w, int style, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(ui, y, x, w, style, buf, false);
}

void aib_ui_rtext(const struct aib_ui *ui, int y, int x, int w, int style, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(ui, y, x, w, style, buf, true);
}

void aib_ui_fill(const struct aib_ui *ui, const struct aib_rect *r, int style)
{
    attr_t a = attr_of(ui, style);
    attron(a);
    for (int i = 0; i < r->h; i++)
        mvhline(r->y + i, r->x, ' ', r->w);
    attroff(a);
}

void aib_ui_box(const struct aib_ui *ui, const struct aib_rect *r, const char *title, int style)
{
    if (r->h < 2 || r->w < 2)
        return;
    int y1 = r->y + r->h - 1, x1 = r->x + r->w - 1;
    attr_t a = attr_of(ui, style);
    attron(a);
    mvhline(r->y, r->x + 1, ACS_HLINE, r->w - 2);
    mvhline(y1, r->x + 1, ACS_HLINE, r->w - 2);
    mvvline(r->y + 1, r->x, ACS_VLINE, r->h - 2);
    mvvline(r->y + 1, x1, ACS_VLINE, r->h - 2);
    mvaddch(r->y, r->x, ACS_ULCORNER);
    mvaddch(r->y, x1, ACS_URCORNER);
    mvaddch(y1, r->x, ACS_LLCORNER);
    mvaddch(y1, x1, ACS_LRCORNER);
    attroff(a);
    if (title && *title)
        aib_ui_text(ui, r->y, r->x + 2, r->w - 4, AIB_C_TITLE | AIB_S_BOLD, " %s ", title);
}

void aib_ui_row(const struct aib_ui *ui, int y, int x, int n, const int *cw, const int *right,
                const char *const *cells, const int *styles)
{
    for (int c = 0; c < n; c++) {
        if (cw[c] <= 0)
            continue;
        put(ui, y, x, cw[c], styles ? styles[c] : 0, cells[c], right && right[c]);
        x += cw[c] + 1;
    }
}

int aib_ui_level_style(double frac)
{
    return frac < 0.6 ? AIB_C_GOOD : frac < 0.85 ? AIB_C_WARN : AIB_C_BAD;
}

int aib_ui_status_style(const char *s)
{
    if (strcmp(s, "ok") == 0)
        return AIB_C_GOOD;
    if (strcmp(s, "skipped") == 0)
        return AIB_C_WARN;
    if (strcmp(s, "interrupted") == 0)
        return AIB_C_INTR;
    return AIB_C_BAD | AIB_S_BOLD;
}

void aib_ui_bar(const struct aib_ui *ui, int y, int x, int w, double frac, int style)
{
    if (w < 3)
        return;
    int inner = w - 2, fill = aib_bar_cells(frac, inner);
    aib_ui_text(ui, y, x, 1, 0, "[");
    attr_t a = attr_of(ui, style ? style : aib_ui_level_style(frac));
    attron(a);
    mvhline(y, x + 1, '|', fill);
    attroff(a);
    mvhline(y, x + 1 + fill, ' ', inner - fill);
    aib_ui_text(ui, y, x + w - 1, 1, 0, "]");
}

void aib_ui_graph(const struct aib_ui *ui, const struct aib_rect *r, const double *v, size_t n,
                  double lo, double hi, int style)
{
    static const char *const blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    if (r->h <= 0 || r->w <= 0)
        return;
    size_t m = n < (size_t)r->w ? n : (size_t)r->w;
    const double *tail = v + (n - m);
    int heights[1024];
    if (m > sizeof heights / sizeof heights[0])
        m = sizeof heights / sizeof heights[0];
    aib_graph_heights(tail, m, lo, hi, r->h, heights);
    attr_t a = attr_of(ui, style ? style : AIB_C_GRAPH);
    attron(a);
    int x0 = r->x + r->w - (int)m;
    for (size_t c = 0; c < m; c++) {
        if (heights[c] < 0)
            continue; /* missing: a gap */
        for (int k = 0; k < r->h; k++) {
            int lvl = heights[c] - 8 * k;
            if (lvl <= 0)
                break;
            if (lvl > 8)
                lvl = 8;
            int y = r->y + r->h - 1 - k, x = x0 + (int)c;
            if (ui->utf8)
                mvaddstr(y, x, blocks[lvl - 1]);
            else
                mvaddch(y, x, lvl == 8 ? '#' : lvl >= 4 ? '+' : '.');
        }
    }
    attroff(a);
}

const char *aib_ui_pm(const struct aib_ui *ui) { return ui->utf8 ? "\u00b1" : "+-"; }

void aib_ui_too_small(const struct aib_ui *ui, int rows, int cols)
{
    erase();
    aib_ui_text(ui, rows / 2, 0, cols, AIB_C_WARN | AIB_S_BOLD,
                "terminal too small: %dx%d (need %dx%d)", cols, rows, AIB_TUI_MIN_COLS,
                AIB_TUI_MIN_ROWS);
    aib_ui_text(ui, rows / 2 + 1, 0, cols, 0, "q quit");
}

void aib_ui_popup(const struct aib_ui *ui, int rows, int cols, const char *title,
                  const char *const *text, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) {
        int c;
        fit_bytes(text[i], 1000, &c);
        if (c > w)
            w = c;
    }
    w += 4;
    if (w > cols)
        w = cols;
    int h = (int)n + 2 > rows ? rows : (int)n + 2;
    struct aib_rect r = {(rows - h) / 2, (cols - w) / 2, h, w};
    aib_ui_fill(ui, &r, 0);
    aib_ui_box(ui, &r, title, AIB_C_TITLE);
    for (int i = 0; i < h - 2; i++)
        aib_ui_text(ui, r.y + 1 + i, r.x + 2, w - 4, 0, "%s", text[i]);
}

const char *aib_ui_fmt_rate(double b, char *buf, size_t len)
{
    static const char *const units[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    size_t u = 0;
    while (b >= 1000 && u + 1 < sizeof units / sizeof units[0]) {
        b /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}

const char *aib_ui_fmt_tput(double v, const char *unit, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    double a = fabs(v);
    const char *pre = "";
    /* op/s can be large: keep four significant figures readable. */
    if (strcmp(unit, "op/s") == 0 && a >= 1e6) {
        v /= a >= 1e9 ? 1e9 : 1e6;
        pre = a >= 1e9 ? "G" : "M";
    }
    int dec = fabs(v) >= 1000 ? 0 : fabs(v) >= 100 ? 1 : 2;
    snprintf(buf, len, "%.*f %s%s", dec, v, pre, unit);
    return buf;
}
