/* The run dashboard: the engine sink (copies into a ring, nothing more),
 * the view thread (drains the ring, reads host telemetry, handles keys,
 * redraws at most four times a second) and the pause hook. */
#include <curses.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/stats.h"
#include "dash.h"
#include "ring.h"
#include "term.h"
#include "tui.h"

#define RING_RECORDS 4096
/* Samples leave this many slots for entry and result records. */
#define RING_KEEP_FOR_RARE 64
#define REDRAW_S 0.25
/* The view keeps at most this many samples of one entry for its statistics. */
#define MAX_VIEW_SAMPLES (1u << 20)

struct aib_dashboard {
    struct aib_dashboard_opts o;
    struct aib_ring ring;
    struct aib_term *term;
    struct aib_procfs_sampler *procfs;
    struct aib_ui ui;
    pthread_t thread;
    atomic_int closing;   /* main -> view: stop */
    atomic_int user_quit; /* q was pressed */
    atomic_int paused;    /* p: hold the run between entries */
    atomic_int held;      /* the engine is waiting in the hook now */
    pthread_mutex_t lock; /* with cond: the pause hook's wait */
    pthread_cond_t cond;
    struct dash_view v;   /* the view thread's */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool aib_tui_available(void) { return aib_term_usable(); }

/* --- the sink: runs on the engine's thread, outside timed regions -------- */

static void push(struct aib_dashboard *d, const struct dash_ev *e, size_t keep)
{
    aib_ring_push(&d->ring, e, keep);
}

static int sink_run_begin(void *ctx, struct aib_run *run, const struct aib_plan *plan,
                          struct aib_err *err)
{
    (void)plan;
    (void)err;
    struct dash_ev e = {.kind = DASH_EV_RUN};
    snprintf(e.text, sizeof e.text, "%s", run->uuid);
    push(ctx, &e, 0);
    return 0;
}

static void sink_entry(void *ctx, size_t i, size_t n, const struct aib_plan_entry *pe)
{
    (void)n;
    (void)pe;
    struct dash_ev e = {.kind = DASH_EV_ENTRY, .index = (uint32_t)i};
    push(ctx, &e, 0);
}

static void sink_sample(void *ctx, const struct aib_result *r)
{
    struct dash_ev e;
    e.kind = DASH_EV_SAMPLE;
    e.nsamples = r->nsamples;
    e.value = r->samples[r->nsamples - 1];
    e.flops = r->flops;
    e.bytes = r->bytes;
    e.ops = r->ops;
    push(ctx, &e, RING_KEEP_FOR_RARE);
}

static int sink_result(void *ctx, struct aib_result *r, struct aib_err *err)
{
    (void)err;
    struct dash_ev e = {.kind = DASH_EV_RESULT, .n = r->st.n, .median = r->st.median,
                        .ci_lo = r->st.ci_lo, .ci_hi = r->st.ci_hi, .throughput = r->throughput};
    snprintf(e.status, sizeof e.status, "%s", r->status);
    snprintf(e.unit, sizeof e.unit, "%s", r->unit);
    snprintf(e.text, sizeof e.text, "%.127s", r->error);
    for (size_t i = 0; i < r->nmetrics && e.nm < DASH_METRICS; i++) {
        struct dash_metric *m = &e.m[e.nm++];
        snprintf(m->name, sizeof m->name, "%.27s", r->metrics[i].name);
        snprintf(m->unit, sizeof m->unit, "%.11s", r->metrics[i].unit);
        m->value = r->metrics[i].value;
        m->valid = r->metrics[i].valid;
    }
    push(ctx, &e, 0);
    return 0;
}

static int sink_run_end(void *ctx, struct aib_run *run, struct aib_err *err)
{
    (void)err;
    struct dash_ev e = {.kind = DASH_EV_END};
    snprintf(e.text, sizeof e.text, "%s", run->status);
    push(ctx, &e, 0);
    return 0;
}

void aib_dashboard_sink(struct aib_dashboard *d, struct aib_sink *s)
{
    *s = (struct aib_sink){.name = "dashboard", .ctx = d, .run_begin = sink_run_begin,
                           .entry_begin = sink_entry, .sample = sink_sample,
                           .result = sink_result, .run_end = sink_run_end};
}

void aib_dashboard_between(void *ctx, size_t next, size_t n)
{
    struct aib_dashboard *d = ctx;
    (void)next;
    (void)n;
    if (!atomic_load(&d->paused))
        return;
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->held, 1);
    /* Wake up now and then: the stop flag is raised from a signal handler,
     * which cannot signal the condition variable. */
    while (atomic_load(&d->paused) && !*d->o.stop && !atomic_load(&d->closing)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
    }
    atomic_store(&d->held, 0);
    pthread_mutex_unlock(&d->lock);
}

/* --- the view thread ------------------------------------------------------ */

static void set_paused(struct aib_dashboard *d, int on)
{
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->paused, on);
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

static void recompute(struct dash_view *v)
{
    if (v->nsamples == v->st_n)
        return;
    struct aib_stats st;
    if (aib_stats_compute(v->samples, v->nsamples, &st))
        return; /* out of memory: keep the previous figures */
    const char *unit;
    v->ci_rel = aib_stats_ci_rel(&st);
    v->median_tput = aib_tui_tput(v->flops, v->bytes, v->ops, st.median, &unit);
    v->st_n = v->nsamples;
}

static void on_event(struct dash_view *v, const struct dash_ev *e, double now)
{
    const char *unit;
    switch (e->kind) {
    case DASH_EV_RUN:
        snprintf(v->uuid, sizeof v->uuid, "%.39s", e->text);
        v->started = true;
        v->t_start = now;
        break;
    case DASH_EV_ENTRY:
        v->cur = e->index;
        v->in_entry = true;
        v->cur_start = now;
        v->nsamples = v->st_n = 0;
        v->engine_nsamples = 0;
        v->ci_rel = v->median_tput = v->last_tput = NAN;
        v->skip_req = false;
        break;
    case DASH_EV_SAMPLE:
        v->engine_nsamples = e->nsamples;
        v->flops = e->flops;
        v->bytes = e->bytes;
        v->ops = e->ops;
        v->last_tput = aib_tui_tput(e->flops, e->bytes, e->ops, e->value, &unit);
        if (v->nsamples == v->cap && v->cap < MAX_VIEW_SAMPLES) {
            size_t ncap = v->cap ? v->cap * 2 : 1024;
            double *ns = realloc(v->samples, ncap * sizeof *ns);
            if (ns) {
                v->samples = ns;
                v->cap = ncap;
            }
        }
        if (v->nsamples < v->cap)
            v->samples[v->nsamples++] = e->value;
        break;
    case DASH_EV_RESULT:
        if (v->nrows < v->plan->len) {
            struct dash_row *r = &v->rows[v->nrows++];
            r->index = v->cur;
            snprintf(r->status, sizeof r->status, "%s", e->status);
            snprintf(r->unit, sizeof r->unit, "%s", e->unit);
            snprintf(r->error, sizeof r->error, "%s", e->text);
            r->n = e->n;
            r->median = e->median;
            r->throughput = e->throughput;
            r->ci_rel = e->median > 0 ? (e->ci_hi - e->ci_lo) / 2 / e->median : NAN;
        }
        memcpy(v->m, e->m, sizeof v->m);
        v->nm = e->nm;
        v->m_entry = v->cur;
        v->in_entry = false;
        v->done++;
        v->done_s += now - v->cur_start;
        break;
    case DASH_EV_END:
        snprintf(v->run_status, sizeof v->run_status, "%.15s", e->text);
        v->ended = true;
        v->t_end = now;
        break;
    }
}

static void on_key(struct aib_dashboard *d, int ch)
{
    struct dash_view *v = &d->v;
    if (v->help && ch != ERR && ch != KEY_RESIZE) {
        v->help = false; /* any key closes the help */
        if (ch != 'q' && ch != 'Q')
            return;
    }
    switch (ch) {
    case 'q':
    case 'Q':
        /* The engine saves the current entry as interrupted and stops. */
        atomic_store(&d->user_quit, 1);
        v->quitting = true;
        *d->o.stop = SIGINT;
        set_paused(d, 0);
        break;
    case 'p':
    case 'P':
        v->pause_req = !v->pause_req;
        set_paused(d, v->pause_req);
        break;
    case 's':
    case 'S':
        if (v->in_entry && d->o.skip) {
            *d->o.skip = 1;
            v->skip_req = true;
        }
        break;
    case '?':
    case 'h':
        v->help = true;
        break;
    default:
        break;
    }
}

static void *view_main(void *arg)
{
    struct aib_dashboard *d = arg;
    struct dash_view *v = &d->v;
    double last_draw = -1;
    pthread_setname_np(pthread_self(), "aib-view"); /* for perf_tui.sh and top(1) */
    bool dirty = true;
    timeout(100);
    while (!atomic_load(&d->closing)) {
        int ch = getch();
        bool force = false;
        if (ch != ERR) {
            on_key(d, ch);
            dirty = force = true;
        }
        double now = mono();
        struct dash_ev e;
        while (aib_ring_pop(&d->ring, &e)) {
            on_event(v, &e, now);
            dirty = true;
        }
        if (d->procfs) {
            uint64_t seq = aib_procfs_latest(d->procfs, v->host);
            if (seq != v->host_seq) {
                v->host_seq = seq;
                v->have_host = true;
                dirty = true;
            }
        }
        v->held = atomic_load(&d->held);
        v->stop_seen = *d->o.stop != 0;
        v->dropped = aib_ring_dropped(&d->ring);
        if (now - last_draw >= 1.0)
            dirty = true; /* the clocks move */
        if (dirty && (force || now - last_draw >= REDRAW_S)) {
            recompute(v);
            int rows, cols;
            getmaxyx(stdscr, rows, cols);
            aib_dash_draw(&d->ui, v, rows, cols, now);
            refresh();
            last_draw = now;
            dirty = false;
        }
    }
    return NULL;
}

static void dash_free(struct aib_dashboard *d)
{
    aib_procfs_stop(d->procfs);
    aib_ring_free(&d->ring);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d->v.samples);
    free(d->v.pshort);
    free(d->v.rows);
    free(d->v.host);
    free(d);
}

int aib_dashboard_open(const struct aib_dashboard_opts *o, struct aib_dashboard **out,
                       struct aib_err *err)
{
    struct aib_dashboard *d = calloc(1, sizeof *d);
    if (!d)
        return aib_err_set(err, AIB_ENOMEM, "out of memory for the dashboard");
    d->o = *o;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc;
    d->v.plan = o->plan;
    d->v.rows = calloc(o->plan->len ? o->plan->len : 1, sizeof *d->v.rows);
    d->v.host = calloc(1, sizeof *d->v.host);
    d->v.pshort = calloc(o->plan->len ? o->plan->len : 1, sizeof *d->v.pshort);
    const char **ps = calloc(o->plan->len ? o->plan->len : 1, sizeof *ps);
    d->v.ci_rel = d->v.median_tput = NAN;
    if (d->v.pshort && ps) {
        /* The table shows what tells the entries apart (a sweep's keys). */
        for (size_t i = 0; i < o->plan->len; i++)
            ps[i] = o->plan->items[i].params_str;
        for (size_t i = 0; i < o->plan->len; i++)
            aib_params_varying(ps, o->plan->len, i, d->v.pshort[i], DASH_PSHORT);
    }
    bool short_ok = ps != NULL;
    free(ps);
    if (!d->v.rows || !d->v.host || !d->v.pshort || !short_ok ||
        aib_ring_init(&d->ring, sizeof(struct dash_ev), RING_RECORDS)) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory for the dashboard");
        goto fail;
    }
    /* Host telemetry is a bonus: without it the panel says so. */
    struct aib_procfs_opts po = {.interval_s = o->telemetry_interval_s > 0
                                                   ? o->telemetry_interval_s
                                                   : 0.5,
                                 .thread_name = "aib-view-procfs"};
    struct aib_err perr = {0};
    if (aib_procfs_start(&po, &d->procfs, &perr))
        d->procfs = NULL;
    if ((rc = aib_term_open(false, &d->term, err)))
        goto fail;
    d->ui = (struct aib_ui){.colors = aib_term_colors(d->term), .utf8 = aib_term_utf8(d->term)};
    if (pthread_create(&d->thread, NULL, view_main, d)) {
        aib_term_close(d->term);
        rc = aib_err_set(err, AIB_ERUN, "cannot start the dashboard thread");
        goto fail;
    }
    *out = d;
    return 0;
fail:
    dash_free(d);
    return rc;
}

bool aib_dashboard_close(struct aib_dashboard *d)
{
    if (!d)
        return false;
    atomic_store(&d->closing, 1);
    set_paused(d, 0);
    pthread_join(d->thread, NULL);
    aib_term_close(d->term);
    bool quit = atomic_load(&d->user_quit);
    dash_free(d);
    return quit;
}
