/* Stale data in the core: what a front end shows of a collector whose
 * latest run failed, when that data counts as stale (two cadences), and
 * the cadences that is counted in (the catalog tier's: catalog_interval),
 * alerts found in stale data marked with the time of that data, on
 * hand-built collectors (no servers: the app has no pools, so its sources
 * count as down unless a test says otherwise). */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/alerts.h"
#include "core/app.h"
#include "base/clock.h"
#include "core/collector.h"
#include "subjects/pool.h"
#include "base/xalloc.h"

static const char *const activity_columns[] = { "pid", "state", "duration" };

struct fixture {
    struct app    app;
    struct config cfg;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->cfg.alerts.slow_query_ms = 1000;
    f->cfg.alerts.pool_percent = 90;
    f->cfg.alerts.cache_hit_percent = 70;
    f->app.cfg = &f->cfg;
    f->app.interval = 1;
    collectors_init(&f->app);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    collectors_free(&f->app);
    free(f);
    return 0;
}

static struct collector *collector(struct fixture *f, const char *name)
{
    struct collector *c = collector_find(&f->app, name);
    assert_non_null(c);
    return c;
}

/* An activity snapshot with one active query running `seconds`. */
static struct snapshot *activity(double seconds, double taken_at)
{
    struct snapshot *s = snapshot_new("activity", 3, activity_columns);
    char duration[32];
    snprintf(duration, sizeof duration, "%.1f", seconds);
    const char *row[] = { "4242", "active", duration };
    snapshot_add_row(s, row);
    s->taken_at = taken_at;
    return s;
}

/* Put s in the collector as if published `age` seconds ago and as the last
 * one with data (as collector_publish does), the latest run being `now`
 * (NULL: s itself). */
static void published(struct collector *c, struct snapshot *s, double age, struct snapshot *now)
{
    c->last_good = s;
    c->good_at = now_monotonic() - age;
    c->current = now ? now : snapshot_ref(s);
}

static void test_a_failed_run_leaves_the_last_data_shown(void **state)
{
    struct fixture *f = *state;
    struct collector *c = collector(f, "connections");
    const char *cols[] = { "kind" };
    struct snapshot *good = snapshot_new("connections", 1, cols);
    const char *row[] = { "all" };
    snapshot_add_row(good, row);
    c->started = now_monotonic();
    collector_publish(c, good);
    assert_ptr_equal(collector_shown(c), good);
    assert_ptr_equal(collectors_shown(&f->app, "connections"), good);

    collector_publish(c, snapshot_failed("connections", "primary not connected"));
    /* The rules and --once see the failure; the screen keeps the data. */
    assert_non_null(collectors_snapshot(&f->app, "connections")->error);
    assert_ptr_equal(collectors_shown(&f->app, "connections"), good);
    assert_int_equal(collectors_shown(&f->app, "connections")->nrows, 1);
}

static void test_a_failure_with_no_data_before_is_shown_as_it_is(void **state)
{
    struct fixture *f = *state;
    struct collector *c = collector(f, "settings");
    c->started = now_monotonic();
    collector_publish(c, snapshot_failed("settings", "permission denied"));
    assert_string_equal(collector_shown(c)->error, "permission denied");
    /* An error is no data: nothing to call stale. */
    assert_true(collector_stale_as_of(c, now_monotonic() + 3600) == 0);
}

static void test_data_is_stale_after_two_cadences(void **state)
{
    struct fixture *f = *state;
    struct collector *c = collector(f, "activity");     /* cadence: the interval */
    struct snapshot *s = activity(0.1, 1700000000);
    published(c, s, 0, NULL);
    double now = now_monotonic();
    assert_true(collector_stale_as_of(c, now + 1.9) == 0);
    assert_true(collector_stale_as_of(c, now + 2.1) == 1700000000);
    /* A slower refresh: twice 5 s. */
    f->app.interval = 5;
    assert_true(collector_stale_as_of(c, now + 9.9) == 0);
    assert_true(collector_stale_as_of(c, now + 10.1) == 1700000000);
    /* A collector of the catalog tier (views): twice [display]
     * catalog_interval, 30 s when none is set. */
    struct collector *v = collector(f, "views");
    const char *cols[] = { "name" };
    published(v, snapshot_new("views", 1, cols), 0, NULL);
    f->app.interval = 1;
    assert_true(collector_stale_as_of(v, now + 59) == 0);
    assert_true(collector_stale_as_of(v, now + 61) > 0);
    f->cfg.catalog_interval = 10;
    assert_true(collector_stale_as_of(v, now + 19) == 0);
    assert_true(collector_stale_as_of(v, now + 21) > 0);
}

/* The catalog tier's cadence is the setting's, its cadence while wanted
 * (the cache pane's t view) its own, and never under the refresh
 * interval. */
static void test_the_catalog_tier_follows_catalog_interval(void **state)
{
    struct fixture *f = *state;
    struct collector *t = collector(f, "table_cache");
    const char *const tier[] = { "table_cache", "views", "indexes", "partitions", "locks", "index_progress" };
    for (size_t i = 0; i < sizeof tier / sizeof tier[0]; i++)
        assert_true(collector_cadence(collector(f, tier[i])) == CONFIG_CATALOG_INTERVAL);
    f->cfg.catalog_interval = 45;
    for (size_t i = 0; i < sizeof tier / sizeof tier[0]; i++)
        assert_true(collector_cadence(collector(f, tier[i])) == 45);
    /* The others keep their own. */
    assert_true(collector_cadence(collector(f, "database_cache")) == 5);
    assert_true(collector_cadence(collector(f, "index_health")) == 60);
    collector_want(&f->app, "table_cache", true);
    assert_true(collector_cadence(t) == 10);
    collector_want(&f->app, "table_cache", false);
    assert_true(collector_cadence(t) == 45);
    f->cfg.catalog_interval = 2;
    f->app.interval = 5;
    assert_true(collector_cadence(t) == 5);
}

static void test_an_alert_from_stale_data_says_as_of_when(void **state)
{
    struct fixture *f = *state;
    struct collector *c = collector(f, "activity");
    published(c, activity(3.5, 1700000000), 10, NULL);     /* 10 s > 2 x 1 s */
    struct alert a[8];
    int n = alerts_evaluate(&f->app, a, 8);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].name, "slow_query");
    assert_true(a[0].as_of == 1700000000);
    assert_true(alerts_as_of(&f->app) == 1700000000);
    alerts_free(a, n);
}

static void test_an_alert_from_a_server_that_is_down_is_not_current(void **state)
{
    struct fixture *f = *state;
    /* Fresh (0.1 s old), but its server is down (this app has no pool):
     * until the next run fails it is the last known, not the present. */
    published(collector(f, "activity"), activity(3.5, 1700000100), 0.1, NULL);
    struct alert a[8];
    int n = alerts_evaluate(&f->app, a, 8);
    assert_int_equal(n, 1);
    assert_true(a[0].as_of == 1700000100);
    alerts_free(a, n);
}

static void test_a_failed_latest_run_raises_nothing_from_the_old_data(void **state)
{
    struct fixture *f = *state;
    published(collector(f, "activity"), activity(3.5, 1700000000), 10,
              snapshot_failed("activity", "primary not connected"));
    struct alert a[8];
    assert_int_equal(alerts_evaluate(&f->app, a, 8), 0);
    assert_true(alerts_as_of(&f->app) == 0);
}

static void test_primary_down_needs_a_primary(void **state)
{
    struct fixture *f = *state;
    struct alert a[2];
    f->app.servers[SERVER_PRIMARY].down_since = 1700000000;
    /* No pool at all is a configuration matter, not a down server. */
    assert_int_equal(alert_primary_down(&f->app, a, 2), 0);
}

static void test_clock_time_local_is_hh_mm_ss(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(clock_time_local(1700000000 + 0.9, buf, sizeof buf), "22:13:20");
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_a_failed_run_leaves_the_last_data_shown),
        T(test_a_failure_with_no_data_before_is_shown_as_it_is),
        T(test_data_is_stale_after_two_cadences),
        T(test_the_catalog_tier_follows_catalog_interval),
        T(test_an_alert_from_stale_data_says_as_of_when),
        T(test_an_alert_from_a_server_that_is_down_is_not_current),
        T(test_a_failed_latest_run_raises_nothing_from_the_old_data),
        T(test_primary_down_needs_a_primary),
        T(test_clock_time_local_is_hh_mm_ss),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
