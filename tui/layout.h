/* Layout and figure computations for the live views: pure functions of
 * their arguments (no curses, no clock, no I/O), so tests can call them
 * with any terminal size and any data. The drawing code only paints what
 * these decide. */
#ifndef AIB_TUI_LAYOUT_H
#define AIB_TUI_LAYOUT_H

#include <stddef.h>

/* The smallest terminal the views lay out for; smaller ones get a
 * "terminal too small" line. */
#define AIB_TUI_MIN_COLS 80
#define AIB_TUI_MIN_ROWS 24

struct aib_rect {
    int y, x, h, w; /* top-left corner and size, in cells */
};

/* Run dashboard: a two-line header, the current entry (a box whose inside
 * ends with the throughput graph) beside the telemetry box, the finished
 * entries below, the key line at the bottom. */
struct aib_dash_layout {
    struct aib_rect header;  /* 2 rows */
    struct aib_rect current; /* box, border included */
    struct aib_rect graph;   /* inside current, below its text lines */
    struct aib_rect telem;   /* box */
    struct aib_rect table;   /* box */
    struct aib_rect footer;  /* 1 row */
};
#define AIB_DASH_INFO_LINES 4 /* text lines inside current, above the graph */
/* Returns 0, or -1 when rows x cols is below the minimum (l untouched). */
int aib_layout_dash(int rows, int cols, struct aib_dash_layout *l);

/* Device monitor: header, the device table (one line per device), then the
 * selected device's history graph beside its detail box, keys. */
struct aib_top_layout {
    struct aib_rect header, devices, graph, detail, footer;
};
int aib_layout_top(int rows, int cols, int ndevices, struct aib_top_layout *l);

/* Results browser: header, one body box (run list, comparison), keys. In
 * the run detail, the body splits into the results table and, below it,
 * the selected result's sample graph beside its metrics. */
struct aib_browse_layout {
    struct aib_rect header, body, table, graph, info, footer;
};
int aib_layout_browse(int rows, int cols, struct aib_browse_layout *l);

/* True when r lies inside a rows x cols screen; and when a and b share no cell. */
int aib_rect_inside(const struct aib_rect *r, int rows, int cols);
int aib_rect_disjoint(const struct aib_rect *a, const struct aib_rect *b);

/* Per-CPU cells in a box h rows by w columns: cols cells per line, each
 * cell_w wide; `shown` CPUs get a cell, and when not all fit the last
 * cell says "+N more" (more = ncpu - shown). with_freq: room for a clock. */
struct aib_cpu_grid {
    int cols, rows, cell_w, shown, more;
};
void aib_layout_cpu_grid(int h, int w, int ncpu, int with_freq, struct aib_cpu_grid *g);

/* Column widths for a table `width` cells wide with one space between
 * columns: every column gets want[i] if all fit; otherwise columns with
 * flex[i] shrink towards min[i] (the widest first); if that is not enough,
 * columns are dropped from the end (width 0). Returns the columns shown. */
int aib_layout_columns(int width, int n, const int *min, const int *want, const int *flex,
                       int *out);

/* First visible row so that `sel` is visible in a window of `visible` rows
 * over `count` rows, moving the window as little as possible from `first`. */
int aib_layout_scroll(int sel, int first, int visible, int count);

/* Bar heights for a graph h rows tall: out[i] in eighths of a row,
 * 0..8*h, for value v[i] on the scale [lo, hi] (clamped). A NaN value
 * (missing) gives -1: the column is left blank, never drawn as 0. */
void aib_graph_heights(const double *v, size_t n, double lo, double hi, int h, int *out);
/* Squeezes x[0..n) into min(n, w) columns, oldest first: column c holds
 * the mean of its contiguous slice (slices differ by at most one value), so
 * a graph always spans everything from the first value to the newest.
 * Returns the number of columns written to out. */
size_t aib_bucket_means(const double *x, size_t n, size_t w, double *out);
/* Cells of a bar `width` wide filled for frac in [0, 1] (rounded, clamped). */
int aib_bar_cells(double frac, int width);
/* The smallest 1, 2 or 5 x 10^k that is >= x (x > 0); 1 for x <= 0. */
double aib_nice_ceil(double x);

/* Time left in a run: entries done (finished), total, seconds the finished
 * ones took, seconds the current one has run, and the most one entry can
 * take (warm-up + max time). With finished entries the estimate uses their
 * mean; before that it is an upper bound (*is_bound = 1). */
double aib_eta_s(size_t done, size_t total, double done_s, double cur_s, double per_entry_max_s,
                 int *is_bound);
/* "0:07", "12:34", "1:02:03"; "-" for a negative or non-finite value. */
const char *aib_fmt_duration(double s, char *buf, size_t len);

/* Throughput of one iteration of t seconds, by the engine's rule: the
 * first non-zero of flops (GFLOP/s), bytes (GB/s), ops (op/s; none: 1 op).
 * *unit is set even when t <= 0 (then the result is NaN). */
double aib_tui_tput(double flops, double bytes, double ops, double t, const char **unit);

/* The parameters that tell entries apart: of entry i's "k=v,k=v" string,
 * the pairs whose key has another value (or is absent) in some other of the
 * n strings, comma-separated into buf; the whole string when none differs.
 * A sweep over n and precision shows "n=256,precision=fp64". */
void aib_params_varying(const char *const *params, size_t n, size_t i, char *buf, size_t len);

/* Case-insensitive filter: every whitespace-separated word of `filter`
 * must occur in `text`. An empty filter matches everything. */
int aib_filter_match(const char *text, const char *filter);

#endif
