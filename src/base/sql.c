/* SQL text read by PostgreSQL's own parser, libpg_query (see sql.h).
 *
 * The library's scanner results come as protobuf (PgQuery__ScanResult);
 * its parse trees as JSON, read with jansson.  Everything it allocates is
 * freed before returning: callers get plain C structures or json_t.
 *
 * The library is loaded with dlopen(3) at the first call, not linked: a
 * console, --once or check that never parses (the kit's plan is compiled
 * in) then never maps it.  Linked, its relocations and load alone made
 * about 0.7 MB of pgdeck's resident memory at 120x40 (issue 14, measured
 * in /proc/PID/smaps), for a library most runs never call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "base/dynlib.h"
#include "base/sanitize.h"
#include "base/utf8.h"
#include "base/sql.h"
#include "base/xalloc.h"

/* The scanner's tokens pgdeck names, as data. */
static const struct {
    int token;
    enum sql_keyword keyword;
} keywords[] = {
    { PG_QUERY__TOKEN__CREATE,       SQL_KW_CREATE },
    { PG_QUERY__TOKEN__UNIQUE,       SQL_KW_UNIQUE },
    { PG_QUERY__TOKEN__INDEX,        SQL_KW_INDEX },
    { PG_QUERY__TOKEN__CONCURRENTLY, SQL_KW_CONCURRENTLY },
    { PG_QUERY__TOKEN__IF_P,         SQL_KW_IF },
    { PG_QUERY__TOKEN__NOT,          SQL_KW_NOT },
    { PG_QUERY__TOKEN__EXISTS,       SQL_KW_EXISTS },
    { PG_QUERY__TOKEN__ON,           SQL_KW_ON },
    { PG_QUERY__TOKEN__ONLY,         SQL_KW_ONLY },
    { PG_QUERY__TOKEN__USING,        SQL_KW_USING },
    { PG_QUERY__TOKEN__WHERE,        SQL_KW_WHERE },
};

/* libpg_query reports an error's position as PostgreSQL does: 1-based, in
 * characters of the server encoding (UTF-8), each counted by its first
 * byte (pg_utf_mblen).  pgdeck wants a byte offset. */
/* Calls into libpg_query: the helper threads never parse, so a plain
 * counter will do. */
static long library_calls;

/* The build names the library by its soname (the Makefile reads it from
 * the installed libpg_query.so), so the one it was compiled against is
 * the one loaded. */
#ifndef PGDECK_PG_QUERY_SONAME
#define PGDECK_PG_QUERY_SONAME "libpg_query.so"
#endif

/* The library's functions pgdeck calls, once it is loaded. */
static struct {
    PgQueryScanResult (*scan)(const char *);
    void (*free_scan_result)(PgQueryScanResult);
    PgQuery__ScanResult *(*scan_unpack)(ProtobufCAllocator *, size_t, const uint8_t *);
    void (*scan_free_unpacked)(PgQuery__ScanResult *, ProtobufCAllocator *);
    PgQueryParseResult (*parse)(const char *);
    void (*free_parse_result)(PgQueryParseResult);
    PgQueryFingerprintResult (*fingerprint)(const char *);
    void (*free_fingerprint_result)(PgQueryFingerprintResult);
} lib;

static struct dynlib library = { .soname = PGDECK_PG_QUERY_SONAME, .what = "PostgreSQL's parser" };

static const struct dynlib_symbol symbols[] = {
    DYNLIB_SYMBOL("pg_query_scan", lib.scan),
    DYNLIB_SYMBOL("pg_query_free_scan_result", lib.free_scan_result),
    DYNLIB_SYMBOL("pg_query__scan_result__unpack", lib.scan_unpack),
    DYNLIB_SYMBOL("pg_query__scan_result__free_unpacked", lib.scan_free_unpacked),
    DYNLIB_SYMBOL("pg_query_parse", lib.parse),
    DYNLIB_SYMBOL("pg_query_free_parse_result", lib.free_parse_result),
    DYNLIB_SYMBOL("pg_query_fingerprint", lib.fingerprint),
    DYNLIB_SYMBOL("pg_query_free_fingerprint_result", lib.free_fingerprint_result),
};

/* Load the library at the first call.  Returns 0, or -1 with the reason
 * in err (every later call gives the same answer). */
static int lib_load(char *err, size_t errlen)
{
    return dynlib_load(&library, symbols, sizeof symbols / sizeof *symbols, err, errlen);
}

long sql_library_calls(void)
{
    return library_calls;
}

static int byte_offset(const char *text, int cursorpos)
{
    if (cursorpos <= 0)
        return -1;
    size_t len = strlen(text), i = 0;
    for (int chars = 1; chars < cursorpos && i < len; chars++) {
        unsigned char c = (unsigned char)text[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
        i += n;
    }
    return (int)(i < len ? i : len);
}

/* The library's message without its " at or near ..." tail (which quotes
 * the rest of the input) and " at end of input": the caller says where. */
static void error_message(const PgQueryError *e, char *err, size_t errlen)
{
    const char *m = e && e->message ? e->message : "the parser failed";
    size_t n = strlen(m);
    const char *cut = strstr(m, " at or near ");
    if (!cut)
        cut = strstr(m, " at end of input");
    if (cut)
        n = (size_t)(cut - m);
    snprintf(err, errlen, "%.*s", (int)n, m);
}

/* PostgreSQL's scanner reads a run of operator characters whole and then
 * gives back all but the first two when it starts a comment ("/" "*"): over
 * "/" "*" "/" "*"... it takes time quadratic in the run's length (measured:
 * 80 s for 200 kB; the server's own scanner does the same).  No SQL has such
 * a run; a text with one is refused before the scanner sees it.  Returns
 * the run's offset, or -1. */
#define SQL_MAX_OPERATOR_RUN 10000

static long operator_run(const char *text)
{
    size_t run = 0;
    for (size_t i = 0; text[i]; i++) {
        if (!strchr("~!@#^&|`?+-*/%<>=", text[i])) {
            run = 0;
        } else if (++run > SQL_MAX_OPERATOR_RUN) {
            return (long)(i + 1 - run);
        }
    }
    return -1;
}

static bool refuse_operator_run(const char *text, int *error_at, char *err, size_t errlen)
{
    long at = operator_run(text);
    if (at < 0)
        return false;
    *error_at = (int)at;
    snprintf(err, errlen, "a run of more than %d operator characters (not SQL)", SQL_MAX_OPERATOR_RUN);
    return true;
}

/* libpg_query writes parse trees (JSON, fingerprints) recursively, and a
 * deep enough tree overflows the stack: "SELECT 1 + 1 + ... + 1" with
 * 300,000 terms crashes it with 8 MB (measured: about 65,000 levels fit).
 * A query text is anyone's, so its depth is bounded before the parser
 * builds the tree.  Every level of a tree is made by a token that is not a
 * name, a constant, a parameter or a comma (an operator, a keyword, a
 * cast, a dot, a nested parenthesis): their count plus the deepest
 * parenthesis is an upper bound, and lists (VALUES rows, IN lists) are
 * flat whatever their length. */
#define SQL_MAX_NESTING 10000
/* A fingerprint costs about 115 ms a megabyte of text (measured), and the
 * statements collector takes one for each new text on the loop. */
#define SQL_MAX_FINGERPRINT (64 * 1024)

static long nesting_bound(const PgQuery__ScanResult *scan)
{
    long count = 0, depth = 0, deepest = 0;
    for (size_t i = 0; i < scan->n_tokens; i++) {
        switch (scan->tokens[i]->token) {
        case PG_QUERY__TOKEN__SQL_COMMENT:
        case PG_QUERY__TOKEN__C_COMMENT:
        case PG_QUERY__TOKEN__IDENT:
        case PG_QUERY__TOKEN__UIDENT:
        case PG_QUERY__TOKEN__ICONST:
        case PG_QUERY__TOKEN__FCONST:
        case PG_QUERY__TOKEN__SCONST:
        case PG_QUERY__TOKEN__USCONST:
        case PG_QUERY__TOKEN__BCONST:
        case PG_QUERY__TOKEN__XCONST:
        case PG_QUERY__TOKEN__PARAM:
        case ',':
            break;
        case '(':
            if (++depth > deepest)
                deepest = depth;
            break;
        case ')':
            depth -= depth > 0;
            break;
        default:
            count++;
        }
    }
    return count + deepest;
}

/* Whether `text` nests deeper than the parser may be given.  A text that
 * does not scan is left to the parser, which says why.  Without the
 * library nothing may be parsed: refused, with the reason. */
static bool refuse_deep(const char *text, int *error_at, char *err, size_t errlen)
{
    if (lib_load(err, errlen) != 0) {
        *error_at = -1;
        return true;
    }
    PgQueryScanResult r = (library_calls++, lib.scan(text));
    if (r.error) {
        lib.free_scan_result(r);
        return false;
    }
    PgQuery__ScanResult *scan = lib.scan_unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    lib.free_scan_result(r);
    long bound = scan ? nesting_bound(scan) : 0;
    if (scan)
        lib.scan_free_unpacked(scan, NULL);
    if (bound <= SQL_MAX_NESTING)
        return false;
    *error_at = 0;
    snprintf(err, errlen, "the text may nest up to %ld levels deep, more than pgdeck parses (%d)", bound,
             SQL_MAX_NESTING);
    return true;
}

int sql_scan(const char *text, struct sql_tokens *out)
{
    memset(out, 0, sizeof *out);
    out->error_at = -1;
    if (refuse_operator_run(text, &out->error_at, out->error, sizeof out->error) ||
        lib_load(out->error, sizeof out->error) != 0)
        return -1;
    PgQueryScanResult r = (library_calls++, lib.scan(text));
    if (r.error) {
        error_message(r.error, out->error, sizeof out->error);
        out->error_at = byte_offset(text, r.error->cursorpos);
        lib.free_scan_result(r);
        return -1;
    }
    PgQuery__ScanResult *scan = lib.scan_unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    lib.free_scan_result(r);
    if (!scan) {
        snprintf(out->error, sizeof out->error, "the scanner's result could not be read");
        return -1;
    }
    out->tokens = xcalloc(scan->n_tokens + 1, sizeof *out->tokens);
    for (size_t i = 0; i < scan->n_tokens; i++) {
        const PgQuery__ScanToken *t = scan->tokens[i];
        struct sql_token *o = &out->tokens[out->count++];
        o->start = t->start;
        o->end = t->end;
        o->comment = t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
        /* One-character tokens are numbered by their character. */
        if (t->token > 0 && t->token < 256)
            o->ch = (char)t->token;
        o->keyword = t->keyword_kind == PG_QUERY__KEYWORD_KIND__NO_KEYWORD ? SQL_KW_NONE : SQL_KW_OTHER;
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
            if (keywords[k].token == (int)t->token)
                o->keyword = keywords[k].keyword;
        /* What the grammar accepts as a name (ColId): identifiers, and
         * keywords that are not reserved. */
        o->name = t->token == PG_QUERY__TOKEN__IDENT || t->token == PG_QUERY__TOKEN__UIDENT ||
                  t->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD ||
                  t->keyword_kind == PG_QUERY__KEYWORD_KIND__COL_NAME_KEYWORD;
    }
    lib.scan_free_unpacked(scan, NULL);
    return 0;
}

void sql_tokens_free(struct sql_tokens *tokens)
{
    free(tokens->tokens);
    memset(tokens, 0, sizeof *tokens);
    tokens->error_at = -1;
}

int sql_token_at(const struct sql_tokens *tokens, int at)
{
    int lo = 0, hi = tokens->count - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (tokens->tokens[mid].start == at)
            return mid;
        if (tokens->tokens[mid].start < at)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

json_t *sql_parse(const char *text, int *error_at, char *err, size_t errlen)
{
    *error_at = -1;
    /* PostgreSQL refuses text that is not valid UTF-8 before it parses,
     * and jansson could not read such names back: say so first. */
    size_t len = strlen(text);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = utf8_decode(text + i, len - i, &cp);
        if (n <= 0) {
            *error_at = (int)i;
            snprintf(err, errlen, "not valid UTF-8");
            return NULL;
        }
        i += (size_t)n;
    }
    if (refuse_operator_run(text, error_at, err, errlen) || refuse_deep(text, error_at, err, errlen))
        return NULL;
    PgQueryParseResult r = (library_calls++, lib.parse(text));
    if (r.error) {
        error_message(r.error, err, errlen);
        *error_at = byte_offset(text, r.error->cursorpos);
        lib.free_parse_result(r);
        return NULL;
    }
    json_error_t jerr;
    /* Nesting deeper than jansson's limit (2048) is refused here rather
     * than walked: the tree's readers recurse over it. */
    json_t *tree = json_loads(r.parse_tree, JSON_ALLOW_NUL, &jerr);
    lib.free_parse_result(r);
    if (!tree)
        snprintf(err, errlen, "the parse tree could not be read (%s)", jerr.text);
    return tree;
}

int sql_fingerprint(const char *text, uint64_t *fingerprint)
{
    int at;
    char err[160];
    if (!text || strlen(text) > SQL_MAX_FINGERPRINT || operator_run(text) >= 0 ||
        refuse_deep(text, &at, err, sizeof err))
        return -1;
    PgQueryFingerprintResult r = (library_calls++, lib.fingerprint(text));
    int rc = r.error ? -1 : 0;
    if (!r.error)
        *fingerprint = r.fingerprint;
    lib.free_fingerprint_result(r);
    return rc;
}

const char *sql_name_part(const json_t *list, size_t i)
{
    json_t *item = json_array_get(list, i);
    json_t *s = json_object_get(json_object_get(item, "String"), "sval");
    return json_string_value(s);
}

int sql_name_list(const json_t *list, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!json_is_array(list) || json_array_size(list) == 0)
        return 0;
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *part = sql_name_part(list, i);
        if (!part)
            return 0;
        int n = snprintf(buf + used, used < len ? len - used : 0, "%s%s", i ? "." : "", part);
        used += n > 0 ? (size_t)n : 0;
    }
    return (int)json_array_size(list);
}

bool sql_tree_walk(const json_t *node, int max_depth, sql_visit_fn visit, void *arg)
{
    if (max_depth < 0)
        return false;
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v)
            if (!sql_tree_walk(v, max_depth - 1, visit, arg))
                return false;
        return true;
    }
    if (!json_is_object(node))
        return true;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)node, key, v)
        if (!visit(key, v, arg) || !sql_tree_walk(v, max_depth - 1, visit, arg))
            return false;
    return true;
}
