/* Overlay text wrapped to the overlay's width (ui/wrap.c): nothing is
 * cut, breaks fall between words, continuations are indented, and a
 * narrower width rewraps the same lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wrap.h"
#include "base/sanitize.h"

/* Every display line fits, and the words of the input come back in
 * order when the lines are joined. */
static void assert_whole(char *const *in, int nin, char **out, int n, int width)
{
    char joined_in[4096] = "", joined_out[4096] = "";
    for (int i = 0; i < nin; i++) {
        strcat(joined_in, " ");
        strcat(joined_in, in[i]);
    }
    for (int i = 0; i < n; i++) {
        assert_true(sanitize_width(out[i]) <= width);
        strcat(joined_out, " ");
        strcat(joined_out, out[i]);
    }
    /* Compare word by word. */
    char *a = joined_in, *b = joined_out, *sa, *sb;
    char *wa = strtok_r(a, " ", &sa), *wb = strtok_r(b, " ", &sb);
    while (wa && wb) {
        size_t la = strlen(wa), lb = strlen(wb);
        /* A word longer than the width comes back in pieces. */
        if (la > lb && strncmp(wa, wb, lb) == 0) {
            wa += lb;
            wb = strtok_r(NULL, " ", &sb);
            continue;
        }
        assert_string_equal(wa, wb);
        wa = strtok_r(NULL, " ", &sa);
        wb = strtok_r(NULL, " ", &sb);
    }
    assert_null(wa);
    assert_null(wb);
}

static void test_details_wrap_under_their_value_and_lose_nothing(void **state)
{
    (void)state;
    char *in[] = {
        "resident memory    134 MB (122 MB of it shared: buffers and server memory)",
        "duration           21ms",
    };
    int n;
    char **out = wrap_lines(in, 2, 60, 0, &n);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "resident memory    134 MB (122 MB of it shared: buffers and");
    assert_string_equal(out[1], "                   server memory)");
    assert_string_equal(out[2], "duration           21ms");
    assert_whole(in, 2, out, n, 60);
    wrap_free(out, n);
}

static void test_a_list_breaks_after_a_comma_not_inside_a_quantity(void **state)
{
    (void)state;
    char *in[] = { "  slow query > 1000 ms, pool > 90 %, cache hit < 70 %, view older than 4 h" };
    int n;
    char **out = wrap_lines(in, 1, 72, 0, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "  slow query > 1000 ms, pool > 90 %, cache hit < 70 %,");
    assert_string_equal(out[1], "    view older than 4 h");
    wrap_free(out, n);
}

static void test_long_words_and_plan_lines_are_never_cut(void **state)
{
    (void)state;
    char *in[] = {
        "  ->  Index Scan using idx_analytics_events_user_created on analytics_events e  (cost=0.29..8.31 rows=1 width=64)",
        "/a/very/long/path/without/any/blank/that/is/longer/than/the/width/of/the/overlay/journal.jsonl",
        "",
        "plain",
    };
    for (int width = 16; width <= 100; width += 7) {
        int n;
        char **out = wrap_lines(in, 4, width, 0, &n);
        assert_whole(in, 4, out, n, width);
        /* The continuation of the plan line is indented past its own. */
        assert_true(strncmp(out[1], "    ", 4) == 0 || sanitize_width(in[0]) <= width);
        wrap_free(out, n);
    }
}

static void test_line_breaks_are_kept_and_escapes_made_harmless(void **state)
{
    (void)state;
    char *in[] = { "SELECT 1\nFROM t\x1b[2J" };
    int n;
    char **out = wrap_lines(in, 1, 40, 0, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "SELECT 1");
    assert_null(strchr(out[1], '\x1b'));
    wrap_free(out, n);
}

static void test_utf8_is_measured_in_columns(void **state)
{
    (void)state;
    char *in[] = { "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9" };
    int n;
    char **out = wrap_lines(in, 1, 10, 0, &n);
    assert_int_equal(n, 4);     /* 9 columns, then one a line under a 2-column indent */
    assert_string_equal(out[0], "caf\xc3\xa9 caf\xc3\xa9");
    wrap_free(out, n);
    out = wrap_lines(in, 1, 10, 1, &n);
    assert_string_equal(out[0], "caf? caf?");
    wrap_free(out, n);
}

/* The last column is reached only by a word broken in two, and the next
 * line goes on with it: a line of words exactly as wide as the overlay is
 * wrapped before its last word. */
static void test_only_a_broken_word_reaches_the_last_column(void **state)
{
    (void)state;
    char *in[] = {
        "  1-6            1 queries 2 pool 3 cache 4 partitions 5 views 6 indexes",
        "  host=/tmp/pgdeck-e2e.v40I7Y/a-socket-directory-whose-name-is-long-enough-to-crowd-the-title",
    };
    int n;
    char **out = wrap_lines(in, 1, 72, 0, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "  1-6            1 queries 2 pool 3 cache 4 partitions 5 views 6");
    assert_string_equal(out[1], "                 indexes");
    wrap_free(out, n);
    for (int width = 16; width <= 100; width++) {
        out = wrap_lines(in, 2, width, 0, &n);
        assert_whole(in, 2, out, n, width);
        for (int i = 0; i < n; i++)
            if (sanitize_width(out[i]) == width) {
                /* Broken inside a word: no blank at the end, and a next line. */
                assert_true(i + 1 < n);
                assert_true(out[i][strlen(out[i]) - 1] != ' ');
                assert_true(strspn(out[i + 1], " ") > 0);
            }
        wrap_free(out, n);
    }
    out = wrap_lines(in + 1, 1, 72, 0, &n);
    assert_int_equal(sanitize_width(out[0]), 72);
    assert_true(n == 2);
    wrap_free(out, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_details_wrap_under_their_value_and_lose_nothing),
        cmocka_unit_test(test_a_list_breaks_after_a_comma_not_inside_a_quantity),
        cmocka_unit_test(test_long_words_and_plan_lines_are_never_cut),
        cmocka_unit_test(test_line_breaks_are_kept_and_escapes_made_harmless),
        cmocka_unit_test(test_utf8_is_measured_in_columns),
        cmocka_unit_test(test_only_a_broken_word_reaches_the_last_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
