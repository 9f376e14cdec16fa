/* Numbers a person typed (see numparse.h).
 *
 * strtod alone takes "inf", "nan", hex floats and stops quietly at the
 * first character it does not like, so ":interval nan" set a NaN refresh
 * interval and ":interval 5abc" five seconds.  These wrappers accept
 * decimal numbers and nothing after them. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
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
