#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/backoff.h"
#include "net/pgconn.h"
#include "net/resolve.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* How long a cancelled query may go on before the connection is given up:
 * a server paused with SIGSTOP answers neither the query nor the cancel. */
#define CANCEL_GRACE 2.0

/* A PQcancel request runs on a detached thread of its own, which owns it
 * and frees it: it outlives the connection if it has to.  Not on libuv's
 * pool: PQcancel has no timeout, and against a server paused with SIGSTOP
 * it waits until the server resumes.  Stuck there, pool threads would
 * starve every other uv_queue_work, and libuv joins its pool at exit, so
 * pgdeck could not quit. */
struct cancel_work {
    PGcancel  *cancel;
};

/* At most this many queries go out in one pipeline. */
#define PIPELINE_MAX 32

/* Where the head of a pipeline is: its Prepare's answer, its own results,
 * then the Sync that ends it (each query has a Sync of its own, or one
 * with the queries of its group after it: see send_pipeline). */
enum pipeline_phase { PHASE_PREPARE, PHASE_EXEC, PHASE_SYNC };

/* Cancel threads still waiting for a server; past the limit a timed-out
 * query is given up without one. */
#define CANCELS_MAX 16
static _Atomic int cancels_running;

struct pgconn {
    uv_loop_t        *loop;
    struct conninfo   ci;
    struct pgconn_options opts;
    char             *label;
    char             *setup_sql;     /* owned copy of opts.setup_sql */
    pgconn_state_cb   state_cb;
    void             *arg;
    void             *user_data;

    enum pgconn_state state;
    PGconn           *pg;
    uv_poll_t        *poll;         /* recreated after every connect step */
    int               poll_events;
    uv_timer_t        connect_timer; /* connect timeout, and retry delay */
    struct resolve   *resolve;       /* host names being looked up, or NULL;
                                        outlives an attempt that timed out,
                                        so that retries never pile lookups
                                        up on a silent DNS server */
    char             *resolve_errors; /* names that found no address, told
                                         with libpq's reason if the rest fail */
    char            **resolved_pairs; /* address, name, address, name ... of
                                         this attempt, to name them in errors */
    int               nresolved;
    uv_timer_t        query_timer;   /* timeout of the running query */
    struct backoff    backoff;       /* and when the next attempt is due */
    char             *error;
    char              version_text[32];
    int               version;
    int               backend_pid;
    bool              in_recovery;
    bool              setting_up;    /* connected, setup_sql under way */
    char             *setup_error;   /* first error the setup drew */

    struct query_queue queue;       /* its head is running when `running` */
    bool              running;
    int               in_flight;    /* queries sent, from the queue's head */
    enum pipeline_phase phase;      /* of the head, in a pipeline */
    bool              pipeline;     /* libpq is in pipeline mode */
    uint64_t         *prepared;     /* hashes of the statement names this
                                       session has prepared */
    int               nprepared, cap_prepared;
    bool              no_prepare;   /* the server lost a statement we had
                                       prepared (a pooler in transaction
                                       mode): send them unnamed from now on */
    char             *query_sqlstate; /* SQLSTATE of query_error */
    PGresult         *result;       /* last result of the running query */
    char             *query_error;  /* first error of the running query */
    bool              query_aborted; /* it was not run: an earlier query
                                        of its group failed */
    char             *warning;      /* first WARNING the running query drew */
    double            started;
    double            idle_since;
    bool              cancelled;    /* timeout fired and cancel was sent */
    bool              flushing;

    unsigned long     connects;
    unsigned long     queries;
    unsigned long     pipelines;
    int               handles_open; /* uv handles still to close */
};

static void start_connect(struct pgconn *c);
static char *one_line(const char *msg);
static void poll_cb(uv_poll_t *handle, int status, int events);
static void go_down(struct pgconn *c, const char *why);

/* Down for what libpq says went wrong, after `prefix` ("connection lost: "). */
static void go_down_libpq(struct pgconn *c, const char *prefix)
{
    char *why = one_line(PQerrorMessage(c->pg));
    char *msg = xasprintf("%s%s", prefix, why);
    go_down(c, msg);
    free(msg);
    free(why);
}

static void set_state(struct pgconn *c, enum pgconn_state s)
{
    c->state = s;
    if (c->state_cb)
        c->state_cb(c->arg, c);
}

/* libpq messages end in a newline and sometimes carry a second line
 * ("Is the server running ..."): keep the first line, and mask passwords
 * in case one was quoted back. */
static char *one_line(const char *msg)
{
    if (!msg || !*msg)
        return xstrdup("unknown error");
    const char *s = msg;
    if (strncmp(s, "ERROR:  ", 8) == 0)
        s += 8;
    else if (strncmp(s, "FATAL:  ", 8) == 0)
        s += 8;
    /* libpq says where it tried before why it failed ('connection to
     * server on socket "/run/.s.PGSQL.5432" failed: FATAL:  sorry, too many
     * clients already').  When the server itself refused, its reason is
     * the news; where it was tried still matters when nobody answered. */
    if (strncmp(s, "connection to server ", 21) == 0) {
        const char *why = strstr(s, " failed: FATAL:  ");
        if (why)
            s = why + 17;
    }
    size_t n = strcspn(s, "\n");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    char *line = xstrndup(s, n);
    /* max_connections is reached: say it in the words people use. */
    bool full_up = strncmp(line, "sorry, too many clients", 23) == 0 ||
                   strncmp(line, "remaining connection slots are reserved", 39) == 0;
    char *full = xasprintf("%s%s", full_up ? "too many connections: " : "", line);
    free(line);
    char *masked = conninfo_mask(full);
    free(full);
    return masked;
}

/* What the last host name lookup found, kept for the attempt's messages. */
static void forget_resolved(struct pgconn *c)
{
    for (int i = 0; i < 2 * c->nresolved; i++)
        free(c->resolved_pairs[i]);
    free(c->resolved_pairs);
    c->resolved_pairs = NULL;
    c->nresolved = 0;
    free(c->resolve_errors);
    c->resolve_errors = NULL;
}

const char *pgconn_error_reason(const char *error)
{
    if (!error)
        return "?";
    const char *why = strncmp(error, "connection to server ", 21) == 0 ? strstr(error, " failed: ") : NULL;
    return why && why[9] ? why + 9 : error;
}

static void handle_closed(uv_handle_t *h)
{
    free(h);
}

static void stop_poll(struct pgconn *c)
{
    if (c->poll) {
        uv_close((uv_handle_t *)c->poll, handle_closed);
        c->poll = NULL;
        c->poll_events = 0;
    }
}

/* libpq may switch sockets during connect (next host, IPv6 then IPv4, SSL
 * retry) and the new socket often has the same number, so a fresh poll
 * handle is made after every step: libuv aborts on a closed fd still being
 * polled, and on two handles for one fd. */
static int watch(struct pgconn *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    stop_poll(c);
    c->poll = xmalloc(sizeof *c->poll);
    if (uv_poll_init(c->loop, c->poll, fd) != 0) {
        free(c->poll);
        c->poll = NULL;
        return -1;
    }
    c->poll->data = c;
    c->poll_events = events;
    uv_poll_start(c->poll, events, poll_cb);
    return 0;
}

static void rewatch(struct pgconn *c, int events)
{
    if (c->poll && c->poll_events != events) {
        c->poll_events = events;
        uv_poll_start(c->poll, events, poll_cb);
    }
}

/* libuv stops a poll handle that reports an error (PLATFORM.md, trap 1).
 * The error may come together with the server's last message (a backend
 * ended before it read the query sent to it: the kernel reports the reset
 * with the FATAL still to be read); libpq reads that message first and
 * finds the error only on its next read, so the handle has to watch on. */
static void watch_on(struct pgconn *c)
{
    if (c->poll)
        uv_poll_start(c->poll, c->poll_events, poll_cb);
}

/* The socket can take more of what libpq holds: send it, and stop asking
 * for writability once all is out.  -1 when that lost the connection. */
static int flush_more(struct pgconn *c)
{
    int flush = PQflush(c->pg);
    if (flush < 0) {
        go_down_libpq(c, "");
        return -1;
    }
    c->flushing = flush == 1;
    rewatch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0));
    return 0;
}

/* No query runs from here on: the timeout is off, and the round trip of
 * the one that ran is over. */
static double stop_running(struct pgconn *c)
{
    c->running = false;
    c->in_flight = 0;
    c->cancelled = false;
    uv_timer_stop(&c->query_timer);
    c->idle_since = now_monotonic();
    return c->idle_since - c->started;
}

/* The owner of the connection (a pool) hears that queries ended, after
 * their own callbacks: it may have more work for the connection. */
static void queries_ended(struct pgconn *c)
{
    if (c->opts.queries_ended)
        c->opts.queries_ended(c->arg, c);
}

/* Take the head query off the queue and tell its owner. */
static void finish_query(struct pgconn *c, const PGresult *res, const char *error)
{
    struct query *q = query_queue_pop(&c->queue);
    if (!q)
        return;
    double elapsed = stop_running(c);
    query_finish(q, res, error, elapsed);
    queries_ended(c);
}

static void fail_all(struct pgconn *c, const char *why)
{
    if (!c->queue.head)
        return;
    double elapsed = stop_running(c);
    query_queue_fail_all(&c->queue, why, elapsed);
    queries_ended(c);
}

static void clear_result(struct pgconn *c)
{
    if (c->result) {
        PQclear(c->result);
        c->result = NULL;
    }
    free(c->query_error);
    c->query_error = NULL;
    free(c->query_sqlstate);
    c->query_sqlstate = NULL;
    c->query_aborted = false;
}

/* Let go of the server's session: the socket's watch, a result being
 * read, libpq's connection.  The queries queued stay for the caller to
 * fail. */
static void drop_session(struct pgconn *c)
{
    stop_poll(c);
    clear_result(c);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->running = false;
    c->in_flight = 0;
    c->pipeline = false;
    c->nprepared = 0;       /* a new session has prepared nothing */
}

static void *cancel_thread(void *arg)
{
    struct cancel_work *w = arg;
    char buf[256];
    PQcancel(w->cancel, buf, sizeof buf);
    PQfreeCancel(w->cancel);
    free(w);
    cancels_running--;
    return NULL;
}

/* Send a cancel request without waiting for it.  0, or -1 when no thread
 * could be started (w is then still the caller's). */
static int cancel_start(struct cancel_work *w)
{
    if (cancels_running >= CANCELS_MAX)
        return -1;
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    cancels_running++;
    int rc = pthread_create(&thread, &attr, cancel_thread, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        cancels_running--;
        return -1;
    }
    return 0;
}

static void query_timeout_cb(uv_timer_t *t)
{
    struct pgconn *c = t->data;
    if (!c->running)
        return;
    if (!c->cancelled) {
        /* Ask the server to stop.  PQcancel blocks while it connects, so it
         * runs on a thread; its answer is the query's own error. */
        c->cancelled = true;
        PGcancel *cancel = PQgetCancel(c->pg);
        if (cancel) {
            struct cancel_work *w = xcalloc(1, sizeof *w);
            w->cancel = cancel;
            if (cancel_start(w) != 0) {
                PQfreeCancel(cancel);
                free(w);
            }
        }
        uv_timer_start(&c->query_timer, query_timeout_cb, (uint64_t)(CANCEL_GRACE * 1000), 0);
        return;
    }
    /* Not even the cancel was answered: the server is stuck or gone. */
    char *why = xasprintf("no answer from the server in %.1f s", now_monotonic() - c->started);
    go_down(c, why);
    free(why);
}

/* ---- prepared statements and pipelines ---------------------------------- */

static uint64_t fnv1a(const char *s, uint64_t h)
{
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

/* The statement's name in this session: its own name and a hash of its
 * text, so that a text that changes (the schema of pg_stat_statements
 * looked up again) is another statement, never the old plan. */
static void statement_name(struct query *q, char *buf, size_t len)
{
    if (!q->sql_hash)
        q->sql_hash = fnv1a(q->sql, 1469598103934665603ULL);
    snprintf(buf, len, "pgdeck_%.30s_%016llx", q->stmt, (unsigned long long)q->sql_hash);
}

/* The hash of the statement's name, kept in the query (and by the pool
 * for its next query: pgpool.c). */
static uint64_t statement_hash(struct query *q)
{
    if (!q->name_hash) {
        char name[80];
        statement_name(q, name, sizeof name);
        q->name_hash = fnv1a(name, 1469598103934665603ULL);
    }
    return q->name_hash;
}

static bool is_prepared_hash(const struct pgconn *c, uint64_t h)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == h)
            return true;
    return false;
}

static bool is_prepared(const struct pgconn *c, const char *name)
{
    return is_prepared_hash(c, fnv1a(name, 1469598103934665603ULL));
}

int pgconn_prepared_among(const struct pgconn *c, struct query *q, int max)
{
    int n = 0;
    for (int i = 0; q && i < max; q = q->next, i++)
        if (q->stmt && is_prepared_hash(c, statement_hash(q)))
            n++;
    return n;
}

int pgconn_prepared_count(const struct pgconn *c)
{
    return c->nprepared;
}

static void remember_prepared(struct pgconn *c, const char *name)
{
    if (is_prepared(c, name))
        return;
    if (c->nprepared == c->cap_prepared) {
        c->cap_prepared = c->cap_prepared ? 2 * c->cap_prepared : 32;
        c->prepared = xrealloc(c->prepared, (size_t)c->cap_prepared * sizeof *c->prepared);
    }
    c->prepared[c->nprepared++] = fnv1a(name, 1469598103934665603ULL);
}

/* The head query is the one the server is working on now: its time and
 * timeout start here. */
static void head_starts(struct pgconn *c)
{
    struct query *q = c->queue.head;
    c->started = now_monotonic();
    c->cancelled = false;
    c->phase = q && q->preparing ? PHASE_PREPARE : PHASE_EXEC;
    double timeout = q && q->timeout > 0 ? q->timeout : c->opts.query_timeout;
    if (q && timeout > 0)
        uv_timer_start(&c->query_timer, query_timeout_cb, (uint64_t)(timeout * 1000), 0);
    else
        uv_timer_stop(&c->query_timer);
}

/* Send the named queries at the head of the queue as one pipeline: each
 * is prepared first if this session has not prepared it yet, then
 * executed by name, and followed by a Sync of its own.  One write, one
 * round trip for a whole tick's queries, and no planning for a statement
 * the server has seen (72% of pgdeck's server time was planning the
 * unnamed statements).  A Sync per query, not one for the pipeline,
 * because an error aborts everything up to the next Sync: this way a
 * failed query fails only its own collector, and each query is its own
 * implicit transaction with its own statement_timeout, as it was when
 * they were sent one by one.
 *
 * Except for the queries that may share a transaction (query.share_xact)
 * next to each other: they share one Sync, so one implicit transaction
 * (one start and end instead of one a statement, and one copy of every
 * session's status for those that read pg_stat_activity).  Each still has
 * pgdeck's own timeout, started when it becomes the head (head_starts).
 * An error in such a group aborts the queries after it in the group;
 * those are sent again, each with a Sync of its own (pipeline_head_done),
 * so that each still gets its own result or its own error. */
static void send_pipeline(struct pgconn *c)
{
    if (!c->pipeline) {
        if (!PQenterPipelineMode(c->pg)) {
            go_down_libpq(c, "cannot start a pipeline: ");
            return;
        }
        c->pipeline = true;
    }
    int n = 0;
    for (struct query *q = c->queue.head; q && q->stmt && n < PIPELINE_MAX; q = q->next, n++) {
        char name[80];
        statement_name(q, name, sizeof name);
        q->preparing = !is_prepared_hash(c, statement_hash(q));
        q->sync_after = !(q->share_xact && q->next && q->next->stmt && q->next->share_xact &&
                          n + 1 < PIPELINE_MAX);
        if ((q->preparing && !PQsendPrepare(c->pg, name, q->sql, 0, NULL)) ||
            !PQsendQueryPrepared(c->pg, name, q->nparams, (const char *const *)q->params, NULL, NULL, 0) ||
            (q->sync_after && !PQpipelineSync(c->pg))) {
            /* Half a pipeline cannot be taken back: start the session
             * again (what was queued fails, and is asked again). */
            go_down_libpq(c, "");
            return;
        }
    }
    c->queries += (unsigned long)n;
    c->pipelines++;
    c->in_flight = n;
    c->running = true;
    head_starts(c);
    int flush = PQflush(c->pg);
    c->flushing = flush == 1;
    rewatch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0));
}

static void dispatch(struct pgconn *c)
{
    if (c->state != PGCONN_UP || c->running || !c->queue.head)
        return;
    struct query *q = c->queue.head;
    int ok;
    clear_result(c);
    free(c->warning);
    c->warning = NULL;
    if (q->stmt && !c->opts.simple_protocol && !c->no_prepare) {
        send_pipeline(c);
        return;
    }
    /* An unnamed query (an action's statement) goes alone, outside a
     * pipeline, exactly as before pipelines: CREATE INDEX CONCURRENTLY and
     * its kin refuse to run inside one. */
    if (c->pipeline) {
        if (PQexitPipelineMode(c->pg) != 1) {
            go_down_libpq(c, "cannot leave the pipeline: ");
            return;
        }
        c->pipeline = false;
    }
    if (c->opts.simple_protocol && q->nparams == 0)
        ok = PQsendQuery(c->pg, q->sql);
    else
        ok = PQsendQueryParams(c->pg, q->sql, q->nparams, NULL,
                               (const char *const *)q->params, NULL, NULL, 0);
    c->started = now_monotonic();
    c->queries++;
    if (!ok) {
        char *why = one_line(PQerrorMessage(c->pg));
        if (PQstatus(c->pg) == CONNECTION_BAD) {
            go_down(c, why);
        } else {
            finish_query(c, NULL, why);
            dispatch(c);
        }
        free(why);
        return;
    }
    c->running = true;
    c->in_flight = 1;
    q->preparing = false;
    head_starts(c);
    int flush = PQflush(c->pg);
    c->flushing = flush == 1;
    rewatch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0));
}

/* Keep the first error of the head query, with its SQLSTATE. */
static void keep_error(struct pgconn *c, const PGresult *r)
{
    if (c->query_error)
        return;
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    c->query_error = primary ? one_line(primary) : one_line(PQresultErrorMessage(r));
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    c->query_sqlstate = state ? xstrdup(state) : NULL;
}

/* The head query of a pipeline has its Sync (or its results, in a group
 * whose Sync comes after a later query): tell its owner, and make the
 * next one the head.  -1 when reading must stop (the pipeline is over, or
 * the owner closed or reset the connection). */
static int pipeline_head_done(struct pgconn *c)
{
    struct query *q = query_queue_pop(&c->queue);
    if (!q)
        return -1;
    double timeout = q->timeout > 0 ? q->timeout : c->opts.query_timeout;
    char *err = NULL;
    if (c->query_error && c->cancelled)
        err = xasprintf("timed out after %.1f s", timeout);
    else if (c->query_error)
        err = xstrdup(c->query_error);
    bool gone = c->query_sqlstate && strcmp(c->query_sqlstate, "26000") == 0 && !q->preparing;
    /* Already prepared in this server session (a pooler's session another
     * pgdeck client prepared it in): the EXECUTE after it was aborted with
     * the PREPARE; the name is remembered now, so ask again. */
    bool there = c->query_sqlstate && strcmp(c->query_sqlstate, "42P05") == 0 && q->preparing;
    /* Not run because a query before it in its group failed: its own
     * Sync next time, so that it gets its own answer. */
    bool again = c->query_aborted && q->share_xact;
    PGresult *res = c->result;
    c->result = NULL;
    double elapsed = now_monotonic() - c->started;
    clear_result(c);
    free(c->warning);
    c->warning = NULL;
    c->in_flight--;
    bool last = c->in_flight == 0;
    if (last) {
        c->running = false;
        uv_timer_stop(&c->query_timer);
        c->idle_since = now_monotonic();
    } else {
        head_starts(c);
    }
    if (gone) {
        /* The statement we prepared is not there: something between us
         * and the server (PgBouncer in transaction mode) hands our queries
         * to other sessions.  Ask again without a name, and never name one
         * on this connection again. */
        c->no_prepare = true;
        free(q->stmt);
        q->stmt = NULL;
        query_queue_push(&c->queue, q);
    } else if (there) {
        query_queue_push(&c->queue, q);
    } else if (again) {
        q->share_xact = false;
        query_queue_push(&c->queue, q);
    } else {
        query_finish(q, res, err ? err : (res ? NULL : "no result"), elapsed);
    }
    if (res)
        PQclear(res);
    free(err);
    if (c->state != PGCONN_UP)
        return -1;
    if (last) {
        queries_ended(c);
        dispatch(c);
        return -1;
    }
    return 0;
}

/* One result in a pipeline (NULL ends a statement's results).  -1 when
 * reading must stop. */
static int pipeline_result(struct pgconn *c, PGresult *r)
{
    if (!r) {
        if (c->phase == PHASE_PREPARE) {
            c->phase = PHASE_EXEC;
        } else if (c->phase == PHASE_EXEC) {
            /* In a group, a query before the last has no Sync of its
             * own: its results are all there is. */
            if (!c->queue.head || !c->queue.head->sync_after)
                return pipeline_head_done(c);
            c->phase = PHASE_SYNC;
        } else {
            return -1;
        }
        return 0;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        return pipeline_head_done(c);
    }
    if (st == PGRES_PIPELINE_ABORTED) {
        /* A Prepare or an Execute after a failure in its group (or the
         * Execute after its own failed Prepare, whose error is kept). */
        if (!c->query_error) {
            c->query_error = xstrdup("not run: the statement before it in its pipeline failed");
            c->query_aborted = true;
        }
        PQclear(r);
        return 0;
    }
    if (c->phase == PHASE_PREPARE) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (st == PGRES_COMMAND_OK || (state && strcmp(state, "42P05") == 0)) {
            /* Prepared (or already there: a pooler's server session that
             * an earlier pgdeck prepared it in). */
            char name[80];
            statement_name(c->queue.head, name, sizeof name);
            remember_prepared(c, name);
        }
        if (st != PGRES_COMMAND_OK)
            keep_error(c, r);
        PQclear(r);
        return 0;
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
        keep_error(c, r);
        PQclear(r);
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
        PQclear(r);
        go_down(c, "unexpected COPY from the server");
        return -1;
    } else {
        if (c->result)
            PQclear(c->result);
        c->result = r;
    }
    return 0;
}

/* Read whatever the server sent.  Called when the socket is readable. */
static void read_results(struct pgconn *c)
{
    if (!PQconsumeInput(c->pg)) {
        go_down_libpq(c, "connection lost: ");
        return;
    }
    /* Notices and notifications are not used; drain them. */
    PGnotify *n;
    while ((n = PQnotifies(c->pg)))
        PQfreemem(n);

    while (c->running && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (c->pipeline) {
            if (pipeline_result(c, r) != 0)
                return;
            continue;
        }
        if (!r) {
            /* The query is complete. */
            struct query *q = c->queue.head;
            double timeout = q && q->timeout > 0 ? q->timeout : c->opts.query_timeout;
            char *err = NULL;
            if (c->query_error && c->cancelled)
                err = xasprintf("timed out after %.1f s", timeout);
            else if (c->query_error)
                err = xstrdup(c->query_error);
            PGresult *res = c->result;
            c->result = NULL;
            free(c->query_error);
            c->query_error = NULL;
            finish_query(c, res, err ? err : (res ? NULL : "no result"));
            if (res)
                PQclear(res);
            free(err);
            dispatch(c);
            return;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
            if (!c->query_error) {
                const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
                c->query_error = primary ? one_line(primary) : one_line(PQresultErrorMessage(r));
            }
            PQclear(r);
        } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            /* pgdeck never sends COPY; refuse rather than hang. */
            PQclear(r);
            go_down(c, "unexpected COPY from the server");
            return;
        } else {
            if (c->result)
                PQclear(c->result);
            c->result = r;
        }
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        go_down_libpq(c, "");
}

/* Notices never go to stderr (under curses that would corrupt the
 * screen).  A query's first WARNING is kept for its result callback: an
 * ANALYZE of a table the role does not own only warns that it skipped it,
 * and succeeds. */
static void notice_keep(void *arg, const PGresult *res)
{
    struct pgconn *c = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!c->running || c->warning || !severity || strcmp(severity, "WARNING") != 0)
        return;
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    c->warning = one_line(primary ? primary : PQresultErrorMessage(res));
}

static void finish_up(struct pgconn *c)
{
    uv_timer_stop(&c->connect_timer);
    c->setting_up = false;
    c->nprepared = 0;
    c->pipeline = false;
    free(c->error);
    c->error = NULL;
    forget_resolved(c);
    backoff_reset(&c->backoff);
    c->connects++;
    c->idle_since = now_monotonic();
    watch(c, UV_READABLE);
    set_state(c, PGCONN_UP);
    dispatch(c);
}

/* The session setup's answers, while still "connecting": every statement
 * must succeed before the first query may go out, since the setup is what
 * makes those queries safe (the search_path they resolve names in). */
static void setup_step(struct pgconn *c, int events)
{
    if ((events & UV_WRITABLE) && c->flushing && flush_more(c) != 0)
        return;
    if (!(events & UV_READABLE))
        return;
    if (!PQconsumeInput(c->pg)) {
        go_down_libpq(c, "");
        return;
    }
    /* One result per statement, then NULL when all of them are done. */
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (c->setup_error) {
                char *why = xasprintf("cannot set up the session: %s", c->setup_error);
                go_down(c, why);
                free(why);
                return;
            }
            finish_up(c);
            return;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !c->setup_error) {
            const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            c->setup_error = one_line(primary ? primary : PQresultErrorMessage(r));
        }
        PQclear(r);
    }
}

static void became_up(struct pgconn *c)
{
    PQsetnonblocking(c->pg, 1);
    PQsetNoticeReceiver(c->pg, notice_keep, c);
    c->version = PQserverVersion(c->pg);
    const char *v = PQparameterStatus(c->pg, "server_version");
    snprintf(c->version_text, sizeof c->version_text, "%s", v ? v : "?");
    /* "15.20 (Debian 15.20-1)" is too long for a status line. */
    c->version_text[strcspn(c->version_text, " /")] = '\0';
    const char *hs = PQparameterStatus(c->pg, "in_hot_standby");
    c->in_recovery = hs && strcmp(hs, "on") == 0;
    c->backend_pid = PQbackendPID(c->pg);
    if (!c->setup_sql) {
        finish_up(c);
        return;
    }
    /* Still "connecting" for the pool and the screen: the connect timer
     * keeps running and covers the setup's round trip too. */
    c->setting_up = true;
    free(c->setup_error);
    c->setup_error = NULL;
    if (!PQsendQuery(c->pg, c->setup_sql)) {
        go_down_libpq(c, "");
        return;
    }
    int flush = PQflush(c->pg);
    c->flushing = flush == 1;
    if (watch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0)) != 0)
        go_down(c, "lost the socket while setting up the session");
}

static void retry_cb(uv_timer_t *t)
{
    struct pgconn *c = t->data;
    if (c->state == PGCONN_DOWN)
        start_connect(c);
}

static void schedule_retry(struct pgconn *c)
{
    if (!c->opts.reconnect)
        return;
    backoff_schedule(&c->backoff, &c->connect_timer, retry_cb);
}

static void go_down(struct pgconn *c, const char *why)
{
    if (c->state == PGCONN_CLOSED)
        return;
    char *msg = xstrdup(why);
    uv_timer_stop(&c->query_timer);
    uv_timer_stop(&c->connect_timer);
    drop_session(c);
    free(c->error);
    c->error = msg;
    forget_resolved(c);
    c->setting_up = false;
    c->backend_pid = 0;
    schedule_retry(c);
    set_state(c, PGCONN_DOWN);
    fail_all(c, c->error);
}

/* Given hostaddr, libpq names only the address ('connection to server at
 * "10.0.0.5", port 5432 failed'); with a name it looked up itself it says
 * 'at "db1" (10.0.0.5)'.  Say it the way libpq would have. */
static char *name_addresses(const struct pgconn *c, const char *msg)
{
    char *text = xstrdup(msg ? msg : "");
    for (int i = 0; i < c->nresolved; i++) {
        const char *addr = c->resolved_pairs[2 * i], *name = c->resolved_pairs[2 * i + 1];
        char *from = xasprintf("connection to server at \"%s\", port ", addr);
        char *hit = strstr(text, from);
        if (hit) {
            char *out = xasprintf("%.*sconnection to server at \"%s\" (%s), port %s", (int)(hit - text),
                                  text, name, addr, hit + strlen(from));
            free(text);
            text = out;
        }
        free(from);
    }
    return text;
}

/* A connect attempt failed: libpq's reason, and the names that did not
 * resolve, if some were left out of the attempt. */
static void connect_failed(struct pgconn *c, const char *libpq_message)
{
    char *named = name_addresses(c, libpq_message);
    char *why = one_line(named);
    free(named);
    if (c->resolve_errors) {
        char *both = xasprintf("%s; %s", why, c->resolve_errors);
        free(why);
        why = both;
    }
    go_down(c, why);
    free(why);
}

static void connect_step(struct pgconn *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    switch (st) {
    case PGRES_POLLING_OK:
        became_up(c);
        break;
    case PGRES_POLLING_READING:
        if (watch(c, UV_READABLE) != 0)
            connect_failed(c, "lost the socket while connecting");
        break;
    case PGRES_POLLING_WRITING:
        if (watch(c, UV_WRITABLE) != 0)
            connect_failed(c, "lost the socket while connecting");
        break;
    default:
        connect_failed(c, PQerrorMessage(c->pg));
        break;
    }
}

static void poll_cb(uv_poll_t *handle, int status, int events)
{
    struct pgconn *c = handle->data;
    if (c->state == PGCONN_CONNECTING && c->setting_up) {
        if (status < 0)
            events = UV_READABLE;   /* let libpq find out what happened */
        setup_step(c, events);
        if (status < 0 && c->state == PGCONN_CONNECTING && c->setting_up)
            watch_on(c);
        return;
    }
    if (c->state == PGCONN_CONNECTING) {
        /* A refused connect comes as UV_EBADF with the handle stopped;
         * PQconnectPoll still has to see it to try the next address. */
        connect_step(c);
        return;
    }
    if (c->state != PGCONN_UP)
        return;
    if (status < 0) {
        /* Let libpq find out what happened to the socket. */
        read_results(c);
        if (c->state == PGCONN_UP && PQstatus(c->pg) == CONNECTION_BAD)
            go_down(c, "connection lost");
        else if (c->state == PGCONN_UP)
            watch_on(c);
        return;
    }
    if ((events & UV_WRITABLE) && c->flushing && flush_more(c) != 0)
        return;
    if (events & UV_READABLE)
        read_results(c);
}

/* The connect timeout covers the host name lookup too: a lookup that takes
 * longer is a failed connect, retried like any other (the lookup itself
 * goes on, and the next attempt waits for it rather than start another). */
static void connect_timeout_cb(uv_timer_t *t)
{
    struct pgconn *c = t->data;
    if (c->state != PGCONN_CONNECTING)
        return;
    char *why;
    if (!c->pg && c->resolve) {
        char *reason = xasprintf("no answer in %.1f s", c->opts.connect_timeout);
        why = resolve_error_message(resolve_waiting_for(c->resolve), reason);
        free(reason);
    } else {
        why = xasprintf("timeout expired after %.1f s while connecting", c->opts.connect_timeout);
    }
    go_down(c, why);
    free(why);
}

/* libpq's part of a connect, with every host already an address. */
static void connect_to(struct pgconn *c, const struct conninfo *ci)
{
    const char **kw, **val;
    conninfo_arrays(ci, &kw, &val);
    c->pg = PQconnectStartParams(kw, val, 0);
    if (!c->pg) {
        go_down(c, "out of memory starting a connection");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        connect_failed(c, PQerrorMessage(c->pg));
        return;
    }
    /* The first step is always "write": the socket is connecting. */
    if (watch(c, UV_WRITABLE) != 0)
        connect_failed(c, PQerrorMessage(c->pg));
}

static void resolved(void *arg, const struct resolve_answer *answers, int n)
{
    struct pgconn *c = arg;
    c->resolve = NULL;
    if (c->state != PGCONN_CONNECTING || c->pg)
        return;     /* that attempt timed out: the next one looks again */
    char *errors = NULL;
    for (int i = 0; i < n; i++) {
        if (!answers[i].error)
            continue;
        char *more = errors ? xasprintf("%s; %s", errors, answers[i].error) : xstrdup(answers[i].error);
        free(errors);
        errors = more;
    }
    struct conninfo ci;
    if (conninfo_with_addresses(&ci, &c->ci, answers, n) == 0) {
        go_down(c, errors ? errors : "no address for any host");
        free(errors);
        return;
    }
    forget_resolved(c);
    c->resolve_errors = errors;
    for (int i = 0; i < n; i++)
        c->nresolved += answers[i].count;
    c->resolved_pairs = xcalloc(2 * (size_t)c->nresolved + 1, sizeof *c->resolved_pairs);
    for (int i = 0, k = 0; i < n; i++) {
        for (int a = 0; a < answers[i].count; a++, k++) {
            c->resolved_pairs[2 * k] = xstrdup(answers[i].addrs[a]);
            c->resolved_pairs[2 * k + 1] = xstrdup(answers[i].name);
        }
    }
    connect_to(c, &ci);
    conninfo_free(&ci);
}

static void start_connect(struct pgconn *c)
{
    backoff_attempt(&c->backoff);
    set_state(c, PGCONN_CONNECTING);
    if (c->state != PGCONN_CONNECTING)
        return;     /* the state callback closed us */
    if (c->opts.connect_timeout > 0)
        uv_timer_start(&c->connect_timer, connect_timeout_cb,
                       (uint64_t)(c->opts.connect_timeout * 1000), 0);
    if (c->resolve)
        return;     /* an earlier attempt's lookup is still out: wait for it */
    /* libpq would look the names up itself, on this thread. */
    char **names;
    int n = conninfo_host_names(&c->ci, &names);
    if (n == 0) {
        connect_to(c, &c->ci);
        return;
    }
    c->resolve = resolve_start(c->loop, names, n, resolved, c);
    conninfo_names_free(names, n);
    if (!c->resolve)
        go_down(c, "could not start a host name lookup");
}

struct pgconn *pgconn_new(uv_loop_t *loop, const struct conninfo *ci,
                          const struct pgconn_options *opts,
                          pgconn_state_cb state_cb, void *arg)
{
    struct pgconn *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    conninfo_copy(&c->ci, ci);
    c->opts = *opts;
    c->label = xstrdup(opts->label ? opts->label : "postgresql");
    c->opts.label = c->label;
    c->setup_sql = opts->setup_sql ? xstrdup(opts->setup_sql) : NULL;
    c->opts.setup_sql = c->setup_sql;
    c->state_cb = state_cb;
    c->arg = arg;
    uv_timer_init(loop, &c->connect_timer);
    uv_timer_init(loop, &c->query_timer);
    c->connect_timer.data = c;
    c->query_timer.data = c;
    backoff_init_for(&c->backoff, c);
    c->state = PGCONN_CONNECTING;
    start_connect(c);
    return c;
}

int pgconn_submit(struct pgconn *c, struct query *q)
{
    if (c->state != PGCONN_UP)
        return -1;
    query_queue_push(&c->queue, q);
    dispatch(c);
    return 0;
}

int pgconn_submit_from(struct pgconn *c, struct query_queue *from, int max)
{
    if (c->state != PGCONN_UP)
        return -1;
    int n = 0;
    struct query *q;
    while (n < max && (q = query_queue_pop(from))) {
        query_queue_push(&c->queue, q);
        n++;
    }
    dispatch(c);
    return n;
}

int pgconn_send(struct pgconn *c, const char *sql, int nparams,
                const char *const *params, double timeout,
                pgconn_result_cb cb, void *arg)
{
    if (c->state != PGCONN_UP)
        return -1;
    return pgconn_submit(c, query_new(sql, nparams, params, timeout, cb, arg));
}

static void timer_closed(uv_handle_t *h)
{
    struct pgconn *c = h->data;
    if (--c->handles_open == 0) {
        conninfo_free(&c->ci);
        free(c->label);
        free(c->setup_sql);
        free(c->setup_error);
        free(c->error);
        free(c->warning);
        free(c->prepared);
        forget_resolved(c);
        free(c);
    }
}

void pgconn_close(struct pgconn *c)
{
    if (!c || c->state == PGCONN_CLOSED)
        return;
    drop_session(c);
    resolve_cancel(c->resolve);
    c->resolve = NULL;
    c->state = PGCONN_CLOSED;
    fail_all(c, "connection closed");
    c->handles_open = 2;
    uv_close((uv_handle_t *)&c->connect_timer, timer_closed);
    uv_close((uv_handle_t *)&c->query_timer, timer_closed);
}

void pgconn_reconnect(struct pgconn *c)
{
    if (c->state == PGCONN_CLOSED)
        return;
    if (c->state == PGCONN_UP || c->state == PGCONN_CONNECTING) {
        bool retry = c->opts.reconnect;
        c->opts.reconnect = false;
        go_down(c, "reconnecting");
        c->opts.reconnect = retry;
    }
    uv_timer_stop(&c->connect_timer);
    start_connect(c);
}

enum pgconn_state pgconn_state(const struct pgconn *c) { return c->state; }

const char *pgconn_state_name(enum pgconn_state s)
{
    switch (s) {
    case PGCONN_CONNECTING: return "connecting";
    case PGCONN_UP:         return "up";
    case PGCONN_DOWN:       return "down";
    case PGCONN_CLOSED:     return "closed";
    }
    return "?";
}

const char *pgconn_label(const struct pgconn *c) { return c->label; }
const char *pgconn_warning(const struct pgconn *c) { return c->warning; }
const char *pgconn_error(const struct pgconn *c) { return c->error; }

double pgconn_retry_in(const struct pgconn *c)
{
    return c->state == PGCONN_DOWN ? backoff_due_in(&c->backoff) : 0;
}

int pgconn_server_version(const struct pgconn *c)
{
    return c->state == PGCONN_UP ? c->version : 0;
}

const char *pgconn_server_version_text(const struct pgconn *c)
{
    return c->version_text;
}

int pgconn_pending(const struct pgconn *c) { return c->queue.length; }

bool pgconn_busy(const struct pgconn *c) { return c->queue.head != NULL; }

double pgconn_idle_for(const struct pgconn *c)
{
    if (c->queue.head || c->state != PGCONN_UP)
        return 0;
    return now_monotonic() - c->idle_since;
}

unsigned long pgconn_connects(const struct pgconn *c) { return c->connects; }
unsigned long pgconn_queries(const struct pgconn *c) { return c->queries; }
unsigned long pgconn_pipelines(const struct pgconn *c) { return c->pipelines; }
int  pgconn_backend_pid(const struct pgconn *c) { return c->backend_pid; }
/* PostgreSQL 14+ reports in_hot_standby again when a standby is promoted
 * (with the next query's answer): read it live, so a promoted replica
 * stops being called a standby without a reconnect. */
bool pgconn_in_recovery(const struct pgconn *c)
{
    if (c->state == PGCONN_UP && c->pg) {
        const char *hs = PQparameterStatus(c->pg, "in_hot_standby");
        if (hs)
            return strcmp(hs, "on") == 0;
    }
    return c->in_recovery;
}
void pgconn_set_user_data(struct pgconn *c, void *data) { c->user_data = data; }
void *pgconn_user_data(const struct pgconn *c) { return c->user_data; }

int pgres_column(const PGresult *res, const char *name)
{
    return res ? PQfnumber(res, name) : -1;
}

const char *pgres_get(const PGresult *res, int row, const char *name)
{
    int col = pgres_column(res, name);
    if (col < 0 || row < 0 || row >= PQntuples(res) || PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}
