/* The SQLite results store. WAL mode, busy timeout, schema versioned with
 * PRAGMA user_version and forward migrations, prepared statements only,
 * database file mode 0600. Every write is one transaction (BEGIN IMMEDIATE),
 * so two aibench processes writing one database lose nothing. */
#ifndef AIB_STORE_H
#define AIB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bench/err.h"
#include "model.h"

struct aib_store;

/* Resolves the database path: `explicit_path` if non-NULL, else $AIBENCH_DB,
 * else $XDG_DATA_HOME/aibench/results.db, else ~/.local/share/aibench/results.db.
 * Sets *is_default when neither an explicit path nor AIBENCH_DB was used
 * (then the directory may be created by aib_store_open). */
int aib_store_resolve_path(const char *explicit_path, char *buf, size_t len, bool *is_default,
                           struct aib_err *err);

/* Opens (create=true: creates if missing, creating the parent directory only
 * when mkdir_parent) and migrates the schema. Errors (AIB_EUSAGE, message
 * naming the path): missing or unwritable directory, a file that is not an
 * aibench database or is corrupt (left untouched), a newer schema version.
 * create=false and no file: AIB_EUSAGE "no results database at PATH". */
int aib_store_open(const char *path, bool create, bool mkdir_parent, struct aib_store **out,
                   struct aib_err *err);
/* Opens an existing database for reading only (compare --db-b): nothing is
 * written to it, not even a migration, so it needs this build's schema
 * version (AIB_EUSAGE otherwise, and for the errors above). */
int aib_store_open_readonly(const char *path, struct aib_store **out, struct aib_err *err);
void aib_store_close(struct aib_store *s);
int aib_store_schema_version(void); /* the version this build writes */

/* Inserts the run (status "running"), sets run->id and run->uuid (if empty). */
int aib_store_run_begin(struct aib_store *s, struct aib_run *run, struct aib_err *err);
/* Inserts one result with all its samples in one transaction; sets r->id. */
int aib_store_result_add(struct aib_store *s, int64_t run_id, struct aib_result *r,
                         struct aib_err *err);
/* Updates status and end time of the run. */
int aib_store_run_end(struct aib_store *s, const struct aib_run *run, struct aib_err *err);

/* Runs newest first, with nresults filled, env left empty. Caller frees with
 * aib_runs_free. */
int aib_store_list_runs(struct aib_store *s, struct aib_run **runs, size_t *n, struct aib_err *err);
void aib_runs_free(struct aib_run *runs, size_t n);
/* ref: a numeric id, a UUID or unique UUID prefix (>= 4 chars), or "last".
 * Loads the run with env and its results with samples. Unknown ref:
 * AIB_EUSAGE "no run 'REF' in PATH". */
int aib_store_load_run(struct aib_store *s, const char *ref, struct aib_run *run,
                       struct aib_result **results, size_t *nresults, struct aib_err *err);
int aib_store_delete_run(struct aib_store *s, const char *ref, struct aib_err *err);

/* The path the store was opened with (for "database: PATH" lines). */
const char *aib_store_path(const struct aib_store *s);
/* Resolves a run reference (as aib_store_load_run) to its numeric id.
 * A string of digits is an id first; otherwise a UUID prefix. */
int aib_store_resolve_ref(struct aib_store *s, const char *ref, int64_t *run_id,
                          struct aib_err *err);

/* Tags: names for runs (`aibench tag`), accepted wherever a RUN is. A run
 * reference is tried as "last", then an id (digits), then a tag, then a
 * UUID prefix. A tag name is 1 to 64 characters from [A-Za-z0-9._/-] that
 * starts with a letter and is not "last" (AIB_EUSAGE otherwise). */
struct aib_tag {
    char name[72];
    int64_t run_id;
    char uuid[40];
    char suite[128];
    double created; /* unix seconds */
};
int aib_store_tag_check_name(const char *name, struct aib_err *err);
/* Points tag `name` at the run `ref` resolves to (*run_id set). A tag that
 * names another run is AIB_EUSAGE unless `force`, which moves it. */
int aib_store_tag_set(struct aib_store *s, const char *ref, const char *name, bool force,
                      int64_t *run_id, struct aib_err *err);
/* AIB_EUSAGE "no tag 'NAME'" when absent. */
int aib_store_tag_delete(struct aib_store *s, const char *name, struct aib_err *err);
/* Every tag, by name. Caller frees *tags. */
int aib_store_tags_list(struct aib_store *s, struct aib_tag **tags, size_t *n,
                        struct aib_err *err);
/* The newest run with status "ok" of `suite` with `fingerprint` (a complete
 * run of the same suite on the same host); *found false when there is none. */
int aib_store_find_last_complete(struct aib_store *s, const char *suite, const char *fingerprint,
                                 int64_t *run_id, bool *found, struct aib_err *err);

/* Internal to results/store*.c (not for other modules):
 * the connection, write transactions with retry on SQLITE_BUSY, and turning
 * the connection's last error into an aib_err naming the path. */
struct sqlite3;
struct sqlite3 *aib_store_db_(struct aib_store *s);
int aib_store_tx_begin_(struct aib_store *s, struct aib_err *err);
/* Commits when rc == 0 (returning the commit's status), else rolls back and
 * returns rc unchanged. */
int aib_store_tx_end_(struct aib_store *s, int rc, struct aib_err *err);
int aib_store_sqlerr_(struct aib_store *s, int sqlite_rc, const char *what, struct aib_err *err);

#endif
