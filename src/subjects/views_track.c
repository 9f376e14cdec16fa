/* pgdeck's refresh tracking: `pgdeck run track-views` (and :track-views)
 * installs, `pgdeck run untrack-views` removes, a schema pgdeck with a
 * refresh log and an event trigger that writes a row at the end of every
 * REFRESH MATERIALIZED VIEW, whoever runs it: a cron job, an application,
 * psql.  PostgreSQL records no refresh time; this does, for any database
 * without the kit's mv_refresh_log.  The views collector reads it
 * (views.sql, track_*), trusting it only as it trusts the kit's log.
 *
 * The event trigger fires at ddl_command_end, so only refreshes that
 * succeed are written.  Their start is statement_timestamp(): the start of
 * the statement the client sent, which is the REFRESH itself when it is
 * sent alone (a ddl_command_start trigger would have to keep state
 * between the two triggers for no better answer); for a REFRESH inside a
 * function or a DO block it is when that began, so a duration may read
 * long, never short, and the age, taken from finished_at, is exact.
 *
 * The trigger's function is SECURITY DEFINER, owned by the superuser who
 * installs it, with search_path = pg_catalog and every name qualified: it
 * writes only pgdeck.refresh_log.  The schema is the installer's; PUBLIC
 * may read the log (its rows are view names and times) and nothing more.
 * Everything is created in one DO block, so an install is whole or not at
 * all, and untrack-views drops what it made by name (never CASCADE): a
 * schema that holds anything else is left, and said so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action.h"
#include "core/action_sql.h"
#include "net/pgconn.h"
#include "subjects/views.h"

static const char *const install_sql =
    "DO $pgdeck$\n"
    "BEGIN\n"
    "    CREATE SCHEMA pgdeck;\n"
    "    REVOKE ALL ON SCHEMA pgdeck FROM PUBLIC;\n"
    "    GRANT USAGE ON SCHEMA pgdeck TO PUBLIC;\n"
    "    CREATE TABLE pgdeck.refresh_log (\n"
    "        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "        view_oid     pg_catalog.oid NOT NULL,\n"
    "        view_name    pg_catalog.text NOT NULL,\n"
    "        started_at   pg_catalog.timestamptz NOT NULL,\n"
    "        finished_at  pg_catalog.timestamptz NOT NULL,\n"
    "        refreshed_by pg_catalog.name NOT NULL);\n"
    "    CREATE INDEX refresh_log_view ON pgdeck.refresh_log (view_oid, finished_at DESC);\n"
    "    REVOKE ALL ON pgdeck.refresh_log FROM PUBLIC;\n"
    "    GRANT SELECT ON pgdeck.refresh_log TO PUBLIC;\n"
    "    CREATE FUNCTION pgdeck.track_refresh() RETURNS event_trigger\n"
    "        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$\n"
    "    BEGIN\n"
    "        INSERT INTO pgdeck.refresh_log (view_oid, view_name, started_at, finished_at, refreshed_by)\n"
    "        SELECT c.objid, c.object_identity, pg_catalog.statement_timestamp(),\n"
    "               pg_catalog.clock_timestamp(), session_user\n"
    "          FROM pg_catalog.pg_event_trigger_ddl_commands() AS c\n"
    "         WHERE c.command_tag OPERATOR(pg_catalog.=) 'REFRESH MATERIALIZED VIEW';\n"
    "    END\n"
    "    $fn$;\n"
    "    REVOKE ALL ON FUNCTION pgdeck.track_refresh() FROM PUBLIC;\n"
    "    CREATE EVENT TRIGGER pgdeck_track_refresh ON ddl_command_end\n"
    "        WHEN TAG IN ('REFRESH MATERIALIZED VIEW') EXECUTE FUNCTION pgdeck.track_refresh();\n"
    "END\n"
    "$pgdeck$";

static const char *const uninstall_sql =
    "DO $pgdeck$\n"
    "BEGIN\n"
    "    DROP EVENT TRIGGER IF EXISTS pgdeck_track_refresh;\n"
    "    DROP FUNCTION IF EXISTS pgdeck.track_refresh();\n"
    "    DROP TABLE IF EXISTS pgdeck.refresh_log;\n"
    "    DROP SCHEMA IF EXISTS pgdeck;\n"
    "END\n"
    "$pgdeck$";

static bool is_true(const PGresult *res, const char *column)
{
    const char *v = pgres_get(res, 0, column);
    return v && strcmp(v, "t") == 0;
}

static bool read_state(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return false;
    }
    if (PQntuples(res) < 1) {
        action_refuse(a, "could not read the catalog");
        return false;
    }
    return true;
}

static void track_read(struct action *a, const PGresult *res, const char *error)
{
    if (!read_state(a, res, error))
        return;
    const char *db = pgres_get(res, 0, "database");
    const char *owner = pgres_get(res, 0, "schema_owner");
    bool table = is_true(res, "has_table"), function = is_true(res, "has_function");
    bool trigger = is_true(res, "has_trigger"), ours = is_true(res, "trigger_ours");
    if (owner && table && function && ours && is_true(res, "schema_trusted")) {
        action_nothing(a, "refreshes are tracked in %s already (pgdeck.refresh_log)", db);
        return;
    }
    if (owner && !is_true(res, "schema_trusted")) {
        action_refuse(a, "a schema pgdeck owned by %s (neither a superuser nor the database owner) is in %s: "
                      "pgdeck does not use it", owner, db);
        return;
    }
    if (owner || trigger) {
        action_refuse(a, "part of pgdeck's tracking is in %s (%s%s%s%s): pgdeck run untrack-views removes it, "
                      "then track-views installs it whole", db, owner ? "schema pgdeck" : "",
                      table ? ", its refresh_log" : "", function ? ", its function" : "",
                      trigger ? ", an event trigger pgdeck_track_refresh" : "");
        return;
    }
    if (!is_true(res, "superuser")) {
        action_refuse(a, "only a superuser may create an event trigger: ask one to run pgdeck run track-views "
                      "on %s", db);
        return;
    }
    action_note(a, "Track every REFRESH MATERIALIZED VIEW in %s: a schema pgdeck with a refresh log, and an event "
                "trigger at the end of each refresh, by anyone, that writes a row there (SECURITY DEFINER, owned "
                "by you, search_path = pg_catalog).  pgdeck run untrack-views removes it all.", db);
    action_add_step(a, "track-views", install_sql);
    action_set_detail(a, "installed");
    action_planned(a);
}

static void untrack_read(struct action *a, const PGresult *res, const char *error)
{
    if (!read_state(a, res, error))
        return;
    const char *db = pgres_get(res, 0, "database");
    const char *owner = pgres_get(res, 0, "schema_owner");
    bool trigger = is_true(res, "has_trigger");
    if (!owner && !trigger) {
        action_nothing(a, "nothing of pgdeck's tracking is in %s", db);
        return;
    }
    if (owner && !is_true(res, "schema_trusted")) {
        action_refuse(a, "the schema pgdeck in %s is owned by %s, not by a superuser or the database owner: "
                      "pgdeck did not make it and does not drop it", db, owner);
        return;
    }
    if (trigger && !is_true(res, "trigger_ours")) {
        action_refuse(a, "the event trigger pgdeck_track_refresh in %s does not run pgdeck.track_refresh(): "
                      "pgdeck did not make it and does not drop it", db);
        return;
    }
    const char *others = pgres_get(res, 0, "others");
    if (others) {
        action_refuse(a, "the schema pgdeck in %s holds more than pgdeck made (%s): drop those first", db, others);
        return;
    }
    if (!is_true(res, "superuser")) {
        action_refuse(a, "only a superuser may drop an event trigger: ask one to run pgdeck run untrack-views "
                      "on %s", db);
        return;
    }
    action_note(a, "Stop tracking refreshes in %s: drop the event trigger, its function, pgdeck.refresh_log "
                "(the refresh times it holds go with it) and the schema pgdeck.", db);
    action_add_step(a, "untrack-views", uninstall_sql);
    action_set_detail(a, "removed");
    action_planned(a);
}

static void state_query(struct action *a, void (*done)(struct action *, const PGresult *, const char *))
{
    const char *sql = action_sql_file("queries/track_views.sql");
    if (!sql || action_query(a, sql, 0, NULL, done) != 0)
        action_refuse(a, "the primary is not connected");
}

static void track_plan(struct action *a)
{
    action_set_target(a, "refresh tracking");
    state_query(a, track_read);
}

static void untrack_plan(struct action *a)
{
    action_set_target(a, "refresh tracking");
    state_query(a, untrack_read);
}

const struct action_def action_track_views = {
    .name = "track-views",
    .key = 0,
    .needs = NEEDS_NOTHING,
    .help = "views: install pgdeck's refresh tracking (an event trigger; a superuser)",
    .changes = true,
    .ddl = true,
    .affects = "views",
    .plan = track_plan,
};

const struct action_def action_untrack_views = {
    .name = "untrack-views",
    .key = 0,
    .needs = NEEDS_NOTHING,
    .help = "views: remove pgdeck's refresh tracking",
    .changes = true,
    .ddl = true,
    .affects = "views",
    .plan = untrack_plan,
};
