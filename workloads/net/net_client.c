/* The client side of each mode, one stream per gang member. A stream's
 * counters are written only by its own thread; run() reads them after the
 * gang is idle. Round-trip times are taken here (per message), the batch
 * timing stays with the engine. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

size_t aib_net_default_msg(int mode)
{
    return mode == M_TCP ? 128 * 1024 : mode == M_PINGPONG ? 64 : 1472;
}

uint64_t aib_net_units_per_iter(int mode, size_t msg)
{
    size_t per = mode == M_TCP ? 4u << 20 : mode == M_UDP ? 256u << 10 : 0;
    return per > msg ? per / msg : 1;
}

int aib_net_stream_fail(struct net_stream *st, int code, const char *fmt, ...)
{
    atomic_store(&st->s->abort, 1);
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (code == AIB_EINTR)
        return aib_err_set(&st->err, code, "interrupted");
    return aib_err_set(&st->err, code, "peer %s %s (stream %u)", st->s->peer.text, why, st->idx);
}

static uint64_t stream_id(const struct net_stream *st) { return st->s->session + st->idx; }

int aib_net_stream_open(struct net_stream *st, struct aib_err *err)
{
    struct net_state *s = st->s;
    const struct net_params *p = &s->p;
    size_t msg = s->msg;
    double t = p->timeout;
    int fd = -1, rc;
    struct net_hello h = {.kind = p->mode == M_TCP ? NK_TCP : p->mode == M_PINGPONG ? NK_PINGPONG : NK_UDP,
                          .msg = (uint32_t)msg, .stream = st->idx, .session = stream_id(st),
                          .key = s->key};
    /* The udp control connection waits for the server to count what is in
     * flight (up to 2 s) before it answers. */
    if ((rc = aib_net_connect(&s->peer, SOCK_STREAM, p->mode == M_UDP ? t + 3 : t, &fd, err)))
        return rc;
    if (p->mode == M_PINGPONG) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if ((rc = aib_net_handshake(fd, &h, s->peer.text, t, err))) {
        close(fd);
        return rc;
    }
    if (p->mode == M_UDP) {
        st->ctrl = fd;
        if ((rc = aib_net_connect(&s->peer, SOCK_DGRAM, t, &st->fd, err)))
            return rc;
        int sz = 4 << 20;
        setsockopt(st->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        if (p->rate > 0)
            st->gap_ns = (uint64_t)((double)msg * 8.0 / (p->rate * 1e9 / (double)s->n) * 1e9);
    } else {
        st->fd = fd;
    }
    st->buf = malloc(msg);
    st->rbuf = malloc(msg);
    st->rtt = malloc(sizeof *st->rtt);
    if (!st->buf || !st->rbuf || !st->rtt)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    aib_hist_reset(st->rtt);
    if (p->mode == M_PINGPONG) {
        aib_net_fill_payload(st->buf, msg, s->key, st->idx);
        return 0;
    }
    memset(st->buf, 0, NET_HDR_LEN);
    aib_net_put32(st->buf, NET_MAGIC);
    if (p->mode == M_TCP) {
        aib_net_put32(st->buf + 4, NF_DATA);
        aib_net_put64(st->buf + 16, stream_id(st) ^ st->idx);
    } else {
        aib_net_put32(st->buf + 4, NF_UDP);
        aib_net_put64(st->buf + 8, stream_id(st));
        aib_net_put32(st->buf + 24, st->idx);
    }
    aib_net_fill_payload(st->buf + NET_HDR_LEN, msg - NET_HDR_LEN, s->key, st->idx);
    return 0;
}

static int run_tcp(struct net_stream *st, uint64_t units)
{
    struct net_state *s = st->s;
    for (uint64_t k = 0; k < units; k++) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        aib_net_put64(st->buf + 8, st->seq);
        struct aib_err e = {0};
        if (aib_net_send_all(st->fd, st->buf, s->msg, s->p.timeout, &e))
            return aib_net_stream_fail(st, e.code, "%s", e.msg);
        st->seq++;
        st->bytes += s->msg;
    }
    return 0;
}

static int run_pingpong(struct net_stream *st, uint64_t units)
{
    struct net_state *s = st->s;
    for (uint64_t k = 0; k < units; k++) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        if (s->msg >= 8)
            aib_net_put64(st->buf, st->seq);
        struct aib_err e = {0};
        uint64_t t0 = aib_net_now_ns();
        if (aib_net_send_all(st->fd, st->buf, s->msg, s->p.timeout, &e) ||
            aib_net_recv_all(st->fd, st->rbuf, s->msg, s->p.timeout, &e))
            return aib_net_stream_fail(st, e.code, "%s", e.msg);
        aib_hist_add(st->rtt, aib_net_now_ns() - t0);
        if (memcmp(st->rbuf, st->buf, s->msg) != 0)
            return aib_net_stream_fail(st, AIB_EVERIFY, "echoed round trip %llu with different bytes",
                                   (unsigned long long)st->seq);
        st->seq++;
        st->bytes += s->msg;
    }
    return 0;
}

static int run_udp(struct net_stream *st, uint64_t units)
{
    struct net_state *s = st->s;
    for (uint64_t k = 0; k < units; k++) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        if (st->gap_ns) {
            uint64_t now = aib_net_now_ns();
            if (st->next_ns < now - (now > 10000000u ? 10000000u : now))
                st->next_ns = now; /* fell more than 10 ms behind: no burst to catch up */
            if (now < st->next_ns) {
                struct timespec ts = {(time_t)(st->next_ns / 1000000000u),
                                      (long)(st->next_ns % 1000000000u)};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
            }
            st->next_ns += st->gap_ns;
        }
        aib_net_put64(st->buf + 16, st->seq);
        ssize_t n;
        do
            n = send(st->fd, st->buf, s->msg, 0);
        while (n < 0 && errno == ENOBUFS);
        if (n != (ssize_t)s->msg) {
            int e = errno;
            if (n >= 0)
                return aib_net_stream_fail(st, AIB_EIO, "accepted a short datagram");
            if (e == EINTR)
                return aib_net_stream_fail(st, AIB_EINTR, "interrupted");
            return aib_net_stream_fail(st, AIB_EIO, "%s",
                                   e == ECONNREFUSED ? "refused the datagrams (UDP port "
                                                       "unreachable: is the server gone?)"
                                   : e == EAGAIN ? "stopped taking datagrams (send timed out)"
                                                 : strerror(e));
        }
        st->seq++;
        st->bytes += s->msg;
    }
    return 0;
}

int aib_net_stream_run(struct net_stream *st, uint64_t units)
{
    switch (st->s->p.mode) {
    case M_TCP: return run_tcp(st, units);
    case M_PINGPONG: return run_pingpong(st, units);
    default: return run_udp(st, units);
    }
}

int aib_net_stream_sync(struct net_stream *st)
{
    struct net_state *s = st->s;
    if (st->err.code)
        return st->err.code;
    if (s->p.mode == M_PINGPONG)
        return 0; /* every echo was compared as it came back */
    struct aib_err e = {0};
    uint8_t ackb[NET_ACK_LEN];
    int rc;
    if (s->p.mode == M_TCP) {
        aib_net_put32(st->buf + 4, NF_SYNC);
        rc = aib_net_send_all(st->fd, st->buf, s->msg, s->p.timeout, &e);
        aib_net_put32(st->buf + 4, NF_DATA);
        if (rc == 0)
            rc = aib_net_recv_all(st->fd, ackb, sizeof ackb, s->p.timeout, &e);
    } else {
        uint8_t frame[NET_HDR_LEN] = {0};
        aib_net_put32(frame, NET_MAGIC);
        aib_net_put32(frame + 4, NF_SYNC);
        rc = aib_net_send_all(st->ctrl, frame, sizeof frame, s->p.timeout, &e);
        if (rc == 0)
            rc = aib_net_recv_all(st->ctrl, ackb, sizeof ackb, s->p.timeout + 3, &e);
    }
    if (rc)
        return aib_net_stream_fail(st, e.code, "%s while asking what it received", e.msg);
    struct net_ack a;
    if (aib_net_ack_decode(ackb, &a))
        return aib_net_stream_fail(st, AIB_EVERIFY, "answered the sync with a malformed frame");
    if (s->p.mode == M_TCP && (a.frames != st->seq || a.bad || a.ooo))
        return aib_net_stream_fail(st, AIB_EVERIFY,
                               "received %llu of the %llu frames sent (%llu out of order, %llu "
                               "corrupt)",
                               (unsigned long long)a.frames, (unsigned long long)st->seq,
                               (unsigned long long)a.ooo, (unsigned long long)a.bad);
    if (s->p.mode == M_UDP && (a.bad || a.frames > st->seq))
        return aib_net_stream_fail(st, AIB_EVERIFY,
                               "counted %llu datagrams (%llu corrupt) of the %llu sent",
                               (unsigned long long)a.frames, (unsigned long long)a.bad,
                               (unsigned long long)st->seq);
    st->prev = st->last;
    st->sent_at_prev = st->sent_at_sync;
    st->last = a;
    st->sent_at_sync = st->seq;
    st->syncs++;
    return 0;
}
