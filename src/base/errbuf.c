/* The caller's error buffer (see errbuf.h). */
#include <stdarg.h>
#include <stdio.h>

#include "base/errbuf.h"

void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
