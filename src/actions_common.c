/* Helpers shared by the action families (see actions.h). */
#include <stdlib.h>
#include <string.h>

#include "action_sql.h"
#include "actions.h"
#include "ident.h"
#include "snapshot.h"
#include "xalloc.h"

int actions_row_relation(const struct snapshot *s, int row, const char *const *columns,
                         const char **schema, const char **name, char **buf)
{
    *schema = *name = NULL;
    *buf = NULL;
    if (!s || row < 0 || row >= s->nrows)
        return -1;
    for (const char *const *c = columns; *c && !*name; c++)
        if (snapshot_column(s, *c) >= 0)
            *name = snapshot_get(s, row, *c);
    if (!*name || !**name)
        return -1;
    *schema = snapshot_get(s, row, "schema");
    if (*schema && **schema) {
        /* "name" may hold "schema.name" beside a schema column. */
        size_t len = strlen(*schema);
        if (strncmp(*name, *schema, len) == 0 && (*name)[len] == '.')
            *name += len + 1;
        return 0;
    }
    /* No schema column: the name must be an SQL identifier, [schema.]name
     * (schema public by default).  Splitting "a.b.c" at a dot would guess
     * between "a"."b.c" and "a.b"."c"; a query that wants its rows acted on
     * gives a schema column. */
    char *parsed_schema, *parsed_name;
    if (ident_parse_qualified(*name, "public", &parsed_schema, &parsed_name, NULL, 0) != 0) {
        *schema = *name = NULL;
        return -1;
    }
    size_t ls = strlen(parsed_schema);
    *buf = xmalloc(ls + strlen(parsed_name) + 2);
    memcpy(*buf, parsed_schema, ls + 1);
    strcpy(*buf + ls + 1, parsed_name);
    *schema = *buf;
    *name = *buf + ls + 1;
    free(parsed_schema);
    free(parsed_name);
    return 0;
}

bool actions_target_relation(const struct action *a, const char **schema, const char **name)
{
    const struct action_target *t = action_target(a);
    *schema = t->schema;
    *name = t->name;
    return t->name && *t->name;
}

int actions_resolve(struct action *a, const char *const *schemas, const char *const *names, int n,
                    void (*cb)(struct action *a, const PGresult *res, const char *error))
{
    const char *sql = action_sql_file("queries/action_relation.sql");
    if (!sql)
        return -1;
    char *s = sql_text_array(schemas, n);
    char *r = sql_text_array(names, n);
    const char *params[] = { s, r };
    int rc = action_query(a, sql, 2, params, cb);
    free(s);
    free(r);
    return rc;
}

/* Snapshot columns that may name what each kind of action needs, most
 * specific first. */
static const char *const view_columns[] = { "view", "view_name", "matviewname", "name", "relname", NULL };
static const char *const partitioned_columns[] = { "table", "table_name", "relname", "name", NULL };
static const char *const index_columns[] = { "index", "index_name", "indexname", "indexrelname", "name", NULL };
static const char *const table_columns[] = { "table", "table_name", "tablename", "relname", "view",
                                             "view_name", "name", NULL };

int action_target_from_row(const struct action_def *def, const struct snapshot *s, int row,
                           struct action_target *t, char **buf)
{
    memset(t, 0, sizeof *t);
    *buf = NULL;
    if (!s || s->error || row < 0 || row >= s->nrows)
        return -1;
    const char *const *columns = NULL;
    switch (def->needs) {
    case NEEDS_NOTHING:
        return 0;
    case NEEDS_SESSION:
    case NEEDS_QUERY: {
        const char *pid = snapshot_get(s, row, "pid");
        t->pid = pid ? atoi(pid) : 0;
        t->database = snapshot_get(s, row, "database");
        if (def->needs == NEEDS_QUERY && t->pid <= 0)
            t->text = snapshot_get(s, row, "query");
        return t->pid > 0 || (t->text && *t->text) ? 0 : -1;
    }
    case NEEDS_VIEW:
        columns = view_columns;
        break;
    case NEEDS_PARTITIONED:
        columns = partitioned_columns;
        break;
    case NEEDS_PLANNED_INDEX:
    case NEEDS_INVALID_INDEX:
        columns = index_columns;
        break;
    case NEEDS_TABLE:
        columns = table_columns;
        break;
    }
    return actions_row_relation(s, row, columns, &t->schema, &t->name, buf);
}
