/* Internal to the suite loader, not for other modules: suite_parse.c reads
 * the YAML into struct aib_suite; suite.c finds suite files and expands a
 * parsed suite into the plan. These are the pieces both halves use. */
#ifndef AIB_SUITE_INTERNAL_H
#define AIB_SUITE_INTERNAL_H

#include <stddef.h>

#include "err.h"
#include "suite.h"

struct yaml_document_s; /* libyaml's yaml_document_t: only suite_parse.c needs yaml.h */

/* What a located message needs: the suite file, the error to fill and, while
 * parsing, the YAML document (NULL while expanding). */
struct aib_suite_ctx {
    const char *path;
    struct yaml_document_s *doc;
    struct aib_err *err;
};

/* Sets "out of memory" and returns AIB_ENOMEM. */
int aib_suite_nomem_(struct aib_err *err);
/* Appends "SEP TEXT" to a bounded list; text past the end is dropped, which
 * is fine for the human-readable lists in messages. */
void aib_suite_append_(char *buf, size_t cap, const char *sep, const char *text);
/* "FILE:LINE:COL" for a pspec or plan entry; an overlong path is cut so
 * that the position always fits. */
void aib_suite_where_(char *buf, size_t len, const char *path, struct aib_suite_mark m);
/* Sets AIB_EUSAGE "FILE:LINE:COL: message" and returns it. */
int aib_suite_fail_(const struct aib_suite_ctx *c, struct aib_suite_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
