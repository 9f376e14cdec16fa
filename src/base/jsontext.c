/* Untrusted text as JSON strings (see jsontext.h). */
#include <stdlib.h>
#include <string.h>

#include "base/jsontext.h"
#include "base/utf8.h"
#include "base/xalloc.h"

char *jsontext_repair(const char *text)
{
    size_t n = strlen(text);
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int len = utf8_decode(text + i, n - i, NULL);
        if (len > 0) {
            memcpy(out + o, text + i, (size_t)len);
            o += (size_t)len;
            i += (size_t)len;
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
