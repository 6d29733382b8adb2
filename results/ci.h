/* The CI regression gate (`aibench ci`): where a run comes from (git commit
 * and branch, host fingerprint), the Mann-Whitney U test, the verdict for
 * each result against a baseline run, and the reports (text, JSON,
 * Markdown, JUnit XML). The rules are described in docs/ci.md. */
#ifndef AIB_CI_H
#define AIB_CI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../bench/kv.h"
#include "../devices/device.h"
#include "model.h"

/* --- where a run comes from (ci_host.c) ------------------------------------ */

/* The commit (full hash) and branch of the git work tree containing `dir`,
 * read by running `git -C DIR rev-parse HEAD --abbrev-ref HEAD`. Both are
 * "" when dir is not in a work tree, the repository has no commit yet, or
 * git is not installed. With a detached HEAD the branch is "", except in
 * GitHub Actions (GITHUB_ACTIONS=true), where $GITHUB_HEAD_REF (pull
 * requests) or else $GITHUB_REF_NAME names it. */
void aib_ci_git_info(const char *dir, char *commit, size_t clen, char *branch, size_t blen);

/* The parts of the host fingerprint, in a fixed order: arch, cpu (model),
 * cpu.cores, cpu.threads, memory (GiB, rounded), governor (when known), os,
 * kernel, and device.ID = name for every device discovered: the machine and
 * its system. How aibench was built and launched (compiler flags, CPU
 * affinity) is part of what a gate measures, like the code, so it is left
 * out. `env` is the run environment from aib_env_collect(). */

int aib_ci_fingerprint(const struct aib_devlist *devs, const struct aib_kvlist *env,
                       struct aib_kvlist *parts);
/* 16 hex digits: FNV-1a 64 over the "key=value\n" lines of the parts. */
void aib_ci_fingerprint_hash(const struct aib_kvlist *parts, char *buf, size_t len);
/* Fills run->git_commit, git_branch (of the current directory) and
 * fingerprint, and adds git.commit, git.branch, cpus_allowed (the CPU
 * affinity it runs with), fingerprint and fingerprint.KEY to run->env
 * (which aib_env_collect() filled first). 0 or AIB_ENOMEM. */
int aib_ci_stamp_run(struct aib_run *run, const struct aib_devlist *devs);
/* 0 when `base` may serve as the baseline of `cur` (same fingerprint);
 * else AIB_EUSAGE with the reason: the parts that differ, baseline value
 * first, or that the baseline was recorded without a fingerprint. */
int aib_ci_check_host(const struct aib_run *base, const struct aib_run *cur, struct aib_err *err);

/* --- Mann-Whitney U (ci_mwu.c) --------------------------------------------- */

struct aib_mwu {
    double u;     /* U of the first sample: pairs with a > b, ties counting 1/2 */
    double z;     /* normal approximation (0 when exact) */
    double p;     /* two-sided p-value */
    double p_min; /* the smallest two-sided p-value these sample sizes allow */
    bool exact;   /* exact distribution (no ties, na + nb <= 50) */
};
/* Two-sided Mann-Whitney U test of a[0..na) against b[0..nb) (na, nb >= 1).
 * Exact distribution when there are no ties and na + nb <= 50; otherwise
 * the normal approximation with tie correction and continuity correction.
 * 0 or AIB_ENOMEM. */
int aib_mwu_test(const double *a, size_t na, const double *b, size_t nb, struct aib_mwu *out);

/* --- verdicts (ci_gate.c) ----------------------------------------------------- */

enum aib_ci_verdict {
    AIB_CI_UNCHANGED,
    AIB_CI_IMPROVED,
    AIB_CI_REGRESSED,
    AIB_CI_INCONCLUSIVE,
    AIB_CI_NEW,     /* measured now, not in the baseline */
    AIB_CI_MISSING, /* in the baseline, not measured now */
    AIB_CI_FAILED,  /* the current result failed (e.g. a wrong answer) */
    AIB_CI_NVERDICTS
};

struct aib_ci_opts {
    double max_regression; /* fraction: 0.05 = 5% */
    double alpha;          /* significance level of the test */
    bool fail_on_inconclusive;
};
void aib_ci_opts_default(struct aib_ci_opts *o);

struct aib_ci_row {
    /* Every repetition of a result (same workload, device and parameters in
     * one run) pooled into one: samples joined, statistics recomputed.
     * Either is NULL for new / missing. Owned by the gate. */
    const struct aib_result *base, *cur;
    size_t base_reps, cur_reps;
    /* The fast tail (10th percentile time) of each repetition (owned by the
     * gate), and the lowest and highest of them, on each side. */
    double *base_rep_fast, *cur_rep_fast;
    double base_rep_lo, base_rep_hi, cur_rep_lo, cur_rep_hi;
    struct aib_mwu reps_mwu; /* of the repetitions' fast tails, when both sides have >= 2 */
    bool reps_tested;
    double seconds; /* time the current repetitions took */
    enum aib_ci_verdict verdict;
    double ratio;      /* median time now / median time in the baseline: > 1 is slower */
    double ratio_fast; /* the same for the 10th percentile time (the fast tail) */
    double noise; /* the wider relative 95% CI half-width of the two medians */
    /* The machine-speed probe (bench/probe.h), when both results were
     * tested: each side's probe_s (the median over its repetitions of the
     * mean over CPUs; NAN where none was stored), current / baseline (> 1:
     * the machine was slower now), and the largest and smallest such
     * change over the CPUs probed on both sides. */
    double base_probe, cur_probe, probe_ratio, probe_max, probe_min;
    struct aib_mwu mwu;
    bool tested;  /* mwu is filled */
    char reason[256];
};

struct aib_ci_gate {
    struct aib_ci_row *rows;
    size_t n;
    struct aib_result *pooled; /* what rows point to */
    size_t npooled;
};

const char *aib_ci_verdict_name(enum aib_ci_verdict v);
/* The verdict for one pair (see docs/ci.md for the rule). The caller has
 * set row->base, row->cur and the repetition fields; the rest is filled. */
int aib_ci_judge(const struct aib_ci_opts *o, struct aib_ci_row *row);
/* One row per distinct current result (in order of first appearance),
 * then one per baseline result not measured now. Results pair by workload,
 * device and parameters; repetitions are pooled. 0 or AIB_ENOMEM; free
 * with aib_ci_gate_free() either way. */
int aib_ci_gate(const struct aib_result *base, size_t nbase, const struct aib_result *cur,
                size_t ncur, const struct aib_ci_opts *o, struct aib_ci_gate *g);
void aib_ci_gate_free(struct aib_ci_gate *g);
/* 2 when a current result failed, else 1 when one regressed, else 3 when
 * one is inconclusive and o->fail_on_inconclusive, else 0. */
int aib_ci_exit_status(const struct aib_ci_row *rows, size_t n, const struct aib_ci_opts *o);

/* --- reports (ci_report.c, ci_junit.c) ------------------------------------- */

struct aib_ci_report {
    const struct aib_run *base, *cur;
    const struct aib_ci_row *rows;
    size_t n;
    size_t count[AIB_CI_NVERDICTS];
    struct aib_ci_opts opts;
    int status; /* the exit status the gate gives */
};
/* Counts the verdicts and sets status. */
void aib_ci_report_init(struct aib_ci_report *r, const struct aib_run *base,
                        const struct aib_run *cur, const struct aib_ci_row *rows, size_t n,
                        const struct aib_ci_opts *o);

typedef void (*aib_ci_writer)(FILE *f, const struct aib_ci_report *r);
void aib_ci_write_text(FILE *f, const struct aib_ci_report *r);
void aib_ci_write_json(FILE *f, const struct aib_ci_report *r);
/* A summary that fits a pull-request comment: regressions first. */
void aib_ci_write_markdown(FILE *f, const struct aib_ci_report *r);
/* One testcase per row; a <failure> with the figures for each regression. */
void aib_ci_write_junit(FILE *f, const struct aib_ci_report *r);
/* Writes PATH.tmp-XXXXXX beside PATH and renames it into place, so a
 * reader never sees half a report. AIB_EUSAGE naming the path on failure. */
int aib_ci_write_file(const char *path, aib_ci_writer w, const struct aib_ci_report *r,
                      struct aib_err *err);
/* AIB_EUSAGE when PATH cannot be created (its directory is missing or not
 * writable): checked before anything runs. */
int aib_ci_check_output(const char *opt, const char *path, struct aib_err *err);

/* "+7.1%" (time change) for a ratio, or "-" when not finite. */
const char *aib_ci_fmt_change(double ratio, char *buf, size_t len);

#endif
