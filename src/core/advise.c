/* Index advice, the pure part (see advise.h): candidates read on the
 * statement's parse tree, names and statements of advised indexes, plans'
 * costs read from EXPLAIN (FORMAT JSON).
 *
 * The tree is libpg_query's JSON (base/sql.h): a node is an object with one
 * key, its type ({"SelectStmt": {...}}); a field at its default value is
 * left out (an A_Expr without "kind" is AEXPR_OP).  The walk recurses once
 * per level of SELECTs, boolean ANDs and sublinks, which jansson's depth
 * bound (2048) limits; every list it keeps is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "base/sql.h"
#include "base/xalloc.h"
#include "core/action_sql.h"
#include "core/advise.h"

/* Relations one FROM may name, columns one statement may suggest: beyond
 * these the statement is read in part (advice is a hint, not a proof). */
#define MAX_SCOPE 32
#define MAX_FOUND 64

/* A relation of a FROM list, by the name its columns are written with. */
struct scope_item {
    const char *alias;          /* the alias, or the relation's name */
    const char *schema;         /* as written, or NULL */
    const char *relname;
    int relation;               /* index into info->relations; -1 for a
                                   subquery, a function or a WITH query */
};

struct scope {
    const struct scope *parent; /* the enclosing query's (correlated sublinks) */
    struct scope_item items[MAX_SCOPE];
    int n;
};

/* A column a predicate or an ORDER BY names. */
enum found_kind { FOUND_EQUAL, FOUND_JOIN, FOUND_RANGE, FOUND_ORDER };

struct found {
    int relation;
    enum found_kind kind;
    const char *column;         /* borrowed from the tree */
};

struct reader {
    const struct explain_info *info;
    struct found found[MAX_FOUND];
    int nfound;
};

/* ---- the tree ------------------------------------------------------------- */

/* The type of a node and its fields: {"Type": {...}}. */
static const char *node_type(const json_t *node, const json_t **fields)
{
    if (!json_is_object(node) || json_object_size(node) != 1) {
        *fields = NULL;
        return NULL;
    }
    void *it = json_object_iter((json_t *)node);
    *fields = json_object_iter_value(it);
    return json_object_iter_key(it);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The relation of the statement written at byte `at`, or -1 (a WITH
 * query's name is no relation of the guard's). */
static int relation_at(const struct explain_info *info, int at)
{
    for (int i = 0; i < info->nrelations; i++)
        if (info->relations[i].at == at)
            return i;
    return -1;
}

static void scope_add(struct scope *s, const char *alias, const char *schema, const char *relname, int relation)
{
    if (s->n >= MAX_SCOPE)
        return;
    s->items[s->n++] = (struct scope_item){ alias, schema, relname, relation };
}

static void read_select(struct reader *r, const json_t *select, const struct scope *parent);

/* An item of FROM (or USING): relations into the scope; a subquery is
 * read on its own, its alias kept so that its columns are not taken for
 * another relation's. */
static void add_from(struct reader *r, struct scope *s, const json_t *item, int depth)
{
    const json_t *f;
    const char *type = node_type(item, &f);
    if (!type || depth > 64)
        return;
    if (strcmp(type, "RangeVar") == 0) {
        const char *rel = str(f, "relname");
        const char *alias = str(json_object_get(f, "alias"), "aliasname");
        json_t *loc = json_object_get(f, "location");
        int at = loc ? (int)json_integer_value(loc) : -1;
        if (rel)
            scope_add(s, alias ? alias : rel, str(f, "schemaname"), rel, relation_at(r->info, at));
    } else if (strcmp(type, "JoinExpr") == 0) {
        add_from(r, s, json_object_get(f, "larg"), depth + 1);
        add_from(r, s, json_object_get(f, "rarg"), depth + 1);
    } else if (strcmp(type, "RangeSubselect") == 0) {
        /* LATERAL subqueries see this FROM; others only the outer query. */
        read_select(r, json_object_get(f, "subquery"), json_is_true(json_object_get(f, "lateral")) ? s : s->parent);
        const char *alias = str(json_object_get(f, "alias"), "aliasname");
        if (alias)
            scope_add(s, alias, NULL, NULL, -1);
    } else {
        const char *alias = str(json_object_get(f, "alias"), "aliasname");
        if (alias)
            scope_add(s, alias, NULL, NULL, -1);
    }
}

/* The join quals of every JoinExpr of FROM. */
static void read_preds(struct reader *r, const json_t *node, const struct scope *s);

static void read_join_quals(struct reader *r, const json_t *item, const struct scope *s, int depth)
{
    const json_t *f;
    const char *type = node_type(item, &f);
    if (!type || depth > 64 || strcmp(type, "JoinExpr") != 0)
        return;
    read_join_quals(r, json_object_get(f, "larg"), s, depth + 1);
    read_join_quals(r, json_object_get(f, "rarg"), s, depth + 1);
    read_preds(r, json_object_get(f, "quals"), s);
}

/* A column reference, resolved: up to MAX_SCOPE (relation, column) pairs
 * (several for a bare column of a FROM with several relations).  Returns
 * how many; 0 when it names no relation of ours. */
struct colref {
    int relations[MAX_SCOPE];
    int n;
    const char *column;
};

static bool resolve(const json_t *node, const struct scope *s, struct colref *out)
{
    const json_t *f;
    const char *type = node_type(node, &f);
    out->n = 0;
    if (!type || strcmp(type, "ColumnRef") != 0)
        return false;
    const json_t *fields = json_object_get(f, "fields");
    size_t parts = json_array_size(fields);
    if (parts < 1 || parts > 3)
        return false;
    const char *name[3] = { NULL, NULL, NULL };
    for (size_t i = 0; i < parts; i++) {
        const json_t *sf;
        const char *t = node_type(json_array_get(fields, i), &sf);
        if (!t || strcmp(t, "String") != 0 || !(name[i] = str(sf, "sval")))
            return false;   /* t.* */
    }
    out->column = name[parts - 1];
    for (const struct scope *sc = s; sc; sc = sc->parent) {
        if (parts == 1) {
            if (sc->n == 0)
                continue;
            for (int i = 0; i < sc->n; i++)
                if (sc->items[i].relation >= 0)
                    out->relations[out->n++] = sc->items[i].relation;
            return out->n > 0;
        }
        const char *rel = name[parts - 2];
        const char *schema = parts == 3 ? name[0] : NULL;
        for (int i = 0; i < sc->n; i++) {
            const struct scope_item *it = &sc->items[i];
            bool match = schema ? (it->relname && strcmp(it->relname, rel) == 0 && it->schema &&
                                   strcmp(it->schema, schema) == 0)
                                : strcmp(it->alias, rel) == 0;
            if (match) {
                if (it->relation < 0)
                    return false;
                out->relations[out->n++] = it->relation;
                return true;
            }
        }
    }
    return false;
}

/* A value: an expression that names no column and holds no sublink (a
 * constant, a parameter, now() - interval '1 day', a cast of those). */
static bool not_a_column(const char *key, const json_t *v, void *arg)
{
    (void)v;
    (void)arg;
    return strcmp(key, "ColumnRef") != 0 && strcmp(key, "SubLink") != 0;
}

static bool is_value(const json_t *node)
{
    return sql_tree_walk(node, 64, not_a_column, NULL);
}

static void add_found(struct reader *r, const struct colref *c, enum found_kind kind)
{
    for (int i = 0; i < c->n && r->nfound < MAX_FOUND; i++)
        r->found[r->nfound++] = (struct found){ c->relations[i], kind, c->column };
}

/* The operator of an A_Expr: the last part of its name. */
static const char *operator_of(const json_t *expr)
{
    const json_t *name = json_object_get(expr, "name");
    size_t n = json_array_size(name);
    const json_t *f;
    const char *t = n ? node_type(json_array_get(name, n - 1), &f) : NULL;
    return t && strcmp(t, "String") == 0 ? str(f, "sval") : NULL;
}

static void read_expr(struct reader *r, const json_t *e, const struct scope *s)
{
    const char *kind = str(e, "kind");
    const char *op = operator_of(e);
    const json_t *l = json_object_get(e, "lexpr"), *rx = json_object_get(e, "rexpr");
    struct colref a, b;
    bool la = resolve(l, s, &a), rb = resolve(rx, s, &b);
    if (!kind || strcmp(kind, "AEXPR_OP") == 0) {
        if (!op)
            return;
        bool eq = strcmp(op, "=") == 0;
        bool range = strcmp(op, "<") == 0 || strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 ||
                     strcmp(op, ">=") == 0;
        if (!eq && !range)
            return;
        if (la && rb) {
            /* Two columns: a join key when they are of different
             * relations (and compared with =). */
            if (eq && !(a.n == 1 && b.n == 1 && a.relations[0] == b.relations[0])) {
                add_found(r, &a, FOUND_JOIN);
                add_found(r, &b, FOUND_JOIN);
            }
        } else if (la && is_value(rx)) {
            add_found(r, &a, eq ? FOUND_EQUAL : FOUND_RANGE);
        } else if (rb && is_value(l)) {
            add_found(r, &b, eq ? FOUND_EQUAL : FOUND_RANGE);
        }
    } else if (strcmp(kind, "AEXPR_OP_ANY") == 0 || strcmp(kind, "AEXPR_IN") == 0) {
        if (op && strcmp(op, "=") == 0 && la && is_value(rx))
            add_found(r, &a, FOUND_EQUAL);
    } else if (strcmp(kind, "AEXPR_BETWEEN") == 0 || strcmp(kind, "AEXPR_BETWEEN_SYM") == 0) {
        if (la && is_value(rx))
            add_found(r, &a, FOUND_RANGE);
    }
}

static void read_preds(struct reader *r, const json_t *node, const struct scope *s)
{
    const json_t *f;
    const char *type = node_type(node, &f);
    if (!type)
        return;
    if (strcmp(type, "BoolExpr") == 0) {
        const char *op = str(f, "boolop");
        /* AND_EXPR is the default (0) and so may be left out. */
        if (op && strcmp(op, "AND_EXPR") != 0)
            return;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(f, "args"), i, v)
            read_preds(r, v, s);
    } else if (strcmp(type, "A_Expr") == 0) {
        read_expr(r, f, s);
    } else if (strcmp(type, "SubLink") == 0) {
        /* x IN (SELECT ...): x is compared with each row, as a join key. */
        const char *kind = str(f, "subLinkType");
        struct colref c;
        if (kind && strcmp(kind, "ANY_SUBLINK") == 0 && resolve(json_object_get(f, "testexpr"), s, &c))
            add_found(r, &c, FOUND_JOIN);
        read_select(r, json_object_get(f, "subselect"), s);
    }
}

/* ORDER BY's columns count only under a LIMIT (an index then lets the
 * scan stop early), and only when all of them are columns of one
 * relation. */
static void read_order(struct reader *r, const json_t *sel, const struct scope *s)
{
    const json_t *limit = json_object_get(sel, "limitCount");
    const json_t *lf;
    const char *lt = node_type(limit, &lf);
    /* LIMIT ALL and LIMIT NULL are no limit. */
    if (!lt || (strcmp(lt, "A_Const") == 0 && json_is_true(json_object_get(lf, "isnull"))))
        return;
    const json_t *sort = json_object_get(sel, "sortClause");
    size_t n = json_array_size(sort);
    if (n == 0 || n > ADVISE_MAX_COLUMNS)
        return;
    struct colref c[ADVISE_MAX_COLUMNS];
    for (size_t i = 0; i < n; i++) {
        const json_t *f;
        const char *t = node_type(json_array_get(sort, i), &f);
        if (!t || strcmp(t, "SortBy") != 0 || !resolve(json_object_get(f, "node"), s, &c[i]) || c[i].n != 1 ||
            c[i].relations[0] != c[0].relations[0])
            return;
    }
    for (size_t i = 0; i < n; i++)
        add_found(r, &c[i], FOUND_ORDER);
}

static void read_select(struct reader *r, const json_t *node, const struct scope *parent)
{
    const json_t *f;
    const char *type = node_type(node, &f);
    if (!type)
        return;
    const json_t *with = json_object_get(f, "withClause");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(with, "ctes"), i, v) {
        const json_t *cf;
        if (node_type(v, &cf) && cf)
            read_select(r, json_object_get(cf, "ctequery"), parent);
    }
    struct scope s = { .parent = parent };
    if (strcmp(type, "SelectStmt") == 0) {
        if (json_object_get(f, "larg")) {   /* UNION, INTERSECT, EXCEPT */
            read_select(r, json_object_get(f, "larg"), parent);
            read_select(r, json_object_get(f, "rarg"), parent);
            return;
        }
        json_array_foreach(json_object_get(f, "fromClause"), i, v)
            add_from(r, &s, v, 0);
        json_array_foreach(json_object_get(f, "fromClause"), i, v)
            read_join_quals(r, v, &s, 0);
        read_preds(r, json_object_get(f, "whereClause"), &s);
        read_order(r, f, &s);
    } else if (strcmp(type, "UpdateStmt") == 0 || strcmp(type, "DeleteStmt") == 0) {
        /* Their relation is held unwrapped. */
        json_t *wrapped = json_pack("{s:O}", "RangeVar", json_object_get(f, "relation"));
        if (wrapped)
            add_from(r, &s, wrapped, 0);
        const char *more = strcmp(type, "UpdateStmt") == 0 ? "fromClause" : "usingClause";
        json_array_foreach(json_object_get(f, more), i, v)
            add_from(r, &s, v, 0);
        read_preds(r, json_object_get(f, "whereClause"), &s);
        json_decref(wrapped);
    } else if (strcmp(type, "InsertStmt") == 0) {
        read_select(r, json_object_get(f, "selectStmt"), parent);
    }
}

/* ---- candidates --------------------------------------------------------------- */

static bool has_column(char *const *cols, int n, const char *c)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cols[i], c) == 0)
            return true;
    return false;
}

static bool same_candidate(const struct advise_candidate *a, int relation, char *const *cols, int n)
{
    if (a->relation != relation || a->ncolumns != n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(a->columns[i], cols[i]) != 0)
            return false;
    return true;
}

static int add_candidate(struct advise_candidate **list, int *n, int relation, char *const *cols, int ncols,
                         const char *why)
{
    if (ncols < 1)
        return 0;
    if (ncols > ADVISE_MAX_COLUMNS)
        ncols = ADVISE_MAX_COLUMNS;
    for (int i = 0; i < *n; i++)
        if (same_candidate(&(*list)[i], relation, cols, ncols))
            return 0;
    *list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
    struct advise_candidate *c = &(*list)[(*n)++];
    memset(c, 0, sizeof *c);
    c->relation = relation;
    c->ncolumns = ncols;
    for (int i = 0; i < ncols; i++)
        c->columns[i] = xstrdup(cols[i]);
    c->why = why;
    return 1;
}

/* The columns of one relation, by kind, in the order they were found. */
struct columns {
    char *equal[ADVISE_MAX_COLUMNS];
    int   nequal;
    bool  joins_only;           /* every equality column is a join key */
    char *range;                /* the first range column not compared with = */
    char *order[ADVISE_MAX_COLUMNS];
    int   norder;
};

static void gather(const struct reader *r, int relation, struct columns *c)
{
    memset(c, 0, sizeof *c);
    c->joins_only = true;
    for (int i = 0; i < r->nfound; i++) {
        const struct found *f = &r->found[i];
        if (f->relation != relation || f->kind == FOUND_RANGE || f->kind == FOUND_ORDER)
            continue;
        if (!has_column(c->equal, c->nequal, f->column) && c->nequal < ADVISE_MAX_COLUMNS) {
            c->equal[c->nequal++] = (char *)f->column;
            if (f->kind == FOUND_EQUAL)
                c->joins_only = false;
        }
    }
    for (int i = 0; i < r->nfound; i++) {
        const struct found *f = &r->found[i];
        if (f->relation != relation)
            continue;
        if (f->kind == FOUND_RANGE && !c->range && !has_column(c->equal, c->nequal, f->column))
            c->range = (char *)f->column;
        if (f->kind == FOUND_ORDER && c->norder < ADVISE_MAX_COLUMNS &&
            !has_column(c->equal, c->nequal, f->column) && !has_column(c->order, c->norder, f->column))
            c->order[c->norder++] = (char *)f->column;
    }
}

int advise_candidates(const struct explain_info *info, struct advise_candidate **list, int *n, int max)
{
    if (!info || !info->statement || max <= 0)
        return 0;
    char err[256];
    int error_at;
    json_t *tree = sql_parse(info->statement, &error_at, err, sizeof err);
    if (!tree)
        return 0;
    struct reader r = { .info = info };
    read_select(&r, json_object_get(json_array_get(json_object_get(tree, "stmts"), 0), "stmt"), NULL);

    int added = 0;
    /* The relations in the order their columns were first found. */
    int seen[MAX_FOUND], nseen = 0;
    for (int i = 0; i < r.nfound; i++) {
        bool known = false;
        for (int k = 0; k < nseen; k++)
            known = known || seen[k] == r.found[i].relation;
        if (!known)
            seen[nseen++] = r.found[i].relation;
    }
    /* Composite candidates of every relation first, then single columns:
     * the cap keeps what an index most often is. */
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < nseen && added < max; k++) {
            struct columns c;
            gather(&r, seen[k], &c);
            char *cols[2 * ADVISE_MAX_COLUMNS];
            int nc = 0;
            if (pass == 0) {
                if (c.nequal) {
                    added += add_candidate(list, n, seen[k], c.equal, c.nequal,
                                           c.joins_only ? "join key" : "equality");
                    if (c.range && added < max) {
                        memcpy(cols, c.equal, (size_t)c.nequal * sizeof *cols);
                        cols[c.nequal] = c.range;
                        added += add_candidate(list, n, seen[k], cols, c.nequal + 1, "equality and range");
                    }
                    if (c.norder && added < max) {
                        memcpy(cols, c.equal, (size_t)c.nequal * sizeof *cols);
                        nc = c.nequal;
                        for (int i = 0; i < c.norder && nc < ADVISE_MAX_COLUMNS; i++)
                            cols[nc++] = c.order[i];
                        added += add_candidate(list, n, seen[k], cols, nc, "equality, then ORDER BY with LIMIT");
                    }
                } else if (c.range) {
                    added += add_candidate(list, n, seen[k], &c.range, 1, "range");
                } else if (c.norder) {
                    added += add_candidate(list, n, seen[k], c.order, c.norder, "ORDER BY with LIMIT");
                }
            } else if (c.nequal > 1) {
                for (int i = 0; i < c.nequal && added < max; i++)
                    added += add_candidate(list, n, seen[k], &c.equal[i], 1, "equality");
            } else if (c.nequal && c.range && added < max) {
                added += add_candidate(list, n, seen[k], &c.range, 1, "range");
            }
        }
    }
    json_decref(tree);
    return added;
}

void advise_candidates_free(struct advise_candidate *list, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < list[i].ncolumns; k++)
            free(list[i].columns[k]);
    free(list);
}

/* ---- names and statements ------------------------------------------------------- */

char *advise_index_name(const char *table, const char *const *columns, int n)
{
    size_t len = strlen(table) + 8;
    for (int i = 0; i < n; i++)
        len += strlen(columns[i]) + 1;
    char *name = xmalloc(len);
    size_t o = (size_t)snprintf(name, len, "%s", table);
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(name + o, len - o, "_%s", columns[i]);
    /* Room for "_idx" within PostgreSQL's 63 bytes. */
    if (o > IDENT_MAX_BYTES - 4) {
        name[IDENT_MAX_BYTES - 4 + 1] = '\0';
        /* ident_truncate cuts to 63: cut to 59 without splitting a character. */
        size_t cut = IDENT_MAX_BYTES - 4;
        while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
            cut--;
        name[cut] = '\0';
    }
    char *out = xasprintf("%s_idx", name);
    free(name);
    return out;
}

char *advise_index_sql(const char *schema, const char *table, const char *name, const char *const *columns,
                       int n, bool concurrently)
{
    char *rel = sql_qualified(schema, table);
    char *idx = name ? sql_quote_identifier(name) : NULL;
    if (!rel || (name && !idx) || n < 1) {
        free(rel);
        free(idx);
        return NULL;
    }
    size_t cap = strlen(rel) + (idx ? strlen(idx) : 0) + 96;
    char **q = xcalloc((size_t)n, sizeof *q);
    bool ok = true;
    for (int i = 0; i < n; i++) {
        q[i] = sql_quote_identifier(columns[i]);
        ok = ok && q[i];
        cap += q[i] ? strlen(q[i]) + 2 : 0;
    }
    char *sql = NULL;
    if (ok) {
        sql = xmalloc(cap);
        size_t o = (size_t)snprintf(sql, cap, "CREATE INDEX %s%s%sON %s USING btree (",
                                    concurrently ? "CONCURRENTLY " : "", idx ? idx : "", idx ? " " : "", rel);
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(sql + o, cap - o, "%s%s", i ? ", " : "", q[i]);
        snprintf(sql + o, cap - o, ")");
    }
    for (int i = 0; i < n; i++)
        free(q[i]);
    free(q);
    free(rel);
    free(idx);
    return sql;
}

/* ---- plans -------------------------------------------------------------------------- */

static bool plan_uses(const json_t *plan, const char *index, int depth)
{
    if (!json_is_object(plan) || depth > 256)
        return false;
    const char *name = str(plan, "Index Name");
    if (name && strcmp(name, index) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(plan, "Plans"), i, v)
        if (plan_uses(v, index, depth + 1))
            return true;
    return false;
}

int advise_plan_read(const char *text, const char *index_name, double *cost, bool *uses)
{
    *cost = 0;
    if (uses)
        *uses = false;
    json_error_t err;
    json_t *doc = text ? json_loads(text, 0, &err) : NULL;
    const json_t *plan = json_object_get(json_array_get(doc, 0), "Plan");
    const json_t *total = json_object_get(plan, "Total Cost");
    if (!json_is_number(total)) {
        json_decref(doc);
        return -1;
    }
    *cost = json_number_value(total);
    if (uses && index_name)
        *uses = plan_uses(plan, index_name, 0);
    json_decref(doc);
    return 0;
}

bool advise_served(const char *const *columns, int n, const char *const *existing, int m)
{
    if (n < 1 || n > m)
        return false;
    for (int i = 0; i < n; i++)
        if (!existing[i] || strcmp(columns[i], existing[i]) != 0)
            return false;
    return true;
}
