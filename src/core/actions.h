#ifndef PGDECK_ACTIONS_H
#define PGDECK_ACTIONS_H

#include "core/action.h"

/* The rows of the action table, one family per file.  action.c lists them
 * in action_table; nothing else refers to them by name. */

/* actions_sessions.c */
extern const struct action_def action_cancel;       /* C: pg_cancel_backend($1) */
extern const struct action_def action_terminate;    /* K: pg_terminate_backend($1) */
extern const struct action_def action_explain;      /* e: EXPLAIN, never ANALYZE */
/* actions_views.c */
extern const struct action_def action_refresh;      /* r: one materialized view */
extern const struct action_def action_refresh_stale;/* R: every stale one */
/* actions_partitions.c */
extern const struct action_def action_maintain;     /* m: create ahead, detach past retention */
/* actions_indexes.c */
extern const struct action_def action_index;        /* i: one missing planned index */
extern const struct action_def action_index_all;    /* I: every missing one */
extern const struct action_def action_drop_index;   /* x: an INVALID index */
/* actions_analyze.c */
extern const struct action_def action_analyze;      /* a: ANALYZE a table */

/* Shared by the families (actions_common.c). */
struct snapshot;

/* The relation a snapshot row names: `schema` and the first of the
 * `columns` (NULL-terminated) that the row has ("schema.name" beside a
 * schema column loses its "schema." prefix); without a schema column the
 * value is read as an SQL identifier (ident.h).  Returns 0, or -1.  The
 * strings are borrowed from the snapshot, or from *buf (caller frees). */
int  actions_row_relation(const struct snapshot *s, int row, const char *const *columns,
                          const char **schema, const char **name, char **buf);

/* Look up the target relation(s) with queries/action_relation.sql, by
 * exact schema and name.  The callback gets the result (one row per
 * input) or an error. */
int  actions_resolve(struct action *a, const char *const *schemas, const char *const *names, int n,
                     void (*cb)(struct action *a, const PGresult *res, const char *error));
/* The target of `a` as one (schema, name) pair for actions_resolve; false
 * when the action has no relation target. */
bool actions_target_relation(const struct action *a, const char **schema, const char **name);

/* Row `row` of an action_relation result is the relation the operator
 * selected: the same OID as the target's key (when it has one).  Refuses
 * the action and returns false when the name now belongs to another
 * relation; else pins the key to the row's OID (action_set_key). */
bool actions_same_relation(struct action *a, const PGresult *res, int row);

/* The recheck of actions whose premise is their pinned relations
 * (action_pin_relation): each still there by OID, with the same name and
 * one of its kinds.  actions_recheck_pinned is a row's .recheck; the
 * others are for a row that checks more on the same result:
 * actions_query_pins sends queries/action_recheck.sql, and
 * actions_pins_hold refuses (false) or returns true. */
void actions_recheck_pinned(struct action *a);
int  actions_query_pins(struct action *a, void (*cb)(struct action *a, const PGresult *res, const char *error));
bool actions_pins_hold(struct action *a, const PGresult *res, const char *error);

#endif
