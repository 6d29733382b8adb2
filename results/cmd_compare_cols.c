/* `aibench compare`: from arguments to loaded columns. A column is a RUN
 * (id, UUID prefix, tag or "last") or --host NAME (the newest complete run
 * of that host), each with an optional database prefix ("a:" the --db one,
 * "b:" the --db-b one) and "@DEVICE" to keep one device's results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "cmd_compare.h"

/* Splits "[a:|b:]NAME[@DEVICE]". *db is -1 without a prefix. */
static int split_spec(struct aib_cli *cli, const char *text, int *db, char *name, size_t nlen,
                      char *device, size_t dlen)
{
    const char *at = strchr(text, '@');
    *db = -1;
    if (strncmp(text, "a:", 2) == 0 || strncmp(text, "b:", 2) == 0) {
        *db = text[0] == 'b';
        text += 2;
    }
    size_t n = at ? (size_t)(at - text) : strlen(text);
    if (n == 0 || n >= nlen || (at && (!at[1] || strlen(at + 1) >= dlen))) {
        aib_cli_error(cli, "compare: bad run or host '%s': want [a:|b:]NAME[@DEVICE]", text);
        return 2;
    }
    memcpy(name, text, n);
    name[n] = '\0';
    snprintf(device, dlen, "%s", at ? at + 1 : "");
    return 0;
}

/* The newest run with status ok whose host (or fingerprint) is `name`. */
static int find_host(struct aib_store *s, const char *name, char *ref, size_t len, bool *found,
                     struct aib_err *err)
{
    struct aib_run *runs = NULL;
    size_t n = 0;
    int rc = aib_store_list_runs(s, &runs, &n, err);
    *found = false;
    for (size_t i = 0; rc == 0 && i < n && !*found; i++) {
        if (strcmp(runs[i].status, AIB_STATUS_OK) == 0 &&
            (strcmp(runs[i].host, name) == 0 || strcmp(runs[i].fingerprint, name) == 0)) {
            snprintf(ref, len, "%lld", (long long)runs[i].id);
            *found = true;
        }
    }
    aib_runs_free(runs, n);
    return rc;
}

/* The hosts with a complete run, for the message when a host is not found. */
static void list_hosts(struct aib_store *s, char *buf, size_t len)
{
    struct aib_run *runs = NULL;
    struct aib_err err = {0};
    size_t n = 0, used = 0;
    buf[0] = '\0';
    if (aib_store_list_runs(s, &runs, &n, &err) == 0) {
        for (size_t i = 0; i < n && used + 1 < len; i++) {
            bool seen = strcmp(runs[i].status, AIB_STATUS_OK) != 0 || !runs[i].host[0];
            for (size_t k = 0; k < i && !seen; k++)
                seen = strcmp(runs[k].status, AIB_STATUS_OK) == 0 &&
                       strcmp(runs[k].host, runs[i].host) == 0;
            if (!seen)
                used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                         runs[i].host);
        }
    }
    aib_runs_free(runs, n);
    if (!buf[0])
        snprintf(buf, len, "none");
}

/* Keeps only the results on `device`. */
static int keep_device(struct aib_cli *cli, struct aib_cmp_col *c)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nres; i++) {
        if (strcmp(c->res[i].device, c->device) == 0)
            c->res[k++] = c->res[i];
        else
            aib_result_free(&c->res[i]);
    }
    c->nres = k;
    if (k == 0) {
        aib_cli_error(cli, "compare: %s: the run has no result on device '%s'", c->spec,
                      c->device);
        return 2;
    }
    return 0;
}

static int load_col(struct aib_cli *cli, const struct aib_cmp_spec *sp,
                    const struct aib_cmp_dbs *dbs, struct aib_cmp_col *c)
{
    char name[160], ref[32], hosts[512];
    struct aib_err err = {0};
    int db, rc;
    snprintf(c->spec, sizeof c->spec, "%s%s", sp->host ? "--host " : "", sp->text);
    c->price = NAN;
    if ((rc = split_spec(cli, sp->text, &db, name, sizeof name, c->device, sizeof c->device)))
        return rc;
    if (db == 1 && !dbs->s[1]) {
        aib_cli_error(cli, "compare: %s names database b, but no --db-b was given", c->spec);
        return 2;
    }
    const char *load = name;
    if (sp->host) {
        bool found = false;
        /* Without a prefix a host is looked for in --db, then in --db-b. */
        for (int d = db < 0 ? 0 : db; !found && d <= (db < 0 ? 1 : db) && dbs->s[d]; d++) {
            if (find_host(dbs->s[d], name, ref, sizeof ref, &found, &err)) {
                aib_cli_error(cli, "compare: %s", err.msg);
                return aib_rcmd_exit_for(err.code);
            }
            c->db = d;
        }
        if (!found) {
            int d = db < 0 ? 0 : db;
            list_hosts(dbs->s[d], hosts, sizeof hosts);
            aib_cli_error(cli, "compare: no complete run of host '%s' in %s%s (hosts there: %s)",
                          name, dbs->path[d], db < 0 && dbs->s[1] ? " or --db-b" : "", hosts);
            return 2;
        }
        load = ref;
    } else {
        c->db = db < 0 ? 0 : db;
    }
    if (aib_store_load_run(dbs->s[c->db], load, &c->run, &c->res, &c->nres, &err)) {
        aib_cli_error(cli, "compare: %s", err.msg);
        return aib_rcmd_exit_for(err.code);
    }
    return c->device[0] ? keep_device(cli, c) : 0;
}

/* Gives each price to the columns of its host; a host no column has is an error. */
static int apply_prices(struct aib_cli *cli, const struct aib_cmp_args *a,
                        struct aib_cmp_col *cols, size_t n)
{
    for (size_t p = 0; p < a->nprices; p++) {
        bool used = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(cols[i].run.host, a->prices[p].host) == 0) {
                cols[i].price = a->prices[p].usd;
                used = true;
            }
        }
        if (!used) {
            char hosts[512];
            size_t len = 0;
            hosts[0] = '\0';
            for (size_t i = 0; i < n && len + 1 < sizeof hosts; i++) {
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                    seen = strcmp(cols[k].run.host, cols[i].run.host) == 0;
                if (!seen)
                    len += (size_t)snprintf(hosts + len, sizeof hosts - len, "%s%s",
                                            len ? ", " : "",
                                            cols[i].run.host[0] ? cols[i].run.host : "(none)");
            }
            aib_cli_error(cli, "compare: --price %s: no compared run is from host '%s' (hosts: %s)",
                          a->prices[p].host, a->prices[p].host, hosts);
            return 2;
        }
    }
    return 0;
}

int aib_cmp_load_cols(struct aib_cli *cli, const struct aib_cmp_args *a,
                      const struct aib_cmp_dbs *dbs, struct aib_cmp_col **cols, size_t *ncols,
                      bool *match_device)
{
    struct aib_cmp_col *c = calloc(a->nspecs ? a->nspecs : 1, sizeof *c);
    size_t n = 0, with_device = 0;
    int rc = 0;
    *cols = NULL;
    *ncols = 0;
    if (!c) {
        aib_cli_error(cli, "out of memory");
        return 1;
    }
    for (size_t i = 0; i < a->nspecs && rc == 0; i++) {
        snprintf(c[i].label, sizeof c[i].label, "#%zu", i + 1);
        n = i + 1;
        rc = load_col(cli, &a->specs[i], dbs, &c[i]);
        with_device += c[i].device[0] != '\0';
    }
    if (rc == 0 && with_device && with_device != n) {
        aib_cli_error(cli, "compare: give @DEVICE for every run or for none");
        rc = 2;
    }
    if (rc == 0)
        rc = apply_prices(cli, a, c, n);
    if (rc) {
        aib_cmp_cols_free(c, n);
        return rc;
    }
    *match_device = with_device == 0;
    *cols = c;
    *ncols = n;
    return 0;
}

void aib_cmp_cols_free(struct aib_cmp_col *cols, size_t n)
{
    for (size_t i = 0; cols && i < n; i++) {
        aib_results_free(cols[i].res, cols[i].nres);
        aib_run_free(&cols[i].run);
    }
    free(cols);
}

/* The workloads of a column, for the message. */
static void workloads_of(const struct aib_cmp_col *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nres && used + 1 < len; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(c->res[k].workload, c->res[i].workload) == 0;
        if (!seen)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                                     c->res[i].workload);
    }
    if (!buf[0])
        snprintf(buf, len, "no results");
}

int aib_cmp_check_overlap(struct aib_cli *cli, const struct aib_cmp_col *cols, size_t ncols,
                          const struct aib_nway *nw)
{
    char msg[900], w[160];
    size_t used = 0;
    for (size_t i = 0; i < nw->nrows; i++)
        if (nw->rows[i].present == ncols)
            return 0;
    for (size_t c = 0; c < ncols && used + 1 < sizeof msg; c++) {
        workloads_of(&cols[c], w, sizeof w);
        used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%s %s: %s", c ? "; " : "",
                                 cols[c].label, cols[c].spec, w);
    }
    aib_cli_error(cli,
                  "compare: the runs have no result in common (same workload, parameters and "
                  "device), nothing to compare: %s",
                  msg);
    return 2;
}
