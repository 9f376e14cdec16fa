/* The views subject: every materialized view, whether it is populated,
 * its size, rows and unique index (can it refresh CONCURRENTLY?), when it
 * was last refreshed and how long that took, its age and whether it is
 * stale, and a refresh running now.  PostgreSQL records no refresh time:
 * the kit's refresh log is read when installed, pgdeck's own journal
 * otherwise (journal_views.h); "unknown" is an honest answer.  The alert:
 * views older than the guide's 4 hours.  The actions: refresh one (r),
 * every stale one (R).  See views.h for the derived columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "core/action_sql.h"
#include "core/action_target.h"
#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/journal.h"
#include "core/journal_views.h"
#include "core/subject.h"
#include "subjects/tables.h"
#include "subjects/views.h"
#include "base/ident.h"
#include "base/quantity.h"
#include "base/xalloc.h"

#define DAY 86400.0

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

/* The snapshot's server clock when it has one: ages and coverage are
 * measured against the server's now(), as the bounds were. */
static double clock_of(const struct snapshot *s, int row, double fallback)
{
    double t = number(s, row, "server_now");
    return isnan(t) ? fallback : t;
}

/* ---- derived columns ------------------------------------------------------ */

/* An age is never negative (a server clock a little ahead of the log's). */
static void format_age(char *buf, size_t len, double s)
{
    quantity_duration(buf, len, s < 0 ? 0 : s);
}

/* "≈ 12 min", "≈ 3 h", "≈ 2 d": an estimate, as coarse as it is. */
static void format_estimate(char *buf, size_t len, double s)
{
    if (s < 0)
        s = 0;
    if (s < 3600) {
        /* Minutes rounded up, in integers: gcc left this one ceil() a
         * libm call, and pgdeck links no libm (Makefile). */
        int min = (int)(s / 60);
        snprintf(buf, len, "\u2248 %d min", min * 60.0 < s ? min + 1 : min);
    }
    else if (s < 2 * DAY)
        snprintf(buf, len, "\u2248 %.0f h", round(s / 3600));
    else
        snprintf(buf, len, "\u2248 %.0f d", round(s / DAY));
}

void derive_views_at(struct snapshot *s, double max_age_hours, double wall,
                     view_refresh_lookup lookup, const struct app *app)
{
    double max_age = max_age_hours * 3600;
    for (int r = 0; r < s->nrows; r++) {
        double now = clock_of(s, r, wall);
        const char *name = snapshot_get(s, r, "name");
        snapshot_set(s, r, "display", ident_shown(name));
        bool populated = snapshot_true(s, r, "populated");
        bool log = snapshot_true(s, r, "log_installed");
        double finished = number(s, r, "log_finished");
        double duration = number(s, r, "log_duration");
        const char *from = NULL;
        const char *key = snapshot_get(s, r, "object_key");
        char *note = NULL;
        if (!isnan(finished)) {
            from = "log";
        } else if (lookup && key) {
            struct view_refresh_record rec = { NAN, NAN, NAN, false };
            if (lookup(app, key, &rec)) {
                if (!isnan(rec.finished_at)) {
                    finished = rec.finished_at;
                    duration = rec.duration;
                    from = "journal";
                }
                /* A refresh pgdeck started and never saw end: the view may
                 * or may not have been refreshed then. */
                if (!isnan(rec.unfinished_at) && !rec.running) {
                    char at[32] = "?";
                    time_t t = (time_t)rec.unfinished_at;
                    struct tm tm;
                    if (localtime_r(&t, &tm))
                        strftime(at, sizeof at, "%Y-%m-%d %H:%M", &tm);
                    note = xasprintf("pgdeck's refresh at %s: %s", at, JOURNAL_OUTCOME_UNKNOWN);
                }
            }
        }
        /* pgdeck's tracking (run track-views) knows every refresh of
         * this very view since it was installed; the journal only pgdeck's
         * own.  The journal is trusted before it, but a later refresh the
         * tracking saw is the last one. */
        double tracked = number(s, r, "track_finished");
        if (!isnan(tracked) && (from == NULL || (strcmp(from, "journal") == 0 && tracked > finished + 1))) {
            finished = tracked;
            double started = number(s, r, "track_started");
            duration = isnan(started) ? NAN : tracked - started;
            from = "tracking";
        }
        /* Else the estimate: when the view's file was last written. */
        bool estimated = false;
        double mtime = number(s, r, "file_mtime");
        if (from == NULL && !log && !isnan(mtime) && populated) {
            finished = mtime;
            duration = NAN;
            from = "estimate";
            estimated = true;
        }
        snapshot_set(s, r, "refresh_note", note);
        free(note);
        snapshot_set_number(s, r, "last_refresh", finished, 3);
        char when[32] = "";
        if (!isnan(finished) && !(from && strcmp(from, "estimate") == 0)) {
            time_t t = (time_t)finished;
            struct tm tm;
            if (localtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        }
        snapshot_set(s, r, "last_refresh_at", *when ? when : NULL);
        snapshot_set_number(s, r, "refresh_duration", duration, 3);
        /* refresh_known_from claims a refresh time; an estimate claims
         * none (age_source says where the age came from, any of them). */
        snapshot_set(s, r, "refresh_known_from", estimated ? NULL : from);
        snapshot_set(s, r, "age_source", from);
        snapshot_set_number(s, r, "estimated_refresh", estimated ? finished : NAN, 0);
        if (estimated)
            snapshot_set_number(s, r, "last_refresh", NAN, 0);

        double age = isnan(finished) ? NAN : now - finished;
        if (!isnan(age) && age < 0)
            age = 0;
        snapshot_set_number(s, r, "age", age, 0);
        char buf[64];
        if (estimated)
            format_estimate(buf, sizeof buf, age);
        else if (!isnan(age))
            format_age(buf, sizeof buf, age);
        else
            snprintf(buf, sizeof buf, "%s", log ? "never" : "unknown");
        snapshot_set(s, r, "age_text", buf);
        snapshot_set_bool(s, r, "age_estimated", estimated);
        /* The pane's AGE: a known age as "2h05m", an estimate as "≈ 2 h". */
        snapshot_set(s, r, "age_shown", isnan(age) ? NULL : buf);

        /* Stale: not populated, older than the threshold, or never
         * refreshed as far as the log knows.  Without a log and without
         * pgdeck's journal, nobody knows: NULL, not a guess. */
        int stale;
        if (!populated)
            stale = 1;
        else if (!isnan(age))
            stale = age > max_age;
        else
            stale = log ? 1 : -1;
        snapshot_set_bool(s, r, "stale", stale);

        const char *state;
        double failed_at = number(s, r, "log_failed_at");
        if (snapshot_true(s, r, "refreshing")) {
            double took = number(s, r, "refresh_seconds");
            bool waiting = snapshot_true(s, r, "refresh_waiting");
            char t[32];
            if (isnan(took))
                snprintf(t, sizeof t, "?");
            else
                format_age(t, sizeof t, took);
            snprintf(buf, sizeof buf, "%s %s", waiting ? "waiting" : "refreshing", t);
            state = buf;
        } else if (!populated) {
            state = "unpopulated";
        } else if (!isnan(failed_at) && (isnan(finished) || failed_at > finished)) {
            state = "failed";
        } else if (stale == 1) {
            state = isnan(age) ? "never refreshed" : "STALE";
        } else if (stale == 0) {
            state = "ok";
        } else {
            state = "unknown";
        }
        snapshot_set(s, r, "state", state);
    }
}

void derive_views(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)prev;
    /* A public.mv_refresh_log that is not the kit's table is not read;
     * the operator hears why, once, and the pane falls back to pgdeck's
     * journal as if there were no log. */
    const char *ignored = now->nrows > 0 ? snapshot_get(now, 0, "log_ignored") : NULL;
    if (app && ignored)
        app_notice_once(app, "%s", ignored);
    double hours = app && app->cfg ? app->cfg->alerts.view_age_hours : 4;
    /* Without the kit's log, pgdeck's own journal says when it refreshed. */
    derive_views_at(now, hours, now_wall(), journal_views_find, app);
}

/* ---- alerts ------------------------------------------------------------------- */

static const struct snapshot *usable(const struct app *app, const char *name)
{
    const struct snapshot *s = collectors_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

/* Views older than the threshold, never refreshed, or not populated. */
int alert_stale_views(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = usable(app, "views");
    if (!s || max < 1)
        return 0;
    struct alert_names n = { 0 };
    for (int r = 0; r < s->nrows; r++) {
        if (!snapshot_true(s, r, "stale"))
            continue;
        const char *name = snapshot_get(s, r, "name");
        double age = number(s, r, "age");
        char *item;
        if (!snapshot_true(s, r, "populated"))
            item = xasprintf("%s not populated", name);
        else if (isnan(age))
            item = xasprintf("%s never refreshed", name);
        else if (snapshot_true(s, r, "age_estimated"))
            item = xasprintf("%s %s old (estimated from its file)", name, snapshot_get(s, r, "age_text"));
        else
            item = xasprintf("%s %s old (%s)", name, snapshot_get(s, r, "age_text"),
                             snapshot_text(s, r, "refresh_known_from"));
        alert_names_add(&n, item);
        free(item);
    }
    if (!n.count)
        return 0;
    int count = n.count;
    char *list = alert_names_take(&n);
    alert_set(out, ALERT_WARNING, "stale_views", "%d stale view%s (> %g h): %s", count,
              count == 1 ? "" : "s", app->cfg->alerts.view_age_hours, list);
    free(list);
    return 1;
}

static int perf_views(const struct app *app, struct perfdata *out, int max)
{
    const struct snapshot *v = usable(app, "views");
    if (!v || max < 1)
        return 0;
    int stale = 0;
    for (int r = 0; r < v->nrows; r++)
        stale += snapshot_true(v, r, "stale");
    alert_perf(&out[0], "stale_views", stale, "", 1, NAN);
    return 1;
}

/* ---- actions ------------------------------------------------------------------ */

/* Refresh the selected view (r), or every stale one (R).
 *
 * REFRESH ... CONCURRENTLY when PostgreSQL allows it (the view is
 * populated and has a UNIQUE index on plain columns without WHERE):
 * readers keep the old rows meanwhile.  Otherwise the preview warns that
 * readers block until the refresh ends.  When the kit's refresh log is
 * installed without its event trigger (a non-superuser installed it), the
 * refresh is logged there by pgdeck; with the trigger, the trigger does.
 * Whether the log is the kit's (a table owned by the database owner or a
 * superuser) is asked just before the row is written: kit_log.sql. */

static const char *const refresh_log_sql =
    "INSERT INTO public.mv_refresh_log (view_name, started_at, finished_at, refreshed_by, "
    "application_name, concurrent, source) "
    "VALUES (pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2), "
    "clock_timestamp() - make_interval(secs => $4::float8), clock_timestamp(), session_user, "
    "current_setting('application_name', true), $3::boolean, 'function')";

static bool is_true(const PGresult *res, int row, const char *column)
{
    const char *v = pgres_get(res, row, column);
    return v && strcmp(v, "t") == 0;
}

/* Add the refresh of the view in row `row` of an action_relation result.
 * Returns false (with *why) when it is not a view that can be refreshed. */
static bool add_refresh(struct action *a, const PGresult *res, int row, char **why)
{
    const char *schema = pgres_get(res, row, "schema"), *name = pgres_get(res, row, "name");
    const char *in = pgres_get(res, row, "in_name");
    if (!is_true(res, row, "found")) {
        *why = xasprintf("there is no relation %s%s%s", pgres_get(res, row, "in_schema") ?
                         pgres_get(res, row, "in_schema") : "", pgres_get(res, row, "in_schema") ? "." : "",
                         in ? in : "?");
        return false;
    }
    const char *kind = pgres_get(res, row, "relkind");
    if (!kind || strcmp(kind, "m") != 0) {
        *why = xasprintf("%s.%s is not a materialized view", schema, name);
        return false;
    }
    char *q = sql_qualified(schema, name);
    if (!q) {
        *why = xasprintf("the name %s.%s is not valid UTF-8", schema, name);
        return false;
    }
    /* What the operator confirms is this view, by OID: one dropped and
     * created again under the name before the statement runs is refused. */
    action_pin_relation(a, pgres_get(res, row, "oid"), schema, name, "m");
    bool populated = is_true(res, row, "populated");
    bool concurrently = populated && is_true(res, row, "unique_index");
    if (concurrently)
        action_note(a, "Refresh %s.%s CONCURRENTLY: readers keep seeing the old rows until it ends.",
                    schema, name);
    else
        action_note(a, "WARNING: %s.%s cannot refresh CONCURRENTLY (%s): readers of it block until "
                    "the refresh ends.", schema, name,
                    populated ? "it has no UNIQUE index on plain columns" : "it is not populated yet");
    char *sql = xasprintf("REFRESH MATERIALIZED VIEW %s%s", concurrently ? "CONCURRENTLY " : "", q);
    char *label = xasprintf("%s.%s", schema, name);
    struct action_step *s = action_add_step(a, label, sql);
    free(label);
    action_step_lock_relation(s, q);
    action_step_relation(s, q);
    const char *guard = action_sql_file("queries/kit_log.sql");
    if (guard) {
        const char *params[] = { schema, name, concurrently ? "true" : "false" };
        action_step_log(s, guard, "mv_refresh_log", refresh_log_sql, 3, params);
    }
    free(sql);
    free(q);
    return true;
}

/* ---- one view ------------------------------------------------------------- */

static void refresh_resolved(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    char *why = NULL;
    if (PQntuples(res) >= 1 && !action_target_same(a, res, 0))
        return;
    if (PQntuples(res) < 1 || !add_refresh(a, res, 0, &why)) {
        action_refuse(a, "%s", why ? why : "no such view");
        free(why);
        return;
    }
    action_set_target(a, "%s.%s", pgres_get(res, 0, "schema"), pgres_get(res, 0, "name"));
    action_set_detail(a, "refreshed%s", strstr(action_step_sql(a, 0), "CONCURRENTLY") ? " CONCURRENTLY" : "");
    action_planned(a);
}

static void refresh_plan(struct action *a)
{
    const char *schema, *name;
    if (!action_target_relation(a, &schema, &name)) {
        action_refuse(a, "select a view in the views pane (%d), or type :refresh VIEW",
                      subject_pane_number("views"));
        return;
    }
    const char *schemas[] = { schema }, *names[] = { name };
    if (action_target_resolve(a, schemas, names, 1, refresh_resolved) != 0)
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_refresh = {
    .name = "refresh",
    .key = 'r',
    .needs = NEEDS_VIEW,
    .help = "views: refresh the selected view (CONCURRENTLY when it can)",
    .changes = true,
    .ddl = true,
    .affects = "views",
    .plan = refresh_plan,
    .recheck = action_target_recheck_pins,
};

/* ---- every stale view -------------------------------------------------------- */

static void stale_resolved(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    int rows = PQntuples(res), added = 0;
    /* The target lists the views, so the journal says which were
     * refreshed (the views pane reads it when the kit's log is absent). */
    char *names = xstrdup("");
    for (int i = 0; i < rows; i++) {
        char *why = NULL;
        if (add_refresh(a, res, i, &why)) {
            char *more = xasprintf("%s%s%s.%s", names, added ? ", " : "", pgres_get(res, i, "schema"),
                                   pgres_get(res, i, "name"));
            free(names);
            names = more;
            added++;
        } else {
            action_note(a, "skipped: %s", why);
        }
        free(why);
    }
    if (added) {
        action_set_target(a, "%s", names);
        action_set_label(a, "%d stale view%s", added, added == 1 ? "" : "s");
    }
    free(names);
    action_set_detail(a, "%d view%s refreshed", added, added == 1 ? "" : "s");
    action_planned(a);
}

static void stale_plan(struct action *a)
{
    action_set_target(a, "stale views");
    const struct snapshot *s = collectors_snapshot(action_app(a), "views");
    if (!s || s->error) {
        action_refuse(a, "the views pane has no data%s%s", s && s->error ? ": " : " yet",
                      s && s->error ? s->error : "");
        return;
    }
    if (snapshot_column(s, "stale") < 0) {
        action_refuse(a, "the views snapshot has no stale flag");
        return;
    }
    int n = 0;
    const char **schemas = xcalloc((size_t)s->nrows + 1, sizeof *schemas);
    const char **names = xcalloc((size_t)s->nrows + 1, sizeof *names);
    char **bufs = xcalloc((size_t)s->nrows + 1, sizeof *bufs);
    for (int row = 0; row < s->nrows; row++) {
        if (!snapshot_true(s, row, "stale"))
            continue;
        if (action_target_row_relation(s, row, action_target_view_columns, &schemas[n], &names[n], &bufs[n]) == 0)
            n++;
    }
    if (n == 0)
        action_nothing(a, "no view is stale");
    else if (action_target_resolve(a, schemas, names, n, stale_resolved) != 0)
        action_refuse(a, "the primary is not connected");
    for (int i = 0; i <= s->nrows; i++)
        free(bufs[i]);
    free(bufs);
    free(schemas);
    free(names);
}

const struct action_def action_refresh_stale = {
    .name = "refresh-stale",
    .key = 'R',
    .needs = NEEDS_NOTHING,
    .help = "views: refresh every stale view, one after another",
    .changes = true,
    .ddl = true,
    .keep_going = true,
    .affects = "views",
    .plan = stale_plan,
    .recheck = action_target_recheck_pins,
};

/* ---- the subject ---------------------------------------------------------------- */

static const struct collector_def collectors[] = {
    { .name = "views", .source = SERVER_PRIMARY, .query = "queries/views.sql",
      .catalog = true, .derive = derive_views, .alone = true },
};

static const struct action_def *const actions[] = {
    &action_refresh,
    &action_refresh_stale,
    &action_track_views,
    &action_untrack_views,
    &action_analyze,
};

static const struct alert_rule alerts[] = {
    { alert_stale_views, { "views" } },
};

const struct subject subject_views = {
    .name = "views",
    .title = "Views",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ACTIONS(actions),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_views,
};
