/* Parameters as data, sweeps and device selection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/plan.h"
#include "../../bench/registry.h"

struct p {
    int64_t n;
    int64_t size;
    double x;
    int prec;
    char name[AIB_PARAM_STR_MAX];
};
static const struct aib_param decl[] = {
    {"n", AIB_PT_INT, offsetof(struct p, n), "8", 1, 100, NULL, "count"},
    {"size", AIB_PT_SIZE, offsetof(struct p, size), "4k", 1, 1e12, NULL, "bytes"},
    {"x", AIB_PT_DOUBLE, offsetof(struct p, x), "0.5", 0, 1, NULL, "fraction"},
    {"prec", AIB_PT_ENUM, offsetof(struct p, prec), "fp32", 0, 0, "fp32|fp64|bf16", "type"},
    {"name", AIB_PT_STR, offsetof(struct p, name), "abc", 0, 0, NULL, "label"},
};
static const struct aib_param_set ps = {"toy", decl, 5, sizeof(struct p)};

static void test_defaults_and_format(void **state)
{
    (void)state;
    struct p v;
    struct aib_err err = {0};
    assert_int_equal(aib_params_defaults(&ps, &v, &err), 0);
    assert_int_equal(v.n, 8);
    assert_int_equal(v.size, 4096);
    assert_int_equal(v.prec, 0);
    char buf[256];
    aib_params_format(&ps, &v, buf, sizeof buf);
    assert_string_equal(buf, "n=8,size=4096,x=0.5,prec=fp32,name=abc");
    assert_int_equal(aib_params_set(&ps, &v, "prec", "bf16", &err), 0);
    assert_int_equal(aib_params_set(&ps, &v, "size", "1G", &err), 0);
    assert_int_equal(v.size, 1073741824);
    assert_int_equal(aib_params_set(&ps, &v, "size", "64KiB", &err), 0);
    assert_int_equal(v.size, 65536);
    aib_params_format(&ps, &v, buf, sizeof buf);
    assert_string_equal(buf, "n=8,size=65536,x=0.5,prec=bf16,name=abc");
}

static void test_bad_values(void **state)
{
    (void)state;
    struct p v;
    struct aib_err err = {0};
    aib_params_defaults(&ps, &v, &err);
    assert_int_equal(aib_params_set(&ps, &v, "n", "0", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(aib_params_set(&ps, &v, "n", "-3", &err), AIB_EUSAGE);
    assert_int_equal(aib_params_set(&ps, &v, "n", "12abc", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "12abc"));
    assert_int_equal(aib_params_set(&ps, &v, "n", "99999999999999999999999", &err), AIB_EUSAGE);
    assert_int_equal(aib_params_set(&ps, &v, "size", "1Q", &err), AIB_EUSAGE);
    assert_int_equal(aib_params_set(&ps, &v, "size", "9999999999T", &err), AIB_EUSAGE);
    assert_int_equal(aib_params_set(&ps, &v, "x", "nan", &err), AIB_EUSAGE);
    assert_int_equal(aib_params_set(&ps, &v, "prec", "fp8", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "fp32|fp64|bf16"));
    assert_int_equal(aib_params_set(&ps, &v, "nope", "1", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown parameter 'nope' for toy"));
    assert_int_equal(v.n, 8); /* failed sets leave the value alone */
}

static void test_pspec(void **state)
{
    (void)state;
    struct aib_pspec s;
    struct aib_err err = {0};
    assert_int_equal(aib_pspec_parse("n=1,2,3", NULL, &s, &err), 0);
    assert_string_equal(s.key, "n");
    assert_int_equal(s.nvalues, 3);
    assert_string_equal(s.values[2], "3");
    aib_pspec_free(&s);
    assert_int_equal(aib_pspec_parse("n", NULL, &s, &err), AIB_EUSAGE);
    assert_int_equal(aib_pspec_parse("=4", NULL, &s, &err), AIB_EUSAGE);
    assert_int_equal(aib_pspec_parse("n=1,,2", NULL, &s, &err), AIB_EUSAGE);
    assert_int_equal(aib_pspec_parse("n=", NULL, &s, &err), AIB_EUSAGE);
}

static struct aib_devlist make_devs(void)
{
    struct aib_devlist l = {0};
    struct aib_device d = {.kind = AIB_DEV_CPU, .cores = 2, .threads = 2, .mem_bytes = 1ULL << 30};
    strcpy(d.id, "cpu");
    strcpy(d.name, "test cpu");
    assert_int_equal(aib_devlist_add(&l, &d), 0);
    struct aib_device g = {.kind = AIB_DEV_CUDA, .cores = 132, .mem_bytes = 80ULL << 30};
    strcpy(g.id, "cuda:0");
    assert_int_equal(aib_devlist_add(&l, &g), 0);
    return l;
}

static void test_sweep_cross_product(void **state)
{
    (void)state;
    struct aib_devlist devs = make_devs();
    const struct aib_workload_ops *mm = aib_registry_find("matmul");
    assert_non_null(mm);
    struct aib_pspec specs[2];
    struct aib_err err = {0};
    assert_int_equal(aib_pspec_parse("n=16,32,64", NULL, &specs[0], &err), 0);
    assert_int_equal(aib_pspec_parse("precision=fp32,fp64", NULL, &specs[1], &err), 0);
    struct aib_plan plan = {0};
    assert_int_equal(aib_plan_add_sweep(&plan, mm, &devs.items[0], specs, 2, "t", &err), 0);
    assert_int_equal(plan.len, 6);
    assert_non_null(strstr(plan.items[0].params_str, "n=16,"));
    assert_non_null(strstr(plan.items[0].params_str, "precision=fp32"));
    assert_non_null(strstr(plan.items[1].params_str, "precision=fp64"));
    assert_non_null(strstr(plan.items[5].params_str, "n=64,"));
    aib_plan_free(&plan);

    /* A value too large for the device's memory is refused before running. */
    aib_pspec_free(&specs[0]);
    assert_int_equal(aib_pspec_parse("n=60000", NULL, &specs[0], &err), 0);
    assert_int_equal(aib_plan_add_sweep(&plan, mm, &devs.items[0], specs, 1, "t", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "GiB"));
    aib_plan_free(&plan);
    aib_pspec_free(&specs[0]);
    aib_pspec_free(&specs[1]);
    aib_devices_free(&devs);
}

static void test_select(void **state)
{
    (void)state;
    struct aib_devlist devs = make_devs();
    const struct aib_device *out[8];
    struct aib_err err = {0};
    assert_int_equal(aib_devices_select(&devs, "cpu", AIB_DEV_ALL, out, 8, &err), 1);
    assert_int_equal(aib_devices_select(&devs, "all", AIB_DEV_ALL, out, 8, &err), 2);
    assert_int_equal(aib_devices_select(&devs, "all", AIB_DEV_CPU, out, 8, &err), 1);
    assert_int_equal(aib_devices_select(&devs, "cuda:*", AIB_DEV_ALL, out, 8, &err), 1);
    assert_string_equal(out[0]->id, "cuda:0");
    assert_int_equal(aib_devices_select(&devs, "cuda:3", AIB_DEV_ALL, out, 8, &err), 0);
    assert_int_equal(aib_devices_select(&devs, "opencl:*", AIB_DEV_ALL, out, 8, &err), 0);
    assert_int_equal(aib_devices_select(&devs, "tpu:0", AIB_DEV_ALL, out, 8, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "tpu:0"));
    aib_devices_free(&devs);
}

static void test_registry(void **state)
{
    (void)state;
    struct aib_err err = {0};
    assert_int_equal(aib_registry_check(&err), 0);
    assert_null(aib_registry_find("nosuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_format), cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_pspec),               cmocka_unit_test(test_sweep_cross_product),
        cmocka_unit_test(test_select),              cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
