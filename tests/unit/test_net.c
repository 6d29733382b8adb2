/* The net workload and server on real loopback sockets: address parsing,
 * every mode end to end (in-process server and a started server), a port
 * in use, a refused connection, a peer that goes away mid-run, the
 * server's frame checks, and peers that are not aibench or corrupt data. */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../workloads/net/net.h"
#include "fixtures.h"

extern const struct aib_workload_ops aib_net_cpu;

static const struct aib_device cpu = {.id = "cpu", .kind = AIB_DEV_CPU};

/* Parameters from "k=v" strings over the defaults, with a 2 s timeout
 * unless one is given. */
static void params(struct net_params *p, ...)
{
    struct aib_err err = {0};
    assert_int_equal(aib_params_defaults(&aib_net_cpu.params, p, &err), 0);
    assert_int_equal(aib_params_set(&aib_net_cpu.params, p, "timeout", "2", &err), 0);
    va_list ap;
    va_start(ap, p);
    aib_test_params_va(&aib_net_cpu.params, p, ap);
    va_end(ap);
}

static struct net_server *start_server(void)
{
    struct net_server_opts o = {.idle_timeout_s = 5};
    struct aib_err err = {0};
    struct net_server *s = NULL;
    assert_int_equal(aib_net_parse_bind("127.0.0.1", 0, &o.bind, &err), 0);
    if (aib_net_server_start(&o, &s, &err))
        fail_msg("%s", err.msg);
    return s;
}

static void test_parse(void **st)
{
    (void)st;
    struct net_addr a;
    struct aib_err err = {0};
    assert_int_equal(aib_net_parse_hostport("127.0.0.1:5301", "peer", &a, &err), 0);
    assert_string_equal(a.text, "127.0.0.1:5301");
    assert_int_equal(aib_net_parse_hostport("[::1]:80", "peer", &a, &err), 0);
    assert_string_equal(a.text, "[::1]:80");
    const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:0", "127.0.0.1:65536",
                         "::1:80", "[::1", "[::1]80", "127.0.0.1:80x", "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        if (aib_net_parse_hostport(bad[i], "peer", &a, &err) != AIB_EUSAGE || !strstr(err.msg, "malformed"))
            fail_msg("'%s' was accepted or gave: %s", bad[i], err.msg);
    }
}

/* setup, run, verify twice, metrics, teardown, as the engine does. */
static void run_entry(const struct net_params *p, const char *metric)
{
    struct aib_result r = {0};
    aib_test_entry(&aib_net_cpu, &cpu, p, 3, &r);
    const struct aib_metric *m = aib_result_metric(&r, metric);
    if (!m || !m->valid)
        fail_msg("metric %s missing", metric);
    aib_result_free(&r);
}

static void test_loopback_modes(void **st)
{
    (void)st;
    struct net_params p;
    params(&p, "mode=tcp", "streams=2", NULL);
    run_entry(&p, "verified_bytes");
    params(&p, "mode=tcp", "msg=100", NULL); /* frames not a multiple of anything */
    run_entry(&p, "gbit_s");
    params(&p, "mode=pingpong", "streams=2", NULL);
    run_entry(&p, "rtt_p99_us");
    params(&p, "mode=udp", "rate=0.2", NULL);
    run_entry(&p, "loss_pct");
}

static void test_server_peer(void **st)
{
    (void)st;
    struct net_server *srv = start_server();
    struct net_params p;
    char peer[160];
    snprintf(peer, sizeof peer, "peer=%s", aib_net_server_addr(srv)->text);
    params(&p, peer, "mode=tcp", NULL);
    run_entry(&p, "gbit_s");
    params(&p, peer, "mode=pingpong", NULL);
    run_entry(&p, "rtt_p50_us");
    params(&p, peer, "mode=udp", "streams=2", "msg=9000", NULL);
    run_entry(&p, "recv_gbit_s");
    assert_true(aib_net_server_sessions(srv) >= 5);

    /* The same port again: in use. */
    struct net_server_opts o = {.idle_timeout_s = 5};
    struct aib_err err = {0};
    struct net_server *again = NULL;
    o.bind = *aib_net_server_addr(srv);
    assert_int_equal(aib_net_server_start(&o, &again, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "already in use"));
    assert_null(again);

    /* Stopped: the next run is refused before anything starts. */
    aib_net_server_stop(srv);
    params(&p, peer, NULL);
    assert_int_equal(aib_net_cpu.validate(&cpu, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "connection refused"));
}

static void test_peer_goes_away(void **st)
{
    (void)st;
    const char *modes[] = {"mode=tcp", "mode=pingpong"};
    for (size_t i = 0; i < 2; i++) {
        struct net_server *srv = start_server();
        struct net_params p;
        char peer[160];
        snprintf(peer, sizeof peer, "peer=%s", aib_net_server_addr(srv)->text);
        params(&p, peer, modes[i], "timeout=1", NULL);
        struct aib_err err = {0};
        void *s = NULL;
        assert_int_equal(aib_net_cpu.setup(&cpu, &p, &s, &err), 0);
        assert_int_equal(aib_net_cpu.run(s, 2, &err), 0);
        aib_net_server_stop(srv);
        int rc = aib_net_cpu.run(s, 200, &err);
        if (rc == 0)
            rc = aib_net_cpu.verify(s, &err);
        assert_int_equal(rc, AIB_EIO);
        assert_non_null(strstr(err.msg, "peer 127.0.0.1:"));
        assert_non_null(strstr(err.msg, "measured before that"));
        aib_net_cpu.teardown(s);
    }
}

/* The server counts corrupt and out-of-order frames and reports them. */
static void test_server_checks_frames(void **st)
{
    (void)st;
    struct net_server *srv = start_server();
    struct aib_err err = {0};
    int fd;
    assert_int_equal(aib_net_connect(aib_net_server_addr(srv), SOCK_STREAM, 2, &fd, &err), 0);
    struct net_hello h = {.kind = NK_TCP, .msg = 64, .stream = 0, .session = 77, .key = 5};
    assert_int_equal(aib_net_handshake(fd, &h, "test", 2, &err), 0);
    uint8_t f[64] = {0};
    aib_net_put32(f, NET_MAGIC);
    aib_net_put32(f + 4, NF_DATA);
    aib_net_put64(f + 16, 77 ^ 0);
    aib_net_fill_payload(f + NET_HDR_LEN, 64 - NET_HDR_LEN, 5, 0);
    f[40] ^= 1; /* frame 0's payload is checked: corrupt */
    assert_int_equal(aib_net_send_all(fd, f, 64, 2, &err), 0);
    f[40] ^= 1;
    aib_net_put64(f + 8, 2); /* frame 1 never comes: out of order */
    assert_int_equal(aib_net_send_all(fd, f, 64, 2, &err), 0);
    aib_net_put32(f + 4, NF_SYNC);
    assert_int_equal(aib_net_send_all(fd, f, 64, 2, &err), 0);
    uint8_t ackb[NET_ACK_LEN];
    assert_int_equal(aib_net_recv_all(fd, ackb, sizeof ackb, 2, &err), 0);
    struct net_ack a;
    assert_int_equal(aib_net_ack_decode(ackb, &a), 0);
    assert_int_equal(a.frames, 2);
    assert_int_equal(a.bytes, 128);
    assert_int_equal(a.bad, 1);
    assert_int_equal(a.ooo, 1);
    close(fd);
    aib_net_server_stop(srv);
}

struct fake {
    int lfd;
    int mode; /* 0: answer garbage; 1: echo with one byte flipped */
    pthread_t tid;
};

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    struct aib_err err = {0};
    uint8_t buf[64];
    if (f->mode == 0) {
        (void)!write(fd, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
    } else if (aib_net_recv_all(fd, buf, NET_HELLO_LEN, 2, &err) == 0) {
        uint8_t reply[NET_REPLY_LEN] = {0};
        aib_net_put32(reply, NET_MAGIC);
        reply[4] = NET_VERSION;
        aib_net_send_all(fd, reply, sizeof reply, 2, &err);
        while (aib_net_recv_all(fd, buf, 64, 2, &err) == 0) {
            buf[63] ^= 0x10;
            if (aib_net_send_all(fd, buf, 64, 2, &err))
                break;
        }
    }
    close(fd);
    return NULL;
}

static void fake_start(struct fake *f, int mode, int accept_thread, char *peer, size_t len)
{
    f->mode = mode;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(peer, len, "peer=127.0.0.1:%u", ntohs(sa.sin_port));
    if (accept_thread)
        assert_int_equal(pthread_create(&f->tid, NULL, fake_main, f), 0);
}

static void test_foreign_peers(void **st)
{
    (void)st;
    struct fake f;
    char peer[64];
    struct net_params p;
    struct aib_err err = {0};
    /* Something that answers, but not aibench. */
    fake_start(&f, 0, 1, peer, sizeof peer);
    params(&p, peer, NULL);
    assert_int_equal(aib_net_cpu.validate(&cpu, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "not an aibench server"));
    pthread_join(f.tid, NULL);
    close(f.lfd);
    /* Something that accepts (the kernel does) and never answers. */
    fake_start(&f, 0, 0, peer, sizeof peer);
    params(&p, peer, "timeout=0.2", NULL);
    assert_int_equal(aib_net_cpu.validate(&cpu, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "did not complete the aibench hello"));
    close(f.lfd);
    /* An echo that changes a byte: the round trip fails verification. */
    fake_start(&f, 1, 1, peer, sizeof peer);
    params(&p, peer, "mode=pingpong", NULL);
    void *s = NULL;
    assert_int_equal(aib_net_cpu.setup(&cpu, &p, &s, &err), 0);
    assert_int_equal(aib_net_cpu.run(s, 1, &err), AIB_EVERIFY);
    assert_non_null(strstr(err.msg, "different bytes"));
    aib_net_cpu.teardown(s);
    pthread_join(f.tid, NULL);
    close(f.lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_loopback_modes),
        cmocka_unit_test(test_server_peer),
        cmocka_unit_test(test_peer_goes_away),
        cmocka_unit_test(test_server_checks_frames),
        cmocka_unit_test(test_foreign_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
