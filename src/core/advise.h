#ifndef PGDECK_ADVISE_H
#define PGDECK_ADVISE_H

#include <stdbool.h>

#include "core/explain_guard.h"

/* Index advice from the workload, the pure part: the candidate indexes a
 * statement suggests, read on its parse tree (libpg_query, base/sql.h);
 * the name and statement of an advised index; what an EXPLAIN (FORMAT
 * JSON) says a plan costs and whether it uses a given index; and whether
 * an index already serves a candidate.  The run that tests candidates with
 * hypothetical indexes (hypopg) on generic plans is
 * src/subjects/indexes_advice.c.
 *
 * Candidates come from what an index can serve: columns compared with =,
 * IN or = ANY to a value or a parameter (equality), with <, <=, >, >= or
 * BETWEEN (range), join keys (a column compared with = to a column of
 * another relation), and ORDER BY columns when the query has a LIMIT.  A
 * candidate lists the equality columns first, then one range column or the
 * ORDER BY columns, as a btree serves them.  Predicates under OR or NOT,
 * on expressions of a column (lower(email), created_at::date) and LIKE are
 * not read.  No server, no curses: unit-tested and fuzzed with the guard. */

#define ADVISE_MAX_COLUMNS 4

struct advise_candidate {
    int   relation;             /* index into the statement's explain_info relations */
    int   ncolumns;
    char *columns[ADVISE_MAX_COLUMNS];  /* as the parser folded them */
    const char *why;            /* static: "equality", "equality and range", ... */
};

/* Append to *list (*n of them, grown) the candidate indexes of the
 * statement `info` (as explain_guard_check read it: one plannable
 * statement, its relations in order), at most `max` in all for it; a
 * candidate that is already in the list for the same relation is not
 * added again.  A column written without its relation belongs to the only
 * relation of its FROM, or to each of them (the catalog keeps the one that
 * has it).  Returns how many were added. */
int  advise_candidates(const struct explain_info *info, struct advise_candidate **list, int *n, int max);
void advise_candidates_free(struct advise_candidate *list, int n);

/* The name pgdeck gives an index on `table` (`columns`):
 * "table_col1_col2_idx", cut to 63 bytes without splitting a character, as
 * PostgreSQL names one itself.  Caller frees. */
char *advise_index_name(const char *table, const char *const *columns, int n);
/* "CREATE INDEX [CONCURRENTLY] "name" ON "schema"."table" USING btree
 * ("c1", "c2")", every name quoted; without a name when `name` is NULL
 * (what hypopg_create_index takes).  NULL when a name is not valid UTF-8.
 * Caller frees. */
char *advise_index_sql(const char *schema, const char *table, const char *name, const char *const *columns,
                       int n, bool concurrently);

/* Read an EXPLAIN (FORMAT JSON) result: the top plan's "Total Cost", and
 * whether any node scans `index_name` ("Index Name"; NULL: not asked).
 * Returns 0, or -1 when the text is not such a plan. */
int  advise_plan_read(const char *json, const char *index_name, double *cost, bool *uses);

/* Whether an index whose leading key columns are `existing` (m of them,
 * in order) already serves `columns` (n): they are its first n columns. */
bool advise_served(const char *const *columns, int n, const char *const *existing, int m);

#endif
