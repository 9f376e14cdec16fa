/* The index plan: CREATE INDEX statements read from a SQL file.
 *
 * A small lexer splits the file into tokens the way PostgreSQL and psql
 * would (so a ';' inside a string or a comment never ends a statement), and
 * a parser picks the CREATE INDEX statements out of the token stream.  It
 * is written for hostile input: no recursion, every loop consumes input,
 * every count is bounded by the input length, and every message is made
 * inert by sanitize() (no control character reaches a terminal). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/embedded.h"
#include "base/ident.h"
#include "core/plan.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

/* A plan file larger than this is not an index plan. */
#define PLAN_MAX_FILE (16u * 1024 * 1024)

enum token_kind {
    TOKEN_END,          /* end of input */
    TOKEN_WORD,         /* unquoted identifier or keyword */
    TOKEN_QUOTED,       /* "quoted identifier" */
    TOKEN_STRING,       /* 'string', E'string', $tag$string$tag$ */
    TOKEN_NUMBER,
    TOKEN_SEMICOLON,
    TOKEN_META,         /* a psql meta-command: backslash to end of line */
    TOKEN_OTHER,        /* punctuation and operators, one byte each */
    TOKEN_ERROR,        /* unterminated string, identifier or comment */
};

struct token {
    enum token_kind kind;
    size_t start, end;      /* byte offsets in the input */
    int    line;            /* line of the first byte */
    const char *error;      /* TOKEN_ERROR: what was unterminated */
};

struct lexer {
    const char *text;
    size_t len, pos;
    int    line;
};

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static unsigned char peek(const struct lexer *lx, size_t ahead)
{
    return lx->pos + ahead < lx->len ? (unsigned char)lx->text[lx->pos + ahead] : 0;
}

static bool at_end(const struct lexer *lx, size_t ahead)
{
    return lx->pos + ahead >= lx->len;
}

static void advance(struct lexer *lx)
{
    if (lx->pos < lx->len) {
        if (lx->text[lx->pos] == '\n')
            lx->line++;
        lx->pos++;
    }
}

/* Skip whitespace and comments.  Returns NULL, or the message of a block
 * comment that never ends (the rest of the input is then consumed). */
static const char *skip_space(struct lexer *lx, int *error_line)
{
    while (!at_end(lx, 0)) {
        unsigned char c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            advance(lx);
        } else if (c == '-' && peek(lx, 1) == '-' && !at_end(lx, 1)) {
            while (!at_end(lx, 0) && peek(lx, 0) != '\n')
                advance(lx);
        } else if (c == '/' && peek(lx, 1) == '*' && !at_end(lx, 1)) {
            /* Block comments nest in PostgreSQL; the depth is bounded by
             * the input length, and no recursion is involved. */
            *error_line = lx->line;
            size_t depth = 0;
            do {
                if (peek(lx, 0) == '/' && peek(lx, 1) == '*' && !at_end(lx, 1)) {
                    depth++;
                    advance(lx);
                    advance(lx);
                } else if (peek(lx, 0) == '*' && peek(lx, 1) == '/' && !at_end(lx, 1)) {
                    depth--;
                    advance(lx);
                    advance(lx);
                } else {
                    advance(lx);
                }
            } while (depth > 0 && !at_end(lx, 0));
            if (depth > 0)
                return "unterminated /* comment";
        } else {
            break;
        }
    }
    return NULL;
}

/* A quoted run closed by `quote`, where a doubled quote stands for itself
 * and, when `backslash` is set (E'' strings), a backslash escapes the next
 * byte.  The opening quote has been consumed.  Returns false at the end of
 * input. */
static bool skip_quoted(struct lexer *lx, unsigned char quote, bool backslash)
{
    while (!at_end(lx, 0)) {
        unsigned char c = peek(lx, 0);
        advance(lx);
        if (backslash && c == '\\') {
            advance(lx);
        } else if (c == quote) {
            if (peek(lx, 0) == quote && !at_end(lx, 0))
                advance(lx);
            else
                return true;
        }
    }
    return false;
}

/* $tag$ ... $tag$ with the opening tag at lx->pos.  Returns 1 when it was
 * a dollar quote and was closed, 0 when '$' does not start one, -1 when
 * it was never closed. */
static int skip_dollar_quote(struct lexer *lx)
{
    size_t tag_len = 1;
    if (!is_ident_start(peek(lx, 1)) && peek(lx, 1) != '$')
        return 0;
    while (!at_end(lx, tag_len) && peek(lx, tag_len) != '$') {
        if (!is_ident_char(peek(lx, tag_len)) || peek(lx, tag_len) == '$')
            return 0;
        tag_len++;
    }
    if (at_end(lx, tag_len))
        return 0;
    tag_len++;      /* the closing '$' of the tag */
    const char *tag = lx->text + lx->pos;
    for (size_t i = 0; i < tag_len; i++)
        advance(lx);
    while (!at_end(lx, 0)) {
        if (peek(lx, 0) == '$' && lx->len - lx->pos >= tag_len &&
            memcmp(lx->text + lx->pos, tag, tag_len) == 0) {
            for (size_t i = 0; i < tag_len; i++)
                advance(lx);
            return 1;
        }
        advance(lx);
    }
    return -1;
}

static struct token next_token(struct lexer *lx)
{
    struct token t = { TOKEN_END, 0, 0, 0, NULL };
    int comment_line = lx->line;
    const char *err = skip_space(lx, &comment_line);
    t.start = lx->pos;
    t.line = lx->line;
    if (err) {
        t.kind = TOKEN_ERROR;
        t.error = err;
        t.line = comment_line;
        t.end = lx->pos;
        return t;
    }
    if (at_end(lx, 0)) {
        t.end = lx->pos;
        return t;
    }
    unsigned char c = peek(lx, 0), n = peek(lx, 1);
    bool has_next = !at_end(lx, 1);

    if (c == '\'' || ((c == 'e' || c == 'E') && n == '\'' && has_next)) {
        bool backslash = c != '\'';
        if (backslash)
            advance(lx);
        advance(lx);
        t.kind = skip_quoted(lx, '\'', backslash) ? TOKEN_STRING : TOKEN_ERROR;
        t.error = "unterminated quoted string";
    } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') &&
               n == '\'' && has_next) {
        advance(lx);
        advance(lx);
        t.kind = skip_quoted(lx, '\'', false) ? TOKEN_STRING : TOKEN_ERROR;
        t.error = "unterminated quoted string";
    } else if ((c == 'u' || c == 'U') && n == '&' && (peek(lx, 2) == '\'' || peek(lx, 2) == '"') &&
               !at_end(lx, 2)) {
        /* U&'...' and U&"...": Unicode escapes, kept raw. */
        unsigned char q = peek(lx, 2);
        advance(lx);
        advance(lx);
        advance(lx);
        bool closed = skip_quoted(lx, q, false);
        t.kind = !closed ? TOKEN_ERROR : q == '"' ? TOKEN_QUOTED : TOKEN_STRING;
        t.error = q == '"' ? "unterminated quoted identifier" : "unterminated quoted string";
    } else if (c == '"') {
        advance(lx);
        t.kind = skip_quoted(lx, '"', false) ? TOKEN_QUOTED : TOKEN_ERROR;
        t.error = "unterminated quoted identifier";
    } else if (c == '$' && !(n >= '0' && n <= '9')) {
        int r = skip_dollar_quote(lx);
        if (r == 0) {
            advance(lx);
            t.kind = TOKEN_OTHER;
        } else {
            t.kind = r > 0 ? TOKEN_STRING : TOKEN_ERROR;
            t.error = "unterminated dollar-quoted string";
        }
    } else if (is_ident_start(c)) {
        while (!at_end(lx, 0) && is_ident_char(peek(lx, 0)))
            advance(lx);
        t.kind = TOKEN_WORD;
    } else if (c >= '0' && c <= '9') {
        while (!at_end(lx, 0) && (is_ident_char(peek(lx, 0)) || peek(lx, 0) == '.'))
            advance(lx);
        t.kind = TOKEN_NUMBER;
    } else if (c == '\\') {
        /* psql reads a meta-command to the end of the line. */
        while (!at_end(lx, 0) && peek(lx, 0) != '\n')
            advance(lx);
        t.kind = TOKEN_META;
    } else if (c == ';') {
        advance(lx);
        t.kind = TOKEN_SEMICOLON;
    } else {
        advance(lx);
        t.kind = TOKEN_OTHER;
    }
    t.end = lx->pos;
    if (t.kind != TOKEN_ERROR)
        t.error = NULL;
    return t;
}

/* ---- the parser --------------------------------------------------------- */

struct parser {
    struct lexer lx;
    struct token tok;       /* the current token */
    struct plan *plan;
    const char  *file;
};

static void next(struct parser *ps)
{
    ps->tok = next_token(&ps->lx);
}

static bool is_word(const struct parser *ps, const char *keyword)
{
    size_t n = strlen(keyword);
    return ps->tok.kind == TOKEN_WORD && ps->tok.end - ps->tok.start == n &&
           strncasecmp(ps->lx.text + ps->tok.start, keyword, n) == 0;
}

static bool is_char(const struct parser *ps, char c)
{
    return ps->tok.kind == TOKEN_OTHER && ps->lx.text[ps->tok.start] == c;
}

static bool is_identifier(const struct parser *ps)
{
    return ps->tok.kind == TOKEN_WORD || ps->tok.kind == TOKEN_QUOTED;
}

/* The current identifier as PostgreSQL would store it (ident.c): unquoted
 * ones folded to lower case, quoted ones with "" undoubled, cut to 63
 * bytes as the server cuts the names in a statement it runs.  (U&"..."
 * is taken as the quoted part; its escapes are not decoded.)  The caller
 * owns the result. */
static char *identifier_value(const struct parser *ps)
{
    const char *s = ps->lx.text + ps->tok.start;
    size_t n = ps->tok.end - ps->tok.start;
    if (ps->tok.kind == TOKEN_QUOTED && s[0] != '"') {
        s += 2;                             /* U&"x" */
        n -= 2;
    }
    char *out = ident_token_value(s, n);
    ident_truncate(out);
    return out;
}

/* What the current token looks like, for messages: printable ASCII only. */
static void describe(const struct parser *ps, char *buf, size_t len)
{
    switch (ps->tok.kind) {
    case TOKEN_END:
        snprintf(buf, len, "the end of the file");
        return;
    case TOKEN_SEMICOLON:
        snprintf(buf, len, "';'");
        return;
    default:
        break;
    }
    const char *s = ps->lx.text + ps->tok.start;
    size_t n = ps->tok.end - ps->tok.start, o = 0;
    char shown[28];
    for (size_t i = 0; i < n && o < 24; i++) {
        unsigned char c = (unsigned char)s[i];
        shown[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    shown[o] = '\0';
    snprintf(buf, len, "'%s%s'", shown, n > 24 ? "..." : "");
}

static void plan_error(struct plan *plan, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void plan_error(struct plan *plan, const char *file, int line, const char *fmt, ...)
{
    plan->error_total++;
    if (plan->nerrors >= PLAN_MAX_ERRORS)
        return;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    /* Names in messages come from the file: make them inert (a quoted
     * identifier may hold an escape sequence) before anyone prints them. */
    char *raw = xasprintf("%s:%d: %s", file, line, why);
    plan->errors[plan->nerrors++] = sanitize(raw, SANITIZE_FOLD);
    free(raw);
}

/* A statement ends at ';', at the end of input, or at a psql \g, \gx or
 * \gexec, which send the query buffer. */
static bool statement_end(const struct parser *ps)
{
    return ps->tok.kind == TOKEN_END || ps->tok.kind == TOKEN_SEMICOLON ||
           (ps->tok.kind == TOKEN_META && ps->tok.end - ps->tok.start > 1 &&
            ps->lx.text[ps->tok.start + 1] == 'g');
}

/* Consume the rest of the statement, up to its end (or an unterminated
 * string or comment, which the caller reports). */
static void skip_statement(struct parser *ps)
{
    while (!statement_end(ps) && ps->tok.kind != TOKEN_ERROR)
        next(ps);
}

static void entry_free(struct plan_entry *e)
{
    free(e->name);
    free(e->schema);
    free(e->table);
    free(e->qualified_table);
    free(e->method);
    free(e->statement);
    memset(e, 0, sizeof *e);
}

/* A CREATE [UNIQUE] INDEX statement; the current token is INDEX.  Fills
 * *e and returns 0, or returns -1 after recording why (e is then freed). */
static int parse_index(struct parser *ps, struct plan_entry *e, size_t start, int line)
{
    char found[64];
    const char *expected = NULL;
    char *parts[3] = { NULL, NULL, NULL };
    int nparts = 0;
    size_t last_end;
    long depth = 0;

    next(ps);
    if (is_word(ps, "concurrently")) {
        e->concurrently = true;
        next(ps);
    }
    if (is_word(ps, "if")) {
        next(ps);
        if (!is_word(ps, "not")) {
            expected = "NOT EXISTS after IF";
            goto fail;
        }
        next(ps);
        if (!is_word(ps, "exists")) {
            expected = "EXISTS after IF NOT";
            goto fail;
        }
        e->if_not_exists = true;
        next(ps);
    }
    if (is_word(ps, "on") || !is_identifier(ps)) {
        if (is_word(ps, "on")) {
            plan_error(ps->plan, ps->file, line,
                       "CREATE INDEX without a name: the plan is matched with the catalog by name");
            entry_free(e);
            skip_statement(ps);
            return -1;
        }
        expected = "an index name";
        goto fail;
    }
    e->name = identifier_value(ps);
    if (!*e->name) {
        plan_error(ps->plan, ps->file, ps->tok.line, "CREATE INDEX: the index name is empty");
        entry_free(e);
        skip_statement(ps);
        return -1;
    }
    next(ps);
    if (is_char(ps, '.')) {
        plan_error(ps->plan, ps->file, ps->tok.line,
                   "CREATE INDEX %s: an index name cannot have a schema (it goes in its table's)",
                   e->name);
        entry_free(e);
        skip_statement(ps);
        return -1;
    }
    if (!is_word(ps, "on")) {
        expected = "ON after the index name";
        goto fail;
    }
    next(ps);
    if (is_word(ps, "only")) {
        e->only = true;
        next(ps);
    }
    /* [database.][schema.]table */
    size_t table_start = ps->tok.start, table_end = ps->tok.end;
    for (;;) {
        if (!is_identifier(ps)) {
            expected = nparts ? "a name after '.'" : "a table name after ON";
            goto fail;
        }
        if (nparts == 3) {
            expected = "at most database.schema.table";
            goto fail;
        }
        parts[nparts++] = identifier_value(ps);
        table_end = ps->tok.end;
        next(ps);
        if (!is_char(ps, '.'))
            break;
        next(ps);
    }
    for (int i = 0; i < nparts; i++) {
        if (!*parts[i]) {
            plan_error(ps->plan, ps->file, line, "CREATE INDEX %s: empty table or schema name", e->name);
            goto fail_quiet;
        }
    }
    e->table = xstrdup(parts[nparts - 1]);
    e->schema = xstrdup(nparts >= 2 ? parts[nparts - 2] : "public");
    e->qualified_table = xasprintf("%s.%s", e->schema, e->table);
    if (nparts == 1) {
        e->table_at = table_start - start;
        e->table_len = table_end - table_start;
    }
    for (int i = 0; i < 3; i++) {
        free(parts[i]);
        parts[i] = NULL;
    }

    if (is_word(ps, "using")) {
        next(ps);
        if (!is_identifier(ps)) {
            expected = "an access method after USING";
            goto fail;
        }
        e->method = identifier_value(ps);
        next(ps);
    } else {
        e->method = xstrdup("btree");
    }
    if (!is_char(ps, '(')) {
        expected = "'(' and the indexed columns";
        goto fail;
    }
    /* The column list and whatever follows (INCLUDE, WITH, WHERE,
     * TABLESPACE): read to the end with the parentheses balanced. */
    last_end = ps->tok.end;
    while (!statement_end(ps)) {
        if (ps->tok.kind == TOKEN_ERROR)
            goto fail_quiet;    /* plan_parse reports it */
        if (is_char(ps, '('))
            depth++;
        else if (is_char(ps, ')') && --depth < 0)
            break;
        last_end = ps->tok.end;
        next(ps);
    }
    if (depth != 0) {
        plan_error(ps->plan, ps->file, line, "CREATE INDEX %s: unbalanced parentheses", e->name);
        goto fail_quiet;
    }
    e->statement = xstrndup(ps->lx.text + start, last_end - start);
    e->line = line;
    return 0;

fail:
    /* An unterminated string or comment is reported by plan_parse. */
    if (ps->tok.kind != TOKEN_ERROR) {
        describe(ps, found, sizeof found);
        plan_error(ps->plan, ps->file, ps->tok.line, "CREATE INDEX%s%s: expected %s, found %s",
                   e->name ? " " : "", e->name ? e->name : "", expected, found);
    }
fail_quiet:
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    entry_free(e);
    skip_statement(ps);
    return -1;
}

/* Index names seen so far, to report a name planned twice: open
 * addressing over entry numbers, so a hostile file of many statements
 * stays linear. */
struct seen {
    int   *slots;           /* entry index + 1, 0 = empty */
    size_t cap;             /* a power of two */
};

static size_t entry_hash(const struct plan_entry *e)
{
    size_t h = 1469598103934665603u;
    for (const char *p = e->schema; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    h = (h ^ '.') * 1099511628211u;
    for (const char *p = e->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    return h;
}

static bool same_index(const struct plan_entry *a, const struct plan_entry *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->schema, b->schema) == 0;
}

static void seen_put(struct seen *s, const struct plan *plan, int index)
{
    size_t i = entry_hash(&plan->entries[index]) & (s->cap - 1);
    while (s->slots[i])
        i = (i + 1) & (s->cap - 1);
    s->slots[i] = index + 1;
}

/* The entry with e's schema and name, or -1. */
static int seen_get(const struct seen *s, const struct plan *plan, const struct plan_entry *e)
{
    if (!s->cap)
        return -1;
    for (size_t i = entry_hash(e) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (same_index(&plan->entries[s->slots[i] - 1], e))
            return s->slots[i] - 1;
    return -1;
}

static void add_entry(struct plan *plan, struct seen *seen, struct plan_entry *e)
{
    int first = seen_get(seen, plan, e);
    if (first >= 0) {
        plan_error(plan, plan->file, e->line, "index %s.%s is planned twice (first at line %d); "
                   "the first is used", e->schema, e->name, plan->entries[first].line);
        entry_free(e);
        return;
    }
    /* Grow by doubling; count is bounded by the input length. */
    if ((plan->count & (plan->count - 1)) == 0) {
        size_t cap = plan->count ? (size_t)plan->count * 2 : 1;
        plan->entries = xrealloc(plan->entries, cap * sizeof *plan->entries);
    }
    plan->entries[plan->count++] = *e;
    if ((size_t)plan->count * 2 > seen->cap) {
        free(seen->slots);
        seen->cap = seen->cap ? seen->cap * 2 : 32;
        while ((size_t)plan->count * 2 > seen->cap)
            seen->cap *= 2;
        seen->slots = xcalloc(seen->cap, sizeof *seen->slots);
        for (int i = 0; i < plan->count; i++)
            seen_put(seen, plan, i);
    } else {
        seen_put(seen, plan, plan->count - 1);
    }
}

int plan_parse(struct plan *plan, const char *text, size_t len, const char *file)
{
    memset(plan, 0, sizeof *plan);
    plan->file = xstrdup(file ? file : "plan");
    struct parser ps = { .lx = { text ? text : "", text ? len : 0, 0, 1 }, .plan = plan,
                         .file = plan->file };
    struct seen seen = { NULL, 0 };
    next(&ps);
    while (ps.tok.kind != TOKEN_END) {
        if (ps.tok.kind == TOKEN_ERROR) {
            /* An unterminated string or comment swallows the rest. */
            plan_error(plan, plan->file, ps.tok.line, "%s", ps.tok.error);
            break;
        }
        if (ps.tok.kind == TOKEN_SEMICOLON || ps.tok.kind == TOKEN_META) {
            next(&ps);
            continue;
        }
        size_t start = ps.tok.start;
        int line = ps.tok.line;
        bool index = false;
        struct plan_entry e = { 0 };
        if (is_word(&ps, "create")) {
            next(&ps);
            if (is_word(&ps, "unique")) {
                e.unique = true;
                next(&ps);
            }
            index = is_word(&ps, "index");
        }
        if (index && parse_index(&ps, &e, start, line) == 0)
            add_entry(plan, &seen, &e);
        else if (!index)
            skip_statement(&ps);
        if (ps.tok.kind == TOKEN_ERROR)
            continue;       /* reported at the top of the loop */
        if (ps.tok.kind != TOKEN_END)
            next(&ps);
    }
    free(seen.slots);
    return plan->error_total ? -1 : 0;
}

int plan_load(struct plan *plan, const char *path, char *err, size_t errlen)
{
    if (!path) {
        const char *text = embedded_find(PLAN_BUILTIN);
        if (!text) {
            memset(plan, 0, sizeof *plan);
            plan->file = xstrdup(PLAN_BUILTIN);
            snprintf(err, errlen, "no built-in index plan (%s is not in this build): use --plan FILE",
                     PLAN_BUILTIN);
            return -1;
        }
        plan_parse(plan, text, strlen(text), PLAN_BUILTIN);
        return 0;
    }
    memset(plan, 0, sizeof *plan);
    plan->file = xstrdup(path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len > PLAN_MAX_FILE) {
            fclose(f);
            free(buf);
            snprintf(err, errlen, "%s: larger than %u MB, not an index plan", path,
                     PLAN_MAX_FILE / (1024 * 1024));
            return -1;
        }
        if (len == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    bool failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, strerror(saved));
        return -1;
    }
    plan_free(plan);
    plan_parse(plan, buf, len, path);
    free(buf);
    return 0;
}

void plan_free(struct plan *plan)
{
    for (int i = 0; i < plan->count; i++)
        entry_free(&plan->entries[i]);
    free(plan->entries);
    for (int i = 0; i < plan->nerrors; i++)
        free(plan->errors[i]);
    free(plan->file);
    memset(plan, 0, sizeof *plan);
}

const struct plan_entry *plan_find(const struct plan *plan, const char *schema, const char *name)
{
    if (!plan || !schema || !name)
        return NULL;
    for (int i = 0; i < plan->count; i++)
        if (strcmp(plan->entries[i].name, name) == 0 && strcmp(plan->entries[i].schema, schema) == 0)
            return &plan->entries[i];
    return NULL;
}
