#ifndef PGDECK_COLLECT_STATEMENTS_H
#define PGDECK_COLLECT_STATEMENTS_H

struct collector;
struct snapshot;

/* The custom run of the "statements" collector and its state's destructor. */
int  statements_run(struct collector *c);
void statements_free_state(void *state);

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
