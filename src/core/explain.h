#ifndef PGDECK_EXPLAIN_H
#define PGDECK_EXPLAIN_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "core/explain_guard.h"

struct action;
struct action_step;

/* EXPLAIN of other sessions' query texts: the `e` key and :explain PID
 * (the action row in subjects/queries_actions.c), and the index advice
 * (subjects/indexes_advice.c), which plans the busiest statements of
 * pg_stat_statements with and without hypothetical indexes.  Never
 * ANALYZE, and never another role's code run as pgdeck's role.
 *
 *   1. explain_guard.h reads each text: one plannable statement, no
 *      function, operator, type or collation outside pg_catalog, none of
 *      the pg_catalog functions that run SQL text or read files;
 *   2. queries/action_explain_check.sql finds its relations as the
 *      text's role would (its search_path, by exact schema and name) and
 *      refuses views, materialized views and attached code (index
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

/* ---- one text (the `e` action) ---------------------------------------------- */

/* The plan of the action: `text` ran in `database` as `role` (either may
 * be NULL); pgdeck is connected to `current`, a server of `version`
 * (server_version_num).  Ends with action_planned or action_refuse. */
void explain_plan_text(struct action *a, const char *text, const char *database, const char *role,
                       const char *current, int version);
/* The row's .recheck and .result. */
void explain_recheck(struct action *a);
void explain_result(struct action *a, struct action_step *s, const PGresult *res);

/* ---- several texts (steps 1 to 4 for each) ------------------------------------ */

/* A text made ready for EXPLAIN. */
struct explain_text {
    struct explain_info info;
    char  *role;            /* the role it runs as, or NULL */
    char  *text;            /* as EXPLAIN gets it: relations qualified; NULL
                               until checked, and when refused */
    char **schemas;         /* where each relation was found */
    char **names;
    char **oids;
    char **kinds;           /* relkind */
    char  *refusal;         /* why it is not planned, or NULL */
};

/* Texts checked in turn on the monitoring pool (the plan) and again on the
 * action's connection once locked (the recheck).  The action's data
 * (action_set_data) must begin with its struct explain_batch: the query
 * callbacks find the batch through action_data. */
struct explain_batch {
    struct explain_text *texts;
    int    n;
    int    next;            /* the text being checked */
    bool   rechecking;
    int    lock_timeout_ms; /* > 0: SET LOCAL lock_timeout before the LOCK */
    void (*checked)(struct action *a);     /* every text checked or refused */
};

/* Add a text (read by the guard now: a text it refuses gets its refusal
 * and is not checked).  Returns the text. */
struct explain_text *explain_batch_add(struct explain_batch *b, const char *text, const char *role);
/* Check every text not yet refused, one after another; then call `done`.
 * A text whose relations cannot be found or are not safe to plan gets its
 * refusal.  Returns 0, or -1 when the primary is not connected. */
int  explain_batch_check(struct action *a, struct explain_batch *b, void (*done)(struct action *a));
/* The recheck (a row's .recheck calls it): lock every relation of the
 * texts that were checked, then check each text again by OID; ends with
 * action_premise_held, or action_refuse when a relation was replaced. */
void explain_batch_recheck(struct action *a, struct explain_batch *b);
void explain_batch_free(struct explain_batch *b);

/* The statements that plan t: one EXPLAIN, or (a text with $n before 16)
 * PREPARE, EXPLAIN EXECUTE with NULLs and DEALLOCATE under the name
 * `name`; `options` inside EXPLAIN's parentheses ("FORMAT JSON"), or NULL.
 * The generic plan of a PREPARE needs SET LOCAL plan_cache_mode =
 * force_generic_plan before, the caller's.  Unused parts are NULL; free
 * with explain_sql_free. */
struct explain_sql {
    char *prepare, *explain, *deallocate;
    bool  generic;
};
void explain_text_sql(const struct explain_text *t, int version, const char *options, const char *name,
                      struct explain_sql *out);
void explain_sql_free(struct explain_sql *s);

#endif
