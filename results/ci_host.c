/* Where a run comes from: the git commit and branch of its directory, and
 * the host fingerprint that decides whether two runs may be compared. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ci.h"

extern char **environ;

/* Runs argv (found on PATH) with stdout into buf and stderr to /dev/null.
 * Returns the exit status, or -1 when it could not be run. */
static int run_capture(char *const argv[], char *buf, size_t len)
{
    int fds[2] = {-1, -1}, status = -1;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    size_t used = 0;
    buf[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    int rc = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (rc == 0)
        rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    for (;;) {
        ssize_t n = read(fds[0], buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == len - 1) { /* more than we want: drain so the child can finish */
            char sink[256];
            while (read(fds[0], sink, sizeof sink) > 0)
                ;
            break;
        }
    }
    buf[used] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Copies the first line of *p into out and advances *p past it. */
static void take_line(const char **p, char *out, size_t len)
{
    size_t n = strcspn(*p, "\n");
    snprintf(out, len, "%.*s", (int)n, *p);
    *p += n + ((*p)[n] == '\n');
}

void aib_ci_git_info(const char *dir, char *commit, size_t clen, char *branch, size_t blen)
{
    char out[1024];
    char *argv[] = {"git", "-C", (char *)dir, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", NULL};
    commit[0] = branch[0] = '\0';
    if (run_capture(argv, out, sizeof out) != 0)
        return;
    const char *p = out;
    take_line(&p, commit, clen);
    take_line(&p, branch, blen);
    if (strspn(commit, "0123456789abcdef") != strlen(commit) || strlen(commit) < 40) {
        commit[0] = branch[0] = '\0';
        return;
    }
    if (strcmp(branch, "HEAD") == 0) { /* detached */
        const char *gha = getenv("GITHUB_ACTIONS");
        const char *head = getenv("GITHUB_HEAD_REF"), *ref = getenv("GITHUB_REF_NAME");
        branch[0] = '\0';
        if (gha && strcmp(gha, "true") == 0)
            snprintf(branch, blen, "%s", head && *head ? head : ref ? ref : "");
    }
}

/* --- the fingerprint ---------------------------------------------------------- */

int aib_ci_fingerprint(const struct aib_devlist *devs, const struct aib_kvlist *env,
                       struct aib_kvlist *parts)
{
    const struct aib_device *cpu = NULL;
    struct utsname u;
    char key[96];
    int rc = 0;
    for (size_t i = 0; i < devs->len && !cpu; i++)
        if (devs->items[i].kind == AIB_DEV_CPU)
            cpu = &devs->items[i];
    rc |= aib_kv_set(parts, "arch", uname(&u) == 0 ? u.machine : "unknown");
    if (cpu) {
        rc |= aib_kv_set(parts, "cpu", cpu->name);
        rc |= aib_kv_setf(parts, "cpu.cores", "%u", cpu->cores);
        rc |= aib_kv_setf(parts, "cpu.threads", "%u", cpu->threads);
        /* Rounded: the exact figure moves with what the kernel reserves. */
        rc |= aib_kv_setf(parts, "memory", "%.0f GiB", round((double)cpu->mem_bytes / (1 << 30)));
        const char *gov = aib_kv_get(&cpu->props, "governor");
        if (gov && *gov && strcmp(gov, "unknown") != 0)
            rc |= aib_kv_set(parts, "governor", gov);
    }
    static const char *const from_env[] = {"os", "kernel"};
    for (size_t i = 0; i < sizeof from_env / sizeof from_env[0]; i++) {
        const char *v = aib_kv_get(env, from_env[i]);
        rc |= aib_kv_set(parts, from_env[i], v ? v : "unknown");
    }
    for (size_t i = 0; i < devs->len; i++) {
        snprintf(key, sizeof key, "device.%s", devs->items[i].id);
        rc |= aib_kv_set(parts, key, devs->items[i].name);
    }
    return rc ? AIB_ENOMEM : 0;
}

void aib_ci_fingerprint_hash(const struct aib_kvlist *parts, char *buf, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < parts->len; i++) {
        const char *pieces[4] = {parts->items[i].key, "=", parts->items[i].value, "\n"};
        for (int k = 0; k < 4; k++)
            for (const unsigned char *c = (const unsigned char *)pieces[k]; *c; c++) {
                h ^= *c;
                h *= 1099511628211ull; /* FNV prime */
            }
    }
    snprintf(buf, len, "%016" PRIx64, h);
}

int aib_ci_stamp_run(struct aib_run *run, const struct aib_devlist *devs)
{
    struct aib_kvlist parts = {0};
    char key[128];
    int rc = 0;
    aib_ci_git_info(".", run->git_commit, sizeof run->git_commit, run->git_branch,
                    sizeof run->git_branch);
    if (run->git_commit[0])
        rc |= aib_kv_set(&run->env, "git.commit", run->git_commit);
    if (run->git_branch[0])
        rc |= aib_kv_set(&run->env, "git.branch", run->git_branch);
    /* How it was launched, for the record: part of what is measured, like
     * the code, so not part of the fingerprint. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        rc |= aib_kv_setf(&run->env, "cpus_allowed", "%d", CPU_COUNT(&set));
    if (rc || (rc = aib_ci_fingerprint(devs, &run->env, &parts)))
        goto cleanup;
    aib_ci_fingerprint_hash(&parts, run->fingerprint, sizeof run->fingerprint);
    rc |= aib_kv_set(&run->env, "fingerprint", run->fingerprint);
    for (size_t i = 0; i < parts.len; i++) {
        snprintf(key, sizeof key, "fingerprint.%s", parts.items[i].key);
        rc |= aib_kv_set(&run->env, key, parts.items[i].value);
    }
cleanup:
    aib_kv_free(&parts);
    return rc ? AIB_ENOMEM : 0;
}

/* Appends "KEY: BASE in the baseline, CUR here" for a part that differs. */
static void diff_part(char *buf, size_t len, const char *key, const char *base, const char *cur)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    snprintf(buf + used, len - used, "%s%s: %s%s%s in the baseline, %s%s%s here", used ? "; " : "",
             key, base ? "'" : "", base ? base : "absent", base ? "'" : "", cur ? "'" : "",
             cur ? cur : "absent", cur ? "'" : "");
}

int aib_ci_check_host(const struct aib_run *base, const struct aib_run *cur, struct aib_err *err)
{
    static const char prefix[] = "fingerprint.";
    const size_t plen = sizeof prefix - 1;
    char diff[400] = "";
    if (!base->fingerprint[0])
        return aib_err_set(err, AIB_EUSAGE,
                           "baseline run %lld has no host fingerprint (it was recorded by an "
                           "older aibench), so it cannot be a baseline",
                           (long long)base->id);
    if (strcmp(base->fingerprint, cur->fingerprint) == 0)
        return 0;
    for (size_t i = 0; i < base->env.len; i++) {
        const char *k = base->env.items[i].key;
        if (strncmp(k, prefix, plen) != 0)
            continue;
        const char *c = aib_kv_get(&cur->env, k);
        if (!c || strcmp(c, base->env.items[i].value) != 0)
            diff_part(diff, sizeof diff, k + plen, base->env.items[i].value, c);
    }
    for (size_t i = 0; i < cur->env.len; i++) {
        const char *k = cur->env.items[i].key;
        if (strncmp(k, prefix, plen) == 0 && !aib_kv_get(&base->env, k))
            diff_part(diff, sizeof diff, k + plen, NULL, cur->env.items[i].value);
    }
    return aib_err_set(err, AIB_EUSAGE,
                       "baseline run %lld was measured on different hardware or configuration "
                       "(fingerprint %s, here %s): %s",
                       (long long)base->id, base->fingerprint, cur->fingerprint,
                       diff[0] ? diff : "the recorded parts differ");
}
