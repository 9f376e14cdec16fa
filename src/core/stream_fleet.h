#ifndef PGDECK_STREAM_FLEET_H
#define PGDECK_STREAM_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/snapshot.h"
#include "core/stream.h"

/* The fleet as a viewer (and check --from) knows it: every agent heard of (a heartbeat in
 * pgdeck:fleet, a summary in pgdeck:fleet:agents), its newest summary,
 * and when its newest heartbeat came (on Redis's clock: the entry ID's
 * time).  An agent that has missed three heartbeats is silent.  No I/O:
 * the feed (stream_feed.c) hands over what it reads; the fleet pane reads
 * the table as a snapshot (stream_fleet_snapshot). */

#define STREAM_FLEET_MAX 1000       /* agents kept; more are counted */
/* Silent after this many heartbeat intervals without one (and a little
 * slack for a busy Redis): the agent key's TTL is three intervals + 2 s. */
#define STREAM_FLEET_MISSED 3
#define STREAM_FLEET_SLACK  0.5

struct fleet_member {
    char   name[STREAM_NAME_MAX + 1];
    bool   have;                    /* summary holds one */
    struct stream_agent summary;
    double beat_ms;                 /* Redis's clock, ms since the epoch; 0 unknown */
    char  *problem;                 /* its newest summary could not be read: why */
    bool   live;                    /* its own key was read (check --from) */
};

struct stream_fleet {
    struct fleet_member *members;
    int    count;
    int    not_kept;                /* past STREAM_FLEET_MAX */
};

/* A summary read for agent `name` (untrusted text), from a heartbeat at
 * `beat_ms` (Redis's clock; 0 when it comes from the fleet hash, whose
 * summary then says its own time).  Kept when it is newer than what the
 * member has.  Returns the member, or NULL (not a valid name, or the
 * table is full). */
struct fleet_member *stream_fleet_take(struct stream_fleet *f, const char *name, const char *text, size_t len,
                                       double beat_ms);
/* The summary in the agent's own key (pgdeck:{NAME}:agent, which lives
 * while the agent does): it wins over every heartbeat's, and the member
 * is live. */
struct fleet_member *stream_fleet_take_live(struct stream_fleet *f, const char *name, const char *text, size_t len);
/* The member for `name`, added when new; NULL when it is not a valid
 * name or the table is full (counted in not_kept). */
struct fleet_member *stream_fleet_member(struct stream_fleet *f, const char *name);
struct fleet_member *stream_fleet_find(const struct stream_fleet *f, const char *name);
void stream_fleet_clear(struct stream_fleet *f);

/* When the member's newest heartbeat came, in ms on Redis's clock (its
 * summary's own time when no heartbeat was seen), 0 when unknown. */
double stream_fleet_beat_ms(const struct fleet_member *m);
/* Whether it has missed three heartbeats at `redis_now_ms`. */
bool stream_fleet_silent(const struct fleet_member *m, double redis_now_ms);
/* "up", "primary down", "connecting", "stopped", "silent", "unreadable",
 * "unknown" (never heard of). */
const char *stream_fleet_state(const struct fleet_member *m, double redis_now_ms);

/* One row per agent (its name, state, server version, connections used
 * %, cache hit %, replica lag, stale views, worst alert, its alerts,
 * heartbeat age, host, whether it takes actions), by name.  `offset`:
 * Redis's clock minus this machine's, seconds.  A new snapshot (refs 1)
 * named "fleet". */
struct snapshot *stream_fleet_snapshot(const struct stream_fleet *f, double redis_now_ms, double offset);

#endif
