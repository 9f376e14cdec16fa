/* Alert rules about the database host: a disk that, at the growth rate of
 * what it holds, is full within cfg->alerts.disk_full_days (critical
 * within a quarter of that).  The forecast itself is the sizes collector's
 * (collect_host.c, forecast.c); without host figures there is none, and
 * the rule stays silent rather than guess. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "subjects/collect_host.h"

/* The sizes row that fills its disk soonest, or -1. */
static int soonest(const struct snapshot *s, double *days)
{
    int best = -1;
    *days = INFINITY;
    for (int r = 0; r < s->nrows; r++) {
        double d = snapshot_number(s, r, "days_to_full", NAN);
        if (!isnan(d) && d < *days) {
            *days = d;
            best = r;
        }
    }
    return best;
}

int alert_disk_full(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = app_snapshot(app, "sizes");
    if (!s || s->error || max < 1)
        return 0;
    double horizon = app->cfg->alerts.disk_full_days;
    double days;
    int r = soonest(s, &days);
    if (r < 0 || !(days < horizon))
        return 0;
    char growth[16];
    host_compact_bytes(growth, sizeof growth, snapshot_number(s, r, "growth_per_day", NAN));
    const char *kind = snapshot_get(s, r, "kind");
    alert_set(out, days < horizon / 4 ? ALERT_CRITICAL : ALERT_WARNING, "disk_full",
              "disk full in %.1f days < %.0f: %s (%s %s grows %sB/day)",
              days, horizon, snapshot_get(s, r, "filesystem") ? snapshot_get(s, r, "filesystem") : "?",
              kind && strcmp(kind, "database") == 0 ? "database" : "table",
              snapshot_get(s, r, "name"), growth);
    return 1;
}

int perf_host(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    const struct snapshot *s = app_snapshot(app, "sizes");
    double days;
    if (s && !s->error && n < max && soonest(s, &days) >= 0) {
        struct perfdata *p = &out[n++];
        snprintf(p->label, sizeof p->label, "disk_full_days");
        p->value = days;
        p->unit[0] = '\0';
        p->warn = app->cfg->alerts.disk_full_days;
        p->crit = p->warn / 4;
    }
    const struct snapshot *d = app_snapshot(app, "disks");
    if (d && !d->error) {
        for (int r = 0; r < d->nrows && n < max; r++) {
            const char *kind = snapshot_get(d, r, "kind");
            double pct = snapshot_number(d, r, "used_percent", NAN);
            if (!kind || isnan(pct) || strcmp(kind, "tablespace") == 0)
                continue;
            struct perfdata *p = &out[n++];
            snprintf(p->label, sizeof p->label, "%s_used", strcmp(kind, "wal") == 0 ? "wal_disk" : "data_disk");
            p->value = pct;
            snprintf(p->unit, sizeof p->unit, "%%");
            p->warn = p->crit = NAN;
        }
    }
    return n;
}
