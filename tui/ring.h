/* A single-producer, single-consumer ring of fixed-size records, lock-free
 * (C11 atomics). The engine's thread pushes; the view's thread pops. A push
 * never blocks and never waits for the reader: when the ring is full the
 * record is dropped and counted, so a slow or stalled view cannot slow a
 * measurement. */
#ifndef AIB_RING_H
#define AIB_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aib_ring {
    unsigned char *buf;
    size_t elem;     /* bytes per record */
    size_t cap;      /* records, a power of two */
    /* Positions count records ever pushed / popped; index = pos & (cap - 1).
     * Each is written by one side only, on its own cache line. */
    alignas(64) atomic_size_t head; /* next push (producer) */
    alignas(64) atomic_size_t tail; /* next pop (consumer) */
    alignas(64) atomic_uint_fast64_t dropped;
};

/* capacity is rounded up to a power of two (at least 2). Returns 0 or
 * AIB_ENOMEM / AIB_EUSAGE (elem_size 0). */
int aib_ring_init(struct aib_ring *r, size_t elem_size, size_t capacity);
void aib_ring_free(struct aib_ring *r);

/* Producer: copies the record in unless fewer than keep_free + 1 slots are
 * free (keep_free lets frequent records leave room for rare, important
 * ones). Returns false, and counts a drop, when it does not fit. */
bool aib_ring_push(struct aib_ring *r, const void *rec, size_t keep_free);
/* Consumer: copies the oldest record out; false when empty. */
bool aib_ring_pop(struct aib_ring *r, void *rec);
/* Records waiting (a snapshot; exact only from the consumer). */
size_t aib_ring_len(struct aib_ring *r);
uint64_t aib_ring_dropped(struct aib_ring *r);

#endif
