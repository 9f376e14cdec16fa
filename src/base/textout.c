/* The sanitizing writer of the non-curses front ends (see textout.h).
 *
 * The front ends used to sanitize each piece of server text by hand before
 * printing it, and `run` forgot: a dry run printed a partition's name, OSC
 * and CSI sequences included, straight to the operator's terminal.  Here
 * the whole formatted text is sanitized, format string and arguments
 * alike, so no caller can forget an argument.  pgdeck's own messages hold
 * no control character but the newline, so they come out unchanged. */
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/textout.h"
#include "base/xalloc.h"

static int ascii_flag;

void textout_set_ascii(bool ascii)
{
    ascii_flag = ascii ? SANITIZE_ASCII : 0;
}

/* Format, sanitize with `flags`, write, and add `suffix`. */
static int write_sanitized(FILE *f, int flags, const char *suffix, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return -1;
    char *raw = xmalloc((size_t)n + 1);
    vsnprintf(raw, (size_t)n + 1, fmt, ap);
    char *safe = sanitize_text(raw, (size_t)n, flags | ascii_flag);
    free(raw);
    size_t len = strlen(safe);
    int rc = fwrite(safe, 1, len, f) == len ? 0 : -1;
    free(safe);
    if (suffix && fputs(suffix, f) < 0)
        rc = -1;
    return rc;
}

int textout_vprintf(FILE *f, const char *fmt, va_list ap)
{
    return write_sanitized(f, SANITIZE_KEEP_NEWLINES, NULL, fmt, ap);
}

int textout_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = textout_vprintf(f, fmt, ap);
    va_end(ap);
    return rc;
}

int textout_line(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = write_sanitized(f, 0, "\n", fmt, ap);
    va_end(ap);
    return rc;
}

int textout_fold(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = write_sanitized(f, 0, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int textout_control(FILE *f, const char *sequence)
{
    return fputs(sequence, f) < 0 ? -1 : 0;
}
