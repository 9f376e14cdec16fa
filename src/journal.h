#ifndef PGDECK_JOURNAL_H
#define PGDECK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The action journal: one line per action, accepted, refused, declined or
 * failed, appended to a file that only its owner can read.
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
 *    "front_end":"console",                 console | run
 *    "action":"refresh",                    the action table's name
 *    "target":"public.mv_course_performance",
 *    "statement":"REFRESH MATERIALIZED VIEW CONCURRENTLY ...",
 *                                           every statement, "; " between
 *    "duration_ms":412.7,                   null when nothing ran
 *    "outcome":"ok",                        ok | failed | refused | declined
 *                                           | dry-run | nothing
 *    "detail":"..."}                        the reason, the server's error,
 *                                           or what was done
 *
 * A password never reaches the journal: statements carry none, and the
 * server is described by conninfo_display. */

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
    const char *outcome;
    const char *detail;
};

/* The journal's path for a configured file (NULL: the XDG default), or
 * NULL with the reason in err when no home can be found.  Caller frees. */
char *journal_path(const char *configured, char *err, size_t errlen);

/* Make sure a line can be appended: create the directories (0700) and the
 * file (0600), and open it for appending.  Returns 0, or -1 with the reason
 * ("/x/journal: Permission denied") in err. */
int   journal_check(const char *path, char *err, size_t errlen);

/* The entry as one line of JSON with its newline.  Caller frees. */
char *journal_format(const struct journal_entry *e);

/* Append one entry with a single write.  Returns 0, or -1 with err. */
int   journal_append(const char *path, const struct journal_entry *e, char *err, size_t errlen);

/* The last `max` lines of the journal, newest last, as readable text
 * ("12:00:01 refresh public.mv ok 412 ms  REFRESH ...").  Returns a
 * malloc'd array of malloc'd strings (count in *n), or NULL with err when
 * the file cannot be read (a missing file gives zero lines). */
char **journal_tail(const char *path, int max, int *n, char *err, size_t errlen);

/* The newest successful ("ok") entry of `action` for each target, from
 * the journal's tail, for panes that want pgdeck's own record when the
 * database keeps none (the views pane: when was a view last refreshed).
 * A target that lists several objects ("public.a, public.b", as
 * refresh-stale writes it) counts for each of them. */
struct journal_latest {
    char  *target;              /* "public.mv_x" */
    double time;                /* seconds since the epoch */
    double duration_ms;         /* of the whole action; < 0 when unknown */
};
/* Returns how many were found (0 when the file is missing), their array in
 * *out (caller frees with journal_latest_free), or -1 with err. */
int   journal_latest(const char *path, const char *action, struct journal_latest **out,
                     char *err, size_t errlen);
void  journal_latest_free(struct journal_latest *list, int n);

/* The OS user pgdeck runs as ("uid 1000" when it has no name). */
const char *journal_os_user(void);

#endif
