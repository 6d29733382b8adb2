/* The live Prometheus endpoint of `aibench top --prometheus`: the families
 * rendered from a made-up host sample, NVML read through a table of test
 * functions, and the /metrics server over real loopback sockets. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../results/prom.h"
#include "../../tui/prom_nvml.h"
#include "../../tui/prom_serve.h"

static char *render(struct aib_prom *p)
{
    char *t = NULL;
    size_t n = 0;
    struct aib_err err = {0};
    assert_int_equal(aib_prom_render(p, &t, &n, &err), 0);
    assert_int_equal(strlen(t), n);
    return t;
}

/* --- the live families ----------------------------------------------------------- */

static void test_live_render(void **state)
{
    (void)state;
    struct aib_procfs_sample *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->ncpus = 2;
    s->interval = 0.5;
    s->total = (struct aib_procfs_cpu){.id = -1, .util = 0.25, .valid = AIB_PF_UTIL};
    s->cpu[0] = (struct aib_procfs_cpu){.id = 0, .util = 0.5, .freq_mhz = 2100,
                                        .valid = AIB_PF_UTIL | AIB_PF_FREQ};
    s->cpu[1] = (struct aib_procfs_cpu){.id = 1, .util = 0, .valid = AIB_PF_UTIL};
    s->valid = AIB_PF_MEM | AIB_PF_DISK;
    s->mem_total = 8ull << 30;
    s->mem_available = 6ull << 30;
    s->disk_read_bps = 1000;
    s->disk_write_bps = 10;
    struct aib_prom_totals t = {0};
    aib_prom_totals_add(&t, s);
    aib_prom_totals_add(&t, s);
    assert_int_equal(t.samples, 2);
    assert_true(t.disk_read == 1000 && t.disk_written == 10);

    struct aib_devlist devs = {0};
    struct aib_device d = {.kind = AIB_DEV_CPU};
    snprintf(d.id, sizeof d.id, "cpu");
    snprintf(d.name, sizeof d.name, "Test \"CPU\"");
    assert_int_equal(aib_devlist_add(&devs, &d), 0);
    devs.nbackends = 2;
    snprintf(devs.backends[0].name, sizeof devs.backends[0].name, "cpu");
    devs.backends[0].available = true;
    snprintf(devs.backends[1].name, sizeof devs.backends[1].name, "cuda");
    struct aib_prom_gpu g = {.index = 0, .valid = AIB_PG_POWER | AIB_PG_ENERGY,
                             .power_w = 71.5, .energy_j = 12345.5};
    snprintf(g.name, sizeof g.name, "NVIDIA H100");

    struct aib_prom *p = NULL;
    struct aib_err err = {0};
    assert_int_equal(aib_prom_new(&p, &err), 0);
    assert_int_equal(aib_prom_live_render(p, &devs, s, &t, 0.5, &g, 1, 1700000000, &err), 0);
    char *x = render(p);
    assert_non_null(strstr(x, "aibench_telemetry_samples_total 2\n"));
    assert_non_null(strstr(x, "# TYPE aibench_telemetry_samples_total counter\n"));
    assert_non_null(strstr(x, "aibench_host_cpus 2\n"));
    assert_non_null(strstr(x, "aibench_host_cpu_utilization_ratio{cpu=\"0\"} 0.5\n"));
    assert_non_null(strstr(x, "aibench_host_cpu_utilization_ratio{cpu=\"1\"} 0\n"));
    assert_non_null(strstr(x, "aibench_host_cpu_frequency_hertz{cpu=\"0\"} 2100000000\n"));
    assert_null(strstr(x, "aibench_host_cpu_frequency_hertz{cpu=\"1\"}")); /* missing: absent */
    assert_null(strstr(x, "aibench_host_load1"));
    assert_null(strstr(x, "aibench_host_network"));
    assert_non_null(strstr(x, "aibench_host_memory_available_bytes 6442450944\n"));
    assert_non_null(strstr(x, "aibench_host_disk_read_bytes_total 1000\n"));
    assert_non_null(strstr(
        x, "aibench_device_info{device=\"cpu\",kind=\"cpu\",name=\"Test \\\"CPU\\\"\"} 1\n"));
    assert_non_null(strstr(x, "aibench_backend_available{backend=\"cuda\"} 0\n"));
    assert_non_null(strstr(x, "aibench_gpu_power_watts{gpu=\"0\"} 71.5\n"));
    assert_non_null(strstr(x, "aibench_gpu_energy_joules_total{gpu=\"0\"} 12345.5\n"));
    assert_null(strstr(x, "aibench_gpu_temperature_celsius"));
    free(x);
    aib_prom_free(p);
    aib_devices_free(&devs);
    free(s);
}

/* --- NVML through a table of test functions (no driver here) ------------------- */

static char fake_gpu[2]; /* their addresses are the two handles */
#define H(i) ((aib_nvml_dev)(void *)&fake_gpu[i])
static int fake_index(aib_nvml_dev h) { return h == H(0) ? 0 : h == H(1) ? 1 : -1; }
static aib_nvml_ret f_ok(void) { return AIB_NVML_SUCCESS; }
static const char *f_str(aib_nvml_ret rc) { return rc ? "error" : "ok"; }
static aib_nvml_ret f_count(unsigned int *n)
{
    *n = 2;
    return AIB_NVML_SUCCESS;
}
static aib_nvml_ret f_by_index(unsigned int i, aib_nvml_dev *h)
{
    *h = H(i);
    return i < 2 ? AIB_NVML_SUCCESS : 2;
}
static aib_nvml_ret f_by_pci(const char *bus, aib_nvml_dev *h)
{
    *h = H(1); /* only GPU 1 is a CUDA device aibench knows */
    return strcmp(bus, "0000:41:00.0") == 0 ? AIB_NVML_SUCCESS : 2;
}
static aib_nvml_ret f_name(aib_nvml_dev h, char *buf, unsigned int len)
{
    snprintf(buf, len, "Fake GPU %d", fake_index(h));
    return AIB_NVML_SUCCESS;
}
static aib_nvml_ret f_power(aib_nvml_dev h, unsigned int *mw)
{
    *mw = 71500;
    return fake_index(h) == 0 ? AIB_NVML_SUCCESS : AIB_NVML_ERROR_NOT_SUPPORTED;
}
static aib_nvml_ret f_energy(aib_nvml_dev h, unsigned long long *mj)
{
    *mj = 123456789ull + (unsigned)fake_index(h);
    return AIB_NVML_SUCCESS;
}
static aib_nvml_ret f_clock(aib_nvml_dev h, int which, unsigned int *mhz)
{
    (void)h;
    *mhz = which == AIB_NVML_CLOCK_SM ? 1980 : 2619;
    return AIB_NVML_SUCCESS;
}
static aib_nvml_ret f_util(aib_nvml_dev h, struct aib_nvml_utilization *u)
{
    (void)h;
    *u = (struct aib_nvml_utilization){.gpu = 87, .memory = 40};
    return AIB_NVML_SUCCESS;
}
static aib_nvml_ret f_mem(aib_nvml_dev h, struct aib_nvml_memory *m)
{
    (void)h;
    *m = (struct aib_nvml_memory){.total = 80ull << 30, .used = 1ull << 30, .free = 79ull << 30};
    return AIB_NVML_SUCCESS;
}

static void test_nvml_gpus(void **state)
{
    (void)state;
    struct aib_prom_nvml_fns f = {
        .api = {.init = f_ok, .shutdown = f_ok, .error_string = f_str,
                .handle_by_index = f_by_index, .handle_by_pci = f_by_pci, .power = f_power,
                .energy = f_energy, .clock = f_clock, .utilization = f_util, .memory = f_mem},
        .count = f_count, .name = f_name};
    struct aib_devlist devs = {0};
    struct aib_device d = {.kind = AIB_DEV_CUDA, .index = 0};
    snprintf(d.id, sizeof d.id, "cuda:0");
    assert_int_equal(aib_kv_set(&d.props, "pci_bus_id", "0000:41:00.0"), 0);
    assert_int_equal(aib_devlist_add(&devs, &d), 0);
    struct aib_prom_gpus *G = NULL;
    assert_true(aib_prom_gpus_open(&f, &devs, &G));
    const struct aib_prom_gpu *g = NULL;
    assert_int_equal(aib_prom_gpus_read(G, &g), 2);
    assert_string_equal(g[0].name, "Fake GPU 0");
    assert_string_equal(g[0].device, "");
    assert_string_equal(g[1].device, "cuda:0"); /* matched by PCI bus id, not index */
    assert_true(g[0].valid & AIB_PG_POWER);
    assert_true(g[0].power_w == 71.5);
    assert_false(g[1].valid & AIB_PG_POWER); /* not supported: missing, not 0 */
    assert_false(g[1].valid & AIB_PG_TEMP);  /* no function at all */
    assert_true(g[1].energy_j == 123456.79);
    assert_true(g[0].sm_hz == 1980e6 && g[0].mem_hz == 2619e6);
    assert_true(g[0].util == 0.87 && g[0].mem_util == 0.40);
    assert_true(g[0].mem_total == (double)(80ull << 30));

    struct aib_prom *p = NULL;
    struct aib_err err = {0};
    struct aib_prom_totals t = {0};
    assert_int_equal(aib_prom_new(&p, &err), 0);
    assert_int_equal(aib_prom_live_render(p, &devs, NULL, &t, 1, g, 2, 0, &err), 0);
    char *x = render(p);
    assert_non_null(strstr(
        x, "aibench_gpu_info{gpu=\"1\",name=\"Fake GPU 1\",uuid=\"\",device=\"cuda:0\"} 1\n"));
    assert_non_null(strstr(x, "aibench_gpu_utilization_ratio{gpu=\"0\"} 0.87\n"));
    assert_non_null(strstr(x, "aibench_gpu_sm_clock_hertz{gpu=\"1\"} 1980000000\n"));
    assert_non_null(strstr(x, "aibench_gpu_power_watts{gpu=\"0\"} 71.5\n"));
    assert_null(strstr(x, "aibench_gpu_power_watts{gpu=\"1\"}"));
    assert_non_null(strstr(x, "# TYPE aibench_gpu_energy_joules_total counter\n"));
    assert_null(strstr(x, "aibench_host_")); /* no host sample given */
    free(x);
    aib_prom_free(p);
    aib_prom_gpus_close(G);

    /* No count function, or init failing: no reader, nothing to show. */
    f.count = NULL;
    assert_false(aib_prom_gpus_open(&f, &devs, &G));
    assert_null(G);
    assert_int_equal(aib_prom_gpus_read(NULL, &g), 0);
    aib_prom_gpus_close(NULL);
    aib_devices_free(&devs);
}

/* --- the server over loopback ------------------------------------------------------ */

static int connect_to(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Sends `req` and reads the whole answer (the server closes after it). */
static char *exchange(const char *addr, const char *req)
{
    int fd = connect_to(addr);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    size_t cap = 1 << 16, n = 0;
    char *buf = calloc(1, cap);
    assert_non_null(buf);
    for (ssize_t r; (r = recv(fd, buf + n, cap - 1 - n, 0)) > 0;)
        n += (size_t)r;
    close(fd);
    return buf;
}

static void test_server(void **state)
{
    (void)state;
    struct aib_prom_server *srv = NULL, *again = NULL;
    struct aib_err err = {0};
    assert_int_equal(aib_prom_server_open("127.0.0.1:0", &srv, &err), 0);
    const char *addr = aib_prom_server_addr(srv);
    assert_int_equal(strncmp(addr, "127.0.0.1:", 10), 0);
    assert_true(atoi(addr + 10) > 0);
    /* the port in use: refused in one line */
    assert_int_equal(aib_prom_server_open(addr, &again, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "cannot listen on"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(aib_prom_server_start(srv, &err), 0);

    char *r = exchange(addr, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_int_equal(strncmp(r, "HTTP/1.0 503 ", 13), 0); /* nothing published yet */
    free(r);
    const char body[] = "# HELP x_up Up.\n# TYPE x_up gauge\nx_up 1\n";
    assert_int_equal(aib_prom_server_publish(srv, body, strlen(body)), 0);

    /* A silent client holds a connection; the next one is still served. */
    int silent = connect_to(addr);
    r = exchange(addr, "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
    assert_int_equal(strncmp(r, "HTTP/1.0 200 OK\r\n", 17), 0);
    assert_non_null(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    char cl[64];
    snprintf(cl, sizeof cl, "\r\nContent-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(r, cl));
    assert_string_equal(strstr(r, "\r\n\r\n") + 4, body);
    free(r);
    close(silent);
    /* As many silent clients as there are places: the oldest makes room. */
    int idle[AIB_PROM_MAX_CLIENTS];
    for (int i = 0; i < AIB_PROM_MAX_CLIENTS; i++)
        idle[i] = connect_to(addr);
    r = exchange(addr, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_int_equal(strncmp(r, "HTTP/1.0 200 OK\r\n", 17), 0);
    free(r);
    for (int i = 0; i < AIB_PROM_MAX_CLIENTS; i++)
        close(idle[i]);

    r = exchange(addr, "GET /other HTTP/1.0\n\n"); /* bare newlines are accepted too */
    assert_int_equal(strncmp(r, "HTTP/1.0 404 ", 13), 0);
    free(r);
    r = exchange(addr, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(strncmp(r, "HTTP/1.0 405 ", 13), 0);
    assert_non_null(strstr(r, "\r\nAllow: GET\r\n"));
    free(r);
    r = exchange(addr, "nonsense\r\n\r\n");
    assert_int_equal(strncmp(r, "HTTP/1.0 400 ", 13), 0);
    free(r);
    aib_prom_server_close(srv);
    aib_prom_server_close(NULL);
}

static void test_addresses(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    struct aib_err err = {0};
    char h[64];
    assert_int_equal(aib_prom_parse_addr("9464", &ss, &len, &err), 0);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(a4->sin_port), 9464);
    inet_ntop(AF_INET, &a4->sin_addr, h, sizeof h);
    assert_string_equal(h, "127.0.0.1"); /* loopback unless told otherwise */
    assert_int_equal(aib_prom_parse_addr(":80", &ss, &len, &err), 0);
    inet_ntop(AF_INET, &a4->sin_addr, h, sizeof h);
    assert_string_equal(h, "127.0.0.1");
    assert_int_equal(aib_prom_parse_addr("localhost:1", &ss, &len, &err), 0);
    assert_int_equal(aib_prom_parse_addr("0.0.0.0:9100", &ss, &len, &err), 0);
    inet_ntop(AF_INET, &a4->sin_addr, h, sizeof h);
    assert_string_equal(h, "0.0.0.0");
    assert_int_equal(aib_prom_parse_addr("[::1]:0", &ss, &len, &err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    const char *bad[] = {"", "x", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.999:80",
                         "example.com:80", "::1:80", "[::1]80", "1.2.3.4:-1", "1.2.3.4:8o"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aib_prom_parse_addr(bad[i], &ss, &len, &err), AIB_EUSAGE);
        assert_null(strchr(err.msg, '\n'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_render),
        cmocka_unit_test(test_nvml_gpus),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
