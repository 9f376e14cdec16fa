#ifndef PGDECK_INI_H
#define PGDECK_INI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The one INI reader, on inih, for the configuration file and theme files.
 *
 * What a file may hold is inih's syntax (the rules below are inih's, with
 * the options ini.c sets):
 *   - "[section]" headers; "key = value" (or "key: value") lines, white
 *     space around keys and values dropped;
 *   - comments: a line whose first non-blank character is ';' or '#', and
 *     after a key or value a ';' that follows white space, to the end of
 *     the line ("interval = 2   ; seconds");
 *   - a UTF-8 byte order mark before the first line; CR LF line ends;
 *   - no continuation lines: an indented line is a line of its own.
 * What ini.c adds to inih: the number of the line in every callback,
 * lines up to INI_LINE_MAX bytes (inih's default is 200), each section
 * header reported where it stands, and a clear refusal of what inih would
 * drop or misread silently: a line too long, a NUL byte, a header without
 * its ']' or with text after it. */

/* The longest line read, in bytes without its line end. */
#define INI_LINE_MAX 65536

/* Called for each line that holds something, in file order, with the
 * number of the line (from 1):
 *   key, value        "key = value" in `section` ("" before any header);
 *                     key may be "" ("= value"), value may be ""
 *   key, value NULL   a line with neither '=' nor ':' (key is the line)
 *   key NULL          a "[section]" header: `section` is its name
 * The strings live until the callback returns.  Return 0 to go on, or -1
 * to stop reading. */
typedef int (*ini_entry_fn)(void *user, const char *section, const char *key,
                            const char *value, int line);

/* Called for a line that cannot be read as INI, with a message
 * "SOURCE:LINE: what" ("mine.theme:7: the line holds a NUL byte (is this a
 * text file?)").  The line is skipped.  Return 0 to go on, or -1 to stop
 * reading. */
typedef int (*ini_error_fn)(void *user, const char *message, int line);

struct ini_callbacks {
    const char   *source;       /* the file as messages name it */
    ini_entry_fn  entry;
    ini_error_fn  error;
    void         *user;         /* handed to both */
};

/* Read `len` bytes of text (it need not be NUL-terminated).  Returns 0
 * when every line was read, -1 when a callback stopped the reading. */
int ini_read_text(const struct ini_callbacks *cb, const char *text, size_t len);

/* Read fp to its end, or until a callback stops the reading (-1).  A read
 * error ends the reading too: ferror(fp) tells.  Lines are read one at a
 * time, so a callback that stops at the first error makes a file of any
 * size (even /dev/zero) cost at most one line of memory. */
int ini_read_file(const struct ini_callbacks *cb, FILE *fp);

/* "SOURCE:LINE: what": the form of every message about a line of a file,
 * the configuration's and the themes' alike.  Caller frees. */
char *ini_message(const char *source, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same from a va_list (which it leaves used). */
char *ini_vmessage(const char *source, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
