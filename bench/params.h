/* Workload parameters declared as data: one table gives parsing, range
 * validation, defaults, --help text, the canonical string stored with each
 * result, and (later) the YAML schema. */
#ifndef AIB_PARAMS_H
#define AIB_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum aib_ptype {
    AIB_PT_INT,    /* int64_t; decimal */
    AIB_PT_SIZE,   /* int64_t; bytes, accepts k/K, m/M, g/G suffixes (powers of 1024) */
    AIB_PT_DOUBLE, /* double */
    AIB_PT_ENUM,   /* int: index into `choices` */
    AIB_PT_STR,    /* char[AIB_PARAM_STR_MAX] */
};

#define AIB_PARAM_STR_MAX 128

struct aib_param {
    const char *name;
    enum aib_ptype type;
    size_t offset;       /* offsetof() into the workload's params struct */
    const char *def;     /* default value as text */
    double min, max;     /* inclusive range for INT/SIZE/DOUBLE */
    const char *choices; /* ENUM: "fp32|fp64" */
    const char *help;
};

struct aib_param_set {
    const char *owner; /* workload name, for messages */
    const struct aib_param *decl;
    size_t n;
    size_t size;       /* sizeof the params struct */
};

/* Fills every parameter with its default. */
int aib_params_defaults(const struct aib_param_set *ps, void *out, struct aib_err *err);
/* Parses one value into its field; AIB_EUSAGE with a one-line message on an
 * unknown key, a malformed value or a value out of range. */
int aib_params_set(const struct aib_param_set *ps, void *out, const char *key, const char *value,
                   struct aib_err *err);
const struct aib_param *aib_params_find(const struct aib_param_set *ps, const char *key);
/* Canonical "k=v,k=v" in declaration order. */
void aib_params_format(const struct aib_param_set *ps, const void *p, char *buf, size_t len);
/* One line per parameter: name, type, default, range/choices, help. */
void aib_params_help(const struct aib_param_set *ps, FILE *f);
/* ENUM accessor: the name of the chosen value. */
const char *aib_params_enum_name(const struct aib_param *d, int idx, char *buf, size_t len);

#endif
