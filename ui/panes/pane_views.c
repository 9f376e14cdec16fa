/* The views pane.  Materialized views (collector "views"): populated or not, size,
 * whether a unique index lets them refresh CONCURRENTLY, when they were
 * last refreshed and how long it took, their age against the threshold,
 * and a refresh running now.  The refresh time comes from the kit's
 * mv_refresh_log when it is installed, else from pgdeck's own journal;
 * when neither knows, the pane says "unknown" rather than guess. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "table.h"
#include "ui.h"
#include "base/xalloc.h"

static const struct column_def columns[] = {
    { "VIEW",      "display",           0, false, FORMAT_AS_TEXT },
    { "POP",       "populated",         3, false, FORMAT_AS_BOOL, 60 },
    { "SIZE",      "size",              8, true,  FORMAT_AS_BYTES, 50 },
    { "ROWS~",     "rows",             10, true,  FORMAT_AS_NUMBER, 100 },
    { "CONC",      "can_concurrently",  4, false, FORMAT_AS_BOOL, 70 },
    { "REFRESHED", "last_refresh_at",  16, false, FORMAT_AS_TEXT, 110 },
    { "AGE",       "age_shown",         9, true,  FORMAT_AS_TEXT },
    { "TOOK",      "refresh_duration",  7, true,  FORMAT_AS_SECONDS, 66 },
    { "STATE",     "state",            15, false, FORMAT_AS_TEXT },
};

static int row_style(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    const char *state = snapshot_get(s, row, "state");
    if (state && strcmp(state, "failed") == 0)
        return THEME_ROW_CRIT;
    if (snapshot_true(s, row, "stale"))
        return THEME_ROW_WARN;
    return -1;
}

static const struct table_def tables[] = {
    { "views", columns, sizeof columns / sizeof columns[0], row_style, NULL },
};

/* One line: counts, the threshold, and where refresh times come from. */
static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    (void)p;
    const struct snapshot *s = collectors_snapshot(ui->app, "views");
    if (!s || s->error || height < 6)
        return 0;
    int stale = 0, refreshing = 0, unknown = 0, journal = 0, tracked = 0, estimated = 0;
    bool log = false, tracking = false;
    for (int r = 0; r < s->nrows; r++) {
        tracking = tracking || snapshot_true(s, r, "track_installed");
        const char *src = snapshot_get(s, r, "age_source");
        tracked += src && strcmp(src, "tracking") == 0;
        estimated += src && strcmp(src, "estimate") == 0;
        stale += snapshot_true(s, r, "stale");
        refreshing += snapshot_true(s, r, "refreshing");
        log = log || snapshot_true(s, r, "log_installed");
        const char *from = snapshot_get(s, r, "refresh_known_from");
        journal += from && strcmp(from, "journal") == 0;
        const char *state = snapshot_get(s, r, "state");
        unknown += state && strcmp(state, "unknown") == 0;
    }
    char line[256];
    int n = snprintf(line, sizeof line, "%d view%s, %d stale (> %g h)", s->nrows, s->nrows == 1 ? "" : "s",
                     stale, ui->app->cfg->alerts.view_age_hours);
    if (refreshing)
        n += snprintf(line + n, sizeof line - (size_t)n, ", %d refreshing", refreshing);
    /* Where refresh times come from, when there is room to say it. */
    char sources[128] = "";
    if (log)
        snprintf(sources, sizeof sources, "mv_refresh_log");
    else {
        int m = 0;
        if (journal)
            m += snprintf(sources + m, sizeof sources - (size_t)m, "pgdeck journal");
        if (tracked || tracking)
            m += snprintf(sources + m, sizeof sources - (size_t)m, "%stracking", m ? ", " : "");
        if (estimated)
            m += snprintf(sources + m, sizeof sources - (size_t)m, "%s\u2248 file times", m ? ", " : "");
        if (!m)
            snprintf(sources, sizeof sources, "%s", unknown ? "unknown (no refresh log)" : "-");
    }
    if (n + 9 + (int)strlen(sources) <= width && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "; times: %s", sources);
    wattrset(w, ATTR(stale ? THEME_ALERT : THEME_LABEL));
    mvwhline(w, y, x, ' ', width);
    draw_text(ui, w, y, x, width, line);
    int used = 1;
    /* Neither the kit's log nor pgdeck's tracking here: say that tracking
     * exists, when there are views and room for a line. */
    if (!log && !tracking && s->nrows > 0 && height >= 8) {
        wattrset(w, ATTR(THEME_LABEL));
        mvwhline(w, y + used, x, ' ', width);
        draw_text(ui, w, y + used++, x, width,
                  "refreshes are not tracked here: pgdeck run track-views times every REFRESH (a superuser)");
    }
    return used;
}

static void seconds_text(char *buf, size_t len, const struct snapshot *s, int row, const char *column)
{
    double v = snapshot_number(s, row, column, NAN);
    if (isnan(v))
        snprintf(buf, len, "unknown");
    else
        format_seconds(buf, len, v);
}

static char **details(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    (void)p;
    char **l = xcalloc(16, sizeof *l);
    int k = 0;
    char a[32], b[32];
    l[k++] = xasprintf("%s  (owner %s)", snapshot_text(s, row, "name"), snapshot_text(s, row, "owner"));
    format_bytes(a, sizeof a, snapshot_number(s, row, "size", 0));
    l[k++] = xasprintf("populated    %s; %s, ~%s rows (estimated)",
                     snapshot_true(s, row, "populated") ? "yes" : "no (REFRESH without CONCURRENTLY first)",
                     snapshot_get(s, row, "size") ? a : "size unknown (locked)", snapshot_text(s, row, "rows"));
    l[k++] = xasprintf("concurrent   %s", snapshot_true(s, row, "can_concurrently")
                     ? "yes: a unique index on plain columns allows REFRESH ... CONCURRENTLY"
                     : "no: needs a unique index on plain columns, without WHERE");
    const char *from = snapshot_get(s, row, "refresh_known_from");
    const char *source = snapshot_get(s, row, "age_source");
    seconds_text(b, sizeof b, s, row, "refresh_duration");
    if (from)
        l[k++] = xasprintf("last refresh %s, took %s (from %s)", snapshot_text(s, row, "last_refresh_at"), b,
                         strcmp(from, "log") == 0 ? "mv_refresh_log"
                         : strcmp(from, "tracking") == 0 ? "pgdeck's tracking, pgdeck.refresh_log"
                         : "pgdeck's journal");
    else if (source && strcmp(source, "estimate") == 0)
        l[k++] = xasprintf("last refresh not recorded; its file was last written %s ago: an estimate (a checkpoint "
                           "or VACUUM writes it too); pgdeck run track-views records refreshes",
                           snapshot_text(s, row, "age_text"));
    else if (snapshot_true(s, row, "log_installed"))
        l[k++] = xasprintf("last refresh never, as far as mv_refresh_log knows");
    else if (snapshot_get(s, row, "log_ignored"))
        l[k++] = xasprintf("last refresh unknown: PostgreSQL keeps no refresh time and the kit's "
                         "mv_refresh_log is not used (below)");
    else
        l[k++] = xasprintf("last refresh unknown: PostgreSQL keeps no refresh time and the kit's "
                         "mv_refresh_log is not installed");
    /* A planted log is never read: say why, here too. */
    if (snapshot_get(s, row, "log_ignored"))
        l[k++] = xasprintf("refresh log  %s", snapshot_text(s, row, "log_ignored"));
    seconds_text(a, sizeof a, s, row, "age");
    if (snapshot_get(s, row, "track_ignored"))
        l[k++] = xasprintf("tracking     %s", snapshot_text(s, row, "track_ignored"));
    l[k++] = xasprintf("age          %s (stale after %g h): %s",
                     from ? a : source ? snapshot_text(s, row, "age_text") : "unknown",
                     ui->app->cfg->alerts.view_age_hours, snapshot_text(s, row, "state"));
    if (snapshot_get(s, row, "log_rows"))
        l[k++] = xasprintf("rows then    %s (%s)", snapshot_text(s, row, "log_rows"), snapshot_text(s, row, "log_source"));
    if (snapshot_get(s, row, "refresh_note"))
        l[k++] = xasprintf("pgdeck       %s", snapshot_text(s, row, "refresh_note"));
    if (snapshot_get(s, row, "log_failed_error"))
        l[k++] = xasprintf("last attempt FAILED: %s", snapshot_text(s, row, "log_failed_error"));
    if (snapshot_true(s, row, "refreshing")) {
        seconds_text(a, sizeof a, s, row, "refresh_seconds");
        l[k++] = xasprintf("now          pid %s %s for %s%s", snapshot_text(s, row, "refresh_pid"),
                         snapshot_true(s, row, "refresh_waiting") ? "waits to refresh" : "refreshing", a,
                         snapshot_true(s, row, "refresh_concurrently") ? " (concurrently)" : "");
    }
    *n = k;
    return l;
}

const struct pane_class pane_views = {
    .subject = "views",
    .help = "Enter: details  r: refresh the selected view  R: refresh all stale views (CONCURRENTLY when possible)",
    .tables = tables,
    .ntables = 1,
    .draw_header = draw_header,
    .details = details,
    .key_field = "oid",
};
