/* `aibench compare`: options, databases and the two-run view (the
 * original `compare RUN_A RUN_B`, whose text and JSON stay as they were);
 * more runs, --host or --price go to the N-way view (cmd_compare_multi.c).
 * compare.c decides the verdicts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "cmd_compare.h"
#include "compare.h"

static const char compare_usage[] =
    "usage: aibench [--db PATH] compare RUN_A RUN_B [--json] [--tolerance PCT]\n"
    "       aibench [--db PATH] compare RUN... [--host NAME]... [--db-b PATH]\n"
    "                                   [--price HOST=USD]... [--nway] [--json] [--tolerance PCT]\n"
    "\n"
    "Compares run B against the baseline run A, result by result (matched by\n"
    "workload, device and parameters). The verdict comes from the 95% confidence\n"
    "intervals of the median times: \"faster\" or \"slower\" when they do not overlap\n"
    "and the medians differ by more than the tolerance, \"same\" when the medians\n"
    "differ by at most the tolerance and both intervals are that tight, else\n"
    "\"inconclusive\". B/A is the speedup: above 1.00x, B is faster.\n"
    "\n"
    "With more than two runs, --host, --price or --nway: the N-way view, one\n"
    "column per run (machine/device) in the order given, #1 the baseline: a table\n"
    "per workload with ratios and verdicts against #1, a geometric-mean score per\n"
    "category (compute: matmul conv peak; memory: membw transfer; storage: io;\n"
    "network: net) over the results present in all runs, perf per watt where energy\n"
    "was measured (throughput / average power, from RAPL or NVML; otherwise \"no\n"
    "energy measured\" and why), and perf per dollar with --price.\n"
    "\n"
    "options:\n"
    "  --json              print JSON instead of tables\n"
    "  --tolerance PCT     changes up to PCT percent count as \"same\" (default 2)\n"
    "  --db-b PATH         a second results database (say, results.db copied from\n"
    "                      another machine), opened read-only; its runs are b:RUN\n"
    "  --host NAME         a column: the newest complete (status ok) run of host NAME\n"
    "                      (its hostname or fingerprint), looked for in --db, then in\n"
    "                      --db-b; a:NAME or b:NAME picks the database (repeatable)\n"
    "  --price HOST=USD    what a machine costs, in US dollars (purchase price or\n"
    "                      price per hour: the same kind for every host); gives perf\n"
    "                      per dollar, relative to the first priced column (repeatable)\n"
    "  --nway              the N-way view for two runs too\n"
    "  -h, --help          print this help\n"
    "\n"
    "A column is RUN or --host NAME, with an optional prefix a: (--db, the default)\n"
    "or b: (--db-b), and an optional @DEVICE suffix that keeps only that device's\n"
    "results (give it for every column or none; with it results are matched across\n"
    "devices): 3, b:last, b:main@cuda:0, --host b:gpu-box. Runs that share no\n"
    "result, or a price for a host no column is from, are an error (exit status 2).\n"
    "\n" AIB_RCMD_DB_HELP;

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
    if (!aib_rcmd_is_ok(r))
        return r->status;
    return aib_rcmd_has_tput(r) ? aib_rcmd_fmt_tput(r, buf, len)
                                : aib_rcmd_fmt_secs(r->st.median, buf, len);
}

/* db: "" for the --db database, "b:" for --db-b. */
static void cmp_run_line(FILE *f, const char *tag, const char *db, const struct aib_run *r)
{
    char when[32];
    fprintf(f, "%s: run %s%lld  %.8s  %s  %s  suite %s  host %s\n", tag, db, (long long)r->id,
            r->uuid, aib_rcmd_fmt_time(r->started, when, sizeof when), r->status,
            r->suite[0] ? r->suite : "-", r->host[0] ? r->host : "-");
}

static void cmp_row(const void *ctx, size_t i, struct aib_rcmd_row *row)
{
    static const char *const head[] = {"WORKLOAD", "DEVICE", "PARAMS", "A", "B", "B/A", "VERDICT"};
    char buf[48];
    if (i == 0) {
        aib_rcmd_put_header(row, head, 7);
        return;
    }
    const struct aib_cmp_row *r = (const struct aib_cmp_row *)ctx + i - 1;
    const struct aib_result *key = r->a ? r->a : r->b;
    aib_rcmd_put(row, 0, key->workload);
    aib_rcmd_put(row, 1, key->device);
    aib_rcmd_put(row, 2, key->params);
    aib_rcmd_put(row, 3, fmt_side(r->a, buf, sizeof buf));
    aib_rcmd_put(row, 4, fmt_side(r->b, buf, sizeof buf));
    aib_rcmd_put(row, 5, NULL);
    if (isfinite(r->speedup))
        snprintf(row->cell[5], AIB_RCMD_TBL_CELL, "%.2fx", r->speedup);
    aib_rcmd_put(row, 6, bucket_text[bucket(r)]);
}

static void cmp_text(struct aib_cli *cli, const struct aib_cmp_dbs *dbs, double tol,
                     const struct aib_cmp_col *ca, const struct aib_cmp_col *cb,
                     const struct aib_cmp_row *rows, size_t n)
{
    size_t count[N_BUCKETS] = {0};
    cmp_run_line(cli->out, "A", ca->db ? "b:" : "", &ca->run);
    cmp_run_line(cli->out, "B", cb->db ? "b:" : "", &cb->run);
    fprintf(cli->out, "tolerance: %g%%\n\n", tol * 100);
    if (n)
        aib_rcmd_tbl_print(cli->out, "lllrrrl", n, cmp_row, rows);
    else
        fputs("no results in either run\n", cli->out);
    for (size_t i = 0; i < n; i++)
        count[bucket(&rows[i])]++;
    fputs("\nsummary:", cli->out);
    for (int b = 0; b < N_BUCKETS; b++)
        fprintf(cli->out, "%s %zu %s", b ? "," : "", count[b], bucket_text[b]);
    fprintf(cli->out, "\ndatabase: %s\n", dbs->path[0]);
    if (dbs->s[1])
        fprintf(cli->out, "database b: %s\n", dbs->path[1]);
}

static void cmp_json(struct aib_cli *cli, const struct aib_cmp_dbs *dbs, double tol,
                     const struct aib_cmp_col *ca, const struct aib_cmp_col *cb,
                     const struct aib_cmp_row *rows, size_t n)
{
    struct aib_json j;
    size_t count[N_BUCKETS] = {0};
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", dbs->path[0]);
    if (dbs->s[1]) {
        aib_json_kstr(&j, "database_b", dbs->path[1]);
        aib_json_kstr(&j, "a_database", ca->db ? "b" : "a");
        aib_json_kstr(&j, "b_database", cb->db ? "b" : "a");
    }
    aib_json_knum(&j, "tolerance", tol);
    aib_json_key(&j, "a");
    aib_rcmd_json_run(&j, &ca->run, false);
    aib_json_key(&j, "b");
    aib_rcmd_json_run(&j, &cb->run, false);
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
            aib_rcmd_json_result(&j, r->a, false);
        else
            aib_json_null(&j);
        aib_json_key(&j, "b");
        if (r->b)
            aib_rcmd_json_result(&j, r->b, false);
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

/* The original two-run view. */
static int two_way(struct aib_cli *cli, const struct aib_cmp_args *a,
                   const struct aib_cmp_dbs *dbs, const struct aib_cmp_col *cols)
{
    struct aib_cmp_row *rows = NULL;
    size_t nrows = 0;
    if (aib_compare_runs(cols[0].res, cols[0].nres, cols[1].res, cols[1].nres, a->tol, &rows,
                         &nrows) != 0) {
        aib_cli_error(cli, "out of memory comparing runs");
        return 1;
    }
    if (a->json)
        cmp_json(cli, dbs, a->tol, &cols[0], &cols[1], rows, nrows);
    else
        cmp_text(cli, dbs, a->tol, &cols[0], &cols[1], rows, nrows);
    free(rows);
    return 0;
}

/* "--name VALUE" or "--name=VALUE": the value, or NULL when s is not --name. */
static const char *opt_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
    size_t n = strlen(name);
    const char *s = argv[*i];
    *missing = false;
    if (strncmp(s, name, n) != 0 || (s[n] != '\0' && s[n] != '='))
        return NULL;
    if (s[n] == '=')
        return s + n + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    *missing = true;
    return "";
}

static int parse_price(struct aib_cli *cli, const char *v, struct aib_cmp_args *a)
{
    const char *eq = strrchr(v, '=');
    char *end = NULL;
    double usd = eq ? strtod(eq + 1, &end) : NAN;
    if (!eq || eq == v || !end || end == eq + 1 || *end || !isfinite(usd) || usd <= 0) {
        aib_cli_error(cli, "compare: --price wants HOST=USD with a positive amount, got '%s'", v);
        return 2;
    }
    for (size_t i = 0; i < a->nprices; i++) {
        if (strlen(a->prices[i].host) == (size_t)(eq - v) &&
            strncmp(a->prices[i].host, v, (size_t)(eq - v)) == 0) {
            aib_cli_error(cli, "compare: --price given twice for host '%.*s'", (int)(eq - v), v);
            return 2;
        }
    }
    char *host = strndup(v, (size_t)(eq - v));
    if (!host) {
        aib_cli_error(cli, "out of memory");
        return 1;
    }
    a->prices[a->nprices++] = (struct aib_cmp_price){.host = host, .usd = usd};
    return -1;
}

static int parse_tol(struct aib_cli *cli, const char *v, double *tol)
{
    char *end = NULL;
    double pct = v && *v ? strtod(v, &end) : NAN;
    if (end && *end == '%')
        end++;
    if (!v || !*v || !end || *end || !isfinite(pct) || pct < 0 || pct >= 100) {
        aib_cli_error(cli, "compare: --tolerance wants a percentage from 0 to 100, got '%s'",
                      v ? v : "");
        return 2;
    }
    *tol = pct / 100;
    return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse(struct aib_cli *cli, int argc, char **argv, struct aib_cmp_args *a)
{
    bool dashdash = false, missing = false;
    int rc = -1;
    a->tol = 0.02;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(compare_usage, cli->out);
            return 0;
        }
    }
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *s = argv[i], *v;
        if (dashdash || s[0] != '-' || !s[1]) {
            a->specs[a->nspecs++] = (struct aib_cmp_spec){.text = s};
        } else if (strcmp(s, "--") == 0) {
            dashdash = true;
        } else if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--nway") == 0) {
            a->nway = true;
        } else if ((v = opt_value("--tolerance", argc, argv, &i, &missing))) {
            rc = parse_tol(cli, missing ? NULL : v, &a->tol);
        } else if ((v = opt_value("--db-b", argc, argv, &i, &missing))) {
            if (missing || !*v || a->db_b) {
                aib_cli_error(cli, "compare: --db-b wants one database path");
                rc = 2;
            }
            a->db_b = v;
        } else if ((v = opt_value("--host", argc, argv, &i, &missing))) {
            if (missing || !*v) {
                aib_cli_error(cli, "compare: --host wants a host name");
                rc = 2;
            }
            a->specs[a->nspecs++] = (struct aib_cmp_spec){.text = v, .host = true};
        } else if ((v = opt_value("--price", argc, argv, &i, &missing))) {
            rc = parse_price(cli, missing ? "" : v, a);
        } else {
            aib_cli_error(cli, "compare: unknown option '%s' (see compare --help)", s);
            rc = 2;
        }
    }
    if (rc >= 0)
        return rc;
    if (a->nspecs < 2) {
        aib_cli_error(cli, "compare: missing %s (see compare --help)",
                      a->nspecs ? "RUN_B" : "RUN_A and RUN_B");
        return 2;
    }
    return -1;
}

static int open_dbs(struct aib_cli *cli, const char *db_b, struct aib_cmp_dbs *dbs)
{
    struct aib_err err = {0};
    int rc = aib_rcmd_open_db(cli, false, dbs->path[0], sizeof dbs->path[0], &dbs->s[0]);
    if (rc >= 0 || !db_b)
        return rc;
    snprintf(dbs->path[1], sizeof dbs->path[1], "%s", db_b);
    if (strlen(db_b) >= sizeof dbs->path[1] ||
        aib_store_open_readonly(db_b, &dbs->s[1], &err) != 0) {
        aib_cli_error(cli, "compare: --db-b: %s",
                      err.msg[0] ? err.msg : "database path is too long");
        return 2;
    }
    return -1;
}

/* Matches the columns' results and prints the view that fits. */
static int compare_cols(struct aib_cli *cli, const struct aib_cmp_args *a,
                        const struct aib_cmp_dbs *dbs, struct aib_cmp_col *cols, size_t ncols,
                        bool match_device)
{
    const struct aib_result **res = calloc(ncols, sizeof *res);
    size_t *nres = calloc(ncols, sizeof *nres);
    struct aib_nway nw = {0};
    bool hosts = false;
    int rc = 1;
    if (!res || !nres) {
        aib_cli_error(cli, "out of memory comparing runs");
        goto cleanup;
    }
    for (size_t i = 0; i < ncols; i++) {
        res[i] = cols[i].res;
        nres[i] = cols[i].nres;
    }
    if (aib_compare_nway(res, nres, ncols, match_device, a->tol, &nw)) {
        aib_cli_error(cli, "out of memory comparing runs");
        goto cleanup;
    }
    if ((rc = aib_cmp_check_overlap(cli, cols, ncols, &nw)))
        goto cleanup;
    for (size_t i = 0; i < a->nspecs; i++)
        hosts |= a->specs[i].host;
    if (ncols == 2 && !hosts && !a->nprices && !a->nway && match_device)
        rc = two_way(cli, a, dbs, cols);
    else
        rc = aib_cmp_nway(cli, a, dbs, cols, ncols, &nw);
cleanup:
    aib_compare_nway_free(&nw);
    free(res);
    free(nres);
    return rc;
}

int aib_cmd_compare(struct aib_cli *cli, int argc, char **argv)
{
    struct aib_cmp_args a = {0};
    struct aib_cmp_dbs dbs = {0};
    struct aib_cmp_col *cols = NULL;
    size_t ncols = 0;
    bool match_device = true;
    int rc;
    a.specs = calloc((size_t)argc + 1, sizeof *a.specs);
    a.prices = calloc((size_t)argc + 1, sizeof *a.prices);
    if (!a.specs || !a.prices) {
        aib_cli_error(cli, "out of memory");
        rc = 1;
        goto cleanup;
    }
    if ((rc = parse(cli, argc, argv, &a)) >= 0 || (rc = open_dbs(cli, a.db_b, &dbs)) >= 0 ||
        (rc = aib_cmp_load_cols(cli, &a, &dbs, &cols, &ncols, &match_device)))
        goto cleanup;
    rc = compare_cols(cli, &a, &dbs, cols, ncols, match_device);
cleanup:
    aib_cmp_cols_free(cols, ncols);
    for (size_t i = 0; a.prices && i < a.nprices; i++)
        free((char *)a.prices[i].host);
    free(a.prices);
    free(a.specs);
    aib_store_close(dbs.s[0]);
    aib_store_close(dbs.s[1]);
    return rc;
}
