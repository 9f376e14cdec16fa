/* The one INI reader: inih's syntax, a line number on everything, and a
 * clear refusal of the lines inih would drop or misread. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/ini.h"
#include "base/xalloc.h"

/* What the callbacks saw, one line of text per call:
 *   "3 [sec] key=value"   a key line
 *   "3 [sec] key"         a line without '=' (value NULL)
 *   "3 header sec"        a section header
 *   "3 error MESSAGE"     an error */
struct seen {
    char  text[8192];
    int   stop_at_entry;            /* return -1 from the n-th entry (1-based), 0: never */
    int   stop_at_error;            /* the same for errors */
    int   entries, errors;
};

static void add(struct seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct seen *s, const char *fmt, ...)
{
    size_t n = strlen(s->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text + n, sizeof s->text - n, fmt, ap);
    va_end(ap);
    n = strlen(s->text);
    if (n + 1 < sizeof s->text)
        strcat(s->text, "\n");
}

static int entry(void *user, const char *section, const char *key, const char *value, int line)
{
    struct seen *s = user;
    if (!key)
        add(s, "%d header %s", line, section);
    else if (!value)
        add(s, "%d [%s] %s", line, section, key);
    else if (strlen(value) > 60)
        add(s, "%d [%s] %s=(%zu bytes)", line, section, key, strlen(value));
    else
        add(s, "%d [%s] %s=%s", line, section, key, value);
    return ++s->entries == s->stop_at_entry ? -1 : 0;
}

static int error(void *user, const char *message, int line)
{
    struct seen *s = user;
    add(s, "%d error %s", line, message);
    return ++s->errors == s->stop_at_error ? -1 : 0;
}

static int read_text(struct seen *s, const char *text, size_t len)
{
    struct ini_callbacks cb = { "t.ini", entry, error, s };
    return ini_read_text(&cb, text, len);
}

#define READ(seen, lit) read_text((seen), (lit), sizeof(lit) - 1)

static void test_ini_keys_and_headers_come_with_their_lines(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(READ(&s, "top = 1\n"
                              "\n"
                              "[display]\n"
                              "interval = 2\n"
                              "Theme: dark  \n"
                              "[alerts]   \n"
                              "  slow_query_ms=250\n"
                              "last = no newline"), 0);
    assert_string_equal(s.text, "1 [] top=1\n"
                                "3 header display\n"
                                "4 [display] interval=2\n"
                                "5 [display] Theme=dark\n"
                                "6 header alerts\n"
                                "7 [alerts] slow_query_ms=250\n"
                                "8 [alerts] last=no newline\n");
}

static void test_ini_comments_are_inihs(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(READ(&s, "; a comment\n"
                              "# another\n"
                              "   ; indented\n"
                              "[s]   ; after a header\n"
                              "[t] # this too\n"
                              "a = 1   ; after a value\n"
                              "b = x;y\n"
                              "c = #ff0000 # not a comment\n"
                              "d = ; all comment\n"), 0);
    assert_string_equal(s.text, "4 header s\n"
                                "5 header t\n"
                                "6 [t] a=1\n"
                                "7 [t] b=x;y\n"
                                "8 [t] c=#ff0000 # not a comment\n"
                                "9 [t] d=\n");
}

static void test_ini_indented_lines_do_not_continue_the_key_before(void **state)
{
    (void)state;
    struct seen s = { 0 };
    /* inih as Debian builds it would make "  theme = x" part of interval */
    assert_int_equal(READ(&s, "[s]\ninterval = 2\n  theme = x\n\tmore\n"), 0);
    assert_string_equal(s.text, "1 header s\n2 [s] interval=2\n3 [s] theme=x\n4 [s] more\n");
}

static void test_ini_byte_order_mark_and_crlf_are_taken(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(READ(&s, "\xef\xbb\xbf[s]\r\nk = v\r\n\r\n"), 0);
    assert_string_equal(s.text, "1 header s\n2 [s] k=v\n");
    /* one mark, not two: the second is text */
    struct seen t = { 0 };
    assert_int_equal(READ(&t, "\xef\xbb\xbf\xef\xbb\xbf[s]\n"), 0);
    assert_string_equal(t.text, "1 [] \xef\xbb\xbf[s]\n");
}

static void test_ini_odd_lines_reach_the_caller(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(READ(&s, "[s]\n"
                              "no separator here\n"
                              "= value without a key\n"
                              "key without a value =\n"
                              "a = b = c\n"
                              "[ spaced ]\n"), 0);
    assert_string_equal(s.text, "1 header s\n"
                                "2 [s] no separator here\n"
                                "3 [s] =value without a key\n"
                                "4 [s] key without a value=\n"
                                "5 [s] a=b = c\n"
                                "6 header  spaced \n");
}

static void test_ini_bad_headers_are_errors_with_file_and_line(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(READ(&s, "[s]\n"
                              "[display\n"
                              "[display] interval = 2\n"
                              "[a ; b]\n"
                              "k = v\n"), 0);
    assert_string_equal(s.text, "1 header s\n"
                                "2 error t.ini:2: syntax error: section header without ']'\n"
                                "3 error t.ini:3: syntax error: unexpected text after ']'\n"
                                "4 error t.ini:4: syntax error: section header without ']'\n"
                                "5 [s] k=v\n");
}

static void test_ini_long_lines_are_read_whole_up_to_the_limit(void **state)
{
    (void)state;
    size_t n = INI_LINE_MAX + 200;
    char *text = xmalloc(3 * n);
    /* line 1: exactly INI_LINE_MAX bytes; line 2: one more; line 3: short */
    size_t o = 0;
    memcpy(text, "k = ", 4);
    memset(text + 4, 'a', INI_LINE_MAX - 4);
    o = INI_LINE_MAX;
    text[o++] = '\n';
    memcpy(text + o, "l = ", 4);
    memset(text + o + 4, 'b', INI_LINE_MAX + 1 - 4);
    o += INI_LINE_MAX + 1;
    text[o++] = '\n';
    memcpy(text + o, "m = 3\n", 6);
    o += 6;

    struct seen s = { 0 };
    assert_int_equal(read_text(&s, text, o), 0);
    char want[512];
    snprintf(want, sizeof want, "1 [] k=(%d bytes)\n"
                                "2 error t.ini:2: the line is longer than %d bytes\n"
                                "3 [] m=3\n", INI_LINE_MAX - 4, INI_LINE_MAX);
    assert_string_equal(s.text, want);

    /* the same from a file */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, o, f), o);
    rewind(f);
    struct seen t = { 0 };
    struct ini_callbacks cb = { "t.ini", entry, error, &t };
    assert_int_equal(ini_read_file(&cb, f), 0);
    assert_string_equal(t.text, want);
    fclose(f);
    free(text);
}

static void test_ini_nul_byte_is_an_error_and_the_rest_is_read(void **state)
{
    (void)state;
    struct seen s = { 0 };
    const char text[] = "a = 1\nb = x\0y\nc = 3\n";
    assert_int_equal(read_text(&s, text, sizeof text - 1), 0);
    assert_string_equal(s.text, "1 [] a=1\n"
                                "2 error t.ini:2: the line holds a NUL byte (is this a text file?)\n"
                                "3 [] c=3\n");
}

static void test_ini_text_need_not_end_in_a_nul(void **state)
{
    (void)state;
    struct seen s = { 0 };
    assert_int_equal(read_text(&s, "a = 1\nb = 2\nc = 3\n", 9), 0);   /* "a = 1\nb =" */
    assert_string_equal(s.text, "1 [] a=1\n2 [] b=\n");
    struct seen e = { 0 };
    assert_int_equal(read_text(&e, NULL, 0), 0);
    assert_int_equal(read_text(&e, "", 0), 0);
    assert_string_equal(e.text, "");
}

static void test_ini_a_callback_stops_the_reading(void **state)
{
    (void)state;
    struct seen s = { .stop_at_entry = 2 };
    assert_int_equal(READ(&s, "[s]\na = 1\nb = 2\n"), -1);
    assert_string_equal(s.text, "1 header s\n2 [s] a=1\n");

    struct seen h = { .stop_at_entry = 1 };
    assert_int_equal(READ(&h, "[s]\na = 1\n"), -1);
    assert_string_equal(h.text, "1 header s\n");

    struct seen e = { .stop_at_error = 1 };
    assert_int_equal(READ(&e, "[s\na = 1\n"), -1);
    assert_string_equal(e.text, "1 error t.ini:1: syntax error: section header without ']'\n");

    /* without an error callback an error stops the reading */
    struct seen n = { 0 };
    struct ini_callbacks cb = { "t.ini", entry, NULL, &n };
    assert_int_equal(ini_read_text(&cb, "a = 1\n[b\nc = 2\n", 15), -1);
    assert_string_equal(n.text, "1 [] a=1\n");
}

static void test_ini_a_file_of_zeros_costs_one_line(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/zero", "r");
    if (!f)
        skip();
    struct seen s = { .stop_at_error = 1 };
    struct ini_callbacks cb = { "/dev/zero", entry, error, &s };
    assert_int_equal(ini_read_file(&cb, f), -1);
    char want[128];
    snprintf(want, sizeof want, "1 error /dev/zero:1: the line is longer than %d bytes\n", INI_LINE_MAX);
    assert_string_equal(s.text, want);
    fclose(f);
}

/* A callback that reads another text while the first is being read, as a
 * theme's `inherit` does. */
static int nested_entry(void *user, const char *section, const char *key, const char *value, int line)
{
    struct seen *s = user;
    if (key && strcmp(key, "include") == 0) {
        struct ini_callbacks cb = { "inner.ini", entry, error, s };
        ini_read_text(&cb, "\n\nx = 1\n[bad\n", 12);
    }
    return entry(user, section, key, value, line);
}

static void test_ini_reads_nest_and_leave_inih_as_they_found_it(void **state)
{
    (void)state;
    int max_line = ini_max_line;
    bool multiline = ini_allow_multiline;
    struct seen s = { 0 };
    struct ini_callbacks cb = { "outer.ini", nested_entry, error, &s };
    assert_int_equal(ini_read_text(&cb, "a = 1\ninclude = inner\nb = 2\n", 28), 0);
    assert_string_equal(s.text, "1 [] a=1\n"
                                "3 [] x=1\n"
                                "4 error inner.ini:4: syntax error: section header without ']'\n"
                                "2 [] include=inner\n"
                                "3 [] b=2\n");
    assert_int_equal(ini_max_line, max_line);
    assert_int_equal(ini_allow_multiline, multiline);
}

static void test_ini_message_names_file_and_line(void **state)
{
    (void)state;
    char *m = ini_message("/etc/x.conf", 12, "unknown key '%s'", "k");
    assert_string_equal(m, "/etc/x.conf:12: unknown key 'k'");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_keys_and_headers_come_with_their_lines),
        cmocka_unit_test(test_ini_comments_are_inihs),
        cmocka_unit_test(test_ini_indented_lines_do_not_continue_the_key_before),
        cmocka_unit_test(test_ini_byte_order_mark_and_crlf_are_taken),
        cmocka_unit_test(test_ini_odd_lines_reach_the_caller),
        cmocka_unit_test(test_ini_bad_headers_are_errors_with_file_and_line),
        cmocka_unit_test(test_ini_long_lines_are_read_whole_up_to_the_limit),
        cmocka_unit_test(test_ini_nul_byte_is_an_error_and_the_rest_is_read),
        cmocka_unit_test(test_ini_text_need_not_end_in_a_nul),
        cmocka_unit_test(test_ini_a_callback_stops_the_reading),
        cmocka_unit_test(test_ini_a_file_of_zeros_costs_one_line),
        cmocka_unit_test(test_ini_reads_nest_and_leave_inih_as_they_found_it),
        cmocka_unit_test(test_ini_message_names_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
