#ifndef PGDECK_LAYOUT_H
#define PGDECK_LAYOUT_H

#include <stdbool.h>

/* Where the panes go (layout.c): pure arithmetic, no curses, so it is
 * tested on its own.  A pure function of how many lines each pane has to
 * show, which pane has focus, whether it is zoomed, the screen's size and
 * the previous layout (for the hysteresis): the grid gives each pane its
 * rows by what it has to show, or, when the screen is too small for all
 * of them at once, shows the focused one under a tab bar; zoomed, the
 * focused pane takes the whole screen between the title lines and the
 * status lines. */

enum layout_mode {
    LAYOUT_GRID,        /* every pane at once */
    LAYOUT_TABS,        /* the focused pane under a tab bar */
    LAYOUT_ZOOM,        /* the focused pane alone, no tab bar (z) */
};

struct layout_rect {
    int y, x, h, w;     /* h == 0: not shown */
    /* What the pane was laid out for (hysteresis: see layout.c). */
    int want;           /* lines */
    int shrinking;      /* layouts in a row that it wanted fewer */
};

struct layout_request {
    int  n;             /* panes, in the order of subjects[] */
    /* Lines each pane would fill to show everything it has: border,
     * header lines, column titles and rows; 0 when not known yet. */
    const int *want;
    int  focus;
    bool zoom;
    int  rows, cols;    /* the screen */
    /* The layout made last time for the same panes, or NULL. */
    const struct layout_rect *previous;
};

/* The lines above and below the panes: the title and the servers (and
 * the tab bar when tabbed); the alerts and the status line. */
#define LAYOUT_TOP_LINES     2
#define LAYOUT_TABBED_LINES  3
#define LAYOUT_BOTTOM_LINES  2
/* Smaller than this, one pane at a time. */
#define LAYOUT_MIN_COLS      120
#define LAYOUT_MIN_ROWS      36
/* The least a pane of the grid gets: a border, a header line, the column
 * titles and two rows. */
#define LAYOUT_PANE_MIN_H    6
/* A smaller want than the one laid out for is obeyed only once it has
 * been seen this many layouts in a row (a layout per frame: one to three
 * a second at a 1 s refresh, so 10 to 30 s): a list that goes 2, 9, 3, 8
 * sessions keeps its 9 lines rather than move every pane at every
 * refresh.  A move redraws every pane and rewrites most of the terminal
 * (under pgbench, lock waits that came and went every few seconds made
 * the layout the largest part of pgdeck's terminal output).  A bigger
 * want is obeyed at once. */
#define LAYOUT_SHRINK_AFTER  30
/* ... but on a crowded screen (a pane laid out shorter than it wants)
 * after this many: kept lines are spare lines, not a pane's whose list
 * is cut. */
#define LAYOUT_SHRINK_CROWDED 5

/* On a crowded screen (a pane laid out shorter than it wants), panes move
 * for what their lists hold at most once in this many seconds; a key, a
 * resize, zoom or a server's state moves them at once (screen.c).  Under
 * pgbench the wants swing every second (sessions 11, 12, 11; lock waiters
 * 5 to 9; the busiest tables) and on a crowded screen a move only trades
 * one pane's cut for another's, while it rewrites most of the terminal:
 * side by side for 70 s under pgbench -c 8 at 120x40, 23 moves wrote
 * 126 kB, 5 moves (then held) 60 kB (issue 14). */
#define LAYOUT_SETTLE_S      30

/* Fill out[0..n-1]. */
enum layout_mode layout_panes(const struct layout_request *rq, struct layout_rect *out);

#endif
