/* Derived figures for the Pool and Cache panes: rates and interval hit
 * ratios from the deltas of cumulative counters, PgBouncer's SHOW output
 * made independent of its version, and the sparkline series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/app.h"
#include "subjects/derive_pool_cache.h"
#include "base/xalloc.h"

double counter_delta(double now, double prev)
{
    if (isnan(now) || isnan(prev) || now < prev)
        return NAN;
    return now - prev;
}

double hit_percent(double hits, double misses)
{
    if (isnan(hits) || isnan(misses) || hits + misses <= 0)
        return NAN;
    return 100.0 * hits / (hits + misses);
}

int cache_hit_severity(double hits, double misses, double min_lookups, double limit)
{
    if (isnan(hits) || isnan(misses) || hits + misses < min_lookups)
        return 0;
    double p = hit_percent(hits, misses);
    return isnan(p) || p >= limit ? 0 : p < limit / 2 ? 2 : 1;
}

double pool_critical_percent(double warn_percent)
{
    return warn_percent > POOL_CRITICAL_PERCENT ? warn_percent : POOL_CRITICAL_PERCENT;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

/* A number as a cell; NAN becomes SQL NULL so that panes show a blank and
 * sorting puts it last, as for any unknown value. */
static void set_number(struct snapshot *s, int row, const char *column, double v, int decimals)
{
    if (isnan(v) || isinf(v)) {
        snapshot_set(s, row, column, NULL);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    snapshot_set(s, row, column, buf);
}

static void push_series(struct app *app, const char *name, double v)
{
    if (app)
        app_series_push(app, name, v);
}

/* Seconds between two snapshots, NAN when there is no previous one. */
static double interval_of(const struct snapshot *now, const struct snapshot *prev)
{
    if (!prev)
        return NAN;
    double dt = now->taken_at - prev->taken_at;
    return dt > 0 ? dt : NAN;
}

struct keyed_row {
    const char *key;
    int row;
};

static int compare_keyed(const void *a, const void *b)
{
    const struct keyed_row *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* For each row of `now`, the row of `prev` with the same value in
 * `column`, or -1.  Sorted once and searched, so that a thousand tables
 * cost a thousand lookups and not a million comparisons.  NULL when there
 * is no previous snapshot; the caller frees the array. */
static int *match_rows(const struct snapshot *now, const struct snapshot *prev, const char *column)
{
    if (!prev || now->nrows == 0)
        return NULL;
    int *match = xcalloc((size_t)now->nrows, sizeof *match);
    struct keyed_row *index = xcalloc((size_t)(prev->nrows ? prev->nrows : 1), sizeof *index);
    int n = 0;
    for (int r = 0; r < prev->nrows; r++) {
        const char *k = snapshot_get(prev, r, column);
        if (k)
            index[n++] = (struct keyed_row){ k, r };
    }
    qsort(index, (size_t)n, sizeof *index, compare_keyed);
    for (int r = 0; r < now->nrows; r++) {
        const char *k = snapshot_get(now, r, column);
        struct keyed_row probe = { k, -1 }, *hit = NULL;
        if (k && n)
            hit = bsearch(&probe, index, (size_t)n, sizeof *index, compare_keyed);
        match[r] = hit ? hit->row : -1;
    }
    free(index);
    return match;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The hit/read deltas of one row against its previous reading, both NAN
 * unless both are known (a reset of one counter resets the other). */
static void block_deltas(const struct snapshot *now, int r, const struct snapshot *prev, int p,
                         double *hits, double *reads)
{
    *hits = *reads = NAN;
    if (p < 0)
        return;
    if (!same_text(snapshot_get(now, r, "stats_reset"), snapshot_get(prev, p, "stats_reset")))
        return;
    double h = counter_delta(number(now, r, "blks_hit"), number(prev, p, "blks_hit"));
    double d = counter_delta(number(now, r, "blks_read"), number(prev, p, "blks_read"));
    if (isnan(h) || isnan(d))
        return;
    *hits = h;
    *reads = d;
}

void derive_database_cache(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    int *match = match_rows(now, prev, "key");
    double dt = interval_of(now, prev);
    double all_hits = 0, all_reads = 0;
    for (int r = 0; r < now->nrows; r++) {
        double h, d;
        block_deltas(now, r, prev, match ? match[r] : -1, &h, &d);
        set_number(now, r, "blks_hit_delta", h, 0);
        set_number(now, r, "blks_read_delta", d, 0);
        set_number(now, r, "hit_percent", hit_percent(h, d), 2);
        set_number(now, r, "reads_per_second", d / dt, 1);
        if (!isnan(h)) {
            all_hits += h;
            all_reads += d;
        }
    }
    if (prev)
        push_series(app, SERIES_PG_HIT, hit_percent(all_hits, all_reads));
    free(match);
}

struct ranked_row {
    int row;
    double traffic;     /* over the interval, NAN when unknown */
    double total;       /* since the stats reset */
};

static int compare_ranked(const void *a, const void *b)
{
    const struct ranked_row *x = a, *y = b;
    /* Busiest in the interval first; unknown intervals after known ones;
     * then by cumulative traffic, then in the server's order. */
    bool xn = isnan(x->traffic), yn = isnan(y->traffic);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->traffic != y->traffic)
        return x->traffic > y->traffic ? -1 : 1;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return x->row - y->row;
}

/* Put the rows of a snapshot that is not yet published in a new order. */
static void reorder_rows(struct snapshot *s, const struct ranked_row *order)
{
    int cap = s->cap_rows > s->nrows ? s->cap_rows : s->nrows;
    char **cells = xcalloc((size_t)(cap ? cap : 1) * (size_t)(s->ncols ? s->ncols : 1), sizeof *cells);
    size_t ncols = (size_t)s->ncols;
    for (int i = 0; i < s->nrows; i++)
        memcpy(&cells[(size_t)i * ncols], &s->cells[(size_t)order[i].row * ncols], ncols * sizeof *cells);
    free(s->cells);
    s->cells = cells;
    s->cap_rows = cap;
}

void derive_table_cache(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)app;
    int *match = match_rows(now, prev, "key");
    struct ranked_row *rank = xcalloc((size_t)(now->nrows ? now->nrows : 1), sizeof *rank);
    for (int r = 0; r < now->nrows; r++) {
        double h, d;
        block_deltas(now, r, prev, match ? match[r] : -1, &h, &d);
        set_number(now, r, "blks_hit_delta", h, 0);
        set_number(now, r, "blks_read_delta", d, 0);
        set_number(now, r, "hit_percent", hit_percent(h, d), 2);
        set_number(now, r, "traffic", h + d, 0);
        rank[r] = (struct ranked_row){ r, h + d, number(now, r, "blks_hit") + number(now, r, "blks_read") };
        if (isnan(rank[r].total))
            rank[r].total = 0;
    }
    qsort(rank, (size_t)now->nrows, sizeof *rank, compare_ranked);
    reorder_rows(now, rank);
    for (int i = 0; i < now->nrows; i++)
        set_number(now, i, "rank", i + 1, 0);
    free(rank);
    free(match);
}

/* The keys of every Redis database: INFO's keyspace section has one line
 * per database, "db0:keys=12,expires=3,avg_ttl=0", a column each here. */
static double redis_keys(const struct snapshot *s)
{
    double keys = 0;
    for (int c = 0; c < s->ncols; c++) {
        const char *name = s->columns[c];
        if (strncmp(name, "db", 2) != 0 || name[2] < '0' || name[2] > '9')
            continue;
        const char *v = snapshot_cell(s, 0, c);
        const char *k = v ? strstr(v, "keys=") : NULL;
        if (k && (k == v || k[-1] == ','))
            keys += strtod(k + 5, NULL);
    }
    return keys;
}

/* Redis restarted (or is another server) between two readings: every
 * counter started again, whatever the numbers say. */
static bool redis_restarted(const struct snapshot *now, const struct snapshot *prev)
{
    if (!same_text(snapshot_get(now, 0, "run_id"), snapshot_get(prev, 0, "run_id")))
        return true;
    double up = number(now, 0, "uptime_in_seconds"), was = number(prev, 0, "uptime_in_seconds");
    return !isnan(up) && !isnan(was) && up < was;
}

void derive_redis(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    if (now->nrows < 1)
        return;
    if (prev && (prev->nrows < 1 || redis_restarted(now, prev)))
        prev = NULL;
    double hits = number(now, 0, "keyspace_hits"), misses = number(now, 0, "keyspace_misses");
    set_number(now, 0, "hit_percent_total", hit_percent(hits, misses), 2);
    set_number(now, 0, "keys", redis_keys(now), 0);
    double used = number(now, 0, "used_memory"), max = number(now, 0, "maxmemory");
    set_number(now, 0, "memory_fraction", max > 0 ? used / max : NAN, 4);

    double dh = NAN, dm = NAN, ops = number(now, 0, "instantaneous_ops_per_sec");
    double evicted = NAN, expired = NAN;
    double dt = interval_of(now, prev);
    if (prev) {
        dh = counter_delta(hits, number(prev, 0, "keyspace_hits"));
        dm = counter_delta(misses, number(prev, 0, "keyspace_misses"));
        /* CONFIG RESETSTAT zeroes both: one unknown makes both unknown. */
        if (isnan(dh) || isnan(dm))
            dh = dm = NAN;
        double commands = counter_delta(number(now, 0, "total_commands_processed"),
                                        number(prev, 0, "total_commands_processed"));
        /* Our own INFO is counted once per interval, after its reply. */
        if (!isnan(commands) && !isnan(dt))
            ops = (commands > 1 ? commands - 1 : 0) / dt;
        evicted = counter_delta(number(now, 0, "evicted_keys"), number(prev, 0, "evicted_keys"));
        expired = counter_delta(number(now, 0, "expired_keys"), number(prev, 0, "expired_keys"));
    }
    set_number(now, 0, "hit_percent", hit_percent(dh, dm), 2);
    set_number(now, 0, "lookups", dh + dm, 0);
    set_number(now, 0, "hits_delta", dh, 0);
    set_number(now, 0, "misses_delta", dm, 0);
    set_number(now, 0, "ops_per_sec", ops, 1);
    set_number(now, 0, "evicted_delta", evicted, 0);
    set_number(now, 0, "expired_delta", expired, 0);
    if (prev)
        push_series(app, SERIES_REDIS_HIT, hit_percent(dh, dm));
}

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
        set_number(now, r, "maxwait_seconds", isnan(us) ? wait : wait + us / 1e6, 3);
        set_number(now, r, "clients", sum_prefixed(now, r, "cl_"), 0);
        set_number(now, r, "servers", sum_prefixed(now, r, "sv_"), 0);
    }
}

void derive_pgbouncer_stats(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)app;
    /* total_requests was renamed total_query_count in PgBouncer 1.8. */
    const char *queries = snapshot_column(now, "total_query_count") >= 0 ? "total_query_count"
                                                                          : "total_requests";
    int *match = match_rows(now, prev, "database");
    double dt = interval_of(now, prev);
    for (int r = 0; r < now->nrows; r++) {
        double q = number(now, r, queries);
        set_number(now, r, "queries", q, 0);
        int p = match ? match[r] : -1;
        double dq = NAN, dx = NAN, dtime = NAN;
        if (p >= 0) {
            dq = counter_delta(q, number(prev, p, "queries"));
            dx = counter_delta(number(now, r, "total_xact_count"), number(prev, p, "total_xact_count"));
            dtime = counter_delta(number(now, r, "total_query_time"), number(prev, p, "total_query_time"));
        }
        set_number(now, r, "query_rate", dq / dt, 1);
        set_number(now, r, "xact_rate", dx / dt, 1);
        /* total_query_time is in microseconds. */
        set_number(now, r, "avg_query_ms", dq > 0 ? dtime / dq / 1000.0 : NAN, 2);
    }
    free(match);
}

bool cache_interval_totals(const struct snapshot *s, double *hits, double *reads)
{
    *hits = *reads = 0;
    if (!s || s->error)
        return false;
    bool any = false;
    for (int r = 0; r < s->nrows; r++) {
        double h = number(s, r, "blks_hit_delta"), d = number(s, r, "blks_read_delta");
        if (isnan(h) || isnan(d))
            continue;
        *hits += h;
        *reads += d;
        any = true;
    }
    return any;
}

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
