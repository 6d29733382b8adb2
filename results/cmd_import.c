/* `aibench import FILE.json`: adds the runs of an export document to the
 * database in one transaction. The file is read and checked completely
 * before the database is opened, so a bad file changes (or creates)
 * nothing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "export.h"

static const char import_usage[] =
    "usage: aibench [--db PATH] import FILE.json [--json]\n"
    "\n"
    "Adds the runs of an 'aibench export' document (docs/export-format.md) to the\n"
    "database, with their environment, results, samples, metrics and series, in one\n"
    "transaction: a truncated, hand-broken or newer-version file adds nothing. Runs\n"
    "keep their UUID: a run already in the database is skipped, so importing a\n"
    "file twice adds its runs once. Prints the new local run ids. FILE '-' reads\n"
    "standard input. The database is created when it does not exist yet.\n"
    "\n"
    "options:\n"
    "  --json        print the outcome as JSON\n"
    "  -h, --help    print this help\n"
    "\n"
    "Exit status: 0 imported (or everything already present), 2 a bad file (one\n"
    "line naming the problem and its line and column; nothing imported), 1 a\n"
    "database error.\n"
    "\n"
    "The database is --db PATH, else $AIBENCH_DB, else $XDG_DATA_HOME/aibench/results.db\n"
    "(default ~/.local/share/aibench/results.db).\n";

static void print_text(struct aib_cli *cli, const char *file, const char *db,
                       const struct aib_import_report *rep)
{
    size_t added = 0;
    for (size_t i = 0; i < rep->n; i++) {
        const struct aib_import_run *r = &rep->runs[i];
        if (r->skipped) {
            fprintf(cli->out, "run %s already present, skipped (local run %" PRId64 ")\n",
                    r->uuid, r->id);
        } else {
            fprintf(cli->out, "imported run %s as run %" PRId64 "\n", r->uuid, r->id);
            added++;
        }
    }
    fprintf(cli->out, "%s: %zu run%s imported, %zu skipped\ndatabase: %s\n", file, added,
            added == 1 ? "" : "s", rep->n - added, db);
}

static void print_json(struct aib_cli *cli, const char *file, const char *db,
                       const struct aib_import_report *rep)
{
    struct aib_json j;
    aib_json_init(&j, cli->out, true);
    aib_json_obj_begin(&j);
    aib_json_kstr(&j, "file", file);
    aib_json_kstr(&j, "database", db);
    aib_json_key(&j, "runs");
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < rep->n; i++) {
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "uuid", rep->runs[i].uuid);
        aib_json_kint(&j, "id", rep->runs[i].id);
        aib_json_kbool(&j, "skipped", rep->runs[i].skipped);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_obj_end(&j);
    aib_json_finish(&j);
}

int aib_cmd_import(struct aib_cli *cli, int argc, char **argv)
{
    const char *file = NULL;
    bool json = false, dashdash = false;
    char *text = NULL, path[4096];
    size_t len = 0;
    struct aib_import_doc doc = {0};
    struct aib_import_report rep = {0};
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    bool is_default = false;
    int rc = 2;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(import_usage, cli->out);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!dashdash && strcmp(argv[i], "--") == 0) {
            dashdash = true;
        } else if (!dashdash && strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
            aib_cli_error(cli, "import: unknown option '%s' (see import --help)", argv[i]);
            return 2;
        } else if (file) {
            aib_cli_error(cli, "import: one FILE at a time (got '%s' and '%s')", file, argv[i]);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        aib_cli_error(cli, "import: missing FILE (see import --help)");
        return 2;
    }
    if ((rc = aib_import_read_file(file, &text, &len, &err)) ||
        (rc = aib_import_parse(text, len, &doc, &err))) {
        aib_cli_error(cli, "import: %s: %s", strcmp(file, "-") ? file : "standard input",
                      err.msg);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    if ((rc = aib_store_resolve_path(cli->db_path, path, sizeof path, &is_default, &err)) ||
        (rc = aib_store_open(path, true, is_default, &s, &err)) ||
        (rc = aib_import_store(s, &doc, &rep, &err))) {
        aib_cli_error(cli, "import: %s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
        goto cleanup;
    }
    if (json)
        print_json(cli, file, path, &rep);
    else
        print_text(cli, file, path, &rep);
    rc = 0;
cleanup:
    aib_import_report_free(&rep);
    aib_import_doc_free(&doc);
    free(text);
    aib_store_close(s);
    return rc;
}
