/* The `cupti` profiler (profilers/cupti.c): GPU counters of CUDA entries
 * through the CUDA plugin's CUPTI hooks (cuda/aib_cuda_plugin.h, ABI 3):
 * PM sampling during the timed samples (series), then an Activity-API
 * kernel trace and the Range Profiler, each over a replay of one timed
 * sample's iterations after the last one (docs/metrics.md, "cupti").
 * The helpers below are plain C with no plugin behind them (unit-tested in
 * tests/unit/test_cupti.c). */
#ifndef AIB_PROF_CUPTI_H
#define AIB_PROF_CUPTI_H

#include <stddef.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../bench/plan.h"
#include "profiler.h"

extern const struct aib_prof_ops aib_prof_cupti;

/* Most names in one set, and the longest name. */
#define AIB_CUPTI_MAX_METRICS 64
#define AIB_CUPTI_MAX_NAME 127

/* A --metrics list split into the Range Profiler's set and the PM-sampling
 * set ("pm:" items); an empty set means that profiler's default set. */
struct aib_cupti_sets {
    char **range;
    size_t n_range;
    char **pm;
    size_t n_pm;
};

/* Parses "a,b,pm:c,range:d" (names of letters, digits, '_' and '.'; no
 * empty item, no duplicate). AIB_EUSAGE with one line naming the problem. */
int aib_cupti_parse_metrics(const char *list, struct aib_cupti_sets *out, struct aib_err *err);
void aib_cupti_sets_free(struct aib_cupti_sets *s);

/* A metric name that fits in `max` characters (result metric and series
 * names are short): long CUPTI names are abbreviated the documented way
 * ("pct_of_peak_sustained_elapsed" -> "pct_elapsed", "_realtime" -> "_rt",
 * "per_second" -> "per_s", "cycles_active" -> "active", ...), and what is
 * still too long keeps its start plus '~' and 8 hex digits of a hash of the
 * full name. Returns 1 when the name changed, 0 when it fits as it is. */
int aib_cupti_short_name(const char *metric, size_t max, char *out, size_t len);

/* CUPTI's dimension ("byte", "nanosecond", "percent", "byte/second") as an
 * aibench unit ("B", "s", "%", "B/s") and the factor values are scaled by. */
void aib_cupti_unit(const char *dim, char *out, size_t len, double *scale);

/* Is the `cupti` profiler among `profilers` (the --profilers value; NULL or
 * "all": yes; "none": no)? */
int aib_cupti_selected(const char *profilers);

/* Before a run: checks --metrics (`metrics`, may be NULL) against the plan.
 * Bad list, --metrics without a CUDA entry or without the cupti profiler,
 * CUPTI missing, a name CUPTI does not know for the GPU's chip, a PM set of
 * more than one pass: AIB_EUSAGE, one line. Without --metrics nothing is
 * refused; a line goes to `notes` when CUPTI counters will be missing for a
 * reason the user can fix (no CUPTI, profiling restricted to admins). */
int aib_cupti_check_run(const char *metrics, const char *profilers, const struct aib_plan *plan,
                        FILE *notes, struct aib_err *err);

/* Whether GPU profiling is restricted to root here: 1 yes (with the line
 * naming the fix in why), 0 no or unknown. Reads `params` (normally
 * /proc/driver/nvidia/params) for RmProfilingAdminOnly; euid 0 is never
 * restricted. */
int aib_cupti_restricted(const char *params, unsigned euid, char *why, size_t len);

#endif
