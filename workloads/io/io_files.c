/* Safety first: aibench io writes only files it creates (O_EXCL) inside a
 * private directory it creates (mkdtemp) in the target directory, refuses
 * anything that is not a directory (block devices, existing files), checks
 * O_DIRECT and free space before writing, and removes what it created. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../bench/fmt.h"
#include "io.h"

uint64_t aib_io_loader_file_size(const struct io_params *p, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ULL ^ 0xA0761D6478BD642FULL;
    uint64_t steps = (uint64_t)(p->file_max - p->file_min) / 4096 + 1;
    return (uint64_t)p->file_min + aib_io_splitmix(&x) % steps * 4096;
}

uint64_t aib_io_needed_bytes(const struct io_params *p)
{
    if (p->pattern != P_LOADER)
        return (uint64_t)p->size;
    uint64_t total = 0;
    for (uint64_t i = 0; i < (uint64_t)p->files; i++)
        total += aib_io_loader_file_size(p, i);
    return total;
}

static const char *base_dir(const struct io_params *p)
{
    if (p->dir[0])
        return p->dir;
    const char *t = getenv("TMPDIR");
    /* /var/tmp rather than /tmp: it is on disk on most systems, /tmp is
     * often tmpfs, which measures memory, not storage. */
    return t && *t ? t : "/var/tmp";
}

/* Logical block size of the device under st_dev, from sysfs (0 if unknown). */
static unsigned sysfs_lbs(dev_t dev)
{
    const char *fmt[] = {"/sys/dev/block/%u:%u/queue/logical_block_size",
                         "/sys/dev/block/%u:%u/../queue/logical_block_size"};
    for (size_t i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, fmt[i], major(dev), minor(dev));
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned v = 0;
        int ok = fscanf(f, "%u", &v) == 1;
        fclose(f);
        if (ok && v)
            return v;
    }
    return 0;
}

/* Opens an unnamed O_DIRECT file in dir (nothing visible is ever created);
 * where O_TMPFILE is not supported, a named probe that is removed at once. */
static int open_probe(const char *dir, int flags, int *err_out)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC | flags, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR)) {
        *err_out = fd < 0 ? errno : 0;
        return fd;
    }
    char name[4200];
    snprintf(name, sizeof name, "%s/.aibench-probe.XXXXXX", dir);
    int tfd = mkstemp(name);
    if (tfd < 0) {
        *err_out = errno;
        return -1;
    }
    close(tfd);
    fd = open(name, O_RDWR | O_CLOEXEC | flags);
    *err_out = fd < 0 ? errno : 0;
    unlink(name);
    return fd;
}

/* The O_DIRECT alignment of files in dir, 0 when O_DIRECT is refused
 * (reason in why). */
static unsigned probe_direct(const char *dir, char *why, size_t why_len)
{
    int e, e_direct;
    int fd = open_probe(dir, O_DIRECT, &e_direct);
    if (fd < 0) {
        int plain = open_probe(dir, 0, &e);
        if (plain >= 0) {
            close(plain);
            snprintf(why, why_len, "the file system refuses O_DIRECT (open: %s)",
                     strerror(e_direct));
        } else {
            snprintf(why, why_len, "cannot create a file there (%s)", strerror(e));
        }
        return 0;
    }
    unsigned align = 0;
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
        sx.stx_dio_offset_align) {
        if (sx.stx_dio_mem_align > IO_ALIGN) {
            close(fd);
            snprintf(why, why_len, "O_DIRECT needs %u-byte buffer alignment (aibench uses %u)",
                     sx.stx_dio_mem_align, IO_ALIGN);
            return 0;
        }
        align = sx.stx_dio_offset_align;
    } else {
        struct stat st;
        if (fstat(fd, &st) == 0)
            align = sysfs_lbs(st.st_dev);
    }
    /* Prove it with one aligned write; without a known size, take the
     * smallest that works. */
    void *buf = NULL;
    if (posix_memalign(&buf, IO_ALIGN, IO_ALIGN)) {
        close(fd);
        snprintf(why, why_len, "out of memory");
        return 0;
    }
    memset(buf, 0xA5, IO_ALIGN);
    unsigned ok = 0;
    for (unsigned a = align ? align : 512; a <= IO_ALIGN && !ok; a *= 2) {
        if (pwrite(fd, buf, a, 0) == (ssize_t)a)
            ok = a;
        else if (align)
            break;
    }
    if (!ok)
        snprintf(why, why_len, "the file system refuses O_DIRECT writes (%s)", strerror(errno));
    free(buf);
    close(fd);
    return ok;
}

int aib_io_check_dir(const struct io_params *p, struct io_dirinfo *out, struct aib_err *err)
{
    const char *base = base_dir(p);
    const char *what = p->dir[0] ? "dir" : "default directory ($TMPDIR or /var/tmp)";
    memset(out, 0, sizeof *out);
    snprintf(out->base, sizeof out->base, "%s", base);
    struct stat st;
    if (stat(base, &st) != 0) {
        if (errno == ENOENT)
            return aib_err_set(err, AIB_EUSAGE, "%s %s does not exist", what, base);
        return aib_err_set(err, AIB_EUSAGE, "cannot use %s %s: %s", what, base, strerror(errno));
    }
    if (S_ISBLK(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE,
                           "%s %s is a block device: aibench io never writes to devices, only to "
                           "files it creates inside a directory",
                           what, base);
    if (S_ISREG(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE,
                           "%s %s is an existing file: aibench io never writes into existing "
                           "files; give a directory",
                           what, base);
    if (!S_ISDIR(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "%s %s is not a directory", what, base);
    if (access(base, W_OK | X_OK) != 0)
        return aib_err_set(err, AIB_EUSAGE, "%s %s is not writable (%s)", what, base,
                           strerror(errno));
    if (p->direct) {
        char why[256] = "";
        out->dio_align = probe_direct(base, why, sizeof why);
        if (!out->dio_align)
            return aib_err_set(err, AIB_EUSAGE, "direct=1 cannot be used in %s: %s (use direct=0 or "
                               "another dir)", base, why);
        if (p->pattern == P_LOADER && 4096 % out->dio_align)
            return aib_err_set(err, AIB_EUSAGE,
                               "the loader's 4k-multiple file sizes do not fit the logical block "
                               "size (%u bytes) of %s, which direct=1 (O_DIRECT) needs",
                               out->dio_align, base);
        if (p->pattern != P_LOADER && p->bs % out->dio_align)
            return aib_err_set(err, AIB_EUSAGE,
                               "bs=%" PRId64 " is not a multiple of the logical block size (%u "
                               "bytes) of %s, which direct=1 (O_DIRECT) needs",
                               p->bs, out->dio_align, base);
    }
    struct statvfs vs;
    if (statvfs(base, &vs) != 0)
        return aib_err_set(err, AIB_EUSAGE, "cannot read the free space of %s: %s", base,
                           strerror(errno));
    out->free_bytes = (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
    uint64_t need = aib_io_needed_bytes(p);
    /* A margin for metadata; never fill a file system to the last block. */
    uint64_t margin = need / 64 + (8u << 20);
    if (need + margin > out->free_bytes) {
        char a[32], b[32];
        aib_fmt_bytes((double)need, a, sizeof a);
        aib_fmt_bytes((double)out->free_bytes, b, sizeof b);
        return aib_err_set(err, AIB_EUSAGE, "%s needs %s in %s but only %s is free",
                           p->pattern == P_LOADER ? "the loader files" : "size", a, base, b);
    }
    return 0;
}

int aib_io_make_workdir(const char *base, char *out, size_t len, struct aib_err *err)
{
    int n = snprintf(out, len, "%s/aibench-io.XXXXXX", base);
    if (n < 0 || (size_t)n >= len)
        return aib_err_set(err, AIB_EUSAGE, "directory name too long: %s", base);
    if (!mkdtemp(out))
        return aib_err_set(err, AIB_EIO, "cannot create a directory in %s: %s", base,
                           strerror(errno));
    return 0;
}

/* Clears O_DIRECT on fd: the rest of the file is written through the page
 * cache (a tail shorter than the alignment, or a file system that takes
 * O_DIRECT at open but not for this write). */
static void direct_off(int fd, int *direct)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_DIRECT);
    *direct = 0;
}

int aib_io_create_file(int dirfd, const char *name, uint64_t len, uint64_t addr0, uint64_t key,
                   uint8_t *scratch, size_t scratch_len, struct aib_err *err)
{
    /* Written with O_DIRECT where the file system takes it: a file written
     * through the page cache has to be dropped from it before a cold read,
     * and in a VM that reports free memory to its host (virtio-balloon free
     * page reporting) that many freed pages stalled the guest's IO about
     * 2 s later, for 100-160 ms on a 1 GiB file: 4k reads at queue depth 1
     * lost 3-4% of a 4 s run to it (docs/performance.md). */
    int direct = 1;
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_DIRECT, 0600);
    if (fd < 0 && errno == EINVAL) {
        direct = 0;
        fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return aib_err_set(err, AIB_EIO, "cannot create %s: %s", name, strerror(errno));
    int rc = 0;
    uint64_t done = 0;
    while (done < len) {
        size_t chunk = len - done < scratch_len ? (size_t)(len - done) : scratch_len;
        aib_io_fill_prefill(scratch, chunk, addr0 + done, key);
        size_t off = 0;
        while (off < chunk) {
            if (direct && (chunk - off) % IO_ALIGN)
                direct_off(fd, &direct);
            ssize_t w = pwrite(fd, scratch + off, chunk - off, (off_t)(done + off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EINVAL && direct) {
                direct_off(fd, &direct);
                continue;
            }
            if (w <= 0) {
                char a[32];
                rc = aib_err_set(err, AIB_EIO, "cannot write %s (after %s): %s", name,
                                 aib_fmt_bytes((double)(done + off), a, sizeof a),
                                 w < 0 ? strerror(errno) : "no progress");
                goto out;
            }
            off += (size_t)w;
        }
        done += chunk;
    }
out:
    if (rc == 0) /* start writeback now; aib_io_drop_cache waits for it */
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
    if (rc)
        unlinkat(dirfd, name, 0);
    return rc;
}

void aib_io_drop_cache(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    /* fsync, not only the data: the file system's own commit of the new
     * blocks must not land in the timed part (fio's create_fsync). */
    fsync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}
