/* Where a run comes from: git commit and branch read from a real git
 * repository made in a temporary folder, and the host fingerprint with the
 * reason a baseline from another host is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../results/ci.h"

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

static void capture(const char *cmd, char *buf, size_t len)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(buf, (int)len, p))
        buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    pclose(p);
}

static void test_git_info(void **state)
{
    (void)state;
    char dir[] = "/tmp/aib-ci-git-XXXXXX", sub[64], commit[48], branch[128], want[64], cmd[256];
    assert_non_null(mkdtemp(dir));
    unsetenv("GITHUB_ACTIONS");
    /* Not a repository: nothing. */
    aib_ci_git_info(dir, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(commit, "");
    assert_string_equal(branch, "");
    /* A repository without a commit: nothing either. */
    sh("git init -q -b trunk %s", dir);
    aib_ci_git_info(dir, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(commit, "");
    sh("cd %s && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m one", dir);
    snprintf(cmd, sizeof cmd, "git -C %s rev-parse HEAD", dir);
    capture(cmd, want, sizeof want);
    assert_int_equal(strlen(want), 40);
    /* From a subfolder of the work tree too. */
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    sh("mkdir -p %s", sub);
    aib_ci_git_info(sub, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(commit, want);
    assert_string_equal(branch, "trunk");
    sh("cd %s && git checkout -q -b feature/x", dir);
    aib_ci_git_info(dir, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(branch, "feature/x");
    /* Detached: no branch, except as GitHub Actions names it. */
    sh("cd %s && git checkout -q --detach", dir);
    aib_ci_git_info(dir, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(commit, want);
    assert_string_equal(branch, "");
    setenv("GITHUB_ACTIONS", "true", 1);
    setenv("GITHUB_HEAD_REF", "pr-branch", 1);
    aib_ci_git_info(dir, commit, sizeof commit, branch, sizeof branch);
    assert_string_equal(branch, "pr-branch");
    unsetenv("GITHUB_ACTIONS");
    unsetenv("GITHUB_HEAD_REF");
    sh("rm -rf %s", dir);
}

static void add_device(struct aib_devlist *l, const char *id, enum aib_device_kind kind,
                       const char *name, unsigned cores)
{
    struct aib_device d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "%s", id);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.kind = kind;
    d.cores = d.threads = cores;
    d.mem_bytes = (uint64_t)(15.7 * (1 << 30));
    assert_int_equal(aib_devlist_add(l, &d), 0);
}

/* A run stamped on a host with `cores` cores and maybe a GPU. */
static void stamped(struct aib_run *run, unsigned cores, bool gpu)
{
    struct aib_devlist devs = {0};
    memset(run, 0, sizeof *run);
    add_device(&devs, "cpu", AIB_DEV_CPU, "Test CPU 9000", cores);
    if (gpu)
        add_device(&devs, "cuda:0", AIB_DEV_CUDA, "Test GPU", 132);
    assert_int_equal(aib_kv_set(&run->env, "os", "Debian GNU/Linux 12 (bookworm)"), 0);
    assert_int_equal(aib_kv_set(&run->env, "kernel", "Linux 6.1.0 x86_64"), 0);
    assert_int_equal(aib_kv_set(&run->env, "compiler", "gcc 12.2.0"), 0);
    assert_int_equal(aib_kv_set(&run->env, "cflags", "-O2 -g"), 0);
    assert_int_equal(aib_ci_stamp_run(run, &devs), 0);
    aib_devices_free(&devs);
}

static void test_fingerprint(void **state)
{
    (void)state;
    struct aib_run a, b, c;
    struct aib_err err = {0};
    stamped(&a, 2, false);
    assert_int_equal(strlen(a.fingerprint), 16);
    assert_string_equal(aib_kv_get(&a.env, "fingerprint"), a.fingerprint);
    assert_string_equal(aib_kv_get(&a.env, "fingerprint.cpu"), "Test CPU 9000");
    assert_string_equal(aib_kv_get(&a.env, "fingerprint.cpu.cores"), "2");
    assert_string_equal(aib_kv_get(&a.env, "fingerprint.memory"), "16 GiB");
    /* How it was built and launched is measured, not part of the host. */
    assert_null(aib_kv_get(&a.env, "fingerprint.build"));
    assert_null(aib_kv_get(&a.env, "fingerprint.cpus_allowed"));
    assert_non_null(aib_kv_get(&a.env, "cpus_allowed"));
    assert_string_equal(aib_kv_get(&a.env, "fingerprint.device.cpu"), "Test CPU 9000");
    /* The same host gives the same fingerprint, and passes. */
    stamped(&b, 2, false);
    assert_string_equal(a.fingerprint, b.fingerprint);
    assert_int_equal(aib_ci_check_host(&a, &b, &err), 0);
    /* Four cores and a GPU: refused, naming what differs. */
    stamped(&c, 4, true);
    assert_string_not_equal(a.fingerprint, c.fingerprint);
    a.id = 7;
    assert_int_equal(aib_ci_check_host(&a, &c, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "baseline run 7 was measured on different hardware"));
    assert_non_null(strstr(err.msg, "cpu.cores: '2' in the baseline, '4' here"));
    assert_non_null(strstr(err.msg, "device.cuda:0: absent in the baseline, 'Test GPU' here"));
    /* A run from before fingerprints cannot be a baseline. */
    a.fingerprint[0] = '\0';
    assert_int_equal(aib_ci_check_host(&a, &b, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no host fingerprint"));
    aib_run_free(&a);
    aib_run_free(&b);
    aib_run_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git_info),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
