#ifndef PGDECK_FRONTEND_H
#define PGDECK_FRONTEND_H

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

#endif
