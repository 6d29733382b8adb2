/* The wire format: explicit little-endian fields at fixed offsets, so two
 * machines agree whatever their compilers do with struct layout. */
#include <stdio.h>
#include <string.h>

#include "net.h"

void aib_net_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void aib_net_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t aib_net_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

uint64_t aib_net_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* hello: magic(4) version(2) kind(2) msg(4) stream(4) session(8) key(8) zero(32) */
void aib_net_hello_encode(const struct net_hello *h, uint8_t out[NET_HELLO_LEN])
{
    memset(out, 0, NET_HELLO_LEN);
    aib_net_put32(out, NET_MAGIC);
    out[4] = NET_VERSION & 0xff;
    out[5] = NET_VERSION >> 8;
    out[6] = (uint8_t)h->kind;
    out[7] = (uint8_t)(h->kind >> 8);
    aib_net_put32(out + 8, h->msg);
    aib_net_put32(out + 12, h->stream);
    aib_net_put64(out + 16, h->session);
    aib_net_put64(out + 24, h->key);
}

/* 0 ok; -1 not our magic; -2 another version; -3 a bad field. */
int aib_net_hello_decode(const uint8_t in[NET_HELLO_LEN], struct net_hello *h)
{
    if (aib_net_get32(in) != NET_MAGIC)
        return -1;
    if ((in[4] | in[5] << 8) != NET_VERSION)
        return -2;
    h->kind = (uint16_t)(in[6] | in[7] << 8);
    h->msg = aib_net_get32(in + 8);
    h->stream = aib_net_get32(in + 12);
    h->session = aib_net_get64(in + 16);
    h->key = aib_net_get64(in + 24);
    if (h->kind < NK_PROBE || h->kind > NK_UDP || h->msg > (64u << 20))
        return -3;
    if (h->kind == NK_TCP && h->msg < NET_HDR_LEN)
        return -3;
    if (h->kind == NK_PINGPONG && h->msg < 8)
        return -3;
    if (h->kind == NK_UDP && (h->msg < NET_HDR_LEN || h->msg > NET_UDP_MAX))
        return -3;
    return 0;
}

/* ack: magic(4) type(4) frames(8) bytes(8) bad(8) ooo(8) zero(8) */
void aib_net_ack_encode(const struct net_ack *a, uint8_t out[NET_ACK_LEN])
{
    memset(out, 0, NET_ACK_LEN);
    aib_net_put32(out, NET_MAGIC);
    aib_net_put32(out + 4, NF_ACK);
    aib_net_put64(out + 8, a->frames);
    aib_net_put64(out + 16, a->bytes);
    aib_net_put64(out + 24, a->bad);
    aib_net_put64(out + 32, a->ooo);
}

int aib_net_ack_decode(const uint8_t in[NET_ACK_LEN], struct net_ack *a)
{
    if (aib_net_get32(in) != NET_MAGIC || aib_net_get32(in + 4) != NF_ACK)
        return -1;
    a->frames = aib_net_get64(in + 8);
    a->bytes = aib_net_get64(in + 16);
    a->bad = aib_net_get64(in + 24);
    a->ooo = aib_net_get64(in + 32);
    return 0;
}

void aib_net_fill_payload(uint8_t *p, size_t len, uint64_t key, uint32_t stream)
{
    uint64_t x = key ^ ((uint64_t)stream + 1) * 0xD6E8FEB86659FD93ULL;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(p + i, &z, n);
    }
}

int aib_net_handshake(int fd, const struct net_hello *h, const char *peer, double timeout_s,
                  struct aib_err *err)
{
    uint8_t hello[NET_HELLO_LEN], reply[NET_REPLY_LEN];
    aib_net_hello_encode(h, hello);
    int rc = aib_net_send_all(fd, hello, sizeof hello, timeout_s, err);
    if (rc == 0)
        rc = aib_net_recv_all(fd, reply, sizeof reply, timeout_s, err);
    if (rc == AIB_EINTR)
        return rc;
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return aib_err_set(err, AIB_EIO,
                           "peer %s did not complete the aibench hello: it %s (is it 'aibench "
                           "serve'?)",
                           peer, why);
    }
    if (aib_net_get32(reply) != NET_MAGIC)
        return aib_err_set(err, AIB_EIO, "peer %s is not an aibench server (wrong answer to the "
                           "hello)", peer);
    unsigned ver = (unsigned)(reply[4] | reply[5] << 8), status = (unsigned)(reply[6] | reply[7] << 8);
    if (ver != NET_VERSION)
        return aib_err_set(err, AIB_EIO, "peer %s speaks aibench protocol %u, this aibench %u",
                           peer, ver, NET_VERSION);
    if (status != 0)
        return aib_err_set(err, AIB_EIO, "peer %s refused the session (%s)", peer,
                           status == 2 ? "too many clients" : "bad request");
    return 0;
}
