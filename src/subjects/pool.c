/* The pool subject: connections and what stands between clients and
 * the server.
 *   connections      client connections by state, application, database
 *                    and user; settings: max_connections less the
 *                    reserved slots (what "usable" means in the gauge);
 *   replication      pg_stat_replication (lag in bytes and seconds), or
 *                    the recovery status when connected to a standby;
 *   replica          the configured read replica (--replica) itself;
 *   pgbouncer_pools, pgbouncer_stats
 *                    PgBouncer's SHOW POOLS / SHOW STATS, read by column
 *                    name whatever the version calls them.
 * Alerts: the primary down, the guide's pool utilization (> 90 %),
 * replica lag, a replica down, promoted or missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/quantity.h"
#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/counters.h"
#include "core/subject.h"
#include "subjects/pool.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

double pool_critical_percent(double warn_percent)
{
    return warn_percent > POOL_CRITICAL_PERCENT ? warn_percent : POOL_CRITICAL_PERCENT;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

static const struct snapshot *usable_snapshot(const struct app *app, const char *name)
{
    const struct snapshot *s = collectors_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

/* ---- PgBouncer ----------------------------------------------------------------- */

/* The sum of the columns whose names start with `prefix` ("cl_", "sv_"):
 * PgBouncer adds and renames such columns between versions (cl_cancel_req
 * became cl_active_cancel_req and cl_waiting_cancel_req in 1.21), and a
 * total over whatever is there stays right. */
static double sum_prefixed(const struct snapshot *s, int row, const char *prefix)
{
    double sum = 0;
    size_t n = strlen(prefix);
    for (int c = 0; c < s->ncols; c++)
        if (strncmp(s->columns[c], prefix, n) == 0) {
            const char *v = snapshot_cell(s, row, c);
            if (v)
                sum += strtod(v, NULL);
        }
    return sum;
}

void derive_pgbouncer_pools(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)app;
    (void)prev;
    /* The columns the pane shows exist even when this version lacks one. */
    static const char *const shown[] = { "cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_used" };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        snapshot_add_column(now, shown[i]);
    for (int r = 0; r < now->nrows; r++) {
        const char *db = snapshot_get(now, r, "database"), *user = snapshot_get(now, r, "user");
        char *pool = xasprintf("%s/%s", db ? db : "?", user ? user : "?");
        snapshot_set(now, r, "key", pool);
        snapshot_set(now, r, "pool", pool);
        free(pool);
        /* maxwait is whole seconds; 1.8 added the microseconds beside it. */
        double wait = number(now, r, "maxwait"), us = number(now, r, "maxwait_us");
        snapshot_set_number(now, r, "maxwait_seconds", isnan(us) ? wait : wait + us / 1e6, 3);
        snapshot_set_number(now, r, "clients", sum_prefixed(now, r, "cl_"), 0);
        snapshot_set_number(now, r, "servers", sum_prefixed(now, r, "sv_"), 0);
    }
}

void derive_pgbouncer_stats(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)app;
    /* total_requests was renamed total_query_count in PgBouncer 1.8. */
    const char *queries = snapshot_column(now, "total_query_count") >= 0 ? "total_query_count"
                                                                          : "total_requests";
    int *match = counter_match_rows(now, prev, "database");
    double dt = counter_interval(now, prev);
    for (int r = 0; r < now->nrows; r++) {
        double q = number(now, r, queries);
        snapshot_set_number(now, r, "queries", q, 0);
        int p = match ? match[r] : -1;
        double dq = NAN, dx = NAN, dtime = NAN;
        if (p >= 0) {
            dq = counter_delta(q, number(prev, p, "queries"));
            dx = counter_delta(number(now, r, "total_xact_count"), number(prev, p, "total_xact_count"));
            dtime = counter_delta(number(now, r, "total_query_time"), number(prev, p, "total_query_time"));
        }
        snapshot_set_number(now, r, "query_rate", dq / dt, 1);
        snapshot_set_number(now, r, "xact_rate", dx / dt, 1);
        /* total_query_time is in microseconds. */
        snapshot_set_number(now, r, "avg_query_ms", dq > 0 ? dtime / dq / 1000.0 : NAN, 2);
    }
    free(match);
}

/* ---- connections against the usable slots ---------------------------------------- */

bool pool_usage(const struct snapshot *connections, const struct snapshot *settings,
                double *used, double *usable)
{
    *used = *usable = NAN;
    if (!connections || connections->error || !settings || settings->error)
        return false;
    int all = snapshot_find(connections, "kind", "all");
    /* No client connection at all has no "all" row (GROUPING SETS () of
     * nothing is still one row, but be safe). */
    *used = all >= 0 ? number(connections, all, "total") : 0;
    *usable = number(settings, 0, "usable_connections");
    return !isnan(*used) && !isnan(*usable) && *usable > 0;
}

/* ---- alerts ------------------------------------------------------------------- */

/* PostgreSQL's refusals when every slot is taken: "sorry, too many
 * clients already", and "remaining connection slots are reserved for ..."
 * when only the reserved ones are left. */
static bool refused_for_slots(const char *error)
{
    return error && (strstr(error, "too many clients") || strstr(error, "too many connections") ||
                     strstr(error, "remaining connection slots are reserved"));
}

/* The primary cannot be reached: everything else pgdeck could say is
 * missing or old, so this comes first.  The reason is libpq's, less the
 * "connection to server ... failed: " the alert does not need (the primary
 * is the one server it can be about), made harmless; whole, for `check`
 * and --once: the console's alert line cuts it where it draws it. */
int alert_primary_down(const struct app *app, struct alert *out, int max)
{
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (max < 1 || !server_configured(primary) || !(server_down_since(primary) > 0) ||
        server_state(primary) == PGCONN_UP)
        return 0;
    int flags = SANITIZE_FOLD | (app->cfg->ascii ? SANITIZE_ASCII : 0);
    char *reason = sanitize(server_error_reason(primary), flags);
    char when[16];
    alert_set(out, ALERT_CRITICAL, "primary_down", "primary down since %s (%s)",
              clock_time_local(server_down_since(primary), when, sizeof when), reason);
    free(reason);
    return 1;
}

static int alert_pool(const struct app *app, struct alert *out, int max)
{
    if (max < 1)
        return 0;
    double limit = app->cfg->alerts.pool_percent;
    double crit = pool_critical_percent(limit);
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (server_state(primary) == PGCONN_DOWN && refused_for_slots(server_error(primary))) {
        alert_set(out, ALERT_CRITICAL, "pool", "pool: the server refuses connections (too many clients)");
        return 1;
    }
    double used, usable;
    if (!pool_usage(usable_snapshot(app, "connections"), usable_snapshot(app, "settings"), &used, &usable))
        return 0;
    double percent = 100.0 * used / usable;
    if (percent <= limit)
        return 0;
    char shown[QUANTITY_LEN];
    alert_set(out, percent >= crit ? ALERT_CRITICAL : ALERT_WARNING, "pool",
              "pool: %.0f of %.0f connections used (%s > %g%%)", used, usable,
              quantity_percent(shown, sizeof shown, percent), limit);
    return 1;
}

/* The worst lag of pg_stat_replication (and of this server's own replay
 * when it is a standby), against both thresholds. */
static int replication_lag(const struct app *app, const struct snapshot *rep, struct alert *out)
{
    double limit_s = app->cfg->alerts.replica_lag_seconds;
    double limit_b = app->cfg->alerts.replica_lag_bytes;
    int worst = -1;
    double worst_ratio = 1;
    for (int r = 0; r < rep->nrows; r++) {
        double b = number(rep, r, "lag_bytes"), s = number(rep, r, "lag_seconds");
        double ratio = 0;
        if (!isnan(b) && limit_b > 0)
            ratio = b / limit_b;
        if (!isnan(s) && limit_s > 0 && s / limit_s > ratio)
            ratio = s / limit_s;
        if (ratio > worst_ratio) {
            worst_ratio = ratio;
            worst = r;
        }
    }
    if (worst < 0)
        return 0;
    char bytes[QUANTITY_LEN] = "?", secs[QUANTITY_LEN] = "?", max_s[QUANTITY_LEN], max_b[QUANTITY_LEN];
    double b = number(rep, worst, "lag_bytes"), s = number(rep, worst, "lag_seconds");
    if (!isnan(b))
        quantity_bytes(bytes, sizeof bytes, b);
    if (!isnan(s))
        quantity_duration(secs, sizeof secs, s);
    alert_set(out, worst_ratio > 10 ? ALERT_CRITICAL : ALERT_WARNING, "replica_lag",
              "replica lag: %s %s, %s (> %s or %s)", snapshot_get(rep, worst, "name"),
              bytes, secs, quantity_duration(max_s, sizeof max_s, limit_s),
              quantity_bytes(max_b, sizeof max_b, limit_b));
    return 1;
}

static int streaming_replicas(const struct snapshot *rep)
{
    int n = 0;
    for (int r = 0; r < rep->nrows; r++) {
        const char *kind = snapshot_get(rep, r, "kind"), *state = snapshot_get(rep, r, "state");
        /* A role without pg_monitor sees the replica but not its state:
         * that is not missing. */
        if (kind && strcmp(kind, "replica") == 0 && state &&
            (strcmp(state, "streaming") == 0 || strncmp(state, "(hidden", 7) == 0))
            n++;
    }
    return n;
}

/* The configured read replica (--replica): down, promoted, behind in
 * replay, or streaming from nowhere the primary knows about. */
static int configured_replica(const struct app *app, const struct snapshot *rep, struct alert *out)
{
    const struct server *replica = app_server(app, SERVER_REPLICA);
    if (!server_configured(replica))
        return 0;
    if (server_state(replica) == PGCONN_DOWN) {
        alert_set(out, ALERT_WARNING, "replica", "replica: down (%s)", server_error(replica));
        return 1;
    }
    const struct snapshot *r = usable_snapshot(app, "replica");
    if (!r || r->nrows < 1)
        return 0;
    if (!snapshot_true(r, 0, "in_recovery")) {
        alert_set(out, ALERT_WARNING, "replica", "replica: not in recovery (promoted?)");
        return 1;
    }
    /* Bytes, not replay_delay: the time since the last replayed commit
     * also grows while the primary runs one long transaction. */
    double behind = number(r, 0, "replay_lag_bytes"), limit = app->cfg->alerts.replica_lag_bytes;
    if (!isnan(behind) && limit > 0 && behind > limit) {
        alert_set(out, behind > 10 * limit ? ALERT_CRITICAL : ALERT_WARNING, "replica_lag",
                  "replica lag: %.0f B received but not replayed (> %g B)", behind, limit);
        return 1;
    }
    /* Only a primary's pg_stat_replication lists the replica; when pgdeck
     * is connected to a standby the replica may stream from elsewhere. */
    bool on_primary = rep && snapshot_find(rep, "kind", "recovery") < 0;
    if (on_primary && streaming_replicas(rep) == 0) {
        alert_set(out, ALERT_WARNING, "replica", "replica: missing from pg_stat_replication");
        return 1;
    }
    return 0;
}

static int alert_replica_lag(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *rep = usable_snapshot(app, "replication");
    return rep && max > 0 ? replication_lag(app, rep, out) : 0;
}

static int alert_replica(const struct app *app, struct alert *out, int max)
{
    return max > 0 ? configured_replica(app, usable_snapshot(app, "replication"), out) : 0;
}

static int perf_pool(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    const struct config_thresholds *t = &app->cfg->alerts;
    double used, usable;
    if (n < max && pool_usage(usable_snapshot(app, "connections"), usable_snapshot(app, "settings"),
                              &used, &usable))
        alert_perf(&out[n++], "pool_used", 100.0 * used / usable, "%", t->pool_percent,
                   pool_critical_percent(t->pool_percent));
    const struct snapshot *rep = usable_snapshot(app, "replication");
    if (rep && rep->nrows > 0 && n + 2 <= max) {
        double bytes = 0, secs = 0;
        for (int r = 0; r < rep->nrows; r++) {
            double b = number(rep, r, "lag_bytes"), s = number(rep, r, "lag_seconds");
            if (!isnan(b) && b > bytes)
                bytes = b;
            if (!isnan(s) && s > secs)
                secs = s;
        }
        alert_perf(&out[n++], "replica_lag_bytes", bytes, "B", t->replica_lag_bytes, 10 * t->replica_lag_bytes);
        alert_perf(&out[n++], "replica_lag", secs, "s", t->replica_lag_seconds, 10 * t->replica_lag_seconds);
    }
    return n;
}

/* ---- the subject ---------------------------------------------------------------- */

/* Replicas are read every 5 s while there is one to watch: one streams
 * (or this server is itself a standby: its replay row), one is
 * configured (its absence from pg_stat_replication is an alert), or the
 * last read failed or has not come yet.  With none, every 30 s is enough
 * to see one arrive (issue 14: 12 statements a minute for an empty list). */
static bool replication_watched(const struct app *app)
{
    if (server_configured(app_server(app, SERVER_REPLICA)))
        return true;
    const struct snapshot *rep = collectors_snapshot(app, "replication");
    return !rep || rep->error || rep->nrows > 0;
}

static const struct collector_def collectors[] = {
    /* Counts and replicas change slowly beside the sessions pane's 1 s
     * (issue 14: server time); their age is shown as for any collector. */
    { .name = "connections",     .source = SERVER_PRIMARY,   .query = "queries/connections.sql",
      .cadence = 3 },
    { .name = "settings",        .source = SERVER_PRIMARY,   .query = "queries/settings.sql",
      .cadence = 30 },
    { .name = "replication",     .source = SERVER_PRIMARY,   .query = "queries/replication.sql",
      .cadence = 30, .cadence_wanted = 5, .wanted = replication_watched },
    { .name = "replica",         .source = SERVER_REPLICA,   .query = "queries/replica.sql" },
    { .name = "pgbouncer_pools", .source = SERVER_PGBOUNCER, .query = "SHOW POOLS",
      .derive = derive_pgbouncer_pools },
    { .name = "pgbouncer_stats", .source = SERVER_PGBOUNCER, .query = "SHOW STATS",
      .derive = derive_pgbouncer_stats },
};

/* The primary down comes first: everything else is missing or old then. */
static const struct alert_rule alerts[] = {
    { alert_primary_down, { NULL } },
    { alert_pool,         { "connections", "settings" } },
    { alert_replica_lag,  { "replication" } },
    { alert_replica,      { "replica", "replication" } },
};

const struct subject subject_pool = {
    .name = "pool",
    .title = "Pool",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_pool,
};
