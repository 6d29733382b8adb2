/* A small strict JSON reader (RFC 8259) for files aibench reads back, such
 * as `aibench import`: the whole text is parsed into a tree before anything
 * is used, so a truncated or hand-broken file is refused as a whole.
 *
 * Strict: no comments, no trailing commas, no leading zeros, no NaN or
 * Infinity, no numbers beyond double range, no duplicate keys in an object,
 * only valid UTF-8 and valid escapes (a \u0000 escape is refused too: strings
 * are C strings), nesting at most AIB_JR_MAX_DEPTH deep, and nothing but
 * whitespace after the value. Errors name the position as line and column
 * (1-based, columns counted in bytes). */
#ifndef AIB_JSON_READ_H
#define AIB_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "../bench/err.h"

#define AIB_JR_MAX_DEPTH 64

enum aib_jr_type { AIB_JR_NULL, AIB_JR_BOOL, AIB_JR_NUM, AIB_JR_STR, AIB_JR_ARR, AIB_JR_OBJ };

struct aib_jr_val {
    enum aib_jr_type type;
    size_t off;               /* byte offset of the value's first character */
    bool b;                   /* AIB_JR_BOOL */
    double num;               /* AIB_JR_NUM */
    char *str;                /* AIB_JR_STR: NUL-terminated UTF-8, owned */
    size_t n;                 /* AIB_JR_ARR elements, AIB_JR_OBJ members */
    struct aib_jr_val *items; /* n values, owned */
    char **keys;              /* AIB_JR_OBJ: n keys, in file order, owned */
};

/* Parses text[0..len) into *out (freed with aib_jr_free, also after an
 * error). Errors: AIB_EUSAGE "line L, column C: what was wrong", or
 * AIB_ENOMEM. */
int aib_jr_parse(const char *text, size_t len, struct aib_jr_val *out, struct aib_err *err);
void aib_jr_free(struct aib_jr_val *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const struct aib_jr_val *aib_jr_get(const struct aib_jr_val *v, const char *key);
/* The 1-based line and column of byte offset `off` of text. */
void aib_jr_linecol(const char *text, size_t len, size_t off, size_t *line, size_t *col);
/* "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *aib_jr_type_name(enum aib_jr_type t);

#endif
