/* Numbers a person typed (see numparse.h).
 *
 * strtod alone takes "inf", "nan", hex floats and stops quietly at the
 * first character it does not like, so ":interval nan" set a NaN refresh
 * interval and ":interval 5abc" five seconds.  These wrappers accept
 * decimal numbers and nothing after them. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

double numparse_prefix(const char *text, char **end)
{
    static const double tens[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    const char *p = text;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    unsigned long long m = 0;
    int digits = 0, after = 0;
    bool point = false, any = false;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            any = true;
            if (m || *p != '0')
                digits++;
            if (digits > 15)
                return strtod(text, end);
            m = m * 10 + (unsigned)(*p - '0');
            if (point && ++after > 22)
                return strtod(text, end);
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    /* No digit ("", "-", ".", "inf"), an exponent, or a hex float
     * ("0x1p3"): strtod's to read. */
    if (!any || *p == 'e' || *p == 'E' || *p == 'x' || *p == 'X')
        return strtod(text, end);
    if (end)
        *end = (char *)p;
    double v = after ? (double)m / tens[after] : (double)m;
    return negative ? -v : v;
}

int numparse_double(const char *text, double *out)
{
    char *end;

    if (!text)
        return -1;
    while (is_blank((unsigned char)*text))
        text++;
    /* decimal digits, one sign, a point, an exponent: no letters but e */
    if (!*text)
        return -1;
    for (const char *p = text; *p; p++)
        if (!strchr("0123456789.eE+- \t", *p))
            return -1;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE || !isfinite(v))
        return -1;
    while (is_blank((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int numparse_long(const char *text, long *out)
{
    char *end;

    if (!text)
        return -1;
    while (is_blank((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text) &&
        !((*text == '+' || *text == '-') && isdigit((unsigned char)text[1])))
        return -1;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno == ERANGE)
        return -1;
    while (is_blank((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}
