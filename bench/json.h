/* A small streaming JSON writer: tracks nesting so commas are placed
 * correctly; strings are escaped; non-finite numbers become null. */
#ifndef AIB_JSON_H
#define AIB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AIB_JSON_MAX_DEPTH 32

struct aib_json {
    FILE *f;
    int depth;
    bool first[AIB_JSON_MAX_DEPTH]; /* no element written yet at this level */
    bool after_key;
    bool pretty;
};

void aib_json_init(struct aib_json *j, FILE *f, bool pretty);
void aib_json_obj_begin(struct aib_json *j);
void aib_json_obj_end(struct aib_json *j);
void aib_json_arr_begin(struct aib_json *j);
void aib_json_arr_end(struct aib_json *j);
void aib_json_key(struct aib_json *j, const char *key);
void aib_json_str(struct aib_json *j, const char *s); /* NULL -> null */
void aib_json_num(struct aib_json *j, double v);
void aib_json_int(struct aib_json *j, int64_t v);
void aib_json_bool(struct aib_json *j, bool v);
void aib_json_null(struct aib_json *j);
/* Ends the document with a newline. */
void aib_json_finish(struct aib_json *j);

/* Key + value helpers. */
void aib_json_kstr(struct aib_json *j, const char *key, const char *s);
void aib_json_knum(struct aib_json *j, const char *key, double v);
void aib_json_kint(struct aib_json *j, const char *key, int64_t v);
void aib_json_kbool(struct aib_json *j, const char *key, bool v);

#endif
