#ifndef PGDECK_COUNTERS_H
#define PGDECK_COUNTERS_H

struct snapshot;

/* Most counters that PostgreSQL, PgBouncer and Redis publish are
 * cumulative (since a stats reset or a restart), so "over the last
 * interval" means the difference between two snapshots; a counter that
 * went backwards was reset, and that interval is unknown rather than
 * negative.  Shared by the subjects whose derive functions compute rates
 * (pool, cache). */

/* The increase of a cumulative counter from `prev` to `now`, or NAN when
 * it cannot be known: either reading missing (NAN) or the counter went
 * backwards (reset, restart). */
double counter_delta(double now, double prev);
/* Seconds between two snapshots, NAN when there is no previous one. */
double counter_interval(const struct snapshot *now, const struct snapshot *prev);
/* For each row of `now`, the row of `prev` with the same value in
 * `column`, or -1 (malloc'd, caller frees); NULL when there is no
 * previous snapshot or `now` has no row. */
int *counter_match_rows(const struct snapshot *now, const struct snapshot *prev, const char *column);

#endif
