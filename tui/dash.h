/* The run dashboard's view state and records (internal to tui/):
 * dashboard.c owns the thread, the sink and the keys; dash_draw.c paints
 * the state. Everything in struct dash_view belongs to the view thread. */
#ifndef AIB_TUI_DASH_H
#define AIB_TUI_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bench/plan.h"
#include "../profilers/procfs.h"
#include "../results/model.h"
#include "draw.h"

/* A few of a finished entry's metrics (profiler counters, derived figures). */
#define DASH_METRICS 6
struct dash_metric {
    char name[28], unit[12];
    double value;
    int valid; /* 0: missing (shown as n/a, never 0) */
};

/* What the engine's sink hooks put in the ring. */
enum dash_ev_kind { DASH_EV_RUN, DASH_EV_ENTRY, DASH_EV_SAMPLE, DASH_EV_RESULT, DASH_EV_END };
struct dash_ev {
    int kind;
    uint32_t index;
    uint64_t nsamples;      /* sample: the engine's count so far */
    double value;           /* sample: seconds per iteration */
    double flops, bytes, ops; /* sample: work per iteration */
    double median, ci_lo, ci_hi, throughput; /* result */
    size_t n;               /* result: samples */
    char status[16], unit[16];
    char text[128];         /* run: uuid; result: error; end: run status */
    struct dash_metric m[DASH_METRICS]; /* result */
    int nm;
};

/* One finished entry in the table. */
struct dash_row {
    size_t index;
    char status[16], unit[16], error[128];
    size_t n;
    double median, ci_rel, throughput;
};

#define DASH_PSHORT 160
struct dash_view {
    const struct aib_plan *plan;
    char (*pshort)[DASH_PSHORT]; /* per plan entry: the parameters that vary */
    char uuid[40];
    double t_start, t_end;  /* view clock; t_end when the run ended */
    bool started, ended;
    char run_status[16];
    /* the entry being measured */
    size_t cur;
    bool in_entry;
    double cur_start;
    double *samples;        /* the view's copy, for the statistics */
    size_t nsamples, cap;
    uint64_t engine_nsamples;
    double flops, bytes, ops;
    double last_tput;       /* of the newest sample */
    double ci_rel, median_tput;
    size_t st_n;            /* samples the figures above were computed from */
    /* finished entries, and the metrics of the newest */
    struct dash_metric m[DASH_METRICS];
    int nm;
    size_t m_entry;
    struct dash_row *rows;
    size_t nrows, done;
    double done_s;
    /* keys and flags */
    bool help, pause_req, held, quitting, stop_seen, skip_req;
    /* host telemetry */
    struct aib_procfs_sample *host;
    bool have_host;
    uint64_t host_seq, dropped;
};

/* Paints the whole screen (rows x cols) from v; now is the view clock. */
void aib_dash_draw(const struct aib_ui *ui, struct dash_view *v, int rows, int cols, double now);

#endif
