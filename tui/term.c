/* Terminal ownership (see term.h). */
#include "term.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "draw.h"

/* Signal handlers can reach nothing else, so what they need lives here:
 * the terminal modes saved before curses, the bytes that leave the
 * alternate screen and show the cursor, and the stop signal caught. The
 * only mutable global state in tui/. */
static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])
static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP (sizeof stop_sigs / sizeof stop_sigs[0])

static struct {
    volatile sig_atomic_t active;
    volatile sig_atomic_t stop_sig;
    int fd;
    struct termios saved;
    char reset[128];
    size_t reset_len;
    struct sigaction old_fatal[NFATAL];
    int atexit_done;
} g_term;

struct aib_term {
    SCREEN *scr;
    bool colors, utf8, catch_stop;
    char *old_ctype;
    struct sigaction old_stop[NSTOP];
};

/* Async-signal-safe: tcsetattr and write only. */
static void emergency_restore(void)
{
    if (!g_term.active)
        return;
    g_term.active = 0;
    tcsetattr(g_term.fd, TCSAFLUSH, &g_term.saved);
    if (g_term.reset_len) {
        ssize_t w = write(g_term.fd, g_term.reset, g_term.reset_len);
        (void)w;
    }
}

static void on_fatal(int sig)
{
    emergency_restore();
    /* Hand the signal to whoever had it before (default action, or a
     * sanitizer's reporter). */
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_sigs[i] == sig)
            sigaction(sig, &g_term.old_fatal[i], NULL);
    raise(sig);
}

static void on_stop(int sig) { g_term.stop_sig = sig; }

static void at_exit_restore(void) { emergency_restore(); }

bool aib_term_usable(void)
{
    const char *term = getenv("TERM");
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && term && *term &&
           strcmp(term, "dumb") != 0;
}

static void append_cap(const char *name)
{
    char *s = tigetstr(name);
    if (!s || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (g_term.reset_len + n < sizeof g_term.reset) {
        memcpy(g_term.reset + g_term.reset_len, s, n);
        g_term.reset_len += n;
    }
}

static void setup_colors(struct aib_term *t)
{
    const char *nc = getenv("NO_COLOR");
    /* no-color.org: any non-empty value turns colour off. */
    if ((nc && *nc) || !has_colors() || start_color() == ERR)
        return;
    short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    init_pair(AIB_C_TITLE, COLOR_CYAN, bg);
    init_pair(AIB_C_GOOD, COLOR_GREEN, bg);
    init_pair(AIB_C_WARN, COLOR_YELLOW, bg);
    init_pair(AIB_C_BAD, COLOR_RED, bg);
    init_pair(AIB_C_GRAPH, COLOR_GREEN, bg);
    init_pair(AIB_C_SEL, COLOR_BLACK, COLOR_CYAN);
    init_pair(AIB_C_HEAD, COLOR_BLACK, COLOR_GREEN);
    init_pair(AIB_C_INTR, COLOR_MAGENTA, bg);
    t->colors = true;
}

int aib_term_open(bool catch_stop, struct aib_term **out, struct aib_err *err)
{
    if (g_term.active)
        return aib_err_set(err, AIB_EUSAGE, "the terminal is already in use by a live view");
    if (!aib_term_usable())
        return aib_err_set(err, AIB_EUNAVAIL, "stdin and stdout are not both a usable terminal");
    struct aib_term *t = calloc(1, sizeof *t);
    if (!t)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    int rc = 0;
    g_term.fd = STDOUT_FILENO;
    if (tcgetattr(g_term.fd, &g_term.saved) != 0) {
        rc = aib_err_set(err, AIB_EUNAVAIL, "cannot read the terminal modes");
        goto fail;
    }
    /* Only LC_CTYPE: multibyte glyphs, while numbers keep printing with a dot. */
    const char *cur = setlocale(LC_CTYPE, NULL);
    t->old_ctype = strdup(cur ? cur : "C");
    if (!t->old_ctype) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto fail;
    }
    setlocale(LC_CTYPE, "");
    t->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    /* curses catches SIGINT and SIGTERM when they are at their default and
     * exits from its handler; the signals belong to the command (the run's
     * stop flag, or aib_term_signal), so take them back afterwards. */
    struct sigaction keep[NSTOP];
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_sigs[i], NULL, &keep[i]);
    t->scr = newterm(NULL, stdout, stdin);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_sigs[i], &keep[i], NULL);
    if (!t->scr) {
        setlocale(LC_CTYPE, t->old_ctype);
        rc = aib_err_set(err, AIB_EUNAVAIL, "cannot drive terminal type '%s'", getenv("TERM"));
        goto fail;
    }
    set_term(t->scr);
    cbreak(); /* keys at once; Ctrl-C still raises SIGINT */
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    setup_colors(t);

    g_term.reset_len = 0;
    append_cap("sgr0");
    append_cap("cnorm");
    append_cap("rmcup");
    g_term.stop_sig = 0;
    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &sa, &g_term.old_fatal[i]);
    t->catch_stop = catch_stop;
    if (catch_stop) {
        sa.sa_handler = on_stop;
        sa.sa_flags = 0;
        for (size_t i = 0; i < NSTOP; i++)
            sigaction(stop_sigs[i], &sa, &t->old_stop[i]);
    }
    if (!g_term.atexit_done && atexit(at_exit_restore) == 0)
        g_term.atexit_done = 1;
    g_term.active = 1;
    *out = t;
    return 0;
fail:
    free(t->old_ctype);
    free(t);
    return rc;
}

void aib_term_close(struct aib_term *t)
{
    if (!t)
        return;
    endwin();
    delscreen(t->scr);
    /* Whatever curses did, the modes are exactly the ones found. */
    tcsetattr(g_term.fd, TCSADRAIN, &g_term.saved);
    g_term.active = 0;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &g_term.old_fatal[i], NULL);
    if (t->catch_stop)
        for (size_t i = 0; i < NSTOP; i++)
            sigaction(stop_sigs[i], &t->old_stop[i], NULL);
    setlocale(LC_CTYPE, t->old_ctype);
    free(t->old_ctype);
    free(t);
}

int aib_term_signal(const struct aib_term *t)
{
    (void)t;
    return g_term.stop_sig;
}

bool aib_term_colors(const struct aib_term *t) { return t->colors; }
bool aib_term_utf8(const struct aib_term *t) { return t->utf8; }
