/* Alert rules about views, partitions and indexes (first cut: none yet). */
#include "alerts.h"

int alert_stale_views(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int alert_partitions(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int alert_invalid_indexes(const struct app *app, struct alert *out, int max) { (void)app; (void)out; (void)max; return 0; }
int perf_storage(const struct app *app, struct perfdata *out, int max) { (void)app; (void)out; (void)max; return 0; }
