/* `aibench devices`: lists every device the backends find, with properties,
 * and one line per backend that found nothing (and why). */
#include "device.h"

#include <string.h>

#include "../bench/cli.h"

static void usage(FILE *f)
{
    fputs("usage: aibench devices [--json] [--kind cpu|opencl|cuda]...\n"
          "List the compute devices aibench can benchmark and their properties.\n"
          "A backend that cannot work here (no driver, no plugin) is listed with the reason.\n"
          "\n"
          "options:\n"
          "  --json         print one JSON object {\"devices\": [...], \"backends\": [...]}\n"
          "  --kind KINDS   only these backends: cpu, opencl, cuda; repeat the option or\n"
          "                 separate with commas (default: all)\n"
          "  -h, --help     show this help and exit\n",
          f);
}

/* Adds the kinds in a comma list ("cpu,cuda") to *mask; false on an unknown name. */
static bool parse_kinds(const char *list, unsigned *mask, char *bad, size_t badlen)
{
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        char name[16];
        unsigned k = 0;
        if (n > 0 && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            /* Only the bare kind names; "cuda:0" is a device, not a kind. */
            if (!strchr(name, ':'))
                k = aib_device_kind_of_id(name);
        }
        if (!k) {
            snprintf(bad, badlen, "%.*s", (int)(n < 32 ? n : 32), p);
            return false;
        }
        *mask |= k;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

int aib_cmd_devices(struct aib_cli *cli, int argc, char **argv)
{
    struct aib_devlist list = {0};
    struct aib_err err = {0};
    unsigned kinds = 0;
    bool json = false;
    char bad[40];
    int status = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(cli->out);
            goto out;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        } else if (strncmp(a, "--kind=", 7) == 0) {
            val = a + 7;
        } else if (strcmp(a, "--kind") == 0) {
            if (i + 1 >= argc) {
                aib_cli_error(cli, "devices: --kind needs a value (cpu, opencl or cuda)");
                status = 2;
                goto out;
            }
            val = argv[++i];
        } else {
            aib_cli_error(cli, "devices: unknown option '%s' (see 'aibench devices --help')", a);
            status = 2;
            goto out;
        }
        if (!parse_kinds(val, &kinds, bad, sizeof bad)) {
            aib_cli_error(cli, "devices: unknown device kind '%s' (use cpu, opencl or cuda)", bad);
            status = 2;
            goto out;
        }
    }
    if (!kinds)
        kinds = AIB_DEV_ALL;

    /* Unavailable backends are not failures: only a real error (out of
     * memory) makes this command fail. */
    if (aib_devices_discover(&list, kinds, &err) < 0) {
        aib_cli_error(cli, "devices: %s", err.msg);
        status = 1;
        goto out;
    }
    if (json) {
        struct aib_json j;
        aib_json_init(&j, cli->out, true);
        aib_devices_json(&list, &j);
        aib_json_finish(&j);
    } else {
        aib_devices_print(&list, cli->out);
    }
out:
    aib_devices_free(&list);
    return status;
}
