/* `aibench ci`: runs a suite, stores the run, and gates it against a
 * baseline run (ci_gate.c decides each verdict): a text table on stdout,
 * JUnit / JSON / Markdown files on request, and an exit status for CI. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/cli.h"
#include "../bench/engine.h"
#include "../bench/env.h"
#include "../bench/sinks.h"
#include "../bench/suite.h"
#include "ci.h"
#include "store.h"

/* Like `run`, a signal handler can reach nothing but a global. */
static volatile sig_atomic_t ci_stop;

static void ci_on_signal(int sig) { ci_stop = sig; }

static const char ci_usage[] =
    "usage: aibench [--db PATH] ci --suite NAME|FILE --baseline REF [options]\n"
    "\n"
    "Runs the suite (stored like 'aibench run --suite'), then compares each result\n"
    "with the same workload, device and parameters in the baseline run.\n"
    "\n"
    "REF is a run id, a tag ('aibench tag RUN NAME'), a UUID or unique prefix, or\n"
    "'last': the newest complete (status ok) run of the same suite with this\n"
    "host's fingerprint. A baseline measured with another fingerprint (CPU,\n"
    "cores, memory, governor, OS, kernel, devices: see docs/ci.md) is refused\n"
    "with the parts that differ.\n"
    "\n"
    "Verdict per result, from both runs' samples (seconds per iteration; the\n"
    "repetitions of a result, from a suite's 'repetitions:', pooled), with\n"
    "r = current median time / baseline median time, f = the same for the 10th\n"
    "percentile (the fast tail), t = --max-regression and p = the two-sided\n"
    "Mann-Whitney U p-value:\n"
    "  regressed     p < alpha, r > 1 + t and f > 1 + t, and the repetitions\n"
    "                agree: with 2 or more a side, the U test of their fast tails\n"
    "                gives p <= alpha the same way (or, too few to ever reach\n"
    "                alpha, they are all apart)\n"
    "  improved      the same the other way: r and f < 1 / (1 + t)\n"
    "  inconclusive  a change beyond t that is not significant, that the fast\n"
    "                tail does not show (other work on the machine), that the\n"
    "                machine-speed probe shows too (on a CPU, the same way, beyond\n"
    "                t/2 and by a third of the change or more on a log scale: the\n"
    "                machine changed speed) or on which the repetitions\n"
    "                disagree; or the noise (95% CI of either\n"
    "                median) is wider than t; or too few samples for p to reach\n"
    "                alpha; or the baseline result failed\n"
    "  unchanged     otherwise: a change within t, significant or not\n"
    "  failed        the result failed now (e.g. a wrong answer)\n"
    "  new, missing  only in this run, only in the baseline (not counted)\n"
    "\n"
    "options:\n"
    "  -s, --suite NAME|FILE    the suite to run (a built-in name or a YAML file)\n"
    "  -b, --baseline REF       the run to compare against (see above)\n"
    "      --max-regression PCT the largest slowdown that passes (default 5%)\n"
    "      --alpha P            significance level of the test (default 0.01)\n"
    "      --junit FILE         write JUnit XML: one testcase per result, a failure\n"
    "                           element with the figures for each regression\n"
    "      --json FILE          write the verdicts and figures as JSON\n"
    "      --markdown FILE      write a summary for a pull-request comment\n"
    "      --fail-on-inconclusive  exit 3 when a result is inconclusive\n"
    "  -q, --quiet              no progress or measurement table on stderr\n"
    "  -h, --help               this help\n"
    "\n"
    "Exit status: 0 nothing regressed; 1 a result regressed; 2 usage or run error\n"
    "(bad option, unknown suite or baseline, baseline refused, a result failed);\n"
    "3 only with --fail-on-inconclusive: nothing regressed but a result is\n"
    "inconclusive; 130/143 interrupted. The table goes to stdout; progress and\n"
    "the measurements to stderr. Each run stores the git commit and branch of\n"
    "the current directory and the host fingerprint.\n";

struct ci_args {
    const char *suite, *baseline, *junit, *json, *markdown;
    struct aib_ci_opts opts;
    bool quiet, help;
};

static int parse_fraction(const char *opt, const char *v, bool pct, double lo, double hi,
                          double *out, struct aib_err *err)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    bool sign = end != v && *end == '%';
    if (sign)
        end++;
    if (end == v || *end || errno || !isfinite(x))
        return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for %s: expected %s", v, opt,
                           pct ? "a percentage such as 5%" : "a number such as 0.01");
    if (pct)
        x /= 100; /* "5" and "5%" both mean five percent */
    if (!(x > lo && x < hi))
        return aib_err_set(err, AIB_EUSAGE, "%s %s is out of range (%g%s, %g%s)", opt, v,
                           pct ? lo * 100 : lo, pct ? "%" : "", pct ? hi * 100 : hi,
                           pct ? "%" : "");
    *out = x;
    return 0;
}

static int parse_args(struct ci_args *a, int argc, char **argv, struct aib_err *err)
{
    enum { O_MAXREG = 256, O_ALPHA, O_JUNIT, O_JSON, O_MD, O_FAILINC };
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, 's'},
        {"baseline", required_argument, NULL, 'b'},
        {"max-regression", required_argument, NULL, O_MAXREG},
        {"alpha", required_argument, NULL, O_ALPHA},
        {"junit", required_argument, NULL, O_JUNIT},
        {"json", required_argument, NULL, O_JSON},
        {"markdown", required_argument, NULL, O_MD},
        {"fail-on-inconclusive", no_argument, NULL, O_FAILINC},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    aib_ci_opts_default(&a->opts);
    optind = 0; /* full re-initialisation (glibc) */
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":s:b:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': a->suite = optarg; break;
        case 'b': a->baseline = optarg; break;
        case O_MAXREG:
            rc = parse_fraction("--max-regression", optarg, true, 0, 10, &a->opts.max_regression,
                                err);
            break;
        case O_ALPHA: rc = parse_fraction("--alpha", optarg, false, 0, 0.5, &a->opts.alpha, err); break;
        case O_JUNIT: rc = aib_ci_check_output("--junit", a->junit = optarg, err); break;
        case O_JSON: rc = aib_ci_check_output("--json", a->json = optarg, err); break;
        case O_MD: rc = aib_ci_check_output("--markdown", a->markdown = optarg, err); break;
        case O_FAILINC: a->opts.fail_on_inconclusive = true; break;
        case 'q': a->quiet = true; break;
        case 'h': a->help = true; break;
        case ':':
            return aib_err_set(err, AIB_EUSAGE, "option '%s' needs a value", argv[optind - 1]);
        default:
            return aib_err_set(err, AIB_EUSAGE,
                               "unknown option '%s' for ci (try 'aibench ci --help')",
                               argv[optind - 1]);
        }
    }
    if (rc || a->help)
        return rc;
    if (optind < argc)
        return aib_err_set(err, AIB_EUSAGE, "unexpected argument '%s' (try 'aibench ci --help')",
                           argv[optind]);
    if (!a->suite)
        return aib_err_set(err, AIB_EUSAGE, "ci needs --suite NAME|FILE");
    if (!a->baseline)
        return aib_err_set(err, AIB_EUSAGE, "ci needs --baseline RUN|TAG|last");
    return 0;
}

/* Finds and loads the baseline, and checks that it may serve as one. */
static int load_baseline(struct aib_store *s, const char *ref, const struct aib_run *cur,
                         struct aib_run *base, struct aib_result **res, size_t *nres,
                         struct aib_err *err)
{
    char idbuf[32];
    if (strcmp(ref, "last") == 0) {
        int64_t id = 0;
        bool found = false;
        int rc = aib_store_find_last_complete(s, cur->suite, cur->fingerprint, &id, &found, err);
        if (rc)
            return rc;
        if (!found)
            return aib_err_set(err, AIB_EUSAGE,
                               "no complete run of suite '%s' on this host (fingerprint %s) in "
                               "%s: run 'aibench run --suite %s' first, or give --baseline RUN",
                               cur->suite, cur->fingerprint, aib_store_path(s), cur->suite);
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
        ref = idbuf;
    }
    int rc = aib_store_load_run(s, ref, base, res, nres, err);
    if (rc)
        return rc;
    if (strcmp(base->status, AIB_STATUS_OK) != 0 && strcmp(base->status, AIB_STATUS_FAILED) != 0)
        return aib_err_set(err, AIB_EUSAGE,
                           "baseline run %lld is %s, not complete, so it cannot be a baseline",
                           (long long)base->id, base->status);
    return aib_ci_check_host(base, cur, err);
}

static void cmdline_of(char *buf, size_t len, int argc, char **argv)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "aibench ", argv[i]);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

/* Runs the plan with the store (and, unless quiet, the text table on stderr). */
static int execute(struct aib_cli *cli, const struct aib_plan *plan, struct aib_store *store,
                   bool quiet, struct aib_run *run, struct aib_err *err)
{
    struct aib_text_sink text;
    struct aib_store_sink ss;
    struct aib_sink sinks[2];
    aib_store_sink_init(&ss, &sinks[0], store);
    aib_text_sink_init(&text, &sinks[1], cli->errf, cli->errf);
    struct aib_engine eng = {.plan = plan, .sinks = sinks, .nsinks = quiet ? 1 : 2,
                             .stop = &ci_stop};
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = ci_on_signal;
    sigemptyset(&sa.sa_mask);
    ci_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = aib_engine_run(&eng, run, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

/* Compares, prints and writes the reports; returns the exit status. */
static int gate(struct aib_cli *cli, const struct ci_args *a, const struct aib_run *base,
                const struct aib_result *bres, size_t nb, const struct aib_run *cur,
                const struct aib_result *cres, size_t nc)
{
    struct aib_ci_gate g;
    struct aib_ci_report rep;
    struct aib_err err = {0};
    if (aib_ci_gate(bres, nb, cres, nc, &a->opts, &g)) {
        aib_ci_gate_free(&g);
        aib_cli_error(cli, "out of memory comparing runs");
        return 2;
    }
    aib_ci_report_init(&rep, base, cur, g.rows, g.n, &a->opts);
    aib_ci_write_text(cli->out, &rep);
    int status = rep.status;
    const char *paths[3] = {a->junit, a->json, a->markdown};
    const aib_ci_writer writers[3] = {aib_ci_write_junit, aib_ci_write_json,
                                      aib_ci_write_markdown};
    for (int i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        if (aib_ci_write_file(paths[i], writers[i], &rep, &err)) {
            aib_cli_error(cli, "%s", err.msg);
            status = 2;
        } else {
            fprintf(cli->out, "wrote %s\n", paths[i]);
        }
    }
    aib_ci_gate_free(&g);
    return status;
}

int aib_cmd_ci(struct aib_cli *cli, int argc, char **argv)
{
    struct ci_args a = {0};
    struct aib_err err = {0};
    struct aib_devlist devs = {0};
    struct aib_plan plan = {0};
    struct aib_store *store = NULL;
    struct aib_run run = {0}, base = {0}, cur = {0};
    struct aib_result *bres = NULL, *cres = NULL;
    size_t nb = 0, nc = 0;
    char path[4096], idbuf[32];
    bool is_default;
    int status = 2, rc;

    cmdline_of(run.cmdline, sizeof run.cmdline, argc, argv); /* before getopt permutes argv */
    if ((rc = parse_args(&a, argc, argv, &err)))
        goto error;
    if (a.help) {
        fputs(ci_usage, cli->out);
        status = 0;
        goto out;
    }
    aib_engine_opts_default(&plan.opts);
    if ((rc = aib_devices_discover(&devs, AIB_DEV_ALL, &err)) ||
        (rc = aib_suite_load(a.suite, cli->exe_dir, &devs, &plan, &err)))
        goto error;
    if (plan.len == 0) {
        rc = aib_err_set(&err, AIB_EUSAGE,
                         "nothing to run: no entry of the suite matches a device present here");
        goto error;
    }
    /* A gate needs a baseline, so the database must already exist. */
    if ((rc = aib_store_resolve_path(cli->db_path, path, sizeof path, &is_default, &err)) ||
        (rc = aib_store_open(path, false, false, &store, &err)))
        goto error;
    if (aib_env_collect(&run.env, &plan, &devs) || aib_ci_stamp_run(&run, &devs)) {
        rc = aib_err_set(&err, AIB_ENOMEM, "out of memory");
        goto error;
    }
    snprintf(run.suite, sizeof run.suite, "%s", plan.suite);
    const char *host = aib_kv_get(&run.env, "host");
    snprintf(run.host, sizeof run.host, "%s", host ? host : "");
    if ((rc = load_baseline(store, a.baseline, &run, &base, &bres, &nb, &err)))
        goto error;
    if (strcmp(base.suite, run.suite) != 0)
        fprintf(cli->errf, "note: baseline run %lld is of suite '%s', this is '%s'\n",
                (long long)base.id, base.suite[0] ? base.suite : "-", run.suite);

    rc = execute(cli, &plan, store, a.quiet, &run, &err);
    if (rc == AIB_EINTR) {
        aib_cli_error(cli, "interrupted by %s: measured results saved, run marked interrupted",
                      ci_stop == SIGTERM ? "SIGTERM" : "SIGINT");
        status = 128 + (ci_stop ? ci_stop : SIGINT);
        goto out;
    }
    /* A failed entry is a verdict (exit 2 from the gate); a sink failing is not. */
    if (rc && (rc != AIB_ERUN || err.msg[0]))
        goto error;
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)run.id);
    if ((rc = aib_store_load_run(store, idbuf, &cur, &cres, &nc, &err)))
        goto error;
    status = gate(cli, &a, &base, bres, nb, &cur, cres, nc);
    fprintf(cli->out, "database: %s (run %lld, baseline run %lld)\n", path, (long long)run.id,
            (long long)base.id);
    goto out;

error:
    aib_cli_error(cli, "%s", err.msg[0] ? err.msg : "run failed");
    status = 2;
out:
    aib_results_free(bres, nb);
    aib_results_free(cres, nc);
    aib_run_free(&base);
    aib_run_free(&cur);
    aib_run_free(&run);
    aib_store_close(store);
    aib_plan_free(&plan);
    aib_devices_free(&devs);
    return status;
}
