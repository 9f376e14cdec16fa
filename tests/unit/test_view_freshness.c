/* View freshness without the kit (issue 16, part 2): the trust order of
 * the sources of a refresh time (the kit's log, pgdeck's journal for the
 * same view, pgdeck's tracking, an estimate from the view file's time),
 * each labelled; an estimate is shown with ≈, never as a refresh time;
 * "unknown" when nothing is known; the stale alert counts known and
 * estimated ages and says which. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/snapshot.h"
#include "subjects/views.h"

#define NOW 1800000000.0

static const char *const view_columns[] = {
    "name", "populated", "log_installed", "log_finished", "track_installed", "track_finished", "track_started",
    "file_mtime", "server_now", "object_key",
};
#define VIEW_COLUMNS ((int)(sizeof view_columns / sizeof view_columns[0]))

static void add_view(struct snapshot *s, const char *name, const char *log, double log_finished,
                     const char *tracking, double tracked, double mtime)
{
    char lf[32], tf[32], ts[32], mt[32], now[32], key[32];
    snprintf(key, sizeof key, "111/5/%d", s->nrows + 1);
    snprintf(lf, sizeof lf, "%.3f", log_finished);
    snprintf(tf, sizeof tf, "%.3f", tracked);
    snprintf(ts, sizeof ts, "%.3f", tracked - 4);
    snprintf(mt, sizeof mt, "%.0f", mtime);
    snprintf(now, sizeof now, "%.3f", NOW);
    const char *values[VIEW_COLUMNS] = {
        name, "t", log, isnan(log_finished) ? NULL : lf, tracking, isnan(tracked) ? NULL : tf,
        isnan(tracked) ? NULL : ts, isnan(mtime) ? NULL : mt, now, key,
    };
    snapshot_add_row(s, values);
}

/* The journal knows rows 2 and 3 (keys 3 and 4): pgdeck refreshed them 3 h
 * ago. */
static bool journal(const struct app *app, const char *key, struct view_refresh_record *out)
{
    (void)app;
    if (strcmp(key, "111/5/3") == 0 || strcmp(key, "111/5/4") == 0) {
        out->finished_at = NOW - 3 * 3600;
        out->duration = 1;
        return true;
    }
    return false;
}

static const char *cell(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v ? v : "";
}

static struct snapshot *views(void)
{
    struct snapshot *s = snapshot_new("views", VIEW_COLUMNS, view_columns);
    /* 0: the kit's log knows it; tracking and the file say otherwise. */
    add_view(s, "public.kit", "t", NOW - 600, "t", NOW - 60, NOW - 30);
    /* 1: tracked 20 min ago; the file was written later (a checkpoint). */
    add_view(s, "public.tracked", "f", NAN, "t", NOW - 1200, NOW - 10);
    /* 2: pgdeck refreshed it 3 h ago, and someone else 5 min ago. */
    add_view(s, "public.both", "f", NAN, "t", NOW - 300, NOW - 10);
    /* 3: pgdeck's journal only. */
    add_view(s, "public.journal", "f", NAN, "f", NAN, NOW - 10);
    /* 4: nothing but its file, written 5 h ago. */
    add_view(s, "public.estimated", "f", NAN, "f", NAN, NOW - 5 * 3600);
    /* 5: nothing at all (pg_stat_file not allowed). */
    add_view(s, "public.unknown", "f", NAN, "f", NAN, NAN);
    derive_views_at(s, 4, NOW, journal, NULL);
    return s;
}

static void test_trust_order_and_labels(void **state)
{
    (void)state;
    struct snapshot *s = views();
    assert_string_equal(cell(s, 0, "refresh_known_from"), "log");
    assert_string_equal(cell(s, 0, "age_text"), "10m00s");
    assert_string_equal(cell(s, 1, "refresh_known_from"), "tracking");
    assert_string_equal(cell(s, 1, "age_text"), "20m00s");
    assert_string_equal(cell(s, 1, "refresh_duration"), "4.000");
    /* The journal is trusted first, but a later tracked refresh is the
     * last one. */
    assert_string_equal(cell(s, 2, "refresh_known_from"), "tracking");
    assert_string_equal(cell(s, 2, "age_text"), "5m00s");
    assert_string_equal(cell(s, 3, "refresh_known_from"), "journal");
    assert_string_equal(cell(s, 3, "age_text"), "3h00m");
    snapshot_unref(s);
}

static void test_estimate_is_marked_and_never_a_refresh_time(void **state)
{
    (void)state;
    struct snapshot *s = views();
    assert_string_equal(cell(s, 4, "refresh_known_from"), "");
    assert_string_equal(cell(s, 4, "age_source"), "estimate");
    assert_string_equal(cell(s, 4, "age_estimated"), "t");
    assert_string_equal(cell(s, 4, "age_shown"), "\u2248 5 h");
    assert_string_equal(cell(s, 4, "last_refresh_at"), "");
    assert_string_equal(cell(s, 4, "last_refresh"), "");
    /* Older than the 4 h threshold: stale, on an estimate. */
    assert_string_equal(cell(s, 4, "stale"), "t");
    assert_string_equal(cell(s, 4, "state"), "STALE");
    /* Nothing known: unknown, not stale, no age shown. */
    assert_string_equal(cell(s, 5, "state"), "unknown");
    assert_string_equal(cell(s, 5, "stale"), "");
    assert_string_equal(cell(s, 5, "age_shown"), "");
    assert_string_equal(cell(s, 5, "age_source"), "");
    snapshot_unref(s);
}

static void test_stale_alert_says_estimated(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_new("views", VIEW_COLUMNS, view_columns);
    add_view(s, "public.estimated", "f", NAN, "f", NAN, NOW - 5 * 3600);
    add_view(s, "public.tracked", "f", NAN, "t", NOW - 6 * 3600, NOW - 10);
    add_view(s, "public.unknown", "f", NAN, "f", NAN, NAN);
    derive_views_at(s, 4, NOW, NULL, NULL);

    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alerts.view_age_hours = 4;
    struct app app;
    memset(&app, 0, sizeof app);
    app.cfg = &cfg;
    collectors_init(&app);
    collector_find(&app, "views")->current = s;
    struct alert out[2];
    memset(out, 0, sizeof out);
    assert_int_equal(alert_stale_views(&app, out, 2), 1);
    assert_non_null(strstr(out[0].text, "2 stale views"));
    assert_non_null(strstr(out[0].text, "public.estimated \u2248 5 h old (estimated from its file)"));
    assert_non_null(strstr(out[0].text, "public.tracked 6h00m old (tracking)"));
    assert_null(strstr(out[0].text, "public.unknown"));
    alerts_free(out, 1);
    collector_find(&app, "views")->current = NULL;
    collectors_free(&app);
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_order_and_labels),
        cmocka_unit_test(test_estimate_is_marked_and_never_a_refresh_time),
        cmocka_unit_test(test_stale_alert_says_estimated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
