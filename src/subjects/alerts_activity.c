/* Alert rules about sessions: slow queries. */
#include <math.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"

int alert_slow_queries(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *a = app_snapshot(app, "activity");
    if (!a || a->error || max < 1)
        return 0;
    double limit = app->cfg->alerts.slow_query_ms / 1000.0;
    int slow = 0, worst = -1;
    double worst_d = 0;
    for (int r = 0; r < a->nrows; r++) {
        const char *state = snapshot_get(a, r, "state");
        double d = snapshot_number(a, r, "duration", 0);
        if (state && strcmp(state, "active") == 0 && d > limit) {
            slow++;
            if (d > worst_d) {
                worst_d = d;
                worst = r;
            }
        }
    }
    if (!slow)
        return 0;
    /* Ten times the threshold is an outage in the making. */
    alert_set(out, worst_d > 10 * limit ? ALERT_CRITICAL : ALERT_WARNING, "slow_query",
              "%d slow quer%s (pid %s running %.1f s > %.0f ms)", slow, slow == 1 ? "y" : "ies",
              snapshot_get(a, worst, "pid"), worst_d, app->cfg->alerts.slow_query_ms);
    return 1;
}

int perf_activity(const struct app *app, struct perfdata *out, int max)
{
    const struct snapshot *a = app_snapshot(app, "activity");
    if (!a || a->error || max < 2)
        return 0;
    double longest = 0;
    int active = 0;
    for (int r = 0; r < a->nrows; r++) {
        const char *state = snapshot_get(a, r, "state");
        if (state && strcmp(state, "active") == 0) {
            active++;
            double d = snapshot_number(a, r, "duration", 0);
            if (d > longest)
                longest = d;
        }
    }
    struct perfdata *p = &out[0];
    snprintf(p->label, sizeof p->label, "active_queries");
    p->value = active;
    p->unit[0] = '\0';
    p->warn = p->crit = NAN;
    p = &out[1];
    snprintf(p->label, sizeof p->label, "longest_query");
    p->value = longest;
    snprintf(p->unit, sizeof p->unit, "s");
    p->warn = app->cfg->alerts.slow_query_ms / 1000.0;
    p->crit = p->warn * 10;
    return 2;
}
