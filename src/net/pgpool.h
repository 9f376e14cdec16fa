#ifndef PGDECK_PGPOOL_H
#define PGDECK_PGPOOL_H

#include <stdbool.h>

#include "net/pgconn.h"

/* A pool of asynchronous connections to one server, following the guide's
 * pooling rules: `min` connections are kept open (and reconnected with
 * backoff when they drop), more are opened on demand up to `max` while
 * queries wait, and those extra ones are closed after `idle_timeout`.  A
 * query waits in the pool's queue (query_queue.h) until a connection is
 * idle, and then moves, as it is, to that connection's queue: from there
 * the connection sends it, times it out, cancels it or fails it with
 * itself, and tells its owner.
 *
 * An action reserves a connection of its own (pgpool_reserve) so that a
 * long CREATE INDEX never holds up monitoring queries. */

struct pgpool;

struct pgpool_options {
    const char *label;          /* "primary", "replica" */
    int    min, max;
    double idle_timeout;        /* seconds */
    double connect_timeout;     /* seconds */
    double query_timeout;       /* seconds, default per query */
    const char *setup_sql;      /* each connection's session setup
                                   (pgconn_options.setup_sql); copied */
};

/* Called whenever the pool's state may have changed. */
typedef void (*pgpool_state_cb)(void *arg, struct pgpool *pool);
/* A reserved connection, or NULL with a reason when none can be had. */
typedef void (*pgpool_reserve_cb)(void *arg, struct pgconn *conn, const char *error);

struct pgpool *pgpool_new(uv_loop_t *loop, const struct conninfo *ci,
                          const struct pgpool_options *opts,
                          pgpool_state_cb cb, void *arg);
void pgpool_free(struct pgpool *pool);

/* Queue a query on the pool.  Returns 0, or -1 when no connection is up
 * (pgpool_error says why); the callback is then not called. */
int  pgpool_send(struct pgpool *pool, const char *sql, int nparams,
                 const char *const *params, double timeout,
                 pgconn_result_cb cb, void *arg);

/* The same for a monitoring query that runs again and again: prepared
 * once per session as statement `stmt` (a collector's name), and sent with
 * the other queries queued in the same loop turn as one pipeline on one
 * connection (query_queue.h). */
int  pgpool_send_prepared(struct pgpool *pool, const char *stmt, const char *sql, int nparams,
                          const char *const *params, double timeout,
                          pgconn_result_cb cb, void *arg);

/* The same for a monitoring statement that may share an implicit
 * transaction (query.share_xact): the tick's statements sent so go out on
 * one session with one Sync, so the server starts and ends one transaction
 * a tick rather than one a statement, and copies every session's status
 * (pg_stat_activity) once (issue 14).  For read-only statements that take
 * no lock on a user relation and run in a few ms; a failed one still fails
 * alone (pgconn.c). */
int  pgpool_send_shared(struct pgpool *pool, const char *stmt, const char *sql, int nparams,
                        const char *const *params, pgconn_result_cb cb, void *arg);

/* Reserve a connection for a sequence of statements (SET lock_timeout,
 * then the DDL).  The callback runs once one is up and idle; it is never
 * called from inside pgpool_reserve itself.  Give it back with
 * pgpool_release. */
void pgpool_reserve(struct pgpool *pool, pgpool_reserve_cb cb, void *arg);
void pgpool_release(struct pgpool *pool, struct pgconn *conn);

/* The pool's state: up when any connection is up, connecting when one is
 * connecting and none is up, down otherwise. */
enum pgconn_state pgpool_state(const struct pgpool *pool);
const char *pgpool_label(const struct pgpool *pool);
const char *pgpool_error(const struct pgpool *pool);
double pgpool_retry_in(const struct pgpool *pool);
const char *pgpool_server_version_text(const struct pgpool *pool);
int  pgpool_server_version(const struct pgpool *pool);
bool pgpool_in_recovery(const struct pgpool *pool);

struct pgpool_stats {
    int open;                   /* connections open (up) */
    int connecting;
    int busy;                   /* running a query or reserved */
    int reserved;
    int waiting;                /* queries queued in the pool */
    int min, max;
    unsigned long connects;     /* sessions opened since start */
    unsigned long queries;
    unsigned long pipelines;    /* of monitoring queries, one round trip each */
};
void pgpool_stats(const struct pgpool *pool, struct pgpool_stats *out);
/* The backend pids of the pool's connections (for hiding pgdeck's own
 * sessions); returns how many were written. */
int  pgpool_backend_pids(const struct pgpool *pool, int *pids, int max);

#endif
