/* The partitions subject's action: maintenance (m, :maintain, run partitions): create what is
 * missing up to cfg->premake periods ahead, detach what is past the
 * configured retention (only when one is configured), drop only when told
 * (cfg->retention_drop, --drop).
 *
 * The plan reads the partitions' bounds from the catalog (converted to UTC
 * by the server), lets partition_plan.c infer the interval and write the
 * DDL, and, before anything is created, checks that the default partition
 * holds no row in the new ranges: PostgreSQL would refuse the CREATE, and
 * the operator is told why now, with nothing changed.
 *
 * After the yes, and before the first statement, the same reading and
 * planning are done again (the recheck): the table must be the one
 * previewed (its OID), and the plan must come out statement for statement
 * as previewed.  A partition attached or detached meanwhile, or one that
 * has crossed the retention cutoff since, makes it refuse: the operator
 * confirmed those statements, not others. */
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/action_target.h"
#include "core/app.h"
#include "core/config.h"
#include "core/partition_plan.h"
#include "core/subject.h"
#include "subjects/partitions.h"
#include "base/xalloc.h"

/* What the plan keeps between its queries. */
struct maintain {
    char *schema, *table;
    char *parent_q;
    char *default_schema, *default_name;
    char *key_column;
    enum partition_key_type key;
    struct partition_bound *parts;
    int   nparts;
    char *now_utc;
    const char *retention;          /* borrowed from the config */
    bool  has_default;
    int   version;
    struct partition_plan plan;
    bool  planned;
};

static void maintain_free(void *p)
{
    struct maintain *m = p;
    for (int i = 0; i < m->nparts; i++) {
        free((char *)m->parts[i].schema);
        free((char *)m->parts[i].name);
    }
    free(m->parts);
    free(m->schema);
    free(m->table);
    free(m->parent_q);
    free(m->default_schema);
    free(m->default_name);
    free(m->key_column);
    free(m->now_utc);
    if (m->planned)
        partition_plan_free(&m->plan);
    free(m);
}

/* The plan's queries run twice: for the preview, and for the recheck once
 * the statements are known. */
static bool rechecking(const struct action *a)
{
    return action_step_count(a) > 0;
}

static bool is_true(const PGresult *res, int row, const char *column)
{
    const char *v = pgres_get(res, row, column);
    return v && strcmp(v, "t") == 0;
}

/* The step's duration comes as $6 (action_step_log adds it); this table
 * has no column for it, but every parameter sent must be typed or the
 * server refuses the statement ("bind message supplies 6 parameters"). */
static const char *const log_sql =
    "WITH step AS (SELECT $6::float8 AS seconds) "
    "INSERT INTO public.partition_maintenance_log (parent_table, partition_name, action, range_from, range_to) "
    "VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz)";

static const char *op_name(enum partition_op op)
{
    switch (op) {
    case PARTITION_CREATE: return "create";
    case PARTITION_DETACH:
    case PARTITION_FINALIZE: return "detach";
    case PARTITION_DROP: return "drop";
    }
    return "?";
}

static void utc_text(char *buf, size_t len, const struct civil_time *t)
{
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d+00", t->year, t->month, t->day,
             t->hour, t->minute, t->second);
}

/* The plan is known and the default partition is clear: add the steps. */
static void add_steps(struct action *a, struct maintain *m)
{
    const struct partition_plan *p = &m->plan;
    char *parent_text = xasprintf("%s.%s", m->schema, m->table);
    for (int i = 0; i < p->nsteps; i++) {
        const struct partition_step *ps = &p->steps[i];
        char *label = xasprintf("%s.%s", ps->schema, ps->name);
        struct action_step *s = action_add_step(a, label, ps->statement);
        /* CREATE and DETACH lock the parent (and the default partition);
         * DROP locks the partition itself. */
        if (ps->op == PARTITION_DROP) {
            char *q = sql_qualified(ps->schema, ps->name);
            action_step_lock_relation(s, q);
            free(q);
        } else {
            action_step_lock_relation(s, m->parent_q);
        }
        /* Into the kit's log, when kit_log.sql trusts it right before. */
        const char *guard = action_sql_file("queries/kit_log.sql");
        if (guard) {
            char from[40], to[40];
            utc_text(from, sizeof from, &ps->from);
            utc_text(to, sizeof to, &ps->to);
            bool ranged = ps->op != PARTITION_DROP || ps->from.year;
            const char *params[] = { parent_text, label, op_name(ps->op), ranged ? from : NULL,
                                     ranged ? to : NULL };
            action_step_log(s, guard, "partition_maintenance_log", log_sql, 5, params);
        }
        free(label);
    }
    free(parent_text);
    char details[200];
    snprintf(details, sizeof details, "%d created, %d detached%s", p->creates, p->detaches,
             p->drops ? ", dropped as configured" : "");
    action_set_detail(a, "%s", details);
    action_planned(a);
}

static void describe(struct action *a, struct maintain *m)
{
    const struct partition_plan *p = &m->plan;
    const struct config *cfg = action_config(a);
    action_note(a, "%s.%s: %s partitions; keep the current one and %d ahead (premake).", m->schema,
                m->table, p->interval, cfg->premake);
    if (p->creates)
        action_note(a, "Create %d partition%s, reaching %04d-%02d-%02d.", p->creates,
                    p->creates == 1 ? "" : "s", p->covered_to.year, p->covered_to.month, p->covered_to.day);
    else
        action_note(a, "Partitions already reach %04d-%02d-%02d: nothing to create.", p->covered_to.year,
                    p->covered_to.month, p->covered_to.day);
    if (!m->retention)
        action_note(a, "No retention is configured for %s.%s: nothing is detached.", m->schema, m->table);
    else if (p->detaches)
        action_note(a, "Retention %s: detach %d partition%s%s.", m->retention, p->detaches,
                    p->detaches == 1 ? "" : "s",
                    p->drops ? " and DROP them (drop is configured)"
                             : " (kept as plain tables; they are dropped only with --drop or [retention] drop = yes)");
    else
        action_note(a, "Retention %s: no partition is old enough to detach.", m->retention);
    for (int i = 0; i < p->nnotes; i++)
        action_note(a, "Note: %s", p->notes[i]);
}

static void default_checked(struct action *a, const PGresult *res, const char *error)
{
    struct maintain *m = action_data(a);
    if (error) {
        action_refuse(a, "could not check the default partition %s.%s for rows in the new ranges: %s",
                      m->default_schema, m->default_name, error);
        return;
    }
    const char *rows = pgres_get(res, 0, "rows");
    long n = rows ? atol(rows) : 0;
    if (n > 0) {
        const char *first = pgres_get(res, 0, "first_key");
        action_refuse(a, "the default partition %s.%s already holds %s%ld row%s in the range to create "
                      "[%s, %s) (the first at %s): CREATE TABLE ... PARTITION OF would fail. Move those "
                      "rows out first (in one transaction: create a table for the range, move the rows "
                      "into it, ATTACH PARTITION it)", m->default_schema, m->default_name,
                      n > 1000 ? "more than " : "", n > 1000 ? 1000 : n, n == 1 ? "" : "s",
                      m->plan.create_from_literal, m->plan.create_to_literal, first ? first : "?");
        return;
    }
    add_steps(a, m);
}

static void check_default(struct action *a, struct maintain *m)
{
    char *def_q = sql_qualified(m->default_schema, m->default_name);
    char *key_q = sql_quote_identifier(m->key_column);
    if (!def_q || !key_q) {
        free(def_q);
        free(key_q);
        action_refuse(a, "the default partition's name is not valid UTF-8");
        return;
    }
    /* The literals are written by partition_plan.c from numbers. */
    char *sql = xasprintf("SELECT count(*) AS rows, min(k)::text AS first_key FROM "
                          "(SELECT %s AS k FROM %s WHERE %s >= %s AND %s < %s LIMIT 1001) AS x",
                          key_q, def_q, key_q, m->plan.create_from_literal, key_q, m->plan.create_to_literal);
    if (action_query(a, sql, 0, NULL, default_checked) != 0)
        action_refuse(a, "the primary is not connected");
    free(sql);
    free(def_q);
    free(key_q);
}

/* The recheck: the plan worked out now against the one confirmed. */
static void compare_plan(struct action *a, const struct maintain *m)
{
    const struct partition_plan *p = &m->plan;
    int n = action_step_count(a);
    bool same = p->nsteps == n;
    for (int i = 0; same && i < n; i++)
        same = strcmp(p->steps[i].statement, action_step_sql(a, i)) == 0;
    if (!same) {
        action_refuse(a, "the partitions of %s.%s changed since the preview (the plan is now %d statement%s "
                      "instead of %d: %d to create, %d to detach); press m again to see it",
                      m->schema, m->table, p->nsteps, p->nsteps == 1 ? "" : "s", n, p->creates, p->detaches);
        return;
    }
    action_premise_held(a);
}

static void build_plan(struct action *a, struct maintain *m, const char *cutoff)
{
    const struct config *cfg = action_config(a);
    struct partition_input in = {
        .schema = m->schema,
        .table = m->table,
        .key = m->key,
        .parts = m->parts,
        .nparts = m->nparts,
        .premake = cfg->premake,
        .drop = cfg->retention_drop,
        .detach_concurrently = m->version >= 140000 && !m->has_default,
    };
    if (civil_parse(m->now_utc, &in.now) != 0) {
        action_refuse(a, "cannot read the server's clock '%s'", m->now_utc);
        return;
    }
    if (cutoff) {
        if (civil_parse(cutoff, &in.cutoff) != 0) {
            action_refuse(a, "cannot read the retention cutoff '%s'", cutoff);
            return;
        }
        in.has_cutoff = true;
    }
    m->planned = true;
    if (partition_plan_build(&m->plan, &in) != 0) {
        action_refuse(a, "%s", m->plan.refusal);
        return;
    }
    if (rechecking(a)) {
        compare_plan(a, m);
        return;
    }
    describe(a, m);
    if (m->plan.nsteps == 0) {
        action_nothing(a, "partitions reach %04d-%02d-%02d (%d ahead wanted)%s", m->plan.covered_to.year,
                       m->plan.covered_to.month, m->plan.covered_to.day, cfg->premake,
                       m->retention ? " and none is past retention" : ", no retention configured");
        return;
    }
    if (m->plan.creates && m->has_default && m->key_column)
        check_default(a, m);
    else
        add_steps(a, m);
}

static void cutoff_read(struct action *a, const PGresult *res, const char *error)
{
    struct maintain *m = action_data(a);
    if (error) {
        action_refuse(a, "retention '%s': %s", m->retention, error);
        return;
    }
    build_plan(a, m, pgres_get(res, 0, "cutoff"));
}

static int key_type(const char *type, enum partition_key_type *out)
{
    if (!type)
        return -1;
    if (strcmp(type, "date") == 0)
        *out = PARTITION_KEY_DATE;
    else if (strcmp(type, "timestamp without time zone") == 0)
        *out = PARTITION_KEY_TIMESTAMP;
    else if (strcmp(type, "timestamp with time zone") == 0)
        *out = PARTITION_KEY_TIMESTAMPTZ;
    else
        return -1;
    return 0;
}

static void partitions_read(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        action_refuse(a, "there is no table %s%s", action_target_text(a),
                      rechecking(a) ? " (dropped or renamed since the preview)" : "");
        return;
    }
    /* The table the operator selected (or the preview showed), by OID. */
    const char *want = action_target(a)->oid, *oid = pgres_get(res, 0, "oid");
    if (want && oid && strcmp(want, oid) != 0) {
        action_refuse(a, "%s.%s is not the table %s: that one (OID %s) is gone, and the name now belongs "
                      "to another (OID %s)", pgres_get(res, 0, "schema"), pgres_get(res, 0, "name"),
                      rechecking(a) ? "previewed" : "selected", want, oid);
        return;
    }
    action_set_key(a, oid, NULL);
    struct maintain *m = xcalloc(1, sizeof *m);
    action_set_data(a, m, maintain_free);
    m->schema = xstrdup(pgres_get(res, 0, "schema"));
    m->table = xstrdup(pgres_get(res, 0, "name"));
    m->parent_q = sql_qualified(m->schema, m->table);
    if (!rechecking(a))
        action_set_target(a, "%s.%s", m->schema, m->table);
    const char *strategy = pgres_get(res, 0, "strategy");
    const char *partkey = pgres_get(res, 0, "partition_key");
    if (!strategy) {
        action_refuse(a, "%s.%s is not partitioned", m->schema, m->table);
        return;
    }
    const char *keys = pgres_get(res, 0, "key_columns");
    if (strcmp(strategy, "r") != 0 || !keys || atoi(keys) != 1 || !pgres_get(res, 0, "key_column") ||
        key_type(pgres_get(res, 0, "key_type"), &m->key) != 0) {
        action_refuse(a, "maintenance handles tables partitioned by RANGE on one date or timestamp "
                      "column; %s.%s is partitioned by %s", m->schema, m->table, partkey ? partkey : "?");
        return;
    }
    if (!m->parent_q) {
        action_refuse(a, "the table name is not valid UTF-8");
        return;
    }
    m->key_column = xstrdup(pgres_get(res, 0, "key_column"));
    m->now_utc = xstrdup(pgres_get(res, 0, "now_utc"));
    const char *v = pgres_get(res, 0, "server_version");
    m->version = v ? atoi(v) : 0;
    m->parts = xcalloc((size_t)rows, sizeof *m->parts);
    for (int i = 0; i < rows; i++) {
        const char *name = pgres_get(res, i, "part_name");
        if (!name)
            continue;
        struct partition_bound *b = &m->parts[m->nparts++];
        b->schema = xstrdup(pgres_get(res, i, "part_schema"));
        b->name = xstrdup(name);
        b->is_default = is_true(res, i, "is_default");
        b->detach_pending = is_true(res, i, "detach_pending");
        if (b->is_default) {
            m->has_default = true;
            free(m->default_schema);
            free(m->default_name);
            m->default_schema = xstrdup(b->schema);
            m->default_name = xstrdup(b->name);
            continue;
        }
        const char *from = pgres_get(res, i, "from_utc"), *to = pgres_get(res, i, "to_utc");
        b->from_minvalue = from && strcmp(from, "MINVALUE") == 0;
        b->to_maxvalue = to && strcmp(to, "MAXVALUE") == 0;
        b->has_range = from && to && (b->from_minvalue || civil_parse(from, &b->from) == 0) &&
                       (b->to_maxvalue || civil_parse(to, &b->to) == 0);
    }
    m->retention = config_retention_for(action_config(a), m->schema, m->table);
    if (!m->retention) {
        build_plan(a, m, NULL);
        return;
    }
    const char *params[] = { m->retention };
    if (action_check_query(a, "SELECT to_char((now() - $1::interval) AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD HH24:MI:SS') AS cutoff", 1, params, cutoff_read) != 0)
        action_refuse(a, "the primary is not connected");
}

static void read_partitions(struct action *a)
{
    const char *schema, *name;
    if (!action_target_relation(a, &schema, &name)) {
        action_refuse(a, "select a partitioned table in the partitions pane (%d), or type :maintain TABLE",
                      subject_pane_number("partitions"));
        return;
    }
    const char *sql = action_sql_file("queries/action_partitions.sql");
    const char *params[] = { schema, name };
    if (!sql || action_query(a, sql, 2, params, partitions_read) != 0)
        action_refuse(a, "the primary is not connected");
}

/* Just before the first statement: read and plan again (see the top). */
static void maintain_recheck(struct action *a)
{
    const struct maintain *m = action_data(a);
    /* pg_partman's run: its own function checks its own tables. */
    if (!m && action_step_count(a) == 1 && strstr(action_step_sql(a, 0), ".run_maintenance(")) {
        action_premise_held(a);
        return;
    }
    const char *sql = action_sql_file("queries/action_partitions.sql");
    const char *params[] = { m ? m->schema : NULL, m ? m->table : NULL };
    if (!m || !sql || action_check_query(a, sql, 2, params, partitions_read) != 0)
        action_refuse(a, "the primary is not connected");
}

/* The [retention] lines name tables that exist: a line whose table is not
 * there is a configuration error (a typo, or an unquoted name that
 * PostgreSQL folds to lower case), found only now that we are connected.
 * Nothing is maintained under a configuration that says something else
 * than the operator believes. */
static void retention_checked(struct action *a, const PGresult *res, const char *error)
{
    const struct config *cfg = action_config(a);
    if (error) {
        action_refuse(a, "could not look up the tables of [retention]: %s", error);
        return;
    }
    int row = 0;
    for (int i = 0; i < cfg->retention_count; i++) {
        const struct config_retention *r = &cfg->retention[i];
        if (!r->schema)
            continue;
        const char *found = pgres_get(res, row, "found"), *kind = pgres_get(res, row, "relkind");
        row++;
        if (!found || strcmp(found, "t") != 0 || !kind || !strchr("rp", kind[0])) {
            action_refuse(a, "%s: [retention] there is no table %s.%s in this database (a name is an SQL "
                          "identifier: unquoted, it is folded to lower case; the schema is public unless "
                          "given)", r->where ? r->where : "[retention]", r->schema, r->name);
            return;
        }
    }
    read_partitions(a);
}

/* ---- pg_partman's tables ------------------------------------------------------ */

/* A table pg_partman maintains (its part_config names it): `m` calls
 * pg_partman's run_maintenance for it, previewed, schema-qualified where
 * pg_partman is installed, so pgdeck's DDL and pg_partman never fight
 * over the same table.  Its own premake and retention apply. */
static void partman_plan(struct action *a, const PGresult *res, int row, const char *schema, const char *table)
{
    const char *trusted = pgres_get(res, row, "trusted");
    const char *ps = pgres_get(res, row, "partman_schema");
    const char *parent = pgres_get(res, row, "parent");
    action_set_target(a, "%s.%s", schema, table);
    if (!trusted || strcmp(trusted, "t") != 0 || !ps || !parent) {
        action_refuse(a, "%s.%s is maintained by pg_partman, whose run_maintenance in %s is owned by a role that "
                      "is neither a superuser nor the database owner: pgdeck does not call it (nor maintains "
                      "the table itself)", schema, table, ps ? ps : "?");
        return;
    }
    char *q = sql_quote_identifier(ps);
    if (!q) {
        action_refuse(a, "pg_partman's schema has a name that is not valid UTF-8");
        return;
    }
    action_note(a, "%s.%s is maintained by pg_partman (interval %s, premake %s, retention %s%s): its own "
                "run_maintenance creates what is due and applies its retention; pgdeck's DDL stays out of it.",
                schema, table, pgres_get(res, row, "interval") ? pgres_get(res, row, "interval") : "?",
                pgres_get(res, row, "premake") ? pgres_get(res, row, "premake") : "?",
                pgres_get(res, row, "retention") ? pgres_get(res, row, "retention") : "none",
                pgres_get(res, row, "retention_keep_table") &&
                strcmp(pgres_get(res, row, "retention_keep_table"), "t") == 0 ? ", tables kept" : "");
    /* The parent as part_config spells it, as a literal: the preview
     * shows exactly what runs. */
    char *lit = sql_quote_literal(parent);
    char *sql = xasprintf("SELECT %s.run_maintenance(p_parent_table := %s)", q, lit ? lit : "NULL");
    char *label = xasprintf("%s.%s", schema, table);
    action_add_step(a, label, sql);
    free(lit);
    free(label);
    free(sql);
    free(q);
    action_set_detail(a, "pg_partman maintenance run");
    action_planned(a);
}

static void retention_lookup(struct action *a);

static void partman_read(struct action *a, const PGresult *res, const char *error)
{
    const char *schema, *table;
    if (!error && action_target_relation(a, &schema, &table)) {
        for (int r = 0; r < PQntuples(res); r++) {
            const char *s = pgres_get(res, r, "schema"), *t = pgres_get(res, r, "table");
            if (s && t && strcmp(s, schema) == 0 && strcmp(t, table) == 0) {
                partman_plan(a, res, r, schema, table);
                return;
            }
        }
    }
    /* Not pg_partman's (or its configuration could not be read: the
     * native plan, as before). */
    retention_lookup(a);
}

static void maintain_plan(struct action *a)
{
    const char *sql = action_sql_file("queries/partman.sql");
    if (!sql || action_query(a, sql, 0, NULL, partman_read) != 0)
        action_refuse(a, "the primary is not connected");
}

static void retention_lookup(struct action *a)
{
    const struct config *cfg = action_config(a);
    const char **schemas = xcalloc((size_t)cfg->retention_count + 1, sizeof *schemas);
    const char **names = xcalloc((size_t)cfg->retention_count + 1, sizeof *names);
    int n = 0;
    for (int i = 0; i < cfg->retention_count; i++) {
        if (!cfg->retention[i].schema)
            continue;
        schemas[n] = cfg->retention[i].schema;
        names[n++] = cfg->retention[i].name;
    }
    if (n == 0) {
        read_partitions(a);
    } else {
        char *s = sql_text_array(schemas, n), *t = sql_text_array(names, n);
        const char *sql = action_sql_file("queries/retention_tables.sql");
        const char *params[] = { s, t };
        if (!sql || action_query(a, sql, 2, params, retention_checked) != 0)
            action_refuse(a, "the primary is not connected");
        free(s);
        free(t);
    }
    free(schemas);
    free(names);
}

const struct action_def action_maintain = {
    .name = "maintain",
    .key = 'm',
    .needs = NEEDS_PARTITIONED,
    .help = "partitions: create partitions ahead, detach past retention (DDL preview)",
    .changes = true,
    .ddl = true,
    .affects = "partitions",
    .plan = maintain_plan,
    .recheck = maintain_recheck,
};
