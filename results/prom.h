/* Prometheus text exposition format 0.0.4: a small writer (results/prom.c)
 * and the exporters built on it (results/prom_export.c for stored runs; the
 * live `aibench top --prometheus` endpoint is in tui/prom_*.c).
 *
 * Names follow the Prometheus conventions that `promtool check metrics`
 * enforces: snake_case with the aibench_ prefix, base units spelled out at
 * the end of the name (_seconds, _bytes, _joules, _watts, _celsius, _hertz,
 * _ratio), _total only and always on counters, never _count/_sum/_bucket
 * on gauges. The writer refuses a name that breaks these rules, so a bad
 * name is a test failure here rather than a lint warning at a user's site. */
#ifndef AIB_RESULTS_PROM_H
#define AIB_RESULTS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aib_store;
struct aib_err;
struct aib_run;
struct aib_result;

/* --- exporters --------------------------------------------------------------- */

/* Writes the stored runs `run_ids[0..n)` as a node_exporter textfile at
 * `path`, atomically: a temporary file in the same directory, fsynced, mode
 * 0644, renamed over `path` (the textfile collector must never read half a
 * file). A run listed twice is written once. No timestamps on the samples
 * (the textfile collector refuses them): when a run happened is the value
 * of aibench_run_start_timestamp_seconds. Returns 0, or a negative code with
 * `err` set (AIB_EUSAGE for a path that cannot be written; nothing is left
 * behind then). */
int aib_prom_export_runs(struct aib_store *st, const int64_t *run_ids, size_t n, const char *path,
                         struct aib_err *err);
/* The checks aib_prom_export_runs makes on `path` before it writes, for a
 * command that writes other files too and wants to fail before any of
 * them: a file name is given, it is not a directory, and its directory
 * exists and is writable. AIB_EUSAGE with a one-line message otherwise. */
int aib_prom_check_path(const char *path, struct aib_err *err);

/* --- the writer -------------------------------------------------------------- */

enum aib_prom_type { AIB_PROM_GAUGE, AIB_PROM_COUNTER };

struct aib_prom_label {
    const char *name;
    const char *value; /* any bytes: escaped on output, invalid UTF-8 replaced by '?' */
};

/* A set of metric families, rendered in the order they were declared. Each
 * family is written once (HELP, TYPE, then all its series together) however
 * the series were added. */
struct aib_prom;

int aib_prom_new(struct aib_prom **out, struct aib_err *err);
void aib_prom_free(struct aib_prom *p); /* NULL is fine */

/* Declares family `name`. Declaring it again with the same type and help is
 * a no-op; with another type or help it is AIB_EUSAGE. A name that is not a
 * valid metric name, a counter without _total, or a gauge ending in _total,
 * _count, _sum or _bucket is AIB_EUSAGE. */
int aib_prom_family(struct aib_prom *p, const char *name, enum aib_prom_type type,
                    const char *help, struct aib_err *err);
/* Adds one series to a declared family. Label names must be valid and
 * distinct (not le/quantile, not __-prefixed); a label set the family
 * already has is AIB_EUSAGE ("duplicate series"). A counter's value must
 * not be negative or NaN. */
int aib_prom_add(struct aib_prom *p, const char *family, const struct aib_prom_label *labels,
                 size_t nlabels, double value, struct aib_err *err);
/* True when family `name` has been declared. */
bool aib_prom_declared(const struct aib_prom *p, const char *name);
/* The help of a declared family (NULL when not declared), and replacing
 * it (for a family that gathers values from several sources). */
const char *aib_prom_help(const struct aib_prom *p, const char *name);
int aib_prom_set_help(struct aib_prom *p, const char *name, const char *help,
                      struct aib_err *err);
/* True when family `name` already has a series with exactly these labels. */
bool aib_prom_has(const struct aib_prom *p, const char *family, const struct aib_prom_label *labels,
                  size_t nlabels);
/* The exposition text (owned by the caller, NUL-terminated, *len without the
 * NUL). Families without series are left out. */
int aib_prom_render(const struct aib_prom *p, char **text, size_t *len, struct aib_err *err);

/* --- names, values, escaping (pure) ------------------------------------------ */

/* [a-zA-Z_][a-zA-Z0-9_]*: the colon is left to recording rules. */
bool aib_prom_metric_name_ok(const char *name);
/* What `promtool check metrics` would say about family `name` (a counter
 * or not), or NULL when nothing: an invalid name, _total missing on a
 * counter or present on a gauge, a gauge ending in _count/_sum/_bucket, a
 * word that is an abbreviated unit (s, ms, b, mb, m, h, ...), a non-base
 * unit (milliseconds, kilobytes, bits, ...) or a metric type. */
const char *aib_prom_name_problem(const char *name, bool counter);
/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved). */
bool aib_prom_label_name_ok(const char *name);
/* Label value escaping: backslash, double quote and newline become \\, \"
 * and \n; bytes that are not valid UTF-8 become '?'. Writes at most cap-1
 * bytes and a NUL; returns the length the full escape needs (as snprintf). */
size_t aib_prom_escape_label(const char *in, char *out, size_t cap);
/* HELP text escaping: backslash and newline only (as the format says). */
size_t aib_prom_escape_help(const char *in, char *out, size_t cap);
/* Shortest text that reads back as the same double; NaN, +Inf, -Inf. */
void aib_prom_format_value(double v, char *buf, size_t len);
/* snake_case: lower case, every run of other characters one '_', no '_' at
 * either end ("perf.task_clock" -> "perf_task_clock"); digits are kept
 * where they are, so callers put a prefix in front. */
void aib_prom_snake(const char *in, char *out, size_t cap);

/* A unit as aibench stores it ("us", "MB/s", "%", "MHz", "GFLOP/J", "") in
 * Prometheus base units: the suffix for the name ("seconds",
 * "bytes_per_second", "ratio", "hertz", "flop_per_joule", "" for a plain
 * number) and the factor that turns a value into it. An unknown unit gives
 * its snake_case spelling ('/' read as "per") and factor 1. */
void aib_prom_unit(const char *unit, char *suffix, size_t cap, double *scale);
/* The family name for a stored metric: prefix + the metric's name in
 * snake_case ("perf.task_clock/iter" -> "perf_task_clock_per_iteration"),
 * without trailing words that only repeat its unit ("lat_p50_us" ->
 * "lat_p50", "mb_s" -> ""), then the unit's suffix; words promtool would
 * flag are left out, except that a one-letter name (matmul's m, n, k)
 * becomes "<letter>dim"; a name that would end in a reserved suffix
 * (_total, _count, _sum, _bucket) gets "_value". `prefix` has no trailing
 * underscore ("aibench_metric").
 * *scale: the factor for the value. Returns false when the result is not
 * a valid metric name or does not fit. */
bool aib_prom_metric_for(const char *prefix, const char *metric, const char *unit, char *out,
                         size_t cap, double *scale);

/* --- stored runs as families (the part of the exporter without I/O) --------- */

/* Declares the result families and adds one run with its results: run info
 * and timestamps; for each result its status, and unless it failed or has
 * no samples the throughput, timing statistics, sample count and every
 * valid numeric metric (a missing metric is left out, never written as 0).
 * Series are labelled run (the UUID), host, workload, device, params. */
int aib_prom_add_run(struct aib_prom *p, const struct aib_run *run,
                     const struct aib_result *results, size_t nresults, struct aib_err *err);

#endif
