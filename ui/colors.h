#ifndef PGDECK_COLORS_H
#define PGDECK_COLORS_H

struct ui;

/* The theme in use (colors.c): load it by name or file and apply it to
 * the terminal; a theme that cannot be loaded says why on the status line
 * and the default is used.  Returns 0. */
int  colors_use(struct ui *ui, const char *name);
/* Switch theme while the console runs (":theme NAME"): the screen is
 * redrawn with it. */
int  colors_switch(struct ui *ui, const char *name);

#endif
