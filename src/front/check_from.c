/* check --from REDIS_URL [--name NAME]: the fleet of agents as a
 * monitoring plugin sees it, read from Redis alone (no database
 * connection, no database credentials):
 *
 *   PGDECK CRITICAL - 2 agents: db2 silent since 14:03:27 | agents=2 ok=1 warning=0 critical=1 unknown=0 silent=1
 *   CRITICAL db2: silent since 14:03:27 (no heartbeat for 41 s; its key pgdeck:{db2}:agent expired)
 *   OK db1: no alerts (primary up, PostgreSQL 15.20; heartbeat 14:04:08)
 *
 * Who is in the fleet: every live agent (its pgdeck:{NAME}:agent key,
 * found with SCAN), and every agent that left a summary in the hash
 * pgdeck:fleet:agents or a heartbeat in the last entries of the stream
 * pgdeck:fleet.  An agent whose key is gone has missed more than three
 * heartbeats (the key lives three intervals and 2 s): it is CRITICAL,
 * "silent since" its last heartbeat, unless its last word was "stopped"
 * (a clean exit: WARNING, until someone forgets it with HDEL
 * pgdeck:fleet:agents NAME).  A live agent's state is its worst alert,
 * with the texts of those alerts.  The exit code is the worst state:
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Redis cannot be read, no agent
 * found, a summary that cannot be read).  With --name, that agent only;
 * one that cannot be found is CRITICAL.
 *
 * Everything read from Redis is untrusted (stream.h's readers) and every
 * line is written through check_plugin_text and the sanitizing writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "core/alerts.h"
#include "core/config.h"
#include "core/stream.h"
#include "core/stream_fleet.h"
#include "front/frontend.h"
#include "net/redisconn.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "base/clock.h"
#include "base/loop.h"
#include "base/xalloc.h"

enum { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };
static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

#define MAX_SCANS 10000         /* SCAN calls before giving up on the keyspace */
#define FLEET_ENTRIES "1000"    /* newest heartbeats read from pgdeck:fleet */
#define FIRST_LINE_AGENTS 3

struct fleet {
    uv_loop_t           *loop;
    const struct config *cfg;
    struct redisconn    *rc;
    char                *display;
    struct stream_fleet  fleet;         /* who is in it, with what they said */
    int                  outstanding;   /* replies awaited */
    int                  scans;
    bool                 started, done;
    char                *fail;          /* Redis could not be read: why */
    uv_timer_t           timer;
};

struct request {
    struct fleet *f;
    int           member;               /* for GET: which one */
};

static void finish(struct fleet *f)
{
    if (f->done)
        return;
    f->done = true;
    uv_stop(f->loop);
}

static void failed(struct fleet *f, const char *fmt, const char *why)
{
    if (!f->fail)
        f->fail = xasprintf(fmt, why);
    finish(f);
}

/* A summary read from somewhere (live: the agent's own key); with
 * --name, only that agent's. */
static void take_summary(struct fleet *f, const char *name, const char *text, size_t len, bool live)
{
    if (f->cfg->agent_name && strcmp(f->cfg->agent_name, name) != 0)
        return;
    if (live)
        stream_fleet_take_live(&f->fleet, name, text, len);
    else
        stream_fleet_take(&f->fleet, name, text, len, 0);
}

/* ---- the replies ------------------------------------------------------------------ */

static void done_one(struct fleet *f)
{
    if (--f->outstanding == 0)
        finish(f);
}

/* Whether a reply can be read; if not, the check fails with why. */
static bool usable(struct fleet *f, const redisReply *reply, const char *error, const char *what)
{
    if (f->done)
        return false;
    if (error) {
        char *why = xasprintf("%s: %s", what, error);
        failed(f, "cannot read the fleet: %s", why);
        free(why);
        return false;
    }
    return reply != NULL;
}

static void ask_redis(struct fleet *f, redisconn_reply_cb cb, void *arg, int argc, const char **argv)
{
    if (redisconn_command(f->rc, cb, arg, argc, argv) == 0)
        f->outstanding++;
    else
        failed(f, "cannot read the fleet: %s", "Redis went away");
}

static void got_agent_key(void *arg, const redisReply *reply, const char *error)
{
    struct request *req = arg;
    struct fleet *f = req->f;
    int index = req->member;
    free(req);
    if (!usable(f, reply, error, "GET"))
        return;
    if (reply->type == REDIS_REPLY_STRING) {
        char name[STREAM_NAME_MAX + 1];
        snprintf(name, sizeof name, "%s", f->fleet.members[index].name);
        take_summary(f, name, reply->str, reply->len, true);
    }
    done_one(f);
}

static void read_agent_key(struct fleet *f, int index)
{
    struct request *req = xcalloc(1, sizeof *req);
    req->f = f;
    req->member = index;
    char *key = stream_key(f->fleet.members[index].name, "agent");
    const char *argv[] = { "GET", key };
    if (redisconn_command(f->rc, got_agent_key, req, 2, argv) == 0) {
        f->outstanding++;
    } else {
        free(req);
        failed(f, "cannot read the fleet: %s", "Redis went away");
    }
    free(key);
}

static void scan_from(struct fleet *f, const char *cursor);

static void got_scan(void *arg, const redisReply *reply, const char *error)
{
    struct fleet *f = arg;
    if (!usable(f, reply, error, "SCAN"))
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
        failed(f, "cannot read the fleet: %s", "SCAN: unexpected reply");
        return;
    }
    const redisReply *keys = reply->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        char name[STREAM_NAME_MAX + 1];
        if (k->type != REDIS_REPLY_STRING || stream_key_agent_name(k->str, k->len, name, sizeof name) != 0)
            continue;
        int before = f->fleet.count;
        const struct fleet_member *m = stream_fleet_member(&f->fleet, name);
        if (m && f->fleet.count > before)
            read_agent_key(f, (int)(m - f->fleet.members));
    }
    const redisReply *cursor = reply->element[0];
    if (!(cursor->len == 1 && cursor->str[0] == '0') && cursor->len < 32 && ++f->scans < MAX_SCANS) {
        char next[32];
        memcpy(next, cursor->str, cursor->len);
        next[cursor->len] = '\0';
        scan_from(f, next);
    }
    done_one(f);
}

static void scan_from(struct fleet *f, const char *cursor)
{
    const char *argv[] = { "SCAN", cursor, "MATCH", "pgdeck:{*}:agent", "COUNT", "1000" };
    ask_redis(f, got_scan, f, 6, argv);
}

static void got_fleet_hash(void *arg, const redisReply *reply, const char *error)
{
    struct fleet *f = arg;
    if (!usable(f, reply, error, "HGETALL " STREAM_AGENTS_KEY))
        return;
    /* HGETALL: name, summary, ...; HGET (--name): the summary or nil */
    if (reply->type == REDIS_REPLY_STRING && f->cfg->agent_name) {
        take_summary(f, f->cfg->agent_name, reply->str, reply->len, false);
    } else if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const redisReply *k = reply->element[i], *v = reply->element[i + 1];
            char name[STREAM_NAME_MAX + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || k->len > STREAM_NAME_MAX ||
                memchr(k->str, '\0', k->len))
                continue;
            memcpy(name, k->str, k->len);
            name[k->len] = '\0';
            if (stream_name_valid(name))
                take_summary(f, name, v->str, v->len, false);
        }
    }
    done_one(f);
}

/* A field's value in a stream entry's [field, value, ...] array. */
static const redisReply *entry_field(const redisReply *pairs, const char *field)
{
    for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
        const redisReply *k = pairs->element[i];
        if (k->type == REDIS_REPLY_STRING && k->len == strlen(field) && memcmp(k->str, field, k->len) == 0)
            return pairs->element[i + 1]->type == REDIS_REPLY_STRING ? pairs->element[i + 1] : NULL;
    }
    return NULL;
}

static void got_fleet_stream(void *arg, const redisReply *reply, const char *error)
{
    struct fleet *f = arg;
    if (!usable(f, reply, error, "XREVRANGE " STREAM_FLEET_KEY))
        return;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        const redisReply *name = entry_field(e->element[1], "name");
        const redisReply *summary = entry_field(e->element[1], "summary");
        char n[STREAM_NAME_MAX + 1];
        if (!name || !summary || name->len > STREAM_NAME_MAX || memchr(name->str, '\0', name->len))
            continue;
        memcpy(n, name->str, name->len);
        n[name->len] = '\0';
        /* Newest first: an agent already heard of is done. */
        const struct fleet_member *m = stream_fleet_find(&f->fleet, n);
        if (stream_name_valid(n) && !(m && m->have))
            take_summary(f, n, summary->str, summary->len, false);
    }
    done_one(f);
}

/* Connected: ask everything at once; the replies come in order. */
static void ask(struct fleet *f)
{
    if (f->started)
        return;
    f->started = true;
    const char *name = f->cfg->agent_name;
    if (name) {
        if (stream_fleet_member(&f->fleet, name))
            read_agent_key(f, 0);
        const char *hget[] = { "HGET", STREAM_AGENTS_KEY, name };
        ask_redis(f, got_fleet_hash, f, 3, hget);
    } else {
        scan_from(f, "0");
        const char *hgetall[] = { "HGETALL", STREAM_AGENTS_KEY };
        ask_redis(f, got_fleet_hash, f, 2, hgetall);
    }
    const char *xrevrange[] = { "XREVRANGE", STREAM_FLEET_KEY, "+", "-", "COUNT", FLEET_ENTRIES };
    ask_redis(f, got_fleet_stream, f, 6, xrevrange);
}

static void redis_state(void *arg, struct redisconn *rc)
{
    struct fleet *f = arg;
    if (f->done)
        return;
    if (redisconn_state(rc) == PGCONN_UP)
        ask(f);
    else if (redisconn_state(rc) == PGCONN_DOWN)
        failed(f, "cannot read the fleet: %s", redisconn_error(rc) ? redisconn_error(rc) : "Redis is down");
}

static void deadline(uv_timer_t *t)
{
    struct fleet *f = t->data;
    failed(f, "cannot read the fleet: %s", "no complete answer from Redis in time");
}

/* ---- the verdict ----------------------------------------------------------------------- */

/* "14:03:27", or with the date when it was not today. */
static const char *when(double wall, char *buf, size_t len)
{
    time_t secs = (time_t)wall, now = time(NULL);
    struct tm tm, today;
    if (!(wall > 0) || !localtime_r(&secs, &tm) || !localtime_r(&now, &today)) {
        snprintf(buf, len, "an unknown time");
        return buf;
    }
    bool same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
    if (strftime(buf, len, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "an unknown time");
    return buf;
}

struct verdict {
    enum alert_level level;
    bool   silent;
    char  *text;                /* owned */
    char  *headline;            /* for the first line, owned */
};

static void judge(const struct fleet *f, const struct fleet_member *m, struct verdict *v)
{
    char at[32];
    memset(v, 0, sizeof *v);
    if (!m->have) {
        if (m->problem) {
            v->level = ALERT_UNKNOWN;
            v->text = xasprintf("%s summary cannot be read: %s", m->live ? "its" : "its last", m->problem);
        } else {
            v->level = ALERT_CRITICAL;
            v->text = xasprintf("no agent of that name (no key pgdeck:{%s}:agent, no heartbeat in %s or %s)",
                                m->name, STREAM_FLEET_KEY, STREAM_AGENTS_KEY);
        }
        v->headline = xasprintf("%s %s", m->name, v->level == ALERT_CRITICAL ? "not found" : "unreadable");
        return;
    }
    const struct stream_agent *a = &m->summary;
    if (!m->live || strcmp(a->state, "stopped") == 0) {
        if (strcmp(a->state, "stopped") == 0) {
            v->level = ALERT_WARNING;
            v->text = xasprintf("stopped at %s (a clean exit; forget it with HDEL %s %s)",
                                when(a->at, at, sizeof at), STREAM_AGENTS_KEY, m->name);
            v->headline = xasprintf("%s stopped at %s", m->name, at);
        } else {
            double ago = now_wall() - a->at;
            v->level = ALERT_CRITICAL;
            v->silent = true;
            v->text = xasprintf("silent since %s (no heartbeat for %.0f s; its key pgdeck:{%s}:agent expired)",
                                when(a->at, at, sizeof at), ago > 0 ? ago : 0, m->name);
            v->headline = xasprintf("%s silent since %s", m->name, at);
        }
        return;
    }
    /* Live: its alerts decide. */
    v->level = (enum alert_level)a->worst;
    char context[160];
    snprintf(context, sizeof context, "%s%s%s; heartbeat %s", a->state,
             a->server_version ? ", PostgreSQL " : "", a->server_version ? a->server_version : "",
             when(a->at, at, sizeof at));
    if (a->worst == ALERT_OK) {
        v->text = xasprintf("no alerts (%s)", context);
        v->headline = xasprintf("%s OK", m->name);
        return;
    }
    size_t cap = 1024, len = 0;
    char *texts = xcalloc(cap, 1);
    int shown = 0, same = 0;
    for (int i = 0; i < a->nalerts; i++) {
        if (a->alerts[i].level != a->worst)
            continue;
        same++;
        if (shown == 3)
            continue;
        len += (size_t)snprintf(texts + len, cap - len, "%s%s", shown ? "; " : "", a->alerts[i].text);
        if (len >= cap)
            len = cap - 1;
        shown++;
    }
    if (same > shown && len < cap)
        snprintf(texts + len, cap - len, " (and %d more)", same - shown);
    v->text = xasprintf("%s (%s)", texts, context);
    v->headline = xasprintf("%s: %s", m->name, texts);
    free(texts);
    (void)f;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct fleet_member *)a)->name, ((const struct fleet_member *)b)->name);
}

static int exit_code(enum alert_level level)
{
    return level == ALERT_OK ? EXIT_OK : level == ALERT_WARNING ? EXIT_WARNING
         : level == ALERT_CRITICAL ? EXIT_CRITICAL : EXIT_UNKNOWN;
}

static int report(struct fleet *f)
{
    int flags = f->cfg->ascii ? SANITIZE_ASCII : 0;
    if (f->fail) {
        char *text = check_plugin_text(f->fail, flags);
        textout_printf(stdout, "PGDECK UNKNOWN - %s (Redis %s)\n", text, f->display);
        free(text);
        return EXIT_UNKNOWN;
    }
    if (f->fleet.count == 0) {
        textout_printf(stdout, "PGDECK UNKNOWN - no agent found in Redis %s (no pgdeck:{NAME}:agent key, "
                               "no heartbeat in %s or %s)\n", f->display, STREAM_FLEET_KEY, STREAM_AGENTS_KEY);
        return EXIT_UNKNOWN;
    }
    qsort(f->fleet.members, (size_t)f->fleet.count, sizeof *f->fleet.members, by_name);
    struct verdict *v = xcalloc((size_t)f->fleet.count, sizeof *v);
    enum alert_level worst = ALERT_OK;
    int per_level[4] = { 0 }, silent = 0;
    for (int i = 0; i < f->fleet.count; i++) {
        judge(f, &f->fleet.members[i], &v[i]);
        per_level[v[i].level]++;
        silent += v[i].silent;
        if (alert_severity(v[i].level) > alert_severity(worst))
            worst = v[i].level;
    }

    textout_printf(stdout, "PGDECK %s - %d agent%s", state_names[worst], f->fleet.count, f->fleet.count == 1 ? "" : "s");
    if (worst == ALERT_OK) {
        textout_printf(stdout, ", no alerts");
    } else {
        int shown = 0, same = 0;
        for (int i = 0; i < f->fleet.count; i++) {
            if (v[i].level != worst)
                continue;
            same++;
            if (shown == FIRST_LINE_AGENTS)
                continue;
            char *text = check_plugin_text(v[i].headline, flags);
            textout_printf(stdout, "%s%s", shown ? "; " : ": ", text);
            free(text);
            shown++;
        }
        if (same > shown)
            textout_printf(stdout, " (and %d more)", same - shown);
    }
    textout_printf(stdout, " | agents=%d ok=%d warning=%d critical=%d unknown=%d silent=%d\n", f->fleet.count,
                   per_level[ALERT_OK], per_level[ALERT_WARNING], per_level[ALERT_CRITICAL],
                   per_level[ALERT_UNKNOWN], silent);
    for (int i = 0; i < f->fleet.count; i++) {
        char *name = check_plugin_text(f->fleet.members[i].name, flags);
        char *text = check_plugin_text(v[i].text, flags);
        textout_printf(stdout, "%s %s: %s\n", state_names[v[i].level], name, text);
        free(name);
        free(text);
        free(v[i].text);
        free(v[i].headline);
    }
    if (f->fleet.not_kept)
        textout_printf(stdout, "%d more agents were not read (at most %d are)\n", f->fleet.not_kept, STREAM_FLEET_MAX);
    free(v);
    return exit_code(worst);
}

int frontend_check_from(uv_loop_t *loop, const struct config *cfg)
{
    struct fleet f = { .loop = loop, .cfg = cfg };
    struct redis_target t;
    char err[512];
    if (redis_target_parse(&t, cfg->from, err, sizeof err) != 0) {
        textout_line(stdout, "PGDECK UNKNOWN - --from: %s", err);
        return EXIT_UNKNOWN;
    }
    f.display = redis_target_display(&t);
    double connect = cfg->connect_timeout_ms / 1000.0, query = cfg->query_timeout_ms / 1000.0;
    f.rc = redisconn_new(loop, &t, connect, query, redis_state, &f);
    redis_target_free(&t);
    uv_timer_init(loop, &f.timer);
    f.timer.data = &f;
    uv_timer_start(&f.timer, deadline, (uint64_t)((connect + query + 1) * 1000), 0);
    while (!f.done)
        uv_run(loop, UV_RUN_DEFAULT);

    int rc = report(&f);
    fflush(stdout);
    /* Replies still out come back void while the connection closes. */
    f.done = true;
    redisconn_close(f.rc);
    loop_close_all(loop);
    stream_fleet_clear(&f.fleet);
    free(f.display);
    free(f.fail);
    return rc;
}
