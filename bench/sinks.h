/* Sinks the run command attaches to the engine. */
#ifndef AIB_SINKS_H
#define AIB_SINKS_H

#include <stdbool.h>
#include <stdio.h>

#include "../results/store.h"
#include "engine.h"

/* Plain line output: progress on `progress` (may be NULL), one table row per
 * finished entry on `out`. */
struct aib_text_sink {
    FILE *out, *progress;
    double target_ci;
    size_t nrows, nfailed;
};
void aib_text_sink_init(struct aib_text_sink *t, struct aib_sink *s, FILE *out, FILE *progress);

/* Saves the run, each result with its samples (one transaction per result,
 * outside timed regions), and the final status. */
struct aib_store_sink {
    struct aib_store *store;
    int64_t run_id;
};
void aib_store_sink_init(struct aib_store_sink *k, struct aib_sink *s, struct aib_store *store);

#endif
