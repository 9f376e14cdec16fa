#ifndef PGDECK_EXPLAIN_H
#define PGDECK_EXPLAIN_H

struct action;
struct action_step;

#include <libpq-fe.h>

/* EXPLAIN of another session's query text (the `e` key, :explain PID),
 * for the action row in subjects/queries_actions.c: never ANALYZE, and never
 * another role's code run as pgdeck's role.
 *
 *   1. explain_guard.h reads the text: one plannable statement, no
 *      function, operator, type or collation outside pg_catalog, none of
 *      the pg_catalog functions that run SQL text or read files;
 *   2. queries/action_explain_check.sql finds its relations as the
 *      session's role would (its search_path, by exact schema and name)
 *      and refuses views, materialized views and attached code (index
 *      expressions, defaults, constraints, policies, rules, types) of
 *      roles that are not trusted (a superuser or the database owner);
 *   3. each relation written without a schema is written qualified where
 *      it stands in the text ("public"."t"), since pgdeck's session
 *      searches pg_catalog only;
 *   4. in one transaction on a connection of its own (the row is marked
 *      `transaction`, rolled back at the end), the relations are locked
 *      (ACCESS SHARE, what EXPLAIN takes anyway) and checked again by OID,
 *      so none can be swapped for a view in between; then EXPLAIN.  A
 *      text with $1..$n (pg_stat_statements keeps no values) is planned
 *      generically: EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+; before 16
 *      PREPARE with the parameter types left to the server, SET LOCAL
 *      plan_cache_mode = force_generic_plan, EXPLAIN EXECUTE with NULLs,
 *      DEALLOCATE. */

/* The plan of the action: `text` ran in `database` as `role` (either may
 * be NULL); pgdeck is connected to `current`, a server of `version`
 * (server_version_num).  Ends with action_planned or action_refuse. */
void explain_plan_text(struct action *a, const char *text, const char *database, const char *role,
                       const char *current, int version);
/* The row's .recheck and .result. */
void explain_recheck(struct action *a);
void explain_result(struct action *a, struct action_step *s, const PGresult *res);

#endif
