#ifndef PGDECK_PANE_LINES_H
#define PGDECK_PANE_LINES_H

#include "ui.h"

/* Summary lines above a pane's table (the Pool and Cache panes): a pane
 * adds every line it could show, each with a priority, and the lines that
 * do not fit the pane's height are dropped, least important first, while
 * the rest keep their order.  So a 120x36 grid cell shows the gauge and
 * one line per server, and a full-screen pane shows every pool too.
 *
 * Each line says whose data it shows (pane_lines_from): when that
 * collector's data is stale (its server down or not answering, the console
 * paused) its lines are greyed, and the first of them says "as of
 * 14:03:27" at its right end.  Lines of live figures name no collector. */

#define PANE_LINES_MAX 48

struct pane_line {
    int  priority;          /* 0 is kept longest; higher ones go first */
    int  style;             /* theme element of the text */
    char label[16];         /* drawn in THEME_LABEL in the label column */
    char text[320];         /* untrusted text is fine: it is sanitized */
    /* A line drawn by the pane itself (a gauge, a sparkline) instead of
     * label and text; `arg` is handed back. */
    void (*draw)(struct ui *ui, WINDOW *w, int y, int x, int width, const void *arg);
    const void *arg;
    const char *collector;  /* whose data it shows, or NULL */
};

struct pane_lines {
    struct pane_line line[PANE_LINES_MAX];
    int n;
    const char *collector;  /* given to the lines added next */
};

/* An empty set of lines (a pane's header, each frame). */
void pane_lines_init(struct pane_lines *l);
/* The lines added from now on show data of this collector (a static
 * name; NULL for live figures that are never stale). */
void pane_lines_from(struct pane_lines *l, const char *collector);

/* Add a text line (printf-style).  Lines past PANE_LINES_MAX are ignored. */
void pane_lines_add(struct pane_lines *l, int priority, int style, const char *label,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Add a line the pane draws itself. */
void pane_lines_add_drawn(struct pane_lines *l, int priority,
                          void (*draw)(struct ui *, WINDOW *, int, int, int, const void *),
                          const void *arg);
/* How many header lines a pane of `height` inner lines may use: at most
 * half of it, and never so many that the table has fewer than a header
 * and three rows; one at least. */
int  pane_lines_budget(int height);
/* The same, but more when the table below needs fewer lines: everything
 * but the column titles and `table_rows` rows (the layout gave the pane
 * its lines for both). */
int  pane_lines_room(int height, int table_rows);
/* Draw a line's label in the label column (THEME_LABEL); returns the
 * columns it takes, where the line's text starts. */
int  pane_lines_label(struct ui *ui, WINDOW *w, int y, int x, int width, const char *label);
/* Draw the most important lines that fit in `budget`, in the order they
 * were added; returns the lines used. */
int  pane_lines_draw(struct ui *ui, WINDOW *w, int y, int x, int width, int budget,
                     const struct pane_lines *l);

#endif
