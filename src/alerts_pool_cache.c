/* Alert rules about connections and caches (first cut: none yet). */
#include "alerts.h"

int alert_pool(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int alert_cache_hit(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int alert_replica_lag(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int perf_pool_cache(const struct app *app, struct perfdata *out, int max) { (void)app; (void)out; (void)max; return 0; }
