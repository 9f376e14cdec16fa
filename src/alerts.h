#ifndef PGDECK_ALERTS_H
#define PGDECK_ALERTS_H

#include <stddef.h>

struct app;

/* The alert rules: the guide's thresholds (slow query > 1000 ms, pool
 * utilization > 90 %, cache hit rate < 70 %, view older than 4 h, partition
 * growth) plus invalid indexes, rows in a default partition, no partition
 * for next month and replica lag, all read from cfg->alerts.  They look at
 * the latest snapshots only; the console shows them on the alert line and
 * `check` turns them into monitoring-plugin exit codes. */

enum alert_level { ALERT_OK = 0, ALERT_WARNING = 1, ALERT_CRITICAL = 2, ALERT_UNKNOWN = 3 };

struct alert {
    enum alert_level level;
    char   name[32];        /* stable key: "slow_query", "pool", ... */
    char   text[192];       /* "slow query: pid 4242 running 12.3 s > 1000 ms" */
};

/* Performance data for `check` ("pool_used=63%;90;95"). */
struct perfdata {
    char   label[48];
    double value;
    char   unit[4];
    double warn, crit;      /* NAN when none */
};

/* A rule appends the alerts it finds to out (at most max) and returns how
 * many it wrote.  Rules are rows of the table in alerts.c; each lives with
 * its subject: alerts_activity.c (slow queries), alerts_pool_cache.c
 * (pool, cache hit, replica lag), alerts_storage.c (views, partitions,
 * indexes). */
typedef int (*alert_rule)(const struct app *app, struct alert *out, int max);
int alert_slow_queries(const struct app *app, struct alert *out, int max);
int alert_pool(const struct app *app, struct alert *out, int max);
int alert_cache_hit(const struct app *app, struct alert *out, int max);
int alert_replica_lag(const struct app *app, struct alert *out, int max);
int alert_stale_views(const struct app *app, struct alert *out, int max);
int alert_partitions(const struct app *app, struct alert *out, int max);
int alert_invalid_indexes(const struct app *app, struct alert *out, int max);
int alert_disk_full(const struct app *app, struct alert *out, int max);      /* alerts_host.c */
/* Perfdata producers, likewise. */
typedef int (*perf_rule)(const struct app *app, struct perfdata *out, int max);
int perf_activity(const struct app *app, struct perfdata *out, int max);
int perf_pool_cache(const struct app *app, struct perfdata *out, int max);
int perf_storage(const struct app *app, struct perfdata *out, int max);
int perf_host(const struct app *app, struct perfdata *out, int max);

/* Fill an alert (printf-style text). */
void alert_set(struct alert *a, enum alert_level level, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Evaluate every rule; returns the number of alerts written (at most
 * max).  Rules whose data is missing are skipped, not raised. */
int alerts_evaluate(const struct app *app, struct alert *out, int max);
/* The figures behind the rules, for performance data. */
int alerts_perfdata(const struct app *app, struct perfdata *out, int max);

#endif
