/* The CUDA plugin (build/aibench-cuda.so, or $AIB_PLUGIN_PATH) and the
 * CUDA workloads' checks, on a machine with or without a GPU: the ABI-2
 * table is complete; without a driver init and every job factory fail with
 * a reason (no crash) and discovery keeps nothing loaded; with a GPU a tiny
 * job runs and verifies. The validate hooks are tested on hand-made devices
 * of several compute capabilities: what the GPU cannot do is refused. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../bench/params.h"
#include "../../bench/registry.h"
#include "../../devices/cuda.h"

static const char *plugin_path(void)
{
    const char *p = getenv("AIB_PLUGIN_PATH");
    return p && p[0] ? p : "build/aibench-cuda.so";
}

static void test_table_and_no_driver(void **state)
{
    (void)state;
    const char *path = plugin_path();
    if (access(path, R_OK) != 0)
        fail_msg("%s is not built (nvcc missing? run make plugin)", path);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h)
        fail_msg("dlopen %s: %s", path, dlerror());
    aib_cuda_plugin_get_fn get = (aib_cuda_plugin_get_fn)dlsym(h, AIB_CUDA_PLUGIN_SYMBOL);
    assert_non_null(get);
    const struct aib_cuda_plugin *pl = get();
    assert_non_null(pl);
    assert_int_equal(pl->abi, AIB_CUDA_PLUGIN_ABI);
    assert_int_equal(AIB_CUDA_PLUGIN_ABI, 3);
    assert_non_null(pl->init);
    assert_non_null(pl->device_info);
    assert_non_null(pl->shutdown);
    assert_non_null(pl->matmul_create);
    assert_non_null(pl->conv_create);
    assert_non_null(pl->membw_create);
    assert_non_null(pl->transfer_create);
    assert_non_null(pl->job_run);
    assert_non_null(pl->job_verify);
    assert_non_null(pl->job_describe);
    assert_non_null(pl->job_destroy);

    char why[512] = "";
    int n = pl->init(why, sizeof why);
    struct aib_cuda_job *job = (struct aib_cuda_job *)&why; /* must be reset to NULL */
    struct aib_cuda_matmul_args mm = {.impl = AIB_CUDA_MM_CUBLAS, .precision = AIB_CUDA_FP32, .m = 64, .n = 64, .k = 64};
    if (n <= 0) {
        /* No GPU here: the reason is the driver's, and every factory says
         * why it cannot start instead of crashing. */
        assert_int_equal(n, -1);
        if (!strstr(why, "driver") && !strstr(why, "no CUDA device"))
            fail_msg("unexpected init reason: %s", why);
        why[0] = '\0';
        assert_int_equal(pl->matmul_create(0, &mm, &job, why, sizeof why), -1);
        assert_null(job);
        assert_non_null(strstr(why, "cudaSetDevice"));
        struct aib_cuda_conv_args cv = {AIB_CUDA_CONV_CUDNN, AIB_CUDA_FP32, 1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1};
        struct aib_cuda_membw_args bw = {AIB_MEMBW_TRIAD, 1 << 20};
        struct aib_cuda_transfer_args xf = {AIB_XFER_H2D, 1, 4096};
        job = (struct aib_cuda_job *)&why;
        assert_int_equal(pl->conv_create(0, &cv, &job, why, sizeof why), -1);
        assert_null(job);
        job = (struct aib_cuda_job *)&why;
        assert_int_equal(pl->membw_create(0, &bw, &job, why, sizeof why), -1);
        assert_null(job);
        job = (struct aib_cuda_job *)&why;
        assert_int_equal(pl->transfer_create(0, &xf, &job, why, sizeof why), -1);
        assert_null(job);
    } else {
        /* A GPU: a small cuBLAS product runs, is timed and verifies. */
        double secs = 0;
        if (pl->matmul_create(0, &mm, &job, why, sizeof why) != 0)
            fail_msg("matmul_create: %s", why);
        assert_int_equal(pl->job_run(job, 3, &secs, why, sizeof why), 0);
        assert_true(secs > 0);
        assert_int_equal(pl->job_verify(job, why, sizeof why), 0);
        pl->job_describe(job, why, sizeof why);
        assert_non_null(strstr(why, "cublasGemmEx"));
        pl->job_destroy(job);
    }
    /* Invalid arguments are refused before any device call. */
    struct aib_cuda_matmul_args bad = {.impl = AIB_CUDA_MM_NATIVE, .precision = AIB_CUDA_INT8, .m = 64, .n = 64, .k = 64};
    job = (struct aib_cuda_job *)&why;
    assert_int_equal(pl->matmul_create(0, &bad, &job, why, sizeof why), -1);
    assert_null(job);
    assert_non_null(strstr(why, "impl=native has no int8"));
    pl->job_destroy(NULL);
    why[0] = 'x';
    pl->job_describe(NULL, why, sizeof why);
    assert_string_equal(why, "");
    pl->shutdown();
    dlclose(h);
}

static void test_discovery_keeps_nothing_without_gpu(void **state)
{
    (void)state;
    struct aib_devlist l = {0};
    struct aib_err err = {0};
    assert_int_equal(setenv("AIBENCH_CUDA_PLUGIN", plugin_path(), 1), 0);
    assert_int_equal(aib_devices_discover(&l, AIB_DEV_CUDA, &err), 0);
    unsetenv("AIBENCH_CUDA_PLUGIN");
    assert_int_equal(l.nbackends, 1);
    if (l.len == 0) {
        assert_false(l.backends[0].available);
        assert_null(l.backends[0].ctx); /* unloaded again at once */
    } else {
        /* Every GPU carries the plugin, owned by the list until freed. */
        assert_non_null(l.backends[0].ctx);
        for (size_t i = 0; i < l.len; i++)
            assert_non_null(aib_cuda_plugin_of(&l.items[i]));
    }
    aib_devices_free(&l);
    assert_int_equal(l.nbackends, 0);
}

/* A CUDA device as discovery would describe it, without a plugin. */
static void fake_gpu(struct aib_device *d, const char *cc, uint64_t mem)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "cuda:0");
    snprintf(d->name, sizeof d->name, "Test GPU cc %s", cc);
    d->kind = AIB_DEV_CUDA;
    d->platform_index = -1;
    d->mem_bytes = mem;
    assert_int_equal(aib_kv_set(&d->props, "compute_capability", cc), 0);
}

/* validate() of workload `name` on a device with this compute capability
 * and memory: 0, or AIB_EUSAGE whose message must contain `says`. */
static void expect(const char *name, const char *cc, uint64_t mem, const char *kv, const char *says)
{
    const struct aib_workload_ops *w = aib_registry_find_for(name, AIB_DEV_CUDA);
    struct aib_device d;
    struct aib_err err = {0};
    char buf[256];
    assert_non_null(w);
    void *params = calloc(1, w->params.size);
    assert_non_null(params);
    fake_gpu(&d, cc, mem);
    assert_int_equal(aib_params_defaults(&w->params, params, &err), 0);
    snprintf(buf, sizeof buf, "%s", kv);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (aib_params_set(&w->params, params, tok, eq + 1, &err))
            fail_msg("%s: %s", name, err.msg);
    }
    int rc = w->validate(&d, params, &err);
    if (!says && rc != 0)
        fail_msg("%s %s on cc %s refused: %s", name, kv, cc, err.msg);
    if (says && rc != AIB_EUSAGE)
        fail_msg("%s %s on cc %s accepted (rc %d)", name, kv, cc, rc);
    if (says && !strstr(err.msg, says))
        fail_msg("%s %s on cc %s: '%s' does not say '%s'", name, kv, cc, err.msg, says);
    aib_kv_free(&d.props);
    free(params);
}

static void test_validate_by_capability(void **state)
{
    (void)state;
    const uint64_t gib80 = 80ull << 30, gib16 = 16ull << 30;
    /* H100-class: everything goes. */
    expect("matmul", "9.0", gib80, "precision=bf16 impl=native n=8192", NULL);
    expect("matmul", "9.0", gib80, "precision=fp8 impl=cublaslt n=8192", NULL);
    expect("matmul", "9.0", gib80, "precision=int8 impl=cublas n=4096", NULL);
    expect("matmul", "9.0", gib80, "precision=tf32 shape=llama7b-mlp-up-t2048", NULL);
    expect("conv", "9.0", gib80, "precision=bf16 impl=native layer=resnet50-res3a-branch2b", NULL);
    expect("membw", "9.0", gib80, "kernel=copy size=1G", NULL);
    expect("transfer", "9.0", gib80, "direction=d2d size=1G", NULL);
    /* Old GPUs: bf16/tf32 need 8.0, fp8 8.9. */
    expect("matmul", "7.5", gib16, "precision=bf16", "needs 8.0");
    expect("matmul", "7.5", gib16, "precision=tf32", "needs 8.0");
    expect("conv", "7.5", gib16, "precision=bf16", "needs 8.0");
    expect("matmul", "8.0", gib80, "precision=fp8 impl=cublaslt", "needs 8.9");
    expect("matmul", "8.0", gib80, "precision=bf16 impl=cublas", NULL);
    /* aibench's own kernels are sm_90 code: refused on older GPUs. */
    expect("matmul", "8.6", gib16, "precision=fp16 impl=native", "sm_90");
    expect("conv", "8.6", gib16, "impl=native", "sm_90");
    expect("membw", "8.6", gib16, "kernel=triad", "sm_90");
    expect("transfer", "8.6", gib16, "direction=d2h", "sm_90");
    expect("transfer", "8.6", gib16, "direction=h2d", NULL); /* cudaMemcpy only */
    /* Combinations no implementation has. */
    expect("matmul", "9.0", gib80, "precision=fp8 impl=cublas", "impl=cublaslt");
    expect("matmul", "9.0", gib80, "precision=tf32 impl=native", "impl=native has no tf32");
    expect("matmul", "9.0", gib80, "precision=int8 impl=native", "impl=native has no int8");
    expect("matmul", "9.0", gib80, "precision=fp8 impl=cublaslt n=1000", "multiples of 16");
    expect("matmul", "9.0", gib80, "precision=int8 n=1001", "multiples of 4");
    /* Larger than the GPU's memory. */
    expect("matmul", "9.0", gib16, "precision=fp64 n=40000", "GPU memory");
    expect("membw", "9.0", gib16, "kernel=triad size=30G", "GPU memory");
    expect("transfer", "9.0", gib16, "direction=d2d size=12G", "GPU memory");
    expect("conv", "9.0", gib16, "n=4096 c=512 h=112 w=112", "GPU memory");
    /* Shapes and layers by name. */
    expect("matmul", "9.0", gib80, "shape=nope", "built-in shapes");
    expect("conv", "9.0", gib80, "layer=nope", "built-in layers");
    expect("membw", "9.0", gib80, "size=1k", "too small");
    /* Not a discovered GPU at all. */
    const struct aib_workload_ops *w = aib_registry_find_for("matmul", AIB_DEV_CUDA);
    struct aib_device d = {.kind = AIB_DEV_CUDA};
    struct aib_err err = {0};
    char params[4096];
    snprintf(d.id, sizeof d.id, "cuda:3");
    assert_int_equal(aib_params_defaults(&w->params, params, &err), 0);
    assert_int_equal(w->validate(&d, params, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "compute capability unknown"));
}

static void test_setup_without_plugin(void **state)
{
    (void)state;
    static const char *const names[] = {"matmul", "conv", "membw", "transfer"};
    struct aib_device d;
    fake_gpu(&d, "9.0", 80ull << 30);
    assert_null(aib_cuda_plugin_of(&d));
    for (size_t i = 0; i < 4; i++) {
        const struct aib_workload_ops *w = aib_registry_find_for(names[i], AIB_DEV_CUDA);
        struct aib_err err = {0};
        char params[4096];
        void *st = &err; /* must stay untouched */
        assert_non_null(w);
        assert_int_equal(aib_params_defaults(&w->params, params, &err), 0);
        assert_int_equal(w->setup(&d, params, &st, &err), AIB_EUNAVAIL);
        assert_ptr_equal(st, &err);
        assert_non_null(strstr(err.msg, "plugin is not loaded"));
    }
    aib_kv_free(&d.props);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_and_no_driver),
        cmocka_unit_test(test_discovery_keeps_nothing_without_gpu),
        cmocka_unit_test(test_validate_by_capability),
        cmocka_unit_test(test_setup_without_plugin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
