/* The action layer: the table of actions and the one gate in front of them
 * (see action.h for the rules it enforces). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action.h"
#include "core/action_sql.h"
#include "core/app.h"
#include "core/collector.h"
#include "base/embedded.h"
#include "base/quantity.h"
#include "core/journal.h"
#include "base/clock.h"
#include "core/subject.h"
#include "base/xalloc.h"

/* DDL may run for hours (CREATE INDEX on a big table); statement_timeout
 * is 0 on its connection, and the client waits as long. */
#define DDL_CLIENT_TIMEOUT (7 * 86400.0)
/* How often progress is read while a step runs. */
#define PROGRESS_MS 500
/* After the end, how often to look for the affected collectors to be free
 * to run again, and for how long. */
#define REFRESH_POLL_MS 100
#define REFRESH_TRIES 50

#define MAX_PARAMS 8

struct action_step {
    char   *label;
    char   *sql;
    int     nparams;
    char   *params[MAX_PARAMS];
    char   *lock_relation;          /* quoted, qualified */
    char   *relation;               /* what it acts on, quoted, qualified */
    unsigned long relation_oid;     /* read before it runs; 0: none */
    char   *log_sql;                /* the kit's log, after success */
    char   *log_guard;              /* whether to write it, asked first */
    char   *log_guard_param;
    int     log_nparams;
    char   *log_params[MAX_PARAMS];
    double  started, elapsed;       /* monotonic, seconds */
    bool    done, failed;
    char   *error;
};

enum action_state {
    STATE_PLANNING,
    STATE_CONFIRMING,
    STATE_RUNNING,
    STATE_FINISHING,                /* outcome known, refreshing collectors */
};

struct action {
    struct action *next;            /* in the app's list */
    const struct action_def *def;
    struct app  *app;
    const struct action_hooks *hooks;
    void        *hooks_arg;
    bool         dry_run;
    enum action_state state;
    enum action_outcome outcome;

    struct action_target target;    /* owned copies */
    char        *target_text;       /* for the journal: every object */
    char        *label;             /* for messages, when shorter; or NULL */
    char        *title;
    char       **notes;
    int          nnotes;
    char        *detail;            /* on success */
    char        *message;
    char        *session_setup;
    bool         check_client;      /* the server ends the DDL if pgdeck goes */
    int          setup_sent;        /* SET statements sent so far */
    char        *refusal;           /* why it was refused after it started */
    bool         began;             /* a transaction action's BEGIN went through */
    char        *cleanup;           /* sent after its ROLLBACK, or NULL */

    /* The journal's: the id pairing the intent with the outcome (NULL
     * until the intent is written), and the cluster and database the
     * statements run in (read on the action's connection). */
    char        *journal_id;
    char        *system_id;
    unsigned long database_oid;

    struct action_step *steps;
    int          nsteps;
    int          current;           /* the step running */
    int          failed_steps;

    void        *data;
    void       (*free_data)(void *);

    struct pgconn *conn;            /* reserved, DDL only */
    double       run_started;       /* monotonic, 0 until it runs */
    uv_timer_t   timer;             /* progress, then the collector refresh */
    int          refresh_tries;
    char        *refresh_left;      /* collectors still to refresh */
    char       **preview;           /* built for action_preview */
    int          npreview;
    int          queries;           /* action_query calls not answered yet */
    bool         closed;            /* the timer is closed: free when queries == 0 */

    struct action_pin *pins;        /* what the recheck holds it to */
    int          npins;
    bool         checking;          /* the row's recheck is under way */
    bool         checked;
    bool         forwarded;         /* sent to an agent (app->forwarder) */
};

/* The actions of the app, so that the console can tell whether one is
 * running (and ask before quitting). */
struct actions {
    struct action *head;
};

/* ---- the table --------------------------------------------------------- */

/* The table is the subjects' action rows (subject.h), in subjects[]
 * order; a row two subjects list is one action. */
int action_list(const struct action_def **out, int max)
{
    int n = 0;
    for (int s = 0; s < nsubjects; s++) {
        for (int i = 0; i < subjects[s]->nactions; i++) {
            const struct action_def *def = subjects[s]->actions[i];
            bool seen = false;
            for (int k = 0; k < n && !seen; k++)
                seen = out[k] == def;
            if (!seen && n < max)
                out[n++] = def;
        }
    }
    return n;
}

const struct action_def *action_find(const char *name)
{
    for (int s = 0; s < nsubjects; s++)
        for (int i = 0; i < subjects[s]->nactions; i++)
            if (strcmp(subjects[s]->actions[i]->name, name) == 0)
                return subjects[s]->actions[i];
    return NULL;
}

const struct action_def *action_for_key(int key)
{
    for (int s = 0; key && s < nsubjects; s++)
        for (int i = 0; i < subjects[s]->nactions; i++)
            if (subjects[s]->actions[i]->key == key)
                return subjects[s]->actions[i];
    return NULL;
}

const char *action_outcome_name(enum action_outcome o)
{
    switch (o) {
    case ACTION_PENDING: return "pending";
    case ACTION_OK: return "ok";
    case ACTION_FAILED: return "failed";
    case ACTION_REFUSED: return "refused";
    case ACTION_DECLINED: return "declined";
    case ACTION_DRY_RUN: return "dry-run";
    case ACTION_NOTHING: return "nothing";
    }
    return "?";
}

/* ---- small accessors ------------------------------------------------------ */

const struct action_def *action_definition(const struct action *a) { return a->def; }
enum action_outcome action_outcome(const struct action *a) { return a->outcome; }
const char *action_target_text(const struct action *a) { return a->target_text ? a->target_text : ""; }

/* What messages call the target: the label when there is one. */
static const char *shown(const struct action *a)
{
    return a->label ? a->label : action_target_text(a);
}
const char *action_message(const struct action *a) { return a->message ? a->message : ""; }
const char *action_title(const struct action *a) { return a->title ? a->title : a->def->name; }
int action_step_count(const struct action *a) { return a->nsteps; }
const char *action_step_sql(const struct action *a, int i) { return i >= 0 && i < a->nsteps ? a->steps[i].sql : NULL; }
const char *action_session_setup(const struct action *a) { return a->def->ddl ? a->session_setup : NULL; }
struct app *action_app(const struct action *a) { return a->app; }
const struct config *action_config(const struct action *a) { return a->app->cfg; }
const struct action_target *action_target(const struct action *a) { return &a->target; }
bool action_dry_run(const struct action *a) { return a->dry_run; }
void *action_data(const struct action *a) { return a->data; }
const char *action_step_label(const struct action_step *s) { return s->label; }
int action_step_index(const struct action *a, const struct action_step *s) { return (int)(s - a->steps); }
double action_step_elapsed(const struct action_step *s) { return s->started ? now_monotonic() - s->started : 0; }

int action_server_version(const struct action *a)
{
    return a->app->primary ? pgpool_server_version(a->app->primary) : 0;
}

int action_step_backend_pid(const struct action *a)
{
    return a->conn ? pgconn_backend_pid(a->conn) : 0;
}

const char *action_error(const struct action *a)
{
    for (int i = 0; i < a->nsteps; i++)
        if (a->steps[i].failed)
            return a->steps[i].error;
    return NULL;
}

const char *action_sql_file(const char *name)
{
    return embedded_find(name);
}

int action_running(const struct app *app)
{
    int n = 0;
    if (app->actions)
        for (const struct action *a = app->actions->head; a; a = a->next)
            if (a->state == STATE_RUNNING)
                n++;
    return n;
}

void action_set_data(struct action *a, void *data, void (*free_fn)(void *))
{
    if (a->data && a->free_data)
        a->free_data(a->data);
    a->data = data;
    a->free_data = free_fn;
}

/* Whatever the length: a target or a message may hold many names from
 * the database, and the journal keeps them whole. */
static char *vformat(const char *fmt, va_list ap)
{
    return xvasprintf(fmt, ap);
}

void action_set_target(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(a->target_text);
    a->target_text = vformat(fmt, ap);
    va_end(ap);
}

void action_set_label(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(a->label);
    a->label = vformat(fmt, ap);
    va_end(ap);
}

void action_note(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    a->notes = xrealloc(a->notes, (size_t)(a->nnotes + 1) * sizeof *a->notes);
    a->notes[a->nnotes++] = vformat(fmt, ap);
    va_end(ap);
}

void action_set_detail(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(a->detail);
    a->detail = vformat(fmt, ap);
    va_end(ap);
}

struct action_step *action_add_step(struct action *a, const char *label, const char *sql)
{
    a->steps = xrealloc(a->steps, (size_t)(a->nsteps + 1) * sizeof *a->steps);
    struct action_step *s = &a->steps[a->nsteps++];
    memset(s, 0, sizeof *s);
    s->label = xstrdup(label ? label : a->target_text);
    s->sql = xstrdup(sql);
    return s;
}

void action_set_cleanup(struct action *a, const char *sql)
{
    free(a->cleanup);
    a->cleanup = xstrdup(sql);
}

void action_step_param(struct action_step *s, const char *value)
{
    if (s->nparams < MAX_PARAMS)
        s->params[s->nparams++] = xstrdup(value);
}

void action_step_lock_relation(struct action_step *s, const char *qualified)
{
    free(s->lock_relation);
    s->lock_relation = xstrdup(qualified);
}

void action_step_relation(struct action_step *s, const char *qualified)
{
    free(s->relation);
    s->relation = xstrdup(qualified);
}

void action_step_log(struct action_step *s, const char *guard, const char *guard_param,
                     const char *sql, int nparams, const char *const *params)
{
    free(s->log_sql);
    s->log_sql = xstrdup(sql);
    free(s->log_guard);
    s->log_guard = xstrdup(guard);
    free(s->log_guard_param);
    s->log_guard_param = xstrdup(guard_param);
    for (int i = 0; i < s->log_nparams; i++)
        free(s->log_params[i]);
    s->log_nparams = nparams < MAX_PARAMS ? nparams : MAX_PARAMS;
    for (int i = 0; i < s->log_nparams; i++)
        s->log_params[i] = xstrdup(params[i]);
}

void action_show(struct action *a, const char *title, char **lines, int n)
{
    if (a->hooks && a->hooks->show) {
        a->hooks->show(a->hooks_arg, a, title, lines, n);
        return;
    }
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

void action_step_fail(struct action_step *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(s->error);
    s->error = vformat(fmt, ap);
    s->failed = true;
    va_end(ap);
}

/* ---- freeing ---------------------------------------------------------------- */

static void free_action(struct action *a)
{
    for (int i = 0; i < a->nsteps; i++) {
        struct action_step *s = &a->steps[i];
        free(s->label);
        free(s->sql);
        for (int k = 0; k < s->nparams; k++)
            free(s->params[k]);
        free(s->lock_relation);
        free(s->relation);
        free(s->log_sql);
        free(s->log_guard);
        free(s->log_guard_param);
        for (int k = 0; k < s->log_nparams; k++)
            free(s->log_params[k]);
        free(s->error);
    }
    free(a->steps);
    for (int i = 0; i < a->nnotes; i++)
        free(a->notes[i]);
    free(a->notes);
    for (int i = 0; i < a->npreview; i++)
        free(a->preview[i]);
    free(a->preview);
    if (a->data && a->free_data)
        a->free_data(a->data);
    free((char *)a->target.schema);
    free((char *)a->target.name);
    free((char *)a->target.text);
    free((char *)a->target.database);
    free((char *)a->target.role);
    free((char *)a->target.oid);
    free((char *)a->target.backend_start);
    for (int i = 0; i < a->npins; i++) {
        free(a->pins[i].oid);
        free(a->pins[i].schema);
        free(a->pins[i].name);
        free(a->pins[i].kinds);
    }
    free(a->pins);
    free(a->refusal);
    free(a->cleanup);
    free(a->target_text);
    free(a->label);
    free(a->title);
    free(a->detail);
    free(a->message);
    free(a->session_setup);
    free(a->refusal);
    free(a->journal_id);
    free(a->system_id);
    free(a->refresh_left);
    free(a);
}

/* An answer to action_query may still be on its way (progress is read
 * while a step runs): the action is freed once it has come. */
static void timer_closed(uv_handle_t *h)
{
    struct action *a = h->data;
    a->closed = true;
    if (a->queries == 0)
        free_action(a);
}

static void unlink_action(struct action *a)
{
    struct app *app = a->app;
    if (!app->actions)
        return;
    for (struct action **p = &app->actions->head; *p; p = &(*p)->next) {
        if (*p == a) {
            *p = a->next;
            break;
        }
    }
    if (!app->actions->head) {
        free(app->actions);
        app->actions = NULL;
    }
}

/* ---- the end ------------------------------------------------------------------ */

/* The app is closing when the collectors are stopped or gone
 * (collectors_closing): nothing may be refreshed then, and the console is
 * no longer there. */

static char *joined_statements(const struct action *a)
{
    size_t len = 1;
    for (int i = 0; i < a->nsteps; i++)
        len += strlen(a->steps[i].sql) + 2;
    char *out = xmalloc(len);
    out[0] = '\0';
    for (int i = 0; i < a->nsteps; i++) {
        if (i)
            strcat(out, "; ");
        strcat(out, a->steps[i].sql);
    }
    return out;
}

/* The role and database libpq will use: the conninfo's, else PGUSER and
 * PGDATABASE, else the OS user (libpq's own rule). */
static void identity(const struct app *app, const char **user, const char **db)
{
    const struct conninfo *ci = &app->cfg->primary;
    *user = conninfo_get(ci, "user");
    if (!*user || !**user)
        *user = getenv("PGUSER");
    if (!*user || !**user)
        *user = journal_os_user();
    *db = conninfo_get(ci, "dbname");
    if (!*db || !**db)
        *db = getenv("PGDATABASE");
    if (!*db || !**db)
        *db = *user;
}

/* The relations the steps act on, with the OIDs read before they ran.
 * Caller frees the array (the names are borrowed). */
static struct journal_relation *journal_relations(const struct action *a, int *n)
{
    struct journal_relation *r = xcalloc((size_t)a->nsteps + 1, sizeof *r);
    *n = 0;
    for (int i = 0; i < a->nsteps; i++)
        if (a->steps[i].relation && a->steps[i].relation_oid)
            r[(*n)++] = (struct journal_relation){ a->steps[i].label, a->steps[i].relation_oid };
    return r;
}

/* Append the action's intent (outcome NULL) or its outcome to the
 * journal.  Returns 0, or -1 with err. */
static int journal_write(struct action *a, bool intent, const char *outcome, const char *detail,
                         char *err, size_t errlen)
{
    char *path = journal_path(a->app->cfg->journal_file, err, errlen);
    if (!path)
        return -1;
    char *statements = joined_statements(a);
    const char *db_user, *database;
    identity(a->app, &db_user, &database);
    int nrelations;
    struct journal_relation *relations = journal_relations(a, &nrelations);
    struct journal_entry e = {
        .time = now_wall(),
        .os_user = journal_os_user(),
        .db_user = db_user,
        .database = database,
        .server = a->app->primary_display,
        .front_end = a->hooks && a->hooks->front_end ? a->hooks->front_end : "console",
        .redis_user = a->hooks && a->hooks->requester ? a->hooks->requester(a->hooks_arg) : NULL,
        .action = a->def->name,
        .target = a->target_text,
        .statement = statements,
        .duration_ms = !intent && a->run_started ? (now_monotonic() - a->run_started) * 1000 : -1,
        .outcome = outcome,
        .detail = detail,
        .intent = intent,
        .id = a->journal_id,
        .system_id = a->system_id,
        .database_oid = a->database_oid,
        .relations = relations,
        .nrelations = nrelations,
    };
    int rc = journal_append(path, &e, err, errlen);
    free(relations);
    free(statements);
    free(path);
    return rc;
}

/* Write ahead: the intent is on disk before the first changing statement
 * goes out, so a pgdeck killed while it runs still leaves a record of
 * what it was doing.  Returns 0, or -1 with the action refused (nothing
 * sent) when the journal cannot take it. */
static int write_intent(struct action *a)
{
    char err[512];
    a->journal_id = journal_new_id();
    if (journal_write(a, true, NULL, NULL, err, sizeof err) == 0)
        return 0;
    free(a->journal_id);
    a->journal_id = NULL;
    free(a->refusal);
    a->refusal = xasprintf("%s; changing actions are refused while the journal cannot be written, "
                           "nothing was sent", err);
    return -1;
}

static void write_journal(struct action *a)
{
    /* pgdeck's own background work (it changes nothing) is no entry of
     * the operator's journal. */
    if (a->def->background && !a->def->changes)
        return;
    char err[512];
    const char *detail = a->outcome == ACTION_OK ? a->detail : NULL;
    char *failure = NULL;
    if (a->outcome != ACTION_OK) {
        /* The message says it all; keep its reason part. */
        detail = a->message;
    } else if (a->failed_steps) {
        failure = xasprintf("%s", a->message);
        detail = failure;
    }
    if (journal_write(a, false, action_outcome_name(a->outcome), detail, err, sizeof err) != 0) {
        char *m = xasprintf("%s (NOT journaled: %s)", a->message ? a->message : "", err);
        free(a->message);
        a->message = m;
        if (a->outcome == ACTION_OK)
            a->outcome = ACTION_FAILED;
    }
    free(failure);
}

/* Refresh the affected collectors once each is free to run: one that is
 * running now holds a result from before the change. */
static void refresh_cb(uv_timer_t *t)
{
    struct action *a = t->data;
    struct app *app = a->app;
    bool waiting = false;
    if (!collectors_closing(app) && a->refresh_left) {
        char *save = NULL;
        char *copy = xstrdup(a->refresh_left);
        char *left = xstrdup("");
        for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            const struct collector *c = collector_find(app, name);
            if (!c)
                continue;
            if (c->running) {
                char *more = xasprintf("%s%s%s", left, *left ? "," : "", name);
                free(left);
                left = more;
                waiting = true;
            } else {
                collector_run_now(app, name);
            }
        }
        free(copy);
        free(a->refresh_left);
        a->refresh_left = left;
    }
    if (waiting && ++a->refresh_tries < REFRESH_TRIES)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, timer_closed);
}

static void finish(struct action *a, enum action_outcome outcome)
{
    struct app *app = a->app;
    a->outcome = outcome;
    a->state = STATE_FINISHING;
    uv_timer_stop(&a->timer);
    /* A forwarded action is the agent's to journal: it ran there. */
    if (a->forwarded && app->forwarder)
        app->forwarder->forget(app->forwarder->arg, a);
    else if (!a->forwarded)
        write_journal(a);
    unlink_action(a);
    bool closing = collectors_closing(app);
    if (a->hooks && a->hooks->done)
        a->hooks->done(a->hooks_arg, a);
    if (!closing)
        app_changed(app, APP_CHANGED_ACTION);
    bool refresh = !closing && a->hooks && a->hooks->refresh_collectors &&
                   a->def->affects && a->run_started;
    if (refresh) {
        a->refresh_left = xstrdup(a->def->affects);
        uv_timer_start(&a->timer, refresh_cb, 0, REFRESH_POLL_MS);
    } else {
        uv_close((uv_handle_t *)&a->timer, timer_closed);
    }
}

static void set_message(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(a->message);
    a->message = vformat(fmt, ap);
    va_end(ap);
}

static void end_refused(struct action *a, enum action_outcome outcome, const char *reason)
{
    if (outcome == ACTION_NOTHING)
        set_message(a, "%s %s: nothing to do: %s", a->def->name, shown(a), reason);
    else
        set_message(a, "%s%s%s refused: %s", a->def->name, a->target_text ? " " : "",
                    a->target_text ? shown(a) : "", reason);
    finish(a, outcome);
}

static void premise_failed(struct action *a, char *reason);

void action_refuse(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = vformat(fmt, ap);
    va_end(ap);
    if (a->checking) {
        premise_failed(a, reason);
        return;
    }
    end_refused(a, ACTION_REFUSED, reason);
    free(reason);
}

void action_nothing(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = vformat(fmt, ap);
    va_end(ap);
    end_refused(a, ACTION_NOTHING, reason);
    free(reason);
}

/* The end of the run: say what happened. */
static void end_run(struct action *a)
{
    if (a->refusal) {
        /* Refused on the way to its first statement: nothing changed. */
        char *reason = a->refusal;
        a->refusal = NULL;
        end_refused(a, ACTION_REFUSED, reason);
        free(reason);
        return;
    }
    char took[QUANTITY_LEN];
    quantity_duration(took, sizeof took, now_monotonic() - a->run_started);
    int done = 0;
    const struct action_step *failed = NULL;
    for (int i = 0; i < a->nsteps; i++) {
        if (a->steps[i].done && !a->steps[i].failed)
            done++;
        if (a->steps[i].failed && !failed)
            failed = &a->steps[i];
    }
    if (!failed) {
        set_message(a, "%s %s: %s in %s", a->def->name, shown(a),
                    a->detail ? a->detail : "done", took);
        finish(a, ACTION_OK);
        return;
    }
    char progress[96] = "";
    if (a->nsteps > 1)
        snprintf(progress, sizeof progress, " (%d of %d statements done)", done, a->nsteps);
    const char *hint = a->def->failure_hint;
    if (a->nsteps > 1 && strcmp(failed->label, shown(a)) != 0)
        set_message(a, "%s %s failed at %s%s: %s%s%s", a->def->name, shown(a), failed->label,
                    progress, failed->error, hint ? "; " : "", hint ? hint : "");
    else
        set_message(a, "%s %s failed%s: %s%s%s", a->def->name, shown(a), progress,
                    failed->error, hint ? "; " : "", hint ? hint : "");
    finish(a, ACTION_FAILED);
}

/* ---- running ------------------------------------------------------------------ */

struct query_call {
    struct action  *a;
    action_query_cb cb;
};

static void query_done(void *arg, const PGresult *res, const char *error, double elapsed);

static void run_step(struct action *a);

static bool conn_usable(const struct action *a)
{
    return a->conn && pgconn_state(a->conn) == PGCONN_UP;
}

/* DDL and transactions run on a pool connection reserved for the action. */
static bool own_connection(const struct action *a)
{
    return a->def->ddl || a->def->transaction;
}

static void released(struct action *a)
{
    if (a->conn && a->app->primary) {
        pgpool_release(a->app->primary, a->conn);
    }
    a->conn = NULL;
    end_run(a);
}

static void reset_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)error;
    (void)elapsed;
    released(arg);
}

/* Put the session back as it was, then give the connection back. */
static void cleanup_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)error;            /* the statement may have gone with a failure */
    (void)elapsed;
    released(arg);
}

/* The transaction ended: what it does not undo (a PREPARE) goes too. */
static void rolled_back(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)error;
    (void)elapsed;
    struct action *a = arg;
    if (a->cleanup && conn_usable(a) && pgconn_send(a->conn, a->cleanup, 0, NULL, 0, cleanup_done, a) == 0)
        return;
    released(a);
}

static void release_connection(struct action *a)
{
    /* A transaction's ends with it, whatever happened in it: nothing it
     * did is kept, and the connection goes back idle. */
    if (a->def->transaction && !a->def->ddl) {
        if (a->began && conn_usable(a) &&
            pgconn_send(a->conn, "ROLLBACK", 0, NULL, 0, rolled_back, a) == 0)
            return;
        released(a);
        return;
    }
    /* Nothing to put back when nothing was set (a refusal before the
     * SETs: through a pooler a RESET would reach someone else's session). */
    if (a->setup_sent == 0) {
        released(a);
        return;
    }
    if (conn_usable(a) &&
        pgconn_send(a->conn, "RESET lock_timeout", 0, NULL, 0, NULL, NULL) == 0 &&
        (!a->check_client ||
         pgconn_send(a->conn, "RESET client_connection_check_interval", 0, NULL, 0, NULL, NULL) == 0) &&
        pgconn_send(a->conn, "RESET statement_timeout", 0, NULL, 0, reset_done, a) == 0)
        return;
    released(a);
}

static void next_step(struct action *a)
{
    struct action_step *s = &a->steps[a->current];
    if (s->failed)
        a->failed_steps++;
    a->current++;
    if (a->current < a->nsteps && (!s->failed || a->def->keep_going)) {
        run_step(a);
        return;
    }
    if (own_connection(a))
        release_connection(a);
    else
        end_run(a);
}

static void log_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)error;            /* the kit's log is a courtesy: never a failure */
    (void)elapsed;
    next_step(arg);
}

static int send_log(struct action *a, struct action_step *s)
{
    char took[32];
    snprintf(took, sizeof took, "%.3f", s->elapsed);
    const char *params[MAX_PARAMS + 1];
    for (int i = 0; i < s->log_nparams; i++)
        params[i] = s->log_params[i];
    params[s->log_nparams] = took;
    return pgconn_send(a->conn, s->log_sql, s->log_nparams + 1, params, 0, log_done, a);
}

/* The guard's answer, just before the row would be written: only a log
 * table the guard trusts is written to (an INSERT fires whatever triggers
 * and rules the table has, as pgdeck's role). */
static void log_guard_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct action *a = arg;
    struct action_step *s = &a->steps[a->current];
    const char *write = !error && res ? pgres_get(res, 0, "write") : NULL;
    const char *ignored = !error && res ? pgres_get(res, 0, "ignored") : NULL;
    if (ignored)
        app_notice_once(a->app, "%s", ignored);
    if (write && strcmp(write, "t") == 0 && conn_usable(a) && send_log(a, s) == 0)
        return;
    next_step(a);
}

static int write_log(struct action *a, struct action_step *s)
{
    if (!s->log_guard)
        return send_log(a, s);
    const char *params[] = { s->log_guard_param };
    return pgconn_send(a->conn, s->log_guard, s->log_guard_param ? 1 : 0, params, 0, log_guard_done, a);
}

static void holders_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct action *a = arg;
    struct action_step *s = &a->steps[a->current];
    const char *pids = !error && res ? pgres_get(res, 0, "pids") : NULL;
    if (pids && *pids) {
        char *e = xasprintf("%s (pid %s)", s->error, pids);
        free(s->error);
        s->error = e;
    }
    next_step(a);
}

/* The server's words made into the operator's: a lock timeout says what
 * it gave up on and how long it waited. */
static void explain_error(struct action *a, struct action_step *s, const char *error)
{
    free(s->error);
    s->failed = true;
    if (strstr(error, "due to lock timeout"))
        s->error = xasprintf("gave up after lock_timeout %.0f ms: another session holds a lock on %s",
                             a->app->cfg->lock_timeout_ms, s->label);
    else if (collectors_closing(a->app))
        /* pgdeck is quitting (q, SIGTERM, SIGHUP) with the statement
         * still running: say so, and what becomes of it. */
        s->error = xasprintf("interrupted: pgdeck stopped while it ran (%s); %s", error,
                             a->check_client ? "the server ends it within a second"
                                             : "the server may still finish it");
    else
        s->error = xstrdup(error);
}

static void step_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct action *a = arg;
    struct action_step *s = &a->steps[a->current];
    uv_timer_stop(&a->timer);
    s->elapsed = now_monotonic() - s->started;
    s->done = true;
    if (error) {
        explain_error(a, s, error);
        if (strstr(error, "due to lock timeout") && s->lock_relation && conn_usable(a)) {
            const char *p[] = { s->lock_relation };
            if (pgconn_send(a->conn, "SELECT string_agg(DISTINCT l.pid::text, ', ') AS pids "
                            "FROM pg_locks l WHERE l.granted AND l.pid <> pg_backend_pid() "
                            "AND l.relation = to_regclass($1)", 1, p, 0, holders_done, a) == 0)
                return;
        }
    } else if (a->conn && pgconn_warning(a->conn) && strstr(pgconn_warning(a->conn), "skipping")) {
        /* ANALYZE of a table the role does not own succeeds with a
         * warning that it skipped it: nothing was done, so say so. */
        explain_error(a, s, pgconn_warning(a->conn));
    } else if (a->def->result) {
        a->def->result(a, s, res);
    }
    if (!s->failed && s->log_sql && conn_usable(a) && write_log(a, s) == 0)
        return;
    next_step(a);
}

static void progress_cb(uv_timer_t *t)
{
    struct action *a = t->data;
    if (a->state != STATE_RUNNING || a->current >= a->nsteps)
        return;
    char *text = a->def->progress(a, &a->steps[a->current]);
    if (text && a->hooks && a->hooks->progress)
        a->hooks->progress(a->hooks_arg, a, text);
    free(text);
}

static void run_step(struct action *a)
{
    struct action_step *s = &a->steps[a->current];
    s->started = now_monotonic();
    int rc;
    if (own_connection(a)) {
        rc = conn_usable(a) ? pgconn_send(a->conn, s->sql, s->nparams, (const char *const *)s->params,
                                          a->def->ddl ? DDL_CLIENT_TIMEOUT : 0, step_done, a)
                            : -1;
    } else {
        rc = a->app->primary ? pgpool_send(a->app->primary, s->sql, s->nparams,
                                           (const char *const *)s->params, 0, step_done, a)
                             : -1;
    }
    if (rc != 0) {
        s->done = true;
        action_step_fail(s, "%s", own_connection(a) && a->conn ? "the connection was lost"
                                                          : "the primary is not connected");
        next_step(a);
        return;
    }
    if (a->def->progress)
        uv_timer_start(&a->timer, progress_cb, PROGRESS_MS, PROGRESS_MS);
}

/* The first statement, once the row's recheck (if it has one) has found
 * that what the operator confirmed still holds, and the intent is on
 * disk. */
static void start_steps(struct action *a)
{
    if (a->def->recheck && !a->checked) {
        a->checking = true;
        a->def->recheck(a);
        return;
    }
    /* The premise held: a change's intent goes on disk before the
     * statements (an EXPLAIN changes nothing and writes none). */
    if (a->def->changes && write_intent(a) != 0) {
        a->current = a->nsteps;
        if (own_connection(a))
            release_connection(a);
        else
            end_run(a);
        return;
    }
    run_step(a);
}

void action_premise_held(struct action *a)
{
    if (!a->checking)
        return;
    a->checking = false;
    a->checked = true;
    start_steps(a);
}

/* The recheck said no: nothing is sent; the reserved connection goes back
 * as it came, and end_run says why (takes `reason`). */
static void premise_failed(struct action *a, char *reason)
{
    a->checking = false;
    free(a->refusal);
    a->refusal = xasprintf("%s, nothing sent", reason);
    free(reason);
    a->current = a->nsteps;
    if (own_connection(a))
        release_connection(a);
    else
        end_run(a);
}

/* ---- before the first statement --------------------------------------------- */

/* Refuse the action on its way to the statements: say why, send nothing
 * more, put the session back and give the connection back. */
static void refuse_running(struct action *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse_running(struct action *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(a->refusal);
    a->refusal = vformat(fmt, ap);
    va_end(ap);
    a->current = a->nsteps;
    if (own_connection(a))
        release_connection(a);
    else
        end_run(a);
}

int action_check_query(struct action *a, const char *sql, int nparams, const char *const *params,
                       action_query_cb cb)
{
    if (!conn_usable(a))
        return action_query(a, sql, nparams, params, cb);
    struct query_call *q = xcalloc(1, sizeof *q);
    q->a = a;
    q->cb = cb;
    if (pgconn_send(a->conn, sql, nparams, params, 0, query_done, q) != 0) {
        free(q);
        return -1;
    }
    a->queries++;
    return 0;
}

/* The session settings DDL runs with, in order; each is checked before
 * the next is sent, and DDL goes out only when every one took. */
static char *setup_statement(const struct action *a, int i)
{
    switch (i) {
    case 0:
        /* lock_timeout so DDL gives up rather than queue behind a long
         * transaction (and make every query behind it queue too). */
        return xasprintf("SET lock_timeout = %.0f", a->app->cfg->lock_timeout_ms);
    case 1:
        /* No statement_timeout: an index build may take hours. */
        return xstrdup("SET statement_timeout = 0");
    case 2:
        /* PostgreSQL 14+ checks every second that pgdeck is still there,
         * and ends the statement when it is not: a DDL whose client was
         * stopped (SIGTERM, a dropped SSH session) does not go on
         * unrecorded. */
        return a->check_client ? xstrdup("SET client_connection_check_interval = 1000") : NULL;
    }
    return NULL;
}

static void send_setup(struct action *a);

static void setup_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)elapsed;
    struct action *a = arg;
    if (error) {
        char *sql = setup_statement(a, a->setup_sent - 1);
        refuse_running(a, "%s failed (%s): the DDL would run without it, so it was not sent",
                       sql ? sql : "a session setting", error);
        free(sql);
        return;
    }
    send_setup(a);
}

static void send_setup(struct action *a)
{
    char *sql = setup_statement(a, a->setup_sent);
    if (!sql) {
        start_steps(a);
        return;
    }
    a->setup_sent++;
    int rc = conn_usable(a) ? pgconn_send(a->conn, sql, 0, NULL, 0, setup_done, a) : -1;
    if (rc != 0)
        refuse_running(a, "%s could not be sent: the action's connection is not up, nothing else was sent",
                       sql);
    free(sql);
}

/* The session check (queries/action_session_check.sql) answered. */
static void checked(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct action *a = arg;
    if (error || !res || PQntuples(res) < 1) {
        refuse_running(a, "could not check the action's connection: %s", error ? error : "no answer");
        return;
    }
    /* A connection pooler in between (PgBouncer in transaction or
     * statement mode, the usual way) hands each transaction whichever
     * server connection is free: a SET made in one does not stick to the
     * next, so CREATE INDEX CONCURRENTLY would run without lock_timeout
     * and queue every query behind it.  How to tell, reliably:
     *   - the pid the connection reported at startup (BackendKeyData) is
     *     the server process's own when pgdeck talks to the server, even
     *     through a plain TCP forwarder, an SSH tunnel or NAT, which pass
     *     the bytes on; a pooler cannot pass it on (its clients share
     *     server processes) and makes one up, for its own cancel handling;
     *     pg_backend_pid() is the truth;
     *   - not the server's port against the one dialled (NAT, Docker and
     *     tunnels change it), nor the startup options being dropped (what
     *     a pooler does with them depends on its configuration and
     *     version), nor a stickiness probe (an idle pool hands back the
     *     same server connection, so a probe passes until the day it
     *     matters).
     * A session-mode pool would keep the settings, but from here it looks
     * the same; DDL belongs on a connection to the server itself. */
    const char *server_pid = pgres_get(res, 0, "backend_pid");
    int startup_pid = a->conn ? pgconn_backend_pid(a->conn) : 0;
    if (!server_pid || atoi(server_pid) != startup_pid) {
        refuse_running(a, "pgdeck reaches the primary through a connection pooler (its connection reported "
                       "pid %d at startup, the server runs it as pid %s): a pooler in transaction or statement "
                       "mode (PgBouncer's usual) does not keep session settings such as lock_timeout on the "
                       "server connection, so the DDL would run without them; connect pgdeck to the server "
                       "itself to run DDL (monitoring through the pooler is fine)",
                       startup_pid, server_pid ? server_pid : "?");
        return;
    }
    const char *sys = pgres_get(res, 0, "system_id"), *db = pgres_get(res, 0, "database_oid");
    free(a->system_id);
    a->system_id = sys && *sys ? xstrdup(sys) : NULL;
    a->database_oid = db ? strtoul(db, NULL, 10) : 0;
    const char *oids = pgres_get(res, 0, "oids");
    for (int i = 0; i < a->nsteps && oids; i++) {
        a->steps[i].relation_oid = a->steps[i].relation ? strtoul(oids, NULL, 10) : 0;
        oids = strchr(oids, ',');
        if (oids)
            oids++;
    }
    send_setup(a);
}

static void began(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)res;
    (void)elapsed;
    struct action *a = arg;
    if (error) {
        refuse_running(a, "BEGIN failed (%s), nothing else was sent", error);
        return;
    }
    a->began = true;
    start_steps(a);
}

static void reserved(void *arg, struct pgconn *conn, const char *error)
{
    struct action *a = arg;
    if (!conn) {
        action_step_fail(&a->steps[0], "no connection for the action: %s", error ? error : "pool closed");
        end_run(a);
        return;
    }
    a->conn = conn;
    if (!a->def->ddl) {
        /* A transaction: BEGIN, then the recheck and the statements. */
        if (pgconn_send(conn, "BEGIN", 0, NULL, 0, began, a) != 0)
            refuse_running(a, "the action's connection is not up, nothing was sent");
        return;
    }
    /* Before anything else goes on this connection: is it the server's
     * own session, which cluster and database is it, and which objects do
     * the statements' names stand for now. */
    const char *sql = action_sql_file("queries/action_session_check.sql");
    const char **names = xcalloc((size_t)a->nsteps + 1, sizeof *names);
    for (int i = 0; i < a->nsteps; i++)
        names[i] = a->steps[i].relation;
    char *list = sql_text_array(names, a->nsteps);
    const char *params[] = { list };
    int rc = sql ? pgconn_send(conn, sql, 1, params, 0, checked, a) : -1;
    free(list);
    free(names);
    if (rc != 0)
        refuse_running(a, "the action's connection is not up, nothing was sent");
}

static void execute(struct action *a)
{
    a->state = STATE_RUNNING;
    a->run_started = now_monotonic();
    a->current = 0;
    app_changed(a->app, APP_CHANGED_ACTION);
    if (own_connection(a)) {
        if (!a->app->primary) {
            action_step_fail(&a->steps[0], "no primary configured");
            end_run(a);
            return;
        }
        pgpool_reserve(a->app->primary, reserved, a);
    } else {
        start_steps(a);
    }
}

/* ---- the gate ----------------------------------------------------------------- */

static void build_preview(struct action *a)
{
    int cap = a->nnotes + a->nsteps + 8;
    a->preview = xcalloc((size_t)cap, sizeof *a->preview);
    int n = 0;
    for (int i = 0; i < a->nnotes; i++)
        a->preview[n++] = xstrdup(a->notes[i]);
    a->preview[n++] = xstrdup("");
    if (a->def->ddl)
        a->preview[n++] = xasprintf("On a connection of its own: %s;", a->session_setup);
    for (int i = 0; i < a->nsteps; i++)
        a->preview[n++] = xasprintf("  %s;", a->steps[i].sql);
    a->npreview = n;
}

char *const *action_preview(const struct action *a, int *n)
{
    *n = a->npreview;
    return a->preview;
}

void action_planned(struct action *a)
{
    if (a->nsteps == 0) {
        action_nothing(a, "%s", a->nnotes ? a->notes[a->nnotes - 1] : "no statement to run");
        return;
    }
    if (!a->title)
        a->title = xasprintf("%s %s", a->def->name, shown(a));
    if (a->def->ddl && action_server_version(a) >= 140000 && !a->check_client) {
        char *setup = xasprintf("%s; SET client_connection_check_interval = 1000", a->session_setup);
        free(a->session_setup);
        a->session_setup = setup;
        a->check_client = true;
    }
    build_preview(a);
    if (!a->def->changes) {
        execute(a);
        return;
    }
    if (a->dry_run) {
        set_message(a, "%s %s: dry run, %d statement%s shown, nothing changed", a->def->name,
                    shown(a), a->nsteps, a->nsteps == 1 ? "" : "s");
        finish(a, ACTION_DRY_RUN);
        return;
    }
    a->state = STATE_CONFIRMING;
    if (a->hooks && a->hooks->confirm)
        a->hooks->confirm(a->hooks_arg, a);
    else
        action_confirm(a, true);
}

void action_confirm(struct action *a, bool yes)
{
    if (a->state != STATE_CONFIRMING)
        return;
    if (a->forwarded) {
        /* The agent runs it, or drops it, on this answer. */
        a->state = yes ? STATE_RUNNING : STATE_FINISHING;
        if (a->app->forwarder)
            a->app->forwarder->answer(a->app->forwarder->arg, a, yes);
        if (!yes) {
            set_message(a, "%s %s: cancelled, nothing changed", a->def->name, shown(a));
            a->state = STATE_CONFIRMING;
            finish(a, ACTION_DECLINED);
        }
        return;
    }
    if (!yes) {
        set_message(a, "%s %s: cancelled, nothing changed", a->def->name, shown(a));
        finish(a, ACTION_DECLINED);
        return;
    }
    execute(a);
}

/* ---- forwarded to an agent ------------------------------------------------------ */

bool action_forwarded(const struct action *a)
{
    return a->forwarded;
}

void action_remote_preview(struct action *a, const char *title, char **lines, int n)
{
    if (!a->forwarded || a->state != STATE_PLANNING) {
        for (int i = 0; i < n; i++)
            free(lines[i]);
        free(lines);
        return;
    }
    free(a->title);
    a->title = xstrdup(title && *title ? title : a->def->name);
    for (int i = 0; i < a->npreview; i++)
        free(a->preview[i]);
    free(a->preview);
    a->preview = lines;
    a->npreview = n;
    a->state = STATE_CONFIRMING;
    if (a->hooks && a->hooks->confirm)
        a->hooks->confirm(a->hooks_arg, a);
    else
        action_confirm(a, false);   /* nobody here to say yes */
}

void action_remote_progress(struct action *a, const char *text)
{
    if (a->forwarded && a->hooks && a->hooks->progress)
        a->hooks->progress(a->hooks_arg, a, text);
}

void action_remote_end(struct action *a, enum action_outcome outcome, const char *message)
{
    if (!a->forwarded || a->state == STATE_FINISHING)
        return;
    set_message(a, "%s", message && *message ? message : action_outcome_name(outcome));
    finish(a, outcome);
}

static void query_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct query_call *q = arg;
    struct action *a = q->a;
    action_query_cb cb = q->cb;
    free(q);
    a->queries--;
    if (a->closed) {
        if (a->queries == 0)
            free_action(a);
        return;
    }
    /* An answer that comes after the end (a progress read) is not wanted. */
    if (a->state != STATE_FINISHING)
        cb(a, res, error);
}

int action_query(struct action *a, const char *sql, int nparams, const char *const *params,
                 action_query_cb cb)
{
    if (!a->app->primary || pgpool_state(a->app->primary) != PGCONN_UP)
        return -1;
    struct query_call *q = xcalloc(1, sizeof *q);
    q->a = a;
    q->cb = cb;
    if (pgpool_send(a->app->primary, sql, nparams, params, 0, query_done, q) != 0) {
        free(q);
        return -1;
    }
    a->queries++;
    return 0;
}

void action_set_key(struct action *a, const char *oid, const char *backend_start)
{
    if (oid) {
        free((char *)a->target.oid);
        a->target.oid = xstrdup(oid);
    }
    if (backend_start) {
        free((char *)a->target.backend_start);
        a->target.backend_start = xstrdup(backend_start);
    }
}

void action_pin_relation(struct action *a, const char *oid, const char *schema, const char *name,
                         const char *kinds)
{
    a->pins = xrealloc(a->pins, (size_t)(a->npins + 1) * sizeof *a->pins);
    struct action_pin *p = &a->pins[a->npins++];
    p->oid = xstrdup(oid);
    p->schema = xstrdup(schema);
    p->name = xstrdup(name);
    p->kinds = xstrdup(kinds);
}

const struct action_pin *action_pins(const struct action *a, int *n)
{
    *n = a->npins;
    return a->pins;
}

static char *default_target_text(const struct action_target *t)
{
    if (t->schema && t->name)
        return xasprintf("%s.%s", t->schema, t->name);
    if (t->name)
        return xstrdup(t->name);
    if (t->pid > 0)
        return xasprintf("pid %d", t->pid);
    return NULL;
}

void action_start(struct app *app, const struct action_def *def, const struct action_target *target,
                  bool dry_run, const struct action_hooks *hooks, void *arg)
{
    struct action *a = xcalloc(1, sizeof *a);
    a->def = def;
    a->app = app;
    a->hooks = hooks;
    a->hooks_arg = arg;
    a->dry_run = dry_run;
    a->state = STATE_PLANNING;
    if (target) {
        a->target.schema = xstrdup(target->schema);
        a->target.name = xstrdup(target->name);
        a->target.pid = target->pid;
        a->target.text = xstrdup(target->text);
        a->target.database = xstrdup(target->database);
        a->target.role = xstrdup(target->role);
        a->target.oid = xstrdup(target->oid);
        a->target.backend_start = xstrdup(target->backend_start);
    }
    a->target_text = default_target_text(&a->target);
    a->session_setup = xasprintf("SET lock_timeout = %.0f; SET statement_timeout = 0",
                                 app->cfg->lock_timeout_ms);
    uv_timer_init(app->loop, &a->timer);
    a->timer.data = a;
    if (!app->actions)
        app->actions = xcalloc(1, sizeof *app->actions);
    a->next = app->actions->head;
    app->actions->head = a;

    /* 1. Read-only: checked here, on the row's flag, for every action. */
    if (def->changes && app->cfg->read_only && !dry_run) {
        set_message(a, "read-only console: %s changes the database, nothing was sent", def->name);
        finish(a, ACTION_REFUSED);
        return;
    }
    /* A viewer has no database: the agent plans, confirms through this
     * console, runs and journals (action_forwarder). */
    if (app->forwarder) {
        a->forwarded = true;
        app->forwarder->send(app->forwarder->arg, a);
        return;
    }
    /* 2. Nothing is done that is not recorded. */
    if (def->changes && !dry_run) {
        char err[512];
        char *path = journal_path(app->cfg->journal_file, err, sizeof err);
        int rc = path ? journal_check(path, err, sizeof err) : -1;
        free(path);
        if (rc != 0) {
            set_message(a, "%s refused: %s; changing actions are refused while the journal cannot "
                        "be written", def->name, err);
            finish(a, ACTION_REFUSED);
            return;
        }
    }
    /* 3. The preview. */
    def->plan(a);
}
