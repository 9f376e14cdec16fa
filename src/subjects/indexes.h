#ifndef PGDECK_SUBJECTS_INDEXES_H
#define PGDECK_SUBJECTS_INDEXES_H

#include "core/action.h"
#include "core/snapshot.h"

/* The indexes subject (indexes.c, indexes_actions.c).
 *
 * derive_indexes is the indexes collector's derive; it calls
 * derive_indexes_at, which takes everything it needs as arguments, so the
 * unit tests can call it on a hand-made snapshot.  Columns it adds:
 * display (the name without "public."), planned (t/f), plan_line, status
 * ("present", "INVALID", "building 45%", "missing", "" for an index the
 * plan does not name), unused (t/f), duplicate (t/f), problem (t/f), note
 * ("unused", "duplicate", "unused, dup" or NULL); the plan's missing
 * indexes are added as rows (status "missing", definition = the plan's
 * statement), and rows are reordered: INVALID, building and missing first.
 * derive_index_progress adds nothing: when a build starts or ends it asks
 * the indexes collector to run now, so the status flips at once. */

struct alert;
struct app;
struct config;
struct plan;

extern const struct action_def action_index;        /* i: one missing planned index */
extern const struct action_def action_index_all;    /* I: every missing one */
extern const struct action_def action_drop_index;   /* x: an INVALID index */

void derive_indexes(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_index_progress(struct app *app, struct snapshot *now, const struct snapshot *prev);
/* `plan` may be NULL (no plan); `progress` may be NULL. */
void derive_indexes_at(struct snapshot *s, const struct plan *plan, const struct snapshot *progress);

/* The index plan the indexes collector compares with: cfg->plan_file, or
 * the kit's built-in one.  Read on first use and again when the file
 * changes.  *error is NULL or why the plan could not be read at all; the
 * plan's own errors[] list statements it could not read.  Borrowed. */
const struct plan *derive_index_plan(const struct config *cfg, const char **error);
/* The plan as the indexes collector last read it, without looking at the
 * file (for drawing); NULL before the first read. */
const struct plan *derive_index_plan_loaded(const char **error);

/* The alert rule: INVALID indexes (a failed CONCURRENTLY build). */
int alert_invalid_indexes(const struct app *app, struct alert *out, int max);

#endif
