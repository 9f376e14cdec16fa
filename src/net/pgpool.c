#include <stdlib.h>
#include <string.h>

#include "net/pgpool.h"
#include "base/embedded.h"
#include "base/xalloc.h"

/* The most queries handed to one connection at a time. */
#define PGPOOL_BATCH_MAX 32
/* A monitoring batch that finds every session busy waits this long for
 * one before the pool opens another.  A new session costs the server its
 * start and a first plan of every catalog statement it is given, more CPU
 * than a minute of pgdeck's refreshes (issue 14: under pgbench the pool
 * opened 4 to 6 sessions a minute, each planning the statements again),
 * while the busy one is usually done within a few ms. */
#define PGPOOL_GROW_WAIT_MS 250

struct reservation {
    struct reservation *next;
    pgpool_reserve_cb   cb;
    void               *arg;
};

struct slot {
    struct pgconn *conn;        /* NULL when the slot is free */
    bool           reserved;
    /* Its session has finished a first round of queries: from then on it
     * may be the main session that new statements wait for (during the
     * start they spread over the idle sessions, so that the first frame
     * does not wait for the first session's plans). */
    bool           settled;
};

/* What the pool remembers of a monitoring statement whose text is compiled
 * into the binary (embedded.h: it never changes or moves, so its address
 * names it): the hashes pgconn names it by, and its home.  Finding the
 * home by asking every session whether it has prepared the statement,
 * hashing its text again for each new query, was 4.7 % of the console's
 * instructions (issue 14). */
struct stmt_memo {
    const char *sql;            /* the embedded text */
    char       *stmt;
    uint64_t    sql_hash, name_hash;    /* as pgconn has them, 0: not yet */
    int         home;           /* the slot whose session has prepared it,
                                   -1: none known (forgotten whenever that
                                   slot's connection changes state) */
};

struct pgpool {
    uv_loop_t         *loop;
    struct conninfo    ci;
    struct pgpool_options opts;
    char              *label;
    char              *setup_sql;   /* owned copy of opts.setup_sql */
    pgpool_state_cb    state_cb;
    void              *arg;
    struct slot       *slots;   /* opts.max of them */
    struct query_queue queue;       /* queries no connection has taken yet */
    struct reservation *reservations;
    uv_timer_t         idle_timer;  /* closes extra idle connections */
    uv_timer_t         kick;        /* runs dispatch outside callers */
    char              *error;       /* last reason a connection failed */
    unsigned long      connects_closed;  /* counters of closed slots */
    unsigned long      queries_closed;
    unsigned long      pipelines_closed;
    bool               freeing;
    int                handles_open;
    bool               opening;     /* inside pgconn_new */
    bool               creating;    /* inside pgpool_new */
    enum pgconn_state  last_state;  /* as last told to state_cb */
    uint64_t           batch_waits_since;   /* uv_now when a monitoring batch
                                               found no idle session; 0: none */
    struct stmt_memo  *memos;
    int                nmemos, cap_memos;
};

/* A slot's session changed (went down, came up: a new session, which has
 * prepared nothing; or was closed): no statement has its home there now. */
static void memos_forget(struct pgpool *p, int slot)
{
    for (int i = 0; i < p->nmemos; i++)
        if (p->memos[i].home == slot)
            p->memos[i].home = -1;
}

static void dispatch(struct pgpool *p);
static struct slot *slot_of(struct pgpool *p, struct pgconn *conn);

static void kick_cb(uv_timer_t *t)
{
    dispatch(t->data);
}

static void conn_state(void *arg, struct pgconn *conn)
{
    struct pgpool *p = arg;
    if (p->freeing)
        return;
    struct slot *changed = slot_of(p, conn);
    if (changed)
        memos_forget(p, (int)(changed - p->slots));
    /* The reason is kept whenever it comes: a connect can fail inside
     * pgconn_new itself (libpq refuses the options at once), and that
     * first error is what the operator needs to read. */
    if (pgconn_state(conn) == PGCONN_DOWN && pgconn_error(conn)) {
        free(p->error);
        p->error = xstrdup(pgconn_error(conn));
    }
    /* A connection being created reports from inside pgconn_new, before
     * its slot knows it: nothing to act on yet (acting could open a second
     * connection for the same slot); open_slot reports it afterwards. */
    if (p->opening)
        return;
    /* Connections beyond the minimum are not worth retrying. */
    if (pgconn_state(conn) == PGCONN_DOWN) {
        for (int i = p->opts.min; i < p->opts.max; i++) {
            if (p->slots[i].conn == conn && !p->slots[i].reserved) {
                memos_forget(p, i);
                p->connects_closed += pgconn_connects(conn);
                p->queries_closed += pgconn_queries(conn);
                p->pipelines_closed += pgconn_pipelines(conn);
                p->slots[i].conn = NULL;
                pgconn_close(conn);
                break;
            }
        }
    }
    /* The owner hears about changes of the pool as a whole. */
    enum pgconn_state now = pgpool_state(p);
    if (now != p->last_state && p->state_cb) {
        p->last_state = now;
        p->state_cb(p->arg, p);
    }
    if (pgconn_state(conn) == PGCONN_UP) {
        /* A new session (or the same one again): it has prepared nothing. */
        struct slot *s = slot_of(p, conn);
        if (s)
            s->settled = false;
        uv_timer_start(&p->kick, kick_cb, 0, 0);
    }
}

/* A connection is done with the queries handed to it: the next waiting
 * one (or a reservation) may go to it, outside its callbacks. */
static void conn_queries_ended(void *arg, struct pgconn *conn)
{
    struct pgpool *p = arg;
    if (p->freeing)
        return;
    struct slot *s = slot_of(p, conn);
    if (s && pgconn_state(conn) == PGCONN_UP)
        s->settled = true;
    uv_timer_start(&p->kick, kick_cb, 0, 0);
}

static void idle_arm(struct pgpool *p, double in_s);

static struct pgconn *open_slot(struct pgpool *p, int i)
{
    struct pgconn_options o = {
        .label = p->label,
        .connect_timeout = p->opts.connect_timeout,
        .query_timeout = p->opts.query_timeout,
        .reconnect = true,
        .setup_sql = p->setup_sql,
        .queries_ended = conn_queries_ended,
    };
    p->opening = true;
    struct pgconn *conn = pgconn_new(p->loop, &p->ci, &o, conn_state, p);
    p->slots[i].conn = conn;
    p->opening = false;
    if (i >= p->opts.min)
        idle_arm(p, p->opts.idle_timeout);
    /* Down already: handle it now that the slot knows its connection (an
     * extra slot is closed, the owner hears the pool is down).  Not while
     * pgpool_new runs: its caller reads the state when it returns. */
    if (pgconn_state(conn) == PGCONN_DOWN && !p->creating)
        conn_state(p, conn);
    return p->slots[i].conn;
}

static struct slot *slot_of(struct pgpool *p, struct pgconn *conn)
{
    for (int i = 0; i < p->opts.max; i++)
        if (p->slots[i].conn == conn)
            return &p->slots[i];
    return NULL;
}

/* Open, up and not reserved: it may take monitoring queries. */
static bool slot_usable(const struct slot *s)
{
    return s->conn && !s->reserved && pgconn_state(s->conn) == PGCONN_UP;
}

/* Usable, and no query of its own queued or running. */
static bool slot_idle(const struct slot *s)
{
    return slot_usable(s) && !pgconn_busy(s->conn);
}

static int count_up(const struct pgpool *p, bool unreserved_only)
{
    int n = 0;
    for (int i = 0; i < p->opts.max; i++) {
        const struct slot *s = &p->slots[i];
        if (s->conn && pgconn_state(s->conn) == PGCONN_UP && !(unreserved_only && s->reserved))
            n++;
    }
    return n;
}

/* Open one more connection when work waits and the pool may grow.  A
 * connection already connecting will take the work when it is up. */
static void grow(struct pgpool *p)
{
    for (int i = 0; i < p->opts.max; i++)
        if (p->slots[i].conn && pgconn_state(p->slots[i].conn) == PGCONN_CONNECTING)
            return;
    for (int i = 0; i < p->opts.max; i++) {
        if (!p->slots[i].conn) {
            open_slot(p, i);
            return;
        }
    }
}

/* Whether monitoring queries that found no idle session (or only sessions
 * that are not their home) have waited long enough for the pool to grow
 * (or for them to go to another session); if not, dispatch runs again
 * when they have, or sooner when a session is done. */
static bool batch_waited(struct pgpool *p)
{
    uint64_t now = uv_now(p->loop);
    if (!p->batch_waits_since)
        p->batch_waits_since = now ? now : 1;
    uint64_t waited = now - p->batch_waits_since;
    if (waited >= PGPOOL_GROW_WAIT_MS)
        return true;
    uv_timer_start(&p->kick, kick_cb, PGPOOL_GROW_WAIT_MS - waited, 0);
    return false;
}

/* A statement's home: the open session (not reserved) that has prepared
 * it, or -1 when none has.  Remembered for an embedded statement (its
 * memo), so that each new query of it is neither hashed again nor looked
 * for in every session. */
static int home_of(struct pgpool *p, struct query *q)
{
    struct stmt_memo *m = q->memo ? &p->memos[q->memo - 1] : NULL;
    if (m && m->home >= 0) {
        if (slot_usable(&p->slots[m->home]))
            return m->home;
    }
    int home = -1;
    for (int i = 0; i < p->opts.max && home < 0; i++) {
        if (slot_usable(&p->slots[i]) && pgconn_prepared_among(p->slots[i].conn, q, 1) == 1)
            home = i;
    }
    if (m) {
        /* pgconn_prepared_among has hashed it (when any session is up). */
        if (q->name_hash) {
            m->sql_hash = q->sql_hash;
            m->name_hash = q->name_hash;
        }
        if (home >= 0)
            m->home = home;
    }
    return home;
}

/* A monitoring query, with what the pool remembers of its statement when
 * its text is embedded (then not copied either). */
static struct query *pool_query(struct pgpool *p, const char *stmt, const char *sql, int nparams,
                                const char *const *params, double timeout,
                                pgconn_result_cb cb, void *arg)
{
    if (!stmt || !embedded_holds(sql))
        return query_new_prepared(stmt, sql, nparams, params, timeout, cb, arg);
    int i = 0;
    while (i < p->nmemos && !(p->memos[i].sql == sql && strcmp(p->memos[i].stmt, stmt) == 0))
        i++;
    if (i == p->nmemos) {
        if (p->nmemos == p->cap_memos) {
            p->cap_memos = p->cap_memos ? 2 * p->cap_memos : 16;
            p->memos = xrealloc(p->memos, (size_t)p->cap_memos * sizeof *p->memos);
        }
        p->memos[i] = (struct stmt_memo){ .sql = sql, .stmt = xstrdup(stmt), .home = -1 };
        p->nmemos++;
    }
    struct query *q = query_new_static(stmt, sql, nparams, params, timeout, cb, arg);
    q->memo = i + 1;
    q->sql_hash = p->memos[i].sql_hash;
    q->name_hash = p->memos[i].name_hash;
    return q;
}

/* Where the statements of the batch that may share a transaction go
 * together: the open session that is home to most of them (home_of's
 * answers, before the statements prepared nowhere are given one), so
 * that the group stays where it is planned (a statement is prepared in
 * two sessions after the start, where the sessions share the first
 * plans: the home of the first of the group could be the other one, and
 * moving the group there planned all of it again).  Of equals, the first
 * one's home; -1 when the batch has none.  The homes come from the
 * statements' memos: asking every session about every statement of the
 * group at each dispatch hashed and searched again what the pool knows. */
static int shared_home(struct pgpool *p, int n, const int *known, const int *home)
{
    int first = -1, best = -1, most = 0, at = 0;
    for (struct query *q = p->queue.head; q && at < n; q = q->next, at++)
        if (q->share_xact && first < 0)
            first = home[at];
    if (first < 0)
        return -1;
    for (int i = 0; i < p->opts.max; i++) {
        if (!slot_usable(&p->slots[i]))
            continue;
        int count = 0;
        at = 0;
        for (struct query *q = p->queue.head; q && at < n; q = q->next, at++)
            if (q->share_xact && known[at] == i)
                count++;
        if (count > most || (count == most && count > 0 && i == first)) {
            most = count;
            best = i;
        }
    }
    return best >= 0 ? best : first;
}

/* The monitoring queries waiting (the named ones at the head of the
 * queue) go out as pipelines (pgconn.c): a tick's queries in one round
 * trip per session.  Each statement goes to its home, the session that has
 * prepared it, so that it is planned once and not once in each session of
 * the pool (at 5-30 ms a plan for the catalog statements and the activity
 * statement in a fresh session, planning was half of pgdeck's server time
 * in its first minute; issue 14).  A statement prepared nowhere yet has
 * the main session for home, the one that has prepared most.  A statement
 * whose home is busy (a slow collector's statement, or the first minute's
 * plans) waits for it as long as a batch waits before the pool grows;
 * after that it goes to an idle session and is planned there too.
 *
 * Moves one session's share; returns how many queries moved, 0 when
 * those left wait (for their home, or for the pool to grow: a timer or
 * the end of a session's queries brings dispatch back), -1 when the
 * session refused them (they failed). */
static int dispatch_named(struct pgpool *p)
{
    int home[PGPOOL_BATCH_MAX], known[PGPOOL_BATCH_MAX];
    int n = 0;
    for (struct query *q = p->queue.head; q && q->stmt && n < PGPOOL_BATCH_MAX; q = q->next, n++)
        known[n] = home[n] = home_of(p, q);
    /* Of the idle sessions, the one that is home to most of the batch; of
     * equals, the one that has prepared most in all (where statements
     * prepared nowhere gather). */
    struct slot *pick = NULL;
    long best = -1;
    bool wait_for_home = false;
    for (int i = 0; i < p->opts.max; i++) {
        struct slot *s = &p->slots[i];
        if (!slot_idle(s))
            continue;
        long homed = 0;
        for (int k = 0; k < n; k++)
            homed += home[k] == i;
        long score = homed * 100000 + pgconn_prepared_count(s->conn);
        if (score > best) {
            best = score;
            pick = s;
        }
    }
    int target = pick ? (int)(pick - p->slots) : -1;
    /* A statement prepared nowhere yet goes home to the main session, the
     * one that has prepared most, once it has finished its first round:
     * another session would pay again for the catalog reads behind its
     * first plans.  Before that (the start) it goes to the idle session
     * picked. */
    int main = target, most = -1;
    for (int i = 0; i < p->opts.max; i++) {
        const struct slot *s = &p->slots[i];
        if (slot_usable(s) && s->settled && pgconn_prepared_count(s->conn) > most) {
            most = pgconn_prepared_count(s->conn);
            main = i;
        }
    }
    for (int k = 0; k < n; k++)
        if (home[k] < 0)
            home[k] = main;
    /* The statements that may share a transaction go together, where the
     * first of them goes (query.share_xact). */
    int shared = shared_home(p, n, known, home);
    int at = 0;
    for (struct query *q = p->queue.head; q && at < n; q = q->next, at++)
        if (q->share_xact)
            home[at] = shared;
    /* Which queries go: those at home there, and those whose home is busy
     * once they have waited long enough. */
    bool take[PGPOOL_BATCH_MAX];
    int ntake = 0;
    for (int k = 0; k < n; k++) {
        take[k] = pick && home[k] == target;
        if (pick && !take[k] && !slot_idle(&p->slots[home[k]]))
            wait_for_home = true;
        ntake += take[k];
    }
    if (wait_for_home && batch_waited(p)) {
        for (int k = 0; k < n; k++)
            if (!take[k] && !slot_idle(&p->slots[home[k]])) {
                take[k] = true;
                ntake++;
            }
        p->batch_waits_since = 0;
    }
    if (!pick) {
        if (batch_waited(p))
            grow(p);
        return 0;
    }
    if (ntake == 0 && wait_for_home)
        return 0;       /* all wait for their busy homes (batch_waited set a timer) */
    if (ntake == 0) {
        /* Not expected (an idle home is picked first); never leave them. */
        for (int k = 0; k < n; k++)
            take[k] = true;
        ntake = n;
    }
    /* Those that go, in their order, to the session; the rest stay at the
     * head of the queue in theirs. */
    struct query_queue go = { 0 }, stay = { 0 }, rest = { 0 };
    for (int k = 0; k < n; k++) {
        struct query *q = query_queue_pop(&p->queue);
        query_queue_push(!take[k] ? &stay : q->share_xact ? &go : &rest, q);
    }
    /* Those that share one implicit transaction first, next to each other
     * (query.share_xact). */
    while (rest.head)
        query_queue_push(&go, query_queue_pop(&rest));
    while (p->queue.head)
        query_queue_push(&stay, query_queue_pop(&p->queue));
    p->queue = stay;
    if (!wait_for_home)
        p->batch_waits_since = 0;
    int moved = pgconn_submit_from(pick->conn, &go, ntake);
    if (moved < 0) {
        query_queue_fail_all(&go, "connection not up", 0);
        return -1;
    }
    return moved;
}

static void dispatch(struct pgpool *p)
{
    if (p->freeing)
        return;
    /* Reservations first: an action the operator confirmed should not wait
     * behind routine monitoring.  Keep one connection for monitoring when
     * the pool can still grow. */
    while (p->reservations) {
        struct slot *pick = NULL;
        for (int i = 0; i < p->opts.max && !pick; i++)
            if (slot_idle(&p->slots[i]))
                pick = &p->slots[i];
        int spare = count_up(p, true);
        bool can_grow = false;
        for (int i = 0; i < p->opts.max; i++)
            if (!p->slots[i].conn)
                can_grow = true;
        if (!pick || (spare < 2 && can_grow)) {
            if (count_up(p, false) == 0 && !can_grow) {
                struct reservation *r = p->reservations;
                p->reservations = r->next;
                r->cb(r->arg, NULL, p->error ? p->error : "no connection");
                free(r);
                continue;
            }
            grow(p);
            break;
        }
        struct reservation *r = p->reservations;
        p->reservations = r->next;
        pick->reserved = true;
        r->cb(r->arg, pick->conn, NULL);
        free(r);
    }
    /* A waiting query moves, as it is, to an idle connection's queue:
     * from there the connection sends it, times it out, cancels it, and
     * tells how it ended (then conn_queries_ended brings us back). */
    while (p->queue.head) {
        if (!p->queue.head->stmt) {
            /* Any other query goes alone, so that one lost connection
             * fails only what it was running. */
            struct slot *pick = NULL;
            for (int i = 0; i < p->opts.max && !pick; i++)
                if (slot_idle(&p->slots[i]))
                    pick = &p->slots[i];
            if (!pick) {
                /* It too waits a moment for a session before the pool
                 * grows: a new session costs the server more than the
                 * wait (issue 14: with each statement at its home, the
                 * sessions are busy together at a tick). */
                if (batch_waited(p))
                    grow(p);
                return;
            }
            if (pgconn_submit_from(pick->conn, &p->queue, 1) < 0) {
                struct query *q = query_queue_pop(&p->queue);
                query_finish(q, NULL, "connection not up", 0);
            }
            continue;
        }
        if (dispatch_named(p) == 0)
            return;
    }
    p->batch_waits_since = 0;
}

/* The extra sessions (past opts.min) are closed once idle for
 * idle_timeout.  The timer runs only while there is one, and wakes when
 * the first of them can be due (a busy one: a whole timeout from now),
 * not every second: a steady console has one extra session that a tick
 * uses every second, and the check's own wake-up was one of the loop's
 * few each second (issue 14). */
#define IDLE_CHECK_MIN_S 1.0

static void idle_check(uv_timer_t *t);

static void idle_arm(struct pgpool *p, double in_s)
{
    if (in_s < IDLE_CHECK_MIN_S)
        in_s = IDLE_CHECK_MIN_S;
    uint64_t ms = (uint64_t)(in_s * 1000);
    if (uv_is_active((uv_handle_t *)&p->idle_timer) && uv_timer_get_due_in(&p->idle_timer) <= ms)
        return;
    uv_timer_start(&p->idle_timer, idle_check, ms, 0);
}

static void idle_check(uv_timer_t *t)
{
    struct pgpool *p = t->data;
    double next = -1;
    for (int i = p->opts.min; i < p->opts.max; i++) {
        struct slot *s = &p->slots[i];
        if (!s->conn)
            continue;
        double idle = slot_usable(s) ? pgconn_idle_for(s->conn) : 0;
        if (idle >= p->opts.idle_timeout) {
            memos_forget(p, i);
            p->connects_closed += pgconn_connects(s->conn);
            p->queries_closed += pgconn_queries(s->conn);
            p->pipelines_closed += pgconn_pipelines(s->conn);
            pgconn_close(s->conn);
            s->conn = NULL;
            if (p->state_cb)
                p->state_cb(p->arg, p);
            continue;
        }
        double due = p->opts.idle_timeout - idle;
        if (next < 0 || due < next)
            next = due;
    }
    if (next >= 0)
        idle_arm(p, next);
}

struct pgpool *pgpool_new(uv_loop_t *loop, const struct conninfo *ci,
                          const struct pgpool_options *opts,
                          pgpool_state_cb cb, void *arg)
{
    struct pgpool *p = xcalloc(1, sizeof *p);
    p->loop = loop;
    conninfo_copy(&p->ci, ci);
    p->opts = *opts;
    if (p->opts.max < 1)
        p->opts.max = 1;
    if (p->opts.min < 1)
        p->opts.min = 1;    /* the pool's state needs one connection */
    if (p->opts.min > p->opts.max)
        p->opts.min = p->opts.max;
    if (p->opts.idle_timeout <= 0)
        p->opts.idle_timeout = 30;
    p->label = xstrdup(opts->label ? opts->label : "postgresql");
    p->opts.label = p->label;
    p->setup_sql = opts->setup_sql ? xstrdup(opts->setup_sql) : NULL;
    p->opts.setup_sql = p->setup_sql;
    p->state_cb = cb;
    p->arg = arg;
    p->slots = xcalloc((size_t)p->opts.max, sizeof *p->slots);
    p->last_state = PGCONN_CONNECTING;
    uv_timer_init(loop, &p->idle_timer);
    uv_timer_init(loop, &p->kick);
    p->idle_timer.data = p;
    p->kick.data = p;
    p->creating = true;
    for (int i = 0; i < p->opts.min; i++)
        open_slot(p, i);
    p->creating = false;
    p->last_state = pgpool_state(p);
    return p;
}

static void pool_handle_closed(uv_handle_t *h)
{
    struct pgpool *p = h->data;
    /* libuv runs close callbacks in no promised order: free on the last. */
    if (--p->handles_open == 0) {
        conninfo_free(&p->ci);
        free(p->label);
        free(p->setup_sql);
        free(p->slots);
        free(p->error);
        for (int i = 0; i < p->nmemos; i++)
            free(p->memos[i].stmt);
        free(p->memos);
        free(p);
    }
}

void pgpool_free(struct pgpool *p)
{
    if (!p)
        return;
    p->freeing = true;
    query_queue_fail_all(&p->queue, "pool closed", 0);
    while (p->reservations) {
        struct reservation *r = p->reservations;
        p->reservations = r->next;
        r->cb(r->arg, NULL, "pool closed");
        free(r);
    }
    for (int i = 0; i < p->opts.max; i++) {
        if (p->slots[i].conn)
            pgconn_close(p->slots[i].conn);
        p->slots[i].conn = NULL;
    }
    p->handles_open = 2;
    uv_close((uv_handle_t *)&p->idle_timer, pool_handle_closed);
    uv_close((uv_handle_t *)&p->kick, pool_handle_closed);
}

int pgpool_send(struct pgpool *p, const char *sql, int nparams,
                const char *const *params, double timeout,
                pgconn_result_cb cb, void *arg)
{
    return pgpool_send_prepared(p, NULL, sql, nparams, params, timeout, cb, arg);
}

int pgpool_send_prepared(struct pgpool *p, const char *stmt, const char *sql, int nparams,
                         const char *const *params, double timeout,
                         pgconn_result_cb cb, void *arg)
{
    if (count_up(p, true) == 0)
        return -1;
    query_queue_push(&p->queue, pool_query(p, stmt, sql, nparams, params, timeout, cb, arg));
    /* A monitoring query is dispatched from the loop, after whatever else
     * this turn queues (the rest of the tick's collectors): they travel
     * together.  Any other goes now. */
    if (stmt)
        uv_timer_start(&p->kick, kick_cb, 0, 0);
    else
        dispatch(p);
    return 0;
}

int pgpool_send_shared(struct pgpool *p, const char *stmt, const char *sql, int nparams,
                       const char *const *params, pgconn_result_cb cb, void *arg)
{
    if (!stmt || count_up(p, true) == 0)
        return -1;
    struct query *q = pool_query(p, stmt, sql, nparams, params, 0, cb, arg);
    q->share_xact = true;
    query_queue_push(&p->queue, q);
    uv_timer_start(&p->kick, kick_cb, 0, 0);
    return 0;
}

void pgpool_reserve(struct pgpool *p, pgpool_reserve_cb cb, void *arg)
{
    struct reservation *r = xcalloc(1, sizeof *r);
    r->cb = cb;
    r->arg = arg;
    struct reservation **tail = &p->reservations;
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
    uv_timer_start(&p->kick, kick_cb, 0, 0);
}

void pgpool_release(struct pgpool *p, struct pgconn *conn)
{
    struct slot *s = slot_of(p, conn);
    if (s)
        s->reserved = false;
    if (s && pgconn_state(conn) == PGCONN_DOWN && s - p->slots >= p->opts.min) {
        memos_forget(p, (int)(s - p->slots));
        p->connects_closed += pgconn_connects(conn);
        p->queries_closed += pgconn_queries(conn);
        p->pipelines_closed += pgconn_pipelines(conn);
        pgconn_close(conn);
        s->conn = NULL;
    }
    uv_timer_start(&p->kick, kick_cb, 0, 0);
}

enum pgconn_state pgpool_state(const struct pgpool *p)
{
    bool connecting = false;
    for (int i = 0; i < p->opts.max; i++) {
        const struct pgconn *c = p->slots[i].conn;
        if (!c)
            continue;
        if (pgconn_state(c) == PGCONN_UP)
            return PGCONN_UP;
        if (pgconn_state(c) == PGCONN_CONNECTING)
            connecting = true;
    }
    return connecting ? PGCONN_CONNECTING : PGCONN_DOWN;
}

const char *pgpool_label(const struct pgpool *p) { return p->label; }

const char *pgpool_error(const struct pgpool *p)
{
    if (pgpool_state(p) == PGCONN_UP)
        return NULL;
    return p->error ? p->error : (pgpool_state(p) == PGCONN_CONNECTING ? "connecting" : "down");
}

double pgpool_retry_in(const struct pgpool *p)
{
    return p->slots[0].conn ? pgconn_retry_in(p->slots[0].conn) : 0;
}

static const struct pgconn *first_up(const struct pgpool *p)
{
    for (int i = 0; i < p->opts.max; i++)
        if (p->slots[i].conn && pgconn_state(p->slots[i].conn) == PGCONN_UP)
            return p->slots[i].conn;
    return NULL;
}

const char *pgpool_server_version_text(const struct pgpool *p)
{
    const struct pgconn *c = first_up(p);
    return c ? pgconn_server_version_text(c) : NULL;
}

int pgpool_server_version(const struct pgpool *p)
{
    const struct pgconn *c = first_up(p);
    return c ? pgconn_server_version(c) : 0;
}

/* A session hears of a promotion (in_hot_standby off) only when it next
 * talks to the server, and a batch goes to the session that prepared it,
 * so another may sit idle with the old word: one session saying the
 * server is out of recovery is enough (recovery never starts again under
 * an open session). */
bool pgpool_in_recovery(const struct pgpool *p)
{
    bool any = false;
    for (int i = 0; i < p->opts.max; i++) {
        const struct pgconn *c = p->slots[i].conn;
        if (!c || pgconn_state(c) != PGCONN_UP)
            continue;
        if (!pgconn_in_recovery(c))
            return false;
        any = true;
    }
    return any;
}

void pgpool_stats(const struct pgpool *p, struct pgpool_stats *out)
{
    memset(out, 0, sizeof *out);
    out->min = p->opts.min;
    out->max = p->opts.max;
    out->connects = p->connects_closed;
    out->queries = p->queries_closed;
    out->pipelines = p->pipelines_closed;
    out->waiting = p->queue.length;
    for (int i = 0; i < p->opts.max; i++) {
        const struct slot *s = &p->slots[i];
        if (!s->conn)
            continue;
        out->connects += pgconn_connects(s->conn);
        out->queries += pgconn_queries(s->conn);
        out->pipelines += pgconn_pipelines(s->conn);
        switch (pgconn_state(s->conn)) {
        case PGCONN_UP:
            out->open++;
            if (s->reserved || pgconn_busy(s->conn))
                out->busy++;
            break;
        case PGCONN_CONNECTING:
            out->connecting++;
            break;
        default:
            break;
        }
        if (s->reserved)
            out->reserved++;
    }
}

int pgpool_backend_pids(const struct pgpool *p, int *pids, int max)
{
    int n = 0;
    for (int i = 0; i < p->opts.max && n < max; i++)
        if (p->slots[i].conn && pgconn_backend_pid(p->slots[i].conn))
            pids[n++] = pgconn_backend_pid(p->slots[i].conn);
    return n;
}
