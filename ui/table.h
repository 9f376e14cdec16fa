#ifndef PGDECK_TABLE_H
#define PGDECK_TABLE_H

#include "ui.h"

/* The table widget (table.c): draws tables[mode] of a pane in a
 * rectangle, keeping selection, filter and sort across snapshots. */

void table_draw(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int h, int width);
/* Common table keys: movement, sort.  Returns KEY_* flags. */
int  table_key(struct ui *ui, struct pane *p, int ch);
/* The snapshot drawn (*s, NULL before the first draw) and the row of the
 * selection in it, or -1. */
int  table_selected_row(struct ui *ui, struct pane *p, const struct snapshot **s);
/* The focused pane's selection: the snapshot/row selected in it (row = -1
 * when nothing is selected), the row the screen shows selected, found by
 * its key in the snapshot drawn, which may be older than the newest one. */
const struct snapshot *table_focused_selection(struct ui *ui, int *row);
/* Select the `index`th row as shown (a mouse click). */
void table_select(struct ui *ui, struct pane *p, int index);
void table_state_free(struct table_state *t);
/* How many rows the pane's table has to show now (its collector's newest
 * shown snapshot, filtered, hidden rows left out); 1 when it shows a
 * message instead ("waiting for data...", an error, "none"). */
int  table_rows_wanted(struct ui *ui, struct pane *p);
/* A field of a row written as the pane's column of that field writes it
 * (the details then say what the table says: 21ms, not 0.021432); a
 * field no column of the pane shows is formatted as in `extra` (n rows,
 * may be NULL), else written as it came.  NULL is "". */
void table_format_field(const struct pane_class *cls, const struct column_def *extra, int nextra,
                        const char *field, const char *value, char *buf, size_t len);

#endif
