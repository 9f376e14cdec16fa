#ifndef PGDECK_SUBJECTS_QUERIES_H
#define PGDECK_SUBJECTS_QUERIES_H

#include "core/action.h"

/* The queries subject (queries.c, queries_actions.c). */

struct app;
struct snapshot;

/* Session actions, for any subject whose rows are sessions (pid,
 * backend_start, database): cancel the query (C), terminate the session
 * (K), EXPLAIN the query (e). */
extern const struct action_def action_cancel;
extern const struct action_def action_terminate;
extern const struct action_def action_explain;

/* The activity collector's derive: the backends' cpu_percent, rss,
 * read_bps and write_bps joined by pid (left NULL when unknown). */
void derive_activity_host(struct app *app, struct snapshot *now, const struct snapshot *prev);

#endif
