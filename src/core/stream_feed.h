#ifndef PGDECK_STREAM_FEED_H
#define PGDECK_STREAM_FEED_H

#include <stdbool.h>
#include <stdio.h>

#include <hiredis.h>

#include "core/stream_fleet.h"

/* A viewer's feed: the console fed from an agent's streams, with no
 * database connection at all (pgdeck --from REDIS_URL [--name NAME]).
 *
 * Watching an agent, it paints from the newest entry of each collector's
 * stream (XREVRANGE ... COUNT 1), then blocks on all of them with the last
 * ids (XREAD BLOCK), and every entry it reads becomes that collector's
 * snapshot (collector_receive): the app's collector engine runs nothing
 * (app->fed).  It reads the agent's heartbeats from pgdeck:fleet (and its
 * last summary from pgdeck:fleet:agents): the servers it shows are the
 * agent's (server_set_remote), and an agent that misses three heartbeats
 * is silent.  Without a name it shows the fleet: every agent's newest
 * summary as the "fleet" collector's snapshot, one row per agent; the
 * console can then turn to one agent and back (stream_feed_switch).
 *
 * Two Redis connections: one blocks in XREAD, the other asks everything
 * else (the first paint, TIME for Redis's clock, ACL WHOAMI, the action
 * requests of stream_forward.c).  The XREAD blocks for less than the
 * connection's command timeout (redisconn drops a connection whose reply
 * is later than that); a switch unblocks it at once (CLIENT UNBLOCK).
 * Redis going away is retried with backoff by redisconn; when it is back
 * the feed paints again from the newest entries.
 *
 * Everything read is untrusted (stream.h's readers): an entry that cannot
 * be read leaves the pane's data as it was, and is said on the alert line
 * (stream_feed_refused) until that stream's next good entry.
 *
 * Data is current while Redis's now minus the entry's ID time is less
 * than the entry's keep-alive plus its cadence (the agent sends again
 * within its keep-alive even when nothing changed); older, the pane marks
 * it stale as the console marks data from a server that stopped
 * answering. */

struct app;
struct stream_feed;

/* Start reading Redis at `url` for agent `name`, or for the fleet when
 * `name` is NULL: sets app->fed, app->feed and app->on_close (the feed
 * closes with the app).  NULL with a message in err when the URL cannot be
 * read. */
struct stream_feed *stream_feed_start(struct app *app, const char *url, const char *name, char *err,
                                      size_t errlen);

/* The agent watched now, or NULL when the fleet is shown. */
const char *stream_feed_target(const struct stream_feed *f);
/* Whether there is a fleet to go back to (started without --name). */
bool stream_feed_has_fleet(const struct stream_feed *f);
/* Watch agent `name`, or the fleet when NULL: the collectors' data is
 * dropped, the first paint and the reads start over, and the console is
 * told (APP_CHANGED_VIEW).  -1 with a message when `name` is not an agent
 * name, or when there is no fleet to show. */
int  stream_feed_switch(struct stream_feed *f, const char *name, char *err, size_t errlen);
/* "viewer of NAME via redis HOST:PORT/DB", or "fleet via redis ...". */
void stream_feed_title(const struct stream_feed *f, char *buf, size_t len);
/* The Redis read, "HOST:PORT/DB" (no password). */
const char *stream_feed_display(const struct stream_feed *f);

/* Whether the first paint of the view is done (what was there has been
 * read; "never heard of" means something from then on). */
bool   stream_feed_ready(const struct stream_feed *f);
/* Redis: whether both connections are up; if not, why and since when
 * (wall clock). */
bool   stream_feed_up(const struct stream_feed *f);
const char *stream_feed_error(const struct stream_feed *f);
double stream_feed_down_since(const struct stream_feed *f);
/* Redis's clock minus this machine's, seconds (TIME, read at each
 * connect; 0 until known). */
double stream_feed_offset(const struct stream_feed *f);
/* The Redis user this viewer is (ACL WHOAMI), or NULL with why in *why
 * (not asked yet, or refused). */
const char *stream_feed_user(const struct stream_feed *f, const char **why);
/* The connection that is not blocked, for commands of the action
 * forwarder; NULL while it is down. */
struct redisconn *stream_feed_control(struct stream_feed *f);

/* The agent watched: its member of the fleet (summary, heartbeat), or NULL
 * when nothing was heard of it yet. */
const struct fleet_member *stream_feed_agent(const struct stream_feed *f);
/* stream_fleet_state of the agent watched at Redis's now. */
const char *stream_feed_agent_state(const struct stream_feed *f);
/* The fleet as read so far. */
const struct stream_fleet *stream_feed_fleet(const struct stream_feed *f);
/* Redis's now in ms (this machine's clock plus the offset). */
double stream_feed_redis_now_ms(const struct stream_feed *f);

/* The streams whose newest entry was refused, and why ("views: entry
 * 1700000000000-0: snapshot: not JSON: ..."): up to max texts (borrowed,
 * untrusted: sanitize where shown); returns how many. */
int  stream_feed_refused(const struct stream_feed *f, const char **out, int max);

/* Every entry of the agent's reply stream (pgdeck:{NAME}:reply) read
 * after the first paint goes to `cb` (the action forwarder). */
typedef void (*stream_feed_entry_cb)(void *arg, const redisReply *entry);
void stream_feed_on_reply(struct stream_feed *f, stream_feed_entry_cb cb, void *arg);

/* The console drew a frame: the entries received since the last one are
 * on screen (agent-to-screen latency, for --stats). */
void stream_feed_drawn(struct stream_feed *f);
/* "feed_entries N", "feed_latency_p50_ms X", ... lines for --stats. */
void stream_feed_stats(const struct stream_feed *f, FILE *out);

#endif
