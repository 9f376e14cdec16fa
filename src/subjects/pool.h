#ifndef PGDECK_SUBJECTS_POOL_H
#define PGDECK_SUBJECTS_POOL_H

#include <stdbool.h>

#include "core/snapshot.h"

/* The pool subject (pool.c): figures the Pool pane and its alert rules
 * show.  The derive functions are collector_def.derive hooks: they add
 * columns to `now` (not yet published) from `prev` (NULL on a first run or
 * after a failure).  Columns they add:
 *
 *   pgbouncer_pools  key, pool ("db/user"), maxwait_seconds, and the
 *                    cl_active, cl_waiting, sv_active, sv_idle, sv_used
 *                    columns whatever the PgBouncer version calls them
 *   pgbouncer_stats  queries (cumulative), query_rate, xact_rate,
 *                    avg_query_ms over the interval */

struct alert;
struct app;

/* Whatever the configured threshold, a pool this full is critical. */
#define POOL_CRITICAL_PERCENT 95.0

/* The pool usage percentage that is critical for a warning threshold. */
double pool_critical_percent(double warn_percent);

void derive_pgbouncer_pools(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_pgbouncer_stats(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* Client connections in use (the "all" row of connections) and how many
 * there may be (usable_connections of settings).  False when either is not
 * known yet. */
bool pool_usage(const struct snapshot *connections, const struct snapshot *settings,
                double *used, double *usable);

/* The primary cannot be reached (an alert rule; alerts.h). */
int alert_primary_down(const struct app *app, struct alert *out, int max);

#endif
