/* The sanitizing writer of the non-curses front ends: what it writes can
 * never drive the terminal, whatever it is handed. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/textout.h"

/* What the writes in `fn` put on a stream. */
static char *captured(void (*fn)(FILE *f))
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fn(f);
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *out = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return out;
}

#define PAYLOAD "t\x1b]0;title\x07\x1b[2J\xc2\x9b" "31m\x7f\xff or\xe2\x80\x8b" "ders"
#define SHOWN "t^[]0;title^G^[[2J<9b>31m^?<ff> or<U+200B>ders"

static void write_printf(FILE *f) { textout_printf(f, "name: %s\nnext line\n", PAYLOAD); }
static void write_line(FILE *f) { textout_line(f, "-- %s", "a\nDROP TABLE x;\r\tb"); }
static void write_fold(FILE *f) { textout_fold(f, "%s", "50%\nmore"); }
static void write_control(FILE *f) { textout_control(f, "\r\x1b[K"); textout_fold(f, "%s", "\x1b[K"); }

static void test_textout_printf_shows_escapes_and_keeps_newlines(void **state)
{
    (void)state;
    textout_set_ascii(false);
    char *out = captured(write_printf);
    assert_string_equal(out, "name: " SHOWN "\nnext line\n");
    free(out);
}

static void test_textout_line_cannot_forge_a_line(void **state)
{
    (void)state;
    textout_set_ascii(false);
    char *out = captured(write_line);
    assert_string_equal(out, "-- a DROP TABLE x;  b\n");
    free(out);
    out = captured(write_fold);
    assert_string_equal(out, "50% more");
    free(out);
}

static void test_textout_control_is_written_as_is_and_only_it(void **state)
{
    (void)state;
    char *out = captured(write_control);
    assert_string_equal(out, "\r\x1b[K^[[K");
    free(out);
}

static void test_textout_ascii_mode_writes_only_ascii(void **state)
{
    (void)state;
    textout_set_ascii(true);
    char *out = captured(write_printf);
    assert_string_equal(out, "name: t^[]0;title^G^[[2J?31m^?? or?ders\nnext line\n");
    free(out);
    textout_set_ascii(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textout_printf_shows_escapes_and_keeps_newlines),
        cmocka_unit_test(test_textout_line_cannot_forge_a_line),
        cmocka_unit_test(test_textout_control_is_written_as_is_and_only_it),
        cmocka_unit_test(test_textout_ascii_mode_writes_only_ascii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
