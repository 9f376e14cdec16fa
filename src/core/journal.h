#ifndef PGDECK_JOURNAL_H
#define PGDECK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The action journal: one line per action, accepted, refused, declined or
 * failed, appended to a file that only its owner can read.  It is written
 * ahead: before a changing statement is sent, an "intent" line says what
 * pgdeck is about to do, and is on disk (fsync) before the server hears of
 * it; the outcome follows as a line of its own when the action ends.  An
 * intent that never gets its outcome is an action whose pgdeck was killed
 * (or lost its machine) while it ran: nobody knows how it ended, and the
 * readers say so.
 *
 * Where: the configured file ([actions] journal = FILE), else
 * $XDG_STATE_HOME/pgdeck/journal, else ~/.local/state/pgdeck/journal.
 * Directories pgdeck creates get mode 0700, the file 0600.
 *
 * Format: JSON lines (one object per line, UTF-8, no line breaks inside),
 * so a line can hold any statement and is read back with any JSON tool:
 *
 *   {"time":"2025-05-01T12:00:00.123Z",     ISO 8601, UTC, milliseconds
 *    "os_user":"alice",                     who ran pgdeck
 *    "db_user":"postgres",                  the role pgdeck connects as
 *    "database":"pgdeck",
 *    "server":"host=/run/pg port=5432 user=postgres dbname=pgdeck",
 *                                           conninfo_display: no password
 *    "front_end":"console",                 console | run | agent
 *    "action":"refresh",                    the action table's name
 *    "target":"public.mv_course_performance",
 *    "statement":"REFRESH MATERIALIZED VIEW CONCURRENTLY ...",
 *                                           every statement, "; " between
 *    "duration_ms":412.7,                   null when nothing ran
 *    "outcome":"ok",                        ok | failed | refused | declined
 *                                           | dry-run | nothing; null in an
 *                                           intent
 *    "detail":"...",                        the reason, the server's error,
 *                                           or what was done
 *   format 2 adds, after those (a line without "format" is format 1, an
 *   outcome line, and reads as before):
 *    "format":2,
 *    "record":"intent",                     intent | outcome
 *    "id":"db1:4242:1714564800123:1",       the same in an intent and its
 *                                           outcome
 *    "host":"db1","pid":4242,"pid_start":123456,
 *                                           the pgdeck that wrote it (pid
 *                                           and its start in clock ticks
 *                                           since boot), so a reader can
 *                                           tell a running action from one
 *                                           whose pgdeck is gone
 *    "system_id":"7715866168118258616",     pg_control_system(); null when
 *                                           the role may not read it
 *    "database_oid":16384,                  null when unknown
 *    "relations":[{"name":"public.mv","oid":16390}],
 *                                           the relations the statements
 *                                           act on that existed when the
 *                                           intent was written
 *    "redis_user":"ops1"}                   an agent's line: the Redis ACL
 *                                           user whose request it ran (as
 *                                           the request says: see
 *                                           front/agent_actions.c)
 *
 * A password never reaches the journal: statements carry none, and the
 * server is described by conninfo_display. */

/* A relation an action acts on, by name and OID. */
struct journal_relation {
    const char   *name;         /* "public.mv_x" */
    unsigned long oid;          /* 0: not known */
};

struct journal_entry {
    double      time;           /* wall clock, seconds since the epoch */
    const char *os_user;
    const char *db_user;
    const char *database;
    const char *server;
    const char *front_end;
    const char *action;
    const char *target;
    const char *statement;
    double      duration_ms;    /* < 0: null */
    const char *outcome;        /* NULL in an intent */
    const char *detail;
    /* Format 2. */
    bool        intent;         /* an intent line, else an outcome line */
    const char *id;             /* pairs them; NULL: a line of its own */
    const char *system_id;      /* NULL: unknown */
    unsigned long database_oid; /* 0: unknown */
    const struct journal_relation *relations;
    int         nrelations;
    /* Who asked, when it is not whoever runs pgdeck: the Redis ACL user
     * of a request an agent ran (front_end "agent"); NULL otherwise. */
    const char *redis_user;
};

/* What an intent without its outcome says. */
#define JOURNAL_OUTCOME_UNKNOWN "outcome unknown (pgdeck stopped)"

/* The journal's path for a configured file (NULL: the XDG default), or
 * NULL with the reason in err when no home can be found.  Caller frees. */
char *journal_path(const char *configured, char *err, size_t errlen);

/* Make sure a line can be appended: create the directories (0700) and the
 * file (0600), and open it for appending.  Returns 0, or -1 with the reason
 * ("/x/journal: Permission denied") in err. */
int   journal_check(const char *path, char *err, size_t errlen);

/* The entry as one line of JSON with its newline.  Caller frees. */
char *journal_format(const struct journal_entry *e);

/* Append one entry with a single write, and make it durable (fsync of
 * the file, and of its directory when the file is new): an intent must
 * be on disk before its statement goes out.  Returns 0, or -1 with err
 * (a write or an fsync that failed: the line may not be there). */
int   journal_append(const char *path, const struct journal_entry *e, char *err, size_t errlen);

/* A new id to pair an intent with its outcome: unique on this host for
 * this process ("host:pid:milliseconds:n").  Caller frees. */
char *journal_new_id(void);

/* The last `max` entries of the journal, newest last, as readable text,
 * two lines each ("2025-05-01T12:00:01.000Z  refresh public.mv  ok 412 ms:
 * refreshed", then "    by alice@postgres: REFRESH ...").  An intent and its outcome are one entry
 * (the outcome's); an intent without one reads "outcome unknown (pgdeck
 * stopped)", or "running (pgdeck pid N)" while the pgdeck that wrote it
 * still runs.  Returns a malloc'd array of malloc'd strings (count in
 * *n), or NULL with err when the file cannot be read (a missing file
 * gives zero lines). */
char **journal_tail(const char *path, int max, int *n, char *err, size_t errlen);

/* What the journal's tail knows about each object `action` acted on, for
 * panes that want pgdeck's own record when the database keeps none (the
 * views pane: when was a view last refreshed).  An object is a relation
 * of a format-2 line (its cluster, database and OID), or, for a format-1
 * line, each name its target lists ("public.a, public.b", as
 * refresh-stale writes it) with no identity at all. */
struct journal_latest {
    char  *target;              /* "public.mv_x" */
    char  *system_id;           /* NULL: not recorded */
    unsigned long database_oid; /* 0: not recorded */
    unsigned long oid;          /* 0: not recorded */
    double time;                /* the newest "ok", seconds since the epoch;
                                   NAN when none */
    double duration_ms;         /* of the whole action; < 0 when unknown */
    double unfinished;          /* a newer intent without its outcome: its
                                   time, else NAN */
    bool   running;             /* that intent's pgdeck still runs */
};
/* Returns how many were found (0 when the file is missing), their array in
 * *out (caller frees with journal_latest_free), or -1 with err.  `action`
 * "refresh" counts "refresh-stale" too. */
int   journal_latest(const char *path, const char *action, struct journal_latest **out,
                     char *err, size_t errlen);
void  journal_latest_free(struct journal_latest *list, int n);

/* The OS user pgdeck runs as ("uid 1000" when it has no name). */
const char *journal_os_user(void);

#endif
