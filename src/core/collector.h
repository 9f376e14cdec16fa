#ifndef PGDECK_COLLECTOR_H
#define PGDECK_COLLECTOR_H

#include <stdbool.h>

#include <uv.h>

#include "core/snapshot.h"
#include "net/server.h"

/* A collector reads one data source on its own cadence and publishes each
 * result as a new immutable snapshot.  Collectors are rows of their
 * subject's const table (src/subjects/<subject>.c, see subject.h): adding
 * one is adding a query file in sql/queries/ and a row.
 *
 * Cost rules: every query carries a statement_timeout (the connection's);
 * slow collectors have a longer cadence, and a collector whose run takes
 * more than a quarter of its cadence backs off (its cadence doubles, up to
 * eight times) until runs are cheap again. */

struct app;
struct collector;

struct collector_def {
    const char *name;           /* "activity"; also the JSON key */
    enum server_id source;      /* the server it reads: SERVER_PRIMARY, ... */
    const char *query;          /* embedded SQL file ("queries/activity.sql"),
                                   or the literal command for PgBouncer and
                                   Redis ("SHOW POOLS", "INFO") */
    /* Optional: the statement sent instead of `query` while a front end
     * asks for more (collector_more): the same rows with more in them
     * ("queries/activity.sql:every_lock": every session's locks, not only
     * those of sessions that wait or block).  A second statement, not a
     * parameter, so that each keeps its one plan. */
    const char *query_more;
    double      cadence;        /* seconds; 0 means the refresh interval */
    /* The catalog tier: its cadence is [display] catalog_interval (default
     * 30 s, PGDECK_CATALOG_INTERVAL), not `cadence`; `cadence_wanted` and
     * `wanted` apply as to any other.  Those collectors read
     * what changes seldom (indexes, partitions, views, the lock table when
     * no wait is seen) or what is shown as a rate over a long window (the
     * busiest tables), and what they read of the catalog is out of
     * shared_buffers again under a write load: at 10-15 s they were
     * 24-33 of pgdeck's backends' 120-148 ms of CPU a minute under pgbench
     * (issue 14, aim 2). */
    bool        catalog;
    int         min_version;    /* server_version_num needed, 0 for any */
    /* pgdeck's own pool sessions stay out of what it shows: the rows
     * whose pid is one of the pool's backends are dropped from the result
     * (by pgdeck, so that the statement has no parameter and its plan is
     * made once per connection). */
    bool        own_pids;
    /* Its statement runs in an implicit transaction of its own.  The
     * others of a tick share one (pgpool_send_shared: one transaction
     * start and end a tick, not one a statement, and one copy of every
     * session's status for those that read pg_stat_activity; issue 14).
     * Alone: a statement that locks user relations (a size read: held to
     * the end of a shared transaction, such a lock would keep DDL waiting
     * longer, or deadlock with it) or may run long.  A collector whose
     * last run failed also goes alone until it succeeds, so that a
     * statement that fails every tick does not abort the others'. */
    bool        alone;
    /* Redis INFO: the keys kept as columns, NULL-ended ("db*": every key
     * that starts so); NULL keeps them all.  INFO has about 150 keys: a
     * snapshot of those pgdeck reads is a tenth of the work to build,
     * compare, publish to viewers and read there. */
    const char *const *info_keys;
    /* Optional: derive columns (rates from deltas, flags) in `now` from the
     * previous snapshot; `now` is not yet published, so it may change. */
    void (*derive)(struct app *app, struct snapshot *now, const struct snapshot *prev);
    /* Optional: replace the standard "send query, copy result" run.  Must
     * end by calling collector_publish exactly once per run.  Returns 0 if
     * a run started, -1 if not (source down). */
    int  (*run)(struct collector *c);
    /* Optional: whether the data is needed now.  While it says no, the
     * collector keeps its (long) cadence; when it says yes, it runs at the
     * refresh interval. */
    bool (*wanted)(const struct app *app);
    /* The cadence while wanted (by `wanted` or by the front end, see
     * collector_want), in seconds; 0 means the refresh interval. */
    double      cadence_wanted;
    /* Frees `state` of a custom run (NULL: free()). */
    void (*free_state)(void *state);
    /* Optional: a snapshot received from an agent's stream (a viewer,
     * collector_receive) already holds what `derive` computed; this does
     * the derive's other work from those columns (the series behind a
     * sparkline), so a viewer shows what a console shows. */
    void (*received)(struct app *app, const struct snapshot *s);
};

struct collector {
    const struct collector_def *def;
    struct app       *app;
    struct snapshot  *current;      /* last published, owned (a ref); kept
                                       as it is when a run brings the same
                                       data (same pointer: nothing changed) */
    /* The last published snapshot that had data (a ref; it may be
     * `current`), and when it was published (monotonic): what the screen
     * keeps showing, marked stale, while the server is down. */
    struct snapshot  *last_good;
    double            good_at;
    /* The cadence the collector had when that snapshot came: a collector
     * that becomes wanted (its cadence shorter) does not make the data
     * it has stale before its next run can replace it. */
    double            good_cadence;
    bool              running;
    bool              waiting;      /* its run hook is waiting for another
                                       collector (collector_defer) */
    double            started;      /* monotonic */
    double            next_run;     /* monotonic */
    double            backoff;      /* cadence multiplier, 1..8 */
    double            last_elapsed; /* seconds, of the last run */
    double            max_elapsed;
    double            total_elapsed;
    unsigned long     runs;
    unsigned long     failures;
    bool              shown;        /* the front end shows its data now
                                       (collector_want) */
    int               more;         /* how many ask for query_more now
                                       (collector_more) */
    void             *state;        /* private to a custom run */
    /* Fed from an agent's stream (collector_receive), not run: the shown
     * data is current until `good_until` (monotonic; 0 when not fed), and
     * was published at `good_published` (wall clock, this machine's). */
    double            good_until;
    double            good_published;
    /* Received while paused: what the pane shows on resume (a ref), how
     * long it is current (monotonic) and when it was published (wall). */
    struct snapshot  *held;
    double            held_until, held_at;
    /* Counts the times `current` or `last_good` became another snapshot:
     * a front end that drew the data at one count need not draw it again
     * while the count stays (a run that brought the same data keeps the
     * snapshot, and the count). */
    unsigned long     changes;
};

/* The engine owns the collectors, their timer, the refresh interval and
 * the pause (struct app holds them; only collector.c changes them).
 *
 * A front end: app_init, collectors_init; collectors_start (the console)
 * or collectors_tick (the one-shot front ends, on their own timer); at the
 * end collectors_stop, app_close, collectors_free. */

/* Build app->collectors from every subject's rows, in subjects[] order
 * (the order --once lists them in); take the interval from the config;
 * and be told by app_changed when a server comes up. */
void collectors_init(struct app *app);
/* Free the collectors with their snapshots and state. */
void collectors_free(struct app *app);
/* Start the timer on the app's loop: every 100 ms until each collector
 * has published once, then every interval.  A viewer's collectors
 * (app->fed) are never run: no timer starts. */
void collectors_start(struct app *app);
/* Stop the timer for good: the app is closing. */
void collectors_stop(struct app *app);
/* Whether the collectors run again by themselves (collectors_start: the
 * console, an agent).  A figure that needs two samples (a CPU share) can
 * then show what it has at once and fill in at the next run; a one-shot
 * front end gets one answer, so it waits for the second sample. */
bool collectors_ticking(const struct app *app);
/* Whether the app is closing (collectors_stop, or no collectors at all):
 * nothing is refreshed then. */
bool collectors_closing(const struct app *app);
/* The refresh interval, clamped to COLLECTORS_MIN_INTERVAL ..
 * COLLECTORS_MAX_INTERVAL; the timer follows at once.  Returns the
 * interval set. */
#define COLLECTORS_MIN_INTERVAL 0.2
#define COLLECTORS_MAX_INTERVAL 60.0
double collectors_set_interval(struct app *app, double seconds);
/* Pause or resume the timer's runs; on resume every collector is due. */
void collectors_pause(struct app *app, bool paused);
/* The collectors of one tick publish one after another, a few ms apart:
 * what consumes their snapshots (the screen, the agent's publishing)
 * waits this long after the first for the others, so that one frame, or
 * one burst of XADDs, carries them all.  At 120x40 over 30 s that halved
 * the console's frames; an agent's viewers wake once a tick, not once a
 * collector. */
#define COLLECTORS_COALESCE_MS 60
/* Run every due collector now (used by the timer, and by --once). */
void collectors_tick(struct app *app);
/* Force every collector to run at the next tick (after a resume or an
 * action that changed what a pane shows). */
void collectors_refresh_all(struct app *app);
/* The front end shows (or stops showing) a collector's data: a
 * collector with a `wanted` hook counts as wanted while shown, and runs at
 * its cadence_wanted; one that was idle runs at once. */
void collector_want(struct app *app, const char *name, bool shown);
/* A front end asks for (`on`) or no longer needs the more detailed
 * statement of a collector (collector_def.query_more): --once and the agent
 * for as long as they run, the console while a session's details wait for
 * its locks.  Asks nest.  On, the collector runs now if it is idle; a run
 * already under way brings the plain rows, and the next one the detailed
 * ones. */
void collector_more(struct app *app, const char *name, bool on);
/* Whether the collector's runs send query_more now. */
bool collector_sends_more(const struct collector *c);
/* Run one collector now if it is not running. */
void collector_run_now(struct app *app, const char *name);
/* For a run hook whose collector waits for another one's first snapshot:
 * not run now, and run again as soon as any collector publishes its first
 * snapshot (or at the next tick), rather than a whole interval later: the
 * first complete frame and --once wait for the last collector (issue 14).
 * Returns 0 for the run hook. */
int  collector_defer(struct collector *c);
/* A collector by name, or NULL. */
struct collector *collector_find(const struct app *app, const char *name);
/* The latest snapshot of a collector by name (borrowed), or NULL. */
const struct snapshot *collectors_snapshot(const struct app *app, const char *name);
/* What the console shows of a collector (borrowed, see collector_shown):
 * the latest data, or the last data while its server is down. */
const struct snapshot *collectors_shown(const struct app *app, const char *name);
/* When that data is stale (older than two of the collector's cadences):
 * the wall-clock time it was taken; 0 when fresh, absent or unknown. */
double collectors_stale_as_of(const struct app *app, const char *name);
/* For a custom run: send `sql` with text parameters to the collector's
 * server; the result is published as a standard run's would be.  Sent as
 * a standard run's statement is: prepared once per session under the
 * collector's name, with the other monitoring statements of the turn
 * (issue 14: sent unnamed, index_health was parsed and planned at every
 * run).  Returns 0, or -1 when it could not be sent (nothing published). */
int  collector_send(struct collector *c, const char *sql, int nparams, const char *const *params);
/* Whether the collector's statement goes in the tick's shared transaction
 * now (collector_def.alone): a custom run that sends its own asks this. */
bool collector_shares_xact(const struct collector *c);
/* Publish a run's result (takes ownership of `s`), for custom runs. */
void collector_publish(struct collector *c, struct snapshot *s);
/* A snapshot from elsewhere (a viewer reads it from the agent's stream)
 * becomes the collector's current one as it is: no query, no derive, no
 * backoff, those were the agent's (the row's `received` hook does the
 * derive's other work).  `fresh_for`: seconds from now the data stays
 * current (the entry's keep-alive and cadence, less its age);
 * `published_at`: when the agent published it, on this machine's wall
 * clock.  Takes ownership of `s`.  While the app is paused it is held,
 * and shown on resume. */
void collector_receive(struct collector *c, struct snapshot *s, double fresh_for, double published_at);
/* Drop every collector's snapshots and the series (a viewer that turns to
 * another agent must not show the first one's data as the second's). */
void collectors_forget(struct app *app);
/* Seconds since the data a fed collector shows was published (wall clock
 * `now`), or -1 when it is not fed or has no data. */
double collector_fed_age(const struct collector *c, double now);
double collectors_fed_age(const struct app *app, const char *name);
/* Whether every collector has published at least once since start, and
 * none is running again now. */
bool collectors_all_done(const struct app *app);
/* The effective cadence of a collector in seconds. */
double collector_cadence(const struct collector *c);
/* The server a source names, as --once and the streams write it:
 * "primary", "replica", "pgbouncer", "redis". */
const char *collector_source_name(enum server_id source);

/* Stale data.  A front end that shows data over time (the console) shows
 * for a collector its latest snapshot when that has data, and otherwise the
 * last one that had, so a server that goes down leaves its last rows on
 * screen instead of a blank pane; data older than COLLECTOR_STALE_CADENCES
 * of its collector's cadences is stale and is marked so ("as of 14:03:27"),
 * whether the server is down, stopped answering, or the console is
 * paused. */
#define COLLECTOR_STALE_CADENCES 2
/* The snapshot to show (borrowed): `current` if it has data, else
 * `last_good` if there was any, else `current` (its error) or NULL. */
const struct snapshot *collector_shown(const struct collector *c);
/* When the shown data is stale at monotonic time `now`: the wall-clock
 * time it was taken; 0 when it is fresh or there is no data.  Fed data is
 * stale once its `good_until` has passed. */
double collector_stale_as_of(const struct collector *c, double now);
/* Whether the collector's server is up (configured and connected): data
 * from a server that is down is the last known, however young. */
bool collector_source_up(const struct collector *c);

#endif
