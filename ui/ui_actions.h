#ifndef PGDECK_UI_ACTIONS_H
#define PGDECK_UI_ACTIONS_H

struct ui;

/* The console's side of the action layer: action keys (C K e r R m i I x a
 * L) and ":" commands that name an action.  Both go through the one gate
 * in src/core/action.c.  Return non-zero when the key or command was theirs. */
int ui_action_key(struct ui *ui, int ch);
int ui_action_command(struct ui *ui, const char *verb, const char *arg);
/* Help rows: { keys, what they do }. */
const char *const (*ui_action_help(int *n))[2];

#endif
