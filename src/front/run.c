/* pgdeck run refresh|partitions|indexes [--advise]|track-views|untrack-views:
 * maintenance for cron.
 *
 * The same actions, the same gate, the same journal and the same
 * lock_timeout as the console, on the same libuv loop; only the front end
 * differs: the command line is the operator's answer (no question is
 * asked), --dry-run prints the exact statements and changes nothing, each
 * outcome is a line on stdout (failures and refusals on stderr), and the
 * exit status is 0 when everything went well, 1 when an action failed or
 * was refused, 2 when pgdeck could not even start (no connection, nothing
 * to run).  Targets named on the command line are SQL identifiers
 * (ident.h), looked up by exact schema and name; without names, the views
 * or partitions collector is asked once which views are stale or which
 * tables are partitioned by time.
 *
 * Names, statements and server messages are other people's text: every
 * line goes through the sanitizing writer (textout.h), so a table named
 * with an escape sequence is printed made visible, never obeyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/action.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "front/frontend.h"
#include "subjects/indexes.h"
#include "base/ident.h"
#include "core/snapshot.h"
#include "base/textout.h"
#include "base/clock.h"
#include "base/loop.h"
#include "base/xalloc.h"

#define TICK_MS 50

struct job {
    const struct action_def *def;
    char *schema, *name;            /* owned */
};

enum run_phase {
    PHASE_CONNECTING,
    PHASE_PREPARING,                /* an action before the collector (:hypopg) */
    PHASE_COLLECTING,               /* waiting for a collector's first answer */
    PHASE_ACTIONS,
    PHASE_DONE,
};

struct run {
    struct app    *app;
    uv_timer_t     timer;
    enum run_phase phase;
    double         deadline;        /* monotonic, for the phase */
    const char    *collector;       /* the one PHASE_COLLECTING waits for */
    const char    *first;           /* a collector that one needs in before it runs */
    double         collect_seconds; /* how long it may take; 0: a query's time */
    const struct action_def *pre;   /* PHASE_PREPARING's action, or NULL */
    struct job    *jobs;
    int            njobs, next;
    bool           busy;            /* an action is under way */
    int            failures;
    int            exit_code;
    bool           progress_shown;
};

static void add_job(struct run *r, const struct action_def *def, const char *schema, const char *name)
{
    r->jobs = xrealloc(r->jobs, (size_t)(r->njobs + 1) * sizeof *r->jobs);
    struct job *j = &r->jobs[r->njobs++];
    j->def = def;
    j->schema = xstrdup(schema);
    j->name = xstrdup(name);
}

static void stop(struct run *r, int code)
{
    r->phase = PHASE_DONE;
    r->exit_code = code;
    uv_stop(r->app->loop);
}

/* ---- the hooks ------------------------------------------------------------ */

static void end_progress(struct run *r)
{
    if (r->progress_shown) {
        textout_control(stderr, "\r\033[K");
        r->progress_shown = false;
    }
}

static void on_progress(void *arg, struct action *a, const char *text)
{
    (void)a;
    struct run *r = arg;
    /* Progress is for a person watching; cron's mail gets the outcome. */
    if (!isatty(STDERR_FILENO))
        return;
    textout_control(stderr, "\r\033[K");
    textout_fold(stderr, "%s", text);
    fflush(stderr);
    r->progress_shown = true;
}

static void print_dry_run(struct action *a)
{
    textout_line(stdout, "-- %s", action_title(a));
    int n;
    char *const *lines = action_preview(a, &n);
    /* The preview's notes come before its blank line; the statements are
     * printed below as they would be sent. */
    for (int i = 0; i < n && lines[i][0]; i++)
        textout_line(stdout, "-- %s", lines[i]);
    const char *setup = action_session_setup(a);
    if (setup) {
        /* "SET a = 1; SET b = 0" as one statement a line. */
        char *copy = xstrdup(setup), *save = NULL;
        for (char *s = strtok_r(copy, ";", &save); s; s = strtok_r(NULL, ";", &save)) {
            while (*s == ' ')
                s++;
            textout_line(stdout, "%s;", s);
        }
        free(copy);
    }
    /* A statement keeps its own line breaks (a plan's CREATE INDEX may
     * span lines); a name that holds a newline is inside quotes. */
    for (int i = 0; i < action_step_count(a); i++)
        textout_printf(stdout, "%s;\n", action_step_sql(a, i));
}

static void start_collecting(struct run *r);

static void on_done(void *arg, struct action *a)
{
    struct run *r = arg;
    end_progress(r);
    if (r->phase == PHASE_PREPARING) {
        /* Its outcome is said below; the collector runs whatever it was
         * (and says why it cannot, when it cannot). */
        r->busy = false;
        r->phase = PHASE_COLLECTING;
        start_collecting(r);
    }
    switch (action_outcome(a)) {
    case ACTION_OK:
    case ACTION_NOTHING:
        textout_line(stdout, "%s", action_message(a));
        break;
    case ACTION_DRY_RUN:
        print_dry_run(a);
        break;
    default:
        textout_line(stderr, "pgdeck: %s", action_message(a));
        r->failures++;
        break;
    }
    fflush(stdout);
    r->busy = false;
}

static const struct action_hooks run_hooks = {
    .progress = on_progress,
    .done = on_done,
    .refresh_collectors = false,
    .front_end = "run",
};

/* ---- targets ---------------------------------------------------------------- */

static bool timed_range(const struct snapshot *s, int row)
{
    const char *strategy = snapshot_get(s, row, "strategy");
    const char *type = snapshot_get(s, row, "key_type");
    return strategy && strcmp(strategy, "range") == 0 && type &&
           (strcmp(type, "date") == 0 || strncmp(type, "timestamp", 9) == 0);
}

/* The collector has answered: the jobs it implies. */
static int jobs_from_snapshot(struct run *r)
{
    const struct snapshot *s = collectors_snapshot(r->app, r->collector);
    if (!s || s->error) {
        textout_line(stderr, "pgdeck: run: cannot list the %s: %s", r->collector,
                     s && s->error ? s->error : "no answer in time");
        return -1;
    }
    if (strcmp(r->collector, "advice") == 0) {
        /* What the advice did, then a build for each advised index (the
         * console's i, from the same snapshot). */
        const char *summary = indexes_advice_summary(r->app, NULL);
        textout_line(stdout, "advice: %s", summary ? summary : "done");
        for (int row = 0; row < s->nrows; row++) {
            textout_line(stdout, "advised: %s (%s): planner's cost %s -> %s over %s statement(s)",
                         snapshot_text(s, row, "name"), snapshot_text(s, row, "columns"),
                         snapshot_text(s, row, "cost_before"), snapshot_text(s, row, "cost_after"),
                         snapshot_text(s, row, "statements"));
            add_job(r, action_find("index"), snapshot_get(s, row, "schema"), snapshot_get(s, row, "index"));
        }
        if (!r->njobs)
            textout_line(stdout, "no index to build");
    } else if (strcmp(r->collector, "partitions") == 0) {
        for (int row = 0; row < s->nrows; row++) {
            if (!timed_range(s, row))
                continue;
            add_job(r, action_find("maintain"), snapshot_get(s, row, "schema"), snapshot_get(s, row, "table"));
        }
        if (!r->njobs)
            textout_line(stdout, "no table is partitioned by range on a date or timestamp column: nothing to do");
    }
    return 0;
}

/* A job for a name from the command line: an SQL identifier, looked up by
 * exact schema and name (config_load already refused what is not one). */
static int add_named_job(struct run *r, const struct action_def *def, const char *target)
{
    char *schema, *name, why[256];
    if (ident_parse_qualified(target, "public", &schema, &name, why, sizeof why) != 0) {
        textout_line(stderr, "pgdeck: run %s: '%s' is not a name: %s", def->name, target, why);
        return -1;
    }
    add_job(r, def, schema, name);
    free(schema);
    free(name);
    return 0;
}

static int plan_jobs(struct run *r)
{
    const struct config *cfg = r->app->cfg;
    char **targets = cfg->run_targets;
    int ntargets = 0;
    while (targets && targets[ntargets])
        ntargets++;
    switch (cfg->run_kind) {
    case RUN_REFRESH:
        if (cfg->run_stale) {
            add_job(r, action_find("refresh-stale"), NULL, NULL);
            r->collector = "views";
        } else {
            for (int i = 0; i < ntargets; i++)
                if (add_named_job(r, action_find("refresh"), targets[i]) != 0)
                    return -1;
        }
        break;
    case RUN_PARTITIONS:
        for (int i = 0; i < ntargets; i++)
            if (add_named_job(r, action_find("maintain"), targets[i]) != 0)
                return -1;
        if (!ntargets)
            r->collector = "partitions";
        break;
    case RUN_INDEXES:
        if (cfg->run_advise) {
            /* The advice plans the busiest statements of
             * pg_stat_statements: those first. */
            r->collector = "advice";
            r->first = "statements";
            r->collect_seconds = 300;
            if (cfg->create_hypopg)
                r->pre = action_find("hypopg");
        } else {
            add_job(r, action_find("index-all"), NULL, NULL);
        }
        break;
    case RUN_TRACK_VIEWS:
        add_job(r, action_find("track-views"), NULL, NULL);
        break;
    case RUN_UNTRACK_VIEWS:
        add_job(r, action_find("untrack-views"), NULL, NULL);
        break;
    case RUN_NONE:
        break;
    }
    return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

static void start_collecting(struct run *r)
{
    double wait = r->collect_seconds > 0 ? r->collect_seconds : r->app->cfg->query_timeout_ms / 1000.0;
    r->deadline = now_monotonic() + wait + 1;
    if (r->first)
        collector_run_now(r->app, r->first);
    collector_run_now(r->app, r->collector);
}

static void start_next(struct run *r)
{
    if (r->busy)
        return;
    if (r->next >= r->njobs) {
        stop(r, r->failures ? 1 : 0);
        return;
    }
    struct job *j = &r->jobs[r->next++];
    struct action_target t = { .schema = j->schema, .name = j->name };
    r->busy = true;
    action_start(r->app, j->def, &t, r->app->cfg->dry_run, &run_hooks, r);
}

static void tick(uv_timer_t *t)
{
    struct run *r = t->data;
    struct app *app = r->app;
    double now = now_monotonic();
    switch (r->phase) {
    case PHASE_CONNECTING: {
        const struct server *primary = app_server(app, SERVER_PRIMARY);
        enum pgconn_state st = server_state(primary);
        if (st == PGCONN_UP) {
            if (r->pre) {
                r->phase = PHASE_PREPARING;
                r->busy = true;
                action_start(app, r->pre, &(struct action_target){ 0 }, app->cfg->dry_run, &run_hooks, r);
            } else if (r->collector) {
                r->phase = PHASE_COLLECTING;
                start_collecting(r);
            } else {
                r->phase = PHASE_ACTIONS;
            }
        } else if (now > r->deadline || (st == PGCONN_DOWN && server_error(primary))) {
            const char *why = server_error(primary);
            textout_line(stderr, "pgdeck: run: cannot connect to the primary: %s",
                         why && *why ? why : "no answer in time");
            stop(r, 2);
        }
        break;
    }
    case PHASE_PREPARING:
        break;
    case PHASE_COLLECTING: {
        const struct collector *c = collector_find(app, r->collector);
        const struct collector *first = r->first ? collector_find(app, r->first) : NULL;
        if (first && !first->current) {
            if (!first->running)
                collector_run_now(app, r->first);
            if (now > r->deadline) {
                textout_line(stderr, "pgdeck: run: no answer from the %s collector in time", r->first);
                stop(r, 2);
            }
        } else if (c && c->current) {
            if (jobs_from_snapshot(r) != 0) {
                stop(r, 2);
                return;
            }
            r->phase = PHASE_ACTIONS;
        } else if (now > r->deadline) {
            jobs_from_snapshot(r);
            stop(r, 2);
        } else if (c && !c->running) {
            collector_run_now(app, r->collector);
        }
        break;
    }
    case PHASE_ACTIONS:
        start_next(r);
        break;
    case PHASE_DONE:
        uv_stop(app->loop);
        break;
    }
}

int frontend_run(struct app *app)
{
    struct run r = { .app = app };
    int rc = 0;
    if (plan_jobs(&r) != 0) {
        rc = 2;
    } else if (!r.njobs && !r.collector) {
        const char *what = app->cfg->run_kind == RUN_REFRESH ? "name the views to refresh, or give --stale"
                                                             : "nothing to run";
        textout_line(stderr, "pgdeck: run: %s", what);
        rc = 2;
    } else {
        r.deadline = now_monotonic() + app->cfg->connect_timeout_ms / 1000.0 + 1;
        uv_timer_init(app->loop, &r.timer);
        r.timer.data = &r;
        uv_timer_start(&r.timer, tick, 0, TICK_MS);
        /* uv_stop only ends one uv_run; other callbacks may return early
         * too, so go round until the run says it is done. */
        while (r.phase != PHASE_DONE)
            uv_run(app->loop, UV_RUN_DEFAULT);
        uv_timer_stop(&r.timer);
        end_progress(&r);
        rc = r.exit_code;
    }
    for (int i = 0; i < r.njobs; i++) {
        free(r.jobs[i].schema);
        free(r.jobs[i].name);
    }
    free(r.jobs);
    collectors_stop(app);
    app_close(app);
    collectors_free(app);
    loop_close_all(app->loop);
    return rc;
}
