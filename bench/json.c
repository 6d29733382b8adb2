#include "json.h"

#include <inttypes.h>
#include <math.h>

void aib_json_init(struct aib_json *j, FILE *f, bool pretty)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = true;
    j->after_key = false;
    j->pretty = pretty;
}

static void indent(struct aib_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Called before every value or key: writes the separator. */
static void sep(struct aib_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (!j->first[j->depth])
            fputc(',', j->f);
        indent(j);
    }
    j->first[j->depth] = false;
}

static void open_(struct aib_json *j, char c)
{
    sep(j);
    fputc(c, j->f);
    if (j->depth + 1 < AIB_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct aib_json *j, char c)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty)
        indent(j);
    fputc(c, j->f);
}

void aib_json_obj_begin(struct aib_json *j) { open_(j, '{'); }
void aib_json_obj_end(struct aib_json *j) { close_(j, '}'); }
void aib_json_arr_begin(struct aib_json *j) { open_(j, '['); }
void aib_json_arr_end(struct aib_json *j) { close_(j, ']'); }

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void aib_json_key(struct aib_json *j, const char *key)
{
    sep(j);
    write_string(j->f, key);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = true;
}

void aib_json_str(struct aib_json *j, const char *s)
{
    sep(j);
    if (s)
        write_string(j->f, s);
    else
        fputs("null", j->f);
}

void aib_json_num(struct aib_json *j, double v)
{
    sep(j);
    if (isfinite(v))
        fprintf(j->f, "%.15g", v);
    else
        fputs("null", j->f);
}

void aib_json_int(struct aib_json *j, int64_t v)
{
    sep(j);
    fprintf(j->f, "%" PRId64, v);
}

void aib_json_bool(struct aib_json *j, bool v)
{
    sep(j);
    fputs(v ? "true" : "false", j->f);
}

void aib_json_null(struct aib_json *j)
{
    sep(j);
    fputs("null", j->f);
}

void aib_json_finish(struct aib_json *j) { fputc('\n', j->f); }

void aib_json_kstr(struct aib_json *j, const char *k, const char *s)
{
    aib_json_key(j, k);
    aib_json_str(j, s);
}
void aib_json_knum(struct aib_json *j, const char *k, double v)
{
    aib_json_key(j, k);
    aib_json_num(j, v);
}
void aib_json_kint(struct aib_json *j, const char *k, int64_t v)
{
    aib_json_key(j, k);
    aib_json_int(j, v);
}
void aib_json_kbool(struct aib_json *j, const char *k, bool v)
{
    aib_json_key(j, k);
    aib_json_bool(j, v);
}
