/* The NVML profiler: with the real loader here (no library: every value
 * missing with the reason, no crash), with a library path that does not
 * exist, and with a table of test functions standing in for a driver (the
 * null-backend way to run the sampler thread, the energy difference, the
 * throttle reasons and the series without a GPU). */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../profilers/nvml.h"

static struct aib_device gpu(const char *bus)
{
    struct aib_device d = {.kind = AIB_DEV_CUDA, .index = 0};
    strcpy(d.id, "cuda:0");
    if (bus)
        aib_kv_set(&d.props, "pci_bus_id", bus);
    return d;
}

static void read_all_missing(void *st, const char *why)
{
    struct aib_err err = {0};
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_nvml.start(st, &err), 0);
    assert_int_equal(aib_prof_nvml.stop(st, &err), 0);
    assert_int_equal(aib_prof_nvml.read(st, &v, &err), 0);
    assert_true(v.len >= 10);
    assert_non_null(aib_prof_values_get(&v, "energy"));
    assert_non_null(aib_prof_values_get(&v, "power_mean"));
    for (size_t i = 0; i < v.len; i++) {
        assert_false(v.items[i].valid);
        assert_true(v.items[i].value == 0);
        if (!strstr(v.items[i].note, why))
            fail_msg("%s: note '%s' lacks '%s'", v.items[i].name, v.items[i].note, why);
    }
    struct aib_series_set s = {0};
    assert_int_equal(aib_prof_nvml.series(st, &s, &err), 0);
    assert_int_equal(s.len, 0);
    aib_prof_values_free(&v);
}

static void test_this_machine(void **state)
{
    (void)state;
    struct aib_device d = gpu("0000:41:00.0");
    struct aib_prof_opts o = {.interval_s = 0.01};
    struct aib_err err = {0};
    char why[128] = "";
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    int usable = aib_prof_nvml.probe(&d, &o, why, sizeof why);
    if (!h) {
        assert_int_equal(usable, 0);
        assert_string_equal(why, "libnvidia-ml.so.1 not found (no NVIDIA driver installed)");
        void *st = NULL;
        assert_int_equal(aib_prof_nvml.open(&d, &o, &st, &err), 0);
        read_all_missing(st, "libnvidia-ml.so.1 not found");
        aib_prof_nvml.close(st);
    } else {
        /* A driver machine: usable, or a one-line reason from nvmlInit. */
        assert_true(usable || strncmp(why, "nvmlInit: ", 10) == 0);
        dlclose(h);
    }
    aib_kv_free(&d.props);
}

static void test_library_path_missing(void **state)
{
    (void)state;
    struct aib_device d = gpu(NULL);
    struct aib_prof_opts o = {.interval_s = 0.01, .nvml_lib = "/nonexistent/libnvidia-ml.so.1"};
    struct aib_err err = {0};
    void *st = NULL;
    assert_int_equal(aib_prof_nvml.open(&d, &o, &st, &err), 0);
    read_all_missing(st, "cannot load /nonexistent/libnvidia-ml.so.1");
    aib_prof_nvml.close(st);
}

/* --- a stand-in driver ------------------------------------------------------ */

/* NVML's functions take no context, so the stand-in keeps its counters here. */
static atomic_int n_samples, n_shutdown, init_rc;
static atomic_ullong energy_mj;

static aib_nvml_ret f_init(void) { return init_rc; }
static aib_nvml_ret f_shutdown(void)
{
    n_shutdown++;
    return 0;
}
static const char *f_error_string(aib_nvml_ret rc)
{
    return rc == 3 ? "Not Supported" : rc == 9 ? "Driver Not Loaded" : "Unknown Error";
}
static aib_nvml_ret f_by_index(unsigned i, aib_nvml_dev *d)
{
    *d = (aib_nvml_dev)(uintptr_t)(0x100 + i);
    return 0;
}
static aib_nvml_ret f_by_pci(const char *bus, aib_nvml_dev *d)
{
    if (strcmp(bus, "00000000:41:00.0") != 0)
        return 6; /* not found */
    *d = (aib_nvml_dev)(uintptr_t)0x41;
    return 0;
}
static aib_nvml_ret f_power(aib_nvml_dev d, unsigned *mw)
{
    (void)d, (void)mw;
    return AIB_NVML_ERROR_NOT_SUPPORTED;
}
static aib_nvml_ret f_energy(aib_nvml_dev d, unsigned long long *mj)
{
    (void)d;
    *mj = energy_mj;
    energy_mj += 1500; /* 1.5 J between two reads */
    return 0;
}
static aib_nvml_ret f_clock(aib_nvml_dev d, int type, unsigned *mhz)
{
    (void)d;
    *mhz = type == AIB_NVML_CLOCK_SM ? 1980 : 2619;
    if (type == AIB_NVML_CLOCK_SM)
        n_samples++;
    return 0;
}
static aib_nvml_ret f_util(aib_nvml_dev d, struct aib_nvml_utilization *u)
{
    (void)d;
    u->gpu = 97;
    u->memory = 40;
    return 0;
}
static aib_nvml_ret f_temp(aib_nvml_dev d, int sensor, unsigned *c)
{
    (void)d;
    assert_int_equal(sensor, AIB_NVML_TEMPERATURE_GPU);
    *c = 60 + (unsigned)(n_samples % 5);
    return 0;
}
static aib_nvml_ret f_mem(aib_nvml_dev d, struct aib_nvml_memory *m)
{
    (void)d;
    m->total = 80ull << 30;
    m->used = 40ull << 30;
    m->free = m->total - m->used;
    return 0;
}
static aib_nvml_ret f_pcie(aib_nvml_dev d, int counter, unsigned *kbs)
{
    (void)d;
    *kbs = counter == AIB_NVML_PCIE_TX_BYTES ? 1000 : 2000;
    return 0;
}
static aib_nvml_ret f_throttle(aib_nvml_dev d, unsigned long long *mask)
{
    (void)d;
    *mask = n_samples % 2 ? 0x4 : 0x8;
    return 0;
}

static const struct aib_nvml_api fake = {
    .init = f_init, .shutdown = f_shutdown, .error_string = f_error_string,
    .handle_by_index = f_by_index, .handle_by_pci = f_by_pci, .power = f_power,
    .energy = f_energy, .clock = f_clock, .utilization = f_util, .temperature = f_temp,
    .memory = f_mem, .pcie = f_pcie, .throttle = f_throttle};

static const struct aib_prof_value *get(const struct aib_prof_values *v, const char *name)
{
    const struct aib_prof_value *x = aib_prof_values_get(v, name);
    if (!x)
        fail_msg("no value %s", name);
    return x;
}

static void test_sampling_with_stand_in(void **state)
{
    (void)state;
    struct aib_device d = gpu("00000000:41:00.0");
    struct aib_prof_opts o = {.interval_s = 0.005};
    struct aib_err err = {0};
    void *st = NULL;
    n_samples = n_shutdown = init_rc = 0;
    energy_mj = 123456789;
    assert_int_equal(aib_nvml_open_api(&fake, &d, &o, &st, &err), 0);
    assert_int_equal(n_samples, 0); /* idle until start */
    assert_int_equal(aib_prof_nvml.start(st, &err), 0);
    for (int i = 0; i < 5000 && n_samples < 4; i++) /* waits for samples, asserts no time */
        usleep(1000);
    assert_true(n_samples >= 4);
    assert_int_equal(aib_prof_nvml.stop(st, &err), 0);
    int after_stop = n_samples;
    usleep(30000);
    assert_int_equal(n_samples, after_stop); /* nothing sampled after stop */

    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_nvml.read(st, &v, &err), 0);
    const struct aib_prof_value *e = get(&v, "energy");
    assert_true(e->valid && e->value == 1.5);
    assert_int_equal(e->kind, AIB_PV_TOTAL);
    assert_non_null(strstr(e->note, "PCI 00000000:41:00.0"));
    const struct aib_prof_value *p = get(&v, "power_mean");
    assert_false(p->valid);
    assert_string_equal(p->note, "Not Supported");
    assert_true(get(&v, "sm_clock_mean")->valid && get(&v, "sm_clock_mean")->value == 1980);
    assert_true(get(&v, "mem_clock_mean")->value == 2619);
    assert_true(get(&v, "gpu_util_mean")->value == 97);
    assert_true(get(&v, "mem_util_mean")->value == 40);
    const struct aib_prof_value *t = get(&v, "temperature_max");
    assert_true(t->valid && t->value >= 60 && t->value <= 64);
    assert_true(get(&v, "mem_used_max")->value == (double)(40ull << 30));
    assert_true(get(&v, "pcie_tx_mean")->value == 1024000.0);
    assert_true(get(&v, "pcie_rx_mean")->value == 2048000.0);
    const struct aib_prof_value *r = get(&v, "throttle_reasons");
    assert_true(r->valid && r->value == 12.0);
    assert_string_equal(r->note, "sw_power_cap, hw_slowdown");
    aib_prof_values_free(&v);

    struct aib_series_set s = {0};
    assert_int_equal(aib_prof_nvml.series(st, &s, &err), 0);
    const struct aib_series *sm = NULL;
    for (size_t i = 0; i < s.len; i++) {
        assert_string_equal(s.items[i].source, "nvml");
        assert_string_not_equal(s.items[i].name, "power"); /* never read: no series */
        if (strcmp(s.items[i].name, "sm_clock") == 0)
            sm = &s.items[i];
    }
    assert_non_null(sm);
    assert_int_equal(sm->n, (size_t)after_stop);
    for (size_t i = 1; i < sm->n; i++)
        assert_true(sm->t[i] > sm->t[i - 1]);
    assert_true(sm->min == 1980 && sm->max == 1980);
    aib_series_free(&s);
    aib_prof_nvml.close(st);
    assert_int_equal(n_shutdown, 1);
    aib_kv_free(&d.props);
}

static void test_init_fails_and_index_fallback(void **state)
{
    (void)state;
    struct aib_device d = gpu("0000:99:00.0"); /* no such bus: NVML by index */
    struct aib_prof_opts o = {.interval_s = 0.01};
    struct aib_err err = {0};
    void *st = NULL;
    n_samples = n_shutdown = 0;
    init_rc = 9;
    assert_int_equal(aib_nvml_open_api(&fake, &d, &o, &st, &err), 0);
    read_all_missing(st, "nvmlInit: Driver Not Loaded");
    aib_prof_nvml.close(st);
    assert_int_equal(n_shutdown, 0); /* init failed: nothing to shut down */

    init_rc = 0;
    assert_int_equal(aib_nvml_open_api(&fake, &d, &o, &st, &err), 0);
    assert_int_equal(aib_prof_nvml.start(st, &err), 0);
    assert_int_equal(aib_prof_nvml.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_nvml.read(st, &v, &err), 0);
    const struct aib_prof_value *e = get(&v, "energy");
    assert_true(e->valid);
    assert_string_equal(e->note, "NVML index 0 (no PCI bus id match)");
    aib_prof_values_free(&v);
    aib_prof_nvml.close(st);
    assert_int_equal(n_shutdown, 1);
    aib_kv_free(&d.props);
}

static void test_reason_names(void **state)
{
    (void)state;
    char buf[160];
    aib_nvml_reasons(0, buf, sizeof buf);
    assert_string_equal(buf, "none");
    aib_nvml_reasons(0x44, buf, sizeof buf);
    assert_string_equal(buf, "sw_power_cap, hw_thermal_slowdown");
    aib_nvml_reasons(1ull | (1ull << 40), buf, sizeof buf);
    assert_string_equal(buf, "gpu_idle, bit40");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_this_machine),
        cmocka_unit_test(test_library_path_missing),
        cmocka_unit_test(test_sampling_with_stand_in),
        cmocka_unit_test(test_init_fails_and_index_fallback),
        cmocka_unit_test(test_reason_names),
    };
    return cmocka_run_group_tests_name("nvml", tests, NULL, NULL);
}
