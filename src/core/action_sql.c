/* SQL quoting and the little lexing the actions need (see action_sql.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "base/xalloc.h"

/* The length of the UTF-8 sequence at s (at most `left` bytes), or 0 when
 * it is not a legal one: overlong forms, surrogates and code points above
 * U+10FFFF are refused, as PostgreSQL's pg_utf8_islegal does. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xE0 && s[1] < 0xA0)
        return 0;           /* overlong */
    if (c == 0xED && s[1] > 0x9F)
        return 0;           /* surrogate */
    if (c == 0xF0 && s[1] < 0x90)
        return 0;           /* overlong */
    if (c == 0xF4 && s[1] > 0x8F)
        return 0;           /* above U+10FFFF */
    return n;
}

size_t sql_utf8_char(const char *s, size_t left)
{
    return left ? utf8_sequence((const unsigned char *)s, left) : 0;
}

bool sql_valid_utf8(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

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
    if (!name || !*name || !sql_valid_utf8(name, strlen(name)))
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
    if (!text || !sql_valid_utf8(text, strlen(text)))
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

/* ---- lexing ------------------------------------------------------------ */

static bool ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skip blanks and comments (nested block comments as PostgreSQL has them).
 * Returns the new position; *unterminated is set for an open comment. */
static size_t skip_blanks(const char *s, size_t i, size_t len, bool *unterminated)
{
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
            while (i < len && s[i] != '\n')
                i++;
            continue;
        }
        if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < len && depth > 0) {
                if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (i + 1 < len && s[i] == '*' && s[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else {
                    i++;
                }
            }
            if (depth > 0) {
                *unterminated = true;
                return len;
            }
            continue;
        }
        return i;
    }
}

/* Past the quoted token that starts at s[i] (a string, a quoted identifier
 * or a dollar quote), or len when it never ends (*unterminated set).
 * `escapes` is for E'' strings, where a backslash escapes the next byte. */
static size_t skip_quoted(const char *s, size_t i, size_t len, char quote, bool escapes,
                          bool *unterminated)
{
    i++;
    while (i < len) {
        if (escapes && s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == quote) {
            if (i + 1 < len && s[i + 1] == quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    *unterminated = true;
    return len;
}

/* A dollar-quote opener at s[i] ("$$" or "$tag$"): its length, else 0. */
static size_t dollar_tag(const char *s, size_t i, size_t len)
{
    size_t j = i + 1;
    if (j < len && s[j] == '$')
        return 2;
    if (j >= len || !ident_start((unsigned char)s[j]))
        return 0;
    while (j < len && ident_char((unsigned char)s[j]) && s[j] != '$')
        j++;
    return j < len && s[j] == '$' ? j - i + 1 : 0;
}

static const char *const explainable_words[] = {
    "select", "insert", "update", "delete", "merge", "values", "table", "with",
};

int sql_explainable(const char *text, struct sql_explain *info)
{
    memset(info, 0, sizeof *info);
    size_t len = text ? strlen(text) : 0;
    bool open = false;
    size_t i = skip_blanks(text ? text : "", 0, len, &open);
    if (i >= len) {
        snprintf(info->why, sizeof info->why, "%s",
                 open ? "the query text is only an unterminated comment" : "the query text is empty");
        return -1;
    }
    info->body = text + i;

    size_t w = 0;
    while (i + w < len && ident_char((unsigned char)text[i + w]) && w < sizeof info->first_word - 1) {
        info->first_word[w] = (char)tolower((unsigned char)text[i + w]);
        w++;
    }
    info->first_word[w] = '\0';
    bool known = false;
    for (size_t k = 0; k < sizeof explainable_words / sizeof explainable_words[0]; k++)
        if (strcmp(info->first_word, explainable_words[k]) == 0 &&
            (i + w >= len || !ident_char((unsigned char)text[i + w])))
            known = true;
    if (!known) {
        snprintf(info->why, sizeof info->why,
                 "EXPLAIN plans SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE and WITH; "
                 "this statement starts with '%.*s'", w ? (int)w : 1, text + i);
        return -1;
    }

    /* Walk the rest: find the end of the statement, parameters, and
     * anything after a top-level ';'. */
    size_t end = len;
    bool after_semicolon = false;
    while (i < len) {
        i = skip_blanks(text, i, len, &open);
        if (open)
            break;
        if (i >= len)
            break;
        if (after_semicolon) {
            snprintf(info->why, sizeof info->why,
                     "the query text holds more than one statement; EXPLAIN takes one");
            return -1;
        }
        unsigned char c = (unsigned char)text[i];
        if (c == ';') {
            end = i;
            after_semicolon = true;
            i++;
        } else if (c == '\'') {
            /* E'...' strings: the E is the previous identifier byte. */
            bool escapes = i > 0 && (text[i - 1] == 'E' || text[i - 1] == 'e') &&
                           (i < 2 || !ident_char((unsigned char)text[i - 2]));
            i = skip_quoted(text, i, len, '\'', escapes, &open);
        } else if (c == '"') {
            i = skip_quoted(text, i, len, '"', false, &open);
        } else if (c == '$') {
            size_t tag = dollar_tag(text, i, len);
            if (tag) {
                const char *close = NULL;
                for (size_t j = i + tag; j + tag <= len; j++)
                    if (memcmp(text + j, text + i, tag) == 0) {
                        close = text + j;
                        break;
                    }
                if (!close) {
                    open = true;
                    i = len;
                } else {
                    i = (size_t)(close - text) + tag;
                }
            } else if (i + 1 < len && isdigit((unsigned char)text[i + 1])) {
                info->has_params = true;
                i++;
                while (i < len && isdigit((unsigned char)text[i]))
                    i++;
            } else {
                i++;
            }
        } else if (ident_start(c)) {
            while (i < len && ident_char((unsigned char)text[i]))
                i++;
        } else {
            i++;
        }
        if (open)
            break;
    }
    if (open) {
        snprintf(info->why, sizeof info->why,
                 "the query text ends inside a string, a quoted name or a comment "
                 "(it may be cut at track_activity_query_size)");
        return -1;
    }
    while (end > 0 && (isspace((unsigned char)text[end - 1])))
        end--;
    info->body_len = (size_t)(text + end - info->body);
    return 0;
}

/* The next word at s[*i] (after blanks and comments), lower-cased into
 * word; returns its start, or -1 at the end. */
static long next_word(const char *s, size_t *i, size_t len, char *word, size_t cap)
{
    bool open = false;
    *i = skip_blanks(s, *i, len, &open);
    if (open || *i >= len || !ident_start((unsigned char)s[*i]))
        return -1;
    size_t start = *i, n = 0;
    while (*i < len && ident_char((unsigned char)s[*i])) {
        if (n + 1 < cap)
            word[n++] = (char)tolower((unsigned char)s[*i]);
        (*i)++;
    }
    word[n] = '\0';
    return (long)start;
}

char *sql_create_index(const char *statement, bool concurrently)
{
    if (!statement)
        return NULL;
    size_t len = strlen(statement);
    while (len > 0 && (isspace((unsigned char)statement[len - 1]) || statement[len - 1] == ';'))
        len--;
    char word[32];
    size_t i = 0;
    if (next_word(statement, &i, len, word, sizeof word) < 0 || strcmp(word, "create") != 0)
        return NULL;
    if (next_word(statement, &i, len, word, sizeof word) < 0)
        return NULL;
    if (strcmp(word, "unique") == 0 && next_word(statement, &i, len, word, sizeof word) < 0)
        return NULL;
    if (strcmp(word, "index") != 0)
        return NULL;
    size_t after_index = i;
    size_t j = i;
    long start = next_word(statement, &j, len, word, sizeof word);
    bool has = start >= 0 && strcmp(word, "concurrently") == 0;
    if (has == concurrently)
        return xstrndup(statement, len);
    if (concurrently)
        return xasprintf("%.*s CONCURRENTLY%.*s", (int)after_index, statement,
                         (int)(len - after_index), statement + after_index);
    /* Remove the word CONCURRENTLY and the blanks before it: what follows
     * it starts with its own blank. */
    return xasprintf("%.*s%.*s", (int)after_index, statement, (int)(len - j), statement + j);
}
