/* Suites: YAML files (read with libyaml) naming workloads, devices,
 * parameter sweeps and timing defaults. Loading validates the whole file
 * (syntax, keys, types, workloads, parameter values, device selectors)
 * before anything runs; every error is one line "FILE:LINE:COL: problem".
 * The format is described in docs/suites.md. */
#ifndef AIB_SUITE_H
#define AIB_SUITE_H

#include <stddef.h>
#include <stdio.h>

#include "../devices/device.h"
#include "err.h"
#include "plan.h"

/* A 1-based position in the suite file. */
struct aib_suite_mark {
    unsigned line, col;
};

struct aib_suite_device {
    char *selector; /* "cpu", "cuda:*", "opencl:0:1", "all" */
    struct aib_suite_mark mark;
};

struct aib_suite_entry {
    char *workload;
    struct aib_suite_mark mark;          /* the entry's mapping */
    struct aib_suite_mark workload_mark; /* the workload name */
    struct aib_suite_device *devices;    /* never empty: [cpu] when not given */
    size_t ndevices;
    /* params[i].where is "FILE:LINE:COL" of the value node; key_marks[i]
     * and value_marks[i][j] locate the key and each value for messages. */
    struct aib_pspec *params;
    struct aib_suite_mark *key_marks;
    struct aib_suite_mark **value_marks;
    size_t nparams;
    char **tags; /* for `run --suite S --tag T` (aib_suite_load_tagged) */
    size_t ntags;
};

struct aib_suite {
    char path[4096];
    char *name;
    char *description;           /* NULL when not given */
    struct aib_engine_opts opts; /* aib_engine_opts_default() overridden by defaults: */
    /* defaults: repetitions (1 when not given): the plan is laid out this
     * many times, round-robin, each entry with a fresh setup, so that the
     * samples of one run span several setups and moments. */
    int repetitions;
    struct aib_suite_entry *entries;
    size_t nentries;
};

/* Maps a suite argument to a file. An argument containing '/' or ending in
 * .yaml/.yml is a path, used as is. Otherwise it is a built-in suite name,
 * looked up as $AIBENCH_SUITES_DIR/NAME.yaml, EXE_DIR/../suites/NAME.yaml,
 * then EXE_DIR/../share/aibench/suites/NAME.yaml (exe_dir may be NULL);
 * a suite found this way is returned as a canonical absolute path.
 * AIB_EUSAGE for an unknown name, listing the folders and suites found. */
int aib_suite_resolve_path(const char *name_or_path, const char *exe_dir, char *buf, size_t len,
                           struct aib_err *err);

/* Reads and checks the syntax and shape of one suite file, without looking
 * at the registry or the devices. On failure *s is left empty. */
int aib_suite_parse(const char *path, struct aib_suite *s, struct aib_err *err);
void aib_suite_free(struct aib_suite *s);

/* Resolves, parses and expands a suite into `plan`: sets plan->opts and
 * plan->suite and appends one entry per (workload, device, parameter set),
 * all of them again for each further repetition.
 * Selected devices that are absent here, or that the workload does not run
 * on, are skipped with a note in plan->notes, not an error. On failure the
 * plan may hold some entries; the caller frees it with aib_plan_free()
 * either way. */
int aib_suite_load(const char *name_or_path, const char *exe_dir, const struct aib_devlist *devs,
                   struct aib_plan *plan, struct aib_err *err);
/* The same, keeping only the entries that have at least one of `tags`
 * (all entries when ntags is 0). Every entry is still checked in full. A
 * tag no entry has is AIB_EUSAGE, listing the suite's tags. */
int aib_suite_load_tagged(const char *name_or_path, const char *exe_dir,
                          const struct aib_devlist *devs, const char *const *tags, size_t ntags,
                          struct aib_plan *plan, struct aib_err *err);
/* Prints what a run of the plan would do (--dry-run): the notes, the timing
 * options, one line per entry with where it comes from, and the most time
 * it can take. Writes nothing else anywhere. */
void aib_suite_print_plan(FILE *out, const struct aib_plan *plan);

#endif
