#ifndef PGDECK_SUBJECTS_CACHE_H
#define PGDECK_SUBJECTS_CACHE_H

#include <stdbool.h>

#include "core/snapshot.h"

/* The cache subject (cache.c): figures the Cache pane and its alert rules
 * show.  The derive functions are collector_def.derive hooks: they add
 * columns to `now` (not yet published) from `prev` (NULL on a first run or
 * after a failure; counters.h).  Columns they add:
 *
 *   database_cache   blks_hit_delta, blks_read_delta, hit_percent (over the
 *                    interval), reads_per_second; series "pg_hit"
 *   table_cache      blks_hit_delta, blks_read_delta, hit_percent, traffic,
 *                    rank (1 = busiest in the interval); rows are reordered
 *                    busiest first
 *   redis            hit_percent_total (since start), hit_percent, lookups,
 *                    hits_delta and misses_delta (over the interval),
 *                    ops_per_sec, keys,
 *                    memory_fraction (NULL when maxmemory is 0),
 *                    evicted_delta, expired_delta; series "redis_hit" */

struct app;

/* Series names (app_series) the derive functions push to. */
#define SERIES_PG_HIT    "pg_hit"
#define SERIES_REDIS_HIT "redis_hit"

/* Alert rules ignore intervals with less traffic than this: a ratio over a
 * handful of lookups says nothing. */
#define CACHE_MIN_BLOCKS   100      /* PostgreSQL blocks hit + read */
#define CACHE_MIN_LOOKUPS  20       /* Redis keyspace hits + misses */
/* The table_cache rows the Cache pane shows. */
#define CACHE_TOP_TABLES   25

/* 100 * hits / (hits + misses), or NAN when there were no lookups. */
double hit_percent(double hits, double misses);
/* How far a hit ratio over an interval falls short of `limit` percent:
 * 0 when it does not (or when fewer than `min_lookups` lookups say too
 * little), 1 under the limit, 2 under half of it.  The alert rules and the
 * Cache pane's colours both follow this. */
int cache_hit_severity(double hits, double misses, double min_lookups, double limit);

void derive_database_cache(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_table_cache(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_redis(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* Blocks hit and read over the last interval, summed over the databases of
 * a derived database_cache snapshot.  False when no row has an interval
 * (first snapshot, reset, failure). */
bool cache_interval_totals(const struct snapshot *database_cache, double *hits, double *reads);

#endif
