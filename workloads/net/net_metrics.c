/* The figures iperf3 and sockperf print, as result metrics. Rates come from
 * the timed samples (work per iteration / mean time per iteration); the
 * round-trip percentiles from the merged per-stream histograms; what the
 * receiver confirmed and the UDP loss from the server's counts at the
 * checks before and after the timed samples. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static void put_rtt(struct aib_metric_list *m, const struct aib_hist *h)
{
    static const struct {
        const char *name;
        double p;
    } ps[] = {{"rtt_p50_us", 50}, {"rtt_p90_us", 90}, {"rtt_p99_us", 99}, {"rtt_p999_us", 99.9},
              {"rtt_max_us", 100}};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        aib_metric_put(m, ps[i].name, (double)aib_hist_percentile(h, ps[i].p) / 1e3, "us", h->count > 0,
                       !h->count ? "no round trip completed"
                       : i == 0  ? "round trip, msg bytes each way (one-way latency is about half); "
                                   "histogram error <= 0.4%"
                                 : NULL);
    aib_metric_put(m, "rtt_mean_us", aib_hist_mean(h) / 1e3, "us", h->count > 0, NULL);
}

int aib_net_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    struct net_state *s = state;
    struct aib_metric_list m = {r, 0};
    double mean = aib_samples_mean(r);
    int ok = mean > 0;
    mean = ok ? mean : 1; /* the rates are then marked missing */
    const char *none = ok ? NULL : "no timed samples";
    char note[200];
    snprintf(note, sizeof note, "peer %s%s, msg %zu bytes", s->peer.text,
             s->srv ? " (in-process server)" : "", s->msg);
    aib_metric_put(&m, "streams", s->n, "", 1, note);

    if (s->p.mode == M_PINGPONG) {
        struct aib_hist *h = malloc(sizeof *h);
        if (!h)
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
        aib_hist_reset(h);
        for (unsigned i = 0; i < s->n; i++)
            aib_hist_merge(h, s->st[i].rtt);
        aib_metric_put(&m, "transactions_s", r->ops / mean, "1/s", ok, none);
        put_rtt(&m, h);
        free(h);
        goto out;
    }
    double gbit = r->bytes / mean * 8 / 1e9;
    uint64_t acked = 0, sent = 0, recv = 0, recv_bytes = 0, ooo = 0, retrans = 0;
    unsigned synced = 0, twice = 0;
    for (unsigned i = 0; i < s->n; i++) {
        const struct net_stream *st = &s->st[i];
        acked += st->last.bytes;
        sent += st->sent_at_sync - st->sent_at_prev;
        recv += st->last.frames - st->prev.frames;
        recv_bytes += st->last.bytes - st->prev.bytes;
        ooo += st->last.ooo;
        synced += st->syncs > 0;
        twice += st->syncs > 1;
        struct tcp_info ti;
        socklen_t tl = sizeof ti;
        if (s->p.mode == M_TCP && getsockopt(st->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
            retrans += ti.tcpi_total_retrans;
    }
    if (s->p.mode == M_TCP) {
        aib_metric_put(&m, "gbit_s", gbit, "Gbit/s", ok,
                       ok ? "sent; every frame acknowledged by the receiver in order, payload checked"
                          : none);
        /* The receiver's view, as iperf3's receiver line: bytes confirmed
         * between the checks around the timed samples, over the wall time
         * between them (gaps between samples included). */
        int bracketed = twice == s->n && s->t_checked_ns > s->t_checked_prev_ns;
        double secs = bracketed ? (double)(s->t_checked_ns - s->t_checked_prev_ns) / 1e9 : 1;
        aib_metric_put(&m, "recv_gbit_s", (double)recv_bytes * 8 / secs / 1e9, "Gbit/s", bracketed,
                       bracketed ? "confirmed by the receiver over the timed part, wall time"
                                 : "not measured (no check after the timed samples)");
        aib_metric_put(&m, "retransmits", (double)retrans, "", 1, "TCP_INFO total_retrans, all streams");
        aib_metric_put(&m, "verified_bytes", (double)acked, "B", synced == s->n,
                       synced == s->n ? "bytes the receiver confirmed at the last check"
                                      : "no check done");
        goto out;
    }
    int have = synced == s->n && sent > 0;
    double loss = have ? (double)(sent - recv) / (double)sent * 100 : 0;
    snprintf(note, sizeof note, "%s target rate", s->p.rate > 0 ? "at the" : "without a");
    aib_metric_put(&m, "gbit_s", gbit, "Gbit/s", ok, ok ? note : none);
    aib_metric_put(&m, "recv_gbit_s", gbit * (1 - loss / 100), "Gbit/s", ok && have,
                   !ok ? none : have ? "sent rate x (1 - loss)" : "loss not measured");
    const char *span = twice == s->n ? "over the timed part" : "over the whole entry";
    snprintf(note, sizeof note, "datagrams the server did not count, %s", span);
    aib_metric_put(&m, "loss_pct", loss, "%", have, have ? note : "not measured (no final check)");
    aib_metric_put(&m, "datagrams_sent", (double)sent, "", have, have ? span : "not measured");
    aib_metric_put(&m, "out_of_order", (double)ooo, "", synced == s->n, NULL);
out:
    return aib_metric_list_end(&m, err);
}
