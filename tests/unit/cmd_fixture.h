/* A temporary folder with a database path, a way to run a command
 * function with its output captured, and a result builder: shared by the
 * tests of the compare command (two-run and N-way). Header-only; include after cmocka.h. */
#ifndef AIB_TEST_CMD_FIXTURE_H
#define AIB_TEST_CMD_FIXTURE_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../bench/cli.h"
#include "../../results/model.h"

struct fx {
    char dir[64];
    char db[128];
    char *out, *err;
    size_t nout, nerr;
};

static inline int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/aib_cmp_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/r.db", f->dir);
    *state = f;
    return 0;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->out);
    free(f->err);
    free(f);
    return 0;
}

/* Runs a command with db_path (NULL: the default) and captures its output. */
static inline int cmd(struct fx *f, const char *db_path, int (*fn)(struct aib_cli *, int, char **), ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, fn);
    for (const char *a; argc < 15 && (a = va_arg(ap, const char *));)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    free(f->out);
    free(f->err);
    struct aib_cli cli = {.db_path = db_path,
                          .out = open_memstream(&f->out, &f->nout),
                          .errf = open_memstream(&f->err, &f->nerr)};
    assert_non_null(cli.out);
    assert_non_null(cli.errf);
    int rc = fn(&cli, argc, argv);
    fclose(cli.out);
    fclose(cli.errf);
    return rc;
}

static inline void expect(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

static inline void one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    if (!nl || nl[1] != '\0')
        fail_msg("expected exactly one line, got:\n%s", s);
}

/* A matmul result on cpu with median time `med` and 95% CI [lo, hi] of it. */
static inline struct aib_result mk(const char *params, double med, double lo, double hi)
{
    struct aib_result r = {0};
    snprintf(r.workload, sizeof r.workload, "matmul");
    snprintf(r.device, sizeof r.device, "cpu");
    snprintf(r.params, sizeof r.params, "%s", params);
    snprintf(r.status, sizeof r.status, AIB_STATUS_OK);
    snprintf(r.unit, sizeof r.unit, "GFLOP/s");
    r.st.n = 30;
    r.st.median = med;
    r.st.ci_lo = lo;
    r.st.ci_hi = hi;
    r.st.cv = 0.01;
    r.flops = 1e9;
    r.throughput = 1 / med;
    return r;
}

#endif
