/* The fleet pane (a viewer started with --from and no --name): one row per
 * agent heard of in Redis, from its newest heartbeat (collector "fleet",
 * fed by core/stream_feed.c): its state, the PostgreSQL version, the
 * figures behind its alerts (connections used, cache hit, replica lag,
 * stale views), its worst alert and their texts, and how old its last
 * heartbeat is.  Sorted and filtered as any table; Enter turns the
 * console to that agent (Esc comes back, :target NAME goes to another). */
#include <stdio.h>
#include <string.h>

#include "core/stream_feed.h"
#include "table.h"
#include "ui.h"

static const struct column_def columns[] = {
    { "AGENT",     "name",          16, false, FORMAT_AS_TEXT },
    { "STATE",     "state",         12, false, FORMAT_AS_TEXT },
    { "PG",        "version",        7, false, FORMAT_AS_TEXT, 70 },
    { "CONN%",     "conn_used",      6, true,  FORMAT_AS_PERCENT },
    { "HIT%",      "cache_hit",      6, true,  FORMAT_AS_PERCENT },
    { "LAG",       "replica_lag",    6, true,  FORMAT_AS_SECONDS, 80 },
    { "STALE",     "stale_views",    5, true,  FORMAT_AS_NUMBER, 86 },
    { "WORST",     "worst",          8, false, FORMAT_AS_TEXT },
    { "BEAT",      "heartbeat_age",  6, true,  FORMAT_AS_SECONDS, 96 },
    { "ALERTS",    "alerts",         0, false, FORMAT_AS_TEXT },
};

static int row_style(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    const char *worst = snapshot_get(s, row, "worst");
    const char *state = snapshot_get(s, row, "state");
    if ((worst && strcmp(worst, "critical") == 0) || (state && strcmp(state, "silent") == 0))
        return THEME_ROW_CRIT;
    if (worst && (strcmp(worst, "warning") == 0 || strcmp(worst, "unknown") == 0))
        return THEME_ROW_WARN;
    if (state && strcmp(state, "stopped") == 0)
        return THEME_DIM;
    return -1;
}

static const struct table_def tables[] = {
    { "fleet", columns, sizeof columns / sizeof columns[0], row_style, NULL },
};

/* Enter: that agent's screen. */
static int key(struct ui *ui, struct pane *p, int ch)
{
    (void)p;
    if (ch != '\r' && ch != '\n' && ch != KEY_ENTER)
        return KEY_IGNORED;
    int row;
    const struct snapshot *s = table_focused_selection(ui, &row);
    const char *name = s && row >= 0 ? snapshot_get(s, row, "name") : NULL;
    if (!name || !ui->app->feed) {
        app_message(ui->app, true, "no agent selected");
        return KEY_HANDLED;
    }
    char err[256];
    if (stream_feed_switch(ui->app->feed, name, err, sizeof err) != 0)
        app_message(ui->app, true, "%s", err);
    return KEY_HANDLED | KEY_REDRAW;
}

const struct pane_class pane_fleet = {
    .subject = "fleet",
    .help = "every agent in Redis; Enter opens its screen (Esc comes back), :target NAME",
    .tables = tables,
    .ntables = 1,
    .key = key,
    .key_field = "name",
};
