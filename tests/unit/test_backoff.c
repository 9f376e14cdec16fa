/* Reconnect backoff: doubling, jitter bounds, the 30 s cap, reset. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_first_delay_is_between_half_base_and_base),
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
