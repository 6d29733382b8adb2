/* `aibench compare`, the N-way view: one column per run (machine/device),
 * #1 the baseline; a table per workload with ratios and verdicts against
 * #1, perf per watt, the category scores and perf per dollar, as text or
 * JSON. The figures come from compare.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "cmd_compare.h"

#define NO_ENERGY "no energy measured"

/* --- pieces ---------------------------------------------------------------------- */

static const char *col_db(const struct aib_cmp_col *c) { return c->db ? "b:" : ""; }

static void head(struct aib_cmp_grid *g, size_t c, const struct aib_cmp_col *col)
{
    aib_cmp_grid_set(g, c, "%s %s%s%s", col->label, col->run.host[0] ? col->run.host : "-",
             col->device[0] ? "@" : "", col->device);
}

static const char *fmt_cell(const struct aib_result *r, char *buf, size_t len)
{
    if (!r)
        return "-";
    if (!aib_rcmd_is_ok(r))
        return r->status;
    return aib_rcmd_has_tput(r) ? aib_rcmd_fmt_tput(r, buf, len)
                                : aib_rcmd_fmt_secs(r->st.median, buf, len);
}

static const char *verdict_text(const struct aib_nrow *r, size_t c)
{
    if (!r->cell[c])
        return r->cell[0] ? "missing" : "-";
    if (!r->cell[0])
        return "only here";
    return aib_verdict_name(r->verdict[c]);
}

static void legend(FILE *f, const struct aib_cmp_col *cols, size_t n, double tol)
{
    char when[32];
    for (size_t i = 0; i < n; i++) {
        const struct aib_run *r = &cols[i].run;
        fprintf(f, "%s: run %s%lld  %.8s  %s  %s  suite %s  host %s", cols[i].label,
                col_db(&cols[i]), (long long)r->id, r->uuid,
                aib_rcmd_fmt_time(r->started, when, sizeof when), r->status,
                r->suite[0] ? r->suite : "-", r->host[0] ? r->host : "-");
        if (cols[i].device[0])
            fprintf(f, "  device %s", cols[i].device);
        if (isfinite(cols[i].price))
            fprintf(f, "  price %g USD", cols[i].price);
        fputc('\n', f);
    }
    fprintf(f, "tolerance: %g%%\n", tol * 100);
}

/* One table per workload, in the order they first appear. */
static int workload_tables(FILE *f, const struct aib_cmp_col *cols, size_t n,
                           const struct aib_nway *nw)
{
    char align[3 + 3 * n], buf[64];
    for (size_t i = 0; i < nw->nrows; i++) {
        const struct aib_result *key0 = NULL;
        for (size_t c = 0; c < n && !key0; c++)
            key0 = nw->rows[i].cell[c];
        bool first = true;
        for (size_t k = 0; k < i && first; k++) {
            const struct aib_result *x = NULL;
            for (size_t c = 0; c < n && !x; c++)
                x = nw->rows[k].cell[c];
            first = strcmp(x->workload, key0->workload) != 0;
        }
        if (!first)
            continue;
        struct aib_cmp_grid g = {.ncols = 2 + 3 * n - 2, .align = align};
        memset(align, 'r', sizeof align);
        align[0] = align[1] = 'l';
        for (size_t c = 1; c < n; c++)
            align[2 + 3 * c] = 'l'; /* verdicts */
        align[g.ncols] = '\0';
        if (aib_cmp_grid_row(&g))
            return AIB_ENOMEM;
        aib_cmp_grid_set(&g, 0, "DEVICE");
        aib_cmp_grid_set(&g, 1, "PARAMS");
        for (size_t c = 0; c < n; c++) {
            size_t at = c ? 3 * c : 2;
            head(&g, at, &cols[c]);
            if (c) {
                aib_cmp_grid_set(&g, at + 1, "%s/#1", cols[c].label);
                aib_cmp_grid_set(&g, at + 2, "VERDICT");
            }
        }
        for (size_t k = i; k < nw->nrows; k++) {
            const struct aib_nrow *r = &nw->rows[k];
            const struct aib_result *key = NULL;
            for (size_t c = 0; c < n && !key; c++)
                key = r->cell[c];
            if (strcmp(key->workload, key0->workload) != 0)
                continue;
            if (aib_cmp_grid_row(&g)) {
                aib_cmp_grid_free(&g);
                return AIB_ENOMEM;
            }
            aib_cmp_grid_set(&g, 0, "%s", key->device);
            aib_cmp_grid_set(&g, 1, "%s", key->params[0] ? key->params : "-");
            for (size_t c = 0; c < n; c++) {
                size_t at = c ? 3 * c : 2;
                aib_cmp_grid_set(&g, at, "%s", fmt_cell(r->cell[c], buf, sizeof buf));
                if (!c)
                    continue;
                if (isfinite(r->speedup[c]))
                    aib_cmp_grid_set(&g, at + 1, "%.2fx", r->speedup[c]);
                else
                    aib_cmp_grid_set(&g, at + 1, "-");
                aib_cmp_grid_set(&g, at + 2, "%s", verdict_text(r, c));
            }
        }
        fprintf(f, "\n%s (%s)\n", key0->workload, aib_workload_category(key0->workload));
        aib_cmp_grid_print(f, &g);
        aib_cmp_grid_free(&g);
    }
    return 0;
}

/* Why column c has no perf/W for some ok result (NULL: it has one for all). */
static const char *col_no_energy(const struct aib_cmp_col *col, bool *any)
{
    const char *why = NULL;
    for (size_t i = 0; i < col->nres; i++) {
        const char *w = NULL;
        if (isfinite(aib_result_perf_per_watt(&col->res[i], &w)))
            *any = true;
        else if (!why && aib_rcmd_is_ok(&col->res[i]))
            why = w;
    }
    return why;
}

/* "#1, #2: reason; #3: other reason": each reason once, with its columns. */
static void no_energy_reasons(const struct aib_cmp_col *cols, size_t n, const char **why,
                              char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < n && used + 1 < len; c++) {
        bool seen = !why[c];
        for (size_t k = 0; k < c && !seen; k++)
            seen = why[k] && strcmp(why[k], why[c]) == 0;
        if (seen)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s", used ? "; " : "");
        for (size_t k = c; k < n && used + 1 < len; k++)
            if (why[k] && strcmp(why[k], why[c]) == 0)
                used += (size_t)snprintf(buf + used, len - used, "%s%s", k == c ? "" : ", ",
                                         cols[k].label);
        if (used + 1 < len)
            used += (size_t)snprintf(buf + used, len - used, ": %s", why[c]);
    }
}

/* Per result perf/W when any was measured; else one line with the reasons. */
static int per_watt_table(FILE *f, const struct aib_cmp_col *cols, size_t n,
                          const struct aib_nway *nw)
{
    char align[4 + n], reasons[1024];
    const char *why[n];
    bool any = false;
    struct aib_cmp_grid g = {.ncols = 3 + n, .align = align};
    memset(align, 'r', sizeof align);
    align[0] = align[1] = align[2] = 'l';
    align[3 + n] = '\0';
    for (size_t c = 0; c < n; c++)
        why[c] = col_no_energy(&cols[c], &any);
    no_energy_reasons(cols, n, why, reasons, sizeof reasons);
    if (!any) {
        fprintf(f, "\nperf per watt: " NO_ENERGY " (%s)\n", reasons[0] ? reasons : "no results");
        return 0;
    }
    if (aib_cmp_grid_row(&g))
        return AIB_ENOMEM;
    aib_cmp_grid_set(&g, 0, "WORKLOAD");
    aib_cmp_grid_set(&g, 1, "DEVICE");
    aib_cmp_grid_set(&g, 2, "PARAMS");
    for (size_t c = 0; c < n; c++)
        head(&g, 3 + c, &cols[c]);
    for (size_t i = 0; i < nw->nrows; i++) {
        const struct aib_nrow *r = &nw->rows[i];
        const struct aib_result *key = NULL;
        for (size_t c = 0; c < n && !key; c++)
            key = r->cell[c];
        if (aib_cmp_grid_row(&g)) {
            aib_cmp_grid_free(&g);
            return AIB_ENOMEM;
        }
        aib_cmp_grid_set(&g, 0, "%s", key->workload);
        aib_cmp_grid_set(&g, 1, "%s", key->device);
        aib_cmp_grid_set(&g, 2, "%s", key->params[0] ? key->params : "-");
        for (size_t c = 0; c < n; c++) {
            const char *why = NULL, *unit = NULL;
            double pw = r->cell[c] ? aib_result_perf_per_watt(r->cell[c], &why) : NAN;
            if (r->cell[c])
                aib_result_perf(r->cell[c], &unit);
            if (isfinite(pw))
                aib_cmp_grid_set(&g, 3 + c, "%.4g %s/W", pw, unit);
            else
                aib_cmp_grid_set(&g, 3 + c, "%s", r->cell[c] && aib_rcmd_is_ok(r->cell[c]) ? NO_ENERGY
                                                                                   : "-");
        }
    }
    fputs("\nperf per watt (work per second / average power over the profiled time):\n", f);
    aib_cmp_grid_print(f, &g);
    if (reasons[0])
        fprintf(f, NO_ENERGY ": %s\n", reasons);
    aib_cmp_grid_free(&g);
    return 0;
}

static int score_table(FILE *f, const struct aib_cmp_col *cols, size_t n,
                       const struct aib_score *sc, size_t nsc, bool priced)
{
    char align[4 + n];
    struct aib_cmp_grid g = {.ncols = 3 + n, .align = align};
    memset(align, 'r', sizeof align);
    align[0] = align[2] = 'l';
    align[3 + n] = '\0';
    if (nsc == 0) {
        fputs("\nscores: no category has results present and ok in every run\n", f);
        return 0;
    }
    if (aib_cmp_grid_row(&g))
        return AIB_ENOMEM;
    aib_cmp_grid_set(&g, 0, "CATEGORY");
    aib_cmp_grid_set(&g, 1, "RESULTS");
    aib_cmp_grid_set(&g, 2, "MEASURE");
    for (size_t c = 0; c < n; c++)
        head(&g, 3 + c, &cols[c]);
    for (size_t k = 0; k < nsc; k++) {
        const struct aib_score *s = &sc[k];
        for (int m = 0; m < (priced ? 3 : 2); m++) {
            if (aib_cmp_grid_row(&g)) {
                aib_cmp_grid_free(&g);
                return AIB_ENOMEM;
            }
            aib_cmp_grid_set(&g, 0, "%s", s->category);
            aib_cmp_grid_set(&g, 1, "%zu", s->nrows);
            size_t ref = m == 1 ? s->per_watt_ref : m == 2 ? s->per_dollar_ref : 0;
            if (m == 0 || ref >= n)
                aib_cmp_grid_set(&g, 2, "%s", m == 0 ? "speed vs #1" : m == 1 ? "perf/W" : "perf/$");
            else
                aib_cmp_grid_set(&g, 2, "%s vs %s", m == 1 ? "perf/W" : "perf/$", cols[ref].label);
            for (size_t c = 0; c < n; c++) {
                double v = m == 0 ? s->speed[c] : m == 1 ? s->per_watt[c] : s->per_dollar[c];
                if (isfinite(v))
                    aib_cmp_grid_set(&g, 3 + c, "%.2fx", v);
                else
                    aib_cmp_grid_set(&g, 3 + c, "%s", m == 1 ? NO_ENERGY : m == 2 ? "no price" : "-");
            }
        }
    }
    fputs("\nscores (geometric mean over the results present and ok in every run):\n", f);
    aib_cmp_grid_print(f, &g);
    aib_cmp_grid_free(&g);
    return 0;
}

/* Per column after the first: how its rows compare with #1. */
enum { S_SAME, S_FASTER, S_SLOWER, S_INCONCLUSIVE, S_MISSING, S_ONLY, S_N };
static const char *const sum_text[S_N] = {"same", "faster", "slower", "inconclusive",
                                          "missing here", "only here"};
static const char *const sum_json[S_N] = {"same", "faster", "slower", "inconclusive",
                                          "missing", "only_here"};

static void summarize(const struct aib_nway *nw, size_t c, size_t count[S_N])
{
    memset(count, 0, S_N * sizeof *count);
    for (size_t i = 0; i < nw->nrows; i++) {
        const struct aib_nrow *r = &nw->rows[i];
        if (r->cell[0] && r->cell[c])
            count[r->verdict[c]]++;
        else if (r->cell[0])
            count[S_MISSING]++;
        else if (r->cell[c])
            count[S_ONLY]++;
    }
}

static int nway_text(struct aib_cli *cli, const struct aib_cmp_args *a,
                     const struct aib_cmp_dbs *dbs, const struct aib_cmp_col *cols, size_t n,
                     const struct aib_nway *nw, const struct aib_score *sc, size_t nsc)
{
    FILE *f = cli->out;
    size_t count[S_N];
    legend(f, cols, n, a->tol);
    if (workload_tables(f, cols, n, nw) || per_watt_table(f, cols, n, nw) ||
        score_table(f, cols, n, sc, nsc, a->nprices > 0)) {
        aib_cli_error(cli, "out of memory printing the comparison");
        return 1;
    }
    fputc('\n', f);
    for (size_t c = 1; c < n; c++) {
        summarize(nw, c, count);
        fprintf(f, "summary %s vs #1:", cols[c].label);
        for (int b = 0; b < S_N; b++)
            fprintf(f, "%s %zu %s", b ? "," : "", count[b], sum_text[b]);
        fputc('\n', f);
    }
    fprintf(f, "database: %s\n", dbs->path[0]);
    if (dbs->s[1])
        fprintf(f, "database b: %s\n", dbs->path[1]);
    return 0;
}

/* --- JSON -------------------------------------------------------------------------- */

static void json_cell(struct aib_json *j, const struct aib_nrow *r, size_t c, double price)
{
    const struct aib_result *x = r->cell[c];
    const char *why = NULL, *unit = NULL;
    if (!x) {
        aib_json_null(j);
        return;
    }
    double pw = aib_result_perf_per_watt(x, &why), perf = aib_result_perf(x, &unit);
    aib_json_obj_begin(j);
    aib_json_kstr(j, "verdict", c == 0 ? "baseline" : verdict_text(r, c));
    aib_json_knum(j, "speedup", r->speedup[c]);
    aib_json_knum(j, "perf", perf);
    aib_json_kstr(j, "perf_unit", unit);
    aib_json_knum(j, "perf_per_usd", price > 0 ? perf / price : NAN);
    aib_json_knum(j, "perf_per_watt", pw);
    if (isfinite(pw))
        aib_json_kstr(j, "perf_per_watt_unit", unit);
    else
        aib_json_kstr(j, "no_energy", why);
    aib_json_key(j, "result");
    aib_rcmd_json_result(j, x, false);
    aib_json_obj_end(j);
}

static void json_cols_array(struct aib_json *j, const char *key, const double *v, size_t n)
{
    aib_json_key(j, key);
    aib_json_arr_begin(j);
    for (size_t c = 0; c < n; c++)
        aib_json_num(j, v[c]);
    aib_json_arr_end(j);
}

static void nway_json(struct aib_cli *cli, const struct aib_cmp_args *a,
                      const struct aib_cmp_dbs *dbs, const struct aib_cmp_col *cols, size_t n,
                      const struct aib_nway *nw, const struct aib_score *sc, size_t nsc)
{
    struct aib_json j;
    size_t count[S_N];
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", dbs->path[0]);
    aib_json_kstr(&j, "database_b", dbs->s[1] ? dbs->path[1] : NULL);
    aib_json_knum(&j, "tolerance", a->tol);
    aib_json_key(&j, "columns");
    aib_json_arr_begin(&j);
    for (size_t c = 0; c < n; c++) {
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "label", cols[c].label);
        aib_json_kstr(&j, "spec", cols[c].spec);
        aib_json_kstr(&j, "database", cols[c].db ? "b" : "a");
        aib_json_kstr(&j, "device", cols[c].device[0] ? cols[c].device : NULL);
        aib_json_knum(&j, "price_usd", cols[c].price);
        aib_json_key(&j, "run");
        aib_rcmd_json_run(&j, &cols[c].run, false);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_key(&j, "rows");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < nw->nrows; i++) {
        const struct aib_nrow *r = &nw->rows[i];
        const struct aib_result *key = NULL;
        for (size_t c = 0; c < n && !key; c++)
            key = r->cell[c];
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "workload", key->workload);
        aib_json_kstr(&j, "category", aib_workload_category(key->workload));
        aib_json_kstr(&j, "device", key->device);
        aib_json_kstr(&j, "params", key->params);
        aib_json_kbool(&j, "in_all_runs", r->common);
        aib_json_key(&j, "cells");
        aib_json_arr_begin(&j);
        for (size_t c = 0; c < n; c++)
            json_cell(&j, r, c, cols[c].price);
        aib_json_arr_end(&j);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_key(&j, "scores");
    aib_json_arr_begin(&j);
    for (size_t k = 0; k < nsc; k++) {
        const struct aib_score *s = &sc[k];
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "category", s->category);
        aib_json_kint(&j, "results", (int64_t)s->nrows);
        json_cols_array(&j, "speed", s->speed, n);
        json_cols_array(&j, "perf_per_watt", s->per_watt, n);
        aib_json_kstr(&j, "perf_per_watt_against",
                      s->per_watt_ref < n ? cols[s->per_watt_ref].label : NULL);
        aib_json_key(&j, "no_energy");
        aib_json_arr_begin(&j);
        for (size_t c = 0; c < n; c++)
            aib_json_str(&j, s->no_energy[c]);
        aib_json_arr_end(&j);
        json_cols_array(&j, "perf_per_dollar", s->per_dollar, n);
        aib_json_kstr(&j, "perf_per_dollar_against",
                      s->per_dollar_ref < n ? cols[s->per_dollar_ref].label : NULL);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_key(&j, "summary");
    aib_json_arr_begin(&j);
    for (size_t c = 1; c < n; c++) {
        summarize(nw, c, count);
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "column", cols[c].label);
        for (int b = 0; b < S_N; b++)
            aib_json_kint(&j, sum_json[b], (int64_t)count[b]);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

int aib_cmp_nway(struct aib_cli *cli, const struct aib_cmp_args *a, const struct aib_cmp_dbs *dbs,
                 const struct aib_cmp_col *cols, size_t ncols, const struct aib_nway *nw)
{
    struct aib_score *sc = NULL;
    size_t nsc = 0;
    double prices[ncols];
    int rc = 0;
    for (size_t c = 0; c < ncols; c++)
        prices[c] = cols[c].price;
    if (aib_compare_scores(nw, prices, &sc, &nsc)) {
        aib_cli_error(cli, "out of memory scoring the comparison");
        return 1;
    }
    if (a->json)
        nway_json(cli, a, dbs, cols, ncols, nw, sc, nsc);
    else
        rc = nway_text(cli, a, dbs, cols, ncols, nw, sc, nsc);
    aib_scores_free(sc, nsc);
    return rc;
}
