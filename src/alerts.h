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

/* Evaluate every rule; returns the number of alerts written (at most
 * max).  Rules whose data is missing are skipped, not raised. */
int alerts_evaluate(const struct app *app, struct alert *out, int max);
/* The figures behind the rules, for performance data. */
int alerts_perfdata(const struct app *app, struct perfdata *out, int max);

#endif
