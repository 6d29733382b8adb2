/* A small SVG chart writer for the roofline and the report: a document
 * (standalone file, or inline in HTML), plot areas with linear or log10
 * axes (grid, ticks, labels), lines, points and text. Every string that
 * reaches the output goes through aib_svg_escape, so names, parameters and
 * environment values can hold anything. Writes to a FILE; the caller checks
 * ferror() once at the end. No allocation. */
#ifndef AIB_SVG_H
#define AIB_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s as XML character data / attribute value: & < > " ' become
 * entities; control characters XML 1.0 forbids (all below 0x20 but tab,
 * newline, return) are dropped; a byte sequence that is not valid UTF-8
 * (or encodes a surrogate, U+FFFE or U+FFFF) becomes U+FFFD. NULL writes
 * nothing. */
void aib_svg_escape(FILE *f, const char *s);

struct aib_svg_axis {
    double lo, hi;     /* the data range shown (lo > 0 for a log axis) */
    bool log;          /* log10 scale */
    const char *label; /* axis title, may be NULL */
};

/* A plot area inside a document: data coordinates map into the rectangle
 * (left, top, width, height) in px; id names its clip path, unique within
 * the page (several charts share one HTML document). */
struct aib_svg_plot {
    FILE *f;
    double left, top, width, height;
    struct aib_svg_axis x, y;
    char id[32];
};

/* Widens [lo, hi] to whole decades (log: at least one) or to a multiple of
 * a 1/2/5 step (linear; a range that holds 0 or nearly does starts at 0).
 * Non-finite or empty input gives [1, 10] (log) or [0, 1]. */
void aib_svg_nice_range(double lo, double hi, bool log, double *out_lo, double *out_hi);
/* A tick label: 0.01, 0.5, 2, 150, 1.5k, 20M, 1e+15. */
const char *aib_svg_fmt_num(double v, char *buf, size_t len);
/* The i-th colour of a palette that reads on white and in greyscale print. */
const char *aib_svg_color(size_t i);

/* <svg ...> with a <title>. standalone: an XML declaration and the SVG
 * namespace (a file of its own); otherwise an element to put inside HTML,
 * which needs neither (and so the page holds no URL at all). */
void aib_svg_begin(FILE *f, double width, double height, bool standalone, const char *title);
void aib_svg_end(FILE *f);

/* anchor: "start", "middle" or "end"; rotate in degrees about (x, y). */
void aib_svg_text(FILE *f, double x, double y, const char *anchor, double size,
                  const char *fill, double rotate, const char *text);
void aib_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                  double width, const char *dash);
void aib_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
                  double opacity);

/* Sets up a plot (no output). */
void aib_svg_plot_init(struct aib_svg_plot *p, FILE *f, const char *id, double left, double top,
                       double width, double height, const struct aib_svg_axis *x,
                       const struct aib_svg_axis *y);
/* Data to px; false when the value is not finite or not > 0 on a log axis. */
bool aib_svg_px(const struct aib_svg_plot *p, double x, double y, double *px, double *py);
/* Frame, grid, ticks with labels, axis titles and the clip path. */
void aib_svg_plot_axes(const struct aib_svg_plot *p);
/* A polyline through the points, clipped to the plot; a point that cannot
 * be mapped breaks the line. */
void aib_svg_plot_line(const struct aib_svg_plot *p, const double *xs, const double *ys, size_t n,
                       const char *stroke, double width, const char *dash);
/* A marker with an optional label to its upper right; its tooltip (an SVG
 * <title>) is `tip` when given. */
void aib_svg_plot_point(const struct aib_svg_plot *p, double x, double y, const char *fill,
                        const char *label, const char *tip);

#endif
