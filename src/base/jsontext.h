#ifndef PGDECK_JSONTEXT_H
#define PGDECK_JSONTEXT_H

#include <jansson.h>

/* Untrusted text (anything a server sent: query texts, names, errors) made
 * into JSON strings.  jansson refuses invalid UTF-8, and a SQL_ASCII
 * database can hand over any byte, so each byte that is not part of valid
 * UTF-8 becomes U+FFFD first: a value is never dropped because of what a
 * client wrote into it.  Written by jsontext_dump with JSON_ENSURE_ASCII,
 * the document is then plain printable ASCII, control characters as \u
 * escapes. */

/* A copy of text with every byte that is not part of strictly valid UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF) replaced by
 * U+FFFD.  Owned by the caller. */
char   *jsontext_repair(const char *text);

/* A new JSON string of the repaired text, or JSON null for NULL.  Never
 * NULL itself. */
json_t *jsontext_new(const char *text);

/* json_dumps(doc, flags), with DEL (0x7f) written as \u007f: jansson
 * escapes only the controls below 0x20, and a document meant for any
 * terminal holds no control byte at all.  (DEL can only be inside a
 * string, so the escape keeps the JSON valid.)  Reals get 15 significant
 * digits unless flags hold a JSON_REAL_PRECISION.  NULL when jansson
 * fails; owned by the caller. */
char   *jsontext_dump(const json_t *doc, size_t flags);

#endif
