/* The SVG chart writer (svg.h). Coordinates are written with one decimal:
 * charts are a few hundred px, so finer is noise in the file. */
#include "svg.h"

#include <math.h>
#include <string.h>

/* --- escaping -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * XML may hold (overlong, surrogate, above U+10FFFF, U+FFFE, U+FFFF). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0], cp;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

void aib_svg_escape(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!s)
        return;
    while (*p) {
        unsigned c = *p;
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD for the one bad byte */
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, f);
            p += n;
            continue;
        }
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
                fputc((int)c, f);
        }
        p++;
    }
}

/* --- numbers and ranges ------------------------------------------------------ */

const char *aib_svg_fmt_num(double v, char *buf, size_t len)
{
    static const struct {
        double scale;
        const char *suffix;
    } u[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    double a = fabs(v);
    if (!isfinite(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (a >= 1e15) {
        snprintf(buf, len, "%.3g", v);
        return buf;
    }
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        if (a >= u[i].scale) {
            snprintf(buf, len, "%.3g%s", v / u[i].scale, u[i].suffix);
            return buf;
        }
    }
    snprintf(buf, len, "%.3g", v);
    return buf;
}

static double nice_step(double span)
{
    double mag = pow(10, floor(log10(span)));
    double f = span / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

void aib_svg_nice_range(double lo, double hi, bool log, double *out_lo, double *out_hi)
{
    if (log) {
        if (!isfinite(lo) || !isfinite(hi) || lo <= 0 || hi <= 0 || hi < lo) {
            *out_lo = 1, *out_hi = 10;
            return;
        }
        double a = floor(log10(lo)), b = ceil(log10(hi));
        if (b <= a)
            b = a + 1;
        *out_lo = pow(10, a), *out_hi = pow(10, b);
        return;
    }
    if (!isfinite(lo) || !isfinite(hi) || hi < lo) {
        *out_lo = 0, *out_hi = 1;
        return;
    }
    if (lo >= 0 && lo < 0.25 * hi)
        lo = 0;
    if (hi == lo) { /* a constant: from 0 (or around it when negative) */
        if (lo > 0)
            lo = 0, hi *= 1.2;
        else
            lo = lo == 0 ? 0 : lo * 1.2, hi = lo == 0 ? 1 : 0;
    }
    double step = nice_step((hi - lo) / 5);
    *out_lo = floor(lo / step) * step;
    *out_hi = ceil(hi / step) * step;
}

const char *aib_svg_color(size_t i)
{
    /* Okabe-Ito, distinct for colour-blind readers, darkest first. */
    static const char *const pal[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
    return pal[i % (sizeof pal / sizeof pal[0])];
}

/* --- document and primitives ------------------------------------------------- */

void aib_svg_begin(FILE *f, double width, double height, bool standalone, const char *title)
{
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\"",
              f);
    else
        fputs("<svg", f);
    fprintf(f,
            " width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\""
            " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n<title>",
            width, height, width, height);
    aib_svg_escape(f, title);
    fputs("</title>\n", f);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width,
            height);
}

void aib_svg_end(FILE *f) { fputs("</svg>\n", f); }

void aib_svg_text(FILE *f, double x, double y, const char *anchor, double size, const char *fill,
                  double rotate, const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"", x,
            y, size, anchor ? anchor : "start", fill ? fill : "#000000");
    if (rotate != 0)
        fprintf(f, " transform=\"rotate(%.1f %.1f %.1f)\"", rotate, x, y);
    fputc('>', f);
    aib_svg_escape(f, text);
    fputs("</text>\n", f);
}

void aib_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                  double width, const char *dash)
{
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
            " stroke-width=\"%.2g\"",
            x1, y1, x2, y2, stroke, width);
    if (dash)
        fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

void aib_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
                  double opacity)
{
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\""
            " fill-opacity=\"%.2g\"/>\n",
            x, y, w, h, fill, opacity);
}

/* --- plots ----------------------------------------------------------------- */

void aib_svg_plot_init(struct aib_svg_plot *p, FILE *f, const char *id, double left, double top,
                       double width, double height, const struct aib_svg_axis *x,
                       const struct aib_svg_axis *y)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->left = left, p->top = top, p->width = width, p->height = height;
    p->x = *x, p->y = *y;
    snprintf(p->id, sizeof p->id, "%s", id);
}

/* Position of v along an axis, 0 at lo and 1 at hi; NAN when unmappable. */
static double frac(const struct aib_svg_axis *a, double v)
{
    if (!isfinite(v))
        return NAN;
    if (a->log) {
        if (v <= 0 || a->lo <= 0)
            return NAN;
        return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    }
    return (v - a->lo) / (a->hi - a->lo);
}

bool aib_svg_px(const struct aib_svg_plot *p, double x, double y, double *px, double *py)
{
    double fx = frac(&p->x, x), fy = frac(&p->y, y);
    if (!isfinite(fx) || !isfinite(fy))
        return false;
    *px = p->left + fx * p->width;
    *py = p->top + (1 - fy) * p->height;
    return true;
}

/* Tick values of an axis into t[] (at most max); returns how many, and
 * whether each is labelled in lab[]. */
static size_t ticks(const struct aib_svg_axis *a, double *t, bool *lab, size_t max)
{
    size_t n = 0;
    if (a->log) {
        int d0 = (int)floor(log10(a->lo) + 1e-9), d1 = (int)ceil(log10(a->hi) - 1e-9);
        int every = d1 - d0 > 8 ? 2 : 1;
        bool fine = log10(a->hi) - log10(a->lo) <= 2.2; /* few decades: 2 and 5 too */
        for (int d = d0; d <= d1 && n < max; d++) {
            double v = pow(10, d);
            if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9)) {
                lab[n] = (d - d0) % every == 0;
                t[n++] = v;
            }
            /* 2 and 5 within a span of up to two decades */
            for (int m = 2; fine && m <= 5 && n < max; m += 3) {
                double w = m * v;
                if (w > a->lo && w < a->hi)
                    lab[n] = true, t[n++] = w;
            }
        }
        return n;
    }
    double step = nice_step((a->hi - a->lo) / 5);
    for (double v = ceil(a->lo / step - 1e-9) * step; v <= a->hi + step * 1e-9 && n < max;
         v += step) {
        lab[n] = true;
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    }
    return n;
}

void aib_svg_plot_axes(const struct aib_svg_plot *p)
{
    FILE *f = p->f;
    double t[64], px, py;
    bool lab[64];
    char buf[32];
    fprintf(f,
            "<clipPath id=\"%s-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
            " height=\"%.1f\"/></clipPath>\n",
            p->id, p->left, p->top, p->width, p->height);
    size_t n = ticks(&p->x, t, lab, 64);
    for (size_t i = 0; i < n; i++) {
        if (!aib_svg_px(p, t[i], p->y.lo, &px, &py))
            continue;
        aib_svg_line(f, px, p->top, px, p->top + p->height, "#dddddd", 1, NULL);
        if (lab[i])
            aib_svg_text(f, px, p->top + p->height + 15, "middle", 11, "#333333", 0,
                         aib_svg_fmt_num(t[i], buf, sizeof buf));
    }
    n = ticks(&p->y, t, lab, 64);
    for (size_t i = 0; i < n; i++) {
        if (!aib_svg_px(p, p->x.lo, t[i], &px, &py))
            continue;
        aib_svg_line(f, p->left, py, p->left + p->width, py, "#dddddd", 1, NULL);
        if (lab[i])
            aib_svg_text(f, p->left - 6, py + 4, "end", 11, "#333333", 0,
                         aib_svg_fmt_num(t[i], buf, sizeof buf));
    }
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
            " stroke=\"#555555\" stroke-width=\"1\"/>\n",
            p->left, p->top, p->width, p->height);
    if (p->x.label)
        aib_svg_text(f, p->left + p->width / 2, p->top + p->height + 34, "middle", 12,
                     "#000000", 0, p->x.label);
    if (p->y.label)
        aib_svg_text(f, p->left - 48, p->top + p->height / 2, "middle", 12, "#000000", -90,
                     p->y.label);
}

void aib_svg_plot_line(const struct aib_svg_plot *p, const double *xs, const double *ys, size_t n,
                       const char *stroke, double width, const char *dash)
{
    FILE *f = p->f;
    bool open = false;
    double px, py;
    for (size_t i = 0; i <= n; i++) {
        bool ok = i < n && aib_svg_px(p, xs[i], ys[i], &px, &py);
        if (!ok) {
            if (open)
                fputs("\"/>\n", f);
            open = false;
            continue;
        }
        if (!open) {
            fprintf(f,
                    "<polyline clip-path=\"url(#%s-clip)\" fill=\"none\" stroke=\"%s\""
                    " stroke-width=\"%.2g\" stroke-linejoin=\"round\"",
                    p->id, stroke, width);
            if (dash)
                fprintf(f, " stroke-dasharray=\"%s\"", dash);
            fputs(" points=\"", f);
            open = true;
        } else {
            fputc(' ', f);
        }
        fprintf(f, "%.1f,%.1f", px, py);
    }
}

void aib_svg_plot_point(const struct aib_svg_plot *p, double x, double y, const char *fill,
                        const char *label, const char *tip)
{
    double px, py;
    if (!aib_svg_px(p, x, y, &px, &py))
        return;
    fprintf(p->f,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#ffffff\""
            " stroke-width=\"1\">",
            px, py, fill);
    if (tip) {
        fputs("<title>", p->f);
        aib_svg_escape(p->f, tip);
        fputs("</title>", p->f);
    }
    fputs("</circle>\n", p->f);
    if (label && *label)
        aib_svg_text(p->f, px + 6, py - 6, "start", 11, "#000000", 0, label);
}
