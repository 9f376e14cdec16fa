#ifndef PGDECK_KEYMAP_H
#define PGDECK_KEYMAP_H

struct ui;

/* Keys are a table (keymap.c): each row a key, what it does, and the line
 * the help overlay shows for it.  Every key the terminal sends comes here:
 * a resize, a mouse event, the open prompt's and the open overlay's keys
 * first; then the focused pane's own keys, the action keys (ui_actions.h),
 * the table keys of the focused pane's list, and the global ones. */
void keymap_dispatch(struct ui *ui, int ch);
/* Run a ":" command line ("refresh mv_x", "theme light", "q"). */
void keymap_command(struct ui *ui, const char *line);
/* A mouse event is pending: select the pane and row clicked. */
void keymap_mouse(struct ui *ui);
/* Write frame timings to --stats FILE, if asked. */
void keymap_stats(struct ui *ui);
/* The help overlay's lines (caller frees). */
char **keymap_help(struct ui *ui, int *n);

#endif
