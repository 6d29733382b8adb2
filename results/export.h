/* Moving runs between databases: `aibench export` writes runs (environment,
 * results, samples, metrics, sampled series) as one JSON document in the
 * versioned "aibench-export" format (docs/export-format.md); `aibench
 * import` reads one back into a database in a single transaction. Runs keep
 * their UUID, so importing the same run twice adds it once. */
#ifndef AIB_EXPORT_H
#define AIB_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../profilers/series.h"
#include "store.h"

#define AIB_EXPORT_FORMAT "aibench-export"
/* The major version this build writes and the newest it reads. Adding an
 * optional field keeps it; anything an older reader would misread bumps it. */
#define AIB_EXPORT_VERSION 1

/* Writes runs run_ids[0..n) of s as one export document to f. */
int aib_export_write(struct aib_store *s, const int64_t *run_ids, size_t n, FILE *f,
                     struct aib_err *err);
/* The same into `path` through a temporary file in its directory and a
 * rename, so PATH is never left half-written; "-" writes to `out`. A
 * missing directory or an unwritable place is AIB_EUSAGE. */
int aib_export_to_path(struct aib_store *s, const int64_t *run_ids, size_t n, const char *path,
                       FILE *out, struct aib_err *err);

/* A checked export document in memory: each run with its results and
 * series. A series' result_id is the 1-based index of its result in `res`
 * (0: run-wide), since the file's results have no ids of their own. */
struct aib_import_item {
    struct aib_run run;
    struct aib_result *res;
    size_t nres;
    struct aib_series_set series;
};

struct aib_import_doc {
    struct aib_import_item *items;
    size_t n;
    int version;
};

/* Parses and checks a whole document (import.c) without touching any
 * database. Errors on the document are AIB_EUSAGE naming the field and its
 * line and column ("runs[0].results[2].stats.median: ..."); a format
 * version newer than AIB_EXPORT_VERSION is refused. */
int aib_import_parse(const char *text, size_t len, struct aib_import_doc *doc,
                     struct aib_err *err);
void aib_import_doc_free(struct aib_import_doc *doc);

/* What an import did, run by run in file order. */
struct aib_import_run {
    char uuid[40];
    int64_t id;   /* the new local id; for a skipped run, the id it already has */
    bool skipped; /* a run with this UUID was already in the database */
};

struct aib_import_report {
    struct aib_import_run *runs; /* owned */
    size_t n;
};

/* Adds the runs of doc to s in one transaction (import_store.c): a run
 * whose UUID is already there is skipped; on any error nothing is added. */
int aib_import_store(struct aib_store *s, const struct aib_import_doc *doc,
                     struct aib_import_report *rep, struct aib_err *err);
void aib_import_report_free(struct aib_import_report *rep);
/* Reads a whole file into a NUL-terminated buffer (caller frees); "-" reads
 * standard input. A missing or unreadable file is AIB_EUSAGE. */
int aib_import_read_file(const char *path, char **text, size_t *len, struct aib_err *err);

#endif
