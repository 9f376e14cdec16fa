#ifndef PGDECK_WRAP_H
#define PGDECK_WRAP_H

/* Lines of text wrapped to a width (wrap.c): pure text, no curses, so it
 * is tested on its own.  The overlays (help, details, confirmations, the
 * journal, EXPLAIN) keep their lines as written and wrap them to the
 * overlay's width whenever it is drawn at a new width, so nothing is cut
 * at the right edge and a resize rewraps.
 *
 * Each line is sanitized (nothing a terminal would obey; ASCII when
 * `ascii`), split at its own line breaks, then broken at the last blank
 * that leaves the last column free, or inside a word longer than that.
 * Only a word broken in two reaches the last column, and the next line
 * continues it, so a reader (and a test) tells it from a line cut at the
 * edge, which ends in the ellipsis.  A continuation is indented: under the
 * value of a "label   value" line (a label, two blanks or more, then the
 * value, within the first 30 columns), else two columns more than the
 * line's own indentation; never by more than half the width.  Returns
 * *n display lines, each and the array the caller's. */
char **wrap_lines(char *const *lines, int nlines, int width, int ascii, int *n);
void   wrap_free(char **lines, int n);

#endif
