/* The strict JSON reader (json_read.h): a recursive descent over the whole
 * text, building a tree of owned values. */
#include "json_read.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const unsigned char *s;
    size_t len, pos;
    struct aib_err *err;
};

/* A message at byte offset `off`, with its line and column. */
static int fail_at(struct parser *p, size_t off, const char *what)
{
    size_t line, col;
    aib_jr_linecol((const char *)p->s, p->len, off, &line, &col);
    if (off >= p->len)
        return aib_err_set(p->err, AIB_EUSAGE,
                           "line %zu, column %zu: unexpected end of input, %s (is the file "
                           "truncated?)",
                           line, col, what);
    return aib_err_set(p->err, AIB_EUSAGE, "line %zu, column %zu: %s", line, col, what);
}

static int nomem(struct parser *p)
{
    return aib_err_set(p->err, AIB_ENOMEM, "out of memory reading JSON");
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* Length of the valid UTF-8 sequence at s (left bytes available), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    uint32_t cp;
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at p->pos; -1 when they are not there. */
static long hex4(struct parser *p)
{
    long v = 0;
    if (p->len - p->pos < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int c = p->s[p->pos + (size_t)i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    p->pos += 4;
    return v;
}

/* A \u escape (p->pos just after the 'u'), surrogate pairs joined. */
static int unicode_escape(struct parser *p, size_t at, uint32_t *cp)
{
    long hi = hex4(p);
    if (hi < 0)
        return fail_at(p, at, "\\u wants four hex digits");
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail_at(p, at, "lone low surrogate in a \\u escape");
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        long lo = -1;
        if (p->len - p->pos >= 2 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
            p->pos += 2;
            lo = hex4(p);
        }
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail_at(p, at, "high surrogate not followed by a low surrogate");
        *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        return 0;
    }
    if (hi == 0)
        return fail_at(p, at, "\\u0000 is not allowed in a string");
    *cp = (uint32_t)hi;
    return 0;
}

/* A string at p->pos (the opening quote) into a new NUL-terminated buffer.
 * The decoded text is never longer than the raw text, which sizes it. */
static int parse_string(struct parser *p, char **out)
{
    size_t start = p->pos++, end = p->pos, n = 0;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    char *buf = malloc((end > p->len ? p->len : end) - start + 1);
    if (!buf)
        return nomem(p);
    for (;;) {
        if (p->pos >= p->len) {
            free(buf);
            return fail_at(p, p->len, "inside a string");
        }
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            free(buf);
            return fail_at(p, p->pos, "control character in a string (escape it)");
        }
        if (c == '\\') {
            size_t at = p->pos++;
            if (p->pos >= p->len) {
                free(buf);
                return fail_at(p, p->len, "inside a string escape");
            }
            char e = (char)p->s[p->pos++];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *hit = strchr(from, e);
            if (e == 'u') {
                uint32_t cp = 0;
                int rc = unicode_escape(p, at, &cp);
                if (rc) {
                    free(buf);
                    return rc;
                }
                n += put_utf8(buf + n, cp);
            } else if (e && hit) {
                buf[n++] = to[hit - from];
            } else {
                free(buf);
                return fail_at(p, at, "invalid escape in a string");
            }
            continue;
        }
        size_t k = utf8_len(p->s + p->pos, p->len - p->pos);
        if (k == 0) {
            /* A sequence cut by the end of the text is a truncation. */
            bool cut = p->len - p->pos < 4 && c >= 0xC2 && c <= 0xF4;
            for (size_t i = p->pos + 1; cut && i < p->len; i++)
                cut = (p->s[i] & 0xC0) == 0x80;
            free(buf);
            return fail_at(p, cut ? p->len : p->pos,
                           cut ? "inside a string" : "invalid UTF-8 in a string");
        }
        memcpy(buf + n, p->s + p->pos, k);
        n += k;
        p->pos += k;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static size_t digits(struct parser *p)
{
    size_t n = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++, n++;
    return n;
}

/* Checks the grammar first, then converts only that span (strtod alone would
 * take hex, "inf" or a leading '+'). */
static int parse_number(struct parser *p, double *out)
{
    size_t start = p->pos;
    char small[64], *buf = small;
    if (p->s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            return fail_at(p, start, "number with a leading zero");
    } else if (digits(p) == 0) {
        return fail_at(p, start, "expected a value");
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (digits(p) == 0)
            return fail_at(p, p->pos, "expected a digit after the decimal point");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (digits(p) == 0)
            return fail_at(p, p->pos, "expected a digit in the exponent");
    }
    size_t n = p->pos - start;
    if (n >= sizeof small && !(buf = malloc(n + 1)))
        return nomem(p);
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (!isfinite(*out))
        return fail_at(p, start, "number out of range");
    return 0;
}

static int parse_value(struct parser *p, struct aib_jr_val *v, int depth);

/* Appends a zeroed slot to v->items (and v->keys for objects). */
static struct aib_jr_val *push(struct aib_jr_val *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct aib_jr_val *items = realloc(v->items, ncap * sizeof *items);
        if (!items)
            return NULL;
        v->items = items;
        if (v->type == AIB_JR_OBJ) {
            char **keys = realloc(v->keys, ncap * sizeof *keys);
            if (!keys)
                return NULL;
            v->keys = keys;
        }
        *cap = ncap;
    }
    memset(&v->items[v->n], 0, sizeof v->items[v->n]);
    if (v->type == AIB_JR_OBJ)
        v->keys[v->n] = NULL;
    return &v->items[v->n++];
}

/* An array or object: p->pos at its opening bracket. */
static int parse_container(struct parser *p, struct aib_jr_val *v, int depth)
{
    bool obj = p->s[p->pos] == '{';
    char close = obj ? '}' : ']';
    size_t cap = 0;
    v->type = obj ? AIB_JR_OBJ : AIB_JR_ARR;
    if (depth >= AIB_JR_MAX_DEPTH)
        return fail_at(p, p->pos, "nested too deeply");
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        size_t kpos = p->pos;
        if (obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail_at(p, p->pos, "expected a string key");
            int rc = parse_string(p, &key);
            if (rc)
                return rc;
            if (aib_jr_get(v, key)) {
                char msg[160];
                snprintf(msg, sizeof msg, "duplicate key \"%.100s\"", key);
                free(key);
                return fail_at(p, kpos, msg);
            }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                return fail_at(p, p->pos, "expected ':' after a key");
            }
            p->pos++;
            skip_ws(p);
        }
        struct aib_jr_val *item = push(v, &cap);
        if (!item) {
            free(key);
            return nomem(p);
        }
        if (obj)
            v->keys[v->n - 1] = key;
        int rc = parse_value(p, item, depth + 1);
        if (rc)
            return rc;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == close)
                return fail_at(p, p->pos, obj ? "trailing comma in an object"
                                              : "trailing comma in an array");
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return 0;
        }
        return fail_at(p, p->pos, obj ? "expected ',' or '}' after an object member"
                                      : "expected ',' or ']' after an array element");
    }
}

static int parse_word(struct parser *p, const char *word)
{
    size_t n = strlen(word), left = p->len - p->pos;
    if (left < n && memcmp(p->s + p->pos, word, left) == 0)
        return fail_at(p, p->len, "inside a literal"); /* "nu" at the very end */
    if (left < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail_at(p, p->pos, "expected a value");
    p->pos += n;
    return 0;
}

static int parse_value(struct parser *p, struct aib_jr_val *v, int depth)
{
    skip_ws(p);
    v->off = p->pos;
    if (p->pos >= p->len)
        return fail_at(p, p->pos, "expected a value");
    switch (p->s[p->pos]) {
    case '{':
    case '[': return parse_container(p, v, depth);
    case '"': v->type = AIB_JR_STR; return parse_string(p, &v->str);
    case 't': v->type = AIB_JR_BOOL; v->b = true; return parse_word(p, "true");
    case 'f': v->type = AIB_JR_BOOL; return parse_word(p, "false");
    case 'n': v->type = AIB_JR_NULL; return parse_word(p, "null");
    default: v->type = AIB_JR_NUM; return parse_number(p, &v->num);
    }
}

int aib_jr_parse(const char *text, size_t len, struct aib_jr_val *out, struct aib_err *err)
{
    struct parser p = {.s = (const unsigned char *)text, .len = len, .err = err};
    memset(out, 0, sizeof *out);
    /* A UTF-8 byte order mark is not JSON (RFC 8259 8.1): say so plainly. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        return fail_at(&p, 0, "byte order mark before the JSON text");
    int rc = parse_value(&p, out, 0);
    if (rc)
        return rc;
    skip_ws(&p);
    if (p.pos < p.len)
        return fail_at(&p, p.pos, "unexpected text after the JSON value");
    return 0;
}

void aib_jr_free(struct aib_jr_val *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        aib_jr_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const struct aib_jr_val *aib_jr_get(const struct aib_jr_val *v, const char *key)
{
    if (!v || v->type != AIB_JR_OBJ)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->keys[i] && strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}

void aib_jr_linecol(const char *text, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n')
            l++, c = 1;
        else
            c++;
    }
    *line = l;
    *col = c;
}

const char *aib_jr_type_name(enum aib_jr_type t)
{
    switch (t) {
    case AIB_JR_NULL: return "null";
    case AIB_JR_BOOL: return "a boolean";
    case AIB_JR_NUM: return "a number";
    case AIB_JR_STR: return "a string";
    case AIB_JR_ARR: return "an array";
    case AIB_JR_OBJ: return "an object";
    }
    return "?";
}
