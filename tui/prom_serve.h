/* `aibench top --prometheus ADDR:PORT`: the live telemetry of `aibench top`
 * served at GET /metrics in the Prometheus text format 0.0.4.
 *
 * Three parts, each on its own thread or none:
 *  - the server (prom_serve.c): a small HTTP/1.0-style server on a thread
 *    of its own; one poll() loop over the listening socket and up to
 *    AIB_PROM_MAX_CLIENTS connections, every socket non-blocking, every
 *    connection with a deadline (a slow or silent client is dropped and
 *    never holds up another one or the sampler); it serves the last
 *    published text and never computes anything itself;
 *  - the live exporter (prom_live.c): a procfs sampler (profilers/procfs.h,
 *    the same one `aibench top` draws from) whose callback reads NVML when
 *    there is a GPU, renders the exposition text and publishes it;
 *  - aib_prom_top (prom_top.c): the command's flow, with or without the
 *    terminal view. */
#ifndef AIB_TUI_PROM_SERVE_H
#define AIB_TUI_PROM_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../bench/cli.h"
#include "../bench/err.h"
#include "../devices/device.h"
#include "../profilers/procfs.h"
#include "../results/prom.h"

#define AIB_PROM_MAX_CLIENTS 32
#define AIB_PROM_HEADER_MAX 8192       /* bytes of request line and headers */
#define AIB_PROM_READ_TIMEOUT_S 5.0    /* to receive the request */
#define AIB_PROM_WRITE_TIMEOUT_S 10.0  /* to take the whole response */
#define AIB_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* --- the server ------------------------------------------------------------ */

/* "[ADDR:]PORT": ADDR an IPv4 address, "[IPv6]", or "localhost"; without
 * one, 127.0.0.1 (loopback: another address is bound only when given).
 * PORT 0 to 65535 (0: any free port). AIB_EUSAGE with a one-line message
 * otherwise. */
int aib_prom_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        struct aib_err *err);

struct aib_prom_server;

/* Parses `addr` and listens on it (no thread yet). A port in use, an
 * address not on this machine or a port needing privileges: AIB_EUSAGE
 * "cannot listen on ADDR: reason". */
int aib_prom_server_open(const char *addr, struct aib_prom_server **out, struct aib_err *err);
/* The address listened on, port resolved ("127.0.0.1:9464", "[::1]:9464"). */
const char *aib_prom_server_addr(const struct aib_prom_server *s);
/* Starts the server thread. */
int aib_prom_server_start(struct aib_prom_server *s, struct aib_err *err);
/* Replaces the text served at /metrics with a copy of body[0..len).
 * Thread-safe; until the first call /metrics answers 503. */
int aib_prom_server_publish(struct aib_prom_server *s, const char *body, size_t len);
/* Stops the thread (at once: it is woken through a pipe), closes every
 * connection and the socket, frees. NULL is fine. */
void aib_prom_server_close(struct aib_prom_server *s);

/* --- the live exporter --------------------------------------------------------- */

/* One GPU read through NVML. */
enum {
    AIB_PG_UTIL = 1u << 0,
    AIB_PG_MEM_UTIL = 1u << 1,
    AIB_PG_MEM = 1u << 2, /* mem_used, mem_total */
    AIB_PG_POWER = 1u << 3,
    AIB_PG_TEMP = 1u << 4,
    AIB_PG_SM_CLOCK = 1u << 5,
    AIB_PG_MEM_CLOCK = 1u << 6,
    AIB_PG_ENERGY = 1u << 7,
};
struct aib_prom_gpu {
    unsigned index;    /* NVML's */
    char name[96], uuid[96];
    char device[48];   /* the aibench id ("cuda:0") when matched, else "" */
    unsigned valid;    /* AIB_PG_* */
    double util, mem_util;          /* fractions */
    double mem_used, mem_total;     /* bytes */
    double power_w, temp_c;
    double sm_hz, mem_hz;
    double energy_j;                /* since the driver loaded */
};

/* What the exporter adds up between samples: counters since it started. */
struct aib_prom_totals {
    uint64_t samples;
    unsigned valid; /* AIB_PF_DISK, AIB_PF_NET once a rate has been seen */
    double disk_read, disk_written, net_rx, net_tx; /* bytes */
};

/* Adds one host sample's rates (x its interval) to the totals. */
void aib_prom_totals_add(struct aib_prom_totals *t, const struct aib_procfs_sample *s);

/* Renders the live telemetry into `p` (pure: tests feed it made-up
 * samples). Figures without a validity bit are left out, never 0. */
int aib_prom_live_render(struct aib_prom *p, const struct aib_devlist *devs,
                         const struct aib_procfs_sample *s, const struct aib_prom_totals *t,
                         double interval_s, const struct aib_prom_gpu *gpus, size_t ngpus,
                         double now_unix, struct aib_err *err);

struct aib_prom_live;

/* Starts a procfs sampler at `interval_s` whose samples are rendered and
 * published to `srv` (and NVML read, when a driver is there). `devs` and
 * `srv` must outlive it. */
int aib_prom_live_start(const struct aib_devlist *devs, double interval_s,
                        struct aib_prom_server *srv, struct aib_prom_live **out,
                        struct aib_err *err);
void aib_prom_live_stop(struct aib_prom_live *l); /* NULL is fine */

/* --- the command ------------------------------------------------------------- */

/* `aibench top --prometheus ADDR`: listens (a bad address or a port in use:
 * one line, status 2, before anything starts), then serves while the
 * terminal view runs (`tui`) or, without one, until SIGINT, SIGTERM or
 * SIGHUP. Returns the exit status: 0 (q), 2, or 128 + the signal. */
int aib_prom_top(struct aib_cli *cli, const struct aib_devlist *devs, double interval_s,
                 const char *addr, bool tui);

#endif
