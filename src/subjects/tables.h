#ifndef PGDECK_SUBJECTS_TABLES_H
#define PGDECK_SUBJECTS_TABLES_H

#include "core/action.h"

/* The tables subject (tables.c): ANALYZE, which the subjects whose panes
 * show tables (cache, partitions, views, indexes) list among their
 * actions. */
extern const struct action_def action_analyze;     /* a: ANALYZE a table */

#endif
