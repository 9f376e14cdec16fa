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

/* The row of the statements snapshot (pg_stat_statements) that a live
 * query's text is an execution of, in `database` as `user` (either NULL:
 * any): matched by libpg_query's fingerprint (sql.h), which ignores the
 * constants pg_stat_statements replaced with $n, blanks and comments.  For
 * servers without query_id (PostgreSQL 13, compute_query_id = off) it is
 * the only way; the busiest row when several match.  -1 when none does,
 * -2 when the text does not parse (cut at track_activity_query_size, or
 * syntax pgdeck's PostgreSQL 15 parser does not know). */
int  statements_find(const struct snapshot *statements, const char *query, const char *database,
                     const char *user);

#endif
