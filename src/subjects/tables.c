/* The tables subject: ANALYZE the selected table (a, :analyze TABLE),
 * fresh statistics for the planner.
 *
 * ANALYZE acts on a table whichever pane shows it (the cache pane's
 * busiest tables, a partitioned table, a materialized view, an index's
 * table): it belongs to no one pane, so it is a subject of its own, with
 * no pane and no collector, and the subjects whose panes list tables put
 * its row among their actions (a key acts on the focused pane's
 * selection when the pane's subject lists the action).
 *
 * ANALYZE takes a SHARE UPDATE EXCLUSIVE lock, which only other
 * maintenance and DDL wait for; it still runs with lock_timeout so that it
 * never queues behind (and in front of) an ALTER TABLE. */
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/action_target.h"
#include "core/subject.h"
#include "subjects/tables.h"
#include "net/pgconn.h"
#include "base/xalloc.h"

static void analyze_resolved(struct action *a, const PGresult *res, const char *error)
{
    if (error) {
        action_refuse(a, "%s", error);
        return;
    }
    const char *found = pgres_get(res, 0, "found");
    if (!found || strcmp(found, "t") != 0) {
        action_refuse(a, "there is no table %s", action_target_text(a));
        return;
    }
    const char *schema = pgres_get(res, 0, "schema"), *name = pgres_get(res, 0, "name");
    const char *kind = pgres_get(res, 0, "relkind");
    action_set_target(a, "%s.%s", schema, name);
    if (!action_target_same(a, res, 0))
        return;
    if (!kind || !strchr("rpmf", kind[0])) {
        action_refuse(a, "%s.%s is not a table or a materialized view", schema, name);
        return;
    }
    char *q = sql_qualified(schema, name);
    if (!q) {
        action_refuse(a, "the name is not valid UTF-8");
        return;
    }
    action_note(a, "Collect planner statistics for %s.%s%s.", schema, name,
                kind[0] == 'p' ? " and every partition below it (this reads a sample of each)" : "");
    char *sql = xasprintf("ANALYZE %s", q);
    action_pin_relation(a, pgres_get(res, 0, "oid"), schema, name, "rpmf");
    char *label = xasprintf("%s.%s", schema, name);
    struct action_step *s = action_add_step(a, label, sql);
    free(label);
    action_step_lock_relation(s, q);
    action_step_relation(s, q);
    action_set_detail(a, "analyzed");
    free(sql);
    free(q);
    action_planned(a);
}

static void analyze_plan(struct action *a)
{
    const char *schema, *name;
    if (!action_target_relation(a, &schema, &name)) {
        action_refuse(a, "select a table (cache, partitions, views or indexes pane), or type :analyze TABLE");
        return;
    }
    const char *schemas[] = { schema }, *names[] = { name };
    if (action_target_resolve(a, schemas, names, 1, analyze_resolved) != 0)
        action_refuse(a, "the primary is not connected");
}

const struct action_def action_analyze = {
    .name = "analyze",
    .key = 'a',
    .needs = NEEDS_TABLE,
    .help = "ANALYZE the selected table",
    .changes = true,
    .ddl = true,
    .affects = "table_cache,partitions,indexes",
    .plan = analyze_plan,
    .recheck = action_target_recheck_pins,
};

static const struct action_def *const actions[] = {
    &action_analyze,
};

const struct subject subject_tables = {
    .name = "tables",
    .title = "Tables",
    SUBJECT_ACTIONS(actions),
};
