/* The kit's index plan as the build read it (see plan_builtin.h). */
#include <stdlib.h>
#include <string.h>

#include "core/plan_builtin.h"
#include "base/xalloc.h"

static void copy_entry(struct plan_entry *to, const struct plan_entry *from)
{
    *to = *from;
    to->name = xstrdup(from->name);
    to->schema = xstrdup(from->schema);
    to->table = xstrdup(from->table);
    to->qualified_table = xstrdup(from->qualified_table);
    to->method = xstrdup(from->method);
    to->statement = xstrdup(from->statement);
    to->predicate = from->predicate ? xstrdup(from->predicate) : NULL;
    to->columns = NULL;
    if (from->ncolumns > 0) {
        to->columns = xcalloc((size_t)from->ncolumns, sizeof *to->columns);
        for (int i = 0; i < from->ncolumns; i++)
            to->columns[i] = xstrdup(from->columns[i]);
    }
}

int plan_builtin_load(struct plan *plan, const char *path, char *err, size_t errlen)
{
    if (path)
        return plan_load(plan, path, err, errlen);
    memset(plan, 0, sizeof *plan);
    plan->file = xstrdup(PLAN_BUILTIN);
    plan->count = plan_builtin_count;
    plan->entries = xcalloc((size_t)(plan_builtin_count ? plan_builtin_count : 1), sizeof *plan->entries);
    for (int i = 0; i < plan_builtin_count; i++)
        copy_entry(&plan->entries[i], &plan_builtin_entries[i]);
    for (int i = 0; i < plan_builtin_nerrors && i < PLAN_MAX_ERRORS; i++)
        plan->errors[plan->nerrors++] = xstrdup(plan_builtin_errors[i]);
    plan->error_total = plan_builtin_error_total;
    return 0;
}
