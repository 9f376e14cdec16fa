#ifndef PGDECK_PLAN_H
#define PGDECK_PLAN_H

#include <stdbool.h>
#include <stddef.h>

/* The index plan: the CREATE INDEX statements of a SQL file, by default
 * the kit's sql/kit/indexes.sql (compiled in as "kit/indexes.sql"), or the
 * file given with --plan.  The index pane compares it with the catalog by
 * schema and index name; the actions run an entry's statement as written.
 *
 * Statements are read by PostgreSQL's own scanner and grammar (libpg_query,
 * base/sql.h), so comments, quoted identifiers and every kind of string
 * constant are what the server makes of them.  psql meta-commands (a
 * backslash outside quotes runs to the end of the line) are left out, and
 * \g and its kin end a statement as in psql.  Statements other than CREATE
 * INDEX are skipped unread.  A CREATE INDEX the grammar refuses, or that
 * pgdeck cannot use (no name, ...), is left out and reported as
 * "file:line: why"; the entries it could read are kept.  It never includes
 * curses and never touches a server, so it can be fuzzed on its own. */

struct plan_entry {
    char *name;             /* index name as PostgreSQL stores it (folded, unquoted) */
    char *schema;           /* the table's schema; "public" when not written */
    char *table;            /* the table name, folded and unquoted */
    char *qualified_table;  /* "schema.table" (unquoted parts) */
    char *method;           /* "btree" unless USING says otherwise */
    char *statement;        /* the whole statement as written, without ';' */
    size_t table_at, table_len; /* where the table's name is in `statement`
                                   when written without a schema (table_len
                                   0 otherwise): pgdeck runs the statement
                                   with public.name there, since its
                                   sessions search pg_catalog only */
    char **columns;         /* the indexed columns and expressions, each as
                               written ("lower(email)", "created_at DESC") */
    int   ncolumns;
    char *predicate;        /* the WHERE of a partial index as written, or NULL */
    int   line;             /* 1-based line of CREATE */
    bool  unique;
    bool  concurrently;
    bool  if_not_exists;
    bool  only;             /* ON ONLY: the partitioned parent alone */
};

#define PLAN_MAX_ERRORS 20

struct plan {
    char  *file;            /* the name used in messages */
    struct plan_entry *entries;
    int    count;
    char  *errors[PLAN_MAX_ERRORS];    /* "file:line: why", the first ones;
                                          sanitized: safe to print */
    int    nerrors;         /* how many are held in errors[] */
    int    error_total;     /* how many there were */
};

/* Parse `len` bytes of SQL (need not be NUL-terminated; any bytes are
 * accepted) into *plan, which the caller frees with plan_free.  Returns 0,
 * or -1 when at least one statement could not be read (plan->errors says
 * which; the readable entries are still there). */
int  plan_parse(struct plan *plan, const char *text, size_t len, const char *file);
/* Read the plan from `path`, or from the kit's built-in index script when
 * path is NULL.  Returns 0; or -1 with the reason in err when the file
 * cannot be read (plan is then empty, but valid to free); a file with
 * unreadable statements returns 0 and lists them in plan->errors. */
int  plan_load(struct plan *plan, const char *path, char *err, size_t errlen);
void plan_free(struct plan *plan);
/* The entry for index `name` in `schema`, or NULL. */
const struct plan_entry *plan_find(const struct plan *plan, const char *schema, const char *name);

/* The name of the built-in plan (for embedded_find and for messages). */
#define PLAN_BUILTIN "kit/indexes.sql"

#endif
