/* RAPL through powercap: a tree of real files in a temporary directory
 * (package and DRAM domains, a counter that wraps, domains that are not
 * summed), no powercap at all, and this machine's own /sys. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../profilers/profiler.h"
#include "fixtures.h"

static void put(const char *root, const char *rel, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    /* mkdir -p of the parent */
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", dir, strerror(errno));
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

#define PC "sys/class/powercap/"

static const struct aib_prof_value *get(const struct aib_prof_values *v, const char *name)
{
    const struct aib_prof_value *x = aib_prof_values_get(v, name);
    if (!x)
        fail_msg("no value %s", name);
    return x;
}

static void test_energy_with_wrap(void **state)
{
    struct aib_tmp *f = *state;
    /* Two packages, the second one's counter wraps; DRAM on the first; a
     * core subdomain and psys that must not be added to the package. */
    put(f->dir, PC "intel-rapl:0/name", "package-0\n");
    put(f->dir, PC "intel-rapl:0/energy_uj", "1000000\n");
    put(f->dir, PC "intel-rapl:0/max_energy_range_uj", "262143328850\n");
    put(f->dir, PC "intel-rapl:1/name", "package-1\n");
    put(f->dir, PC "intel-rapl:1/energy_uj", "999000000\n");
    put(f->dir, PC "intel-rapl:1/max_energy_range_uj", "1000000000\n");
    put(f->dir, PC "intel-rapl:0:0/name", "core\n");
    put(f->dir, PC "intel-rapl:0:0/energy_uj", "5\n");
    put(f->dir, PC "intel-rapl:0:1/name", "dram\n");
    put(f->dir, PC "intel-rapl:0:1/energy_uj", "100\n");
    put(f->dir, PC "intel-rapl:0:1/max_energy_range_uj", "65532610987\n");
    put(f->dir, PC "intel-rapl:2/name", "psys\n");
    put(f->dir, PC "intel-rapl:2/energy_uj", "0\n");
    struct aib_device dev = {.kind = AIB_DEV_CPU};
    struct aib_prof_opts o = {.interval_s = 0.1, .root = f->dir};
    struct aib_err err = {0};
    void *st = NULL;
    char why[128];
    assert_int_equal(aib_prof_rapl.probe(&dev, &o, why, sizeof why), 1);
    assert_string_equal(why, "3 RAPL domains");
    assert_int_equal(aib_prof_rapl.open(&dev, &o, &st, &err), 0);
    assert_int_equal(aib_prof_rapl.start(st, &err), 0);
    put(f->dir, PC "intel-rapl:0/energy_uj", "31000000\n");   /* +30 J */
    put(f->dir, PC "intel-rapl:1/energy_uj", "4000000\n");    /* wrapped: +1 J +4 J */
    put(f->dir, PC "intel-rapl:0:0/energy_uj", "900000000\n");
    put(f->dir, PC "intel-rapl:0:1/energy_uj", "2500100\n");  /* +2.5 J */
    put(f->dir, PC "intel-rapl:2/energy_uj", "900000000\n");
    usleep(20000); /* a profiled time above zero for the power figure */
    assert_int_equal(aib_prof_rapl.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_rapl.read(st, &v, &err), 0);
    const struct aib_prof_value *pkg = get(&v, "package_energy"), *dram = get(&v, "dram_energy");
    assert_true(pkg->valid && fabs(pkg->value - 35.0) < 1e-9);
    assert_string_equal(pkg->unit, "J");
    assert_int_equal(pkg->kind, AIB_PV_TOTAL);
    assert_true(dram->valid && fabs(dram->value - 2.5) < 1e-9);
    const struct aib_prof_value *pw = get(&v, "package_power");
    assert_true(pw->valid && pw->value > 0 && pw->kind == AIB_PV_LEVEL);
    aib_prof_values_free(&v);
    aib_prof_rapl.close(st);
}

static void test_no_dram_and_unknown_wrap(void **state)
{
    struct aib_tmp *f = *state;
    put(f->dir, PC "intel-rapl:0/name", "package-0\n");
    put(f->dir, PC "intel-rapl:0/energy_uj", "500\n");
    struct aib_device dev = {.kind = AIB_DEV_CPU};
    struct aib_prof_opts o = {.interval_s = 0.1, .root = f->dir};
    struct aib_err err = {0};
    void *st = NULL;
    assert_int_equal(aib_prof_rapl.open(&dev, &o, &st, &err), 0);
    assert_int_equal(aib_prof_rapl.start(st, &err), 0);
    put(f->dir, PC "intel-rapl:0/energy_uj", "100\n"); /* went back, no max range */
    assert_int_equal(aib_prof_rapl.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_rapl.read(st, &v, &err), 0);
    const struct aib_prof_value *pkg = get(&v, "package_energy"), *dram = get(&v, "dram_energy");
    assert_false(pkg->valid);
    assert_non_null(strstr(pkg->note, "max_energy_range_uj is unknown"));
    assert_false(dram->valid);
    assert_string_equal(dram->note, "no DRAM RAPL domain on this CPU");
    aib_prof_values_free(&v);
    aib_prof_rapl.close(st);
}

static void test_no_powercap(void **state)
{
    struct aib_tmp *f = *state; /* an empty root: no /sys/class/powercap */
    struct aib_device dev = {.kind = AIB_DEV_CPU};
    struct aib_prof_opts o = {.interval_s = 0.1, .root = f->dir};
    struct aib_err err = {0};
    void *st = NULL;
    char why[128];
    assert_int_equal(aib_prof_rapl.probe(&dev, &o, why, sizeof why), 0);
    assert_non_null(strstr(why, "no RAPL here"));
    assert_int_equal(aib_prof_rapl.open(&dev, &o, &st, &err), 0);
    assert_int_equal(aib_prof_rapl.start(st, &err), 0);
    assert_int_equal(aib_prof_rapl.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_rapl.read(st, &v, &err), 0);
    for (size_t i = 0; i < v.len; i++) {
        assert_false(v.items[i].valid);
        assert_true(v.items[i].value == 0);
        assert_non_null(strstr(v.items[i].note, "/sys/class/powercap absent"));
    }
    assert_int_equal(v.len, 3);
    aib_prof_values_free(&v);
    aib_prof_rapl.close(st);
}

/* This machine: measured where powercap has a package domain we can read,
 * otherwise missing with a reason. */
static void test_this_machine(void **state)
{
    (void)state;
    struct aib_device dev = {.kind = AIB_DEV_CPU};
    struct aib_err err = {0};
    void *st = NULL;
    char why[128];
    int usable = aib_prof_rapl.probe(&dev, NULL, why, sizeof why);
    assert_int_equal(aib_prof_rapl.open(&dev, NULL, &st, &err), 0);
    assert_int_equal(aib_prof_rapl.start(st, &err), 0);
    assert_int_equal(aib_prof_rapl.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_rapl.read(st, &v, &err), 0);
    const struct aib_prof_value *pkg = get(&v, "package_energy");
    assert_int_equal(pkg->valid, usable);
    if (!usable) {
        assert_string_equal(pkg->note, why);
        struct stat sb;
        if (stat("/sys/class/powercap", &sb) != 0)
            assert_non_null(strstr(pkg->note, "absent"));
    }
    aib_prof_values_free(&v);
    aib_prof_rapl.close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_energy_with_wrap, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_no_dram_and_unknown_wrap, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_no_powercap, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test(test_this_machine),
    };
    return cmocka_run_group_tests_name("rapl", tests, NULL, NULL);
}
