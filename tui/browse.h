/* The results browser's state (internal to tui/): browse.c loads runs and
 * handles keys, browse_draw.c paints the three screens. */
#ifndef AIB_TUI_BROWSE_H
#define AIB_TUI_BROWSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../profilers/series.h"
#include "../results/compare.h"
#include "../results/store.h"
#include "draw.h"

enum browse_mode { BROWSE_LIST, BROWSE_DETAIL, BROWSE_COMPARE };

/* Scratch for formatting one table: (rows + 1 header) x columns cells. */
#define BROWSE_CELL 160
#define BROWSE_ROWS 256
#define BROWSE_COLS 10

struct browse {
    struct aib_store *store;
    double tol;
    enum browse_mode mode;
    bool help, editing;
    char msg[512];           /* a one-line notice in the footer (errors too) */
    /* the run list, newest first, and the rows passing the filter */
    struct aib_run *runs;
    size_t nruns;
    size_t *vis, nvis;
    char filter[64];
    int sel, first;          /* in vis */
    int64_t marks[2];        /* run ids chosen for the comparison (0: none) */
    /* one run in detail */
    struct aib_run drun;
    struct aib_result *dres;
    size_t ndres;
    struct aib_series_set dser;
    char (*dshort)[BROWSE_CELL]; /* per result: the parameters that vary */
    int dsel, dfirst;
    /* a comparison: A = marks[0] (older, the baseline), B = marks[1] */
    struct aib_run ca, cb;
    struct aib_result *ra, *rb;
    size_t na, nb;
    struct aib_cmp_row *rows;
    size_t nrows;
    char (*cshort)[BROWSE_CELL]; /* per row */
    int csel, cfirst;
    char (*cells)[BROWSE_CELL]; /* (BROWSE_ROWS + 1) * BROWSE_COLS */
    int *styles;                /* BROWSE_ROWS * BROWSE_COLS */
};

void aib_browse_draw(const struct aib_ui *ui, struct browse *b, int rows, int cols);

#endif
