#ifndef PGDECK_DERIVE_STORAGE_H
#define PGDECK_DERIVE_STORAGE_H

#include <stdbool.h>

#include "core/journal_views.h"
#include "core/snapshot.h"

/* Figures the Partitions, Views and Indexes panes and their alert rules
 * show, derived from the collectors' results (sql/queries/partitions.sql,
 * views.sql, indexes.sql, index_progress.sql) and from pgdeck's own
 * knowledge: the retention configured per table, the view age threshold,
 * and the index plan (plan.h).
 *
 * The derive_* hooks are collector_def.derive functions; each calls a
 * derive_*_at function that takes everything it needs as arguments, so the
 * unit tests can call it on a hand-made snapshot.  Columns they add:
 *
 *   every one   display: the name without "public."
 *   partitions   display (indented under its parent when nested),
 *                oldest_short, newest_short (bounds without a midnight
 *                time or a zero offset), ahead (text: "2 mo", "3 d",
 *                "forever", "none"), ahead_seconds, months_ahead,
 *                ahead_ok (t/f; NULL when the table is not range
 *                partitioned on time), now_covered (t/f/NULL), retention
 *                (the configured interval), outside_retention (partitions
 *                wholly older than now - retention) and
 *                outside_retention_bytes, current_bytes (the partition
 *                holding now), growth_per_day (its bytes per day since
 *                it started), projected_bytes (its size projected to its
 *                end), growth_ratio (that over the largest earlier
 *                partition of the same width), default_flag
 *                (t when the default partition has rows), problems (a
 *                short list for the row: "no next month, default rows")
 *   views        last_refresh (epoch), last_refresh_at (local time,
 *                "2026-11-28 21:03"), refresh_duration (seconds),
 *                refresh_known_from ("log", "journal" or NULL),
 *                refresh_note (a refresh by pgdeck whose outcome is
 *                unknown: "pgdeck's refresh at 2026-11-28 21:03: outcome
 *                unknown (pgdeck stopped)", else NULL), age
 *                (seconds), age_text ("2h05m", "unknown", "never"),
 *                stale (t/f; NULL when unknown), state ("ok", "STALE",
 *                "unpopulated", "never refreshed", "refreshing 12s",
 *                "failed", "unknown")
 *   indexes      planned (t/f), plan_line, status ("present", "INVALID",
 *                "building 45%", "missing", "" for an index the plan does
 *                not name), unused (t/f), duplicate (t/f), problem (t/f),
 *                note ("unused", "duplicate", "unused, dup" or NULL);
 *                the plan's missing indexes are added as rows (status
 *                "missing", definition = the plan's statement), and rows
 *                are reordered: INVALID, building and missing first
 *   index_progress  nothing; when a build starts or ends it asks the
 *                indexes collector to run now, so the status flips at once */

struct app;
struct config;
struct plan;

void derive_partitions(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_views(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_indexes(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_index_progress(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* The testable halves.  `now` is the wall clock in seconds; the server's
 * clock (server_now) is preferred when the snapshot has it. */
void derive_partitions_at(struct snapshot *s, const struct config *cfg, double now);
/* The view is named by the views query's object_key (journal_views.h).
 * `lookup` is journal_views_find, or a test's own; it may be NULL. */
typedef bool (*view_refresh_lookup)(const struct app *app, const char *object_key,
                                    struct view_refresh_record *out);
void derive_views_at(struct snapshot *s, double max_age_hours, double now,
                     view_refresh_lookup lookup, const struct app *app);
/* `plan` may be NULL (no plan); `progress` may be NULL. */
void derive_indexes_at(struct snapshot *s, const struct plan *plan, const struct snapshot *progress);

/* The index plan the indexes collector compares with: cfg->plan_file, or
 * the kit's built-in one.  Read on first use and again when the file
 * changes.  *error is NULL or why the plan could not be read at all; the
 * plan's own errors[] list statements it could not read.  Borrowed. */
const struct plan *derive_index_plan(const struct config *cfg, const char **error);
/* The plan as the indexes collector last read it, without looking at the
 * file (for drawing); NULL before the first read. */
const struct plan *derive_index_plan_loaded(const char **error);

/* A bound as pgdeck shows it: "2026-06-01 00:00:00+00" -> "2026-06-01",
 * "2026-06-01 06:00:00+00" -> "2026-06-01 06:00"; anything else
 * (MINVALUE, 42, eu) as it is. */
void derive_short_bound(const char *bound, char *out, size_t len);
/* A partition's bound expression made short: "FOR VALUES FROM
 * ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')" ->
 * "2026-01-01 .. 2026-02-01"; "FOR VALUES IN ('eu', 'uk')" -> "IN ('eu',
 * 'uk')"; "DEFAULT" as it is. */
void derive_short_partition_bound(const char *bound, char *out, size_t len);

/* A PostgreSQL interval as written in [retention] ("12 months", "1 year 6
 * mons", "90 days", "2 weeks", "36 hours"): calendar months and seconds.
 * Returns 0, or -1 when it is not an interval pgdeck can read. */
int  derive_interval_parse(const char *text, int *months, double *seconds);
/* `t` moved back by months (calendar, UTC) and seconds. */
double derive_time_minus(double t, int months, double seconds);
/* Whole calendar months (UTC) covered after the month of `now` when
 * partitions reach `covered_until` (epoch).  0 when not even next month is
 * covered; a large number for infinity. */
int  derive_months_ahead(double now, double covered_until);

#endif
