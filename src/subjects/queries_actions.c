/* The queries subject's actions on sessions: cancel the query (C),
 * terminate the session (K), EXPLAIN the query (e).
 *
 * Cancel and terminate are plain SELECTs of pg_cancel_backend and
 * pg_terminate_backend, with the pid as a parameter.  A server in
 * read-only mode still runs them (they are not writes), which is why the
 * gate's read-only check matters for them most.
 *
 * A pid alone does not name a session: when a backend exits, a later one
 * may get its pid.  The session is pid + backend_start, from the row the
 * operator selected (or, for a pid typed with :cancel, from the lookup the
 * preview shows); it is checked again just before the signal, and the
 * signal itself is sent only to a backend with that start time.
 *
 * EXPLAIN never runs the query: no ANALYZE, ever, and never another
 * role's code as pgdeck's role (explain.c guards the text, checks its
 * relations in the catalog and runs EXPLAIN in a transaction of its own);
 * statements go with the extended protocol, which refuses several in one
 * message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/action_target.h"
#include "core/app.h"
#include "core/subject.h"
#include "subjects/queries.h"
#include "core/explain.h"
#include "base/xalloc.h"

/* How much of a query the preview and the journal quote. */
#define QUOTE_CHARS 300

static bool own_backend(const struct action *a, int pid)
{
    struct app *app = action_app(a);
    int pids[64];
    int n = app->primary ? pgpool_backend_pids(app->primary, pids, 64) : 0;
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

static char *shortened(const char *text)
{
    if (!text)
        return xstrdup("");
    size_t len = strlen(text);
    if (len <= QUOTE_CHARS)
        return xstrdup(text);
    /* Cut at a character boundary. */
    size_t cut = QUOTE_CHARS;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    return xasprintf("%.*s...", (int)cut, text);
}

static bool look_up_session(struct action *a, action_query_cb cb)
{
    const struct action_target *t = action_target(a);
    char pid[32];
    snprintf(pid, sizeof pid, "%d", t->pid);
    const char *params[] = { t->pid > 0 ? pid : NULL, t->pid > 0 ? t->backend_start : NULL };
    const char *sql = action_sql_file("queries/action_session.sql");
    return sql && action_check_query(a, sql, 2, params, cb) == 0;
}

/* Row 0 of action_session.sql is still the session the operator chose;
 * else refuse, saying what changed. */
static bool same_session(struct action *a, const PGresult *res, const char *when)
{
    const struct action_target *t = action_target(a);
    if (!pgres_get(res, 0, "pid")) {
        action_refuse(a, "pid %d has ended%s", t->pid, when);
        return false;
    }
    const char *same = pgres_get(res, 0, "same_backend");
    if (!same || strcmp(same, "t") != 0) {
        const char *started = pgres_get(res, 0, "started");
        action_refuse(a, "pid %d is now another session (started %s)", t->pid, started ? started : "at an unknown time");
        return false;
    }
    return true;
}

/* ---- cancel and terminate ------------------------------------------------- */

static void signal_found(struct action *a, const PGresult *res, const char *error)
{
    const struct action_target *t = action_target(a);
    bool terminate = action_definition(a) == &action_terminate;
    if (error) {
        action_refuse(a, "could not look up pid %d: %s", t->pid, error);
        return;
    }
    if (!same_session(a, res, " (there is no session with that pid)"))
        return;
    const char *user = pgres_get(res, 0, "username"), *db = pgres_get(res, 0, "database");
    const char *app = pgres_get(res, 0, "application"), *state = pgres_get(res, 0, "state");
    const char *dur = pgres_get(res, 0, "duration"), *start = pgres_get(res, 0, "backend_start");
    const char *started = pgres_get(res, 0, "started");
    /* A typed pid gets its key here: the session the preview shows. */
    action_set_key(a, NULL, start);
    char *query = shortened(pgres_get(res, 0, "query"));
    if (terminate)
        action_note(a, "Terminate the session pid %d: its transaction is rolled back and its client "
                    "disconnected.", t->pid);
    else
        action_note(a, "Cancel the query running in pid %d; the session stays connected.", t->pid);
    action_note(a, "  user %s, application '%s', database %s", user ? user : "?", app ? app : "",
                db ? db : "?");
    action_note(a, "  backend started %s; %s for %.0f s (%s)", started ? started : "(not visible to this role)",
                state ? state : "no state", dur ? atof(dur) : 0,
                pgres_get(res, 0, "backend_type") ? pgres_get(res, 0, "backend_type") : "");
    action_note(a, "  query: %s", query);
    free(query);

    char pid[32];
    snprintf(pid, sizeof pid, "%d", t->pid);
    /* Only the backend with that start time is signalled: should the pid
     * belong to a new backend by now, no row, no signal. */
    struct action_step *s = action_add_step(a, action_target_text(a),
                                            terminate ? "SELECT pg_catalog.pg_terminate_backend(a.pid) AS signalled "
                                                        "FROM pg_catalog.pg_stat_activity a WHERE a.pid = $1 "
                                                        "AND a.backend_start IS NOT DISTINCT FROM $2"
                                                      : "SELECT pg_catalog.pg_cancel_backend(a.pid) AS signalled "
                                                        "FROM pg_catalog.pg_stat_activity a WHERE a.pid = $1 "
                                                        "AND a.backend_start IS NOT DISTINCT FROM $2");
    action_step_param(s, pid);
    action_step_param(s, start);
    action_set_detail(a, terminate ? "session terminated" : "cancel sent");
    action_planned(a);
}

static void signal_plan(struct action *a)
{
    const struct action_target *t = action_target(a);
    bool terminate = action_definition(a) == &action_terminate;
    if (t->pid <= 0) {
        action_refuse(a, "select a session in the queries pane (%d), or type :%s PID",
                      subject_pane_number("queries"), terminate ? "terminate" : "cancel");
        return;
    }
    action_set_target(a, "pid %d", t->pid);
    if (own_backend(a, t->pid)) {
        action_refuse(a, "pid %d is one of pgdeck's own connections", t->pid);
        return;
    }
    if (!look_up_session(a, signal_found))
        action_refuse(a, "the primary is not connected");
}

static void signal_result(struct action *a, struct action_step *s, const PGresult *res)
{
    const char *v = pgres_get(res, 0, "signalled");
    if (!v || strcmp(v, "t") != 0)
        action_step_fail(s, "the server did not signal pid %d (it has ended, or is another session now)",
                         action_target(a)->pid);
}

static void signal_rechecked(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "could not check pid %d again before signalling it: %s", action_target(a)->pid, error);
        return;
    }
    if (same_session(a, res, " since the preview"))
        action_premise_held(a);
}

/* Just before the signal: the same backend (pid and start time). */
static void signal_recheck(struct action *a)
{
    if (!look_up_session(a, signal_rechecked))
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_cancel = {
    .name = "cancel",
    .key = 'C',
    .needs = NEEDS_SESSION,
    .help = "queries, locks: cancel the selected session's query (pg_cancel_backend)",
    .changes = true,
    .affects = "activity,locks",
    .plan = signal_plan,
    .result = signal_result,
    .recheck = signal_recheck,
};

const struct action_def action_terminate = {
    .name = "terminate",
    .key = 'K',
    .needs = NEEDS_SESSION,
    .help = "queries, locks: terminate the selected session (pg_terminate_backend)",
    .changes = true,
    .affects = "activity,connections,locks",
    .plan = signal_plan,
    .result = signal_result,
    .recheck = signal_recheck,
};

/* ---- EXPLAIN --------------------------------------------------------------------- */

static void explain_found(struct action *a, const PGresult *res, const char *error)
{
    const struct action_target *t = action_target(a);
    if (error) {
        action_refuse(a, "could not read the query: %s", error);
        return;
    }
    const char *current = pgres_get(res, 0, "current_database");
    const char *v = pgres_get(res, 0, "server_version");
    int version = v ? atoi(v) : 0;
    if (t->pid > 0) {
        if (!same_session(a, res, " (there is no session with that pid)"))
            return;
        const char *query = pgres_get(res, 0, "query");
        if (!query || !*query) {
            action_refuse(a, "pid %d shows no query text (it may belong to another role)", t->pid);
            return;
        }
        explain_plan_text(a, query, pgres_get(res, 0, "database"), pgres_get(res, 0, "username"), current,
                          version);
        return;
    }
    explain_plan_text(a, t->text, t->database, t->role, current, version);
}

static void explain_plan(struct action *a)
{
    const struct action_target *t = action_target(a);
    if (t->pid > 0)
        action_set_target(a, "pid %d", t->pid);
    else if (t->text && *t->text)
        action_set_target(a, "statement");
    else {
        action_refuse(a, "select a query in the queries pane (%d), or type :explain PID",
                      subject_pane_number("queries"));
        return;
    }
    if (!look_up_session(a, explain_found))
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_explain = {
    .name = "explain",
    .key = 'e',
    .needs = NEEDS_QUERY,
    .help = "queries: EXPLAIN the selected query (never ANALYZE: it is not run)",
    .changes = false,
    .transaction = true,
    .plan = explain_plan,
    .recheck = explain_recheck,
    .result = explain_result,
};
