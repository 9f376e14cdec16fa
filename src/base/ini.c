/* The one INI reader, on inih (see ini.h).
 *
 * inih parses: it splits keys from values, trims, drops comments and keeps
 * the section.  This file feeds it one line at a time through
 * ini_parse_stream, so that it knows the number of the line inih is
 * working on, can refuse what inih would take badly, and can tell the
 * caller where each section begins (inih calls its handler for keys only).
 *
 * What Debian's libinih 55 (the one pkg-config finds) was built with,
 * checked here by calling it and by reading its machine code:
 *   - INI_HANDLER_LINENO 1: the handler gets the line number as a fifth
 *     argument, although ini.h says 0 unless told otherwise.  It is defined
 *     below so that the handler's type matches the library; the number it
 *     passes is not used, the reader counts lines itself;
 *   - its compile-time options are also variables (ini_allow_multiline,
 *     ini_max_line, ...), read at each parse: the line buffer is a
 *     variable-length array of ini_max_line bytes (200 by default: a
 *     connection string is longer), multi-line entries are on (an indented
 *     line would continue the previous key), inline ';' comments are on,
 *     a line without '=' is an error reported only as "the first error was
 *     on line N" at the end, and the handler is not called for headers.
 * ini_read sets the options it relies on for the time of a parse and puts
 * the old values back. */

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "base/ini.h"
#include "base/xalloc.h"

/* inih's options while ini.c reads, and the ones it found. */
struct options {
    bool  multiline, no_value, inline_comments, stop_on_first_error, use_stack, bom;
    int   max_line;
    char *inline_prefixes, *start_prefixes;
};

static char inline_prefixes[] = ";";
static char start_prefixes[] = ";#";

static void options_set(struct options *saved)
{
    *saved = (struct options){
        ini_allow_multiline, ini_allow_no_value, ini_allow_inline_comments,
        ini_stop_on_first_error, ini_use_stack, ini_allow_bom, ini_max_line,
        ini_inline_comment_prefixes, ini_start_comment_prefixes,
    };
    ini_allow_multiline = false;        /* indented lines are lines */
    ini_allow_no_value = true;          /* "key" alone reaches the handler */
    ini_allow_inline_comments = true;
    ini_inline_comment_prefixes = inline_prefixes;
    ini_start_comment_prefixes = start_prefixes;
    ini_stop_on_first_error = false;    /* the callbacks decide */
    ini_use_stack = true;               /* the heap buffer ignores ini_max_line */
    ini_max_line = INI_LINE_MAX + 3;    /* room for "\r\n" and the NUL */
    ini_allow_bom = false;              /* the reader drops it: one, not two */
}

static void options_restore(const struct options *saved)
{
    ini_allow_multiline = saved->multiline;
    ini_allow_no_value = saved->no_value;
    ini_allow_inline_comments = saved->inline_comments;
    ini_stop_on_first_error = saved->stop_on_first_error;
    ini_use_stack = saved->use_stack;
    ini_max_line = saved->max_line;
    ini_allow_bom = saved->bom;
    ini_inline_comment_prefixes = saved->inline_prefixes;
    ini_start_comment_prefixes = saved->start_prefixes;
}

/* One reading: where the lines come from and how far it got. */
struct reading {
    const struct ini_callbacks *cb;
    const char *text;           /* the text, or NULL for fp */
    size_t      len, pos;
    FILE       *fp;
    int         line;           /* the number of the line inih has */
    bool        stopped;        /* a callback said stop */
};

char *ini_vmessage(const char *source, int line, const char *fmt, va_list ap)
{
    char *what = xvasprintf(fmt, ap);
    char *message = xasprintf("%s:%d: %s", source, line, what);
    free(what);
    return message;
}

char *ini_message(const char *source, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = ini_vmessage(source, line, fmt, ap);
    va_end(ap);
    return message;
}

static void report(struct reading *r, const char *what)
{
    char *message = ini_message(r->cb->source, r->line, "%s", what);
    if (!r->cb->error || r->cb->error(r->cb->user, message, r->line) < 0)
        r->stopped = true;
    free(message);
}

/* The next line into buf (at most max bytes, without its '\n'): its
 * length, max + 1 when it is longer (the rest not read), or -1 at the end
 * of the input. */
static long raw_line(struct reading *r, char *buf, size_t max)
{
    size_t n = 0;
    if (r->text) {
        if (r->pos >= r->len)
            return -1;
        const char *s = r->text + r->pos, *nl = memchr(s, '\n', r->len - r->pos);
        size_t whole = nl ? (size_t)(nl - s) : r->len - r->pos;
        n = whole > max ? max + 1 : whole;
        memcpy(buf, s, n > max ? max : n);
        r->pos += whole > max ? max : whole + (nl != NULL);
        return (long)n;
    }
    int c = EOF;
    while (n <= max && (c = getc(r->fp)) != EOF && c != '\n')
        if (n++ < max)
            buf[n - 1] = (char)c;
    if (n == 0 && c == EOF)
        return -1;
    return (long)n;
}

/* Skip the rest of a line that was too long. */
static void skip_rest(struct reading *r)
{
    if (r->text) {
        const char *s = r->text + r->pos, *nl = memchr(s, '\n', r->len - r->pos);
        r->pos = nl ? (size_t)(nl - r->text) + 1 : r->len;
        return;
    }
    int c;
    while ((c = getc(r->fp)) != EOF && c != '\n')
        ;
}

/* Where inih ends a section name: the first ']', unless an inline comment
 * (a ';' after white space) comes first.  NULL when there is none. */
static const char *header_end(const char *s)
{
    bool was_space = false;
    for (; *s && *s != ']'; s++) {
        if (was_space && *s == ';')
            return NULL;
        was_space = isspace((unsigned char)*s);
    }
    return *s == ']' ? s : NULL;
}

/* A "[section]" line: tell the caller, or say what is wrong with it.
 * Returns false when inih must not see the line. */
static bool check_header(struct reading *r, char *start)
{
    const char *end = header_end(start + 1);
    if (!end) {
        report(r, "syntax error: section header without ']'");
        return false;
    }
    const char *rest = end + 1;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest && *rest != ';' && *rest != '#') {
        report(r, "syntax error: unexpected text after ']'");
        return false;
    }
    char *name = xstrndup(start + 1, (size_t)(end - start - 1));
    if (r->cb->entry(r->cb->user, name, NULL, NULL, r->line) < 0)
        r->stopped = true;
    free(name);
    return !r->stopped;
}

/* inih's reader: one line of the input, or NULL to end the parse. */
static char *next_line(char *str, int num, void *stream)
{
    struct reading *r = stream;
    if (r->stopped || num < 3)
        return NULL;
    /* inih wants room for the line end and the NUL; ini_max_line is set
     * for INI_LINE_MAX, but take what inih says it has. */
    size_t max = (size_t)num - 3 < INI_LINE_MAX ? (size_t)num - 3 : INI_LINE_MAX;
    long n = raw_line(r, str, max);
    if (n < 0)
        return NULL;
    r->line++;
    if ((size_t)n > max) {
        char what[64];
        snprintf(what, sizeof what, "the line is longer than %zu bytes", max);
        report(r, what);
        if (!r->stopped)
            skip_rest(r);
        strcpy(str, "\n");
        return r->stopped ? NULL : str;
    }
    if (memchr(str, '\0', (size_t)n)) {
        report(r, "the line holds a NUL byte (is this a text file?)");
        strcpy(str, "\n");
        return r->stopped ? NULL : str;
    }
    str[n] = '\0';
    /* The byte order mark inih would drop, dropped here, so that a header
     * on the first line is seen. */
    char *start = str;
    if (r->line == 1 && strncmp(start, "\xef\xbb\xbf", 3) == 0)
        memmove(start, start + 3, (size_t)n - 2);
    while (isspace((unsigned char)*start))
        start++;
    if (*start == '[' && !check_header(r, start)) {
        strcpy(str, "\n");
        return r->stopped ? NULL : str;
    }
    size_t len = strlen(str);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

/* inih's handler: a key line of the line the reader last gave. */
static int on_key(void *user, const char *section, const char *key, const char *value, int lineno)
{
    struct reading *r = user;
    (void)lineno;                       /* the reader's count is the one used */
    if (r->stopped)
        return 0;
    if (r->cb->entry(r->cb->user, section, key, value, r->line) < 0) {
        r->stopped = true;
        return 0;
    }
    return 1;
}

static int read_all(struct reading *r)
{
    struct options saved;
    options_set(&saved);
    int rc = ini_parse_stream(next_line, r, on_key, r);
    options_restore(&saved);
    if (r->stopped)
        return -1;
    if (rc != 0) {
        /* Something inih refused that the reader let through: say where. */
        r->line = rc > 0 ? rc : r->line;
        report(r, "syntax error");
        return -1;
    }
    return 0;
}

int ini_read_text(const struct ini_callbacks *cb, const char *text, size_t len)
{
    struct reading r = { .cb = cb, .text = text ? text : "", .len = text ? len : 0 };
    return read_all(&r);
}

int ini_read_file(const struct ini_callbacks *cb, FILE *fp)
{
    struct reading r = { .cb = cb, .fp = fp };
    return read_all(&r);
}
