/* Suite loader: finds a suite file by name or path, and expands a parsed
 * suite (suite_parse.c reads the YAML) into the plan against the registry
 * and the discovered devices. */
#include "suite.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "suite_internal.h"

int aib_suite_nomem_(struct aib_err *err)
{
    return aib_err_set(err, AIB_ENOMEM, "out of memory");
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

void aib_suite_append_(char *buf, size_t cap, const char *sep, const char *text)
{
    size_t used = strlen(buf);
    const char *parts[2] = {used ? sep : "", text};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(parts[i]);
        n = n < cap - 1 - used ? n : cap - 1 - used;
        memcpy(buf + used, parts[i], n);
        used += n;
    }
    buf[used] = '\0';
}

/* ---- finding a suite file ---------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the NAME of every DIR/NAME.yaml to names. A missing folder is not
 * an error: most of the search path is usually absent. */
static int list_suites(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".yaml"))
            continue;
        char **grown = realloc(*names, (*n + 1) * sizeof *grown);
        if (!grown) {
            rc = AIB_ENOMEM;
            continue;
        }
        *names = grown;
        grown[*n] = strndup(de->d_name, strlen(de->d_name) - strlen(".yaml"));
        if (grown[*n])
            (*n)++;
        else
            rc = AIB_ENOMEM;
    }
    closedir(d);
    return rc;
}

static int unknown_suite(const char *name, char (*dirs)[PATH_MAX], size_t ndirs,
                         struct aib_err *err)
{
    char **names = NULL;
    size_t n = 0;
    char looked[1024] = "", found[256] = "";
    int rc = 0;
    for (size_t i = 0; i < ndirs; i++) {
        rc = list_suites(dirs[i], &names, &n);
        if (rc)
            goto out;
        aib_suite_append_(looked, sizeof looked, ", ", dirs[i]);
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) /* sorted: a name found twice is adjacent */
        if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
            aib_suite_append_(found, sizeof found, ", ", names[i]);
    rc = aib_err_set(err, AIB_EUSAGE, "unknown suite '%s' (looked in %s; built-in suites: %s)",
                     name, ndirs ? looked : "no folder: AIBENCH_SUITES_DIR is not set",
                     n ? found : "none found");
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc == AIB_ENOMEM ? aib_suite_nomem_(err) : rc;
}

int aib_suite_resolve_path(const char *arg, const char *exe_dir, char *buf, size_t len,
                           struct aib_err *err)
{
    if (len)
        buf[0] = '\0';
    if (!arg || !*arg)
        return aib_err_set(err, AIB_EUSAGE, "empty suite name");
    if (strchr(arg, '/') || has_suffix(arg, ".yaml") || has_suffix(arg, ".yml")) {
        if ((size_t)snprintf(buf, len, "%s", arg) >= len)
            return aib_err_set(err, AIB_EUSAGE, "suite path too long: '%s'", arg);
        return 0;
    }
    char dirs[3][PATH_MAX];
    size_t ndirs = 0;
    const char *env = getenv("AIBENCH_SUITES_DIR");
    if (env && *env)
        snprintf(dirs[ndirs++], PATH_MAX, "%s", env);
    if (exe_dir && *exe_dir) {
        snprintf(dirs[ndirs++], PATH_MAX, "%s/../suites", exe_dir);
        snprintf(dirs[ndirs++], PATH_MAX, "%s/../share/aibench/suites", exe_dir);
    }
    for (size_t i = 0; i < ndirs; i++) {
        struct stat st;
        size_t m = (size_t)snprintf(buf, len, "%s/%s.yaml", dirs[i], arg);
        if (m < len && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
            /* "/opt/x/bin/../suites/quick.yaml" reads badly in messages. */
            char *real = realpath(buf, NULL);
            if (real && strlen(real) < len)
                memcpy(buf, real, strlen(real) + 1);
            free(real);
            return 0;
        }
    }
    if (len)
        buf[0] = '\0';
    return unknown_suite(arg, dirs, ndirs, err);
}

/* ---- expanding into the plan ------------------------------------------- */

/* Puts the suite position in front of a message from another module,
 * unless that module already located it in the file. */
static int locate(const struct aib_suite_ctx *c, struct aib_suite_mark m, int rc)
{
    size_t n = strlen(c->path);
    const char *msg = c->err ? c->err->msg : "";
    if (rc == 0 || !c->err || rc == AIB_ENOMEM || (strncmp(msg, c->path, n) == 0 && msg[n] == ':'))
        return rc;
    char copy[sizeof c->err->msg];
    memcpy(copy, msg, sizeof copy);
    return aib_err_set(c->err, rc, "%s:%u:%u: %s", c->path, m.line, m.col, copy);
}

/* Each value must be valid for at least one variant of the workload (the
 * variants for different device kinds have different parameters). Checked
 * value by value, so that a bad one in a multi-line sweep is reported at
 * its own line, against the first variant that knows the key. */
static int check_params(const struct aib_suite_ctx *c, const struct aib_suite_entry *e)
{
    size_t nall = 0;
    const struct aib_workload_ops *const *all = aib_registry_workloads(&nall);
    char scratch[4096]; /* aib_registry_check() keeps every params struct smaller */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < e->nparams; i++) {
        const struct aib_pspec *p = &e->params[i];
        for (size_t j = 0; rc == 0 && j < p->nvalues; j++) {
            const struct aib_workload_ops *first = NULL;
            bool ok = false;
            for (size_t k = 0; k < nall && !ok; k++) {
                const struct aib_workload_ops *w = all[k];
                struct aib_err why = {0};
                if (strcmp(w->name, e->workload) != 0 || !aib_params_find(&w->params, p->key))
                    continue;
                first = first ? first : w;
                ok = aib_params_defaults(&w->params, scratch, &why) == 0 &&
                     aib_params_set(&w->params, scratch, p->key, p->values[j], &why) == 0;
            }
            if (ok)
                continue;
            const struct aib_workload_ops *w = first ? first : aib_registry_find(e->workload);
            rc = aib_params_defaults(&w->params, scratch, c->err);
            if (rc == 0)
                rc = aib_params_set(&w->params, scratch, p->key, p->values[j], c->err);
            rc = locate(c, first ? e->value_marks[i][j] : e->key_marks[i], rc ? rc : AIB_EUSAGE);
        }
    }
    return rc;
}

static const struct aib_workload_ops *find_workload(const struct aib_suite_ctx *c,
                                                    const struct aib_suite_entry *e)
{
    const struct aib_workload_ops *w = aib_registry_find(e->workload);
    if (!w) {
        char known[256];
        aib_registry_names(known, sizeof known);
        aib_suite_fail_(c, e->workload_mark, "unknown workload '%s' (known: %s)", e->workload,
                        known);
    }
    return w;
}

/* The combinations of one entry on one device that were skipped, by reason. */
#define MAX_REASONS 8
struct skipped {
    char why[512];
    char first[300]; /* the first combination skipped for it */
    size_t count;
};

static void skip(struct skipped *sk, size_t *nsk, const struct aib_pspec *one, size_t n,
                 const char *why)
{
    size_t r = 0;
    while (r < *nsk && strcmp(sk[r].why, why) != 0)
        r++;
    if (r == *nsk) {
        if (*nsk == MAX_REASONS)
            r--; /* counted with the last reason kept */
        else
            (*nsk)++;
        snprintf(sk[r].why, sizeof sk[r].why, "%s", why);
        sk[r].first[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            char kv[200];
            snprintf(kv, sizeof kv, "%s=%s", one[i].key, one[i].values[0]);
            aib_suite_append_(sk[r].first, sizeof sk[r].first, ",", kv);
        }
    }
    sk[r].count++;
}

/* Adds every combination of the entry's values for variant v on dev, one
 * at a time: a combination this variant, device or machine cannot do (a
 * value outside this variant's parameters, or validate() refusing: no fp16
 * on this OpenCL device, no bf16 in this OpenBLAS) is skipped with a note,
 * one per reason, so that one suite serves many machines. Every value was
 * checked against the workload already (check_params). */
static int add_combinations(const struct aib_suite_ctx *c, const struct aib_suite_entry *e,
                            const struct aib_workload_ops *v, const struct aib_device *dev,
                            const char *where, bool note, struct aib_plan *plan)
{
    size_t n = e->nparams, total = 1, nsk = 0;
    for (size_t i = 0; i < n; i++)
        total *= e->params[i].nvalues;
    if (total > 100000) /* let the plan say it, located */
        return locate(c, e->mark,
                      aib_plan_add_sweep(plan, v, dev, e->params, n, where, c->err));
    struct aib_pspec *one = calloc(n ? n : 1, sizeof *one);
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    struct skipped *sk = calloc(MAX_REASONS, sizeof *sk);
    int rc = one && idx && sk ? 0 : AIB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        one[i].nvalues = 1;
        memcpy(one[i].key, e->params[i].key, sizeof one[i].key);
        memcpy(one[i].where, e->params[i].where, sizeof one[i].where);
    }
    for (size_t k = 0; rc == 0 && k < total; k++) {
        struct aib_err why = {0};
        for (size_t i = 0; i < n; i++)
            one[i].values = &e->params[i].values[idx[i]];
        rc = aib_plan_add_sweep(plan, v, dev, one, n, where, &why);
        if (rc == AIB_EUSAGE) {
            skip(sk, &nsk, one, n, why.msg);
            rc = 0;
        } else if (rc) {
            aib_err_set(c->err, rc, "%s", why.msg);
        }
        /* The next combination: the last key varies fastest, as in the plan. */
        for (size_t i = n; i-- > 0;) {
            if (++idx[i] < e->params[i].nvalues)
                break;
            idx[i] = 0;
        }
    }
    for (size_t r = 0; rc == 0 && note && r < nsk; r++) {
        char more[48] = "";
        if (sk[r].count > 1)
            snprintf(more, sizeof more, " and %zu more", sk[r].count - 1);
        rc = aib_plan_note(plan, "%s:%u:%u: skipped %s on %s%s%s%s%s: %s", c->path,
                           e->mark.line, e->mark.col, e->workload, dev->id, n ? " (" : "",
                           sk[r].first, more, n ? ")" : "", sk[r].why);
    }
    if (rc == AIB_ENOMEM)
        aib_suite_nomem_(c->err);
    free(one);
    free(idx);
    free(sk);
    return rc;
}

/* Checks the entry in full; adds it to the plan only when `expand` (an
 * entry left out by a tag filter must still be valid). Repetition `rep`
 * (0-based) of `nrep`: notes are made once, on the first. */
static int apply_entry(const struct aib_suite_ctx *c, const struct aib_suite_entry *e,
                       const struct aib_devlist *devs, bool expand, int rep, int nrep,
                       struct aib_plan *plan)
{
    const struct aib_workload_ops *w = find_workload(c, e);
    if (!w)
        return AIB_EUSAGE;
    int rc = check_params(c, e);
    if (rc)
        return rc;
    size_t cap = devs->len ? devs->len : 1, nchosen = 0;
    const struct aib_device **found = calloc(cap, sizeof *found);
    const struct aib_device **chosen = calloc(cap, sizeof *chosen);
    char where[160], suffix[40] = "";
    if (rep > 0)
        snprintf(suffix, sizeof suffix, " (repetition %d of %d)", rep + 1, nrep);
    aib_suite_where_(where, sizeof where - strlen(suffix), c->path, e->mark);
    strcat(where, suffix);
    if (!found || !chosen) {
        rc = aib_suite_nomem_(c->err);
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < e->ndevices; i++) {
        const struct aib_suite_device *d = &e->devices[i];
        int n = aib_devices_select(devs, d->selector, AIB_DEV_ALL, found, cap, c->err);
        if (n < 0) {
            rc = locate(c, d->mark, n);
            goto out;
        }
        if (!expand)
            continue;
        /* Valid but absent here (no GPU on this machine): the same suite
         * must run everywhere, so this is a note, not an error. */
        if (n == 0 && rep == 0)
            rc = aib_plan_note(plan, "%s:%u:%u: skipped %s on %s: device not present", c->path,
                               d->mark.line, d->mark.col, e->workload, d->selector);
        for (int k = 0; rc == 0 && k < n; k++) {
            bool dup = false;
            for (size_t j = 0; j < nchosen && !dup; j++)
                dup = chosen[j] == found[k];
            if (dup) /* e.g. devices: [all, cpu] */
                continue;
            chosen[nchosen++] = found[k];
            const struct aib_workload_ops *v = aib_registry_find_for(e->workload, found[k]->kind);
            if (v)
                rc = add_combinations(c, e, v, found[k], where, rep == 0, plan);
            else if (rep == 0)
                rc = aib_plan_note(plan, "%s:%u:%u: skipped %s on %s (workload does not run on %s)",
                                   c->path, d->mark.line, d->mark.col, e->workload, found[k]->id,
                                   found[k]->kind == AIB_DEV_CPU    ? "cpu"
                                   : found[k]->kind == AIB_DEV_CUDA ? "cuda"
                                                                    : "opencl");
        }
    }
    /* aib_plan_note() fails only for memory and leaves err alone. */
    if (rc == AIB_ENOMEM)
        aib_suite_nomem_(c->err);
out:
    free(found);
    free(chosen);
    return rc;
}

static bool has_tag(const struct aib_suite_entry *e, const char *tag)
{
    for (size_t i = 0; i < e->ntags; i++)
        if (strcmp(e->tags[i], tag) == 0)
            return true;
    return false;
}

/* Every tag filter must name a tag some entry has: a typo would otherwise
 * silently select nothing. */
static int check_filter(const struct aib_suite *s, const char *const *tags, size_t ntags,
                        struct aib_err *err)
{
    for (size_t t = 0; t < ntags; t++) {
        bool found = false;
        for (size_t i = 0; i < s->nentries && !found; i++)
            found = has_tag(&s->entries[i], tags[t]);
        if (found)
            continue;
        char known[256] = "";
        for (size_t i = 0; i < s->nentries; i++)
            for (size_t j = 0; j < s->entries[i].ntags; j++) {
                const char *tag = s->entries[i].tags[j];
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                    seen = has_tag(&s->entries[k], tag);
                for (size_t k = 0; k < j && !seen; k++)
                    seen = strcmp(s->entries[i].tags[k], tag) == 0;
                if (!seen)
                    aib_suite_append_(known, sizeof known, ", ", tag);
            }
        return aib_err_set(err, AIB_EUSAGE, "%s: no entry has tag '%s' (tags here: %s)", s->path,
                           tags[t], known[0] ? known : "none");
    }
    return 0;
}

int aib_suite_load_tagged(const char *name_or_path, const char *exe_dir,
                          const struct aib_devlist *devs, const char *const *tags, size_t ntags,
                          struct aib_plan *plan, struct aib_err *err)
{
    char path[4096];
    struct aib_suite s;
    int rc = aib_suite_resolve_path(name_or_path, exe_dir, path, sizeof path, err);
    if (rc)
        return rc;
    if ((rc = aib_suite_parse(path, &s, err)))
        return rc;
    struct aib_suite_ctx c = {s.path, NULL, err};
    rc = check_filter(&s, tags, ntags, err);
    /* Round-robin: repetition 2 starts after every entry ran once, so a
     * disturbance of a few seconds touches one repetition, not all. */
    for (int rep = 0; rc == 0 && rep < s.repetitions; rep++)
        for (size_t i = 0; rc == 0 && i < s.nentries; i++) {
            bool expand = ntags == 0;
            for (size_t t = 0; t < ntags && !expand; t++)
                expand = has_tag(&s.entries[i], tags[t]);
            rc = apply_entry(&c, &s.entries[i], devs, expand, rep, s.repetitions, plan);
        }
    if (rc == 0 && plan->len == 0)
        rc = aib_err_set(err, AIB_EUSAGE, "%s: nothing to run on this machine%s%s%s", s.path,
                         plan->nnotes ? " (" : "", plan->nnotes ? plan->notes[0] : "",
                         plan->nnotes > 1 ? ", ...)" : plan->nnotes ? ")" : "");
    if (rc == 0) {
        plan->opts = s.opts;
        snprintf(plan->suite, sizeof plan->suite, "%s", s.name);
    }
    aib_suite_free(&s);
    return rc;
}

int aib_suite_load(const char *name_or_path, const char *exe_dir, const struct aib_devlist *devs,
                   struct aib_plan *plan, struct aib_err *err)
{
    return aib_suite_load_tagged(name_or_path, exe_dir, devs, NULL, 0, plan, err);
}
