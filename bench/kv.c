#include "kv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int aib_kv_set(struct aib_kvlist *l, const char *key, const char *value)
{
    char *v = strdup(value ? value : "");
    if (!v)
        return AIB_ENOMEM;
    for (size_t i = 0; i < l->len; i++) {
        if (strcmp(l->items[i].key, key) == 0) {
            free(l->items[i].value);
            l->items[i].value = v;
            return 0;
        }
    }
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct aib_kv *n = realloc(l->items, cap * sizeof *n);
        if (!n) {
            free(v);
            return AIB_ENOMEM;
        }
        l->items = n;
        l->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return AIB_ENOMEM;
    }
    l->items[l->len].key = k;
    l->items[l->len].value = v;
    l->len++;
    return 0;
}

int aib_kv_setf(struct aib_kvlist *l, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return aib_kv_set(l, key, buf);
}

const char *aib_kv_get(const struct aib_kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

void aib_kv_free(struct aib_kvlist *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}
