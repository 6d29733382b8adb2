/* `aibench tag`: names for runs, usable wherever a RUN is (a CI baseline
 * such as "main"). Set, move, list and delete. */
#include <stdlib.h>
#include <string.h>

#include "../bench/cli.h"
#include "cmd_common.h"
#include "store.h"

static const char tag_usage[] =
    "usage: aibench [--db PATH] tag RUN NAME [--force]\n"
    "       aibench [--db PATH] tag [--list] [--json]\n"
    "       aibench [--db PATH] tag --delete NAME\n"
    "\n"
    "Names a run: NAME can then stand for the run in 'results show', 'compare' and\n"
    "'ci --baseline'. A name has 1 to 64 letters, digits and . _ / -, starts with a\n"
    "letter, and is not 'last'. A run may have several names; a name names one run.\n"
    "\n"
    "options:\n"
    "  --force       move NAME to RUN when it already names another run\n"
    "  --list        list the tags (the default without arguments)\n"
    "  --json        with --list: JSON\n"
    "  --delete NAME remove a tag (the run stays)\n"
    "  -h, --help    this help\n"
    "\n"
    "Deleting a run removes its tags. Exit status: 0 ok, 2 bad input (unknown run,\n"
    "bad name, a name taken without --force, no such tag).\n"
    "\n" AIB_RCMD_DB_HELP;

struct tag_args {
    const char *pos[2];
    int npos;
    const char *del;
    bool force, list, json;
};

static int parse(struct aib_cli *cli, int argc, char **argv, struct tag_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(tag_usage, cli->out);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--force") == 0) {
            a->force = true;
        } else if (strcmp(s, "--list") == 0) {
            a->list = true;
        } else if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--delete") == 0) {
            if (i + 1 >= argc) {
                aib_cli_error(cli, "tag: --delete needs a tag name");
                return 2;
            }
            a->del = argv[++i];
        } else if (s[0] == '-' && s[1]) {
            aib_cli_error(cli, "tag: unknown option '%s' (see tag --help)", s);
            return 2;
        } else if (a->npos < 2) {
            a->pos[a->npos++] = s;
        } else {
            aib_cli_error(cli, "tag: unexpected argument '%s' (see tag --help)", s);
            return 2;
        }
    }
    bool set = a->npos > 0;
    if ((set && (a->list || a->del || a->json)) || (a->del && (a->list || a->json)) ||
        (a->force && !set)) {
        aib_cli_error(cli, "tag: give RUN NAME [--force], --list [--json] or --delete NAME");
        return 2;
    }
    if (a->npos == 1) {
        aib_cli_error(cli, "tag: missing NAME after RUN (see tag --help)");
        return 2;
    }
    a->list = !set && !a->del;
    return -1;
}

static void list_text(struct aib_cli *cli, const struct aib_tag *t, size_t n)
{
    char when[32];
    if (n == 0) {
        fputs("no tags\n", cli->out);
        return;
    }
    size_t w = 3;
    for (size_t i = 0; i < n; i++)
        w = strlen(t[i].name) > w ? strlen(t[i].name) : w;
    fprintf(cli->out, "%-*s  %5s  %-8s  %-19s  %s\n", (int)w, "TAG", "RUN", "UUID", "TAGGED",
            "SUITE");
    for (size_t i = 0; i < n; i++)
        fprintf(cli->out, "%-*s  %5lld  %.8s  %-19s  %s\n", (int)w, t[i].name,
                (long long)t[i].run_id, t[i].uuid,
                aib_rcmd_fmt_time(t[i].created, when, sizeof when),
                t[i].suite[0] ? t[i].suite : "-");
}

static void list_json(struct aib_cli *cli, const struct aib_tag *t, size_t n)
{
    struct aib_json j;
    aib_json_init(&j, cli->out, true);
    aib_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
        aib_json_obj_begin(&j);
        aib_json_kstr(&j, "name", t[i].name);
        aib_json_kint(&j, "run", t[i].run_id);
        aib_json_kstr(&j, "uuid", t[i].uuid);
        aib_json_kstr(&j, "suite", t[i].suite);
        aib_json_knum(&j, "created", t[i].created);
        aib_json_obj_end(&j);
    }
    aib_json_arr_end(&j);
    aib_json_finish(&j);
}

int aib_cmd_tag(struct aib_cli *cli, int argc, char **argv)
{
    struct tag_args a = {0};
    struct aib_store *s = NULL;
    struct aib_tag *tags = NULL;
    struct aib_err err = {0};
    char path[4096];
    size_t n = 0;
    int64_t id = 0;
    int rc = parse(cli, argc, argv, &a);
    if (rc >= 0)
        return rc;
    /* Check the name before opening: bad input must not create anything. */
    if (a.npos == 2 && aib_store_tag_check_name(a.pos[1], &err)) {
        aib_cli_error(cli, "%s", err.msg);
        return 2;
    }
    if ((rc = aib_rcmd_open_db(cli, a.list, path, sizeof path, &s)) >= 0)
        return rc;
    if (!s) { /* no database yet: no tags */
        a.json ? list_json(cli, NULL, 0) : list_text(cli, NULL, 0);
        return 0;
    }
    if (a.list)
        rc = aib_store_tags_list(s, &tags, &n, &err);
    else if (a.del)
        rc = aib_store_tag_delete(s, a.del, &err);
    else
        rc = aib_store_tag_set(s, a.pos[0], a.pos[1], a.force, &id, &err);
    if (rc) {
        aib_cli_error(cli, "%s", err.msg);
        rc = aib_rcmd_exit_for(err.code);
    } else if (a.list) {
        a.json ? list_json(cli, tags, n) : list_text(cli, tags, n);
    } else if (a.del) {
        fprintf(cli->out, "deleted tag %s\n", a.del);
    } else {
        fprintf(cli->out, "tagged run %lld as %s\n", (long long)id, a.pos[1]);
    }
    free(tags);
    aib_store_close(s);
    return rc;
}
