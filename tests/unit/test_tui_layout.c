/* The views' pure layout and figure functions: every panel inside the
 * screen and apart from the others at every size from 80x24 up, the
 * minimum size refused, CPU grids, column fitting, scrolling, graph
 * heights with missing values, ETA, durations, filters, history. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../tui/history.h"
#include "../../tui/layout.h"

static void check_panels(const struct aib_rect *r, size_t n, int rows, int cols)
{
    for (size_t i = 0; i < n; i++) {
        if (!aib_rect_inside(&r[i], rows, cols))
            fail_msg("panel %zu (%d,%d %dx%d) outside %dx%d", i, r[i].y, r[i].x, r[i].h,
                     r[i].w, rows, cols);
        for (size_t j = i + 1; j < n; j++)
            if (!aib_rect_disjoint(&r[i], &r[j]))
                fail_msg("panels %zu and %zu overlap at %dx%d", i, j, rows, cols);
    }
}

static void test_dash_every_size(void **state)
{
    (void)state;
    for (int rows = AIB_TUI_MIN_ROWS; rows <= 100; rows++) {
        for (int cols = AIB_TUI_MIN_COLS; cols <= 300; cols += 7) {
            struct aib_dash_layout l;
            assert_int_equal(aib_layout_dash(rows, cols, &l), 0);
            struct aib_rect boxes[] = {l.header, l.current, l.telem, l.table, l.footer};
            check_panels(boxes, 5, rows, cols);
            /* The panels tile the screen: widths and heights add up. */
            assert_int_equal(l.current.w + l.telem.w, cols);
            assert_int_equal(l.header.h + l.current.h + l.table.h + l.footer.h, rows);
            assert_int_equal(l.footer.y, rows - 1);
            /* The graph sits inside the current box, below its text lines. */
            assert_true(l.graph.h >= 4);
            assert_true(l.graph.y == l.current.y + 1 + AIB_DASH_INFO_LINES);
            assert_true(l.graph.y + l.graph.h == l.current.y + l.current.h - 1);
            assert_true(l.graph.x == l.current.x + 1 && l.graph.w == l.current.w - 2);
            /* Room for a header and three finished entries; telemetry readable. */
            assert_true(l.table.h >= 5);
            assert_true(l.telem.w >= 30);
        }
    }
    struct aib_dash_layout l = {0};
    assert_int_equal(aib_layout_dash(23, 80, &l), -1);
    assert_int_equal(aib_layout_dash(24, 79, &l), -1);
    assert_int_equal(l.footer.w, 0); /* untouched */
}

static void test_dash_known_sizes(void **state)
{
    (void)state;
    struct aib_dash_layout l;
    assert_int_equal(aib_layout_dash(24, 80, &l), 0);
    assert_int_equal(l.current.h, 14);
    assert_int_equal(l.table.h, 7);
    assert_int_equal(l.telem.w, 30);
    assert_int_equal(l.graph.h, 8);
    /* Growing the terminal grows the graph and the table, not the header. */
    struct aib_dash_layout big;
    assert_int_equal(aib_layout_dash(30, 100, &big), 0);
    assert_int_equal(big.header.h, 2);
    assert_true(big.graph.h > l.graph.h && big.graph.w > l.graph.w);
    assert_true(big.table.h > l.table.h);
}

static void test_top_and_browse(void **state)
{
    (void)state;
    for (int rows = AIB_TUI_MIN_ROWS; rows <= 80; rows += 3)
        for (int cols = AIB_TUI_MIN_COLS; cols <= 260; cols += 11)
            for (int ndev = 0; ndev <= 40; ndev += 5) {
                struct aib_top_layout t;
                assert_int_equal(aib_layout_top(rows, cols, ndev, &t), 0);
                struct aib_rect r[] = {t.header, t.devices, t.graph, t.detail, t.footer};
                check_panels(r, 5, rows, cols);
                assert_true(t.devices.h >= 5);
                assert_true(t.graph.h >= 10);
                assert_true(t.detail.w >= 40);
                assert_int_equal(t.graph.w + t.detail.w, cols);
                struct aib_browse_layout b;
                assert_int_equal(aib_layout_browse(rows, cols, &b), 0);
                struct aib_rect s[] = {b.header, b.table, b.graph, b.info, b.footer};
                check_panels(s, 5, rows, cols);
                assert_true(aib_rect_inside(&b.body, rows, cols));
                assert_int_equal(b.body.h, rows - 2);
                assert_true(b.table.h >= 6 && b.graph.h >= 5);
            }
    struct aib_top_layout t;
    struct aib_browse_layout b;
    assert_int_equal(aib_layout_top(20, 80, 2, &t), -1);
    assert_int_equal(aib_layout_browse(24, 60, &b), -1);
    /* Three devices at 80x24: one line each, plus borders and the column header. */
    assert_int_equal(aib_layout_top(24, 80, 3, &t), 0);
    assert_int_equal(t.devices.h, 6);
}

static void test_cpu_grid(void **state)
{
    (void)state;
    struct aib_cpu_grid g;
    aib_layout_cpu_grid(10, 38, 2, 1, &g); /* this machine at 80x24 */
    assert_int_equal(g.cols, 1);
    assert_int_equal(g.rows, 2);
    assert_int_equal(g.shown, 2);
    assert_int_equal(g.more, 0);
    aib_layout_cpu_grid(10, 60, 16, 1, &g); /* three 20-wide cells a line */
    assert_int_equal(g.cols, 3);
    assert_int_equal(g.cell_w, 20);
    assert_int_equal(g.rows, 6);
    assert_int_equal(g.shown, 16);
    aib_layout_cpu_grid(4, 60, 192, 0, &g); /* too many: the last cell says "+N more" */
    assert_int_equal(g.cols, 4);
    assert_int_equal(g.rows, 4);
    assert_int_equal(g.shown, 15);
    assert_int_equal(g.more, 192 - 15);
    for (int h = 1; h < 12; h++)
        for (int w = 14; w < 120; w += 3)
            for (int n = 1; n < 300; n += 13) {
                aib_layout_cpu_grid(h, w, n, 1, &g);
                assert_true(g.rows <= h && g.cols * g.cell_w <= w);
                assert_int_equal(g.shown + g.more, n);
                assert_true(g.shown <= g.rows * g.cols);
            }
    aib_layout_cpu_grid(0, 40, 8, 1, &g);
    assert_int_equal(g.shown, 0);
    assert_int_equal(g.more, 8);
}

static void test_columns(void **state)
{
    (void)state;
    int min[] = {3, 8, 8, 10, 6}, want[] = {3, 8, 8, 30, 12}, flex[] = {0, 0, 0, 1, 0}, out[5];
    /* Everything fits: 3+8+8+30+12 + 4 spaces = 65. */
    assert_int_equal(aib_layout_columns(78, 5, min, want, flex, out), 5);
    assert_int_equal(out[3], 30);
    /* The flexible params column gives way first. */
    assert_int_equal(aib_layout_columns(55, 5, min, want, flex, out), 5);
    assert_int_equal(out[3], 20);
    assert_int_equal(out[4], 12);
    /* Then trailing columns go. */
    assert_int_equal(aib_layout_columns(40, 5, min, want, flex, out), 4);
    assert_int_equal(out[4], 0);
    assert_int_equal(out[3], 10);
    int sum = 0;
    for (int i = 0; i < 4; i++)
        sum += out[i] + (i ? 1 : 0);
    assert_true(sum <= 40);
    assert_int_equal(aib_layout_columns(2, 5, min, want, flex, out), 1);
    assert_int_equal(out[0], 2);
}

static void test_scroll(void **state)
{
    (void)state;
    assert_int_equal(aib_layout_scroll(3, 0, 10, 5), 0);    /* all visible */
    assert_int_equal(aib_layout_scroll(12, 0, 10, 50), 3);  /* down: sel on the last row */
    assert_int_equal(aib_layout_scroll(5, 3, 10, 50), 3);   /* visible: no move */
    assert_int_equal(aib_layout_scroll(1, 3, 10, 50), 1);   /* up */
    assert_int_equal(aib_layout_scroll(49, 45, 10, 50), 40); /* never past the end */
    assert_int_equal(aib_layout_scroll(0, 0, 0, 50), 0);
}

static void test_graph_and_bars(void **state)
{
    (void)state;
    double v[] = {0, 5, 10, NAN, 20, -3};
    int h[6];
    aib_graph_heights(v, 6, 0, 10, 2, h);
    assert_int_equal(h[0], 0);
    assert_int_equal(h[1], 8);
    assert_int_equal(h[2], 16);
    assert_int_equal(h[3], -1); /* missing stays missing */
    assert_int_equal(h[4], 16); /* clamped */
    assert_int_equal(h[5], 0);
    aib_graph_heights(v, 3, 5, 5, 1, h); /* degenerate scale */
    assert_int_equal(h[0], 0);
    assert_int_equal(h[1], 8);
    assert_int_equal(aib_bar_cells(0.5, 10), 5);
    assert_int_equal(aib_bar_cells(1.7, 10), 10);
    assert_int_equal(aib_bar_cells(-1, 10), 0);
    assert_int_equal(aib_bar_cells(NAN, 10), 0);
    assert_true(aib_nice_ceil(0.7) == 1);
    assert_true(aib_nice_ceil(1) == 1);
    assert_true(aib_nice_ceil(23) == 50);
    assert_true(aib_nice_ceil(26.7) == 50);
    assert_true(aib_nice_ceil(120) == 200);
    assert_true(aib_nice_ceil(0.013) == 0.02);
    assert_true(aib_nice_ceil(0) == 1);
}

static void test_bucket_means(void **state)
{
    (void)state;
    double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, out[16];
    /* Fewer values than columns: one each. */
    assert_int_equal(aib_bucket_means(x, 3, 16, out), 3);
    assert_true(out[0] == 1 && out[2] == 3);
    /* Ten into five: pairs. */
    assert_int_equal(aib_bucket_means(x, 10, 5, out), 5);
    assert_true(out[0] == 1.5 && out[4] == 9.5);
    /* Ten into three: slices of 3, 3, 4 covering everything. */
    assert_int_equal(aib_bucket_means(x, 10, 3, out), 3);
    assert_true(out[0] == 2 && out[1] == 5 && out[2] == 8.5);
    assert_int_equal(aib_bucket_means(x, 0, 3, out), 0);
}

static void test_tput(void **state)
{
    (void)state;
    const char *u;
    assert_true(aib_tui_tput(2e9, 5, 7, 0.5, &u) == 4);
    assert_string_equal(u, "GFLOP/s");
    assert_true(aib_tui_tput(0, 3e9, 7, 1.5, &u) == 2);
    assert_string_equal(u, "GB/s");
    assert_true(aib_tui_tput(0, 0, 10, 0.5, &u) == 20);
    assert_string_equal(u, "op/s");
    assert_true(aib_tui_tput(0, 0, 0, 0.25, &u) == 4);
    assert_true(isnan(aib_tui_tput(1e9, 0, 0, 0, &u)));
    assert_string_equal(u, "GFLOP/s");
}

static void test_params_varying(void **state)
{
    (void)state;
    const char *const sweep[] = {"n=128,m=0,precision=fp32", "n=128,m=0,precision=fp64",
                                 "n=256,m=0,precision=fp32"};
    char b[64];
    aib_params_varying(sweep, 3, 0, b, sizeof b);
    assert_string_equal(b, "n=128,precision=fp32");
    aib_params_varying(sweep, 3, 2, b, sizeof b);
    assert_string_equal(b, "n=256,precision=fp32");
    /* One entry, or nothing differs: the whole string. */
    aib_params_varying(sweep, 1, 0, b, sizeof b);
    assert_string_equal(b, "n=128,m=0,precision=fp32");
    const char *const same[] = {"n=1,k=2", "n=1,k=2"};
    aib_params_varying(same, 2, 1, b, sizeof b);
    assert_string_equal(b, "n=1,k=2");
    /* A key only one side has counts as different; prefixes are not keys. */
    const char *const odd[] = {"n=1,nn=5", "n=1,nn=5,x=3", "n=10,nn=5"};
    aib_params_varying(odd, 3, 1, b, sizeof b);
    assert_string_equal(b, "n=1,x=3");
    aib_params_varying(odd, 3, 2, b, sizeof b);
    assert_string_equal(b, "n=10");
    aib_params_varying(odd, 3, 0, b, 4); /* too small for a pair: the whole string, cut */
    assert_string_equal(b, "n=1");
}

static void test_eta_and_duration(void **state)
{
    (void)state;
    int bound;
    /* Two of five done in 10 s: 5 s each; the current one 2 s in. */
    assert_true(aib_eta_s(2, 5, 10, 2, 99, &bound) == 3 + 2 * 5);
    assert_int_equal(bound, 0);
    /* Nothing done yet: an upper bound from the per-entry maximum. */
    assert_true(aib_eta_s(0, 3, 0, 1, 6, &bound) == 5 + 2 * 6);
    assert_int_equal(bound, 1);
    assert_true(aib_eta_s(1, 2, 4, 9, 99, &bound) == 0); /* overran the mean */
    assert_true(aib_eta_s(3, 3, 9, 0, 5, &bound) == 0);
    char b[32];
    assert_string_equal(aib_fmt_duration(7.4, b, sizeof b), "0:07");
    assert_string_equal(aib_fmt_duration(754, b, sizeof b), "12:34");
    assert_string_equal(aib_fmt_duration(3723, b, sizeof b), "1:02:03");
    assert_string_equal(aib_fmt_duration(-1, b, sizeof b), "-");
    assert_string_equal(aib_fmt_duration(INFINITY, b, sizeof b), "-");
}

static void test_filter(void **state)
{
    (void)state;
    const char *row = "12 832d3a40 2026-11-23 ok quick host-a";
    assert_true(aib_filter_match(row, ""));
    assert_true(aib_filter_match(row, "   "));
    assert_true(aib_filter_match(row, "QUICK"));
    assert_true(aib_filter_match(row, "quick ok"));
    assert_false(aib_filter_match(row, "quick interrupted"));
    assert_false(aib_filter_match(row, "zzz"));
}

static void test_hist(void **state)
{
    (void)state;
    struct aib_history h;
    aib_history_clear(&h);
    double out[AIB_HISTORY_CAP];
    assert_int_equal(aib_history_last(&h, 10, out), 0);
    assert_true(isnan(aib_history_max(&h, 10)));
    for (int i = 0; i < AIB_HISTORY_CAP + 5; i++)
        aib_history_push(&h, i);
    aib_history_push(&h, NAN);
    assert_int_equal(aib_history_last(&h, 3, out), 3);
    assert_true(out[0] == AIB_HISTORY_CAP + 3 && out[1] == AIB_HISTORY_CAP + 4 && isnan(out[2]));
    assert_int_equal(aib_history_last(&h, 10000, out), AIB_HISTORY_CAP);
    assert_true(out[0] == 6); /* the oldest kept */
    assert_true(aib_history_max(&h, 5) == AIB_HISTORY_CAP + 4);
    assert_true(isnan(aib_history_max(&h, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dash_every_size), cmocka_unit_test(test_dash_known_sizes),
        cmocka_unit_test(test_top_and_browse),  cmocka_unit_test(test_cpu_grid),
        cmocka_unit_test(test_columns),         cmocka_unit_test(test_scroll),
        cmocka_unit_test(test_graph_and_bars),  cmocka_unit_test(test_eta_and_duration),
        cmocka_unit_test(test_filter),          cmocka_unit_test(test_hist),
        cmocka_unit_test(test_bucket_means),    cmocka_unit_test(test_tput),
        cmocka_unit_test(test_params_varying),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
