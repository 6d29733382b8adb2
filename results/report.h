/* Reports over stored runs (`aibench report`, `aibench roofline`):
 * loading a run with what the report needs (results, series, the roofline
 * with ceilings from other runs of the same host), finding sweeps, the
 * charts (inline or standalone SVG, and the terminal roofline), and the
 * HTML and Markdown writers. Files:
 *   report.c        loading, sweeps, parameter shortening, output files
 *   report_doc.c    the document: its sections in order, for any writer
 *   report_tables.c the tables (runs, environment, results, comparison, roofline)
 *   report_svg.c    the charts as SVG (roofline, sweep, telemetry)
 *   report_ascii.c  the terminal roofline
 *   report_html.c   the self-contained HTML page
 *   report_md.c     Markdown, with the charts as SVG files beside it */
#ifndef AIB_REPORT_H
#define AIB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../profilers/series.h"
#include "model.h"
#include "roofline.h"
#include "store.h"

/* --- a loaded run ----------------------------------------------------------- */

#define AIB_REPORT_HOST_CEILINGS 1u /* ceilings also from other runs of the same host */
#define AIB_REPORT_SERIES 2u        /* load the telemetry series */

struct aib_report_run {
    struct aib_run run;
    struct aib_result *res;
    size_t n;
    struct aib_series_set series;
    struct aib_roofline rl;
    size_t nhost; /* other runs of this host that gave ceilings a source */
};

/* Loads run `ref` (a RUN reference: id, UUID prefix, tag, last) and builds
 * its roofline; with AIB_REPORT_HOST_CEILINGS the other runs with the same
 * host fingerprint are read for ceilings too. Errors as aib_store_load_run
 * (AIB_EUSAGE for an unknown run). On error *out is left empty. */
int aib_report_load(struct aib_store *s, const char *ref, unsigned what,
                    struct aib_report_run *out, struct aib_err *err);
void aib_report_run_free(struct aib_report_run *r);

/* --- sweeps: throughput against one numeric parameter ------------------------ */

struct aib_sweep_line {
    char label[512]; /* the other parameters that tell the lines apart ("" if one line) */
    double *x, *y;
    size_t *idx;     /* 1-based result positions in the run */
    size_t n;
};

struct aib_sweep {
    char workload[32];
    char device[48];
    char key[64];    /* the parameter swept: "n", "size", "threads" */
    char unit[16];   /* throughput unit */
    struct aib_sweep_line *lines;
    size_t nlines;
};

/* Every sweep in the results: for each workload, device and numeric
 * parameter K, the ok results that differ only in K form a line when they
 * hold at least two values of K (sorted by K); lines of the same workload,
 * device, K and unit share a chart. Caller frees with aib_report_sweeps_free. */
int aib_report_sweeps(const struct aib_result *res, size_t n, struct aib_sweep **out,
                      size_t *nout, struct aib_err *err);
void aib_report_sweeps_free(struct aib_sweep *s, size_t n);

/* The k=v pairs of params[i] whose value is not the same in all n strings
 * ("" when none differ); *common gets the pairs all share (may be NULL). */
void aib_report_varying(const char *const *params, size_t n, size_t i, char *out, size_t len);
void aib_report_common(const char *const *params, size_t n, char *out, size_t len);

/* --- charts ------------------------------------------------------------------ */

enum aib_chart_kind { AIB_CHART_ROOFLINE, AIB_CHART_SWEEP, AIB_CHART_SERIES };

struct aib_report_chart {
    enum aib_chart_kind kind;
    char title[256];
    char id[32];                         /* unique in the page */
    const struct aib_roofline *rl;       /* roofline */
    const char *device;
    const struct aib_sweep *sweep;       /* sweep */
    const struct aib_report_run *run;    /* series: every series (source, name) of run */
    const char *source, *name;
};

/* The chart as SVG: standalone (its own file) or for inline HTML. */
void aib_report_chart_svg(FILE *f, const struct aib_report_chart *c, bool standalone);
/* Its size in px (charts of several devices stack in one file). */
double aib_report_chart_height(const struct aib_report_chart *c);
#define AIB_REPORT_CHART_WIDTH 900
/* The terminal roofline of one device: a log-log chart that fits 80
 * columns, its legend (ceilings and where they come from). Plain ASCII. */
void aib_report_ascii_roofline(FILE *f, const struct aib_roofline *rl, const char *device);
/* The label of the i-th point (0-based) of a device's roofline on the
 * charts: 1..9, then a..z, then '*'. */
char aib_report_point_mark(size_t i);
/* The data ranges (whole decades) of a device's roofline chart: every
 * placed point, every ceiling and the ridge points. */
void aib_report_roof_range(const struct aib_roofline *rl, const char *device, double *xlo,
                           double *xhi, double *ylo, double *yhi);

/* Whether a series is worth a chart: not per CPU (cpuN.*, summarised by
 * the all-CPU one), and not constant 0. */
bool aib_report_series_shown(const struct aib_series *s);

/* --- documents --------------------------------------------------------------- */

struct aib_report_doc {
    struct aib_report_run *runs; /* runs[0] is the baseline of the comparisons */
    size_t nruns;
    const char *db_path;
    double generated; /* unix seconds */
    double tol;       /* "same" tolerance of the comparisons */
};

/* A table of text cells, built once and drawn by each writer. Row 0 is
 * the header; a row may carry a note (a full-width line under it). */
struct aib_rtable {
    size_t ncols, nrows, cap;
    char **cells;  /* nrows x ncols, owned */
    char **notes;  /* nrows, owned, NULL when none */
    char align[16]; /* 'l' or 'r' per column */
};
void aib_rtable_free(struct aib_rtable *t);
static inline const char *aib_rtable_cell(const struct aib_rtable *t, size_t r, size_t c)
{
    return t->cells[r * t->ncols + c];
}

/* What a writer does with the parts of a report, in document order. Text
 * is plain (the writer escapes it); code marks monospace. */
struct aib_report_emit {
    void *ctx;
    void (*heading)(void *ctx, int level, const char *anchor, const char *text);
    void (*para)(void *ctx, const char *text, bool code);
    void (*table)(void *ctx, const struct aib_rtable *t);
    /* A collapsed block (HTML <details>); Markdown writes it open. */
    void (*fold_begin)(void *ctx, const char *summary);
    void (*fold_end)(void *ctx);
    int (*chart)(void *ctx, const struct aib_report_chart *c, struct aib_err *err);
};

/* Walks the report: runs, environment of each machine, results, run 1 vs
 * each other run, rooflines, sweeps, telemetry. Errors: out of memory, or
 * what a chart hook returns. */
int aib_report_walk(const struct aib_report_doc *d, const struct aib_report_emit *e,
                    struct aib_err *err);

/* The tables of the report (report_tables.c); each returns 0 or AIB_ENOMEM. */
int aib_rtable_runs(const struct aib_report_doc *d, struct aib_rtable *t);
int aib_rtable_env(const struct aib_run *run, bool key_facts, struct aib_rtable *t);
/* In the results, comparison and roofline tables the params column holds
 * what tells a row apart; the rest, which every row shares, is said once
 * (aib_report_shared_params: "" when nothing is shared or n < 2). */
int aib_report_shared_params(const struct aib_result *res, size_t n, char *out, size_t len);
int aib_rtable_results(const struct aib_report_run *r, struct aib_rtable *t);
/* B against A; *summary gets the verdict counts. */
int aib_rtable_compare(const struct aib_report_run *a, const struct aib_report_run *b, double tol,
                       struct aib_rtable *t, char *summary, size_t len);
int aib_rtable_ceilings(const struct aib_roofline *rl, const char *device, struct aib_rtable *t);
int aib_rtable_points(const struct aib_roofline *rl, const char *device, struct aib_rtable *t);

/* The output of a writer besides its main file: for Markdown, the chart
 * files written next to it. */
struct aib_report_files {
    char **paths; /* every file written so far, for removal on error */
    size_t n, cap;
};

/* The self-contained HTML page (inline CSS and SVG, no script, no URL). */
int aib_report_html(FILE *f, const struct aib_report_doc *d, struct aib_err *err);
/* The Markdown report into f; each chart becomes the file STEM-N.svg
 * (written whole, recorded in files) referenced by its base name. A chart
 * file that cannot be written is an AIB_EUSAGE error. */
int aib_report_md(FILE *f, const struct aib_report_doc *d, const char *stem,
                  struct aib_report_files *files, struct aib_err *err);

/* Output files written whole or not at all: a temporary file beside path,
 * renamed over it on commit. open fails (AIB_EUSAGE, naming the path and
 * the reason) when the directory cannot be written. */
struct aib_outfile {
    FILE *f;
    char path[4096];
    char tmp[4096];
};
int aib_outfile_open(struct aib_outfile *o, const char *path, struct aib_err *err);
/* Flushes, checks for write errors, renames; closes in every case. */
int aib_outfile_commit(struct aib_outfile *o, struct aib_err *err);
/* Closes and removes the temporary file (safe after commit, or twice). */
void aib_outfile_abort(struct aib_outfile *o);
int aib_report_files_add(struct aib_report_files *fl, const char *path);
/* Removes every recorded file and frees the list. */
void aib_report_files_remove(struct aib_report_files *fl);
void aib_report_files_free(struct aib_report_files *fl);

#endif
