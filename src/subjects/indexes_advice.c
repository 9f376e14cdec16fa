/* The indexes subject's advice from the workload: the busiest statements
 * of pg_stat_statements in this database (the statements collector's),
 * their candidate indexes read on the parse tree (core/advise.h), each
 * candidate tested with a hypothetical index (the hypopg extension) on the
 * statement's generic plan, and what lowers the planner's cost a lot
 * shown as an advised index (with its CREATE INDEX CONCURRENTLY, the
 * statements it helps and their cost before and after), which `i` builds
 * as it builds a planned one (indexes_actions.c).
 *
 * How it runs: the "advice" collector (cadence ADVICE_CADENCE: a few
 * minutes) starts a background action (never journaled, never changing
 * anything) that is EXPLAIN's (core/explain.h) for many texts at once:
 * each text read by the guard, its relations found on its role's
 * search_path and checked, written qualified; then, in one transaction on
 * a connection of its own that is rolled back at the end, the relations
 * are locked (ACCESS SHARE, with a short lock_timeout) and checked again
 * by OID, and for each statement, inside a savepoint:
 *
 *   EXPLAIN (FORMAT JSON) of its generic plan            -- the cost before
 *   for each candidate:
 *     SELECT ... hypopg_create_index('CREATE INDEX ON ...')
 *     EXPLAIN (FORMAT JSON) of its generic plan again    -- the cost after
 *     SELECT hypopg_reset()
 *
 * (before PostgreSQL 16 a generic plan is PREPARE + EXPLAIN EXECUTE with
 * NULLs + DEALLOCATE under plan_cache_mode = force_generic_plan: prepared
 * again for each candidate, since a hypothetical index invalidates no
 * cached plan).  Nothing is executed (hypopg acts on EXPLAIN only, never
 * ANALYZE), nothing is written, and pg_stat_statements does not record
 * pgdeck's own EXPLAINs when pgdeck may say so (a superuser).
 *
 * hypopg is looked up (its schema, like pg_stat_statements') and used only
 * when every hypopg function there is owned by a superuser or the database
 * owner; its functions are called schema-qualified.  pgdeck installs it
 * only when told (:hypopg in the console, confirmed; [actions] hypopg =
 * create for run), and only a superuser can. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/jsontext.h"
#include "base/xalloc.h"
#include "core/action.h"
#include "core/action_sql.h"
#include "core/advise.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/explain.h"
#include "core/snapshot.h"
#include "subjects/indexes.h"

/* The busiest statements read, and the rows of pg_stat_statements looked
 * through to find them. */
#define ADVICE_STATEMENTS 10
#define ADVICE_ROWS_READ 60
/* Candidates tested per statement. */
#define ADVICE_CANDIDATES 6
/* Advised: the plan uses the index and costs at most this share of what
 * it cost before, and at least ADVICE_MIN_GAIN cost units less. */
#define ADVICE_RATIO 0.5
#define ADVICE_MIN_GAIN 1.0
/* Advised indexes shown at most. */
#define ADVICE_MAX 10
/* How long the LOCK of the statements' relations may wait (ms). */
#define ADVICE_LOCK_TIMEOUT 1000
/* Statement texts are quoted this long in the details. */
#define ADVICE_QUOTE 160

/* One candidate tested on one statement. */
struct test {
    int    text;                /* batch.texts */
    int    candidate;           /* cands */
    char  *hypo_name;           /* hypopg's name for it, from its result */
    double cost;                /* the plan's cost with it; NAN until read */
    bool   uses;                /* the plan scans it */
};

/* A statement of pg_stat_statements, beside its batch.texts entry. */
struct statement {
    char  *queryid;
    char  *query;
    double calls, total_ms;
    double before;              /* the plan's cost; NAN until read */
};

/* What a step's result is. */
enum tag_kind { TAG_NONE, TAG_BEFORE, TAG_CREATE, TAG_AFTER };
struct tag {
    enum tag_kind kind;
    int index;                  /* the statement (BEFORE) or the test */
};

/* A relation a candidate is on, once the catalog was read. */
struct relation {
    char  *oid, *schema, *name;
    json_t *columns;            /* name -> indexable */
    json_t *indexes;            /* [[leading columns]] */
    bool   usable;
};

/* The run: the batch first (explain.h). */
struct advice {
    struct explain_batch batch;
    struct statement *stmts;    /* batch.n of them */
    struct advise_candidate *cands;
    int    ncands;
    int   *cand_text;           /* the statement each candidate came from */
    struct test *tests;
    int    ntests;
    struct tag *tags;           /* one per step */
    int    ntags;
    struct relation *rels;
    int    nrels;
    char  *hypopg;              /* its schema */
    char  *database;
    int    version;
    bool   superuser;
    int    read;                /* statements of this database read */
    double started;
};

/* A JSON document the server wrote (json_agg's text), or NULL. */
static json_t *json_parsed(const char *text)
{
    return text ? json_loads(text, 0, NULL) : NULL;
}

static void advice_free(void *p)
{
    struct advice *ad = p;
    for (int i = 0; i < ad->batch.n; i++) {
        free(ad->stmts[i].queryid);
        free(ad->stmts[i].query);
    }
    free(ad->stmts);
    explain_batch_free(&ad->batch);
    advise_candidates_free(ad->cands, ad->ncands);
    free(ad->cand_text);
    for (int i = 0; i < ad->ntests; i++)
        free(ad->tests[i].hypo_name);
    free(ad->tests);
    free(ad->tags);
    for (int i = 0; i < ad->nrels; i++) {
        free(ad->rels[i].oid);
        free(ad->rels[i].schema);
        free(ad->rels[i].name);
        json_decref(ad->rels[i].columns);
        json_decref(ad->rels[i].indexes);
    }
    free(ad->rels);
    free(ad->hypopg);
    free(ad->database);
    free(ad);
}

/* The collector's own state: what the last run did, for the pane. */
struct advice_state {
    char  *summary;             /* "10 statements read, 8 planned, ..." */
    double ran_at;              /* wall clock */
    double took;                /* seconds, plan to end */
    int    explains;            /* EXPLAINs sent */
    bool   running;
};

static void state_free(void *p)
{
    struct advice_state *st = p;
    if (st)
        free(st->summary);
    free(st);
}

static struct advice_state *state_of(struct collector *c)
{
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct advice_state));
    return c->state;
}

/* ---- steps -------------------------------------------------------------------- */

static void add_tagged(struct action *a, struct advice *ad, const char *label, const char *sql,
                       enum tag_kind kind, int index, const char *param)
{
    struct action_step *s = action_add_step(a, label, sql);
    if (param)
        action_step_param(s, param);
    ad->tags = xrealloc(ad->tags, (size_t)(ad->ntags + 1) * sizeof *ad->tags);
    ad->tags[ad->ntags++] = (struct tag){ kind, index };
}

/* The statements that plan text t, its result tagged (kind, index). */
static void add_plan(struct action *a, struct advice *ad, const struct explain_text *t, const char *label,
                     enum tag_kind kind, int index)
{
    struct explain_sql sql;
    explain_text_sql(t, ad->version, "FORMAT JSON", "pgdeck_advice", &sql);
    if (sql.prepare)
        add_tagged(a, ad, label, sql.prepare, TAG_NONE, 0, NULL);
    add_tagged(a, ad, label, sql.explain, kind, index, NULL);
    if (sql.deallocate)
        add_tagged(a, ad, label, sql.deallocate, TAG_NONE, 0, NULL);
    explain_sql_free(&sql);
}

static const struct relation *relation_of(const struct advice *ad, const char *oid)
{
    for (int i = 0; i < ad->nrels; i++)
        if (oid && strcmp(ad->rels[i].oid, oid) == 0)
            return &ad->rels[i];
    return NULL;
}

/* A candidate worth testing: its relation can be indexed, each column is
 * there and can take a btree, and no index serves it already. */
static bool candidate_usable(const struct advice *ad, int c)
{
    const struct advise_candidate *cand = &ad->cands[c];
    const struct explain_text *t = &ad->batch.texts[ad->cand_text[c]];
    if (cand->relation < 0 || cand->relation >= t->info.nrelations)
        return false;
    const struct relation *r = relation_of(ad, t->oids[cand->relation]);
    if (!r || !r->usable)
        return false;
    for (int i = 0; i < cand->ncolumns; i++)
        if (!json_is_true(json_object_get(r->columns, cand->columns[i])))
            return false;
    size_t k;
    json_t *ix;
    json_array_foreach(r->indexes, k, ix) {
        const char *existing[64];
        size_t m = json_array_size(ix);
        if (m > 64)
            m = 64;
        for (size_t j = 0; j < m; j++)
            existing[j] = json_string_value(json_array_get(ix, j));
        if (advise_served((const char *const *)cand->columns, cand->ncolumns, existing, (int)m))
            return false;
    }
    return true;
}

static void build_steps(struct action *a, struct advice *ad)
{
    char *reset = xasprintf("SELECT %s.hypopg_reset()", ad->hypopg);
    char *create = xasprintf("SELECT indexname FROM %s.hypopg_create_index($1::pg_catalog.text)", ad->hypopg);
    bool generic_before_16 = false;
    for (int i = 0; i < ad->batch.n; i++)
        generic_before_16 = generic_before_16 || (ad->batch.texts[i].text && ad->batch.texts[i].info.params &&
                                                  ad->version < 160000);
    /* pgdeck's own EXPLAINs are no workload: kept out of
     * pg_stat_statements where pgdeck may say so (a superuser setting). */
    if (ad->superuser)
        add_tagged(a, ad, "advice", "SELECT pg_catalog.set_config(name, 'none', true) FROM pg_catalog.pg_settings "
                   "WHERE name = 'pg_stat_statements.track'", TAG_NONE, 0, NULL);
    if (generic_before_16)
        add_tagged(a, ad, "advice", "SET LOCAL plan_cache_mode = force_generic_plan", TAG_NONE, 0, NULL);
    for (int i = 0; i < ad->batch.n; i++) {
        const struct explain_text *t = &ad->batch.texts[i];
        bool any = false;
        for (int k = 0; k < ad->ntests && !any; k++)
            any = ad->tests[k].text == i;
        if (!t->text || !any)
            continue;
        char label[64];
        snprintf(label, sizeof label, "statement %s", ad->stmts[i].queryid ? ad->stmts[i].queryid : "?");
        /* A statement that cannot be planned (a parameter whose type the
         * server cannot infer) fails alone: its savepoint is rolled back
         * and the next one goes on. */
        add_tagged(a, ad, label, "SAVEPOINT pgdeck_advice", TAG_NONE, 0, NULL);
        add_plan(a, ad, t, label, TAG_BEFORE, i);
        for (int k = 0; k < ad->ntests; k++) {
            const struct test *x = &ad->tests[k];
            if (x->text != i)
                continue;
            const struct advise_candidate *cand = &ad->cands[x->candidate];
            char *hypo = advise_index_sql(t->schemas[cand->relation], t->names[cand->relation], NULL,
                                          (const char *const *)cand->columns, cand->ncolumns, false);
            add_tagged(a, ad, label, create, TAG_CREATE, k, hypo);
            add_plan(a, ad, t, label, TAG_AFTER, k);
            add_tagged(a, ad, label, reset, TAG_NONE, 0, NULL);
            free(hypo);
        }
        add_tagged(a, ad, label, "ROLLBACK TO SAVEPOINT pgdeck_advice", TAG_NONE, 0, NULL);
        add_tagged(a, ad, label, reset, TAG_NONE, 0, NULL);
    }
    add_tagged(a, ad, "advice", "DEALLOCATE ALL", TAG_NONE, 0, NULL);
    /* After the ROLLBACK, whatever happened: no hypothetical index and no
     * prepared statement outlives the run on the pool's connection. */
    action_set_cleanup(a, reset);
    free(reset);
    free(create);
}

/* ---- the plan ------------------------------------------------------------------- */

static void catalog_read(struct action *a, const PGresult *res, const char *error)
{
    struct advice *ad = action_data(a);
    if (error) {
        action_refuse(a, "could not read the candidates' tables: %s", error);
        return;
    }
    ad->nrels = PQntuples(res);
    ad->rels = xcalloc((size_t)ad->nrels + 1, sizeof *ad->rels);
    for (int i = 0; i < ad->nrels; i++) {
        struct relation *r = &ad->rels[i];
        r->oid = xstrdup(pgres_get(res, i, "oid"));
        r->columns = json_parsed(pgres_get(res, i, "columns"));
        r->indexes = json_parsed(pgres_get(res, i, "indexes"));
        r->usable = r->oid && json_is_object(r->columns) && json_is_array(r->indexes);
    }
    for (int c = 0; c < ad->ncands; c++) {
        if (!candidate_usable(ad, c))
            continue;
        ad->tests = xrealloc(ad->tests, (size_t)(ad->ntests + 1) * sizeof *ad->tests);
        ad->tests[ad->ntests++] = (struct test){ ad->cand_text[c], c, NULL, NAN, false };
    }
    if (ad->ntests == 0) {
        action_nothing(a, "no candidate index to test: the busiest statements' columns are indexed already");
        return;
    }
    build_steps(a, ad);
    action_planned(a);
}

/* Every text is checked: the candidates on relations that exist, in a
 * schema of the user's, then the catalog of those relations. */
static void texts_checked(struct action *a)
{
    struct advice *ad = action_data(a);
    int n = 0;
    const char **oids = xcalloc((size_t)ad->ncands + 1, sizeof *oids);
    for (int c = 0; c < ad->ncands; c++) {
        const struct explain_text *t = &ad->batch.texts[ad->cand_text[c]];
        int r = ad->cands[c].relation;
        if (!t->text || r < 0 || r >= t->info.nrelations || !t->oids[r] || !t->schemas[r] ||
            strcmp(t->schemas[r], "pg_catalog") == 0 || strcmp(t->schemas[r], "information_schema") == 0) {
            ad->cands[c].relation = -1;
            continue;
        }
        bool dup = false;
        for (int k = 0; k < n && !dup; k++)
            dup = strcmp(oids[k], t->oids[r]) == 0;
        if (!dup)
            oids[n++] = t->oids[r];
    }
    if (n == 0) {
        free(oids);
        action_nothing(a, "none of the busiest statements of %s could be planned with a candidate index",
                       ad->database);
        return;
    }
    char *list = sql_text_array(oids, n);
    free(oids);
    const char *params[] = { list };
    const char *sql = action_sql_file("queries/advice_catalog.sql");
    if (!sql || action_query(a, sql, 1, params, catalog_read) != 0)
        action_refuse(a, "the primary is not connected");
    free(list);
}

/* The busiest statements of this database, read and their candidates
 * listed; then their relations looked up (explain.h). */
static void choose_statements(struct action *a, struct advice *ad)
{
    const struct snapshot *st = collectors_snapshot(action_app(a), "statements");
    if (!st || st->error) {
        action_refuse(a, "%s", st && st->error ? st->error : "waiting for pg_stat_statements");
        return;
    }
    int chosen = 0;
    for (int r = 0; r < st->nrows && r < ADVICE_ROWS_READ && chosen < ADVICE_STATEMENTS; r++) {
        const char *db = snapshot_get(st, r, "database"), *query = snapshot_get(st, r, "query");
        if (!db || strcmp(db, ad->database) != 0 || !query)
            continue;
        ad->read++;
        struct explain_text *t = explain_batch_add(&ad->batch, query, snapshot_get(st, r, "username"));
        ad->stmts = xrealloc(ad->stmts, (size_t)ad->batch.n * sizeof *ad->stmts);
        struct statement *s = &ad->stmts[ad->batch.n - 1];
        memset(s, 0, sizeof *s);
        s->before = NAN;
        int before = ad->ncands;
        if (!t->refusal)
            advise_candidates(&t->info, &ad->cands, &ad->ncands, ADVICE_CANDIDATES);
        if (!t->refusal && ad->ncands == before)
            t->refusal = xstrdup("no candidate index");
        if (t->refusal)
            continue;       /* not checked, not planned */
        ad->cand_text = xrealloc(ad->cand_text, (size_t)ad->ncands * sizeof *ad->cand_text);
        for (int c = before; c < ad->ncands; c++)
            ad->cand_text[c] = ad->batch.n - 1;
        s->queryid = xstrdup(snapshot_get(st, r, "queryid"));
        s->query = xstrdup(query);
        s->calls = snapshot_number(st, r, "calls", 0);
        s->total_ms = snapshot_number(st, r, "total_exec_time", 0);
        chosen++;
    }
    if (chosen == 0) {
        action_nothing(a, "no statement of %s among pg_stat_statements' busiest filters, joins or sorts a "
                       "column an index could serve", ad->database);
        return;
    }
    ad->batch.lock_timeout_ms = ADVICE_LOCK_TIMEOUT;
    if (explain_batch_check(a, &ad->batch, texts_checked) != 0)
        action_refuse(a, "the primary is not connected");
}

static void setup_read(struct action *a, const PGresult *res, const char *error)
{
    struct advice *ad = action_data(a);
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    ad->database = xstrdup(pgres_get(res, 0, "database"));
    const char *v = pgres_get(res, 0, "server_version");
    ad->version = v ? atoi(v) : 0;
    const char *schema = pgres_get(res, 0, "hypopg_schema");
    const char *su = pgres_get(res, 0, "superuser");
    ad->superuser = su && strcmp(su, "t") == 0;
    if (!schema) {
        const char *avail = pgres_get(res, 0, "hypopg_available");
        if (avail && strcmp(avail, "t") == 0)
            action_refuse(a, "%s", INDEXES_HYPOPG_MISSING);
        else
            action_refuse(a, "%s", INDEXES_HYPOPG_ABSENT);
        return;
    }
    const char *trusted = pgres_get(res, 0, "hypopg_trusted");
    if (!trusted || strcmp(trusted, "t") != 0) {
        action_refuse(a, "hypopg's schema %s holds a hypopg function owned by a role that is neither a superuser "
                      "nor the database owner: pgdeck does not call it", schema);
        return;
    }
    ad->hypopg = sql_quote_identifier(schema);
    if (!ad->hypopg) {
        action_refuse(a, "hypopg's schema has a name that is not valid UTF-8");
        return;
    }
    choose_statements(a, ad);
}

static void advise_plan(struct action *a)
{
    struct advice *ad = xcalloc(1, sizeof *ad);
    ad->started = now_monotonic();
    action_set_data(a, ad, advice_free);
    action_set_target(a, "the workload");
    const char *sql = action_sql_file("queries/advice_setup.sql");
    if (!sql || action_query(a, sql, 0, NULL, setup_read) != 0)
        action_refuse(a, "the primary is not connected");
}

static void advise_recheck(struct action *a)
{
    struct advice *ad = action_data(a);
    explain_batch_recheck(a, &ad->batch);
}

static void advise_result(struct action *a, struct action_step *s, const PGresult *res)
{
    struct advice *ad = action_data(a);
    int i = action_step_index(a, s);
    if (!ad || i < 0 || i >= ad->ntags || PQntuples(res) < 1)
        return;
    const struct tag *t = &ad->tags[i];
    const char *v = PQgetvalue(res, 0, 0);
    switch (t->kind) {
    case TAG_BEFORE: {
        double cost;
        if (advise_plan_read(v, NULL, &cost, NULL) == 0)
            ad->stmts[t->index].before = cost;
        break;
    }
    case TAG_CREATE:
        free(ad->tests[t->index].hypo_name);
        ad->tests[t->index].hypo_name = xstrdup(pgres_get(res, 0, "indexname"));
        break;
    case TAG_AFTER: {
        struct test *x = &ad->tests[t->index];
        double cost;
        bool uses;
        if (x->hypo_name && advise_plan_read(v, x->hypo_name, &cost, &uses) == 0) {
            x->cost = cost;
            x->uses = uses;
        }
        break;
    }
    case TAG_NONE:
        break;
    }
}

const struct action_def action_advise = {
    .name = "advise",
    .key = 0,
    .needs = NEEDS_NOTHING,
    .help = "indexes: test candidate indexes of the busiest statements with hypopg (EXPLAIN only)",
    .changes = false,
    .transaction = true,
    .keep_going = true,
    .background = true,
    .plan = advise_plan,
    .recheck = advise_recheck,
    .result = advise_result,
};

/* ---- installing hypopg ---------------------------------------------------------- */

/* `:hypopg` (and run indexes --advise with [actions] hypopg = create): a
 * superuser installs the extension, previewed and confirmed like any
 * change.  Into public, which PostgreSQL 15 lets only its owner write;
 * the advice then trusts it only if every hypopg function there is owned
 * by a superuser or the database owner (advice_setup.sql). */
static void hypopg_read(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    const char *schema = pgres_get(res, 0, "hypopg_schema");
    const char *avail = pgres_get(res, 0, "hypopg_available");
    const char *su = pgres_get(res, 0, "superuser");
    if (schema) {
        action_nothing(a, "hypopg is installed in %s", schema);
        return;
    }
    if (!avail || strcmp(avail, "t") != 0) {
        action_refuse(a, "%s", INDEXES_HYPOPG_ABSENT);
        return;
    }
    if (!su || strcmp(su, "t") != 0) {
        action_refuse(a, "only a superuser may CREATE EXTENSION hypopg (it is not a trusted extension): ask one "
                      "to run it in %s", pgres_get(res, 0, "database"));
        return;
    }
    action_note(a, "Install hypopg in %s: hypothetical indexes, which the index advice plans with "
                "(EXPLAIN only; nothing is built).", pgres_get(res, 0, "database"));
    action_add_step(a, "hypopg", "CREATE EXTENSION hypopg SCHEMA public");
    action_set_detail(a, "installed");
    action_planned(a);
}

static void hypopg_plan(struct action *a)
{
    action_set_target(a, "hypopg");
    const char *sql = action_sql_file("queries/advice_setup.sql");
    if (!sql || action_query(a, sql, 0, NULL, hypopg_read) != 0)
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_hypopg = {
    .name = "hypopg",
    .key = 0,
    .needs = NEEDS_NOTHING,
    .help = "indexes: CREATE EXTENSION hypopg, which the index advice needs (a superuser)",
    .changes = true,
    .ddl = true,
    .affects = "advice",
    .plan = hypopg_plan,
};

/* ---- the advice, from the results ---------------------------------------------- */

static bool helps(const struct advice *ad, const struct test *x)
{
    double before = ad->stmts[x->text].before;
    return x->uses && !isnan(x->cost) && !isnan(before) && x->cost <= before * ADVICE_RATIO &&
           before - x->cost >= ADVICE_MIN_GAIN;
}

/* An advised index and the statements it helps (their best tests). */
struct item {
    int    candidate;           /* whose relation and columns */
    int   *tests;
    int    ntests;
    double benefit;             /* cost saved, times calls */
    bool   gone;
};

static bool same_index(const struct advice *ad, int c1, int c2)
{
    const struct advise_candidate *a = &ad->cands[c1], *b = &ad->cands[c2];
    const char *oa = ad->batch.texts[ad->cand_text[c1]].oids[a->relation];
    const char *ob = ad->batch.texts[ad->cand_text[c2]].oids[b->relation];
    if (strcmp(oa, ob) != 0 || a->ncolumns != b->ncolumns)
        return false;
    for (int i = 0; i < a->ncolumns; i++)
        if (strcmp(a->columns[i], b->columns[i]) != 0)
            return false;
    return true;
}

/* Whether candidate c1's columns lead candidate c2's, on one relation. */
static bool leads(const struct advice *ad, int c1, int c2)
{
    const struct advise_candidate *a = &ad->cands[c1], *b = &ad->cands[c2];
    const char *oa = ad->batch.texts[ad->cand_text[c1]].oids[a->relation];
    const char *ob = ad->batch.texts[ad->cand_text[c2]].oids[b->relation];
    return strcmp(oa, ob) == 0 && advise_served((const char *const *)a->columns, a->ncolumns,
                                                (const char *const *)b->columns, b->ncolumns);
}

static char *quoted_text(const char *q)
{
    char *one = xstrdup(q ? q : "");
    for (char *p = one; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t len = strlen(one);
    if (len > ADVICE_QUOTE) {
        size_t cut = ADVICE_QUOTE;
        while (cut > 0 && ((unsigned char)one[cut] & 0xC0) == 0x80)
            cut--;
        one[cut] = '\0';
        char *more = xasprintf("%s...", one);
        free(one);
        return more;
    }
    return one;
}

static const char *const advice_columns[] = {
    "name", "schema", "index", "table", "columns", "definition", "cost_before", "cost_after",
    "statements", "calls", "helps", "why",
};
#define ADVICE_NCOLUMNS ((int)(sizeof advice_columns / sizeof advice_columns[0]))

static void add_item(struct snapshot *s, const struct advice *ad, const struct item *it)
{
    const struct advise_candidate *c = &ad->cands[it->candidate];
    const struct explain_text *t = &ad->batch.texts[ad->cand_text[it->candidate]];
    const char *schema = t->schemas[c->relation], *table = t->names[c->relation];
    char *index = advise_index_name(table, (const char *const *)c->columns, c->ncolumns);
    char *definition = advise_index_sql(schema, table, index, (const char *const *)c->columns, c->ncolumns, false);
    if (!definition) {
        free(index);
        return;
    }
    char *name = xasprintf("%s.%s", schema, index);
    char *qualified = xasprintf("%s.%s", schema, table);
    char *cols = xstrdup("");
    for (int i = 0; i < c->ncolumns; i++) {
        char *more = xasprintf("%s%s%s", cols, i ? ", " : "", c->columns[i]);
        free(cols);
        cols = more;
    }
    double before = 0, after = 0, calls = 0;
    json_t *list = json_array();
    for (int k = 0; k < it->ntests; k++) {
        const struct test *x = &ad->tests[it->tests[k]];
        const struct statement *st = &ad->stmts[x->text];
        before += st->before;
        after += x->cost;
        calls += st->calls;
        char *q = quoted_text(st->query);
        json_array_append_new(list, json_pack("{s:s?,s:f,s:f,s:f,s:s}", "queryid", st->queryid, "calls", st->calls,
                                              "before", st->before, "after", x->cost, "query", q));
        free(q);
    }
    char *helps_text = jsontext_dump(list, JSON_COMPACT);
    json_decref(list);
    char b[32], f[32], n[16], k[32];
    snprintf(b, sizeof b, "%.2f", before);
    snprintf(f, sizeof f, "%.2f", after);
    snprintf(n, sizeof n, "%d", it->ntests);
    snprintf(k, sizeof k, "%.0f", calls);
    const char *values[ADVICE_NCOLUMNS] = {
        name, schema, index, qualified, cols, definition, b, f, n, k, helps_text, c->why,
    };
    snapshot_add_row(s, values);
    free(helps_text);
    free(name);
    free(qualified);
    free(cols);
    free(index);
    free(definition);
}

static int by_benefit(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    return a->benefit < b->benefit ? 1 : a->benefit > b->benefit ? -1 : 0;
}

/* The advice from the tests: for each statement its best candidate (the
 * lowest cost; the fewest columns on a tie), grouped by index; an index
 * whose columns lead another advised one that does as well on its
 * statements is folded into that one. */
static struct snapshot *advice_snapshot(const struct advice *ad, const char *source)
{
    struct snapshot *s = snapshot_new(source, ADVICE_NCOLUMNS, advice_columns);
    struct item *items = xcalloc((size_t)ad->batch.n + 1, sizeof *items);
    int nitems = 0;
    for (int i = 0; i < ad->batch.n; i++) {
        int best = -1;
        for (int k = 0; k < ad->ntests; k++) {
            const struct test *x = &ad->tests[k];
            if (x->text != i || !helps(ad, x))
                continue;
            if (best < 0 || x->cost < ad->tests[best].cost - 1e-9 ||
                (fabs(x->cost - ad->tests[best].cost) < 1e-9 &&
                 ad->cands[x->candidate].ncolumns < ad->cands[ad->tests[best].candidate].ncolumns))
                best = k;
        }
        if (best < 0)
            continue;
        int at = -1;
        for (int m = 0; m < nitems && at < 0; m++)
            if (same_index(ad, items[m].candidate, ad->tests[best].candidate))
                at = m;
        if (at < 0) {
            at = nitems++;
            items[at].candidate = ad->tests[best].candidate;
        }
        struct item *it = &items[at];
        it->tests = xrealloc(it->tests, (size_t)(it->ntests + 1) * sizeof *it->tests);
        it->tests[it->ntests++] = best;
        it->benefit += (ad->stmts[i].before - ad->tests[best].cost) * (ad->stmts[i].calls > 0 ? ad->stmts[i].calls : 1);
    }
    /* Fold an index into a longer one that leads with its columns when
     * that one was tested on each of its statements and does as well. */
    for (int m = 0; m < nitems; m++) {
        for (int o = 0; o < nitems && !items[m].gone; o++) {
            if (o == m || items[o].gone || !leads(ad, items[m].candidate, items[o].candidate))
                continue;
            bool as_well = true;
            for (int k = 0; k < items[m].ntests && as_well; k++) {
                const struct test *mine = &ad->tests[items[m].tests[k]];
                bool found = false;
                for (int q = 0; q < ad->ntests && !found; q++) {
                    const struct test *x = &ad->tests[q];
                    found = x->text == mine->text && same_index(ad, x->candidate, items[o].candidate) &&
                            helps(ad, x) && x->cost <= mine->cost * 1.05 + 1e-9;
                }
                as_well = found;
            }
            if (!as_well)
                continue;
            for (int k = 0; k < items[m].ntests; k++) {
                const struct test *mine = &ad->tests[items[m].tests[k]];
                for (int q = 0; q < ad->ntests; q++) {
                    const struct test *x = &ad->tests[q];
                    if (x->text == mine->text && same_index(ad, x->candidate, items[o].candidate)) {
                        items[o].tests = xrealloc(items[o].tests, (size_t)(items[o].ntests + 1) * sizeof(int));
                        items[o].tests[items[o].ntests++] = q;
                        items[o].benefit += (ad->stmts[x->text].before - x->cost) *
                                            (ad->stmts[x->text].calls > 0 ? ad->stmts[x->text].calls : 1);
                        break;
                    }
                }
            }
            items[m].gone = true;
        }
    }
    if (nitems > 1)
        qsort(items, (size_t)nitems, sizeof *items, by_benefit);
    int shown = 0;
    for (int m = 0; m < nitems; m++) {
        if (!items[m].gone && shown < ADVICE_MAX) {
            add_item(s, ad, &items[m]);
            shown++;
        }
        free(items[m].tests);
    }
    free(items);
    return s;
}

/* ---- the collector ------------------------------------------------------------------ */

static void advice_done(void *arg, struct action *a)
{
    struct collector *c = arg;
    if (!c->app->collectors)
        return;         /* shutting down */
    struct advice_state *st = state_of(c);
    struct advice *ad = action_data(a);
    st->running = false;
    st->ran_at = now_wall();
    st->took = ad ? now_monotonic() - ad->started : 0;
    free(st->summary);
    st->summary = NULL;
    struct snapshot *s;
    enum action_outcome o = action_outcome(a);
    if (ad && (o == ACTION_OK || o == ACTION_FAILED) && ad->ntests) {
        int planned = 0, explains = 0;
        for (int i = 0; i < ad->batch.n; i++)
            planned += !isnan(ad->stmts[i].before);
        for (int k = 0; k < ad->ntests; k++)
            explains += !isnan(ad->tests[k].cost);
        st->explains = explains + planned;
        s = advice_snapshot(ad, c->def->name);
        st->summary = xasprintf("%d statement%s read, %d planned, %d candidate%s tested, %d advised, in %.0f ms",
                                ad->read, ad->read == 1 ? "" : "s", planned, ad->ntests, ad->ntests == 1 ? "" : "s",
                                s->nrows, st->took * 1000);
    } else if (o == ACTION_NOTHING) {
        s = snapshot_new(c->def->name, ADVICE_NCOLUMNS, advice_columns);
        /* "advise the workload: nothing to do: <why>": the why. */
        const char *m = action_message(a), *why = strstr(m, "nothing to do: ");
        st->summary = xstrdup(why ? why + 15 : m);
    } else {
        const char *m = action_message(a), *why = strstr(m, "refused: ");
        s = snapshot_failed(c->def->name, why ? why + 9 : m);
    }
    collector_publish(c, s);
    /* The indexes pane shows the advice as rows: now, not at its next run. */
    collector_run_now(c->app, "indexes");
}

static const struct action_hooks advice_hooks = {
    .done = advice_done,
    .refresh_collectors = false,
    .front_end = "advice",
};

static int advice_run(struct collector *c)
{
    struct advice_state *st = state_of(c);
    if (st->running)
        return -1;
    /* A one-shot front end gets the last advice from nowhere: running it
     * there would plan a few hundred EXPLAINs for each --once or check. */
    enum config_command cmd = c->app->cfg ? c->app->cfg->command : COMMAND_CONSOLE;
    if (cmd == COMMAND_ONCE || cmd == COMMAND_CHECK) {
        /* No rows, and the summary says why: not an error. */
        c->started = now_monotonic();
        free(st->summary);
        st->summary = xstrdup("the advice runs in the console, the agent and run indexes --advise, not in --once "
                              "or check");
        collector_publish(c, snapshot_new(c->def->name, ADVICE_NCOLUMNS, advice_columns));
        return 0;
    }
    /* The statements come first: until they are in, wait for them (run
     * again when they publish, not a whole interval later). */
    const struct snapshot *stmts = collectors_snapshot(c->app, "statements");
    if (!stmts)
        return collector_defer(c);
    st->running = true;
    action_start(c->app, &action_advise, NULL, false, &advice_hooks, c);
    return 0;
}

const char *indexes_advice_summary(const struct app *app, double *ran_at)
{
    const struct collector *c = collector_find(app, "advice");
    const struct advice_state *st = c ? c->state : NULL;
    if (ran_at)
        *ran_at = st ? st->ran_at : 0;
    return st ? st->summary : NULL;
}

int indexes_advice_run(struct collector *c)
{
    return advice_run(c);
}

void indexes_advice_free(void *state)
{
    state_free(state);
}
