/* Terminal ownership for the live views (internal to tui/). One owner at a
 * time: opening puts the terminal in curses mode (cbreak, no echo, keypad,
 * hidden cursor, colours unless NO_COLOR), closing always restores it. A
 * crash (SIGSEGV, SIGABRT, ...) or exit() while it is open restores the
 * saved terminal modes from the handler before the process dies, so the
 * shell is never left without echo. */
#ifndef AIB_TUI_TERM_H
#define AIB_TUI_TERM_H

#include <stdbool.h>

#include "../bench/err.h"

struct aib_term;

/* catch_stop: also catch SIGINT, SIGTERM and SIGHUP (read them with
 * aib_term_signal); the dashboard leaves those to the run command, which
 * turns them into the engine's stop flag. AIB_EUNAVAIL when stdin/stdout
 * are not terminals or TERM cannot be used (the caller falls back to plain
 * output); AIB_EUSAGE when another view already owns the terminal. */
int aib_term_open(bool catch_stop, struct aib_term **out, struct aib_err *err);
/* Leaves curses mode and restores the terminal exactly as it was. NULL ok. */
void aib_term_close(struct aib_term *t);

/* The signal that asked to quit (SIGINT/SIGTERM/SIGHUP), or 0. */
int aib_term_signal(const struct aib_term *t);
bool aib_term_colors(const struct aib_term *t); /* colour pairs are set up */
bool aib_term_utf8(const struct aib_term *t);   /* block glyphs can be drawn */

/* True when stdin and stdout are terminals and TERM is set and not "dumb". */
bool aib_term_usable(void);

#endif
