#ifndef PGDECK_ACTION_TARGET_H
#define PGDECK_ACTION_TARGET_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "core/action.h"

struct snapshot;

/* What an action acts on, for the action rows of every subject: the
 * relation a pane's row names, looked up by exact schema and name, pinned
 * by OID and checked again before anything is sent (action_target.c). */

/* Fill `t` with what action `def` needs from row `row` of snapshot `s`
 * (the focused pane's selection): a pid and query text for the queries
 * pane, a relation's schema and name elsewhere.  Strings are borrowed from
 * the snapshot or from *buf (caller frees).  Returns 0, or -1 when the row
 * holds nothing the action can use. */
int  action_target_from_row(const struct action_def *def, const struct snapshot *s, int row,
                            struct action_target *t, char **buf);

/* Snapshot columns that may name a materialized view, most specific
 * first (NULL-ended), for action_target_row_relation. */
extern const char *const action_target_view_columns[];

/* The relation a snapshot row names: `schema` and the first of the
 * `columns` (NULL-terminated) that the row has ("schema.name" beside a
 * schema column loses its "schema." prefix); without a schema column the
 * value is read as an SQL identifier (ident.h).  Returns 0, or -1.  The
 * strings are borrowed from the snapshot, or from *buf (caller frees). */
int  action_target_row_relation(const struct snapshot *s, int row, const char *const *columns,
                                const char **schema, const char **name, char **buf);

/* Look up the target relation(s) with queries/action_relation.sql, by
 * exact schema and name.  The callback gets the result (one row per
 * input) or an error. */
int  action_target_resolve(struct action *a, const char *const *schemas, const char *const *names, int n,
                           void (*cb)(struct action *a, const PGresult *res, const char *error));
/* The target of `a` as one (schema, name) pair for action_target_resolve;
 * false when the action has no relation target. */
bool action_target_relation(const struct action *a, const char **schema, const char **name);

/* Row `row` of an action_relation result is the relation the operator
 * selected: the same OID as the target's key (when it has one).  Refuses
 * the action and returns false when the name now belongs to another
 * relation; else pins the key to the row's OID (action_set_key). */
bool action_target_same(struct action *a, const PGresult *res, int row);

/* The recheck of actions whose premise is their pinned relations
 * (action_pin_relation): each still there by OID, with the same name and
 * one of its kinds.  action_target_recheck_pins is a row's .recheck; the
 * others are for a row that checks more on the same result:
 * action_target_query_pins sends queries/action_recheck.sql, and
 * action_target_pins_hold refuses (false) or returns true. */
void action_target_recheck_pins(struct action *a);
int  action_target_query_pins(struct action *a,
                              void (*cb)(struct action *a, const PGresult *res, const char *error));
bool action_target_pins_hold(struct action *a, const PGresult *res, const char *error);

#endif
