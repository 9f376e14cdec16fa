#ifndef PGDECK_FRONTEND_LOOP_H
#define PGDECK_FRONTEND_LOOP_H

#include <stdbool.h>
#include <stddef.h>

struct app;

/* The loop of the non-interactive front ends (--once, check): run the
 * app's collectors until every one has published once, or a deadline
 * passes, then close the app.  A collector that cannot run (its source is
 * down or not configured) publishes an error snapshot by itself, so the
 * wait normally ends as soon as the last answer is in. */

/* The longest wait that still makes sense: the connect timeout plus the
 * query timeout (the pool gives up on each by then) and a second of slack. */
double frontend_deadline(const struct app *app);

/* Run the loop until collectors_all_done() or `seconds` have passed; a
 * server that is not up by then counts as down (app_servers_given_up).
 * Returns true when every collector published. */
bool frontend_collect(struct app *app, double seconds);

/* Why the primary could not be reached, or NULL when it is up.  The
 * returned text is owned by the pool (or static) and valid until
 * frontend_close. */
const char *frontend_primary_down(const struct app *app);

/* Close every connection and let the loop free them. */
void frontend_close(struct app *app);

#endif
