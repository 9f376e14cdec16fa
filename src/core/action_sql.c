/* SQL quoting for the actions (see action_sql.h).  Reading SQL is
 * base/sql.c's job (PostgreSQL's parser); nothing here lexes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sql.h"
#include "core/action_sql.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* Wrap `text` in `quote`, doubling the quote character inside. */
static char *quote_with(const char *text, char quote, bool double_backslash)
{
    size_t len = strlen(text), extra = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == quote || (double_backslash && text[i] == '\\'))
            extra++;
    char *out = xmalloc(len + extra + 4);
    char *o = out;
    if (double_backslash)
        *o++ = 'E';
    *o++ = quote;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == quote || (double_backslash && text[i] == '\\'))
            *o++ = text[i];
        *o++ = text[i];
    }
    *o++ = quote;
    *o = '\0';
    return out;
}

char *sql_quote_identifier(const char *name)
{
    if (!name || !*name || !utf8_valid(name, strlen(name)))
        return NULL;
    return quote_with(name, '"', false);
}

char *sql_qualified(const char *schema, const char *name)
{
    char *s = sql_quote_identifier(schema);
    char *n = sql_quote_identifier(name);
    char *out = s && n ? xasprintf("%s.%s", s, n) : NULL;
    free(s);
    free(n);
    return out;
}

char *sql_in_schema(const char *sql, const char *schema)
{
    static const char placeholder[] = "@extschema@";
    const size_t plen = sizeof placeholder - 1;
    char *q = sql_quote_identifier(schema);
    if (!q || !sql) {
        free(q);
        return NULL;
    }
    size_t qlen = strlen(q), count = 0;
    for (const char *p = strstr(sql, placeholder); p; p = strstr(p + plen, placeholder))
        count++;
    char *out = xmalloc(strlen(sql) + count * qlen + 1);
    char *o = out;
    const char *from = sql;
    for (const char *p = strstr(sql, placeholder); p; p = strstr(from, placeholder)) {
        memcpy(o, from, (size_t)(p - from));
        o += p - from;
        memcpy(o, q, qlen);
        o += qlen;
        from = p + plen;
    }
    strcpy(o, from);
    free(q);
    return out;
}

char *sql_quote_literal(const char *text)
{
    if (!text || !utf8_valid(text, strlen(text)))
        return NULL;
    return quote_with(text, '\'', strchr(text, '\\') != NULL);
}

char *sql_text_array(const char *const *items, int n)
{
    /* Each item: its comma, and NULL or its quotes and every byte escaped. */
    size_t cap = 3;
    for (int i = 0; i < n; i++)
        cap += 1 + (items[i] ? 2 * strlen(items[i]) + 2 : 4);
    char *out = xmalloc(cap);
    char *o = out;
    *o++ = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        if (!items[i]) {
            memcpy(o, "NULL", 4);
            o += 4;
            continue;
        }
        *o++ = '"';
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                *o++ = '\\';
            *o++ = *p;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

/* ---- CREATE INDEX ----------------------------------------------------------- */

char *sql_create_index(const char *statement, bool concurrently)
{
    if (!statement)
        return NULL;
    size_t len = strlen(statement);
    while (len > 0 && (isspace((unsigned char)statement[len - 1]) || statement[len - 1] == ';'))
        len--;
    char *text = xstrndup(statement, len);
    /* CREATE [UNIQUE] INDEX, read by PostgreSQL's scanner (comments
     * between the words are comments). */
    struct sql_tokens t;
    char *out = NULL;
    if (sql_scan(text, &t) == 0) {
        int words[4] = { 0 }, n = 0;
        for (int i = 0; i < t.count && n < 4; i++)
            if (!t.tokens[i].comment)
                words[n++] = i;
        int k = 0;
        bool ok = n >= 2 && t.tokens[words[k++]].keyword == SQL_KW_CREATE;
        if (ok && t.tokens[words[k]].keyword == SQL_KW_UNIQUE)
            k++;
        ok = ok && k < n && t.tokens[words[k]].keyword == SQL_KW_INDEX;
        if (ok) {
            size_t after_index = (size_t)t.tokens[words[k]].end;
            bool has = k + 1 < n && t.tokens[words[k + 1]].keyword == SQL_KW_CONCURRENTLY;
            if (has == concurrently)
                out = xstrdup(text);
            else if (concurrently)
                out = xasprintf("%.*s CONCURRENTLY%s", (int)after_index, text, text + after_index);
            else
                /* Without the word and the blanks before it: what follows
                 * it starts with its own blank. */
                out = xasprintf("%.*s%s", (int)after_index, text, text + t.tokens[words[k + 1]].end);
        }
    }
    sql_tokens_free(&t);
    free(text);
    return out;
}
