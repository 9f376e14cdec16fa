#ifndef PGDECK_ACTION_H
#define PGDECK_ACTION_H

#include <stdbool.h>

#include <libpq-fe.h>

/* The action layer: the only code that changes a database.
 *
 * Every action is a row of a const table: its subject's action rows
 * (src/subjects/<subject>.c or <subject>_actions.c, listed by the struct
 * subject; subject.h), which the gate reads through subjects[].  A row says
 * what the action is called, its key, what it needs selected, whether it
 * changes anything, how to preview it (plan), how to run it (on a reserved
 * connection with lock_timeout, or as a plain pool query) and how to
 * report progress.
 *
 * One gate stands in front of all of them (action_start):
 *   1. read-only mode refuses a row whose `changes` flag is set, before
 *      anything is sent, and journals the refusal;
 *   2. a changing action is refused when the journal cannot be written:
 *      nothing is done that is not recorded;
 *   3. the row's plan works out the exact statements (reading the catalog
 *      if it must) and the front end shows them and asks (console: y, n or
 *      Esc; run: the command line is the answer, --dry-run prints them);
 *      after the yes, the row's recheck makes sure, on the server, that
 *      the very object previewed is still there and still needs it;
 *   4. DDL runs on a pool connection of its own (pgpool_reserve).  That
 *      connection is checked first: reached through a connection pooler
 *      it is refused (session settings would not stick; see action.c);
 *      then SET lock_timeout = cfg->lock_timeout_ms, SET
 *      statement_timeout = 0 (and client_connection_check_interval on
 *      14+), each checked, and a SET that fails refuses the action with
 *      nothing else sent.  They are RESET before the connection goes
 *      back, so monitoring never waits behind it;
 *      (A row marked `transaction` gets a connection of its own too, and
 *      runs between BEGIN and ROLLBACK, without those settings.)
 *   5. the intent is journaled and on disk (fsync) before the first
 *      changing statement goes out, and a journal that cannot take it
 *      refuses the action with nothing sent;
 *   6. the outcome is journaled (see journal.h), the affected collectors
 *      are refreshed, and the front end is told.
 *
 * Everything is asynchronous on the app's loop; nothing here blocks. */

struct app;
struct config;
struct action;
struct action_step;

/* What an action needs selected. */
enum action_needs {
    NEEDS_NOTHING,
    NEEDS_SESSION,          /* a backend pid */
    NEEDS_QUERY,            /* a pid, or a query text (pg_stat_statements) */
    NEEDS_VIEW,             /* a materialized view */
    NEEDS_PARTITIONED,      /* a partitioned table */
    NEEDS_PLANNED_INDEX,    /* an index of the plan that is missing */
    NEEDS_INVALID_INDEX,    /* an INVALID index */
    NEEDS_TABLE,            /* a table, partitioned table or materialized view */
};

enum action_outcome {
    ACTION_PENDING,         /* still planning, waiting for an answer or running */
    ACTION_OK,
    ACTION_FAILED,          /* the server said no, or the connection went */
    ACTION_REFUSED,         /* the gate or the plan said no; nothing was sent */
    ACTION_DECLINED,        /* the operator answered n or Esc */
    ACTION_DRY_RUN,         /* --dry-run: shown, not run */
    ACTION_NOTHING,         /* nothing needed doing */
};

struct action_def {
    const char *name;       /* "refresh": the ':' command, run's word, the journal's */
    int         key;        /* the console key, 0 for none */
    enum action_needs needs;
    const char *help;       /* one line for the help overlay */
    bool        changes;    /* changes the database: read-only refuses it,
                               it is previewed, confirmed and journaled */
    bool        ddl;        /* runs on a reserved connection with lock_timeout */
    bool        keep_going; /* a failed step does not stop the next ones */
    bool        transaction;/* runs on a pool connection of its own, inside one
                               transaction that is rolled back at the end
                               whatever happened (BEGIN before the recheck,
                               ROLLBACK after the last statement): for
                               statements that build on each other (PREPARE,
                               EXPLAIN EXECUTE) and locks the recheck takes
                               that must hold to the last; nothing it does
                               outlives it */
    bool        background; /* started by pgdeck itself, not by an operator
                               (the index advice's EXPLAINs): not journaled;
                               a row that changes anything cannot be one */
    const char *affects;    /* collectors to refresh afterwards, "views,activity" */
    /* Work out the statements (action_add_step), then call action_planned,
     * action_refuse or action_nothing exactly once, now or later. */
    void (*plan)(struct action *a);
    /* Optional: read a step's result (EXPLAIN's plan, pg_cancel_backend's
     * true/false); may call action_step_fail. */
    void (*result)(struct action *a, struct action_step *s, const PGresult *res);
    /* Optional: a line of progress while step s runs (malloc'd), or NULL. */
    char *(*progress)(struct action *a, struct action_step *s);
    /* Optional: said after a failure ("an INVALID index may be left: x
     * drops it"). */
    const char *failure_hint;
    /* Optional: check again, on the server, just before the first
     * statement is sent (after the operator said yes, and for DDL on the
     * action's own connection, set up), that what was previewed still
     * holds: the same backend, the same relation by OID, the index still
     * INVALID, the partitions as previewed.  Ends with action_premise_held,
     * or action_refuse (the reason; nothing is sent). */
    void (*recheck)(struct action *a);
};

/* Every action row once, in subjects[] order (the help overlay's order);
 * returns how many, at most max. */
int  action_list(const struct action_def **out, int max);
/* The row of that name (":refresh", run's word), or of that key, among
 * every subject's; NULL when none. */
const struct action_def *action_find(const char *name);
const struct action_def *action_for_key(int key);

/* What an action acts on, as the front end found it (strings are copied).
 * A relation is `schema` + `name` exactly as the catalog spells them: from
 * a snapshot row, or parsed by the front end from what the operator typed
 * ("mv_x", "public.mv_x", "\"Odd Name\"") with ident_parse_qualified.
 * It is looked up by exact schema and name, never through search_path.
 *
 * The key says which object the operator meant, where a name or a pid
 * alone could be another one by the time the action runs: a relation
 * dropped and created again under the same name has a new OID, and a pid
 * is reused by a later backend (backend_start tells them apart).  A row of
 * a pane gives the key; a name or pid as typed gets it from the plan's
 * lookup (action_set_key), and the recheck holds the action to it. */
struct action_target {
    const char *schema;
    const char *name;
    int         pid;        /* sessions, EXPLAIN of a live query */
    const char *text;       /* a query text to EXPLAIN */
    const char *database;   /* the database `text` or `pid` belongs to */
    const char *role;       /* the role `text` ran as (pg_stat_statements'
                               user): EXPLAIN looks its relations up on
                               that role's search_path; or NULL */
    const char *oid;        /* the relation's pg_class OID, or NULL */
    const char *backend_start; /* the session's pg_stat_activity.backend_start
                                  as the server prints it, or NULL */
};

/* How an action talks to its front end.  Every hook is optional. */
struct action_hooks {
    /* Show the preview (action_preview) and answer with action_confirm.
     * Without this hook a changing action runs unasked (run's case). */
    void (*confirm)(void *arg, struct action *a);
    /* A line of progress while it runs. */
    void (*progress)(void *arg, struct action *a, const char *text);
    /* Text to show (EXPLAIN's plan); the hook takes the lines. */
    void (*show)(void *arg, struct action *a, const char *title, char **lines, int n);
    /* The action ended (any outcome); `a` is valid during the call only.
     * This may run before action_start returns. */
    void (*done)(void *arg, struct action *a);
    /* Refresh the collectors the action affects when it ends (the
     * console); the run front end does not need them. */
    bool refresh_collectors;
    const char *front_end;      /* "console", "run" or "agent", for the journal */
    /* Optional: who asked, when it is not whoever runs this pgdeck (the
     * agent: the Redis ACL user a request names); journaled as
     * "redis_user". */
    const char *(*requester)(void *arg);
};

/* Where actions go from a pgdeck with no database of its own (a viewer of
 * an agent's streams, core/stream_forward.c).  The gate's first step
 * (read-only) runs here as for any action; then, instead of its plan, the
 * action is sent to the agent, whose own gate does every other step and
 * keeps the journal.  What the agent answers comes back through
 * action_remote_preview, action_show, action_remote_progress and
 * action_remote_end; the hooks see the action as they see one planned
 * here. */
struct action_forwarder {
    /* Send it (or refuse it at once with action_remote_end). */
    void (*send)(void *arg, struct action *a);
    /* The operator's answer to the preview the agent sent. */
    void (*answer)(void *arg, struct action *a, bool yes);
    /* The action ends here: forget it (called once, before it is freed). */
    void (*forget)(void *arg, struct action *a);
    void *arg;
};
/* The agent's preview of a forwarded changing action (its title and
 * lines, taken): shown and confirmed here like one planned here. */
void action_remote_preview(struct action *a, const char *title, char **lines, int n);
void action_remote_progress(struct action *a, const char *text);
/* The agent's word on how it ended (or the forwarder's on why nothing was
 * sent). */
void action_remote_end(struct action *a, enum action_outcome outcome, const char *message);
/* Whether the action was handed to a forwarder. */
bool action_forwarded(const struct action *a);

/* The gate.  Starts the action (or refuses it) and reports through the
 * hooks; `done` is always called exactly once. */
void action_start(struct app *app, const struct action_def *def, const struct action_target *target,
                  bool dry_run, const struct action_hooks *hooks, void *arg);
/* The operator's answer to the preview. */
void action_confirm(struct action *a, bool yes);
/* Actions whose statements are running now. */
int  action_running(const struct app *app);

/* ---- what a front end reads ------------------------------------------- */

const struct action_def *action_definition(const struct action *a);
enum action_outcome action_outcome(const struct action *a);
const char *action_outcome_name(enum action_outcome o);
/* "public.mv_x", "pid 4242". */
const char *action_target_text(const struct action *a);
/* One line for the status line / stderr: what happened, or why not. */
const char *action_message(const struct action *a);
/* The preview: a title and lines (what it will do, warnings, the exact
 * statements).  Borrowed from the action. */
const char *action_title(const struct action *a);
char *const *action_preview(const struct action *a, int *n);
/* The statements, in order, as they are (or would be) sent. */
int  action_step_count(const struct action *a);
const char *action_step_sql(const struct action *a, int i);
/* The SET statements a DDL action sends first, or NULL: "SET lock_timeout
 * = 3000; SET statement_timeout = 0". */
const char *action_session_setup(const struct action *a);
/* The server's error of the step that failed, or NULL. */
const char *action_error(const struct action *a);

/* ---- what a row's plan uses -------------------------------------------- */

typedef void (*action_query_cb)(struct action *a, const PGresult *res, const char *error);

struct app *action_app(const struct action *a);
const struct config *action_config(const struct action *a);
const struct action_target *action_target(const struct action *a);
bool action_dry_run(const struct action *a);
int  action_server_version(const struct action *a);
/* Text of an embedded SQL file ("queries/action_refresh.sql"), or NULL. */
const char *action_sql_file(const char *name);
/* A read-only query on the monitoring pool (its statement_timeout
 * applies).  Returns 0; -1 when the server is not connected (the callback
 * is then not called). */
int  action_query(struct action *a, const char *sql, int nparams, const char *const *params,
                  action_query_cb cb);
/* Private state of the plan, freed with the action by `free_fn`. */
void  action_set_data(struct action *a, void *data, void (*free_fn)(void *));
void *action_data(const struct action *a);

void action_set_target(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A shorter name for the target in messages and titles ("5 stale views")
 * when the target lists many objects (the journal keeps the list). */
void action_set_label(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line of the preview (what it does, a warning); shown before the
 * statements. */
void action_note(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Said on success after "<action> <target>: ", e.g. "refreshed CONCURRENTLY". */
void action_set_detail(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a statement.  `label` names what it acts on for messages
 * ("public.t_y2025m05"); the statement is shown and run as given. */
struct action_step *action_add_step(struct action *a, const char *label, const char *sql);
void action_step_param(struct action_step *s, const char *value);
/* The relation (quoted, qualified) a lock timeout would be about; pgdeck
 * then names the sessions holding locks on it. */
void action_step_lock_relation(struct action_step *s, const char *qualified);
/* The relation the step acts on (quoted, qualified) when it exists before
 * the step runs (the view a refresh refreshes): its OID is read on the
 * action's own connection before anything is sent, and journaled with the
 * step's label and the cluster's system identifier, so that a journal
 * record is trusted only for this very object (the views pane). */
void action_step_relation(struct action_step *s, const char *qualified);
/* A row for the kit's own log table, written after the step succeeds on
 * the same connection; its failure never fails the action.  The statement
 * gets the step's duration in seconds as one more, last, parameter.
 * `guard` (with `guard_param` as $1) runs first, just before, on that
 * connection: the row is written only when its "write" column is true, and
 * its "ignored" column, when not NULL, is said once (app_notice_once): a
 * log table another role planted is never written to. */
void action_step_log(struct action_step *s, const char *guard, const char *guard_param,
                     const char *sql, int nparams, const char *const *params);
/* A `transaction` row's statement sent after its ROLLBACK, on the same
 * connection, its failure ignored: for what a rollback does not undo (the
 * DEALLOCATE of a PREPARE, should a statement between them fail). */
void action_set_cleanup(struct action *a, const char *sql);
/* Hand text to the front end (the hooks' show), e.g. EXPLAIN's plan; takes
 * the lines. */
void action_show(struct action *a, const char *title, char **lines, int n);
/* Mark a step as failed from a result hook. */
void action_step_fail(struct action_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *action_step_label(const struct action_step *s);
/* Which step `s` is (0 for the first), as action_step_sql counts them. */
int  action_step_index(const struct action *a, const struct action_step *s);
/* The backend pid the step runs on (for progress views), or 0. */
int  action_step_backend_pid(const struct action *a);
double action_step_elapsed(const struct action_step *s);

/* The key the plan found (see struct action_target): the OID of the
 * relation, or the backend_start of the session (either may be NULL to
 * leave it as it is).  The recheck compares against it. */
void action_set_key(struct action *a, const char *oid, const char *backend_start);
/* A relation the action changes, pinned by OID with the name and relkinds
 * ("m", "iI", "rpmf") it had when it was previewed: action_target_recheck_pins
 * refuses when one of them is gone, renamed or of another kind. */
struct action_pin {
    char *oid;
    char *schema, *name;
    char *kinds;
};
void action_pin_relation(struct action *a, const char *oid, const char *schema, const char *name,
                         const char *kinds);
const struct action_pin *action_pins(const struct action *a, int *n);
/* A read-only query for a recheck: on the action's own connection when it
 * has one (so the statements follow on the same session), else on the
 * monitoring pool.  Returns 0, or -1 (the callback is then not called). */
int  action_check_query(struct action *a, const char *sql, int nparams, const char *const *params,
                        action_query_cb cb);
/* End the recheck: what was previewed still holds; the statements run. */
void action_premise_held(struct action *a);

/* End the plan: go on to preview, confirm and run. */
void action_planned(struct action *a);
/* End the plan, or the recheck: refuse, with the reason (nothing is
 * sent; after a recheck the message says so). */
void action_refuse(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* End the plan: nothing needs doing, and why. */
void action_nothing(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
