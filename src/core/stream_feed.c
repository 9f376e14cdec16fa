/* A viewer's feed: Redis Streams into the collectors (see stream_feed.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/stream.h"
#include "core/stream_cmd.h"
#include "core/stream_feed.h"
#include "net/redisconn.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define FLEET_COLLECTOR   "fleet"
#define BLOCK_MS_MAX      2000      /* an XREAD blocks at most this long */
#define READ_COUNT        "50"      /* entries per stream and read */
#define FLEET_PAINT       "1000"    /* newest heartbeats read to paint the fleet */
#define TICK_MS           250       /* silence, and the fleet pane's figures */
#define RETRY_MS          1000      /* after a read Redis refused */
/* However long an entry says it stays current, at most this (a hostile
 * keep-alive must not make old data look fresh for days). */
#define FRESH_MAX         3600.0
#define LATENCY_RING      4096
#define PENDING_MAX       256
/* A blocked XREAD returns with the first stream that got an entry (Redis
 * serves a reader per key), while the agent publishes a tick's snapshots
 * in one burst: the feed reads on without blocking until nothing is left,
 * at most DRAIN_MAX times, and holds what it read until then (at most
 * HOLD_MS), so that one frame shows the burst rather than two or more. */
#define DRAIN_MAX         4
#define HOLD_MS           20

enum stream_kind { KIND_FLEET, KIND_REPLY, KIND_COLLECTOR };

struct feed_stream {
    enum stream_kind kind;
    char  *key;
    char   last_id[48];             /* read from after this one */
    int    collector;               /* KIND_COLLECTOR: index in app->collectors */
    char  *refused;                 /* why its newest entry was refused, or NULL */
    /* Read, not yet handed to the collector (the burst is being drained). */
    struct snapshot *held;
    double held_fresh_until;        /* monotonic */
    double held_published;          /* wall, this machine's clock */
};

struct stream_feed {
    struct app        *app;
    char              *display;
    bool               has_fleet;
    char              *target;          /* NULL: the fleet */
    struct redisconn  *rd, *ctl;
    unsigned           epoch;           /* a restart voids what was asked before */
    enum { PHASE_DOWN, PHASE_PAINTING, PHASE_READING } phase;
    int                painting;        /* first-paint replies awaited */
    bool               reading;         /* an XREAD is out on rd */
    int                draining;        /* reads without BLOCK since the last blocked one */
    unsigned long      rd_connects;     /* of rd when its client id was read */
    long long          rd_client_id;    /* -1 until known */
    bool               retry_pending;
    double             offset;          /* Redis's clock minus ours, seconds */
    char              *user;            /* ACL WHOAMI */
    char              *user_why;
    char              *error;
    double             down_since;
    struct feed_stream *streams;
    int                nstreams;
    struct stream_fleet fleet;
    bool               fleet_dirty;
    bool               silent_said;     /* the agent watched was silent at the last tick */
    char               agent_state[16]; /* its state when last drawn */
    uv_timer_t         tick, retry, hold;
    int                handles_open;
    stream_feed_entry_cb reply_cb;
    void              *reply_arg;
    double             block_ms;

    /* Agent-to-screen latency: entries received since the last frame, and
     * the latencies of the frames drawn. */
    double             pending[PENDING_MAX];
    int                npending;
    float              latency[LATENCY_RING];
    unsigned long      nlatency;
    unsigned long      entries;
};

/* A reply's context: which feed, which epoch, which stream. */
struct call {
    struct stream_feed *f;
    unsigned            epoch;
    int                 index;
};

static struct call *call_new(struct stream_feed *f, int index)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->f = f;
    c->epoch = f->epoch;
    c->index = index;
    return c;
}

/* A reply still wanted: the feed is in the epoch the call was made in.
 * Frees the call either way. */
static struct stream_feed *wanted(struct call *c, int *index)
{
    struct stream_feed *f = c->f;
    bool ok = c->epoch == f->epoch && f->phase != PHASE_DOWN;
    if (index)
        *index = c->index;
    free(c);
    return ok ? f : NULL;
}

static void ask(struct stream_feed *f, struct redisconn *rc, redisconn_reply_cb cb, int index, int argc,
                const char **argv, bool paint)
{
    struct call *c = call_new(f, index);
    if (redisconn_command(rc, cb, c, argc, argv) != 0) {
        free(c);
        return;
    }
    if (paint)
        f->painting++;
}

double stream_feed_redis_now_ms(const struct stream_feed *f)
{
    return (now_wall() + f->offset) * 1000;
}

/* ---- what is shown ------------------------------------------------------------------------ */

static struct collector *collector_at(const struct stream_feed *f, int index)
{
    return index >= 0 && index < f->app->ncollectors ? &f->app->collectors[index] : NULL;
}

static const struct {
    const char *name;
    enum server_id id;
} server_names[] = {
    { "primary", SERVER_PRIMARY }, { "replica", SERVER_REPLICA },
    { "pgbouncer", SERVER_PGBOUNCER }, { "redis", SERVER_REDIS },
};

static enum pgconn_state state_of(const char *word)
{
    if (strcmp(word, "up") == 0)
        return PGCONN_UP;
    if (strcmp(word, "down") == 0)
        return PGCONN_DOWN;
    return PGCONN_CONNECTING;
}

/* The servers the agent watched says it has; whether that changed what
 * is shown (a heartbeat that says the same draws nothing). */
static bool show_servers(struct stream_feed *f)
{
    struct app *app = f->app;
    const struct fleet_member *m = f->target ? stream_fleet_find(&f->fleet, f->target) : NULL;
    bool changed = false;
    for (size_t i = 0; i < sizeof server_names / sizeof server_names[0]; i++) {
        struct server *srv = &app->servers[server_names[i].id];
        const struct stream_server *said = NULL;
        for (int k = 0; m && m->have && k < m->summary.nservers; k++)
            if (strcmp(m->summary.servers[k].name, server_names[i].name) == 0)
                said = &m->summary.servers[k];
        if (!f->target || (m && m->have && (!said || !said->configured))) {
            changed |= server_configured(srv);
            server_close(srv);
        } else if (!m || !m->have) {
            /* Nothing heard yet: waiting for the agent to say. */
            changed |= server_set_remote(srv, PGCONN_CONNECTING, NULL, false, NULL, 0);
        } else {
            double since = server_names[i].id == SERVER_PRIMARY ? m->summary.primary_down_since : 0;
            changed |= server_set_remote(srv, state_of(said->state), said->version, said->standby, said->error, since);
        }
    }
    if (changed)
        app_changed(app, APP_CHANGED_SERVERS);
    return changed;
}

static void refuse(struct stream_feed *f, struct feed_stream *st, const redisReply *entry, const char *why)
{
    const redisReply *id = entry && entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 &&
                           entry->element[0] && entry->element[0]->type == REDIS_REPLY_STRING
                           ? entry->element[0] : NULL;
    const struct collector *c = collector_at(f, st->collector);
    free(st->refused);
    st->refused = xasprintf("%s: entry %.*s: %s", c ? c->def->name : st->key, id ? (int)(id->len < 40 ? id->len : 40) : 1,
                            id ? id->str : "?", why);
    app_changed(f->app, APP_CHANGED_RECEIVED);
}

/* What was read and held goes to the collectors. */
static void deliver(struct stream_feed *f)
{
    uv_timer_stop(&f->hold);
    double now = now_monotonic();
    for (int i = 0; i < f->nstreams; i++) {
        struct feed_stream *st = &f->streams[i];
        struct collector *c = collector_at(f, st->collector);
        if (!st->held)
            continue;
        struct snapshot *s = st->held;
        st->held = NULL;
        if (c && f->phase != PHASE_DOWN)
            collector_receive(c, s, st->held_fresh_until - now, st->held_published);
        else
            snapshot_unref(s);
    }
}

static void hold_cb(uv_timer_t *t)
{
    deliver(t->data);
}

/* A collector's entry: its snapshot becomes the collector's (when the
 * burst it came in has been read), current for its keep-alive and cadence
 * less its age. */
static void take_entry(struct stream_feed *f, struct feed_stream *st, const redisReply *entry, bool live)
{
    struct collector *c = collector_at(f, st->collector);
    if (!c)
        return;
    struct snapshot *s;
    struct stream_meta meta;
    char err[512];
    if (stream_reply_parse(entry, &s, &meta, err, sizeof err) != 0) {
        refuse(f, st, entry, err);
        return;
    }
    if (strcmp(meta.collector, c->def->name) != 0) {
        snprintf(err, sizeof err, "it names the collector %s (the stream is %s's)", meta.collector, c->def->name);
        snapshot_unref(s);
        refuse(f, st, entry, err);
        return;
    }
    free(st->refused);
    st->refused = NULL;
    double redis_now = stream_feed_redis_now_ms(f) / 1000;
    double published = meta.id_ms > 0 ? meta.id_ms / 1000 : redis_now;
    double age = redis_now - published;
    double window = meta.keepalive + meta.cadence;
    if (!(window > 0))
        window = 3 * f->app->interval;
    if (window > FRESH_MAX)
        window = FRESH_MAX;
    snapshot_unref(st->held);
    st->held = s;
    st->held_fresh_until = now_monotonic() + window - (age > 0 ? age : 0);
    st->held_published = published - f->offset;
    f->entries++;
    if (live && meta.id_ms > 0 && f->npending < PENDING_MAX)
        f->pending[f->npending++] = meta.id_ms;
}

/* A field of an entry's [field, value, ...] array, as a string reply. */
static const redisReply *entry_field(const redisReply *entry, const char *field)
{
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || !entry->element[1] ||
        entry->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    const redisReply *pairs = entry->element[1];
    for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
        const redisReply *k = pairs->element[i], *v = pairs->element[i + 1];
        if (k && v && k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            k->len == strlen(field) && memcmp(k->str, field, k->len) == 0)
            return v;
    }
    return NULL;
}

/* A name field as a C string; false when it is not a valid agent name. */
static bool name_of(const redisReply *v, char *out, size_t outlen)
{
    if (!v || v->len == 0 || v->len >= outlen || memchr(v->str, '\0', v->len))
        return false;
    memcpy(out, v->str, v->len);
    out[v->len] = '\0';
    return stream_name_valid(out);
}

/* The watched agent's state (up, stopped, unreadable, ...) is on the
 * alert line: a heartbeat that changed it draws, one that did not draws
 * nothing. */
static void agent_state_news(struct stream_feed *f)
{
    const char *state = stream_feed_agent_state(f);
    if (strcmp(state, f->agent_state) != 0) {
        snprintf(f->agent_state, sizeof f->agent_state, "%s", state);
        app_changed(f->app, APP_CHANGED_SERVERS);
    }
}

/* A heartbeat from pgdeck:fleet. */
static void take_heartbeat(struct stream_feed *f, const redisReply *entry)
{
    char name[STREAM_NAME_MAX + 1];
    const redisReply *summary = entry_field(entry, "summary");
    if (!summary || !name_of(entry_field(entry, "name"), name, sizeof name))
        return;
    if (f->target && strcmp(name, f->target) != 0)
        return;
    double beat = stream_id_ms(entry->element[0]->str, entry->element[0]->len);
    if (stream_fleet_take(&f->fleet, name, summary->str, summary->len, beat > 0 ? beat : stream_feed_redis_now_ms(f))) {
        f->fleet_dirty = true;
        if (f->target && !show_servers(f))
            agent_state_news(f);
    }
}

/* ---- reading -------------------------------------------------------------------------------- */

static void read_more(struct stream_feed *f);

static void retry_cb(uv_timer_t *t)
{
    struct stream_feed *f = t->data;
    f->retry_pending = false;
    read_more(f);
}

static struct feed_stream *stream_by_key(struct stream_feed *f, const redisReply *key)
{
    for (int i = 0; key && key->type == REDIS_REPLY_STRING && i < f->nstreams; i++)
        if (strlen(f->streams[i].key) == key->len && memcmp(f->streams[i].key, key->str, key->len) == 0)
            return &f->streams[i];
    return NULL;
}

static void set_last_id(struct feed_stream *st, const redisReply *entry)
{
    if (entry && entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 && entry->element[0] &&
        entry->element[0]->type == REDIS_REPLY_STRING && entry->element[0]->len < sizeof st->last_id &&
        stream_id_ms(entry->element[0]->str, entry->element[0]->len) > 0) {
        memcpy(st->last_id, entry->element[0]->str, entry->element[0]->len);
        st->last_id[entry->element[0]->len] = '\0';
    }
}

/* The entries of one stream, oldest first: a collector's newest counts
 * (the others are older news), every heartbeat and answer counts. */
static void take_entries(struct stream_feed *f, struct feed_stream *st, const redisReply *entries, bool live)
{
    if (!entries || entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
        return;
    const redisReply *newest = entries->element[entries->elements - 1];
    switch (st->kind) {
    case KIND_COLLECTOR:
        take_entry(f, st, newest, live);
        break;
    case KIND_FLEET:
        for (size_t i = 0; i < entries->elements; i++)
            take_heartbeat(f, entries->element[i]);
        break;
    case KIND_REPLY:
        for (size_t i = 0; live && f->reply_cb && i < entries->elements; i++)
            f->reply_cb(f->reply_arg, entries->element[i]);
        break;
    }
    set_last_id(st, newest);
}

static void xread_done(void *arg, const redisReply *reply, const char *error)
{
    struct call *c = arg;
    struct stream_feed *f0 = c->f;
    f0->reading = false;
    struct stream_feed *f = wanted(c, NULL);
    if (!f) {
        /* Another view or a reconnect since: read what it wants. */
        read_more(f0);
        return;
    }
    if (error) {
        if (reply) {
            /* Refused (NOPERM, a key of another type): said, and asked
             * again in a while rather than at once. */
            free(f->error);
            f->error = xasprintf("XREAD refused: %s", error);
            app_changed(f->app, APP_CHANGED_SERVERS);
            if (!f->retry_pending) {
                f->retry_pending = true;
                uv_timer_start(&f->retry, retry_cb, RETRY_MS, 0);
            }
        }
        return;
    }
    if (f->error && reply) {
        free(f->error);
        f->error = NULL;
    }
    /* nil: the block timed out (or CLIENT UNBLOCK), or nothing is left to
     * drain; else [[key, entries], ...] */
    bool got = false;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *one = reply->element[i];
        if (!one || one->type != REDIS_REPLY_ARRAY || one->elements != 2)
            continue;
        struct feed_stream *st = stream_by_key(f, one->element[0]);
        if (st) {
            take_entries(f, st, one->element[1], true);
            got = true;
        }
    }
    if (got && f->draining < DRAIN_MAX) {
        if (f->draining++ == 0)
            uv_timer_start(&f->hold, hold_cb, HOLD_MS, 0);
    } else {
        f->draining = 0;
        deliver(f);
    }
    read_more(f);
}

/* Block on every stream of the view, from the last ids. */
static void read_more(struct stream_feed *f)
{
    if (f->phase != PHASE_READING || f->reading || f->retry_pending || !f->nstreams)
        return;
    if (redisconn_state(f->rd) != PGCONN_UP)
        return;
    int argc = 4 + 2 * f->nstreams + (f->draining ? 0 : 2);
    const char **argv = xcalloc((size_t)argc, sizeof *argv);
    char block[24];
    snprintf(block, sizeof block, "%.0f", f->block_ms);
    int k = 0;
    argv[k++] = "XREAD";
    argv[k++] = "COUNT";
    argv[k++] = READ_COUNT;
    if (!f->draining) {
        argv[k++] = "BLOCK";
        argv[k++] = block;
    }
    argv[k++] = "STREAMS";
    for (int i = 0; i < f->nstreams; i++) {
        argv[k + i] = f->streams[i].key;
        argv[k + f->nstreams + i] = f->streams[i].last_id;
    }
    struct call *c = call_new(f, -1);
    if (redisconn_command(f->rd, xread_done, c, argc, argv) == 0)
        f->reading = true;
    else
        free(c);
    free(argv);
}

/* ---- the first paint ------------------------------------------------------------------------ */

static void painted_one(struct stream_feed *f)
{
    if (f->painting > 0 && --f->painting == 0 && f->phase == PHASE_PAINTING) {
        f->phase = PHASE_READING;
        f->fleet_dirty = true;
        read_more(f);
    }
}

static void time_done(void *arg, const redisReply *reply, const char *error)
{
    struct stream_feed *f = wanted(arg, NULL);
    if (!f)
        return;
    /* TIME: [seconds, microseconds].  Refused (the user may not ask it),
     * this machine's clock stands for Redis's. */
    if (!error && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING && reply->element[1]->type == REDIS_REPLY_STRING) {
        double secs = strtod(reply->element[0]->str, NULL), usecs = strtod(reply->element[1]->str, NULL);
        if (secs > 0 && usecs >= 0 && usecs < 1e6)
            f->offset = secs + usecs / 1e6 - now_wall();
    }
    painted_one(f);
}

static void whoami_done(void *arg, const redisReply *reply, const char *error)
{
    struct stream_feed *f = wanted(arg, NULL);
    if (!f)
        return;
    free(f->user);
    free(f->user_why);
    f->user = f->user_why = NULL;
    char name[STREAM_USER_MAX + 1] = "";
    bool text = !error && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
    if (text && reply->len < sizeof name) {
        memcpy(name, reply->str, reply->len);
        name[reply->len] = '\0';
    }
    if (error)
        f->user_why = xasprintf("ACL WHOAMI was refused (%s)", error);
    else if (!stream_user_valid(name))
        f->user_why = xstrdup("ACL WHOAMI gave no name pgdeck can journal");
    else
        f->user = xstrdup(name);
    painted_one(f);
}

static void client_id_done(void *arg, const redisReply *reply, const char *error)
{
    struct stream_feed *f = wanted(arg, NULL);
    if (f && !error && reply->type == REDIS_REPLY_INTEGER)
        f->rd_client_id = reply->integer;
    if (f)
        painted_one(f);
}

/* XREVRANGE key + - COUNT 1: the newest entry of a stream (none: read
 * from the start). */
static void newest_done(void *arg, const redisReply *reply, const char *error)
{
    int index;
    struct stream_feed *f = wanted(arg, &index);
    if (!f)
        return;
    if (index >= 0 && index < f->nstreams && !error && reply->type == REDIS_REPLY_ARRAY) {
        struct feed_stream *st = &f->streams[index];
        if (st->kind == KIND_FLEET) {
            /* Newest first: each agent's first is its newest heartbeat. */
            for (size_t i = reply->elements; i-- > 0;)
                take_heartbeat(f, reply->element[i]);
            if (reply->elements)
                set_last_id(st, reply->element[0]);
        } else if (reply->elements) {
            take_entries(f, st, reply, false);
        }
    } else if (index >= 0 && index < f->nstreams && error && reply) {
        refuse(f, &f->streams[index], NULL, error);
    }
    deliver(f);
    painted_one(f);
}

/* HGET / HGETALL pgdeck:fleet:agents: the last summary of each agent. */
static void summaries_done(void *arg, const redisReply *reply, const char *error)
{
    struct stream_feed *f = wanted(arg, NULL);
    if (!f)
        return;
    if (!error && reply->type == REDIS_REPLY_STRING && f->target) {
        stream_fleet_take(&f->fleet, f->target, reply->str, reply->len, 0);
    } else if (!error && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            char name[STREAM_NAME_MAX + 1];
            const redisReply *v = reply->element[i + 1];
            if (v && v->type == REDIS_REPLY_STRING && name_of(reply->element[i], name, sizeof name))
                stream_fleet_take(&f->fleet, name, v->str, v->len, 0);
        }
    }
    f->fleet_dirty = true;
    if (f->target)
        show_servers(f);
    painted_one(f);
}

static void free_streams(struct stream_feed *f)
{
    for (int i = 0; i < f->nstreams; i++) {
        free(f->streams[i].key);
        free(f->streams[i].refused);
        snapshot_unref(f->streams[i].held);
    }
    free(f->streams);
    f->streams = NULL;
    f->nstreams = 0;
}

static void add_stream(struct stream_feed *f, enum stream_kind kind, char *key, int collector)
{
    f->streams = xrealloc(f->streams, (size_t)(f->nstreams + 1) * sizeof *f->streams);
    struct feed_stream *st = &f->streams[f->nstreams++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->key = key;
    st->collector = collector;
    snprintf(st->last_id, sizeof st->last_id, "0-0");
}

/* The streams of the view: the fleet's always (heartbeats), and watching
 * an agent, its answers and every collector's. */
static void make_streams(struct stream_feed *f)
{
    free_streams(f);
    add_stream(f, KIND_FLEET, xstrdup(STREAM_FLEET_KEY), -1);
    if (!f->target)
        return;
    add_stream(f, KIND_REPLY, stream_key(f->target, "reply"), -1);
    for (int i = 0; i < f->app->ncollectors; i++) {
        const char *name = f->app->collectors[i].def->name;
        if (strcmp(name, FLEET_COLLECTOR) != 0 && stream_collector_valid(name))
            add_stream(f, KIND_COLLECTOR, stream_key(f->target, name), i);
    }
}

/* Both connections are up, or the view changed: paint from the newest
 * entries, then read on. */
static void restart(struct stream_feed *f)
{
    f->epoch++;
    f->painting = 0;
    f->draining = 0;
    uv_timer_stop(&f->hold);
    if (redisconn_state(f->rd) != PGCONN_UP || redisconn_state(f->ctl) != PGCONN_UP) {
        f->phase = PHASE_DOWN;
        return;
    }
    f->phase = PHASE_PAINTING;
    make_streams(f);
    /* The first ask is TIME, so the clock is known before any entry. */
    const char *timecmd[] = { "TIME" };
    ask(f, f->ctl, time_done, -1, 1, timecmd, true);
    const char *whoami[] = { "ACL", "WHOAMI" };
    ask(f, f->ctl, whoami_done, -1, 2, whoami, true);
    if (redisconn_connects(f->rd) != f->rd_connects) {
        f->rd_connects = redisconn_connects(f->rd);
        f->rd_client_id = -1;
        const char *id[] = { "CLIENT", "ID" };
        ask(f, f->rd, client_id_done, -1, 2, id, true);
    }
    if (f->target) {
        const char *hget[] = { "HGET", STREAM_AGENTS_KEY, f->target };
        ask(f, f->ctl, summaries_done, -1, 3, hget, true);
    } else {
        const char *hgetall[] = { "HGETALL", STREAM_AGENTS_KEY };
        ask(f, f->ctl, summaries_done, -1, 2, hgetall, true);
    }
    for (int i = 0; i < f->nstreams; i++) {
        const char *count = f->streams[i].kind == KIND_FLEET ? FLEET_PAINT : "1";
        const char *argv[] = { "XREVRANGE", f->streams[i].key, "+", "-", "COUNT", count };
        ask(f, f->ctl, newest_done, i, 6, argv, true);
    }
    if (f->painting == 0)
        f->phase = PHASE_DOWN;
}

static void went_down(struct stream_feed *f, struct redisconn *rc)
{
    if (f->phase != PHASE_DOWN || !f->error) {
        free(f->error);
        const char *why = redisconn_error(rc);
        f->error = xstrdup(why && *why ? why : "connection lost");
    }
    if (!(f->down_since > 0))
        f->down_since = now_wall();
    f->epoch++;
    f->phase = PHASE_DOWN;
    app_changed(f->app, APP_CHANGED_SERVERS);
}

static void conn_state(void *arg, struct redisconn *rc)
{
    struct stream_feed *f = arg;
    enum pgconn_state st = redisconn_state(rc);
    if (st == PGCONN_CLOSED)
        return;
    if (st == PGCONN_DOWN) {
        went_down(f, rc);
        return;
    }
    if (st == PGCONN_UP && redisconn_state(f->rd) == PGCONN_UP && redisconn_state(f->ctl) == PGCONN_UP &&
        f->phase == PHASE_DOWN) {
        free(f->error);
        f->error = NULL;
        f->down_since = 0;
        restart(f);
        app_changed(f->app, APP_CHANGED_SERVERS);
    }
}

/* ---- the tick: silence, the fleet pane ------------------------------------------------------------ */

static void tick_cb(uv_timer_t *t)
{
    struct stream_feed *f = t->data;
    double now_ms = stream_feed_redis_now_ms(f);
    if (f->target) {
        const struct fleet_member *m = stream_fleet_find(&f->fleet, f->target);
        bool silent = m && stream_fleet_silent(m, now_ms);
        if (silent != f->silent_said) {
            f->silent_said = silent;
            app_changed(f->app, APP_CHANGED_SERVERS);
        }
        return;
    }
    struct collector *c = collector_find(f->app, FLEET_COLLECTOR);
    if (!c)
        return;
    /* The ages change every second: a new snapshot when they or anything
     * else shown changed. */
    struct snapshot *s = stream_fleet_snapshot(&f->fleet, now_ms, f->offset);
    if (f->fleet_dirty || !c->current || !stream_same_data(s, c->current)) {
        f->fleet_dirty = false;
        collector_receive(c, s, FRESH_MAX, now_wall());
    } else {
        snapshot_unref(s);
    }
}

/* ---- life -------------------------------------------------------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
    struct stream_feed *f = h->data;
    if (--f->handles_open == 0) {
        free_streams(f);
        stream_fleet_clear(&f->fleet);
        free(f->display);
        free(f->target);
        free(f->user);
        free(f->user_why);
        free(f->error);
        free(f);
    }
}

static void feed_close(struct app *app)
{
    struct stream_feed *f = app->feed;
    if (!f)
        return;
    app->feed = NULL;
    f->epoch++;
    f->phase = PHASE_DOWN;
    f->reply_cb = NULL;
    /* Replies still out come back void (no reply) while they close. */
    redisconn_close(f->rd);
    redisconn_close(f->ctl);
    uv_timer_stop(&f->tick);
    uv_timer_stop(&f->retry);
    uv_timer_stop(&f->hold);
    f->handles_open = 3;
    uv_close((uv_handle_t *)&f->tick, handle_closed);
    uv_close((uv_handle_t *)&f->retry, handle_closed);
    uv_close((uv_handle_t *)&f->hold, handle_closed);
}

struct stream_feed *stream_feed_start(struct app *app, const char *url, const char *name, char *err,
                                      size_t errlen)
{
    struct redis_target t;
    if (redis_target_parse(&t, url, err, errlen) != 0)
        return NULL;
    if (name && !stream_name_valid(name)) {
        snprintf(err, errlen, "'%s' is not an agent name", name);
        redis_target_free(&t);
        return NULL;
    }
    struct stream_feed *f = xcalloc(1, sizeof *f);
    f->app = app;
    f->display = redis_target_display(&t);
    f->has_fleet = !name;
    f->target = name ? xstrdup(name) : NULL;
    f->rd_client_id = -1;
    f->phase = PHASE_DOWN;
    const struct config *cfg = app->cfg;
    double connect = cfg->connect_timeout_ms / 1000.0, command = cfg->query_timeout_ms / 1000.0;
    /* Below the command timeout, or redisconn would take a long block for
     * a Redis that stopped answering. */
    f->block_ms = command * 1000 / 2 < BLOCK_MS_MAX ? command * 1000 / 2 : BLOCK_MS_MAX;
    if (f->block_ms < 1)
        f->block_ms = 1;
    app->fed = true;
    app->feed = f;
    app->on_close = feed_close;
    uv_timer_init(app->loop, &f->tick);
    uv_timer_init(app->loop, &f->retry);
    uv_timer_init(app->loop, &f->hold);
    f->tick.data = f->retry.data = f->hold.data = f;
    uv_timer_start(&f->tick, tick_cb, TICK_MS, TICK_MS);
    show_servers(f);
    f->rd = redisconn_new(app->loop, &t, connect, command, conn_state, f);
    f->ctl = redisconn_new(app->loop, &t, connect, command, conn_state, f);
    redis_target_free(&t);
    return f;
}

/* ---- switching ------------------------------------------------------------------------------------------ */

static void unblocked(void *arg, const redisReply *reply, const char *error)
{
    (void)arg;
    (void)reply;
    (void)error;
}

int stream_feed_switch(struct stream_feed *f, const char *name, char *err, size_t errlen)
{
    if (name && !stream_name_valid(name)) {
        snprintf(err, errlen, "'%.80s' is not an agent name (1 to %d letters, digits, '.', '_' or '-')", name,
                 STREAM_NAME_MAX);
        return -1;
    }
    if (!name && !f->has_fleet) {
        snprintf(err, errlen, "no fleet to go back to (started with --name %s)", f->target ? f->target : "");
        return -1;
    }
    free(f->target);
    f->target = name ? xstrdup(name) : NULL;
    f->silent_said = false;
    f->fleet_dirty = true;
    /* The data of one agent is never shown as another's. */
    collectors_forget(f->app);
    show_servers(f);
    /* The blocked read is for the old streams: end it now, and paint. */
    if (f->reading && f->rd_client_id >= 0 && redisconn_state(f->ctl) == PGCONN_UP) {
        char id[32];
        snprintf(id, sizeof id, "%lld", f->rd_client_id);
        const char *argv[] = { "CLIENT", "UNBLOCK", id };
        redisconn_command(f->ctl, unblocked, NULL, 3, argv);
    }
    restart(f);
    app_changed(f->app, APP_CHANGED_VIEW);
    return 0;
}

/* ---- questions ------------------------------------------------------------------------------------------- */

const char *stream_feed_target(const struct stream_feed *f) { return f ? f->target : NULL; }
bool stream_feed_has_fleet(const struct stream_feed *f) { return f && f->has_fleet; }
const char *stream_feed_display(const struct stream_feed *f) { return f->display; }
double stream_feed_offset(const struct stream_feed *f) { return f->offset; }
const struct stream_fleet *stream_feed_fleet(const struct stream_feed *f) { return &f->fleet; }

void stream_feed_title(const struct stream_feed *f, char *buf, size_t len)
{
    if (f->target)
        snprintf(buf, len, "viewer of %s via redis %s", f->target, f->display);
    else
        snprintf(buf, len, "fleet via redis %s", f->display);
}

bool stream_feed_up(const struct stream_feed *f)
{
    return redisconn_state(f->rd) == PGCONN_UP && redisconn_state(f->ctl) == PGCONN_UP && !f->error;
}

const char *stream_feed_error(const struct stream_feed *f)
{
    if (f->error)
        return f->error;
    const char *e = redisconn_state(f->rd) != PGCONN_UP ? redisconn_error(f->rd) : redisconn_error(f->ctl);
    return e ? e : "connecting";
}

double stream_feed_down_since(const struct stream_feed *f) { return f->down_since; }
bool stream_feed_ready(const struct stream_feed *f) { return f->phase == PHASE_READING; }

const char *stream_feed_user(const struct stream_feed *f, const char **why)
{
    if (why)
        *why = f->user ? NULL : f->user_why ? f->user_why : "not known yet (Redis has not answered ACL WHOAMI)";
    return f->user;
}

struct redisconn *stream_feed_control(struct stream_feed *f)
{
    return redisconn_state(f->ctl) == PGCONN_UP ? f->ctl : NULL;
}

const struct fleet_member *stream_feed_agent(const struct stream_feed *f)
{
    return f->target ? stream_fleet_find(&f->fleet, f->target) : NULL;
}

const char *stream_feed_agent_state(const struct stream_feed *f)
{
    return stream_fleet_state(stream_feed_agent(f), stream_feed_redis_now_ms(f));
}

int stream_feed_refused(const struct stream_feed *f, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < f->nstreams && n < max; i++)
        if (f->streams[i].refused)
            out[n++] = f->streams[i].refused;
    return n;
}

void stream_feed_on_reply(struct stream_feed *f, stream_feed_entry_cb cb, void *arg)
{
    f->reply_cb = cb;
    f->reply_arg = arg;
}

/* ---- latency ---------------------------------------------------------------------------------------------- */

void stream_feed_drawn(struct stream_feed *f)
{
    if (!f || !f->npending)
        return;
    double now_ms = stream_feed_redis_now_ms(f);
    for (int i = 0; i < f->npending; i++) {
        double ms = now_ms - f->pending[i];
        f->latency[f->nlatency++ % LATENCY_RING] = (float)(ms > 0 ? ms : 0);
    }
    f->npending = 0;
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void stream_feed_stats(const struct stream_feed *f, FILE *out)
{
    if (!f)
        return;
    fprintf(out, "feed_entries %lu\n", f->entries);
    size_t n = f->nlatency < LATENCY_RING ? f->nlatency : LATENCY_RING;
    fprintf(out, "feed_latency_samples %zu\n", n);
    if (!n)
        return;
    float *sorted = xcalloc(n, sizeof *sorted);
    memcpy(sorted, f->latency, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_float);
    /* Nearest rank, as the frame times. */
    fprintf(out, "feed_latency_p50_ms %.3f\n", sorted[(n + 1) / 2 - 1]);
    fprintf(out, "feed_latency_p99_ms %.3f\n", sorted[(n * 99 + 99) / 100 - 1]);
    fprintf(out, "feed_latency_max_ms %.3f\n", sorted[n - 1]);
    /* Every sample, oldest first, for a p99 over many viewers. */
    fprintf(out, "feed_latency_all_ms");
    for (size_t i = f->nlatency - n; i < f->nlatency; i++)
        fprintf(out, " %.3f", f->latency[i % LATENCY_RING]);
    fprintf(out, "\n");
    free(sorted);
}
