/* `aibench results list|show|delete` and `aibench compare`: read the store
 * and print text tables or JSON. Each output format has its own printer,
 * chosen once per command. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../bench/cli.h"
#include "../bench/json.h"
#include "compare.h"
#include "store.h"

#define DB_HELP                                                                                    \
    "RUN is a run id, a run UUID or a unique prefix of it (at least 4 characters),\n"              \
    "or \"last\" for the newest run.\n"                                                            \
    "The database is --db PATH, else $AIBENCH_DB, else $XDG_DATA_HOME/aibench/results.db\n"        \
    "(default ~/.local/share/aibench/results.db).\n"

static const char results_usage[] =
    "usage: aibench [--db PATH] results list [--json]\n"
    "       aibench [--db PATH] results show RUN [--json]\n"
    "       aibench [--db PATH] results delete RUN\n"
    "\n"
    "list    the stored runs, newest first\n"
    "show    one run: its environment and every result (with samples in --json)\n"
    "delete  one run with all its results and samples\n"
    "\n"
    "options:\n"
    "  --json       print JSON instead of a table (list, show)\n"
    "  -h, --help   print this help\n"
    "\n" DB_HELP;

static const char compare_usage[] =
    "usage: aibench [--db PATH] compare RUN_A RUN_B [--json] [--tolerance PCT]\n"
    "\n"
    "Compares run B against the baseline run A, result by result (matched by\n"
    "workload, device and parameters). The verdict comes from the 95% confidence\n"
    "intervals of the median times: \"faster\" or \"slower\" when they do not overlap\n"
    "and the medians differ by more than the tolerance, \"same\" when the medians\n"
    "differ by at most the tolerance and both intervals are that tight, else\n"
    "\"inconclusive\". B/A is the speedup: above 1.00x, B is faster.\n"
    "\n"
    "options:\n"
    "  --json            print JSON instead of a table\n"
    "  --tolerance PCT   changes up to PCT percent count as \"same\" (default 2)\n"
    "  -h, --help        print this help\n"
    "\n" DB_HELP;

struct opts {
    bool json;
    double tol;         /* fraction */
    const char *pos[3]; /* positional arguments after the subcommand */
    int npos;
};

/* Parses [--json] [--tolerance PCT] and positionals. Returns -1 to go on,
 * else the exit status (help printed: 0; error printed: 2). */
static int parse_opts(struct aib_cli *cli, const char *cmd, const char *usage, bool allow_tol,
                      int max_pos, int argc, char **argv, struct opts *o)
{
    bool dashdash = false;
    o->json = false;
    o->tol = 0.02;
    o->npos = 0;
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, cli->out);
            return 0;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = true;
        } else if (!dashdash && strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (!dashdash && allow_tol && strncmp(a, "--tolerance", 11) == 0 &&
                   (a[11] == '\0' || a[11] == '=')) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            char *end = NULL;
            double pct = v ? strtod(v, &end) : NAN;
            if (end && *end == '%')
                end++;
            if (!v || !*v || !end || *end || !isfinite(pct) || pct < 0 || pct >= 100) {
                aib_cli_error(cli, "%s: --tolerance wants a percentage from 0 to 100, got '%s'",
                              cmd, v ? v : "");
                return 2;
            }
            o->tol = pct / 100;
        } else if (!dashdash && a[0] == '-' && a[1] != '\0') {
            aib_cli_error(cli, "%s: unknown option '%s' (see %s --help)", cmd, a, cmd);
            return 2;
        } else if (o->npos < max_pos) {
            o->pos[o->npos++] = a;
        } else {
            aib_cli_error(cli, "%s: unexpected argument '%s' (see %s --help)", cmd, a, cmd);
            return 2;
        }
    }
    if (o->npos < max_pos) {
        aib_cli_error(cli, "%s: missing %s (see %s --help)", cmd,
                      max_pos == 2 ? (o->npos ? "RUN_B" : "RUN_A and RUN_B") : "RUN", cmd);
        return 2;
    }
    return -1;
}

static int exit_for(int code) { return code == AIB_EUSAGE ? 2 : 1; }

/* Opens the database read commands use (never creating it). Returns -1 with
 * *s set, or an exit status. A missing default database with allow_missing
 * returns -1 with *s NULL: "no runs yet", not an error. */
static int open_db(struct aib_cli *cli, bool allow_missing, char *path, size_t len,
                   struct aib_store **s)
{
    struct aib_err err = {0};
    struct stat st;
    bool is_default = false;
    *s = NULL;
    if (aib_store_resolve_path(cli->db_path, path, len, &is_default, &err) == 0) {
        if (allow_missing && is_default && stat(path, &st) != 0 && errno == ENOENT)
            return -1;
        if (aib_store_open(path, false, false, s, &err) == 0)
            return -1;
    }
    aib_cli_error(cli, "%s", err.msg);
    return exit_for(err.code);
}

/* --- formatting helpers --------------------------------------------------- */

static const char *fmt_local(double t, char *buf, size_t len)
{
    struct tm tm;
    if (!isfinite(t) || t <= 0 || t > 1e15) /* before the cast: out of range is undefined */
        return "-";
    time_t tt = (time_t)t;
    if (!localtime_r(&tt, &tm) ||
        strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        return "-";
    return buf;
}

/* Three or four significant digits, the way a person reads a table. */
static int digits(double v) { return v >= 100 ? 1 : v >= 10 ? 2 : 3; }

static const char *fmt_secs(double s, char *buf, size_t len)
{
    static const struct {
        double scale;
        const char *unit;
    } u[] = {{1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
    size_t i = 0;
    if (!isfinite(s) || s < 0)
        return "-";
    while (i + 1 < sizeof u / sizeof u[0] && s < u[i].scale)
        i++;
    double v = s / u[i].scale;
    snprintf(buf, len, "%.*f %s", digits(v), v, u[i].unit);
    return buf;
}

static bool has_tput(const struct aib_result *r)
{
    return r->unit[0] && isfinite(r->throughput) && r->throughput > 0;
}

static const char *fmt_tput(const struct aib_result *r, char *buf, size_t len)
{
    if (!has_tput(r))
        return "-";
    snprintf(buf, len, "%.*f %s", digits(r->throughput), r->throughput, r->unit);
    return buf;
}

static bool is_ok(const struct aib_result *r) { return strcmp(r->status, AIB_STATUS_OK) == 0; }

/* --- a plain text table: two passes over the rows, no allocation ---------- */

#define TBL_COLS 10
#define TBL_CELL 520 /* params can be 511 characters */

struct tbl_row {
    char cell[TBL_COLS][TBL_CELL];
    const char *note_prefix, *note; /* a full-width line under the row, if note */
};

/* Fills row i: 0 is the header, data rows are 1..n. */
typedef void (*tbl_fill)(const void *ctx, size_t i, struct tbl_row *row);

/* Columns measured in characters, not bytes ("±" is two bytes). */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* align: 'l' or 'r' per column. The first pass measures, the second prints. */
static void tbl_print(FILE *f, const char *align, size_t nrows, tbl_fill fill, const void *ctx)
{
    size_t ncols = strlen(align), w[TBL_COLS] = {0};
    struct tbl_row row;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i <= nrows; i++) {
            memset(&row, 0, sizeof row);
            fill(ctx, i, &row);
            for (size_t c = 0; c < ncols; c++) {
                size_t dw = disp_width(row.cell[c]);
                bool last = c + 1 == ncols;
                int pad = (int)(w[c] - dw);
                if (pass == 0)
                    w[c] = dw > w[c] ? dw : w[c];
                else if (align[c] == 'r')
                    fprintf(f, "%*s%s%s", pad, "", row.cell[c], last ? "\n" : "  ");
                else
                    fprintf(f, "%s%*s%s", row.cell[c], last ? 0 : pad, "", last ? "\n" : "  ");
            }
            if (pass == 1 && row.note)
                fprintf(f, "%s%s\n", row.note_prefix, row.note);
        }
    }
}

static void put(struct tbl_row *row, size_t c, const char *s)
{
    snprintf(row->cell[c], TBL_CELL, "%s", s && *s ? s : "-");
}

static void put_header(struct tbl_row *row, const char *const *names, size_t n)
{
    for (size_t c = 0; c < n; c++)
        put(row, c, names[c]);
}

/* --- JSON pieces ------------------------------------------------------------- */

static void json_run(struct aib_json *j, const struct aib_run *run, bool env)
{
    aib_json_obj_begin(j);
    aib_json_kint(j, "id", run->id);
    aib_json_kstr(j, "uuid", run->uuid);
    aib_json_kstr(j, "status", run->status);
    aib_json_kstr(j, "suite", run->suite);
    aib_json_kstr(j, "cmdline", run->cmdline);
    aib_json_kstr(j, "host", run->host);
    aib_json_knum(j, "started", run->started);
    aib_json_knum(j, "ended", run->ended);
    aib_json_knum(j, "duration", run->ended - run->started);
    aib_json_kint(j, "results", (int64_t)run->nresults);
    if (env) {
        aib_json_key(j, "env");
        aib_json_obj_begin(j);
        for (size_t i = 0; i < run->env.len; i++)
            aib_json_kstr(j, run->env.items[i].key, run->env.items[i].value);
        aib_json_obj_end(j);
    }
    aib_json_obj_end(j);
}

static void json_result(struct aib_json *j, const struct aib_result *r, bool samples)
{
    const struct aib_stats *s = &r->st;
    aib_json_obj_begin(j);
    aib_json_kint(j, "id", r->id);
    aib_json_kstr(j, "workload", r->workload);
    aib_json_kstr(j, "device", r->device);
    aib_json_kstr(j, "params", r->params);
    aib_json_kstr(j, "status", r->status);
    aib_json_kstr(j, "error", r->error);
    aib_json_kint(j, "iters_per_sample", (int64_t)r->iters_per_sample);
    aib_json_key(j, "stats");
    aib_json_obj_begin(j);
    aib_json_kint(j, "n", (int64_t)s->n);
    aib_json_knum(j, "min", s->min);
    aib_json_knum(j, "max", s->max);
    aib_json_knum(j, "mean", s->mean);
    aib_json_knum(j, "median", s->median);
    aib_json_knum(j, "stddev", s->stddev);
    aib_json_knum(j, "cv", s->cv);
    aib_json_knum(j, "p95", s->p95);
    aib_json_knum(j, "ci_lo", s->ci_lo);
    aib_json_knum(j, "ci_hi", s->ci_hi);
    aib_json_knum(j, "mad", s->mad);
    aib_json_kint(j, "outliers", (int64_t)s->outliers);
    aib_json_obj_end(j);
    aib_json_knum(j, "flops", r->flops);
    aib_json_knum(j, "bytes", r->bytes);
    aib_json_knum(j, "ops", r->ops);
    aib_json_knum(j, "throughput", r->throughput);
    aib_json_kstr(j, "unit", r->unit);
    aib_json_knum(j, "started", r->started);
    aib_json_knum(j, "ended", r->ended);
    if (samples) {
        aib_json_key(j, "samples");
        aib_json_arr_begin(j);
        for (size_t i = 0; i < r->nsamples; i++)
            aib_json_num(j, r->samples[i]);
        aib_json_arr_end(j);
    }
    aib_json_obj_end(j);
}

/* --- results list / show / delete ----------------------------------------- */

static int list_json(struct aib_cli *cli, const char *path, const struct aib_run *runs, size_t n)
{
    struct aib_json j;
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", path);
    aib_json_key(&j, "runs");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++)
        json_run(&j, &runs[i], false);
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
    return 0;
}

static void list_row(const void *ctx, size_t i, struct tbl_row *row)
{
    static const char *const head[] = {"ID", "UUID", "STARTED", "STATUS", "SUITE", "RESULTS", "HOST"};
    char when[32];
    if (i == 0) {
        put_header(row, head, 7);
        return;
    }
    const struct aib_run *r = (const struct aib_run *)ctx + i - 1;
    snprintf(row->cell[0], TBL_CELL, "%lld", (long long)r->id);
    snprintf(row->cell[1], TBL_CELL, "%.8s", r->uuid);
    put(row, 2, fmt_local(r->started, when, sizeof when));
    put(row, 3, r->status);
    put(row, 4, r->suite);
    snprintf(row->cell[5], TBL_CELL, "%zu", r->nresults);
    put(row, 6, r->host);
}

static int list_text(struct aib_cli *cli, const char *path, const struct aib_run *runs, size_t n)
{
    if (n == 0) {
        fprintf(cli->out, "no runs yet (database: %s)\n", path);
        return 0;
    }
    tbl_print(cli->out, "rllllrl", n, list_row, runs);
    fprintf(cli->out, "database: %s (%zu run%s)\n", path, n, n == 1 ? "" : "s");
    return 0;
}

static int cmd_list(struct aib_cli *cli, const struct opts *o)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run *runs = NULL;
    struct aib_err err = {0};
    size_t n = 0;
    int rc = open_db(cli, true, path, sizeof path, &s);
    if (rc >= 0)
        return rc;
    if (!s) { /* the default database does not exist yet */
        if (o->json)
            return list_json(cli, path, NULL, 0);
        fprintf(cli->out, "no runs yet (database %s does not exist)\n", path);
        return 0;
    }
    if (aib_store_list_runs(s, &runs, &n, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = exit_for(err.code);
        goto cleanup;
    }
    rc = o->json ? list_json(cli, path, runs, n) : list_text(cli, path, runs, n);
cleanup:
    aib_runs_free(runs, n);
    aib_store_close(s);
    return rc;
}

static void show_json(struct aib_cli *cli, const char *path, const struct aib_run *run,
                      const struct aib_result *res, size_t n)
{
    struct aib_json j;
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", path);
    aib_json_key(&j, "run");
    json_run(&j, run, true);
    aib_json_key(&j, "results");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++)
        json_result(&j, &res[i], true);
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

static void show_row(const void *ctx, size_t i, struct tbl_row *row)
{
    static const char *const head[] = {"WORKLOAD", "DEVICE", "PARAMS", "STATUS", "N",
                                       "MEDIAN", "±CI", "CV", "THROUGHPUT", "OUTLIERS"};
    char buf[48];
    if (i == 0) {
        put_header(row, head, 10);
        return;
    }
    const struct aib_result *r = (const struct aib_result *)ctx + i - 1;
    const struct aib_stats *s = &r->st;
    bool stats = s->n > 0 && isfinite(s->median) && s->median > 0;
    put(row, 0, r->workload);
    put(row, 1, r->device);
    put(row, 2, r->params);
    put(row, 3, r->status);
    snprintf(row->cell[4], TBL_CELL, "%zu", s->n);
    put(row, 5, stats ? fmt_secs(s->median, buf, sizeof buf) : NULL);
    put(row, 6, NULL);
    if (stats && isfinite(s->ci_lo) && isfinite(s->ci_hi))
        snprintf(row->cell[6], TBL_CELL, "±%.1f%%", (s->ci_hi - s->ci_lo) / 2 / s->median * 100);
    put(row, 7, NULL);
    if (stats && isfinite(s->cv))
        snprintf(row->cell[7], TBL_CELL, "%.1f%%", s->cv * 100);
    put(row, 8, fmt_tput(r, buf, sizeof buf));
    put(row, 9, NULL);
    if (stats)
        snprintf(row->cell[9], TBL_CELL, "%zu", s->outliers);
    if (!is_ok(r) && r->error[0]) {
        row->note_prefix = "    error: ";
        row->note = r->error;
    }
}

static void show_text(struct aib_cli *cli, const char *path, const struct aib_run *run,
                      const struct aib_result *res, size_t n)
{
    char buf[48];
    FILE *f = cli->out;
    fprintf(f, "run %lld  %s\n", (long long)run->id, run->uuid);
    fprintf(f, "status:    %s\n", run->status);
    fprintf(f, "suite:     %s\n", run->suite[0] ? run->suite : "- (command line)");
    fprintf(f, "cmdline:   %s\n", run->cmdline);
    fprintf(f, "host:      %s\n", run->host);
    fprintf(f, "started:   %s\n", fmt_local(run->started, buf, sizeof buf));
    fprintf(f, "ended:     %s\n", fmt_local(run->ended, buf, sizeof buf));
    fprintf(f, "duration:  %s\n", fmt_secs(run->ended - run->started, buf, sizeof buf));
    fprintf(f, "database:  %s\n", path);
    if (run->env.len) {
        fputs("\nenvironment:\n", f);
        for (size_t i = 0; i < run->env.len; i++)
            fprintf(f, "  %s: %s\n", run->env.items[i].key, run->env.items[i].value);
    }
    fprintf(f, "\nresults (%zu):\n", n);
    if (n)
        tbl_print(f, "llllrrrrrr", n, show_row, res);
}

static int cmd_show(struct aib_cli *cli, const struct opts *o)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run run = {0};
    struct aib_result *res = NULL;
    struct aib_err err = {0};
    size_t n = 0;
    int rc = open_db(cli, false, path, sizeof path, &s);
    if (rc >= 0)
        return rc;
    if (aib_store_load_run(s, o->pos[0], &run, &res, &n, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = exit_for(err.code);
        goto cleanup;
    }
    rc = 0;
    if (o->json)
        show_json(cli, path, &run, res, n);
    else
        show_text(cli, path, &run, res, n);
cleanup:
    aib_results_free(res, n);
    aib_run_free(&run);
    aib_store_close(s);
    return rc;
}

static int cmd_delete(struct aib_cli *cli, const struct opts *o)
{
    char path[4096], idref[24];
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    int64_t id = 0;
    int rc = open_db(cli, false, path, sizeof path, &s);
    if (rc >= 0)
        return rc;
    /* Resolve once and delete by id, so the message names what was deleted. */
    if (aib_store_resolve_ref(s, o->pos[0], &id, &err) == 0) {
        snprintf(idref, sizeof idref, "%lld", (long long)id);
        if (aib_store_delete_run(s, idref, &err) == 0) {
            fprintf(cli->out, "deleted run %lld from %s\n", (long long)id, path);
            rc = 0;
            goto cleanup;
        }
    }
    aib_cli_error(cli, "%s", err.msg);
    rc = exit_for(err.code);
cleanup:
    aib_store_close(s);
    return rc;
}

int aib_cmd_results(struct aib_cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc;
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub) {
        aib_cli_error(cli, "results: missing subcommand: list, show or delete (see results --help)");
        return 2;
    }
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(results_usage, cli->out);
        return 0;
    }
    if (strcmp(sub, "list") == 0) {
        if ((rc = parse_opts(cli, "results list", results_usage, false, 0, argc - 2, argv + 2, &o)) >= 0)
            return rc;
        return cmd_list(cli, &o);
    }
    if (strcmp(sub, "show") == 0) {
        if ((rc = parse_opts(cli, "results show", results_usage, false, 1, argc - 2, argv + 2, &o)) >= 0)
            return rc;
        return cmd_show(cli, &o);
    }
    if (strcmp(sub, "delete") == 0) {
        if ((rc = parse_opts(cli, "results delete", results_usage, false, 1, argc - 2, argv + 2,
                             &o)) >= 0)
            return rc;
        if (o.json) {
            aib_cli_error(cli, "results delete: --json is not supported (see results --help)");
            return 2;
        }
        return cmd_delete(cli, &o);
    }
    aib_cli_error(cli, "results: unknown subcommand '%s': list, show or delete (see results --help)",
                  sub);
    return 2;
}

/* --- compare ------------------------------------------------------------------ */

/* Verdict buckets: the four verdicts (their enum values), then one side only. */
enum { ONLY_A = 4, ONLY_B, N_BUCKETS };
static const char *const bucket_text[N_BUCKETS] = {"same", "faster", "slower", "inconclusive",
                                                   "only in A", "only in B"};
static const char *const bucket_json[N_BUCKETS] = {"same", "faster", "slower", "inconclusive",
                                                   "only_in_a", "only_in_b"};

static int bucket(const struct aib_cmp_row *r)
{
    return !r->b ? ONLY_A : !r->a ? ONLY_B : (int)r->verdict;
}

/* One side of a row: throughput when the workload has one, else the median time. */
static const char *fmt_side(const struct aib_result *r, char *buf, size_t len)
{
    if (!r)
        return "-";
    if (!is_ok(r))
        return r->status;
    return has_tput(r) ? fmt_tput(r, buf, len) : fmt_secs(r->st.median, buf, len);
}

static void cmp_run_line(FILE *f, const char *tag, const struct aib_run *r)
{
    char when[32];
    fprintf(f, "%s: run %lld  %.8s  %s  %s  suite %s  host %s\n", tag, (long long)r->id, r->uuid,
            fmt_local(r->started, when, sizeof when), r->status, r->suite[0] ? r->suite : "-",
            r->host[0] ? r->host : "-");
}

static void cmp_row(const void *ctx, size_t i, struct tbl_row *row)
{
    static const char *const head[] = {"WORKLOAD", "DEVICE", "PARAMS", "A", "B", "B/A", "VERDICT"};
    char buf[48];
    if (i == 0) {
        put_header(row, head, 7);
        return;
    }
    const struct aib_cmp_row *r = (const struct aib_cmp_row *)ctx + i - 1;
    const struct aib_result *key = r->a ? r->a : r->b;
    put(row, 0, key->workload);
    put(row, 1, key->device);
    put(row, 2, key->params);
    put(row, 3, fmt_side(r->a, buf, sizeof buf));
    put(row, 4, fmt_side(r->b, buf, sizeof buf));
    put(row, 5, NULL);
    if (isfinite(r->speedup))
        snprintf(row->cell[5], TBL_CELL, "%.2fx", r->speedup);
    put(row, 6, bucket_text[bucket(r)]);
}

static void cmp_text(struct aib_cli *cli, const char *path, double tol, const struct aib_run *ra,
                     const struct aib_run *rb, const struct aib_cmp_row *rows, size_t n)
{
    size_t count[N_BUCKETS] = {0};
    cmp_run_line(cli->out, "A", ra);
    cmp_run_line(cli->out, "B", rb);
    fprintf(cli->out, "tolerance: %g%%\n\n", tol * 100);
    if (n)
        tbl_print(cli->out, "lllrrrl", n, cmp_row, rows);
    else
        fputs("no results in either run\n", cli->out);
    for (size_t i = 0; i < n; i++)
        count[bucket(&rows[i])]++;
    fputs("\nsummary:", cli->out);
    for (int b = 0; b < N_BUCKETS; b++)
        fprintf(cli->out, "%s %zu %s", b ? "," : "", count[b], bucket_text[b]);
    fprintf(cli->out, "\ndatabase: %s\n", path);
}

static void cmp_json(struct aib_cli *cli, const char *path, double tol, const struct aib_run *ra,
                     const struct aib_run *rb, const struct aib_cmp_row *rows, size_t n)
{
    struct aib_json j;
    size_t count[N_BUCKETS] = {0};
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", path);
    aib_json_knum(&j, "tolerance", tol);
    aib_json_key(&j, "a");
    json_run(&j, ra, false);
    aib_json_key(&j, "b");
    json_run(&j, rb, false);
    aib_json_key(&j, "rows");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        const struct aib_cmp_row *r = &rows[i];
        const struct aib_result *key = r->a ? r->a : r->b;
        count[bucket(r)]++;
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "workload", key->workload);
        aib_json_kstr(&j, "device", key->device);
        aib_json_kstr(&j, "params", key->params);
        aib_json_kstr(&j, "verdict", bucket_json[bucket(r)]);
        aib_json_knum(&j, "speedup", r->speedup);
        aib_json_key(&j, "a");
        if (r->a)
            json_result(&j, r->a, false);
        else
            aib_json_null(&j);
        aib_json_key(&j, "b");
        if (r->b)
            json_result(&j, r->b, false);
        else
            aib_json_null(&j);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_key(&j, "summary");
    aib_json_obj_begin(&j);
    for (int b = 0; b < N_BUCKETS; b++)
        aib_json_kint(&j, bucket_json[b], (int64_t)count[b]);
    aib_json_obj_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

int aib_cmd_compare(struct aib_cli *cli, int argc, char **argv)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run ra = {0}, rb = {0};
    struct aib_result *a = NULL, *b = NULL;
    struct aib_cmp_row *rows = NULL;
    struct aib_err err = {0};
    size_t na = 0, nb = 0, nrows = 0;
    struct opts o;
    int rc = parse_opts(cli, "compare", compare_usage, true, 2, argc - 1, argv + 1, &o);
    if (rc >= 0 || (rc = open_db(cli, false, path, sizeof path, &s)) >= 0)
        return rc;
    if (aib_store_load_run(s, o.pos[0], &ra, &a, &na, &err) != 0 ||
        aib_store_load_run(s, o.pos[1], &rb, &b, &nb, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = exit_for(err.code);
        goto cleanup;
    }
    if (aib_compare_runs(a, na, b, nb, o.tol, &rows, &nrows) != 0) {
        aib_cli_error(cli, "out of memory comparing runs");
        rc = 1;
        goto cleanup;
    }
    rc = 0;
    if (o.json)
        cmp_json(cli, path, o.tol, &ra, &rb, rows, nrows);
    else
        cmp_text(cli, path, o.tol, &ra, &rb, rows, nrows);
cleanup:
    free(rows);
    aib_results_free(a, na);
    aib_results_free(b, nb);
    aib_run_free(&ra);
    aib_run_free(&rb);
    aib_store_close(s);
    return rc;
}
