/* Suite parsing: libyaml's document API builds the node tree (so anchors
 * and aliases just work), then a strict walk checks keys and types and fills
 * struct aib_suite. Positions come from the nodes' start marks. Finding the
 * file and expanding the suite into the plan are in suite.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "suite_internal.h"

/* ---- parsing: YAML tree -> struct aib_suite ----------------------------- */

static struct aib_suite_mark mark_of(const yaml_node_t *n)
{
    return (struct aib_suite_mark){(unsigned)n->start_mark.line + 1,
                                   (unsigned)n->start_mark.column + 1};
}

void aib_suite_where_(char *buf, size_t len, const char *path, struct aib_suite_mark m)
{
    snprintf(buf, len, "%.*s:%u:%u", (int)len - 24, path, m.line, m.col);
}

int aib_suite_fail_(const struct aib_suite_ctx *c, struct aib_suite_mark m, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return aib_err_set(c->err, AIB_EUSAGE, "%s:%u:%u: %s", c->path, m.line, m.col, msg);
}

static yaml_node_t *node_at(const struct aib_suite_ctx *c, int idx)
{
    return yaml_document_get_node(c->doc, idx);
}

static const char *text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* An empty value or ~/null: treated as "not given" for optional keys. */
static bool is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = text(n);
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* What a node is, for "expected X, got Y" messages. */
static const char *got(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (is_null(n))
        return "nothing";
    snprintf(buf, len, "'%s'", text(n));
    return buf;
}

static int dup_str(const struct aib_suite_ctx *c, const yaml_node_t *n, const char *what,
                   char **out)
{
    char g[64];
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return aib_suite_fail_(c, mark_of(n), "%s: expected a string, got %s", what,
                               got(n, g, sizeof g));
    if (strlen(text(n)) != n->data.scalar.length)
        return aib_suite_fail_(c, mark_of(n), "%s: contains a NUL character", what);
    *out = strdup(text(n));
    return *out ? 0 : aib_suite_nomem_(c->err);
}

/* Checks that every key of a mapping is a string from `allowed` (NULL:
 * any string) and appears once; libyaml itself accepts duplicates. */
static int check_keys(const struct aib_suite_ctx *c, const yaml_node_t *map, const char *what,
                      const char *const *allowed)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = node_at(c, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return aib_suite_fail_(c, mark_of(k), "%s: keys must be strings", what);
        if (allowed) {
            size_t i = 0;
            while (allowed[i] && strcmp(allowed[i], text(k)) != 0)
                i++;
            if (!allowed[i]) {
                char list[256] = "";
                for (i = 0; allowed[i]; i++)
                    aib_suite_append_(list, sizeof list, ", ", allowed[i]);
                return aib_suite_fail_(c, mark_of(k), "unknown key '%s' in %s (expected %s)",
                                       text(k), what, list);
            }
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
            if (strcmp(text(node_at(c, q->key)), text(k)) == 0)
                return aib_suite_fail_(c, mark_of(k), "duplicate key '%s' in %s", text(k), what);
    }
    return 0;
}

/* The value of `key` in a mapping whose keys check_keys() accepted; NULL
 * when absent or null, since every optional key treats those the same. */
static yaml_node_t *get(const struct aib_suite_ctx *c, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (strcmp(text(node_at(c, p->key)), key) == 0) {
            yaml_node_t *v = node_at(c, p->value);
            return is_null(v) ? NULL : v;
        }
    return NULL;
}

/* target_ci accepts "1%" as well as 0.01; everything else is a plain number. */
static int parse_number(const struct aib_suite_ctx *c, const yaml_node_t *n, const char *key,
                        double lo, bool lo_open, double hi, bool percent, double *out)
{
    char g[64];
    double v = NAN;
    if (n->type == YAML_SCALAR_NODE && *text(n)) {
        char *end = NULL;
        v = strtod(text(n), &end);
        if (percent && *end == '%') {
            v /= 100;
            end++;
        }
        if (*end)
            v = NAN;
    }
    if (!isfinite(v) || v < lo || (lo_open && v == lo) || v > hi)
        return aib_suite_fail_(c, mark_of(n), "%s: expected %s, got %s", key,
                               percent   ? "a fraction such as 0.01 or a percentage such as 1%"
                               : lo_open ? "a number of seconds > 0"
                                         : "a number of seconds >= 0",
                               got(n, g, sizeof g));
    *out = v;
    return 0;
}

static int parse_count(const struct aib_suite_ctx *c, const yaml_node_t *v, const char *key,
                       long max, int *out)
{
    char g[64], *end = NULL;
    long r = v->type == YAML_SCALAR_NODE ? strtol(text(v), &end, 10) : 0;
    if (!end || end == text(v) || *end || r < 1 || r > max)
        return aib_suite_fail_(c, mark_of(v), "%s: expected an integer from 1 to %ld, got %s", key,
                               max, got(v, g, sizeof g));
    *out = (int)r;
    return 0;
}

/* Timing options, and `repetitions` (how many times the plan repeats). */
static int parse_defaults(const struct aib_suite_ctx *c, const yaml_node_t *n,
                          struct aib_engine_opts *o, int *reps)
{
    static const char *const keys[] = {"warmup",   "min_time",  "max_time",    "min_reps",
                                       "target_ci", "repetitions", NULL};
    char g[64];
    if (n->type != YAML_MAPPING_NODE)
        return aib_suite_fail_(c, mark_of(n), "defaults: expected a mapping, got %s",
                               got(n, g, sizeof g));
    int rc = check_keys(c, n, "defaults", keys);
    const yaml_node_t *v;
    if (!rc && (v = get(c, n, "warmup")))
        rc = parse_number(c, v, "warmup", 0, false, 1e6, false, &o->warmup_s);
    if (!rc && (v = get(c, n, "min_time")))
        rc = parse_number(c, v, "min_time", 0, false, 1e6, false, &o->min_time_s);
    if (!rc && (v = get(c, n, "max_time")))
        rc = parse_number(c, v, "max_time", 0, true, 1e6, false, &o->max_time_s);
    if (!rc && (v = get(c, n, "target_ci")))
        rc = parse_number(c, v, "target_ci", 0, true, 0.99, true, &o->target_ci);
    if (!rc && (v = get(c, n, "min_reps")))
        rc = parse_count(c, v, "min_reps", 1000000, &o->min_reps);
    if (!rc && (v = get(c, n, "repetitions")))
        rc = parse_count(c, v, "repetitions", 100, reps);
    if (!rc && o->min_time_s > o->max_time_s)
        rc = aib_suite_fail_(c, mark_of(n),
                             "defaults: min_time (%g s) is longer than max_time (%g s)",
                             o->min_time_s, o->max_time_s);
    return rc;
}

static int parse_devices(const struct aib_suite_ctx *c, const yaml_node_t *n,
                         struct aib_suite_entry *e)
{
    char g[64];
    size_t count = 1;
    if (n && n->type == YAML_SEQUENCE_NODE)
        count = seq_len(n);
    else if (n && n->type != YAML_SCALAR_NODE)
        return aib_suite_fail_(c, mark_of(n),
                               "devices: expected a device or a list of devices, got %s",
                               got(n, g, sizeof g));
    if (count == 0)
        return aib_suite_fail_(c, mark_of(n), "devices: the list is empty");
    e->devices = calloc(count, sizeof *e->devices);
    if (!e->devices)
        return aib_suite_nomem_(c->err);
    e->ndevices = count;
    for (size_t i = 0; i < count; i++) {
        struct aib_suite_device *d = &e->devices[i];
        if (!n) { /* the default, [cpu], located at the entry */
            d->mark = e->mark;
            d->selector = strdup("cpu");
            if (!d->selector)
                return aib_suite_nomem_(c->err);
            continue;
        }
        const yaml_node_t *item =
            n->type == YAML_SEQUENCE_NODE ? node_at(c, n->data.sequence.items.start[i]) : n;
        d->mark = mark_of(item);
        int rc = dup_str(c, item, "devices", &d->selector);
        if (rc)
            return rc;
    }
    return 0;
}

/* One pspec per key; a list value is a sweep. Values stay text: the
 * workload's parameter table parses them when the plan is built. */
static int parse_params(const struct aib_suite_ctx *c, const yaml_node_t *n,
                        struct aib_suite_entry *e)
{
    char g[64];
    if (n->type != YAML_MAPPING_NODE)
        return aib_suite_fail_(c, mark_of(n), "params: expected a mapping, got %s",
                               got(n, g, sizeof g));
    int rc = check_keys(c, n, "params", NULL);
    if (rc)
        return rc;
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    e->params = calloc(count ? count : 1, sizeof *e->params);
    e->key_marks = calloc(count ? count : 1, sizeof *e->key_marks);
    e->value_marks = calloc(count ? count : 1, sizeof *e->value_marks);
    if (!e->params || !e->key_marks || !e->value_marks)
        return aib_suite_nomem_(c->err);
    e->nparams = count;
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *k = node_at(c, n->data.mapping.pairs.start[i].key);
        const yaml_node_t *v = node_at(c, n->data.mapping.pairs.start[i].value);
        struct aib_pspec *p = &e->params[i];
        if (k->data.scalar.length >= sizeof p->key)
            return aib_suite_fail_(c, mark_of(k), "params: parameter name too long");
        memcpy(p->key, text(k), k->data.scalar.length + 1);
        e->key_marks[i] = mark_of(k);
        aib_suite_where_(p->where, sizeof p->where, c->path, mark_of(v));
        bool seq = v->type == YAML_SEQUENCE_NODE;
        size_t nv = seq ? seq_len(v) : 1;
        if (v->type == YAML_MAPPING_NODE || nv == 0 || is_null(v))
            return aib_suite_fail_(
                c, mark_of(v), "params: %s: expected a value or a non-empty list of values, got %s",
                p->key, got(v, g, sizeof g));
        p->values = calloc(nv, sizeof *p->values);
        e->value_marks[i] = calloc(nv, sizeof **e->value_marks);
        if (!p->values || !e->value_marks[i])
            return aib_suite_nomem_(c->err);
        p->nvalues = nv;
        for (size_t j = 0; j < nv; j++) {
            const yaml_node_t *item = seq ? node_at(c, v->data.sequence.items.start[j]) : v;
            e->value_marks[i][j] = mark_of(item);
            if (item->type != YAML_SCALAR_NODE)
                return aib_suite_fail_(c, mark_of(item), "params: %s: expected a value, got %s",
                                       p->key, got(item, g, sizeof g));
            if ((rc = dup_str(c, item, p->key, &p->values[j])))
                return rc;
        }
    }
    return 0;
}

static int parse_tags(const struct aib_suite_ctx *c, const yaml_node_t *n,
                      struct aib_suite_entry *e)
{
    char g[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return aib_suite_fail_(c, mark_of(n), "tags: expected a list of strings, got %s",
                               got(n, g, sizeof g));
    size_t count = seq_len(n);
    e->tags = calloc(count ? count : 1, sizeof *e->tags);
    if (!e->tags)
        return aib_suite_nomem_(c->err);
    e->ntags = count;
    for (size_t i = 0; i < count; i++) {
        int rc = dup_str(c, node_at(c, n->data.sequence.items.start[i]), "tags", &e->tags[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_entry(const struct aib_suite_ctx *c, const yaml_node_t *n,
                       struct aib_suite_entry *e)
{
    static const char *const keys[] = {"workload", "devices", "params", "tags", NULL};
    char g[64];
    if (n->type != YAML_MAPPING_NODE)
        return aib_suite_fail_(c, mark_of(n), "entries: each entry must be a mapping, got %s",
                               got(n, g, sizeof g));
    e->mark = mark_of(n);
    int rc = check_keys(c, n, "an entry", keys);
    if (rc)
        return rc;
    const yaml_node_t *w = get(c, n, "workload"), *v;
    if (!w)
        return aib_suite_fail_(c, mark_of(n), "entry: missing required key 'workload'");
    e->workload_mark = mark_of(w);
    if ((rc = dup_str(c, w, "workload", &e->workload)))
        return rc;
    if ((rc = parse_devices(c, get(c, n, "devices"), e)))
        return rc;
    if ((v = get(c, n, "params")) && (rc = parse_params(c, v, e)))
        return rc;
    if ((v = get(c, n, "tags")) && (rc = parse_tags(c, v, e)))
        return rc;
    return 0;
}

static int parse_root(const struct aib_suite_ctx *c, const yaml_node_t *root, struct aib_suite *s)
{
    static const char *const keys[] = {"name", "description", "defaults", "entries", NULL};
    char g[64];
    if (root->type != YAML_MAPPING_NODE)
        return aib_suite_fail_(
            c, mark_of(root), "expected a mapping with name: and entries: at the top level, got %s",
            got(root, g, sizeof g));
    int rc = check_keys(c, root, "the suite", keys);
    if (rc)
        return rc;
    const yaml_node_t *v = get(c, root, "name");
    if (!v)
        return aib_suite_fail_(c, mark_of(root), "missing required key 'name'");
    if ((rc = dup_str(c, v, "name", &s->name)))
        return rc;
    if (strlen(s->name) >= sizeof((struct aib_plan *)NULL)->suite)
        return aib_suite_fail_(c, mark_of(v), "name: longer than %zu characters",
                               sizeof((struct aib_plan *)NULL)->suite - 1);
    if ((v = get(c, root, "description")) && (rc = dup_str(c, v, "description", &s->description)))
        return rc;
    if ((v = get(c, root, "defaults")) && (rc = parse_defaults(c, v, &s->opts, &s->repetitions)))
        return rc;
    if (!(v = get(c, root, "entries")))
        return aib_suite_fail_(c, mark_of(root), "missing required key 'entries'");
    if (v->type != YAML_SEQUENCE_NODE)
        return aib_suite_fail_(c, mark_of(v), "entries: expected a list of entries, got %s",
                               got(v, g, sizeof g));
    if (seq_len(v) == 0)
        return aib_suite_fail_(c, mark_of(v), "entries: the list is empty");
    s->entries = calloc(seq_len(v), sizeof *s->entries);
    if (!s->entries)
        return aib_suite_nomem_(c->err);
    s->nentries = seq_len(v);
    for (size_t i = 0; i < s->nentries && !rc; i++)
        rc = parse_entry(c, node_at(c, v->data.sequence.items.start[i]), &s->entries[i]);
    return rc;
}

/* libyaml's own problem text and position. Reader errors (bad UTF-8) carry
 * only a byte offset, so the line and column are counted from the file. */
static int yaml_fail(const struct aib_suite_ctx *c, const yaml_parser_t *p, FILE *f)
{
    if (p->error == YAML_MEMORY_ERROR)
        return aib_suite_nomem_(c->err);
    struct aib_suite_mark m = {(unsigned)p->problem_mark.line + 1,
                               (unsigned)p->problem_mark.column + 1};
    if (p->error == YAML_READER_ERROR) {
        m = (struct aib_suite_mark){1, 1};
        rewind(f);
        for (size_t i = 0; i < p->problem_offset; i++) {
            int ch = getc(f);
            if (ch == EOF)
                break;
            m = ch == '\n' ? (struct aib_suite_mark){m.line + 1, 1}
                           : (struct aib_suite_mark){m.line, m.col + 1};
        }
    }
    if (p->context)
        return aib_suite_fail_(c, m, "invalid YAML: %s (%s that started at %zu:%zu)",
                               p->problem ? p->problem : "error", p->context,
                               p->context_mark.line + 1, p->context_mark.column + 1);
    return aib_suite_fail_(c, m, "invalid YAML: %s", p->problem ? p->problem : "error");
}

int aib_suite_parse(const char *path, struct aib_suite *s, struct aib_err *err)
{
    memset(s, 0, sizeof *s);
    aib_engine_opts_default(&s->opts);
    s->repetitions = 1;
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_parser = false, have_doc = false, have_extra = false;
    struct aib_suite_ctx c = {s->path, &doc, err};
    const yaml_node_t *root;
    int rc = 0;
    FILE *f = NULL;
    if ((size_t)snprintf(s->path, sizeof s->path, "%s", path) >= sizeof s->path) {
        rc = aib_err_set(err, AIB_EUSAGE, "suite path too long: '%s'", path);
        goto out;
    }
    if (!(f = fopen(path, "rb"))) {
        char eb[128];
        rc = aib_err_set(err, AIB_EUSAGE, "cannot open suite '%s': %s", path,
                         strerror_r(errno, eb, sizeof eb));
        goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        rc = aib_suite_nomem_(err);
        goto out;
    }
    have_parser = true;
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_fail(&c, &parser, f);
        goto out;
    }
    have_doc = true;
    if (!(root = yaml_document_get_root_node(&doc))) {
        rc = aib_err_set(err, AIB_EUSAGE, "%s:1:1: the suite file is empty", s->path);
        goto out;
    }
    if ((rc = parse_root(&c, root, s)))
        goto out;
    /* A second document would be silently ignored; refuse it instead. */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = yaml_fail(&c, &parser, f);
        goto out;
    }
    have_extra = true;
    if ((root = yaml_document_get_root_node(&extra)))
        rc = aib_suite_fail_(&c, mark_of(root),
                             "a suite file holds one YAML document; found a second one");
out:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    if (f)
        fclose(f);
    if (rc)
        aib_suite_free(s);
    return rc;
}

void aib_suite_free(struct aib_suite *s)
{
    for (size_t i = 0; i < s->nentries; i++) {
        struct aib_suite_entry *e = &s->entries[i];
        free(e->workload);
        for (size_t j = 0; j < e->ndevices; j++)
            free(e->devices[j].selector);
        free(e->devices);
        for (size_t j = 0; j < e->nparams; j++) {
            for (size_t k = 0; k < e->params[j].nvalues; k++)
                free(e->params[j].values[k]);
            free(e->params[j].values);
            free(e->value_marks[j]);
        }
        free(e->params);
        free(e->key_marks);
        free(e->value_marks);
        for (size_t j = 0; j < e->ntags; j++)
            free(e->tags[j]);
        free(e->tags);
    }
    free(s->entries);
    free(s->name);
    free(s->description);
    memset(s, 0, sizeof *s);
}
