/* Actions on materialized views: refresh the selected one (r), or every
 * stale one (R).
 *
 * REFRESH ... CONCURRENTLY when PostgreSQL allows it (the view is
 * populated and has a UNIQUE index on plain columns without WHERE):
 * readers keep the old rows meanwhile.  Otherwise the preview warns that
 * readers block until the refresh ends.  When the kit's refresh log is
 * installed without its event trigger (a non-superuser installed it), the
 * refresh is logged there by pgdeck; with the trigger, the trigger does.
 * Whether the log is the kit's (a table owned by the database owner or a
 * superuser) is asked just before the row is written: kit_log.sql. */
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/actions.h"
#include "core/app.h"
#include "core/snapshot.h"
#include "base/xalloc.h"

/* Columns of the views snapshot that may hold the view's name (as in
 * action_target_from_row). */
static const char *const view_columns[] = { "view", "view_name", "matviewname", "name", "relname", NULL };

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
    if (PQntuples(res) >= 1 && !actions_same_relation(a, res, 0))
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
    if (!actions_target_relation(a, &schema, &name)) {
        action_refuse(a, "select a view in the views pane (5), or type :refresh VIEW");
        return;
    }
    const char *schemas[] = { schema }, *names[] = { name };
    if (actions_resolve(a, schemas, names, 1, refresh_resolved) != 0)
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
    .recheck = actions_recheck_pinned,
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
    const struct snapshot *s = app_snapshot(action_app(a), "views");
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
        if (actions_row_relation(s, row, view_columns, &schemas[n], &names[n], &bufs[n]) == 0)
            n++;
    }
    if (n == 0)
        action_nothing(a, "no view is stale");
    else if (actions_resolve(a, schemas, names, n, stale_resolved) != 0)
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
    .recheck = actions_recheck_pinned,
};
