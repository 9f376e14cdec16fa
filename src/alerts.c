#include <stdarg.h>
#include <stdio.h>

#include "alerts.h"

static const alert_rule rules[] = {
    alert_slow_queries,
    alert_pool,
    alert_cache_hit,
    alert_replica_lag,
    alert_stale_views,
    alert_partitions,
    alert_invalid_indexes,
    alert_disk_full,
};

static const perf_rule perf_rules[] = {
    perf_activity,
    perf_pool_cache,
    perf_storage,
    perf_host,
};

void alert_set(struct alert *a, enum alert_level level, const char *name, const char *fmt, ...)
{
    a->level = level;
    snprintf(a->name, sizeof a->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->text, sizeof a->text, fmt, ap);
    va_end(ap);
}

int alerts_evaluate(const struct app *app, struct alert *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0] && n < max; i++)
        n += rules[i](app, out + n, max - n);
    /* Worst first, rule order within a level (a stable insertion sort): a
     * narrow alert line shows the critical ones. */
    for (int i = 1; i < n; i++) {
        struct alert a = out[i];
        int j = i;
        while (j > 0 && out[j - 1].level < a.level) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = a;
    }
    return n;
}

int alerts_perfdata(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof perf_rules / sizeof perf_rules[0] && n < max; i++)
        n += perf_rules[i](app, out + n, max - n);
    return n;
}
