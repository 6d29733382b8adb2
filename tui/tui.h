/* The live views: the run dashboard, `aibench top` and `aibench browse`.
 * All curses code lives in tui/ and no curses type crosses this header.
 *
 * The dashboard never touches the measurement: its engine sink only copies
 * small records into a lock-free ring (never blocking, never drawing; when
 * the view falls behind, samples are dropped, not waited for), and a view
 * thread of its own drains the ring, reads host telemetry from a procfs
 * sampler and redraws a few times a second. Keys act through flags the
 * engine checks between samples: q raises the stop flag (the run is saved
 * and marked interrupted), s raises the skip flag, p holds the run in the
 * between-entries hook. */
#ifndef AIB_TUI_H
#define AIB_TUI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "../bench/engine.h"
#include "../bench/err.h"

/* True when a live view can run here: stdin and stdout are terminals and
 * TERM is set and not "dumb". */
bool aib_tui_available(void);

struct aib_dashboard;

struct aib_dashboard_opts {
    const struct aib_plan *plan;  /* read-only; must outlive the dashboard */
    volatile sig_atomic_t *stop;  /* the engine's stop flag: q sets SIGINT */
    volatile sig_atomic_t *skip;  /* the engine's skip flag: s sets it */
    double telemetry_interval_s;  /* host telemetry period; 0: 0.5 s */
};

/* Takes the terminal and starts the view thread. AIB_EUNAVAIL when there is
 * no usable terminal (the caller prints plain lines instead). */
int aib_dashboard_open(const struct aib_dashboard_opts *o, struct aib_dashboard **out,
                       struct aib_err *err);
/* An engine sink feeding the dashboard (entry_begin, sample, result and
 * run hooks; each one copies a record into the ring and returns). */
void aib_dashboard_sink(struct aib_dashboard *d, struct aib_sink *s);
/* The engine's between-entries hook (ctx: the dashboard): returns at once
 * unless the user paused, then waits until p is pressed again or the stop
 * flag is raised. */
void aib_dashboard_between(void *ctx, size_t next, size_t n);
/* Stops the view thread, restores the terminal and frees. Returns true
 * when the user quit with q. NULL is fine (returns false). */
bool aib_dashboard_close(struct aib_dashboard *d);

#endif
