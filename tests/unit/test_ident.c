/* Names as SQL identifiers: what the operator writes is read as PostgreSQL
 * reads it, and nothing else is accepted. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ident.h"

/* Parse `text`; expect success with `schema` and `name`. */
static void parses(const char *text, const char *schema, const char *name)
{
    char *s = NULL, *n = NULL, err[256];
    int rc = ident_parse_qualified(text, "public", &s, &n, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s' was refused: %s", text, err);
    assert_string_equal(s, schema);
    assert_string_equal(n, name);
    free(s);
    free(n);
}

/* Parse `text`; expect a refusal whose message holds `why`. */
static void refused(const char *text, const char *why)
{
    char *s = (char *)1, *n = (char *)1, err[256];
    int rc = ident_parse_qualified(text, "public", &s, &n, err, sizeof err);
    if (rc == 0)
        fail_msg("'%s' was accepted as %s.%s", text, s, n);
    assert_null(s);
    assert_null(n);
    if (!strstr(err, why))
        fail_msg("'%s': message '%s' does not say '%s'", text, err, why);
}

static void test_ident_unqualified_name_goes_to_public(void **state)
{
    (void)state;
    parses("events", "public", "events");
    char *s, *n, err[64];
    assert_int_equal(ident_parse_qualified("events", "archive", &s, &n, err, sizeof err), 0);
    assert_string_equal(s, "archive");
    free(s);
    free(n);
}

static void test_ident_schema_qualified_name(void **state)
{
    (void)state;
    parses("archive.events", "archive", "events");
    parses("  archive . events  ", "archive", "events");
}

static void test_ident_unquoted_names_fold_to_lower_case(void **state)
{
    (void)state;
    parses("Events", "public", "events");
    parses("Archive.EVENTS", "archive", "events");
    parses("a1_$x", "public", "a1_$x");
}

static void test_ident_quoted_names_keep_case_and_dots(void **state)
{
    (void)state;
    parses("\"Events\"", "public", "Events");
    parses("public.\"archive.events\"", "public", "archive.events");
    parses("\"archive.events\"", "public", "archive.events");
    parses("\"a.b\".\"c.d\"", "a.b", "c.d");
    parses("\"with space\"", "public", "with space");
    parses("\"1st\"", "public", "1st");
    /* a reserved word, quoted or not, is a name here: it is looked up,
     * never pasted */
    parses("\"table\".\"select\"", "table", "select");
}

static void test_ident_doubled_quotes_are_one_quote(void **state)
{
    (void)state;
    parses("\"a\"\"b\"", "public", "a\"b");
    parses("\"\"\"\"", "public", "\"");
    parses("\"Odd \"\"q\"\" Name\".x", "Odd \"q\" Name", "x");
}

static void test_ident_unicode_is_kept_and_not_folded(void **state)
{
    (void)state;
    /* PostgreSQL folds only ASCII letters in a UTF-8 database */
    parses("\xc3\x9cn\xc3\xaf", "public", "\xc3\x9cn\xc3\xaf");
    parses("\"\xf0\x9f\x90\x98\"", "public", "\xf0\x9f\x90\x98");
    parses("or\xe2\x80\x8b" "ders", "public", "or\xe2\x80\x8b" "ders");
    /* control characters only inside quotes, and kept exactly */
    parses("\"a\x1b]0;t\x07\"", "public", "a\x1b]0;t\x07");
}

static void test_ident_empty_parts_are_refused(void **state)
{
    (void)state;
    refused("", "empty");
    refused("   ", "empty");
    refused(NULL, "empty");
    refused(".", "missing before '.'");
    refused(".events", "missing before '.'");
    refused("public.", "missing after '.'");
    refused("public..events", "missing before '.'");
    refused("\"\"", "empty name");
    refused("public.\"\"", "empty name");
}

static void test_ident_trailing_garbage_is_refused(void **state)
{
    (void)state;
    refused("events x", "unexpected 'x' after the name");
    refused("events;", "unexpected ';'");
    refused("\"a\"b", "unexpected 'b'");
    refused("events -- comment", "unexpected");
    refused("1events", "does not start a name");
    refused("public.1x", "does not start a name");
    refused("U&\"d\\0061t\"", "unexpected '&");
}

static void test_ident_unterminated_quote_is_refused(void **state)
{
    (void)state;
    refused("\"abc", "not closed");
    refused("public.\"abc", "not closed");
    refused("\"\"\"", "not closed");
}

static void test_ident_too_many_dots_are_refused(void **state)
{
    (void)state;
    refused("db.public.events", "too many dots");
    refused("a.b.c.d", "too many dots");
}

static void test_ident_invalid_utf8_is_refused(void **state)
{
    (void)state;
    refused("\xff", "UTF-8");
    refused("\"a\xc0\xaf\"", "UTF-8");
    refused("ab\xe2\x82", "UTF-8");
}

static void test_ident_names_longer_than_63_bytes_are_refused(void **state)
{
    (void)state;
    char name[80];
    memset(name, 'a', 63);
    name[63] = '\0';
    parses(name, "public", name);
    name[63] = 'b';
    name[64] = '\0';
    refused(name, "64 bytes long: PostgreSQL keeps 63 bytes");
    /* 31 two-byte characters fit (62 bytes), 32 do not */
    char wide[80] = "";
    for (int i = 0; i < 31; i++)
        strcat(wide, "\xc3\xa4");
    parses(wide, "public", wide);
    strcat(wide, "\xc3\xa4");
    refused(wide, "64 bytes long");
    /* the schema too */
    char qualified[100];
    snprintf(qualified, sizeof qualified, "%s.x", name);
    refused(qualified, "64 bytes long");
}

static void test_ident_token_value_and_truncate_follow_postgresql(void **state)
{
    (void)state;
    char *v = ident_token_value("\"A\"\"b\"", 6);
    assert_string_equal(v, "A\"b");
    free(v);
    v = ident_token_value("MiXed_1", 7);
    assert_string_equal(v, "mixed_1");
    free(v);
    char s[80] = "";
    for (int i = 0; i < 32; i++)
        strcat(s, "\xc3\xa4");          /* 64 bytes */
    ident_truncate(s);
    assert_int_equal(strlen(s), 62);   /* never half a character */
    char t[80];
    memset(t, 'x', 70);
    t[70] = '\0';
    ident_truncate(t);
    assert_int_equal(strlen(t), 63);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_unqualified_name_goes_to_public),
        cmocka_unit_test(test_ident_schema_qualified_name),
        cmocka_unit_test(test_ident_unquoted_names_fold_to_lower_case),
        cmocka_unit_test(test_ident_quoted_names_keep_case_and_dots),
        cmocka_unit_test(test_ident_doubled_quotes_are_one_quote),
        cmocka_unit_test(test_ident_unicode_is_kept_and_not_folded),
        cmocka_unit_test(test_ident_empty_parts_are_refused),
        cmocka_unit_test(test_ident_trailing_garbage_is_refused),
        cmocka_unit_test(test_ident_unterminated_quote_is_refused),
        cmocka_unit_test(test_ident_too_many_dots_are_refused),
        cmocka_unit_test(test_ident_invalid_utf8_is_refused),
        cmocka_unit_test(test_ident_names_longer_than_63_bytes_are_refused),
        cmocka_unit_test(test_ident_token_value_and_truncate_follow_postgresql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
