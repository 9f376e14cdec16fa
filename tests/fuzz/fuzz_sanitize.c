/* libFuzzer target for src/base/sanitize.c.
 *
 * The first byte picks the flags, the rest is the text.  Besides "no
 * crash", it checks what the module promises: no control character of any
 * kind survives, the result is valid UTF-8 (ASCII in ASCII mode) without C1
 * controls or format characters (bidi controls, zero-width spaces), sanitizing twice changes nothing, and sanitize_fit
 * never splits a character nor exceeds the columns it was given. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"

/* Decode one UTF-8 character strictly; 0 when invalid. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (!len || len > n)
        return 0;
    uint32_t c = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static void check_output(const char *out, int flags)
{
    const unsigned char *s = (const unsigned char *)out;
    size_t n = strlen(out);

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = decode(s + i, n - i, &cp);
        if (!len)
            abort();                            /* invalid UTF-8 */
        if ((cp < 0x20 && !(cp == '\n' && (flags & SANITIZE_KEEP_NEWLINES))) || cp == 0x7f ||
            (cp >= 0x80 && cp < 0xa0))
            abort();                            /* a control got through */
        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            abort();                            /* a bidi control got through */
        if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
            cp == 0x00ad || (cp >= 0xe0000 && cp <= 0xe007f))
            abort();                            /* an invisible format character got through */
        if ((flags & SANITIZE_ASCII) && cp >= 0x80)
            abort();
        if ((flags & SANITIZE_FOLD) && cp == ' ' && i > 0 && s[i - 1] == ' ')
            abort();                            /* FOLD left a run of spaces */
        i += len;
    }

    char *again = sanitize(out, flags);
    if (strcmp(again, out) != 0)
        abort();                                /* not stable */
    free(again);

    int width = sanitize_width(out);
    if (width < 0)
        abort();
    if (sanitize_fit(out, width) != n)
        abort();
    for (int cols = 0; cols <= width && cols < 64; cols++) {
        size_t fit = sanitize_fit(out, cols);
        if (fit > n || (fit < n && (s[fit] & 0xc0) == 0x80))
            abort();                            /* split a character */
        char *prefix = strndup(out, fit);
        if (sanitize_width(prefix) > cols)
            abort();
        free(prefix);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int flags = data[0] & (SANITIZE_ASCII | SANITIZE_FOLD | SANITIZE_KEEP_NEWLINES);
    char *out = sanitize_text((const char *)data + 1, size - 1, flags);
    if (strlen(out) > 4 * (size - 1))
        abort();
    check_output(out, flags);
    free(out);
    return 0;
}
