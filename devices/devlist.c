/* The device list: ownership, lookup, discovery across backends, and the
 * text / JSON views used by `aibench devices` and stored with every run. */
#include "device.h"

#include <stdlib.h>
#include <string.h>

int aib_devlist_add(struct aib_devlist *l, struct aib_device *d)
{
    int rc = 0;
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct aib_device *n = realloc(l->items, cap * sizeof *n);
        if (!n) {
            rc = AIB_ENOMEM;
            goto out;
        }
        l->items = n;
        l->cap = cap;
    }
    l->items[l->len++] = *d;
    /* The list owns the props now; clear the caller's copy so a stray
     * aib_kv_free(&d->props) cannot double-free. */
    memset(&d->props, 0, sizeof d->props);
out:
    /* On failure the props are freed here too, so callers never need a
     * separate error path for them. */
    if (rc)
        aib_kv_free(&d->props);
    return rc;
}

const struct aib_device *aib_devices_find(const struct aib_devlist *l, const char *id)
{
    if (!l || !id)
        return NULL;
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

void aib_devices_free(struct aib_devlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        aib_kv_free(&l->items[i].props);
    for (size_t i = 0; i < l->nbackends; i++)
        if (l->backends[i].ctx && l->backends[i].ctx_free)
            l->backends[i].ctx_free(l->backends[i].ctx);
    free(l->items);
    memset(l, 0, sizeof *l);
}

unsigned aib_device_kind_of_id(const char *id)
{
    static const struct {
        const char *prefix;
        unsigned kind;
    } kinds[] = {{"cpu", AIB_DEV_CPU}, {"opencl", AIB_DEV_OPENCL}, {"cuda", AIB_DEV_CUDA}};
    if (!id)
        return 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        /* "cpu" and "cpu:1" match; "cpux" and "cpu:" (empty index) do not. */
        if (strncmp(id, kinds[i].prefix, n) == 0 && (id[n] == '\0' || (id[n] == ':' && id[n + 1])))
            return kinds[i].kind;
    }
    return 0;
}

static const char *kind_name(enum aib_device_kind k)
{
    switch (k) {
    case AIB_DEV_CPU: return "cpu";
    case AIB_DEV_OPENCL: return "opencl";
    case AIB_DEV_CUDA: return "cuda";
    }
    return "unknown";
}

int aib_devices_discover(struct aib_devlist *out, unsigned kinds, struct aib_err *err)
{
    /* Fixed order: cpu first so "cpu" is always the first device listed. */
    const struct aib_device_backend *backends[] = {&aib_cpu_backend, &aib_opencl_backend,
                                                   &aib_cuda_backend};
    const size_t nb = sizeof backends / sizeof backends[0];
    _Static_assert(sizeof backends / sizeof backends[0] <= sizeof out->backends / sizeof out->backends[0],
                   "room for every backend status");
    int rc = 0;

    for (size_t i = 0; i < nb; i++) {
        const struct aib_device_backend *b = backends[i];
        if (!(kinds & b->kind))
            continue;
        if (out->nbackends >= sizeof out->backends / sizeof out->backends[0]) {
            rc = aib_err_set(err, AIB_ERUN, "too many device backends");
            goto out;
        }
        struct aib_backend_status *st = &out->backends[out->nbackends++];
        memset(st, 0, sizeof *st);
        snprintf(st->name, sizeof st->name, "%s", b->name);
        rc = b->discover(out, st, err);
        if (rc < 0)
            goto out;
    }
out:
    return rc;
}

static size_t count_kind(const struct aib_devlist *l, unsigned kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->len; i++)
        n += (l->items[i].kind & kind) != 0;
    return n;
}

void aib_devices_print(const struct aib_devlist *l, FILE *f)
{
    for (size_t i = 0; i < l->len; i++) {
        const struct aib_device *d = &l->items[i];
        size_t w = 0;
        for (size_t k = 0; k < d->props.len; k++) {
            size_t n = strlen(d->props.items[k].key);
            w = n > w ? n : w;
        }
        if (i)
            fputc('\n', f);
        fprintf(f, "%s  %s\n", d->id, d->name);
        for (size_t k = 0; k < d->props.len; k++) {
            const struct aib_kv *kv = &d->props.items[k];
            /* Pad after the colon so every value starts in one column. */
            fprintf(f, "  %s:%*s %s\n", kv->key, (int)(w - strlen(kv->key)), "", kv->value);
        }
    }
    /* Backends that contributed nothing get one line each, so a missing GPU
     * is explained rather than silently absent. */
    bool sep = l->len > 0;
    for (size_t i = 0; i < l->nbackends; i++) {
        const struct aib_backend_status *st = &l->backends[i];
        bool opencl = strcmp(st->name, "opencl") == 0;
        if (st->available && count_kind(l, aib_device_kind_of_id(st->name)) > 0)
            continue;
        if (sep) {
            fputc('\n', f);
            sep = false;
        }
        if (opencl || st->available)
            fprintf(f, "%s: no devices (%s)\n", st->name, st->reason[0] ? st->reason : "none found");
        else
            fprintf(f, "%s: unavailable: %s\n", st->name, st->reason[0] ? st->reason : "unknown reason");
    }
}

void aib_devices_json(const struct aib_devlist *l, struct aib_json *j)
{
    aib_json_obj_begin(j);
    aib_json_key(j, "devices");
    aib_json_arr_begin(j);
    for (size_t i = 0; i < l->len; i++) {
        const struct aib_device *d = &l->items[i];
        aib_json_obj_begin(j);
        aib_json_kstr(j, "id", d->id);
        aib_json_kstr(j, "kind", kind_name(d->kind));
        aib_json_kstr(j, "name", d->name);
        aib_json_key(j, "props");
        aib_json_obj_begin(j);
        for (size_t k = 0; k < d->props.len; k++)
            aib_json_kstr(j, d->props.items[k].key, d->props.items[k].value);
        aib_json_obj_end(j);
        /* The typed fields too, so consumers need not parse the strings. */
        aib_json_kint(j, "cores", d->cores);
        aib_json_kint(j, "threads", d->threads);
        aib_json_kint(j, "mem_bytes", (int64_t)d->mem_bytes);
        aib_json_knum(j, "peak_fp32_gflops", d->peak_fp32_gflops);
        aib_json_knum(j, "peak_fp64_gflops", d->peak_fp64_gflops);
        aib_json_obj_end(j);
    }
    aib_json_arr_end(j);
    aib_json_key(j, "backends");
    aib_json_arr_begin(j);
    for (size_t i = 0; i < l->nbackends; i++) {
        const struct aib_backend_status *st = &l->backends[i];
        aib_json_obj_begin(j);
        aib_json_kstr(j, "name", st->name);
        aib_json_kbool(j, "available", st->available);
        aib_json_kstr(j, "reason", st->reason);
        aib_json_obj_end(j);
    }
    aib_json_arr_end(j);
    aib_json_obj_end(j);
}
