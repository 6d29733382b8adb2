/* `aibench browse`: options, the database, then the interactive browser. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/cli.h"
#include "tui.h"
#include "views.h"

static const char browse_usage[] =
    "usage: aibench [--db PATH] browse [--tolerance PCT]\n"
    "\n"
    "Browses the runs in the database in the terminal: the run list (newest first,\n"
    "filter with /), a run's results with the samples of each as a graph, its\n"
    "statistics, metrics and sampled series, and the comparison of two runs (mark\n"
    "them with space, then c; verdicts as 'aibench compare'). Keys: up/down/tab\n"
    "move, Enter open, Esc back, q quit, ? help. Needs a terminal; elsewhere use\n"
    "'aibench results' and 'aibench compare'.\n"
    "\n"
    "options:\n"
    "  --tolerance PCT   changes up to PCT percent count as \"same\" (default 2)\n"
    "  -h, --help        this help\n"
    "\n"
    "The database is --db PATH, else $AIBENCH_DB, else $XDG_DATA_HOME/aibench/results.db\n"
    "(default ~/.local/share/aibench/results.db). Exit status: 0, 2 bad input or no\n"
    "terminal, 130/143 when ended by SIGINT/SIGTERM.\n";

static int parse_tolerance(const char *v, double *out, struct aib_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end != v && *end == '%')
        end++;
    if (end == v || *end || errno || !isfinite(x) || x < 0 || x > 100)
        return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for --tolerance: expected a percentage in [0, 100]", v);
    *out = x / 100;
    return 0;
}

int aib_cmd_browse(struct aib_cli *cli, int argc, char **argv)
{
    double tol = 0.02;
    struct aib_err err = {0};
    struct aib_store *store = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(browse_usage, cli->out);
            return 0;
        } else if (strcmp(a, "--tolerance") == 0 || strncmp(a, "--tolerance=", 12) == 0) {
            const char *v = a[11] == '=' ? a + 12 : i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                aib_cli_error(cli, "option '--tolerance' needs a value");
                return 2;
            }
            if (parse_tolerance(v, &tol, &err)) {
                aib_cli_error(cli, "%s", err.msg);
                return 2;
            }
        } else {
            aib_cli_error(cli, "unknown %s '%s' for browse (try 'aibench browse --help')",
                          a[0] == '-' ? "option" : "argument", a);
            return 2;
        }
    }
    if (!aib_tui_available()) {
        aib_cli_error(cli, "browse needs a terminal on stdin and stdout (use 'aibench results' "
                           "and 'aibench compare' elsewhere)");
        return 2;
    }
    char path[4096];
    bool is_default;
    if (aib_store_resolve_path(cli->db_path, path, sizeof path, &is_default, &err) ||
        aib_store_open(path, false, false, &store, &err)) {
        aib_cli_error(cli, "%s", err.msg);
        return 2;
    }
    int status = aib_browse_run(store, tol, &err);
    if (status == 2)
        aib_cli_error(cli, "%s", err.msg);
    aib_store_close(store);
    return status;
}
