#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "base/sanitize.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "net/gss.h"

#define APP_MAX_NOTICES 64

void app_changed(struct app *app, unsigned what)
{
    if ((what & APP_CHANGED_SERVERS) && app->on_servers)
        app->on_servers(app);
    if (app->on_change)
        app->on_change(app->ui, what);
}

void app_servers_given_up(struct app *app)
{
    for (int i = 0; i < SERVER_COUNT; i++)
        server_given_up(&app->servers[i]);
}

const struct server *app_server(const struct app *app, enum server_id id)
{
    return &app->servers[id];
}

/* A server's state changed: app_changed tells the collector engine (which
 * runs a server's collectors as soon as it is up, so the first frame after
 * a connect or a reconnect does not wait for the next tick) and the front
 * end. */
static void server_changed(void *arg, struct server *s)
{
    (void)s;
    app_changed(arg, APP_CHANGED_SERVERS);
}

/* What every PostgreSQL session runs before its first query.  Other roles
 * may create functions and operators in any schema they can write to
 * (public, before PostgreSQL 15 and often after), and one with a closer
 * signature than the built-in (public.lower(varchar), public.=(varchar,
 * varchar)) would be chosen over pg_catalog's through search_path, and run
 * with pgdeck's privileges.  With pg_catalog alone on the path no such
 * object can be found; names outside pg_catalog are written qualified.
 * The same settings go in the startup options, but a pooler may drop those
 * (PgBouncer's ignore_startup_parameters), so they are also SET here.
 * Quoting, sanitizing and JSON all assume UTF-8 from the server: the
 * server converts to it from any encoding but SQL_ASCII, which declares
 * none.  There a conversion would fail a whole query on one stored byte
 * that is not UTF-8, so the bytes come as stored (SQL_ASCII) and are shown
 * escaped like any other invalid UTF-8. */
static const char *const session_setup_sql =
    "SET search_path = pg_catalog; "
    "SELECT pg_catalog.set_config('client_encoding', "
    "CASE pg_catalog.current_setting('server_encoding') WHEN 'SQL_ASCII' THEN 'SQL_ASCII' ELSE 'UTF8' END, "
    "false)";

/* Every pgdeck session says who it is, asks for no GSS encryption where
 * no Kerberos credential can exist (net/gss.c: libpq's own check loads
 * krb5 for each TCP connection), carries a statement_timeout so no
 * monitoring query can run away, and in read-only mode refuses writes at
 * the server too (default_transaction_read_only), so that even a bug in
 * the client gate cannot change the database. */
static void monitoring_conninfo(struct conninfo *ci, const struct config *cfg, bool server_options)
{
    conninfo_set(ci, "application_name", "pgdeck");
    if (!conninfo_get(ci, "connect_timeout")) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)ceil(cfg->connect_timeout_ms / 1000.0));
        conninfo_set(ci, "connect_timeout", buf);
    }
    gss_skip_when_impossible(ci, "");
    if (!server_options)
        return;
    conninfo_set(ci, "client_encoding", "UTF8");
    const char *old = conninfo_get(ci, "options");
    /* JIT would compile the bigger catalog queries at scale (seconds for
     * the partition tree at 5,000 partitions) to save microseconds.  Ours
     * come last, so they win over the user's -c of the same setting. */
    char *opts = xasprintf("%s%s-c statement_timeout=%.0f -c jit=off -c search_path=pg_catalog%s",
                           old ? old : "", old ? " " : "",
                           cfg->statement_timeout_ms,
                           cfg->read_only ? " -c default_transaction_read_only=on" : "");
    conninfo_set(ci, "options", opts);
    free(opts);
}

static struct pgpool *open_pool(struct app *app, enum server_id id, const struct conninfo *base)
{
    const struct config *cfg = app->cfg;
    struct conninfo ci;
    conninfo_copy(&ci, base);
    monitoring_conninfo(&ci, cfg, true);
    struct pgpool_options o = {
        .label = server_name(&app->servers[id]),
        .min = cfg->pool_min,
        .max = cfg->pool_max,
        .idle_timeout = cfg->idle_timeout_ms / 1000.0,
        .connect_timeout = cfg->connect_timeout_ms / 1000.0,
        .query_timeout = cfg->query_timeout_ms / 1000.0,
        .setup_sql = session_setup_sql,
    };
    server_open_pool(&app->servers[id], app->loop, &ci, &o, server_changed, app);
    conninfo_free(&ci);
    return server_pool(&app->servers[id]);
}

int app_init(struct app *app, uv_loop_t *loop, struct config *cfg)
{
    char err[256];
    app->loop = loop;
    app->cfg = cfg;
    for (int i = 0; i < SERVER_COUNT; i++)
        server_init(&app->servers[i], (enum server_id)i);
    /* A viewer reads Redis and nothing else: whatever PG* variables or
     * DATABASE_URL say, no database session is opened. */
    if (cfg->from)
        return 0;
    app->primary_display = conninfo_display(&cfg->primary);
    app->primary = open_pool(app, SERVER_PRIMARY, &cfg->primary);

    if (cfg->replica) {
        struct conninfo ci = { 0 };
        if (conninfo_parse(&ci, cfg->replica, err, sizeof err) == 0)
            app->replica = open_pool(app, SERVER_REPLICA, &ci);
        else
            app_message(app, true, "replica: %s", err);
        conninfo_free(&ci);
    }
    if (cfg->pgbouncer) {
        struct conninfo ci = { 0 };
        if (conninfo_parse(&ci, cfg->pgbouncer, err, sizeof err) == 0) {
            /* The admin console accepts no "options" startup parameter. */
            monitoring_conninfo(&ci, cfg, false);
            if (!conninfo_get(&ci, "dbname"))
                conninfo_set(&ci, "dbname", "pgbouncer");
            struct pgconn_options o = {
                .label = "pgbouncer",
                .connect_timeout = cfg->connect_timeout_ms / 1000.0,
                .query_timeout = cfg->query_timeout_ms / 1000.0,
                .reconnect = true,
                .simple_protocol = true,
            };
            server_open_conn(&app->servers[SERVER_PGBOUNCER], loop, &ci, &o, server_changed, app);
        } else {
            app_message(app, true, "pgbouncer: %s", err);
        }
        conninfo_free(&ci);
    }
    if (cfg->redis) {
        struct redis_target t = { 0 };
        if (redis_target_parse(&t, cfg->redis, err, sizeof err) == 0)
            server_open_redis(&app->servers[SERVER_REDIS], loop, &t, cfg->connect_timeout_ms / 1000.0,
                              cfg->query_timeout_ms / 1000.0, server_changed, app);
        else
            app_message(app, true, "redis: %s", err);
        redis_target_free(&t);
    }
    return 0;
}

void app_close(struct app *app)
{
    if (app->on_close) {
        void (*closing)(struct app *) = app->on_close;
        app->on_close = NULL;
        closing(app);
    }
    for (int i = 0; i < SERVER_COUNT; i++)
        server_close(&app->servers[i]);
    app->primary = app->replica = NULL;
    free(app->primary_display);
    free(app->message);
    app->primary_display = app->message = NULL;
    for (int i = 0; i < app->nnotices; i++)
        free(app->notices[i]);
    free(app->notices);
    app->notices = NULL;
    app->nnotices = 0;
}

void app_message(struct app *app, bool error, const char *fmt, ...)
{
    free(app->message);
    app->message = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        char buf[1024];
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        app->message = xstrdup(buf);
    }
    app->message_is_error = error;
    app_changed(app, APP_CHANGED_MESSAGE);
}

void app_notice_once(struct app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* A bounded memory: past it, nothing more is said (a hostile role
     * could otherwise vary the text for ever). */
    if (app->nnotices >= APP_MAX_NOTICES)
        return;
    for (int i = 0; i < app->nnotices; i++)
        if (strcmp(app->notices[i], buf) == 0)
            return;
    app->notices = xrealloc(app->notices, (size_t)(app->nnotices + 1) * sizeof *app->notices);
    app->notices[app->nnotices++] = xstrdup(buf);
    if (app->on_change) {
        app_message(app, false, "%s", buf);
        return;
    }
    char *text = sanitize(buf, SANITIZE_FOLD | (app->cfg && app->cfg->ascii ? SANITIZE_ASCII : 0));
    fprintf(stderr, "pgdeck: %s\n", text);
    free(text);
}

void app_series_push(struct app *app, const char *name, double value)
{
    struct series *s = NULL;
    for (int i = 0; i < app->nseries; i++)
        if (strcmp(app->series[i].name, name) == 0)
            s = &app->series[i];
    if (!s) {
        if (app->nseries == APP_MAX_SERIES)
            return;
        s = &app->series[app->nseries++];
        snprintf(s->name, sizeof s->name, "%s", name);
    }
    s->values[s->head] = value;
    s->head = (s->head + 1) % SERIES_LEN;
    if (s->count < SERIES_LEN)
        s->count++;
}

const struct series *app_series(const struct app *app, const char *name)
{
    for (int i = 0; i < app->nseries; i++)
        if (strcmp(app->series[i].name, name) == 0)
            return &app->series[i];
    return NULL;
}

double series_at(const struct series *s, int i)
{
    if (!s || i < 0 || i >= s->count)
        return NAN;
    return s->values[(s->head - 1 - i + 2 * SERIES_LEN) % SERIES_LEN];
}
