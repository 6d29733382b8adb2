/* The Markdown report (report.h): the same parts as the HTML page, tables
 * as pipe tables, each chart as a standalone SVG file beside the .md
 * (STEM-1.svg, STEM-2.svg, ...) referenced by its base name, so the
 * directory can move as a whole. */
#include <string.h>
#include <unistd.h>

#include "../bench/env.h"
#include "cmd_common.h"
#include "report.h"

struct md {
    FILE *f;
    const char *stem;
    struct aib_report_files *files;
    size_t n; /* charts written */
};

/* Text in a table cell or a paragraph: '|' escaped, line breaks and
 * control characters as spaces, Markdown's emphasis and link characters
 * escaped so parameters like a_b=*x* print as they are. */
static void esc(FILE *f, const char *s, bool cell)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20)
            fputc(' ', f);
        else if ((cell && c == '|') || strchr("\\`*_[]<>", c))
            fprintf(f, "\\%c", c);
        else
            fputc(c, f);
    }
}

static void heading(void *ctx, int level, const char *anchor, const char *text)
{
    struct md *m = ctx;
    (void)anchor;
    fprintf(m->f, "%.*s ", level, "######");
    esc(m->f, text, false);
    fputs("\n\n", m->f);
}

static void para(void *ctx, const char *text, bool code)
{
    struct md *m = ctx;
    if (code)
        fputs("    ", m->f); /* an indented code block: no escaping needed */
    if (code)
        for (const char *s = text; *s; s++)
            fputc(*s == '\n' ? ' ' : *s, m->f);
    else
        esc(m->f, text, false);
    fputs("\n\n", m->f);
}

static void table(void *ctx, const struct aib_rtable *t)
{
    struct md *m = ctx;
    FILE *f = m->f;
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', f);
        for (size_t c = 0; c < t->ncols; c++) {
            fputc(' ', f);
            esc(f, aib_rtable_cell(t, r, c), true);
            fputs(" |", f);
        }
        fputc('\n', f);
        if (r == 0) {
            fputc('|', f);
            for (size_t c = 0; c < t->ncols; c++)
                fputs(t->align[c] == 'r' ? " ---: |" : " --- |", f);
            fputc('\n', f);
        }
        if (t->notes[r]) { /* a row of its own: Markdown tables have no colspan */
            fputs("| ", f);
            esc(f, t->notes[r], true);
            fputs(" |", f);
            for (size_t c = 1; c < t->ncols; c++)
                fputs(" |", f);
            fputc('\n', f);
        }
    }
    fputc('\n', f);
}

static void fold_begin(void *ctx, const char *summary)
{
    struct md *m = ctx;
    fputs("**", m->f);
    esc(m->f, summary, false);
    fputs("**\n\n", m->f);
}

static void fold_end(void *ctx) { (void)ctx; }

static int chart(void *ctx, const struct aib_report_chart *c, struct aib_err *err)
{
    struct md *m = ctx;
    struct aib_outfile o;
    char path[4200];
    snprintf(path, sizeof path, "%s-%zu.svg", m->stem, ++m->n);
    int rc = aib_outfile_open(&o, path, err);
    if (rc)
        return rc;
    aib_report_chart_svg(o.f, c, true);
    if ((rc = aib_outfile_commit(&o, err)))
        return rc;
    if (aib_report_files_add(m->files, path) != 0) {
        unlink(path);
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    fputs("![", m->f);
    esc(m->f, c->title, false);
    fprintf(m->f, "](%s)\n\n", base); /* the stem is ours: no character to escape */
    return 0;
}

int aib_report_md(FILE *f, const struct aib_report_doc *d, const char *stem,
                  struct aib_report_files *files, struct aib_err *err)
{
    struct md m = {f, stem, files, 0};
    struct aib_report_emit e = {&m, heading, para, table, fold_begin, fold_end, chart};
    char ver[256], when[32];
    aib_version_string(ver, sizeof ver);
    fputs("# aibench report\n\n", f);
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_run *r = &d->runs[i].run;
        fprintf(f, "%sRun %lld (%s, host ", i ? "; " : "", (long long)r->id, r->uuid);
        esc(f, r->host[0] ? r->host : "?", false);
        fprintf(f, ", %s)", aib_rcmd_fmt_time(r->started, when, sizeof when));
    }
    fputs(". Database ", f);
    esc(f, d->db_path, false);
    fprintf(f, ". Generated %s by ", aib_rcmd_fmt_time(d->generated, when, sizeof when));
    esc(f, ver, false);
    fputs(". Charts are the SVG files next to this file.\n\n", f);
    return aib_report_walk(d, &e, err);
}
