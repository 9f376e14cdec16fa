#ifndef PGDECK_OVERLAY_H
#define PGDECK_OVERLAY_H

#include <stdbool.h>

#include "ui.h"

/* Overlays, drawn above the panes, one at a time (overlay.c): help,
 * details, a confirmation, a scrollable text (a plan, the journal, DDL);
 * and the prompt on the bottom line ("/" filter, ":" command).
 *
 * A text shown while a confirmation is open waits until it is answered,
 * and a confirmation puts an open text aside until then: a question is
 * never lost, so every action that asks gets its answer. */

/* Show `lines` (taken) as `kind` (OVERLAY_TEXT, _HELP, _DETAILS),
 * scrolled to `top`. */
void overlay_show(struct ui *ui, enum overlay kind, const char *title, char **lines, int n, int top);
/* The same as a plain text (OVERLAY_TEXT) from the top. */
void overlay_text(struct ui *ui, const char *title, char **lines, int n);
/* Ask: y calls cb(yes), n, Esc and q call cb(no).  Takes the lines. */
void overlay_confirm(struct ui *ui, const char *title, char **lines, int n, confirm_cb cb, void *arg);
void overlay_close(struct ui *ui);
/* Enter: the details of the focused pane's selected row. */
void overlay_details(struct ui *ui);
/* For a pane's details hook: what the details show needs the collector's
 * detailed statement (collector_def.query_more; a session's locks): it is
 * asked for once the details are up, and they are made again when that
 * collector publishes, at the same scroll.  Never waits. */
void overlay_details_wait(struct ui *ui, const char *collector);
/* Each frame, after the panes: details that waited are made again when
 * their collector has published. */
void overlay_follow(struct ui *ui);
/* A key while an overlay is up (scrolling, y/n, closing). */
void overlay_key(struct ui *ui, int ch);
void overlay_draw(struct ui *ui);
/* The console closes: a question still open is answered no (its action
 * ends, journaled as declined); then everything is freed. */
void overlay_decline(struct ui *ui);
void overlay_free(struct ui *ui);

/* Open the "/" filter or ":" command prompt. */
void overlay_prompt_start(struct ui *ui, char kind);
/* A key while the prompt is open.  Returns true when Enter ended a ":"
 * line: the command is in ui->prompt_buf. */
bool overlay_prompt_key(struct ui *ui, int ch);

#endif
