/* `aibench compare RUN_A RUN_B`: loads both runs, pairs their results
 * (compare.c decides the verdicts) and prints a text table or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd_common.h"
#include "compare.h"

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

static void cmp_run_line(FILE *f, const char *tag, const struct aib_run *r)
{
    char when[32];
    fprintf(f, "%s: run %lld  %.8s  %s  %s  suite %s  host %s\n", tag, (long long)r->id, r->uuid,
            aib_rcmd_fmt_time(r->started, when, sizeof when), r->status,
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

static void cmp_text(struct aib_cli *cli, const char *path, double tol, const struct aib_run *ra,
                     const struct aib_run *rb, const struct aib_cmp_row *rows, size_t n)
{
    size_t count[N_BUCKETS] = {0};
    cmp_run_line(cli->out, "A", ra);
    cmp_run_line(cli->out, "B", rb);
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
    aib_rcmd_json_run(&j, ra, false);
    aib_json_key(&j, "b");
    aib_rcmd_json_run(&j, rb, false);
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

int aib_cmd_compare(struct aib_cli *cli, int argc, char **argv)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run ra = {0}, rb = {0};
    struct aib_result *a = NULL, *b = NULL;
    struct aib_cmp_row *rows = NULL;
    struct aib_err err = {0};
    size_t na = 0, nb = 0, nrows = 0;
    struct aib_rcmd_opts o;
    int rc = aib_rcmd_parse_opts(cli, "compare", compare_usage, true, 2, argc - 1, argv + 1, &o);
    if (rc >= 0 || (rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s)) >= 0)
        return rc;
    if (aib_store_load_run(s, o.pos[0], &ra, &a, &na, &err) != 0 ||
        aib_store_load_run(s, o.pos[1], &rb, &b, &nb, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
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
