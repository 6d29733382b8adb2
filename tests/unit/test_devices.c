/* Device discovery: cpu (hwloc), opencl (PoCL when installed), the CUDA
 * plugin loader (missing plugin, real plugin with or without a GPU), the
 * text/JSON views and the `devices` command's option handling. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../bench/cli.h"
#include "../../devices/device.h"

/* Reads a whole stream (rewound) into a malloc'ed string. */
static char *slurp(FILE *f)
{
    long n;
    char *s;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    s = calloc((size_t)n + 1, 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    return s;
}

static const struct aib_backend_status *backend(const struct aib_devlist *l, const char *name)
{
    for (size_t i = 0; i < l->nbackends; i++)
        if (strcmp(l->backends[i].name, name) == 0)
            return &l->backends[i];
    return NULL;
}

static void test_cpu(void **state)
{
    (void)state;
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_CPU, &err), 0);
    const struct aib_backend_status *st = backend(&l, "cpu");
    assert_non_null(st);
    assert_true(st->available);

    const struct aib_device *d = aib_devices_find(&l, "cpu");
    assert_non_null(d);
    assert_int_equal(d->kind, AIB_DEV_CPU);
    assert_int_equal(d->index, -1);
    assert_true(d->cores >= 1);
    assert_true(d->threads >= d->cores);
    assert_true(d->name[0] != '\0');
    assert_true(d->mem_bytes > 0);
    const char *model = aib_kv_get(&d->props, "model");
    assert_non_null(model);
    assert_true(model[0] != '\0');
    const char *keys[] = {"l1d", "l2", "memory", "memory_meminfo", "cores", "threads", "simd",
                          "max_freq", "freq_source", "governor", "peak_method", "numa_nodes"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!aib_kv_get(&d->props, keys[i]))
            fail_msg("cpu prop '%s' missing", keys[i]);
    }
    assert_int_equal(atoi(aib_kv_get(&d->props, "cores")), (int)d->cores);
    /* A peak is either derived (with its formula) or 0 with a reason. */
    const char *method = aib_kv_get(&d->props, "peak_method");
    if (d->peak_fp32_gflops > 0) {
        assert_non_null(strstr(method, "flop/cycle"));
        assert_true(d->peak_fp64_gflops > 0 && d->peak_fp64_gflops < d->peak_fp32_gflops);
    } else {
        assert_non_null(strstr(method, "unknown"));
    }
    /* Per-node devices only when there are several nodes. */
    int nodes = atoi(aib_kv_get(&d->props, "numa_nodes"));
    if (nodes <= 1)
        assert_int_equal(l.len, 1);
    aib_devices_free(&l);
    assert_int_equal(l.len, 0);
}

/* hwloc's synthetic topology (HWLOC_SYNTHETIC) stands in for a two-node
 * machine: one "cpu" for everything plus "cpu:0" and "cpu:1". */
static void test_cpu_numa_synthetic(void **state)
{
    (void)state;
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(setenv("HWLOC_SYNTHETIC", "pack:2 node:1 l3:1 core:4 pu:2", 1), 0);
    int rc = aib_devices_discover(&l, AIB_DEV_CPU, &err);
    unsetenv("HWLOC_SYNTHETIC");
    assert_int_equal(rc, 0);
    assert_int_equal(l.len, 3);
    const struct aib_device *all = aib_devices_find(&l, "cpu");
    const struct aib_device *n1 = aib_devices_find(&l, "cpu:1");
    assert_non_null(all);
    assert_non_null(aib_devices_find(&l, "cpu:0"));
    assert_non_null(n1);
    assert_int_equal(all->cores, 8);
    assert_int_equal(all->threads, 16);
    assert_int_equal(n1->cores, 4);
    assert_int_equal(n1->threads, 8);
    assert_int_equal(n1->index, 1);
    assert_string_equal(aib_kv_get(&all->props, "numa_nodes"), "2");
    assert_string_equal(aib_kv_get(&n1->props, "l3"), "16 MiB x 1 (shared by 4 cores)");
    assert_string_equal(aib_kv_get(&all->props, "l3"), "16 MiB x 2 (shared by 4 cores)");
    aib_devices_free(&l);
}

static void test_kind_and_find(void **state)
{
    (void)state;
    assert_int_equal(aib_device_kind_of_id("cpu"), AIB_DEV_CPU);
    assert_int_equal(aib_device_kind_of_id("cpu:1"), AIB_DEV_CPU);
    assert_int_equal(aib_device_kind_of_id("opencl:0:1"), AIB_DEV_OPENCL);
    assert_int_equal(aib_device_kind_of_id("cuda:3"), AIB_DEV_CUDA);
    assert_int_equal(aib_device_kind_of_id("cuda"), AIB_DEV_CUDA);
    assert_int_equal(aib_device_kind_of_id("gpu"), 0);
    assert_int_equal(aib_device_kind_of_id("cpux"), 0);
    assert_int_equal(aib_device_kind_of_id("cpu:"), 0);
    assert_int_equal(aib_device_kind_of_id(""), 0);
    assert_int_equal(aib_device_kind_of_id(NULL), 0);

    /* Ownership of props moves into the list; growth keeps them intact. */
    struct aib_devlist l = {0};
    for (int i = 0; i < 20; i++) {
        struct aib_device d = {.kind = AIB_DEV_CUDA, .index = i, .platform_index = -1};
        snprintf(d.id, sizeof d.id, "cuda:%d", i);
        snprintf(d.name, sizeof d.name, "fake %d", i);
        assert_int_equal(aib_kv_setf(&d.props, "sms", "%d", i * 2), 0);
        assert_int_equal(aib_devlist_add(&l, &d), 0);
        assert_int_equal(d.props.len, 0);
    }
    const struct aib_device *d = aib_devices_find(&l, "cuda:13");
    assert_non_null(d);
    assert_int_equal(d->index, 13);
    assert_string_equal(aib_kv_get(&d->props, "sms"), "26");
    assert_null(aib_devices_find(&l, "cuda:20"));
    assert_null(aib_devices_find(&l, NULL));
    aib_devices_free(&l);
}

static bool contains_ci(const char *hay, const char *needle)
{
    for (size_t n = strlen(needle); hay && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static void test_opencl_pocl(void **state)
{
    (void)state;
    if (access("/etc/OpenCL/vendors/pocl.icd", F_OK) != 0)
        skip();
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_OPENCL, &err), 0);
    const struct aib_backend_status *st = backend(&l, "opencl");
    assert_non_null(st);
    assert_true(st->available);
    const struct aib_device *pocl = NULL;
    for (size_t i = 0; i < l.len; i++) {
        const struct aib_device *d = &l.items[i];
        assert_int_equal(d->kind, AIB_DEV_OPENCL);
        assert_int_equal(aib_device_kind_of_id(d->id), AIB_DEV_OPENCL);
        if (contains_ci(aib_kv_get(&d->props, "platform"), "Portable") ||
            contains_ci(aib_kv_get(&d->props, "vendor"), "pocl"))
            pocl = d;
    }
    if (!pocl)
        fail_msg("no PoCL device among %zu OpenCL devices (reason: %s)", l.len, st->reason);
    assert_string_equal(aib_kv_get(&pocl->props, "profiling"), "yes");
    assert_true(pocl->cores >= 1);
    assert_true(pocl->mem_bytes > 0);
    assert_true(pocl->platform_index >= 0 && pocl->index >= 0);
    assert_non_null(aib_kv_get(&pocl->props, "fp64"));
    assert_non_null(aib_kv_get(&pocl->props, "max_alloc"));
    aib_devices_free(&l);
}

static void test_cuda_missing_plugin(void **state)
{
    (void)state;
    const char *path = "/nonexistent/aib-test-dir/aibench-cuda.so";
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(setenv("AIBENCH_CUDA_PLUGIN", path, 1), 0);
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_CUDA, &err), 0);
    unsetenv("AIBENCH_CUDA_PLUGIN");
    const struct aib_backend_status *st = backend(&l, "cuda");
    assert_non_null(st);
    assert_false(st->available);
    assert_non_null(strstr(st->reason, path));
    assert_int_equal(l.len, 0);

    /* The text view names the backend and the reason on one line. */
    FILE *f = tmpfile();
    assert_non_null(f);
    aib_devices_print(&l, f);
    char *s = slurp(f);
    assert_non_null(strstr(s, "cuda: unavailable: CUDA plugin not found at /nonexistent/"));
    free(s);
    fclose(f);
    aib_devices_free(&l);
}

static void test_cuda_real_plugin(void **state)
{
    (void)state;
    const char *path = getenv("AIB_PLUGIN_PATH");
    if (!path || !path[0])
        path = "build/aibench-cuda.so";
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "test_cuda_real_plugin: %s not built, skipping\n", path);
        skip();
    }
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(setenv("AIBENCH_CUDA_PLUGIN", path, 1), 0);
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_CUDA, &err), 0);
    unsetenv("AIBENCH_CUDA_PLUGIN");
    const struct aib_backend_status *st = backend(&l, "cuda");
    assert_non_null(st);
    if (st->available) {
        /* A machine with a GPU: the plugin must describe it. */
        assert_true(l.len >= 1);
        const struct aib_device *d = aib_devices_find(&l, "cuda:0");
        assert_non_null(d);
        assert_true(d->cores > 0);
        assert_true(d->mem_bytes > 0);
        assert_non_null(aib_kv_get(&d->props, "compute_capability"));
        assert_non_null(aib_kv_get(&d->props, "pcie"));
    } else {
        /* Loaded fine (not a dlopen or ABI problem) but no driver/GPU. */
        assert_int_equal(l.len, 0);
        if (!strstr(st->reason, "driver") && !strstr(st->reason, "no CUDA device"))
            fail_msg("unexpected reason: %s", st->reason);
        assert_null(strstr(st->reason, "cannot load"));
        assert_null(strstr(st->reason, "ABI"));
    }
    aib_devices_free(&l);
}

static void test_json_and_text(void **state)
{
    (void)state;
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(setenv("AIBENCH_CUDA_PLUGIN", "/nonexistent/aibench-cuda.so", 1), 0);
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_ALL, &err), 0);
    unsetenv("AIBENCH_CUDA_PLUGIN");
    assert_int_equal(l.nbackends, 3);

    FILE *f = tmpfile();
    assert_non_null(f);
    struct aib_json j;
    aib_json_init(&j, f, true);
    aib_devices_json(&l, &j);
    aib_json_finish(&j);
    char *s = slurp(f);
    fclose(f);
    assert_non_null(strstr(s, "\"id\": \"cpu\""));
    assert_non_null(strstr(s, "\"kind\": \"cpu\""));
    assert_non_null(strstr(s, "\"props\": {"));
    assert_non_null(strstr(s, "\"backends\": ["));
    assert_non_null(strstr(s, "\"name\": \"cuda\""));
    assert_non_null(strstr(s, "\"available\": false"));
    /* Balanced brackets outside strings: a cheap structural check. */
    int depth = 0;
    bool in_str = false;
    for (const char *p = s; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
        } else if (*p == '"') {
            in_str = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            assert_true(--depth >= 0);
        }
    }
    assert_false(in_str);
    assert_int_equal(depth, 0);
    free(s);

    f = tmpfile();
    assert_non_null(f);
    aib_devices_print(&l, f);
    s = slurp(f);
    fclose(f);
    assert_int_equal(strncmp(s, "cpu  ", 5), 0);
    assert_non_null(strstr(s, "\n  cores: "));
    assert_non_null(strstr(s, "\ncuda: unavailable: "));
    free(s);
    aib_devices_free(&l);
}

/* The command, as the CLI calls it, with in-memory streams. */
static int run_cmd(char **argv, int argc, char **out, char **errs)
{
    FILE *o = tmpfile(), *e = tmpfile();
    assert_non_null(o);
    assert_non_null(e);
    struct aib_cli cli = {.out = o, .errf = e, .exe_dir = "."};
    int rc = aib_cmd_devices(&cli, argc, argv);
    *out = slurp(o);
    *errs = slurp(e);
    fclose(o);
    fclose(e);
    return rc;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_cmd(void **state)
{
    (void)state;
    char *o, *e;
    char *help[] = {"devices", "--help"};
    assert_int_equal(run_cmd(help, 2, &o, &e), 0);
    assert_non_null(strstr(o, "--json"));
    assert_non_null(strstr(o, "--kind"));
    assert_non_null(strstr(o, "--help"));
    free(o);
    free(e);

    char *bogus[] = {"devices", "--bogus"};
    assert_int_equal(run_cmd(bogus, 2, &o, &e), 2);
    assert_int_equal(count_lines(e), 1);
    assert_non_null(strstr(e, "--bogus"));
    assert_string_equal(o, "");
    free(o);
    free(e);

    char *badkind[] = {"devices", "--kind", "cpu,tpu"};
    assert_int_equal(run_cmd(badkind, 3, &o, &e), 2);
    assert_int_equal(count_lines(e), 1);
    assert_non_null(strstr(e, "tpu"));
    free(o);
    free(e);

    char *nokind[] = {"devices", "--kind"};
    assert_int_equal(run_cmd(nokind, 2, &o, &e), 2);
    assert_int_equal(count_lines(e), 1);
    free(o);
    free(e);

    char *cpujson[] = {"devices", "--kind=cpu", "--json"};
    assert_int_equal(run_cmd(cpujson, 3, &o, &e), 0);
    assert_non_null(strstr(o, "\"id\": \"cpu\""));
    assert_null(strstr(o, "opencl:"));
    assert_null(strstr(o, "\"name\": \"cuda\""));
    assert_string_equal(e, "");
    free(o);
    free(e);

    char *two[] = {"devices", "--kind", "cpu", "--kind", "cuda"};
    assert_int_equal(setenv("AIBENCH_CUDA_PLUGIN", "/nonexistent/aibench-cuda.so", 1), 0);
    assert_int_equal(run_cmd(two, 5, &o, &e), 0);
    unsetenv("AIBENCH_CUDA_PLUGIN");
    assert_int_equal(strncmp(o, "cpu  ", 5), 0);
    assert_non_null(strstr(o, "cuda: unavailable: "));
    assert_null(strstr(o, "opencl"));
    free(o);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_cpu_numa_synthetic),
        cmocka_unit_test(test_kind_and_find),
        cmocka_unit_test(test_opencl_pocl),
        cmocka_unit_test(test_cuda_missing_plugin),
        cmocka_unit_test(test_cuda_real_plugin),
        cmocka_unit_test(test_json_and_text),
        cmocka_unit_test(test_cmd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
