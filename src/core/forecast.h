#ifndef PGDECK_FORECAST_H
#define PGDECK_FORECAST_H

#include <stdbool.h>
#include <stddef.h>

/* Capacity forecast: how fast a database or a partitioned table grows, and
 * when, at that rate, the filesystem that holds it is full.
 *
 * The rate is the slope of an ordinary least-squares line through the
 * size samples pgdeck has kept (time in seconds, size in bytes).  Samples
 * are kept per series ("database" pgdeck, "partitioned_table"
 * public.analytics_events) in memory and in a file under
 * $XDG_STATE_HOME/pgdeck/sizes/, one per server and database, so that a
 * forecast survives a restart and `check` run from cron builds a history
 * too.
 *
 * The file stays small: a series keeps at most FORECAST_KEEP samples, and
 * when it has more, every other sample of its older half goes (the recent
 * past at full resolution, the distant past thinner); samples older than
 * FORECAST_MAX_AGE go, and at most FORECAST_MAX_SERIES series are kept
 * (those seen longest ago go first).  So the file holds at most
 * FORECAST_KEEP * FORECAST_MAX_SERIES lines, and a database with ten
 * partitioned tables keeps about 150 kB.
 *
 * File format, one sample a line, tab-separated, with a comment header:
 *
 *   # pgdeck sizes v1
 *   1717243200.000<TAB>partitioned_table<TAB>public.analytics_events<TAB>123456789
 *
 * A tab, newline, carriage return or backslash in a name is written as
 * \t \n \r \\.  Lines that do not parse are skipped (and go at the next
 * rewrite). */

#define FORECAST_MIN_SAMPLES 3
#define FORECAST_KEEP        192
#define FORECAST_MAX_SERIES  512
#define FORECAST_MAX_AGE     (35 * 86400.0)

struct forecast_sample {
    double at;          /* seconds since the epoch */
    double bytes;
};

struct forecast {
    int    samples;
    double span;        /* seconds from the first sample to the last */
    double slope;       /* growth, bytes per second (negative: shrinking) */
    double latest;      /* bytes, the newest sample */
};

/* Fit a line through n samples (any order).  Returns 0, or -1 when there
 * are fewer than FORECAST_MIN_SAMPLES or they span no time. */
int    forecast_fit(const struct forecast_sample *s, int n, struct forecast *out);
/* Days until `free_bytes` are used at the fitted rate: NAN when the
 * series is not growing or free space is unknown. */
double forecast_days_to_full(const struct forecast *f, double free_bytes);

/* Sample histories, per series. */
struct forecast_series {
    char  *kind;
    char  *name;
    struct forecast_sample *samples;    /* oldest first */
    int    count, cap;
    int    unsaved;         /* the newest samples not yet in the file */
};

struct forecast_history {
    struct forecast_series *series;
    int    count, cap;
    bool   loaded;          /* the file was read (or found missing) */
    bool   rewrite;         /* the file holds lines that should go */
    int    dropped;         /* samples dropped since the file was written */
};

struct forecast_history *forecast_history_new(void);
void   forecast_history_free(struct forecast_history *h);
/* Add a sample; a sample no newer than the series' newest is ignored
 * (returns 0 then, 1 when added). */
int    forecast_history_add(struct forecast_history *h, const char *kind, const char *name,
                            double at, double bytes);
/* The series, or NULL. */
const struct forecast_series *forecast_history_find(const struct forecast_history *h,
                                                    const char *kind, const char *name);
/* Apply the bounds (FORECAST_KEEP, FORECAST_MAX_AGE before `now`,
 * FORECAST_MAX_SERIES); returns the number of samples dropped. */
int    forecast_history_thin(struct forecast_history *h, double now);

/* The file for a server and database: $XDG_STATE_HOME/pgdeck/sizes/KEY.tsv
 * (else ~/.local/state/...), with KEY made of [A-Za-z0-9._-] only.  NULL
 * with a message when there is no home.  Caller frees. */
char  *forecast_state_path(const char *key, char *err, size_t errlen);
/* Read the file's samples into h (a missing file is an empty history).
 * Returns 0, or -1 with a message. */
int    forecast_history_load(struct forecast_history *h, const char *path, char *err, size_t errlen);
/* Bring the file up to date with h: append the samples not yet written,
 * or rewrite it whole (a temporary file renamed over it) when samples
 * were dropped or it held bad lines.  Creates the directories (0700).
 * Returns 0, or -1 with a message (h keeps its unsaved samples). */
int    forecast_history_persist(struct forecast_history *h, const char *path,
                                char *err, size_t errlen);

#endif
