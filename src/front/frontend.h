#ifndef PGDECK_FRONTEND_H
#define PGDECK_FRONTEND_H

#include <uv.h>

struct app;

/* The non-interactive front ends.  Each runs the loop itself, uses the
 * same collectors and actions as the console, closes the app and returns
 * the process exit code.
 *   --once [--format text|json]  one snapshot of every pane (once.c)
 *   check                        alerts, exit 0 OK 1 WARNING 2 CRITICAL
 *                                3 UNKNOWN, with perfdata (check.c)
 *   run refresh|partitions|indexes  maintenance for cron (run.c) */
int frontend_once(struct app *app);
int frontend_check(struct app *app);
int frontend_run(struct app *app);
/*   agent                        collect headless and publish every
 *                                snapshot to Redis Streams; runs until
 *                                SIGTERM, SIGINT or SIGHUP (agent.c) */
int frontend_agent(struct app *app);

/* --from REDIS_URL [--name NAME]: make the app a viewer of an agent's
 * streams (or of the fleet) before the console starts: no database
 * connection, the collectors fed from Redis, the action keys sent to the
 * agent (viewer.c).  Returns 0, or -1 having said why on stderr. */
int frontend_viewer_start(struct app *app);

/* check --from: the fleet of agents read from Redis, with no database
 * connection at all, so it takes no app (check_from.c).  Exit codes as
 * check's. */
struct config;
int frontend_check_from(uv_loop_t *loop, const struct config *cfg);
/* A text made fit for a monitoring plugin's output (check.c): sanitized
 * (flags as sanitize()'s), folded to one line, '|' made '/' (it would
 * start the performance data).  Owned by the caller. */
char *check_plugin_text(const char *text, int flags);

#endif
