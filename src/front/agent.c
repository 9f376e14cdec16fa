/* pgdeck agent: the collectors headless, every snapshot published to Redis
 * Streams, so that any number of viewers watch one database that pays for
 * one console.
 *
 * It runs the app and the collector engine exactly as the console does
 * (same collectors, cadences, backoff, statement_timeout), on the
 * database host so that the host figures are real, and publishes to the
 * Redis of --publish (its own connection; --redis, if given, is the Redis
 * being watched, as for the console).  The format and the keys are
 * stream.h's.
 *
 * What it writes:
 *   - each collector's snapshot to pgdeck:{NAME}:<collector> with XADD
 *     MAXLEN ~ N, when its data (columns, rows, error) differs from the
 *     last one sent on that stream, or when the last one sent is older
 *     than the keep-alive, max(10 s, 3 cadences): a viewer that sees no
 *     entry for longer than the entry's "keepalive" knows the data is no
 *     longer current;
 *   - each interval a heartbeat: the summary (stream.h) renewed in
 *     pgdeck:{NAME}:agent (TTL three intervals + 2 s), appended to
 *     pgdeck:fleet (XADD MAXLEN ~ 1000) and kept in the hash
 *     pgdeck:fleet:agents, where check --from finds agents that went
 *     silent.
 *
 * One name, one agent: the name is taken with SET pgdeck:{NAME}:lock TOKEN
 * NX PX (TOKEN random), renewed with the heartbeat only while the lock
 * still holds our token (a Lua script, atomic), and released at exit the
 * same way.  A second agent under a live name refuses to start.
 *
 * Redis down: collecting goes on; redisconn reconnects with backoff; when
 * it is back the agent takes its name again (Redis may have restarted
 * empty) and publishes every collector's latest snapshot at once.  The
 * primary down: the collectors publish their failures like any snapshot,
 * and the heartbeat says "primary down" (with the primary_down alert).
 * SIGTERM, SIGINT and SIGHUP end it: a last heartbeat says "stopped", the
 * name is released, exit 0.  A Redis user that may not write (NOPERM) or
 * a name held by another agent ends it with exit 1 and the reason on
 * stderr; everything it says goes to stderr, one line each, through the
 * sanitizing writer. */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <uv.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/openmetrics.h"
#include "core/stream.h"
#include "front/agent_actions.h"
#include "front/frontend.h"
#include "front/frontend_loop.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define FLEET_MAXLEN "1000"
#define KEEPALIVE_MIN 10.0          /* seconds */
#define KEEPALIVE_CADENCES 3
#define TTL_HEARTBEATS 3            /* the agent key outlives this many */
#define TTL_SLACK 2.0               /* seconds on top, for a slow Redis */
#define STOP_WAIT 3.0               /* seconds to say goodbye at exit */
#define MAX_ALERTS STREAM_MAX_ALERTS

/* Take the name back if it is free (it expired, or Redis restarted
 * empty), keep it if it holds our token, and write the summary; 0 when
 * another agent holds it.  KEYS: lock, agent.  ARGV: token, summary, ttl
 * in ms. */
static const char renew_script[] =
    "local held = redis.call('GET', KEYS[1]) "
    "if held and held ~= ARGV[1] then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) "
    "redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) "
    "return 1";

/* Delete the lock and the agent key if the lock is still ours. */
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('DEL', KEYS[1], KEYS[2]) return 1 end "
    "return 0";

enum hold { HOLD_NONE, HOLD_TAKING, HOLD_HELD };

/* One collector's stream. */
struct published {
    struct snapshot *sent;          /* the last snapshot sent (a ref) */
    struct snapshot *seen;          /* the last one found unchanged (a ref):
                                       compared once, not at every event */
    double           sent_at;       /* monotonic, when it was accepted */
    bool             inflight;      /* an XADD is out */
    bool             force;         /* send the latest even if unchanged */
};

struct agent {
    struct app        *app;
    const struct config *cfg;
    struct redisconn  *bus;
    char              *bus_display;     /* host:port/db, no password */
    char              *bus_user;        /* the ACL user, or NULL */
    const char        *name;
    char               token[33];
    char              *lock_key, *agent_key;
    enum hold          hold;
    struct published  *pub;             /* npub: one per collector */
    int                npub;
    uv_timer_t         beat;
    uv_timer_t         coalesce;        /* a tick's snapshots go out together */
    uv_signal_t        signals[3];
    double             started_at;      /* wall */
    char               host[256];
    bool               beat_inflight;
    enum pgconn_state  primary_said;    /* the primary's state last said */
    char              *bus_said;        /* the last thing said about Redis */
    char              *refusal_said;    /* the last refusal said */
    char              *metrics_said;    /* the last --metrics-file problem said */
    bool               stopping;
    double             stop_by;         /* monotonic */
    int                goodbyes;        /* replies still awaited at exit */
    bool               done;
    bool               closing;         /* the bus is closing: replies are void */
    bool               released;        /* held the name at exit and gave it back */
    struct agent_actions *actions;      /* --accept-actions: viewers' requests */
    int                exit_code;
};

static void stop(struct agent *ag, int code);

/* ---- saying things ----------------------------------------------------------------- */

static void say(struct agent *ag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct agent *ag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    textout_line(stderr, "pgdeck agent %s: %s", ag->name, text);
    fflush(stderr);
    free(text);
}

/* Say it unless it is what was said last under `slot` (a Redis that stays
 * down is retried every few seconds: one line, not one per retry). */
static void say_once(struct agent *ag, char **slot, const char *text)
{
    if (*slot && strcmp(*slot, text) == 0)
        return;
    free(*slot);
    *slot = xstrdup(text);
    say(ag, "%s", text);
}

/* The server refused a write.  Permission problems are for a person to
 * fix: say what to do and stop; others (a key of the wrong type, Redis out
 * of memory) are said once and retried. */
static void refused(struct agent *ag, const char *what, const char *error)
{
    bool fatal = strncmp(error, "NOPERM", 6) == 0 || strncmp(error, "NOAUTH", 6) == 0;
    char *text = xasprintf("Redis refused %s%s%s%s: %s%s", what,
                           ag->bus_user ? " for user '" : "", ag->bus_user ? ag->bus_user : "",
                           ag->bus_user ? "'" : "", error,
                           fatal ? " (the agent's Redis user must be allowed to write pgdeck:* keys "
                                   "and run EVAL: see README, Redis ACL users)" : "");
    say_once(ag, &ag->refusal_said, text);
    free(text);
    if (fatal)
        stop(ag, 1);
}

static void actions_said(void *arg, const char *text)
{
    say(arg, "%s", text);
}

/* ---- the summary ---------------------------------------------------------------------- */

static const char *agent_state(const struct agent *ag)
{
    if (ag->stopping)
        return "stopped";
    const struct app *app = ag->app;
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (server_state(primary) == PGCONN_UP)
        return "up";
    return server_down_since(primary) > 0 ? "primary down" : "connecting";
}

static double ttl_seconds(const struct agent *ag)
{
    return TTL_HEARTBEATS * ag->app->interval + TTL_SLACK;
}

static char *summary_text(struct agent *ag)
{
    struct app *app = ag->app;
    struct stream_agent a = { 0 };
    snprintf(a.name, sizeof a.name, "%s", ag->name);
    snprintf(a.state, sizeof a.state, "%s", agent_state(ag));
    a.pgdeck = PGDECK_VERSION;
    a.host = ag->host;
    a.pid = (long)getpid();
    a.at = now_wall();
    a.started_at = ag->started_at;
    a.interval = app->interval;
    a.ttl = ttl_seconds(ag);
    a.primary_down_since = server_down_since(app_server(app, SERVER_PRIMARY));

    for (int i = 0; i < SERVER_COUNT && i < STREAM_MAX_SERVERS; i++) {
        const struct server *srv = app_server(app, (enum server_id)i);
        struct stream_server *s = &a.servers[a.nservers++];
        bool on = server_configured(srv), up = on && server_state(srv) == PGCONN_UP;
        snprintf(s->name, sizeof s->name, "%s", server_name(srv));
        s->configured = on;
        snprintf(s->state, sizeof s->state, "%s", on ? pgconn_state_name(server_state(srv)) : "");
        s->version = up ? (char *)server_version(srv) : NULL;
        s->error = on && !up ? (char *)server_error(srv) : NULL;
        s->standby = on && server_standby(srv);
        if (i == 0 && up)
            a.server_version = s->version;
    }

    struct alert alerts[MAX_ALERTS];
    int na = alerts_evaluate(app, alerts, MAX_ALERTS);
    for (int i = 0; i < na; i++) {
        struct stream_alert *al = &a.alerts[a.nalerts++];
        al->level = alerts[i].level;
        snprintf(al->name, sizeof al->name, "%s", alerts[i].name);
        snprintf(al->text, sizeof al->text, "%s", alerts[i].text);
        if (alert_severity(alerts[i].level) > alert_severity(a.worst))
            a.worst = alerts[i].level;
    }
    /* What a viewer may ask of it, and the figures the fleet pane shows
     * (check's performance data: pool_used, cache_hit, replica_lag,
     * stale_views, ...). */
    a.actions = !ag->cfg->accept_actions ? STREAM_ACTIONS_REFUSED
              : ag->cfg->read_only ? STREAM_ACTIONS_READ_ONLY : STREAM_ACTIONS_ACCEPTED;
    struct perfdata perf[STREAM_MAX_FIGURES];
    int np = alerts_perfdata(app, perf, STREAM_MAX_FIGURES);
    for (int i = 0; i < np; i++) {
        struct stream_figure *f = &a.figures[a.nfigures++];
        snprintf(f->name, sizeof f->name, "%.*s", (int)sizeof f->name - 1, perf[i].label);
        f->value = perf[i].value;
    }
    /* The summary borrowed the servers' strings and copied the alerts'. */
    char *text = stream_agent_text(&a);
    alerts_free(alerts, na);
    return text;
}

/* ---- publishing snapshots ---------------------------------------------------------------- */

struct publish_req {
    struct agent    *ag;
    int              index;
    struct snapshot *s;             /* a ref */
};

static double keepalive(const struct collector *c)
{
    double k = KEEPALIVE_CADENCES * collector_cadence(c);
    return k > KEEPALIVE_MIN ? k : KEEPALIVE_MIN;
}

static bool can_publish(const struct agent *ag)
{
    return !ag->stopping && ag->hold == HOLD_HELD && redisconn_state(ag->bus) == PGCONN_UP;
}

static void look(struct agent *ag, int i);

static void published(void *arg, const redisReply *reply, const char *error)
{
    struct publish_req *req = arg;
    struct agent *ag = req->ag;
    struct published *p = &ag->pub[req->index];
    p->inflight = false;
    if (ag->closing) {
        snapshot_unref(req->s);
        free(req);
        return;
    }
    if (!error) {
        snapshot_unref(p->sent);
        p->sent = req->s;
        p->sent_at = now_monotonic();
        p->force = false;
        /* A newer snapshot may have come while this one was out. */
        look(ag, req->index);
    } else {
        snapshot_unref(req->s);
        if (reply) {
            char *what = stream_key(ag->name, ag->app->collectors[req->index].def->name);
            char *xadd = xasprintf("XADD %s", what);
            refused(ag, xadd, error);
            free(xadd);
            free(what);
            /* Not again before the keep-alive: a refusal that stays (a
             * key of another type) must not be retried every second. */
            p->sent_at = now_monotonic();
        } else {
            p->force = true;        /* lost: send again when Redis is back */
        }
    }
    free(req);
}

static void publish(struct agent *ag, int i, struct snapshot *s)
{
    const struct collector *c = &ag->app->collectors[i];
    struct stream_fields f;
    stream_entry_encode(&f, s, c->def->name, collector_source_name(c->def->source),
                        collector_cadence(c), keepalive(c));
    char *key = stream_key(ag->name, c->def->name);
    char maxlen[24];
    snprintf(maxlen, sizeof maxlen, "%d", ag->cfg->stream_maxlen);
    const char *argv[6 + 2 * STREAM_ENTRY_FIELDS] = { "XADD", key, "MAXLEN", "~", maxlen, "*" };
    int argc = 6;
    for (int k = 0; k < f.count; k++) {
        argv[argc++] = f.field[k];
        argv[argc++] = f.value[k];
    }
    struct publish_req *req = xcalloc(1, sizeof *req);
    req->ag = ag;
    req->index = i;
    req->s = snapshot_ref(s);
    if (redisconn_command(ag->bus, published, req, argc, argv) == 0) {
        ag->pub[i].inflight = true;
    } else {
        snapshot_unref(req->s);
        free(req);
        ag->pub[i].force = true;
    }
    free(key);
    stream_fields_free(&f);
}

/* Publish collector i's latest snapshot if it is news, or due for its
 * keep-alive. */
static void look(struct agent *ag, int i)
{
    const struct collector *c = &ag->app->collectors[i];
    struct published *p = &ag->pub[i];
    struct snapshot *s = c->current;
    if (!s || p->inflight || !can_publish(ag))
        return;
    bool due = p->force || !p->sent || now_monotonic() - p->sent_at >= keepalive(c);
    if (!due && (s == p->sent || s == p->seen))
        return;
    if (!due && stream_same_data(s, p->sent)) {
        snapshot_unref(p->seen);
        p->seen = snapshot_ref(s);
        return;
    }
    publish(ag, i, s);
}

static void look_all(struct agent *ag)
{
    for (int i = 0; i < ag->app->ncollectors; i++)
        look(ag, i);
}

/* ---- the name and the heartbeat ------------------------------------------------------------- */

static void heartbeat(struct agent *ag);

static void fleet_written(void *arg, const redisReply *reply, const char *error)
{
    struct agent *ag = arg;
    if (error && reply && !ag->closing)
        refused(ag, "a heartbeat on " STREAM_FLEET_KEY, error);
}

/* The summary to the fleet stream and the fleet hash. */
static void write_fleet(struct agent *ag, const char *summary, redisconn_reply_cb cb)
{
    const char *xadd[] = { "XADD", STREAM_FLEET_KEY, "MAXLEN", "~", FLEET_MAXLEN, "*",
                           "format", "1", "name", ag->name, "state", agent_state(ag), "summary", summary };
    const char *hset[] = { "HSET", STREAM_AGENTS_KEY, ag->name, summary };
    if (redisconn_command(ag->bus, cb, ag, 14, xadd) == 0 && ag->stopping)
        ag->goodbyes++;
    if (redisconn_command(ag->bus, cb, ag, 4, hset) == 0 && ag->stopping)
        ag->goodbyes++;
}

static void renewed(void *arg, const redisReply *reply, const char *error)
{
    struct agent *ag = arg;
    ag->beat_inflight = false;
    if (ag->closing)
        return;
    if (error) {
        if (reply)
            refused(ag, "the heartbeat (EVAL on pgdeck:{NAME}:lock and :agent)", error);
        return;
    }
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        ag->hold = HOLD_NONE;
        say(ag, "another agent took the name '%s' (its lock holds another token): stopping", ag->name);
        stop(ag, 1);
        return;
    }
    char *summary = summary_text(ag);
    if (summary && can_publish(ag))
        write_fleet(ag, summary, fleet_written);
    free(summary);
}

static void heartbeat(struct agent *ag)
{
    if (!can_publish(ag) || ag->beat_inflight)
        return;
    char *summary = summary_text(ag);
    if (!summary)
        return;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%.0f", ttl_seconds(ag) * 1000);
    const char *argv[] = { "EVAL", renew_script, "2", ag->lock_key, ag->agent_key, ag->token, summary, ttl };
    if (redisconn_command(ag->bus, renewed, ag, 8, argv) == 0)
        ag->beat_inflight = true;
    free(summary);
}

/* The name is taken: say by whom, from its summary. */
static void holder_read(void *arg, const redisReply *reply, const char *error)
{
    struct agent *ag = arg;
    struct stream_agent other;
    char why[256];
    if (ag->closing)
        return;
    if (!error && reply->type == REDIS_REPLY_STRING &&
        stream_agent_parse(reply->str, reply->len, &other, why, sizeof why) == 0) {
        char at[16];
        say(ag, "the name '%s' is taken by a live agent (pid %ld on host %s, last heartbeat %s): "
                "stop that one or choose another --name", ag->name, other.pid,
            other.host ? other.host : "?", clock_time_local(other.at, at, sizeof at));
        stream_agent_free(&other);
    } else {
        say(ag, "the name '%s' is taken by a live agent (%s is held): stop that one or choose another --name",
            ag->name, ag->lock_key);
    }
    stop(ag, 1);
}

static void taken(void *arg, const redisReply *reply, const char *error)
{
    struct agent *ag = arg;
    if (ag->closing || ag->hold != HOLD_TAKING)
        return;
    ag->hold = HOLD_NONE;
    if (error) {
        if (reply)
            refused(ag, "to take the name (SET pgdeck:{NAME}:lock NX)", error);
        return;     /* lost: taken again when Redis is back */
    }
    if (reply->type == REDIS_REPLY_NIL) {
        const char *argv[] = { "GET", ag->agent_key };
        if (redisconn_command(ag->bus, holder_read, ag, 2, argv) != 0)
            holder_read(ag, NULL, "Redis went away");
        return;
    }
    ag->hold = HOLD_HELD;
    say(ag, "publishing to %s%s%s%s as '%s' (streams pgdeck:{%s}:*, MAXLEN ~ %d; heartbeat every %g s)",
        ag->bus_display, ag->bus_user ? " (user " : "", ag->bus_user ? ag->bus_user : "", ag->bus_user ? ")" : "",
        ag->name, ag->name, ag->cfg->stream_maxlen, ag->app->interval);
    free(ag->bus_said);
    ag->bus_said = NULL;
    /* Redis may have restarted empty: every stream gets its latest. */
    for (int i = 0; i < ag->app->ncollectors; i++)
        ag->pub[i].force = true;
    heartbeat(ag);
    look_all(ag);
}

static void take_name(struct agent *ag)
{
    if (ag->stopping || ag->hold != HOLD_NONE || redisconn_state(ag->bus) != PGCONN_UP)
        return;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%.0f", ttl_seconds(ag) * 1000);
    const char *argv[] = { "SET", ag->lock_key, ag->token, "NX", "PX", ttl };
    if (redisconn_command(ag->bus, taken, ag, 6, argv) == 0)
        ag->hold = HOLD_TAKING;
}

static void bus_state(void *arg, struct redisconn *rc)
{
    struct agent *ag = arg;
    enum pgconn_state st = redisconn_state(rc);
    if (ag->closing)
        return;
    if (st == PGCONN_UP) {
        take_name(ag);
        return;
    }
    if (st != PGCONN_DOWN)
        return;
    ag->hold = HOLD_NONE;
    ag->beat_inflight = false;
    for (int i = 0; i < ag->app->ncollectors; i++)
        ag->pub[i].inflight = false;
    if (ag->stopping) {
        stop(ag, ag->exit_code);
        return;
    }
    const char *why = redisconn_error(rc) ? redisconn_error(rc) : "connection lost";
    char *text = xasprintf("Redis %s is down (%s): collecting goes on; publishing again when it is back",
                           ag->bus_display, why);
    say_once(ag, &ag->bus_said, text);
    free(text);
}

/* ---- the app's news ---------------------------------------------------------------------------- */

static void primary_news(struct agent *ag)
{
    struct app *app = ag->app;
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    enum pgconn_state st = server_configured(primary) ? server_state(primary) : PGCONN_DOWN;
    if (st == ag->primary_said || st == PGCONN_CONNECTING)
        return;
    ag->primary_said = st;
    if (st == PGCONN_UP) {
        say(ag, "primary up (%s)", app->primary_display ? app->primary_display : "");
    } else if (st == PGCONN_DOWN) {
        const char *why = server_error(primary);
        say(ag, "primary down: %s", why && *why ? why : "not connected");
    }
    /* The fleet hears of it now, not at the next heartbeat. */
    heartbeat(ag);
}

static void coalesce_cb(uv_timer_t *t)
{
    look_all(t->data);
}

static void app_news(void *ui, unsigned what)
{
    struct agent *ag = ui;
    /* As the screen draws: the first snapshot of a tick waits for the
     * others, and they go out in one burst, so a viewer blocked on every
     * stream wakes once or twice a tick rather than once per collector
     * (50 viewers on 2 CPUs: that queueing was the agent-to-screen p99). */
    if ((what & APP_CHANGED_SNAPSHOT) && !uv_is_active((uv_handle_t *)&ag->coalesce))
        uv_timer_start(&ag->coalesce, coalesce_cb, COLLECTORS_COALESCE_MS, 0);
    if (what & APP_CHANGED_SERVERS)
        primary_news(ag);
    if ((what & APP_CHANGED_MESSAGE) && ag->app->message)
        say(ag, "%s", ag->app->message);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

static void finish(struct agent *ag)
{
    ag->done = true;
    uv_stop(ag->app->loop);
}

static void goodbye_said(void *arg, const redisReply *reply, const char *error)
{
    (void)reply;
    (void)error;
    struct agent *ag = arg;
    if (--ag->goodbyes <= 0 && !ag->closing)
        finish(ag);
}

/* A last heartbeat that says "stopped", and the name given back. */
static void stop(struct agent *ag, int code)
{
    if (ag->stopping) {
        if (!ag->done && ag->goodbyes <= 0)
            finish(ag);
        return;
    }
    ag->stopping = true;
    ag->exit_code = code;
    ag->stop_by = now_monotonic() + STOP_WAIT;
    agent_actions_stop(ag->actions);    /* a preview still waiting: declined */
    ag->actions = NULL;
    collectors_stop(ag->app);
    if (ag->hold == HOLD_NONE || redisconn_state(ag->bus) != PGCONN_UP) {
        finish(ag);
        return;
    }
    /* Taking the name (SET NX still out) or holding it: the release goes
     * after it on the same connection, so a SET that succeeds is undone
     * too; it deletes only what holds our token. */
    bool held = ag->hold == HOLD_HELD;
    if (held) {
        char *summary = summary_text(ag);
        if (summary)
            write_fleet(ag, summary, goodbye_said);
        free(summary);
    }
    const char *argv[] = { "EVAL", release_script, "2", ag->lock_key, ag->agent_key, ag->token };
    if (redisconn_command(ag->bus, goodbye_said, ag, 6, argv) == 0) {
        ag->goodbyes++;
        ag->released = held;
    }
    ag->hold = HOLD_NONE;
    if (ag->goodbyes == 0)
        finish(ag);
}

/* --metrics-file: rewritten each interval, Redis up or not (the
 * collectors go on either way). */
static void write_metrics(struct agent *ag)
{
    const char *path = ag->cfg->metrics_file;
    char err[512];
    if (!path)
        return;
    if (openmetrics_write_file(ag->app, path, err, sizeof err) == 0) {
        free(ag->metrics_said);
        ag->metrics_said = NULL;
    } else {
        char *text = xasprintf("--metrics-file: %s", err);
        say_once(ag, &ag->metrics_said, text);
        free(text);
    }
}

static void beat_cb(uv_timer_t *t)
{
    struct agent *ag = t->data;
    if (ag->stopping) {
        if (now_monotonic() > ag->stop_by)
            finish(ag);
        return;
    }
    take_name(ag);
    heartbeat(ag);
    look_all(ag);
    write_metrics(ag);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct agent *ag = h->data;
    if (!ag->stopping)
        say(ag, "%s: stopping", signum == SIGTERM ? "SIGTERM" : signum == SIGINT ? "SIGINT" : "SIGHUP");
    stop(ag, ag->stopping ? ag->exit_code : 0);
}

static void make_token(char *out, size_t len)
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        /* No entropy to be had: a token unique enough among agents. */
        uint64_t x = (uint64_t)(now_wall() * 1e6) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)out;
        for (size_t i = 0; i < sizeof bytes; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
            bytes[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < sizeof bytes && 2 * i + 2 < len; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

int frontend_agent(struct app *app)
{
    const struct config *cfg = app->cfg;
    struct agent ag = { .app = app, .cfg = cfg, .name = cfg->agent_name, .primary_said = PGCONN_CONNECTING };
    char err[512];
    struct redis_target t;
    if (redis_target_parse(&t, cfg->publish, err, sizeof err) != 0) {
        /* config_load checked it already; a message all the same */
        textout_line(stderr, "pgdeck agent: --publish: %s", err);
        frontend_close(app);
        return 2;
    }
    ag.bus_display = redis_target_display(&t);
    ag.bus_user = xstrdup(t.user);
    ag.lock_key = stream_key(ag.name, "lock");
    ag.agent_key = stream_key(ag.name, "agent");
    ag.started_at = now_wall();
    ag.npub = app->ncollectors;
    ag.pub = xcalloc((size_t)ag.npub, sizeof *ag.pub);
    make_token(ag.token, sizeof ag.token);
    if (gethostname(ag.host, sizeof ag.host - 1) != 0)
        snprintf(ag.host, sizeof ag.host, "?");

    app->on_change = app_news;
    app->ui = &ag;
    if (app->message)       /* app_init's, before anyone listened */
        say(&ag, "%s", app->message);
    ag.bus = redisconn_new(app->loop, &t, cfg->connect_timeout_ms / 1000.0, cfg->query_timeout_ms / 1000.0,
                           bus_state, &ag);
    /* Requests on pgdeck:{NAME}:cmd, on connections of their own (a
     * blocking read must not hold up the publishing). */
    if (cfg->accept_actions)
        ag.actions = agent_actions_start(app, &t, ag.name, actions_said, &ag);
    redis_target_free(&t);

    static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
    for (int i = 0; i < 3; i++) {
        uv_signal_init(app->loop, &ag.signals[i]);
        ag.signals[i].data = &ag;
        uv_signal_start(&ag.signals[i], signal_cb, signums[i]);
    }
    uv_timer_init(app->loop, &ag.beat);
    ag.beat.data = &ag;
    uv_timer_init(app->loop, &ag.coalesce);
    ag.coalesce.data = &ag;
    uint64_t ms = (uint64_t)(app->interval * 1000);
    uv_timer_start(&ag.beat, beat_cb, ms, ms);
    say(&ag, "collecting from %s every %g s", app->primary_display ? app->primary_display : "the primary",
        app->interval);
    /* Its viewers open a session's details from the snapshots alone: every
     * session's locks go into them, not only those of the sessions that
     * wait or block (what the console reads each refresh). */
    collector_more(app, "activity", true);
    collectors_start(app);

    /* uv_stop ends one uv_run; other callbacks may end it early too. */
    while (!ag.done)
        uv_run(app->loop, UV_RUN_DEFAULT);

    uv_timer_stop(&ag.beat);
    uv_timer_stop(&ag.coalesce);
    for (int i = 0; i < 3; i++)
        uv_signal_stop(&ag.signals[i]);
    /* Pending replies are called back (with no reply) while the bus
     * closes: the agent is still whole then. */
    ag.closing = true;
    agent_actions_stop(ag.actions);
    redisconn_close(ag.bus);
    app->on_change = NULL;
    app->ui = NULL;
    frontend_close(app);
    for (int i = 0; i < ag.npub; i++) {
        snapshot_unref(ag.pub[i].sent);
        snapshot_unref(ag.pub[i].seen);
    }
    free(ag.pub);
    free(ag.bus_display);
    free(ag.bus_user);
    free(ag.lock_key);
    free(ag.agent_key);
    free(ag.bus_said);
    free(ag.refusal_said);
    free(ag.metrics_said);
    if (ag.exit_code == 0)
        say(&ag, ag.released ? "stopped; the name is free" : "stopped");
    return ag.exit_code;
}
