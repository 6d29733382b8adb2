/* The interactive loops of `aibench top` and `aibench browse` (internal to
 * tui/; the commands in cmd_top.c and cmd_browse.c parse options, open
 * what they need and call these). Each takes the terminal, runs until q or
 * a signal, and restores it. They return the exit status: 0 after q,
 * 128 + the signal after SIGINT/SIGTERM/SIGHUP, 2 when no terminal could
 * be used (message in err). */
#ifndef AIB_TUI_VIEWS_H
#define AIB_TUI_VIEWS_H

#include "../bench/err.h"
#include "../devices/device.h"
#include "../results/store.h"

int aib_top_run(const struct aib_devlist *devs, double interval_s, struct aib_err *err);

/* tol: the comparison's "same" tolerance (fraction). */
int aib_browse_run(struct aib_store *store, double tol, struct aib_err *err);

#endif
