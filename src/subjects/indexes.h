#ifndef PGDECK_SUBJECTS_INDEXES_H
#define PGDECK_SUBJECTS_INDEXES_H

#include <stdbool.h>

#include "core/action.h"
#include "core/snapshot.h"

/* The indexes subject (indexes.c, indexes_actions.c, indexes_advice.c).
 *
 * derive_indexes is the indexes collector's derive; it calls
 * derive_indexes_from, which takes everything it needs as arguments, so
 * the unit tests can call it on hand-made snapshots.  Columns it adds:
 * display (the name without "public."), kind ("index" for the catalog's,
 * "plan" for a planned one that is not there, "fk" and "advice" for what
 * pgdeck suggests), planned (t/f), plan_line, status ("present",
 * "INVALID", "building 45%", "missing", "no table", "fk no index",
 * "advised", "" for an index the plan does not name), unused (t/f),
 * stats_age (seconds of statistics an unused index is judged on) and
 * stats_from ("reset": since pg_stat_reset; "start": no reset, at least
 * since the server started), duplicate (t/f), redundant (t/f: a prefix of
 * another, redundant_of), suggested (t/f: pgdeck would build it with i),
 * problem (t/f), note ("unused 3d", "duplicate", "redundant", "fk", "cost
 * -95%", ...).  Rows added: the plan's missing indexes (definition = the
 * plan's statement; "no table" when their table is not in this
 * database), foreign keys without an index (index_health), and the
 * advice (the advice collector: definition, columns, cost_before,
 * cost_after, statements, helps, why).  Rows are reordered: INVALID,
 * building, missing, advised, fk first; "no table" last.
 *
 * The plan: --plan FILE always applies; the kit's built-in plan applies
 * only where most of its tables exist (indexes_plan_fit), so another
 * database shows index health and advice alone.
 *
 * derive_index_progress adds nothing: when a build starts or ends it asks
 * the indexes collector to run now, so the status flips at once;
 * derive_index_health does the same when the plan's tables change. */

struct alert;
struct app;
struct collector;
struct config;
struct plan;

extern const struct action_def action_index;        /* i: one missing planned index */
extern const struct action_def action_index_all;    /* I: every missing one */
extern const struct action_def action_drop_index;   /* x: an INVALID index */

void derive_indexes(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_index_progress(struct app *app, struct snapshot *now, const struct snapshot *prev);
void derive_index_health(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* Whether the index plan applies to this database. */
enum index_plan_verdict {
    PLAN_FIT_NONE,          /* no plan, or an empty one */
    PLAN_FIT_APPLIES,
    PLAN_FIT_PENDING,       /* the kit's plan, its tables not asked yet */
    PLAN_FIT_NOT_HERE,      /* the kit's plan, and most of its tables are not here */
};
struct index_plan_fit {
    enum index_plan_verdict verdict;
    int tables;             /* distinct tables the plan names */
    int found;              /* of them, in this database */
};
/* `health` is the index_health snapshot (its 'table' rows), `known`
 * whether it has answered yet. */
void indexes_plan_fit(const struct plan *plan, bool builtin, const struct snapshot *health, bool known,
                      struct index_plan_fit *fit);
/* The same for the console's plan and snapshots. */
void indexes_plan_status(const struct app *app, struct index_plan_fit *fit);

/* What derive_indexes_from reads; every pointer may be NULL. */
struct index_inputs {
    const struct plan *plan;
    bool   plan_builtin;            /* the kit's plan (applies only where its tables are) */
    const struct snapshot *progress;        /* index_progress */
    const struct snapshot *health;          /* index_health: stats, plan tables, foreign keys */
    bool   health_known;            /* NULL health with this false: not asked yet */
    const struct snapshot *advice;          /* the advice collector's */
    double now;                     /* wall clock, when health has no server_now */
};
void derive_indexes_from(struct snapshot *s, const struct index_inputs *in);
/* derive_indexes_from with a plan that applies as it is and no more
 * inputs: `plan` and `progress` may be NULL. */
void derive_indexes_at(struct snapshot *s, const struct plan *plan, const struct snapshot *progress);

/* The index plan the indexes collector compares with: cfg->plan_file, or
 * the kit's built-in one.  Read on first use and again when the file
 * changes.  *error is NULL or why the plan could not be read at all; the
 * plan's own errors[] list statements it could not read.  Borrowed. */
const struct plan *derive_index_plan(const struct config *cfg, const char **error);
/* The plan as the indexes collector last read it, without looking at the
 * file (for drawing); NULL before the first read. */
const struct plan *derive_index_plan_loaded(const char **error);

/* The advice (indexes_advice.c): the "advice" collector's custom run,
 * which starts the background action below every INDEXES_ADVICE_CADENCE
 * seconds (it plans a few hundred EXPLAINs), and its state's free.  Its
 * snapshot: one row per advised index (name, schema, index, table,
 * columns, definition, cost_before, cost_after: the planner's cost summed
 * over the statements it helps, statements, calls, helps: a JSON array of
 * {queryid, calls, before, after, query}, why), or an error saying why
 * there is none (hypopg missing, pg_stat_statements not readable). */
#define INDEXES_ADVICE_CADENCE 300.0
int  indexes_advice_run(struct collector *c);
void indexes_advice_free(void *state);
extern const struct action_def action_advise;
/* :hypopg: CREATE EXTENSION hypopg (a superuser; previewed). */
extern const struct action_def action_hypopg;
/* What the last advice run did ("10 statements read, 8 planned, 23
 * candidates tested, 2 advised, in 140 ms"), or why it advised nothing;
 * NULL before the first.  *ran_at: its wall-clock time.  Borrowed. */
const char *indexes_advice_summary(const struct app *app, double *ran_at);

#define INDEXES_HYPOPG_MISSING "hypopg is not installed in this database: a superuser runs CREATE EXTENSION " \
    "hypopg, or types :hypopg to have pgdeck do it (for run indexes --advise: create_hypopg = yes in [actions])"
#define INDEXES_HYPOPG_ABSENT "the hypopg extension is not on this server (Debian: apt-get install " \
    "postgresql-15-hypopg), then CREATE EXTENSION hypopg as a superuser"

/* The statement of an index pgdeck suggests (an advised one, or one for a
 * foreign key without an index) named schema.index, from the advice and
 * index_health snapshots: "CREATE INDEX "name" ON "schema"."table" USING
 * btree (...)", every name quoted; *why says why it is suggested.  NULL
 * when none is.  Caller frees both. */
char *indexes_suggestion(const struct app *app, const char *schema, const char *index, char **why);

/* The indexes collector's run (indexes_read.c): indexes_signature.sql,
 * and indexes.sql only when that changed or the last full read is
 * INDEXES_EXACT seconds old; between full reads the sizes and scans are
 * the last read's.  Its state's free. */
#define INDEXES_EXACT 60.0
int  indexes_read_run(struct collector *c);
void indexes_read_free(void *state);

/* The alert rule: INVALID indexes (a failed CONCURRENTLY build). */
int alert_invalid_indexes(const struct app *app, struct alert *out, int max);

#endif
