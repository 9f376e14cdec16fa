#ifndef PGDECK_SERVER_H
#define PGDECK_SERVER_H

#include <stdbool.h>

#include <uv.h>

#include "net/conninfo.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "net/redisconn.h"

/* "A server": the four that pgdeck talks to, behind one interface, so that
 * whatever shows or judges a server's state (the status line, --once and
 * check, the collectors, the alerts) asks one question of each instead of
 * one per kind of client.  A server is configured when it holds a
 * connection (a pool for the primary and the replica, one connection to
 * PgBouncer's console, one to Redis); one that is not configured answers
 * every question with "nothing" and keeps its name. */

/* The servers in the order they are listed (the status line, the --once
 * `servers` list); also what a collector names as its source. */
enum server_id {
    SERVER_PRIMARY,
    SERVER_REPLICA,
    SERVER_PGBOUNCER,
    SERVER_REDIS,
    SERVER_COUNT
};

enum server_kind {
    SERVER_NONE,            /* not configured */
    SERVER_POOL,            /* a PostgreSQL pool (pgpool) */
    SERVER_CONN,            /* one PostgreSQL connection (pgconn) */
    SERVER_REDIS_CONN,      /* a Redis connection (redisconn) */
    SERVER_REMOTE,          /* no connection: as an agent reports it (a
                               viewer of its streams, server_set_remote) */
};

/* What an agent says of one of its servers. */
struct server_remote {
    enum pgconn_state state;
    char *version;                  /* owned, or NULL */
    char *error;                    /* owned, or NULL */
    bool  standby;
};

struct server;
/* Called whenever the server's connection reports a change (state, and a
 * pool's open connections, or Redis's version once it is known). */
typedef void (*server_state_cb)(void *arg, struct server *s);

struct server {
    enum server_id    id;
    const char       *name;         /* "primary", "replica", "pgbouncer", "redis" */
    enum server_kind  kind;
    union {
        struct pgpool    *pool;
        struct pgconn    *conn;
        struct redisconn *redis;
        struct server_remote *remote;
    } u;                            /* owned; the member `kind` says */
    /* Wall clock when the server was found down (its connect failed or its
     * connection dropped), kept through the reconnect attempts until it is
     * up again; 0 while it is up or still on its first connect. */
    double            down_since;
    server_state_cb   cb;
    void             *arg;
};

/* A server that is not configured (yet). */
void server_init(struct server *s, enum server_id id);
/* Open the server's connection; the callback hears of its changes (also
 * from inside the call, for a connect that fails at once).  The options
 * and targets are copied. */
void server_open_pool(struct server *s, uv_loop_t *loop, const struct conninfo *ci,
                      const struct pgpool_options *opts, server_state_cb cb, void *arg);
void server_open_conn(struct server *s, uv_loop_t *loop, const struct conninfo *ci,
                      const struct pgconn_options *opts, server_state_cb cb, void *arg);
void server_open_redis(struct server *s, uv_loop_t *loop, const struct redis_target *target,
                       double connect_timeout, double command_timeout,
                       server_state_cb cb, void *arg);
/* A server known only from what an agent reports (a viewer has no
 * connection of its own): its state, version, recovery and error as the
 * agent said them (copied; untrusted text, sanitized where shown), and
 * since when it is down (wall clock, 0 when unknown or up).  Returns
 * whether any of it changed. */
bool server_set_remote(struct server *s, enum pgconn_state state, const char *version, bool standby,
                       const char *error, double down_since);
/* Close the connection (the loop must run once more to free it); the
 * server is then not configured. */
void server_close(struct server *s);

const char *server_name(const struct server *s);
bool server_configured(const struct server *s);
/* PGCONN_CONNECTING, _UP or _DOWN; PGCONN_CLOSED when not configured. */
enum pgconn_state server_state(const struct server *s);
/* "15.20", "1.18.0" or "7.0.15" while up (NULL when unknown). */
const char *server_version(const struct server *s);
/* Connected to a PostgreSQL server in recovery. */
bool server_standby(const struct server *s);
/* Why it is not up, in its client's words: the full message, or NULL. */
const char *server_error(const struct server *s);
/* The reason in that message, for a line that already names the server
 * (pgconn_error_reason): "Connection refused"; "?" when there is none. */
const char *server_error_reason(const struct server *s);
/* Seconds until the next connect attempt while down, else 0. */
double server_retry_in(const struct server *s);
/* See down_since. */
double server_down_since(const struct server *s);
/* A one-shot front end has stopped waiting: a server still on its first
 * connect counts as down from now on. */
void server_given_up(struct server *s);

/* The connection, for the code that sends to it; NULL when the server is
 * not of that kind (or not configured). */
struct pgpool    *server_pool(const struct server *s);
struct pgconn    *server_conn(const struct server *s);
struct redisconn *server_redis(const struct server *s);

#endif
