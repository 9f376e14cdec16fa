#ifndef PGDECK_IDENT_H
#define PGDECK_IDENT_H

#include <stddef.h>

/* SQL identifiers as PostgreSQL reads them: the one parser for every name
 * that an operator writes (the config's [retention] tables, `run refresh
 * VIEW`, `run partitions TABLE`, `:maintain TABLE`, `:index NAME`, ...) and
 * for the identifiers of the index plan.
 *
 *   events                 public.events (unquoted: folded to lower case)
 *   Archive.Events         archive.events
 *   public."archive.events"  a table whose name holds a dot
 *   "Odd ""q"" Name"       Odd "q" Name (a doubled quote is one quote)
 *
 * The result is the schema and the name exactly as the catalog spells
 * them, for an exact lookup (pg_namespace.nspname, pg_class.relname): no
 * search_path is involved, so nobody's object in another schema can stand
 * in for the one meant. */

/* PostgreSQL keeps NAMEDATALEN - 1 bytes of an identifier. */
#define IDENT_MAX_BYTES 63

/* Parse `text` as [schema.]name: each part an unquoted identifier (a
 * letter, '_' or a non-ASCII character, then those, digits and '$'; ASCII
 * letters folded to lower case, as PostgreSQL does in a UTF-8 database) or
 * a quoted one ("" for a quote).  Blanks around the name and around the
 * dot are allowed.  Without a schema, `default_schema` is used.
 *
 * Refused, with a sentence in err: an empty text or part (including ""),
 * an unterminated quote, anything after the name, more than one dot (three
 * parts would be database.schema.name), invalid UTF-8, and a part longer
 * than IDENT_MAX_BYTES: PostgreSQL would silently cut it when it creates
 * or looks up an object, so no object can carry that name; we say so
 * rather than guess which shorter name was meant.
 *
 * Returns 0 with *schema and *name set (the caller frees both), or -1. */
int ident_parse_qualified(const char *text, const char *default_schema, char **schema, char **name,
                          char *err, size_t errlen);

/* One identifier token as the server stores it: `token` (n bytes) is
 * either "quoted" (its quotes included, "" undoubled) or unquoted (ASCII
 * letters folded).  No check is made; the caller's lexer found the token.
 * Caller frees. */
char *ident_token_value(const char *token, size_t n);

/* Cut `s` to IDENT_MAX_BYTES without splitting a UTF-8 character, as
 * PostgreSQL truncates an identifier in a statement it runs. */
void ident_truncate(char *s);

/* How a relation is shown: without "public.", the schema nearly every
 * name would otherwise repeat; other schemas stay.  Borrowed from `name`. */
const char *ident_shown(const char *name);

#endif
