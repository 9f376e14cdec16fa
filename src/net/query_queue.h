#ifndef PGDECK_QUERY_QUEUE_H
#define PGDECK_QUERY_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

/* One PostgreSQL query on its way, and the queue it waits in.
 *
 * A query is made once (query_new copies the text and the parameters) and
 * then only moves: a pool (pgpool.c) queues it until one of its connections
 * is idle and hands that very query to the connection's own queue
 * (pgconn_submit), where it is sent, timed out, cancelled, answered or
 * failed with the connection.  Whichever way it ends, query_finish tells
 * its owner exactly once and frees it. */

/* A query's outcome.  Exactly one of `res` and `error` is set.  `res` is
 * owned by the connection and valid only during the callback (copy what
 * you keep); `error` is a one-line message: the server's, "timed out after
 * 5.0 s", or "connection lost: ...".  `elapsed` is the round trip in
 * seconds. */
typedef void (*pgconn_result_cb)(void *arg, const PGresult *res,
                                 const char *error, double elapsed);

struct query {
    struct query    *next;      /* in its queue */
    /* A monitoring query that runs again and again: prepared once per
     * session under a name made of this one and a hash of its text
     * ("pgdeck_activity_1f2e..."), then executed by name, several of them
     * in one libpq pipeline (pgconn.c).  NULL: sent as it is, alone, with
     * the unnamed statement (actions, one-off look-ups). */
    char            *stmt;
    bool             preparing; /* pgconn's: a Prepare went out before it */
    /* A monitoring statement that may share an implicit transaction: in a
     * pipeline it shares one Sync with the statements next to it that may
     * too, so the server starts and ends one transaction for all of them,
     * and copies every session's status (pg_stat_activity) once, not once
     * a statement (issue 14).  An error in the group aborts the rest of
     * it: those are sent again, each alone (pgconn.c). */
    bool             share_xact;
    bool             sync_after; /* pgconn's: a Sync went out after it */
    /* pgconn's: the hash of `sql` in the statement's name, 0 until first
     * needed.  Hashing a catalog query's text for every idle session at
     * every dispatch was 10% of the console's instructions (issue 14). */
    uint64_t         sql_hash;
    uint64_t         name_hash; /* pgconn's: of its statement name, the same way */
    int              memo;      /* pgpool's: its statement's memo + 1, 0: none */
    char            *sql;
    /* `sql` is a text compiled into the binary (embedded.h), not a copy:
     * not freed.  Such a text never changes and never moves, so the pool
     * knows the statement by its address (pgpool.c). */
    bool             sql_static;
    int              nparams;
    char           **params;    /* text parameters, nparams of them */
    double           timeout;   /* seconds; <= 0: the connection's default */
    pgconn_result_cb cb;
    void            *arg;
};

/* First in, first out.  A zeroed struct is an empty queue. */
struct query_queue {
    struct query *head, *tail;
    int           length;
};

/* A query with copies of `sql` and `params`; owned by the caller until it
 * is queued. */
struct query *query_new(const char *sql, int nparams, const char *const *params,
                        double timeout, pgconn_result_cb cb, void *arg);
/* The same, to be prepared as statement `stmt` (see struct query). */
struct query *query_new_prepared(const char *stmt, const char *sql, int nparams, const char *const *params,
                                 double timeout, pgconn_result_cb cb, void *arg);
/* The same for a text that lives as long as the program (an embedded
 * SQL file): `sql` is kept as it is, not copied. */
struct query *query_new_static(const char *stmt, const char *sql, int nparams, const char *const *params,
                               double timeout, pgconn_result_cb cb, void *arg);
/* Tell the query's owner how it ended (one of res and error) and free it. */
void query_finish(struct query *q, const PGresult *res, const char *error, double elapsed);

void query_queue_push(struct query_queue *queue, struct query *q);
/* The first query, taken off the queue (the caller owns it), or NULL. */
struct query *query_queue_pop(struct query_queue *queue);
/* Finish every query in the queue with `why` (copied first: it may belong
 * to something a callback frees). */
void query_queue_fail_all(struct query_queue *queue, const char *why, double elapsed);

#endif
