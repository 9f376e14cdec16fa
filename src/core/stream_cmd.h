#ifndef PGDECK_STREAM_CMD_H
#define PGDECK_STREAM_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis.h>

/* Actions through an agent: the requests a viewer writes to
 * pgdeck:{NAME}:cmd and the answers the agent writes to
 * pgdeck:{NAME}:reply (an agent started with --accept-actions reads its
 * cmd stream with a consumer group; see front/agent_actions.c and
 * core/stream_forward.c).  Writer and reader live here, side by side, as
 * stream.h's do for snapshots.
 *
 * A request (fields, all text):
 *   format    "1"
 *   id        the viewer's id for it: 1 to 64 of [A-Za-z0-9._:-]
 *   op        "plan" (work it out and show me), "confirm" (run what you
 *             showed me: with its digest) or "decline"
 *   user      the viewer's Redis ACL user (ACL WHOAMI): what the agent
 *             journals as who asked
 *   action    the action's name ("refresh", "cancel"), plan only
 *   schema, name, pid, text, database, role, oid, backend_start
 *             the target, as the console's action_target (plan only; each
 *             optional)
 *   digest    16 hex digits: the preview the operator saw (confirm only)
 *
 * An answer (fields, all text):
 *   format    "1"
 *   id        the request's id
 *   kind      "preview" (a changing action waits for confirm or decline;
 *             title, lines, digest, ddl), "progress" (text), "show"
 *             (title, lines: EXPLAIN's plan) or "done" (outcome, text)
 *   title, text, digest, ddl ("1" runs on a connection of its own), outcome
 *             (ok, failed, refused, declined, nothing, dry-run)
 *   lines     a JSON array of strings
 *
 * Both directions are untrusted (anyone allowed to write the stream
 * writes them): the readers are strict and bounded as stream.h's, never
 * crash (tests/fuzz/fuzz_stream.c), and hand back valid UTF-8 without NUL
 * bytes, sanitized wherever it is shown. */

#define STREAM_CMD_FORMAT       1
#define STREAM_REQUEST_ID_MAX   64
#define STREAM_USER_MAX         128
#define STREAM_ACTION_MAX       32
#define STREAM_DIGEST_LEN       16
#define STREAM_CMD_TEXT_MAX     (64u * 1024)        /* a target, a title, a message */
#define STREAM_CMD_LINES_MAX    10000
#define STREAM_CMD_LINES_BYTES  (4u * 1024 * 1024)  /* the "lines" field */

/* Field/value pairs ready for XADD.  Owned: stream_cmd_fields_free. */
#define STREAM_CMD_FIELDS 16
struct stream_cmd_fields {
    int    count;
    const char *field[STREAM_CMD_FIELDS];
    char  *value[STREAM_CMD_FIELDS];
};
void stream_cmd_fields_free(struct stream_cmd_fields *f);

/* ---- requests ------------------------------------------------------------------ */

enum stream_op { STREAM_OP_PLAN, STREAM_OP_CONFIRM, STREAM_OP_DECLINE };

struct stream_request {
    char   id[STREAM_REQUEST_ID_MAX + 1];
    enum stream_op op;
    char   user[STREAM_USER_MAX + 1];
    char   action[STREAM_ACTION_MAX + 1];
    /* The target (plan): owned, NULL when not given. */
    char  *schema, *name, *text, *database, *role, *oid, *backend_start;
    int    pid;                 /* 0 when not given */
    char   digest[STREAM_DIGEST_LEN + 1];
    double id_ms;               /* the entry ID's time (Redis's clock), 0 unknown */
};

/* Whether `s` may be a request id / a Redis ACL user name (1 to 128
 * printable ASCII characters, no space: what ACL SETUSER accepts and a
 * journal line can show) / an action name ([a-z-], 1 to 32). */
bool stream_request_id_valid(const char *s);
bool stream_user_valid(const char *s);
bool stream_action_name_valid(const char *s);

void stream_request_encode(struct stream_cmd_fields *out, const struct stream_request *r);
/* One entry as an XRANGE/XREAD/XREADGROUP reply hands it over: [ID,
 * [field, value, ...]].  Returns 0, or -1 with a message saying what is
 * wrong; *r then holds nothing to free, but its id when one could be
 * read (so the refusal can be answered). */
int  stream_request_parse(const redisReply *entry, struct stream_request *r, char *err, size_t errlen);
void stream_request_free(struct stream_request *r);

/* ---- answers ------------------------------------------------------------------- */

enum stream_reply_kind { STREAM_REPLY_PREVIEW, STREAM_REPLY_PROGRESS, STREAM_REPLY_SHOW, STREAM_REPLY_DONE };

struct stream_reply {
    char   id[STREAM_REQUEST_ID_MAX + 1];
    enum stream_reply_kind kind;
    char  *title;               /* owned, or NULL */
    char  *text;                /* owned, or NULL */
    char **lines;               /* owned, nlines of them */
    int    nlines;
    char   digest[STREAM_DIGEST_LEN + 1];
    bool   ddl;
    char   outcome[16];         /* done: "ok", "refused", ... */
};

void stream_reply_encode(struct stream_cmd_fields *out, const struct stream_reply *r);
int  stream_reply_entry_parse(const redisReply *entry, struct stream_reply *r, char *err, size_t errlen);
void stream_reply_free(struct stream_reply *r);
/* Whether an outcome name is one an answer may carry. */
bool stream_outcome_valid(const char *name);

/* The digest of a preview (its title and lines, in order): what the
 * operator saw, named in the confirmation so that the agent runs only
 * that.  16 lowercase hex digits into out. */
void stream_preview_digest(const char *title, char *const *lines, int n, char out[STREAM_DIGEST_LEN + 1]);

#endif
