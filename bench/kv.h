/* An ordered list of string key/value pairs that owns its strings.
 * Used for device properties and the run environment. */
#ifndef AIB_KV_H
#define AIB_KV_H

#include <stddef.h>

struct aib_kv {
    char *key;
    char *value;
};

struct aib_kvlist {
    struct aib_kv *items;
    size_t len, cap;
};

/* Appends (or replaces an existing key). Returns 0 or AIB_ENOMEM. */
int aib_kv_set(struct aib_kvlist *l, const char *key, const char *value);
int aib_kv_setf(struct aib_kvlist *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Returns the value or NULL. */
const char *aib_kv_get(const struct aib_kvlist *l, const char *key);
void aib_kv_free(struct aib_kvlist *l);

#endif
