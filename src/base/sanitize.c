/* Make text from other people harmless for a terminal.
 *
 * Everything a server hands us (query text, application names, identifiers,
 * Redis output) is written by someone else, and a terminal obeys what it is
 * sent: ESC ] 0 ; ... BEL sets the window title, ESC [ 2 J clears the screen,
 * an 8-bit CSI (0x9b) does the same on terminals that honour C1 controls, and
 * a right-to-left override (U+202E) reorders the rest of the line.  This
 * module turns all of these into visible, inert ASCII, and measures the
 * result in columns so that the panes can cut it without splitting a
 * character. */

/* wcwidth() is X/Open */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "base/sanitize.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* ---- character widths ------------------------------------------------- */

/* wcwidth() answers for the calling thread's locale, and a program that
 * never called setlocale() (a test, a batch front end) is in the "C" locale
 * where every non-ASCII character is unprintable.  Widths are a property of
 * Unicode, not of the user's language, so we always ask a UTF-8 locale. */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_open(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8_locale)
        utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

struct width_scope {
    locale_t previous;
    int      switched;
};

static void width_scope_enter(struct width_scope *scope)
{
    pthread_once(&utf8_locale_once, utf8_locale_open);
    scope->switched = utf8_locale != (locale_t)0;
    if (scope->switched)
        scope->previous = uselocale(utf8_locale);
}

static void width_scope_leave(struct width_scope *scope)
{
    if (scope->switched)
        uselocale(scope->previous);
}

/* Columns taken by a code point, -1 when the terminal cannot show it.  Call
 * inside a width scope. */
static int codepoint_width(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x20 && cp < 0x7f) ? 1 : -1;
    if (cp < 0xa0)
        return -1;
    int w = wcwidth((wchar_t)cp);
    if (w < 0 && utf8_locale == (locale_t)0)
        return 1;       /* no UTF-8 locale installed: assume one column */
    return w;
}

/* Unicode's format characters (general category Cf, as of Unicode 15): a
 * terminal draws nothing for them, yet they are part of the text.  Some
 * reorder the rest of the line (the bidirectional embeddings, overrides and
 * isolates U+202A..U+202E, U+2066..U+2069: a query could make "DROP" look
 * like something else); the others hide inside a name (U+200B makes
 * "or<ZWSP>ders" look like "orders", a different table).  All of them are
 * shown by name.  Sorted, for a binary search. */
static const struct { uint32_t first, last; } format_ranges[] = {
    { 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },   { 0x06dd, 0x06dd },
    { 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
    { 0x200b, 0x200f },   { 0x202a, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
    { 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
    { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
    { 0xe0020, 0xe007f },
};

static int is_format_character(uint32_t cp)
{
    size_t lo = 0, hi = sizeof format_ranges / sizeof format_ranges[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < format_ranges[mid].first)
            hi = mid;
        else if (cp > format_ranges[mid].last)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* ---- sanitizing --------------------------------------------------------- */

/* The output buffer.  The worst expansion is 4x: one byte becomes at most
 * "<ff>", a 2-byte unprintable becomes "<U+0378>", a 3-byte one "<U+202E>"
 * and a 4-byte one "<U+10FFFF>".  So 4 bytes per input byte, plus the NUL,
 * always suffice. */
struct out {
    char  *buf;
    size_t len;
};

static void out_byte(struct out *o, char c)
{
    o->buf[o->len++] = c;
}

static void out_str(struct out *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_hex_byte(struct out *o, unsigned b)
{
    char tmp[8];
    snprintf(tmp, sizeof tmp, "<%02x>", b & 0xffu);
    out_str(o, tmp);
}

static void out_codepoint_name(struct out *o, uint32_t cp)
{
    char tmp[16];
    snprintf(tmp, sizeof tmp, "<U+%04X>", (unsigned)cp);
    out_str(o, tmp);
}

static int is_fold_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *sanitize_text(const char *text, size_t len, int flags)
{
    const unsigned char *s = (const unsigned char *)text;
    struct out o;
    struct width_scope scope;
    int last_was_space = 0;

    if (!text)
        len = 0;
    if (len > (SIZE_MAX - 1) / 4)
        len = (SIZE_MAX - 1) / 4;       /* cannot happen with real memory */
    o.buf = xmalloc(len * 4 + 1);
    o.len = 0;
    width_scope_enter(&scope);

    for (size_t i = 0; i < len;) {
        unsigned char b = s[i];

        if (b == '\n' && (flags & SANITIZE_KEEP_NEWLINES)) {
            out_byte(&o, '\n');
            last_was_space = 0;
            i++;
            continue;
        }
        if (is_fold_space(b)) {
            if (!((flags & SANITIZE_FOLD) && last_was_space))
                out_byte(&o, ' ');
            last_was_space = 1;
            i++;
            continue;
        }
        last_was_space = 0;

        if (b < 0x20) {
            /* caret notation: ESC is ^[, NUL ^@, 0x1f ^_ */
            out_byte(&o, '^');
            out_byte(&o, (char)(b + 0x40));
            i++;
            continue;
        }
        if (b == 0x7f) {
            out_str(&o, "^?");
            i++;
            continue;
        }
        if (b < 0x80) {
            out_byte(&o, (char)b);
            i++;
            continue;
        }

        uint32_t cp;
        int n = utf8_decode((const char *)s + i, len - i, &cp);
        if (flags & SANITIZE_ASCII) {
            /* one '?' per character, or per byte when it is not UTF-8;
             * pgdeck's own "≈" (an estimated age) reads "~" */
            out_byte(&o, n > 0 && cp == 0x2248 ? '~' : '?');
            i += n > 0 ? (size_t)n : 1;
            continue;
        }
        if (n < 0) {
            out_hex_byte(&o, b);        /* raw 0x9b (8-bit CSI) lands here */
            i++;
            continue;
        }
        if (cp < 0xa0)
            out_hex_byte(&o, cp);       /* C1 control, e.g. U+009B */
        else if (is_format_character(cp) || codepoint_width(cp) < 0)
            out_codepoint_name(&o, cp);
        else {
            memcpy(o.buf + o.len, s + i, (size_t)n);
            o.len += (size_t)n;
        }
        i += (size_t)n;
    }

    width_scope_leave(&scope);
    o.buf[o.len] = '\0';
    return xrealloc(o.buf, o.len + 1);
}

char *sanitize(const char *text, int flags)
{
    return sanitize_text(text, text ? strlen(text) : 0, flags);
}

/* ---- measuring ---------------------------------------------------------- */

/* Width of the character at s and its byte length.  Sanitized text only
 * holds printable ASCII and printable UTF-8; anything else (a caller that
 * skipped sanitizing) counts as one column per byte so that the arithmetic
 * stays safe. */
static size_t char_at(const char *s, size_t n, int *width)
{
    uint32_t cp;
    int len = utf8_decode(s, n, &cp);

    if (len < 0) {
        *width = 1;
        return 1;
    }
    if (cp < 0x80) {
        *width = (cp >= 0x20 && cp < 0x7f) ? 1 : 0;
        return 1;
    }
    int w = codepoint_width(cp);
    *width = w < 0 ? 1 : w;
    return (size_t)len;
}

int sanitize_width(const char *s)
{
    struct width_scope scope;
    size_t n = s ? strlen(s) : 0;
    long total = 0;

    width_scope_enter(&scope);
    for (size_t i = 0; i < n;) {
        int w;
        i += char_at(s + i, n - i, &w);
        total += w;
    }
    width_scope_leave(&scope);
    return total > 0x7fffffffL ? 0x7fffffff : (int)total;
}

size_t sanitize_fit(const char *s, int cols)
{
    struct width_scope scope;
    size_t n = s ? strlen(s) : 0;
    size_t i = 0;
    long used = 0;

    if (cols < 0)
        return 0;
    width_scope_enter(&scope);
    while (i < n) {
        int w;
        size_t len = char_at(s + i, n - i, &w);
        /* zero-width characters (combining marks) stay with their base */
        if (used + w > cols)
            break;
        used += w;
        i += len;
    }
    width_scope_leave(&scope);
    return i;
}
