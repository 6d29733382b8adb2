/* `aibench results list|show|delete`: read the store and print text tables
 * or JSON. Each output format has its own printer, chosen once per command.
 * `compare` is in cmd_compare.c; what both share is in cmd_common.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../profilers/series.h"
#include "cmd_common.h"

static const char results_usage[] =
    "usage: aibench [--db PATH] results list [--json]\n"
    "       aibench [--db PATH] results show RUN [--json]\n"
    "       aibench [--db PATH] results delete RUN\n"
    "\n"
    "list    the stored runs, newest first\n"
    "show    one run: its environment and every result with its metrics (counters,\n"
    "        derived figures) and a summary of each sampled series (--json: every\n"
    "        sample and every point of the series)\n"
    "delete  one run with all its results and samples\n"
    "\n"
    "options:\n"
    "  --json       print JSON instead of a table (list, show)\n"
    "  -h, --help   print this help\n"
    "\n" AIB_RCMD_DB_HELP;

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
        aib_rcmd_json_run(&j, &runs[i], false);
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
    return 0;
}

static void list_row(const void *ctx, size_t i, struct aib_rcmd_row *row)
{
    static const char *const head[] = {"ID", "UUID", "STARTED", "STATUS", "SUITE", "RESULTS", "HOST"};
    char when[32];
    if (i == 0) {
        aib_rcmd_put_header(row, head, 7);
        return;
    }
    const struct aib_run *r = (const struct aib_run *)ctx + i - 1;
    snprintf(row->cell[0], AIB_RCMD_TBL_CELL, "%lld", (long long)r->id);
    snprintf(row->cell[1], AIB_RCMD_TBL_CELL, "%.8s", r->uuid);
    aib_rcmd_put(row, 2, aib_rcmd_fmt_time(r->started, when, sizeof when));
    aib_rcmd_put(row, 3, r->status);
    aib_rcmd_put(row, 4, r->suite);
    snprintf(row->cell[5], AIB_RCMD_TBL_CELL, "%zu", r->nresults);
    aib_rcmd_put(row, 6, r->host);
}

static int list_text(struct aib_cli *cli, const char *path, const struct aib_run *runs, size_t n)
{
    if (n == 0) {
        fprintf(cli->out, "no runs yet (database: %s)\n", path);
        return 0;
    }
    aib_rcmd_tbl_print(cli->out, "rllllrl", n, list_row, runs);
    fprintf(cli->out, "database: %s (%zu run%s)\n", path, n, n == 1 ? "" : "s");
    return 0;
}

static int cmd_list(struct aib_cli *cli, const struct aib_rcmd_opts *o)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run *runs = NULL;
    struct aib_err err = {0};
    size_t n = 0;
    int rc = aib_rcmd_open_db(cli, true, path, sizeof path, &s);
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
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    rc = o->json ? list_json(cli, path, runs, n) : list_text(cli, path, runs, n);
cleanup:
    aib_runs_free(runs, n);
    aib_store_close(s);
    return rc;
}

static void show_json(struct aib_cli *cli, const char *path, const struct aib_run *run,
                      const struct aib_result *res, size_t n, const struct aib_series_set *ser)
{
    struct aib_json j;
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", path);
    aib_json_key(&j, "run");
    aib_rcmd_json_run(&j, run, true);
    aib_json_key(&j, "results");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++)
        aib_rcmd_json_result(&j, &res[i], true);
    aib_json_arr_end(&j);
    aib_json_key(&j, "series"); /* sampled during the run (profilers/series.h) */
    aib_series_json(&j, ser);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

static void show_row(const void *ctx, size_t i, struct aib_rcmd_row *row)
{
    static const char *const head[] = {"WORKLOAD", "DEVICE", "PARAMS", "STATUS", "N",
                                       "MEDIAN", "±CI", "CV", "THROUGHPUT", "OUTLIERS"};
    char buf[48];
    if (i == 0) {
        aib_rcmd_put_header(row, head, 10);
        return;
    }
    const struct aib_result *r = (const struct aib_result *)ctx + i - 1;
    const struct aib_stats *s = &r->st;
    bool stats = s->n > 0 && isfinite(s->median) && s->median > 0;
    aib_rcmd_put(row, 0, r->workload);
    aib_rcmd_put(row, 1, r->device);
    aib_rcmd_put(row, 2, r->params);
    aib_rcmd_put(row, 3, r->status);
    snprintf(row->cell[4], AIB_RCMD_TBL_CELL, "%zu", s->n);
    aib_rcmd_put(row, 5, stats ? aib_rcmd_fmt_secs(s->median, buf, sizeof buf) : NULL);
    aib_rcmd_put(row, 6, NULL);
    if (stats && isfinite(s->ci_lo) && isfinite(s->ci_hi))
        snprintf(row->cell[6], AIB_RCMD_TBL_CELL, "±%.1f%%",
                 (s->ci_hi - s->ci_lo) / 2 / s->median * 100);
    aib_rcmd_put(row, 7, NULL);
    if (stats && isfinite(s->cv))
        snprintf(row->cell[7], AIB_RCMD_TBL_CELL, "%.1f%%", s->cv * 100);
    aib_rcmd_put(row, 8, aib_rcmd_fmt_tput(r, buf, sizeof buf));
    aib_rcmd_put(row, 9, NULL);
    if (stats)
        snprintf(row->cell[9], AIB_RCMD_TBL_CELL, "%zu", s->outliers);
    if (!aib_rcmd_is_ok(r) && r->error[0]) {
        row->note_prefix = "    error: ";
        row->note = r->error;
    }
}

static void show_text(struct aib_cli *cli, const char *path, const struct aib_run *run,
                      const struct aib_result *res, size_t n, const struct aib_series_set *ser)
{
    char buf[48];
    FILE *f = cli->out;
    fprintf(f, "run %lld  %s\n", (long long)run->id, run->uuid);
    fprintf(f, "status:    %s\n", run->status);
    fprintf(f, "suite:     %s\n", run->suite[0] ? run->suite : "- (command line)");
    fprintf(f, "cmdline:   %s\n", run->cmdline);
    fprintf(f, "host:      %s\n", run->host);
    fprintf(f, "started:   %s\n", aib_rcmd_fmt_time(run->started, buf, sizeof buf));
    fprintf(f, "ended:     %s\n", aib_rcmd_fmt_time(run->ended, buf, sizeof buf));
    fprintf(f, "duration:  %s\n", aib_rcmd_fmt_secs(run->ended - run->started, buf, sizeof buf));
    fprintf(f, "database:  %s\n", path);
    if (run->env.len) {
        fputs("\nenvironment:\n", f);
        for (size_t i = 0; i < run->env.len; i++)
            fprintf(f, "  %s: %s\n", run->env.items[i].key, run->env.items[i].value);
    }
    fprintf(f, "\nresults (%zu):\n", n);
    if (n)
        aib_rcmd_tbl_print(f, "llllrrrrrr", n, show_row, res);
    /* Figures beyond the timing, per result; a missing one says why. */
    for (size_t i = 0; i < n; i++) {
        if (!res[i].nmetrics)
            continue;
        fprintf(f, "\nmetrics of %s on %s %s:\n", res[i].workload, res[i].device, res[i].params);
        for (size_t m = 0; m < res[i].nmetrics; m++) {
            const struct aib_metric *x = &res[i].metrics[m];
            if (x->valid)
                fprintf(f, "  %-24s %14.6g %-8s%s%s\n", x->name, x->value, x->unit,
                        x->note[0] ? "  " : "", x->note);
            else
                fprintf(f, "  %-24s %14s %-8s  %s\n", x->name, "missing", x->unit, x->note);
        }
    }
    /* Series sampled during each result: a summary each (--json has the points). */
    for (size_t i = 0; i < n; i++) {
        if (!aib_series_count(ser, res[i].id))
            continue;
        fprintf(f, "\nseries of %s on %s %s:\n", res[i].workload, res[i].device, res[i].params);
        aib_series_print(f, ser, res[i].id);
    }
}

static int cmd_show(struct aib_cli *cli, const struct aib_rcmd_opts *o)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_run run = {0};
    struct aib_result *res = NULL;
    struct aib_series_set ser = {0};
    struct aib_err err = {0};
    size_t n = 0;
    int rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s);
    if (rc >= 0)
        return rc;
    if (aib_store_load_run(s, o->pos[0], &run, &res, &n, &err) != 0 ||
        aib_series_load(s, run.id, &ser, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    rc = 0;
    if (o->json)
        show_json(cli, path, &run, res, n, &ser);
    else
        show_text(cli, path, &run, res, n, &ser);
cleanup:
    aib_series_free(&ser);
    aib_results_free(res, n);
    aib_run_free(&run);
    aib_store_close(s);
    return rc;
}

static int cmd_delete(struct aib_cli *cli, const struct aib_rcmd_opts *o)
{
    char path[4096], idref[24];
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    int64_t id = 0;
    int rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s);
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
    rc = aib_rcmd_exit_for(err.code);
cleanup:
    aib_store_close(s);
    return rc;
}

int aib_cmd_results(struct aib_cli *cli, int argc, char **argv)
{
    struct aib_rcmd_opts o;
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
        rc = aib_rcmd_parse_opts(cli, "results list", results_usage, false, 0, argc - 2, argv + 2,
                                 &o);
        return rc >= 0 ? rc : cmd_list(cli, &o);
    }
    if (strcmp(sub, "show") == 0) {
        rc = aib_rcmd_parse_opts(cli, "results show", results_usage, false, 1, argc - 2, argv + 2,
                                 &o);
        return rc >= 0 ? rc : cmd_show(cli, &o);
    }
    if (strcmp(sub, "delete") == 0) {
        rc = aib_rcmd_parse_opts(cli, "results delete", results_usage, false, 1, argc - 2,
                                 argv + 2, &o);
        if (rc >= 0)
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
