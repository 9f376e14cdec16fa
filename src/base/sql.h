#ifndef PGDECK_SQL_H
#define PGDECK_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* SQL text read by PostgreSQL's own parser: libpg_query (Debian
 * libpg-query-dev), the PostgreSQL 15 scanner and grammar as a C library.
 * pgdeck has no SQL lexer of its own: the index plan (plan.c), what EXPLAIN
 * may run (explain_guard.c), CREATE INDEX rewriting (action_sql.c) and
 * statement fingerprints all come through here.  Pure functions: no
 * server, no curses; safe to fuzz.
 *
 * Positions are byte offsets into the text given.  Every text must be
 * NUL-terminated: the library reads C strings.
 *
 * Each call frees what the library allocated for it; the library keeps
 * one small memory context per thread for the process's life.
 * (pg_query_exit would free it, but libpg_query 15-4.0 then crashes on
 * its next call: measured, so it is never called.) */

/* Keywords pgdeck looks for in token streams (the rest are SQL_KW_OTHER). */
enum sql_keyword {
    SQL_KW_NONE,            /* not a keyword */
    SQL_KW_OTHER,           /* a keyword pgdeck has no use for */
    SQL_KW_CREATE,
    SQL_KW_UNIQUE,
    SQL_KW_INDEX,
    SQL_KW_CONCURRENTLY,
    SQL_KW_IF,
    SQL_KW_NOT,
    SQL_KW_EXISTS,
    SQL_KW_ON,
    SQL_KW_ONLY,
    SQL_KW_USING,
    SQL_KW_WHERE,
};

/* One token of PostgreSQL's scanner. */
struct sql_token {
    int  start, end;        /* bytes [start, end) of the text */
    enum sql_keyword keyword;
    char ch;                /* a one-character token ('(', ';', '\\', ...), else 0 */
    bool comment;           /* -- or block comment */
    bool name;              /* can be a name: an identifier, quoted or not,
                               or a keyword that is not reserved */
};

struct sql_tokens {
    struct sql_token *tokens;   /* owned; free with sql_tokens_free */
    int    count;
    int    error_at;        /* byte offset of a scan error, -1 when none */
    char   error[160];      /* the scanner's message ("unterminated quoted
                               string"), without "at or near ..." */
};

/* Scan `text` into tokens.  Returns 0; or -1 with tokens->error and
 * tokens->error_at (then no tokens are kept: PostgreSQL's scanner stops
 * at an unterminated string, quoted identifier or comment). */
int  sql_scan(const char *text, struct sql_tokens *tokens);
void sql_tokens_free(struct sql_tokens *tokens);
/* The index of the token that starts at byte `at`, or -1. */
int  sql_token_at(const struct sql_tokens *tokens, int at);

/* The parse tree of `text` as JSON (libpg_query's format: {"version":
 * 150001, "stmts": [{"stmt": {"SelectStmt": {...}}, "stmt_location": N,
 * "stmt_len": N}]}; fields at their default value are left out).
 * Returns the tree (json_decref it), or NULL with err and *error_at (byte
 * offset of the error, -1 when unknown): a syntax error, text that is
 * not valid UTF-8 (PostgreSQL refuses it too), or a text that could nest
 * deeper than 10,000 levels (libpg_query's recursive writers would
 * overflow the stack). */
json_t *sql_parse(const char *text, int *error_at, char *err, size_t errlen);

/* libpg_query's fingerprint of `text`: the same for statements that
 * differ only in constants, parameter numbers, blanks and comments
 * ("WHERE a = 5" and pg_stat_statements' "WHERE a = $1").  Returns 0 with
 * *fingerprint, or -1 when the text does not parse (a cut text, another
 * server version's syntax) or is longer than 64 kB (a fingerprint costs
 * about 115 ms a megabyte, on the loop). */
int  sql_fingerprint(const char *text, uint64_t *fingerprint);

/* How many times this process has called into libpg_query (scan, parse,
 * fingerprint).  A start should make none: the library is loaded (dlopen)
 * at the first call, so a run that never parses never maps it (about
 * 0.7 MB of resident memory, issue 14), and a test can say so.  When it
 * cannot be loaded every call above fails with the reason. */
long sql_library_calls(void);

/* The string values of a JSON list of {"String": {"sval": "..."}} nodes
 * (a qualified name, an operator name), joined with '.' into buf; the
 * number of parts, 0 when `list` is not such a list. */
int  sql_name_list(const json_t *list, char *buf, size_t len);
/* The i-th part of such a list, or NULL. */
const char *sql_name_part(const json_t *list, size_t i);

/* Every object member in a parse tree (or any part of one), depth first:
 * visit(key, value, arg) for a member, then the members below its value.
 * A visit that returns false ends the walk, and so does a tree deeper
 * than max_depth.  Returns true when the whole tree was walked. */
typedef bool (*sql_visit_fn)(const char *key, const json_t *value, void *arg);
bool sql_tree_walk(const json_t *node, int max_depth, sql_visit_fn visit, void *arg);

#endif
