/* The app's latest snapshots as OpenMetrics text (see openmetrics.h).
 *
 * One const table says which column of which collector is which metric:
 * the writer is the same for all of them.  A family is written whole
 * (TYPE, HELP, UNIT, then its samples), once, and a sample whose label
 * set was already written in its family is skipped (two rows the labels
 * do not tell apart would make the exposition invalid). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/openmetrics.h"
#include "core/snapshot.h"
#include "core/stream.h"
#include "net/server.h"
#include "base/numparse.h"
#include "base/sanitize.h"
#include "base/statefile.h"
#include "base/xalloc.h"

#define MAX_LABELS 4
#define MAX_ALERTS 64

enum om_type { OM_GAUGE, OM_COUNTER };

/* One metric family fed by one column of one collector's rows. */
struct om_metric {
    const char  *collector;
    const char  *name;              /* family name (a counter's samples add _total) */
    enum om_type type;
    const char  *unit;              /* NULL, or the name's last word */
    const char  *help;
    const char  *value;             /* column */
    double       scale;             /* 0: 1 */
    bool         boolean;           /* 't'/'f' (true/false) as 1/0 */
    const char  *where, *equals;    /* only the rows where column `where` is `equals` */
    const char  *labels[MAX_LABELS][2];     /* { label, column } */
};

static const struct om_metric metrics[] = {
    /* postgres_exporter's names */
    { "connections", "pg_stat_activity_count", OM_GAUGE, NULL,
      "Sessions on the primary by state (pg_stat_activity)", "total", 0, false, "kind", "state",
      { { "state", "name" } } },
    { "settings", "pg_settings_max_connections", OM_GAUGE, NULL,
      "max_connections of the primary", "max_connections", 0, false, NULL, NULL, { { NULL } } },
    { "settings", "pg_settings_superuser_reserved_connections", OM_GAUGE, NULL,
      "superuser_reserved_connections of the primary", "superuser_reserved_connections", 0, false, NULL, NULL,
      { { NULL } } },
    { "database_cache", "pg_stat_database_blks_hit", OM_COUNTER, NULL,
      "Blocks found in shared buffers (pg_stat_database)", "blks_hit", 0, false, NULL, NULL,
      { { "datname", "database" } } },
    { "database_cache", "pg_stat_database_blks_read", OM_COUNTER, NULL,
      "Blocks read from disk or the OS cache (pg_stat_database)", "blks_read", 0, false, NULL, NULL,
      { { "datname", "database" } } },
    { "database_cache", "pg_stat_database_temp_bytes", OM_COUNTER, NULL,
      "Bytes written to temporary files (pg_stat_database)", "temp_bytes", 0, false, NULL, NULL,
      { { "datname", "database" } } },
    { "sizes", "pg_database_size_bytes", OM_GAUGE, "bytes",
      "Size of the database", "size", 0, false, "kind", "database", { { "datname", "name" } } },
    { "replication", "pg_stat_replication_pg_wal_lsn_diff", OM_GAUGE, NULL,
      "Bytes of WAL the standby has yet to replay (pg_stat_replication)", "lag_bytes", 0, false, "kind", "replica",
      { { "application_name", "name" }, { "client_addr", "client" }, { "state", "state" },
        { "sync_state", "sync_state" } } },
    { "replica", "pg_replication_lag_seconds", OM_GAUGE, "seconds",
      "Seconds since the read replica last replayed a transaction", "replay_delay", 0, false, NULL, NULL,
      { { NULL } } },
    { "replica", "pg_replication_is_replica", OM_GAUGE, NULL,
      "1 when the read replica is in recovery", "in_recovery", 0, true, NULL, NULL, { { NULL } } },
    { "statements", "pg_stat_statements_calls", OM_COUNTER, NULL,
      "Times the statement was run (pg_stat_statements)", "calls", 0, false, NULL, NULL,
      { { "queryid", "queryid" }, { "datname", "database" }, { "user", "username" } } },
    { "statements", "pg_stat_statements_seconds", OM_COUNTER, "seconds",
      "Time spent running the statement (pg_stat_statements total_exec_time)", "total_exec_time", 0.001, false,
      NULL, NULL, { { "queryid", "queryid" }, { "datname", "database" }, { "user", "username" } } },
    { "statements", "pg_stat_statements_rows", OM_COUNTER, NULL,
      "Rows the statement returned or changed (pg_stat_statements)", "rows", 0, false, NULL, NULL,
      { { "queryid", "queryid" }, { "datname", "database" }, { "user", "username" } } },
    /* pgbouncer_exporter's names */
    { "pgbouncer_pools", "pgbouncer_pools_client_active_connections", OM_GAUGE, NULL,
      "Client connections linked to a server connection", "cl_active", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_pools", "pgbouncer_pools_client_waiting_connections", OM_GAUGE, NULL,
      "Client connections waiting for a server connection", "cl_waiting", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_pools", "pgbouncer_pools_server_active_connections", OM_GAUGE, NULL,
      "Server connections linked to a client", "sv_active", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_pools", "pgbouncer_pools_server_idle_connections", OM_GAUGE, NULL,
      "Server connections idle and ready", "sv_idle", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_pools", "pgbouncer_pools_server_used_connections", OM_GAUGE, NULL,
      "Server connections idle for more than server_check_delay", "sv_used", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_pools", "pgbouncer_pools_client_maxwait_seconds", OM_GAUGE, "seconds",
      "How long the oldest waiting client has waited", "maxwait_seconds", 0, false, NULL, NULL,
      { { "database", "database" }, { "user", "user" } } },
    { "pgbouncer_stats", "pgbouncer_stats_queries_pooled", OM_COUNTER, NULL,
      "Queries pooled by pgbouncer", "total_query_count", 0, false, NULL, NULL, { { "database", "database" } } },
    { "pgbouncer_stats", "pgbouncer_stats_sql_transactions_pooled", OM_COUNTER, NULL,
      "Transactions pooled by pgbouncer", "total_xact_count", 0, false, NULL, NULL, { { "database", "database" } } },
    { "pgbouncer_stats", "pgbouncer_stats_queries_duration_seconds", OM_COUNTER, "seconds",
      "Time spent by pgbouncer on queries", "total_query_time", 1e-6, false, NULL, NULL,
      { { "database", "database" } } },
    { "pgbouncer_stats", "pgbouncer_stats_received_bytes", OM_COUNTER, "bytes",
      "Bytes received by pgbouncer from clients", "total_received", 0, false, NULL, NULL,
      { { "database", "database" } } },
    { "pgbouncer_stats", "pgbouncer_stats_sent_bytes", OM_COUNTER, "bytes",
      "Bytes sent by pgbouncer to clients", "total_sent", 0, false, NULL, NULL, { { "database", "database" } } },
    /* redis_exporter's names */
    { "redis", "redis_connected_clients", OM_GAUGE, NULL, "Clients connected to Redis", "connected_clients", 0,
      false, NULL, NULL, { { NULL } } },
    { "redis", "redis_memory_used_bytes", OM_GAUGE, "bytes", "Memory Redis uses", "used_memory", 0, false, NULL,
      NULL, { { NULL } } },
    { "redis", "redis_keyspace_hits", OM_COUNTER, NULL, "Key lookups that found the key", "keyspace_hits", 0, false,
      NULL, NULL, { { NULL } } },
    { "redis", "redis_keyspace_misses", OM_COUNTER, NULL, "Key lookups that did not find the key",
      "keyspace_misses", 0, false, NULL, NULL, { { NULL } } },
    { "redis", "redis_uptime_in_seconds", OM_GAUGE, "seconds", "Seconds since Redis started", "uptime_in_seconds",
      0, false, NULL, NULL, { { NULL } } },
    /* pgdeck's own */
    { "connections", "pgdeck_connections", OM_GAUGE, NULL,
      "Sessions on the primary by database, user and application", "total", 0, false, NULL, NULL,
      { { "kind", "kind" }, { "name", "name" } } },
    { "settings", "pgdeck_usable_connections", OM_GAUGE, NULL,
      "Connections left to ordinary roles (max_connections less the reserved ones)", "usable_connections", 0, false,
      NULL, NULL, { { NULL } } },
    { "views", "pgdeck_materialized_view_stale", OM_GAUGE, NULL,
      "1 when the materialized view is older than the view_age_hours threshold", "stale", 0, true, NULL, NULL,
      { { "schema", "schema" }, { "view", "view" } } },
    { "views", "pgdeck_materialized_view_age_seconds", OM_GAUGE, "seconds",
      "Seconds since the materialized view was last refreshed, as far as known", "age", 0, false, NULL, NULL,
      { { "schema", "schema" }, { "view", "view" } } },
    { "views", "pgdeck_materialized_view_size_bytes", OM_GAUGE, "bytes", "Size of the materialized view", "size", 0,
      false, NULL, NULL, { { "schema", "schema" }, { "view", "view" } } },
    { "partitions", "pgdeck_partitioned_table_partitions", OM_GAUGE, NULL, "Partitions of the partitioned table",
      "partitions", 0, false, NULL, NULL, { { "schema", "schema" }, { "table", "table" } } },
    { "partitions", "pgdeck_partitioned_table_partitions_ahead", OM_GAUGE, NULL,
      "Partitions that cover time after now", "partitions_ahead", 0, false, NULL, NULL,
      { { "schema", "schema" }, { "table", "table" } } },
    { "partitions", "pgdeck_partitioned_table_size_bytes", OM_GAUGE, "bytes",
      "Size of the partitioned table with its partitions", "size", 0, false, NULL, NULL,
      { { "schema", "schema" }, { "table", "table" } } },
    { "host", "pgdeck_host_load1", OM_GAUGE, NULL, "Load average over one minute of the database host", "load1", 0,
      false, NULL, NULL, { { NULL } } },
    { "disks", "pgdeck_disk_free_bytes", OM_GAUGE, "bytes", "Free space of the filesystem under a database path",
      "free", 0, false, NULL, NULL, { { "kind", "kind" }, { "name", "name" }, { "path", "path" } } },
};

/* ---- text ---------------------------------------------------------------------- */

struct out {
    char  *text;
    size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(s);
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->text = xrealloc(o->text, o->cap);
    }
    memcpy(o->text + o->len, s, n + 1);
    o->len += n;
    free(s);
}

/* A label value: the server's text made printable (sanitize: no control
 * character, valid UTF-8), then \ and " escaped. */
static char *label_value(const char *raw)
{
    char *clean = sanitize(raw ? raw : "", 0);
    size_t n = strlen(clean);
    char *esc = xmalloc(2 * n + 1), *p = esc;
    for (const char *c = clean; *c; c++) {
        if (*c == '\\' || *c == '"')
            *p++ = '\\';
        *p++ = *c == '\n' ? ' ' : *c;
    }
    *p = '\0';
    free(clean);
    return esc;
}

static void family(struct out *o, const char *name, enum om_type type, const char *unit, const char *help)
{
    put(o, "# TYPE %s %s\n", name, type == OM_COUNTER ? "counter" : "gauge");
    if (unit)
        put(o, "# UNIT %s %s\n", name, unit);
    put(o, "# HELP %s %s\n", name, help);
}

static void number(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "NaN");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.17g", v);
}

/* ---- the families ---------------------------------------------------------------- */

static bool cell_value(const struct om_metric *m, const struct snapshot *s, int row, double *v)
{
    const char *text = snapshot_get(s, row, m->value);
    if (!text)
        return false;
    if (m->boolean) {
        if (strcmp(text, "t") == 0 || strcmp(text, "true") == 0)
            *v = 1;
        else if (strcmp(text, "f") == 0 || strcmp(text, "false") == 0)
            *v = 0;
        else
            return false;
        return true;
    }
    if (numparse_double(text, v) != 0 || !isfinite(*v))
        return false;
    *v *= m->scale != 0 ? m->scale : 1;
    /* A counter never goes below zero; a server that says so is wrong. */
    return m->type != OM_COUNTER || *v >= 0;
}

static void write_metric(struct out *o, const struct app *app, const struct om_metric *m)
{
    family(o, m->name, m->type, m->unit, m->help);
    const struct collector *c = collector_find(app, m->collector);
    const struct snapshot *s = c ? c->current : NULL;
    if (!s || s->error || snapshot_column(s, m->value) < 0)
        return;
    char **seen = xcalloc((size_t)s->nrows + 1, sizeof *seen);
    int nseen = 0;
    for (int r = 0; r < s->nrows; r++) {
        if (m->where) {
            const char *w = snapshot_get(s, r, m->where);
            if (!w || strcmp(w, m->equals) != 0)
                continue;
        }
        double v;
        if (!cell_value(m, s, r, &v))
            continue;
        struct out labels = { 0 };
        put(&labels, "%s", "");
        for (int l = 0; l < MAX_LABELS && m->labels[l][0]; l++) {
            char *val = label_value(snapshot_get(s, r, m->labels[l][1]));
            put(&labels, "%s%s=\"%s\"", l ? "," : "{", m->labels[l][0], val);
            free(val);
        }
        if (labels.len)
            put(&labels, "}");
        bool dup = false;
        for (int k = 0; k < nseen && !dup; k++)
            dup = strcmp(seen[k], labels.text) == 0;
        if (dup) {
            free(labels.text);
            continue;
        }
        seen[nseen++] = labels.text;
        char num[64];
        number(num, sizeof num, v);
        put(o, "%s%s%s %s\n", m->name, m->type == OM_COUNTER ? "_total" : "", labels.text, num);
    }
    for (int k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
}

static void write_servers(struct out *o, const struct app *app)
{
    family(o, "pg_up", OM_GAUGE, NULL, "1 when pgdeck is connected to the primary");
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (server_configured(primary))
        put(o, "pg_up %d\n", server_state(primary) == PGCONN_UP);
    family(o, "pgdeck_server_up", OM_GAUGE, NULL, "1 when pgdeck is connected to the server");
    for (int i = 0; i < SERVER_COUNT; i++) {
        const struct server *srv = app_server(app, (enum server_id)i);
        if (server_configured(srv))
            put(o, "pgdeck_server_up{server=\"%s\"} %d\n", server_name(srv), server_state(srv) == PGCONN_UP);
    }
}

static void write_collectors(struct out *o, const struct app *app)
{
    family(o, "pgdeck_collector_up", OM_GAUGE, NULL, "1 when the collector's latest snapshot has data");
    for (int i = 0; i < app->ncollectors; i++) {
        const struct collector *c = &app->collectors[i];
        if (!c->def->query && !c->def->run)
            continue;   /* fed by a viewer, never run */
        put(o, "pgdeck_collector_up{collector=\"%s\"} %d\n", c->def->name, c->current && !c->current->error);
    }
    family(o, "pgdeck_collector_duration_seconds", OM_GAUGE, "seconds",
           "How long the collector's latest snapshot took");
    for (int i = 0; i < app->ncollectors; i++) {
        const struct collector *c = &app->collectors[i];
        if (c->current && !c->current->error) {
            char num[64];
            number(num, sizeof num, c->current->elapsed);
            put(o, "pgdeck_collector_duration_seconds{collector=\"%s\"} %s\n", c->def->name, num);
        }
    }
}

static void write_alerts(struct out *o, const struct app *app)
{
    struct alert alerts[MAX_ALERTS];
    int n = alerts_evaluate(app, alerts, MAX_ALERTS);
    family(o, "pgdeck_alerts", OM_GAUGE, NULL, "Alerts pgdeck raises now, by level");
    static const enum alert_level levels[] = { ALERT_WARNING, ALERT_CRITICAL, ALERT_UNKNOWN };
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        int count = 0;
        for (int i = 0; i < n; i++)
            count += alerts[i].level == levels[l];
        put(o, "pgdeck_alerts{level=\"%s\"} %d\n", stream_level_name(levels[l]), count);
    }
    family(o, "pgdeck_alert", OM_GAUGE, NULL, "1 for each alert pgdeck raises now, by rule and level");
    char **seen = xcalloc((size_t)n + 1, sizeof *seen);
    int nseen = 0;
    for (int i = 0; i < n; i++) {
        char *name = label_value(alerts[i].name);
        char *key = xasprintf("%s/%d", name, alerts[i].level);
        bool dup = false;
        for (int k = 0; k < nseen && !dup; k++)
            dup = strcmp(seen[k], key) == 0;
        if (!dup) {
            seen[nseen++] = key;
            put(o, "pgdeck_alert{alert=\"%s\",level=\"%s\"} 1\n", name, stream_level_name(alerts[i].level));
        } else {
            free(key);
        }
        free(name);
    }
    for (int k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
    alerts_free(alerts, n);
}

char *openmetrics_text(const struct app *app)
{
    struct out o = { 0 };
    write_servers(&o, app);
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        write_metric(&o, app, &metrics[i]);
    write_collectors(&o, app);
    write_alerts(&o, app);
    put(&o, "# EOF\n");
    return o.text;
}

static int write_text(FILE *f, void *text)
{
    return fputs(text, f) < 0 ? -1 : 0;
}

int openmetrics_write_file(const struct app *app, const char *path, char *err, size_t errlen)
{
    /* Replaced whole, so a scraper reads the old text or the new, never
     * half of one; readable by the scraper's user. */
    char *text = openmetrics_text(app);
    int rc = file_replace(path, 0644, write_text, text, err, errlen);
    free(text);
    return rc;
}
