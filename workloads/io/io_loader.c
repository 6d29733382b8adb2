/* The data-loader pattern: what a training input pipeline does. `files`
 * small files (sizes from file_min to file_max, multiples of 4 KiB) are
 * created once; then `jobs` threads each take the next file of a shuffled
 * epoch (a fresh pseudo-random permutation per epoch, shared by all
 * threads through one ticket counter), open it, read it whole, close it.
 * Every file's size and contents are checked as reads are (io.h): headers
 * everywhere, every byte of one file in 64. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"


static void file_name(uint64_t i, char *buf, size_t len) { snprintf(buf, len, "f%07" PRIu64, i); }

/* A balanced Feistel network over [0, 4^half) is a bijection; walking the
 * cycle until the value falls below n gives a permutation of [0, n). */
uint64_t aib_io_loader_shuffle(uint64_t key, uint64_t epoch, unsigned bits, uint64_t n, uint64_t x)
{
    unsigned half = bits / 2;
    uint64_t mask = (UINT64_C(1) << half) - 1;
    do {
        uint64_t l = x >> half, r = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t f = key ^ epoch * 0x9E3779B97F4A7C15ULL ^ round * 0xC2B2AE3D27D4EB4FULL ^ r;
            uint64_t nl = r;
            r = l ^ (aib_io_splitmix(&f) & mask);
            l = nl;
        }
        x = l << half | r;
    } while (x >= n);
    return x;
}

unsigned aib_io_loader_bits(uint64_t n)
{
    unsigned bits = 2;
    while ((UINT64_C(1) << bits) < n)
        bits += 2;
    return bits;
}

int aib_io_loader_create(struct io_state *s, uint8_t *scratch, size_t scratch_len, struct aib_err *err)
{
    const struct io_params *p = &s->p;
    s->perm_bits = aib_io_loader_bits((uint64_t)p->files);
    for (uint64_t i = 0; i < (uint64_t)p->files; i++) {
        char name[32];
        file_name(i, name, sizeof name);
        int rc = aib_io_create_file(s->dirfd, name, aib_io_loader_file_size(p, i), (i + 1) << 40, s->key,
                                scratch, scratch_len, err);
        if (rc)
            return aib_err_prefix(err, "creating the loader files in %s", s->workdir);
        s->created = i + 1;
    }
    /* Writeback was started as each file was closed. One syncfs commits
     * all of them (20000 fsyncs would take minutes; it also flushes other
     * programs' writes, once, outside the timed part); then each file is
     * dropped from the page cache, so the first epoch reads storage. */
    syncfs(s->dirfd);
    for (uint64_t i = 0; i < (uint64_t)p->files; i++) {
        char name[32];
        file_name(i, name, sizeof name);
        aib_io_drop_cache(s->dirfd, name);
    }
    return 0;
}

void aib_io_loader_remove(struct io_state *s)
{
    for (uint64_t i = 0; i < s->created; i++) {
        char name[32];
        file_name(i, name, sizeof name);
        unlinkat(s->dirfd, name, 0);
    }
    s->created = 0;
}

static int loader_fail(struct io_job *j, int code, const char *what, const char *name,
                       const char *why)
{
    atomic_store(&j->s->abort, 1);
    return aib_err_set(&j->err, code, "%s %s/%s: %s", what, j->s->workdir, name, why);
}

int aib_io_loader_run(struct io_job *j, uint64_t nfiles)
{
    struct io_state *s = j->s;
    const struct io_params *p = &s->p;
    uint8_t *buf = j->slots[0].rbuf;
    size_t cap = (size_t)p->file_max + 4096; /* one block more: a longer file shows */
    int flags = O_RDONLY | O_CLOEXEC | (p->direct ? O_DIRECT : 0);
    for (uint64_t k = 0; k < nfiles; k++) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        uint64_t t = atomic_fetch_add(&s->ticket, 1);
        uint64_t n = (uint64_t)p->files;
        uint64_t idx = aib_io_loader_shuffle(s->key, t / n, (unsigned)s->perm_bits, n, t % n);
        char name[32];
        file_name(idx, name, sizeof name);
        uint64_t want = aib_io_loader_file_size(p, idx);
        uint64_t t0 = aib_io_now_ns();
        int fd = openat(s->dirfd, name, flags);
        if (fd < 0)
            return loader_fail(j, AIB_EIO, "cannot open", name, strerror(errno));
        size_t got = 0;
        for (;;) {
            ssize_t r = read(fd, buf + got, cap - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                int e = errno;
                close(fd);
                return loader_fail(j, AIB_EIO, "cannot read", name, strerror(e));
            }
            if (r == 0 || (got += (size_t)r) == cap)
                break;
        }
        close(fd);
        uint64_t lat = aib_io_now_ns() - t0;
        char why[256];
        if (got != want) {
            snprintf(why, sizeof why, "read %zu bytes, the file was written with %" PRIu64, got,
                     want);
            return loader_fail(j, AIB_EVERIFY, "wrong size of", name, why);
        }
        int full = ++j->checked % io_full_every((uint64_t)p->file_max) == 0;
        j->checked_full += (uint64_t)full;
        if (aib_io_check_buf(buf, got, (idx + 1) << 40, s->key, -1, 4096, full, NULL, why, sizeof why))
            return loader_fail(j, AIB_EVERIFY, "wrong data in", name, why);
        aib_hist_add(j->hist_r, lat);
        j->reads++;
        j->bytes_r += got;
    }
    return 0;
}
