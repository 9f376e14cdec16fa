/* The one UTF-8 decoder: every valid character, and each way bytes can
 * fail to be one (overlong, surrogate, above U+10FFFF, cut short, stray
 * continuation), plus the locale questions. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"

/* The bytes decode as one character of `len` bytes, code point `cp`. */
static void decodes(const char *bytes, size_t n, int len, uint32_t cp)
{
    uint32_t got = 0xdeadbeef;
    int rc = utf8_decode(bytes, n, &got);
    if (rc != len || got != cp)
        fail_msg("%zu bytes starting %02x: got length %d U+%04X, want %d U+%04X", n,
                 (unsigned char)bytes[0], rc, (unsigned)got, len, (unsigned)cp);
}

/* The bytes are refused, and *cp is left alone. */
static void refused(const char *bytes, size_t n)
{
    uint32_t got = 0xdeadbeef;
    int rc = utf8_decode(bytes, n, &got);
    if (rc != -1 || got != 0xdeadbeef)
        fail_msg("%zu bytes starting %02x: accepted as length %d U+%04X", n,
                 n ? (unsigned char)bytes[0] : 0, rc, (unsigned)got);
}

#define DECODES(lit, len, cp) decodes((lit), sizeof(lit) - 1, (len), (cp))
#define REFUSED(lit) refused((lit), sizeof(lit) - 1)

static void test_utf8_decodes_each_length_at_its_bounds(void **state)
{
    (void)state;
    DECODES("A", 1, 0x41);
    DECODES("\x7f", 1, 0x7f);
    DECODES("\xc2\x80", 2, 0x80);                   /* first 2-byte */
    DECODES("\xc3\xa9", 2, 0xe9);                   /* é */
    DECODES("\xdf\xbf", 2, 0x7ff);                  /* last 2-byte */
    DECODES("\xe0\xa0\x80", 3, 0x800);              /* first 3-byte */
    DECODES("\xe2\x82\xac", 3, 0x20ac);             /* € */
    DECODES("\xed\x9f\xbf", 3, 0xd7ff);             /* just below the surrogates */
    DECODES("\xee\x80\x80", 3, 0xe000);             /* just above them */
    DECODES("\xef\xbf\xbd", 3, 0xfffd);
    DECODES("\xef\xbf\xbf", 3, 0xffff);             /* last 3-byte */
    DECODES("\xf0\x90\x80\x80", 4, 0x10000);        /* first 4-byte */
    DECODES("\xf0\x9f\x98\x80", 4, 0x1f600);        /* an emoji */
    DECODES("\xf4\x8f\xbf\xbf", 4, 0x10ffff);       /* the last code point */
}

static void test_utf8_reads_one_character_of_a_longer_text(void **state)
{
    (void)state;
    DECODES("\xc3\xa9t\xc3\xa9", 2, 0xe9);
    DECODES("ab", 1, 'a');
    /* a NUL is a character like any other: the caller decides */
    decodes("\0x", 2, 1, 0);
}

static void test_utf8_refuses_overlong_forms(void **state)
{
    (void)state;
    REFUSED("\xc0\x80");            /* NUL in two bytes */
    REFUSED("\xc0\xaf");            /* '/' in two bytes */
    REFUSED("\xc1\xbf");            /* U+007F in two bytes */
    REFUSED("\xe0\x80\xaf");        /* '/' in three bytes */
    REFUSED("\xe0\x9f\xbf");        /* U+07FF in three bytes */
    REFUSED("\xf0\x80\x80\xaf");    /* '/' in four bytes */
    REFUSED("\xf0\x8f\xbf\xbf");    /* U+FFFF in four bytes */
}

static void test_utf8_refuses_surrogates(void **state)
{
    (void)state;
    REFUSED("\xed\xa0\x80");        /* U+D800 */
    REFUSED("\xed\xad\xbf");        /* U+DB7F */
    REFUSED("\xed\xb0\x80");        /* U+DC00 */
    REFUSED("\xed\xbf\xbf");        /* U+DFFF */
    REFUSED("\xed\xa0\xbd\xed\xb8\x80");   /* a CESU-8 pair for U+1F600 */
}

static void test_utf8_refuses_code_points_above_10ffff(void **state)
{
    (void)state;
    REFUSED("\xf4\x90\x80\x80");    /* U+110000 */
    REFUSED("\xf4\xbf\xbf\xbf");
    REFUSED("\xf5\x80\x80\x80");
    REFUSED("\xf7\xbf\xbf\xbf");    /* U+1FFFFF */
    REFUSED("\xf8\x88\x80\x80\x80");   /* the old 5-byte forms */
    REFUSED("\xfc\x84\x80\x80\x80\x80");
    REFUSED("\xfe");
    REFUSED("\xff");
}

static void test_utf8_refuses_stray_and_missing_continuation_bytes(void **state)
{
    (void)state;
    REFUSED("\x80");
    REFUSED("\xbf");
    REFUSED("\x9b[2J");             /* the 8-bit CSI is a continuation byte */
    REFUSED("\xc3(");
    REFUSED("\xe2(\xa1");
    REFUSED("\xe2\x82(");
    REFUSED("\xf0\x9f(\x98");
    REFUSED("\xf0\x9f\x98(");
    REFUSED("\xc3\xc3\xa9");
}

static void test_utf8_refuses_a_character_cut_short(void **state)
{
    (void)state;
    refused("\xc3\xa9", 1);
    refused("\xe2\x82\xac", 2);
    refused("\xe2\x82\xac", 1);
    refused("\xf0\x9f\x98\x80", 3);
    refused("A", 0);
    /* and the bytes after n are never read: a NUL there is no excuse */
    refused("\xe2\x82", 2);
}

static void test_utf8_decode_takes_no_code_point_pointer(void **state)
{
    (void)state;
    assert_int_equal(utf8_decode("\xe2\x82\xac", 3, NULL), 3);
    assert_int_equal(utf8_decode("\xed\xa0\x80", 3, NULL), -1);
}

static void test_utf8_valid_checks_every_character(void **state)
{
    (void)state;
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
    assert_true(utf8_valid("a\0b", 3));
    assert_false(utf8_valid("caf\xc3", 4));
    assert_false(utf8_valid("a\xed\xa0\x80z", 5));
    assert_false(utf8_valid("\xc0\x80", 2));
    assert_false(utf8_valid("ok\xff", 3));
}

/* Every 1- and 2-byte input, and every 3-byte one that starts E0..EF:
 * the decoder agrees with the definition (the shortest encoding of a
 * scalar value round-trips). */
static size_t encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_utf8_every_scalar_value_round_trips(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        unsigned char buf[4];
        size_t n = encode(cp, buf);
        uint32_t got;
        if (utf8_decode((const char *)buf, n, &got) != (int)n || got != cp)
            fail_msg("U+%04X does not round-trip", (unsigned)cp);
    }
    /* and no 3-byte sequence decodes to anything else */
    for (unsigned a = 0xe0; a <= 0xef; a++)
        for (unsigned b = 0; b < 256; b++)
            for (unsigned c = 0; c < 256; c++) {
                char s[3] = { (char)a, (char)b, (char)c };
                uint32_t got;
                int len = utf8_decode(s, 3, &got);
                bool valid = b >= 0x80 && b <= 0xbf && c >= 0x80 && c <= 0xbf
                             && (((a & 0x0f) << 12 | (b & 0x3f) << 6 | (c & 0x3f)) >= 0x800)
                             && !(a == 0xed && b >= 0xa0);
                if (valid != (len == 3))
                    fail_msg("%02x %02x %02x: length %d", a, b, c, len);
            }
}

/* test_config.c checks the common cases through --ascii's default; these
 * are the edges. */
static void test_utf8_locale_wanted_reads_lc_all_lc_ctype_lang(void **state)
{
    static const struct { const char *vars[3]; bool utf8; } cases[] = {
        { { "LC_ALL=", "LANG=C.UTF-8" }, true },             /* empty is unset */
        { { "LC_CTYPE=", "LANG=C.UTF-8" }, true },
        { { "LC_ALL=en_US.Utf8", "LC_CTYPE=C" }, true },     /* any case */
        { { "LANG=en_US.UTF-80", NULL }, false },
        { { "LANG=en_US.UTF-8x@euro", NULL }, false },
        { { "LANG=UTF-8", NULL }, false },                   /* no charset part */
        { { "LANGUAGE=en_US.UTF-8", NULL }, false },         /* not a locale variable */
        { { "XLANG=en_US.UTF-8", NULL }, false },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *envp[3] = { (char *)cases[i].vars[0], (char *)cases[i].vars[1], NULL };
        if (utf8_locale_wanted(envp) != cases[i].utf8)
            fail_msg("%s %s: not %d", cases[i].vars[0], cases[i].vars[1] ? cases[i].vars[1] : "",
                     cases[i].utf8);
    }
    assert_false(utf8_locale_wanted(NULL));
}

static void test_utf8_locale_active_follows_setlocale(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        skip();
    assert_true(utf8_locale_active());
    setlocale(LC_CTYPE, "C");
    assert_false(utf8_locale_active());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decodes_each_length_at_its_bounds),
        cmocka_unit_test(test_utf8_reads_one_character_of_a_longer_text),
        cmocka_unit_test(test_utf8_refuses_overlong_forms),
        cmocka_unit_test(test_utf8_refuses_surrogates),
        cmocka_unit_test(test_utf8_refuses_code_points_above_10ffff),
        cmocka_unit_test(test_utf8_refuses_stray_and_missing_continuation_bytes),
        cmocka_unit_test(test_utf8_refuses_a_character_cut_short),
        cmocka_unit_test(test_utf8_decode_takes_no_code_point_pointer),
        cmocka_unit_test(test_utf8_valid_checks_every_character),
        cmocka_unit_test(test_utf8_every_scalar_value_round_trips),
        cmocka_unit_test(test_utf8_locale_wanted_reads_lc_all_lc_ctype_lang),
        cmocka_unit_test(test_utf8_locale_active_follows_setlocale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
