#ifndef PGDECK_DRAW_H
#define PGDECK_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include "ui.h"

/* Drawing helpers shared by the screen and the panes (draw.c). */

/* Print sanitized text at (y, x) in at most `width` columns; returns the
 * columns used.  Never splits a character. */
int  draw_text(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text);
/* The same, but a text that does not fit ends in "…" ("~" in ASCII
 * mode), so the eye sees that something was cut. */
int  draw_text_marked(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text);
/* Print text padded to `width`, right-aligned if `right`; a text wider
 * than the cell ends in the mark. */
void draw_cell(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text, bool right);
/* Format a snapshot value for display into buf. */
void format_value(char *buf, size_t len, const char *value, enum cell_format fmt);
void format_bytes(char *buf, size_t len, double bytes);
void format_seconds(char *buf, size_t len, double seconds);
/* Append `text` to a growing array of lines (*lines, *n used of *cap; the
 * caller frees each line and the array), for an overlay: a line for each
 * of the text's own lines, sanitized (sanitize.h `flags`) and indented by
 * `indent` blanks.  The overlay wraps them at word boundaries to its own
 * width (wrap.h), again after a resize, continuations indented further.
 * A query text in the details. */
void draw_wrap_lines(char ***lines, int *n, int *cap, const char *text, int indent, int flags);
/* `text` sanitized and fitted to `width` columns for a column of an
 * overlay's table: cut with the mark (… or ~) when longer, padded with
 * blanks when shorter.  The caller frees it. */
char *draw_fit(const struct ui *ui, const char *text, int width);
/* A gauge: [||||||      ] 63%. */
void draw_gauge(struct ui *ui, WINDOW *w, int y, int x, int width, double fraction,
                double warn, double crit, const char *label);
/* A sparkline of the newest `width` values of a series, scaled to max. */
void draw_sparkline(struct ui *ui, WINDOW *w, int y, int x, int width,
                    const struct series *s, double max);
/* Give what is drawn from (y, x) on, `width` columns, the look of theme
 * element e, keeping the characters: a stale line greyed as a whole,
 * gauges and labels too. */
void draw_restyle(WINDOW *w, int y, int x, int width, enum theme_element e);
/* " as of 14:03:27" for stale data taken at wall-clock `as_of`, or "" when
 * as_of is 0 (fresh). */
const char *draw_as_of(char *buf, size_t len, double as_of);
/* Draw a box with a title; focused panes use the focused border element. */
/* The top line of a box (with its title) and the sides of the `lines`
 * lines below it: what a pane drawn again in the same place redraws of
 * its box, so that curses looks again only at the lines it cleared. */
void draw_box_top(struct ui *ui, WINDOW *w, int y, int x, int lines, int width, const char *title, bool focused);
void draw_box(struct ui *ui, WINDOW *w, int y, int x, int h, int width, const char *title, bool focused);

#endif
