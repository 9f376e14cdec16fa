#ifndef PGDECK_ALERTS_H
#define PGDECK_ALERTS_H

#include <stddef.h>

struct app;

/* The alert engine.  The rules are the subjects' (the guide's thresholds:
 * slow query > 1000 ms, pool utilization > 90 %, cache hit rate < 70 %,
 * view older than 4 h, partition growth; plus invalid indexes, rows in a
 * default partition, no partition for next month, replica lag, a disk
 * filling up and the primary being down), all read from cfg->alerts.
 * They look at the latest snapshots only; the console shows them on the
 * alert line and `check` turns them into monitoring-plugin exit codes. */

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
 * many it wrote.  Rules are rows of their subject's alert table (subject.h:
 * src/subjects/<subject>.c), with the collectors each one reads, so that
 * an alert found in stale data says since when (as_of).  The engine
 * evaluates them in subjects[] order. */
#define ALERT_RULE_READS 2
struct alert_rule {
    int       (*find)(const struct app *app, struct alert *out, int max);
    const char *reads[ALERT_RULE_READS];   /* collector names, NULL-ended */
};

/* How bad a level is, for "the worst": CRITICAL 3, WARNING 2, UNKNOWN 1,
 * OK 0 (a rule that could not decide says less than one that found a
 * problem).  check, the agent's heartbeat and check --from agree on it. */
int alert_severity(enum alert_level level);

/* Fill one perfdata entry. */
void alert_perf(struct perfdata *p, const char *label, double value, const char *unit,
                double warn, double crit);

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
 * max), worst first, fresh before stale within a level, and within both
 * in subjects[] order.  Rules whose data is missing are skipped, not
 * raised; alerts from stale data carry as_of.  Free the texts with
 * alerts_free. */
int alerts_evaluate(const struct app *app, struct alert *out, int max);
/* The oldest stale data any rule reads (wall clock), 0 when all of it is
 * fresh: "no alerts" means less when it is old. */
double alerts_as_of(const struct app *app);
/* The figures behind the rules, for performance data: every subject's,
 * in subjects[] order. */
int alerts_perfdata(const struct app *app, struct perfdata *out, int max);

#endif
