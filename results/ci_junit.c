/* JUnit XML for the CI gate, in the Jenkins / Maven Surefire dialect that
 * CI servers read (schema: docs/junit.xsd). One testsuite per gate, one
 * testcase per result:
 *   regressed     <failure type="regression"> with the figures
 *   failed        <error type="run-error"> with the workload's message
 *   inconclusive  <skipped>, or <failure type="inconclusive"> with
 *                 --fail-on-inconclusive
 *   new, missing  <skipped> (nothing to compare)
 *   unchanged, improved  passed, with the figures in <system-out>. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ci.h"

/* Text for an attribute or element: the five XML escapes, and characters
 * XML 1.0 does not allow (control characters) as '?'. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c, f);
        }
    }
}

static void attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    xml_text(f, value);
    fputc('"', f);
}

static void property(FILE *f, const char *name, const char *value)
{
    fputs("      <property", f);
    attr(f, "name", name);
    attr(f, "value", value);
    fputs("/>\n", f);
}

/* The figures of one pair, for the body of a failure or system-out. */
static void figures(FILE *f, const struct aib_ci_row *row, const struct aib_ci_opts *o)
{
    char buf[1024];
    const struct aib_result *side[2] = {row->base, row->cur};
    const size_t reps[2] = {row->base_reps, row->cur_reps};
    static const char *const name[2] = {"baseline", "current"};
    for (int i = 0; i < 2; i++) {
        const struct aib_result *r = side[i];
        if (!r)
            continue;
        snprintf(buf, sizeof buf,
                 "%s: median %.6g s per iteration, 95%% CI [%.6g, %.6g], n = %zu in %zu "
                 "repetition%s, throughput %.4g %s (result %lld)\n",
                 name[i], r->st.median, r->st.ci_lo, r->st.ci_hi, r->nsamples, reps[i],
                 reps[i] == 1 ? "" : "s", r->throughput, r->unit, (long long)r->id);
        xml_text(f, buf);
    }
    if (row->tested) {
        snprintf(buf, sizeof buf,
                 "time change %+.2f%% (threshold +%g%%), fast tail (10th percentile) %+.2f%%, "
                 "Mann-Whitney U = %.1f, %s p = %.3g (alpha %g)\n",
                 (row->ratio - 1) * 100, o->max_regression * 100, (row->ratio_fast - 1) * 100,
                 row->mwu.u, row->mwu.exact ? "exact" : "normal approximation", row->mwu.p,
                 o->alpha);
        xml_text(f, buf);
    }
}

static void testcase(FILE *f, const struct aib_ci_report *r, const struct aib_ci_row *row,
                     const char *suite)
{
    const struct aib_result *k = row->cur ? row->cur : row->base;
    char name[700], cls[300], msg[400];
    snprintf(name, sizeof name, "%s on %s [%s]", k->workload, k->device, k->params);
    snprintf(cls, sizeof cls, "aibench.%s.%s", suite, k->workload);
    snprintf(msg, sizeof msg, "%s: %s", aib_ci_verdict_name(row->verdict), row->reason);
    fputs("    <testcase", f);
    attr(f, "name", name);
    attr(f, "classname", cls);
    fprintf(f, " time=\"%.3f\">\n", row->seconds);
    const char *elem = NULL, *type = NULL;
    switch (row->verdict) {
    case AIB_CI_REGRESSED: elem = "failure", type = "regression"; break;
    case AIB_CI_FAILED: elem = "error", type = "run-error"; break;
    case AIB_CI_INCONCLUSIVE:
        if (r->opts.fail_on_inconclusive)
            elem = "failure", type = "inconclusive";
        else
            elem = "skipped";
        break;
    case AIB_CI_NEW:
    case AIB_CI_MISSING: elem = "skipped"; break;
    default: break;
    }
    if (elem && strcmp(elem, "skipped") == 0) {
        fputs("      <skipped", f);
        attr(f, "message", msg);
        fputs("/>\n", f);
    } else if (elem) {
        fprintf(f, "      <%s", elem);
        attr(f, "type", type);
        attr(f, "message", msg);
        fputs(">", f);
        figures(f, row, &r->opts);
        fprintf(f, "</%s>\n", elem);
    } else {
        fputs("      <system-out>", f);
        xml_text(f, msg);
        fputc('\n', f);
        figures(f, row, &r->opts);
        fputs("</system-out>\n", f);
    }
    fputs("    </testcase>\n", f);
}

void aib_ci_write_junit(FILE *f, const struct aib_ci_report *r)
{
    const char *suite = r->cur->suite[0] ? r->cur->suite : "run";
    size_t failures = r->count[AIB_CI_REGRESSED], errors = r->count[AIB_CI_FAILED];
    size_t skipped = r->count[AIB_CI_NEW] + r->count[AIB_CI_MISSING];
    if (r->opts.fail_on_inconclusive)
        failures += r->count[AIB_CI_INCONCLUSIVE];
    else
        skipped += r->count[AIB_CI_INCONCLUSIVE];
    double total = 0;
    for (size_t i = 0; i < r->n; i++)
        total += r->rows[i].seconds;
    char stamp[32] = "1970-01-01T00:00:00", buf[64], name[200];
    time_t t = isfinite(r->cur->started) ? (time_t)r->cur->started : 0;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(name, sizeof name, "aibench ci %s", suite);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
    attr(f, "name", name);
    fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            r->n, failures, errors, skipped, total);
    fputs("  <testsuite", f);
    attr(f, "name", name);
    fprintf(f,
            " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\""
            " timestamp=\"%s\"",
            r->n, failures, errors, skipped, total, stamp);
    attr(f, "hostname", r->cur->host[0] ? r->cur->host : "unknown");
    fputs(">\n    <properties>\n", f);
    property(f, "suite", suite);
    snprintf(buf, sizeof buf, "%lld", (long long)r->cur->id);
    property(f, "run", buf);
    property(f, "run.uuid", r->cur->uuid);
    property(f, "run.git_commit", r->cur->git_commit);
    property(f, "run.git_branch", r->cur->git_branch);
    snprintf(buf, sizeof buf, "%lld", (long long)r->base->id);
    property(f, "baseline.run", buf);
    property(f, "baseline.uuid", r->base->uuid);
    property(f, "baseline.git_commit", r->base->git_commit);
    property(f, "baseline.git_branch", r->base->git_branch);
    property(f, "fingerprint", r->cur->fingerprint);
    snprintf(buf, sizeof buf, "%g%%", r->opts.max_regression * 100);
    property(f, "max_regression", buf);
    snprintf(buf, sizeof buf, "%g", r->opts.alpha);
    property(f, "alpha", buf);
    fputs("    </properties>\n", f);
    for (size_t i = 0; i < r->n; i++)
        testcase(f, r, &r->rows[i], suite);
    fputs("  </testsuite>\n</testsuites>\n", f);
}
