/* The report's parts: SVG escaping (entities, control characters, bad
 * UTF-8), axis ranges and labels, sweep detection, parameter shortening,
 * output files written whole or not at all, the terminal roofline's width,
 * and the HTML and Markdown writers on a synthetic two-run document. */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../results/report.h"
#include "../../results/svg.h"

/* What aib_svg_escape writes for s. */
static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    aib_svg_escape(f, s);
    fclose(f);
    return buf;
}

static void expect_esc(const char *in, const char *want)
{
    char *got = escaped(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_escape(void **state)
{
    (void)state;
    expect_esc("a<b & c>d \"q\" 'x'", "a&lt;b &amp; c&gt;d &quot;q&quot; &#39;x&#39;");
    expect_esc("</svg><script>", "&lt;/svg&gt;&lt;script&gt;");
    expect_esc("&amp;", "&amp;amp;"); /* escaped again: text, not markup */
    /* control characters XML forbids are dropped; tab and newline stay */
    expect_esc("a\x01\x1f\tb\nc\x7f", "a\tb\nc\x7f");
    /* valid UTF-8 of every length passes untouched */
    expect_esc("\xC2\xB1 \xCE\xBC \xE2\x82\xAC \xF0\x9F\x9A\x80", "\xC2\xB1 \xCE\xBC \xE2\x82\xAC \xF0\x9F\x9A\x80");
    /* a stray continuation byte, a truncated sequence, an overlong '/', a
     * surrogate and U+FFFE each become U+FFFD per bad byte */
    expect_esc("a\x80z", "a\xEF\xBF\xBDz");
    expect_esc("a\xE2\x82", "a\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_esc("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_esc("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_esc("\xEF\xBF\xBE", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    expect_esc("", "");
    char *none = escaped(NULL);
    assert_string_equal(none, "");
    free(none);
}

static void test_ranges_and_labels(void **state)
{
    (void)state;
    double lo, hi;
    char buf[32];
    aib_svg_nice_range(3, 470, true, &lo, &hi);
    assert_float_equal(lo, 1, 1e-12);
    assert_float_equal(hi, 1000, 1e-9);
    aib_svg_nice_range(20, 20, true, &lo, &hi); /* at least one decade */
    assert_float_equal(lo, 10, 1e-12);
    assert_float_equal(hi, 100, 1e-9);
    aib_svg_nice_range(0, 0, true, &lo, &hi); /* nothing valid */
    assert_float_equal(lo, 1, 0);
    assert_float_equal(hi, 10, 0);
    aib_svg_nice_range(12, 87, false, &lo, &hi); /* near 0: from 0, step 20 */
    assert_float_equal(lo, 0, 0);
    assert_float_equal(hi, 100, 1e-9);
    aib_svg_nice_range(2090, 2110, false, &lo, &hi);
    assert_true(lo <= 2090 && hi >= 2110 && hi - lo <= 40);
    assert_string_equal(aib_svg_fmt_num(0.01, buf, sizeof buf), "0.01");
    assert_string_equal(aib_svg_fmt_num(150, buf, sizeof buf), "150");
    assert_string_equal(aib_svg_fmt_num(1500, buf, sizeof buf), "1.5k");
    assert_string_equal(aib_svg_fmt_num(2e7, buf, sizeof buf), "20M");
    assert_string_equal(aib_svg_fmt_num(NAN, buf, sizeof buf), "-");
    /* mapping: a log axis puts 10 halfway between 1 and 100 */
    struct aib_svg_axis x = {1, 100, true, NULL}, y = {0, 50, false, NULL};
    struct aib_svg_plot p;
    double px, py;
    aib_svg_plot_init(&p, stdout, "t", 100, 10, 200, 100, &x, &y);
    assert_true(aib_svg_px(&p, 10, 25, &px, &py));
    assert_float_equal(px, 200, 1e-9);
    assert_float_equal(py, 60, 1e-9);
    assert_false(aib_svg_px(&p, 0, 25, &px, &py)); /* log of 0 */
    assert_false(aib_svg_px(&p, 10, NAN, &px, &py));
}

static struct aib_result mk(const char *workload, const char *params, double tput)
{
    struct aib_result r = {0};
    snprintf(r.workload, sizeof r.workload, "%s", workload);
    snprintf(r.device, sizeof r.device, "cpu");
    snprintf(r.params, sizeof r.params, "%s", params);
    snprintf(r.status, sizeof r.status, AIB_STATUS_OK);
    snprintf(r.unit, sizeof r.unit, "GFLOP/s");
    r.throughput = tput;
    r.flops = 1e6;
    r.st.n = 10;
    r.st.median = r.flops / tput / 1e9;
    r.st.ci_lo = r.st.median * 0.99, r.st.ci_hi = r.st.median * 1.01;
    return r;
}

static const struct aib_sweep *find_sweep(const struct aib_sweep *s, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].key, key) == 0)
            return &s[i];
    return NULL;
}

static void test_sweeps(void **state)
{
    (void)state;
    struct aib_result r[] = {
        mk("matmul", "n=128,precision=fp32,threads=1", 20),
        mk("matmul", "n=64,precision=fp32,threads=1", 10),
        mk("matmul", "n=64,precision=fp64,threads=1", 5),
        mk("matmul", "n=128,precision=fp64,threads=1", 9),
        mk("matmul", "n=64,precision=fp32,threads=2", 18),
        mk("matmul", "n=256,precision=bf16,threads=1", 40), /* alone: no line */
        mk("matmul", "n=512,precision=fp32,threads=1", 0),  /* failed: left out */
    };
    snprintf(r[6].status, sizeof r[6].status, AIB_STATUS_FAILED);
    struct aib_sweep *sw = NULL;
    size_t n = 0;
    struct aib_err err = {0};
    assert_int_equal(aib_report_sweeps(r, 7, &sw, &n, &err), 0);
    assert_int_equal(n, 2);
    /* over n: two lines, told apart by precision only */
    const struct aib_sweep *s = find_sweep(sw, n, "n");
    assert_non_null(s);
    assert_string_equal(s->workload, "matmul");
    assert_int_equal(s->nlines, 2);
    assert_string_equal(s->lines[0].label, "precision=fp32");
    assert_string_equal(s->lines[1].label, "precision=fp64");
    assert_int_equal(s->lines[0].n, 2);
    assert_float_equal(s->lines[0].x[0], 64, 0); /* sorted by n */
    assert_float_equal(s->lines[0].y[0], 10, 0);
    assert_int_equal(s->lines[0].idx[0], 2);
    assert_float_equal(s->lines[0].x[1], 128, 0);
    assert_int_equal(s->lines[0].idx[1], 1);
    /* over threads: one line (n=64, fp32) with an empty label */
    s = find_sweep(sw, n, "threads");
    assert_non_null(s);
    assert_int_equal(s->nlines, 1);
    assert_string_equal(s->lines[0].label, "");
    assert_int_equal(s->lines[0].n, 2);
    aib_report_sweeps_free(sw, n);
    /* nothing swept: no sweep */
    assert_int_equal(aib_report_sweeps(r + 5, 1, &sw, &n, &err), 0);
    assert_int_equal(n, 0);
    aib_report_sweeps_free(sw, n);
}

static void test_varying(void **state)
{
    (void)state;
    const char *p[] = {"n=64,m=0,precision=fp32,impl=blas", "n=128,m=0,precision=fp32,impl=native",
                       "n=64,m=0,precision=fp32,impl=blas"};
    char out[128];
    aib_report_varying(p, 3, 1, out, sizeof out);
    assert_string_equal(out, "n=128,impl=native");
    aib_report_varying(p, 3, 0, out, sizeof out);
    assert_string_equal(out, "n=64,impl=blas");
    aib_report_common(p, 3, out, sizeof out);
    assert_string_equal(out, "m=0,precision=fp32");
    aib_report_varying(p, 1, 0, out, sizeof out); /* alone: nothing varies */
    assert_string_equal(out, "");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static size_t count_files(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 22);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_outfile(void **state)
{
    (void)state;
    char dir[] = "/tmp/aib_report_XXXXXX", path[128];
    struct aib_outfile o;
    struct aib_err err = {0};
    assert_non_null(mkdtemp(dir));
    /* a missing directory: a usage error naming the path */
    snprintf(path, sizeof path, "%s/no/such/r.html", dir);
    assert_int_equal(aib_outfile_open(&o, path, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, path));
    /* a directory as the file */
    assert_int_equal(aib_outfile_open(&o, dir, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "directory"));
    /* abort: nothing left */
    snprintf(path, sizeof path, "%s/r.html", dir);
    assert_int_equal(aib_outfile_open(&o, path, &err), 0);
    fputs("half", o.f);
    aib_outfile_abort(&o);
    assert_int_equal(count_files(dir), 0);
    /* commit: the file, and no temporary beside it */
    assert_int_equal(aib_outfile_open(&o, path, &err), 0);
    fputs("whole", o.f);
    assert_int_equal(aib_outfile_commit(&o, &err), 0);
    aib_outfile_abort(&o); /* harmless after commit */
    char *got = slurp(path);
    assert_string_equal(got, "whole");
    free(got);
    assert_int_equal(count_files(dir), 1);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Two runs on one host: a matmul sweep and a membw result each, one
 * result named with markup, and a series. */
struct doc_fx {
    struct aib_report_run run[2];
    struct aib_report_doc doc;
};

static void doc_fixture(struct doc_fx *f)
{
    struct aib_err err = {0};
    memset(f, 0, sizeof *f);
    for (int k = 0; k < 2; k++) {
        struct aib_report_run *r = &f->run[k];
        r->run.id = k + 1;
        snprintf(r->run.uuid, sizeof r->run.uuid, "%c0000000-aaaa-bbbb-cccc-dddddddddddd", "12"[k]);
        snprintf(r->run.host, sizeof r->run.host, "host<&>");
        snprintf(r->run.status, sizeof r->run.status, "ok");
        snprintf(r->run.fingerprint, sizeof r->run.fingerprint, "abcd");
        r->run.started = 1.7e9, r->run.ended = 1.7e9 + 10;
        aib_kv_set(&r->run.env, "host", "host<&>");
        aib_kv_set(&r->run.env, "os", "Debian GNU/Linux 12 (bookworm)");
        r->n = 4;
        r->res = calloc(4, sizeof *r->res);
        assert_non_null(r->res);
        r->res[0] = mk("matmul", "n=64,precision=fp32", 10 + k);
        r->res[1] = mk("matmul", "n=128,precision=fp32", 20 + k);
        r->res[2] = mk("membw", "kernel=triad,size=1073741824", 20);
        snprintf(r->res[2].unit, sizeof r->res[2].unit, "GB/s");
        r->res[2].flops = 0, r->res[2].bytes = 1073741824;
        r->res[3] = mk("matmul", "n=32,note=<b>|*x*|</b>", 1);
        for (size_t i = 0; i < 4; i++)
            r->res[i].id = (int64_t)(10 * k + i + 1), r->res[i].started = 1.7e9 + (double)i,
            r->res[i].ended = 1.7e9 + (double)i + 0.9;
        struct aib_series *s = aib_series_add(&r->series, "system", "cpu.util", "%", 1.7e9);
        assert_non_null(s);
        for (int i = 0; i < 20; i++)
            assert_int_equal(aib_series_push(s, i * 0.2, 50 + i), 0);
        struct aib_roof_source src = {r->res, r->n, r->run.id, &r->run.env};
        assert_int_equal(aib_roofline_build(&src, 1, &r->rl, &err), 0);
    }
    f->doc = (struct aib_report_doc){f->run, 2, "/tmp/x.db", 1.7e9, 0.02};
}

static void doc_free(struct doc_fx *f)
{
    for (int k = 0; k < 2; k++)
        aib_report_run_free(&f->run[k]);
}

static void test_html(void **state)
{
    (void)state;
    struct doc_fx f;
    struct aib_err err = {0};
    char *buf = NULL;
    size_t len = 0;
    doc_fixture(&f);
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    assert_int_equal(aib_report_html(mf, &f.doc, &err), 0);
    fclose(mf);
    static const char *const want[] = {
        "<!DOCTYPE html>", "<h2 id=\"runs\">Runs</h2>", "<h2 id=\"environment\">",
        "<h2 id=\"results\">", "<h2 id=\"comparison\">", "<h2 id=\"roofline\">",
        "<h2 id=\"scaling\">", "<h2 id=\"telemetry\">", "Run 2 (B) against run 1 (A)",
        "<svg", "Roofline of cpu, run 1", "throughput against n", "system.cpu.util",
        "host&lt;&amp;&gt;", "note=&lt;b&gt;|*x*|&lt;/b&gt;", "</html>"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(buf, want[i]))
            fail_msg("HTML lacks %s", want[i]);
    assert_null(strstr(buf, "http"));      /* not even the SVG namespace */
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "host<&>"));   /* never unescaped */
    /* as many <svg as </svg> */
    size_t open = 0, close = 0;
    for (const char *p = buf; (p = strstr(p, "<svg")); p++)
        open++;
    for (const char *p = buf; (p = strstr(p, "</svg>")); p++)
        close++;
    assert_true(open >= 4);
    assert_int_equal(open, close);
    free(buf);
    doc_free(&f);
}

static void test_markdown(void **state)
{
    (void)state;
    struct doc_fx f;
    struct aib_err err = {0};
    struct aib_report_files files = {0};
    char dir[] = "/tmp/aib_report_XXXXXX", stem[128], path[160];
    char *buf = NULL;
    size_t len = 0;
    assert_non_null(mkdtemp(dir));
    doc_fixture(&f);
    snprintf(stem, sizeof stem, "%s/r", dir);
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    assert_int_equal(aib_report_md(mf, &f.doc, stem, &files, &err), 0);
    fclose(mf);
    assert_true(files.n >= 4);
    assert_non_null(strstr(buf, "![Roofline of cpu, run 1](r-1.svg)"));
    assert_non_null(strstr(buf, "## Roofline"));
    assert_non_null(strstr(buf, "| workload | device |"));
    /* a '|' inside a cell cannot split it; emphasis characters are literal */
    assert_non_null(strstr(buf, "note=\\<b\\>\\|\\*x\\*\\|\\</b\\>"));
    for (size_t i = 0; i < files.n; i++) {
        char *svg = slurp(files.paths[i]);
        assert_true(strncmp(svg, "<?xml", 5) == 0);
        assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
        assert_non_null(strstr(svg, "</svg>"));
        free(svg);
    }
    snprintf(path, sizeof path, "%s/r-1.svg", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* removal on error leaves the directory empty */
    aib_report_files_remove(&files);
    assert_int_equal(count_files(dir), 0);
    /* charts into a directory that does not exist: a usage error */
    snprintf(stem, sizeof stem, "%s/missing/r", dir);
    free(buf);
    buf = NULL;
    mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    assert_int_equal(aib_report_md(mf, &f.doc, stem, &files, &err), AIB_EUSAGE);
    fclose(mf);
    aib_report_files_remove(&files);
    free(buf);
    doc_free(&f);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_ascii(void **state)
{
    (void)state;
    struct doc_fx f;
    char *buf = NULL;
    size_t len = 0;
    doc_fixture(&f);
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    aib_report_ascii_roofline(mf, &f.run[0].rl, "cpu");
    fclose(mf);
    /* the chart fits 80 columns; its lines (all but the legend) */
    size_t chart_lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "ceilings:", 9) == 0)
            break;
        assert_true(strlen(line) <= 80);
        chart_lines++;
    }
    assert_true(chart_lines >= 18);
    free(buf);
    /* the marks: 1..9, then letters, then '*' */
    assert_int_equal(aib_report_point_mark(0), '1');
    assert_int_equal(aib_report_point_mark(8), '9');
    assert_int_equal(aib_report_point_mark(9), 'a');
    assert_int_equal(aib_report_point_mark(34), 'z');
    assert_int_equal(aib_report_point_mark(35), '*');
    doc_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),    cmocka_unit_test(test_ranges_and_labels),
        cmocka_unit_test(test_sweeps),    cmocka_unit_test(test_varying),
        cmocka_unit_test(test_outfile),   cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown),  cmocka_unit_test(test_ascii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
