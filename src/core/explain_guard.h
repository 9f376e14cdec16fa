#ifndef PGDECK_EXPLAIN_GUARD_H
#define PGDECK_EXPLAIN_GUARD_H

#include <stdbool.h>

/* What EXPLAIN may plan, read on the parse tree (libpg_query, base/sql.h).
 *
 * pgdeck EXPLAINs other sessions' query texts, usually as a superuser, and
 * planning runs code: constant folding calls IMMUTABLE functions,
 * selectivity estimation calls STABLE ones and operators' estimators,
 * literals cast to a type run its input function, views are expanded, and
 * a few pg_catalog functions run the SQL text they are given.  SET ROLE is
 * no barrier (the planted function can RESET ROLE).  Every pgdeck session
 * searches pg_catalog only, so an unqualified function, operator, type or
 * collation can only be a built-in; this guard refuses a text that names
 * one outside pg_catalog, calls a pg_catalog function that runs SQL text,
 * reads tables through the caller's rights or reads files or large
 * objects, or is not one plannable statement.  Relations are listed for
 * the catalog check (explain.c): which are views, who owns them, and where
 * an unqualified name lives on the session role's search_path.
 *
 * Pure: no server, no curses; fuzzed (tests/fuzz/fuzz_explain.c). */

/* A relation the statement reads or writes. */
struct explain_relation {
    char *schema;           /* as the parser folded it, or NULL when not written */
    char *name;
    int   at, len;          /* where the name is written in `statement`
                               (bytes); len 0 when written with a schema */
};

struct explain_info {
    char *statement;        /* the statement as written: no ';', no trailing blanks */
    char  kind[8];          /* "select", "insert", "update", "delete", "merge" */
    int   params;           /* the highest $n in it, 0 when none */
    struct explain_relation *relations;     /* CTE names left out */
    int   nrelations;
    char  why[512];         /* when refused: why, in a sentence */
};

/* Read `text` (NUL-terminated).  Returns 0 when it is one SELECT, INSERT,
 * UPDATE, DELETE or MERGE (VALUES, TABLE and WITH are SELECTs) that names
 * no function, operator, type or collation outside pg_catalog and calls
 * none of the functions above; else -1 with info->why.  Free the info with
 * explain_info_free either way. */
int  explain_guard_check(const char *text, struct explain_info *info);
void explain_info_free(struct explain_info *info);

/* The statement with relation i written as qualified[i] wherever
 * qualified[i] is not NULL (only for relations written without a schema):
 * "t" becomes "public"."t".  Caller frees. */
char *explain_guard_qualify(const struct explain_info *info, const char *const *qualified);

#endif
