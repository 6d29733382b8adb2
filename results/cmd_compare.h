/* Internal to the `compare` command (cmd_compare.c: options, the two-run
 * view; cmd_compare_cols.c: turning RUN and --host arguments into loaded
 * columns; cmd_compare_multi.c: the N-way view), not for other modules. */
#ifndef AIB_CMD_COMPARE_H
#define AIB_CMD_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../bench/cli.h"
#include "compare.h"
#include "store.h"

/* One argument that names a column: a RUN or a --host NAME, both with an
 * optional "a:" / "b:" database prefix and "@DEVICE" suffix. */
struct aib_cmp_spec {
    const char *text;
    bool host;
};

struct aib_cmp_price {
    const char *host; /* owned */
    double usd;
};

struct aib_cmp_args {
    bool json, nway;
    double tol;
    const char *db_b;
    struct aib_cmp_spec *specs; /* argc entries at most */
    size_t nspecs;
    struct aib_cmp_price *prices;
    size_t nprices;
};

struct aib_cmp_col {
    char label[24];       /* "#1" */
    char spec[200];       /* the argument as given, for messages */
    int db;               /* 0: --db, 1: --db-b */
    char device[48];      /* @DEVICE, or "" */
    struct aib_run run;
    struct aib_result *res; /* filtered to `device` when one is given */
    size_t nres;
    double price;         /* USD, NaN when none */
};

/* Both databases: [0] the --db one, [1] --db-b or NULL. */
struct aib_cmp_dbs {
    struct aib_store *s[2];
    char path[2][4096];
};

/* Loads every column (cmd_compare_cols.c): runs and hosts resolved,
 * devices filtered, prices given to the columns of their host. Errors are
 * printed (one line) and returned as the exit status; 0 on success.
 * *match_device is false when every column picked a device. */
int aib_cmp_load_cols(struct aib_cli *cli, const struct aib_cmp_args *a,
                      const struct aib_cmp_dbs *dbs, struct aib_cmp_col **cols, size_t *ncols,
                      bool *match_device);
void aib_cmp_cols_free(struct aib_cmp_col *cols, size_t n);
/* Refuses (exit status 2, one line) columns that share no result. */
int aib_cmp_check_overlap(struct aib_cli *cli, const struct aib_cmp_col *cols, size_t ncols,
                          const struct aib_nway *nw);

/* The N-way view of nw (matched from the columns' results), text or JSON
 * (cmd_compare_multi.c). Returns the exit status. */
int aib_cmp_nway(struct aib_cli *cli, const struct aib_cmp_args *a, const struct aib_cmp_dbs *dbs,
                 const struct aib_cmp_col *cols, size_t ncols, const struct aib_nway *nw);

/* A text table (cmd_compare_grid.c): rows of ncols cells, each padded to
 * its column's width; align is 'l' or 'r' per column. */
struct aib_cmp_grid {
    size_t ncols, nrows, cap;
    char **cells; /* nrows x ncols, owned; NULL prints as empty */
    const char *align;
};
/* Appends an empty row: 0 or AIB_ENOMEM. */
int aib_cmp_grid_row(struct aib_cmp_grid *g);
/* Sets cell c of the last row (left empty when out of memory). */
void aib_cmp_grid_set(struct aib_cmp_grid *g, size_t c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void aib_cmp_grid_print(FILE *f, const struct aib_cmp_grid *g);
void aib_cmp_grid_free(struct aib_cmp_grid *g);

#endif
