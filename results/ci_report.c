/* Reports of the CI gate: the text table (stdout), JSON and a Markdown
 * summary for a pull-request comment, and writing a report file safely.
 * The JUnit XML writer is in ci_junit.c. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/json.h"
#include "ci.h"
#include "cmd_common.h"

/* Regressions and failures first, then what needs a look, then the rest. */
static const enum aib_ci_verdict order[AIB_CI_NVERDICTS] = {
    AIB_CI_FAILED, AIB_CI_REGRESSED, AIB_CI_INCONCLUSIVE, AIB_CI_IMPROVED,
    AIB_CI_NEW,    AIB_CI_MISSING,   AIB_CI_UNCHANGED};

static const struct aib_result *key_of(const struct aib_ci_row *row)
{
    return row->cur ? row->cur : row->base;
}

/* Throughput when the workload has one, else the median time. */
static const char *fmt_side(const struct aib_result *r, char *buf, size_t len)
{
    if (!r)
        return "-";
    if (!aib_rcmd_is_ok(r))
        return r->status;
    return aib_rcmd_has_tput(r) ? aib_rcmd_fmt_tput(r, buf, len)
                                : aib_rcmd_fmt_secs(r->st.median, buf, len);
}

static const char *fmt_p(const struct aib_ci_row *row, char *buf, size_t len)
{
    if (!row->tested)
        return "-";
    snprintf(buf, len, "%.2g", row->mwu.p);
    return buf;
}

static const char *status_word(int status)
{
    switch (status) {
    case 0: return "PASS";
    case 1: return "FAIL: a result regressed";
    case 2: return "ERROR: a result failed";
    default: return "FAIL: inconclusive results (--fail-on-inconclusive)";
    }
}

static void run_line(FILE *f, const char *tag, const struct aib_run *r)
{
    char when[32];
    fprintf(f, "%s run %lld (%.8s), %s, suite %s", tag, (long long)r->id, r->uuid,
            aib_rcmd_fmt_time(r->started, when, sizeof when), r->suite[0] ? r->suite : "-");
    if (r->git_commit[0])
        fprintf(f, ", commit %.12s%s%s", r->git_commit, r->git_branch[0] ? " on " : "",
                r->git_branch);
    fputc('\n', f);
}

static void summary_line(FILE *f, const struct aib_ci_report *r)
{
    for (int i = 0; i < AIB_CI_NVERDICTS; i++)
        fprintf(f, "%s%zu %s", i ? ", " : "", r->count[order[i]],
                aib_ci_verdict_name(order[i]));
}

/* --- text ----------------------------------------------------------------- */

static void text_row(const void *ctx, size_t i, struct aib_rcmd_row *row)
{
    static const char *const head[] = {"WORKLOAD", "DEVICE", "PARAMS", "BASELINE",
                                       "CURRENT",  "TIME",   "P",      "VERDICT"};
    char buf[48];
    if (i == 0) {
        aib_rcmd_put_header(row, head, 8);
        return;
    }
    const struct aib_ci_row *r = (const struct aib_ci_row *)ctx + i - 1;
    const struct aib_result *k = key_of(r);
    aib_rcmd_put(row, 0, k->workload);
    aib_rcmd_put(row, 1, k->device);
    aib_rcmd_put(row, 2, k->params);
    aib_rcmd_put(row, 3, fmt_side(r->base, buf, sizeof buf));
    aib_rcmd_put(row, 4, fmt_side(r->cur, buf, sizeof buf));
    aib_rcmd_put(row, 5, aib_ci_fmt_change(r->ratio, buf, sizeof buf));
    aib_rcmd_put(row, 6, fmt_p(r, buf, sizeof buf));
    aib_rcmd_put(row, 7, aib_ci_verdict_name(r->verdict));
    if (r->verdict != AIB_CI_UNCHANGED) {
        row->note_prefix = "    ";
        row->note = r->reason;
    }
}

void aib_ci_write_text(FILE *f, const struct aib_ci_report *r)
{
    run_line(f, "baseline:", r->base);
    run_line(f, "current: ", r->cur);
    fprintf(f, "threshold: %g%% slower (--max-regression), alpha %g\n\n",
            r->opts.max_regression * 100, r->opts.alpha);
    if (r->n)
        aib_rcmd_tbl_print(f, "lllrrrrl", r->n, text_row, r->rows);
    else
        fputs("no results in either run\n", f);
    fputs("\nsummary: ", f);
    summary_line(f, r);
    fprintf(f, "\nci: %s (exit %d)\n", status_word(r->status), r->status);
}

/* --- JSON ------------------------------------------------------------------ */

static void json_run(struct aib_json *j, const char *key, const struct aib_run *r)
{
    aib_json_key(j, key);
    aib_json_obj_begin(j);
    aib_json_kint(j, "id", r->id);
    aib_json_kstr(j, "uuid", r->uuid);
    aib_json_kstr(j, "status", r->status);
    aib_json_kstr(j, "suite", r->suite);
    aib_json_kstr(j, "host", r->host);
    aib_json_knum(j, "started", r->started);
    aib_json_kstr(j, "git_commit", r->git_commit);
    aib_json_kstr(j, "git_branch", r->git_branch);
    aib_json_kstr(j, "fingerprint", r->fingerprint);
    aib_json_obj_end(j);
}

static void json_side(struct aib_json *j, const char *key, const struct aib_result *r,
                      size_t reps, double lo, double hi, double probe)
{
    aib_json_key(j, key);
    if (!r) {
        aib_json_null(j);
        return;
    }
    aib_json_obj_begin(j);
    aib_json_kint(j, "result_id", r->id);
    aib_json_kstr(j, "status", r->status);
    aib_json_kint(j, "n", (int64_t)r->nsamples);
    aib_json_kint(j, "repetitions", (int64_t)reps);
    aib_json_knum(j, "repetition_fast_min", lo);
    aib_json_knum(j, "repetition_fast_max", hi);
    aib_json_knum(j, "probe_s", probe); /* null when the run has no probe */
    aib_json_knum(j, "median", r->st.median);
    aib_json_knum(j, "ci_lo", r->st.ci_lo);
    aib_json_knum(j, "ci_hi", r->st.ci_hi);
    aib_json_knum(j, "throughput", r->throughput);
    aib_json_kstr(j, "unit", r->unit);
    aib_json_obj_end(j);
}

void aib_ci_write_json(FILE *f, const struct aib_ci_report *r)
{
    struct aib_json j;
    aib_json_init(&j, f, true);
    aib_json_obj_begin(&j);
    aib_json_kint(&j, "exit_status", r->status);
    aib_json_kstr(&j, "suite", r->cur->suite);
    aib_json_knum(&j, "max_regression", r->opts.max_regression);
    aib_json_knum(&j, "alpha", r->opts.alpha);
    aib_json_kbool(&j, "fail_on_inconclusive", r->opts.fail_on_inconclusive);
    json_run(&j, "baseline", r->base);
    json_run(&j, "current", r->cur);
    aib_json_key(&j, "summary");
    aib_json_obj_begin(&j);
    for (int i = 0; i < AIB_CI_NVERDICTS; i++)
        aib_json_kint(&j, aib_ci_verdict_name(order[i]), (int64_t)r->count[order[i]]);
    aib_json_obj_end(&j);
    aib_json_key(&j, "results");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < r->n; i++) {
        const struct aib_ci_row *row = &r->rows[i];
        const struct aib_result *k = key_of(row);
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "workload", k->workload);
        aib_json_kstr(&j, "device", k->device);
        aib_json_kstr(&j, "params", k->params);
        aib_json_kstr(&j, "verdict", aib_ci_verdict_name(row->verdict));
        aib_json_kstr(&j, "reason", row->reason);
        aib_json_knum(&j, "ratio", row->ratio);
        aib_json_knum(&j, "ratio_fast", row->ratio_fast);
        aib_json_knum(&j, "noise", row->noise);
        aib_json_knum(&j, "probe_ratio", row->probe_ratio);
        aib_json_knum(&j, "probe_ratio_max", row->probe_max);
        aib_json_knum(&j, "probe_ratio_min", row->probe_min);
        if (row->tested) {
            aib_json_key(&j, "mann_whitney");
            aib_json_obj_begin(&j);
            aib_json_knum(&j, "u", row->mwu.u);
            aib_json_knum(&j, "z", row->mwu.z);
            aib_json_knum(&j, "p", row->mwu.p);
            aib_json_kbool(&j, "exact", row->mwu.exact);
            aib_json_obj_end(&j);
        }
        json_side(&j, "baseline", row->base, row->base_reps, row->base_rep_lo, row->base_rep_hi,
                  row->base_probe);
        json_side(&j, "current", row->cur, row->cur_reps, row->cur_rep_lo, row->cur_rep_hi,
                  row->cur_probe);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

/* --- Markdown --------------------------------------------------------------- */

/* GitHub rejects comments over 65536 characters: cap the rows. */
#define MD_MAX_ROWS 150

/* A table cell: '|' would end the cell and a newline the row. */
static void md_cell(FILE *f, const char *s, bool code)
{
    fputs(code ? " `" : " ", f);
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : *s == '\n' ? " " : (char[2]){*s, 0}, f);
    fputs(code ? "` |" : " |", f);
}

static void md_table(FILE *f, const struct aib_ci_report *r, enum aib_ci_verdict v, size_t *shown)
{
    char b1[48], b2[48], b3[32], b4[32];
    fputs("\n| verdict | workload | device | params | baseline | current | time | p |\n"
          "|---|---|---|---|--:|--:|--:|--:|\n",
          f);
    for (size_t i = 0; i < r->n; i++) {
        const struct aib_ci_row *row = &r->rows[i];
        if (row->verdict != v || (*shown)++ >= MD_MAX_ROWS)
            continue;
        const struct aib_result *k = key_of(row);
        fprintf(f, "| %s%s%s |", v == AIB_CI_REGRESSED || v == AIB_CI_FAILED ? "**" : "",
                aib_ci_verdict_name(v), v == AIB_CI_REGRESSED || v == AIB_CI_FAILED ? "**" : "");
        md_cell(f, k->workload, false);
        md_cell(f, k->device, false);
        md_cell(f, k->params, true);
        md_cell(f, fmt_side(row->base, b1, sizeof b1), false);
        md_cell(f, fmt_side(row->cur, b2, sizeof b2), false);
        md_cell(f, aib_ci_fmt_change(row->ratio, b3, sizeof b3), false);
        md_cell(f, fmt_p(row, b4, sizeof b4), false);
        fputc('\n', f);
    }
}

static void md_run(FILE *f, const struct aib_run *r)
{
    fprintf(f, "run %lld", (long long)r->id);
    if (r->git_commit[0])
        fprintf(f, " (`%.12s`%s%s%s)", r->git_commit, r->git_branch[0] ? " on `" : "",
                r->git_branch, r->git_branch[0] ? "`" : "");
}

void aib_ci_write_markdown(FILE *f, const struct aib_ci_report *r)
{
    size_t shown = 0;
    fprintf(f, "### aibench ci: %s\n\n", status_word(r->status));
    fprintf(f, "Suite `%s`: ", r->cur->suite[0] ? r->cur->suite : "-");
    md_run(f, r->cur);
    fputs(" against baseline ", f);
    md_run(f, r->base);
    fprintf(f, ". A result regresses when its median time and its fastest 10%% both grow by "
               "more than %g%%, the Mann-Whitney U test gives p < %g, and its repetitions "
               "agree.\n\n",
            r->opts.max_regression * 100, r->opts.alpha);
    for (int i = 0; i < AIB_CI_NVERDICTS; i++)
        fprintf(f, "%s**%zu** %s", i ? " · " : "", r->count[order[i]],
                aib_ci_verdict_name(order[i]));
    fputc('\n', f);
    /* What needs attention in the open; the rest folded away. */
    for (int i = 0; i < AIB_CI_NVERDICTS; i++) {
        enum aib_ci_verdict v = order[i];
        bool fold = v != AIB_CI_REGRESSED && v != AIB_CI_FAILED;
        if (!r->count[v])
            continue;
        if (fold)
            fprintf(f, "\n<details><summary>%zu %s</summary>\n", r->count[v],
                    aib_ci_verdict_name(v));
        md_table(f, r, v, &shown);
        if (fold)
            fputs("\n</details>\n", f);
    }
    if (shown > MD_MAX_ROWS)
        fprintf(f, "\n%zu more rows are in the JSON report.\n", shown - MD_MAX_ROWS);
}

/* --- files -------------------------------------------------------------------- */

static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int aib_ci_check_output(const char *opt, const char *path, struct aib_err *err)
{
    char dir[4096];
    struct stat st;
    if (!path || !*path)
        return aib_err_set(err, AIB_EUSAGE, "%s needs a file name", opt);
    if (strlen(path) >= sizeof dir - 32)
        return aib_err_set(err, AIB_EUSAGE, "%s: path too long", opt);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "%s %s: is a directory", opt, path);
    dir_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "%s %s: directory %s does not exist", opt, path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return aib_err_set(err, AIB_EUSAGE, "%s %s: directory %s is not writable", opt, path,
                           dir);
    return 0;
}

int aib_ci_write_file(const char *path, aib_ci_writer w, const struct aib_ci_report *r,
                      struct aib_err *err)
{
    char tmp[4200], eb[128];
    FILE *f = NULL;
    int rc = 0;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return aib_err_set(err, AIB_EUSAGE, "cannot write %s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path,
                           strerror_r(errno, eb, sizeof eb));
    /* Reports are for sharing (CI artifacts), unlike the database. */
    if (fchmod(fd, 0644) != 0 || !(f = fdopen(fd, "w"))) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path,
                         strerror_r(errno, eb, sizeof eb));
        close(fd);
        goto cleanup;
    }
    w(f, r);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path,
                         strerror_r(errno ? errno : EIO, eb, sizeof eb));
        goto cleanup;
    }
    if (rename(tmp, path) != 0)
        rc = aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path,
                         strerror_r(errno, eb, sizeof eb));
cleanup:
    if (rc)
        unlink(tmp);
    return rc;
}
