/* Numbers a person typed: decimals only, finite, nothing after them. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numparse_decimals_are_read),
        cmocka_unit_test(test_numparse_non_finite_values_are_refused),
        cmocka_unit_test(test_numparse_trailing_garbage_is_refused),
        cmocka_unit_test(test_numparse_whole_numbers_are_read_within_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
