/* The partitions subject: every partitioned table (nested ones too), how
 * far ahead its time partitions reach, what lies past the configured
 * retention, rows in its default partition and how fast the current
 * partition grows (partitions_derive.c); the alerts on those (next month
 * must exist, the default partition stays empty, growth); maintenance (m,
 * :maintain, run partitions) in partitions_actions.c. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "subjects/partitions.h"
#include "subjects/tables.h"
#include "base/xalloc.h"

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

/* ---- alerts ------------------------------------------------------------------- */

/* The growth alert: the current partition, projected to its end, is this
 * many times the largest earlier partition of the same width, and big
 * enough to matter. */
#define GROWTH_RATIO        2.0
#define GROWTH_MIN_BYTES    (64.0 * 1024 * 1024)

static const struct snapshot *usable(const struct app *app, const char *name)
{
    const struct snapshot *s = collectors_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

static bool is_false(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v && strcmp(v, "f") == 0;
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

static int perf_partitions(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
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
        alert_perf(&out[n++], "default_partition_rows", default_rows, "", 1, NAN);
        if (!isnan(fewest))
            alert_perf(&out[n++], "partition_months_ahead", fewest, "", NAN, NAN);
    }
    return n;
}

/* ---- pg_partman ------------------------------------------------------------------ */

int partitions_partman_row(const struct app *app, const char *schema, const char *table)
{
    const struct snapshot *pm = usable(app, "partman");
    for (int r = 0; pm && schema && table && r < pm->nrows; r++) {
        const char *s = snapshot_get(pm, r, "schema"), *t = snapshot_get(pm, r, "table");
        if (s && t && strcmp(s, schema) == 0 && strcmp(t, table) == 0)
            return r;
    }
    return -1;
}

/* ---- the subject ---------------------------------------------------------------- */

static const struct collector_def collectors[] = {
    { .name = "partitions", .source = SERVER_PRIMARY, .query = "queries/partitions.sql",
      .catalog = true, .derive = derive_partitions, .run = partitions_run,
      .free_state = partitions_free_state },
    /* pg_partman's part_config, when installed: who maintains what. */
    { .name = "partman", .source = SERVER_PRIMARY, .query = "queries/partman.sql", .cadence = 60,
      .alone = true },
};

static const struct action_def *const actions[] = {
    &action_maintain,
    &action_analyze,
};

static const struct alert_rule alerts[] = {
    { alert_partitions, { "partitions" } },
};

const struct subject subject_partitions = {
    .name = "partitions",
    .title = "Partitions",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ACTIONS(actions),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_partitions,
};
