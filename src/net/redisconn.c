#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <async.h>

#include "net/backoff.h"
#include "net/redisconn.h"
#include "net/resolve.h"
#include "base/clock.h"
#include "base/dynlib.h"
#include "base/xalloc.h"

/* hiredis is loaded with dlopen(3) at the first connect to Redis, not
 * linked: most consoles (no --redis, no agent, no viewer) never talk to
 * Redis, and a linked library is mapped, relocated and resident for the
 * whole run (60 kB at 120x40, issue 14, aim 3; the same way as
 * libpg_query in base/sql.c).  The build names the library by the soname
 * of the one it was compiled against. */
#ifndef PGDECK_HIREDIS_SONAME
#define PGDECK_HIREDIS_SONAME "libhiredis.so"
#endif

static struct {
    redisAsyncContext *(*redisAsyncConnect)(const char *, int);
    redisAsyncContext *(*redisAsyncConnectUnix)(const char *);
    void (*redisAsyncFree)(redisAsyncContext *);
    void (*redisAsyncHandleRead)(redisAsyncContext *);
    void (*redisAsyncHandleWrite)(redisAsyncContext *);
    int (*redisAsyncSetConnectCallback)(redisAsyncContext *, redisConnectCallback *);
    int (*redisAsyncSetDisconnectCallback)(redisAsyncContext *, redisDisconnectCallback *);
    int (*redisAsyncCommandArgv)(redisAsyncContext *, redisCallbackFn *, void *, int, const char **, const size_t *);
} hi;

static struct dynlib hiredis = { .soname = PGDECK_HIREDIS_SONAME, .what = "hiredis" };

#define HI_SYMBOL(fn) DYNLIB_SYMBOL(#fn, hi.fn)
static const struct dynlib_symbol hi_symbols[] = {
    HI_SYMBOL(redisAsyncConnect), HI_SYMBOL(redisAsyncConnectUnix), HI_SYMBOL(redisAsyncFree),
    HI_SYMBOL(redisAsyncHandleRead), HI_SYMBOL(redisAsyncHandleWrite), HI_SYMBOL(redisAsyncSetConnectCallback),
    HI_SYMBOL(redisAsyncSetDisconnectCallback), HI_SYMBOL(redisAsyncCommandArgv),
};

/* Loads hiredis the first time.  NULL, or why it cannot be loaded (every
 * later call gives the same answer). */
static const char *hi_load(void)
{
    return dynlib_load(&hiredis, hi_symbols, sizeof hi_symbols / sizeof *hi_symbols, NULL, 0) == 0 ? NULL
                                                                                                  : hiredis.error;
}

/* One command waiting for its reply. */
struct pending {
    struct pending    *next, *prev;
    struct redisconn  *rc;
    redisconn_reply_cb cb;
    void              *arg;
    double             sent;
};

struct redisconn {
    uv_loop_t          *loop;
    struct redis_target target;
    char               *display;
    double              connect_timeout;
    double              command_timeout;
    redisconn_state_cb  state_cb;
    void               *arg;

    redisAsyncContext  *ac;
    struct resolve     *resolve;        /* the host name being looked up:
                                           hiredis would call getaddrinfo on
                                           the loop's thread */
    enum pgconn_state   state;
    char               *error;
    char               *kill_reason;    /* why we dropped the connection */
    char                version[32];
    struct backoff      backoff;        /* and when the next attempt is due */
    double              connect_started;
    uv_timer_t          timer;          /* retry delay and timeouts */
    uv_timer_t          watchdog;       /* connect and command timeouts */
    struct pending     *pending;
    int                 handshake;      /* AUTH and SELECT replies awaited */
    unsigned long       connects;
    int                 handles_open;
};

/* The event adapter: like hiredis' adapters/libuv.h, but an error on the
 * socket is handed to hiredis as the events it waited for, so a refused
 * connect reaches the connect callback. */
struct adapter {
    redisAsyncContext *ac;
    uv_poll_t          poll;
    int                events;
};

static void adapter_poll_cb(uv_poll_t *h, int status, int events)
{
    struct adapter *a = h->data;
    if (status < 0)
        events = a->events;
    if (a->ac && (events & UV_WRITABLE))
        hi.redisAsyncHandleWrite(a->ac);
    if (a->ac && (events & UV_READABLE))
        hi.redisAsyncHandleRead(a->ac);
}

static void adapter_update(struct adapter *a)
{
    if (a->events)
        uv_poll_start(&a->poll, a->events, adapter_poll_cb);
    else
        uv_poll_stop(&a->poll);
}

static void adapter_add_read(void *p)  { struct adapter *a = p; a->events |= UV_READABLE;  adapter_update(a); }
static void adapter_del_read(void *p)  { struct adapter *a = p; a->events &= ~UV_READABLE; adapter_update(a); }
static void adapter_add_write(void *p) { struct adapter *a = p; a->events |= UV_WRITABLE;  adapter_update(a); }
static void adapter_del_write(void *p) { struct adapter *a = p; a->events &= ~UV_WRITABLE; adapter_update(a); }

static void adapter_closed(uv_handle_t *h)
{
    free(h->data);
}

static void adapter_cleanup(void *p)
{
    struct adapter *a = p;
    a->ac = NULL;
    uv_close((uv_handle_t *)&a->poll, adapter_closed);
}

static int adapter_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct adapter *a = xcalloc(1, sizeof *a);
    if (uv_poll_init(loop, &a->poll, ac->c.fd) != 0) {
        free(a);
        return -1;
    }
    a->ac = ac;
    a->poll.data = a;
    ac->ev.data = a;
    ac->ev.addRead = adapter_add_read;
    ac->ev.delRead = adapter_del_read;
    ac->ev.addWrite = adapter_add_write;
    ac->ev.delWrite = adapter_del_write;
    ac->ev.cleanup = adapter_cleanup;
    return 0;
}

static void start_connect(struct redisconn *rc);

static void set_state(struct redisconn *rc, enum pgconn_state s)
{
    rc->state = s;
    if (rc->state_cb)
        rc->state_cb(rc->arg, rc);
}

static void retry_cb(uv_timer_t *t)
{
    struct redisconn *rc = t->data;
    if (rc->state == PGCONN_DOWN)
        start_connect(rc);
}

static void went_down(struct redisconn *rc, const char *why)
{
    if (rc->state == PGCONN_CLOSED)
        return;
    free(rc->error);
    rc->error = xstrdup(why && *why ? why : "connection lost");
    backoff_schedule(&rc->backoff, &rc->timer, retry_cb);
    set_state(rc, PGCONN_DOWN);
}

/* Drop the connection ourselves (timeout).  hiredis calls every pending
 * callback with a NULL reply, and the disconnect callback if connected. */
static void drop(struct redisconn *rc, const char *why)
{
    redisAsyncContext *ac = rc->ac;
    if (!ac)
        return;
    free(rc->kill_reason);
    rc->kill_reason = xstrdup(why);
    bool was_connected = rc->state == PGCONN_UP;
    ac->data = NULL;        /* callbacks: do not touch rc through ac */
    rc->ac = NULL;
    hi.redisAsyncFree(ac);
    if (!was_connected || rc->state != PGCONN_DOWN)
        went_down(rc, why);
}

/* The watchdog runs only while there is something to time: a connect
 * under way or a command without its answer.  Checking every 250 ms
 * around the clock woke an idle console four times a second (issue 14). */
static void watchdog_cb(uv_timer_t *t);

static void watchdog_arm(struct redisconn *rc)
{
    if (!uv_is_active((uv_handle_t *)&rc->watchdog))
        uv_timer_start(&rc->watchdog, watchdog_cb, 250, 250);
}

static void watchdog_settle(struct redisconn *rc)
{
    if (rc->state != PGCONN_CONNECTING && !rc->pending)
        uv_timer_stop(&rc->watchdog);
}

static void reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    struct pending *p = privdata;
    struct redisconn *rc = p->rc;
    if (p->prev)
        p->prev->next = p->next;
    else
        rc->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    watchdog_settle(rc);
    redisReply *reply = r;
    if (p->cb) {
        if (!reply)
            p->cb(p->arg, NULL, rc->kill_reason ? rc->kill_reason : "connection lost");
        else if (reply->type == REDIS_REPLY_ERROR)
            p->cb(p->arg, reply, reply->str);   /* refused: the caller may tell it from a lost connection */
        else
            p->cb(p->arg, reply, NULL);
    }
    free(p);
}

static void version_cb(void *arg, const redisReply *reply, const char *error)
{
    struct redisconn *rc = arg;
    if (error || !reply || reply->type != REDIS_REPLY_STRING)
        return;
    const char *v = strstr(reply->str, "redis_version:");
    if (v) {
        v += strlen("redis_version:");
        size_t n = strcspn(v, "\r\n");
        if (n >= sizeof rc->version)
            n = sizeof rc->version - 1;
        memcpy(rc->version, v, n);
        rc->version[n] = '\0';
        set_state(rc, rc->state);
    }
}

static int send_command(struct redisconn *rc, redisconn_reply_cb cb, void *arg, int argc, const char **argv);

/* The connection is usable: AUTH and SELECT (if any) have answered. */
static void became_up(struct redisconn *rc)
{
    free(rc->error);
    rc->error = NULL;
    free(rc->kill_reason);
    rc->kill_reason = NULL;
    backoff_reset(&rc->backoff);
    rc->connects++;
    set_state(rc, PGCONN_UP);
}

static void handshake_cb(void *arg, const redisReply *reply, const char *error)
{
    (void)reply;
    struct redisconn *rc = arg;
    if (rc->state != PGCONN_CONNECTING)
        return;     /* dropped meanwhile (timeout): already said */
    if (error) {
        /* The user is named (never the password): with ACL users, which
         * one was refused is the first thing to know. */
        char *why = rc->target.user ? xasprintf("authentication as user '%s' failed: %s", rc->target.user, error)
                                    : xasprintf("authentication failed: %s", error);
        drop(rc, why);
        free(why);
        return;
    }
    if (--rc->handshake == 0)
        became_up(rc);
}

static void select_cb(void *arg, const redisReply *reply, const char *error)
{
    struct redisconn *rc = arg;
    if (error && rc->state == PGCONN_CONNECTING) {
        char *why = xasprintf("SELECT %d failed: %s", rc->target.db, error);
        drop(rc, why);
        free(why);
        return;
    }
    handshake_cb(arg, reply, error);
}

static void connect_cb(const redisAsyncContext *ac, int status)
{
    struct redisconn *rc = ac->data;
    if (!rc)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        rc->ac = NULL;
        went_down(rc, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    /* AUTH and SELECT go first and the connection is up only once they
     * have answered: a command sent as soon as it is up (from the state
     * callback) must run as the URL's user, in the URL's database.  A
     * handshake that does not answer is a connect that timed out
     * (watchdog).  An ACL user (Redis 6+) is AUTH user password; a user
     * without a password is a nopass user, which takes any password, ""
     * included.  Without a user the password is the default user's. */
    rc->handshake = 0;
    if (rc->target.user) {
        const char *argv[] = { "AUTH", rc->target.user, rc->target.password ? rc->target.password : "" };
        rc->handshake += send_command(rc, handshake_cb, rc, 3, argv) == 0;
    } else if (rc->target.password) {
        const char *argv[] = { "AUTH", rc->target.password };
        rc->handshake += send_command(rc, handshake_cb, rc, 2, argv) == 0;
    }
    if (rc->target.db) {
        char db[16];
        snprintf(db, sizeof db, "%d", rc->target.db);
        const char *argv[] = { "SELECT", db };
        rc->handshake += send_command(rc, select_cb, rc, 2, argv) == 0;
    }
    const char *argv[] = { "INFO", "server" };
    send_command(rc, version_cb, rc, 2, argv);
    if (rc->handshake == 0)
        became_up(rc);
}

static void disconnect_cb(const redisAsyncContext *ac, int status)
{
    (void)status;
    struct redisconn *rc = ac->data;
    if (!rc)
        return;
    rc->ac = NULL;
    went_down(rc, ac->errstr[0] ? ac->errstr : "connection closed by the server");
}

static void watchdog_cb(uv_timer_t *t)
{
    struct redisconn *rc = t->data;
    double now = now_monotonic();
    /* A lookup slower than the connect timeout is a failed connect; it
     * goes on, and the next attempt waits for it rather than start one. */
    if (rc->state == PGCONN_CONNECTING && !rc->ac && rc->resolve &&
        now - rc->connect_started > rc->connect_timeout) {
        char *reason = xasprintf("no answer in %.1f s", rc->connect_timeout);
        char *why = resolve_error_message(resolve_waiting_for(rc->resolve), reason);
        went_down(rc, why);
        free(why);
        free(reason);
        return;
    }
    if (rc->state == PGCONN_CONNECTING && rc->ac &&
        now - rc->connect_started > rc->connect_timeout) {
        char *why = xasprintf("timeout expired after %.1f s while connecting", rc->connect_timeout);
        drop(rc, why);
        free(why);
        return;
    }
    for (struct pending *p = rc->pending; p; p = p->next) {
        if (now - p->sent > rc->command_timeout) {
            char *why = xasprintf("no answer in %.1f s", rc->command_timeout);
            drop(rc, why);
            free(why);
            return;
        }
    }
    watchdog_settle(rc);
}

/* hiredis's part of a connect; `addr` is numeric (or NULL for a socket). */
static void connect_to(struct redisconn *rc, const char *addr)
{
    const char *unloaded = hi_load();
    if (unloaded) {
        went_down(rc, unloaded);
        return;
    }
    redisAsyncContext *ac = addr ? hi.redisAsyncConnect(addr, rc->target.port)
                                 : hi.redisAsyncConnectUnix(rc->target.socket_path);
    if (!ac) {
        went_down(rc, "out of memory");
        return;
    }
    if (ac->err) {
        char *why = xstrdup(ac->errstr);
        hi.redisAsyncFree(ac);
        went_down(rc, why);
        free(why);
        return;
    }
    ac->data = rc;
    if (adapter_attach(ac, rc->loop) != 0) {
        hi.redisAsyncFree(ac);
        went_down(rc, "cannot watch the socket");
        return;
    }
    rc->ac = ac;
    hi.redisAsyncSetConnectCallback(ac, connect_cb);
    hi.redisAsyncSetDisconnectCallback(ac, disconnect_cb);
    /* The connect completes when the socket turns writable. */
    adapter_add_write(ac->ev.data);
}

static void resolved(void *arg, const struct resolve_answer *answers, int n)
{
    struct redisconn *rc = arg;
    rc->resolve = NULL;
    if (rc->state != PGCONN_CONNECTING || rc->ac || n != 1)
        return;     /* that attempt timed out: the next one looks again */
    if (answers[0].error) {
        went_down(rc, answers[0].error);
        return;
    }
    /* hiredis 0.14 asks for IPv4 first and IPv6 only when there is none. */
    const char *addr = answers[0].addrs[0];
    for (int i = 0; i < answers[0].count; i++) {
        if (!strchr(answers[0].addrs[i], ':')) {
            addr = answers[0].addrs[i];
            break;
        }
    }
    connect_to(rc, addr);
}

static void start_connect(struct redisconn *rc)
{
    backoff_attempt(&rc->backoff);
    rc->connect_started = now_monotonic();
    watchdog_arm(rc);
    set_state(rc, PGCONN_CONNECTING);
    if (rc->state != PGCONN_CONNECTING)
        return;     /* the state callback closed us */
    if (rc->target.socket_path) {
        connect_to(rc, NULL);
        return;
    }
    if (resolve_is_numeric(rc->target.host)) {
        connect_to(rc, rc->target.host);
        return;
    }
    if (rc->resolve)
        return;     /* an earlier attempt's lookup is still out: wait for it */
    char *names[] = { rc->target.host };
    rc->resolve = resolve_start(rc->loop, names, 1, resolved, rc);
    if (!rc->resolve)
        went_down(rc, "could not start a host name lookup");
}

struct redisconn *redisconn_new(uv_loop_t *loop, const struct redis_target *target,
                                double connect_timeout, double command_timeout,
                                redisconn_state_cb cb, void *arg)
{
    struct redisconn *rc = xcalloc(1, sizeof *rc);
    rc->loop = loop;
    rc->target.host = xstrdup(target->host);
    rc->target.port = target->port;
    rc->target.socket_path = xstrdup(target->socket_path);
    rc->target.user = xstrdup(target->user);
    rc->target.password = xstrdup(target->password);
    rc->target.db = target->db;
    rc->display = redis_target_display(target);
    rc->connect_timeout = connect_timeout > 0 ? connect_timeout : 5;
    rc->command_timeout = command_timeout > 0 ? command_timeout : 5;
    rc->state_cb = cb;
    rc->arg = arg;
    backoff_init_for(&rc->backoff, rc);
    uv_timer_init(loop, &rc->timer);
    uv_timer_init(loop, &rc->watchdog);
    rc->timer.data = rc;
    rc->watchdog.data = rc;
    start_connect(rc);
    return rc;
}

int redisconn_command(struct redisconn *rc, redisconn_reply_cb cb, void *arg,
                      int argc, const char **argv)
{
    if (rc->state != PGCONN_UP)
        return -1;
    return send_command(rc, cb, arg, argc, argv);
}

/* Queue a command whatever the state (the handshake runs while
 * connecting); -1 when there is no connection to queue it on. */
static int send_command(struct redisconn *rc, redisconn_reply_cb cb, void *arg, int argc, const char **argv)
{
    if (!rc->ac)
        return -1;
    struct pending *p = xcalloc(1, sizeof *p);
    p->rc = rc;
    p->cb = cb;
    p->arg = arg;
    p->sent = now_monotonic();
    if (hi.redisAsyncCommandArgv(rc->ac, reply_cb, p, argc, argv, NULL) != REDIS_OK) {
        free(p);
        return -1;
    }
    p->next = rc->pending;
    if (rc->pending)
        rc->pending->prev = p;
    rc->pending = p;
    watchdog_arm(rc);
    return 0;
}

static void timer_closed(uv_handle_t *h)
{
    struct redisconn *rc = h->data;
    if (--rc->handles_open == 0) {
        redis_target_free(&rc->target);
        free(rc->display);
        free(rc->error);
        free(rc->kill_reason);
        free(rc);
    }
}

void redisconn_close(struct redisconn *rc)
{
    if (!rc || rc->state == PGCONN_CLOSED)
        return;
    rc->state = PGCONN_CLOSED;
    resolve_cancel(rc->resolve);
    rc->resolve = NULL;
    if (rc->ac) {
        redisAsyncContext *ac = rc->ac;
        rc->ac = NULL;
        free(rc->kill_reason);
        rc->kill_reason = xstrdup("connection closed");
        ac->data = NULL;
        hi.redisAsyncFree(ac);
    }
    rc->handles_open = 2;
    uv_close((uv_handle_t *)&rc->timer, timer_closed);
    uv_close((uv_handle_t *)&rc->watchdog, timer_closed);
}

enum pgconn_state redisconn_state(const struct redisconn *rc) { return rc->state; }
const char *redisconn_error(const struct redisconn *rc) { return rc->error; }
const char *redisconn_version(const struct redisconn *rc) { return rc->version[0] ? rc->version : NULL; }
const char *redisconn_display(const struct redisconn *rc) { return rc->display; }
unsigned long redisconn_connects(const struct redisconn *rc) { return rc->connects; }

double redisconn_retry_in(const struct redisconn *rc)
{
    return rc->state == PGCONN_DOWN ? backoff_due_in(&rc->backoff) : 0;
}
