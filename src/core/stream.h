#ifndef PGDECK_STREAM_H
#define PGDECK_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis.h>
#include <jansson.h>

#include "core/snapshot.h"

/* The stream format: how a snapshot travels from `pgdeck agent` to the
 * viewers through Redis Streams, and how the agent describes itself in
 * its heartbeat.  Both directions live here, so the writer and the
 * reader cannot drift apart; --once writes its collectors with the same
 * function, so a stream entry's snapshot and a --once collector are the
 * same JSON.
 *
 * Keys (NAME is the agent's --name; the braces are a Redis Cluster hash
 * tag, so one agent's keys share a slot):
 *
 *   pgdeck:{NAME}:<collector>   a stream per collector (XADD MAXLEN ~ N)
 *   pgdeck:{NAME}:agent         the agent's summary (JSON), with a TTL
 *   pgdeck:{NAME}:lock          the agent's random token: who holds NAME
 *   pgdeck:fleet                a stream of every agent's heartbeats
 *   pgdeck:fleet:agents         a hash NAME -> the agent's last summary
 *
 * A snapshot entry (format 1) has these fields, all text:
 *
 *   format     "1"
 *   collector  the collector's name ("activity")
 *   cadence    the collector's cadence when published, in seconds
 *   keepalive  seconds within which the next entry comes even when the
 *              data does not change
 *   snapshot   the collector as --once writes it:
 *              {"source", "taken_at", "elapsed_ms", "error",
 *               "columns": [...], "rows": [[...], ...]}
 *
 * Everything read from Redis is untrusted input, exactly like database
 * text: anyone who can write to the stream can put anything there.  The
 * readers are strict (jansson, exact types, required members, duplicate
 * members refused), bounded (the limits below), never crash on any input
 * (tests/fuzz/fuzz_stream.c), and hand back text that is valid UTF-8
 * without NUL bytes, to be sanitized like database text wherever it is
 * shown.  Members and fields they do not know are ignored, so a newer
 * agent can add some; a newer format number is refused. */

#define STREAM_FORMAT 1

/* The reader's limits.  An entry over any of them is refused whole (the
 * writer cuts a longer cell to STREAM_MAX_TEXT and sends a failed
 * snapshot instead of one over the other limits, so an honest agent never
 * trips them). */
#define STREAM_MAX_BYTES    (32u * 1024 * 1024)  /* a field's value */
#define STREAM_MAX_COLUMNS  1024
#define STREAM_MAX_ROWS     100000
#define STREAM_MAX_CELLS    2000000              /* rows x columns */
#define STREAM_MAX_TEXT     (4u * 1024 * 1024)   /* bytes of one cell, name or error */
#define STREAM_MAX_FIELDS   64                   /* field/value pairs of an entry */

/* An agent's name: 1 to 64 of [A-Za-z0-9._-] (it goes inside the hash
 * tag of every key). */
#define STREAM_NAME_MAX 64
bool  stream_name_valid(const char *name);
/* A collector's name: 1 to 32 of [a-z0-9_]. */
#define STREAM_COLLECTOR_MAX 32
bool  stream_collector_valid(const char *name);

#define STREAM_FLEET_KEY  "pgdeck:fleet"
#define STREAM_AGENTS_KEY "pgdeck:fleet:agents"
/* "pgdeck:{NAME}:<what>" (what: a collector, "agent" or "lock").  Caller
 * frees. */
char *stream_key(const char *name, const char *what);
/* The NAME of a "pgdeck:{NAME}:agent" key, into out; -1 when the key is
 * not one (or the name is not valid). */
int   stream_key_agent_name(const char *key, size_t len, char *out, size_t outlen);

/* ---- writing -------------------------------------------------------------- */

/* The --once JSON of one snapshot: {"source", "taken_at", "elapsed_ms",
 * "error", "columns", "rows"}.  `s` NULL writes a collector that gave no
 * result: null times, `missing` as the error.  Strings go through
 * jsontext_new (invalid UTF-8 becomes U+FFFD). */
json_t *stream_snapshot_json(const struct snapshot *s, const char *source, const char *missing);

/* A server in the --once "servers" list and the agent summary. */
json_t *stream_server_json(const char *name, bool configured, const char *state,
                           const char *version, bool standby, const char *error);
/* An alert as {"level", "name", "text"}; level 0 ok .. 3 unknown. */
json_t *stream_alert_json(int level, const char *name, const char *text);
/* "ok", "warning", "critical", "unknown" for alert levels 0..3. */
const char *stream_level_name(int level);

/* The field/value pairs of a snapshot entry, ready for XADD.  A snapshot
 * over the limits becomes a failed one that says so.  Owned by the caller:
 * stream_fields_free. */
#define STREAM_ENTRY_FIELDS 5
struct stream_fields {
    int    count;                          /* pairs */
    const char *field[STREAM_ENTRY_FIELDS];
    char  *value[STREAM_ENTRY_FIELDS];
};
void stream_entry_encode(struct stream_fields *out, const struct snapshot *s, const char *collector,
                         const char *source, double cadence, double keepalive);
void stream_fields_free(struct stream_fields *f);

/* Whether two snapshots carry the same data (columns, rows, error): the
 * agent skips an entry whose data has not changed since the last one. */
bool stream_same_data(const struct snapshot *a, const struct snapshot *b);

/* ---- reading --------------------------------------------------------------- */

/* What an entry says besides its snapshot. */
struct stream_meta {
    int    format;
    char   collector[STREAM_COLLECTOR_MAX + 1];
    char   source[16];          /* "primary", ... as written ("" if null) */
    double cadence;             /* seconds, 0 when not given */
    double keepalive;           /* seconds, 0 when not given */
    double id_ms;               /* the entry ID's time (Redis's clock, ms
                                   since the epoch); 0 when not known */
};

/* One entry as field/value byte strings (not NUL-terminated; lengths
 * given).  Builds a new snapshot (refs 1, source = the collector's name)
 * into *out.  Returns 0, or -1 with a message in err saying what is wrong
 * and where ("snapshot: rows[3][1]: expected a string or null"). */
int  stream_entry_parse(int count, const char *const *fields, const size_t *field_lens,
                        const char *const *values, const size_t *value_lens,
                        struct snapshot **out, struct stream_meta *meta,
                        char *err, size_t errlen);

/* The same from an entry as hiredis hands it over in an XRANGE,
 * XREVRANGE or XREAD reply: an array [ID, [field, value, ...]].  This is
 * the function a viewer calls for every entry it reads. */
int  stream_reply_parse(const redisReply *entry, struct snapshot **out, struct stream_meta *meta,
                        char *err, size_t errlen);
/* The ID of such an entry as milliseconds since the epoch, or 0. */
double stream_id_ms(const char *id, size_t len);

/* ---- the agent's summary: heartbeat, agent key, fleet hash ------------------- */

#define STREAM_MAX_SERVERS 8
#define STREAM_MAX_ALERTS  64
#define STREAM_SUMMARY_MAX (1024u * 1024)     /* bytes of one summary */

struct stream_server {
    char  name[16];             /* "primary", ... */
    bool  configured;
    char  state[16];            /* "up", "connecting", "down", "" */
    char *version;              /* when up, or NULL */
    char *error;                /* when down, or NULL */
    bool  standby;
};

struct stream_alert {
    int   level;                /* 0 ok, 1 warning, 2 critical, 3 unknown */
    char  name[32];
    char  text[192];            /* cut to fit, on a character boundary */
};

/* A figure behind the alerts, as `check` gives it in its performance
 * data ("pool_used" 63.2, "cache_hit" 97.1, "replica_lag" 0.4,
 * "stale_views" 2): what the fleet pane shows of each agent. */
#define STREAM_MAX_FIGURES 48
struct stream_figure {
    char   name[48];
    double value;
};

/* The summary an agent publishes each interval:
 *   {"format": 1, "name", "state", "pgdeck", "host", "pid", "at",
 *    "started_at", "interval", "ttl", "server_version",
 *    "primary_down_since", "servers": [...], "worst", "alerts": [...],
 *    "actions": "accepted" | "refused" | "read-only",
 *    "figures": {"pool_used": 63.2, ...}}
 * "actions" and "figures" came after the first agents: a summary without
 * them reads as "refused" and no figures.  "actions" says whether the
 * agent takes requests on pgdeck:{NAME}:cmd (--accept-actions), and
 * "read-only" that it does but refuses every change (-R).
 * state: "up" (the primary answers), "connecting" (not yet), "primary
 * down", or "stopped" (the agent's last word at a clean exit). */
struct stream_agent {
    int    format;
    char   name[STREAM_NAME_MAX + 1];
    char   state[16];
    char  *pgdeck;              /* the agent's version, or NULL */
    char  *host;                /* the agent's host name, or NULL */
    long   pid;
    double at;                  /* wall clock of this summary */
    double started_at;
    double interval;            /* seconds between heartbeats */
    double ttl;                 /* seconds the agent key lives */
    char  *server_version;      /* the primary's, or NULL */
    double primary_down_since;  /* 0 when up */
    struct stream_server servers[STREAM_MAX_SERVERS];
    int    nservers;
    int    worst;               /* the worst alert level (0 when none) */
    struct stream_alert alerts[STREAM_MAX_ALERTS];
    int    nalerts;
    enum stream_actions { STREAM_ACTIONS_REFUSED, STREAM_ACTIONS_ACCEPTED, STREAM_ACTIONS_READ_ONLY } actions;
    struct stream_figure figures[STREAM_MAX_FIGURES];
    int    nfigures;
};
/* A figure of the summary by name, or NAN. */
double stream_agent_figure(const struct stream_agent *a, const char *name);

/* Compact ASCII JSON of the summary.  Caller frees. */
char *stream_agent_text(const struct stream_agent *a);
/* Parse a summary (untrusted, same rules as entries; at most
 * STREAM_SUMMARY_MAX bytes, STREAM_MAX_SERVERS servers, STREAM_MAX_ALERTS
 * alerts).  Returns 0, or -1 with a message (then *a holds nothing to
 * free).  stream_agent_free releases the strings. */
int  stream_agent_parse(const char *text, size_t len, struct stream_agent *a,
                        char *err, size_t errlen);
void stream_agent_free(struct stream_agent *a);

/* A wall-clock time as iso_time_utc writes it ("2026-11-29T01:15:43.123Z",
 * 0 to 9 decimals), in seconds since the epoch; -1 when it is not one. */
double stream_parse_time(const char *text);

#endif
