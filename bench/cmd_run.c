/* `aibench run`: builds a plan from the command line or a suite, validates
 * all of it, opens the store, then hands the plan to the engine with the
 * store and text sinks attached. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../results/ci.h"
#include "../profilers/cupti.h"
#include "../profilers/profiler.h"
#include "../results/store.h"
#include "../tui/tui.h"
#include "cli.h"
#include "engine.h"
#include "env.h"
#include "registry.h"
#include "sinks.h"
#include "suite.h"

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

#define MAX_DEVICES 64
#define MAX_PSPECS 32
#define MAX_TAGS 16

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: aibench run WORKLOAD [-d DEVICE]... [-p KEY=VALUE[,VALUE...]]... [options]\n"
            "       aibench run --suite NAME|FILE [options]\n"
            "\n"
            "Runs each (workload, device, parameter set): warm-up, verification of the answer,\n"
            "then timed iterations until the 95%% confidence interval of the median time is\n"
            "within --target-ci of it (after --min-reps samples and --min-time seconds), or\n"
            "--max-time is spent. Several values for a parameter sweep it (cross product).\n"
            "Prints a table; stores the run, its environment and every sample in the database.\n"
            "\n"
            "options:\n"
            "  -d, --device ID      cpu, cpu:N, opencl:P:D, cuda:N, opencl:*, cuda:* or all\n"
            "                       (repeatable; default cpu; see 'aibench devices')\n"
            "  -p, --param K=V[,V]  workload parameter (repeatable); a list sweeps\n"
            "  -s, --suite NAME     run a suite: a built-in name (quick) or a YAML file\n"
            "      --tag TAG        with --suite: only the entries tagged TAG (repeatable)\n"
            "      --dry-run        print the expanded plan and notes; run and write nothing\n"
            "      --warmup S       warm-up seconds per entry (default 0.2)\n"
            "      --min-time S     least seconds of timed samples per entry (default 0.5)\n"
            "      --max-time S     most seconds of timed samples per entry (default 5)\n"
            "      --min-reps N     least number of samples per entry (default 10)\n"
            "      --target-ci PCT  stop when the median's 95%% CI is within +-PCT (default 1%%)\n"
            "      --json           print the stored run as JSON on stdout (progress on stderr)\n"
            "  -q, --quiet          no progress lines on stderr\n"
            "      --no-tui         plain lines even when stdout is a terminal (default there:\n"
            "                       the live dashboard; keys q quit, p pause, s skip, ? help)\n"
            "      --profilers LIST profilers beside each entry: all (default), none, or a\n"
            "                       comma list of cupti,system,nvml,rapl,perf (docs/metrics.md)\n"
            "      --sample-interval MS  background sampling period (default 100 ms)\n"
            "      --metrics LIST   CUPTI counters for CUDA entries (comma list; 'pm:NAME' for PM\n"
            "                       sampling): the range profiler's set replaces its default,\n"
            "                       pm: names replace the PM-sampling set (see 'aibench metrics')\n"
            "      --db PATH        results database (see 'aibench --help')\n"
            "  -h, --help           this help\n"
            "\n"
            "A sample times a batch of iterations lasting at least 1 ms; its value is the time\n"
            "per iteration. Throughput is work per iteration / median time (GFLOP/s for compute).\n"
            "Exit status: 0 ok, 1 an entry failed (e.g. wrong answer: no speed is reported),\n"
            "2 bad input (nothing is run or written), 130/143 interrupted (saved as interrupted).\n"
            "\n"
            "profilers (values a profiler cannot read here are stored as missing, with why):\n");
    aib_profilers_help(f);
    fprintf(f, "\nworkloads and their parameters:\n");
    size_t n;
    const struct aib_workload_ops *const *w = aib_registry_workloads(&n);
    for (size_t i = 0; i < n; i++) {
        unsigned k = w[i]->devices;
        fprintf(f, "  %s on %s%s%s%s%s: %s\n", w[i]->name, k & AIB_DEV_CPU ? "cpu" : "",
                (k & AIB_DEV_CPU) && (k & ~AIB_DEV_CPU) ? "," : "", k & AIB_DEV_OPENCL ? "opencl" : "",
                (k & AIB_DEV_OPENCL) && (k & AIB_DEV_CUDA) ? "," : "", k & AIB_DEV_CUDA ? "cuda" : "",
                w[i]->summary);
        aib_params_help(&w[i]->params, f);
    }
}

static int parse_seconds(const char *opt, const char *v, double min, double *out,
                         struct aib_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end != v && *end == 's' && end[1] == '\0')
        end++;
    if (end == v || *end || errno || !isfinite(x) || x < min || x > 86400)
        return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for %s: expected seconds in [%g, 86400]",
                           v, opt, min);
    *out = x;
    return 0;
}

static int parse_percent(const char *v, double *out, struct aib_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    bool pct = end != v && *end == '%';
    if (pct)
        end++;
    if (end == v || *end || errno || !isfinite(x))
        return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for --target-ci: expected e.g. 1%% or 0.01", v);
    if (pct || x >= 1)
        x /= 100.0;
    if (x <= 0 || x > 0.5)
        return aib_err_set(err, AIB_EUSAGE, "--target-ci %s is out of range (0%%, 50%%]", v);
    *out = x;
    return 0;
}

struct run_args {
    const char *workload, *suite;
    const char *devices[MAX_DEVICES];
    size_t ndevices;
    struct aib_pspec specs[MAX_PSPECS];
    size_t nspecs;
    struct aib_engine_opts opts;
    bool set_warmup, set_min_time, set_max_time, set_min_reps, set_target;
    bool json, quiet, help, dry_run, no_tui;
    const char *profilers; /* NULL: all */
    const char *metrics;   /* --metrics: CUPTI counters; NULL: the defaults */
    double sample_interval;
    const char *tags[MAX_TAGS];
    size_t ntags;
};

static int parse_args(struct run_args *a, int argc, char **argv, struct aib_err *err)
{
    enum { O_WARMUP = 256, O_MIN_TIME, O_MAX_TIME, O_MIN_REPS, O_TARGET, O_JSON, O_DRY, O_TAG };
    enum { O_PROFILERS = 400, O_SAMPLE_INTERVAL, O_METRICS };
    enum { O_NO_TUI = 500 };
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'}, {"param", required_argument, NULL, 'p'},
        {"suite", required_argument, NULL, 's'},  {"warmup", required_argument, NULL, O_WARMUP},
        {"min-time", required_argument, NULL, O_MIN_TIME},
        {"max-time", required_argument, NULL, O_MAX_TIME},
        {"min-reps", required_argument, NULL, O_MIN_REPS},
        {"target-ci", required_argument, NULL, O_TARGET},
        {"json", no_argument, NULL, O_JSON},      {"quiet", no_argument, NULL, 'q'},
        {"dry-run", no_argument, NULL, O_DRY},    {"tag", required_argument, NULL, O_TAG},
        {"profilers", required_argument, NULL, O_PROFILERS},
        {"metrics", required_argument, NULL, O_METRICS},
        {"sample-interval", required_argument, NULL, O_SAMPLE_INTERVAL},
        {"no-tui", no_argument, NULL, O_NO_TUI},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    aib_engine_opts_default(&a->opts);
    optind = 0; /* full re-initialisation (glibc), so tests can call this twice */
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":d:p:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (a->ndevices == MAX_DEVICES)
                return aib_err_set(err, AIB_EUSAGE, "too many --device options");
            a->devices[a->ndevices++] = optarg;
            break;
        case 'p':
            if (a->nspecs == MAX_PSPECS)
                return aib_err_set(err, AIB_EUSAGE, "too many --param options");
            rc = aib_pspec_parse(optarg, "--param", &a->specs[a->nspecs], err);
            if (rc == 0)
                a->nspecs++;
            break;
        case 's': a->suite = optarg; break;
        case O_WARMUP: rc = parse_seconds("--warmup", optarg, 0, &a->opts.warmup_s, err); a->set_warmup = true; break;
        case O_MIN_TIME: rc = parse_seconds("--min-time", optarg, 0, &a->opts.min_time_s, err); a->set_min_time = true; break;
        case O_MAX_TIME: rc = parse_seconds("--max-time", optarg, 0.001, &a->opts.max_time_s, err); a->set_max_time = true; break;
        case O_MIN_REPS: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || errno || v < 1 || v > 1000000)
                return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for --min-reps: expected an integer in [1, 1000000]", optarg);
            a->opts.min_reps = (int)v;
            a->set_min_reps = true;
            break;
        }
        case O_TARGET: rc = parse_percent(optarg, &a->opts.target_ci, err); a->set_target = true; break;
        case O_JSON: a->json = true; break;
        case O_DRY: a->dry_run = true; break;
        case O_NO_TUI: a->no_tui = true; break;
        case O_TAG:
            if (a->ntags == MAX_TAGS)
                return aib_err_set(err, AIB_EUSAGE, "too many --tag options");
            a->tags[a->ntags++] = optarg;
            break;
        case 'q': a->quiet = true; break;
        case O_PROFILERS: a->profilers = optarg; break;
        case O_METRICS: a->metrics = optarg; break;
        case O_SAMPLE_INTERVAL: rc = aib_profilers_parse_interval(optarg, &a->sample_interval, err); break;
        case 'h': a->help = true; break;
        case ':':
            return aib_err_set(err, AIB_EUSAGE, "option '%s' needs a value", argv[optind - 1]);
        default:
            return aib_err_set(err, AIB_EUSAGE, "unknown option '%s' for run (try 'aibench run --help')", argv[optind - 1]);
        }
    }
    if (rc || a->help)
        return rc;
    /* Interleaved options and the workload name: take one positional. */
    for (int i = optind; i < argc; i++) {
        if (a->workload)
            return aib_err_set(err, AIB_EUSAGE, "unexpected argument '%s' (one workload per run; use -p to sweep or a suite)", argv[i]);
        a->workload = argv[i];
    }
    /* A lone --max-time below the default --min-time lowers it. */
    if (a->opts.min_time_s > a->opts.max_time_s && !a->set_min_time)
        a->opts.min_time_s = a->opts.max_time_s;
    if (a->opts.min_time_s > a->opts.max_time_s)
        return aib_err_set(err, AIB_EUSAGE, "--min-time %g is longer than --max-time %g", a->opts.min_time_s, a->opts.max_time_s);
    if (!a->workload && !a->suite)
        return aib_err_set(err, AIB_EUSAGE, "run needs a workload or --suite (try 'aibench run --help')");
    if (a->workload && a->suite)
        return aib_err_set(err, AIB_EUSAGE, "give either a workload or --suite, not both");
    if (a->ntags && !a->suite)
        return aib_err_set(err, AIB_EUSAGE, "--tag selects entries of a suite: give --suite");
    if (a->suite && (a->nspecs || a->ndevices))
        return aib_err_set(err, AIB_EUSAGE, "--param and --device apply to a single workload, not to --suite");
    return 0;
}

/* Plan for one workload from the command line. */
static int plan_from_args(struct run_args *a, const struct aib_devlist *devs, struct aib_plan *plan,
                          struct aib_err *err)
{
    if (!aib_registry_find(a->workload)) {
        char known[256];
        aib_registry_names(known, sizeof known);
        return aib_err_set(err, AIB_EUSAGE, "unknown workload '%s' (known: %s)", a->workload, known);
    }
    plan->opts = a->opts;
    if (a->ndevices == 0)
        a->devices[a->ndevices++] = "cpu";
    for (size_t i = 0; i < a->ndevices; i++) {
        const struct aib_device *sel[MAX_DEVICES];
        int n = aib_devices_select(devs, a->devices[i], AIB_DEV_ALL, sel, MAX_DEVICES, err);
        if (n < 0)
            return n;
        if (n == 0) {
            /* Say why: a whole backend may be unavailable. */
            unsigned kind = aib_device_kind_of_id(a->devices[i]);
            for (size_t b = 0; b < devs->nbackends; b++) {
                const struct aib_backend_status *st = &devs->backends[b];
                if (aib_device_kind_of_id(st->name) == kind && !st->available)
                    return aib_err_set(err, AIB_EUSAGE, "device '%s' is not available: %s: unavailable: %s",
                                       a->devices[i], st->name, st->reason);
            }
            return aib_err_set(err, AIB_EUSAGE, "no device '%s' on this machine (see 'aibench devices')", a->devices[i]);
        }
        for (int j = 0; j < n; j++) {
            const struct aib_workload_ops *w = aib_registry_find_for(a->workload, sel[j]->kind);
            if (!w)
                return aib_err_set(err, AIB_EUSAGE, "workload %s does not run on %s (yet)", a->workload, sel[j]->id);
            int rc = aib_plan_add_sweep(plan, w, sel[j], a->specs, a->nspecs, "command line", err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int aib_cmd_run(struct aib_cli *cli, int argc, char **argv)
{
    struct run_args a = {0};
    struct aib_err err = {0};
    struct aib_devlist devs = {0};
    struct aib_plan plan = {0};
    struct aib_store *store = NULL;
    struct aib_profilers *prof = NULL;
    struct aib_run run = {0};
    int status = 2, rc;

    /* Before getopt permutes argv. */
    size_t used = 0;
    for (int i = 0; i < argc && used + 1 < sizeof run.cmdline; i++) {
        int w = snprintf(run.cmdline + used, sizeof run.cmdline - used, "%s%s", i ? " " : "aibench ", argv[i]);
        if (w < 0 || (size_t)w >= sizeof run.cmdline - used)
            break;
        used += (size_t)w;
    }
    if ((rc = parse_args(&a, argc, argv, &err)))
        goto usage_error;
    if (a.help) {
        run_usage(cli->out);
        status = 0;
        goto out;
    }
    if ((rc = aib_devices_discover(&devs, AIB_DEV_ALL, &err)))
        goto usage_error;
    aib_engine_opts_default(&plan.opts);
    if (a.suite) {
        rc = aib_suite_load_tagged(a.suite, cli->exe_dir, &devs, a.tags, a.ntags, &plan, &err);
        if (rc)
            goto usage_error;
        if (a.set_warmup) plan.opts.warmup_s = a.opts.warmup_s;
        if (a.set_min_time) plan.opts.min_time_s = a.opts.min_time_s;
        if (a.set_max_time) plan.opts.max_time_s = a.opts.max_time_s;
        if (a.set_min_reps) plan.opts.min_reps = a.opts.min_reps;
        if (a.set_target) plan.opts.target_ci = a.opts.target_ci;
        if (plan.opts.min_time_s > plan.opts.max_time_s)
            plan.opts.min_time_s = plan.opts.max_time_s;
    } else if ((rc = plan_from_args(&a, &devs, &plan, &err))) {
        goto usage_error;
    }
    if (plan.len == 0) {
        aib_err_set(&err, AIB_EUSAGE, "nothing to run: no entry of the suite matches a device present here");
        goto usage_error;
    }
    /* CUPTI counters: checked against the GPUs' chips before anything runs. */
    if ((rc = aib_cupti_check_run(a.metrics, a.profilers, &plan, cli->errf, &err)))
        goto usage_error;
    if (a.dry_run) {
        aib_suite_print_plan(cli->out, &plan);
        status = 0;
        goto out;
    }

    /* Profilers: chosen and checked before anything is written. */
    struct aib_prof_opts popts = {.interval_s = a.sample_interval > 0 ? a.sample_interval
                                                                      : AIB_PROF_INTERVAL_DEFAULT_S,
                                  .metrics = a.metrics};
    if ((rc = aib_profilers_new(a.profilers, &popts, &prof, &err)))
        goto usage_error;

    char path[4096];
    bool is_default;
    if ((rc = aib_store_resolve_path(cli->db_path, path, sizeof path, &is_default, &err)) ||
        (rc = aib_store_open(path, true, is_default, &store, &err)))
        goto usage_error;

    /* Environment and command line, recorded with the run. */
    if (aib_env_collect(&run.env, &plan, &devs) || aib_ci_stamp_run(&run, &devs)) {
        aib_cli_error(cli, "out of memory");
        goto out;
    }
    snprintf(run.suite, sizeof run.suite, "%s", plan.suite);
    const char *host = aib_kv_get(&run.env, "host");
    snprintf(run.host, sizeof run.host, "%s", host ? host : "");

    struct aib_text_sink text;
    struct aib_store_sink ss;
    struct aib_series_sink sers;
    struct aib_sink sinks[4];
    size_t nsinks = 3;
    /* On a terminal, the live dashboard (not with --json or --no-tui): the
     * text table is kept and printed once the terminal is restored. */
    char *table = NULL;
    size_t table_len = 0;
    FILE *table_f = !a.no_tui && !a.json && aib_tui_available() ? open_memstream(&table, &table_len) : NULL;
    struct aib_dashboard *dash = NULL;
    volatile sig_atomic_t skip_flag = 0;
    if (table_f) {
        struct aib_dashboard_opts dopts = {.plan = &plan, .stop = &stop_signal, .skip = &skip_flag};
        struct aib_err derr = {0};
        if (aib_dashboard_open(&dopts, &dash, &derr)) {
            fclose(table_f);
            free(table);
            table = NULL;
            table_f = NULL;
        }
    }
    aib_store_sink_init(&ss, &sinks[0], store);
    /* With --json, stdout carries only the JSON document. */
    aib_text_sink_init(&text, &sinks[1], table_f ? table_f : a.json ? cli->errf : cli->out,
                       a.quiet || table_f ? NULL : cli->errf);
    aib_series_sink_init(&sers, &sinks[2], store, prof); /* after the store sink: needs result ids */
    if (dash)
        aib_dashboard_sink(dash, &sinks[nsinks++]);
    struct aib_engine eng = {.plan = &plan, .sinks = sinks, .nsinks = nsinks, .stop = &stop_signal,
                             .prof = prof, .skip = &skip_flag,
                             .between = dash ? aib_dashboard_between : NULL, .between_ctx = dash};

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = aib_engine_run(&eng, &run, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    bool quit_key = aib_dashboard_close(dash);
    if (table_f) {
        fclose(table_f);
        fputs(table, cli->out);
        free(table);
    }

    FILE *info = a.json ? cli->errf : cli->out;
    if (run.id)
        fprintf(info, "database: %s (run %lld)\n", path, (long long)run.id);
    if (rc == AIB_EINTR) {
        aib_cli_error(cli, "interrupted by %s: measured results saved, run marked interrupted",
                      quit_key ? "q" : stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
        status = 128 + (stop_signal ? stop_signal : SIGINT);
    } else if (rc) {
        if (err.msg[0])
            aib_cli_error(cli, "%s", err.msg);
        else
            aib_cli_error(cli, "some entries failed (see the table above)");
        status = 1;
    } else {
        status = 0;
    }
    if (a.json && run.id) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)run.id);
        char *sargv[] = {"results", "show", id, "--json", NULL};
        aib_store_close(store);
        store = NULL;
        int jrc = aib_cmd_results(cli, 4, sargv);
        if (jrc && status == 0)
            status = jrc;
    }
    goto out;

usage_error:
    aib_cli_error(cli, "%s", err.msg);
    status = rc == AIB_ENOMEM || rc == AIB_ERUN ? 1 : 2;
out:
    for (size_t i = 0; i < a.nspecs; i++)
        aib_pspec_free(&a.specs[i]);
    aib_run_free(&run);
    aib_store_close(store);
    aib_profilers_free(prof);
    aib_plan_free(&plan);
    aib_devices_free(&devs);
    return status;
}
