/* Derived figures of the Pool and Cache panes, on hand-built snapshots:
 * interval hit ratios from cumulative counters, rates, counter resets and
 * restarts, PgBouncer's columns across versions, pool usage. */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/app.h"
#include "core/counters.h"
#include "subjects/cache.h"
#include "subjects/pool.h"

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A snapshot of one or more rows, taken at `at` seconds. */
static struct snapshot *table(const char *source, double at, int ncols, const char *const *cols,
                              int nrows, const char *const *cells)
{
    struct snapshot *s = snapshot_new(source, ncols, cols);
    for (int r = 0; r < nrows; r++)
        snapshot_add_row(s, cells + r * ncols);
    s->taken_at = at;
    return s;
}

static double num(const struct snapshot *s, int row, const char *col)
{
    return snapshot_number(s, row, col, NAN);
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("got %f, want %f", got, want);
}

/* ---- counters ----------------------------------------------------------- */

static void test_counter_delta_is_the_increase(void **state)
{
    (void)state;
    assert_near(counter_delta(1500, 1000), 500);
    assert_near(counter_delta(7, 7), 0);
}

static void test_counter_that_went_backwards_is_unknown(void **state)
{
    (void)state;
    assert_true(isnan(counter_delta(10, 1000)));
    assert_true(isnan(counter_delta(NAN, 1)));
    assert_true(isnan(counter_delta(1, NAN)));
}

static void test_hit_percent_of_800_hits_and_200_misses_is_80(void **state)
{
    (void)state;
    assert_near(hit_percent(800, 200), 80);
    assert_near(hit_percent(5, 0), 100);
    assert_true(isnan(hit_percent(0, 0)));
}

static void test_cache_hit_severity_needs_traffic_and_halves_for_critical(void **state)
{
    (void)state;
    assert_int_equal(cache_hit_severity(800, 200, 20, 70), 0);     /* 80 % >= 70 % */
    assert_int_equal(cache_hit_severity(600, 400, 20, 70), 1);     /* 60 % */
    assert_int_equal(cache_hit_severity(300, 700, 20, 70), 2);     /* 30 % < 35 % */
    assert_int_equal(cache_hit_severity(0, 10, 20, 70), 0);        /* 10 lookups say nothing */
    assert_int_equal(cache_hit_severity(NAN, NAN, 0, 70), 0);      /* unknown interval */
    assert_int_equal(cache_hit_severity(999, 1, 20, 100), 1);      /* 99.9 % < 100 % */
}

static void test_pool_is_critical_at_95_percent_or_the_warning_if_higher(void **state)
{
    (void)state;
    assert_near(pool_critical_percent(90), 95);
    assert_near(pool_critical_percent(1), 95);
    assert_near(pool_critical_percent(98), 98);
}

/* ---- PostgreSQL buffer cache --------------------------------------------- */

static const char *const db_cols[] = { "key", "database", "blks_hit", "blks_read", "stats_reset" };

static void test_database_interval_hit_ratio_comes_from_deltas(void **state)
{
    (void)state;
    struct app app = { 0 };
    /* Since the reset: 990,000 hits and 10,000 reads (99 %); in the
     * interval 900 hits and 100 reads (90 %) over 2 s. */
    const char *before[] = { "1", "shop", "990000", "10000", "1700000000",
                             "2", "idle", "50", "5", NULL };
    const char *after[]  = { "1", "shop", "990900", "10100", "1700000000",
                             "2", "idle", "50", "5", NULL };
    struct snapshot *prev = table("database_cache", 100, NCOLS(db_cols), db_cols, 2, before);
    struct snapshot *now = table("database_cache", 102, NCOLS(db_cols), db_cols, 2, after);
    derive_database_cache(&app, prev, NULL);
    derive_database_cache(&app, now, prev);

    assert_near(num(now, 0, "blks_hit_delta"), 900);
    assert_near(num(now, 0, "blks_read_delta"), 100);
    assert_near(num(now, 0, "hit_percent"), 90);
    assert_near(num(now, 0, "reads_per_second"), 50);
    /* No traffic: no ratio, zero reads. */
    assert_null(snapshot_get(now, 1, "hit_percent"));
    assert_near(num(now, 1, "blks_read_delta"), 0);

    double hits, reads;
    assert_true(cache_interval_totals(now, &hits, &reads));
    assert_near(hits, 900);
    assert_near(reads, 100);
    /* The first snapshot pushes nothing; the second its overall ratio. */
    const struct series *s = app_series(&app, SERIES_PG_HIT);
    assert_non_null(s);
    assert_int_equal(s->count, 1);
    assert_near(series_at(s, 0), 90);
    snapshot_unref(prev);
    snapshot_unref(now);
}

static void test_first_database_snapshot_has_no_interval(void **state)
{
    (void)state;
    struct app app = { 0 };
    const char *cells[] = { "1", "shop", "990000", "10000", NULL };
    struct snapshot *now = table("database_cache", 100, NCOLS(db_cols), db_cols, 1, cells);
    derive_database_cache(&app, now, NULL);
    assert_int_not_equal(snapshot_column(now, "hit_percent"), -1);
    assert_null(snapshot_get(now, 0, "hit_percent"));
    assert_null(snapshot_get(now, 0, "blks_hit_delta"));
    double hits, reads;
    assert_false(cache_interval_totals(now, &hits, &reads));
    assert_null(app_series(&app, SERIES_PG_HIT));
    snapshot_unref(now);
}

static void test_stats_reset_makes_the_interval_unknown(void **state)
{
    (void)state;
    struct app app = { 0 };
    /* pg_stat_reset(): counters start again from a few blocks, and the
     * reset time changes.  Without the reset time the counters would still
     * be seen going backwards. */
    const char *before[] = { "1", "shop", "990000", "10000", "1700000000",
                             "2", "logs", "5000", "500", "1700000000" };
    const char *after[]  = { "1", "shop", "120", "30", "1700000500",
                             "2", "logs", "100", "600", "1700000000" };
    struct snapshot *prev = table("database_cache", 100, NCOLS(db_cols), db_cols, 2, before);
    struct snapshot *now = table("database_cache", 101, NCOLS(db_cols), db_cols, 2, after);
    derive_database_cache(&app, now, prev);
    assert_null(snapshot_get(now, 0, "blks_hit_delta"));
    assert_null(snapshot_get(now, 0, "hit_percent"));
    /* logs: hits went backwards with the same reset time (a restart
     * without stats): unknown too, never a negative count. */
    assert_null(snapshot_get(now, 1, "blks_hit_delta"));
    assert_null(snapshot_get(now, 1, "blks_read_delta"));
    double hits, reads;
    assert_false(cache_interval_totals(now, &hits, &reads));
    snapshot_unref(prev);
    snapshot_unref(now);
}

static void test_busiest_tables_of_the_interval_come_first(void **state)
{
    (void)state;
    struct app app = { 0 };
    static const char *const cols[] = { "key", "table", "blks_hit", "blks_read" };
    /* big: most traffic ever, none now; hot: 1,000 blocks now; new: no
     * previous reading. */
    const char *before[] = { "10", "public.big", "900000", "90000",
                             "11", "public.hot", "1000", "10",
                             "12", "public.warm", "500", "0" };
    const char *after[]  = { "10", "public.big", "900000", "90000",
                             "11", "public.hot", "1900", "110",
                             "12", "public.warm", "520", "0",
                             "13", "public.new", "5", "5" };
    struct snapshot *prev = table("table_cache", 100, NCOLS(cols), cols, 3, before);
    struct snapshot *now = table("table_cache", 105, NCOLS(cols), cols, 4, after);
    derive_table_cache(&app, now, prev);
    assert_string_equal(snapshot_get(now, 0, "table"), "public.hot");
    assert_near(num(now, 0, "traffic"), 1000);
    assert_near(num(now, 0, "hit_percent"), 90);
    assert_near(num(now, 0, "rank"), 1);
    assert_string_equal(snapshot_get(now, 1, "table"), "public.warm");
    assert_string_equal(snapshot_get(now, 2, "table"), "public.big");
    assert_near(num(now, 2, "traffic"), 0);
    /* Unknown interval last, whatever its totals. */
    assert_string_equal(snapshot_get(now, 3, "table"), "public.new");
    assert_null(snapshot_get(now, 3, "traffic"));
    assert_near(num(now, 3, "rank"), 4);
    /* The cells moved with their rows. */
    assert_string_equal(snapshot_get(now, 0, "key"), "11");
    assert_near(num(now, 2, "blks_hit"), 900000);
    snapshot_unref(prev);
    snapshot_unref(now);
}

/* ---- Redis ----------------------------------------------------------------- */

static const char *const redis_cols[] = {
    "run_id", "uptime_in_seconds", "keyspace_hits", "keyspace_misses", "total_commands_processed",
    "instantaneous_ops_per_sec", "used_memory", "maxmemory", "evicted_keys", "expired_keys",
    "db0", "db3",
};

static struct snapshot *redis_info(double at, const char *run_id, const char *uptime, const char *hits,
                                   const char *misses, const char *commands, const char *maxmemory)
{
    const char *cells[] = { run_id, uptime, hits, misses, commands, "7", "1048576", maxmemory, "0", "4",
                            "keys=10,expires=2,avg_ttl=0", "keys=5,expires=0,avg_ttl=0" };
    return table("redis", at, NCOLS(redis_cols), redis_cols, 1, cells);
}

static void test_redis_hit_rate_over_the_interval_is_80_percent(void **state)
{
    (void)state;
    struct app app = { 0 };
    /* 800 GETs of keys that exist and 200 of keys that do not, plus the
     * 1,000 commands themselves and our INFO, in 4 s. */
    struct snapshot *prev = redis_info(100, "abc", "50", "1000", "1000", "5000", "0");
    struct snapshot *now = redis_info(104, "abc", "54", "1800", "1200", "6001", "0");
    derive_redis(&app, now, prev);
    assert_near(num(now, 0, "hit_percent"), 80);
    assert_near(num(now, 0, "lookups"), 1000);
    assert_near(num(now, 0, "hits_delta"), 800);
    assert_near(num(now, 0, "misses_delta"), 200);
    assert_near(num(now, 0, "hit_percent_total"), 60);   /* 1800 / 3000 */
    assert_near(num(now, 0, "ops_per_sec"), 250);        /* (1001 - our INFO) / 4 s */
    assert_near(num(now, 0, "keys"), 15);
    assert_near(num(now, 0, "expired_delta"), 0);
    const struct series *s = app_series(&app, SERIES_REDIS_HIT);
    assert_non_null(s);
    assert_near(series_at(s, 0), 80);
    snapshot_unref(prev);
    snapshot_unref(now);
}

static void test_redis_since_start_on_a_fresh_server(void **state)
{
    (void)state;
    struct app app = { 0 };
    struct snapshot *now = redis_info(100, "abc", "3", "800", "200", "1010", "0");
    derive_redis(&app, now, NULL);
    assert_near(num(now, 0, "hit_percent_total"), 80);
    /* No interval yet: ops/s is Redis's own estimate. */
    assert_null(snapshot_get(now, 0, "hit_percent"));
    assert_near(num(now, 0, "ops_per_sec"), 7);
    assert_null(app_series(&app, SERIES_REDIS_HIT));
    snapshot_unref(now);
}

static void test_redis_with_no_lookups_has_no_ratio(void **state)
{
    (void)state;
    struct app app = { 0 };
    struct snapshot *prev = redis_info(100, "abc", "50", "0", "0", "10", "0");
    struct snapshot *now = redis_info(101, "abc", "51", "0", "0", "11", "0");
    derive_redis(&app, now, prev);
    assert_null(snapshot_get(now, 0, "hit_percent"));
    assert_null(snapshot_get(now, 0, "hit_percent_total"));
    assert_near(num(now, 0, "lookups"), 0);
    assert_near(num(now, 0, "ops_per_sec"), 0);
    /* An idle interval leaves a gap in the sparkline, not a zero. */
    assert_true(isnan(series_at(app_series(&app, SERIES_REDIS_HIT), 0)));
    snapshot_unref(prev);
    snapshot_unref(now);
}

static void test_redis_restart_or_resetstat_makes_the_interval_unknown(void **state)
{
    (void)state;
    struct app app = { 0 };
    /* A restart (new run_id) with counters that happen to be higher. */
    struct snapshot *prev = redis_info(100, "abc", "50", "1000", "1000", "5000", "0");
    struct snapshot *now = redis_info(101, "def", "1", "1900", "1100", "6000", "0");
    derive_redis(&app, now, prev);
    assert_null(snapshot_get(now, 0, "hit_percent"));
    assert_null(snapshot_get(now, 0, "lookups"));
    snapshot_unref(prev);
    snapshot_unref(now);
    /* CONFIG RESETSTAT: same server, counters back near zero. */
    prev = redis_info(100, "abc", "50", "1000", "1000", "5000", "0");
    now = redis_info(101, "abc", "51", "8", "2", "12", "0");
    derive_redis(&app, now, prev);
    assert_null(snapshot_get(now, 0, "hit_percent"));
    assert_near(num(now, 0, "hit_percent_total"), 80);
    snapshot_unref(prev);
    snapshot_unref(now);
}

static void test_redis_memory_fraction_only_with_a_limit(void **state)
{
    (void)state;
    struct snapshot *s = redis_info(100, "abc", "1", "0", "0", "1", "0");
    derive_redis(NULL, s, NULL);
    assert_null(snapshot_get(s, 0, "memory_fraction"));
    snapshot_unref(s);
    s = redis_info(100, "abc", "1", "0", "0", "1", "4194304");
    derive_redis(NULL, s, NULL);
    assert_near(num(s, 0, "memory_fraction"), 0.25);
    snapshot_unref(s);
}

/* ---- PgBouncer ------------------------------------------------------------- */

static void test_pgbouncer_pools_of_1_18_and_1_21_give_the_same_figures(void **state)
{
    (void)state;
    /* 1.18: cl_cancel_req; 1.21: split in two; both have maxwait_us. */
    static const char *const v118[] = { "database", "user", "cl_active", "cl_waiting", "cl_cancel_req",
                                        "sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login",
                                        "maxwait", "maxwait_us", "pool_mode" };
    static const char *const v121[] = { "database", "user", "cl_active", "cl_waiting",
                                        "cl_active_cancel_req", "cl_waiting_cancel_req", "sv_active",
                                        "sv_active_cancel", "sv_being_canceled", "sv_idle", "sv_used",
                                        "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode" };
    const char *a[] = { "app", "web", "3", "2", "1", "3", "1", "0", "0", "0", "1", "500000", "transaction" };
    const char *b[] = { "app", "web", "3", "2", "1", "0", "3", "0", "0", "1", "0", "0", "0", "1",
                        "500000", "transaction" };
    struct snapshot *old = table("pgbouncer_pools", 1, NCOLS(v118), v118, 1, a);
    struct snapshot *new = table("pgbouncer_pools", 1, NCOLS(v121), v121, 1, b);
    derive_pgbouncer_pools(NULL, old, NULL);
    derive_pgbouncer_pools(NULL, new, NULL);
    struct snapshot *both[] = { old, new };
    for (int i = 0; i < 2; i++) {
        assert_string_equal(snapshot_get(both[i], 0, "pool"), "app/web");
        assert_string_equal(snapshot_get(both[i], 0, "key"), "app/web");
        assert_near(num(both[i], 0, "maxwait_seconds"), 1.5);
        assert_near(num(both[i], 0, "clients"), 6);
        assert_near(num(both[i], 0, "servers"), 4);
        assert_near(num(both[i], 0, "cl_waiting"), 2);
    }
    snapshot_unref(old);
    snapshot_unref(new);
}

static void test_pgbouncer_pools_without_a_column_still_have_it(void **state)
{
    (void)state;
    /* An old PgBouncer: no maxwait_us, no sv_used. */
    static const char *const cols[] = { "database", "user", "cl_active", "cl_waiting", "sv_active",
                                        "sv_idle", "maxwait" };
    const char *cells[] = { "app", "web", "1", "0", "1", "0", "2" };
    struct snapshot *s = table("pgbouncer_pools", 1, NCOLS(cols), cols, 1, cells);
    derive_pgbouncer_pools(NULL, s, NULL);
    assert_int_not_equal(snapshot_column(s, "sv_used"), -1);
    assert_null(snapshot_get(s, 0, "sv_used"));
    assert_near(num(s, 0, "maxwait_seconds"), 2);
    snapshot_unref(s);
}

static void test_pgbouncer_query_rate_from_either_counter_name(void **state)
{
    (void)state;
    /* Before 1.8 the counter was total_requests. */
    static const char *const old_cols[] = { "database", "total_requests", "total_query_time" };
    static const char *const new_cols[] = { "database", "total_query_count", "total_xact_count",
                                            "total_query_time" };
    const char *o1[] = { "app", "1000", "0" }, *o2[] = { "app", "1600", "0" };
    const char *n1[] = { "app", "1000", "500", "2000000" }, *n2[] = { "app", "1600", "800", "2600000" };
    struct snapshot *op = table("pgbouncer_stats", 10, NCOLS(old_cols), old_cols, 1, o1);
    struct snapshot *on = table("pgbouncer_stats", 12, NCOLS(old_cols), old_cols, 1, o2);
    struct snapshot *np = table("pgbouncer_stats", 10, NCOLS(new_cols), new_cols, 1, n1);
    struct snapshot *nn = table("pgbouncer_stats", 12, NCOLS(new_cols), new_cols, 1, n2);
    derive_pgbouncer_stats(NULL, op, NULL);
    derive_pgbouncer_stats(NULL, on, op);
    derive_pgbouncer_stats(NULL, np, NULL);
    derive_pgbouncer_stats(NULL, nn, np);
    assert_near(num(on, 0, "query_rate"), 300);
    assert_near(num(nn, 0, "query_rate"), 300);
    assert_near(num(nn, 0, "xact_rate"), 150);
    assert_near(num(nn, 0, "avg_query_ms"), 1);     /* 600,000 us / 600 queries */
    assert_null(snapshot_get(np, 0, "query_rate"));
    snapshot_unref(op);
    snapshot_unref(on);
    snapshot_unref(np);
    snapshot_unref(nn);
}

/* ---- pool usage ------------------------------------------------------------- */

static void test_pool_usage_is_all_connections_against_usable_slots(void **state)
{
    (void)state;
    static const char *const ccols[] = { "kind", "key", "name", "total" };
    const char *crows[] = { "all", "all:all connections", "all connections", "27",
                            "state", "state:idle", "idle", "20" };
    static const char *const scols[] = { "max_connections", "usable_connections" };
    const char *srow[] = { "100", "97" };
    struct snapshot *c = table("connections", 1, NCOLS(ccols), ccols, 2, crows);
    struct snapshot *s = table("settings", 1, NCOLS(scols), scols, 1, srow);
    double used, usable;
    assert_true(pool_usage(c, s, &used, &usable));
    assert_near(used, 27);
    assert_near(usable, 97);
    assert_false(pool_usage(c, NULL, &used, &usable));
    struct snapshot *failed = snapshot_failed("settings", "permission denied");
    assert_false(pool_usage(c, failed, &used, &usable));
    snapshot_unref(failed);
    snapshot_unref(c);
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_delta_is_the_increase),
        cmocka_unit_test(test_counter_that_went_backwards_is_unknown),
        cmocka_unit_test(test_hit_percent_of_800_hits_and_200_misses_is_80),
        cmocka_unit_test(test_cache_hit_severity_needs_traffic_and_halves_for_critical),
        cmocka_unit_test(test_pool_is_critical_at_95_percent_or_the_warning_if_higher),
        cmocka_unit_test(test_database_interval_hit_ratio_comes_from_deltas),
        cmocka_unit_test(test_first_database_snapshot_has_no_interval),
        cmocka_unit_test(test_stats_reset_makes_the_interval_unknown),
        cmocka_unit_test(test_busiest_tables_of_the_interval_come_first),
        cmocka_unit_test(test_redis_hit_rate_over_the_interval_is_80_percent),
        cmocka_unit_test(test_redis_since_start_on_a_fresh_server),
        cmocka_unit_test(test_redis_with_no_lookups_has_no_ratio),
        cmocka_unit_test(test_redis_restart_or_resetstat_makes_the_interval_unknown),
        cmocka_unit_test(test_redis_memory_fraction_only_with_a_limit),
        cmocka_unit_test(test_pgbouncer_pools_of_1_18_and_1_21_give_the_same_figures),
        cmocka_unit_test(test_pgbouncer_pools_without_a_column_still_have_it),
        cmocka_unit_test(test_pgbouncer_query_rate_from_either_counter_name),
        cmocka_unit_test(test_pool_usage_is_all_connections_against_usable_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
