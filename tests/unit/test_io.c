/* The io workload through its table, on real files: the data layout and
 * its checks, the loader's shuffle, bad input, the prefill around the page
 * cache, every engine and pattern
 * end to end, and that corrupted or lost data fails the entry; after every
 * case the target directory is empty again. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../workloads/io/io.h"
#include "fixtures.h"

extern const struct aib_workload_ops aib_io_cpu;

static const struct aib_device cpu = {.id = "cpu", .kind = AIB_DEV_CPU, .mem_bytes = 1ull << 33};

/* /var/tmp, not /tmp: O_DIRECT needs a file system that allows it (tmpfs does not). */
static int setup_dir(void **st)
{
    *st = aib_tmp_new("/var/tmp/aibench-test-io.XXXXXX");
    return *st ? 0 : -1;
}

static int is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n == 0;
}

static int teardown_dir(void **st)
{
    struct aib_tmp *f = *st;
    int empty = is_empty(f->dir);
    aib_tmp_teardown(st);
    return empty ? 0 : -1; /* something was left behind */
}

/* Parameters from "k=v" strings over the defaults, in `dir`. */
static void params(struct io_params *p, const char *dir, ...)
{
    struct aib_err err = {0};
    assert_int_equal(aib_params_defaults(&aib_io_cpu.params, p, &err), 0);
    assert_int_equal(aib_params_set(&aib_io_cpu.params, p, "dir", dir, &err), 0);
    va_list ap;
    va_start(ap, dir);
    aib_test_params_va(&aib_io_cpu.params, p, ap);
    va_end(ap);
}

/* The path of the file `name` inside the entry's private directory. */
static void entry_file(const char *dir, const char *name, char *out, size_t len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    out[0] = '\0';
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "aibench-io.", 11) == 0)
            snprintf(out, len, "%s/%s/%s", dir, e->d_name, name);
    closedir(d);
    assert_true(out[0]);
}

static void overwrite(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
    assert_int_equal(fsync(fd), 0);
    close(fd);
}

static void test_data_layout(void **st)
{
    (void)st;
    uint8_t buf[8192], w[4096];
    char why[256];
    uint64_t key = 0x1234, gen;
    aib_io_fill_prefill(buf, sizeof buf, 4096, key);
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 4096, key, -1, 4096, 1, &gen, why, sizeof why), 0);
    assert_int_equal(gen, 0);
    /* Read from the wrong place: the header names another address. */
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 0, key, -1, 4096, 0, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "do not hold"));
    /* Another run's data (other key) does not pass. */
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 4096, key + 1, -1, 4096, 0, NULL, why, sizeof why), -1);
    /* One flipped payload byte: caught by the full check only. */
    buf[5000] ^= 1;
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 4096, key, -1, 4096, 0, NULL, why, sizeof why), 0);
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 4096, key, -1, 4096, 1, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "wrong contents"));
    memset(buf + 512, 0, 512);
    assert_int_equal(aib_io_check_buf(buf, sizeof buf, 4096, key, -1, 4096, 0, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "all zero"));
    /* A write of job 1: valid for job 1 only, and never for a read-only pattern. */
    aib_io_init_write_buf(w, sizeof w, key, 1);
    aib_io_stamp_write(w, sizeof w, 8192, key, (2ull << 48) | 7);
    assert_int_equal(aib_io_check_buf(w, sizeof w, 8192, key, 1, 4096, 1, &gen, why, sizeof why), 0);
    assert_int_equal(gen, (2ull << 48) | 7);
    assert_int_equal(aib_io_check_buf(w, sizeof w, 8192, key, 0, 4096, 0, NULL, why, sizeof why), -1);
    assert_int_equal(aib_io_check_buf(w, sizeof w, 8192, key, -1, 4096, 0, NULL, why, sizeof why), -1);
    w[100] ^= 0x80;
    assert_int_equal(aib_io_check_buf(w, sizeof w, 8192, key, 1, 4096, 1, NULL, why, sizeof why), -1);

    /* Above 64 KiB the header check places every 4 KiB page and the last unit. */
    enum { BIG = 128 << 10 };
    uint8_t *big = malloc(BIG);
    assert_non_null(big);
    const size_t at[] = {8192, BIG - 512, 512};
    const int caught_by_headers[] = {1, 1, 0};
    for (size_t k = 0; k < 3; k++) {
        aib_io_fill_prefill(big, BIG, 0, key);
        memset(big + at[k], 0, 512);
        assert_int_equal(aib_io_check_buf(big, BIG, 0, key, -1, BIG, 0, NULL, why, sizeof why),
                         caught_by_headers[k] ? -1 : 0);
        assert_int_equal(aib_io_check_buf(big, BIG, 0, key, -1, BIG, 1, NULL, why, sizeof why), -1);
    }
    free(big);
    assert_int_equal(io_full_every(4096), 64);
    assert_int_equal(io_full_every(1 << 20), 256);
}

/* Every epoch's order is a permutation of all files, and epochs differ. */
static void test_shuffle(void **st)
{
    (void)st;
    const uint64_t ns[] = {1, 2, 3, 5, 100, 1000, 4097};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        uint64_t n = ns[k];
        unsigned bits = aib_io_loader_bits(n);
        assert_true((1ull << bits) >= n && bits % 2 == 0);
        uint64_t *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
        uint8_t *seen = calloc(n, 1);
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(seen);
        for (uint64_t e = 0; e < 2; e++) {
            memset(seen, 0, n);
            for (uint64_t x = 0; x < n; x++) {
                uint64_t y = aib_io_loader_shuffle(99, e, bits, n, x);
                assert_true(y < n);
                assert_false(seen[y]);
                seen[y] = 1;
                (e ? b : a)[x] = y;
            }
        }
        if (n >= 100)
            assert_memory_not_equal(a, b, n * sizeof *a);
        free(a);
        free(b);
        free(seen);
    }
}

static void expect_bad(const struct io_params *p, const char *want)
{
    struct aib_err err = {0};
    int rc = aib_io_cpu.validate(&cpu, p, &err);
    if (rc != AIB_EUSAGE || !strstr(err.msg, want))
        fail_msg("wanted a usage error with '%s', got %d: %s", want, rc, err.msg);
}

static void test_bad_input(void **st)
{
    struct aib_tmp *f = *st;
    struct io_params p;
    char path[512];
    snprintf(path, sizeof path, "%s/nope", f->dir);
    params(&p, path, NULL);
    expect_bad(&p, "does not exist");
    snprintf(path, sizeof path, "%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("mine", fp);
    fclose(fp);
    params(&p, path, NULL);
    expect_bad(&p, "existing file");
    unlink(path);
    params(&p, "/dev/null", NULL);
    expect_bad(&p, "not a directory");
    params(&p, f->dir, "iodepth=8", NULL);
    expect_bad(&p, "engine=io_uring");
    params(&p, f->dir, "bs=1000", "direct=1", NULL);
    expect_bad(&p, "logical block size");
    params(&p, f->dir, "bs=1000", "direct=0", NULL);
    expect_bad(&p, "multiple of 512");
    params(&p, f->dir, "size=1T", NULL);
    expect_bad(&p, "is free");
    params(&p, f->dir, "size=4M", "bs=1M", "jobs=4", "pattern=randwrite", "engine=io_uring", "iodepth=2", NULL);
    expect_bad(&p, "too small");
    params(&p, f->dir, "pattern=loader", "file_min=128k", "file_max=64k", NULL);
    expect_bad(&p, "file_min <= file_max");
    struct aib_err err = {0};
    assert_int_equal(aib_params_set(&aib_io_cpu.params, &p, "iodepth", "0", &err), AIB_EUSAGE);
    assert_true(is_empty(f->dir));
}

/* setup, run, verify, run, verify, metrics, teardown: what the engine does. */
static void run_entry(const struct io_params *p, const char *must_metric)
{
    struct aib_result r = {0};
    aib_test_entry(&aib_io_cpu, &cpu, p, 2, &r);
    const struct aib_metric *m = aib_result_metric(&r, must_metric);
    assert_non_null(m);
    assert_true(m->valid && m->value > 0);
    const struct aib_metric *ver = aib_result_metric(&r, p->pattern == P_LOADER ? "verified_files" : "verified_ios");
    assert_non_null(ver);
    assert_true(ver->value > 0);
    aib_result_free(&r);
}

static void test_patterns(void **st)
{
    struct aib_tmp *f = *st;
    struct io_params p;
    params(&p, f->dir, "size=2M", "pattern=seqread", "direct=0", NULL);
    run_entry(&p, "mb_s");
    params(&p, f->dir, "size=2M", "pattern=seqwrite", "bs=64k", "direct=0", "fsync=3", NULL);
    run_entry(&p, "fsync_lat_p99_us");
    params(&p, f->dir, "size=4M", "pattern=randwrite", "engine=io_uring", "iodepth=4", "jobs=2", "direct=0", NULL);
    run_entry(&p, "lat_p99_us");
    params(&p, f->dir, "size=4M", "pattern=rwmix", "engine=io_uring", "iodepth=8", "jobs=3", "direct=0", NULL);
    run_entry(&p, "write_lat_p99_us");
    params(&p, f->dir, "size=2M", "pattern=randread", "engine=io_uring", "iodepth=4", "fsync=0", "direct=0", NULL);
    run_entry(&p, "iops");
    params(&p, f->dir, "pattern=loader", "files=40", "file_min=4k", "file_max=16k", "jobs=2", "direct=0", NULL);
    run_entry(&p, "files_s");
    assert_true(is_empty(f->dir));
}

/* Data changed behind aibench's back fails the read that sees it. */
static void test_read_corruption(void **st)
{
    struct aib_tmp *f = *st;
    struct io_params p;
    params(&p, f->dir, "size=1M", "pattern=randread", "engine=io_uring", "iodepth=4", "direct=0", NULL);
    struct aib_err err = {0};
    void *s = NULL;
    assert_int_equal(aib_io_cpu.setup(&cpu, &p, &s, &err), 0);
    assert_int_equal(aib_io_cpu.run(s, 1, &err), 0);
    char path[600];
    entry_file(f->dir, IO_DATA_NAME, path, sizeof path);
    void *zeros = calloc(1, 1 << 20);
    assert_non_null(zeros);
    overwrite(path, zeros, 1 << 20);
    free(zeros);
    int rc = aib_io_cpu.run(s, 2, &err);
    if (rc == 0)
        rc = aib_io_cpu.verify(s, &err);
    assert_int_equal(rc, AIB_EVERIFY);
    assert_non_null(strstr(err.msg, "all zero"));
    aib_io_cpu.teardown(s);
    assert_true(is_empty(f->dir));
}

/* A completed write that is not on the file is caught by the read-back. */
static void test_lost_write(void **st)
{
    struct aib_tmp *f = *st;
    struct io_params p;
    params(&p, f->dir, "size=1M", "pattern=randwrite", "direct=0", NULL);
    struct aib_err err = {0};
    void *s = NULL;
    assert_int_equal(aib_io_cpu.setup(&cpu, &p, &s, &err), 0);
    assert_int_equal(aib_io_cpu.run(s, 1, &err), 0);
    assert_int_equal(aib_io_cpu.verify(s, &err), 0);
    /* Put the prefill back: valid data, but every write is gone. */
    struct io_state *is = s;
    uint8_t *orig = malloc(1 << 20);
    assert_non_null(orig);
    aib_io_fill_prefill(orig, 1 << 20, 0, is->key);
    char path[600];
    entry_file(f->dir, IO_DATA_NAME, path, sizeof path);
    overwrite(path, orig, 1 << 20);
    free(orig);
    assert_int_equal(aib_io_cpu.verify(s, &err), AIB_EVERIFY);
    assert_non_null(strstr(err.msg, "completed write is missing"));
    aib_io_cpu.teardown(s);
    assert_true(is_empty(f->dir));
}

static void test_loader_wrong_size(void **st)
{
    struct aib_tmp *f = *st;
    struct io_params p;
    params(&p, f->dir, "pattern=loader", "files=10", "file_min=8k", "file_max=8k", "direct=0", NULL);
    struct aib_err err = {0};
    void *s = NULL;
    assert_int_equal(aib_io_cpu.setup(&cpu, &p, &s, &err), 0);
    char path[600];
    entry_file(f->dir, "f0000003", path, sizeof path);
    assert_int_equal(truncate(path, 4096), 0);
    /* One iteration reads 64 files: every file several times. */
    assert_int_equal(aib_io_cpu.run(s, 1, &err), AIB_EVERIFY);
    assert_non_null(strstr(err.msg, "wrong size"));
    aib_io_cpu.teardown(s);
    assert_true(is_empty(f->dir));
}

/* The prefill goes around the page cache (O_DIRECT where the file system
 * takes it, the unaligned tail through the cache): nothing has to be
 * dropped before a cold read, so no mass of freed pages (which a VM that
 * reports free memory to its host paid for with a stall of its IO about
 * 2 s later). The bytes are the prefill pattern all the same. */
static void test_prefill_direct(void **st)
{
    struct aib_tmp *f = *st;
    struct statfs sfs;
    assert_int_equal(statfs(f->dir, &sfs), 0);
    assert_true(sfs.f_type != 0x01021994); /* not tmpfs: this must be able to fail */
    int dirfd = open(f->dir, O_DIRECTORY | O_RDONLY);
    assert_true(dirfd >= 0);
    size_t chunk = 1u << 20, len = 3 * chunk + 1000;
    uint8_t *scratch = NULL;
    assert_int_equal(posix_memalign((void **)&scratch, IO_ALIGN, chunk), 0);
    struct aib_err err = {0};
    uint64_t key = 0x5eed;
    assert_int_equal(aib_io_create_file(dirfd, "prefill", len, 0, key, scratch, chunk, &err), 0);

    int fd = openat(dirfd, "prefill", O_RDONLY);
    assert_true(fd >= 0);
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (len + (size_t)page - 1) / (size_t)page;
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    unsigned char *vec = calloc(pages, 1);
    assert_non_null(vec);
    assert_int_equal(mincore(map, len, vec), 0);
    size_t resident = 0;
    for (size_t i = 0; i < pages; i++)
        resident += vec[i] & 1;
    assert_true(resident <= 1); /* at most the page of the tail */

    uint8_t *want = malloc(chunk), *got = malloc(chunk);
    assert_non_null(want);
    assert_non_null(got);
    for (size_t done = 0; done < len; done += chunk) {
        size_t n = len - done < chunk ? len - done : chunk;
        aib_io_fill_prefill(want, n, done, key);
        assert_int_equal(pread(fd, got, n, (off_t)done), (ssize_t)n);
        assert_memory_equal(got, want, n);
    }
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal(sb.st_size, (off_t)len);
    munmap(map, len);
    close(fd);
    free(want);
    free(got);
    free(vec);
    free(scratch);
    assert_int_equal(unlinkat(dirfd, "prefill", 0), 0);
    close(dirfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_layout),
        cmocka_unit_test(test_shuffle),
        cmocka_unit_test_setup_teardown(test_bad_input, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_patterns, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_read_corruption, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_lost_write, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_loader_wrong_size, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_prefill_direct, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
