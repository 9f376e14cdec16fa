#ifndef PGDECK_UTF8_H
#define PGDECK_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one UTF-8 decoder, and whether the terminal's locale is UTF-8.
 *
 * Strict as RFC 3629, jansson and PostgreSQL's pg_utf8_islegal are: only
 * the shortest form of a Unicode scalar value is a character.  Overlong
 * forms (C0 80 for NUL, E0 80 AF for '/'), UTF-16 surrogates (ED A0 80 ..
 * ED BF BF) and anything above U+10FFFF (F4 90 80 80, F5 ..) are errors, so
 * that a filter looking for one byte pattern cannot be bypassed with
 * another spelling of the same character. */

/* Decode the character at s, of which n bytes may be read.  Returns its
 * length (1 to 4) and stores its code point in *cp (when cp is not NULL),
 * or returns -1 when s does not start a valid character: an invalid byte,
 * a sequence cut short by n, an overlong form, a surrogate, a code point
 * above U+10FFFF, or n == 0.  NUL is a character (length 1, code point 0):
 * callers that refuse it say so. */
int  utf8_decode(const char *s, size_t n, uint32_t *cp);

/* True when the n bytes at s are all valid characters (NUL included). */
bool utf8_valid(const char *s, size_t n);

/* Whether the environment asks for a UTF-8 terminal, decided as
 * setlocale(LC_CTYPE, "") would read it: LC_ALL, then LC_CTYPE, then
 * LANG (the first that is set and not empty); C, POSIX, nothing set, or a
 * charset other than UTF-8 mean no.  `envp` is an environment such as
 * main's, so that a test can pass any. */
bool utf8_locale_wanted(char *const *envp);

/* Whether the locale this process runs with (after setlocale) has the
 * UTF-8 charset: what the terminal output may then use.  A locale named
 * in the environment but not installed leaves the process in "C". */
bool utf8_locale_active(void);

#endif
