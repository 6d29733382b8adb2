/* The plain-C side of the cupti profiler: --metrics lists, short names for
 * long CUPTI metric names, units, and the profiling-permission check. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cupti.h"

void aib_cupti_sets_free(struct aib_cupti_sets *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_range; i++)
        free(s->range[i]);
    for (size_t i = 0; i < s->n_pm; i++)
        free(s->pm[i]);
    free(s->range);
    free(s->pm);
    memset(s, 0, sizeof *s);
}

static int has(char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0)
            return 1;
    return 0;
}

/* One item of the list: [pm:|range:]NAME, checked and appended. */
static int add_item(struct aib_cupti_sets *s, const char *item, size_t len, struct aib_err *err)
{
    int pm = 0;
    if (len >= 3 && strncmp(item, "pm:", 3) == 0) {
        pm = 1;
        item += 3;
        len -= 3;
    } else if (len >= 6 && strncmp(item, "range:", 6) == 0) {
        item += 6;
        len -= 6;
    }
    if (len == 0)
        return aib_err_set(err, AIB_EUSAGE, "--metrics: an empty metric name (two commas, or a comma at an end?)");
    if (len > AIB_CUPTI_MAX_NAME)
        return aib_err_set(err, AIB_EUSAGE, "--metrics: metric name '%.40s...' is longer than %d characters",
                           item, AIB_CUPTI_MAX_NAME);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)item[i];
        if (!isalnum(c) && c != '_' && c != '.')
            return aib_err_set(err, AIB_EUSAGE,
                               "--metrics: bad character '%c' in '%.*s' (CUPTI metric names use letters, "
                               "digits, '_' and '.'; 'pm:' puts a name in the PM-sampling set)",
                               isprint(c) ? c : '?', (int)len, item);
    }
    char **v = pm ? s->pm : s->range;
    size_t n = pm ? s->n_pm : s->n_range;
    char *name = strndup(item, len);
    if (!name)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    int rc = 0;
    if (has(v, n, name))
        rc = aib_err_set(err, AIB_EUSAGE, "--metrics: '%s' is given twice for the %s", name,
                         pm ? "PM-sampling set" : "range profiler");
    else if (n == AIB_CUPTI_MAX_METRICS)
        rc = aib_err_set(err, AIB_EUSAGE, "--metrics: more than %d metrics in one set", AIB_CUPTI_MAX_METRICS);
    else if (!(v = realloc(v, (n + 1) * sizeof *v)))
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
    if (rc) {
        free(name);
        return rc;
    }
    v[n] = name;
    if (pm) {
        s->pm = v;
        s->n_pm = n + 1;
    } else {
        s->range = v;
        s->n_range = n + 1;
    }
    return 0;
}

int aib_cupti_parse_metrics(const char *list, struct aib_cupti_sets *out, struct aib_err *err)
{
    memset(out, 0, sizeof *out);
    if (!list || !list[0])
        return aib_err_set(err, AIB_EUSAGE, "--metrics: empty list (give CUPTI metric names, e.g. "
                                            "dram__bytes_read.sum; see aibench metrics)");
    int rc = 0;
    for (const char *s = list;; s++) {
        size_t len = strcspn(s, ",");
        if ((rc = add_item(out, s, len, err)))
            break;
        s += len;
        if (!*s)
            break;
    }
    if (rc)
        aib_cupti_sets_free(out);
    return rc;
}

/* FNV-1a: a stable tag for names cut short. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Replaces every `from` in buf (capacity cap) by `to` (never longer). */
static void replace_all(char *buf, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to);
    char *p = buf;
    while ((p = strstr(p, from))) {
        memmove(p + lt, p + lf, strlen(p + lf) + 1);
        memcpy(p, to, lt);
        p += lt;
    }
}

int aib_cupti_short_name(const char *metric, size_t max, char *out, size_t len)
{
    /* In this order, each only while the name is still too long. */
    static const struct {
        const char *from, *to;
    } ab[] = {
        {"pct_of_peak_sustained_elapsed", "pct_elapsed"},
        {"pct_of_peak_sustained_active", "pct_active"},
        {"peak_sustained", "peak"},
        {"_realtime", "_rt"},
        {"per_second", "per_s"},
        {"sass_thread_inst_executed", "thread_inst"},
        {"inst_executed", "inst"},
        {"cycles_active", "active"},
    };
    char buf[AIB_CUPTI_MAX_NAME + 1];
    if (max + 1 > len)
        max = len ? len - 1 : 0;
    snprintf(buf, sizeof buf, "%s", metric);
    if (strlen(buf) <= max && strlen(metric) == strlen(buf)) {
        snprintf(out, len, "%s", buf);
        return 0;
    }
    for (size_t i = 0; i < sizeof ab / sizeof ab[0] && strlen(buf) > max; i++)
        replace_all(buf, ab[i].from, ab[i].to);
    if (strlen(buf) > max && max > 9) {
        /* start + '~' + 8 hex digits: still unique, still readable. */
        snprintf(buf + max - 9, sizeof buf - (max - 9), "~%08x", (unsigned)fnv1a(metric));
    } else if (strlen(buf) > max) {
        buf[max] = '\0';
    }
    snprintf(out, len, "%s", buf);
    return 1;
}

void aib_cupti_unit(const char *dim, char *out, size_t len, double *scale)
{
    *scale = 1;
    if (!dim || !dim[0]) {
        snprintf(out, len, "%s", "");
        return;
    }
    if (strcmp(dim, "nanosecond") == 0) {
        *scale = 1e-9;
        snprintf(out, len, "s");
        return;
    }
    if (strcmp(dim, "percent") == 0) {
        snprintf(out, len, "%%");
        return;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", dim);
    replace_all(buf, "byte", "B");
    replace_all(buf, "second", "s");
    replace_all(buf, "cycle/s", "Hz");
    snprintf(out, len, "%s", buf);
}

int aib_cupti_selected(const char *profilers)
{
    if (!profilers || strcmp(profilers, "all") == 0)
        return 1;
    for (const char *s = profilers;; s++) {
        size_t n = strcspn(s, ",");
        if (n == 5 && strncmp(s, "cupti", 5) == 0)
            return 1;
        s += n;
        if (!*s)
            return 0;
    }
}

int aib_cupti_restricted(const char *params, unsigned euid, char *why, size_t len)
{
    if (euid == 0)
        return 0;
    FILE *f = fopen(params, "r");
    if (!f)
        return 0;
    char line[256];
    int restricted = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned v;
        if (sscanf(line, "RmProfilingAdminOnly: %u", &v) == 1)
            restricted = v != 0;
    }
    fclose(f);
    if (restricted)
        snprintf(why, len,
                 "GPU performance counters are restricted to root here (RmProfilingAdminOnly: 1 in %s): "
                 "run as root, or load the nvidia module with NVreg_RestrictProfilingToAdminUsers=0; "
                 "the run goes on without CUPTI counters",
                 params);
    return restricted;
}
