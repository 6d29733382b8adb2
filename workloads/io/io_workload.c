/* The io workload: fio-style storage patterns and a data-loader pattern,
 * with every read checked and a sample of writes read back (io.h has the
 * layout). MB/s, IOPS and latency percentiles go out as metrics. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io.h"

#define OFF(f) offsetof(struct io_params, f)

static const struct aib_param io_params_decl[] = {
    {"pattern", AIB_PT_ENUM, OFF(pattern), "randread", 0, 0,
     "seqread|seqwrite|randread|randwrite|rwmix|loader",
     "access pattern; loader: many small files read whole in shuffled order"},
    {"size", AIB_PT_SIZE, OFF(size), "1G", 1 << 20, 1099511627776.0, NULL,
     "size of the data file (a multiple of bs)"},
    {"bs", AIB_PT_SIZE, OFF(bs), "4k", 512, 64 << 20, NULL, "bytes per IO (a multiple of 512)"},
    {"iodepth", AIB_PT_INT, OFF(iodepth), "1", 1, 1024, NULL,
     "IOs in flight per job (engine=io_uring)"},
    {"jobs", AIB_PT_INT, OFF(jobs), "1", 1, 256, NULL,
     "threads; each has its own slice of the file (loader: reader threads)"},
    {"engine", AIB_PT_ENUM, OFF(engine), "psync", 0, 0, "psync|io_uring",
     "psync: pread/pwrite; io_uring: liburing with iodepth IOs in flight"},
    {"direct", AIB_PT_INT, OFF(direct), "1", 0, 1, NULL,
     "1: O_DIRECT (bypasses the page cache); 0: buffered"},
    {"fsync", AIB_PT_INT, OFF(fsync), "0", 0, 1e9, NULL,
     "fsync after every N writes of a job (0: never)"},
    {"rwmixread", AIB_PT_INT, OFF(rwmixread), "70", 0, 100, NULL, "rwmix: percentage of reads"},
    {"files", AIB_PT_INT, OFF(files), "20000", 1, 10000000, NULL, "loader: number of files"},
    {"file_min", AIB_PT_SIZE, OFF(file_min), "64k", 4096, 1 << 30, NULL,
     "loader: smallest file size (a multiple of 4k)"},
    {"file_max", AIB_PT_SIZE, OFF(file_max), "256k", 4096, 1 << 30, NULL,
     "loader: largest file size (a multiple of 4k)"},
    {"dir", AIB_PT_STR, OFF(dir), "", 0, 0, NULL,
     "where to create a private aibench-io.* directory (default $TMPDIR or /var/tmp); "
     "all of it is removed afterwards"},
};

/* Bytes of one IO buffer: a block, or for the loader a whole file and one
 * block more (io_loader.c reads that much to see a longer file). */
static size_t io_buf_len(const struct io_params *p)
{
    return p->pattern == P_LOADER ? (size_t)p->file_max + 4096 : (size_t)p->bs;
}

/* IOs larger than a page span pages, so their memory goes on huge pages. */
static int wants_huge(size_t io_len) { return io_len > 4096; }

static int io_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct io_params *p = params;
    if (p->engine == E_PSYNC && p->iodepth > 1)
        return aib_err_set(err, AIB_EUSAGE,
                           "iodepth=%" PRId64 " needs engine=io_uring (psync does one IO at a time "
                           "per job; use jobs for parallel IO)",
                           p->iodepth);
    if (p->fsync && !io_is_write(p->pattern))
        return aib_err_set(err, AIB_EUSAGE, "fsync applies to seqwrite, randwrite and rwmix");
    double bufs;
    if (p->pattern == P_LOADER) {
        if (p->engine == E_URING)
            return aib_err_set(err, AIB_EUSAGE,
                               "pattern=loader reads with open/read/close (engine=psync), like a "
                               "training data loader");
        if (p->file_min % 4096 || p->file_max % 4096 || p->file_min > p->file_max)
            return aib_err_set(err, AIB_EUSAGE,
                               "file_min and file_max must be multiples of 4k with file_min <= "
                               "file_max");
        bufs = (double)p->jobs * (double)io_buf_len(p);
    } else {
        if (p->bs % IO_UNIT && !p->direct)
            return aib_err_set(err, AIB_EUSAGE, "bs=%" PRId64 " is not a multiple of 512 bytes",
                               p->bs);
        if (p->bs % IO_UNIT == 0 && p->size % p->bs)
            return aib_err_set(err, AIB_EUSAGE,
                               "size=%" PRId64 " is not a multiple of bs=%" PRId64, p->size,
                               p->bs);
        int64_t per_job = p->size / p->bs / p->jobs;
        if (per_job < 1 || (io_is_write(p->pattern) && per_job <= p->iodepth))
            return aib_err_set(err, AIB_EUSAGE,
                               "size=%" PRId64 " is too small for %" PRId64 " jobs of bs=%" PRId64
                               " with iodepth=%" PRId64,
                               p->size, p->jobs, p->bs, p->iodepth);
        bufs = (double)p->jobs * (double)p->iodepth * (double)p->bs * 2;
    }
    /* each job's buffers are rounded up to a huge page (alloc_io_mem) */
    if (wants_huge(io_buf_len(p)))
        bufs += (double)p->jobs * IO_HUGE;
    if (dev->mem_bytes && bufs > 0.25 * (double)dev->mem_bytes)
        return aib_err_set(err, AIB_EUSAGE,
                           "jobs x iodepth x bs needs %.1f GiB of buffers, more than a quarter of "
                           "memory",
                           bufs / 1073741824.0);
    if (p->engine == E_URING) {
        struct io_uring ring;
        int rc = io_uring_queue_init((unsigned)p->iodepth, &ring, 0);
        if (rc < 0)
            return aib_err_set(err, AIB_EUSAGE, "engine=io_uring is not available here: %s",
                               strerror(-rc));
        io_uring_queue_exit(&ring);
    }
    struct io_dirinfo di;
    int rc = aib_io_check_dir(p, &di, err);
    if (rc == 0 && p->direct && p->pattern != P_LOADER && p->bs % IO_UNIT)
        rc = aib_err_set(err, AIB_EUSAGE, "bs=%" PRId64 " is not a multiple of 512 bytes", p->bs);
    return rc;
}

/* AnonHugePages of this process, in KiB (0 where it cannot be read). */
static long anon_huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* IO memory (see IO_HUGE), mapped here rather than taken from malloc so
 * it can be aligned to a huge page whatever allocator runs (a sanitizer's
 * kept it off huge pages): on huge pages when io_len, the size of one IO,
 * is over a page; touched now, in order, so no page is first faulted in by
 * an IO in the timed part (fio fills its buffers at start-up too). *len
 * becomes the mapped length, for free_io_mem; *huge (unless NULL) says
 * whether the kernel put it on huge pages. */
static uint8_t *alloc_io_mem(size_t *len, size_t io_len, int *huge)
{
    int want_huge = wants_huge(io_len);
    size_t align = want_huge ? IO_HUGE : IO_ALIGN;
    size_t n = (*len + align - 1) / align * align, span = n + (want_huge ? IO_HUGE : 0);
    uint8_t *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uint8_t *b = m + ((align - (uintptr_t)m % align) % align);
    if (b > m)
        munmap(m, (size_t)(b - m));
    if (m + span > b + n)
        munmap(b + n, (size_t)(m + span - (b + n)));
    long before = want_huge && huge ? anon_huge_kb() : 0;
    if (want_huge)
        (void)madvise(b, n, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
    memset(b, 0, n);
    if (huge)
        *huge = want_huge && anon_huge_kb() - before >= (long)(n / 1024);
    *len = n;
    return b;
}

static void free_io_mem(uint8_t *b, size_t len)
{
    if (b)
        munmap(b, len);
}

static void io_free(struct io_state *s)
{
    if (!s)
        return;
    aib_gang_stop(&s->gang);
    for (unsigned i = 0; s->jobs && i < s->njobs; i++) {
        struct io_job *j = &s->jobs[i];
        aib_io_job_drain(j); /* the kernel must be done with the buffers */
        if (j->ring_ok)
            io_uring_queue_exit(&j->ring);
        if (j->fd >= 0)
            close(j->fd);
        free(j->slots);
        free_io_mem(j->arena, j->arena_len);
        free(j->hist_r);
        free(j->hist_w);
        free(j->hist_sync);
    }
    free(s->jobs);
    /* Only what this entry created: the data file or the loader files, then
     * its private directory (rmdir leaves it if anything else appeared). */
    if (s->dirfd >= 0) {
        if (s->data_created)
            unlinkat(s->dirfd, IO_DATA_NAME, 0);
        aib_io_loader_remove(s);
        close(s->dirfd);
    }
    if (s->workdir[0])
        rmdir(s->workdir);
    free(s);
}

static int init_job(struct io_state *s, unsigned i, struct aib_err *err)
{
    const struct io_params *p = &s->p;
    struct io_job *j = &s->jobs[i];
    j->s = s;
    j->idx = i;
    j->fd = -1;
    uint64_t seed = s->key ^ ((uint64_t)i + 1) * 0xA0761D6478BD642FULL;
    j->rng = aib_io_splitmix(&seed);
    j->hist_r = malloc(sizeof *j->hist_r);
    j->hist_w = malloc(sizeof *j->hist_w);
    j->hist_sync = malloc(sizeof *j->hist_sync);
    unsigned depth = (unsigned)p->iodepth;
    j->slots = calloc(depth, sizeof *j->slots);
    if (!j->hist_r || !j->hist_w || !j->hist_sync || !j->slots)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    aib_hist_reset(j->hist_r);
    aib_hist_reset(j->hist_w);
    aib_hist_reset(j->hist_sync);
    size_t len = io_buf_len(p);
    size_t stride = (len + IO_ALIGN - 1) / IO_ALIGN * IO_ALIGN;
    int rd = io_is_read(p->pattern), wr = io_is_write(p->pattern), vb = p->pattern != P_LOADER;
    size_t nbuf = (size_t)depth * (size_t)(rd + wr) + (size_t)vb;
    /* One allocation for all of the job's IO buffers. */
    j->arena_len = nbuf * stride;
    if (!(j->arena = alloc_io_mem(&j->arena_len, len, &j->huge)))
        return aib_err_set(err, AIB_ENOMEM, "out of memory for IO buffers");
    uint8_t *next = j->arena;
    for (unsigned k = 0; k < depth; k++) {
        struct io_slot *sl = &j->slots[k];
        if (rd) {
            sl->rbuf = next;
            next += stride;
        }
        if (wr) {
            sl->wbuf = next;
            next += stride;
            aib_io_init_write_buf(sl->wbuf, len, s->key, i);
        }
    }
    if (!vb)
        return 0;
    j->vbuf = next;
    uint64_t per = (uint64_t)(p->size / p->bs) / s->njobs;
    j->first_block = per * i;
    j->nblocks = per;
    int flags = (io_is_write(p->pattern) ? O_RDWR : O_RDONLY) | O_CLOEXEC |
                (p->direct ? O_DIRECT : 0);
    j->fd = openat(s->dirfd, IO_DATA_NAME, flags);
    if (j->fd < 0)
        return aib_err_set(err, AIB_EIO, "cannot open %s/%s: %s", s->workdir, IO_DATA_NAME,
                           strerror(errno));
    if (p->engine == E_URING) {
        int rc = io_uring_queue_init(depth, &j->ring, 0);
        if (rc < 0)
            return aib_err_set(err, AIB_EIO, "io_uring_queue_init(%u): %s", depth, strerror(-rc));
        j->ring_ok = 1;
    }
    return 0;
}

static int io_gang_fn(void *ctx, unsigned member, uint64_t iters)
{
    struct io_state *s = ctx;
    struct io_job *j = &s->jobs[member];
    if (s->p.pattern == P_LOADER)
        return aib_io_loader_run(j, iters * LOADER_FILES_PER_ITER);
    uint64_t ios = iters * io_ios_per_iter(s->p.bs);
    return s->p.engine == E_URING ? aib_io_job_run_uring(j, ios) : aib_io_job_run_psync(j, ios);
}

static int io_setup(const struct aib_device *dev, const void *params, void **state,
                    struct aib_err *err)
{
    (void)dev;
    const struct io_params *p = params;
    struct io_state *s = calloc(1, sizeof *s);
    uint8_t *scratch = NULL;
    int rc;
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->p = *p;
    s->dirfd = -1;
    uint64_t seed = aib_io_now_ns() ^ (uint64_t)getpid() << 32;
    s->key = aib_io_splitmix(&seed);
    /* Again: space or permissions may have changed since the plan was made. */
    if ((rc = aib_io_check_dir(p, &s->di, err)) ||
        (rc = aib_io_make_workdir(s->di.base, s->workdir, sizeof s->workdir, err)))
        goto fail;
    s->dirfd = open(s->workdir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (s->dirfd < 0) {
        rc = aib_err_set(err, AIB_EIO, "cannot open %s: %s", s->workdir, strerror(errno));
        goto fail;
    }
    size_t scratch_len = 1u << 20, scratch_mapped = scratch_len;
    /* The prefill goes out in 1 MiB writes from huge pages too: written
     * from 4 KiB pages, the same file read back at half the speed on a VM
     * (docs/performance.md). */
    if (!(scratch = alloc_io_mem(&scratch_mapped, scratch_len, NULL))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    if (p->pattern == P_LOADER) {
        if ((rc = aib_io_loader_create(s, scratch, scratch_len, err)))
            goto fail;
    } else {
        s->data_created = 1; /* from here on teardown removes it, even half written */
        if ((rc = aib_io_create_file(s->dirfd, IO_DATA_NAME, (uint64_t)p->size, 0, s->key, scratch,
                                 scratch_len, err))) {
            s->data_created = 0;
            goto fail;
        }
        aib_io_drop_cache(s->dirfd, IO_DATA_NAME);
    }
    s->njobs = (unsigned)p->jobs;
    if (!(s->jobs = calloc(s->njobs, sizeof *s->jobs))) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < s->njobs; i++)
        s->jobs[i].fd = -1;
    for (unsigned i = 0; i < s->njobs; i++)
        if ((rc = init_job(s, i, err)))
            goto fail;
    if ((rc = aib_gang_start(&s->gang, s->njobs, io_gang_fn, s, err)))
        goto fail;
    free_io_mem(scratch, scratch_mapped);
    *state = s;
    return 0;
fail:
    free_io_mem(scratch, scratch_mapped);
    io_free(s);
    return rc;
}

static int io_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct io_state *s = state;
    int rc;
    unsigned m = aib_gang_run(&s->gang, iters, &rc);
    if (m)
        *err = s->jobs[m - 1].err;
    return rc;
}

static int io_verify(void *state, struct aib_err *err)
{
    struct io_state *s = state;
    for (unsigned i = 0; i < s->njobs; i++) {
        struct io_job *j = &s->jobs[i];
        int rc = s->p.pattern == P_LOADER ? j->err.code : aib_io_job_verify(j);
        if (rc) {
            *err = j->err;
            return rc;
        }
    }
    return 0;
}

static void io_work(const void *params, struct aib_work *out)
{
    const struct io_params *p = params;
    memset(out, 0, sizeof *out);
    if (p->pattern == P_LOADER) {
        out->ops = (double)LOADER_FILES_PER_ITER * (double)p->jobs;
        return;
    }
    double ios = (double)io_ios_per_iter(p->bs) * (double)p->jobs;
    out->ops = ios;
    out->bytes = ios * (double)p->bs;
}

static void io_teardown(void *state) { io_free(state); }

const struct aib_workload_ops aib_io_cpu = {
    .name = "io",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CPU,
    .summary = "storage IO like fio (seq/rand read/write, rwmix, data loader): MB/s, IOPS, "
               "latency percentiles; data checked",
    .params = {"io", io_params_decl, sizeof io_params_decl / sizeof io_params_decl[0],
               sizeof(struct io_params)},
    .validate = io_validate,
    .setup = io_setup,
    .run = io_run,
    .verify = io_verify,
    .work = io_work,
    .metrics = aib_io_metrics,
    .teardown = io_teardown,
};
