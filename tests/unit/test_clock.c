/* The clocks and how times are written. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "base/clock.h"

static void test_clock_monotonic_never_goes_back(void **state)
{
    (void)state;
    double last = now_monotonic();
    for (int i = 0; i < 10000; i++) {
        double t = now_monotonic();
        assert_true(t >= last);
        last = t;
    }
    assert_true(last > 0);
}

static void test_clock_wall_is_the_epoch_clock(void **state)
{
    (void)state;
    /* time() reads the kernel's coarse clock, which moves at the timer
     * tick: just after a second begins it can still say the second before
     * while now_wall() already reads the new one.  So the bracket is a
     * second wider above; a monotonic clock (uptime) would be decades off. */
    time_t before = time(NULL);
    double wall = now_wall();
    time_t after = time(NULL);
    assert_true(wall >= (double)before);
    assert_true(wall < (double)after + 2);
}

static void test_clock_iso_time_is_utc_with_milliseconds(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(iso_time_utc(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(iso_time_utc(1700000000.5, buf, sizeof buf), "2023-11-14T22:13:20.500Z");
    assert_string_equal(iso_time_utc(951782400.0, buf, sizeof buf), "2000-02-29T00:00:00.000Z");
    /* never "1000" milliseconds */
    assert_string_equal(iso_time_utc(59.9999999, buf, sizeof buf), "1970-01-01T00:00:59.999Z");
    /* whatever the local zone */
    setenv("TZ", "Pacific/Kiritimati", 1);
    tzset();
    assert_string_equal(iso_time_utc(0.25, buf, sizeof buf), "1970-01-01T00:00:00.250Z");
}

static void test_clock_title_clock_is_local_time(void **state)
{
    (void)state;
    char buf[16];
    setenv("TZ", "UTC0", 1);
    tzset();
    assert_string_equal(clock_time_local(3723.9, buf, sizeof buf), "01:02:03");
    setenv("TZ", "XYZ-3", 1);              /* three hours east */
    tzset();
    assert_string_equal(clock_time_local(3723.9, buf, sizeof buf), "04:02:03");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_monotonic_never_goes_back),
        cmocka_unit_test(test_clock_wall_is_the_epoch_clock),
        cmocka_unit_test(test_clock_iso_time_is_utc_with_milliseconds),
        cmocka_unit_test(test_clock_title_clock_is_local_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
