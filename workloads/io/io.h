/* The io workload's internals, shared by its files:
 *   io_workload.c  parameters, validate, setup/teardown, run, verify, metrics
 *   io_files.c     safety: directory checks, O_DIRECT probe, free space,
 *                  the private work directory and removing what we created
 *   io_data.c      the self-checking data layout (512-byte units)
 *   io_engines.c   the psync and io_uring job loops
 *   io_loader.c    the data-loader pattern (many small files, shuffled)
 *   aib_io_metrics.c   the figures reported beside the timing
 *
 * Iteration unit: each job completes io_ios_per_iter(bs) IOs per iteration
 * (1 MiB of IO, but at least 64 IOs up to 64 MiB), so work() is exact from
 * the parameters and a sample spans many IOs even at bs=1M (a sample of a
 * few IOs would make the median track single-IO noise); with io_uring the
 * queue stays full across run() calls (what is in flight when a call
 * returns completes in the next one), as in a continuous fio job. The
 * loader's iteration is LOADER_FILES_PER_ITER files per job. */
#ifndef AIB_IO_H
#define AIB_IO_H

#include <liburing.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bench/hist.h"
#include "../workload.h"
#include "gang.h"

enum io_pattern { P_SEQREAD, P_SEQWRITE, P_RANDREAD, P_RANDWRITE, P_RWMIX, P_LOADER };
enum io_engine { E_PSYNC, E_URING };

struct io_params {
    int pattern;
    int64_t size, bs, iodepth, jobs;
    int engine;
    int64_t direct, fsync, rwmixread;
    int64_t files, file_min, file_max;
    char dir[AIB_PARAM_STR_MAX];
};

#define IO_UNIT 512                  /* data-check unit: header + payload */
#define IO_ITER_BYTES (1u << 20)     /* per job per iteration, at least */
#define IO_ITER_MIN_IOS 64           /* ... and at least this many IOs */
#define IO_ITER_MAX_BYTES (64u << 20) /* ... unless that exceeds this */
#define LOADER_FILES_PER_ITER 64     /* per job per iteration */
#define IO_FULL_CHECK_EVERY 64       /* every Nth read is checked byte by byte ... */
#define IO_FULL_CHECK_BYTES (256u << 10) /* ... N scaled up for reads larger than this */
#define IO_SPARSE_ABOVE (64u << 10)  /* larger reads: headers every IO_SPARSE_STRIDE */
#define IO_SPARSE_STRIDE 4096
#define IO_WLOG 64                   /* recent writes kept per job for read-back */
#define IO_ALIGN 4096                /* buffer alignment (O_DIRECT needs <= this) */
/* io_uring: IOs per submission (fio's iodepth_batch_submit). The device
 * starts on the first few while the rest are prepared; handing it the whole
 * queue in one call makes IOs travel in convoys on a virtio disk whose
 * backend serves one notification's requests in turn (qd=32, 4k random
 * reads on a 2-CPU VM: 395-645 MB/s whole queue, 739-766 MB/s by 4). */
#define IO_URING_BATCH 4
/* IO buffers of IOs larger than a page are on 2 MiB transparent huge pages
 * where the kernel gives them (madvise): one IO is then one piece of
 * memory. On 4 KiB pages a 1 MiB read was 256 pieces or fewer, by the luck
 * of where its pages lay, and the same VM read 1.6-3.4 GB/s into them
 * against 6.1-7.1 GB/s on huge pages (docs/performance.md). */
#define IO_HUGE (2u << 20)
#define IO_DATA_NAME "data"

static inline int io_is_write(int pattern) { return pattern == P_SEQWRITE || pattern == P_RANDWRITE || pattern == P_RWMIX; }
static inline int io_is_read(int pattern) { return pattern != P_SEQWRITE && pattern != P_RANDWRITE; }
/* Full checks regenerate the payload (about 2.8 GB/s): one read in 64, and
 * for large reads one in 64 x (len / 256 KiB), so they stay near 1% of the
 * time of a read even from fast storage. */
static inline uint64_t io_full_every(uint64_t len)
{
    return IO_FULL_CHECK_EVERY * (len > IO_FULL_CHECK_BYTES ? len / IO_FULL_CHECK_BYTES : 1);
}
static inline uint64_t io_ios_per_iter(int64_t bs)
{
    uint64_t b = (uint64_t)bs, n = IO_ITER_BYTES / b, m = IO_ITER_MAX_BYTES / b;
    if (n < IO_ITER_MIN_IOS)
        n = m < IO_ITER_MIN_IOS ? m : IO_ITER_MIN_IOS;
    return n ? n : 1;
}

/* ---- io_data.c ------------------------------------------------------- */
/* Every 512-byte unit of every file starts with {addr ^ key, gen}: its own
 * address (file offset; for loader files (index+1) << 40 | offset) and a
 * generation (0: written at prefill; else ((job+1) << 48) | write counter).
 * The rest is pseudo-random: for gen 0 derived from (key, addr), for a
 * write from (key, job, unit index within the block), so any unit can be
 * checked on its own without storing what was written. */
void aib_io_fill_prefill(uint8_t *buf, size_t len, uint64_t addr, uint64_t key);
/* Write buffers: payloads once (aib_io_init_write_buf), headers per write. */
void aib_io_init_write_buf(uint8_t *buf, size_t len, uint64_t key, unsigned job);
void aib_io_stamp_write(uint8_t *buf, size_t len, uint64_t addr, uint64_t key, uint64_t gen);
/* Checks the units of buf read from addr. own_job >= 0 allows units written
 * by that job (and prefill); -1 allows prefill only. full: every byte of
 * every unit; else headers only: of every unit up to IO_SPARSE_ABOVE
 * bytes, of one unit per IO_SPARSE_STRIDE (and the last) beyond, which
 * still places every 4 KiB page. bs: the write block size (to place a unit
 * inside its write). *gen_out (may be NULL) gets the first unit's generation.
 * Returns 0, or -1 with a description in why. */
int aib_io_check_buf(const uint8_t *buf, size_t len, uint64_t addr, uint64_t key, int own_job,
                 size_t bs, int full, uint64_t *gen_out, char *why, size_t why_len);
uint64_t aib_io_splitmix(uint64_t *x);

/* ---- io_files.c ------------------------------------------------------ */
struct io_dirinfo {
    char base[4096];   /* the directory the work directory goes into */
    unsigned dio_align; /* offset/length alignment for O_DIRECT, 0 if direct=0 */
    uint64_t free_bytes;
};
/* Bytes the entry will write (data file or all loader files). */
uint64_t aib_io_needed_bytes(const struct io_params *p);
/* Size of loader file i (deterministic from the parameters). */
uint64_t aib_io_loader_file_size(const struct io_params *p, uint64_t i);
/* All checks on the target directory (existence, type, writability,
 * O_DIRECT, alignment of bs, free space); AIB_EUSAGE with one line. */
int aib_io_check_dir(const struct io_params *p, struct io_dirinfo *out, struct aib_err *err);
/* Creates base/aibench-io.XXXXXX (mode 0700). */
int aib_io_make_workdir(const char *base, char *out, size_t len, struct aib_err *err);
/* Creates name in the work directory (O_EXCL: never an existing file) and
 * fills it with prefill data for addresses addr0..., with O_DIRECT where
 * the file system takes it (scratch: IO_ALIGN-aligned, scratch_len a
 * multiple of IO_ALIGN); fd stays closed. */
int aib_io_create_file(int dirfd, const char *name, uint64_t len, uint64_t addr0, uint64_t key,
                   uint8_t *scratch, size_t scratch_len, struct aib_err *err);
/* fsyncs the file and drops it from the page cache, so the timed part
 * starts with nothing pending and reads start cold (fio's create_fsync and
 * invalidate). */
void aib_io_drop_cache(int dirfd, const char *name);

/* ---- io_engines.c ---------------------------------------------------- */
struct io_slot {
    uint8_t *rbuf, *wbuf;
    uint64_t off, gen;
    uint64_t t0;       /* ns, at submission */
    int is_write, busy;
};

struct io_wlog {
    uint64_t off, gen;
};

struct io_state;

struct io_job {
    struct io_state *s;
    unsigned idx;
    int fd;
    uint64_t first_block, nblocks; /* this job's slice of the file, in blocks */
    uint64_t seq_next;             /* next block for sequential patterns */
    uint64_t rng;
    uint64_t wcounter;             /* write generation counter */
    struct io_slot *slots;         /* iodepth of them */
    unsigned inflight;
    struct io_uring ring;
    int ring_ok;
    struct aib_hist *hist_r, *hist_w, *hist_sync;
    uint64_t reads, writes, bytes_r, bytes_w, since_sync, checked, checked_full, read_back;
    struct io_wlog wlog[IO_WLOG];
    unsigned wlog_n, wlog_pos;
    uint8_t *vbuf;                 /* read-back buffer for verify */
    uint8_t *arena;                /* owns every IO buffer of the job (mapped) */
    size_t arena_len;
    int huge;                      /* the arena is on 2 MiB pages */
    struct aib_err err;
};

struct io_state {
    struct io_params p;
    struct io_dirinfo di;
    char workdir[4096];
    int dirfd;
    uint64_t key;                  /* per entry, so stale data never passes */
    uint64_t created;              /* files created so far (for removal) */
    int data_created;
    struct io_job *jobs;
    unsigned njobs;
    struct aib_gang gang;
    atomic_int abort;              /* a job failed: the others stop early */
    /* loader */
    atomic_uint_fast64_t ticket;
    uint64_t perm_bits;
    uint64_t loader_bytes, loader_files; /* totals read (summed at metrics) */
};

uint64_t aib_io_now_ns(void);
int aib_io_job_run_psync(struct io_job *j, uint64_t ios);
int aib_io_job_run_uring(struct io_job *j, uint64_t ios);
/* Completes every IO in flight (checks included). */
int aib_io_job_drain(struct io_job *j);
/* Reads back recent writes and a few random blocks, checking every byte. */
int aib_io_job_verify(struct io_job *j);

/* ---- aib_io_metrics.c ---------------------------------------------------- */
/* MB/s, IOPS (or files/s), latency percentiles, engine and checks. */
int aib_io_metrics(void *state, struct aib_result *r, struct aib_err *err);

/* ---- io_loader.c ----------------------------------------------------- */
/* Position x of epoch's shuffled order of n files: a bijection on [0, n)
 * for each (key, epoch); bits = aib_io_loader_bits(n). */
uint64_t aib_io_loader_shuffle(uint64_t key, uint64_t epoch, unsigned bits, uint64_t n, uint64_t x);
unsigned aib_io_loader_bits(uint64_t n);
int aib_io_loader_create(struct io_state *s, uint8_t *scratch, size_t scratch_len, struct aib_err *err);
int aib_io_loader_run(struct io_job *j, uint64_t files);
void aib_io_loader_remove(struct io_state *s);

#endif
