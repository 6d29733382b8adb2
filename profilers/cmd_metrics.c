/* `aibench metrics`: what CUPTI can count on a chip, and how many replay
 * passes a metric set needs. Only CUPTI's host API is used (through the
 * CUDA plugin), so it works without a GPU or a driver given --chip. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/cli.h"
#include "../bench/json.h"
#include "../devices/cuda.h"
#include "cupti.h"

static void usage(FILE *f)
{
    fputs("usage: aibench metrics [--chip CHIP] [--pm] [--json] [FILTER]\n"
          "       aibench metrics [--chip CHIP] [--pm] [--json] --passes LIST|default\n"
          "\n"
          "Lists the base metrics CUPTI knows for a GPU chip, with their type, unit and\n"
          "description (those whose name contains FILTER, when given); or, with --passes,\n"
          "counts the replay passes a metric set needs. Uses CUPTI's host API only: no GPU\n"
          "is needed when --chip is given.\n"
          "\n"
          "A name to collect is a base metric with a rollup (.sum .avg .min .max) and an\n"
          "optional submetric (.per_second, .pct_of_peak_sustained_elapsed, ...); a ratio\n"
          "takes .ratio, .pct or .max_rate: dram__bytes_read.sum, sm__throughput.avg.pct_of_\n"
          "peak_sustained_elapsed. 'aibench run --metrics a,b,pm:c' collects them (docs/metrics.md).\n"
          "\n"
          "options:\n"
          "  --chip CHIP     the chip (GH100, GA100, AD102, ...; default: the first GPU's)\n"
          "  --pm            PM sampling (metrics sampled over time) instead of the range\n"
          "                  profiler (metrics over a replayed region)\n"
          "  --passes LIST   comma-separated metrics, or 'default' for aibench's default set:\n"
          "                  prints the passes the range profiler needs; with --pm, whether\n"
          "                  the set fits the one pass PM sampling takes (exit 1 when not)\n"
          "  --json          one JSON object instead of text\n"
          "  -h, --help      this help\n"
          "\n"
          "Exit status: 0 ok, 1 a PM set needs more than one pass, 2 bad input (unknown chip\n"
          "or metric, empty list), no CUPTI or CUDA plugin here, or no GPU and no --chip.\n",
          f);
}

struct metric_row {
    char *name, *description, *unit;
    int type;
};

struct metric_list {
    struct metric_row *rows;
    size_t n, cap;
    const char *filter;
    int oom;
};

static void collect(void *ctx, const struct aib_cupti_metric_info *m)
{
    struct metric_list *l = ctx;
    if (l->oom || (l->filter && !strstr(m->name, l->filter)))
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct metric_row *r = realloc(l->rows, cap * sizeof *r);
        if (!r) {
            l->oom = 1;
            return;
        }
        l->rows = r;
        l->cap = cap;
    }
    struct metric_row *r = &l->rows[l->n];
    r->name = strdup(m->name);
    r->description = strdup(m->description);
    r->unit = strdup(m->dim_unit);
    r->type = m->type;
    if (!r->name || !r->description || !r->unit) {
        free(r->name);
        free(r->description);
        free(r->unit);
        l->oom = 1;
        return;
    }
    l->n++;
}

static void list_free(struct metric_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].name);
        free(l->rows[i].description);
        free(l->rows[i].unit);
    }
    free(l->rows);
}

static const char *type_name(int t)
{
    return t == AIB_CUPTI_RATIO ? "ratio" : t == AIB_CUPTI_THROUGHPUT ? "throughput" : "counter";
}

static void print_list(FILE *f, const char *chip, int pm, const struct metric_list *l, int json)
{
    const char *prof = pm ? "pm_sampling" : "range_profiler";
    if (json) {
        struct aib_json j;
        aib_json_init(&j, f, true);
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "chip", chip);
        aib_json_kstr(&j, "profiler", prof);
        aib_json_key(&j, "metrics");
        aib_json_arr_begin(&j);
        for (size_t i = 0; i < l->n; i++) {
            aib_json_obj_begin(&j);
            aib_json_kstr(&j, "name", l->rows[i].name);
            aib_json_kstr(&j, "type", type_name(l->rows[i].type));
            aib_json_kstr(&j, "unit", l->rows[i].unit);
            aib_json_kstr(&j, "description", l->rows[i].description);
            aib_json_obj_end(&j);
        }
        aib_json_arr_end(&j);
        aib_json_obj_end(&j);
        aib_json_finish(&j);
        return;
    }
    fprintf(f, "%zu base metrics for %s on %s%s%s%s (add a rollup: .sum .avg .min .max)\n", l->n,
            pm ? "PM sampling" : "the range profiler", chip, l->filter ? " matching '" : "",
            l->filter ? l->filter : "", l->filter ? "'" : "");
    fprintf(f, "%-52s %-10s %-12s %s\n", "NAME", "TYPE", "UNIT", "DESCRIPTION");
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%-52s %-10s %-12s %s\n", l->rows[i].name, type_name(l->rows[i].type), l->rows[i].unit,
                l->rows[i].description);
}

/* --passes: 0, 1 (a PM set of more than one pass) or 2. */
static int count_passes(struct aib_cli *cli, const struct aib_cuda_plugin *pl, const char *chip, int pm,
                        const char *list, int json)
{
    struct aib_cupti_sets sets = {0};
    struct aib_err err = {0};
    const char *text = strcmp(list, "default") == 0 ? pl->cupti_defaults(pm ? AIB_CUPTI_PM : AIB_CUPTI_RANGE) : list;
    int status = 2;
    char why[512] = "";
    size_t passes = 0;
    if (aib_cupti_parse_metrics(text, &sets, &err)) {
        /* The parser speaks of --metrics; here the list is --passes. */
        int ours = strncmp(err.msg, "--metrics", 9) == 0;
        aib_cli_error(cli, "%s%s", ours ? "--passes" : "", ours ? err.msg + 9 : err.msg);
        goto cleanup;
    }
    if (sets.n_pm) {
        aib_cli_error(cli, "--passes: no 'pm:' prefix here (give --pm to count for PM sampling)");
        goto cleanup;
    }
    int rc = pl->cupti_check(chip, pm ? AIB_CUPTI_PM : AIB_CUPTI_RANGE, (const char *const *)sets.range,
                             sets.n_range, &passes, why, sizeof why);
    if (rc) {
        aib_cli_error(cli, "%s", why);
        status = rc == AIB_CUPTI_EBADNAME ? 2 : 1;
        goto cleanup;
    }
    int fits = passes == 1;
    if (json) {
        struct aib_json j;
        aib_json_init(&j, cli->out, true);
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "chip", chip);
        aib_json_kstr(&j, "profiler", pm ? "pm_sampling" : "range_profiler");
        aib_json_key(&j, "metrics");
        aib_json_arr_begin(&j);
        for (size_t i = 0; i < sets.n_range; i++)
            aib_json_str(&j, sets.range[i]);
        aib_json_arr_end(&j);
        aib_json_kint(&j, "passes", (int64_t)passes);
        if (pm)
            aib_json_kbool(&j, "fits_one_pass", fits);
        aib_json_obj_end(&j);
        aib_json_finish(&j);
    } else if (pm) {
        fprintf(cli->out, "%s, PM sampling: %zu metric%s, %zu pass%s: %s\n", chip, sets.n_range,
                sets.n_range == 1 ? "" : "s", passes, passes == 1 ? "" : "es",
                fits ? "fits one PM-sampling pass" : "does not fit one PM-sampling pass (PM sampling takes one)");
    } else {
        fprintf(cli->out, "%s, range profiler: %zu metric%s, %zu pass%s (each pass replays the work once)\n", chip,
                sets.n_range, sets.n_range == 1 ? "" : "s", passes, passes == 1 ? "" : "es");
    }
    status = pm && !fits ? 1 : 0;
cleanup:
    aib_cupti_sets_free(&sets);
    return status;
}

int aib_cmd_metrics(struct aib_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"chip", required_argument, NULL, 'c'},
                                             {"pm", no_argument, NULL, 'm'},
                                             {"passes", required_argument, NULL, 'p'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *chip = NULL, *passes = NULL, *filter = NULL;
    int pm = 0, json = 0, c, status = 2;
    struct aib_cuda_loaded l;
    struct metric_list list = {0};
    char why[512] = "", where[512] = "", own_chip[64] = "";
    memset(&l, 0, sizeof l);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': chip = optarg; break;
        case 'm': pm = 1; break;
        case 'p': passes = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(cli->out); return 0;
        case ':': aib_cli_error(cli, "option '%s' needs a value", argv[optind - 1]); return 2;
        default: aib_cli_error(cli, "unknown option '%s' for metrics (try 'aibench metrics --help')", argv[optind - 1]); return 2;
        }
    }
    if (optind < argc)
        filter = argv[optind++];
    if (optind < argc) {
        aib_cli_error(cli, "unexpected argument '%s' (one FILTER at most)", argv[optind]);
        return 2;
    }
    if (filter && passes) {
        aib_cli_error(cli, "give a FILTER or --passes, not both");
        return 2;
    }
    if (chip && !chip[0]) {
        aib_cli_error(cli, "--chip: empty chip name");
        return 2;
    }
    if (aib_cuda_plugin_load(&l, why, sizeof why)) {
        aib_cli_error(cli, "CUPTI's metric lists come through the CUDA plugin: %s", why);
        goto out;
    }
    if (l.pl->cupti_load(where, sizeof where, why, sizeof why)) {
        aib_cli_error(cli, "%s", why);
        goto out;
    }
    if (!chip) {
        if (l.ndev > 0 && l.pl->cupti_device_chip(0, own_chip, sizeof own_chip, why, sizeof why) == 0) {
            chip = own_chip;
        } else if (l.ndev > 0) {
            aib_cli_error(cli, "cannot read the chip of cuda:0 (%s): give --chip", why);
            goto out;
        } else {
            char all[1024] = "?";
            l.pl->cupti_chips(all, sizeof all, why, sizeof why);
            aib_cli_error(cli, "no GPU here (%s): give --chip CHIP, one of %s",
                          l.init_why[0] ? l.init_why : "no CUDA device", all);
            goto out;
        }
    }
    if (passes) {
        status = count_passes(cli, l.pl, chip, pm, passes, json);
        goto out;
    }
    list.filter = filter;
    int rc = l.pl->cupti_metrics(chip, pm ? AIB_CUPTI_PM : AIB_CUPTI_RANGE, collect, &list, why, sizeof why);
    if (rc || list.oom) {
        aib_cli_error(cli, "%s", list.oom ? "out of memory" : why);
        status = rc == AIB_CUPTI_EBADNAME ? 2 : 1;
        goto out;
    }
    print_list(cli->out, chip, pm, &list, json);
    status = 0;
out:
    list_free(&list);
    aib_cuda_plugin_unload(&l);
    return status;
}
