#ifndef PGDECK_PLAN_BUILTIN_H
#define PGDECK_PLAN_BUILTIN_H

#include <stddef.h>

#include "core/plan.h"

/* The kit's index plan (PLAN_BUILTIN), read at build time.
 *
 * Reading it at run time cost every start a parse of ~70 CREATE INDEX
 * statements through libpg_query: milliseconds, and 1.6 MB of resident
 * memory for the parser's pages (issue 14, aim 3), in a console that may
 * never parse anything else.  The build runs the same reader (plan_parse)
 * over the same embedded text (build/gen/plan_gen writes
 * build/gen/plan_builtin_table.c), so the entries are those plan_load
 * would give; the unit tests compare the two. */

/* The table the build writes: entries and errors as plan_parse left them. */
extern const struct plan_entry plan_builtin_entries[];
extern const int plan_builtin_count;
extern const char *const plan_builtin_errors[];
extern const int plan_builtin_nerrors;
extern const int plan_builtin_error_total;

/* As plan_load, but a NULL path gives a copy of the compiled table (no
 * parse); a file is read and parsed by plan_load.  The caller frees the
 * plan with plan_free. */
int plan_builtin_load(struct plan *plan, const char *path, char *err, size_t errlen);

#endif
