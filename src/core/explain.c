/* EXPLAIN of another session's query text, guarded (see explain.h). */
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

/* What the plan found, kept for the recheck and the result. */
struct explain_state {
    struct explain_info info;
    char  *role;
    char  *text;            /* as EXPLAIN gets it: relations qualified */
    char **schemas;         /* where each relation was found */
    char **names;
    char **oids;
    char  *locks;           /* "LOCK TABLE ... IN ACCESS SHARE MODE", or NULL */
    int    explain_step;    /* the step whose result is the plan */
    int    version;         /* the server's server_version_num */
    bool   generic;
};

static void state_free(void *p)
{
    struct explain_state *st = p;
    for (int i = 0; st->schemas && i < st->info.nrelations; i++) {
        free(st->schemas[i]);
        free(st->names[i]);
        free(st->oids[i]);
    }
    free(st->schemas);
    free(st->names);
    free(st->oids);
    explain_info_free(&st->info);
    free(st->role);
    free(st->text);
    free(st->locks);
    free(st);
}

/* Send the catalog check for `schemas` and `names` (each NULL-able). */
static int send_check(struct action *a, struct explain_state *st, const char *const *schemas, bool own,
                      action_query_cb cb)
{
    const char *sql = action_sql_file("queries/action_explain_check.sql");
    char *s = sql_text_array(schemas, st->info.nrelations);
    char *n = sql_text_array((const char *const *)st->names, st->info.nrelations);
    const char *params[] = { st->role, s, n };
    int rc = !sql ? -1 : own ? action_check_query(a, sql, 3, params, cb) : action_query(a, sql, 3, params, cb);
    free(s);
    free(n);
    return rc;
}

/* The check's row i: refuse and return false when the relation is not
 * there or planning it is not safe. */
static bool relation_allowed(struct action *a, const struct explain_state *st, const PGresult *res, int i)
{
    const struct explain_relation *r = &st->info.relations[i];
    if (i >= PQntuples(res) || !pgres_get(res, i, "oid")) {
        if (r->schema)
            action_refuse(a, "the query reads %s.%s, which does not exist in this database", r->schema, r->name);
        else
            action_refuse(a, "the query reads %s, which is in no schema of %s's search_path (%s) in this database",
                          r->name, st->role ? st->role : "the session's role",
                          pgres_get(res, 0, "search_path") ? pgres_get(res, 0, "search_path") : "?");
        return false;
    }
    const char *why = pgres_get(res, i, "refusal");
    if (why) {
        action_refuse(a, "%s", why);
        return false;
    }
    return true;
}

/* The EXPLAIN statements for st->text, inside the action's transaction. */
static void add_steps(struct action *a, struct explain_state *st)
{
    int version = st->version;
    char *sql;
    if (st->info.params && version < 160000) {
        static unsigned long serial;    /* a name of its own for each */
        /* Before 16 a generic plan is a prepared statement's: the server
         * infers the parameters' types, and force_generic_plan keeps the
         * NULLs given to EXECUTE out of the plan. */
        char name[48];
        snprintf(name, sizeof name, "pgdeck_explain_%lu", ++serial);
        action_add_step(a, action_target_text(a), "SET LOCAL plan_cache_mode = force_generic_plan");
        sql = xasprintf("PREPARE %s AS %s", name, st->text);
        action_add_step(a, action_target_text(a), sql);
        free(sql);
        size_t cap = (size_t)st->info.params * 6 + 64;
        sql = xmalloc(cap);
        size_t o = (size_t)snprintf(sql, cap, "EXPLAIN EXECUTE %s(", name);
        for (int i = 0; i < st->info.params; i++)
            o += (size_t)snprintf(sql + o, cap - o, "%sNULL", i ? ", " : "");
        snprintf(sql + o, cap - o, ")");
        st->explain_step = action_step_count(a);
        action_add_step(a, action_target_text(a), sql);
        free(sql);
        sql = xasprintf("DEALLOCATE %s", name);
        action_add_step(a, action_target_text(a), sql);
        /* Should EXPLAIN EXECUTE fail, the transaction is aborted and
         * the DEALLOCATE not sent: it follows the ROLLBACK. */
        action_set_cleanup(a, sql);
        free(sql);
        st->generic = true;
    } else {
        sql = xasprintf("EXPLAIN %s%s", st->info.params ? "(GENERIC_PLAN) " : "", st->text);
        st->explain_step = action_step_count(a);
        action_add_step(a, action_target_text(a), sql);
        free(sql);
        st->generic = st->info.params > 0;
    }
    action_planned(a);
}

static void checked(struct action *a, const PGresult *res, const char *error)
{
    struct explain_state *st = action_data(a);
    if (error) {
        action_refuse(a, "could not look the query's relations up in the catalog: %s", error);
        return;
    }
    int n = st->info.nrelations;
    char **qualified = xcalloc((size_t)n + 1, sizeof *qualified);
    size_t locks_len = 64;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        ok = relation_allowed(a, st, res, i);
        if (!ok)
            break;
        st->schemas[i] = xstrdup(pgres_get(res, i, "schema"));
        free(st->names[i]);
        st->names[i] = xstrdup(pgres_get(res, i, "name"));
        st->oids[i] = xstrdup(pgres_get(res, i, "oid"));
        qualified[i] = sql_qualified(st->schemas[i], st->names[i]);
        if (!qualified[i]) {
            action_refuse(a, "the relation %s.%s has a name that is not valid UTF-8", st->schemas[i], st->names[i]);
            ok = false;
        } else {
            locks_len += strlen(qualified[i]) + 2;
        }
    }
    if (ok) {
        /* What LOCK TABLE takes: tables, views and foreign tables (it
         * refuses materialized views and sequences). */
        st->locks = xmalloc(locks_len + 32);
        size_t o = (size_t)sprintf(st->locks, "LOCK TABLE ");
        int nlocked = 0;
        for (int i = 0; i < n; i++) {
            const char *kind = pgres_get(res, i, "kind");
            if (!kind || !strchr("rpvf", kind[0]))
                continue;
            o += (size_t)sprintf(st->locks + o, "%s%s", nlocked++ ? ", " : "", qualified[i]);
        }
        sprintf(st->locks + o, " IN ACCESS SHARE MODE");
        if (!nlocked) {
            free(st->locks);
            st->locks = NULL;
        }
        st->text = explain_guard_qualify(&st->info, (const char *const *)qualified);
        /* Read back what will be sent: the same statement, every relation
         * now written with its schema. */
        struct explain_info again;
        if (explain_guard_check(st->text, &again) != 0 || again.nrelations != n) {
            action_refuse(a, "the query could not be written with its relations qualified: %s",
                          again.why[0] ? again.why : "it reads differently");
            ok = false;
        }
        /* ... and the very relations checked, in the same order. */
        for (int i = 0; ok && i < again.nrelations; i++)
            if (!again.relations[i].schema || strcmp(again.relations[i].schema, st->schemas[i]) != 0 ||
                strcmp(again.relations[i].name, st->names[i]) != 0) {
                action_refuse(a, "the query could not be written with its relation %s qualified",
                              again.relations[i].name);
                ok = false;
            }
        explain_info_free(&again);
    }
    for (int i = 0; i < n; i++)
        free(qualified[i]);
    free(qualified);
    if (ok)
        add_steps(a, st);
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
    if (explain_guard_check(text, &st->info) != 0) {
        action_refuse(a, "%s", st->info.why);
        return;
    }
    st->version = version;
    st->role = xstrdup(role);
    int n = st->info.nrelations;
    st->schemas = xcalloc((size_t)n + 1, sizeof *st->schemas);
    st->names = xcalloc((size_t)n + 1, sizeof *st->names);
    st->oids = xcalloc((size_t)n + 1, sizeof *st->oids);
    if (n == 0) {
        st->text = xstrdup(st->info.statement);
        add_steps(a, st);
        return;
    }
    const char **written = xcalloc((size_t)n + 1, sizeof *written);
    for (int i = 0; i < n; i++) {
        written[i] = st->info.relations[i].schema;
        st->names[i] = xstrdup(st->info.relations[i].name);
    }
    int rc = send_check(a, st, written, false, checked);
    free(written);
    if (rc != 0)
        action_refuse(a, "the primary is not connected");
}

/* ---- inside the transaction ------------------------------------------------ */

static void rechecked(struct action *a, const PGresult *res, const char *error)
{
    struct explain_state *st = action_data(a);
    if (error) {
        action_refuse(a, "could not check the query's relations again: %s", error);
        return;
    }
    for (int i = 0; i < st->info.nrelations; i++) {
        if (!relation_allowed(a, st, res, i))
            return;
        const char *oid = pgres_get(res, i, "oid");
        if (!oid || strcmp(oid, st->oids[i]) != 0) {
            action_refuse(a, "%s.%s was replaced by another relation since the query was checked",
                          st->schemas[i], st->names[i]);
            return;
        }
    }
    action_premise_held(a);
}

static void locked(struct action *a, const PGresult *res, const char *error)
{
    (void)res;
    struct explain_state *st = action_data(a);
    if (error) {
        action_refuse(a, "could not lock the query's relations: %s", error);
        return;
    }
    if (send_check(a, st, (const char *const *)st->schemas, true, rechecked) != 0)
        action_refuse(a, "the action's connection is not up");
}

/* The relations are locked first (nobody can drop, rename or replace one
 * while the transaction holds ACCESS SHARE), then checked again by OID:
 * what the plan checked is what EXPLAIN plans.  (LOCK TABLE refuses
 * materialized views: one is only trusted when a trusted role owns it,
 * and the schema's owner could still replace it between this check and
 * the EXPLAIN.) */
void explain_recheck(struct action *a)
{
    struct explain_state *st = action_data(a);
    if (!st || st->info.nrelations == 0) {
        action_premise_held(a);
        return;
    }
    /* Materialized views and sequences alone: nothing LOCK TABLE takes,
     * checked again all the same. */
    if (!st->locks) {
        locked(a, NULL, NULL);
        return;
    }
    if (action_check_query(a, st->locks, 0, NULL, locked) != 0)
        action_refuse(a, "the action's connection is not up");
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
    int rows = PQntuples(res);
    char **lines = xcalloc((size_t)rows + 4, sizeof *lines);
    int n = 0;
    char *quoted = shortened(st->text);
    lines[n++] = xasprintf("-- %s", quoted);
    free(quoted);
    if (st->generic)
        lines[n++] = xasprintf("-- a generic plan: $1..$%d have no values (pg_stat_statements keeps none)",
                               st->info.params);
    lines[n++] = xstrdup("");
    for (int i = 0; i < rows; i++)
        lines[n++] = xstrdup(PQgetvalue(res, i, 0));
    char *title = xasprintf("EXPLAIN %s (not executed)", action_target_text(a));
    action_show(a, title, lines, n);
    free(title);
    action_set_detail(a, "plan shown (%d lines)%s", rows, st->generic ? ", generic" : "");
}
