/* The two IO engines. Each job owns its fd, buffers, ring and histograms,
 * so jobs share nothing but the abort flag. Per-IO latency is taken here
 * (from just before submission to completion: fio's "lat", slat + clat;
 * for psync, where fio's slat is 0, its clat) because the engine times whole
 * batches only; the batch timing itself stays with the engine. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

uint64_t aib_io_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(struct io_job *j) { return aib_io_splitmix(&j->rng); }

static int is_seq(int pattern) { return pattern == P_SEQREAD || pattern == P_SEQWRITE; }

static int block_busy(const struct io_job *j, uint64_t off, unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        if (j->slots[i].busy && j->slots[i].off == off)
            return 1;
    return 0;
}

/* Picks the next IO: direction and offset. With writes, never a block that
 * is already in flight in this job (the last writer would be undefined and
 * a read could see half of a write). */
static void next_io(struct io_job *j, struct io_slot *sl)
{
    const struct io_params *p = &j->s->p;
    uint64_t bs = (uint64_t)p->bs;
    sl->is_write = p->pattern == P_SEQWRITE || p->pattern == P_RANDWRITE ||
                   (p->pattern == P_RWMIX && rnd(j) % 100 >= (uint64_t)p->rwmixread);
    for (;;) {
        uint64_t b;
        if (is_seq(p->pattern)) {
            b = j->seq_next;
            j->seq_next = (j->seq_next + 1) % j->nblocks;
        } else {
            b = (uint64_t)(((unsigned __int128)rnd(j) * j->nblocks) >> 64);
        }
        sl->off = (j->first_block + b) * bs;
        if (!io_is_write(p->pattern) || p->iodepth == 1 ||
            !block_busy(j, sl->off, (unsigned)p->iodepth))
            break;
    }
    sl->gen = 0;
    if (sl->is_write) {
        sl->gen = ((uint64_t)(j->idx + 1) << 48) | ++j->wcounter;
        aib_io_stamp_write(sl->wbuf, bs, sl->off, j->s->key, sl->gen);
        j->since_sync++;
    }
}

/* Records the job's error and stops the other jobs early. */
static int io_fail(struct io_job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int io_fail(struct io_job *j, int code, const char *fmt, ...)
{
    atomic_store(&j->s->abort, 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err.msg, sizeof j->err.msg, fmt, ap);
    va_end(ap);
    j->err.code = code;
    return code;
}

/* Accounts one finished IO: latency, data check or write log. */
static int complete_io(struct io_job *j, struct io_slot *sl, long res, uint64_t lat_ns)
{
    struct io_state *s = j->s;
    uint64_t bs = (uint64_t)s->p.bs;
    const char *dir = sl->is_write ? "write" : "read";
    if (res < 0)
        return io_fail(j, AIB_EIO, "%s at offset %" PRIu64 " of the data file failed: %s", dir,
                       sl->off, strerror((int)-res));
    if ((uint64_t)res != bs)
        return io_fail(j, AIB_EIO, "short %s at offset %" PRIu64 " of the data file (%ld bytes)",
                       dir, sl->off, res);
    if (sl->is_write) {
        aib_hist_add(j->hist_w, lat_ns);
        j->writes++;
        j->bytes_w += bs;
        j->wlog[j->wlog_pos] = (struct io_wlog){sl->off, sl->gen};
        j->wlog_pos = (j->wlog_pos + 1) % IO_WLOG;
        if (j->wlog_n < IO_WLOG)
            j->wlog_n++;
        return 0;
    }
    aib_hist_add(j->hist_r, lat_ns);
    j->reads++;
    j->bytes_r += bs;
    int full = ++j->checked % io_full_every(bs) == 0;
    j->checked_full += (uint64_t)full;
    char why[256];
    if (aib_io_check_buf(sl->rbuf, bs, sl->off, s->key, io_is_write(s->p.pattern) ? (int)j->idx : -1,
                     bs, full, NULL, why, sizeof why))
        return io_fail(j, AIB_EVERIFY, "wrong data read from %s at offset %" PRIu64 ": %s",
                       s->workdir, sl->off, why);
    return 0;
}

static int do_fsync(struct io_job *j)
{
    uint64_t t0 = aib_io_now_ns();
    if (fsync(j->fd) != 0)
        return io_fail(j, AIB_EIO, "fsync of the data file in %s failed: %s", j->s->workdir,
                       strerror(errno));
    aib_hist_add(j->hist_sync, aib_io_now_ns() - t0);
    j->since_sync = 0;
    return 0;
}

int aib_io_job_run_psync(struct io_job *j, uint64_t ios)
{
    struct io_state *s = j->s;
    struct io_slot *sl = &j->slots[0];
    size_t bs = (size_t)s->p.bs;
    for (uint64_t i = 0; i < ios; i++) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        next_io(j, sl);
        ssize_t n;
        uint64_t t0 = aib_io_now_ns();
        do {
            n = sl->is_write ? pwrite(j->fd, sl->wbuf, bs, (off_t)sl->off)
                             : pread(j->fd, sl->rbuf, bs, (off_t)sl->off);
        } while (n < 0 && errno == EINTR);
        uint64_t lat = aib_io_now_ns() - t0;
        int rc = complete_io(j, sl, n < 0 ? -errno : n, lat);
        if (rc)
            return rc;
        if (s->p.fsync && j->since_sync >= (uint64_t)s->p.fsync && (rc = do_fsync(j)))
            return rc;
    }
    return 0;
}

/* Reaps what has completed; *done counts finished IOs. */
static int reap(struct io_job *j, uint64_t *done)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    uint64_t now = aib_io_now_ns();
    int rc = 0;
    io_uring_for_each_cqe(&j->ring, head, cqe)
    {
        struct io_slot *sl = &j->slots[cqe->user_data];
        n++;
        sl->busy = 0;
        j->inflight--;
        if (rc == 0)
            rc = complete_io(j, sl, cqe->res, now - sl->t0);
    }
    io_uring_cq_advance(&j->ring, n);
    *done += n;
    return rc;
}

/* Stamps the IOs prepared in slots [from, to) with their submission time. */
static void stamp_prepared(struct io_job *j, unsigned from, unsigned to)
{
    uint64_t t0 = aib_io_now_ns();
    for (unsigned i = from; i < to; i++)
        if (j->slots[i].busy == 2) {
            j->slots[i].busy = 1;
            j->slots[i].t0 = t0;
        }
}

static int submit_failed(int ret) { return ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY; }

int aib_io_job_run_uring(struct io_job *j, uint64_t ios)
{
    struct io_state *s = j->s;
    unsigned depth = (unsigned)s->p.iodepth;
    uint64_t done = 0;
    while (done < ios) {
        if (atomic_load_explicit(&s->abort, memory_order_relaxed))
            return 0;
        int sync_due = s->p.fsync && j->since_sync >= (uint64_t)s->p.fsync;
        if (sync_due && j->inflight == 0) {
            int rc = do_fsync(j);
            if (rc)
                return rc;
            continue;
        }
        /* Keep the queue full: one new IO for each free slot, handed to the
         * kernel IO_URING_BATCH at a time (io.h); the rest go with the wait. */
        unsigned fresh = 0, from = 0;
        for (unsigned i = 0; i < depth && !sync_due && j->inflight < depth; i++) {
            struct io_slot *sl = &j->slots[i];
            if (sl->busy)
                continue;
            struct io_uring_sqe *sqe = io_uring_get_sqe(&j->ring);
            if (!sqe)
                break;
            next_io(j, sl);
            if (sl->is_write)
                io_uring_prep_write(sqe, j->fd, sl->wbuf, (unsigned)s->p.bs, sl->off);
            else
                io_uring_prep_read(sqe, j->fd, sl->rbuf, (unsigned)s->p.bs, sl->off);
            io_uring_sqe_set_data64(sqe, i);
            sl->busy = 2; /* prepared, not yet stamped */
            j->inflight++;
            fresh++;
            sync_due = s->p.fsync && j->since_sync >= (uint64_t)s->p.fsync;
            if (fresh % IO_URING_BATCH == 0) {
                stamp_prepared(j, from, i + 1);
                from = i + 1;
                /* Not taken now (EAGAIN, EBUSY, EINTR): they stay in the
                 * ring and go with the next call. */
                int ret = io_uring_submit(&j->ring);
                if (submit_failed(ret))
                    return io_fail(j, AIB_EIO, "io_uring submit in %s failed: %s", s->workdir,
                                   strerror(-ret));
            }
        }
        stamp_prepared(j, from, depth);
        int ret = io_uring_submit_and_wait(&j->ring, 1);
        if (submit_failed(ret))
            return io_fail(j, AIB_EIO, "io_uring submit in %s failed: %s", s->workdir,
                           strerror(-ret));
        int rc = reap(j, &done);
        if (rc)
            return rc;
        if (ret == -EINTR)
            return aib_err_set(&j->err, AIB_EINTR, "interrupted");
    }
    return 0;
}

int aib_io_job_drain(struct io_job *j)
{
    int rc = 0;
    uint64_t done = 0;
    while (j->ring_ok && j->inflight > 0) {
        struct io_uring_cqe *cqe;
        int ret = io_uring_wait_cqe(&j->ring, &cqe);
        if (ret < 0 && ret != -EINTR)
            return aib_err_set(&j->err, AIB_EIO, "io_uring wait failed: %s", strerror(-ret));
        int r = reap(j, &done);
        if (r && !rc)
            rc = r;
    }
    return rc;
}

static int read_back(struct io_job *j, uint64_t off, uint64_t want_gen)
{
    struct io_state *s = j->s;
    size_t bs = (size_t)s->p.bs;
    ssize_t n;
    do
        n = pread(j->fd, j->vbuf, bs, (off_t)off);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)bs)
        return io_fail(j, AIB_EIO, "reading back offset %" PRIu64 " of the data file in %s failed: %s",
                       off, s->workdir, n < 0 ? strerror(errno) : "short read");
    char why[256];
    uint64_t gen = 0;
    if (aib_io_check_buf(j->vbuf, bs, off, s->key, io_is_write(s->p.pattern) ? (int)j->idx : -1, bs, 1,
                     &gen, why, sizeof why))
        return io_fail(j, AIB_EVERIFY, "wrong data in %s at offset %" PRIu64 ": %s", s->workdir,
                       off, why);
    j->read_back++;
    if (gen < want_gen) {
        snprintf(why, sizeof why, "read back generation %#" PRIx64 ", wrote %#" PRIx64, gen,
                 want_gen);
        return io_fail(j, AIB_EVERIFY, "a completed write is missing in %s at offset %" PRIu64
                       ": %s", s->workdir, off, why);
    }
    return 0;
}

int aib_io_job_verify(struct io_job *j)
{
    int rc = aib_io_job_drain(j);
    if (rc)
        return rc;
    if (j->err.code)
        return j->err.code;
    for (unsigned i = 0; i < j->wlog_n; i++)
        if ((rc = read_back(j, j->wlog[i].off, j->wlog[i].gen)))
            return rc;
    /* A few random blocks of the slice, byte by byte. */
    uint64_t bs = (uint64_t)j->s->p.bs;
    for (int i = 0; i < 4; i++) {
        uint64_t b = j->first_block + rnd(j) % j->nblocks;
        if ((rc = read_back(j, b * bs, 0)))
            return rc;
    }
    return 0;
}
