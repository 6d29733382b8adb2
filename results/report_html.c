/* The HTML report (report.h): one self-contained page, inline CSS and SVG,
 * no script and no URL of any kind, so it opens the same offline, from an
 * e-mail or a CI artifact. The markup is also well-formed XML (every
 * element closed, only XML's own entities), which keeps it easy to check
 * and to post-process. */
#include <string.h>

#include "../bench/env.h"
#include "cmd_common.h"
#include "report.h"
#include "svg.h"

static const char css[] =
    "body{font:14px/1.45 'DejaVu Sans',Helvetica,Arial,sans-serif;color:#111;margin:24px auto;"
    "max-width:1280px;padding:0 16px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #0072B2;"
    "padding-bottom:2px;margin-top:32px}h3{font-size:15px;margin:20px 0 6px}\n"
    "p.meta{color:#555;margin-top:0}\n"
    "ul.toc{list-style:none;padding:0;margin:8px 0 0}ul.toc li{display:inline;margin-right:18px}\n"
    "a{color:#0072B2}\n"
    "table{border-collapse:collapse;margin:6px 0 14px;font-size:12px}\n"
    "th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}\n"
    "th{background:#eef3f8;text-align:left}\n"
    "td.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.w{font-family:'DejaVu Sans Mono',monospace;font-size:11px;word-break:break-all;"
    "max-width:520px}\n"
    "tr.note td{color:#555;border-top:none;font-size:11px}\n"
    ".good{color:#007a4d;font-weight:bold}.bad{color:#b3261e;font-weight:bold}"
    ".cb{color:#0072B2}.mb{color:#D55E00}.nb{color:#666}\n"
    "figure{margin:8px 0}svg{max-width:100%;height:auto}\n"
    "details{margin:4px 0 10px}summary{cursor:pointer;color:#0072B2}\n"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:12px}\n"
    "footer{margin-top:40px;color:#777;font-size:12px}\n";

struct html {
    FILE *f;
};

static void esc(FILE *f, const char *s) { aib_svg_escape(f, s); }

static void heading(void *ctx, int level, const char *anchor, const char *text)
{
    struct html *h = ctx;
    fprintf(h->f, "<h%d id=\"", level);
    esc(h->f, anchor);
    fputs("\">", h->f);
    esc(h->f, text);
    fprintf(h->f, "</h%d>\n", level);
}

static void para(void *ctx, const char *text, bool code)
{
    struct html *h = ctx;
    fputs(code ? "<p><code>" : "<p>", h->f);
    esc(h->f, text);
    fputs(code ? "</code></p>\n" : "</p>\n", h->f);
}

/* A class for cells whose words carry a verdict. */
static const char *cell_class(const char *s)
{
    static const struct {
        const char *word, *cls;
    } m[] = {{"faster", "good"}, {"slower", "bad"},  {"failed", "bad"},
             {"compute-bound", "cb"}, {"memory-bound", "mb"}, {"neither", "nb"}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strncmp(s, m[i].word, strlen(m[i].word)) == 0)
            return m[i].cls;
    return NULL;
}

static void table(void *ctx, const struct aib_rtable *t)
{
    struct html *h = ctx;
    FILE *f = h->f;
    fputs("<table>\n<thead><tr>", f);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs("<th>", f);
        esc(f, aib_rtable_cell(t, 0, c));
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t r = 1; r < t->nrows; r++) {
        fputs("<tr>", f);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = aib_rtable_cell(t, r, c), *cls = cell_class(s);
            /* long machine-made strings (parameters, commands) wrap anywhere */
            bool wide = strlen(s) > 40 && !strchr(s, ' ');
            fprintf(f, "<td class=\"%s%s%s\">", t->align[c] == 'r' ? "r" : wide ? "w" : "l",
                    cls ? " " : "", cls ? cls : "");
            esc(f, s);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
        if (t->notes[r]) {
            fprintf(f, "<tr class=\"note\"><td colspan=\"%zu\">", t->ncols);
            esc(f, t->notes[r]);
            fputs("</td></tr>\n", f);
        }
    }
    fputs("</tbody>\n</table>\n", f);
}

static void fold_begin(void *ctx, const char *summary)
{
    struct html *h = ctx;
    fputs("<details><summary>", h->f);
    esc(h->f, summary);
    fputs("</summary>\n", h->f);
}

static void fold_end(void *ctx)
{
    struct html *h = ctx;
    fputs("</details>\n", h->f);
}

static int chart(void *ctx, const struct aib_report_chart *c, struct aib_err *err)
{
    struct html *h = ctx;
    (void)err;
    fputs("<figure>\n", h->f);
    aib_report_chart_svg(h->f, c, false);
    fputs("</figure>\n", h->f);
    return 0;
}

int aib_report_html(FILE *f, const struct aib_report_doc *d, struct aib_err *err)
{
    struct html h = {f};
    struct aib_report_emit e = {&h, heading, para, table, fold_begin, fold_end, chart};
    char ver[256], when[32];
    static const char *const toc[][2] = {
        {"runs", "Runs"},           {"results", "Results"},     {"comparison", "Comparison"},
        {"roofline", "Roofline"},   {"scaling", "Scaling"},     {"telemetry", "Telemetry"},
        {"environment", "Environment"}};
    aib_version_string(ver, sizeof ver);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    fputs("aibench report: run", f);
    for (size_t i = 0; i < d->nruns; i++)
        fprintf(f, "%s %lld", i ? "," : (d->nruns > 1 ? "s" : ""), (long long)d->runs[i].run.id);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>aibench report</h1>\n", css);
    fputs("<p class=\"meta\">", f);
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_run *r = &d->runs[i].run;
        fprintf(f, "%sRun %lld (", i ? "; " : "", (long long)r->id);
        esc(f, r->uuid);
        fputs(", host ", f);
        esc(f, r->host[0] ? r->host : "?");
        fprintf(f, ", %s)", aib_rcmd_fmt_time(r->started, when, sizeof when));
    }
    fputs(". Database ", f);
    esc(f, d->db_path);
    fprintf(f, ". Generated %s by ", aib_rcmd_fmt_time(d->generated, when, sizeof when));
    esc(f, ver);
    fputs(".</p>\n<ul class=\"toc\">\n", f);
    for (size_t i = 0; i < sizeof toc / sizeof toc[0]; i++)
        if (strcmp(toc[i][0], "comparison") != 0 || d->nruns > 1)
            fprintf(f, "<li><a href=\"#%s\">%s</a></li>\n", toc[i][0], toc[i][1]);
    fputs("</ul>\n", f);
    int rc = aib_report_walk(d, &e, err);
    fputs("<footer>Made by aibench report: self-contained (inline CSS and SVG, no script, no"
          " external resource).</footer>\n</body>\n</html>\n",
          f);
    return rc;
}
