/* The fleet as a viewer knows it (see stream_fleet.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stream_fleet.h"
#include "base/clock.h"
#include "base/xalloc.h"

struct fleet_member *stream_fleet_find(const struct stream_fleet *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->members[i].name, name) == 0)
            return &f->members[i];
    return NULL;
}

struct fleet_member *stream_fleet_member(struct stream_fleet *f, const char *name)
{
    if (!stream_name_valid(name))
        return NULL;
    struct fleet_member *m = stream_fleet_find(f, name);
    if (m)
        return m;
    if (f->count >= STREAM_FLEET_MAX) {
        f->not_kept++;
        return NULL;
    }
    f->members = xrealloc(f->members, (size_t)(f->count + 1) * sizeof *f->members);
    m = &f->members[f->count++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static struct fleet_member *take(struct stream_fleet *f, const char *name, const char *text, size_t len,
                                 double beat_ms, bool live)
{
    struct fleet_member *m = stream_fleet_member(f, name);
    if (!m)
        return NULL;
    if (live)
        m->live = true;
    struct stream_agent a;
    char why[256];
    if (stream_agent_parse(text, len, &a, why, sizeof why) != 0) {
        /* What it last said that could be read stays; the problem is
         * said only when there is nothing else, the live key's first. */
        if (!m->have && (live || !m->live || !m->problem)) {
            free(m->problem);
            m->problem = xstrdup(why);
        }
        if (beat_ms > m->beat_ms)
            m->beat_ms = beat_ms;
        return m;
    }
    if (strcmp(a.name, name) != 0) {
        if (!m->have) {
            free(m->problem);
            m->problem = xstrdup("its summary names another agent");
        }
        stream_agent_free(&a);
        return m;
    }
    /* The live key wins; a heartbeat is newer by its place in the stream;
     * the hash's copy by the time it says. */
    bool newer = live || !m->have ||
                 (!m->live && (beat_ms > 0 ? beat_ms >= m->beat_ms : !(m->beat_ms > 0) && a.at >= m->summary.at));
    if (!newer) {
        stream_agent_free(&a);
        return m;
    }
    if (m->have)
        stream_agent_free(&m->summary);
    m->summary = a;
    m->have = true;
    if (beat_ms > 0)
        m->beat_ms = beat_ms;
    free(m->problem);
    m->problem = NULL;
    return m;
}

struct fleet_member *stream_fleet_take(struct stream_fleet *f, const char *name, const char *text, size_t len,
                                       double beat_ms)
{
    return take(f, name, text, len, beat_ms, false);
}

struct fleet_member *stream_fleet_take_live(struct stream_fleet *f, const char *name, const char *text, size_t len)
{
    return take(f, name, text, len, 0, true);
}

void stream_fleet_clear(struct stream_fleet *f)
{
    for (int i = 0; i < f->count; i++) {
        if (f->members[i].have)
            stream_agent_free(&f->members[i].summary);
        free(f->members[i].problem);
    }
    free(f->members);
    memset(f, 0, sizeof *f);
}

double stream_fleet_beat_ms(const struct fleet_member *m)
{
    if (m->beat_ms > 0)
        return m->beat_ms;
    return m->have && m->summary.at > 0 ? m->summary.at * 1000 : 0;
}

bool stream_fleet_silent(const struct fleet_member *m, double redis_now_ms)
{
    double beat = stream_fleet_beat_ms(m);
    double interval = m->have && m->summary.interval > 0 ? m->summary.interval : 1;
    if (!(beat > 0))
        return false;
    return redis_now_ms - beat > (STREAM_FLEET_MISSED * interval + STREAM_FLEET_SLACK) * 1000;
}

const char *stream_fleet_state(const struct fleet_member *m, double redis_now_ms)
{
    if (!m)
        return "unknown";
    if (!m->have)
        return m->problem ? "unreadable" : "unknown";
    if (strcmp(m->summary.state, "stopped") == 0)
        return "stopped";
    if (stream_fleet_silent(m, redis_now_ms))
        return "silent";
    const char *s = m->summary.state;
    /* The agent's own word, when it is one of its words. */
    if (strcmp(s, "up") == 0 || strcmp(s, "connecting") == 0 || strcmp(s, "primary down") == 0)
        return s;
    return "unknown";
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct fleet_member *const *)a)->name, (*(const struct fleet_member *const *)b)->name);
}

static const char *const columns[] = {
    "name", "state", "version", "conn_used", "cache_hit", "replica_lag", "stale_views", "worst", "alerts",
    "heartbeat_age", "heartbeat", "host", "actions", "problem",
};
enum { C_NAME, C_STATE, C_VERSION, C_CONN, C_HIT, C_LAG, C_STALE, C_WORST, C_ALERTS, C_AGE, C_BEAT, C_HOST,
       C_ACTIONS, C_PROBLEM, C_COUNT };

/* Its alerts' texts, worst first as the agent listed them, "; " between. */
static char *alert_texts(const struct stream_agent *a)
{
    size_t cap = 1, len = 0;
    for (int i = 0; i < a->nalerts; i++)
        cap += strlen(a->alerts[i].text) + 2;
    char *out = xmalloc(cap);
    out[0] = '\0';
    for (int i = 0; i < a->nalerts; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "; " : "", a->alerts[i].text);
    return out;
}

static char *number_text(double v, int decimals)
{
    return isfinite(v) ? xasprintf("%.*f", decimals, v) : NULL;
}

struct snapshot *stream_fleet_snapshot(const struct stream_fleet *f, double redis_now_ms, double offset)
{
    struct snapshot *s = snapshot_new("fleet", C_COUNT, columns);
    s->taken_at = now_wall();
    const struct fleet_member **order = xcalloc((size_t)(f->count ? f->count : 1), sizeof *order);
    for (int i = 0; i < f->count; i++)
        order[i] = &f->members[i];
    qsort(order, (size_t)f->count, sizeof *order, by_name);
    static const char *const actions[] = { "refused", "accepted", "read-only" };
    for (int i = 0; i < f->count; i++) {
        const struct fleet_member *m = order[i];
        const struct stream_agent *a = m->have ? &m->summary : NULL;
        const char *state = stream_fleet_state(m, redis_now_ms);
        bool silent = strcmp(state, "silent") == 0;
        double beat = stream_fleet_beat_ms(m);
        char *v[C_COUNT] = { 0 };
        v[C_NAME] = xstrdup(m->name);
        v[C_STATE] = xstrdup(state);
        if (a) {
            v[C_VERSION] = a->server_version ? xstrdup(a->server_version) : NULL;
            v[C_CONN] = number_text(stream_agent_figure(a, "pool_used"), 1);
            v[C_HIT] = number_text(stream_agent_figure(a, "cache_hit"), 1);
            v[C_LAG] = number_text(stream_agent_figure(a, "replica_lag"), 1);
            v[C_STALE] = number_text(stream_agent_figure(a, "stale_views"), 0);
            /* A silent agent's alerts are as old as its last word: its
             * silence is the worst thing known of it now. */
            v[C_WORST] = xstrdup(silent ? "critical" : stream_level_name(a->worst));
            v[C_ALERTS] = alert_texts(a);
            v[C_HOST] = a->host ? xstrdup(a->host) : NULL;
            v[C_ACTIONS] = xstrdup(actions[a->actions]);
        } else {
            v[C_WORST] = xstrdup("unknown");
        }
        if (beat > 0) {
            double age = (redis_now_ms - beat) / 1000;
            v[C_AGE] = number_text(age > 0 ? age : 0, 1);
            char when[16];
            v[C_BEAT] = xstrdup(clock_time_local(beat / 1000 - offset, when, sizeof when));
        }
        v[C_PROBLEM] = m->problem ? xstrdup(m->problem) : NULL;
        snapshot_add_row(s, (const char *const *)v);
        for (int k = 0; k < C_COUNT; k++)
            free(v[k]);
    }
    free(order);
    return s;
}
