#ifndef PGDECK_THEME_H
#define PGDECK_THEME_H

#include <stdbool.h>

#include <curses.h>

#include "core/theme.h"

/* The curses side of colour themes: a theme (core/theme.h, which loads
 * and parses them) made into colour pairs and attributes. */

/* Make t the theme on screen: allocate colour pairs and compute every
 * element's attributes.  Call after initscr() (and start_color() when the
 * terminal has colours); call again to switch themes, then redraw all.
 * `colors` is COLORS; with can_change_color (can_change_color()) #rrggbb
 * colours are set exactly with init_color, which ncurses undoes at endwin;
 * otherwise they degrade to the nearest palette entry the terminal has.
 * With no_color (NO_COLOR, --no-color), fewer than 8 colours or a terminal
 * without colour, every element uses only its mono attributes. */
void   theme_apply(const struct theme *t, int colors, bool can_change_color,
                   bool no_color);
/* COLOR_PAIR(n) | attributes, for wattrset / wbkgd.  Before the first
 * theme_apply: the built-in mono attributes. */
attr_t theme_attr(enum theme_element e);

#endif
