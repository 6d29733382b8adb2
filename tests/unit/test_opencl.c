/* OpenCL helpers and every OpenCL workload, on the real PoCL CPU device
 * (pocl-opencl-icd, installed by scripts/install-deps.sh): builds that fail
 * report the compiler's log, limits come from the device, half conversion
 * is exact, and each workload refuses an unwritten output, then computes,
 * verifies and reports its device-timed figures. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/params.h"
#include "../../bench/registry.h"
#include "../../workloads/opencl_common.h"

struct fx {
    struct aib_devlist devs;
    const struct aib_device *pocl;
};

static int group_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct aib_err err = {0};
    if (!f)
        return -1;
    if (aib_devices_discover(&f->devs, AIB_DEV_OPENCL, &err) != 0) {
        free(f);
        return -1;
    }
    for (size_t i = 0; i < f->devs.len && !f->pocl; i++) {
        const char *plat = aib_kv_get(&f->devs.items[i].props, "platform");
        if (plat && strstr(plat, "Portable Computing Language"))
            f->pocl = &f->devs.items[i];
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct fx *f = *state;
    aib_devices_free(&f->devs);
    free(f);
    return 0;
}

static const struct aib_device *pocl(void **state)
{
    struct fx *f = *state;
    if (!f->pocl)
        fail_msg("no PoCL OpenCL device: install pocl-opencl-icd (scripts/install-deps.sh)");
    return f->pocl;
}

struct tctx {
    cl_command_queue q;
    cl_kernel k;
    size_t n;
    const size_t *lws;
};

static cl_int tenq(void *ctx, cl_event *ev)
{
    struct tctx *c = ctx;
    return clEnqueueNDRangeKernel(c->q, c->k, 1, NULL, &c->n, c->lws, 0, NULL, ev);
}

static void test_build_log_on_error(void **state)
{
    struct aib_cl cl;
    struct aib_err err = {0};
    cl_program p = NULL;
    assert_int_equal(aib_cl_open(pocl(state), &cl, &err), 0);
    const char *bad = "__kernel void aib_broken(__global float *x) { x[0] = undeclared_thing + 1.0f; }\n";
    assert_int_equal(aib_cl_build(&cl, bad, "-DWHATEVER=1", &p, &err), AIB_ERUN);
    assert_null(p);
    /* One line naming the failure, the options and the compiler's own words. */
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "CL_BUILD_PROGRAM_FAILURE"));
    assert_non_null(strstr(err.msg, "build log:"));
    assert_non_null(strstr(err.msg, "-DWHATEVER=1"));
    assert_non_null(strstr(err.msg, "undeclared_thing"));
    assert_non_null(strstr(err.msg, "error"));

    /* A good program builds; a kernel that is not in it is named. */
    const char *good = "__kernel void aib_fine(__global float *x) { x[get_global_id(0)] *= 2.0f; }\n";
    cl_kernel k = NULL;
    assert_int_equal(aib_cl_build(&cl, good, "", &p, &err), 0);
    assert_non_null(p);
    assert_int_not_equal(aib_cl_kernel(&cl, p, "aib_missing", &k, &err), 0);
    assert_non_null(strstr(err.msg, "aib_missing"));
    assert_non_null(strstr(err.msg, "CL_INVALID_KERNEL_NAME"));
    assert_int_equal(aib_cl_kernel(&cl, p, "aib_fine", &k, &err), 0);

    /* Timing with profiling events: 3 runs of a real kernel take time. */
    cl_mem buf;
    size_t n = 1 << 20;
    assert_int_equal(aib_cl_buffer(&cl, CL_MEM_READ_WRITE, n * sizeof(float), "x", &buf, &err), 0);
    assert_int_equal(clSetKernelArg(k, 0, sizeof buf, &buf), CL_SUCCESS);
    struct tctx c = {cl.q, k, n, NULL};
    double secs = 0;
    assert_int_equal(aib_cl_timed(&cl, 1, tenq, &c, "aib_fine", &secs, &err), 0);
    assert_true(secs > 0);
    assert_int_equal(aib_cl_timed(&cl, 3, tenq, &c, "aib_fine", &secs, &err), 0);
    assert_true(secs > 0);
    /* An enqueue the driver refuses is reported with its code. */
    const size_t too_big = cl.info.max_wg * 2;
    c.lws = &too_big;
    assert_int_equal(aib_cl_timed(&cl, 2, tenq, &c, "aib_fine", &secs, &err), AIB_ERUN);
    assert_non_null(strstr(err.msg, "CL_INVALID_WORK_GROUP_SIZE"));
    /* Over the max allocation: refused before the driver is asked. */
    cl_mem big = NULL;
    assert_int_equal(aib_cl_buffer(&cl, 0, (size_t)cl.info.max_alloc + 1, "big", &big, &err), AIB_EUSAGE);
    assert_null(big);
    assert_non_null(strstr(err.msg, "maximum allocation"));
    clReleaseMemObject(buf);
    clReleaseKernel(k);
    clReleaseProgram(p);
    aib_cl_close(&cl);
}

static void test_limits_and_checks(void **state)
{
    const struct aib_device *d = pocl(state);
    struct aib_cl_info info;
    struct aib_err err = {0};
    assert_int_equal(aib_cl_query(d, &info, &err), 0);
    assert_true(info.type & CL_DEVICE_TYPE_CPU);
    assert_true(info.max_alloc > 0 && info.max_alloc <= info.global_mem);
    /* Debian's PoCL: no cl_khr_fp16, fp64 yes. */
    assert_false(info.fp16);
    assert_true(info.fp64);
    assert_int_equal(aib_cl_check_prec(d, &info, "fp16", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "cl_khr_fp16"));
    assert_int_equal(aib_cl_check_prec(d, &info, "fp64", &err), 0);
    assert_int_equal(aib_cl_check_prec(d, &info, "fp32", &err), 0);
    assert_int_equal(aib_cl_check_mem(d, &info, (double)info.max_alloc * 2, (double)info.max_alloc * 2, "x", &err),
                     AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "maximum allocation"));
    assert_int_equal(aib_cl_check_mem(d, &info, 1024, (double)info.global_mem, "x", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "global memory"));
    assert_int_equal(aib_cl_check_mem(d, &info, 1024, 4096, "x", &err), 0);

    /* A device that is not OpenCL, or not there, is refused. */
    struct aib_device fake = *d;
    fake.index = 99;
    assert_int_equal(aib_cl_query(&fake, &info, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "not an OpenCL device"));
}

static void test_half_conversion(void **state)
{
    (void)state;
    static const struct {
        float f;
        uint16_t h;
    } cases[] = {{0.0f, 0x0000},      {-0.0f, 0x8000},       {1.0f, 0x3c00},        {-2.0f, 0xc000},
                 {65504.0f, 0x7bff},  {65520.0f, 0x7c00},    {0x1p-24f, 0x0001},    {0x1p-14f, 0x0400},
                 {1.0009765625f, 0x3c01}, {1.00048828125f, 0x3c00}, {1.00146484375f, 0x3c02}, {0.1f, 0x2e66}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (aib_half_from_float(cases[i].f) != cases[i].h)
            fail_msg("half(%a) = %#x, want %#x", (double)cases[i].f, aib_half_from_float(cases[i].f), cases[i].h);
    /* Every finite half survives the round trip. */
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = aib_half_to_float((uint16_t)h);
        if (isnan(f))
            continue;
        if (aib_half_from_float(f) != h)
            fail_msg("round trip of %#x gave %#x", h, aib_half_from_float(f));
    }
    assert_true(isnan(aib_half_to_float(0x7e00)));
    assert_true(isinf(aib_half_to_float(0x7c00)));
}

/* One workload through its hooks: validate, setup, an unwritten output is
 * a wrong answer, then run, verify and the device-timed metrics. */
static void check_workload(void **state, const char *name, const char *const *kv, size_t nkv, double *tput)
{
    const struct aib_device *d = pocl(state);
    const struct aib_workload_ops *w = aib_registry_find_for(name, AIB_DEV_OPENCL);
    struct aib_err err = {0};
    void *params, *st = NULL;
    assert_non_null(w);
    assert_non_null(params = calloc(1, w->params.size));
    assert_int_equal(aib_params_defaults(&w->params, params, &err), 0);
    for (size_t i = 0; i < nkv; i += 2)
        if (aib_params_set(&w->params, params, kv[i], kv[i + 1], &err))
            fail_msg("%s: %s", name, err.msg);
    if (w->validate(d, params, &err) || w->setup(d, params, &st, &err))
        fail_msg("%s: %s", name, err.msg);
    if (w->verify(st, &err) != AIB_EVERIFY)
        fail_msg("%s: an output never computed passed verification", name);
    assert_non_null(strstr(err.msg, "wrong answer"));
    if (w->run(st, 1, &err) || w->verify(st, &err) || w->run(st, 3, &err) || w->verify(st, &err))
        fail_msg("%s: %s", name, err.msg);
    struct aib_result r = {0};
    struct aib_work work;
    w->work(params, &work);
    assert_int_equal(w->metrics(st, &r, &err), 0);
    const struct aib_metric *t = aib_result_metric(&r, "device_time");
    const struct aib_metric *g = aib_result_metric(&r, "device_throughput");
    assert_non_null(t);
    assert_non_null(g);
    assert_true(t->valid && t->value > 0);
    assert_true(g->valid && g->value > 0);
    assert_string_equal(g->unit, work.flops > 0 ? "GFLOP/s" : "GB/s");
    assert_true(fabs(g->value - (work.flops > 0 ? work.flops : work.bytes) / t->value / 1e9) < 1e-6 * g->value);
    if (tput)
        *tput = g->value;
    aib_result_free(&r);
    w->teardown(st);
    free(params);
}

static void test_matmul(void **state)
{
    const char *const sizes[][6] = {{"n", "64", "precision", "fp32"}, {"n", "100", "m", "37", "k", "70"}};
    check_workload(state, "matmul", sizes[0], 4, NULL);
    check_workload(state, "matmul", sizes[1], 6, NULL); /* padded on every side */
    const char *const f64[] = {"n", "96", "k", "33", "precision", "fp64"};
    check_workload(state, "matmul", f64, 6, NULL);
    const char *const shape[] = {"shape", "bert-large-attn-score-s512"};
    check_workload(state, "matmul", shape, 2, NULL);
}

static void test_conv(void **state)
{
    const char *const plain[] = {"c", "8", "h", "12", "w", "10", "k", "16"};
    check_workload(state, "conv", plain, 8, NULL);
    const char *const strided[] = {"n", "2", "c", "6", "h", "9", "w", "11", "k", "4",
                                   "r", "5", "s", "3", "stride", "2", "pad", "2", "dilation", "2"};
    check_workload(state, "conv", strided, 20, NULL);
    const char *const stride3[] = {"c", "5", "h", "17", "w", "23", "k", "6", "stride", "3", "pad", "0"};
    check_workload(state, "conv", stride3, 12, NULL); /* the gathering path, 2 channels a work-item */
    const char *const depthwise[] = {"c", "12", "k", "12", "groups", "12", "h", "7", "w", "7"};
    check_workload(state, "conv", depthwise, 10, NULL);
}

static void test_membw(void **state)
{
    static const char *const kernels[] = {"read", "copy", "scale", "add", "triad"};
    for (size_t i = 0; i < 5; i++) {
        const char *const kv[] = {"kernel", kernels[i], "size", "3M"};
        check_workload(state, "membw", kv, 4, NULL);
    }
}

static void test_transfer(void **state)
{
    static const char *const dirs[] = {"h2d", "d2h", "d2d"};
    static const char *const mems[] = {"pageable", "pinned"};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 2; j++) {
            const char *const kv[] = {"direction", dirs[i], "memory", mems[j], "size", j ? "4k" : "1000003"};
            check_workload(state, "transfer", kv, 6, NULL);
        }
}

/* What a device cannot do is refused by validate, before anything runs.
 * Sizes come from the device's own limits (PoCL derives them from the
 * machine's memory). */
static void test_bad_input(void **state)
{
    const struct aib_device *d = pocl(state);
    struct aib_cl_info info;
    struct aib_err err = {0};
    char over[32], mm_n[32], three[32];
    assert_int_equal(aib_cl_query(d, &info, &err), 0);
    snprintf(over, sizeof over, "%llu", (unsigned long long)info.max_alloc + 64);
    snprintf(three, sizeof three, "%llu", (unsigned long long)info.max_alloc * 4); /* triad: 3 arrays */
    snprintf(mm_n, sizeof mm_n, "%d", (int)sqrt((double)info.max_alloc / 4) + 64);
    const struct {
        const char *workload, *key, *value, *says;
    } cases[] = {
        {"matmul", "precision", "fp16", "cl_khr_fp16"},
        {"conv", "precision", "fp16", "cl_khr_fp16"},
        {"matmul", "n", mm_n, "maximum allocation"},
        {"transfer", "size", over, "maximum allocation"},
        {"membw", "size", three, "maximum allocation"},
        {"membw", "size", "8k", "too small"},
        {"matmul", "shape", "nonsense", "built-in shapes"},
        {"conv", "layer", "nonsense", "built-in layers"},
        {"conv", "groups", "5", "must divide"},
        {"conv", "r", "200", "empty output"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct aib_workload_ops *w = aib_registry_find_for(cases[i].workload, AIB_DEV_OPENCL);
        void *params = calloc(1, w->params.size);
        assert_non_null(params);
        assert_int_equal(aib_params_defaults(&w->params, params, &err), 0);
        assert_int_equal(aib_params_set(&w->params, params, cases[i].key, cases[i].value, &err), 0);
        if (w->validate(d, params, &err) != AIB_EUSAGE)
            fail_msg("%s %s=%s was accepted", cases[i].workload, cases[i].key, cases[i].value);
        if (!strstr(err.msg, cases[i].says))
            fail_msg("%s %s=%s: '%s' does not say '%s'", cases[i].workload, cases[i].key, cases[i].value, err.msg,
                     cases[i].says);
        free(params);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_log_on_error), cmocka_unit_test(test_limits_and_checks),
        cmocka_unit_test(test_half_conversion),    cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_conv),               cmocka_unit_test(test_membw),
        cmocka_unit_test(test_transfer),           cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
