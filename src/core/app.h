#ifndef PGDECK_APP_H
#define PGDECK_APP_H

#include <stdbool.h>

#include <uv.h>

#include "core/config.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "net/redisconn.h"
#include "net/server.h"

struct collector;
struct stream_feed;
struct action_forwarder;

/* The core's state, shared by every front end (console, --once, check,
 * run).  The core never includes curses: the screen learns about changes
 * through `on_change`, which marks panes dirty; it draws snapshots and
 * never queries a server itself. */

/* What changed, for on_change. */
enum {
    APP_CHANGED_SNAPSHOT = 1 << 0,  /* a collector published */
    APP_CHANGED_SERVERS  = 1 << 1,  /* a server's state changed */
    APP_CHANGED_ACTION   = 1 << 2,  /* an action progressed or ended */
    APP_CHANGED_MESSAGE  = 1 << 3,  /* the status message changed */
    /* Snapshots came from an agent's stream (a viewer): the entries of one
     * read arrive together, so nothing waits for more; draw now. */
    APP_CHANGED_RECEIVED = 1 << 4,
    /* A viewer switched what it shows: the fleet, or another agent (the
     * console lays its panes out again). */
    APP_CHANGED_VIEW     = 1 << 5,
};

/* A short history of one figure, for sparklines and forecasts. */
#define SERIES_LEN 120
struct series {
    char   name[32];
    double values[SERIES_LEN];
    int    count;                   /* values held, up to SERIES_LEN */
    int    head;                    /* index of the next write */
};
#define APP_MAX_SERIES 16

struct app {
    uv_loop_t        *loop;
    struct config    *cfg;

    /* The servers, by enum server_id (primary, replica, pgbouncer, redis:
     * the order they are listed in); one not configured holds no
     * connection.  Their state, version, error and retry come from
     * net/server.h. */
    struct server     servers[SERVER_COUNT];
    /* The pools of servers[SERVER_PRIMARY] and [SERVER_REPLICA], for the
     * code that sends queries to them; NULL when not configured. */
    struct pgpool    *primary;
    struct pgpool    *replica;
    char             *primary_display;   /* conninfo without password */

    /* The collector engine's (collector.h).  Its collectors, in subjects[]
     * order, and the refresh interval and pause: read them anywhere,
     * change them through collectors_set_interval and collectors_pause. */
    struct collector *collectors;        /* ncollectors of them (collectors_init) */
    int               ncollectors;
    unsigned          collectors_generation; /* new at each collectors_init: work queued
                                              * for older collectors finds none */
    double            interval;          /* seconds, 0.2 .. 60 */
    bool              paused;
    /* The engine's own; nothing else touches them. */
    uv_timer_t        tick;
    bool              ticking;           /* tick is initialized (collectors_start) */
    bool              stopping;          /* collectors_stop was called */
    bool              warmed_up;         /* every collector published once */
    unsigned          sources_up;        /* bit per collector_source, as last seen up */
    /* The collectors are fed from an agent's streams (a viewer: --from):
     * the engine runs none of them; collector_receive makes what comes
     * their snapshots. */
    bool              fed;
    /* Told when a server's state changed, before on_change: the collector
     * engine runs a server's collectors as soon as it comes up
     * (collectors_init sets it). */
    void            (*on_servers)(struct app *app);

    struct series     series[APP_MAX_SERIES];
    int               nseries;

    char             *message;           /* status-line message, or NULL */
    bool              message_is_error;
    char            **notices;           /* said once already (app_notice_once) */
    int               nnotices;

    void            (*on_change)(void *ui, unsigned what);
    void             *ui;

    struct journal   *journal;           /* NULL until actions exist */
    struct actions   *actions;           /* running actions, or NULL */
    /* A viewer has no database: its actions go to the agent (action.h). */
    const struct action_forwarder *forwarder;

    /* A viewer's feed (core/stream_feed.h), or NULL: what the console asks
     * about the agent and the fleet. */
    struct stream_feed *feed;
    /* Called first by app_close: a front end's own connections (the
     * viewer's feed) close with the app's. */
    void            (*on_close)(struct app *app);
};

/* Open the configured connections and start nothing else.  Returns 0.
 * The collectors are the engine's: collectors_init after this.  A viewer
 * (cfg->from) opens no connection at all: it has no database, and its
 * servers are what the agent says of its own (server_set_remote). */
int  app_init(struct app *app, uv_loop_t *loop, struct config *cfg);
/* Close every connection; the loop must run once more to free them.  A
 * front end stops the collectors first (collectors_stop) and frees them
 * after (collectors_free): what is still in flight is answered "closed"
 * in between. */
void app_close(struct app *app);
void app_changed(struct app *app, unsigned what);
/* Set the status-line message (copied); NULL clears. */
void app_message(struct app *app, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Say something once per run (the same text again says nothing): why
 * pgdeck ignores an object it would otherwise use, for example.  The
 * console shows it on the status line; the other front ends (no
 * on_change) write it to stderr, sanitized, as "pgdeck: TEXT". */
void app_notice_once(struct app *app, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A one-shot front end has stopped waiting: a server still on its first
 * connect counts as down from now on. */
void app_servers_given_up(struct app *app);
/* One of the servers (never NULL; it may not be configured). */
const struct server *app_server(const struct app *app, enum server_id id);
/* Append a value to a named series (created on first use). */
void app_series_push(struct app *app, const char *name, double value);
const struct series *app_series(const struct app *app, const char *name);
/* The i-th newest value of a series (0 = newest), or NAN. */
double series_at(const struct series *s, int i);

#endif
