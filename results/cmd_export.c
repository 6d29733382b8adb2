/* `aibench export RUN... -o FILE.json [--prometheus FILE]`: runs of the
 * database as an "aibench-export" document (export.c) and/or a
 * node_exporter textfile (prom.c). Every RUN is resolved before anything is
 * written, so a bad reference writes nothing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "export.h"
#include "prom.h"

static const char export_usage[] =
    "usage: aibench [--db PATH] export RUN... -o FILE.json [--prometheus FILE]\n"
    "       aibench [--db PATH] export RUN... --prometheus FILE\n"
    "\n"
    "Writes runs with their environment, results, every sample, metrics and\n"
    "sampled series as one JSON document in the versioned \"aibench-export\" format\n"
    "(docs/export-format.md), for 'aibench import' on another machine or for your\n"
    "own tools. A run named twice is written once. The file is written under a\n"
    "temporary name and renamed into place, so FILE is never left half-written.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    write the export document to FILE ('-': standard output)\n"
    "  --prometheus FILE    write the runs' results as a Prometheus textfile for\n"
    "                       node_exporter's textfile collector (with or without -o)\n"
    "  -h, --help           print this help\n"
    "\n"
    "Exit status: 0 written, 2 bad input (unknown run, no output given, a place\n"
    "that cannot be written), 1 a database error.\n"
    "\n" AIB_RCMD_DB_HELP;

struct export_args {
    const char **refs;
    size_t nrefs;
    const char *out, *prom;
};

/* Returns -1 to go on, else the exit status. */
static int parse(struct aib_cli *cli, int argc, char **argv, struct export_args *a)
{
    bool dashdash = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(export_usage, cli->out);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char **dst = NULL, *val = NULL;
        if (!dashdash && strcmp(s, "--") == 0) {
            dashdash = true;
            continue;
        }
        if (!dashdash && (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0)) {
            dst = &a->out;
        } else if (!dashdash && strncmp(s, "--output=", 9) == 0) {
            dst = &a->out;
            val = s + 9;
        } else if (!dashdash && strcmp(s, "--prometheus") == 0) {
            dst = &a->prom;
        } else if (!dashdash && strncmp(s, "--prometheus=", 13) == 0) {
            dst = &a->prom;
            val = s + 13;
        } else if (!dashdash && s[0] == '-' && s[1]) {
            aib_cli_error(cli, "export: unknown option '%s' (see export --help)", s);
            return 2;
        } else {
            a->refs[a->nrefs++] = s;
            continue;
        }
        if (!val && i + 1 < argc)
            val = argv[++i];
        if (!val || !*val) {
            aib_cli_error(cli, "export: %s needs a file name", s);
            return 2;
        }
        if (*dst) {
            aib_cli_error(cli, "export: %s given twice", s);
            return 2;
        }
        *dst = val;
    }
    if (a->nrefs == 0) {
        aib_cli_error(cli, "export: missing RUN (see export --help)");
        return 2;
    }
    if (!a->out && !a->prom) {
        aib_cli_error(cli, "export: give -o FILE.json ('-' for standard output) and/or "
                           "--prometheus FILE");
        return 2;
    }
    if (a->out && a->prom && strcmp(a->out, a->prom) == 0) {
        aib_cli_error(cli, "export: -o and --prometheus name the same file '%s'", a->out);
        return 2;
    }
    return -1;
}

int aib_cmd_export(struct aib_cli *cli, int argc, char **argv)
{
    struct export_args a = {0};
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    int64_t *ids = NULL;
    size_t nids = 0;
    char path[4096];
    int rc;
    a.refs = calloc((size_t)argc + 1, sizeof *a.refs);
    ids = calloc((size_t)argc + 1, sizeof *ids);
    if (!a.refs || !ids) {
        aib_cli_error(cli, "out of memory");
        rc = 1;
        goto cleanup;
    }
    if ((rc = parse(cli, argc, argv, &a)) >= 0 ||
        (rc = aib_rcmd_open_db(cli, false, path, sizeof path, &s)) >= 0)
        goto cleanup;
    for (size_t i = 0; i < a.nrefs; i++) {
        int64_t id = 0;
        bool seen = false;
        if (aib_store_resolve_ref(s, a.refs[i], &id, &err)) {
            aib_cli_error(cli, "export: %s", err.msg);
            rc = aib_rcmd_exit_for(err.code);
            goto cleanup;
        }
        for (size_t k = 0; k < nids; k++)
            seen |= ids[k] == id;
        if (!seen)
            ids[nids++] = id;
    }
    /* Both outputs are checked before either is written: no JSON file left
     * behind by a textfile path that was bound to fail. */
    if (a.prom && aib_prom_check_path(a.prom, &err)) {
        aib_cli_error(cli, "export: %s", err.msg);
        rc = err.code ? aib_rcmd_exit_for(err.code) : 2;
        goto cleanup;
    }
    if (a.out && aib_export_to_path(s, ids, nids, a.out, cli->out, &err)) {
        aib_cli_error(cli, "export: %s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    if (a.prom && aib_prom_export_runs(s, ids, nids, a.prom, &err)) {
        aib_cli_error(cli, "export: %s", err.msg);
        rc = err.code ? aib_rcmd_exit_for(err.code) : 1;
        goto cleanup;
    }
    /* With -o - the document is standard output: say nothing else there. */
    FILE *note = a.out && strcmp(a.out, "-") == 0 ? cli->errf : cli->out;
    fprintf(note, "exported %zu run%s (", nids, nids == 1 ? "" : "s");
    for (size_t i = 0; i < nids; i++)
        fprintf(note, "%s%" PRId64, i ? ", " : "", ids[i]);
    fputs(")", note);
    if (a.out)
        fprintf(note, " to %s", strcmp(a.out, "-") == 0 ? "standard output" : a.out);
    if (a.prom)
        fprintf(note, "%s Prometheus textfile %s", a.out ? " and" : " to", a.prom);
    fprintf(note, "\ndatabase: %s\n", path);
    rc = 0;
cleanup:
    free(a.refs);
    free(ids);
    aib_store_close(s);
    return rc;
}
