#ifndef PGDECK_SANITIZE_H
#define PGDECK_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* Every string that came from a server (query text, application names,
 * identifiers, Redis output) passes through here before it reaches the
 * terminal or a text report.  The result can never move the cursor, set the
 * title or change colours:
 *   - C0 controls and DEL become visible: ESC as "^[", other controls as
 *     "^X" (caret notation); tab, newline and carriage return fold to one
 *     space (runs of whitespace collapse when SANITIZE_FOLD is set), except
 *     that newlines stay with SANITIZE_KEEP_NEWLINES;
 *   - C1 controls (U+0080..U+009F, including the 8-bit CSI 0x9b) become
 *     "<9b>";
 *   - format characters (Unicode category Cf: U+200B ZERO WIDTH SPACE,
 *     U+202E RIGHT-TO-LEFT OVERRIDE, U+FEFF, ...), which a terminal draws
 *     as nothing, and code points it cannot show become "<U+200B>";
 *   - invalid UTF-8 bytes become "<ff>" (one per byte) in UTF-8 mode;
 *   - in ASCII mode every byte above 127 becomes "?" for each character
 *     (a valid UTF-8 sequence gives one "?").
 * The result is NUL-terminated and owned by the caller. */
enum {
    SANITIZE_ASCII = 1 << 0,    /* terminal cannot show UTF-8 */
    SANITIZE_FOLD  = 1 << 1,    /* collapse whitespace runs to one space */
    SANITIZE_KEEP_NEWLINES = 1 << 2,    /* '\n' stays a newline (multi-line output) */
};

char  *sanitize_text(const char *text, size_t len, int flags);
/* sanitize_text(text, strlen(text), flags), NULL in gives "" out. */
char  *sanitize(const char *text, int flags);
/* Display width in terminal columns of a sanitized string (wide CJK and
 * emoji count two, combining marks zero). */
int    sanitize_width(const char *s);
/* The byte length of the longest prefix of sanitized `s` that fits in
 * `cols` columns, never splitting a character. */
size_t sanitize_fit(const char *s, int cols);

#endif
