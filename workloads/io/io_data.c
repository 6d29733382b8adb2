/* The self-checking data layout (see io.h): written once at prefill with
 * pseudo-random payloads, stamped cheaply on each timed write (headers only,
 * payloads were laid out once per buffer), checked per unit on each read. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "io.h"

#define WORDS (IO_UNIT / 8)
#define POOL_SALT 0x5BD1E9955BD1E995ULL

uint64_t aib_io_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The payload words 2..WORDS-1 of a unit, from one seed (xorshift64*). */
static void payload(uint64_t *w, uint64_t seed)
{
    uint64_t s = aib_io_splitmix(&seed) | 1;
    for (unsigned i = 2; i < WORDS; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        w[i] = s * 0x2545F4914F6CDD1DULL;
    }
}

static uint64_t prefill_seed(uint64_t key, uint64_t addr) { return key ^ (addr * 0xD6E8FEB86659FD93ULL); }

static uint64_t pool_seed(uint64_t key, unsigned job, uint64_t k)
{
    return key ^ POOL_SALT ^ ((((uint64_t)job + 1) << 48 | k) * 0xD6E8FEB86659FD93ULL);
}

void aib_io_fill_prefill(uint8_t *buf, size_t len, uint64_t addr, uint64_t key)
{
    for (size_t u = 0; u + IO_UNIT <= len; u += IO_UNIT) {
        uint64_t w[WORDS];
        w[0] = (addr + u) ^ key;
        w[1] = 0;
        payload(w, prefill_seed(key, addr + u));
        memcpy(buf + u, w, sizeof w);
    }
}

void aib_io_init_write_buf(uint8_t *buf, size_t len, uint64_t key, unsigned job)
{
    for (size_t u = 0; u + IO_UNIT <= len; u += IO_UNIT) {
        uint64_t w[WORDS] = {0};
        payload(w, pool_seed(key, job, u / IO_UNIT));
        memcpy(buf + u, w, sizeof w);
    }
}

void aib_io_stamp_write(uint8_t *buf, size_t len, uint64_t addr, uint64_t key, uint64_t gen)
{
    for (size_t u = 0; u + IO_UNIT <= len; u += IO_UNIT) {
        uint64_t h[2] = {(addr + u) ^ key, gen};
        memcpy(buf + u, h, sizeof h);
    }
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* One unit at offset u of buf: 0, or -1 with why. */
static int check_unit(const uint8_t *buf, size_t u, uint64_t addr, uint64_t key, int own_job,
                      size_t bs, int full, char *why, size_t why_len)
{
    uint64_t w[WORDS];
    memcpy(w, buf + u, 16);
    uint64_t a = addr + u, gen = w[1];
    if ((w[0] ^ key) != a) {
        if (all_zero(buf + u, IO_UNIT))
            snprintf(why, why_len, "the 512 bytes at address %" PRIu64 " are all zero", a);
        else
            snprintf(why, why_len,
                     "the 512 bytes at address %" PRIu64 " do not hold the data written there "
                     "(header names address %" PRIu64 ")",
                     a, w[0] ^ key);
        return -1;
    }
    int job = gen ? (int)(gen >> 48) - 1 : -1;
    if (gen && (own_job < 0 || job != own_job)) {
        snprintf(why, why_len,
                 "the 512 bytes at address %" PRIu64 " carry write generation %#" PRIx64
                 " that no write of this job made",
                 a, gen);
        return -1;
    }
    if (!full)
        return 0;
    memcpy(w, buf + u, sizeof w);
    uint64_t want[WORDS];
    payload(want, gen ? pool_seed(key, (unsigned)job, (a % bs) / IO_UNIT) : prefill_seed(key, a));
    if (memcmp(w + 2, want + 2, (WORDS - 2) * 8) != 0) {
        snprintf(why, why_len,
                 "the 512 bytes at address %" PRIu64 " have the right header but wrong contents",
                 a);
        return -1;
    }
    return 0;
}

int aib_io_check_buf(const uint8_t *buf, size_t len, uint64_t addr, uint64_t key, int own_job,
                     size_t bs, int full, uint64_t *gen_out, char *why, size_t why_len)
{
    if (len < IO_UNIT)
        return 0;
    if (gen_out) {
        uint64_t h[2];
        memcpy(h, buf, sizeof h);
        *gen_out = h[1];
    }
    size_t step = !full && len > IO_SPARSE_ABOVE ? IO_SPARSE_STRIDE : IO_UNIT;
    for (size_t u = 0; u + IO_UNIT <= len; u += step)
        if (check_unit(buf, u, addr, key, own_job, bs, full, why, why_len))
            return -1;
    size_t last = len - IO_UNIT;
    if (last % step && check_unit(buf, last, addr, key, own_job, bs, full, why, why_len))
        return -1;
    return 0;
}
