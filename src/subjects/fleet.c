/* The fleet subject: what a viewer (pgdeck --from REDIS_URL) knows of the
 * agents and of the Redis it reads them from.
 *   fleet   one row per agent, fed by the viewer's feed from the agents'
 *           heartbeats (core/stream_feed.c, stream_fleet.c), never run:
 *           the fleet pane, shown alone when the viewer has no --name
 * Its alert rules say what the panes cannot: the Redis read is down, the
 * agent watched is silent (three heartbeats missed) or stopped, an entry
 * of its streams was refused, agents of the fleet are silent.  They say
 * nothing outside a viewer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/stream_feed.h"
#include "core/subject.h"
#include "base/clock.h"
#include "base/xalloc.h"

static int alert_feed_down(const struct app *app, struct alert *out, int max)
{
    const struct stream_feed *f = app->feed;
    if (!f || max < 1 || stream_feed_up(f))
        return 0;
    char when[16];
    double since = stream_feed_down_since(f);
    if (since > 0)
        alert_set(out, ALERT_CRITICAL, "redis_feed", "redis %s down since %s (%s): what is shown is as of then",
                  stream_feed_display(f), clock_time_local(since, when, sizeof when), stream_feed_error(f));
    else
        alert_set(out, ALERT_WARNING, "redis_feed", "redis %s: %s", stream_feed_display(f), stream_feed_error(f));
    return 1;
}

/* The agent watched: silent, stopped, or never heard of. */
static int alert_agent(const struct app *app, struct alert *out, int max)
{
    const struct stream_feed *f = app->feed;
    if (!f)             /* a console (no viewer) does not call into the feed's code */
        return 0;
    const char *name = stream_feed_target(f);
    if (!name || max < 1 || !stream_feed_ready(f))
        return 0;
    const struct fleet_member *m = stream_feed_agent(f);
    const char *state = stream_feed_agent_state(f);
    char when[16];
    if (strcmp(state, "silent") == 0) {
        double beat = stream_fleet_beat_ms(m) / 1000 - stream_feed_offset(f);
        alert_set(out, ALERT_CRITICAL, "agent_silent", "agent %s silent since %s", name,
                  clock_time_local(beat, when, sizeof when));
        return 1;
    }
    if (strcmp(state, "stopped") == 0) {
        alert_set(out, ALERT_WARNING, "agent_stopped", "agent %s stopped at %s", name,
                  clock_time_local(m->summary.at, when, sizeof when));
        return 1;
    }
    if (strcmp(state, "unreadable") == 0) {
        alert_set(out, ALERT_UNKNOWN, "agent_unreadable", "agent %s: its summary cannot be read: %s", name,
                  m->problem);
        return 1;
    }
    if (strcmp(state, "unknown") == 0 && stream_feed_up(f)) {
        alert_set(out, ALERT_UNKNOWN, "agent_unknown", "agent %s: never heard of (no heartbeat in %s, no summary "
                  "in %s)", name, STREAM_FLEET_KEY, STREAM_AGENTS_KEY);
        return 1;
    }
    return 0;
}

static int alert_refused(const struct app *app, struct alert *out, int max)
{
    const char *texts[64];
    int n = app->feed && max >= 1 ? stream_feed_refused(app->feed, texts, 64) : 0;
    if (n == 0)
        return 0;
    struct alert_names names = { 0 };
    for (int i = 0; i < n; i++)
        alert_names_add(&names, texts[i]);
    char *list = alert_names_take(&names);
    alert_set(out, ALERT_WARNING, "stream_refused", "stream entries refused (the panes keep their data): %s", list);
    free(list);
    return 1;
}

/* The fleet view: which agents are silent. */
static int alert_fleet_silent(const struct app *app, struct alert *out, int max)
{
    const struct stream_feed *f = app->feed;
    if (!f || stream_feed_target(f) || max < 1)
        return 0;
    const struct stream_fleet *fleet = stream_feed_fleet(f);
    double now = stream_feed_redis_now_ms(f);
    struct alert_names names = { 0 };
    for (int i = 0; i < fleet->count; i++)
        if (strcmp(stream_fleet_state(&fleet->members[i], now), "silent") == 0)
            alert_names_add(&names, fleet->members[i].name);
    if (names.count == 0)
        return 0;
    int count = names.count;
    char *list = alert_names_take(&names);
    alert_set(out, ALERT_CRITICAL, "agents_silent", "%d agent%s silent: %s", count, count == 1 ? "" : "s", list);
    free(list);
    return 1;
}

static const struct collector_def collectors[] = {
    /* Fed by the viewer (stream_feed.c); the engine never runs it. */
    { .name = "fleet", .source = SERVER_REDIS },
};

static const struct alert_rule alerts[] = {
    { alert_feed_down, { NULL } },
    { alert_agent, { NULL } },
    { alert_fleet_silent, { NULL } },
    { alert_refused, { NULL } },
};

const struct subject subject_fleet = {
    .name = "fleet",
    .title = "Fleet",
    .has_pane = true,
    .fleet = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ALERTS(alerts),
};
