/* Untrusted text as JSON strings (see jsontext.h). */
#include <stdlib.h>
#include <string.h>

#include "base/jsontext.h"
#include "base/xalloc.h"

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0.
 * Strict as jansson is: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;     /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

char *jsontext_repair(const char *text)
{
    size_t n = strlen(text);
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence(s + i, n - i);
        if (len) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

json_t *jsontext_new(const char *text)
{
    if (!text)
        return json_null();
    char *clean = jsontext_repair(text);
    json_t *j = json_string(clean);
    free(clean);
    return j ? j : json_string("\xEF\xBF\xBD");
}

char *jsontext_dump(const json_t *doc, size_t flags)
{
    /* 15 significant digits unless told otherwise: 2152.6, not jansson's
     * 17-digit 2152.5999999999999. */
    if (!(flags & JSON_REAL_PRECISION(31)))
        flags |= JSON_REAL_PRECISION(15);
    char *raw = json_dumps(doc, flags);
    if (!raw || !strchr(raw, 0x7f))
        return raw;
    size_t n = strlen(raw), dels = 0;
    for (size_t i = 0; i < n; i++)
        dels += raw[i] == 0x7f;
    char *out = xmalloc(n + dels * 5 + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == 0x7f) {
            memcpy(o, "\\u007f", 6);
            o += 6;
        } else {
            *o++ = raw[i];
        }
    }
    *o = '\0';
    free(raw);
    return out;
}
