/* `aibench roofline RUN [--svg FILE] [--json] [--run-only]`: the roofline
 * of every device of a run (roofline.h) as a terminal chart with a table
 * of points, as JSON, and as a standalone SVG file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "report.h"
#include "svg.h"

static const char roofline_usage[] =
    "usage: aibench [--db PATH] roofline RUN [--svg FILE] [--json] [--run-only]\n"
    "\n"
    "Places every compute result of RUN (GFLOP/s: matmul, conv) on the roofline\n"
    "of its device and says what bounds it. Per device, the ceilings are measured:\n"
    "  compute, per precision: the fastest peak (aibench run peak: FMA chains) or\n"
    "    matmul result of that precision in RUN or in any other run of the same\n"
    "    host (same fingerprint); without one, the device's declared peak\n"
    "    (aibench devices: peak_fp32_gflops ...)\n"
    "  memory: the fastest membw result (STREAM bytes) whose working set is main\n"
    "    memory (over twice the last-level cache, else the largest measured); a\n"
    "    faster cache-sized membw result is drawn as a cache roof, for context\n"
    "A point at intensity I (flop/byte: counted bytes where stored, else bytes\n"
    "the workload declares, else the compulsory traffic of its operands) and\n"
    "speed T has the roof R = min(peak, I x bandwidth). At T >= 50% of R it is\n"
    "compute-bound (the flat part limits R) or memory-bound (the slope does);\n"
    "below, neither: latency, launches, synchronisation or IO take the time.\n"
    "\n"
    "options:\n"
    "  --svg FILE   also write the chart(s) as a standalone SVG file\n"
    "  --json       print the ceilings and points as JSON instead of the chart\n"
    "  --run-only   take ceilings from RUN only, not from other runs of its host\n"
    "  -h, --help   print this help\n"
    "\n"
    "Exit status 2 (one line, nothing written): an unknown run, a run with no\n"
    "compute result, an SVG file that cannot be written.\n"
    "\n" AIB_RCMD_DB_HELP;

struct roof_opts {
    const char *run, *svg;
    bool json, run_only;
};

/* -1 to go on, else the exit status. */
static int parse(struct aib_cli *cli, int argc, char **argv, struct roof_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(roofline_usage, cli->out);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--run-only") == 0) {
            o->run_only = true;
        } else if (strcmp(a, "--svg") == 0 || strncmp(a, "--svg=", 6) == 0) {
            o->svg = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;
            if (!o->svg || !*o->svg) {
                aib_cli_error(cli, "roofline: --svg needs a file name");
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            aib_cli_error(cli, "roofline: unknown option '%s' (see roofline --help)", a);
            return 2;
        } else if (!o->run) {
            o->run = a;
        } else {
            aib_cli_error(cli, "roofline: unexpected argument '%s' (see roofline --help)", a);
            return 2;
        }
    }
    if (!o->run) {
        aib_cli_error(cli, "roofline: missing RUN (see roofline --help)");
        return 2;
    }
    return -1;
}

/* --- text ------------------------------------------------------------------- */

struct pt_table {
    const struct aib_roofline *rl;
    const char *device;
    const struct aib_roof_point *pts[512];
    const char *params[512];
    size_t n;
    bool one_src; /* every point's intensity comes from the same place */
};

static void pt_row(const void *ctx, size_t i, struct aib_rcmd_row *row)
{
    static const char *const head[] = {"#",    "WORKLOAD", "PARAMS", "FLOP/B",
                                       "GFLOP/s", "ROOF",   "OF ROOF", "BOUND"};
    const struct pt_table *t = ctx;
    if (i == 0) {
        aib_rcmd_put_header(row, head, 8);
        return;
    }
    const struct aib_roof_point *p = t->pts[i - 1];
    bool placed = p->bound != AIB_ROOF_UNPLACED;
    snprintf(row->cell[0], AIB_RCMD_TBL_CELL, "%c", aib_report_point_mark(i - 1));
    aib_rcmd_put(row, 1, p->workload);
    char params[512];
    aib_report_varying(t->params, t->n, i - 1, params, sizeof params);
    aib_rcmd_put(row, 2, params);
    aib_rcmd_put(row, 3, NULL);
    if (p->intensity > 0)
        snprintf(row->cell[3], AIB_RCMD_TBL_CELL, "%.3g", p->intensity);
    snprintf(row->cell[4], AIB_RCMD_TBL_CELL, "%.4g", p->gflops);
    aib_rcmd_put(row, 5, NULL);
    aib_rcmd_put(row, 6, NULL);
    if (placed) {
        snprintf(row->cell[5], AIB_RCMD_TBL_CELL, "%.4g", p->roof);
        snprintf(row->cell[6], AIB_RCMD_TBL_CELL, "%.0f%%", p->fraction * 100);
    }
    aib_rcmd_put(row, 7, aib_roof_bound_name(p->bound));
    row->note_prefix = "     ";
    row->note = p->why;
}

static void device_text(FILE *f, const struct aib_roofline *rl, const char *device,
                        struct pt_table *t)
{
    char common[512];
    t->rl = rl, t->device = device, t->n = 0, t->one_src = true;
    for (size_t i = 0; i < rl->npts && t->n < 512; i++) {
        if (strcmp(rl->pts[i].device, device) != 0)
            continue;
        t->pts[t->n] = &rl->pts[i];
        t->params[t->n] = rl->pts[i].params;
        t->one_src &= strcmp(rl->pts[i].intensity_src, t->pts[0]->intensity_src) == 0;
        t->n++;
    }
    fprintf(f, "\n== %s ==\n\n", device);
    aib_report_ascii_roofline(f, rl, device);
    fputc('\n', f);
    aib_rcmd_tbl_print(f, "lllrrrrl", t->n, pt_row, t);
    aib_report_common(t->params, t->n, common, sizeof common);
    if (common[0])
        fprintf(f, "params of every point: %s\n", common);
    if (t->one_src)
        fprintf(f, "intensity: %s\n", t->pts[0]->intensity_src);
    else
        for (size_t i = 0; i < t->n; i++)
            fprintf(f, "intensity of %c: %s\n", aib_report_point_mark(i),
                    t->pts[i]->intensity_src);
}

static void roof_text(FILE *f, const struct aib_report_run *r, bool run_only)
{
    const char *ids[64];
    size_t nd = aib_roof_devices(&r->rl, ids, 64);
    struct pt_table *t = malloc(sizeof *t);
    fprintf(f, "roofline of run %lld  %.8s  host %s\n", (long long)r->run.id, r->run.uuid,
            r->run.host[0] ? r->run.host : "-");
    if (run_only)
        fprintf(f, "ceilings from this run only (--run-only)\n");
    else
        fprintf(f, "ceilings from this run and %zu other run%s of this host\n", r->nhost,
                r->nhost == 1 ? "" : "s");
    fprintf(f, "bound: at >= %.0f%% of the roof at its intensity, by the ceiling that sets it;"
               " below, neither\n",
            AIB_ROOF_BOUND_FRACTION * 100);
    for (size_t d = 0; t && d < nd; d++)
        device_text(f, &r->rl, ids[d], t);
    free(t);
}

/* --- JSON -------------------------------------------------------------------- */

static const char *kind_name(enum aib_roof_ceil_kind k)
{
    return k == AIB_CEIL_COMPUTE ? "compute" : k == AIB_CEIL_MEMORY ? "memory" : "cache";
}

static void roof_json(FILE *f, const struct aib_report_run *r, const char *path)
{
    struct aib_json j;
    const struct aib_roofline *rl = &r->rl;
    const char *ids[64];
    size_t nd = aib_roof_devices(rl, ids, 64);
    aib_json_init(&j, f, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "database", path);
    aib_json_key(&j, "run");
    aib_rcmd_json_run(&j, &r->run, false);
    aib_json_knum(&j, "bound_fraction", AIB_ROOF_BOUND_FRACTION);
    aib_json_kint(&j, "other_runs_of_host", (int64_t)r->nhost);
    aib_json_key(&j, "ceilings");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "device", c->device);
        aib_json_kstr(&j, "kind", kind_name(c->kind));
        if (c->kind == AIB_CEIL_COMPUTE)
            aib_json_kstr(&j, "precision", c->precision);
        aib_json_knum(&j, "value", c->value);
        aib_json_kstr(&j, "unit", c->kind == AIB_CEIL_COMPUTE ? "GFLOP/s" : "GB/s");
        aib_json_kbool(&j, "declared", c->declared);
        if (!c->declared) {
            aib_json_kint(&j, "run_id", c->run_id);
            aib_json_kint(&j, "result_id", c->result_id);
        }
        if (c->kind != AIB_CEIL_COMPUTE)
            aib_json_knum(&j, "working_set_bytes", c->working_set);
        aib_json_kstr(&j, "source", c->source);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_key(&j, "points");
    aib_json_arr_begin(&j);
    for (size_t d = 0; d < nd; d++) {
        for (size_t i = 0, k = 0; i < rl->npts; i++) {
            const struct aib_roof_point *p = &rl->pts[i];
            char mark[2] = {0};
            if (strcmp(p->device, ids[d]) != 0)
                continue;
            mark[0] = aib_report_point_mark(k++);
            aib_json_obj_begin(&j);
            aib_json_kint(&j, "result_id", p->result_id);
            aib_json_kint(&j, "index", (int64_t)p->index);
            aib_json_kstr(&j, "mark", mark);
            aib_json_kstr(&j, "workload", p->workload);
            aib_json_kstr(&j, "device", p->device);
            aib_json_kstr(&j, "params", p->params);
            aib_json_kstr(&j, "precision", p->precision);
            aib_json_knum(&j, "gflops", p->gflops);
            aib_json_knum(&j, "intensity", p->intensity > 0 ? p->intensity : NAN);
            aib_json_kstr(&j, "intensity_source", p->intensity_src);
            aib_json_knum(&j, "roof", p->roof > 0 ? p->roof : NAN);
            aib_json_knum(&j, "fraction", p->roof > 0 ? p->fraction : NAN);
            aib_json_kstr(&j, "bound", aib_roof_bound_name(p->bound));
            aib_json_kstr(&j, "why", p->why);
            aib_json_obj_end(&j);
        }
    }
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

/* --- SVG ----------------------------------------------------------------------- */

static void roof_svg(FILE *f, const struct aib_report_run *r)
{
    const char *ids[64];
    size_t nd = aib_roof_devices(&r->rl, ids, 64);
    struct aib_report_chart ch[64];
    double total = 0;
    char title[128];
    for (size_t d = 0; d < nd; d++) {
        ch[d] = (struct aib_report_chart){.kind = AIB_CHART_ROOFLINE, .rl = &r->rl,
                                          .device = ids[d]};
        snprintf(ch[d].title, sizeof ch[d].title, "Roofline of %s, run %lld (%.8s)", ids[d],
                 (long long)r->run.id, r->run.uuid);
        snprintf(ch[d].id, sizeof ch[d].id, "roof%zu", d);
        total += aib_report_chart_height(&ch[d]);
    }
    snprintf(title, sizeof title, "aibench roofline of run %lld", (long long)r->run.id);
    aib_svg_begin(f, AIB_REPORT_CHART_WIDTH, total, true, title);
    total = 0;
    for (size_t d = 0; d < nd; d++) {
        fprintf(f, "<g transform=\"translate(0 %.0f)\">\n", total);
        aib_report_chart_svg(f, &ch[d], false);
        fputs("</g>\n", f);
        total += aib_report_chart_height(&ch[d]);
    }
    aib_svg_end(f);
}

int aib_cmd_roofline(struct aib_cli *cli, int argc, char **argv)
{
    char path[4096];
    struct aib_store *s = NULL;
    struct aib_report_run r = {0};
    struct aib_outfile svg = {0};
    struct aib_err err = {0};
    struct roof_opts o;
    int rc = parse(cli, argc, argv, &o);
    if (rc >= 0 || (rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s)) >= 0)
        return rc;
    unsigned what = o.run_only ? 0 : AIB_REPORT_HOST_CEILINGS;
    if (aib_report_load(s, o.run, what, &r, &err) != 0) {
        aib_cli_error(cli, "%s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    if (r.rl.npts == 0) {
        aib_cli_error(cli, "run %lld has no compute results (GFLOP/s, status ok) to place on a"
                      " roofline: run matmul or conv", (long long)r.run.id);
        rc = 2;
        goto cleanup;
    }
    if (o.svg && aib_outfile_open(&svg, o.svg, &err) != 0) {
        aib_cli_error(cli, "roofline: %s", err.msg);
        rc = 2;
        goto cleanup;
    }
    if (o.svg) {
        roof_svg(svg.f, &r);
        if (aib_outfile_commit(&svg, &err) != 0) {
            aib_cli_error(cli, "roofline: %s", err.msg);
            rc = 2;
            goto cleanup;
        }
    }
    if (o.json)
        roof_json(cli->out, &r, path);
    else
        roof_text(cli->out, &r, o.run_only);
    if (o.svg && !o.json)
        fprintf(cli->out, "\nsvg: %s\n", o.svg);
    rc = 0;
cleanup:
    aib_outfile_abort(&svg);
    aib_report_run_free(&r);
    aib_store_close(s);
    return rc;
}
