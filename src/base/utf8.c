/* The one UTF-8 decoder (see utf8.h). */
#include <langinfo.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"

int utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char lo = 0x80, hi = 0xbf;    /* allowed range of the second byte */
    int len;
    uint32_t c;

    if (n == 0)
        return -1;
    if (p[0] < 0x80) {
        len = 1;
        c = p[0];
    } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        c = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        c = p[0] & 0x0f;
        if (p[0] == 0xe0)
            lo = 0xa0;                  /* below U+0800: overlong */
        else if (p[0] == 0xed)
            hi = 0x9f;                  /* U+D800..U+DFFF: surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        c = p[0] & 0x07;
        if (p[0] == 0xf0)
            lo = 0x90;                  /* below U+10000: overlong */
        else if (p[0] == 0xf4)
            hi = 0x8f;                  /* above U+10FFFF */
    } else {
        return -1;      /* a continuation byte, C0/C1 (overlong), F5..FF */
    }
    if (len > 1) {
        if (n < (size_t)len || p[1] < lo || p[1] > hi)
            return -1;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
            c = (c << 6) | (p[i] & 0x3f);
        }
    }
    if (cp)
        *cp = c;
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int len = utf8_decode(s + i, n - i, NULL);
        if (len < 0)
            return false;
        i += (size_t)len;
    }
    return true;
}

static const char *env_value(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return (*e)[n + 1] ? *e + n + 1 : NULL;
    return NULL;
}

bool utf8_locale_wanted(char *const *envp)
{
    const char *v = env_value(envp, "LC_ALL");
    if (!v)
        v = env_value(envp, "LC_CTYPE");
    if (!v)
        v = env_value(envp, "LANG");
    if (!v)
        return false;
    /* language_TERRITORY.CHARSET@modifier: only the charset matters */
    const char *dot = strchr(v, '.');
    if (!dot)
        return false;
    size_t n = strcspn(dot + 1, "@");
    return (n == 5 && strncasecmp(dot + 1, "utf-8", 5) == 0) ||
           (n == 4 && strncasecmp(dot + 1, "utf8", 4) == 0);
}

bool utf8_locale_active(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}
