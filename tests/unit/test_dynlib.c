/* A library loaded at its first use (base/dynlib.c, for libpg_query and
 * hiredis): its functions are found and called; a library or function
 * that is not there is an error that names it, given again at every call
 * without a second try. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/dynlib.h"

/* libc is loaded already, under this name on every glibc system. */
#define LIBC "libc.so.6"

static void test_dynlib_functions_are_found_and_called(void **state)
{
    (void)state;
    size_t (*len)(const char *) = NULL;
    int (*cmp)(const char *, const char *) = NULL;
    struct dynlib lib = { .soname = LIBC, .what = "the C library" };
    const struct dynlib_symbol syms[] = { DYNLIB_SYMBOL("strlen", len), DYNLIB_SYMBOL("strcmp", cmp) };
    char err[200] = "untouched";
    assert_int_equal(dynlib_load(&lib, syms, 2, err, sizeof err), 0);
    assert_non_null(len);
    assert_int_equal(len("pgdeck"), 6);
    assert_int_equal(cmp("a", "a"), 0);
    assert_string_equal(err, "untouched");
}

static void test_dynlib_a_missing_library_is_named_every_time(void **state)
{
    (void)state;
    struct dynlib lib = { .soname = "libpgdeck-not-there.so.9", .what = "the test's library" };
    void (*fn)(void) = NULL;
    const struct dynlib_symbol syms[] = { DYNLIB_SYMBOL("anything", fn) };
    char err[200] = "";
    assert_int_equal(dynlib_load(&lib, syms, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot load the test's library (libpgdeck-not-there.so.9): "));
    assert_true(lib.tried);
    char again[200] = "";
    assert_int_equal(dynlib_load(&lib, syms, 1, again, sizeof again), -1);
    assert_string_equal(again, err);
    assert_null(fn);
    /* No buffer is allowed. */
    assert_int_equal(dynlib_load(&lib, syms, 1, NULL, 0), -1);
}

static void test_dynlib_a_missing_function_is_named(void **state)
{
    (void)state;
    size_t (*len)(const char *) = NULL;
    void (*gone)(void) = NULL;
    struct dynlib lib = { .soname = LIBC, .what = "the C library" };
    const struct dynlib_symbol syms[] = { DYNLIB_SYMBOL("strlen", len), DYNLIB_SYMBOL("pgdeck_no_such_function", gone) };
    char err[200] = "";
    assert_int_equal(dynlib_load(&lib, syms, 2, err, sizeof err), -1);
    assert_string_equal(err, "cannot load the C library: libc.so.6 has no pgdeck_no_such_function");
    assert_null(gone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynlib_functions_are_found_and_called),
        cmocka_unit_test(test_dynlib_a_missing_library_is_named_every_time),
        cmocka_unit_test(test_dynlib_a_missing_function_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
