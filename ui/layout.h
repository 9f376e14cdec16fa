#ifndef PGDECK_LAYOUT_H
#define PGDECK_LAYOUT_H

#include <stdbool.h>

/* Where the panes go (layout.c): pure arithmetic, no curses, so it is
 * tested on its own.  Given how many panes there are, which has focus and
 * the screen's size, it places each pane and says whether the screen is
 * too small for all of them at once, in which case it shows the focused
 * one under a tab bar. */

struct layout_rect {
    int y, x, h, w;     /* h == 0: not shown */
};

/* The lines above and below the panes: the title and the servers (and
 * the tab bar when tabbed); the alerts and the status line. */
#define LAYOUT_TOP_LINES     2
#define LAYOUT_TABBED_LINES  3
#define LAYOUT_BOTTOM_LINES  2
/* Smaller than this, one pane at a time. */
#define LAYOUT_MIN_COLS      120
#define LAYOUT_MIN_ROWS      36

/* Fill out[0..n-1]; returns true when tabbed (only out[focus] shown). */
bool layout_panes(int n, int focus, int rows, int cols, struct layout_rect *out);

#endif
