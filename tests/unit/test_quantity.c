/* One way to write a quantity (src/base/quantity.c): durations, sizes,
 * rates and percentages, rounded to what is shown before the unit is
 * chosen, so no edge reads 60.0s, 1m60s, 2m60s, 1024 kB or 100.0%. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/quantity.h"

#define DURATION(s, want) do { char b[QUANTITY_LEN]; \
        assert_string_equal(quantity_duration(b, sizeof b, (s)), (want)); } while (0)
#define BYTES(v, want) do { char b[QUANTITY_LEN]; \
        assert_string_equal(quantity_bytes(b, sizeof b, (v)), (want)); } while (0)
#define PERCENT(v, want) do { char b[QUANTITY_LEN]; \
        assert_string_equal(quantity_percent(b, sizeof b, (v)), (want)); } while (0)

static void test_durations_read_as_the_panes_write_them(void **state)
{
    (void)state;
    DURATION(0.021432, "21ms");
    DURATION(0, "0ms");
    DURATION(0.0004, "0ms");
    DURATION(0.850, "850ms");
    DURATION(1.3, "1.3s");
    DURATION(12, "12.0s");
    DURATION(242, "4m02s");
    DURATION(2 * 3600 + 10 * 60, "2h10m");
    DURATION(3 * 86400 + 4 * 3600, "3d04h");
    DURATION(-1.25, "-1.3s");
    DURATION(-0.0001, "0ms");
    DURATION(NAN, "-");
    DURATION(INFINITY, "-");
}

/* The rounding edges: a value that rounds up to the next unit is written
 * in that unit. */
static void test_durations_round_before_the_unit_is_chosen(void **state)
{
    (void)state;
    DURATION(0.9994, "999ms");
    DURATION(0.9996, "1.0s");
    DURATION(59.94, "59.9s");
    DURATION(59.96, "1m00s");
    DURATION(60, "1m00s");
    DURATION(119.4, "1m59s");
    DURATION(119.5, "2m00s");
    DURATION(179.6, "3m00s");
    DURATION(3599.4, "59m59s");
    DURATION(3599.5, "1h00m");
    DURATION(7199.9, "2h00m");
    DURATION(3 * 3600 - 31, "2h59m");
    DURATION(3 * 3600 - 29, "3h00m");
    DURATION(86400 - 29, "1d00h");
    DURATION(86400 - 31, "23h59m");
    DURATION(2 * 86400 - 1799, "2d00h");
    /* Never a 60 in a place that counts to 59. */
    char b[QUANTITY_LEN];
    for (double s = 0; s < 3 * 86400; s += 0.37) {
        quantity_duration(b, sizeof b, s);
        assert_null(strstr(b, "m60s"));
        assert_null(strstr(b, "h60m"));
        assert_null(strstr(b, "d24h"));
        assert_false(strcmp(b, "60.0s") == 0 || strcmp(b, "1000ms") == 0);
    }
}

static void test_milliseconds_are_durations_too(void **state)
{
    (void)state;
    char b[QUANTITY_LEN];
    assert_string_equal(quantity_duration_ms(b, sizeof b, 1003.652108), "1.0s");
    assert_string_equal(quantity_duration_ms(b, sizeof b, 21.4), "21ms");
}

static void test_sizes_count_in_1024s(void **state)
{
    (void)state;
    BYTES(0, "0 B");
    BYTES(512, "512 B");
    BYTES(1023, "1023 B");
    BYTES(1023.6, "1.0 kB");
    BYTES(1024, "1.0 kB");
    BYTES(10035, "9.8 kB");
    BYTES(1.2 * 1048576, "1.2 MB");
    BYTES(134217728, "128 MB");
    BYTES(9.96 * 1048576, "10 MB");
    BYTES(1023.4 * 1048576, "1023 MB");
    BYTES(1023.6 * 1048576, "1.0 GB");
    BYTES(1099511627776.0 * 5, "5.0 TB");
    BYTES(-2048, "-2.0 kB");
    BYTES(NAN, "-");
}

static void test_rates_counts_and_byte_rates(void **state)
{
    (void)state;
    char b[QUANTITY_LEN];
    assert_string_equal(quantity_rate(b, sizeof b, 0.46, "queries"), "0.5 queries/s");
    assert_string_equal(quantity_rate(b, sizeof b, 9.96, "queries"), "10 queries/s");
    assert_string_equal(quantity_rate(b, sizeof b, 1234.4, "ops"), "1,234 ops/s");
    assert_string_equal(quantity_rate(b, sizeof b, 3, NULL), "3.0/s");
    assert_string_equal(quantity_byte_rate(b, sizeof b, 1.2 * 1048576), "1.2 MB/s");
    assert_string_equal(quantity_count(b, sizeof b, 1234567), "1,234,567");
    assert_string_equal(quantity_count(b, sizeof b, -1000), "-1,000");
    assert_string_equal(quantity_count(b, sizeof b, 999), "999");
}

#define AGE(s, want) do { char b[QUANTITY_LEN]; \
        assert_string_equal(quantity_age(b, sizeof b, (s)), (want)); } while (0)
#define WHOLE(v, want) do { char b[QUANTITY_LEN]; \
        assert_string_equal(quantity_percent_whole(b, sizeof b, (v)), (want)); } while (0)

/* The table forms (issue 14): a query of a few ms and one of 40 ms read
 * the same, so a busy OLTP's rows do not change at every refresh; from a
 * second they read as quantity_duration. */
static void test_ages_are_tenths_under_a_second(void **state)
{
    (void)state;
    AGE(0.002, "0.0s");
    AGE(0.049, "0.0s");
    AGE(0.013, "0.0s");
    AGE(0.3, "0.3s");
    AGE(0.94, "0.9s");
    AGE(0.96, "1.0s");
    AGE(-0.002, "0.0s");
    AGE(-0.3, "-0.3s");
    AGE(1.3, "1.3s");
    AGE(75, "1m15s");
    AGE(-2, "-2.0s");
    AGE(NAN, "-");
}

static void test_whole_percentages_still_say_some(void **state)
{
    (void)state;
    WHOLE(8.8, "9%");
    WHOLE(8.4, "8%");
    WHOLE(0, "0%");
    WHOLE(0.3, "<1%");
    WHOLE(-0.01, "0%");
    WHOLE(100, "100%");
    WHOLE(NAN, "-");
}

static void test_percentages_keep_their_meaning_at_the_ends(void **state)
{
    (void)state;
    PERCENT(97.34, "97.3%");
    PERCENT(100, "100.0%");
    PERCENT(99.96, "99.9%");
    PERCENT(0, "0.0%");
    PERCENT(0.04, "0.1%");
    PERCENT(-0.01, "0.0%");
    PERCENT(250, "250.0%");
    PERCENT(NAN, "-");
}

static void test_a_short_buffer_is_never_overrun(void **state)
{
    (void)state;
    char b[4] = "xxx";
    quantity_duration(b, sizeof b, 242);
    assert_int_equal(strlen(b), 3);
    char one[1];
    quantity_bytes(one, sizeof one, 1e9);
    assert_int_equal(one[0], '\0');
}

/* quantity_fixed writes what printf's "%.*f" writes, for the values the
 * host job and the derives set (percentages, rates, sizes, seconds),
 * negative ones, zeros, halves and values printf has to decide. */
static void test_fixed_point_reads_as_printf_writes_it(void **state)
{
    (void)state;
    const double special[] = { 0.0, -0.0, 0.5, 1.5, 2.5, 0.25, 0.125, 0.145, 1.005, 99.95, 99.96, -0.04,
                               -0.0001, 12.5, 1e9, 1e12 + 0.5, 123456789.987654, NAN, INFINITY, -INFINITY };
    char want[64], got[64];
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        for (int d = 0; d <= 6; d++) {
            snprintf(want, sizeof want, "%.*f", d, special[i]);
            assert_string_equal(quantity_fixed(got, sizeof got, special[i], d), want);
        }
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        /* xorshift: values over many magnitudes, some of them exact
         * hundredths and thousandths. */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = (double)(x % 100000000ULL) / (double)(1ULL << (x >> 58));
        if (i % 3 == 0)
            v = (double)(x % 100000) / 1000.0;
        if (i % 5 == 0)
            v = -v;
        int d = (int)(x >> 40) % 7;
        snprintf(want, sizeof want, "%.*f", d, v);
        assert_string_equal(quantity_fixed(got, sizeof got, v, d), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations_read_as_the_panes_write_them),
        cmocka_unit_test(test_fixed_point_reads_as_printf_writes_it),
        cmocka_unit_test(test_durations_round_before_the_unit_is_chosen),
        cmocka_unit_test(test_milliseconds_are_durations_too),
        cmocka_unit_test(test_sizes_count_in_1024s),
        cmocka_unit_test(test_rates_counts_and_byte_rates),
        cmocka_unit_test(test_percentages_keep_their_meaning_at_the_ends),
        cmocka_unit_test(test_ages_are_tenths_under_a_second),
        cmocka_unit_test(test_whole_percentages_still_say_some),
        cmocka_unit_test(test_a_short_buffer_is_never_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
