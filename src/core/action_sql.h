#ifndef PGDECK_ACTION_SQL_H
#define PGDECK_ACTION_SQL_H

#include <stdbool.h>
#include <stddef.h>

/* The SQL text the action layer writes: quoting, text arrays, a plan's
 * CREATE INDEX with or without CONCURRENTLY.  Pure functions (no server,
 * no curses), unit-tested and safe to fuzz.  What EXPLAIN may plan is
 * explain_guard.h's; reading SQL is base/sql.h's (PostgreSQL's parser).
 *
 * Identifiers that come from the catalog or from the operator are never
 * pasted into a statement: they go through sql_quote_identifier, which
 * does exactly what libpq's PQescapeIdentifier does on a UTF-8 connection
 * (double quotes around, embedded double quotes doubled, invalid UTF-8
 * refused).  Values go as $n parameters wherever PostgreSQL allows one;
 * DDL takes none, so partition bounds are written with sql_quote_literal
 * (PQescapeLiteral's rules). */

/* "name" with embedded quotes doubled, or NULL when `name` is empty or not
 * valid UTF-8 (PQescapeIdentifier refuses invalid multibyte text too).
 * Caller frees. */
char *sql_quote_identifier(const char *name);
/* "schema"."name", or NULL as above.  Caller frees. */
char *sql_qualified(const char *schema, const char *name);
/* `sql` with every "@extschema@" replaced by the quoted `schema` (the
 * spelling of extension scripts): for names that live in an extension's
 * schema, which pgdeck looks up rather than assumes.  NULL when the schema
 * cannot be quoted.  Caller frees. */
char *sql_in_schema(const char *sql, const char *schema);
/* 'text' with quotes doubled; E'...' with backslashes doubled when the text
 * holds a backslash.  NULL for invalid UTF-8.  Caller frees. */
char *sql_quote_literal(const char *text);
/* A text[] literal for a $n parameter: {"a","b\"c"}.  Caller frees. */
char *sql_text_array(const char *const *items, int n);

/* A plan's "CREATE [UNIQUE] INDEX [CONCURRENTLY] ..." with CONCURRENTLY
 * present when `concurrently` is true and absent when false, the rest as
 * written (trailing ';' and blanks removed).  NULL when the text does not
 * start with CREATE [UNIQUE] INDEX (read by PostgreSQL's scanner, so
 * comments may sit between the words).  Caller frees. */
char *sql_create_index(const char *statement, bool concurrently);

#endif
