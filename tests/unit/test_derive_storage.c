/* Derived figures of the Partitions, Views and Indexes panes, and their
 * alert rules, on hand-built snapshots shaped like the queries' results:
 * months ahead, retention, default rows, growth; view age and staleness
 * from the refresh log, the journal or nothing; the index plan against the
 * catalog. */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "subjects/indexes.h"
#include "subjects/partitions.h"
#include "subjects/views.h"
#include "base/ident.h"
#include "core/plan.h"
#include "base/xalloc.h"

#define DAY 86400.0

/* 2026-11-28 12:00:00 UTC, and the first instants of its neighbour months. */
static const double NOW = 1795867200;
static const double DEC_1 = 1796083200;
static const double JAN_1 = 1798761600;
static const double FEB_1 = 1801440000;

static double num(const struct snapshot *s, int row, const char *col)
{
    return snapshot_number(s, row, col, NAN);
}

static const char *get(const struct snapshot *s, int row, const char *col)
{
    return snapshot_get(s, row, col);
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) < 1e-6))
        fail_msg("got %f, want %f", got, want);
}

static void assert_cell(const struct snapshot *s, int row, const char *col, const char *want)
{
    const char *v = get(s, row, col);
    if (!want && !v)
        return;
    if (!want || !v || strcmp(v, want) != 0)
        fail_msg("%s: got '%s', want '%s'", col, v ? v : "(null)", want ? want : "(null)");
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char buf[4096];
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return xstrdup(buf);
}

/* ---- time arithmetic ---------------------------------------------------- */

static void test_interval_parse_reads_what_retention_says(void **state)
{
    (void)state;
    int m;
    double s;
    assert_int_equal(derive_interval_parse("12 months", &m, &s), 0);
    assert_int_equal(m, 12);
    assert_near(s, 0);
    assert_int_equal(derive_interval_parse("1 year 6 mons", &m, &s), 0);
    assert_int_equal(m, 18);
    assert_int_equal(derive_interval_parse("90 days", &m, &s), 0);
    assert_int_equal(m, 0);
    assert_near(s, 90 * DAY);
    assert_int_equal(derive_interval_parse("2 weeks 36 hours", &m, &s), 0);
    assert_near(s, 14 * DAY + 36 * 3600);
    assert_int_equal(derive_interval_parse("@ 1 Year", &m, &s), 0);
    assert_int_equal(m, 12);
    assert_int_equal(derive_interval_parse("1.5 months", &m, &s), 0);
    assert_int_equal(m, 1);
    assert_near(s, 15 * DAY);
    assert_int_equal(derive_interval_parse("12:30:00", &m, &s), 0);
    assert_near(s, 12.5 * 3600);
    assert_int_equal(derive_interval_parse("3 months ago", &m, &s), -1);
    assert_int_equal(derive_interval_parse("forever", &m, &s), -1);
    assert_int_equal(derive_interval_parse("", &m, &s), -1);
    assert_int_equal(derive_interval_parse("-3 days", &m, &s), -1);
    assert_int_equal(derive_interval_parse(NULL, &m, &s), -1);
}

static void test_time_minus_clamps_to_the_end_of_a_shorter_month(void **state)
{
    (void)state;
    /* 2026-03-31 10:00 UTC - 1 month = 2026-02-28 10:00 UTC */
    double mar31 = 1774951200;
    assert_near(derive_time_minus(mar31, 1, 0), 1772272800);
    /* 2024-03-31 - 1 month = 2024-02-29 (leap) */
    assert_near(derive_time_minus(1711843200, 1, 0), 1709164800);
    /* across a year, plus seconds */
    assert_near(derive_time_minus(FEB_1, 14, DAY), 1764547200 - DAY);     /* 2025-12-01 - 1 day */
    assert_true(isinf(derive_time_minus(INFINITY, 3, 0)));
}

static void test_months_ahead_counts_whole_months_after_this_one(void **state)
{
    (void)state;
    assert_int_equal(derive_months_ahead(NOW, DEC_1), 0);
    assert_int_equal(derive_months_ahead(NOW, JAN_1), 1);
    assert_int_equal(derive_months_ahead(NOW, FEB_1), 2);
    assert_int_equal(derive_months_ahead(NOW, JAN_1 + 14 * DAY), 1);   /* half of January */
    /* A bound at local midnight in UTC+9 is 9 hours before UTC midnight. */
    assert_int_equal(derive_months_ahead(NOW, FEB_1 - 9 * 3600), 2);
    assert_int_equal(derive_months_ahead(NOW, INFINITY), 9999);
    assert_int_equal(derive_months_ahead(NOW, NOW - DAY), 0);
    assert_int_equal(derive_months_ahead(NOW, NAN), 0);
}

static void test_bounds_are_shown_short(void **state)
{
    (void)state;
    char b[128];
    derive_short_bound("2026-06-01 00:00:00+00", b, sizeof b);
    assert_string_equal(b, "2026-06-01");
    derive_short_bound("2026-06-01 06:30:00+02", b, sizeof b);
    assert_string_equal(b, "2026-06-01 06:30");
    derive_short_bound("2026-06-01", b, sizeof b);
    assert_string_equal(b, "2026-06-01");
    derive_short_bound("2026-06-01 00:00:00.000001", b, sizeof b);
    assert_string_equal(b, "2026-06-01 00:00");
    derive_short_bound("MINVALUE", b, sizeof b);
    assert_string_equal(b, "MINVALUE");
    derive_short_bound("2026-06-01 is not a date", b, sizeof b);
    assert_string_equal(b, "2026-06-01 is not a date");
    derive_short_partition_bound("FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')",
                                 b, sizeof b);
    assert_string_equal(b, "2026-01-01 .. 2026-02-01");
    derive_short_partition_bound("FOR VALUES FROM (MINVALUE) TO ('2020-01-01')", b, sizeof b);
    assert_string_equal(b, "MINVALUE .. 2020-01-01");
    derive_short_partition_bound("FOR VALUES FROM ('2024-01-01', 'a') TO ('2024-02-01', 'a')", b, sizeof b);
    assert_string_equal(b, "'2024-01-01', 'a' .. '2024-02-01', 'a'");
    derive_short_partition_bound("FOR VALUES FROM ('it''s') TO ('z')", b, sizeof b);
    assert_string_equal(b, "it's .. z");
    derive_short_partition_bound("FOR VALUES IN ('eu', 'uk')", b, sizeof b);
    assert_string_equal(b, "IN ('eu', 'uk')");
    derive_short_partition_bound("DEFAULT", b, sizeof b);
    assert_string_equal(b, "DEFAULT");
    derive_short_partition_bound(NULL, b, sizeof b);
    assert_string_equal(b, "");
}

/* ---- partitions --------------------------------------------------------- */

static const char *const partition_columns[] = {
    "name", "schema", "table", "parent", "level", "strategy", "key_type", "partitions", "size",
    "default_rows", "has_default", "default_name", "oldest", "newest", "covered_until", "current_to",
    "partitions_ahead", "partition_seconds", "server_now", "children",
};
#define PARTITION_COLUMNS ((int)(sizeof partition_columns / sizeof partition_columns[0]))

/* The children of monthly partitions [from, to) in months from Jan 2026,
 * each `size` bytes except the one holding NOW, which has `current`: the
 * fields named first (in an order of their own: readers go by name). */
static char *monthly_children(double first, int count, double size, double current)
{
    char *out = xstrdup("[[\"to\", \"name\", \"bound\", \"size\", \"rows\", \"from\", \"is_default\", \"partitioned\"]");
    double from = first;
    for (int i = 0; i < count; i++) {
        double to = derive_time_minus(from, -1, 0);
        double sz = from <= NOW && NOW < to ? current : size;
        char *item = fmt(", [%.0f, \"public.p%d\", \"FOR VALUES\", %.0f, 1, %.0f, false, false]",
                         to, i, sz, from);
        char *joined = fmt("%s%s", out, item);
        free(out);
        free(item);
        out = joined;
        from = to;
    }
    char *done = fmt("%s]", out);
    free(out);
    return done;
}

struct partition_row {
    const char *name, *parent, *level, *strategy, *key_type, *partitions, *has_default, *default_rows;
    double covered_until, current_to, partitions_ahead, partition_seconds;
    const char *children;
};

static void add_partition_row(struct snapshot *s, const struct partition_row *p)
{
    char cu[32], ct[32], pa[32], ps[32], now[32];
    snprintf(cu, sizeof cu, "%.0f", p->covered_until);
    snprintf(ct, sizeof ct, "%.0f", p->current_to);
    snprintf(pa, sizeof pa, "%.0f", p->partitions_ahead);
    snprintf(ps, sizeof ps, "%.0f", p->partition_seconds);
    snprintf(now, sizeof now, "%.0f", NOW);
    const char *dot = strchr(p->name, '.');
    char schema[64];
    snprintf(schema, sizeof schema, "%.*s", (int)(dot - p->name), p->name);
    const char *values[PARTITION_COLUMNS] = {
        p->name, schema, dot + 1, p->parent, p->level ? p->level : "0", p->strategy ? p->strategy : "range",
        p->key_type ? p->key_type : "timestamp with time zone", p->partitions ? p->partitions : "3", "1000",
        p->default_rows, p->has_default ? p->has_default : "f", p->default_rows ? "ev_default" : NULL,
        "2026-01-01 00:00:00+00", "2027-01-01 00:00:00+00",
        isnan(p->covered_until) ? NULL : cu, isnan(p->current_to) ? NULL : ct,
        isnan(p->partitions_ahead) ? NULL : pa, isnan(p->partition_seconds) ? NULL : ps, now, p->children,
    };
    snapshot_add_row(s, values);
}

static struct config *config_with(double ahead_months, const char *retention_table, const char *retention)
{
    struct config *cfg = xcalloc(1, sizeof *cfg);
    cfg->alerts.partition_ahead_months = ahead_months;
    cfg->alerts.view_age_hours = 4;
    if (retention) {
        cfg->retention = xcalloc(1, sizeof *cfg->retention);
        cfg->retention[0].table = xstrdup(retention_table);
        if (strcmp(retention_table, "*") != 0)
            assert_int_equal(ident_parse_qualified(retention_table, "public", &cfg->retention[0].schema,
                                                   &cfg->retention[0].name, NULL, 0), 0);
        cfg->retention[0].interval = xstrdup(retention);
        cfg->retention_count = 1;
    }
    return cfg;
}

static void free_config(struct config *cfg)
{
    for (int i = 0; i < cfg->retention_count; i++) {
        free(cfg->retention[i].table);
        free(cfg->retention[i].schema);
        free(cfg->retention[i].name);
        free(cfg->retention[i].interval);
    }
    free(cfg->retention);
    free(cfg);
}

static void test_partitions_monthly_with_next_month_is_ok(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    add_partition_row(s, &(struct partition_row){ .name = "public.ev", .covered_until = FEB_1,
                      .current_to = DEC_1, .partitions_ahead = 2, .partition_seconds = 31 * DAY });
    struct config *cfg = config_with(1, NULL, NULL);
    derive_partitions_at(s, cfg, NOW);
    assert_cell(s, 0, "ahead", "2 mo");
    assert_near(num(s, 0, "months_ahead"), 2);
    assert_cell(s, 0, "ahead_ok", "t");
    assert_cell(s, 0, "now_covered", "t");
    assert_cell(s, 0, "display", "ev");
    assert_cell(s, 0, "oldest_short", "2026-01-01");
    assert_cell(s, 0, "problems", "");
    /* Two months needed: one short. */
    cfg->alerts.partition_ahead_months = 3;
    derive_partitions_at(s, cfg, NOW);
    assert_cell(s, 0, "ahead_ok", "f");
    assert_cell(s, 0, "problems", "few months ahead");
    free_config(cfg);
    snapshot_unref(s);
}

static void test_partitions_without_next_month_are_flagged(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    add_partition_row(s, &(struct partition_row){ .name = "public.ev", .covered_until = DEC_1,
                      .current_to = DEC_1, .partitions_ahead = 0, .partition_seconds = 30 * DAY });
    struct config *cfg = config_with(1, NULL, NULL);
    derive_partitions_at(s, cfg, NOW);
    assert_near(num(s, 0, "months_ahead"), 0);
    assert_cell(s, 0, "ahead", "2 d");
    assert_cell(s, 0, "ahead_ok", "f");
    assert_cell(s, 0, "problems", "no next month");
    free_config(cfg);
    snapshot_unref(s);
}

static void test_partitions_with_nothing_for_now_are_flagged(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    add_partition_row(s, &(struct partition_row){ .name = "public.old", .covered_until = NAN,
                      .current_to = NAN, .partitions_ahead = NAN, .partition_seconds = 31 * DAY });
    struct config *cfg = config_with(1, NULL, NULL);
    derive_partitions_at(s, cfg, NOW);
    assert_cell(s, 0, "now_covered", "f");
    assert_cell(s, 0, "ahead_ok", "f");
    assert_cell(s, 0, "ahead", "none");
    assert_cell(s, 0, "problems", "no partition for now");
    free_config(cfg);
    snapshot_unref(s);
}

static void test_partitions_daily_count_partitions_not_months(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    add_partition_row(s, &(struct partition_row){ .name = "public.daily", .parent = "public.root",
                      .level = "1", .key_type = "date", .covered_until = NOW + 3.5 * DAY,
                      .current_to = NOW + 0.5 * DAY, .partitions_ahead = 3, .partition_seconds = DAY });
    add_partition_row(s, &(struct partition_row){ .name = "other.daily", .key_type = "date",
                      .covered_until = NOW + 0.5 * DAY, .current_to = NOW + 0.5 * DAY,
                      .partitions_ahead = 0, .partition_seconds = DAY });
    struct config *cfg = config_with(1, NULL, NULL);
    derive_partitions_at(s, cfg, NOW);
    assert_cell(s, 0, "display", "- daily");
    assert_cell(s, 0, "ahead", "3 d");
    assert_cell(s, 0, "ahead_ok", "t");
    assert_cell(s, 1, "display", "other.daily");
    assert_cell(s, 1, "ahead", "12 h");
    assert_cell(s, 1, "ahead_ok", "f");
    assert_cell(s, 1, "problems", "no next partition");
    free_config(cfg);
    snapshot_unref(s);
}

static void test_partitions_list_hash_and_empty_tables_are_not_judged(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    add_partition_row(s, &(struct partition_row){ .name = "public.l", .strategy = "list", .key_type = "text",
                      .covered_until = NAN, .current_to = NAN, .partitions_ahead = NAN, .partition_seconds = NAN });
    add_partition_row(s, &(struct partition_row){ .name = "public.h", .strategy = "hash", .key_type = "integer",
                      .covered_until = NAN, .current_to = NAN, .partitions_ahead = NAN, .partition_seconds = NAN });
    add_partition_row(s, &(struct partition_row){ .name = "public.n", .key_type = "bigint",
                      .covered_until = NAN, .current_to = NAN, .partitions_ahead = NAN, .partition_seconds = NAN });
    add_partition_row(s, &(struct partition_row){ .name = "public.e", .partitions = "0",
                      .covered_until = NAN, .current_to = NAN, .partitions_ahead = NAN, .partition_seconds = NAN });
    add_partition_row(s, &(struct partition_row){ .name = "public.d", .partitions = "1", .has_default = "t",
                      .default_rows = "0", .covered_until = NAN, .current_to = NAN,
                      .partitions_ahead = NAN, .partition_seconds = NAN });
    struct config *cfg = config_with(1, "*", "12 months");
    derive_partitions_at(s, cfg, NOW);
    for (int r = 0; r < s->nrows; r++) {
        assert_null(get(s, r, "ahead_ok"));
        assert_null(get(s, r, "now_covered"));
        assert_null(get(s, r, "ahead"));
        assert_cell(s, r, "problems", "");
    }
    assert_null(get(s, 0, "retention"));   /* retention is about time */
    free_config(cfg);
    snapshot_unref(s);
}

static void test_partitions_past_retention_are_counted_with_their_size(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    /* Jan 2025 .. Feb 2027: 26 monthly partitions of 1 MB. */
    char *children = monthly_children(1735689600, 26, 1048576, 1048576);
    add_partition_row(s, &(struct partition_row){ .name = "public.ev", .covered_until = 1803859200,
                      .current_to = DEC_1, .partitions_ahead = 3, .partition_seconds = 31 * DAY,
                      .children = children });
    struct config *cfg = config_with(1, "ev", "12 months");
    derive_partitions_at(s, cfg, NOW);
    /* Cutoff 2025-11-28 12:00: Jan..Oct 2025 end before it (10). */
    assert_cell(s, 0, "retention", "12 months");
    assert_near(num(s, 0, "outside_retention"), 10);
    assert_near(num(s, 0, "outside_retention_bytes"), 10 * 1048576.0);
    assert_cell(s, 0, "problems", "10 past retention");
    /* No retention for this table: nothing is counted. */
    free_config(cfg);
    cfg = config_with(1, "public.other", "1 month");
    derive_partitions_at(s, cfg, NOW);
    assert_null(get(s, 0, "retention"));
    assert_null(get(s, 0, "outside_retention"));
    free_config(cfg);
    free(children);
    snapshot_unref(s);
}

static void test_partitions_default_rows_and_growth(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    /* Sep, Oct at 100 MB; November, 27.5 days in, already at 300 MB. */
    char *children = monthly_children(1788220800, 4, 100.0 * 1048576, 300.0 * 1048576);
    add_partition_row(s, &(struct partition_row){ .name = "public.ev", .has_default = "t",
                      .default_rows = "42", .covered_until = JAN_1, .current_to = DEC_1,
                      .partitions_ahead = 1, .partition_seconds = 30.5 * DAY, .children = children });
    struct config *cfg = config_with(1, NULL, NULL);
    derive_partitions_at(s, cfg, NOW);
    assert_cell(s, 0, "default_flag", "t");
    assert_cell(s, 0, "problems", "rows in default");
    assert_near(num(s, 0, "current_bytes"), 300.0 * 1048576);
    double elapsed = (NOW - 1793491200) / DAY;      /* since 1 November */
    assert_true(fabs(num(s, 0, "growth_per_day") - 300.0 * 1048576 / elapsed) < 2);
    double projected = 300.0 * 1048576 * 30 / elapsed;
    assert_true(fabs(num(s, 0, "projected_bytes") - projected) < 2);
    assert_true(fabs(num(s, 0, "growth_ratio") - projected / (100.0 * 1048576)) < 0.01);
    free_config(cfg);
    free(children);
    snapshot_unref(s);
}

/* ---- views -------------------------------------------------------------- */

static const char *const view_columns[] = {
    "name", "populated", "refreshing", "refresh_seconds", "refresh_waiting", "log_installed",
    "log_finished", "log_duration", "log_failed_at", "server_now", "object_key",
};
#define VIEW_COLUMNS ((int)(sizeof view_columns / sizeof view_columns[0]))

static void add_view(struct snapshot *s, const char *name, const char *populated, const char *log,
                     double finished, double duration, double failed_at, const char *refreshing)
{
    char f[32], d[32], fa[32], now[32], key[32];
    /* Every view of one cluster and database, the OID its row number + 1. */
    snprintf(key, sizeof key, "111/5/%d", s->nrows + 1);
    snprintf(f, sizeof f, "%.3f", finished);
    snprintf(d, sizeof d, "%.3f", duration);
    snprintf(fa, sizeof fa, "%.3f", failed_at);
    snprintf(now, sizeof now, "%.3f", NOW);
    const char *values[VIEW_COLUMNS] = {
        name, populated, refreshing ? "t" : "f", refreshing, refreshing ? "f" : NULL, log,
        isnan(finished) ? NULL : f, isnan(duration) ? NULL : d, isnan(failed_at) ? NULL : fa, now, key,
    };
    snapshot_add_row(s, values);
}

/* The journal knows OID 6 (public.mv_j) refreshed an hour ago, and a
 * refresh of OID 9 (public.mv_k) whose pgdeck stopped before it ended. */
static bool journal_knows_mv_j(const struct app *app, const char *key, struct view_refresh_record *out)
{
    (void)app;
    if (strcmp(key, "111/5/6") == 0) {
        out->finished_at = NOW - 3600;
        out->duration = 2.5;
        return true;
    }
    if (strcmp(key, "111/5/9") == 0) {
        out->unfinished_at = NOW - 60;
        return true;
    }
    return false;
}

static void test_views_age_and_staleness(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("views", VIEW_COLUMNS, view_columns);
    add_view(s, "public.fresh", "t", "t", NOW - 2 * 3600, 1.25, NAN, NULL);
    add_view(s, "public.old", "t", "t", NOW - 5 * 3600, 3, NAN, NULL);
    add_view(s, "public.never", "t", "t", NAN, NAN, NAN, NULL);
    add_view(s, "public.empty", "f", "t", NAN, NAN, NAN, NULL);
    add_view(s, "public.nolog", "t", "f", NAN, NAN, NAN, NULL);
    add_view(s, "public.mv_j", "t", "f", NAN, NAN, NAN, NULL);
    add_view(s, "public.busy", "t", "t", NOW - 600, 1, NAN, "12.5");
    add_view(s, "public.broke", "t", "t", NOW - 3 * 3600, 1, NOW - 60, NULL);
    add_view(s, "public.mv_k", "t", "f", NAN, NAN, NAN, NULL);
    derive_views_at(s, 4, NOW, journal_knows_mv_j, NULL);

    assert_near(num(s, 0, "age"), 7200);
    assert_cell(s, 0, "age_text", "2h00m");
    assert_cell(s, 0, "stale", "f");
    assert_cell(s, 0, "state", "ok");
    assert_cell(s, 0, "refresh_known_from", "log");
    assert_near(num(s, 0, "refresh_duration"), 1.25);
    assert_cell(s, 0, "display", "fresh");
    assert_non_null(get(s, 0, "last_refresh_at"));

    assert_cell(s, 1, "stale", "t");
    assert_cell(s, 1, "state", "STALE");

    assert_cell(s, 2, "stale", "t");
    assert_cell(s, 2, "state", "never refreshed");
    assert_cell(s, 2, "age_text", "never");
    assert_null(get(s, 2, "age"));

    assert_cell(s, 3, "stale", "t");
    assert_cell(s, 3, "state", "unpopulated");

    /* No log, no journal: nobody knows, and pgdeck says so. */
    assert_null(get(s, 4, "stale"));
    assert_cell(s, 4, "state", "unknown");
    assert_cell(s, 4, "age_text", "unknown");

    assert_cell(s, 5, "refresh_known_from", "journal");
    assert_near(num(s, 5, "age"), 3600);
    assert_near(num(s, 5, "refresh_duration"), 2.5);
    assert_cell(s, 5, "state", "ok");

    assert_null(get(s, 5, "refresh_note"));

    /* A refresh whose outcome nobody knows gives no time, and says so. */
    assert_cell(s, 8, "state", "unknown");
    assert_null(get(s, 8, "refresh_known_from"));
    assert_non_null(strstr(get(s, 8, "refresh_note"), "outcome unknown (pgdeck stopped)"));

    assert_cell(s, 6, "state", "refreshing 12.5s");
    assert_cell(s, 7, "state", "failed");
    assert_cell(s, 7, "stale", "f");

    /* Without a lookup the journal view is unknown too. */
    derive_views_at(s, 4, NOW, NULL, NULL);
    assert_cell(s, 5, "state", "unknown");
    /* A lower threshold makes the fresh one stale. */
    derive_views_at(s, 1, NOW, NULL, NULL);
    assert_cell(s, 0, "state", "STALE");
    snapshot_unref(s);
}

/* ---- indexes ------------------------------------------------------------ */

static const char *const index_columns[] = {
    "name", "schema", "index", "table", "index_oid", "method", "is_unique", "enforces", "valid",
    "scans", "duplicate_of", "definition",
};
#define INDEX_COLUMNS ((int)(sizeof index_columns / sizeof index_columns[0]))

static void add_index(struct snapshot *s, const char *index, const char *oid, const char *valid,
                      const char *scans, const char *enforces, const char *dup)
{
    char name[128];
    snprintf(name, sizeof name, "public.%s", index);
    const char *values[INDEX_COLUMNS] = {
        name, "public", index, "public.t", oid, "btree", enforces, enforces, valid, scans, dup, "CREATE INDEX ...",
    };
    snapshot_add_row(s, values);
}

static void test_indexes_plan_against_catalog(void **state)
{
    (void)state;
    struct plan plan;
    const char *sql =
        "CREATE INDEX present_idx ON t (a);\n"
        "CREATE INDEX broken_idx ON t (b);\n"
        "CREATE INDEX building_idx ON t (c);\n"
        "CREATE UNIQUE INDEX missing_idx ON other.t USING hash (d);\n";
    assert_int_equal(plan_parse(&plan, sql, strlen(sql), "p.sql"), 0);

    struct snapshot *s = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    add_index(s, "extra_used", "10", "t", "42", "f", NULL);
    add_index(s, "present_idx", "11", "t", "5", "f", NULL);
    add_index(s, "broken_idx", "12", "f", "0", "f", NULL);
    add_index(s, "building_idx", "13", "f", "0", "f", NULL);
    add_index(s, "unused_idx", "14", "t", "0", "f", "public.unused_twin");
    add_index(s, "pkey", "15", "t", "0", "t", NULL);

    static const char *const progress_columns[] = { "pid", "index_oid", "index", "phase", "percent" };
    struct snapshot *progress = snapshot_new("index_progress", 5, progress_columns);
    const char *building[] = { "4242", "13", "public.building_idx", "building index: scanning table", "45.2" };
    snapshot_add_row(progress, building);

    derive_indexes_at(s, &plan, progress);
    assert_int_equal(s->nrows, 7);
    /* INVALID first, then building, then missing, then the rest in order. */
    assert_cell(s, 0, "index", "broken_idx");
    assert_cell(s, 0, "status", "INVALID");
    assert_cell(s, 0, "planned", "t");
    assert_cell(s, 1, "index", "building_idx");
    assert_cell(s, 1, "status", "building 45%");
    assert_cell(s, 2, "index", "missing_idx");
    assert_cell(s, 2, "status", "missing");
    assert_cell(s, 2, "schema", "other");
    assert_cell(s, 2, "name", "other.missing_idx");
    assert_cell(s, 2, "display", "other.missing_idx");
    assert_cell(s, 2, "table", "other.t");
    assert_cell(s, 2, "method", "hash");
    assert_cell(s, 2, "is_unique", "t");
    assert_cell(s, 2, "definition", "CREATE UNIQUE INDEX missing_idx ON other.t USING hash (d)");
    assert_near(num(s, 2, "plan_line"), 4);
    assert_cell(s, 3, "index", "extra_used");
    assert_cell(s, 3, "status", "");
    assert_cell(s, 3, "planned", "f");
    assert_cell(s, 3, "unused", "f");
    assert_cell(s, 4, "index", "present_idx");
    assert_cell(s, 4, "status", "present");
    assert_cell(s, 4, "display", "present_idx");
    assert_cell(s, 5, "index", "unused_idx");
    assert_cell(s, 5, "unused", "t");
    assert_cell(s, 5, "duplicate", "t");
    assert_cell(s, 5, "note", "unused, dup");
    assert_cell(s, 6, "index", "pkey");
    assert_cell(s, 6, "unused", "f");       /* it enforces a constraint */

    /* The build ended: the same index is INVALID (it failed). */
    derive_indexes_at(s, &plan, NULL);
    assert_cell(s, 0, "status", "INVALID");
    assert_cell(s, 1, "status", "INVALID");
    snapshot_unref(progress);
    snapshot_unref(s);
    plan_free(&plan);
}

static void test_indexes_without_a_plan_show_the_catalog(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    add_index(s, "a", "1", "t", "1", "f", NULL);
    derive_indexes_at(s, NULL, NULL);
    assert_int_equal(s->nrows, 1);
    assert_cell(s, 0, "planned", "f");
    assert_cell(s, 0, "status", "");
    snapshot_unref(s);
}

/* ---- alert rules -------------------------------------------------------- */

/* An app whose collectors hold the given snapshots (borrowed). */
static void app_with(struct app *app, struct config *cfg, const struct snapshot *partitions,
                     const struct snapshot *views, const struct snapshot *indexes)
{
    memset(app, 0, sizeof *app);
    app->cfg = cfg;
    collectors_init(app);
    (collector_find(app, "partitions"))->current = (struct snapshot *)partitions;
    (collector_find(app, "views"))->current = (struct snapshot *)views;
    (collector_find(app, "indexes"))->current = (struct snapshot *)indexes;
}

static const struct alert *find_alert(const struct alert *a, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

static void test_alerts_name_each_storage_threshold_crossed(void **state)
{
    (void)state;
    struct config *cfg = config_with(1, NULL, NULL);
    struct snapshot *p = snapshot_new("partitions", PARTITION_COLUMNS, partition_columns);
    char *children = monthly_children(1788220800, 4, 100.0 * 1048576, 300.0 * 1048576);
    add_partition_row(p, &(struct partition_row){ .name = "public.ev", .has_default = "t", .default_rows = "42",
                      .covered_until = DEC_1, .current_to = DEC_1, .partitions_ahead = 0,
                      .partition_seconds = 30.5 * DAY, .children = children });
    add_partition_row(p, &(struct partition_row){ .name = "public.gone", .covered_until = NAN, .current_to = NAN,
                      .partitions_ahead = NAN, .partition_seconds = 31 * DAY });
    derive_partitions_at(p, cfg, NOW);

    struct snapshot *v = snapshot_new("views", VIEW_COLUMNS, view_columns);
    add_view(v, "public.old", "t", "t", NOW - 5 * 3600, 3, NAN, NULL);
    add_view(v, "public.fresh", "t", "t", NOW - 60, 3, NAN, NULL);
    derive_views_at(v, 4, NOW, NULL, NULL);

    struct snapshot *ix = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    add_index(ix, "broken_idx", "12", "f", "0", "f", NULL);
    derive_indexes_at(ix, NULL, NULL);

    struct app app;
    app_with(&app, cfg, p, v, ix);
    struct alert a[16];
    int n = alert_partitions(&app, a, 16);
    const struct alert *now = find_alert(a, n, "partition_now");
    assert_non_null(now);
    assert_int_equal(now->level, ALERT_CRITICAL);       /* no default: inserts fail */
    assert_non_null(strstr(now->text, "public.gone"));
    const struct alert *ahead = find_alert(a, n, "partition_ahead");
    assert_non_null(ahead);
    assert_string_equal(ahead->text, "no partition for next month: public.ev");
    const struct alert *def = find_alert(a, n, "partition_default");
    assert_non_null(def);
    assert_non_null(strstr(def->text, "public.ev_default ~42"));
    const struct alert *growth = find_alert(a, n, "partition_growth");
    assert_non_null(growth);
    assert_non_null(strstr(growth->text, "public.ev"));

    alerts_free(a, n);
    n = alert_stale_views(&app, a, 16);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].name, "stale_views");
    assert_non_null(strstr(a[0].text, "1 stale view (> 4 h): public.old 5h00m old"));

    alerts_free(a, n);
    n = alert_invalid_indexes(&app, a, 16);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].text, "1 INVALID index: public.broken_idx");
    alerts_free(a, n);

    struct perfdata pd[16];
    n = alerts_perfdata(&app, pd, 16);
    assert_true(n >= 4);

    /* Nothing crossed: nothing said. */
    cfg->alerts.view_age_hours = 10;
    derive_views_at(v, 10, NOW, NULL, NULL);
    assert_int_equal(alert_stale_views(&app, a, 16), 0);
    /* Room for one alert only. */
    assert_int_equal(alert_partitions(&app, a, 1), 1);
    alerts_free(a, 1);

    free(app.collectors);
    free(children);
    snapshot_unref(p);
    snapshot_unref(v);
    snapshot_unref(ix);
    free_config(cfg);
}

/* Names other people chose reach the alert whole (63 bytes each, the
 * most PostgreSQL allows): only the screen cuts, where it draws. */
static void test_an_alert_names_long_views_whole(void **state)
{
    (void)state;
    struct config *cfg = config_with(1, NULL, NULL);
    char first[80], second[80];
    snprintf(first, sizeof first, "public.%s", "sensor_readings_by_hour_and_region_for_the_dashboard_x_aaaaaaaaaa");
    snprintf(second, sizeof second, "public.%s", "weekly_report_of_every_account_and_its_invoices_by_region_bbbbbbbb");
    struct snapshot *v = snapshot_new("views", VIEW_COLUMNS, view_columns);
    add_view(v, first, "t", "t", NOW - 5 * 3600, 3, NAN, NULL);
    add_view(v, second, "t", "t", NOW - 6 * 3600, 3, NAN, NULL);
    derive_views_at(v, 4, NOW, NULL, NULL);
    struct app app;
    app_with(&app, cfg, NULL, v, NULL);
    struct alert a[4];
    assert_int_equal(alert_stale_views(&app, a, 4), 1);
    assert_non_null(strstr(a[0].text, first + 7));
    assert_non_null(strstr(a[0].text, second + 7));
    assert_non_null(strstr(a[0].text, "6h00m old"));
    alerts_free(a, 1);
    free(app.collectors);
    snapshot_unref(v);
    free_config(cfg);
}

static void test_alerts_skip_missing_or_failed_snapshots(void **state)
{
    (void)state;
    struct config *cfg = config_with(1, NULL, NULL);
    struct snapshot *failed = snapshot_failed("views", "permission denied");
    struct app app;
    app_with(&app, cfg, NULL, failed, NULL);
    struct alert a[4];
    assert_int_equal(alert_stale_views(&app, a, 4), 0);
    assert_int_equal(alert_partitions(&app, a, 4), 0);
    assert_int_equal(alert_invalid_indexes(&app, a, 4), 0);
    struct perfdata pd[8];
    assert_int_equal(alerts_perfdata(&app, pd, 8), 0);
    free(app.collectors);
    snapshot_unref(failed);
    free_config(cfg);
}

/* children: the fields are found by their names, wherever they are; a
 * field a table lacks reads as absent; anything else (the old array of
 * objects, no names, not JSON, NULL) is no partition at all. */
static void test_children_are_read_by_field_name(void **state)
{
    struct children ch;
    (void)state;
    assert_int_equal(children_open(&ch, "[[\"size\",\"name\",\"is_default\",\"extra\"],"
                                        "[10,\"public.a\",false,1],[null,\"public.b\",true,2]]"), 2);
    assert_string_equal(json_string_value(children_get(&ch, 0, CHILD_NAME)), "public.a");
    assert_true(children_number(&ch, 0, CHILD_SIZE) == 10);
    assert_true(isnan(children_number(&ch, 1, CHILD_SIZE)));
    assert_false(children_true(&ch, 0, CHILD_IS_DEFAULT));
    assert_true(children_true(&ch, 1, CHILD_IS_DEFAULT));
    assert_null(children_get(&ch, 0, CHILD_BOUND));     /* not in this table */
    assert_true(isnan(children_number(&ch, 0, CHILD_FROM)));
    assert_null(children_get(&ch, 2, CHILD_NAME));      /* past the last */
    children_close(&ch);

    static const char *const none[] = {
        "[{\"name\":\"public.a\",\"size\":10}]",    /* format 1 */
        "[[\"name\"]]", "[]", "[1,2]", "{}", "not json", "", NULL,
    };
    for (size_t k = 0; k < sizeof none / sizeof none[0]; k++) {
        if (children_open(&ch, none[k]) != 0)
            fail_msg("children_open read partitions from %s", none[k] ? none[k] : "NULL");
        assert_null(children_get(&ch, 0, CHILD_NAME));
        children_close(&ch);
    }
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_parse_reads_what_retention_says),
        cmocka_unit_test(test_time_minus_clamps_to_the_end_of_a_shorter_month),
        cmocka_unit_test(test_months_ahead_counts_whole_months_after_this_one),
        cmocka_unit_test(test_bounds_are_shown_short),
        cmocka_unit_test(test_children_are_read_by_field_name),
        cmocka_unit_test(test_partitions_monthly_with_next_month_is_ok),
        cmocka_unit_test(test_partitions_without_next_month_are_flagged),
        cmocka_unit_test(test_partitions_with_nothing_for_now_are_flagged),
        cmocka_unit_test(test_partitions_daily_count_partitions_not_months),
        cmocka_unit_test(test_partitions_list_hash_and_empty_tables_are_not_judged),
        cmocka_unit_test(test_partitions_past_retention_are_counted_with_their_size),
        cmocka_unit_test(test_partitions_default_rows_and_growth),
        cmocka_unit_test(test_views_age_and_staleness),
        cmocka_unit_test(test_indexes_plan_against_catalog),
        cmocka_unit_test(test_indexes_without_a_plan_show_the_catalog),
        cmocka_unit_test(test_alerts_name_each_storage_threshold_crossed),
        cmocka_unit_test(test_alerts_skip_missing_or_failed_snapshots),
        cmocka_unit_test(test_an_alert_names_long_views_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
