/* The pool pane.  Client connections used against the usable slots
 * (max_connections less the reserved ones) as a gauge, pgdeck's own pool,
 * the replicas with their lag (or this server's recovery when pgdeck is
 * connected to a standby), the read replica seen from itself, PgBouncer's
 * pools and throughput; below, the connections counted by state, database,
 * user and application.  Parts whose server is absent are greyed with the
 * reason, never an error; a server that goes down leaves its part's last
 * data, greyed "as of" once it is stale (pane_lines). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "subjects/pool.h"
#include "base/quantity.h"
#include "pane_lines.h"
#include "draw.h"
#include "table.h"
#include "ui.h"

static const struct column_def columns[] = {
    { "KIND",    "kind",                11, false, FORMAT_AS_TEXT },
    { "NAME",    "name",                 0, false, FORMAT_AS_TEXT },
    { "TOTAL",   "total",                6, true,  FORMAT_AS_NUMBER },
    { "ACTIVE",  "active",               6, true,  FORMAT_AS_NUMBER },
    { "IDLE",    "idle",                 6, true,  FORMAT_AS_NUMBER },
    { "IDLE-TX", "idle_in_transaction",  7, true,  FORMAT_AS_NUMBER },
    { "LOCK",    "waiting",              5, true,  FORMAT_AS_NUMBER, 70 },
};

/* The "all" row is what the gauge shows. */
static bool connection_hidden(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    const char *kind = snapshot_get(s, row, "kind");
    return kind && strcmp(kind, "all") == 0;
}

static int connection_style(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    return snapshot_number(s, row, "waiting", 0) > 0 ? THEME_ROW_WARN : -1;
}

static const struct table_def tables[] = {
    { "connections", columns, sizeof columns / sizeof columns[0], connection_style, connection_hidden },
};

static const struct snapshot *good(const struct snapshot *s)
{
    return s && !s->error ? s : NULL;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

static const char *text(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v ? v : "";
}

static void bytes_text(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "?");
    else
        format_bytes(buf, len, v);
}

/* ---- the gauge line ----------------------------------------------------- */

static void draw_usage(struct ui *ui, WINDOW *w, int y, int x, int width, const void *arg)
{
    (void)arg;
    const struct app *app = ui->app;
    const struct snapshot *conn = collectors_shown(app, "connections");
    double used, usable;
    if (!pool_usage(good(conn), good(collectors_shown(app, "settings")), &used, &usable)) {
        wattrset(w, ATTR(THEME_DIM));
        draw_text(ui, w, y, x, width, conn && conn->error ? conn->error : "connections: waiting for data...");
        return;
    }
    double warn = app->cfg->alerts.pool_percent / 100.0;
    double crit = pool_critical_percent(app->cfg->alerts.pool_percent) / 100.0;
    char label[48];
    snprintf(label, sizeof label, "connections %.0f/%.0f ", used, usable);
    int gw = width >= 100 ? 48 : width * 45 / 100;
    if (gw > width)
        gw = width;
    draw_gauge(ui, w, y, x, gw, used / usable, warn, crit, label);

    /* Beside it, the split by state. */
    char states[160];
    snprintf(states, sizeof states, "active %.0f idle %.0f idle-tx %.0f lock %.0f",
             snapshot_number(conn, snapshot_find(conn, "key", "state:active"), "total", 0),
             snapshot_number(conn, snapshot_find(conn, "key", "state:idle"), "total", 0),
             snapshot_number(conn, snapshot_find(conn, "kind", "all"), "idle_in_transaction", 0),
             snapshot_number(conn, snapshot_find(conn, "kind", "all"), "waiting", 0));
    wattrset(w, ATTR(THEME_VALUE));
    draw_text(ui, w, y, x + gw + 2, width - gw - 2, states);
}

/* ---- pgdeck's own pool --------------------------------------------------- */

static int pool_text(char *buf, size_t len, const char *name, const struct pgpool *pool)
{
    struct pgpool_stats st;
    pgpool_stats(pool, &st);
    return snprintf(buf, len, "%s open %d busy %d waiting %d (min %d max %d) connects %lu",
                    name, st.open, st.busy, st.waiting, st.min, st.max, st.connects);
}

/* One line for both pools when the pane is wide enough, else two. */
static void add_own_pool(struct pane_lines *l, const struct app *app, int width)
{
    char primary[160] = "", replica[160] = "";
    if (app->primary)
        pool_text(primary, sizeof primary, "primary", app->primary);
    if (app->replica)
        pool_text(replica, sizeof replica, "replica", app->replica);
    if (!app->replica || !app->primary) {
        pane_lines_add(l, 3, THEME_VALUE, "pgdeck pool", "%s%s", primary, replica);
    } else if (width >= 13 + (int)(strlen(primary) + strlen(replica)) + 5) {
        pane_lines_add(l, 3, THEME_VALUE, "pgdeck pool", "%s  |  %s", primary, replica);
    } else {
        pane_lines_add(l, 3, THEME_VALUE, "pgdeck pool", "%s", primary);
        pane_lines_add(l, 5, THEME_VALUE, " ", "%s", replica);
    }
}

/* ---- replication --------------------------------------------------------- */

static void add_replication(struct pane_lines *l, const struct app *app)
{
    const struct snapshot *rep = collectors_shown(app, "replication");
    if (!good(rep)) {
        pane_lines_add(l, 1, THEME_DIM, "replication", "%s", rep ? rep->error : "waiting for data...");
        return;
    }
    double limit_s = app->cfg->alerts.replica_lag_seconds, limit_b = app->cfg->alerts.replica_lag_bytes;
    int shown = 0;
    for (int r = 0; r < rep->nrows; r++) {
        double b = number(rep, r, "lag_bytes"), s = number(rep, r, "lag_seconds");
        char bytes[32], secs[32];
        bytes_text(bytes, sizeof bytes, b);
        format_seconds(secs, sizeof secs, isnan(s) ? 0 : s);
        bool lagging = (!isnan(b) && b > limit_b) || (!isnan(s) && s > limit_s);
        int style = lagging ? THEME_ROW_WARN : THEME_VALUE;
        if (strcmp(text(rep, r, "kind"), "recovery") == 0) {
            format_seconds(secs, sizeof secs, number(rep, r, "replay_delay"));
            pane_lines_add(l, 1, style, "standby", "this server is a standby: %s from %s, %s to replay, delay %s",
                           text(rep, r, "state"), text(rep, r, "client"), bytes, secs);
        } else {
            const char *state = text(rep, r, "state");
            if (strcmp(state, "streaming") != 0)
                style = THEME_ROW_WARN;
            pane_lines_add(l, shown ? 5 : 1, style, shown ? " " : "replicas", "%s %s %s %s  lag %s, %s",
                           text(rep, r, "name"), text(rep, r, "client"), state,
                           text(rep, r, "sync_state"), bytes, secs);
        }
        shown++;
    }
    if (!shown)
        pane_lines_add(l, 1, THEME_DIM, "replicas", "none in pg_stat_replication");
}

static void add_read_replica(struct pane_lines *l, const struct app *app)
{
    const struct snapshot *r = collectors_shown(app, "replica");
    if (!r) {
        pane_lines_add(l, 4, THEME_DIM, "read replica", "%s", app->replica ? "waiting for data..." : "not configured");
        return;
    }
    if (r->error || r->nrows < 1) {
        pane_lines_add(l, 4, THEME_DIM, "read replica", "%s", r->error ? r->error : "no data");
        return;
    }
    if (!snapshot_true(r, 0, "in_recovery")) {
        pane_lines_add(l, 4, THEME_ROW_WARN, "read replica", "not in recovery: a primary (promoted?)");
        return;
    }
    char bytes[32], delay[32];
    bytes_text(bytes, sizeof bytes, number(r, 0, "replay_lag_bytes"));
    format_seconds(delay, sizeof delay, number(r, 0, "replay_delay"));
    const char *receiver = snapshot_get(r, 0, "receiver_status");
    pane_lines_add(l, 4, snapshot_true(r, 0, "replay_paused") ? THEME_ROW_WARN : THEME_VALUE,
                   "read replica", "in recovery%s, %s behind, delay %s, replayed %s, receiver %s%s%s",
                   snapshot_true(r, 0, "replay_paused") ? " (replay paused)" : "", bytes, delay,
                   text(r, 0, "replay_lsn"), receiver ? receiver : "none", receiver ? " from " : "",
                   text(r, 0, "sender"));
}

/* ---- PgBouncer ----------------------------------------------------------- */

/* The admin console's own pool is pgdeck's connection, not a workload. */
static bool admin_pool(const struct snapshot *pools, int row)
{
    return strcmp(text(pools, row, "database"), "pgbouncer") == 0;
}

static void add_pgbouncer(struct pane_lines *l, const struct app *app)
{
    const struct snapshot *pools = collectors_shown(app, "pgbouncer_pools");
    if (!good(pools)) {
        pane_lines_add(l, 2, THEME_DIM, "pgbouncer", "%s", pools ? pools->error : "waiting for data...");
        return;
    }
    int npools = 0;
    double waiting = 0;
    for (int r = 0; r < pools->nrows; r++)
        if (!admin_pool(pools, r)) {
            npools++;
            waiting += snapshot_number(pools, r, "cl_waiting", 0);
        }
    char summary[200];
    int n = snprintf(summary, sizeof summary, "%d pool%s, %.0f client%s waiting", npools,
                     npools == 1 ? "" : "s", waiting, waiting == 1 ? "" : "s");
    const struct snapshot *stats = good(collectors_shown(app, "pgbouncer_stats"));
    if (stats && n > 0 && (size_t)n < sizeof summary) {
        double rate = 0, time = 0;
        bool known = false;
        for (int r = 0; r < stats->nrows; r++) {
            double q = number(stats, r, "query_rate"), ms = number(stats, r, "avg_query_ms");
            if (isnan(q))
                continue;
            known = true;
            rate += q;
            if (!isnan(ms))
                time += q * ms;
        }
        char queries[QUANTITY_LEN], avg[QUANTITY_LEN];
        if (known)
            snprintf(summary + n, sizeof summary - (size_t)n, ", %s, avg query %s",
                     quantity_rate(queries, sizeof queries, rate, "queries"),
                     quantity_duration_ms(avg, sizeof avg, rate > 0 ? time / rate : 0.0));
    }
    pane_lines_add(l, 2, waiting > 0 ? THEME_ROW_WARN : THEME_VALUE, "pgbouncer", "%s", summary);
    for (int r = 0; r < pools->nrows; r++) {
        if (admin_pool(pools, r))
            continue;
        char wait[32];
        format_seconds(wait, sizeof wait, snapshot_number(pools, r, "maxwait_seconds", 0));
        pane_lines_add(l, 6, snapshot_number(pools, r, "cl_waiting", 0) > 0 ? THEME_ROW_WARN : THEME_NORMAL,
                       " ", "%s  cl_active %s cl_waiting %s  sv_active %s sv_idle %s sv_used %s  maxwait %s  %s",
                       text(pools, r, "pool"), text(pools, r, "cl_active"), text(pools, r, "cl_waiting"),
                       text(pools, r, "sv_active"), text(pools, r, "sv_idle"), text(pools, r, "sv_used"),
                       wait, text(pools, r, "pool_mode"));
    }
}

static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    struct pane_lines lines;
    pane_lines_init(&lines);
    pane_lines_from(&lines, "connections");
    pane_lines_add_drawn(&lines, 0, draw_usage, NULL);
    pane_lines_from(&lines, NULL);
    add_own_pool(&lines, ui->app, width);
    pane_lines_from(&lines, "replication");
    add_replication(&lines, ui->app);
    pane_lines_from(&lines, "replica");
    add_read_replica(&lines, ui->app);
    pane_lines_from(&lines, "pgbouncer_pools");
    add_pgbouncer(&lines, ui->app);
    p->header_want = lines.n;
    return pane_lines_draw(ui, w, y, x, width, pane_lines_room(height, table_rows_wanted(ui, p)), &lines);
}

/* pgdeck's own pool line is read from the pools as they are, not from a
 * collector: its counts go into the repaint rule's inputs (screen.c). */
static unsigned long pool_inputs(const struct ui *ui, const struct pane *p, unsigned long hash)
{
    (void)p;
    const struct pgpool *pools[] = { ui->app->primary, ui->app->replica };
    for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
        struct pgpool_stats st = { 0 };
        if (pools[i])
            pgpool_stats(pools[i], &st);
        unsigned long v[] = { (unsigned long)st.open, (unsigned long)st.busy, (unsigned long)st.waiting,
                              (unsigned long)st.min, (unsigned long)st.max, st.connects };
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            hash = (hash ^ v[k]) * 1099511628211UL;
    }
    return hash;
}

const struct pane_class pane_pool = {
    .subject = "pool",
    .inputs = pool_inputs,
    .help = "connections used / usable, by state, database, user, application; replicas; PgBouncer; pgdeck's pool",
    .tables = tables,
    .ntables = 1,
    .draw_header = draw_header,
    .key_field = "key",
};
