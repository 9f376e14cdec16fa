/* Untrusted text: nothing a server sends can drive the terminal. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"

/* Sanitize `in` (len bytes) and compare with `want`. */
static void check(const char *in, size_t len, int flags, const char *want)
{
    char *out = sanitize_text(in, len, flags);
    assert_string_equal(out, want);
    free(out);
}

#define CHECK(in, flags, want) check((in), sizeof(in) - 1, (flags), (want))

/* No byte of the result may be a control character of any kind. */
static void assert_inert(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        assert_false(*p < 0x20);
        assert_false(*p == 0x7f);
    }
}

static void test_sanitize_plain_ascii_is_unchanged(void **state)
{
    (void)state;
    CHECK("SELECT * FROM users WHERE id = $1", 0, "SELECT * FROM users WHERE id = $1");
}

static void test_sanitize_osc_title_sequence_is_made_visible(void **state)
{
    (void)state;
    /* ESC ] 0 ; title BEL would set the window title */
    CHECK("a\x1b]0;pwned\x07z", 0, "a^[]0;pwned^Gz");
}

static void test_sanitize_csi_clear_screen_is_made_visible(void **state)
{
    (void)state;
    CHECK("\x1b[2J\x1b[H", 0, "^[[2J^[[H");
}

static void test_sanitize_colour_sequence_is_made_visible(void **state)
{
    (void)state;
    CHECK("\x1b[31mred\x1b[0m", 0, "^[[31mred^[[0m");
}

static void test_sanitize_dcs_sequence_is_made_visible(void **state)
{
    (void)state;
    /* ESC P ... ESC \ (device control string) */
    CHECK("\x1bPq#0;2;0;0;0\x1b\\", 0, "^[Pq#0;2;0;0;0^[\\");
}

static void test_sanitize_8bit_c1_csi_byte_is_made_visible(void **state)
{
    (void)state;
    /* a raw 0x9b is CSI on terminals honouring 8-bit controls */
    CHECK("\x9b" "2J", 0, "<9b>2J");
    /* and the same control encoded as UTF-8, U+009B */
    CHECK("\xc2\x9b" "2J", 0, "<9b>2J");
    CHECK("\xc2\x85", 0, "<85>");
}

static void test_sanitize_other_c0_controls_use_caret_notation(void **state)
{
    (void)state;
    check("\x00\x01\x08\x0b\x0c\x1f", 6, 0, "^@^A^H^K^L^_");
}

static void test_sanitize_delete_is_caret_question_mark(void **state)
{
    (void)state;
    CHECK("a\x7f" "b", 0, "a^?b");
}

static void test_sanitize_tab_newline_cr_become_spaces(void **state)
{
    (void)state;
    CHECK("a\tb\nc\rd", 0, "a b c d");
    CHECK("a\r\n\tb", 0, "a   b");
}

static void test_sanitize_fold_collapses_whitespace_runs(void **state)
{
    (void)state;
    CHECK("SELECT\n    a,\n\t\tb\r\n  FROM  t", SANITIZE_FOLD, "SELECT a, b FROM t");
    CHECK("  x  ", SANITIZE_FOLD, " x ");
}

static void test_sanitize_invalid_utf8_bytes_each_become_hex(void **state)
{
    (void)state;
    CHECK("a\xff" "b\xfe", 0, "a<ff>b<fe>");
    /* a lone continuation byte, a truncated sequence */
    CHECK("\x80", 0, "<80>");
    CHECK("x\xe2\x82", 0, "x<e2><82>");
}

static void test_sanitize_overlong_encodings_are_rejected(void **state)
{
    (void)state;
    /* "/" as a 2-byte overlong, NUL as C0 80, ESC as a 3-byte overlong */
    CHECK("\xc0\xaf", 0, "<c0><af>");
    CHECK("\xc0\x80", 0, "<c0><80>");
    CHECK("\xe0\x80\x9b", 0, "<e0><80><9b>");
    CHECK("\xf0\x82\x82\xac", 0, "<f0><82><82><ac>");
}

static void test_sanitize_surrogates_and_beyond_unicode_are_rejected(void **state)
{
    (void)state;
    CHECK("\xed\xa0\x80", 0, "<ed><a0><80>");          /* U+D800 */
    CHECK("\xf4\x90\x80\x80", 0, "<f4><90><80><80>");  /* U+110000 */
    CHECK("\xf5\x80\x80\x80", 0, "<f5><80><80><80>");
}

static void test_sanitize_valid_utf8_is_kept(void **state)
{
    (void)state;
    CHECK("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", 0,
          "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80");
}

static void test_sanitize_bidi_override_is_made_visible(void **state)
{
    (void)state;
    /* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE */
    CHECK("a\xe2\x80\xae" "b", 0, "a<U+202E>b");
    CHECK("\xe2\x81\xa6", 0, "<U+2066>");
    CHECK("\xe2\x80\xaa", 0, "<U+202A>");
}

static void test_sanitize_unprintable_code_point_is_named(void **state)
{
    (void)state;
    /* U+2028 LINE SEPARATOR: wcwidth says it cannot be shown */
    CHECK("a\xe2\x80\xa8" "b", 0, "a<U+2028>b");
    /* U+0378, unassigned */
    CHECK("\xcd\xb8", 0, "<U+0378>");
}

/* Every character of Unicode's category Cf (format) draws nothing on a
 * terminal: "or<ZWSP>ders" would read as "orders" in a DROP preview. */
static void test_sanitize_format_characters_are_made_visible(void **state)
{
    (void)state;
    CHECK("or\xe2\x80\x8b" "ders", 0, "or<U+200B>ders");        /* ZERO WIDTH SPACE */
    CHECK("a\xe2\x80\x8f" "b", 0, "a<U+200F>b");                /* RIGHT-TO-LEFT MARK */
    CHECK("a\xe2\x81\xa0" "b", 0, "a<U+2060>b");                /* WORD JOINER */
    CHECK("\xef\xbb\xbf" "x", 0, "<U+FEFF>x");                  /* BOM / ZWNBSP */
    CHECK("soft\xc2\xad" "hyphen", 0, "soft<U+00AD>hyphen");    /* SOFT HYPHEN */
    CHECK("\xd8\x80", 0, "<U+0600>");                           /* ARABIC NUMBER SIGN */
    CHECK("\xd8\x9c", 0, "<U+061C>");                           /* ARABIC LETTER MARK */
    CHECK("\xdb\x9d", 0, "<U+06DD>");
    CHECK("\xdc\x8f", 0, "<U+070F>");
    CHECK("\xe0\xa2\x90", 0, "<U+0890>");
    CHECK("\xe0\xa3\xa2", 0, "<U+08E2>");
    CHECK("\xe1\xa0\x8e", 0, "<U+180E>");                       /* MONGOLIAN VOWEL SEPARATOR */
    CHECK("\xe2\x80\x8c\xe2\x80\x8d", 0, "<U+200C><U+200D>");   /* ZWNJ, ZWJ */
    CHECK("\xe2\x81\xa4", 0, "<U+2064>");                       /* INVISIBLE PLUS */
    CHECK("\xe2\x81\xaf", 0, "<U+206F>");                       /* NOMINAL DIGIT SHAPES */
    CHECK("\xef\xbf\xb9\xef\xbf\xbb", 0, "<U+FFF9><U+FFFB>");   /* interlinear annotation */
    CHECK("\xf0\x91\x82\xbd", 0, "<U+110BD>");                  /* KAITHI NUMBER SIGN */
    CHECK("\xf0\x91\x83\x8d", 0, "<U+110CD>");
    CHECK("\xf0\x93\x90\xb0", 0, "<U+13430>");                  /* Egyptian format controls */
    CHECK("\xf0\x93\x90\xbf", 0, "<U+1343F>");
    CHECK("\xf0\x9b\xb2\xa0", 0, "<U+1BCA0>");                  /* shorthand format controls */
    CHECK("\xf0\x9d\x85\xb3", 0, "<U+1D173>");                  /* musical symbol begin beam */
    CHECK("\xf0\x9d\x85\xba", 0, "<U+1D17A>");
    CHECK("\xf3\xa0\x80\x81", 0, "<U+E0001>");                  /* LANGUAGE TAG */
    CHECK("\xf3\xa0\x80\xa0\xf3\xa0\x81\xbf", 0, "<U+E0020><U+E007F>");   /* tag characters */
    /* their neighbours are ordinary characters */
    CHECK("\xc2\xac\xc2\xae", 0, "\xc2\xac\xc2\xae");           /* U+00AC, U+00AE */
    CHECK("\xe2\x80\x8a", 0, "\xe2\x80\x8a");                   /* U+200A HAIR SPACE */
    /* one '?' each in ASCII mode, as any other non-ASCII character */
    CHECK("or\xe2\x80\x8b" "ders", SANITIZE_ASCII, "or?ders");
}

static void test_sanitize_format_characters_have_a_width(void **state)
{
    (void)state;
    char *out = sanitize("or\xe2\x80\x8b" "ders", 0);
    assert_int_equal(sanitize_width(out), 14);
    free(out);
}

static void test_sanitize_keep_newlines_keeps_only_newlines(void **state)
{
    (void)state;
    CHECK("a\nb\n", SANITIZE_KEEP_NEWLINES, "a\nb\n");
    /* everything else as usual: tab and CR fold, escapes show */
    CHECK("a\tb\rc\x1b]0;t\x07\n", SANITIZE_KEEP_NEWLINES, "a b c^[]0;t^G\n");
    /* FOLD collapses blanks but a newline still ends the line */
    CHECK("a  \n  b", SANITIZE_KEEP_NEWLINES | SANITIZE_FOLD, "a \n b");
}

static void test_sanitize_ascii_mode_gives_one_question_mark_per_character(void **state)
{
    (void)state;
    CHECK("caf\xc3\xa9 \xf0\x9f\x98\x80!", SANITIZE_ASCII, "caf? ?!");
    /* invalid bytes: one each */
    CHECK("\xff\xfe", SANITIZE_ASCII, "??");
    /* controls still in caret notation */
    CHECK("\x1b[2J\xc2\x9b", SANITIZE_ASCII, "^[[2J?");
    /* pgdeck's estimated age "≈ 12 min" stays readable */
    CHECK("\xe2\x89\x88 12 min", SANITIZE_ASCII, "~ 12 min");
}

static void test_sanitize_null_gives_empty_string(void **state)
{
    (void)state;
    char *out = sanitize(NULL, 0);
    assert_string_equal(out, "");
    free(out);
}

static void test_sanitize_worst_case_output_is_inert(void **state)
{
    (void)state;
    /* every byte value, twice, in every mode */
    unsigned char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (unsigned char)(i & 0xff);
    for (int flags = 0; flags < 4; flags++) {
        char *out = sanitize_text((const char *)all, sizeof all, flags);
        assert_inert(out);
        assert_true(strlen(out) <= 4 * sizeof all);
        free(out);
    }
}

static void test_sanitize_width_counts_emoji_as_two(void **state)
{
    (void)state;
    assert_int_equal(sanitize_width("\xf0\x9f\x98\x80"), 2);
    assert_int_equal(sanitize_width("ab\xe4\xb8\xad"), 4);
}

static void test_sanitize_width_counts_combining_mark_as_zero(void **state)
{
    (void)state;
    /* e + U+0301 COMBINING ACUTE ACCENT */
    assert_int_equal(sanitize_width("e\xcc\x81"), 1);
    assert_int_equal(sanitize_width(""), 0);
    assert_int_equal(sanitize_width("<U+202E>"), 8);
}

static void test_sanitize_fit_truncates_ascii_to_columns(void **state)
{
    (void)state;
    assert_int_equal(sanitize_fit("abcdef", 4), 4);
    assert_int_equal(sanitize_fit("abc", 10), 3);
    assert_int_equal(sanitize_fit("abc", 0), 0);
    assert_int_equal(sanitize_fit("abc", -1), 0);
}

static void test_sanitize_fit_never_splits_a_wide_character(void **state)
{
    (void)state;
    /* "a" + two CJK characters (2 columns, 3 bytes each) */
    const char *s = "a\xe4\xb8\xad\xe6\x96\x87";
    assert_int_equal(sanitize_fit(s, 1), 1);
    assert_int_equal(sanitize_fit(s, 2), 1);    /* the CJK one would need 3 */
    assert_int_equal(sanitize_fit(s, 3), 4);
    assert_int_equal(sanitize_fit(s, 4), 4);
    assert_int_equal(sanitize_fit(s, 5), 7);
}

static void test_sanitize_fit_keeps_combining_marks_with_their_base(void **state)
{
    (void)state;
    /* "e" + U+0301 + "x": 2 columns, the accent must not be cut off */
    const char *s = "e\xcc\x81x";
    assert_int_equal(sanitize_fit(s, 1), 3);
    assert_int_equal(sanitize_fit(s, 2), 4);
}

static void test_sanitize_fit_on_made_visible_text(void **state)
{
    (void)state;
    char *out = sanitize("\x1b[2J", 0);     /* "^[[2J" */
    assert_int_equal(sanitize_fit(out, 3), 3);
    assert_int_equal(sanitize_width(out), 5);
    free(out);
}

static void test_sanitize_does_not_depend_on_the_callers_locale(void **state)
{
    (void)state;
    /* Widths are the same in the "C" locale: sanitize asks a UTF-8 one. */
    setlocale(LC_ALL, "C");
    CHECK("caf\xc3\xa9", 0, "caf\xc3\xa9");
    assert_int_equal(sanitize_width("\xf0\x9f\x98\x80"), 2);
    setlocale(LC_ALL, "C.UTF-8");
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize_plain_ascii_is_unchanged),
        cmocka_unit_test(test_sanitize_osc_title_sequence_is_made_visible),
        cmocka_unit_test(test_sanitize_csi_clear_screen_is_made_visible),
        cmocka_unit_test(test_sanitize_colour_sequence_is_made_visible),
        cmocka_unit_test(test_sanitize_dcs_sequence_is_made_visible),
        cmocka_unit_test(test_sanitize_8bit_c1_csi_byte_is_made_visible),
        cmocka_unit_test(test_sanitize_other_c0_controls_use_caret_notation),
        cmocka_unit_test(test_sanitize_delete_is_caret_question_mark),
        cmocka_unit_test(test_sanitize_tab_newline_cr_become_spaces),
        cmocka_unit_test(test_sanitize_fold_collapses_whitespace_runs),
        cmocka_unit_test(test_sanitize_invalid_utf8_bytes_each_become_hex),
        cmocka_unit_test(test_sanitize_overlong_encodings_are_rejected),
        cmocka_unit_test(test_sanitize_surrogates_and_beyond_unicode_are_rejected),
        cmocka_unit_test(test_sanitize_valid_utf8_is_kept),
        cmocka_unit_test(test_sanitize_bidi_override_is_made_visible),
        cmocka_unit_test(test_sanitize_unprintable_code_point_is_named),
        cmocka_unit_test(test_sanitize_format_characters_are_made_visible),
        cmocka_unit_test(test_sanitize_format_characters_have_a_width),
        cmocka_unit_test(test_sanitize_keep_newlines_keeps_only_newlines),
        cmocka_unit_test(test_sanitize_ascii_mode_gives_one_question_mark_per_character),
        cmocka_unit_test(test_sanitize_null_gives_empty_string),
        cmocka_unit_test(test_sanitize_worst_case_output_is_inert),
        cmocka_unit_test(test_sanitize_width_counts_emoji_as_two),
        cmocka_unit_test(test_sanitize_width_counts_combining_mark_as_zero),
        cmocka_unit_test(test_sanitize_fit_truncates_ascii_to_columns),
        cmocka_unit_test(test_sanitize_fit_never_splits_a_wide_character),
        cmocka_unit_test(test_sanitize_fit_keeps_combining_marks_with_their_base),
        cmocka_unit_test(test_sanitize_fit_on_made_visible_text),
        cmocka_unit_test(test_sanitize_does_not_depend_on_the_callers_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
