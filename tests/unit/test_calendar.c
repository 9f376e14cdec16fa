/* Civil time: the calendar PostgreSQL counts partition bounds in. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "base/calendar.h"

static void assert_civil(const struct civil_time *t, int y, int mo, int d, int h, int mi, int s)
{
    if (t->year != y || t->month != mo || t->day != d || t->hour != h || t->minute != mi
        || t->second != s)
        fail_msg("%04d-%02d-%02d %02d:%02d:%02d, want %04d-%02d-%02d %02d:%02d:%02d", t->year,
                 t->month, t->day, t->hour, t->minute, t->second, y, mo, d, h, mi, s);
}

static void test_calendar_days_in_month_follow_the_gregorian_leap_years(void **state)
{
    (void)state;
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    for (int m = 1; m <= 12; m++)
        assert_int_equal(civil_days_in_month(2023, m), days[m - 1]);
    assert_int_equal(civil_days_in_month(2024, 2), 29);     /* divisible by 4 */
    assert_int_equal(civil_days_in_month(1900, 2), 28);     /* by 100, not 400 */
    assert_int_equal(civil_days_in_month(2000, 2), 29);     /* by 400 */
    assert_int_equal(civil_days_in_month(2100, 2), 28);
    assert_int_equal(civil_days_in_month(2024, 1), 31);
}

static void test_calendar_parse_takes_dates_and_times_and_refuses_days_that_do_not_exist(void **state)
{
    (void)state;
    struct civil_time t;
    assert_int_equal(civil_parse("2024-02-29", &t), 0);
    assert_civil(&t, 2024, 2, 29, 0, 0, 0);
    assert_int_equal(civil_parse("2025-04-17 08:09:10", &t), 0);
    assert_civil(&t, 2025, 4, 17, 8, 9, 10);
    assert_int_equal(civil_parse("2025-04-17T23:59:59", &t), 0);
    assert_civil(&t, 2025, 4, 17, 23, 59, 59);
    /* what PostgreSQL adds after the seconds (fractions, an offset) */
    assert_int_equal(civil_parse("2025-04-17 08:00:00.5+00", &t), 0);
    assert_civil(&t, 2025, 4, 17, 8, 0, 0);

    assert_int_equal(civil_parse("2023-02-29", &t), -1);
    assert_int_equal(civil_parse("1900-02-29", &t), -1);
    assert_int_equal(civil_parse("2024-04-31", &t), -1);
    assert_int_equal(civil_parse("2024-13-01", &t), -1);
    assert_int_equal(civil_parse("2024-00-10", &t), -1);
    assert_int_equal(civil_parse("2024-01-00", &t), -1);
    assert_int_equal(civil_parse("2024-01-01 24:00:00", &t), -1);
    assert_int_equal(civil_parse("2024-01-01 10:60:00", &t), -1);
    assert_int_equal(civil_parse("2024-1-01", &t), -1);
    assert_int_equal(civil_parse("2024-01-01x", &t), -1);
    assert_int_equal(civil_parse("", &t), -1);
    assert_int_equal(civil_parse(NULL, &t), -1);
}

static void test_calendar_epoch_agrees_with_timegm_both_ways(void **state)
{
    (void)state;
    /* every day from 1901 to 2100, at a time of day that moves */
    for (long long day = -25202; day < 47482; day++) {
        long long epoch = day * 86400 + (day * 3613 % 86400 + 86400) % 86400;
        struct civil_time t;
        civil_from_epoch(epoch, &t);
        time_t tt = (time_t)epoch;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        assert_civil(&t, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
        if (civil_to_epoch(&t) != epoch)
            fail_msg("%lld does not round-trip", epoch);
    }
    struct civil_time t;
    civil_from_epoch(-1, &t);
    assert_civil(&t, 1969, 12, 31, 23, 59, 59);
    assert_int_equal(civil_parse("1600-03-01", &t), 0);     /* before 1901: no timegm */
    civil_from_epoch(civil_to_epoch(&t), &t);
    assert_civil(&t, 1600, 3, 1, 0, 0, 0);
}

static void test_calendar_adding_months_clamps_the_day(void **state)
{
    (void)state;
    struct civil_time t;
    assert_int_equal(civil_parse("2024-03-31 12:00:00", &t), 0);
    civil_add_months(&t, -1);
    assert_civil(&t, 2024, 2, 29, 12, 0, 0);
    assert_int_equal(civil_parse("2023-03-31", &t), 0);
    civil_add_months(&t, -1);
    assert_civil(&t, 2023, 2, 28, 0, 0, 0);
    assert_int_equal(civil_parse("2024-01-31", &t), 0);
    civil_add_months(&t, 3);
    assert_civil(&t, 2024, 4, 30, 0, 0, 0);
    assert_int_equal(civil_parse("2024-11-15", &t), 0);
    civil_add_months(&t, 14);
    assert_civil(&t, 2026, 1, 15, 0, 0, 0);
    civil_add_months(&t, -25);
    assert_civil(&t, 2023, 12, 15, 0, 0, 0);
    assert_int_equal(civil_parse("0001-01-01", &t), 0);
    civil_add_months(&t, -1);                   /* across year 0 */
    assert_civil(&t, 0, 12, 1, 0, 0, 0);
}

static void test_calendar_compare_orders_moments(void **state)
{
    (void)state;
    struct civil_time a, b;
    assert_int_equal(civil_parse("2024-02-29 23:59:59", &a), 0);
    assert_int_equal(civil_parse("2024-03-01", &b), 0);
    assert_int_equal(civil_compare(&a, &b), -1);
    assert_int_equal(civil_compare(&b, &a), 1);
    assert_int_equal(civil_compare(&a, &a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_days_in_month_follow_the_gregorian_leap_years),
        cmocka_unit_test(test_calendar_parse_takes_dates_and_times_and_refuses_days_that_do_not_exist),
        cmocka_unit_test(test_calendar_epoch_agrees_with_timegm_both_ways),
        cmocka_unit_test(test_calendar_adding_months_clamps_the_day),
        cmocka_unit_test(test_calendar_compare_orders_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
