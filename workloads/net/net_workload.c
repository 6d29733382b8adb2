/* The net workload: TCP throughput (streams x msg), TCP ping-pong latency,
 * UDP throughput with loss, against `aibench serve` on a peer or, without
 * one, against an in-process server on loopback. One iteration is a fixed
 * amount per stream: 4 MiB of TCP frames, 256 KiB of datagrams, or one
 * round trip, so work() is exact (and a TCP sample spans milliseconds, so
 * what the socket buffer drains between samples is negligible). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/fmt.h"
#include "net.h"

#define OFF(f) offsetof(struct net_params, f)

static const struct aib_param net_params_decl[] = {
    {"peer", AIB_PT_STR, OFF(peer), "", 0, 0, NULL,
     "HOST:PORT of 'aibench serve' (default: an in-process server on 127.0.0.1)"},
    {"mode", AIB_PT_ENUM, OFF(mode), "tcp", 0, 0, "tcp|pingpong|udp",
     "tcp: throughput; pingpong: round-trip latency; udp: throughput and loss"},
    {"streams", AIB_PT_INT, OFF(streams), "1", 1, 128, NULL, "parallel connections (threads)"},
    {"msg", AIB_PT_SIZE, OFF(msg), "0", 0, 64 << 20, NULL,
     "bytes per message (0: 128k for tcp, 64 for pingpong, 1472 for udp)"},
    {"rate", AIB_PT_DOUBLE, OFF(rate), "1", 0, 1000, NULL,
     "udp: target Gbit/s over all streams (0: as fast as the sender can)"},
    {"timeout", AIB_PT_DOUBLE, OFF(timeout), "5", 0.01, 600, NULL,
     "seconds allowed for each connect, send and receive"},
};

static size_t msg_of(const struct net_params *p)
{
    return p->msg ? (size_t)p->msg : aib_net_default_msg(p->mode);
}

static int net_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    (void)dev;
    const struct net_params *p = params;
    size_t msg = msg_of(p);
    size_t lo = p->mode == M_PINGPONG ? 8 : NET_HDR_LEN;
    if (msg < lo)
        return aib_err_set(err, AIB_EUSAGE, "msg=%zu is below the %zu bytes mode=%s needs", msg,
                           lo, p->mode == M_PINGPONG ? "pingpong" : p->mode == M_TCP ? "tcp" : "udp");
    if (p->mode == M_UDP && msg > NET_UDP_MAX)
        return aib_err_set(err, AIB_EUSAGE, "msg=%zu is larger than a UDP datagram (%d bytes)",
                           msg, NET_UDP_MAX);
    if (!p->peer[0])
        return 0;
    /* A peer must be reachable and speak aibench before anything is run. */
    struct net_addr a;
    int rc = aib_net_parse_hostport(p->peer, "peer", &a, err);
    if (rc)
        return rc;
    int fd = -1;
    struct net_hello h = {.kind = NK_PROBE};
    if ((rc = aib_net_connect(&a, SOCK_STREAM, p->timeout, &fd, err)) == 0) {
        rc = aib_net_handshake(fd, &h, a.text, p->timeout, err);
        close(fd);
    }
    if (rc && rc != AIB_EINTR)
        err->code = rc = AIB_EUSAGE; /* the message stands; it is bad input */
    return rc;
}

static void net_free(struct net_state *s)
{
    if (!s)
        return;
    aib_gang_stop(&s->gang);
    for (unsigned i = 0; s->st && i < s->n; i++) {
        struct net_stream *st = &s->st[i];
        if (st->fd >= 0)
            close(st->fd);
        if (st->ctrl >= 0)
            close(st->ctrl);
        free(st->buf);
        free(st->rbuf);
        free(st->rtt);
    }
    free(s->st);
    aib_net_server_stop(s->srv);
    free(s);
}

static int net_gang_fn(void *ctx, unsigned member, uint64_t iters)
{
    struct net_state *s = ctx;
    return aib_net_stream_run(&s->st[member], iters * aib_net_units_per_iter(s->p.mode, s->msg));
}

static int net_setup(const struct aib_device *dev, const void *params, void **state,
                     struct aib_err *err)
{
    (void)dev;
    const struct net_params *p = params;
    struct net_state *s = calloc(1, sizeof *s);
    int rc;
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->p = *p;
    s->msg = msg_of(p);
    uint64_t x = aib_net_now_ns() ^ (uint64_t)getpid() << 40;
    s->key = x * 0x9E3779B97F4A7C15ULL ^ 0x5851F42D4C957F2DULL;
    s->session = (x ^ s->key) << 8; /* room for the stream index */
    if (p->peer[0]) {
        if ((rc = aib_net_parse_hostport(p->peer, "peer", &s->peer, err)))
            goto fail;
    } else {
        struct net_server_opts o = {.idle_timeout_s = p->timeout * 4 > 10 ? p->timeout * 4 : 10};
        if ((rc = aib_net_parse_bind("127.0.0.1", 0, &o.bind, err)) ||
            (rc = aib_net_server_start(&o, &s->srv, err)))
            goto fail;
        s->peer = *aib_net_server_addr(s->srv);
    }
    s->n = (unsigned)p->streams;
    if (!(s->st = calloc(s->n, sizeof *s->st))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < s->n; i++)
        s->st[i] = (struct net_stream){.s = s, .idx = i, .fd = -1, .ctrl = -1};
    for (unsigned i = 0; i < s->n; i++)
        if ((rc = aib_net_stream_open(&s->st[i], err)))
            goto fail;
    if ((rc = aib_gang_start(&s->gang, s->n, net_gang_fn, s, err)))
        goto fail;
    *state = s;
    return 0;
fail:
    net_free(s);
    return rc;
}

/* What was measured before a failure, for the message: the figures are
 * kept in the error even though the entry fails. */
static void add_measured(struct net_state *s, struct aib_err *err)
{
    uint64_t bytes = 0, units = 0;
    for (unsigned i = 0; i < s->n; i++) {
        bytes += s->st[i].bytes;
        units += s->st[i].seq;
    }
    double secs = (double)(s->t_last_ns - s->t_first_ns) / 1e9;
    char b[32], tail[200];
    if (s->p.mode == M_PINGPONG)
        snprintf(tail, sizeof tail, "; measured before that: %" PRIu64 " round trips in %.2f s",
                 units, secs);
    else
        snprintf(tail, sizeof tail, "; measured before that: %s sent in %.2f s (%.3g Gbit/s)",
                 aib_fmt_bytes((double)bytes, b, sizeof b), secs,
                 secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0.0);
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used, "%s", tail);
}

static int net_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct net_state *s = state;
    if (!s->t_first_ns)
        s->t_first_ns = aib_net_now_ns();
    int rc;
    unsigned m = aib_gang_run(&s->gang, iters, &rc);
    s->t_last_ns = aib_net_now_ns();
    if (m) {
        *err = s->st[m - 1].err;
        if (rc == AIB_EIO)
            add_measured(s, err);
    }
    return rc;
}

static int net_verify(void *state, struct aib_err *err)
{
    struct net_state *s = state;
    for (unsigned i = 0; i < s->n; i++) {
        int rc = aib_net_stream_sync(&s->st[i]);
        if (rc) {
            *err = s->st[i].err;
            if (rc == AIB_EIO)
                add_measured(s, err);
            return rc;
        }
    }
    s->t_checked_prev_ns = s->t_checked_ns;
    s->t_checked_ns = aib_net_now_ns();
    return 0;
}

static void net_work(const void *params, struct aib_work *out)
{
    const struct net_params *p = params;
    size_t msg = msg_of(p);
    double units = (double)aib_net_units_per_iter(p->mode, msg) * (double)p->streams;
    memset(out, 0, sizeof *out);
    if (p->mode == M_PINGPONG)
        out->ops = units;
    else
        out->bytes = units * (double)msg;
}

static void net_teardown(void *state) { net_free(state); }

const struct aib_workload_ops aib_net_cpu = {
    .name = "net",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "network like iperf3/sockperf (TCP streams, ping-pong latency, UDP loss) against "
               "'aibench serve' or loopback; payload checked",
    .params = {"net", net_params_decl, sizeof net_params_decl / sizeof net_params_decl[0],
               sizeof(struct net_params)},
    .validate = net_validate,
    .setup = net_setup,
    .run = net_run,
    .verify = net_verify,
    .work = net_work,
    .metrics = aib_net_metrics,
    .teardown = net_teardown,
};
