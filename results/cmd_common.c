/* Helpers shared by the `results` and `compare` commands (declared in
 * cmd_common.h): option parsing, opening the database read-only, cell
 * formatting, the text table and the JSON objects for runs and results. */
#include "cmd_common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../bench/fmt.h"

/* --- options and the database --------------------------------------------- */

int aib_rcmd_parse_opts(struct aib_cli *cli, const char *cmd, const char *usage, bool allow_tol,
                        int max_pos, int argc, char **argv, struct aib_rcmd_opts *o)
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

int aib_rcmd_exit_for(int code) { return code == AIB_EUSAGE ? 2 : 1; }

int aib_rcmd_open_db(struct aib_cli *cli, bool allow_missing, char *path, size_t len,
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
    return aib_rcmd_exit_for(err.code);
}

/* --- formatting helpers --------------------------------------------------- */

const char *aib_rcmd_fmt_time(double unix_s, char *buf, size_t len)
{
    /* Checked here because aib_fmt_time() casts to time_t, and a NaN or
     * out-of-range value makes that cast undefined; 0 is a time never set. */
    if (!isfinite(unix_s) || unix_s <= 0 || unix_s > 1e15)
        return "-";
    return aib_fmt_time(unix_s, buf, len);
}

/* Three or four significant digits, the way a person reads a table; the
 * time and throughput columns use the same. One more digit than
 * aib_fmt_seconds(), which is why the time column does not use that. */
static int digits(double v) { return v >= 100 ? 1 : v >= 10 ? 2 : 3; }

const char *aib_rcmd_fmt_secs(double s, char *buf, size_t len)
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

bool aib_rcmd_has_tput(const struct aib_result *r)
{
    return r->unit[0] && isfinite(r->throughput) && r->throughput > 0;
}

const char *aib_rcmd_fmt_tput(const struct aib_result *r, char *buf, size_t len)
{
    if (!aib_rcmd_has_tput(r))
        return "-";
    snprintf(buf, len, "%.*f %s", digits(r->throughput), r->throughput, r->unit);
    return buf;
}

bool aib_rcmd_is_ok(const struct aib_result *r) { return strcmp(r->status, AIB_STATUS_OK) == 0; }

/* --- the text table ------------------------------------------------------- */

/* Columns measured in characters, not bytes ("±" is two bytes). */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* The first pass measures, the second prints. */
void aib_rcmd_tbl_print(FILE *f, const char *align, size_t nrows, aib_rcmd_fill fill,
                        const void *ctx)
{
    size_t ncols = strlen(align), w[AIB_RCMD_TBL_COLS] = {0};
    struct aib_rcmd_row row;
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

void aib_rcmd_put(struct aib_rcmd_row *row, size_t c, const char *s)
{
    snprintf(row->cell[c], AIB_RCMD_TBL_CELL, "%s", s && *s ? s : "-");
}

void aib_rcmd_put_header(struct aib_rcmd_row *row, const char *const *names, size_t n)
{
    for (size_t c = 0; c < n; c++)
        aib_rcmd_put(row, c, names[c]);
}

/* --- JSON pieces ------------------------------------------------------------- */

void aib_rcmd_json_run(struct aib_json *j, const struct aib_run *run, bool env)
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

void aib_rcmd_json_result(struct aib_json *j, const struct aib_result *r, bool samples)
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
    aib_json_key(j, "metrics");
    aib_json_obj_begin(j);
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct aib_metric *m = &r->metrics[i];
        aib_json_key(j, m->name);
        aib_json_obj_begin(j);
        if (m->valid)
            aib_json_knum(j, "value", m->value);
        else
            aib_json_kstr(j, "missing", m->note);
        aib_json_kstr(j, "unit", m->unit);
        if (m->valid && m->note[0])
            aib_json_kstr(j, "note", m->note);
        aib_json_obj_end(j);
    }
    aib_json_obj_end(j);
    if (samples) {
        aib_json_key(j, "samples");
        aib_json_arr_begin(j);
        for (size_t i = 0; i < r->nsamples; i++)
            aib_json_num(j, r->samples[i]);
        aib_json_arr_end(j);
    }
    aib_json_obj_end(j);
}
