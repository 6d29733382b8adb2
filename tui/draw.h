/* Drawing helpers shared by the views (internal to tui/): clipped text,
 * boxes with titles, bars and graphs on stdscr. They paint what layout.c
 * decided; nothing here chooses positions. */
#ifndef AIB_TUI_DRAW_H
#define AIB_TUI_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include "layout.h"

/* Colour pairs (set up by term.c when colours are on). */
enum {
    AIB_C_TITLE = 1,
    AIB_C_GOOD,
    AIB_C_WARN,
    AIB_C_BAD,
    AIB_C_GRAPH,
    AIB_C_SEL,
    AIB_C_HEAD,
    AIB_C_INTR,
};

/* A style: a colour pair (ignored without colours) and attribute bits. */
enum { AIB_S_BOLD = 1 << 8, AIB_S_REV = 1 << 9, AIB_S_DIM = 1 << 10 };

struct aib_ui {
    bool colors, utf8;
};

/* Text at (y, x), at most w columns (UTF-8 aware), printf-style. */
void aib_ui_text(const struct aib_ui *ui, int y, int x, int w, int style, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Text right-aligned so it ends at column x + w. */
void aib_ui_rtext(const struct aib_ui *ui, int y, int x, int w, int style, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Blanks a rectangle; with style, paints it (a header bar). */
void aib_ui_fill(const struct aib_ui *ui, const struct aib_rect *r, int style);
/* A border around r with " title " on the top edge. */
void aib_ui_box(const struct aib_ui *ui, const struct aib_rect *r, const char *title, int style);
/* [||||     ] w columns wide for frac in [0, 1]; style by level unless given. */
void aib_ui_bar(const struct aib_ui *ui, int y, int x, int w, double frac, int style);
/* A bar graph filling r: v[0..n) oldest first, the newest at the right
 * edge, scaled [lo, hi]; NaN (missing) columns stay blank. */
void aib_ui_graph(const struct aib_ui *ui, const struct aib_rect *r, const double *v, size_t n,
                  double lo, double hi, int style);
/* One table row: cell c in cw[c] columns (right-aligned when right[c]),
 * one space apart; styles may be NULL. Columns of width 0 are skipped. */
void aib_ui_row(const struct aib_ui *ui, int y, int x, int n, const int *cw, const int *right,
                const char *const *cells, const int *styles);
/* Colour for a utilisation-like fraction: good, then warn, then bad. */
int aib_ui_level_style(double frac);
/* Colour for a result status: ok, skipped, interrupted, failed. */
int aib_ui_status_style(const char *status);
/* "±" or "+-" depending on what the terminal can show. */
const char *aib_ui_pm(const struct aib_ui *ui);
/* One line in the middle of the screen when it is below the minimum size. */
void aib_ui_too_small(const struct aib_ui *ui, int rows, int cols);
/* A centred box listing lines (the ? help). */
void aib_ui_popup(const struct aib_ui *ui, int rows, int cols, const char *title,
                  const char *const *text, size_t n);

/* Plain formatting helpers (no curses). */
const char *aib_ui_fmt_rate(double bytes_per_s, char *buf, size_t len); /* "1.2 MB/s" */
const char *aib_ui_fmt_tput(double v, const char *unit, char *buf, size_t len);

#endif
