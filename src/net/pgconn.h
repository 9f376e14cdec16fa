#ifndef PGDECK_PGCONN_H
#define PGDECK_PGCONN_H

#include <stdbool.h>

#include <libpq-fe.h>
#include <uv.h>

#include "net/conninfo.h"
#include "net/query_queue.h"

/* One asynchronous PostgreSQL connection driven by the libuv loop.
 *
 * Nothing here blocks: host names are looked up first on libuv's thread
 * pool (resolve.h) and handed to libpq as hostaddr, the connection is
 * opened with PQconnectStartParams and PQconnectPoll on a uv_poll_t,
 * queries go out from a FIFO queue (query_queue.h, the type a pool's queue
 * has too): the monitoring queries, which carry a statement name, are
 * prepared once per session and sent several at a time as one libpq
 * pipeline (one write, one round trip, no planning of a known statement);
 * any other query goes alone with PQsendQueryParams.  Results are read
 * with PQconsumeInput/PQgetResult when the socket is readable.  A query
 * that outlives its timeout is cancelled (PQcancel blocks, so it runs on a
 * thread of its own); if the server does not answer even the cancel,
 * the connection is dropped and opened again.  A connection that fails or is
 * lost is retried with exponential backoff and jitter, capped at 30 s. */

enum pgconn_state {
    PGCONN_CONNECTING,      /* a connect attempt is under way */
    PGCONN_UP,              /* ready for queries */
    PGCONN_DOWN,            /* failed or lost; retry_at says when next */
    PGCONN_CLOSED,          /* pgconn_close was called */
};

struct pgconn;

/* Called on every state change (connecting, up, down).  A query's outcome
 * comes to its pgconn_result_cb (query_queue.h). */
typedef void (*pgconn_state_cb)(void *arg, struct pgconn *conn);

struct pgconn_options {
    const char *label;          /* "primary", "replica", "pgbouncer" */
    double connect_timeout;     /* seconds */
    double query_timeout;       /* seconds, when a query gives none */
    bool   reconnect;           /* retry by itself when down */
    bool   simple_protocol;     /* PgBouncer's console speaks only the
                                   simple query protocol */
    const char *setup_sql;      /* sent (simple protocol) right after each
                                   connect, before the connection counts as
                                   up; an error is a failed connect.  NULL:
                                   none.  Copied. */
    /* Optional: called (with the state callback's `arg`) after queries
     * queued on the connection have ended and been told, however they
     * ended: a pool hands the connection its next query. */
    void (*queries_ended)(void *arg, struct pgconn *conn);
};

/* The connection starts connecting at once.  The conninfo is copied. */
struct pgconn *pgconn_new(uv_loop_t *loop, const struct conninfo *ci,
                          const struct pgconn_options *opts,
                          pgconn_state_cb state_cb, void *arg);

/* Queue a query with text parameters.  Returns 0, or -1 when the
 * connection is not up (the callback will not be called).  timeout <= 0
 * means the connection's default. */
int  pgconn_send(struct pgconn *c, const char *sql, int nparams,
                 const char *const *params, double timeout,
                 pgconn_result_cb cb, void *arg);

/* The same for a query already made (query_new): it is queued as it is,
 * not copied.  Returns 0, or -1 when the connection is not up (the query
 * is then still the caller's). */
int  pgconn_submit(struct pgconn *c, struct query *q);

/* Move up to `max` queries from `from` to the connection's queue, then
 * send: the named ones at the head go out as one pipeline (query_queue.h).
 * Returns how many moved, or -1 when the connection is not up. */
int  pgconn_submit_from(struct pgconn *c, struct query_queue *from, int max);
/* How many of the first `max` queries from `q` on (named ones) this
 * session has already prepared: the pool sends a batch where most of it
 * is, so that a statement is planned in one session, not in each. */
int  pgconn_prepared_among(const struct pgconn *c, struct query *q, int max);
/* How many statements this session has prepared in all. */
int  pgconn_prepared_count(const struct pgconn *c);

/* Close: queued queries fail with "connection closed", memory is freed
 * once libuv has closed the handles. */
void pgconn_close(struct pgconn *c);

/* Drop the current connection (if any) and connect again now. */
void pgconn_reconnect(struct pgconn *c);

enum pgconn_state pgconn_state(const struct pgconn *c);
const char *pgconn_state_name(enum pgconn_state s);
const char *pgconn_label(const struct pgconn *c);
/* The first WARNING the server sent while the last query ran, or NULL;
 * valid during that query's result callback. */
const char *pgconn_warning(const struct pgconn *c);
/* Why the connection is down (server's message), or NULL. */
const char *pgconn_error(const struct pgconn *c);
/* The reason in such a message, for a line that already names the server:
 * 'connection to server at "10.0.0.5", port 5432 failed: Connection
 * refused' gives "Connection refused" (a pointer into `error`); "?" for
 * NULL. */
const char *pgconn_error_reason(const char *error);
/* Seconds until the next connect attempt while down, else 0. */
double pgconn_retry_in(const struct pgconn *c);
/* server_version_num when up, else 0; and the "15.20" form. */
int  pgconn_server_version(const struct pgconn *c);
const char *pgconn_server_version_text(const struct pgconn *c);
/* Queries queued or running. */
int  pgconn_pending(const struct pgconn *c);
bool pgconn_busy(const struct pgconn *c);
/* Seconds the connection has been idle (no query), 0 while busy. */
double pgconn_idle_for(const struct pgconn *c);
/* Counters since start. */
unsigned long pgconn_connects(const struct pgconn *c);
unsigned long pgconn_queries(const struct pgconn *c);
/* Pipelines sent (each one round trip for its queries). */
unsigned long pgconn_pipelines(const struct pgconn *c);
/* The backend pid of the connection when up, else 0. */
int  pgconn_backend_pid(const struct pgconn *c);
/* True when connected to a standby (pg_is_in_recovery at connect). */
bool pgconn_in_recovery(const struct pgconn *c);
void pgconn_set_user_data(struct pgconn *c, void *data);
void *pgconn_user_data(const struct pgconn *c);

/* Column index by name, -1 if absent; value or NULL for SQL NULL / no such
 * column.  Results are always read by column name. */
int         pgres_column(const PGresult *res, const char *name);
const char *pgres_get(const PGresult *res, int row, const char *name);

#endif
