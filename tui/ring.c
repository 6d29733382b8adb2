/* SPSC ring: the producer publishes a record with a release store of head
 * after copying it; the consumer acquires head before reading, and
 * releases tail after copying out, which the producer acquires before
 * reusing the slot. */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#include "../bench/err.h"

int aib_ring_init(struct aib_ring *r, size_t elem_size, size_t capacity)
{
    memset(r, 0, sizeof *r);
    if (elem_size == 0)
        return AIB_EUSAGE;
    size_t cap = 2;
    while (cap < capacity) {
        if (cap > SIZE_MAX / 2 / elem_size)
            return AIB_ENOMEM;
        cap *= 2;
    }
    r->buf = malloc(cap * elem_size);
    if (!r->buf)
        return AIB_ENOMEM;
    r->elem = elem_size;
    r->cap = cap;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->dropped, 0);
    return 0;
}

void aib_ring_free(struct aib_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

bool aib_ring_push(struct aib_ring *r, const void *rec, size_t keep_free)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t used = head - tail;
    if (used >= r->cap || r->cap - used <= keep_free) {
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        return false;
    }
    memcpy(r->buf + (head & (r->cap - 1)) * r->elem, rec, r->elem);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return true;
}

bool aib_ring_pop(struct aib_ring *r, void *rec)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (head == tail)
        return false;
    memcpy(rec, r->buf + (tail & (r->cap - 1)) * r->elem, r->elem);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

size_t aib_ring_len(struct aib_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    return head - tail;
}

uint64_t aib_ring_dropped(struct aib_ring *r)
{
    return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
