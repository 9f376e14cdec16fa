/* pgdeck --from REDIS_URL [--name NAME]: the console fed from an agent's
 * streams, or the fleet of agents, with no database connection at all.
 *
 * main opens the app without connections (app_init sees cfg->from), then
 * this sets up what the console reads instead: the feed (Redis Streams
 * into the collectors, core/stream_feed.c) and the forwarder that takes
 * the action keys to the agent (core/stream_forward.c).  The console
 * itself (ui/) is the same as for a database: same panes, keys, filters
 * and themes. */
#include <stdio.h>

#include "core/app.h"
#include "core/config.h"
#include "core/stream_feed.h"
#include "core/stream_forward.h"
#include "front/frontend.h"
#include "base/textout.h"

int frontend_viewer_start(struct app *app)
{
    const struct config *cfg = app->cfg;
    char err[512];
    struct stream_feed *feed = stream_feed_start(app, cfg->from, cfg->agent_name, err, sizeof err);
    if (!feed) {
        textout_line(stderr, "pgdeck: --from: %s", err);
        return -1;
    }
    stream_forward_start(app, feed);
    return 0;
}
