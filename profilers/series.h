/* Sampled time series (system sampler, NVML, later CUPTI PM sampling): held
 * in memory while a profiler samples, stored with the run in SQLite (table
 * `series`, schema migration 4: one row per series with its summary and the
 * points as two little-endian float64 blobs; see docs/metrics.md), read
 * back and shown by `aibench results show`. */
#ifndef AIB_SERIES_H
#define AIB_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../bench/json.h"

struct aib_series {
    int64_t result_id; /* the result it was sampled during; 0: the run as a whole */
    char source[16];   /* the profiler: "system", "nvml" */
    char name[48];     /* "cpu.util", "cpu0.freq", "power" */
    char unit[16];
    double t0;         /* unix seconds of t = 0 */
    double *t;         /* seconds since t0, ascending */
    double *v;
    size_t n, cap;
    double min, mean, max; /* of the points; NaN when n == 0 */
};

struct aib_series_set {
    struct aib_series *items;
    size_t len, cap;
};

/* The series (source, name) of the set, created (with unit and t0) if it is
 * not there. NULL when out of memory. The pointer is valid until the set
 * grows. */
struct aib_series *aib_series_get(struct aib_series_set *set, const char *source,
                                  const char *name, const char *unit, double t0);
/* Appends a new, empty series (even if one of that name exists). */
struct aib_series *aib_series_add(struct aib_series_set *set, const char *source,
                                  const char *name, const char *unit, double t0);
/* Appends a point (0 or AIB_ENOMEM) and keeps the summary current. */
int aib_series_push(struct aib_series *s, double t, double v);
/* Moves every series of src to the end of dst (src is left empty). */
int aib_series_move(struct aib_series_set *dst, struct aib_series_set *src);
void aib_series_set_result(struct aib_series_set *set, int64_t result_id);
void aib_series_free(struct aib_series_set *set);

/* --- storage (profilers/series_store.c) ----------------------------------
 * Takes the store the run is written to; each call is one transaction. */
struct aib_store;
int aib_series_store(struct aib_store *s, int64_t run_id, const struct aib_series_set *set,
                     struct aib_err *err);
/* Appends every series of run_id to out, ordered by result and name. */
int aib_series_load(struct aib_store *s, int64_t run_id, struct aib_series_set *out,
                    struct aib_err *err);

/* --- display ------------------------------------------------------------ */
/* How many series belong to result_id (0: run-wide). */
size_t aib_series_count(const struct aib_series_set *set, int64_t result_id);
/* The series of one result (result_id; 0 for run-wide ones) as text lines:
 * source.name, unit, count, min, mean, max. Prints nothing when none. */
void aib_series_print(FILE *f, const struct aib_series_set *set, int64_t result_id);
/* Every series as a JSON array of objects with the summary and the points. */
void aib_series_json(struct aib_json *j, const struct aib_series_set *set);

/* --- a sink that stores each result's series after the store sink has
 * written the result (so the result id is known). */
struct aib_sink;
struct aib_profilers;
struct aib_series_sink {
    struct aib_store *store;
    struct aib_profilers *prof;
    int64_t run_id;
};
/* Attach after the store sink. */
void aib_series_sink_init(struct aib_series_sink *k, struct aib_sink *s, struct aib_store *store,
                          struct aib_profilers *prof);

#endif
