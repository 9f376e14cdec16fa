/* What EXPLAIN may plan, read on the parse tree (see explain_guard.h).
 *
 * The tree is libpg_query's JSON: every node is an object with one key,
 * its type ({"FuncCall": {...}}).  The walk visits every object and
 * checks the nodes that name code: FuncCall (functions), A_Expr, SortBy and
 * SubLink (operators), TypeName (types, and so their input functions),
 * CollateClause, RangeTableSample (its method is a function).  It recurses
 * once per level of the tree, whose depth jansson bounds (2048).  A node
 * held in a field of a fixed type comes without its wrapper: TypeCast's
 * "typeName", ColumnDef's "collClause", the "relation" of INSERT, UPDATE,
 * DELETE and MERGE. */
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sql.h"
#include "base/xalloc.h"
#include "core/explain_guard.h"

/* pg_catalog functions that planning must never reach: constant folding
 * and selectivity estimation call IMMUTABLE and STABLE ones with constant
 * arguments, and these run SQL or read what the caller may read.  `args`:
 * only the form with that many arguments (0: every form). */
static const struct {
    const char *name;
    int args;
    const char *why;
} forbidden[] = {
    { "query_to_xml",                   0, "runs the SQL text it is given" },
    { "query_to_xmlschema",             0, "runs the SQL text it is given" },
    { "query_to_xml_and_xmlschema",     0, "runs the SQL text it is given" },
    { "ts_stat",                        0, "runs the SQL text it is given" },
    { "ts_rewrite",                     2, "runs the SQL text it is given" },
    { "cursor_to_xml",                  0, "reads a cursor" },
    { "cursor_to_xmlschema",            0, "reads a cursor" },
    { "table_to_xml",                   0, "reads a table or view with the caller's rights" },
    { "table_to_xmlschema",             0, "reads a table or view with the caller's rights" },
    { "table_to_xml_and_xmlschema",     0, "reads a table or view with the caller's rights" },
    { "schema_to_xml",                  0, "reads every table and view of a schema" },
    { "schema_to_xmlschema",            0, "reads every table and view of a schema" },
    { "schema_to_xml_and_xmlschema",    0, "reads every table and view of a schema" },
    { "database_to_xml",                0, "reads every table and view of the database" },
    { "database_to_xmlschema",          0, "reads every table and view of the database" },
    { "database_to_xml_and_xmlschema",  0, "reads every table and view of the database" },
    { "pg_read_file",                   0, "reads files on the server" },
    { "pg_read_binary_file",            0, "reads files on the server" },
    { "pg_stat_file",                   0, "reads files on the server" },
    { "pg_ls_dir",                      0, "reads directories on the server" },
    { "pg_ls_logdir",                   0, "reads directories on the server" },
    { "pg_ls_waldir",                   0, "reads directories on the server" },
    { "pg_ls_tmpdir",                   0, "reads directories on the server" },
    { "pg_ls_archive_statusdir",        0, "reads directories on the server" },
    { "pg_ls_logicalsnapdir",           0, "reads directories on the server" },
    { "pg_ls_logicalmapdir",            0, "reads directories on the server" },
    { "pg_ls_replslotdir",              0, "reads directories on the server" },
    { "loread",                         0, "reads or writes large objects" },
    { "lowrite",                        0, "reads or writes large objects" },
};

/* The longest text read: PostgreSQL's own limit for pg_stat_activity
 * (track_activity_query_size); parsing it takes about 0.2 s. */
#define EXPLAIN_MAX_TEXT (1024 * 1024)

/* Statements EXPLAIN plans, by parse node. */
static const struct {
    const char *node;
    const char *kind;
} plannable[] = {
    { "SelectStmt", "select" },
    { "InsertStmt", "insert" },
    { "UpdateStmt", "update" },
    { "DeleteStmt", "delete" },
    { "MergeStmt",  "merge" },
};

struct walk {
    struct explain_info *info;
    const char *text;       /* the whole text: locations are into it */
    int   offset;           /* where the statement starts in it */
    struct sql_tokens tokens;   /* of the whole text, for name lengths */
    char **ctes;            /* CTE names anywhere in the statement */
    int    nctes;
    bool   refused;
};

static void refuse(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct walk *w, const char *fmt, ...)
{
    if (w->refused)
        return;             /* the first reason is the one said */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->info->why, sizeof w->info->why, fmt, ap);
    va_end(ap);
    w->refused = true;
}

/* A name list ([schema.]name) written with a schema other than pg_catalog:
 * "the function s.f"; what: "function", "operator", "type", "collation". */
static void check_qualified(struct walk *w, const json_t *names, const char *what)
{
    char full[256];
    int parts = sql_name_list(names, full, sizeof full);
    if (parts < 2)
        return;
    const char *schema = sql_name_part(names, (size_t)parts - 2);
    if (schema && strcmp(schema, "pg_catalog") == 0)
        return;
    refuse(w, "the query names the %s %s outside pg_catalog: planning could run its code as pgdeck's role, "
           "so pgdeck does not EXPLAIN it", what, full);
}

static void check_function(struct walk *w, const json_t *call)
{
    const json_t *names = json_object_get(call, "funcname");
    check_qualified(w, names, "function");
    char full[256];
    int parts = sql_name_list(names, full, sizeof full);
    const char *name = parts ? sql_name_part(names, (size_t)parts - 1) : NULL;
    if (!name)
        return;
    int args = (int)json_array_size(json_object_get(call, "args"));
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (strcmp(name, forbidden[i].name) == 0 && (!forbidden[i].args || forbidden[i].args == args)) {
            refuse(w, "the query calls %s, which %s: planning may call it, so pgdeck does not EXPLAIN it",
                   full, forbidden[i].why);
            return;
        }
    if (strncmp(name, "lo_", 3) == 0)
        refuse(w, "the query calls %s, which reads or writes large objects: planning may call it, so pgdeck "
               "does not EXPLAIN it", full);
}

static void add_relation(struct walk *w, const json_t *rv)
{
    const char *name = json_string_value(json_object_get(rv, "relname"));
    const char *schema = json_string_value(json_object_get(rv, "schemaname"));
    json_t *loc = json_object_get(rv, "location");
    if (!name)
        return;
    if (!schema)
        for (int i = 0; i < w->nctes; i++)
            if (strcmp(w->ctes[i], name) == 0)
                return;     /* a WITH query, not a relation */
    struct explain_info *info = w->info;
    struct explain_relation r = { .schema = xstrdup(schema), .name = xstrdup(name) };
    int at = loc ? (int)json_integer_value(loc) : -1;
    if (!schema) {
        /* Where the name is written: its token. */
        int t = at >= 0 ? sql_token_at(&w->tokens, at) : -1;
        if (t < 0) {
            refuse(w, "pgdeck cannot tell where the relation %s is written in the query", name);
            free(r.schema);
            free(r.name);
            return;
        }
        r.at = at - w->offset;
        r.len = w->tokens.tokens[t].end - w->tokens.tokens[t].start;
    } else {
        r.at = at >= 0 ? at - w->offset : 0;
    }
    info->relations = xrealloc(info->relations, (size_t)(info->nrelations + 1) * sizeof *info->relations);
    info->relations[info->nrelations++] = r;
}

/* Every CTE name first: a reference to one may come before its
 * definition in the text (WITH RECURSIVE, nested WITH). */
static bool collect_cte(const char *key, const json_t *v, void *arg)
{
    struct walk *w = arg;
    if (strcmp(key, "CommonTableExpr") == 0) {
        const char *name = json_string_value(json_object_get(v, "ctename"));
        if (name) {
            w->ctes = xrealloc(w->ctes, (size_t)(w->nctes + 1) * sizeof *w->ctes);
            w->ctes[w->nctes++] = xstrdup(name);
        }
    }
    return true;
}

static bool check_node(const char *key, const json_t *v, void *arg)
{
    struct walk *w = arg;
    if (strcmp(key, "FuncCall") == 0)
        check_function(w, v);
    else if (strcmp(key, "A_Expr") == 0)
        check_qualified(w, json_object_get(v, "name"), "operator");
    else if (strcmp(key, "SortBy") == 0)
        check_qualified(w, json_object_get(v, "useOp"), "operator");
    else if (strcmp(key, "SubLink") == 0)
        check_qualified(w, json_object_get(v, "operName"), "operator");
    else if (strcmp(key, "TypeName") == 0 || strcmp(key, "typeName") == 0)
        check_qualified(w, json_object_get(v, "names"), "type");
    else if (strcmp(key, "CollateClause") == 0 || strcmp(key, "collClause") == 0)
        check_qualified(w, json_object_get(v, "collname"), "collation");
    else if (strcmp(key, "RangeTableSample") == 0)
        check_qualified(w, json_object_get(v, "method"), "tablesample method");
    else if (strcmp(key, "intoClause") == 0)
        refuse(w, "SELECT INTO creates a table: pgdeck explains queries only");
    else if (strcmp(key, "RangeVar") == 0 ||
             (strcmp(key, "relation") == 0 && json_object_get(v, "relname")))
        add_relation(w, v);     /* INSERT, UPDATE, DELETE and MERGE hold theirs unwrapped */
    else if (strcmp(key, "ParamRef") == 0) {
        int n = (int)json_integer_value(json_object_get(v, "number"));
        if (n > w->info->params)
            w->info->params = n;
    }
    return true;
}

/* The first word of the text, for "this statement starts with 'DROP'". */
static void first_word(const char *text, const struct sql_tokens *tokens, char *buf, size_t len)
{
    snprintf(buf, len, "?");
    for (int i = 0; i < tokens->count; i++) {
        const struct sql_token *t = &tokens->tokens[i];
        if (t->comment)
            continue;
        size_t n = 0;
        for (int k = t->start; k < t->end && n + 1 < len && n < 24; k++) {
            unsigned char c = (unsigned char)text[k];
            buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        buf[n] = '\0';
        return;
    }
}

static int check_tree(struct walk *w, const json_t *tree)
{
    struct explain_info *info = w->info;
    const json_t *stmts = json_object_get(tree, "stmts");
    if (json_array_size(stmts) == 0) {
        snprintf(info->why, sizeof info->why, "the query text is empty");
        return -1;
    }
    if (json_array_size(stmts) > 1) {
        snprintf(info->why, sizeof info->why, "the query text holds more than one statement; EXPLAIN takes one");
        return -1;
    }
    const json_t *raw = json_array_get(stmts, 0);
    const json_t *stmt = json_object_get(raw, "stmt");
    const char *node = json_object_iter_key(json_object_iter((json_t *)stmt));
    for (size_t i = 0; node && i < sizeof plannable / sizeof plannable[0]; i++)
        if (strcmp(node, plannable[i].node) == 0)
            snprintf(info->kind, sizeof info->kind, "%s", plannable[i].kind);
    if (!info->kind[0]) {
        char word[32];
        first_word(w->text, &w->tokens, word, sizeof word);
        snprintf(info->why, sizeof info->why,
                 "EXPLAIN plans SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE and WITH; "
                 "this statement starts with '%s'", word);
        return -1;
    }
    /* The statement's own text: stmt_location and stmt_len are left out
     * of the JSON when 0 (the start; to the end). */
    size_t len = strlen(w->text);
    long at = (long)json_integer_value(json_object_get(raw, "stmt_location"));
    long n = (long)json_integer_value(json_object_get(raw, "stmt_len"));
    if (at < 0 || (size_t)at > len)
        at = 0;
    if (n <= 0 || (size_t)(at + n) > len)
        n = (long)len - at;
    while (n > 0 && strchr(" \t\r\n\f\v", w->text[at + n - 1]))
        n--;
    info->statement = xstrndup(w->text + at, (size_t)n);
    w->offset = (int)at;

    /* The text's nesting is bounded before it is parsed (sql_parse). */
    sql_tree_walk(stmt, INT_MAX, collect_cte, w);
    sql_tree_walk(stmt, INT_MAX, check_node, w);
    return w->refused ? -1 : 0;
}

int explain_guard_check(const char *text, struct explain_info *info)
{
    memset(info, 0, sizeof *info);
    if (!text)
        text = "";
    struct walk w = { .info = info, .text = text };
    if (strlen(text) > EXPLAIN_MAX_TEXT) {
        snprintf(info->why, sizeof info->why, "the query text is %zu bytes; pgdeck reads texts of up to %d "
                 "(parsing is on the console's loop)", strlen(text), EXPLAIN_MAX_TEXT);
        return -1;
    }
    char err[256];
    int error_at;
    json_t *tree = sql_parse(text, &error_at, err, sizeof err);
    if (!tree) {
        size_t len = strlen(text);
        bool cut = strncmp(err, "unterminated", 12) == 0 || error_at < 0 || (size_t)error_at >= len;
        if (cut)
            snprintf(info->why, sizeof info->why,
                     "the query text ends inside a string, a quoted name or a comment, or before the "
                     "statement does (it may be cut at track_activity_query_size): %s", err);
        else
            snprintf(info->why, sizeof info->why,
                     "PostgreSQL 15's parser (the one pgdeck reads queries with) cannot read the query: %s "
                     "at byte %d", err, error_at);
        return -1;
    }
    int rc = -1;
    if (sql_scan(text, &w.tokens) != 0)
        snprintf(info->why, sizeof info->why, "the query text could not be scanned: %s", w.tokens.error);
    else
        rc = check_tree(&w, tree);
    json_decref(tree);
    sql_tokens_free(&w.tokens);
    for (int i = 0; i < w.nctes; i++)
        free(w.ctes[i]);
    free(w.ctes);
    return rc;
}

void explain_info_free(struct explain_info *info)
{
    for (int i = 0; i < info->nrelations; i++) {
        free(info->relations[i].schema);
        free(info->relations[i].name);
    }
    free(info->relations);
    free(info->statement);
    memset(info, 0, sizeof *info);
}

char *explain_guard_qualify(const struct explain_info *info, const char *const *qualified)
{
    const char *s = info->statement ? info->statement : "";
    size_t len = strlen(s), total = len + 1;
    for (int i = 0; i < info->nrelations; i++)
        if (qualified[i] && info->relations[i].len)
            total += strlen(qualified[i]);
    char *out = xmalloc(total);
    size_t o = 0, from = 0;
    /* Relations come in tree order, not text order: write them in text
     * order, each name once. */
    for (;;) {
        int next = -1;
        for (int i = 0; i < info->nrelations; i++) {
            const struct explain_relation *r = &info->relations[i];
            if (!qualified[i] || !r->len || r->at < 0 || (size_t)r->at < from || (size_t)(r->at + r->len) > len)
                continue;
            if (next < 0 || r->at < info->relations[next].at)
                next = i;
        }
        if (next < 0)
            break;
        const struct explain_relation *r = &info->relations[next];
        memcpy(out + o, s + from, (size_t)r->at - from);
        o += (size_t)r->at - from;
        size_t q = strlen(qualified[next]);
        memcpy(out + o, qualified[next], q);
        o += q;
        from = (size_t)(r->at + r->len);
    }
    memcpy(out + o, s + from, len - from);
    o += len - from;
    out[o] = '\0';
    return out;
}
