/* EXPLAIN of other sessions' query texts, guarded (see explain.h): texts
 * checked in a batch, and the `e` action, a batch of one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "core/action.h"
#include "core/action_sql.h"
#include "core/explain.h"
#include "core/explain_guard.h"
#include "net/pgconn.h"

/* How much of the text the plan's first line quotes. */
#define QUOTE_CHARS 300

/* ---- a batch of texts ----------------------------------------------------------- */

static void text_free(struct explain_text *t)
{
    for (int i = 0; t->schemas && i < t->info.nrelations; i++) {
        free(t->schemas[i]);
        free(t->names[i]);
        free(t->oids[i]);
        free(t->kinds[i]);
    }
    free(t->schemas);
    free(t->names);
    free(t->oids);
    free(t->kinds);
    explain_info_free(&t->info);
    free(t->role);
    free(t->text);
    free(t->refusal);
}

void explain_batch_free(struct explain_batch *b)
{
    for (int i = 0; i < b->n; i++)
        text_free(&b->texts[i]);
    free(b->texts);
    b->texts = NULL;
    b->n = 0;
}

struct explain_text *explain_batch_add(struct explain_batch *b, const char *text, const char *role)
{
    b->texts = xrealloc(b->texts, (size_t)(b->n + 1) * sizeof *b->texts);
    struct explain_text *t = &b->texts[b->n++];
    memset(t, 0, sizeof *t);
    t->role = xstrdup(role);
    if (explain_guard_check(text, &t->info) != 0) {
        t->refusal = xstrdup(t->info.why);
        return t;
    }
    int n = t->info.nrelations;
    t->schemas = xcalloc((size_t)n + 1, sizeof *t->schemas);
    t->names = xcalloc((size_t)n + 1, sizeof *t->names);
    t->oids = xcalloc((size_t)n + 1, sizeof *t->oids);
    t->kinds = xcalloc((size_t)n + 1, sizeof *t->kinds);
    for (int i = 0; i < n; i++)
        t->names[i] = xstrdup(t->info.relations[i].name);
    if (n == 0)
        t->text = xstrdup(t->info.statement);
    return t;
}

/* Send the catalog check of text t: the relations as written (the plan),
 * or as found (the recheck, on the action's connection). */
static int send_check(struct action *a, struct explain_text *t, bool again, action_query_cb cb)
{
    const char *sql = action_sql_file("queries/action_explain_check.sql");
    const char **schemas = xcalloc((size_t)t->info.nrelations + 1, sizeof *schemas);
    for (int i = 0; i < t->info.nrelations; i++)
        schemas[i] = again ? t->schemas[i] : t->info.relations[i].schema;
    char *s = sql_text_array(schemas, t->info.nrelations);
    char *n = sql_text_array((const char *const *)t->names, t->info.nrelations);
    const char *params[] = { t->role, s, n };
    int rc = !sql ? -1 : again ? action_check_query(a, sql, 3, params, cb) : action_query(a, sql, 3, params, cb);
    free(s);
    free(n);
    free(schemas);
    return rc;
}

/* The check's row i: why the relation cannot be planned, or NULL. */
static char *relation_refusal(const struct explain_text *t, const PGresult *res, int i)
{
    const struct explain_relation *r = &t->info.relations[i];
    if (i >= PQntuples(res) || !pgres_get(res, i, "oid")) {
        if (r->schema)
            return xasprintf("the query reads %s.%s, which does not exist in this database", r->schema, r->name);
        return xasprintf("the query reads %s, which is in no schema of %s's search_path (%s) in this database",
                         r->name, t->role ? t->role : "the session's role",
                         PQntuples(res) > 0 && pgres_get(res, 0, "search_path") ? pgres_get(res, 0, "search_path")
                                                                                  : "?");
    }
    const char *why = pgres_get(res, i, "refusal");
    return why ? xstrdup(why) : NULL;
}

/* The check came back: note where each relation is, write the text
 * qualified, and read it back. */
static void take_check(struct explain_text *t, const PGresult *res)
{
    int n = t->info.nrelations;
    char **qualified = xcalloc((size_t)n + 1, sizeof *qualified);
    for (int i = 0; i < n && !t->refusal; i++) {
        t->refusal = relation_refusal(t, res, i);
        if (t->refusal)
            break;
        t->schemas[i] = xstrdup(pgres_get(res, i, "schema"));
        free(t->names[i]);
        t->names[i] = xstrdup(pgres_get(res, i, "name"));
        t->oids[i] = xstrdup(pgres_get(res, i, "oid"));
        t->kinds[i] = xstrdup(pgres_get(res, i, "kind"));
        qualified[i] = sql_qualified(t->schemas[i], t->names[i]);
        if (!qualified[i])
            t->refusal = xasprintf("the relation %s.%s has a name that is not valid UTF-8", t->schemas[i],
                                   t->names[i]);
    }
    if (!t->refusal) {
        t->text = explain_guard_qualify(&t->info, (const char *const *)qualified);
        /* Read back what will be sent: the same statement, every relation
         * now written with its schema ... */
        struct explain_info again;
        if (explain_guard_check(t->text, &again) != 0 || again.nrelations != n)
            t->refusal = xasprintf("the query could not be written with its relations qualified: %s",
                                   again.why[0] ? again.why : "it reads differently");
        /* ... and the very relations checked, in the same order. */
        for (int i = 0; !t->refusal && i < again.nrelations; i++)
            if (!again.relations[i].schema || strcmp(again.relations[i].schema, t->schemas[i]) != 0 ||
                strcmp(again.relations[i].name, t->names[i]) != 0)
                t->refusal = xasprintf("the query could not be written with its relation %s qualified",
                                       again.relations[i].name);
        explain_info_free(&again);
        if (t->refusal) {
            free(t->text);
            t->text = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        free(qualified[i]);
    free(qualified);
}

static void check_next(struct action *a);

static void checked(struct action *a, const PGresult *res, const char *error)
{
    struct explain_batch *b = action_data(a);
    struct explain_text *t = &b->texts[b->next];
    if (error)
        t->refusal = xasprintf("could not look the query's relations up in the catalog: %s", error);
    else
        take_check(t, res);
    b->next++;
    check_next(a);
}

/* The next text that needs the catalog, or the end. */
static void check_next(struct action *a)
{
    struct explain_batch *b = action_data(a);
    while (b->next < b->n && (b->texts[b->next].refusal || b->texts[b->next].text))
        b->next++;
    if (b->next >= b->n) {
        b->checked(a);
        return;
    }
    struct explain_text *t = &b->texts[b->next];
    if (send_check(a, t, false, checked) != 0) {
        t->refusal = xstrdup("the primary is not connected");
        b->next = b->n;
        b->checked(a);
    }
}

int explain_batch_check(struct action *a, struct explain_batch *b, void (*done)(struct action *a))
{
    b->checked = done;
    b->next = 0;
    b->rechecking = false;
    /* The first query decides whether there is a connection at all. */
    while (b->next < b->n && (b->texts[b->next].refusal || b->texts[b->next].text))
        b->next++;
    if (b->next < b->n && send_check(a, &b->texts[b->next], false, checked) != 0)
        return -1;
    if (b->next >= b->n)
        done(a);
    return 0;
}

/* ---- the recheck, inside the transaction ---------------------------------------- */

static bool lockable(const char *kind)
{
    /* What LOCK TABLE takes: tables, views and foreign tables (it refuses
     * materialized views and sequences). */
    return kind && strchr("rpvf", kind[0]);
}

static char *batch_locks(const struct explain_batch *b)
{
    size_t cap = 64, o = 0;
    char *sql = xmalloc(cap);
    int nlocked = 0;
    for (int k = 0; k < b->n; k++) {
        const struct explain_text *t = &b->texts[k];
        if (!t->text)
            continue;
        for (int i = 0; i < t->info.nrelations; i++) {
            if (!lockable(t->kinds[i]))
                continue;
            char *q = sql_qualified(t->schemas[i], t->names[i]);
            if (!q)
                continue;
            size_t need = o + strlen(q) + 64;
            if (need > cap) {
                cap = need * 2;
                sql = xrealloc(sql, cap);
            }
            o += (size_t)snprintf(sql + o, cap - o, "%s%s", nlocked++ ? ", " : "LOCK TABLE ", q);
            free(q);
        }
    }
    if (!nlocked) {
        free(sql);
        return NULL;
    }
    snprintf(sql + o, cap - o, " IN ACCESS SHARE MODE");
    return sql;
}

static void recheck_next(struct action *a);

static void rechecked(struct action *a, const PGresult *res, const char *error)
{
    struct explain_batch *b = action_data(a);
    struct explain_text *t = &b->texts[b->next];
    if (error) {
        action_refuse(a, "could not check the query's relations again: %s", error);
        return;
    }
    for (int i = 0; i < t->info.nrelations; i++) {
        char *why = relation_refusal(t, res, i);
        if (why) {
            action_refuse(a, "%s", why);
            free(why);
            return;
        }
        const char *oid = pgres_get(res, i, "oid");
        if (!oid || strcmp(oid, t->oids[i]) != 0) {
            action_refuse(a, "%s.%s was replaced by another relation since the query was checked",
                          t->schemas[i], t->names[i]);
            return;
        }
    }
    b->next++;
    recheck_next(a);
}

static void recheck_next(struct action *a)
{
    struct explain_batch *b = action_data(a);
    while (b->next < b->n && (!b->texts[b->next].text || b->texts[b->next].info.nrelations == 0))
        b->next++;
    if (b->next >= b->n) {
        action_premise_held(a);
        return;
    }
    if (send_check(a, &b->texts[b->next], true, rechecked) != 0)
        action_refuse(a, "the action's connection is not up");
}

static void locked(struct action *a, const PGresult *res, const char *error)
{
    (void)res;
    struct explain_batch *b = action_data(a);
    if (error) {
        action_refuse(a, "could not lock the query's relations: %s", error);
        return;
    }
    b->next = 0;
    recheck_next(a);
}

static void lock_timeout_set(struct action *a, const PGresult *res, const char *error)
{
    (void)res;
    struct explain_batch *b = action_data(a);
    if (error) {
        action_refuse(a, "could not set lock_timeout: %s", error);
        return;
    }
    char *locks = batch_locks(b);
    if (action_check_query(a, locks, 0, NULL, locked) != 0)
        action_refuse(a, "the action's connection is not up");
    free(locks);
}

/* The relations are locked first (nobody can drop, rename or replace one
 * while the transaction holds ACCESS SHARE), then checked again by OID:
 * what the plan checked is what EXPLAIN plans.  (LOCK TABLE refuses
 * materialized views: one is only trusted when a trusted role owns it,
 * and the schema's owner could still replace it between this check and
 * the EXPLAIN.) */
void explain_batch_recheck(struct action *a, struct explain_batch *b)
{
    b->rechecking = true;
    char *locks = batch_locks(b);
    /* Materialized views and sequences alone: nothing LOCK TABLE takes,
     * checked again all the same. */
    if (!locks) {
        locked(a, NULL, NULL);
        return;
    }
    int rc;
    if (b->lock_timeout_ms > 0) {
        char *set = xasprintf("SET LOCAL lock_timeout = %d", b->lock_timeout_ms);
        rc = action_check_query(a, set, 0, NULL, lock_timeout_set);
        free(set);
    } else {
        rc = action_check_query(a, locks, 0, NULL, locked);
    }
    free(locks);
    if (rc != 0)
        action_refuse(a, "the action's connection is not up");
}

/* ---- the statements --------------------------------------------------------------- */

void explain_text_sql(const struct explain_text *t, int version, const char *options, const char *name,
                      struct explain_sql *out)
{
    memset(out, 0, sizeof *out);
    const char *opt = options && *options ? options : NULL;
    if (t->info.params && version < 160000) {
        /* Before 16 a generic plan is a prepared statement's: the server
         * infers the parameters' types, and force_generic_plan keeps the
         * NULLs given to EXECUTE out of the plan. */
        out->prepare = xasprintf("PREPARE %s AS %s", name, t->text);
        size_t cap = (size_t)t->info.params * 6 + 96 + (opt ? strlen(opt) : 0);
        out->explain = xmalloc(cap);
        size_t o = (size_t)snprintf(out->explain, cap, "EXPLAIN %s%s%sEXECUTE %s(", opt ? "(" : "", opt ? opt : "",
                                    opt ? ") " : "", name);
        for (int i = 0; i < t->info.params; i++)
            o += (size_t)snprintf(out->explain + o, cap - o, "%sNULL", i ? ", " : "");
        snprintf(out->explain + o, cap - o, ")");
        out->deallocate = xasprintf("DEALLOCATE %s", name);
        out->generic = true;
        return;
    }
    if (t->info.params)
        out->explain = xasprintf("EXPLAIN (GENERIC_PLAN%s%s) %s", opt ? ", " : "", opt ? opt : "", t->text);
    else if (opt)
        out->explain = xasprintf("EXPLAIN (%s) %s", opt, t->text);
    else
        out->explain = xasprintf("EXPLAIN %s", t->text);
    out->generic = t->info.params > 0;
}

void explain_sql_free(struct explain_sql *s)
{
    free(s->prepare);
    free(s->explain);
    free(s->deallocate);
    memset(s, 0, sizeof *s);
}

/* ---- one text: the `e` action ------------------------------------------------------- */

/* What the plan found, kept for the recheck and the result.  The batch
 * comes first (explain.h). */
struct explain_state {
    struct explain_batch batch;
    int    explain_step;    /* the step whose result is the plan */
    int    version;         /* the server's server_version_num */
    bool   generic;
};

static void state_free(void *p)
{
    struct explain_state *st = p;
    explain_batch_free(&st->batch);
    free(st);
}

/* The EXPLAIN statements for the text, inside the action's transaction. */
static void add_steps(struct action *a)
{
    struct explain_state *st = action_data(a);
    const struct explain_text *t = &st->batch.texts[0];
    static unsigned long serial;    /* a name of its own for each */
    char name[48];
    snprintf(name, sizeof name, "pgdeck_explain_%lu", ++serial);
    struct explain_sql sql;
    explain_text_sql(t, st->version, NULL, name, &sql);
    if (sql.prepare)
        action_add_step(a, action_target_text(a), "SET LOCAL plan_cache_mode = force_generic_plan");
    if (sql.prepare)
        action_add_step(a, action_target_text(a), sql.prepare);
    st->explain_step = action_step_count(a);
    action_add_step(a, action_target_text(a), sql.explain);
    if (sql.deallocate) {
        action_add_step(a, action_target_text(a), sql.deallocate);
        /* Should EXPLAIN EXECUTE fail, the transaction is aborted and
         * the DEALLOCATE not sent: it follows the ROLLBACK. */
        action_set_cleanup(a, sql.deallocate);
    }
    st->generic = sql.generic;
    explain_sql_free(&sql);
    action_planned(a);
}

static void text_checked(struct action *a)
{
    struct explain_state *st = action_data(a);
    const struct explain_text *t = &st->batch.texts[0];
    if (t->refusal) {
        action_refuse(a, "%s", t->refusal);
        return;
    }
    add_steps(a);
}

void explain_plan_text(struct action *a, const char *text, const char *database, const char *role,
                       const char *current, int version)
{
    if (database && current && strcmp(database, current) != 0) {
        action_refuse(a, "the query runs in database '%s'; pgdeck is connected to '%s', where its "
                      "tables may not exist: it cannot be planned from here", database, current);
        return;
    }
    struct explain_state *st = xcalloc(1, sizeof *st);
    action_set_data(a, st, state_free);
    st->version = version;
    const struct explain_text *t = explain_batch_add(&st->batch, text, role);
    if (t->refusal) {
        action_refuse(a, "%s", t->refusal);
        return;
    }
    if (explain_batch_check(a, &st->batch, text_checked) != 0)
        action_refuse(a, "the primary is not connected");
}

void explain_recheck(struct action *a)
{
    struct explain_state *st = action_data(a);
    if (!st || st->batch.n == 0) {
        action_premise_held(a);
        return;
    }
    explain_batch_recheck(a, &st->batch);
}

static char *shortened(const char *text)
{
    size_t len = strlen(text);
    if (len <= QUOTE_CHARS)
        return xstrdup(text);
    size_t cut = QUOTE_CHARS;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    return xasprintf("%.*s...", (int)cut, text);
}

void explain_result(struct action *a, struct action_step *s, const PGresult *res)
{
    struct explain_state *st = action_data(a);
    if (!st || action_step_index(a, s) != st->explain_step)
        return;
    const struct explain_text *t = &st->batch.texts[0];
    int rows = PQntuples(res);
    char **lines = xcalloc((size_t)rows + 4, sizeof *lines);
    int n = 0;
    char *quoted = shortened(t->text);
    lines[n++] = xasprintf("-- %s", quoted);
    free(quoted);
    if (st->generic)
        lines[n++] = xasprintf("-- a generic plan: $1..$%d have no values (pg_stat_statements keeps none)",
                               t->info.params);
    lines[n++] = xstrdup("");
    for (int i = 0; i < rows; i++)
        lines[n++] = xstrdup(PQgetvalue(res, i, 0));
    char *title = xasprintf("EXPLAIN %s (not executed)", action_target_text(a));
    action_show(a, title, lines, n);
    free(title);
    action_set_detail(a, "plan shown (%d lines)%s", rows, st->generic ? ", generic" : "");
}
