/* YAML suites: expansion into a plan, and one located error per mistake.
 * Files are written to a mkdtemp folder; the device list is built by hand
 * (one "cpu") so results do not depend on the machine. Runs from the repo
 * root, where the built-in suites live in suites/. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../bench/suite.h"

struct fx {
    char dir[64];
    char path[256]; /* the file written last */
    int nfiles;
    struct aib_devlist devs;
};

static void add_device(struct aib_devlist *l, const char *id, enum aib_device_kind kind)
{
    struct aib_device d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "%s", id);
    snprintf(d.name, sizeof d.name, "test %s", id);
    d.kind = kind;
    d.platform_index = -1;
    d.index = kind == AIB_DEV_CPU ? -1 : 0;
    d.cores = d.threads = 1;
    d.mem_bytes = 8ull << 30;
    assert_int_equal(aib_devlist_add(l, &d), 0);
}

static int group_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/aib-suite-test-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    add_device(&f->devs, "cpu", AIB_DEV_CPU);
    /* The search path must not depend on the caller's environment. */
    unsetenv("AIBENCH_SUITES_DIR");
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;
    char p[512];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    aib_devices_free(&f->devs);
    free(f);
    return 0;
}

static void write_file(struct fx *f, const char *yaml)
{
    snprintf(f->path, sizeof f->path, "%s/s%d.yaml", f->dir, f->nfiles++);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(yaml, fp);
    fclose(fp);
}

static int load_with(struct fx *f, const char *yaml, const struct aib_devlist *devs,
                     struct aib_plan *plan, struct aib_err *err)
{
    write_file(f, yaml);
    memset(plan, 0, sizeof *plan);
    aib_err_clear(err);
    return aib_suite_load(f->path, NULL, devs, plan, err);
}

/* Loads a suite that must load. */
static void load_ok(struct fx *f, const char *yaml, const struct aib_devlist *devs, struct aib_plan *plan)
{
    struct aib_err err;
    if (load_with(f, yaml, devs, plan, &err))
        fail_msg("%s", err.msg);
}

/* Loads a broken suite: AIB_EUSAGE and one line "FILE:LINE:COL: ...". */
static void expect_error(struct fx *f, const char *yaml, unsigned line, const char *needle)
{
    struct aib_plan plan;
    struct aib_err err;
    int rc = load_with(f, yaml, &f->devs, &plan, &err);
    aib_plan_free(&plan);
    if (rc != AIB_EUSAGE)
        fail_msg("expected AIB_EUSAGE, got %d (%s)", rc, err.msg);
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s:%u:", f->path, line);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected '%s...', got '%s'", prefix, err.msg);
    const char *col = err.msg + strlen(prefix);
    size_t digits = strspn(col, "0123456789");
    if (digits == 0 || col[0] == '0' || strncmp(col + digits, ": ", 2) != 0)
        fail_msg("no column in '%s'", err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("expected '%s' in '%s'", needle, err.msg);
    assert_null(strchr(err.msg, '\n'));
}

static const char valid[] = "name: t\n"
                            "description: a test\n"
                            "defaults:\n"
                            "  warmup: 0.1\n"
                            "  min_time: 0.2\n"
                            "  max_time: 2\n"
                            "  min_reps: 3\n"
                            "  target_ci: 2%\n"
                            "entries:\n"
                            "  - workload: matmul\n"
                            "    devices: [cpu]\n"
                            "    params:\n"
                            "      n: [64, 128]\n"
                            "      precision: [fp32, fp64]\n"
                            "    tags: [compute]\n";

static void test_valid_sweep(void **state)
{
    struct fx *f = *state;
    struct aib_plan plan;
    load_ok(f, valid, &f->devs, &plan);
    assert_int_equal(plan.len, 4);
    assert_int_equal(plan.nnotes, 0);
    assert_string_equal(plan.suite, "t");
    assert_true(plan.opts.warmup_s == 0.1);
    assert_true(plan.opts.min_time_s == 0.2);
    assert_true(plan.opts.max_time_s == 2.0);
    assert_int_equal(plan.opts.min_reps, 3);
    assert_true(plan.opts.target_ci > 0.0199 && plan.opts.target_ci < 0.0201);
    /* The last key varies fastest, like nested loops. */
    assert_non_null(strstr(plan.items[0].params_str, "n=64"));
    assert_non_null(strstr(plan.items[0].params_str, "precision=fp32"));
    assert_non_null(strstr(plan.items[1].params_str, "precision=fp64"));
    assert_non_null(strstr(plan.items[3].params_str, "n=128"));
    assert_string_equal(plan.items[0].dev->id, "cpu");
    char where[512];
    snprintf(where, sizeof where, "%s:10:5", f->path);
    assert_string_equal(plan.items[0].where, where);
    aib_plan_free(&plan);
}

static void test_parse_keeps_tags_and_defaults(void **state)
{
    struct fx *f = *state;
    struct aib_suite s;
    struct aib_err err = {0};
    write_file(f, "name: bare\nentries:\n  - workload: matmul\n    tags: [a, b]\n");
    assert_int_equal(aib_suite_parse(f->path, &s, &err), 0);
    assert_string_equal(s.name, "bare");
    assert_null(s.description);
    assert_int_equal(s.nentries, 1);
    assert_int_equal(s.entries[0].ntags, 2);
    assert_string_equal(s.entries[0].tags[1], "b");
    /* devices defaults to [cpu] */
    assert_int_equal(s.entries[0].ndevices, 1);
    assert_string_equal(s.entries[0].devices[0].selector, "cpu");
    struct aib_engine_opts def;
    aib_engine_opts_default(&def);
    /* Field by field: the struct has padding after min_reps. */
    assert_true(s.opts.warmup_s == def.warmup_s && s.opts.min_time_s == def.min_time_s &&
                s.opts.max_time_s == def.max_time_s && s.opts.min_reps == def.min_reps &&
                s.opts.target_ci == def.target_ci);
    aib_suite_free(&s);
}

static void test_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n     devices: [cpu]\n", 4,
                 "invalid YAML");
    expect_error(f, "name: t\nentries: [ {workload: matmul}\n", 3, "invalid YAML");
    expect_error(f, "", 1, "empty");
    expect_error(f, "name: t\ncolour: red\nentries:\n  - workload: matmul\n", 2,
                 "unknown key 'colour'");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    device: cpu\n", 4,
                 "unknown key 'device'");
    expect_error(f, "name: t\ndefaults:\n  warmup: 1\n  min_rep: 3\nentries: [workload: x]\n", 4,
                 "min_rep");
    expect_error(f, "name: t\nname: u\nentries:\n  - workload: matmul\n", 2, "duplicate key");
    expect_error(f, "entries:\n  - workload: matmul\n", 1, "'name'");
    expect_error(f, "name: t\nentries:\n  - devices: cpu\n", 3, "'workload'");
    expect_error(f, "- a\n- b\n", 1, "top level");
    expect_error(f, "name: t\nentries: []\n", 2, "empty");
    expect_error(f, "name: t\nentries: []\n---\nname: u\n", 2, "empty");
    expect_error(f, "name: t\nentries: [{workload: matmul}]\n---\nname: u\n", 4, "one YAML");
}

static void test_wrong_types(void **state)
{
    struct fx *f = *state;
    expect_error(f, "name: t\nentries:\n  workload: matmul\n", 3, "expected a list");
    expect_error(f, "name: t\ndefaults:\n  min_reps: abc\nentries: [{workload: matmul}]\n", 3,
                 "'abc'");
    expect_error(f, "name: t\ndefaults:\n  min_reps: 0\nentries: [{workload: matmul}]\n", 3,
                 "min_reps: expected an integer from 1 to 1000000, got '0'");
    expect_error(f, "name: t\ndefaults:\n  repetitions: 101\nentries: [{workload: matmul}]\n",
                 3, "repetitions: expected an integer from 1 to 100");
    expect_error(f, "name: t\ndefaults:\n  repetitions: [2]\nentries: [{workload: matmul}]\n",
                 3, "repetitions");
    expect_error(f, "name: t\ndefaults:\n  max_time: 0\nentries: [{workload: matmul}]\n", 3,
                 "max_time");
    expect_error(f, "name: t\ndefaults:\n  target_ci: lots\nentries: [{workload: matmul}]\n", 3,
                 "target_ci");
    expect_error(f, "name: t\ndefaults: [1]\nentries: [{workload: matmul}]\n", 2, "defaults");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    params: [n, 64]\n", 4,
                 "params: expected a mapping");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    params: {n: {a: 1}}\n", 4,
                 "n:");
    expect_error(f, "name: t\nentries:\n  - workload: [matmul]\n", 3, "workload");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    devices: {cpu: 1}\n", 4,
                 "devices");
    expect_error(f, "name: [t]\nentries:\n  - workload: matmul\n", 1, "name");
}

static void test_registry_and_devices(void **state)
{
    struct fx *f = *state;
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n  - workload: nosuch\n", 4,
                 "unknown workload 'nosuch'");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    params: {n: [64, abc]}\n", 4,
                 "abc");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    params: {precision: fp7}\n",
                 4, "fp7");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    params:\n      size: 3\n", 5,
                 "size");
    /* Each value of a block list is reported at its own line. */
    expect_error(f,
                 "name: t\nentries:\n  - workload: matmul\n    params:\n      n:\n"
                 "        - 64\n        - 0\n",
                 7, "n=0");
    /* Values are checked even when no selected device is present here. */
    expect_error(f,
                 "name: t\nentries:\n  - workload: matmul\n    devices: cuda:*\n"
                 "    params: {n: x}\n",
                 5, "'x'");
    expect_error(f, "name: t\nentries:\n  - workload: matmul\n    devices: [cpu, tpu:0]\n", 4,
                 "tpu:0");
}

static void test_absent_device_is_a_note(void **state)
{
    struct fx *f = *state;
    struct aib_plan plan;
    load_ok(f,
            "name: t\nentries:\n  - workload: matmul\n    devices: [cuda:*, cpu]\n"
            "    params: {n: 64}\n  - workload: matmul\n    devices: opencl:7:0\n",
            &f->devs, &plan);
    assert_int_equal(plan.len, 1);
    assert_int_equal(plan.nnotes, 2);
    char want[512];
    snprintf(want, sizeof want, "%s:4:15: skipped matmul on cuda:*: device not present", f->path);
    assert_string_equal(plan.notes[0], want);
    snprintf(want, sizeof want, "%s:7:14: skipped matmul on opencl:7:0: device not present",
             f->path);
    assert_string_equal(plan.notes[1], want);
    aib_plan_free(&plan);
}

static void test_unsupported_kind_is_a_note(void **state)
{
    struct fx *f = *state;
    struct aib_devlist devs = {0};
    add_device(&devs, "cpu", AIB_DEV_CPU);
    add_device(&devs, "cuda:0", AIB_DEV_CUDA);
    struct aib_plan plan;
    load_ok(f,
            "name: t\nentries:\n  - workload: net\n    devices: [all, cpu]\n"
            "    params: {mode: [tcp, pingpong]}\n",
            &devs, &plan);
    assert_int_equal(plan.len, 2); /* cpu once, although named twice */
    assert_int_equal(plan.nnotes, 1);
    assert_non_null(strstr(plan.notes[0], ":4:15: skipped net on cuda:0"));
    assert_non_null(strstr(plan.notes[0], "(workload does not run on cuda)"));
    aib_plan_free(&plan);
    aib_devices_free(&devs);
}

/* A value some variant takes but not the one for this device (fp16 is for
 * GPUs), or a combination this machine cannot do: skipped with one note
 * per reason; nothing left at all is an error that says why. */
static void test_combination_is_a_note(void **state)
{
    struct fx *f = *state;
    struct aib_plan plan;
    load_ok(f,
            "name: t\nentries:\n  - workload: matmul\n"
            "    params: {n: [64, 96, 128], precision: [fp32, fp16]}\n",
            &f->devs, &plan);
    assert_int_equal(plan.len, 3);
    assert_int_equal(plan.nnotes, 1);
    assert_non_null(strstr(plan.notes[0], ":3:5: skipped matmul on cpu (n=64,precision=fp16 and 2 "
                                          "more): "));
    assert_non_null(strstr(plan.notes[0], "bad value 'fp16' for precision"));
    aib_plan_free(&plan);
    struct aib_err err;
    int rc = load_with(f, "name: t\nentries:\n  - workload: matmul\n    params: {precision: fp16}\n",
                       &f->devs, &plan, &err);
    assert_int_equal(rc, AIB_EUSAGE);
    assert_non_null(strstr(err.msg, ": nothing to run on this machine ("));
    assert_non_null(strstr(err.msg, "skipped matmul on cpu (precision=fp16)"));
    aib_plan_free(&plan);
}

static void test_repetitions(void **state)
{
    struct fx *f = *state;
    struct aib_devlist devs = {0};
    add_device(&devs, "cpu", AIB_DEV_CPU);
    add_device(&devs, "cuda:0", AIB_DEV_CUDA);
    struct aib_plan plan;
    load_ok(f,
            "name: t\ndefaults: {repetitions: 3}\nentries:\n"
            "  - workload: matmul\n    devices: all\n    params: {n: [64, 128]}\n"
            "  - workload: matmul\n    params: {n: 32}\n",
            &devs, &plan);
    /* Round-robin: the whole plan (3 entries) three times over. */
    assert_int_equal(plan.len, 9);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(plan.items[i].params_str, plan.items[i % 3].params_str);
    assert_non_null(strstr(plan.items[2].params_str, "n=32"));
    assert_null(strstr(plan.items[2].where, "repetition"));
    assert_non_null(strstr(plan.items[3].where, ":4:5 (repetition 2 of 3)"));
    assert_non_null(strstr(plan.items[8].where, "(repetition 3 of 3)"));
    assert_int_equal(plan.nnotes, 1); /* cuda:0 noted once, not per repetition */
    aib_plan_free(&plan);
    aib_devices_free(&devs);
}

static void test_tag_filter(void **state)
{
    struct fx *f = *state;
    static const char yaml[] = "name: t\nentries:\n"
                               "  - workload: matmul\n    params: {n: 64}\n    tags: [a, b]\n"
                               "  - workload: matmul\n    params: {n: 32}\n    tags: [c]\n"
                               "  - workload: matmul\n    params: {n: 16}\n";
    const char *only_c[] = {"c"}, *a_or_c[] = {"a", "c"}, *typo[] = {"a", "cc"};
    struct aib_plan plan = {0};
    struct aib_err err = {0};
    write_file(f, yaml);
    assert_int_equal(aib_suite_load_tagged(f->path, NULL, &f->devs, only_c, 1, &plan, &err), 0);
    assert_int_equal(plan.len, 1);
    assert_non_null(strstr(plan.items[0].params_str, "n=32"));
    aib_plan_free(&plan);
    memset(&plan, 0, sizeof plan);
    assert_int_equal(aib_suite_load_tagged(f->path, NULL, &f->devs, a_or_c, 2, &plan, &err), 0);
    assert_int_equal(plan.len, 2);
    aib_plan_free(&plan);
    memset(&plan, 0, sizeof plan);
    assert_int_equal(aib_suite_load_tagged(f->path, NULL, &f->devs, typo, 2, &plan, &err),
                     AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no entry has tag 'cc' (tags here: a, b, c)"));
    aib_plan_free(&plan);
    /* An entry left out by the filter is still checked. */
    write_file(f, "name: t\nentries:\n  - workload: matmul\n    tags: [a]\n"
                  "  - workload: matmul\n    params: {n: 0}\n    tags: [z]\n");
    memset(&plan, 0, sizeof plan);
    const char *only_a[] = {"a"};
    assert_int_equal(aib_suite_load_tagged(f->path, NULL, &f->devs, only_a, 1, &plan, &err),
                     AIB_EUSAGE);
    assert_non_null(strstr(err.msg, ":6:"));
    aib_plan_free(&plan);
}

static void test_print_plan(void **state)
{
    struct fx *f = *state;
    struct aib_plan plan;
    struct aib_err err;
    char *text = NULL;
    size_t len = 0;
    int rc = load_with(f, valid, &f->devs, &plan, &err);
    if (rc)
        fail_msg("%s", err.msg);
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    aib_suite_print_plan(out, &plan);
    fclose(out);
    assert_non_null(strstr(text, "dry run of suite t: 4 entries; nothing is run or written"));
    assert_non_null(strstr(text, "0.1 s warm-up, then samples for 0.2 to 2 s (at least 3)"));
    assert_non_null(strstr(text, "+-2%"));
    assert_non_null(strstr(text, "n=128,m=0,k=0,precision=fp64"));
    assert_non_null(strstr(text, "at most about 8 s"));
    free(text);
    aib_plan_free(&plan);
}

/* Every built-in suite loads on a CPU-only machine and names itself. */
static void test_builtin_suites_load(void **state)
{
    struct fx *f = *state;
    static const char *const names[] = {"quick", "full", "ci", "ai-training", "storage",
                                        "network"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct aib_plan plan = {0};
        struct aib_err err = {0};
        int rc = aib_suite_load(names[i], "build", &f->devs, &plan, &err);
        if (rc)
            fail_msg("suite %s: %s", names[i], err.msg);
        assert_string_equal(plan.suite, names[i]);
        assert_true(plan.len > 0);
        aib_plan_free(&plan);
    }
}

static void test_builtin_quick(void **state)
{
    struct fx *f = *state;
    char path[4096];
    struct aib_err err = {0};
    char *want = realpath("suites/quick.yaml", NULL);
    assert_non_null(want);
    assert_int_equal(aib_suite_resolve_path("quick", "build", path, sizeof path, &err), 0);
    assert_string_equal(path, want); /* canonical, without "build/.." */

    struct aib_plan plan = {0};
    int rc = aib_suite_load("quick", "build", &f->devs, &plan, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_string_equal(plan.suite, "quick");
    assert_int_equal(plan.len, 7); /* one case of each CPU workload; io and net twice */
    assert_int_equal(plan.opts.min_reps, 5);
    assert_true(plan.opts.max_time_s == 1.0);
    aib_plan_free(&plan);

    setenv("AIBENCH_SUITES_DIR", "suites", 1);
    rc = aib_suite_resolve_path("quick", NULL, path, sizeof path, &err);
    unsetenv("AIBENCH_SUITES_DIR");
    assert_int_equal(rc, 0);
    assert_string_equal(path, want);
    free(want);
}

static void test_unknown_suite(void **state)
{
    (void)state;
    char path[4096];
    struct aib_err err = {0};
    assert_int_equal(aib_suite_resolve_path("nosuch", "build", path, sizeof path, &err),
                     AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown suite 'nosuch'"));
    assert_non_null(strstr(err.msg, "build/../suites"));
    assert_non_null(strstr(err.msg, "built-in suites: "));
    assert_non_null(strstr(err.msg, "quick"));
    /* A path is used as given; a missing file is reported when loading. */
    assert_int_equal(aib_suite_resolve_path("x/nosuch.yaml", NULL, path, sizeof path, &err), 0);
    struct aib_plan plan = {0};
    assert_int_equal(aib_suite_load("/nonexistent/s.yaml", NULL, NULL, &plan, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "cannot open"));
    aib_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sweep),
        cmocka_unit_test(test_parse_keeps_tags_and_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_registry_and_devices),
        cmocka_unit_test(test_absent_device_is_a_note),
        cmocka_unit_test(test_unsupported_kind_is_a_note),
        cmocka_unit_test(test_combination_is_a_note),
        cmocka_unit_test(test_repetitions),
        cmocka_unit_test(test_tag_filter),
        cmocka_unit_test(test_print_plan),
        cmocka_unit_test(test_builtin_suites_load),
        cmocka_unit_test(test_builtin_quick),
        cmocka_unit_test(test_unknown_suite),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
