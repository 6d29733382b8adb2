/* The SPSC ring: capacity, drops (never blocking), reserved room, order
 * across wrap-around, and a real producer/consumer thread pair checking
 * that no record is lost, reordered or torn. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/err.h"
#include "../../tui/ring.h"

static void test_capacity_and_drops(void **state)
{
    (void)state;
    struct aib_ring r;
    assert_int_equal(aib_ring_init(&r, sizeof(int), 5), 0);
    assert_int_equal(r.cap, 8);
    for (int i = 0; i < 8; i++)
        assert_true(aib_ring_push(&r, &i, 0));
    int x = 99;
    assert_false(aib_ring_push(&r, &x, 0));
    assert_int_equal(aib_ring_dropped(&r), 1);
    assert_int_equal(aib_ring_len(&r), 8);
    for (int i = 0; i < 8; i++) {
        assert_true(aib_ring_pop(&r, &x));
        assert_int_equal(x, i);
    }
    assert_false(aib_ring_pop(&r, &x));
    aib_ring_free(&r);
    assert_int_equal(aib_ring_init(&r, 0, 4), AIB_EUSAGE);
}

static void test_keep_free(void **state)
{
    (void)state;
    struct aib_ring r;
    assert_int_equal(aib_ring_init(&r, sizeof(int), 8), 0);
    int i = 0;
    while (aib_ring_push(&r, &i, 2))
        i++;
    assert_int_equal(i, 6); /* two slots left for the important records */
    assert_true(aib_ring_push(&r, &i, 0));
    assert_true(aib_ring_push(&r, &i, 0));
    assert_false(aib_ring_push(&r, &i, 0));
    assert_int_equal(aib_ring_dropped(&r), 2);
    aib_ring_free(&r);
}

static void test_wrap_around(void **state)
{
    (void)state;
    struct aib_ring r;
    assert_int_equal(aib_ring_init(&r, sizeof(long), 4), 0);
    long next_in = 0, next_out = 0, x;
    for (int round = 0; round < 1000; round++) {
        for (int k = 0; k < 1 + round % 4; k++)
            assert_true(aib_ring_push(&r, &next_in, 0)), next_in++;
        while (aib_ring_pop(&r, &x))
            assert_int_equal(x, next_out++);
    }
    assert_int_equal(next_in, next_out);
    assert_int_equal(aib_ring_dropped(&r), 0);
    aib_ring_free(&r);
}

#define N_RECORDS 200000
struct rec {
    uint64_t w[8]; /* all eight hold the sequence number: a torn copy shows */
};

static void *producer(void *arg)
{
    struct aib_ring *r = arg;
    for (uint64_t i = 0; i < N_RECORDS; i++) {
        struct rec x;
        for (int k = 0; k < 8; k++)
            x.w[k] = i;
        while (!aib_ring_push(r, &x, 0))
            sched_yield(); /* the test retries; the engine's sink never does */
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    struct aib_ring r;
    assert_int_equal(aib_ring_init(&r, sizeof(struct rec), 64), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    uint64_t want = 0;
    int bad = 0;
    while (want < N_RECORDS) {
        struct rec x;
        if (!aib_ring_pop(&r, &x)) {
            sched_yield();
            continue;
        }
        for (int k = 0; k < 8; k++)
            bad |= x.w[k] != want;
        want++;
    }
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    assert_int_equal(aib_ring_len(&r), 0);
    aib_ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_and_drops),
        cmocka_unit_test(test_keep_free),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
