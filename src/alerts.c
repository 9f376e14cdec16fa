#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "app.h"

/* First cut: the slow-query rule. */
int alerts_evaluate(const struct app *app, struct alert *out, int max)
{
    int n = 0;
    const struct snapshot *a = app_snapshot(app, "activity");
    if (a && !a->error && n < max) {
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
        if (slow) {
            struct alert *al = &out[n++];
            al->level = ALERT_WARNING;
            snprintf(al->name, sizeof al->name, "slow_query");
            snprintf(al->text, sizeof al->text, "%d slow quer%s (pid %s %.1f s > %.0f ms)",
                     slow, slow == 1 ? "y" : "ies", snapshot_get(a, worst, "pid"), worst_d,
                     app->cfg->alerts.slow_query_ms);
        }
    }
    return n;
}

int alerts_perfdata(const struct app *app, struct perfdata *out, int max)
{
    (void)app;
    (void)out;
    (void)max;
    return 0;
}
