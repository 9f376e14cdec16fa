/* Reconnect backoff: doubling, jitter bounds, the 30 s cap, reset; and a
 * connection's schedule (the timer, the wait left). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "net/backoff.h"

static void test_backoff_first_delay_is_between_half_base_and_base(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct backoff b;
        backoff_init(&b, BACKOFF_BASE, BACKOFF_CAP, seed);
        double d = backoff_next(&b);
        assert_true(d >= BACKOFF_BASE / 2);
        assert_true(d <= BACKOFF_BASE);
    }
}

static void test_backoff_nominal_doubles_each_failure(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, 0.5, 30, 42);
    double expected = 0.5;
    for (int i = 0; i < 6; i++) {
        assert_true(b.nominal == expected);
        double d = backoff_next(&b);
        assert_true(d >= expected / 2 && d <= expected);
        expected *= 2;
    }
    assert_int_equal(b.attempts, 6);
}

static void test_backoff_caps_at_30s(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, BACKOFF_BASE, BACKOFF_CAP, 7);
    double max_seen = 0;
    for (int i = 0; i < 1000; i++) {
        double d = backoff_next(&b);
        assert_true(d <= 30.0);
        if (d > max_seen)
            max_seen = d;
    }
    assert_true(b.nominal == 30.0);
    /* late delays are drawn from [15, 30] */
    for (int i = 0; i < 100; i++) {
        double d = backoff_next(&b);
        assert_true(d >= 15.0 && d <= 30.0);
    }
    assert_true(max_seen > 25.0);
}

static void test_backoff_jitters_rather_than_returning_the_nominal(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, 30, 30, 1);
    double first = backoff_next(&b);
    int different = 0;
    double lo = 30, hi = 0;
    for (int i = 0; i < 1000; i++) {
        double d = backoff_next(&b);
        if (d != first)
            different++;
        if (d < lo)
            lo = d;
        if (d > hi)
            hi = d;
    }
    assert_true(different > 990);
    /* the draws spread over the interval, not a corner of it */
    assert_true(lo < 16.5);
    assert_true(hi > 28.5);
}

static void test_backoff_same_seed_repeats_different_seeds_differ(void **state)
{
    struct backoff a, b, c;
    (void)state;
    backoff_init(&a, 0.5, 30, 1234);
    backoff_init(&b, 0.5, 30, 1234);
    backoff_init(&c, 0.5, 30, 1235);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 20; i++) {
        double da = backoff_next(&a), db = backoff_next(&b), dc = backoff_next(&c);
        same_ab += da == db;
        same_ac += da == dc;
    }
    assert_int_equal(same_ab, 20);
    assert_true(same_ac < 5);
}

static void test_backoff_reset_starts_again_from_base(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, 0.5, 30, 99);
    for (int i = 0; i < 10; i++)
        backoff_next(&b);
    assert_true(b.nominal == 30.0);
    backoff_reset(&b);
    assert_int_equal(b.attempts, 0);
    assert_true(b.nominal == 0.5);
    double d = backoff_next(&b);
    assert_true(d >= 0.25 && d <= 0.5);
    assert_true(b.nominal == 1.0);
}

static void test_backoff_zero_seed_still_jitters(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, 10, 10, 0);
    double first = backoff_next(&b), second = backoff_next(&b);
    assert_true(first != second);
}

static void test_backoff_nonsense_parameters_fall_back_to_sane_ones(void **state)
{
    struct backoff b;
    (void)state;
    backoff_init(&b, 0, 30, 5);
    assert_true(b.base == BACKOFF_BASE);
    backoff_init(&b, 10, 1, 5);     /* cap below base */
    assert_true(b.cap == 10);
    double d = backoff_next(&b);
    assert_true(d >= 5 && d <= 10);
}

/* A connection's schedule: the timer is armed for the delay drawn, the
 * wait left is told until it fires, and an attempt clears it. */
static bool fired;
static void fire(uv_timer_t *t) { (void)t; fired = true; }

static void test_backoff_schedule_arms_the_timer_and_counts_down(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_timer_t timer;
    struct backoff b = { 0 };
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_timer_init(&loop, &timer);
    backoff_init_for(&b, &b);
    assert_true(backoff_due_in(&b) == 0);
    backoff_schedule(&b, &timer, fire);
    double left = backoff_due_in(&b);
    assert_true(left > 0 && left <= BACKOFF_BASE);
    assert_int_equal(b.attempts, 1);
    assert_true(uv_is_active((uv_handle_t *)&timer));
    fired = false;
    uv_run(&loop, UV_RUN_DEFAULT);      /* until the timer has fired */
    assert_true(fired);
    /* Scheduled again and then attempted at once (a manual reconnect):
     * nothing is due any more. */
    backoff_schedule(&b, &timer, fire);
    assert_true(backoff_due_in(&b) > 0);
    backoff_attempt(&b);
    assert_true(backoff_due_in(&b) == 0);
    uv_timer_stop(&timer);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_backoff_init_for_seeds_each_connection_differently(void **state)
{
    (void)state;
    struct backoff a = { 0 }, b = { 0 };
    backoff_init_for(&a, &a);
    backoff_init_for(&b, &b);
    assert_true(a.base == BACKOFF_BASE && a.cap == BACKOFF_CAP);
    assert_true(a.state != b.state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_first_delay_is_between_half_base_and_base),
        cmocka_unit_test(test_backoff_schedule_arms_the_timer_and_counts_down),
        cmocka_unit_test(test_backoff_init_for_seeds_each_connection_differently),
        cmocka_unit_test(test_backoff_nominal_doubles_each_failure),
        cmocka_unit_test(test_backoff_caps_at_30s),
        cmocka_unit_test(test_backoff_jitters_rather_than_returning_the_nominal),
        cmocka_unit_test(test_backoff_same_seed_repeats_different_seeds_differ),
        cmocka_unit_test(test_backoff_reset_starts_again_from_base),
        cmocka_unit_test(test_backoff_zero_seed_still_jitters),
        cmocka_unit_test(test_backoff_nonsense_parameters_fall_back_to_sane_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
