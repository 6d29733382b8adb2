/* `aibench report RUN... -o FILE.html|FILE.md`: loads the runs with their
 * series and rooflines and writes the report (report.h) whole or not at
 * all: every file goes through a temporary name and is renamed at the end;
 * on any error what was written is removed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../bench/engine.h"
#include "cmd_common.h"
#include "report.h"

static const char report_usage[] =
    "usage: aibench [--db PATH] report RUN... -o FILE.html|FILE.md [--tolerance PCT]\n"
    "                                 [--run-only]\n"
    "\n"
    "Writes a report of one or more runs:\n"
    "  - the runs, and the environment of each machine (run_env: CPU, OS, kernel,\n"
    "    compiler, library versions, devices), once per host fingerprint\n"
    "  - every result of every run (median, CI, CV, throughput, roofline verdict)\n"
    "  - with several runs: each run against the first, result by result, with\n"
    "    the verdicts of aibench compare\n"
    "  - the roofline of every device with compute results (aibench roofline)\n"
    "  - scaling curves: throughput against any numeric parameter a run swept\n"
    "    (-p n=256,512,1024, -p threads=1,2, -p size=...)\n"
    "  - the telemetry series the profilers sampled (CPU use, clocks, memory,\n"
    "    GPU power ...), one chart per series over the run\n"
    "FILE.html is one self-contained page: inline CSS and SVG charts, no script,\n"
    "no network fetch. FILE.md has the same tables; its charts are written as\n"
    "FILE-1.svg, FILE-2.svg ... next to it.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the report; its extension picks the format (.html,\n"
    "                     .htm, .md, .markdown)\n"
    "  --tolerance PCT    changes up to PCT percent count as \"same\" (default 2)\n"
    "  --run-only         roofline ceilings from each run only, not from other\n"
    "                     runs of its host\n"
    "  -h, --help         print this help\n"
    "\n"
    "Exit status 2 (one line, nothing written): an unknown run, an output that\n"
    "cannot be written, an unknown extension.\n"
    "\n" AIB_RCMD_DB_HELP;

struct rep_opts {
    const char **runs;
    size_t nruns;
    const char *out;
    double tol;
    bool run_only, md;
};

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0 && path[n - e - 1] != '/';
}

/* -1 to go on, else the exit status. */
static int parse(struct aib_cli *cli, int argc, char **argv, struct rep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->tol = 0.02;
    o->runs = calloc((size_t)argc, sizeof *o->runs);
    if (!o->runs) {
        aib_cli_error(cli, "out of memory");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(report_usage, cli->out);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                   strncmp(a, "--output=", 9) == 0) {
            o->out = a[1] == '-' && a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            if (!o->out || !*o->out) {
                aib_cli_error(cli, "report: %s needs a file name", a);
                return 2;
            }
        } else if (strcmp(a, "--tolerance") == 0 || strncmp(a, "--tolerance=", 12) == 0) {
            const char *v = a[11] == '=' ? a + 12 : i + 1 < argc ? argv[++i] : "";
            char *end = NULL;
            double pct = strtod(v, &end);
            if (end && *end == '%')
                end++;
            if (!*v || !end || *end || !isfinite(pct) || pct < 0 || pct >= 100) {
                aib_cli_error(cli, "report: --tolerance wants a percentage from 0 to 100, got '%s'",
                              v);
                return 2;
            }
            o->tol = pct / 100;
        } else if (strcmp(a, "--run-only") == 0) {
            o->run_only = true;
        } else if (a[0] == '-' && a[1]) {
            aib_cli_error(cli, "report: unknown option '%s' (see report --help)", a);
            return 2;
        } else {
            o->runs[o->nruns++] = a;
        }
    }
    if (o->nruns == 0) {
        aib_cli_error(cli, "report: missing RUN (see report --help)");
        return 2;
    }
    if (!o->out) {
        aib_cli_error(cli, "report: missing -o FILE.html or -o FILE.md (see report --help)");
        return 2;
    }
    if (has_ext(o->out, ".md") || has_ext(o->out, ".markdown"))
        o->md = true;
    else if (!has_ext(o->out, ".html") && !has_ext(o->out, ".htm")) {
        aib_cli_error(cli, "report: cannot tell the format of '%s': use .html, .htm, .md or"
                      " .markdown", o->out);
        return 2;
    }
    return -1;
}

int aib_cmd_report(struct aib_cli *cli, int argc, char **argv)
{
    char path[4096], stem[4096];
    struct aib_store *s = NULL;
    struct aib_report_doc d = {0};
    struct aib_report_files files = {0};
    struct aib_outfile out = {0};
    struct aib_err err = {0};
    struct rep_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0 || (rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s)) >= 0)
        goto cleanup;
    d.runs = calloc(o.nruns, sizeof *d.runs);
    if (!d.runs) {
        aib_cli_error(cli, "out of memory");
        rc = 2;
        goto cleanup;
    }
    unsigned what = AIB_REPORT_SERIES | (o.run_only ? 0 : AIB_REPORT_HOST_CEILINGS);
    for (; d.nruns < o.nruns; d.nruns++) {
        if (aib_report_load(s, o.runs[d.nruns], what, &d.runs[d.nruns], &err) != 0) {
            aib_cli_error(cli, "%s", err.msg);
            rc = aib_rcmd_exit_for(err.code);
            goto cleanup;
        }
    }
    d.db_path = path;
    d.generated = aib_now_wall();
    d.tol = o.tol;
    if (aib_outfile_open(&out, o.out, &err) != 0) {
        aib_cli_error(cli, "report: %s", err.msg);
        rc = 2;
        goto cleanup;
    }
    if (o.md) {
        snprintf(stem, sizeof stem, "%.*s", (int)(strrchr(o.out, '.') - o.out), o.out);
        rc = aib_report_md(out.f, &d, stem, &files, &err);
    } else {
        rc = aib_report_html(out.f, &d, &err);
    }
    if (rc == 0)
        rc = aib_outfile_commit(&out, &err);
    if (rc) {
        aib_cli_error(cli, "report: %s", err.msg);
        aib_report_files_remove(&files);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    fprintf(cli->out, "report: %s (%zu run%s", o.out, d.nruns, d.nruns == 1 ? "" : "s");
    if (o.md)
        fprintf(cli->out, ", %zu chart file%s beside it", files.n, files.n == 1 ? "" : "s");
    fputs(")\n", cli->out);
    rc = 0;
cleanup:
    aib_outfile_abort(&out);
    aib_report_files_free(&files);
    for (size_t i = 0; i < d.nruns; i++)
        aib_report_run_free(&d.runs[i]);
    free(d.runs);
    free(o.runs);
    aib_store_close(s);
    return rc;
}
