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

/* Checks each value on its own so that a bad one in a multi-line sweep
 * is reported at its own line rather than at the list. */
static int check_params(const struct aib_suite_ctx *c, const struct aib_suite_entry *e,
                        const struct aib_workload_ops *w)
{
    void *scratch = calloc(1, w->params.size ? w->params.size : 1);
    if (!scratch)
        return aib_suite_nomem_(c->err);
    int rc = aib_params_defaults(&w->params, scratch, c->err);
    for (size_t i = 0; rc == 0 && i < e->nparams; i++) {
        const struct aib_pspec *p = &e->params[i];
        bool known = aib_params_find(&w->params, p->key) != NULL;
        for (size_t j = 0; rc == 0 && j < p->nvalues; j++) {
            rc = aib_params_set(&w->params, scratch, p->key, p->values[j], c->err);
            if (rc)
                rc = locate(c, known ? e->value_marks[i][j] : e->key_marks[i], rc);
        }
    }
    free(scratch);
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

/* True when every parameter value of the entry is valid for this variant
 * (variants of one workload for different device kinds may differ). */
static bool variant_accepts(const struct aib_suite_entry *e, const struct aib_workload_ops *w,
                            struct aib_err *why)
{
    char scratch[4096];
    if (w->params.size > sizeof scratch || aib_params_defaults(&w->params, scratch, why))
        return false;
    for (size_t i = 0; i < e->nparams; i++)
        for (size_t j = 0; j < e->params[i].nvalues; j++)
            if (aib_params_set(&w->params, scratch, e->params[i].key, e->params[i].values[j], why))
                return false;
    return true;
}

/* A value must be valid for at least one variant; checked value by value
 * against the first variant that knows the key, so the error points at it. */
static int check_params_any(const struct aib_suite_ctx *c, const struct aib_suite_entry *e)
{
    size_t n = 0;
    const struct aib_workload_ops *const *all = aib_registry_workloads(&n);
    struct aib_err why = {0};
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i]->name, e->workload) == 0 && variant_accepts(e, all[i], &why))
            return 0;
    return check_params(c, e, aib_registry_find(e->workload));
}

static int apply_entry(const struct aib_suite_ctx *c, const struct aib_suite_entry *e,
                       const struct aib_devlist *devs, struct aib_plan *plan)
{
    const struct aib_workload_ops *w = find_workload(c, e);
    if (!w)
        return AIB_EUSAGE;
    int rc = check_params_any(c, e);
    if (rc)
        return rc;
    size_t cap = devs->len ? devs->len : 1, nchosen = 0;
    const struct aib_device **found = calloc(cap, sizeof *found);
    const struct aib_device **chosen = calloc(cap, sizeof *chosen);
    char where[160];
    aib_suite_where_(where, sizeof where, c->path, e->mark);
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
        /* Valid but absent here (no GPU on this machine): the same suite
         * must run everywhere, so this is a note, not an error. */
        if (n == 0)
            rc = aib_plan_note(plan, "%s:%u: skipped %s on %s: device not present", c->path,
                               d->mark.line, e->workload, d->selector);
        for (int k = 0; rc == 0 && k < n; k++) {
            bool dup = false;
            for (size_t j = 0; j < nchosen && !dup; j++)
                dup = chosen[j] == found[k];
            if (dup) /* e.g. devices: [all, cpu] */
                continue;
            chosen[nchosen++] = found[k];
            const struct aib_workload_ops *v = aib_registry_find_for(e->workload, found[k]->kind);
            struct aib_err why = {0};
            if (v && !variant_accepts(e, v, &why))
                rc = aib_plan_note(plan, "%s:%u: skipped %s on %s: %s", c->path, d->mark.line,
                                   e->workload, found[k]->id, why.msg);
            else if (v)
                rc = locate(
                    c, e->mark,
                    aib_plan_add_sweep(plan, v, found[k], e->params, e->nparams, where, c->err));
            else
                rc = aib_plan_note(plan, "%s:%u: skipped %s on %s (workload does not run on %s)",
                                   c->path, d->mark.line, e->workload, found[k]->id,
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

int aib_suite_load(const char *name_or_path, const char *exe_dir, const struct aib_devlist *devs,
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
    for (size_t i = 0; rc == 0 && i < s.nentries; i++)
        rc = apply_entry(&c, &s.entries[i], devs, plan);
    if (rc == 0) {
        plan->opts = s.opts;
        snprintf(plan->suite, sizeof plan->suite, "%s", s.name);
    }
    aib_suite_free(&s);
    return rc;
}
