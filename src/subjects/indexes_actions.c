/* The indexes subject's actions: create the selected missing index of the plan (i),
 * every missing one (I, run indexes), and drop an INVALID index (x).
 *
 * A planned index is built CONCURRENTLY (writes go on while it builds),
 * except on a partitioned table, where PostgreSQL cannot: the preview then
 * says that writes wait.  While it builds, the progress is read from
 * pg_stat_progress_create_index through the index_progress collector.  A
 * CONCURRENTLY build that fails leaves an INVALID index behind, which the
 * index pane shows and `x` drops with DROP INDEX CONCURRENTLY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/action_target.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/plan.h"
#include "core/plan_builtin.h"
#include "core/snapshot.h"
#include "core/subject.h"
#include "subjects/indexes.h"
#include "base/xalloc.h"

/* The index plan, kept with the action, and the entry it is about. */
struct index_data {
    struct plan plan;
    const struct plan_entry *entry;
    char *suggested;            /* the entry is pgdeck's suggestion, not the
                                   plan's: why ("advised: ..."), else NULL */
    const struct plan_entry **built;    /* the entries the steps build, in order */
    int   nbuilt;
    char *progress;             /* the last progress read by our own query */
    bool  asking;               /* that query is under way */
};

static void index_data_free(void *p)
{
    struct index_data *d = p;
    plan_free(&d->plan);
    free(d->suggested);
    free(d->built);
    free(d->progress);
    free(d);
}

/* Remember that a step builds entry e, for the recheck. */
static void add_built(struct action *a, const struct plan_entry *e)
{
    struct index_data *d = action_data(a);
    d->built = xrealloc(d->built, (size_t)(d->nbuilt + 1) * sizeof *d->built);
    d->built[d->nbuilt++] = e;
}

static struct plan *load_plan(struct action *a)
{
    struct index_data *d = xcalloc(1, sizeof *d);
    char err[512];
    if (plan_builtin_load(&d->plan, action_config(a)->plan_file, err, sizeof err) != 0) {
        index_data_free(d);
        action_refuse(a, "cannot read the index plan: %s", err);
        return NULL;
    }
    action_set_data(a, d, index_data_free);
    return &d->plan;
}

static bool is_true(const PGresult *res, int row, const char *column)
{
    const char *v = pgres_get(res, row, column);
    return v && strcmp(v, "t") == 0;
}

static int query_states(struct action *a, const struct plan_entry *const *e, int n,
                        void (*cb)(struct action *, const PGresult *, const char *), bool check)
{
    const char **schemas = xcalloc((size_t)n + 1, sizeof *schemas);
    const char **names = xcalloc((size_t)n + 1, sizeof *names);
    const char **tables = xcalloc((size_t)n + 1, sizeof *tables);
    for (int i = 0; i < n; i++) {
        schemas[i] = e[i]->schema;
        names[i] = e[i]->name;
        tables[i] = e[i]->table;
    }
    char *s = sql_text_array(schemas, n), *x = sql_text_array(names, n), *t = sql_text_array(tables, n);
    const char *params[] = { s, x, t };
    const char *sql = action_sql_file("queries/action_index_state.sql");
    int rc = !sql ? -1 : check ? action_check_query(a, sql, 3, params, cb) : action_query(a, sql, 3, params, cb);
    free(s);
    free(x);
    free(t);
    free(schemas);
    free(names);
    free(tables);
    return rc;
}

/* What stands in the way of building entry e, given its catalog row, or
 * NULL when it can be built. */
static char *obstacle(const struct plan_entry *e, const PGresult *res, int row, bool *present)
{
    *present = false;
    const char *kind = pgres_get(res, row, "index_kind");
    if (kind && (strcmp(kind, "i") == 0 || strcmp(kind, "I") == 0)) {
        if (is_true(res, row, "index_valid")) {
            *present = true;
            return xasprintf("%s.%s is already present", e->schema, e->name);
        }
        return xasprintf("an INVALID index %s.%s is left from a failed build: drop it first (x)",
                         e->schema, e->name);
    }
    if (kind)
        return xasprintf("the name %s.%s is taken by another relation", e->schema, e->name);
    if (!pgres_get(res, row, "table_kind"))
        return xasprintf("its table %s does not exist", e->qualified_table);
    return NULL;
}

/* Add the build of entry e; the table's relkind decides CONCURRENTLY. */
static bool add_build(struct action *a, const struct plan_entry *e, const char *table_kind, char **why)
{
    bool partitioned = table_kind && strcmp(table_kind, "p") == 0;
    bool concurrently = !partitioned && !e->only;
    char *table_q = sql_qualified(e->schema, e->table);
    /* A table written without a schema is public's (as the plan matched
     * it): pgdeck's session would not find it on its search_path. */
    char *statement = e->table_len && table_q
                          ? xasprintf("%.*s%s%s", (int)e->table_at, e->statement, table_q,
                                      e->statement + e->table_at + e->table_len)
                          : xstrdup(e->statement);
    char *sql = sql_create_index(statement, concurrently);
    free(statement);
    if (!sql || !table_q) {
        *why = xasprintf("%s.%s: the plan's statement is not a CREATE INDEX pgdeck can run (line %d)",
                         e->schema, e->name, e->line);
        free(sql);
        free(table_q);
        return false;
    }
    if (!concurrently)
        action_note(a, "WARNING: %s is partitioned: PostgreSQL cannot build %s CONCURRENTLY there, "
                    "so writes to it wait until the build ends.", e->qualified_table, e->name);
    char *label = xasprintf("%s.%s", e->schema, e->name);
    struct action_step *s = action_add_step(a, label, sql);
    free(label);
    action_step_lock_relation(s, table_q);
    add_built(a, e);
    free(sql);
    free(table_q);
    return true;
}

/* ---- progress ------------------------------------------------------------- */

/* "building index: scanning table 42% (blocks 1,200 of 4,000)" from a
 * row of pg_stat_progress_create_index (phase, blocks_*, tuples_*,
 * percent), read from a snapshot or from a result. */
static char *progress_text(const char *phase, double percent, double bt, double bd, double tt, double td)
{
    char amount[96] = "";
    if (bt > 0) {
        if (percent < 0)
            percent = 100 * bd / bt;
        snprintf(amount, sizeof amount, " (blocks %.0f of %.0f)", bd, bt);
    } else if (tt > 0) {
        if (percent < 0)
            percent = 100 * td / tt;
        snprintf(amount, sizeof amount, " (tuples %.0f of %.0f)", td, tt);
    }
    char pct[16] = "";
    if (percent >= 0)
        snprintf(pct, sizeof pct, " %.0f%%", percent);
    return xasprintf("%s%s%s", phase && *phase ? phase : "starting", pct, amount);
}

static double number(const char *v)
{
    return v && *v ? atof(v) : -1;
}

static void progress_read(struct action *a, const PGresult *res, const char *error)
{
    struct index_data *d = action_data(a);
    d->asking = false;
    free(d->progress);
    d->progress = NULL;
    if (error || PQntuples(res) < 1)
        return;
    d->progress = progress_text(pgres_get(res, 0, "phase"), number(pgres_get(res, 0, "percent")),
                                number(pgres_get(res, 0, "blocks_total")), number(pgres_get(res, 0, "blocks_done")),
                                number(pgres_get(res, 0, "tuples_total")), number(pgres_get(res, 0, "tuples_done")));
}

/* The progress of the build running on the action's connection: from the
 * index_progress collector (the index pane shows the same row), or, when
 * that has nothing for our pid, from our own query of the progress view. */
static char *index_progress(struct action *a, struct action_step *s)
{
    struct app *app = action_app(a);
    struct index_data *d = action_data(a);
    double took = action_step_elapsed(s);
    int pid = action_step_backend_pid(a);
    if (pid <= 0)
        return xasprintf("building %s: waiting for a connection, %.0f s", action_step_label(s), took);
    char pidtext[32];
    snprintf(pidtext, sizeof pidtext, "%d", pid);
    collector_run_now(app, "index_progress");
    const struct snapshot *snap = collectors_snapshot(app, "index_progress");
    int row = snap && !snap->error && snapshot_column(snap, "phase") >= 0
              ? snapshot_find(snap, "pid", pidtext) : -1;
    char *what;
    if (row >= 0) {
        what = progress_text(snapshot_get(snap, row, "phase"), snapshot_number(snap, row, "percent", -1),
                             snapshot_number(snap, row, "blocks_total", -1),
                             snapshot_number(snap, row, "blocks_done", -1),
                             snapshot_number(snap, row, "tuples_total", -1),
                             snapshot_number(snap, row, "tuples_done", -1));
    } else {
        const char *sql = action_sql_file("queries/action_index_progress.sql");
        const char *params[] = { pidtext };
        if (d && !d->asking && sql && action_query(a, sql, 1, params, progress_read) == 0)
            d->asking = true;
        what = xstrdup(d && d->progress ? d->progress : "starting");
    }
    char *text = xasprintf("building %s: %s, %.0f s", action_step_label(s), what, took);
    free(what);
    return text;
}

/* ---- one planned index ---------------------------------------------------------- */

static void index_state_read(struct action *a, const PGresult *res, const char *error)
{
    const struct index_data *d = action_data(a);
    const struct plan *plan = &d->plan;
    const struct plan_entry *e = d->entry;
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    bool present;
    char *why = obstacle(e, res, 0, &present);
    if (why) {
        if (present)
            action_nothing(a, "%s", why);
        else
            action_refuse(a, "%s", why);
        free(why);
        return;
    }
    if (!add_build(a, e, pgres_get(res, 0, "table_kind"), &why)) {
        action_refuse(a, "%s", why);
        free(why);
        return;
    }
    bool concurrently = strstr(action_step_sql(a, 0), "CONCURRENTLY") != NULL;
    if (d->suggested)
        action_note(a, "Build %s on %s%s: %s.", e->name, e->qualified_table,
                    concurrently ? " CONCURRENTLY: writes go on while it builds" : "", d->suggested);
    else
        action_note(a, "Build %s on %s%s, from %s line %d.", e->name, e->qualified_table,
                    concurrently ? " CONCURRENTLY: writes go on while it builds" : "", plan->file, e->line);
    action_set_detail(a, "built%s", concurrently ? " CONCURRENTLY" : "");
    action_planned(a);
}

/* The plan entry the target names, by exact schema and name (from the
 * index pane, or parsed from what the operator typed: `:index idx` is
 * public.idx, as in SQL). */
static const struct plan_entry *find_entry(const struct plan *plan, const char *schema, const char *name)
{
    return schema ? plan_find(plan, schema, name) : NULL;
}

static void index_plan(struct action *a)
{
    const char *schema, *name;
    if (!action_target_relation(a, &schema, &name)) {
        action_refuse(a, "select a missing index in the indexes pane (%d), or type :index NAME",
                      subject_pane_number("indexes"));
        return;
    }
    struct plan *plan = load_plan(a);
    if (!plan)
        return;
    const struct plan_entry *e = find_entry(plan, schema, name);
    if (!e && schema) {
        /* Not the plan's: one pgdeck suggests (the workload's advice, a
         * foreign key without an index), written by pgdeck from the
         * catalog's names, read back by the same parser as a plan. */
        char *why = NULL;
        char *sql = indexes_suggestion(action_app(a), schema, name, &why);
        if (sql) {
            struct index_data *d = action_data(a);
            plan_free(&d->plan);
            plan_parse(&d->plan, sql, strlen(sql), "pgdeck's suggestion");
            d->suggested = why;
            why = NULL;
            e = d->plan.count == 1 ? &d->plan.entries[0] : NULL;
        }
        free(why);
        free(sql);
    }
    if (!e) {
        action_refuse(a, "%s%s%s is not in the index plan (%s) nor advised", schema ? schema : "",
                      schema ? "." : "", name, plan->file);
        return;
    }
    action_set_target(a, "%s.%s", e->schema, e->name);
    ((struct index_data *)action_data(a))->entry = e;
    if (query_states(a, &e, 1, index_state_read, false) != 0)
        action_refuse(a, "the primary is not connected");
}

/* Just before the builds: each index is still missing and its table still
 * there (another session, or pgdeck in another terminal, may have built
 * it since the preview). */
static void builds_rechecked(struct action *a, const PGresult *res, const char *error)
{
    const struct index_data *d = action_data(a);
    if (error) {
        action_refuse(a, "could not check the plan's indexes again before building: %s", error);
        return;
    }
    for (int i = 0; i < d->nbuilt && i < PQntuples(res); i++) {
        bool present;
        char *why = obstacle(d->built[i], res, i, &present);
        if (why) {
            action_refuse(a, "%s (since the preview)", why);
            free(why);
            return;
        }
    }
    action_premise_held(a);
}

static void builds_recheck(struct action *a)
{
    const struct index_data *d = action_data(a);
    if (!d || query_states(a, d->built, d->nbuilt, builds_rechecked, true) != 0)
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_index = {
    .name = "index",
    .key = 'i',
    .needs = NEEDS_PLANNED_INDEX,
    .help = "indexes: create the selected missing index of the plan (CONCURRENTLY)",
    .changes = true,
    .ddl = true,
    .affects = "indexes,index_progress",
    .plan = index_plan,
    .progress = index_progress,
    .recheck = builds_recheck,
    .failure_hint = "a failed CONCURRENTLY build leaves an INVALID index: select it and press x to drop it",
};

/* ---- every missing planned index ---------------------------------------------------- */

static void all_states_read(struct action *a, const PGresult *res, const char *error)
{
    const struct plan *plan = &((const struct index_data *)action_data(a))->plan;
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    int rows = PQntuples(res), present = 0, added = 0, blocked = 0, no_table = 0;
    /* The kit's plan applies only where most of its tables exist (as the
     * indexes pane judges it); a planned index whose table is not here is
     * not missing, and nothing builds it. */
    int tables = 0, found = 0;
    for (int i = 0; i < rows && i < plan->count; i++) {
        bool first = true;
        for (int k = 0; k < i && first; k++)
            first = strcmp(plan->entries[k].schema, plan->entries[i].schema) != 0 ||
                    strcmp(plan->entries[k].table, plan->entries[i].table) != 0;
        if (first) {
            tables++;
            found += pgres_get(res, i, "table_kind") != NULL;
        }
    }
    if (!action_config(a)->plan_file && found * 2 <= tables) {
        action_nothing(a, "the kit's index plan does not apply to this database (%d of its %d tables are "
                       "here): the indexes pane shows index health and advice instead", found, tables);
        return;
    }
    char *first_reason = NULL;
    char *names = xstrdup("");      /* the journal lists what was built */
    for (int i = 0; i < rows && i < plan->count; i++) {
        const struct plan_entry *e = &plan->entries[i];
        if (!pgres_get(res, i, "table_kind") && !pgres_get(res, i, "index_kind")) {
            no_table++;
            continue;
        }
        bool is_present;
        char *why = obstacle(e, res, i, &is_present);
        if (!why && !add_build(a, e, pgres_get(res, i, "table_kind"), &why))
            why = why ? why : xstrdup("cannot be built");
        if (!why) {
            char *more = xasprintf("%s%s%s.%s", names, added ? ", " : "", e->schema, e->name);
            free(names);
            names = more;
            added++;
            continue;
        }
        if (is_present) {
            present++;
        } else {
            blocked++;
            if (blocked <= 5)
                action_note(a, "skipped: %s", why);
            if (!first_reason)
                first_reason = xstrdup(why);
        }
        free(why);
    }
    if (blocked > 5)
        action_note(a, "skipped: %d more", blocked - 5);
    action_note(a, "Plan %s: %d indexes, %d present, %d to build%s.", plan->file, plan->count, present,
                added, added ? " one after another (CONCURRENTLY where the table allows)" : "");
    if (no_table)
        action_note(a, "%d planned index%s %s no table in this database: not built.", no_table,
                    no_table == 1 ? "" : "es", no_table == 1 ? "has" : "have");
    if (!added) {
        if (blocked)
            action_nothing(a, "%d missing index%s cannot be built: %s%s", blocked, blocked == 1 ? "" : "es",
                           first_reason, blocked > 1 ? " (and others)" : "");
        else if (no_table)
            action_nothing(a, "every index of the plan %s whose table is here is present (%d have no table)",
                           plan->file, no_table);
        else
            action_nothing(a, "every index of the plan %s is present", plan->file);
        free(first_reason);
        free(names);
        return;
    }
    free(first_reason);
    action_set_target(a, "%s", names);
    free(names);
    action_set_label(a, "%d missing index%s", added, added == 1 ? "" : "es");
    action_set_detail(a, "%d index%s built", added, added == 1 ? "" : "es");
    action_planned(a);
}

static void index_all_plan(struct action *a)
{
    action_set_target(a, "missing indexes");
    struct plan *plan = load_plan(a);
    if (!plan)
        return;
    if (plan->count == 0) {
        action_nothing(a, "the index plan %s has no CREATE INDEX", plan->file);
        return;
    }
    const struct plan_entry **e = xcalloc((size_t)plan->count, sizeof(const struct plan_entry *));
    for (int i = 0; i < plan->count; i++)
        e[i] = &plan->entries[i];
    if (query_states(a, e, plan->count, all_states_read, false) != 0)
        action_refuse(a, "the primary is not connected");
    free(e);
}

const struct action_def action_index_all = {
    .name = "index-all",
    .key = 'I',
    .needs = NEEDS_NOTHING,
    .help = "indexes: create every missing index of the plan, one after another",
    .changes = true,
    .ddl = true,
    .keep_going = true,
    .affects = "indexes,index_progress",
    .plan = index_all_plan,
    .progress = index_progress,
    .recheck = builds_recheck,
    .failure_hint = "a failed CONCURRENTLY build leaves an INVALID index: select it and press x to drop it",
};

/* ---- drop an INVALID index ----------------------------------------------------------- */

static void drop_resolved(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    if (PQntuples(res) < 1 || !is_true(res, 0, "found")) {
        action_refuse(a, "there is no index %s", action_target_text(a));
        return;
    }
    const char *schema = pgres_get(res, 0, "schema"), *name = pgres_get(res, 0, "name");
    const char *kind = pgres_get(res, 0, "relkind");
    action_set_target(a, "%s.%s", schema, name);
    if (!action_target_same(a, res, 0))
        return;
    if (!kind || (strcmp(kind, "i") != 0 && strcmp(kind, "I") != 0)) {
        action_refuse(a, "%s.%s is not an index", schema, name);
        return;
    }
    if (is_true(res, 0, "index_valid")) {
        action_refuse(a, "%s.%s is valid: x drops only INVALID indexes (left by a failed CREATE INDEX "
                      "CONCURRENTLY)", schema, name);
        return;
    }
    const char *table_kind = pgres_get(res, 0, "table_kind");
    bool concurrently = strcmp(kind, "i") == 0 && !(table_kind && strcmp(table_kind, "p") == 0);
    char *q = sql_qualified(schema, name);
    char *table_q = sql_qualified(pgres_get(res, 0, "table_schema"), pgres_get(res, 0, "table_name"));
    if (!q) {
        action_refuse(a, "the index name is not valid UTF-8");
        free(table_q);
        return;
    }
    char *sql = xasprintf("DROP INDEX %s%s", concurrently ? "CONCURRENTLY " : "", q);
    action_pin_relation(a, pgres_get(res, 0, "oid"), schema, name, "iI");
    action_note(a, "Drop the INVALID index %s.%s (on %s.%s)%s.", schema, name,
                pgres_get(res, 0, "table_schema"), pgres_get(res, 0, "table_name"),
                concurrently ? " CONCURRENTLY: reads and writes go on" : "");
    char *label = xasprintf("%s.%s", schema, name);
    struct action_step *s = action_add_step(a, label, sql);
    free(label);
    action_step_lock_relation(s, table_q ? table_q : q);
    action_step_relation(s, q);
    action_set_detail(a, "dropped");
    free(sql);
    free(q);
    free(table_q);
    action_planned(a);
}

static void drop_plan(struct action *a)
{
    const char *schema, *name;
    if (!action_target_relation(a, &schema, &name)) {
        action_refuse(a, "select an INVALID index in the indexes pane (%d), or type :drop INDEX",
                      subject_pane_number("indexes"));
        return;
    }
    const char *schemas[] = { schema }, *names[] = { name };
    if (action_target_resolve(a, schemas, names, 1, drop_resolved) != 0)
        action_refuse(a, "the primary is not connected");
}

/* Just before the DROP: the same index (by OID, under the same name), and
 * still INVALID: a REINDEX or a finished build makes it one to keep. */
static void drop_rechecked(struct action *a, const PGresult *res, const char *error)
{
    if (!action_target_pins_hold(a, res, error))
        return;
    const char *valid = pgres_get(res, 0, "index_valid");
    if (!valid || strcmp(valid, "f") != 0) {
        action_refuse(a, "%s is valid now (rebuilt since the preview): x drops only INVALID indexes",
                      action_target_text(a));
        return;
    }
    action_premise_held(a);
}

static void drop_recheck(struct action *a)
{
    if (action_target_query_pins(a, drop_rechecked) != 0)
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_drop_index = {
    .name = "drop",
    .key = 'x',
    .needs = NEEDS_INVALID_INDEX,
    .help = "indexes: drop the selected INVALID index (DROP INDEX CONCURRENTLY)",
    .changes = true,
    .ddl = true,
    .affects = "indexes",
    .plan = drop_plan,
    .recheck = drop_recheck,
};
