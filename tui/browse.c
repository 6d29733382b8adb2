/* `aibench browse`: the run list (filter with /, mark two with space and
 * compare with c), a run's detail (Enter) and the comparison. Loads from
 * the store on demand; redraws only after a key. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/fmt.h"
#include "browse.h"
#include "term.h"
#include "views.h"

static void run_text(const struct aib_run *r, char *buf, size_t len)
{
    char when[32];
    aib_fmt_time(r->started, when, sizeof when);
    snprintf(buf, len, "%lld %s %s %s %s %s %s", (long long)r->id, r->uuid, when, r->status,
             r->suite, r->host, r->cmdline);
}

static void refilter(struct browse *b)
{
    char text[2048];
    b->nvis = 0;
    for (size_t i = 0; i < b->nruns; i++) {
        run_text(&b->runs[i], text, sizeof text);
        if (aib_filter_match(text, b->filter))
            b->vis[b->nvis++] = i;
    }
    if (b->sel >= (int)b->nvis)
        b->sel = b->nvis ? (int)b->nvis - 1 : 0;
}

static int load_list(struct browse *b, struct aib_err *err)
{
    aib_runs_free(b->runs, b->nruns);
    free(b->vis);
    b->runs = NULL;
    b->vis = NULL;
    b->nruns = b->nvis = 0;
    int rc = aib_store_list_runs(b->store, &b->runs, &b->nruns, err);
    if (rc)
        return rc;
    b->vis = calloc(b->nruns ? b->nruns : 1, sizeof *b->vis);
    if (!b->vis)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    refilter(b);
    return 0;
}

/* out[i]: what tells result i apart from the others (see aib_params_varying). */
static char (*short_params(const struct aib_result *const *r, size_t n))[BROWSE_CELL]
{
    char (*out)[BROWSE_CELL] = calloc(n ? n : 1, sizeof *out);
    const char **p = calloc(n ? n : 1, sizeof *p);
    if (out && p) {
        for (size_t i = 0; i < n; i++)
            p[i] = r[i]->params;
        for (size_t i = 0; i < n; i++)
            aib_params_varying(p, n, i, out[i], BROWSE_CELL);
    } else {
        free(out);
        out = NULL;
    }
    free(p);
    return out;
}

static void free_detail(struct browse *b)
{
    free(b->dshort);
    b->dshort = NULL;
    aib_results_free(b->dres, b->ndres);
    aib_run_free(&b->drun);
    aib_series_free(&b->dser);
    memset(&b->drun, 0, sizeof b->drun);
    b->dres = NULL;
    b->ndres = 0;
}

static void free_compare(struct browse *b)
{
    free(b->cshort);
    b->cshort = NULL;
    free(b->rows);
    aib_results_free(b->ra, b->na);
    aib_results_free(b->rb, b->nb);
    aib_run_free(&b->ca);
    aib_run_free(&b->cb);
    memset(&b->ca, 0, sizeof b->ca);
    memset(&b->cb, 0, sizeof b->cb);
    b->rows = NULL;
    b->ra = b->rb = NULL;
    b->nrows = b->na = b->nb = 0;
}

static const struct aib_run *selected(const struct browse *b)
{
    return b->nvis ? &b->runs[b->vis[b->sel]] : NULL;
}

static void open_detail(struct browse *b)
{
    const struct aib_run *r = selected(b);
    struct aib_err err = {0};
    char ref[32];
    if (!r)
        return;
    free_detail(b);
    snprintf(ref, sizeof ref, "%lld", (long long)r->id);
    if (aib_store_load_run(b->store, ref, &b->drun, &b->dres, &b->ndres, &err)) {
        snprintf(b->msg, sizeof b->msg, "%s", err.msg);
        return;
    }
    /* Sampled series are a bonus: a database without them still shows the run. */
    struct aib_err serr = {0};
    if (aib_series_load(b->store, b->drun.id, &b->dser, &serr))
        aib_series_free(&b->dser);
    const struct aib_result **rp = calloc(b->ndres ? b->ndres : 1, sizeof *rp);
    for (size_t i = 0; rp && i < b->ndres; i++)
        rp[i] = &b->dres[i];
    b->dshort = rp ? short_params(rp, b->ndres) : NULL;
    free(rp);
    if (!b->dshort) {
        snprintf(b->msg, sizeof b->msg, "out of memory");
        free_detail(b);
        return;
    }
    b->dsel = b->dfirst = 0;
    b->mode = BROWSE_DETAIL;
}

static void toggle_mark(struct browse *b)
{
    const struct aib_run *r = selected(b);
    if (!r)
        return;
    if (b->marks[0] == r->id || b->marks[1] == r->id) {
        if (b->marks[0] == r->id)
            b->marks[0] = b->marks[1];
        b->marks[1] = 0;
        return;
    }
    if (b->marks[1]) /* a third mark replaces the older one */
        b->marks[0] = b->marks[1];
    b->marks[b->marks[0] ? 1 : 0] = r->id;
}

static void open_compare(struct browse *b)
{
    int64_t x = b->marks[0], y = b->marks[1];
    const struct aib_run *r = selected(b);
    if (x && !y && r && r->id != x)
        y = r->id; /* one mark: compare it with the selected run */
    if (!x || !y) {
        snprintf(b->msg, sizeof b->msg, "mark two runs with space (or one, and select another), then c");
        return;
    }
    if (x > y) { /* the older run is the baseline A */
        int64_t t = x;
        x = y;
        y = t;
    }
    free_compare(b);
    struct aib_err err = {0};
    char ra[32], rb[32];
    snprintf(ra, sizeof ra, "%lld", (long long)x);
    snprintf(rb, sizeof rb, "%lld", (long long)y);
    if (aib_store_load_run(b->store, ra, &b->ca, &b->ra, &b->na, &err) ||
        aib_store_load_run(b->store, rb, &b->cb, &b->rb, &b->nb, &err)) {
        snprintf(b->msg, sizeof b->msg, "%s", err.msg);
        free_compare(b);
        return;
    }
    if (aib_compare_runs(b->ra, b->na, b->rb, b->nb, b->tol, &b->rows, &b->nrows)) {
        snprintf(b->msg, sizeof b->msg, "out of memory comparing runs");
        free_compare(b);
        return;
    }
    const struct aib_result **rp = calloc(b->nrows ? b->nrows : 1, sizeof *rp);
    for (size_t i = 0; rp && i < b->nrows; i++)
        rp[i] = b->rows[i].a ? b->rows[i].a : b->rows[i].b;
    b->cshort = rp ? short_params(rp, b->nrows) : NULL;
    free(rp);
    if (!b->cshort) {
        snprintf(b->msg, sizeof b->msg, "out of memory");
        free_compare(b);
        return;
    }
    b->csel = b->cfirst = 0;
    b->mode = BROWSE_COMPARE;
}

static void step(int *sel, int n, int delta)
{
    int s = *sel + delta;
    *sel = s < 0 ? 0 : s >= n ? (n > 0 ? n - 1 : 0) : s;
}

static void filter_key(struct browse *b, int ch)
{
    size_t n = strlen(b->filter);
    if (ch == '\n' || ch == KEY_ENTER || ch == '\r') {
        b->editing = false;
    } else if (ch == 27) { /* Esc: drop the filter */
        b->filter[0] = '\0';
        b->editing = false;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n)
            b->filter[n - 1] = '\0';
    } else if (ch >= 32 && ch < 127 && n + 1 < sizeof b->filter) {
        b->filter[n] = (char)ch;
        b->filter[n + 1] = '\0';
    }
    refilter(b);
}

/* Returns false to quit. */
static bool on_key(struct browse *b, int ch, int page)
{
    if (ch == KEY_RESIZE)
        return true;
    if (b->editing) {
        filter_key(b, ch);
        return true;
    }
    b->msg[0] = '\0';
    if (b->help) {
        b->help = false;
        return ch != 'q' && ch != 'Q';
    }
    bool back = ch == 27 || ch == KEY_LEFT || ch == KEY_BACKSPACE || ch == 127;
    int *sel = b->mode == BROWSE_LIST ? &b->sel : b->mode == BROWSE_DETAIL ? &b->dsel : &b->csel;
    int n = b->mode == BROWSE_LIST ? (int)b->nvis
            : b->mode == BROWSE_DETAIL ? (int)b->ndres
                                       : (int)b->nrows;
    switch (ch) {
    case 'q':
    case 'Q': return false;
    case '?': b->help = true; return true;
    case KEY_UP: case 'k': step(sel, n, -1); return true;
    case KEY_DOWN: case 'j': step(sel, n, 1); return true;
    case '\t': *sel = n ? (*sel + 1) % n : 0; return true;
    case KEY_BTAB: *sel = n ? (*sel + n - 1) % n : 0; return true;
    case KEY_PPAGE: step(sel, n, -page); return true;
    case KEY_NPAGE: step(sel, n, page); return true;
    case KEY_HOME: *sel = 0; return true;
    case KEY_END: *sel = n ? n - 1 : 0; return true;
    default: break;
    }
    if (b->mode != BROWSE_LIST) {
        if (back)
            b->mode = BROWSE_LIST;
        return true;
    }
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == KEY_RIGHT)
        open_detail(b);
    else if (ch == ' ')
        toggle_mark(b);
    else if (ch == 'c')
        open_compare(b);
    else if (ch == '/')
        b->editing = true;
    else if (ch == 27 && b->filter[0]) {
        b->filter[0] = '\0';
        refilter(b);
    } else if (ch == 'r') {
        struct aib_err err = {0};
        if (load_list(b, &err))
            snprintf(b->msg, sizeof b->msg, "%s", err.msg);
    }
    return true;
}

int aib_browse_run(struct aib_store *store, double tol, struct aib_err *err)
{
    struct browse b = {.store = store, .tol = tol};
    struct aib_term *term = NULL;
    int status = 2;
    b.cells = calloc((BROWSE_ROWS + 1) * BROWSE_COLS, sizeof *b.cells);
    b.styles = calloc(BROWSE_ROWS * BROWSE_COLS, sizeof *b.styles);
    if (!b.cells || !b.styles) {
        aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto out;
    }
    if (load_list(&b, err) || aib_term_open(true, &term, err))
        goto out;
    struct aib_ui ui = {.colors = aib_term_colors(term), .utf8 = aib_term_utf8(term)};
    timeout(250); /* wakes up to notice a signal */
    bool run = true, dirty = true;
    while (run && !aib_term_signal(term)) {
        int rows, cols;
        getmaxyx(stdscr, rows, cols);
        if (dirty) {
            aib_browse_draw(&ui, &b, rows, cols);
            dirty = false;
        }
        int ch = getch();
        if (ch != ERR) {
            run = on_key(&b, ch, rows > 8 ? rows / 2 : 1);
            dirty = true;
        }
    }
    int sig = aib_term_signal(term);
    status = sig ? 128 + sig : 0;
out:
    aib_term_close(term);
    free_detail(&b);
    free_compare(&b);
    aib_runs_free(b.runs, b.nruns);
    free(b.vis);
    free(b.cells);
    free(b.styles);
    return status;
}
