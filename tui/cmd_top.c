/* `aibench top`: options, device discovery, and the plain one-sample
 * output used when stdout is not a terminal (or with --no-tui). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/cli.h"
#include "../bench/fmt.h"
#include "draw.h"
#include "prom_serve.h"
#include "telem.h"
#include "tui.h"
#include "views.h"

static const char top_usage[] =
    "usage: aibench top [--interval S] [--no-tui] [--prometheus [ADDR:]PORT]\n"
    "\n"
    "Live device monitor: every device from 'aibench devices' with its utilization,\n"
    "memory, clock, power and temperature where this machine can read them (CPU: /proc\n"
    "and /sys; a device without a reader says \"no telemetry\", never 0), a history\n"
    "graph of the selected device, and the host's per-CPU load and clock, memory,\n"
    "disk and network rates. Keys: q quit, up/down/tab select, ? help.\n"
    "When stdout is not a terminal (or the terminal cannot be driven), or with\n"
    "--no-tui, it prints one sample (taken over one interval) as text and exits.\n"
    "With --prometheus it also serves the same telemetry at http://ADDR:PORT/metrics\n"
    "in the Prometheus text format (docs/prometheus.md), beside the view, or without\n"
    "a terminal (or with --no-tui) until SIGINT/SIGTERM.\n"
    "\n"
    "options:\n"
    "  --interval S   seconds between samples (default 1; 0.1 to 60)\n"
    "  --no-tui       print one sample as text instead of the live view\n"
    "  --prometheus [ADDR:]PORT\n"
    "                 serve the telemetry at /metrics; ADDR defaults to 127.0.0.1\n"
    "                 (give 0.0.0.0 or an interface's address to serve other\n"
    "                 machines); PORT 0 takes a free port (printed on stderr)\n"
    "  -h, --help     this help\n"
    "\n"
    "Exit status: 0, 2 bad input, 130/143 when ended by SIGINT/SIGTERM.\n";

static int parse_interval(const char *v, double *out, struct aib_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end != v && *end == 's' && end[1] == '\0')
        end++;
    if (end == v || *end || errno || !isfinite(x) || x < 0.1 || x > 60)
        return aib_err_set(err, AIB_EUSAGE,
                           "bad value '%s' for --interval: expected seconds in [0.1, 60]", v);
    *out = x;
    return 0;
}

static void print_snapshot(FILE *f, const struct aib_devlist *devs,
                           const struct aib_procfs_sample *s)
{
    char a[32], b[32];
    for (size_t i = 0; i < devs->len; i++) {
        const struct aib_device *d = &devs->items[i];
        struct aib_devtel t;
        aib_devtel_get(d->id, d->kind, s, true, &t);
        fprintf(f, "%-12s %s\n", d->id, d->name);
        if (!t.valid) {
            fprintf(f, "  %s\n", t.source);
            continue;
        }
        if (t.valid & AIB_DT_UTIL)
            fprintf(f, "  util:    %.1f%%\n", t.util * 100);
        else
            fprintf(f, "  util:    n/a\n");
        if (t.valid & AIB_DT_CLOCK)
            fprintf(f, "  clock:   %.0f MHz\n", t.clock_mhz);
        if (t.valid & AIB_DT_MEM)
            fprintf(f, "  memory:  %s used of %s\n", aib_fmt_bytes(t.mem_used, a, sizeof a),
                    aib_fmt_bytes(t.mem_total, b, sizeof b));
        if (d->kind != AIB_DEV_CPU)
            continue;
        for (unsigned k = 0; k < s->ncpus; k++) {
            const struct aib_procfs_cpu *c = &s->cpu[k];
            fprintf(f, "  cpu%-4d  ", c->id);
            if (c->valid & AIB_PF_UTIL)
                fprintf(f, "%5.1f%%", c->util * 100);
            else
                fprintf(f, "   n/a");
            if (c->valid & AIB_PF_FREQ)
                fprintf(f, "  %.0f MHz", c->freq_mhz);
            fputc('\n', f);
        }
        if (s->valid & AIB_PF_LOAD)
            fprintf(f, "  load:    %.2f\n", s->load1);
        if (s->valid & AIB_PF_DISK)
            fprintf(f, "  disk:    read %s, write %s\n",
                    aib_ui_fmt_rate(s->disk_read_bps, a, sizeof a),
                    aib_ui_fmt_rate(s->disk_write_bps, b, sizeof b));
        if (s->valid & AIB_PF_NET)
            fprintf(f, "  net:     rx %s, tx %s\n", aib_ui_fmt_rate(s->net_rx_bps, a, sizeof a),
                    aib_ui_fmt_rate(s->net_tx_bps, b, sizeof b));
    }
    for (size_t k = 0; k < devs->nbackends; k++)
        if (!devs->backends[k].available)
            fprintf(f, "%-12s unavailable: %s\n", devs->backends[k].name,
                    devs->backends[k].reason);
}

/* Two reads one interval apart: rates need both. */
static int snapshot(struct aib_cli *cli, const struct aib_devlist *devs, double interval)
{
    struct aib_procfs_reader *r = NULL;
    struct aib_procfs_sample *s = calloc(1, sizeof *s);
    struct aib_err err = {0};
    int status = 1;
    if (!s || aib_procfs_reader_new(NULL, &r, &err)) {
        aib_cli_error(cli, "%s", s ? err.msg : "out of memory");
        goto out;
    }
    struct timespec ts = {(time_t)interval, (long)((interval - floor(interval)) * 1e9)};
    aib_procfs_read(r, 0, s);
    nanosleep(&ts, NULL);
    aib_procfs_read(r, interval, s);
    print_snapshot(cli->out, devs, s);
    status = 0;
out:
    aib_procfs_reader_free(r);
    free(s);
    return status;
}

int aib_cmd_top(struct aib_cli *cli, int argc, char **argv)
{
    double interval = 1.0;
    bool no_tui = false;
    const char *prom_addr = NULL;
    struct aib_err err = {0};
    struct aib_devlist devs = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(top_usage, cli->out);
            return 0;
        } else if (strcmp(a, "--no-tui") == 0) {
            no_tui = true;
        } else if (strcmp(a, "--prometheus") == 0 || strncmp(a, "--prometheus=", 13) == 0) {
            prom_addr = a[12] == '=' ? a + 13 : i + 1 < argc ? argv[++i] : NULL;
            struct sockaddr_storage ss;
            socklen_t sl;
            if (!prom_addr) {
                aib_cli_error(cli, "option '--prometheus' needs a value ([ADDR:]PORT)");
                return 2;
            }
            if (aib_prom_parse_addr(prom_addr, &ss, &sl, &err)) {
                aib_cli_error(cli, "%s", err.msg);
                return 2;
            }
        } else if (strcmp(a, "--interval") == 0 || strncmp(a, "--interval=", 11) == 0) {
            const char *v = a[10] == '=' ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                aib_cli_error(cli, "option '--interval' needs a value");
                return 2;
            }
            if (parse_interval(v, &interval, &err)) {
                aib_cli_error(cli, "%s", err.msg);
                return 2;
            }
        } else {
            aib_cli_error(cli, "unknown %s '%s' for top (try 'aibench top --help')",
                          a[0] == '-' ? "option" : "argument", a);
            return 2;
        }
    }
    if (aib_devices_discover(&devs, AIB_DEV_ALL, &err)) {
        aib_cli_error(cli, "%s", err.msg);
        return 1;
    }
    int status;
    if (prom_addr) {
        status = aib_prom_top(cli, &devs, interval, prom_addr, !no_tui && aib_tui_available());
    } else if (no_tui || !aib_tui_available()) {
        status = snapshot(cli, &devs, interval);
    } else {
        status = aib_top_run(&devs, interval, &err);
        if (status == 2 && err.code == AIB_EUNAVAIL)
            status = snapshot(cli, &devs, interval); /* e.g. an unknown TERM: text instead */
        else if (status == 2)
            aib_cli_error(cli, "%s", err.msg);
    }
    aib_devices_free(&devs);
    return status;
}
