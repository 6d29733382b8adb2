/* `aibench compare`: a plain text table with any number of columns (the
 * N-way view has three per run), measured in characters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_compare.h"

int aib_cmp_grid_row(struct aib_cmp_grid *g)
{
    if (g->nrows == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        char **n = realloc(g->cells, cap * g->ncols * sizeof *n);
        if (!n)
            return AIB_ENOMEM;
        g->cells = n;
        g->cap = cap;
    }
    memset(g->cells + g->nrows * g->ncols, 0, g->ncols * sizeof *g->cells);
    g->nrows++;
    return 0;
}

/* Sets cell c of the last row (a cell that cannot be allocated stays empty). */
void aib_cmp_grid_set(struct aib_cmp_grid *g, size_t c, const char *fmt, ...)
{
    char **cell = &g->cells[(g->nrows - 1) * g->ncols + c];
    va_list ap;
    va_start(ap, fmt);
    free(*cell);
    if (vasprintf(cell, fmt, ap) < 0)
        *cell = NULL;
    va_end(ap);
}

/* Width in characters, not bytes. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void aib_cmp_grid_print(FILE *f, const struct aib_cmp_grid *g)
{
    size_t w[g->ncols ? g->ncols : 1];
    memset(w, 0, sizeof w);
    for (size_t r = 0; r < g->nrows; r++)
        for (size_t c = 0; c < g->ncols; c++)
            if (width(g->cells[r * g->ncols + c]) > w[c])
                w[c] = width(g->cells[r * g->ncols + c]);
    for (size_t r = 0; r < g->nrows; r++) {
        for (size_t c = 0; c < g->ncols; c++) {
            const char *s = g->cells[r * g->ncols + c];
            int pad = (int)(w[c] - width(s));
            bool last = c + 1 == g->ncols;
            if (g->align[c] == 'r')
                fprintf(f, "%*s%s%s", pad, "", s ? s : "", last ? "\n" : "  ");
            else
                fprintf(f, "%s%*s%s", s ? s : "", last ? 0 : pad, "", last ? "\n" : "  ");
        }
    }
}

void aib_cmp_grid_free(struct aib_cmp_grid *g)
{
    for (size_t i = 0; i < g->nrows * g->ncols; i++)
        free(g->cells[i]);
    free(g->cells);
    memset(g, 0, sizeof *g);
}

