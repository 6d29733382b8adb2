/* The net workload and `aibench serve`, shared internals:
 *   net_sock.c      addresses, connect/listen with timeouts, full send/recv
 *                   with one-line errors
 *   net_proto.c     the wire format (little-endian, explicit offsets)
 *   net_server.c    the server (TCP sink, ping-pong echo, UDP counters)
 *   net_client.c    the client side of each mode, per stream
 *   net_workload.c  parameters, validate, setup, run, verify, teardown
 *   aib_net_metrics.c   Gbit/s, round-trip percentiles, loss
 *   cmd_serve.c     the `serve` command
 *
 * Every connection opens with a 64-byte hello (kind, msg size, stream,
 * session, payload key) answered by a 16-byte reply. Then:
 *   tcp       fixed-size frames of msg bytes {magic, type, seq, tag}+payload;
 *             a SYNC frame makes the server answer with what it received and
 *             checked (frames, bytes, bad), so the client knows every byte
 *             it sent arrived intact, in order.
 *   pingpong  msg bytes {seq}+payload each way; the client checks the echo.
 *   udp       datagrams {magic, type, session, seq}+payload; the TCP control
 *             connection's SYNC returns the server's counts (received, bad,
 *             out of order), from which the loss follows. */
#ifndef AIB_NET_H
#define AIB_NET_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "../../bench/err.h"
#include "../../bench/hist.h"
#include "../io/gang.h"
#include "../workload.h"

#define NET_DEFAULT_PORT 5301
#define NET_MAGIC 0x4E424941u /* "AIBN" */
#define NET_VERSION 1
#define NET_HELLO_LEN 64
#define NET_REPLY_LEN 16
#define NET_HDR_LEN 32  /* tcp frame and udp datagram header */
#define NET_ACK_LEN 48
#define NET_UDP_MAX 65507
#define NET_CHECK_EVERY 16 /* payload compared byte by byte in 1 frame of N */

enum net_kind { NK_PROBE = 1, NK_TCP = 2, NK_PINGPONG = 3, NK_UDP = 4 };
enum net_ftype { NF_DATA = 1, NF_SYNC = 2, NF_ACK = 3, NF_UDP = 4 };
enum net_mode { M_TCP, M_PINGPONG, M_UDP };

/* ---- net_sock.c ------------------------------------------------------ */
struct net_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[128]; /* "127.0.0.1:5301", "[::1]:5301" */
};
/* "HOST:PORT" or "[V6]:PORT"; AIB_EUSAGE with one line when malformed or
 * the host does not resolve. what names it in messages ("peer"). */
int aib_net_parse_hostport(const char *s, const char *what, struct net_addr *out, struct aib_err *err);
/* A bind address and port (no port in addr). */
int aib_net_parse_bind(const char *addr, int port, struct net_addr *out, struct aib_err *err);
void aib_net_addr_format(struct net_addr *a);
/* Connects within timeout_s and sets send/receive timeouts on the socket. */
int aib_net_connect(const struct net_addr *a, int type, double timeout_s, int *fd, struct aib_err *err);
void aib_net_set_timeouts(int fd, double timeout_s);
/* Send or receive exactly len bytes; 0, or AIB_EIO with what happened
 * ("closed the connection", "stopped responding: no progress for 5 s"),
 * AIB_EINTR on a signal. */
int aib_net_send_all(int fd, const void *buf, size_t len, double timeout_s, struct aib_err *err);
int aib_net_recv_all(int fd, void *buf, size_t len, double timeout_s, struct aib_err *err);

/* ---- net_proto.c ----------------------------------------------------- */
struct net_hello {
    uint16_t kind;
    uint32_t msg, stream;
    uint64_t session, key;
};
struct net_ack {
    uint64_t frames, bytes, bad, ooo;
};
void aib_net_put32(uint8_t *p, uint32_t v);
void aib_net_put64(uint8_t *p, uint64_t v);
uint32_t aib_net_get32(const uint8_t *p);
uint64_t aib_net_get64(const uint8_t *p);
void aib_net_hello_encode(const struct net_hello *h, uint8_t out[NET_HELLO_LEN]);
int aib_net_hello_decode(const uint8_t in[NET_HELLO_LEN], struct net_hello *h);
void aib_net_ack_encode(const struct net_ack *a, uint8_t out[NET_ACK_LEN]);
int aib_net_ack_decode(const uint8_t in[NET_ACK_LEN], struct net_ack *a);
/* The payload after the header, the same for every frame of a stream. */
void aib_net_fill_payload(uint8_t *p, size_t len, uint64_t key, uint32_t stream);
/* Client side of the hello: send it, check the reply. */
int aib_net_handshake(int fd, const struct net_hello *h, const char *peer, double timeout_s,
                  struct aib_err *err);

/* ---- net_server.c ---------------------------------------------------- */
struct net_server;
struct net_server_opts {
    struct net_addr bind;
    double idle_timeout_s; /* a client silent this long is dropped */
    FILE *log;             /* one line per finished session, or NULL */
};
int aib_net_server_start(const struct net_server_opts *o, struct net_server **out,
                     struct aib_err *err);
/* The address actually bound (port filled in when 0 was asked). */
const struct net_addr *aib_net_server_addr(const struct net_server *s);
uint64_t aib_net_server_sessions(const struct net_server *s);
void aib_net_server_stop(struct net_server *s);

/* ---- client (net_client.c, net_workload.c) ----------------------------- */
struct net_params {
    char peer[AIB_PARAM_STR_MAX];
    int mode;
    int64_t streams, msg;
    double rate, timeout;
};

struct net_state;

struct net_stream {
    struct net_state *s;
    unsigned idx;
    int fd;   /* tcp/pingpong data, or the udp socket */
    int ctrl; /* udp: the TCP control connection */
    uint8_t *buf, *rbuf;
    uint64_t seq, bytes;        /* frames or datagrams or round trips; bytes sent */
    uint64_t next_ns, gap_ns;   /* udp pacing */
    struct aib_hist *rtt;
    struct net_ack last;        /* server's counts at the last sync */
    uint64_t sent_at_sync;      /* our count at the last sync */
    struct net_ack prev;        /* ... and at the one before */
    uint64_t sent_at_prev;
    unsigned syncs;
    struct aib_err err;
};

struct net_state {
    struct net_params p;
    size_t msg;
    struct net_server *srv; /* in-process server when no peer is given */
    struct net_addr peer;
    uint64_t session, key;
    unsigned n;
    struct net_stream *st;
    struct aib_gang gang;
    atomic_int abort;
    uint64_t t_first_ns, t_last_ns;
    /* When the last two verify() calls finished (every stream's check
     * answered): they bracket the timed samples. */
    uint64_t t_checked_ns, t_checked_prev_ns;
};

uint64_t aib_net_now_ns(void);
size_t aib_net_default_msg(int mode);
uint64_t aib_net_units_per_iter(int mode, size_t msg);
int aib_net_stream_open(struct net_stream *st, struct aib_err *err);
int aib_net_stream_run(struct net_stream *st, uint64_t units);
/* Asks the server what it received and checks it against what was sent. */
int aib_net_stream_sync(struct net_stream *st);
/* "peer 1.2.3.4:5301 went away ...: <why>; measured until then: ..." */
int aib_net_stream_fail(struct net_stream *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int aib_net_metrics(void *state, struct aib_result *r, struct aib_err *err);

#endif
