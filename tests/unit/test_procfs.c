/* The procfs reader against a fake /proc + /sys tree of real files (known
 * counters give exact utilisation and rates), missing files as missing
 * values, the sampler thread, and one read of the real /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../profilers/procfs.h"

struct tree {
    char root[256];
};

static void put(const struct tree *t, const char *rel, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s/%s", t->root, rel);
    /* mkdir -p of the parent */
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rel(const struct tree *t, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", t->root, rel);
    assert_int_equal(unlink(path), 0);
}

/* stat: cpu0 and cpu1 with user/nice/system/idle/iowait/irq/softirq/steal. */
static void put_stat(const struct tree *t, unsigned busy0, unsigned idle0, unsigned busy1,
                     unsigned idle1)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "cpu  %u 0 0 %u 0 0 0 0 0 0\n"
             "cpu0 %u 0 0 %u 0 0 0 0 0 0\n"
             "cpu1 %u 0 0 %u 0 0 0 0 0 0\n"
             "intr 1 2 3\nctxt 99\n",
             busy0 + busy1, idle0 + idle1, busy0, idle0, busy1, idle1);
    put(t, "proc/stat", buf);
}

static void put_counters(const struct tree *t, unsigned long long vda_rd_sect,
                         unsigned long long vda_wr_sect, unsigned long long eth_rx,
                         unsigned long long eth_tx)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "   7       0 loop0 5 0 1000 0 5 0 1000 0 0 0 0\n"
             " 254       0 vda 10 0 %llu 0 10 0 %llu 0 0 0 0\n"
             " 254       1 vda1 10 0 %llu 0 10 0 %llu 0 0 0 0\n",
             vda_rd_sect, vda_wr_sect, vda_rd_sect, vda_wr_sect);
    put(t, "proc/diskstats", buf);
    snprintf(buf, sizeof buf,
             "Inter-|   Receive                                                |  Transmit\n"
             " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
             "    lo:  500000 1 0 0 0 0 0 0  500000 1 0 0 0 0 0 0\n"
             "  eth0: %llu 2 0 0 0 0 0 0 %llu 3 0 0 0 0 0 0\n",
             eth_rx, eth_tx);
    put(t, "proc/net/dev", buf);
}

static int setup_tree(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    snprintf(t->root, sizeof t->root, "/tmp/aib-procfs-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    put_stat(t, 100, 900, 300, 700);
    put(t, "proc/meminfo",
        "MemTotal:       8000000 kB\nMemFree:  100 kB\nMemAvailable:   6000000 kB\n"
        "SwapTotal:      1000 kB\nSwapFree:       250 kB\n");
    put(t, "proc/loadavg", "1.50 0.80 0.40 2/300 12345\n");
    /* cpu0 has cpufreq; cpu1 only /proc/cpuinfo. */
    put(t, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "3500000\n");
    put(t, "proc/cpuinfo",
        "processor\t: 0\ncpu MHz\t\t: 1111.000\n\nprocessor\t: 1\ncpu MHz\t\t: 2400.500\n");
    put(t, "sys/block/vda/size", "100\n");
    put(t, "sys/block/loop0/size", "100\n");
    put_counters(t, 1000, 2000, 10000, 20000);
    *state = t;
    return 0;
}

static int teardown_tree(void **state)
{
    struct tree *t = *state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void test_first_and_second_read(void **state)
{
    struct tree *t = *state;
    struct aib_procfs_reader *r;
    struct aib_err err = {0};
    struct aib_procfs_sample *s = calloc(1, sizeof *s);
    assert_int_equal(aib_procfs_reader_new(t->root, &r, &err), 0);

    assert_int_equal(aib_procfs_read(r, 10.0, s), 0);
    assert_int_equal(s->ncpus, 2);
    assert_int_equal(s->cpu[0].id, 0);
    assert_int_equal(s->cpu[1].id, 1);
    /* Rates need two snapshots: missing, not zero. */
    assert_false(s->total.valid & AIB_PF_UTIL);
    assert_false(s->cpu[0].valid & AIB_PF_UTIL);
    assert_false(s->valid & AIB_PF_DISK);
    assert_false(s->valid & AIB_PF_NET);
    /* Levels are there at once. */
    assert_true(s->valid & AIB_PF_MEM);
    assert_true(s->mem_total == 8000000ull * 1024);
    assert_true(s->mem_available == 6000000ull * 1024);
    assert_true(s->valid & AIB_PF_SWAP);
    assert_true(s->swap_free == 250ull * 1024);
    assert_true(s->valid & AIB_PF_LOAD);
    assert_true(s->load1 == 1.5);
    assert_true(s->cpu[0].valid & AIB_PF_FREQ);
    assert_true(s->cpu[0].freq_mhz == 3500.0); /* cpufreq wins over cpuinfo */
    assert_true(s->cpu[1].valid & AIB_PF_FREQ);
    assert_true(s->cpu[1].freq_mhz == 2400.5);
    assert_true(s->total.freq_mhz == (3500.0 + 2400.5) / 2);

    /* 2 s later: cpu0 did 50 busy of 100 jiffies, cpu1 100 of 100. */
    put_stat(t, 150, 950, 400, 700);
    put_counters(t, 1000 + 4000, 2000 + 8, 10000 + 3000, 20000 + 500);
    assert_int_equal(aib_procfs_read(r, 12.0, s), 0);
    assert_true(s->interval == 2.0);
    assert_true(s->cpu[0].valid & AIB_PF_UTIL);
    assert_true(s->cpu[0].util == 0.5);
    assert_true(s->cpu[1].util == 1.0);
    assert_true(s->total.valid & AIB_PF_UTIL);
    assert_true(s->total.util == 0.75);
    /* Only the whole disk vda counts: not loop0, not the partition vda1. */
    assert_true(s->valid & AIB_PF_DISK);
    assert_true(s->disk_read_bps == 4000.0 * 512 / 2);
    assert_true(s->disk_write_bps == 8.0 * 512 / 2);
    /* lo is left out. */
    assert_true(s->valid & AIB_PF_NET);
    assert_true(s->net_rx_bps == 1500.0);
    assert_true(s->net_tx_bps == 250.0);

    aib_procfs_reader_free(r);
    free(s);
}

static void test_missing_is_missing(void **state)
{
    struct tree *t = *state;
    struct aib_procfs_reader *r;
    struct aib_err err = {0};
    struct aib_procfs_sample *s = calloc(1, sizeof *s);
    rm_rel(t, "proc/meminfo");
    rm_rel(t, "proc/cpuinfo");
    rm_rel(t, "proc/net/dev");
    assert_int_equal(aib_procfs_reader_new(t->root, &r, &err), 0);
    assert_int_equal(aib_procfs_read(r, 1.0, s), 0);
    assert_int_equal(aib_procfs_read(r, 2.0, s), 0);
    assert_false(s->valid & AIB_PF_MEM);
    assert_false(s->valid & AIB_PF_SWAP);
    assert_false(s->valid & AIB_PF_NET);
    assert_true(s->valid & AIB_PF_DISK);
    assert_true(s->cpu[0].valid & AIB_PF_FREQ);  /* cpufreq */
    assert_false(s->cpu[1].valid & AIB_PF_FREQ); /* neither source */
    /* No time passed in the counters: utilisation cannot be known. */
    assert_false(s->cpu[0].valid & AIB_PF_UTIL);

    /* A counter going backwards (hot-plug, reset) is missing, not negative. */
    put_stat(t, 50, 100, 400, 800);
    assert_int_equal(aib_procfs_read(r, 3.0, s), 0);
    assert_false(s->cpu[0].valid & AIB_PF_UTIL);
    assert_true(s->cpu[1].valid & AIB_PF_UTIL);

    /* Without /proc/stat nothing is valid and the read says so. */
    rm_rel(t, "proc/stat");
    assert_int_equal(aib_procfs_read(r, 4.0, s), AIB_EIO);
    assert_int_equal(s->ncpus, 0);
    assert_false(s->total.valid);
    aib_procfs_reader_free(r);
    free(s);
}

struct counter {
    unsigned calls;
    uint64_t last_seq;
    unsigned ncpus;
};

static void on_sample(void *ctx, const struct aib_procfs_sample *s)
{
    struct counter *c = ctx;
    c->calls++;
    c->last_seq = s->seq;
    c->ncpus = s->ncpus;
}

static void test_sampler(void **state)
{
    struct tree *t = *state;
    struct counter c = {0};
    struct aib_procfs_opts o = {.interval_s = 0.005, .root = t->root, .on_sample = on_sample,
                                .ctx = &c};
    struct aib_procfs_sampler *s;
    struct aib_err err = {0};
    struct aib_procfs_sample *x = calloc(1, sizeof *x);
    assert_int_equal(aib_procfs_start(&o, &s, &err), 0);
    /* Wait (bounded) for a few samples; the count, not the timing, is checked. */
    uint64_t seq = 0;
    for (int i = 0; i < 2000 && seq < 3; i++) {
        nanosleep(&(struct timespec){0, 5000000}, NULL);
        seq = aib_procfs_latest(s, x);
    }
    assert_true(seq >= 3);
    assert_int_equal(x->seq, seq);
    assert_int_equal(x->ncpus, 2);
    assert_true(x->valid & AIB_PF_MEM);
    aib_procfs_stop(s);
    /* The callback saw every sample, in order, on the sampler thread. */
    assert_int_equal(c.calls, c.last_seq);
    assert_true(c.calls >= seq);
    assert_int_equal(c.ncpus, 2);
    free(x);

    o.interval_s = 0;
    assert_int_equal(aib_procfs_start(&o, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "interval"));
}

static void test_sampler_stops_at_once(void **state)
{
    (void)state;
    /* An hour-long interval must not delay stop. */
    struct aib_procfs_opts o = {.interval_s = 3600};
    struct aib_procfs_sampler *s;
    struct aib_err err = {0};
    struct aib_procfs_sample *x = calloc(1, sizeof *x);
    assert_int_equal(aib_procfs_start(&o, &s, &err), 0);
    for (int i = 0; i < 2000 && !aib_procfs_latest(s, x); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    assert_int_equal(x->seq, 1);
    aib_procfs_stop(s);
    free(x);
}

static void test_real_proc(void **state)
{
    (void)state;
    struct aib_procfs_reader *r;
    struct aib_err err = {0};
    struct aib_procfs_sample *s = calloc(1, sizeof *s);
    assert_int_equal(aib_procfs_reader_new(NULL, &r, &err), 0);
    assert_int_equal(aib_procfs_read(r, 1.0, s), 0);
    assert_int_equal(s->ncpus, (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(s->valid & AIB_PF_MEM);
    assert_true(s->mem_available <= s->mem_total);
    aib_procfs_reader_free(r);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_and_second_read, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_missing_is_missing, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_sampler, setup_tree, teardown_tree),
        cmocka_unit_test(test_sampler_stops_at_once),
        cmocka_unit_test(test_real_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
