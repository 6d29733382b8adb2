/* Internal to the commands that read the store (cmd_results.c for
 * `results`, cmd_compare.c for `compare`), not for other modules: option
 * parsing, opening the database, cell formatting, the text table and the
 * JSON objects for a run and a result, so both commands print them alike. */
#ifndef AIB_CMD_COMMON_H
#define AIB_CMD_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../bench/cli.h"
#include "../bench/json.h"
#include "model.h"
#include "store.h"

/* The tail of every usage text: what RUN means and where the database is. */
#define AIB_RCMD_DB_HELP                                                                           \
    "RUN is a run id, a run UUID or a unique prefix of it (at least 4 characters),\n"              \
    "or \"last\" for the newest run.\n"                                                            \
    "The database is --db PATH, else $AIBENCH_DB, else $XDG_DATA_HOME/aibench/results.db\n"        \
    "(default ~/.local/share/aibench/results.db).\n"

struct aib_rcmd_opts {
    bool json;
    double tol;         /* fraction */
    const char *pos[3]; /* positional arguments after the subcommand */
    int npos;
};

/* Parses [--json] [--tolerance PCT] (only when allow_tol) and exactly
 * max_pos positionals. Returns -1 to go on, else the exit status (help
 * printed: 0; error printed: 2). */
int aib_rcmd_parse_opts(struct aib_cli *cli, const char *cmd, const char *usage, bool allow_tol,
                        int max_pos, int argc, char **argv, struct aib_rcmd_opts *o);

/* The exit status for an aib_err code: 2 for usage errors, else 1. */
int aib_rcmd_exit_for(int code);

/* Opens the database read commands use (never creating it). Returns -1 with
 * *s set, or an exit status. A missing default database with allow_missing
 * returns -1 with *s NULL: "no runs yet", not an error. */
int aib_rcmd_open_db(struct aib_cli *cli, bool allow_missing, char *path, size_t len,
                     struct aib_store **s);

/* Cells: each returns buf, or a constant "-" when there is nothing to show. */
const char *aib_rcmd_fmt_time(double unix_s, char *buf, size_t len);
const char *aib_rcmd_fmt_secs(double s, char *buf, size_t len);
const char *aib_rcmd_fmt_tput(const struct aib_result *r, char *buf, size_t len);
bool aib_rcmd_has_tput(const struct aib_result *r);
bool aib_rcmd_is_ok(const struct aib_result *r);

/* A plain text table: two passes over the rows, no allocation. */
#define AIB_RCMD_TBL_COLS 10
#define AIB_RCMD_TBL_CELL 520 /* params can be 511 characters */

struct aib_rcmd_row {
    char cell[AIB_RCMD_TBL_COLS][AIB_RCMD_TBL_CELL];
    const char *note_prefix, *note; /* a full-width line under the row, if note */
};

/* Fills row i: 0 is the header, data rows are 1..n. */
typedef void (*aib_rcmd_fill)(const void *ctx, size_t i, struct aib_rcmd_row *row);

/* align: 'l' or 'r' per column. */
void aib_rcmd_tbl_print(FILE *f, const char *align, size_t nrows, aib_rcmd_fill fill,
                        const void *ctx);
/* Sets cell c to s, or to "-" when s is NULL or empty. */
void aib_rcmd_put(struct aib_rcmd_row *row, size_t c, const char *s);
void aib_rcmd_put_header(struct aib_rcmd_row *row, const char *const *names, size_t n);

/* One run (with its environment when env) or one result (with its samples
 * when samples) as a JSON object. */
void aib_rcmd_json_run(struct aib_json *j, const struct aib_run *run, bool env);
void aib_rcmd_json_result(struct aib_json *j, const struct aib_result *r, bool samples);

#endif
