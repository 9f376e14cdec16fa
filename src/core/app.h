#ifndef PGDECK_APP_H
#define PGDECK_APP_H

#include <stdbool.h>

#include <uv.h>

#include "core/collector.h"
#include "core/config.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "net/redisconn.h"
#include "net/server.h"

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

    struct collector *collectors;        /* collector_count of them */
    uv_timer_t        tick;
    double            interval;          /* seconds, changed by + and - */
    bool              paused;
    bool              warmed_up;         /* every collector published once */

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
};

/* Open the configured connections and start nothing else.  Returns 0. */
int  app_init(struct app *app, uv_loop_t *loop, struct config *cfg);
/* Close every connection; the loop must run once more to free them. */
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
/* The latest snapshot of a collector by name (borrowed), or NULL. */
const struct snapshot *app_snapshot(const struct app *app, const char *collector);
/* What the console shows of a collector (borrowed, see collector_shown):
 * the latest data, or the last data while its server is down. */
const struct snapshot *app_shown(const struct app *app, const char *collector);
/* When that data is stale (older than two of the collector's cadences):
 * the wall-clock time it was taken; 0 when fresh, absent or unknown. */
double app_stale_as_of(const struct app *app, const char *collector);
/* A one-shot front end has stopped waiting: a server still on its first
 * connect counts as down from now on. */
void app_servers_given_up(struct app *app);
/* One of the servers (never NULL; it may not be configured). */
const struct server *app_server(const struct app *app, enum server_id id);
const struct collector *app_collector(const struct app *app, const char *name);
/* Append a value to a named series (created on first use). */
void app_series_push(struct app *app, const char *name, double value);
const struct series *app_series(const struct app *app, const char *name);
/* The i-th newest value of a series (0 = newest), or NAN. */
double series_at(const struct series *s, int i);

#endif
