#ifndef PGDECK_TEXTOUT_H
#define PGDECK_TEXTOUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* The one way the non-curses front ends (--once text, check, run, and
 * every message main and the console print on stdout or stderr) write
 * text.  Whatever is formatted goes through sanitize() before it reaches
 * the stream, so a name, a query text or a server message that carries an
 * escape sequence (OSC title, CSI clear, an 8-bit CSI), DEL, invalid UTF-8
 * or an invisible format character is shown, never obeyed.  Sanitized
 * text comes out the same when sanitized again, so a caller that already
 * sanitized a cell loses nothing.
 *
 * Each call returns 0, or -1 when the stream reported an error. */

/* Non-ASCII characters become '?' (the terminal cannot show UTF-8).  main
 * sets it from the locale before the options are read, then from the
 * configuration (--ascii, a non-UTF-8 locale). */
void textout_set_ascii(bool ascii);

/* Text that may span lines: newlines are kept, every other control
 * character is made visible. */
int textout_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int textout_vprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* One line: a newline inside the formatted text (a server's multi-line
 * error, a name holding "\n") becomes a space, so that no one can forge a
 * line of the output; then one '\n' is written. */
int textout_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As textout_line without the final newline (a progress line that the
 * next one overwrites). */
int textout_fold(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* pgdeck's own terminal control sequence (the progress line's "\r\033[K"):
 * written as it is.  Never pass text that came from anywhere else. */
int textout_control(FILE *f, const char *sequence);

#endif
