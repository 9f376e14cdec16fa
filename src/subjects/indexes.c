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

#include "core/action.h"
#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/plan.h"
#include "core/subject.h"
#include "subjects/indexes.h"
#include "subjects/tables.h"
#include "base/ident.h"
#include "base/xalloc.h"

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
    if (plan_load(&plan_cache.plan, path, err, sizeof err) != 0)
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

/* What needs a hand first: broken, then under way, then not there. */
enum { RANK_INVALID, RANK_BUILDING, RANK_MISSING, RANK_OTHER, RANK_COUNT };

void derive_indexes_at(struct snapshot *s, const struct plan *plan, const struct snapshot *progress)
{
    int catalog_rows = s->nrows;
    int planned = plan ? plan->count : 0;
    bool *seen = xcalloc((size_t)(planned ? planned : 1), sizeof *seen);
    char buf[64];

    for (int r = 0; r < catalog_rows; r++) {
        const char *schema = snapshot_get(s, r, "schema");
        const char *index = snapshot_get(s, r, "index");
        const struct plan_entry *e = plan_find(plan, schema, index);
        if (e)
            seen[e - plan->entries] = true;
        snapshot_set_bool(s, r, "planned", e != NULL);
        snapshot_set_number(s, r, "plan_line", e ? e->line : NAN, 0);

        bool valid = snapshot_true(s, r, "valid");
        int p = progress_row(progress, snapshot_get(s, r, "index_oid"), snapshot_get(s, r, "name"));
        const char *status;
        if (p >= 0) {
            building_status(progress, p, buf, sizeof buf);
            status = buf;
        } else if (!valid) {
            status = "INVALID";
        } else {
            status = e ? "present" : "";
        }
        snapshot_set(s, r, "status", status);

        /* Unused: valid, enforcing nothing, never scanned since the
         * statistics were reset. */
        double scans = number(s, r, "scans");
        bool unused = valid && !snapshot_true(s, r, "enforces") && !isnan(scans) && scans == 0;
        snapshot_set_bool(s, r, "unused", unused);
        const char *dup = snapshot_get(s, r, "duplicate_of");
        bool duplicate = dup && *dup;
        snapshot_set_bool(s, r, "duplicate", duplicate);
        snapshot_set_bool(s, r, "problem", p >= 0 || !valid || unused || duplicate);
        snapshot_set(s, r, "note", unused && duplicate ? "unused, dup" : unused ? "unused"
                                   : duplicate ? "duplicate" : NULL);
        snapshot_set(s, r, "display", ident_shown(snapshot_get(s, r, "name")));
    }

    /* The plan's indexes the catalog does not have. */
    if (planned) {
        for (int i = 0; i < planned; i++) {
            if (seen[i])
                continue;
            const struct plan_entry *e = &plan->entries[i];
            /* An empty row as wide as the table is now: the first missing
             * row adds the derived columns when the catalog gave no row. */
            const char **values = xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *values);
            snapshot_add_row(s, values);
            free(values);
            int r = s->nrows - 1;
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
            int p = progress_row(progress, NULL, name);
            if (p >= 0)
                building_status(progress, p, buf, sizeof buf);
            snapshot_set(s, r, "status", p >= 0 ? buf : "missing");
            snapshot_set_bool(s, r, "unused", 0);
            snapshot_set_bool(s, r, "duplicate", 0);
            snapshot_set_bool(s, r, "problem", 1);
            free(name);
        }
    }
    free(seen);

    int *rank = xcalloc((size_t)(s->nrows ? s->nrows : 1), sizeof *rank);
    for (int r = 0; r < s->nrows; r++) {
        const char *status = snapshot_get(s, r, "status");
        rank[r] = is_text(status, "missing") ? RANK_MISSING
                : is_text(status, "INVALID") ? RANK_INVALID
                : status && strncmp(status, "building", 8) == 0 ? RANK_BUILDING : RANK_OTHER;
    }
    reorder(s, rank, RANK_COUNT);
    free(rank);
}

void derive_indexes(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)prev;
    const char *error = NULL;
    const struct plan *plan = derive_index_plan(app ? app->cfg : NULL, &error);
    const struct snapshot *progress = app ? collectors_snapshot(app, "index_progress") : NULL;
    derive_indexes_at(now, plan, progress);
}

/* A build started or ended: the catalog's view of that index changed. */
static bool same_builds(const struct snapshot *a, const struct snapshot *b)
{
    if (!a || !b || a->nrows != b->nrows)
        return false;
    for (int r = 0; r < a->nrows; r++) {
        const char *oid = snapshot_get(a, r, "index_oid");
        if (!oid || snapshot_find(b, "index_oid", oid) < 0)
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

/* Cadence 15 s: the plan against the catalog is slow at scale.  The
 * progress of a build runs at the refresh interval while one is seen. */
static const struct collector_def collectors[] = {
    { .name = "indexes",        .source = SERVER_PRIMARY, .query = "queries/indexes.sql",
      .cadence = 15, .derive = derive_indexes },
    { .name = "index_progress", .source = SERVER_PRIMARY, .query = "queries/index_progress.sql",
      .derive = derive_index_progress, .cadence = 15, .wanted = index_build_seen },
};

static const struct action_def *const actions[] = {
    &action_index,
    &action_index_all,
    &action_drop_index,
    &action_analyze,
};

static const struct alert_rule alerts[] = {
    { alert_invalid_indexes, { "indexes" } },
};

const struct subject subject_indexes = {
    .name = "indexes",
    .title = "Indexes",
    .has_pane = true,
    .collectors = collectors,
    .ncollectors = SUBJECT_ROWS(collectors),
    .actions = actions,
    .nactions = SUBJECT_ROWS(actions),
    .alerts = alerts,
    .nalerts = SUBJECT_ROWS(alerts),
    .perfdata = perf_indexes,
};
