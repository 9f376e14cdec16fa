/* Numbers a person typed: decimals only, finite, nothing after them. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"

static void double_is(const char *text, double want)
{
    double v = -12345;
    if (numparse_double(text, &v) != 0)
        fail_msg("'%s' was refused", text);
    assert_true(v == want);
}

static void double_refused(const char *text)
{
    double v = -12345;
    if (numparse_double(text, &v) == 0)
        fail_msg("'%s' was accepted as %g", text, v);
    assert_true(v == -12345);          /* left alone */
}

static void long_is(const char *text, long want)
{
    long v = -12345;
    if (numparse_long(text, &v) != 0)
        fail_msg("'%s' was refused", text);
    assert_int_equal(v, want);
}

static void long_refused(const char *text)
{
    long v = -12345;
    if (numparse_long(text, &v) == 0)
        fail_msg("'%s' was accepted as %ld", text, v);
    assert_int_equal(v, -12345);
}

static void test_numparse_decimals_are_read(void **state)
{
    (void)state;
    double_is("2", 2);
    double_is("0.5", 0.5);
    double_is(".5", 0.5);
    double_is("-3", -3);
    double_is("+3", 3);
    double_is("1e3", 1000);
    double_is("  2.5  ", 2.5);
    double_is("\t60", 60);
}

static void test_numparse_non_finite_values_are_refused(void **state)
{
    (void)state;
    double_refused("nan");
    double_refused("NaN");
    double_refused("inf");
    double_refused("-inf");
    double_refused("Infinity");
    double_refused("1e999");           /* overflows to infinity */
    double_refused("-1e999");
}

static void test_numparse_trailing_garbage_is_refused(void **state)
{
    (void)state;
    double_refused("5abc");
    double_refused("5 s");
    double_refused("1 2");
    double_refused("1e");
    double_refused("1.2.3");
    double_refused("0x10");
    double_refused("");
    double_refused("   ");
    double_refused("-");
    double_refused(".");
    double_refused(NULL);
    long_refused("5abc");
    long_refused("5.0");
    long_refused("1 2");
    long_refused("0x10");
    long_refused("");
    long_refused("+");
    long_refused("- 1");
    long_refused(NULL);
}

static void test_numparse_whole_numbers_are_read_within_long(void **state)
{
    (void)state;
    long_is("42", 42);
    long_is("+7", 7);
    long_is("-1", -1);
    long_is(" 9 ", 9);
    char max[32];
    snprintf(max, sizeof max, "%ld", LONG_MAX);
    long_is(max, LONG_MAX);
    long_refused("99999999999999999999999");
}

/* numparse_prefix reads what strtod reads: the same value, bit for bit,
 * and the same end, whether the text takes its fast path or not. */
static void prefix_as_strtod(const char *text)
{
    char *want_end, *got_end;
    double want = strtod(text, &want_end);
    double got = numparse_prefix(text, &got_end);
    if (memcmp(&want, &got, sizeof want) != 0 && !(isnan(want) && isnan(got)))
        fail_msg("'%s': %.17g, strtod %.17g", text, got, want);
    if (got_end != want_end)
        fail_msg("'%s': stopped at %td, strtod at %td", text, got_end - text, want_end - text);
}

static void test_numparse_prefix_reads_as_strtod(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0", "-0", "+0", "42", "-42", "0.5", ".5", "-.5", "5.", "1.25", "0.1", "0.3",
        "123456789012345", "1234567890123456", "12345678901234567890", "9007199254740993",
        "0.000000000000000000001", "0.0000000000000000000001", "0.00000000000000000000001",
        "1.0000000000000000000000001", "000000000000000000000000012.5", "99.99999999999999",
        "123.456e2", "1e5", "1E-3", "1.e5", "0x10", "0X1p3", "inf", "-inf", "nan", "NaN",
        "", "-", "+", ".", "-.", " 5", "\t7", "5 ", "12abc", "1.5.3", "3..4", "--1", "+-1",
        "7,5", "1_000", "2.5%", "98.7", "790698", "0.0s", "100.0", "1.7976931348623157e308",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        prefix_as_strtod(texts[i]);
    /* Random decimals of every length the fast path takes and past it. */
    srand(14);
    for (int i = 0; i < 200000; i++) {
        char buf[64];
        int n = 0;
        if (rand() % 4 == 0)
            buf[n++] = '-';
        int whole = rand() % 19, frac = rand() % 26;
        for (int k = 0; k < whole; k++)
            buf[n++] = (char)('0' + rand() % 10);
        if (frac || rand() % 2)
            buf[n++] = '.';
        for (int k = 0; k < frac; k++)
            buf[n++] = (char)('0' + rand() % 10);
        buf[n] = '\0';
        prefix_as_strtod(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numparse_decimals_are_read),
        cmocka_unit_test(test_numparse_non_finite_values_are_refused),
        cmocka_unit_test(test_numparse_trailing_garbage_is_refused),
        cmocka_unit_test(test_numparse_whole_numbers_are_read_within_long),
        cmocka_unit_test(test_numparse_prefix_reads_as_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
