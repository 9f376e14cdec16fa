/* The indexes subject: the index plan (a SQL file of CREATE INDEX
 * statements, by default the kit's) against the catalog: missing,
 * present, INVALID, being built (with progress from
 * pg_stat_progress_create_index); usage, unused and duplicate indexes; the
 * alert on INVALID indexes.  The actions (i, I, x) are in
 * indexes_actions.c.  See indexes.h for the derived columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/embedded.h"
#include "base/jsontext.h"
#include "core/action.h"
#include "core/action_sql.h"
#include "core/advise.h"
#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/plan.h"
#include "core/plan_builtin.h"
#include "core/subject.h"
#include "net/pgpool.h"
#include "net/server.h"
#include "subjects/indexes.h"
#include "subjects/tables.h"
#include "base/ident.h"
#include "base/xalloc.h"

/* A JSON document the server wrote (json_agg's text), or NULL. */
static json_t *json_parsed(const char *text)
{
    return text ? json_loads(text, 0, NULL) : NULL;
}

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

static bool is_text(const char *v, const char *want)
{
    return v && strcmp(v, want) == 0;
}

/* ---- the plan against the catalog ---------------------------------------- */

static struct {
    bool   loaded;
    char  *path;            /* NULL: the built-in plan */
    struct plan plan;
    char  *error;           /* why it could not be read, or NULL */
    struct stat st;         /* of the file when it was read */
} plan_cache;

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

const struct plan *derive_index_plan_loaded(const char **error)
{
    *error = plan_cache.error;
    return plan_cache.loaded ? &plan_cache.plan : NULL;
}

const struct plan *derive_index_plan(const struct config *cfg, const char **error)
{
    const char *path = cfg ? cfg->plan_file : NULL;
    bool same_path = plan_cache.loaded &&
                     ((!path && !plan_cache.path) ||
                      (path && plan_cache.path && strcmp(path, plan_cache.path) == 0));
    struct stat st;
    memset(&st, 0, sizeof st);
    bool have_stat = path && stat(path, &st) == 0;
    if (same_path && (!path || (have_stat && same_file(&st, &plan_cache.st)) ||
                      (!have_stat && plan_cache.error))) {
        *error = plan_cache.error;
        return &plan_cache.plan;
    }
    /* First use, another file, or the file changed: read it again. */
    if (plan_cache.loaded)
        plan_free(&plan_cache.plan);
    free(plan_cache.path);
    free(plan_cache.error);
    plan_cache.path = xstrdup(path);
    plan_cache.error = NULL;
    plan_cache.st = st;
    char err[512];
    if (plan_builtin_load(&plan_cache.plan, path, err, sizeof err) != 0)
        plan_cache.error = xstrdup(err);
    plan_cache.loaded = true;
    *error = plan_cache.error;
    return &plan_cache.plan;
}

/* Move rows so that those with the lowest rank come first, keeping the
 * server's order within a rank. */
static void reorder(struct snapshot *s, const int *rank, int levels)
{
    if (s->nrows < 2 || s->ncols < 1)
        return;
    char **cells = xcalloc((size_t)s->nrows * (size_t)s->ncols, sizeof *cells);
    int out = 0;
    for (int level = 0; level < levels; level++)
        for (int r = 0; r < s->nrows; r++)
            if (rank[r] == level) {
                memcpy(cells + (size_t)out * (size_t)s->ncols, s->cells + (size_t)r * (size_t)s->ncols,
                       (size_t)s->ncols * sizeof *cells);
                out++;
            }
    if (out != s->nrows) {      /* a rank out of range: leave the order */
        free(cells);
        return;
    }
    free(s->cells);
    s->cells = cells;
    s->cap_rows = s->nrows;
}

/* The progress row for an index (by oid, else by "schema.name"), or -1. */
static int progress_row(const struct snapshot *progress, const char *oid, const char *name)
{
    if (!progress || progress->error)
        return -1;
    int r = oid ? snapshot_find(progress, "index_oid", oid) : -1;
    if (r < 0 && name)
        r = snapshot_find(progress, "index", name);
    return r;
}

static void building_status(const struct snapshot *progress, int row, char *buf, size_t len)
{
    double percent = number(progress, row, "percent");
    if (isnan(percent))
        snprintf(buf, len, "building");
    else
        snprintf(buf, len, "building %.0f%%", percent);
}

static const struct snapshot *good(const struct snapshot *s)
{
    return s && !s->error ? s : NULL;
}

/* ---- the plan's tables ----------------------------------------------------- */

/* Whether the index_health rows know table schema.name, and whether it
 * exists: 1 found, 0 not found, -1 not asked. */
static int table_found(const struct snapshot *health, const char *schema, const char *name)
{
    if (!health)
        return -1;
    /* Columns looked up once, not per row: this runs for each of the
     * plan's tables over every health row (issue 14). */
    int kind = snapshot_column(health, "kind"), sc = snapshot_column(health, "schema"),
        tc = snapshot_column(health, "table");
    for (int r = 0; r < health->nrows; r++) {
        if (!is_text(snapshot_cell(health, r, kind), "table") || !is_text(snapshot_cell(health, r, tc), name) ||
            !is_text(snapshot_cell(health, r, sc), schema))
            continue;
        return snapshot_true(health, r, "found");
    }
    return -1;
}

void indexes_plan_fit(const struct plan *plan, bool builtin, const struct snapshot *health, bool known,
                      struct index_plan_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->verdict = PLAN_FIT_APPLIES;
    if (!plan || plan->count == 0) {
        fit->verdict = PLAN_FIT_NONE;
        return;
    }
    /* The plan's distinct tables, and how many of them are here. */
    for (int i = 0; i < plan->count; i++) {
        const struct plan_entry *e = &plan->entries[i];
        bool first = true;
        for (int k = 0; k < i && first; k++)
            first = strcmp(plan->entries[k].table, e->table) != 0 || strcmp(plan->entries[k].schema, e->schema) != 0;
        if (!first)
            continue;
        fit->tables++;
        fit->found += table_found(health, e->schema, e->table) != 0;
    }
    if (!known) {
        /* Nothing asked yet: the built-in plan is judged once the tables
         * are known, rather than shown missing everywhere meanwhile. */
        fit->verdict = builtin ? PLAN_FIT_PENDING : PLAN_FIT_APPLIES;
        return;
    }
    /* The kit's plan is the kit's schema's: it applies where most of its
     * tables exist.  A plan given with --plan always applies. */
    if (builtin && fit->found * 2 <= fit->tables)
        fit->verdict = PLAN_FIT_NOT_HERE;
}

/* ---- derived rows ----------------------------------------------------------- */

/* What needs a hand first: broken, then under way, then not there, then
 * what pgdeck would build; the planned indexes with no table come last. */
enum { RANK_INVALID, RANK_BUILDING, RANK_MISSING, RANK_ADVISED, RANK_FK, RANK_OTHER, RANK_NO_TABLE, RANK_COUNT };

/* An empty row as wide as the table is now (the first added row adds the
 * derived columns when the catalog gave no row); its index. */
static int add_empty_row(struct snapshot *s)
{
    const char **values = xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *values);
    snapshot_add_row(s, values);
    free(values);
    return s->nrows - 1;
}

static void set_flags(struct snapshot *s, int r, bool problem)
{
    snapshot_set_bool(s, r, "unused", 0);
    snapshot_set_bool(s, r, "duplicate", 0);
    snapshot_set_bool(s, r, "redundant", 0);
    snapshot_set_bool(s, r, "problem", problem);
}

/* A foreign key without an index: a row pgdeck suggests building. */
static int fk_index(const struct snapshot *health, int h, char **index, char **sql);

static void add_fk_row(struct snapshot *s, const struct snapshot *health, int h)
{
    char *index, *sql;
    if (fk_index(health, h, &index, &sql) != 0)
        return;
    const char *schema = snapshot_get(health, h, "schema"), *table = snapshot_get(health, h, "table");
    int r = add_empty_row(s);
    char *name = xasprintf("%s.%s", schema, index);
    char *qualified = xasprintf("%s.%s", schema, table);
    json_t *cols = json_parsed(snapshot_get(health, h, "columns"));
    char *list = xstrdup("");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        char *more = xasprintf("%s%s%s", list, i ? ", " : "", json_string_value(json_array_get(cols, i)));
        free(list);
        list = more;
    }
    json_decref(cols);
    snapshot_set(s, r, "name", name);
    snapshot_set(s, r, "display", ident_shown(name));
    snapshot_set(s, r, "schema", schema);
    snapshot_set(s, r, "index", index);
    snapshot_set(s, r, "table", qualified);
    snapshot_set(s, r, "method", "btree");
    snapshot_set(s, r, "definition", sql);
    snapshot_set(s, r, "columns", list);
    snapshot_set(s, r, "status", "fk no index");
    snapshot_set(s, r, "kind", "fk");
    snapshot_set(s, r, "constraint", snapshot_get(health, h, "name"));
    snapshot_set(s, r, "referenced", snapshot_get(health, h, "referenced"));
    snapshot_set(s, r, "table_rows", snapshot_get(health, h, "rows"));
    snapshot_set_bool(s, r, "planned", 0);
    snapshot_set_bool(s, r, "suggested", 1);
    snapshot_set(s, r, "note", "fk");
    set_flags(s, r, true);
    free(name);
    free(qualified);
    free(list);
    free(sql);
    free(index);
}

/* An index the workload's advice found (the advice collector's row a). */
static void add_advice_row(struct snapshot *s, const struct snapshot *advice, int a)
{
    int r = add_empty_row(s);
    static const char *const copied[] = {
        "name", "schema", "index", "table", "definition", "columns", "cost_before", "cost_after",
        "statements", "helps", "why", "calls",
    };
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        snapshot_set(s, r, copied[i], snapshot_get(advice, a, copied[i]));
    snapshot_set(s, r, "display", ident_shown(snapshot_get(advice, a, "name")));
    snapshot_set(s, r, "method", "btree");
    snapshot_set(s, r, "status", "advised");
    snapshot_set(s, r, "kind", "advice");
    snapshot_set_bool(s, r, "planned", 0);
    snapshot_set_bool(s, r, "suggested", 1);
    double before = number(advice, a, "cost_before"), after = number(advice, a, "cost_after");
    char note[32] = "advised";
    if (before > 0 && !isnan(after))
        snprintf(note, sizeof note, "cost -%.0f%%", 100 * (before - after) / before);
    snapshot_set(s, r, "note", note);
    set_flags(s, r, true);
}

/* "3d", "5h", "40m": how long the statistics have been gathered. */
static void short_age(char *buf, size_t len, double s)
{
    if (s >= 86400)
        snprintf(buf, len, "%.0fd", floor(s / 86400));
    else if (s >= 3600)
        snprintf(buf, len, "%.0fh", floor(s / 3600));
    else
        snprintf(buf, len, "%.0fm", floor(s / 60));
}

void derive_indexes_from(struct snapshot *s, const struct index_inputs *in)
{
    int catalog_rows = s->nrows;
    struct index_plan_fit fit;
    indexes_plan_fit(in->plan, in->plan_builtin, in->health, in->health_known, &fit);
    const struct plan *plan = fit.verdict == PLAN_FIT_APPLIES || fit.verdict == PLAN_FIT_PENDING ? in->plan : NULL;
    int planned = plan ? plan->count : 0;
    bool *seen = xcalloc((size_t)(planned ? planned : 1), sizeof *seen);
    char buf[64];

    /* The age of the statistics "unused" is judged on. */
    double stats_since = NAN, now = NAN;
    const char *stats_from = NULL;
    for (int h = 0; in->health && h < in->health->nrows; h++) {
        if (!is_text(snapshot_get(in->health, h, "kind"), "stats"))
            continue;
        now = number(in->health, h, "server_now");
        stats_since = number(in->health, h, "stats_reset");
        stats_from = "reset";
        if (isnan(stats_since)) {
            stats_since = number(in->health, h, "server_start");
            stats_from = "start";
        }
    }
    if (isnan(now))
        now = in->now;
    double stats_age = isnan(stats_since) || isnan(now) ? NAN : now - stats_since;

    for (int r = 0; r < catalog_rows; r++) {
        const char *schema = snapshot_get(s, r, "schema");
        const char *index = snapshot_get(s, r, "index");
        const struct plan_entry *e = plan_find(plan, schema, index);
        if (e)
            seen[e - plan->entries] = true;
        snapshot_set_bool(s, r, "planned", e != NULL);
        snapshot_set_number(s, r, "plan_line", e ? e->line : NAN, 0);
        snapshot_set(s, r, "kind", "index");
        snapshot_set_bool(s, r, "suggested", 0);

        bool valid = snapshot_true(s, r, "valid");
        int p = progress_row(in->progress, snapshot_get(s, r, "index_oid"), snapshot_get(s, r, "name"));
        const char *status;
        if (p >= 0) {
            building_status(in->progress, p, buf, sizeof buf);
            status = buf;
        } else if (!valid) {
            status = "INVALID";
        } else {
            status = e ? "present" : "";
        }
        snapshot_set(s, r, "status", status);

        /* Unused: valid, enforcing nothing, never scanned since the
         * statistics were reset (or, without a reset, at least since the
         * server started). */
        double scans = number(s, r, "scans");
        bool unused = valid && !snapshot_true(s, r, "enforces") && !isnan(scans) && scans == 0;
        snapshot_set_bool(s, r, "unused", unused);
        snapshot_set_number(s, r, "stats_age", unused ? stats_age : NAN, 0);
        snapshot_set(s, r, "stats_from", unused ? stats_from : NULL);
        const char *dup = snapshot_get(s, r, "duplicate_of");
        bool duplicate = dup && *dup;
        const char *red = snapshot_get(s, r, "redundant_of");
        bool redundant = !duplicate && red && *red;
        snapshot_set_bool(s, r, "duplicate", duplicate);
        snapshot_set_bool(s, r, "redundant", redundant);
        snapshot_set_bool(s, r, "problem", p >= 0 || !valid || unused || duplicate || redundant);
        char note[48] = "";
        if (unused) {
            char age[16] = "";
            if (!isnan(stats_age))
                short_age(age, sizeof age, stats_age);
            snprintf(note, sizeof note, "unused%s%s", *age ? " " : "", age);
        }
        if (duplicate || redundant) {
            size_t n = strlen(note);
            snprintf(note + n, sizeof note - n, "%s%s", n ? ", " : "", duplicate ? "dup" : "prefix");
            if (!unused)
                snprintf(note, sizeof note, "%s", duplicate ? "duplicate" : "redundant");
        }
        snapshot_set(s, r, "note", *note ? note : NULL);
        snapshot_set(s, r, "display", ident_shown(snapshot_get(s, r, "name")));
    }

    /* The plan's indexes the catalog does not have: missing, or (their
     * table is not in this database) "no table", which nothing builds. */
    for (int i = 0; i < planned; i++) {
        if (seen[i])
            continue;
        const struct plan_entry *e = &plan->entries[i];
        int found = table_found(in->health, e->schema, e->table);
        if (fit.verdict == PLAN_FIT_PENDING)
            continue;
        int r = add_empty_row(s);
        char *name = xasprintf("%s.%s", e->schema, e->name);
        snapshot_set(s, r, "name", name);
        snapshot_set(s, r, "display", ident_shown(name));
        snapshot_set(s, r, "schema", e->schema);
        snapshot_set(s, r, "index", e->name);
        snapshot_set(s, r, "table", e->qualified_table);
        snapshot_set(s, r, "method", e->method);
        snapshot_set_bool(s, r, "is_unique", e->unique);
        snapshot_set(s, r, "definition", e->statement);
        snapshot_set_bool(s, r, "planned", 1);
        snapshot_set_number(s, r, "plan_line", e->line, 0);
        snapshot_set(s, r, "kind", "plan");
        snapshot_set_bool(s, r, "suggested", 0);
        int p = progress_row(in->progress, NULL, name);
        if (p >= 0)
            building_status(in->progress, p, buf, sizeof buf);
        snapshot_set(s, r, "status", p >= 0 ? buf : found == 0 ? "no table" : "missing");
        set_flags(s, r, found != 0);
        free(name);
    }
    free(seen);

    /* What pgdeck suggests: foreign keys without an index, and the
     * workload's advice. */
    for (int h = 0; in->health && h < in->health->nrows; h++)
        if (is_text(snapshot_get(in->health, h, "kind"), "fk"))
            add_fk_row(s, in->health, h);
    for (int a = 0; in->advice && !in->advice->error && a < in->advice->nrows; a++) {
        /* An advised index built since the advice ran is in the catalog
         * now: shown once, as the index it is. */
        const char *schema = snapshot_get(in->advice, a, "schema"), *index = snapshot_get(in->advice, a, "index");
        bool there = false;
        for (int r = 0; r < catalog_rows && !there; r++)
            there = is_text(snapshot_get(s, r, "schema"), schema) && is_text(snapshot_get(s, r, "index"), index);
        if (!there)
            add_advice_row(s, in->advice, a);
    }

    int *rank = xcalloc((size_t)(s->nrows ? s->nrows : 1), sizeof *rank);
    for (int r = 0; r < s->nrows; r++) {
        const char *status = snapshot_get(s, r, "status");
        rank[r] = is_text(status, "missing") ? RANK_MISSING
                : is_text(status, "INVALID") ? RANK_INVALID
                : is_text(status, "advised") ? RANK_ADVISED
                : is_text(status, "fk no index") ? RANK_FK
                : is_text(status, "no table") ? RANK_NO_TABLE
                : status && strncmp(status, "building", 8) == 0 ? RANK_BUILDING : RANK_OTHER;
    }
    reorder(s, rank, RANK_COUNT);
    free(rank);
}

void derive_indexes_at(struct snapshot *s, const struct plan *plan, const struct snapshot *progress)
{
    struct index_inputs in = { .plan = plan, .progress = progress, .now = NAN };
    derive_indexes_from(s, &in);
}

void derive_indexes(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)prev;
    const char *error = NULL;
    struct index_inputs in = { .now = now_wall() };
    in.plan = derive_index_plan(app ? app->cfg : NULL, &error);
    in.plan_builtin = !app || !app->cfg || !app->cfg->plan_file;
    if (app) {
        const struct collector *health = collector_find(app, "index_health");
        in.progress = collectors_snapshot(app, "index_progress");
        in.health = health ? good(health->current) : NULL;
        /* An index_health that failed leaves the plan as it is. */
        in.health_known = health && health->current;
        in.advice = good(collectors_snapshot(app, "advice"));
    }
    derive_indexes_from(now, &in);
}

/* index_health's run: index_health.sql (no parameters: planned once a
 * session) and index_health_tables.sql (the plan's tables, $1 schemas, $2
 * names: planned at each run, and small for that), published as one
 * snapshot: the stats row, the tables' rows, the foreign keys' rows. */
struct health_state {
    struct snapshot *main, *tables;
    char            *error;
    int              waiting;    /* results still to come this run */
};

static void health_clear(struct health_state *st)
{
    snapshot_unref(st->main);
    snapshot_unref(st->tables);
    free(st->error);
    st->main = st->tables = NULL;
    st->error = NULL;
    st->waiting = 0;
}

static void health_free(void *state)
{
    if (!state)
        return;
    health_clear(state);
    free(state);
}

/* Both results in: one snapshot with index_health.sql's columns (the
 * tables' statement has the same ones, in the same order). */
static void health_publish(struct collector *c, struct health_state *st)
{
    struct snapshot *s;
    if (st->error || !st->main || !st->tables)
        s = snapshot_failed(c->def->name, st->error ? st->error : "index_health: a result is missing");
    else if (st->main->ncols != st->tables->ncols)
        s = snapshot_failed(c->def->name, "index_health: the two statements' columns differ");
    else {
        const struct snapshot *m = st->main, *t = st->tables;
        s = snapshot_new(c->def->name, m->ncols, (const char *const *)m->columns);
        snapshot_add_rows(s, m, 0, 1);             /* the stats row */
        snapshot_add_rows(s, t, 0, t->nrows);
        snapshot_add_rows(s, m, 1, m->nrows - 1);
    }
    health_clear(st);
    collector_publish(c, s);
}

static void health_done(struct collector *c, struct snapshot **into, const PGresult *res, const char *error)
{
    struct health_state *st = c->state;
    if (error && !st->error)
        st->error = xstrdup(error);
    else if (!error)
        *into = snapshot_from_result(c->def->name, res);
    if (--st->waiting == 0)
        health_publish(c, st);
}

static void health_main_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (c->app->collectors)     /* not shutting down */
        health_done(c, &((struct health_state *)c->state)->main, res, error);
}

static void health_tables_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (c->app->collectors)
        health_done(c, &((struct health_state *)c->state)->tables, res, error);
}

static int health_run(struct collector *c)
{
    struct pgpool *pool = server_pool(app_server(c->app, c->def->source));
    const char *main_sql = embedded_find(c->def->query);
    const char *tables_sql = embedded_find("queries/index_health_tables.sql");
    if (!pool || !main_sql || !tables_sql)
        return -1;
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct health_state));
    struct health_state *st = c->state;
    health_clear(st);

    const char *error = NULL;
    const struct plan *plan = derive_index_plan(c->app->cfg, &error);
    int n = plan ? plan->count : 0;
    const char **schemas = xcalloc((size_t)n + 1, sizeof *schemas);
    const char **names = xcalloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++) {
        schemas[i] = plan->entries[i].schema;
        names[i] = plan->entries[i].table;
    }
    char *s = sql_text_array(schemas, n), *t = sql_text_array(names, n);
    const char *params[] = { s, t };
    /* Alone (collector_def.alone), each prepared once a session under its
     * own name. */
    st->waiting = 2;
    int rc = pgpool_send_prepared(pool, c->def->name, main_sql, 0, NULL, 0, health_main_done, c);
    if (rc == 0 && pgpool_send_prepared(pool, "index_health_tables", tables_sql, 2, params, 0,
                                        health_tables_done, c) != 0) {
        /* The first is on its way: its answer publishes this failure. */
        st->error = xstrdup(pgpool_error(pool) ? pgpool_error(pool) : "the primary is not connected");
        st->waiting = 1;
    }
    free(s);
    free(t);
    free(schemas);
    free(names);
    return rc;
}

/* The plan's tables were learnt, or changed: the indexes' rows follow at
 * once (the kit's plan applies or not, a table came or went). */
static bool same_tables(const struct snapshot *a, const struct snapshot *b)
{
    if (!a || !b || a->nrows != b->nrows)
        return false;
    for (int r = 0; r < a->nrows; r++) {
        const char *x = snapshot_get(a, r, "found"), *y = snapshot_get(b, r, "found");
        const char *k = snapshot_get(a, r, "kind"), *l = snapshot_get(b, r, "kind");
        if (!is_text(k, l ? l : "") || ((x == NULL) != (y == NULL)) || (x && strcmp(x, y) != 0))
            return false;
    }
    return true;
}

void derive_index_health(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    if (app && app->collectors && !same_tables(now, prev))
        collector_run_now(app, "indexes");
}

/* The columns of a foreign key row of index_health, and its index's name
 * and statement (advise.h); 0, or -1. */
static int fk_index(const struct snapshot *health, int h, char **index, char **sql)
{
    const char *schema = snapshot_get(health, h, "schema"), *table = snapshot_get(health, h, "table");
    json_t *cols = json_parsed(snapshot_get(health, h, "columns"));
    size_t n = json_array_size(cols);
    const char *names[32];
    bool ok = schema && table && n >= 1 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = (names[i] = json_string_value(json_array_get(cols, i))) != NULL;
    *index = *sql = NULL;
    if (ok) {
        *index = advise_index_name(table, names, (int)n);
        *sql = advise_index_sql(schema, table, *index, names, (int)n, false);
    }
    json_decref(cols);
    if (!*sql) {
        free(*index);
        *index = NULL;
        return -1;
    }
    return 0;
}

char *indexes_suggestion(const struct app *app, const char *schema, const char *index, char **why)
{
    *why = NULL;
    const struct snapshot *advice = good(collectors_snapshot(app, "advice"));
    for (int r = 0; advice && r < advice->nrows; r++) {
        if (!is_text(snapshot_get(advice, r, "schema"), schema) || !is_text(snapshot_get(advice, r, "index"), index))
            continue;
        double n = number(advice, r, "statements");
        *why = xasprintf("advised by pgdeck: it lowers the planner's cost of %.0f of the busiest statement%s "
                         "from %s to %s", n, n == 1 ? "" : "s", snapshot_text(advice, r, "cost_before"),
                         snapshot_text(advice, r, "cost_after"));
        return xstrdup(snapshot_get(advice, r, "definition"));
    }
    const struct snapshot *health = good(collectors_snapshot(app, "index_health"));
    for (int h = 0; health && h < health->nrows; h++) {
        char *name, *sql;
        if (!is_text(snapshot_get(health, h, "kind"), "fk") || !is_text(snapshot_get(health, h, "schema"), schema) ||
            fk_index(health, h, &name, &sql) != 0)
            continue;
        bool match = strcmp(name, index) == 0;
        free(name);
        if (match) {
            *why = xasprintf("the foreign key %s of %s.%s has no index: a DELETE or key UPDATE of %s reads "
                             "the whole table", snapshot_text(health, h, "name"), schema,
                             snapshot_text(health, h, "table"), snapshot_text(health, h, "referenced"));
            return sql;
        }
        free(sql);
    }
    return NULL;
}

void indexes_plan_status(const struct app *app, struct index_plan_fit *fit)
{
    const char *error = NULL;
    const struct plan *plan = derive_index_plan_loaded(&error);
    const struct collector *health = collector_find(app, "index_health");
    const struct snapshot *h = health ? good(health->current) : NULL;
    indexes_plan_fit(plan, !app->cfg || !app->cfg->plan_file, h, h != NULL, fit);
}

/* A build started, ended or went to its next phase: the catalog's view
 * of that index changed, and the row's percent (of the phase) with it. */
static bool same_builds(const struct snapshot *a, const struct snapshot *b)
{
    if (!a || !b || a->nrows != b->nrows)
        return false;
    for (int r = 0; r < a->nrows; r++) {
        const char *oid = snapshot_get(a, r, "index_oid");
        int rb = oid ? snapshot_find(b, "index_oid", oid) : -1;
        if (rb < 0)
            return false;
        const char *pa = snapshot_get(a, r, "phase"), *pb = snapshot_get(b, rb, "phase");
        if ((pa == NULL) != (pb == NULL) || (pa && strcmp(pa, pb) != 0))
            return false;
    }
    return true;
}

void derive_index_progress(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    if (!app || !app->collectors)
        return;
    if (prev ? !same_builds(now, prev) : now->nrows > 0)
        collector_run_now(app, "indexes");
}

/* index_progress is worth its every-second cost only while an index is
 * being built: by one of our actions, or by a session the activity
 * collector shows running CREATE INDEX or REINDEX. */
static bool index_build_seen(const struct app *app)
{
    if (action_running(app))
        return true;
    const struct snapshot *a = collectors_snapshot(app, "activity");
    for (int r = 0; a && !a->error && r < a->nrows; r++) {
        const char *q = snapshot_get(a, r, "query");
        while (q && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '('))
            q++;
        if (q && (strncasecmp(q, "CREATE INDEX", 12) == 0 ||
                  strncasecmp(q, "CREATE UNIQUE INDEX", 19) == 0 ||
                  strncasecmp(q, "REINDEX", 7) == 0))
            return true;
    }
    return false;
}

/* ---- alerts ------------------------------------------------------------------- */

static const struct snapshot *usable(const struct app *app, const char *name)
{
    const struct snapshot *s = collectors_snapshot(app, name);
    return s && !s->error ? s : NULL;
}

int alert_invalid_indexes(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = usable(app, "indexes");
    if (!s || max < 1)
        return 0;
    struct alert_names n = { 0 };
    for (int r = 0; r < s->nrows; r++) {
        const char *status = snapshot_get(s, r, "status");
        if (status && strcmp(status, "INVALID") == 0)
            alert_names_add(&n, snapshot_get(s, r, "name"));
    }
    if (!n.count)
        return 0;
    int count = n.count;
    char *list = alert_names_take(&n);
    alert_set(out, ALERT_WARNING, "invalid_index", "%d INVALID index%s: %s", count,
              count == 1 ? "" : "es", list);
    free(list);
    return 1;
}

static int perf_indexes(const struct app *app, struct perfdata *out, int max)
{
    const struct snapshot *i = usable(app, "indexes");
    if (!i || max < 2)
        return 0;
    int invalid = 0, missing = 0;
    for (int r = 0; r < i->nrows; r++) {
        const char *status = snapshot_get(i, r, "status");
        invalid += status && strcmp(status, "INVALID") == 0;
        missing += status && strcmp(status, "missing") == 0;
    }
    alert_perf(&out[0], "invalid_indexes", invalid, "", 1, NAN);
    alert_perf(&out[1], "missing_indexes", missing, "", NAN, NAN);
    return 2;
}

/* ---- the subject ---------------------------------------------------------------- */

/* The catalog tier (30 s): the plan against the catalog is slow at scale; a run
 * reads only the catalog's signature unless it changed or the last full
 * read is INDEXES_EXACT old (indexes_read.c).  The progress of a build
 * runs at the refresh interval while one is seen. */
static const struct collector_def collectors[] = {
    { .name = "indexes",        .source = SERVER_PRIMARY, .query = "queries/indexes.sql",
      .catalog = true, .derive = derive_indexes, .alone = true,
      .run = indexes_read_run, .free_state = indexes_read_free },
    { .name = "index_progress", .source = SERVER_PRIMARY, .query = "queries/index_progress.sql",
      .derive = derive_index_progress, .catalog = true, .wanted = index_build_seen },
    /* Statistics' age, the plan's tables, foreign keys without an index:
     * catalog only, and it changes seldom. */
    { .name = "index_health", .source = SERVER_PRIMARY, .query = "queries/index_health.sql",
      .cadence = 60, .run = health_run, .derive = derive_index_health, .alone = true,
      .free_state = health_free },
    /* The workload's advice (indexes_advice.c): rarely, it plans a lot. */
    { .name = "advice", .source = SERVER_PRIMARY, .query = "queries/advice_setup.sql",
      .cadence = INDEXES_ADVICE_CADENCE, .run = indexes_advice_run, .free_state = indexes_advice_free },
};

static const struct action_def *const actions[] = {
    &action_index,
    &action_index_all,
    &action_drop_index,
    &action_hypopg,
    &action_analyze,
};

static const struct alert_rule alerts[] = {
    { alert_invalid_indexes, { "indexes" } },
};

const struct subject subject_indexes = {
    .name = "indexes",
    .title = "Indexes",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ACTIONS(actions),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_indexes,
};
