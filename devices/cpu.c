/* CPU backend: topology from hwloc, features and clock from /proc and /sys.
 * One device "cpu" for the whole machine, plus "cpu:N" per NUMA node when
 * there is more than one node (so a workload can be pinned to a node). */
#include "device.h"

#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

/* What /proc/cpuinfo says about the first processor. */
struct cpuinfo {
    char vendor[64];
    char model[256];
    char flags[8192]; /* x86 "flags" or arm "Features", space separated */
    int family;       /* x86 "cpu family", -1 if absent */
    double mhz;       /* "cpu MHz", 0 if absent */
    bool arm;
};

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, strlen(s + lead) + 1);
}

/* "key\t: value" -> value, or NULL when the line is not `key`. */
static const char *cpuinfo_value(const char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0)
        return NULL;
    const char *p = line + n;
    p += strspn(p, " \t");
    if (*p != ':')
        return NULL;
    return p + 1 + strspn(p + 1, " \t");
}

static void copy_trimmed(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src);
    trim(dst);
}

static void read_cpuinfo(struct cpuinfo *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->family = -1;
#if defined(__aarch64__) || defined(__arm__)
    ci->arm = true;
#endif
    FILE *f = fopen("/proc/cpuinfo", "r");
    char *line = NULL;
    size_t cap = 0;
    if (!f)
        goto out;
    /* Only the first processor block: they are identical on the machines
     * we support, and hybrid parts are described by hwloc anyway. */
    bool seen = false;
    while (getline(&line, &cap, f) > 0) {
        const char *v;
        if (line[0] == '\n') {
            if (seen)
                break;
            continue;
        }
        seen = true;
        if ((v = cpuinfo_value(line, "vendor_id")))
            copy_trimmed(ci->vendor, sizeof ci->vendor, v);
        else if ((v = cpuinfo_value(line, "model name")))
            copy_trimmed(ci->model, sizeof ci->model, v);
        else if ((v = cpuinfo_value(line, "flags")) || (v = cpuinfo_value(line, "Features")))
            copy_trimmed(ci->flags, sizeof ci->flags, v);
        else if ((v = cpuinfo_value(line, "cpu family")))
            ci->family = atoi(v);
        else if ((v = cpuinfo_value(line, "cpu MHz")))
            ci->mhz = strtod(v, NULL);
        else if ((v = cpuinfo_value(line, "CPU implementer")) && !ci->vendor[0]) {
            snprintf(ci->vendor, sizeof ci->vendor, "ARM implementer %.32s", v);
            trim(ci->vendor);
        }
    }
out:
    free(line);
    if (f)
        fclose(f);
}

static bool has_flag(const char *flags, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = flags; (p = strstr(p, name)); p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

/* First line of a small sysfs file, trimmed; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (ok)
        trim(buf);
    return ok && buf[0];
}

/* MemTotal from /proc/meminfo or a node's meminfo ("Node 0 MemTotal: ..."). */
static uint64_t read_memtotal(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    unsigned long long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "MemTotal:");
        if (p && sscanf(p + 9, "%llu", &kb) == 1)
            break;
    }
    fclose(f);
    return (uint64_t)kb * 1024;
}

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (v == (double)(uint64_t)v)
        snprintf(buf, len, "%.0f %s", v, units[u]);
    else
        snprintf(buf, len, "%.2f %s", v, units[u]);
}

/* "48 KiB x 2 (per core)" for the caches of one type that touch `set`. */
static int cache_prop(struct aib_kvlist *p, const char *key, hwloc_topology_t topo,
                      hwloc_const_cpuset_t set, hwloc_obj_type_t type)
{
    unsigned count = 0, shared = 0;
    uint64_t size = 0;
    bool mixed = false;
    int n = hwloc_get_nbobjs_by_type(topo, type);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);
        if (!o || !o->cpuset || !hwloc_bitmap_intersects(o->cpuset, set))
            continue;
        /* L1CACHE may also be unified; only data/unified count as l1d. */
        if (o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION && type != HWLOC_OBJ_L1ICACHE)
            continue;
        if (count == 0) {
            size = o->attr->cache.size;
            shared = (unsigned)hwloc_get_nbobjs_inside_cpuset_by_type(topo, o->cpuset, HWLOC_OBJ_CORE);
        } else if (o->attr->cache.size != size) {
            mixed = true; /* hybrid parts: P and E cores differ */
        }
        count++;
    }
    if (count == 0)
        return 0;
    char sz[32];
    fmt_bytes(size, sz, sizeof sz);
    if (shared <= 1)
        return aib_kv_setf(p, key, "%s x %u (per core)%s", sz, count, mixed ? ", sizes vary" : "");
    return aib_kv_setf(p, key, "%s x %u (shared by %u cores)%s", sz, count, shared,
                       mixed ? ", sizes vary" : "");
}

static int simd_prop(struct aib_kvlist *p, const struct cpuinfo *ci)
{
    static const char *x86[] = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                                "avx512_bf16", "avx512_vnni", "avx512_fp16", "amx_tile",
                                "amx_bf16", "amx_int8"};
    /* arm /proc/cpuinfo says "asimd" for NEON. */
    static const char *arm[][2] = {{"asimd", "neon"}, {"asimdhp", "neon_fp16"}, {"sve", "sve"},
                                   {"sve2", "sve2"}, {"bf16", "bf16"}, {"i8mm", "i8mm"}, {"sme", "sme"}};
    char buf[512] = "";
    size_t len = 0;
    if (ci->arm) {
        for (size_t i = 0; i < sizeof arm / sizeof arm[0]; i++)
            if (has_flag(ci->flags, arm[i][0]))
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "", arm[i][1]);
    } else {
        for (size_t i = 0; i < sizeof x86 / sizeof x86[0]; i++)
            if (has_flag(ci->flags, x86[i]))
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "", x86[i]);
    }
    return aib_kv_set(p, "simd", len ? buf : "none recognised");
}

/* FP32 flop per cycle per core from the widest SIMD and FMA units, with the
 * assumption spelled out in `why`. Conservative: two FMA pipes at most. */
static int fp32_flops_per_cycle(const struct cpuinfo *ci, char *why, size_t len)
{
    const char *f = ci->flags;
    bool amd = strcmp(ci->vendor, "AuthenticAMD") == 0;
    if (ci->arm) {
        if (has_flag(f, "asimd")) {
            snprintf(why, len, "NEON: 2x128-bit FMA pipes assumed%s",
                     has_flag(f, "sve") ? "; SVE vector length not probed" : "");
            return 16;
        }
    } else if (has_flag(f, "avx512f") && has_flag(f, "fma")) {
        /* Zen 4 (family 0x19) splits 512-bit ops into 2x256; Zen 5 (0x1A)
         * has full 512-bit FMA pipes (measured 64 flop/cycle on an EPYC
         * 0x1A VM; mobile Zen 5 double-pumps and would be overstated). */
        if (amd && ci->family == 0x19) {
            snprintf(why, len, "AVX-512 on Zen 4: 2x256-bit FMA");
            return 32;
        }
        if (amd && ci->family >= 0x1A) {
            snprintf(why, len, "AVX-512 on Zen 5: 2x512-bit FMA");
            return 64;
        }
        snprintf(why, len, "AVX-512: 2x512-bit FMA pipes assumed; parts with one 512-bit FMA unit reach half");
        return 64;
    } else if (has_flag(f, "avx2") && has_flag(f, "fma")) {
        snprintf(why, len, "AVX2: 2x256-bit FMA pipes assumed");
        return 32;
    } else if (has_flag(f, "avx")) {
        snprintf(why, len, "AVX without FMA: one 256-bit add + one 256-bit mul");
        return 16;
    } else if (has_flag(f, "sse2")) {
        snprintf(why, len, "SSE2: one 128-bit add + one 128-bit mul");
        return 8;
    }
    snprintf(why, len, "no SIMD/FMA features recognised");
    return 0;
}

/* Max clock in GHz and where it came from; 0 when unknown. */
static double max_ghz(const struct cpuinfo *ci, struct aib_kvlist *p, int *rc)
{
    char buf[64];
    double ghz = 0;
    if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", buf, sizeof buf) &&
        (ghz = strtod(buf, NULL) / 1e6) > 0) {
        *rc = *rc ? *rc : aib_kv_setf(p, "max_freq", "%.2f GHz", ghz);
        *rc = *rc ? *rc : aib_kv_set(p, "freq_source", "cpufreq cpuinfo_max_freq");
    } else if (ci->mhz > 0) {
        ghz = ci->mhz / 1000;
        *rc = *rc ? *rc : aib_kv_setf(p, "max_freq", "%.2f GHz", ghz);
        *rc = *rc ? *rc : aib_kv_set(p, "freq_source", "/proc/cpuinfo cpu MHz (no cpufreq)");
        /* A guest sees the nominal (TSC) rate here, not the boost clock. */
        if (has_flag(ci->flags, "hypervisor"))
            *rc = *rc ? *rc : aib_kv_set(p, "freq_note",
                                         "virtual machine: cpu MHz is the nominal rate; boost clocks "
                                         "may be higher, so measured FLOP/s can exceed the peak below");
    } else {
        *rc = *rc ? *rc : aib_kv_set(p, "max_freq", "unknown");
        *rc = *rc ? *rc : aib_kv_set(p, "freq_source", "none (no cpufreq, no cpu MHz)");
    }
    if (!read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf))
        snprintf(buf, sizeof buf, "unknown");
    *rc = *rc ? *rc : aib_kv_set(p, "governor", buf);
    return ghz;
}

static int count_in(hwloc_topology_t topo, hwloc_const_cpuset_t set, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(topo, type), c = 0;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);
        c += o && o->cpuset && hwloc_bitmap_intersects(o->cpuset, set);
    }
    return c;
}

/* One device for the PUs in `set`: the whole machine (node == NULL) or a NUMA node. */
static int add_device(struct aib_devlist *out, hwloc_topology_t topo, hwloc_const_cpuset_t set,
                      hwloc_obj_t node, const struct cpuinfo *ci, const char *hw_model,
                      struct aib_err *err)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .platform_index = -1, .index = -1};
    struct aib_kvlist *p = &d.props;
    char b1[32], b2[32], path[96], why[160];
    int rc = 0;

    if (node) {
        d.index = (int)node->os_index;
        snprintf(d.id, sizeof d.id, "cpu:%u", node->os_index);
    } else {
        snprintf(d.id, sizeof d.id, "cpu");
    }
    snprintf(d.name, sizeof d.name, "%s", hw_model[0] ? hw_model : ci->model[0] ? ci->model : "unknown CPU");
    d.cores = (unsigned)hwloc_get_nbobjs_inside_cpuset_by_type(topo, set, HWLOC_OBJ_CORE);
    d.threads = (unsigned)hwloc_get_nbobjs_inside_cpuset_by_type(topo, set, HWLOC_OBJ_PU);
    if (d.cores == 0) /* some VMs expose no Core objects: count PUs as cores */
        d.cores = d.threads;

    rc = rc ? rc : aib_kv_set(p, "model", d.name);
    if (ci->model[0] && strcmp(ci->model, d.name) != 0)
        rc = rc ? rc : aib_kv_set(p, "model_cpuinfo", ci->model);
    rc = rc ? rc : aib_kv_set(p, "vendor", ci->vendor[0] ? ci->vendor : "unknown");
    if (ci->family >= 0)
        rc = rc ? rc : aib_kv_setf(p, "family", "0x%x", (unsigned)ci->family);
    rc = rc ? rc : aib_kv_setf(p, "packages", "%d", count_in(topo, set, HWLOC_OBJ_PACKAGE));
    rc = rc ? rc : aib_kv_setf(p, "cores", "%u", d.cores);
    rc = rc ? rc : aib_kv_setf(p, "threads", "%u", d.threads);
    rc = rc ? rc : aib_kv_setf(p, "numa_nodes", "%d", count_in(topo, set, HWLOC_OBJ_NUMANODE));
    rc = rc ? rc : cache_prop(p, "l1d", topo, set, HWLOC_OBJ_L1CACHE);
    rc = rc ? rc : cache_prop(p, "l1i", topo, set, HWLOC_OBJ_L1ICACHE);
    rc = rc ? rc : cache_prop(p, "l2", topo, set, HWLOC_OBJ_L2CACHE);
    rc = rc ? rc : cache_prop(p, "l3", topo, set, HWLOC_OBJ_L3CACHE);

    /* hwloc counts memory attached to NUMA nodes; MemTotal can be larger
     * (e.g. hot-plugged VM memory hwloc does not place in a node). */
    uint64_t hw = node ? node->attr->numanode.local_memory : hwloc_get_root_obj(topo)->total_memory;
    if (node)
        snprintf(path, sizeof path, "/sys/devices/system/node/node%u/meminfo", node->os_index);
    uint64_t mi = read_memtotal(node ? path : "/proc/meminfo");
    fmt_bytes(hw, b1, sizeof b1);
    fmt_bytes(mi, b2, sizeof b2);
    rc = rc ? rc : aib_kv_setf(p, "memory", "%s (hwloc NUMA memory)", b1);
    rc = rc ? rc : aib_kv_setf(p, "memory_meminfo", "%s%s", mi ? b2 : "unknown", mi ? " (MemTotal)" : "");
    d.mem_bytes = hw > mi ? hw : mi;
    if ((double)(hw > mi ? hw - mi : mi - hw) > 0.01 * (double)d.mem_bytes)
        rc = rc ? rc : aib_kv_setf(p, "memory_note",
                                   "hwloc sees %s but MemTotal is %s; mem_bytes uses the larger (%s)",
                                   b1, b2, hw > mi ? "hwloc" : "MemTotal");

    rc = rc ? rc : simd_prop(p, ci);
    double ghz = max_ghz(ci, p, &rc);
    int fpc = fp32_flops_per_cycle(ci, why, sizeof why);
    if (ghz > 0 && fpc > 0) {
        d.peak_fp32_gflops = d.cores * ghz * fpc;
        d.peak_fp64_gflops = d.peak_fp32_gflops / 2;
        rc = rc ? rc : aib_kv_setf(p, "peak_fp32_gflops", "%.1f", d.peak_fp32_gflops);
        rc = rc ? rc : aib_kv_setf(p, "peak_fp64_gflops", "%.1f", d.peak_fp64_gflops);
        rc = rc ? rc : aib_kv_setf(p, "peak_method", "%u cores x %.2f GHz x %d FP32 flop/cycle (%s); FP64 is half",
                                   d.cores, ghz, fpc, why);
    } else {
        rc = rc ? rc : aib_kv_set(p, "peak_fp32_gflops", "0");
        rc = rc ? rc : aib_kv_setf(p, "peak_method", "unknown: %s",
                                   ghz > 0 ? why : "no clock frequency (no cpufreq, no cpu MHz)");
    }
    if (rc) {
        aib_kv_free(p);
        return aib_err_set(err, rc, "cpu: out of memory");
    }
    rc = aib_devlist_add(out, &d);
    return rc ? aib_err_set(err, rc, "cpu: out of memory") : 0;
}

static int cpu_discover(struct aib_devlist *out, struct aib_backend_status *st, struct aib_err *err)
{
    hwloc_topology_t topo = NULL;
    struct cpuinfo ci;
    char hw_model[256] = "";
    int rc = 0;

    read_cpuinfo(&ci);
    if (hwloc_topology_init(&topo) != 0) {
        topo = NULL;
        snprintf(st->reason, sizeof st->reason, "hwloc_topology_init failed");
        goto out;
    }
    if (hwloc_topology_load(topo) != 0) {
        snprintf(st->reason, sizeof st->reason, "hwloc_topology_load failed");
        goto out;
    }
    /* hwloc puts CPUModel on the Package (or the root on some platforms). */
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (!m)
        m = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "CPUModel");
    if (m)
        copy_trimmed(hw_model, sizeof hw_model, m);
    if (!ci.vendor[0] && pkg && (m = hwloc_obj_get_info_by_name(pkg, "CPUVendor")))
        copy_trimmed(ci.vendor, sizeof ci.vendor, m);

    st->available = true;
    rc = add_device(out, topo, hwloc_get_root_obj(topo)->cpuset, NULL, &ci, hw_model, err);
    if (rc)
        goto out;
    int nn = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    for (int i = 0; nn > 1 && i < nn; i++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
        /* Memory-only nodes (CXL, HBM without cores) have nothing to run on. */
        if (!node || !node->cpuset || hwloc_bitmap_iszero(node->cpuset))
            continue;
        rc = add_device(out, topo, node->cpuset, node, &ci, hw_model, err);
        if (rc)
            goto out;
    }
out:
    if (topo)
        hwloc_topology_destroy(topo);
    return rc;
}

const struct aib_device_backend aib_cpu_backend = {
    .name = "cpu",
    .kind = AIB_DEV_CPU,
    .discover = cpu_discover,
};
