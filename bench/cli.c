/* Top-level command line: global options, dispatch, --help, --version. */
#include "cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "registry.h"

static const struct aib_command commands[] = {
    {"devices", "list compute devices (CPU via hwloc, OpenCL, CUDA) with ids and properties",
     aib_cmd_devices},
    {"run", "run a workload or a suite; results go to the database", aib_cmd_run},
    {"results", "list, show or delete stored runs", aib_cmd_results},
    {"compare", "compare runs or machines result by result: verdicts, scores, perf/W, perf/$",
     aib_cmd_compare},
    {"export", "write runs (results, samples, metrics, series) as versioned JSON", aib_cmd_export},
    {"import", "add the runs of an export file to the database (idempotent)", aib_cmd_import},
    {"roofline", "roofline of a run: measured ceilings, what bounds each result", aib_cmd_roofline},
    {"report", "self-contained HTML or Markdown report of runs, with charts", aib_cmd_report},
    {"ci", "run a suite and gate it against a baseline run (exit 1 on a regression)", aib_cmd_ci},
    {"tag", "name a run (a CI baseline); list or delete tags", aib_cmd_tag},
    {"top", "live device monitor: utilization, memory, clocks of every device", aib_cmd_top},
    {"browse", "browse stored runs in the terminal: details, graphs, comparisons", aib_cmd_browse},
    {"serve", "serve 'run net' clients from other machines (TCP, ping-pong, UDP)", aib_cmd_serve},
    {"metrics", "GPU counters CUPTI knows for a chip; replay passes of a metric set", aib_cmd_metrics},
};

void aib_cli_error(struct aib_cli *cli, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Exactly one line, whatever the message holds. */
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
    fprintf(cli->errf, "aibench: %s\n", buf);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: aibench [--db PATH] COMMAND [ARGS...]\n"
            "       aibench --help | --version\n"
            "\n"
            "Benchmarks and profiles AI infrastructure (matrix multiply first; more workloads\n"
            "follow) on CPUs, OpenCL and CUDA devices, and keeps every result in SQLite.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "help COMMAND: the same as COMMAND --help");
    fprintf(f,
            "\n"
            "global options:\n"
            "  --db PATH     results database (default $AIBENCH_DB, else\n"
            "                $XDG_DATA_HOME/aibench/results.db, else ~/.local/share/aibench/results.db)\n"
            "  -h, --help    this help\n"
            "  -V, --version version and the git commit it was built from\n"
            "\n"
            "workloads:\n");
    size_t n;
    const struct aib_workload_ops *const *w = aib_registry_workloads(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-10s %s\n", w[i]->name, w[i]->summary);
    fprintf(f,
            "\n"
            "exit status: 0 ok, 1 a workload failed (e.g. wrong answer), 2 usage or input error,\n"
            "130/143 interrupted by SIGINT/SIGTERM (what was measured is saved).\n"
            "Run 'aibench COMMAND --help' for the options of a command.\n");
}

static const struct aib_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int aib_main(int argc, char **argv)
{
    struct aib_cli cli = {.out = stdout, .errf = stderr};
    char exe[PATH_MAX], exe_dir[PATH_MAX] = ".";
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(exe_dir, sizeof exe_dir, "%s", exe);
        }
    }
    cli.exe_dir = exe_dir;

    struct aib_err err = {0};
    if (aib_registry_check(&err)) {
        aib_cli_error(&cli, "internal error: %s", err.msg);
        return 2;
    }

    /* --db may stand anywhere (before or after the command): take it out. */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) {
        aib_cli_error(&cli, "out of memory");
        return 2;
    }
    int n = 0, rc = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                aib_cli_error(&cli, "--db needs a path");
                rc = 2;
                goto out;
            }
            cli.db_path = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            cli.db_path = argv[i] + 5;
            if (!*cli.db_path) {
                aib_cli_error(&cli, "--db needs a path");
                rc = 2;
                goto out;
            }
        } else {
            args[n++] = argv[i];
        }
    }
    if (n < 2) {
        usage(cli.errf);
        rc = 2;
        goto out;
    }
    const char *cmd = args[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(cli.out);
        goto out;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        char v[512];
        fprintf(cli.out, "%s\n", aib_version_string(v, sizeof v));
        goto out;
    }
    if (strcmp(cmd, "help") == 0) {
        if (n < 3) {
            usage(cli.out);
            goto out;
        }
        const struct aib_command *c = find_command(args[2]);
        if (!c) {
            aib_cli_error(&cli, "unknown command '%s' (try 'aibench --help')", args[2]);
            rc = 2;
            goto out;
        }
        char *hargv[] = {(char *)c->name, "--help", NULL};
        rc = c->fn(&cli, 2, hargv);
        goto out;
    }
    if (cmd[0] == '-') {
        aib_cli_error(&cli, "unknown option '%s' (try 'aibench --help')", cmd);
        rc = 2;
        goto out;
    }
    const struct aib_command *c = find_command(cmd);
    if (!c) {
        aib_cli_error(&cli, "unknown command '%s' (try 'aibench --help')", cmd);
        rc = 2;
        goto out;
    }
    rc = c->fn(&cli, n - 1, args + 1);
out:
    free(args);
    return rc;
}
