/* The four servers behind one interface (server.h): each question is
 * answered by the client of the server's kind. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "net/server.h"
#include "base/xalloc.h"

static const char *const server_names[SERVER_COUNT] = {
    [SERVER_PRIMARY]   = "primary",
    [SERVER_REPLICA]   = "replica",
    [SERVER_PGBOUNCER] = "pgbouncer",
    [SERVER_REDIS]     = "redis",
};

void server_init(struct server *s, enum server_id id)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->name = id >= 0 && id < SERVER_COUNT ? server_names[id] : "?";
}

/* "Down since": from the first failure (a connect refused, a connection
 * lost) until it is up again, however many retries between. */
static void note_state(struct server *s)
{
    enum pgconn_state st = server_state(s);
    if (st == PGCONN_UP)
        s->down_since = 0;
    else if (st == PGCONN_DOWN && !(s->down_since > 0))
        s->down_since = now_wall();
}

static void changed(struct server *s)
{
    note_state(s);
    if (s->cb)
        s->cb(s->arg, s);
}

/* The clients report from inside their constructors too (a connect that
 * fails at once), before the constructor has returned the handle: take it
 * from the report, so the server can already answer for it.  Until then
 * the server is not configured (kind SERVER_NONE). */
static void pool_changed(void *arg, struct pgpool *pool)
{
    struct server *s = arg;
    s->kind = SERVER_POOL;
    s->u.pool = pool;
    changed(s);
}

static void conn_changed(void *arg, struct pgconn *conn)
{
    struct server *s = arg;
    s->kind = SERVER_CONN;
    s->u.conn = conn;
    changed(s);
}

static void redis_changed(void *arg, struct redisconn *rc)
{
    struct server *s = arg;
    s->kind = SERVER_REDIS_CONN;
    s->u.redis = rc;
    changed(s);
}

static void opening(struct server *s, server_state_cb cb, void *arg)
{
    server_close(s);
    s->cb = cb;
    s->arg = arg;
}

void server_open_pool(struct server *s, uv_loop_t *loop, const struct conninfo *ci,
                      const struct pgpool_options *opts, server_state_cb cb, void *arg)
{
    opening(s, cb, arg);
    s->u.pool = pgpool_new(loop, ci, opts, pool_changed, s);
    s->kind = SERVER_POOL;
    /* A pool does not report from inside pgpool_new: look. */
    note_state(s);
}

void server_open_conn(struct server *s, uv_loop_t *loop, const struct conninfo *ci,
                      const struct pgconn_options *opts, server_state_cb cb, void *arg)
{
    opening(s, cb, arg);
    s->u.conn = pgconn_new(loop, ci, opts, conn_changed, s);
    s->kind = SERVER_CONN;
    note_state(s);
}

void server_open_redis(struct server *s, uv_loop_t *loop, const struct redis_target *target,
                       double connect_timeout, double command_timeout,
                       server_state_cb cb, void *arg)
{
    opening(s, cb, arg);
    s->u.redis = redisconn_new(loop, target, connect_timeout, command_timeout, redis_changed, s);
    s->kind = SERVER_REDIS_CONN;
    note_state(s);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool server_set_remote(struct server *s, enum pgconn_state state, const char *version, bool standby,
                       const char *error, double down_since)
{
    bool changed = s->kind != SERVER_REMOTE;
    if (s->kind != SERVER_REMOTE) {
        server_close(s);
        s->kind = SERVER_REMOTE;
        s->u.remote = xcalloc(1, sizeof *s->u.remote);
    }
    struct server_remote *r = s->u.remote;
    double was_down_since = s->down_since;
    changed |= r->state != state || r->standby != standby || !same_text(r->version, version) ||
               !same_text(r->error, error);
    r->state = state;
    r->standby = standby;
    if (!same_text(r->version, version)) {
        free(r->version);
        r->version = version ? xstrdup(version) : NULL;
    }
    if (!same_text(r->error, error)) {
        free(r->error);
        r->error = error ? xstrdup(error) : NULL;
    }
    /* The agent's own "down since" when it says one; otherwise from when
     * it was first said down. */
    if (state != PGCONN_DOWN)
        s->down_since = 0;
    else if (down_since > 0)
        s->down_since = down_since;
    else if (!(s->down_since > 0))
        s->down_since = now_wall();
    return changed || s->down_since != was_down_since;
}

/* What each kind of client answers, as one row per kind. */
struct server_class {
    void              (*close)(struct server *s);
    enum pgconn_state (*state)(const struct server *s);
    const char       *(*version)(const struct server *s);
    bool              (*standby)(const struct server *s);
    const char       *(*error)(const struct server *s);
    double            (*retry_in)(const struct server *s);
};

static void pool_close(struct server *s)                     { pgpool_free(s->u.pool); }
static enum pgconn_state pool_state(const struct server *s)  { return pgpool_state(s->u.pool); }
static const char *pool_version(const struct server *s)      { return pgpool_server_version_text(s->u.pool); }
static bool pool_standby(const struct server *s)             { return pgpool_in_recovery(s->u.pool); }
static const char *pool_error(const struct server *s)        { return pgpool_error(s->u.pool); }
static double pool_retry_in(const struct server *s)          { return pgpool_retry_in(s->u.pool); }

static void conn_close(struct server *s)                     { pgconn_close(s->u.conn); }
static enum pgconn_state conn_state(const struct server *s)  { return pgconn_state(s->u.conn); }
static const char *conn_version(const struct server *s)      { return pgconn_server_version_text(s->u.conn); }
static const char *conn_error(const struct server *s)        { return pgconn_error(s->u.conn); }
static double conn_retry_in(const struct server *s)          { return pgconn_retry_in(s->u.conn); }

static void redis_close(struct server *s)                    { redisconn_close(s->u.redis); }
static enum pgconn_state redis_state(const struct server *s) { return redisconn_state(s->u.redis); }
static const char *redis_version(const struct server *s)     { return redisconn_version(s->u.redis); }
static const char *redis_error(const struct server *s)       { return redisconn_error(s->u.redis); }
static double redis_retry_in(const struct server *s)         { return redisconn_retry_in(s->u.redis); }

static void remote_close(struct server *s)
{
    free(s->u.remote->version);
    free(s->u.remote->error);
    free(s->u.remote);
}
static enum pgconn_state remote_state(const struct server *s) { return s->u.remote->state; }
static const char *remote_version(const struct server *s)     { return s->u.remote->version; }
static bool remote_standby(const struct server *s)            { return s->u.remote->standby; }
static const char *remote_error(const struct server *s)       { return s->u.remote->error; }
/* The agent retries; nothing here does. */
static double remote_retry_in(const struct server *s)         { (void)s; return 0; }

/* PgBouncer's console and Redis have no recovery to be in. */
static bool never_standby(const struct server *s)            { (void)s; return false; }

static const struct server_class server_classes[] = {
    [SERVER_POOL] = { .close = pool_close, .state = pool_state, .version = pool_version,
                      .standby = pool_standby, .error = pool_error, .retry_in = pool_retry_in },
    [SERVER_CONN] = { .close = conn_close, .state = conn_state, .version = conn_version,
                      .standby = never_standby, .error = conn_error, .retry_in = conn_retry_in },
    [SERVER_REDIS_CONN] = { .close = redis_close, .state = redis_state, .version = redis_version,
                            .standby = never_standby, .error = redis_error, .retry_in = redis_retry_in },
    [SERVER_REMOTE] = { .close = remote_close, .state = remote_state, .version = remote_version,
                        .standby = remote_standby, .error = remote_error, .retry_in = remote_retry_in },
};

/* The class of a configured server, NULL for one that is not. */
static const struct server_class *class_of(const struct server *s)
{
    return s->kind != SERVER_NONE ? &server_classes[s->kind] : NULL;
}

void server_close(struct server *s)
{
    const struct server_class *k = class_of(s);
    if (k)
        k->close(s);
    s->kind = SERVER_NONE;
    memset(&s->u, 0, sizeof s->u);
    s->down_since = 0;
    s->cb = NULL;
    s->arg = NULL;
}

const char *server_name(const struct server *s)
{
    return s->name ? s->name : "?";
}

bool server_configured(const struct server *s)
{
    return class_of(s) != NULL;
}

enum pgconn_state server_state(const struct server *s)
{
    const struct server_class *k = class_of(s);
    return k ? k->state(s) : PGCONN_CLOSED;
}

const char *server_version(const struct server *s)
{
    const struct server_class *k = class_of(s);
    return k ? k->version(s) : NULL;
}

bool server_standby(const struct server *s)
{
    const struct server_class *k = class_of(s);
    return k && k->standby(s);
}

const char *server_error(const struct server *s)
{
    const struct server_class *k = class_of(s);
    return k ? k->error(s) : NULL;
}

const char *server_error_reason(const struct server *s)
{
    return pgconn_error_reason(server_error(s));
}

double server_retry_in(const struct server *s)
{
    const struct server_class *k = class_of(s);
    return k ? k->retry_in(s) : 0;
}

double server_down_since(const struct server *s)
{
    return s->down_since;
}

void server_given_up(struct server *s)
{
    if (server_configured(s) && server_state(s) != PGCONN_UP && !(s->down_since > 0))
        s->down_since = now_wall();
}

struct pgpool *server_pool(const struct server *s)
{
    return s->kind == SERVER_POOL ? s->u.pool : NULL;
}

struct pgconn *server_conn(const struct server *s)
{
    return s->kind == SERVER_CONN ? s->u.conn : NULL;
}

struct redisconn *server_redis(const struct server *s)
{
    return s->kind == SERVER_REDIS_CONN ? s->u.redis : NULL;
}
