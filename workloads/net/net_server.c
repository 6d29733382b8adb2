/* The aibench server: an acceptor thread, one thread per connection
 * (bounded), and one UDP thread that counts datagrams per session. Used by
 * `aibench serve` and, on loopback, by `run net` without a peer. Every
 * blocking call has a timeout or is woken by stop(); no signal handling
 * here (threads block SIGINT/SIGTERM; the caller decides). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/fmt.h"
#include "net.h"

#define MAX_CONNS 256
#define MAX_UDP 128
#define UDP_BATCH 32

struct conn {
    struct net_server *srv;
    int fd, used, done;
    pthread_t tid;
    struct net_addr from;
};

struct udp_sess {
    int used;
    uint64_t session, next_seq, frames, bytes, bad, ooo, last_ns;
    uint32_t msg, stream;
    uint8_t *ref; /* expected payload */
};

struct net_server {
    struct net_server_opts o;
    struct net_addr addr;
    int lfd, ufd, wake[2];
    pthread_t acceptor, udp;
    int acc_ok, udp_ok, mu_ok;
    pthread_mutex_t mu;
    struct conn conns[MAX_CONNS];
    struct udp_sess sess[MAX_UDP];
    atomic_uint_fast64_t sessions;
};

uint64_t aib_net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const struct net_addr *aib_net_server_addr(const struct net_server *s) { return &s->addr; }
uint64_t aib_net_server_sessions(const struct net_server *s) { return atomic_load(&s->sessions); }

static void sess_log(struct conn *c, const char *what, uint64_t bytes, const char *end)
{
    FILE *f = c->srv->o.log;
    if (!f)
        return;
    char b[32];
    flockfile(f);
    fprintf(f, "aibench serve: %s: %s, %s: %s\n", c->from.text, what,
            aib_fmt_bytes((double)bytes, b, sizeof b), end);
    fflush(f);
    funlockfile(f);
}

/* tcp: receive frames, check order and (sampled) payload, answer SYNCs. */
static void serve_tcp(struct conn *c, const struct net_hello *h, uint8_t *buf, uint8_t *ref)
{
    double t = c->srv->o.idle_timeout_s;
    struct net_ack a = {0};
    uint64_t tag = h->session ^ h->stream;
    struct aib_err e = {0};
    for (;;) {
        if (aib_net_recv_all(c->fd, buf, h->msg, t, &e))
            break;
        uint32_t type = aib_net_get32(buf + 4);
        uint64_t seq = aib_net_get64(buf + 8);
        if (aib_net_get32(buf) != NET_MAGIC || aib_net_get64(buf + 16) != tag) {
            a.bad++;
            continue;
        }
        if (type == NF_SYNC) {
            uint8_t out[NET_ACK_LEN];
            aib_net_ack_encode(&a, out);
            if (aib_net_send_all(c->fd, out, sizeof out, t, &e))
                break;
            continue;
        }
        if (type != NF_DATA) {
            a.bad++;
            continue;
        }
        a.ooo += seq != a.frames;
        a.frames++;
        a.bytes += h->msg;
        if (seq % NET_CHECK_EVERY == 0 &&
            memcmp(buf + NET_HDR_LEN, ref, h->msg - NET_HDR_LEN) != 0)
            a.bad++;
    }
    char what[96];
    snprintf(what, sizeof what, "tcp stream %u, msg %u", h->stream, h->msg);
    sess_log(c, what, a.bytes, a.bad || a.ooo ? "received WITH ERRORS" : "received, in order, checked");
}

static void serve_pingpong(struct conn *c, const struct net_hello *h, uint8_t *buf)
{
    double t = c->srv->o.idle_timeout_s;
    struct aib_err e = {0};
    uint64_t n = 0;
    while (aib_net_recv_all(c->fd, buf, h->msg, t, &e) == 0 &&
           aib_net_send_all(c->fd, buf, h->msg, t, &e) == 0)
        n++;
    char what[96];
    snprintf(what, sizeof what, "pingpong stream %u, msg %u, %llu round trips", h->stream, h->msg,
             (unsigned long long)n);
    sess_log(c, what, n * h->msg * 2, "echoed");
}

/* udp: the control connection registers the session and answers SYNCs
 * once the datagrams in flight have been counted. */
static void serve_udp(struct conn *c, const struct net_hello *h, uint8_t *ref)
{
    struct net_server *s = c->srv;
    double t = s->o.idle_timeout_s;
    int slot = -1;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < MAX_UDP && slot < 0; i++)
        if (!s->sess[i].used) {
            slot = i;
            s->sess[i] = (struct udp_sess){.used = 1, .session = h->session, .msg = h->msg,
                                           .stream = h->stream, .ref = ref,
                                           .last_ns = aib_net_now_ns()};
        }
    pthread_mutex_unlock(&s->mu);
    if (slot < 0)
        return;
    struct udp_sess *u = &s->sess[slot];
    struct aib_err e = {0};
    uint8_t frame[NET_HDR_LEN];
    struct net_ack a = {0};
    while (aib_net_recv_all(c->fd, frame, sizeof frame, t, &e) == 0 && aib_net_get32(frame) == NET_MAGIC &&
           aib_net_get32(frame + 4) == NF_SYNC) {
        /* Settle: no datagram for 30 ms and none queued (bounded to 2 s). */
        for (int i = 0; i < 400; i++) {
            int queued = 0;
            ioctl(s->ufd, FIONREAD, &queued);
            pthread_mutex_lock(&s->mu);
            int idle = aib_net_now_ns() - u->last_ns > 30000000u;
            a = (struct net_ack){u->frames, u->bytes, u->bad, u->ooo};
            pthread_mutex_unlock(&s->mu);
            if (idle && queued == 0)
                break;
            nanosleep(&(struct timespec){0, 5000000}, NULL);
        }
        uint8_t out[NET_ACK_LEN];
        aib_net_ack_encode(&a, out);
        if (aib_net_send_all(c->fd, out, sizeof out, t, &e))
            break;
    }
    pthread_mutex_lock(&s->mu);
    a = (struct net_ack){u->frames, u->bytes, u->bad, u->ooo};
    u->used = 0;
    pthread_mutex_unlock(&s->mu);
    char what[96];
    snprintf(what, sizeof what, "udp stream %u, msg %u, %llu datagrams", h->stream, h->msg,
             (unsigned long long)a.frames);
    sess_log(c, what, a.bytes, a.bad ? "received WITH ERRORS" : "received, checked");
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct net_server *s = c->srv;
    uint8_t hello[NET_HELLO_LEN], reply[NET_REPLY_LEN] = {0};
    uint8_t *buf = NULL, *ref = NULL;
    struct aib_err e = {0};
    struct net_hello h;
    aib_net_set_timeouts(c->fd, s->o.idle_timeout_s);
    if (aib_net_recv_all(c->fd, hello, sizeof hello, s->o.idle_timeout_s, &e))
        goto done;
    int d = aib_net_hello_decode(hello, &h);
    if (d == -1)
        goto done; /* not aibench: say nothing */
    aib_net_put32(reply, NET_MAGIC);
    reply[4] = NET_VERSION & 0xff;
    reply[5] = NET_VERSION >> 8;
    size_t plen = d == 0 && h.msg > NET_HDR_LEN ? h.msg - NET_HDR_LEN : 1;
    buf = malloc(d == 0 && h.msg ? h.msg : 1);
    ref = malloc(plen);
    reply[6] = d == 0 && buf && ref ? 0 : 1;
    if (aib_net_send_all(c->fd, reply, sizeof reply, s->o.idle_timeout_s, &e) || reply[6])
        goto done;
    atomic_fetch_add(&s->sessions, 1);
    if (h.kind == NK_TCP || h.kind == NK_UDP)
        aib_net_fill_payload(ref, plen, h.key, h.stream);
    if (h.kind == NK_TCP)
        serve_tcp(c, &h, buf, ref);
    else if (h.kind == NK_PINGPONG) {
        int one = 1; /* the echo must not wait for Nagle */
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        serve_pingpong(c, &h, buf);
    }
    else if (h.kind == NK_UDP)
        serve_udp(c, &h, ref);
done:
    free(buf);
    free(ref);
    pthread_mutex_lock(&s->mu);
    c->done = 1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Joins finished connection threads; called with the mutex held. */
static void reap_conns(struct net_server *s, int all)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        if (!c->used || (!c->done && !all))
            continue;
        if (all && !c->done)
            shutdown(c->fd, SHUT_RDWR); /* wakes a thread blocked in recv */
        pthread_mutex_unlock(&s->mu);
        pthread_join(c->tid, NULL);
        pthread_mutex_lock(&s->mu);
        close(c->fd);
        c->used = 0;
    }
}

static void *acceptor_main(void *arg)
{
    struct net_server *s = arg;
    for (;;) {
        struct pollfd pf[2] = {{.fd = s->lfd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
        if (poll(pf, 2, 1000) < 0 && errno != EINTR)
            break;
        if (pf[1].revents)
            break;
        pthread_mutex_lock(&s->mu);
        reap_conns(s, 0);
        pthread_mutex_unlock(&s->mu);
        if (!(pf[0].revents & POLLIN))
            continue;
        struct net_addr from = {0};
        from.len = sizeof from.sa;
        int fd = accept4(s->lfd, (struct sockaddr *)&from.sa, &from.len, SOCK_CLOEXEC);
        if (fd < 0) {
            /* e.g. out of descriptors: do not spin on a ready listener */
            nanosleep(&(struct timespec){0, 10000000}, NULL);
            continue;
        }
        aib_net_addr_format(&from);
        pthread_mutex_lock(&s->mu);
        struct conn *c = NULL;
        for (int i = 0; i < MAX_CONNS && !c; i++)
            if (!s->conns[i].used)
                c = &s->conns[i];
        if (c) {
            *c = (struct conn){.srv = s, .fd = fd, .used = 1, .from = from};
            if (pthread_create(&c->tid, NULL, conn_main, c) != 0)
                c->used = 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (!c || !c->used)
            close(fd); /* too many clients: the client sees the connection close */
    }
    return NULL;
}

static void udp_count(struct net_server *s, const uint8_t *d, size_t len)
{
    if (len < NET_HDR_LEN || aib_net_get32(d) != NET_MAGIC || aib_net_get32(d + 4) != NF_UDP)
        return;
    uint64_t session = aib_net_get64(d + 8), seq = aib_net_get64(d + 16);
    for (int i = 0; i < MAX_UDP; i++) {
        struct udp_sess *u = &s->sess[i];
        if (!u->used || u->session != session)
            continue;
        u->last_ns = aib_net_now_ns();
        u->frames++;
        u->bytes += len;
        if (len != u->msg || aib_net_get32(d + 24) != u->stream)
            u->bad++;
        else if (seq % NET_CHECK_EVERY == 0 && memcmp(d + NET_HDR_LEN, u->ref, len - NET_HDR_LEN))
            u->bad++;
        if (seq < u->next_seq)
            u->ooo++;
        else
            u->next_seq = seq + 1;
        return;
    }
}

static void *udp_main(void *arg)
{
    struct net_server *s = arg;
    uint8_t *bufs = malloc((size_t)UDP_BATCH * 65536);
    if (!bufs)
        return NULL;
    struct mmsghdr mm[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    for (;;) {
        struct pollfd pf[2] = {{.fd = s->ufd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
        if (poll(pf, 2, 1000) < 0 && errno != EINTR)
            break;
        if (pf[1].revents)
            break;
        if (!(pf[0].revents & POLLIN))
            continue;
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < UDP_BATCH; i++) {
            iov[i] = (struct iovec){bufs + (size_t)i * 65536, 65536};
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(s->ufd, mm, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            continue;
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < n; i++)
            udp_count(s, iov[i].iov_base, mm[i].msg_len);
        pthread_mutex_unlock(&s->mu);
    }
    free(bufs);
    return NULL;
}

static int bind_one(struct net_server *s, int type, int *out, struct aib_err *err)
{
    const char *proto = type == SOCK_STREAM ? "TCP" : "UDP";
    int fd = socket(s->addr.sa.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return aib_err_set(err, AIB_EIO, "cannot create a %s socket: %s", proto, strerror(errno));
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&s->addr.sa, s->addr.len) != 0 ||
        (type == SOCK_STREAM && listen(fd, 128) != 0)) {
        int e = errno;
        close(fd);
        return aib_err_set(err, AIB_EUSAGE, "cannot listen on %s (%s): %s", s->addr.text, proto,
                           e == EADDRINUSE      ? "address already in use"
                           : e == EADDRNOTAVAIL ? "no such address on this machine"
                           : e == EACCES        ? "permission denied (ports below 1024 need root)"
                                                : strerror(e));
    }
    if (type == SOCK_STREAM) {
        /* Port 0 asked for any free port: the UDP socket takes the same. */
        s->addr.len = sizeof s->addr.sa;
        getsockname(fd, (struct sockaddr *)&s->addr.sa, &s->addr.len);
        aib_net_addr_format(&s->addr);
    } else {
        int sz = 8 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    }
    *out = fd;
    return 0;
}

int aib_net_server_start(const struct net_server_opts *o, struct net_server **out,
                     struct aib_err *err)
{
    struct net_server *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->o = *o;
    s->addr = o->bind;
    s->lfd = s->ufd = s->wake[0] = s->wake[1] = -1;
    int rc;
    if ((rc = bind_one(s, SOCK_STREAM, &s->lfd, err)) || (rc = bind_one(s, SOCK_DGRAM, &s->ufd, err)))
        goto fail;
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = aib_err_set(err, AIB_EIO, "cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->mu_ok = 1;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    s->acc_ok = pthread_create(&s->acceptor, NULL, acceptor_main, s) == 0;
    s->udp_ok = pthread_create(&s->udp, NULL, udp_main, s) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!s->acc_ok || !s->udp_ok) {
        rc = aib_err_set(err, AIB_ERUN, "cannot start the server threads");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    aib_net_server_stop(s);
    return rc;
}

void aib_net_server_stop(struct net_server *s)
{
    if (!s)
        return;
    if (s->wake[1] >= 0)
        (void)!write(s->wake[1], "x", 1);
    if (s->acc_ok)
        pthread_join(s->acceptor, NULL);
    if (s->udp_ok)
        pthread_join(s->udp, NULL);
    if (s->mu_ok) {
        pthread_mutex_lock(&s->mu);
        reap_conns(s, 1);
        pthread_mutex_unlock(&s->mu);
        pthread_mutex_destroy(&s->mu);
    }
    int fds[] = {s->lfd, s->ufd, s->wake[0], s->wake[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(s);
}
