/* Alert rules about connections, caches and replicas: the guide's pool
 * utilization (> 90 %) and cache hit rate (< 70 %) thresholds, and replica
 * lag.  They read the derived snapshots (derive_pool_cache.c), so hit
 * ratios are those of the last interval, not since a reset weeks ago. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "subjects/derive_pool_cache.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

static const struct snapshot *usable_snapshot(const struct app *app, const char *name)
{
    const struct snapshot *s = app_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

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
 * is the one server it can be about), made harmless and cut short enough
 * for an 80-column alert line. */
#define DOWN_REASON_COLUMNS 150
int alert_primary_down(const struct app *app, struct alert *out, int max)
{
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (max < 1 || !server_configured(primary) || !(server_down_since(primary) > 0) ||
        server_state(primary) == PGCONN_UP)
        return 0;
    int flags = SANITIZE_FOLD | (app->cfg->ascii ? SANITIZE_ASCII : 0);
    char *reason = sanitize(server_error_reason(primary), flags);
    /* Room in columns, and in the bytes of alert.text (a column can take
     * up to four bytes: "<ff>"). */
    int cols = DOWN_REASON_COLUMNS;
    size_t fit;
    while ((fit = sanitize_fit(reason, cols)) > sizeof out->text - 48)
        cols--;
    const char *more = reason[fit] ? (app->cfg->ascii ? "..." : "\u2026") : "";
    char when[16];
    alert_set(out, ALERT_CRITICAL, "primary_down", "primary down since %s (%.*s%s)",
              clock_time_local(server_down_since(primary), when, sizeof when), (int)fit, reason, more);
    free(reason);
    return 1;
}

int alert_pool(const struct app *app, struct alert *out, int max)
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
    alert_set(out, percent >= crit ? ALERT_CRITICAL : ALERT_WARNING, "pool",
              "pool: %.0f of %.0f connections used (%.0f%% > %g%%)", used, usable, percent, limit);
    return 1;
}

int alert_cache_hit(const struct app *app, struct alert *out, int max)
{
    int n = 0;
    double limit = app->cfg->alerts.cache_hit_percent;
    const struct snapshot *db = usable_snapshot(app, "database_cache");
    if (db && n < max) {
        int below = 0, worst = -1, level = 0;
        double worst_percent = 101;
        for (int r = 0; r < db->nrows; r++) {
            double h = number(db, r, "blks_hit_delta"), d = number(db, r, "blks_read_delta");
            int severity = cache_hit_severity(h, d, CACHE_MIN_BLOCKS, limit);
            if (!severity)
                continue;
            below++;
            if (hit_percent(h, d) < worst_percent) {
                worst_percent = hit_percent(h, d);
                worst = r;
                level = severity;
            }
        }
        if (below) {
            char more[32] = "";
            if (below > 1)
                snprintf(more, sizeof more, " (+%d more)", below - 1);
            alert_set(&out[n++], level == 2 ? ALERT_CRITICAL : ALERT_WARNING, "cache_hit",
                      "cache hit: %s %.1f%% < %g%%%s", snapshot_get(db, worst, "database"),
                      worst_percent, limit, more);
        }
    }
    return n;
}

int alert_redis_hit(const struct app *app, struct alert *out, int max)
{
    int n = 0;
    double limit = app->cfg->alerts.cache_hit_percent;
    const struct snapshot *redis = usable_snapshot(app, "redis");
    if (redis && n < max) {
        double h = number(redis, 0, "hits_delta"), m = number(redis, 0, "misses_delta");
        int severity = cache_hit_severity(h, m, CACHE_MIN_LOOKUPS, limit);
        if (severity)
            alert_set(&out[n++], severity == 2 ? ALERT_CRITICAL : ALERT_WARNING, "redis_hit",
                      "redis hit: %.1f%% < %g%%", hit_percent(h, m), limit);
    }
    return n;
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
    char bytes[32] = "?", secs[32] = "?";
    double b = number(rep, worst, "lag_bytes"), s = number(rep, worst, "lag_seconds");
    if (!isnan(b))
        snprintf(bytes, sizeof bytes, "%.0f B", b);
    if (!isnan(s))
        snprintf(secs, sizeof secs, "%.1f s", s);
    alert_set(out, worst_ratio > 10 ? ALERT_CRITICAL : ALERT_WARNING, "replica_lag",
              "replica lag: %s %s, %s (> %g s or %g B)", snapshot_get(rep, worst, "name"),
              bytes, secs, limit_s, limit_b);
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

int alert_replica_lag(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *rep = usable_snapshot(app, "replication");
    return rep && max > 0 ? replication_lag(app, rep, out) : 0;
}

int alert_replica(const struct app *app, struct alert *out, int max)
{
    return max > 0 ? configured_replica(app, usable_snapshot(app, "replication"), out) : 0;
}

static void perf(struct perfdata *p, const char *label, double value, const char *unit,
                 double warn, double crit)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    p->value = value;
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->warn = warn;
    p->crit = crit;
}

int perf_pool_cache(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    const struct config_thresholds *t = &app->cfg->alerts;
    double used, usable;
    if (n < max && pool_usage(usable_snapshot(app, "connections"), usable_snapshot(app, "settings"),
                              &used, &usable))
        perf(&out[n++], "pool_used", 100.0 * used / usable, "%", t->pool_percent,
             pool_critical_percent(t->pool_percent));
    double hits, reads;
    if (n < max && cache_interval_totals(usable_snapshot(app, "database_cache"), &hits, &reads) &&
        hits + reads > 0)
        perf(&out[n++], "cache_hit", hit_percent(hits, reads), "%", t->cache_hit_percent,
             t->cache_hit_percent / 2);
    const struct snapshot *redis = usable_snapshot(app, "redis");
    double redis_hit = redis ? number(redis, 0, "hit_percent") : NAN;
    if (n < max && !isnan(redis_hit))
        perf(&out[n++], "redis_hit", redis_hit, "%", t->cache_hit_percent, t->cache_hit_percent / 2);
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
        perf(&out[n++], "replica_lag_bytes", bytes, "B", t->replica_lag_bytes, 10 * t->replica_lag_bytes);
        perf(&out[n++], "replica_lag", secs, "s", t->replica_lag_seconds, 10 * t->replica_lag_seconds);
    }
    return n;
}
