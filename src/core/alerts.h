#ifndef PGDECK_ALERTS_H
#define PGDECK_ALERTS_H

#include <stddef.h>

struct app;

/* The alert rules: the guide's thresholds (slow query > 1000 ms, pool
 * utilization > 90 %, cache hit rate < 70 %, view older than 4 h, partition
 * growth) plus invalid indexes, rows in a default partition, no partition
 * for next month and replica lag, all read from cfg->alerts, and the
 * primary being down.  They look at the latest snapshots only; the console
 * shows them on the alert line and `check` turns them into monitoring-plugin
 * exit codes. */

enum alert_level { ALERT_OK = 0, ALERT_WARNING = 1, ALERT_CRITICAL = 2, ALERT_UNKNOWN = 3 };

struct alert {
    enum alert_level level;
    char   name[32];        /* stable key: "slow_query", "pool", ... */
    /* "slow query: pid 4242 running 12.3 s > 1000 ms": whole, however
     * long the names in it (malloc'd, alerts_free); a front end cuts it
     * where it draws it. */
    char  *text;
    /* The data the rule read was stale (older than two of its collector's
     * cadences: the console paused, a server that stopped answering):
     * the wall-clock time it was taken, for "as of 14:03:27".  0 when
     * fresh, as it always is for --once and check. */
    double as_of;
};

/* Performance data for `check` ("pool_used=63%;90;95"). */
struct perfdata {
    char   label[48];
    double value;
    char   unit[4];
    double warn, crit;      /* NAN when none */
};

/* A rule appends the alerts it finds to out (at most max) and returns how
 * many it wrote.  Rules are rows of the table in alerts.c, with the
 * collectors each one reads; each lives with its subject:
 * alerts_activity.c (slow queries), alerts_pool_cache.c (the primary down,
 * pool, cache hit, replicas), alerts_storage.c (views, partitions,
 * indexes). */
typedef int (*alert_rule)(const struct app *app, struct alert *out, int max);
int alert_primary_down(const struct app *app, struct alert *out, int max);
int alert_slow_queries(const struct app *app, struct alert *out, int max);
int alert_pool(const struct app *app, struct alert *out, int max);
int alert_cache_hit(const struct app *app, struct alert *out, int max);
int alert_redis_hit(const struct app *app, struct alert *out, int max);
int alert_replica_lag(const struct app *app, struct alert *out, int max);
int alert_replica(const struct app *app, struct alert *out, int max);
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

/* Fill an alert (printf-style text); `a` is a slot not filled before. */
void alert_set(struct alert *a, enum alert_level level, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Free the texts of n alerts filled by rules or alerts_evaluate. */
void alerts_free(struct alert *a, int n);

/* "a, b (+3 more)": the first two of a list of names, and how many more,
 * so that one database with many tables cannot flood the alert line.
 * The names are kept whole. */
struct alert_names {
    char *text;             /* malloc'd, NULL while empty */
    int   count;
};
void alert_names_add(struct alert_names *n, const char *name);
/* The list as text (malloc'd); frees what `n` held. */
char *alert_names_take(struct alert_names *n);

/* Evaluate every rule; returns the number of alerts written (at most
 * max), worst first, fresh before stale within a level.  Rules whose data
 * is missing are skipped, not raised; alerts from stale data carry as_of. */
int alerts_evaluate(const struct app *app, struct alert *out, int max);
/* (Free the texts with alerts_free.) */
/* The oldest stale data any rule reads (wall clock), 0 when all of it is
 * fresh: "no alerts" means less when it is old. */
double alerts_as_of(const struct app *app);
/* The figures behind the rules, for performance data. */
int alerts_perfdata(const struct app *app, struct perfdata *out, int max);

#endif
