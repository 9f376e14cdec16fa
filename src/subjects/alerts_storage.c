/* Alert rules about views, partitions and indexes: materialized views
 * older than the guide's 4 hours (or never refreshed, or not populated),
 * time partitions that do not reach far enough ahead (next month must
 * exist), rows that fell into a default partition, a partition growing
 * much faster than the ones before it, and INVALID indexes.  They read the
 * derived snapshots (derive_storage.c); each rule gives at most one alert
 * per kind, naming the first tables and counting the rest, so that one
 * database with many partitioned tables cannot flood the alert line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "subjects/derive_storage.h"
#include "base/xalloc.h"

/* The growth alert: the current partition, projected to its end, is this
 * many times the largest earlier partition of the same width, and big
 * enough to matter. */
#define GROWTH_RATIO        2.0
#define GROWTH_MIN_BYTES    (64.0 * 1024 * 1024)

static const struct snapshot *usable(const struct app *app, const char *name)
{
    const struct snapshot *s = app_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

static bool is_false(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v && strcmp(v, "f") == 0;
}

int alert_stale_views(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = usable(app, "views");
    if (!s || max < 1)
        return 0;
    struct alert_names n = { 0 };
    for (int r = 0; r < s->nrows; r++) {
        if (!snapshot_true(s, r, "stale"))
            continue;
        const char *name = snapshot_get(s, r, "name");
        double age = number(s, r, "age");
        char *item;
        if (!snapshot_true(s, r, "populated"))
            item = xasprintf("%s not populated", name);
        else if (isnan(age))
            item = xasprintf("%s never refreshed", name);
        else
            item = xasprintf("%s %s old", name, snapshot_get(s, r, "age_text"));
        alert_names_add(&n, item);
        free(item);
    }
    if (!n.count)
        return 0;
    int count = n.count;
    char *list = alert_names_take(&n);
    alert_set(out, ALERT_WARNING, "stale_views", "%d stale view%s (> %g h): %s", count,
              count == 1 ? "" : "s", app->cfg->alerts.view_age_hours, list);
    free(list);
    return 1;
}

int alert_partitions(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = usable(app, "partitions");
    if (!s || max < 1)
        return 0;
    double needed = app->cfg->alerts.partition_ahead_months;
    struct alert_names uncovered = { 0 }, ahead = { 0 }, defaults = { 0 }, growth = { 0 };
    bool inserts_fail = false, next_month = false;
    for (int r = 0; r < s->nrows; r++) {
        const char *name = snapshot_get(s, r, "name");
        char *item = NULL;
        if (is_false(s, r, "now_covered")) {
            alert_names_add(&uncovered, name);
            if (!snapshot_true(s, r, "has_default"))
                inserts_fail = true;
        } else if (is_false(s, r, "ahead_ok")) {
            double months = number(s, r, "months_ahead");
            double width = number(s, r, "partition_seconds");
            if (!isnan(width) && width < 27 * 86400.0)
                item = xasprintf("%s (%s ahead)", name, snapshot_get(s, r, "ahead"));
            else if (months == 0) {
                item = xstrdup(name);
                next_month = true;
            } else
                item = xasprintf("%s (%.0f mo ahead)", name, months);
            alert_names_add(&ahead, item);
            free(item);
        }
        if (snapshot_true(s, r, "default_flag")) {
            item = xasprintf("%s.%s ~%.0f", snapshot_get(s, r, "schema"),
                             snapshot_get(s, r, "default_name"), number(s, r, "default_rows"));
            alert_names_add(&defaults, item);
            free(item);
        }
        double ratio = number(s, r, "growth_ratio");
        double projected = number(s, r, "projected_bytes");
        if (!isnan(ratio) && ratio >= GROWTH_RATIO && !isnan(projected) && projected >= GROWTH_MIN_BYTES) {
            item = xasprintf("%s %.1fx", name, ratio);
            alert_names_add(&growth, item);
            free(item);
        }
    }
    int n = 0;
    bool only_next_month = next_month && ahead.count == 1;
    char *list;
    /* Every list is taken (and freed), whether there is room for its
     * alert or not. */
    list = alert_names_take(&uncovered);
    if (*list)
        alert_set(&out[n++], inserts_fail ? ALERT_CRITICAL : ALERT_WARNING, "partition_now",
                  "no partition for now%s: %s", inserts_fail ? " (inserts fail)" : " (rows go to default)", list);
    free(list);
    list = alert_names_take(&ahead);
    if (*list && n < max) {
        if (only_next_month)
            alert_set(&out[n++], ALERT_WARNING, "partition_ahead", "no partition for next month: %s", list);
        else
            alert_set(&out[n++], ALERT_WARNING, "partition_ahead",
                      "partitions ahead < %g month%s: %s", needed, needed == 1 ? "" : "s", list);
    }
    free(list);
    list = alert_names_take(&defaults);
    if (*list && n < max)
        alert_set(&out[n++], ALERT_WARNING, "partition_default", "rows in default partition: %s", list);
    free(list);
    list = alert_names_take(&growth);
    if (*list && n < max)
        alert_set(&out[n++], ALERT_WARNING, "partition_growth",
                  "partition growth: current partition on course for >= %.0fx the largest before: %s",
                  GROWTH_RATIO, list);
    free(list);
    return n;
}

int alert_invalid_indexes(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = usable(app, "indexes");
    if (!s || max < 1)
        return 0;
    struct alert_names n = { 0 };
    for (int r = 0; r < s->nrows; r++) {
        const char *status = snapshot_get(s, r, "status");
        if (status && strcmp(status, "INVALID") == 0)
            alert_names_add(&n, snapshot_get(s, r, "name"));
    }
    if (!n.count)
        return 0;
    int count = n.count;
    char *list = alert_names_take(&n);
    alert_set(out, ALERT_WARNING, "invalid_index", "%d INVALID index%s: %s", count,
              count == 1 ? "" : "es", list);
    free(list);
    return 1;
}

static void perf(struct perfdata *p, const char *label, double value, const char *unit, double warn)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    p->value = value;
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->warn = warn;
    p->crit = NAN;
}

int perf_storage(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    const struct snapshot *v = usable(app, "views");
    if (v && n < max) {
        int stale = 0;
        for (int r = 0; r < v->nrows; r++)
            stale += snapshot_true(v, r, "stale");
        perf(&out[n++], "stale_views", stale, "", 1);
    }
    const struct snapshot *p = usable(app, "partitions");
    if (p && n + 1 < max) {
        double default_rows = 0, fewest = NAN;
        for (int r = 0; r < p->nrows; r++) {
            double d = number(p, r, "default_rows");
            if (!isnan(d))
                default_rows += d;
            double m = number(p, r, "months_ahead");
            double width = number(p, r, "partition_seconds");
            if (!isnan(m) && (isnan(width) || width >= 27 * 86400.0) && (isnan(fewest) || m < fewest))
                fewest = m;
        }
        perf(&out[n++], "default_partition_rows", default_rows, "", 1);
        if (!isnan(fewest))
            perf(&out[n++], "partition_months_ahead", fewest, "", NAN);
    }
    const struct snapshot *i = usable(app, "indexes");
    if (i && n + 1 < max) {
        int invalid = 0, missing = 0;
        for (int r = 0; r < i->nrows; r++) {
            const char *status = snapshot_get(i, r, "status");
            invalid += status && strcmp(status, "INVALID") == 0;
            missing += status && strcmp(status, "missing") == 0;
        }
        perf(&out[n++], "invalid_indexes", invalid, "", 1);
        perf(&out[n++], "missing_indexes", missing, "", NAN);
    }
    return n;
}
