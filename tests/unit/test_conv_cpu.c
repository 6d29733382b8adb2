/* The CPU conv workload: im2col+GEMM and direct, NCHW and NHWC, over shapes
 * with strides, padding, dilation and groups, all checked element by
 * element against the naive double-precision reference; the layer table;
 * bad shapes refused. The workload file is included to reach its hooks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../workloads/conv/conv_cpu.c"

static struct aib_device cpu_dev(void)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .index = -1, .cores = 2, .threads = 2,
                           .mem_bytes = (uint64_t)8 << 30};
    strcpy(d.id, "cpu");
    return d;
}

/* n, c, h, w, k, r, s, stride, pad, dilation, groups */
static const int64_t shapes[][11] = {
    {1, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1},  /* odd sizes, padded */
    {2, 4, 8, 7, 6, 3, 2, 2, 0, 1, 2},   /* batch, stride, groups, non-square filter */
    {1, 6, 10, 10, 6, 3, 3, 1, 2, 2, 6}, /* depthwise, dilated */
    {3, 8, 5, 5, 4, 1, 1, 1, 0, 1, 1},   /* pointwise: no column buffer */
    {1, 8, 6, 9, 4, 1, 1, 2, 0, 1, 2},   /* 1x1 with stride and groups */
    {2, 5, 13, 6, 3, 5, 4, 3, 2, 1, 1},  /* stride 3, wide padding */
    {1, 2, 3, 3, 2, 3, 3, 1, 0, 1, 1},   /* a single output pixel */
    {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},   /* trivial */
    {1, 4, 15, 15, 8, 7, 7, 2, 3, 1, 1}, /* like ResNet-50's conv1 */
    {1, 2, 2, 3, 3, 5, 5, 1, 2, 1, 1},   /* "same" padding, taps wholly outside */
};

static struct conv_params params_of(const int64_t *v, int layout, int impl)
{
    struct conv_params p = {.n = v[0], .c = v[1], .h = v[2], .w = v[3], .k = v[4], .r = v[5],
                            .s = v[6], .stride = v[7], .pad = v[8], .dilation = v[9],
                            .groups = v[10], .layout = layout, .impl = impl, .threads = 2};
    strcpy(p.layer, "none");
    return p;
}

static void test_every_shape_layout_impl(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (int layout = 0; layout < 2; layout++) {
            for (int impl = IMPL_IM2COL; impl <= IMPL_DIRECT; impl++) {
                struct conv_params p = params_of(shapes[i], layout, impl);
                p.threads = 1 + (int64_t)(i % 3);
                void *st;
                assert_int_equal(conv_validate(&dev, &p, &err), 0);
                assert_int_equal(conv_setup(&dev, &p, &st, &err), 0);
                assert_int_equal(conv_run(st, 2, &err), 0);
                /* these outputs are small: verify compares every element */
                struct conv_state *s = st;
                assert_true(aib_conv_elems_out(&s->g) * (double)(s->g.cg * s->g.r * s->g.s) <
                            (double)(1 << 24));
                if (conv_verify(st, &err) != 0)
                    fail_msg("shape %zu layout %d impl %d: %s", i, layout, impl, err.msg);
                /* one wrong element, then NaN, is caught */
                size_t last = (size_t)aib_conv_elems_out(&s->g) - 1;
                float keep = s->out[last];
                s->out[last] += 0.5f;
                assert_int_equal(conv_verify(st, &err), AIB_EVERIFY);
                assert_non_null(strstr(err.msg, "wrong answer: out[n="));
                s->out[last] = NAN;
                assert_int_equal(conv_verify(st, &err), AIB_EVERIFY);
                s->out[last] = keep;
                assert_int_equal(conv_verify(st, &err), 0);
                conv_teardown(st);
            }
        }
    }
}

/* im2col on the team, both layouts: bands of output rows cut into tiles of
 * 1, 2 and 3 rows (the L2 budget made small), bands that do not divide evenly, and
 * the shared buffer when there are too few rows; every element checked. */
static void test_tiles(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    const size_t which[] = {0, 1, 2, 5, 8};
    for (size_t x = 0; x < 2 * sizeof which / sizeof which[0]; x++) {
        size_t i = x / 2;
        for (int64_t threads = 1; threads <= 3; threads++) {
            struct conv_params p = params_of(shapes[which[i]], (int)(x % 2), IMPL_IM2COL);
            p.threads = threads;
            void *st;
            assert_int_equal(conv_setup(&dev, &p, &st, &err), 0);
            struct conv_state *s = st;
            assert_true(s->tiled);
            assert_int_equal(s->tiles.rows == 0, s->g.p < 4 * threads);
            struct aib_conv_tiles keep = s->tiles;
            for (int64_t rows = 1; rows <= 3 && keep.rows; rows++) {
                /* a budget of `rows` output rows: three quarters of l2 */
                uint64_t l2 = (uint64_t)(s->g.cg * s->g.r * s->g.s * s->g.q * rows) * 4 * 4 / 3 + 4;
                aib_conv_tiles_plan(&s->g, (unsigned)threads, l2, &s->tiles);
                assert_int_equal(s->tiles.rows, rows);
                assert_true(s->tiles.buf_elems <= keep.buf_elems);
                s->tiles.team = keep.team;
                s->tiles.bufs = keep.bufs;
                memset(s->out, 0, (size_t)aib_conv_elems_out(&s->g) * sizeof(float));
                assert_int_equal(conv_run(st, 1, &err), 0);
                if (conv_verify(st, &err) != 0)
                    fail_msg("shape %zu, layout %zu, %lld threads, tiles of %lld rows: %s",
                             which[i], x % 2, (long long)threads, (long long)rows, err.msg);
            }
            s->tiles = keep;
            assert_int_equal(conv_run(st, 1, &err), 0);
            assert_int_equal(conv_verify(st, &err), 0);
            conv_teardown(st);
        }
    }
}

/* Every SIMD path this CPU has (direct loops, im2col copy) is right, on
 * shapes with stride 2 and 3. */
static void test_simd_paths(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_cpu_features f;
    struct aib_err err = {0};
    aib_cpu_features_detect(&f);
    for (int simd = AIB_SIMD_PORTABLE; simd <= AIB_SIMD_AVX512; simd++) {
        for (int x = 0; x < 2 * 2 * 2; x++) {
            struct conv_params p = params_of(shapes[x & 1 ? 5 : 1], (x >> 1) & 1,
                                             x >> 2 ? IMPL_DIRECT : IMPL_IM2COL);
            p.simd = simd;
            enum aib_simd got;
            int rc = aib_simd_pick(&f, (enum aib_simd)simd, &got, &err);
            assert_int_equal(conv_validate(&dev, &p, &err), rc);
            if (rc)
                continue;
            void *st;
            assert_int_equal(conv_setup(&dev, &p, &st, &err), 0);
            assert_int_equal(((struct conv_state *)st)->simd, simd);
            assert_int_equal(conv_run(st, 1, &err), 0);
            assert_int_equal(conv_verify(st, &err), 0);
            conv_teardown(st);
        }
    }
}

static void test_bad_shapes(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    int64_t v[11] = {1, 6, 8, 8, 4, 3, 3, 1, 1, 1, 4};
    struct conv_params p = params_of(v, 0, IMPL_IM2COL);
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "groups=4 must divide c=6 and k=4"));
    p.groups = 2;
    assert_int_equal(conv_validate(&dev, &p, &err), 0);
    p.r = 5, p.h = 2, p.pad = 1; /* 5-tall filter over a 2+2 padded input */
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "empty output"));
    p.r = 3, p.dilation = 3; /* dilated to 7 */
    p.h = 4;
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "empty output"));
    p = params_of(v, 1, IMPL_DIRECT);
    p.groups = 1;
    p.n = 65536, p.c = 65536, p.h = 65536, p.w = 65536;
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "sizes overflow"));
    p = params_of(v, 0, IMPL_IM2COL);
    p.groups = 1;
    p.n = 64, p.c = 256, p.h = 256, p.w = 256; /* 4 GiB of input */
    dev.mem_bytes = (uint64_t)1 << 30;
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 80% of the 1.0 GiB"));
}

static void test_layers(void **state)
{
    (void)state;
    size_t n, resnet = 0;
    const struct aib_conv_layer *all = aib_conv_layers(&n);
    for (size_t i = 0; i < n; i++) {
        struct aib_conv_geom g = {.n = all[i].n, .c = all[i].c, .h = all[i].h, .w = all[i].w,
                                  .k = all[i].k, .r = all[i].r, .s = all[i].s,
                                  .stride = all[i].stride, .pad = all[i].pad,
                                  .dil = all[i].dilation, .groups = all[i].groups};
        struct aib_err err = {0};
        assert_int_equal(aib_conv_geom_check(&g, &err), 0);
        assert_ptr_equal(aib_conv_layer_find(all[i].name), &all[i]);
        for (size_t j = 0; j < i; j++) { /* distinct names and distinct shapes */
            assert_true(strcmp(all[i].name, all[j].name) != 0);
            assert_true(memcmp(&all[i].n, &all[j].n, 11 * sizeof(int)) != 0);
        }
        if (strncmp(all[i].name, "resnet50-", 9) == 0) {
            resnet++;
            /* ResNet-50 at 224x224: every output is 112, 56, 28, 14 or 7 wide */
            assert_true(g.p == g.q && (g.p == 112 || g.p == 56 || g.p == 28 || g.p == 14 ||
                                       g.p == 7));
        }
    }
    assert_true(resnet >= 20);
    const struct aib_conv_layer *c1 = aib_conv_layer_find("resnet50-conv1");
    assert_non_null(c1);
    assert_true(c1->c == 3 && c1->h == 224 && c1->k == 64 && c1->r == 7 && c1->stride == 2);

    /* a layer sets the shape; work is 2*N*K*C/g*R*S*P*Q; the batch stays the user's */
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct conv_params p = params_of(shapes[0], 0, IMPL_IM2COL);
    strcpy(p.layer, "resnet50-conv1");
    p.n = 2;
    assert_int_equal(conv_validate(&dev, &p, &err), 0);
    struct aib_work w;
    conv_work(&p, &w);
    assert_true(w.flops == 2.0 * 2 * 64 * 3 * 7 * 7 * 112 * 112);

    /* layer=list names every layer in one message that fits after the prefix */
    strcpy(p.layer, "list");
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    aib_err_prefix(&err, "conv on cpu");
    assert_non_null(strstr(err.msg, "no layer 'list'; built-in layers: resnet50-{conv1,"));
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(err.msg, strrchr(all[i].name, '-') + 1));
    strcpy(p.layer, "vgg16-conv1");
    assert_int_equal(conv_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown layer 'vgg16-conv1'"));
}

static void test_metrics(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    for (int impl = IMPL_IM2COL; impl <= IMPL_DIRECT; impl++) {
        struct conv_params p = params_of(shapes[1], 1, impl);
        p.threads = 1;
        void *st;
        struct aib_result r = {0};
        assert_int_equal(conv_setup(&dev, &p, &st, &err), 0);
        assert_int_equal(conv_metrics(st, &r, &err), 0);
        assert_true(aib_result_metric(&r, "threads")->value == 1);
        const struct aib_metric *px = aib_result_metric(&r, "output_pixels");
        assert_non_null(px);
        assert_true(px->value == 3 * 3); /* P = (8-3)/2+1, Q = (7-2)/2+1 */
        assert_non_null(strstr(px->note, "groups=2 -> P=3 Q=3"));
        aib_result_free(&r);
        conv_teardown(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shape_layout_impl), cmocka_unit_test(test_simd_paths),
        cmocka_unit_test(test_tiles),
        cmocka_unit_test(test_bad_shapes),              cmocka_unit_test(test_layers),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests_name("conv_cpu", tests, NULL, NULL);
}
