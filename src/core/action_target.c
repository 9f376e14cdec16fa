/* What an action acts on (see action_target.h): shared by the action rows
 * of every subject. */
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/action_target.h"
#include "base/ident.h"
#include "net/pgconn.h"
#include "core/snapshot.h"
#include "base/xalloc.h"

int action_target_row_relation(const struct snapshot *s, int row, const char *const *columns,
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

bool action_target_relation(const struct action *a, const char **schema, const char **name)
{
    const struct action_target *t = action_target(a);
    *schema = t->schema;
    *name = t->name;
    return t->name && *t->name;
}

int action_target_resolve(struct action *a, const char *const *schemas, const char *const *names, int n,
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
const char *const action_target_view_columns[] = { "view", "view_name", "matviewname", "name", "relname", NULL };
static const char *const partitioned_columns[] = { "table", "table_name", "relname", "name", NULL };
static const char *const index_columns[] = { "index", "index_name", "indexname", "indexrelname", "name", NULL };
static const char *const table_columns[] = { "table", "table_name", "tablename", "relname", "view",
                                             "view_name", "name", NULL };

bool action_target_same(struct action *a, const PGresult *res, int row)
{
    const char *want = action_target(a)->oid, *oid = pgres_get(res, row, "oid");
    if (want && oid && strcmp(want, oid) != 0) {
        action_refuse(a, "%s.%s is not the relation that was selected: that one (OID %s) is gone, and "
                      "the name now belongs to another (OID %s), created since",
                      pgres_get(res, row, "schema"), pgres_get(res, row, "name"), want, oid);
        return false;
    }
    action_set_key(a, oid, NULL);
    return true;
}

int action_target_query_pins(struct action *a, void (*cb)(struct action *a, const PGresult *res, const char *error))
{
    const char *sql = action_sql_file("queries/action_recheck.sql");
    int n;
    const struct action_pin *p = action_pins(a, &n);
    if (!sql)
        return -1;
    const char **oids = xcalloc((size_t)n + 1, sizeof *oids);
    const char **schemas = xcalloc((size_t)n + 1, sizeof *schemas);
    const char **names = xcalloc((size_t)n + 1, sizeof *names);
    for (int i = 0; i < n; i++) {
        oids[i] = p[i].oid;
        schemas[i] = p[i].schema;
        names[i] = p[i].name;
    }
    char *o = sql_text_array(oids, n), *s = sql_text_array(schemas, n), *r = sql_text_array(names, n);
    const char *params[] = { o, s, r };
    int rc = action_check_query(a, sql, 3, params, cb);
    free(o);
    free(s);
    free(r);
    free(oids);
    free(schemas);
    free(names);
    return rc;
}

bool action_target_pins_hold(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "could not check %s again before running: %s", action_target_text(a), error);
        return false;
    }
    int n;
    const struct action_pin *p = action_pins(a, &n);
    if (PQntuples(res) < n) {
        action_refuse(a, "could not check %s again before running", action_target_text(a));
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *found = pgres_get(res, i, "found"), *now = pgres_get(res, i, "name_oid");
        if (!found || strcmp(found, "t") != 0) {
            if (now)
                action_refuse(a, "%s.%s was dropped and created again since the preview (OID %s then, "
                              "%s now)", p[i].schema, p[i].name, p[i].oid, now);
            else
                action_refuse(a, "%s.%s (OID %s) was dropped since the preview", p[i].schema, p[i].name,
                              p[i].oid);
            return false;
        }
        const char *schema = pgres_get(res, i, "schema"), *name = pgres_get(res, i, "name");
        if (!schema || !name || strcmp(schema, p[i].schema) != 0 || strcmp(name, p[i].name) != 0) {
            action_refuse(a, "%s.%s (OID %s) was renamed %s.%s since the preview", p[i].schema, p[i].name,
                          p[i].oid, schema ? schema : "?", name ? name : "?");
            return false;
        }
        const char *kind = pgres_get(res, i, "relkind");
        if (!kind || !*kind || !strchr(p[i].kinds, kind[0])) {
            action_refuse(a, "%s.%s (OID %s) is of another kind now (relkind %s)", p[i].schema, p[i].name,
                          p[i].oid, kind ? kind : "?");
            return false;
        }
    }
    return true;
}

static void pins_read(struct action *a, const PGresult *res, const char *error)
{
    if (action_target_pins_hold(a, res, error))
        action_premise_held(a);
}

void action_target_recheck_pins(struct action *a)
{
    if (action_target_query_pins(a, pins_read) != 0)
        action_refuse(a, "the primary is not connected");
}

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
        t->backend_start = snapshot_get(s, row, "backend_start");
        if (def->needs == NEEDS_QUERY && t->pid <= 0) {
            t->text = snapshot_get(s, row, "query");
            t->role = snapshot_get(s, row, "username");
        }
        return t->pid > 0 || (t->text && *t->text) ? 0 : -1;
    }
    case NEEDS_VIEW:
        columns = action_target_view_columns;
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
    /* The key: the OID of the relation the row is about ("oid"; an index
     * pane row has its index's as "index_oid", and names its table by
     * name only, so ANALYZE from there has no OID).  A planned index that
     * is missing has none: its key is the plan's name. */
    bool index = def->needs == NEEDS_PLANNED_INDEX || def->needs == NEEDS_INVALID_INDEX;
    t->oid = snapshot_get(s, row, index ? "index_oid" : "oid");
    if (t->oid && !*t->oid)
        t->oid = NULL;
    return action_target_row_relation(s, row, columns, &t->schema, &t->name, buf);
}
