/* The index plan: CREATE INDEX statements read from a SQL file.
 *
 * PostgreSQL's own scanner (libpg_query, base/sql.h) turns the file into
 * tokens, so a ';' inside a string or a comment never ends a statement;
 * psql meta-commands are blanked out of the working copy (see
 * read_tokens); statements are the runs of tokens between top-level ';';
 * each CREATE INDEX is parsed by PostgreSQL's grammar and the entry read
 * from its parse tree.  Written for hostile input: no recursion here, the
 * scanning work is bounded by a multiple of the input length, and every
 * message is made inert by sanitize() (no control character reaches a
 * terminal). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embedded.h"
#include "base/ident.h"
#include "base/sanitize.h"
#include "base/sql.h"
#include "base/xalloc.h"
#include "core/plan.h"

/* A plan file larger than this is not an index plan. */
#define PLAN_MAX_FILE (16u * 1024 * 1024)
/* Rescans after meta-commands that leave a quote open may cover at most
 * this many times the file (a hostile file could make them quadratic). */
#define PLAN_MAX_RESCAN 64

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

static void entry_free(struct plan_entry *e)
{
    free(e->name);
    free(e->schema);
    free(e->table);
    free(e->qualified_table);
    free(e->method);
    free(e->statement);
    for (int i = 0; i < e->ncolumns; i++)
        free(e->columns[i]);
    free(e->columns);
    free(e->predicate);
    memset(e, 0, sizeof *e);
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

/* ---- reading the file ------------------------------------------------------ */

struct reader {
    char   *text;           /* working copy, NUL-terminated; meta-commands blanked */
    size_t  len;
    struct sql_token *tokens;   /* of text, in order, positions absolute */
    int     ntokens, cap;
    size_t *newlines;       /* offsets of every '\n', for line numbers */
    size_t  nnewlines;
    struct plan *plan;
    struct seen  seen;
};

static int line_of(const struct reader *r, size_t offset)
{
    size_t lo = 0, hi = r->nnewlines;       /* newlines before offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->newlines[mid] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int)lo + 1;
}

static void push_token(struct reader *r, struct sql_token t)
{
    if (r->ntokens == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->tokens = xrealloc(r->tokens, (size_t)r->cap * sizeof *r->tokens);
    }
    r->tokens[r->ntokens++] = t;
}

/* psql reads a backslash outside quotes and comments as a meta-command
 * that runs to the end of its line; \g, \gx, \gexec ... also send the
 * statement typed so far.  The server never sees them, so they are blanked
 * out of the working copy (a sending one leaves the ';' that ends the
 * statement), and their tokens dropped.  Returns the end of the line. */
static size_t blank_meta_command(struct reader *r, size_t at)
{
    size_t eol = at;
    while (eol < r->len && r->text[eol] != '\n')
        eol++;
    bool sends = at + 1 < r->len && r->text[at + 1] == 'g';
    memset(r->text + at, ' ', eol - at);
    if (sends) {
        r->text[at] = ';';
        push_token(r, (struct sql_token){ .start = (int)at, .end = (int)at + 1, .ch = ';' });
    }
    return eol;
}

/* Tokens of the whole file into r->tokens, meta-commands blanked.
 *
 * PostgreSQL's scanner does not know meta-commands: a quote inside one
 * ("\echo it's") opens a string that swallows what follows, or stops the
 * scan with "unterminated quoted string".  So: scan; take the tokens up
 * to the first token that crosses the end of a meta-command's line (or
 * up to a scan error, whose prefix is scanned again on its own); blank
 * that line; scan again from its end.  A file without such quotes is
 * scanned once.  Returns the byte offset of a real scan error (an
 * unterminated string, quoted identifier or comment outside any
 * meta-command), already reported, or -1. */
static long read_tokens(struct reader *r)
{
    size_t pos = 0, scanned = 0;
    while (pos < r->len) {
        if (scanned > (size_t)PLAN_MAX_RESCAN * r->len + 65536) {
            plan_error(r->plan, r->plan->file, line_of(r, pos),
                       "psql meta-commands with open quotes: stopped reading here");
            return (long)pos;
        }
        scanned += r->len - pos;
        struct sql_tokens t;
        long error_at = -1;
        char error[sizeof t.error] = "";
        if (sql_scan(r->text + pos, &t) != 0) {
            snprintf(error, sizeof error, "%s", t.error);
            error_at = (long)pos + (t.error_at > 0 ? t.error_at : 0);
            sql_tokens_free(&t);
            /* The text before the bad token scans cleanly. */
            char saved = r->text[error_at];
            r->text[error_at] = '\0';
            if (sql_scan(r->text + pos, &t) != 0)
                sql_tokens_free(&t);
            r->text[error_at] = saved;
        }
        size_t resume = 0;
        for (int i = 0; i < t.count && !resume; i++) {
            struct sql_token k = t.tokens[i];
            k.start += (int)pos;
            k.end += (int)pos;
            if (k.ch != '\\') {
                push_token(r, k);
                continue;
            }
            size_t eol = blank_meta_command(r, (size_t)k.start);
            /* The tokens on the meta-command's line go; one that runs
             * past its end was read wrongly: scan again from there. */
            while (i + 1 < t.count && (size_t)t.tokens[i + 1].start + pos < eol) {
                if ((size_t)t.tokens[i + 1].end + pos > eol)
                    resume = eol;
                i++;
            }
        }
        sql_tokens_free(&t);
        if (resume) {
            pos = resume;
            continue;
        }
        if (error_at < 0)
            return -1;
        /* The error was in a meta-command (now blanked): go on after it. */
        if (r->text[error_at] == ' ') {
            size_t eol = (size_t)error_at;
            while (eol < r->len && r->text[eol] != '\n')
                eol++;
            pos = eol;
            continue;
        }
        /* An unterminated string or comment swallows the rest. */
        plan_error(r->plan, r->plan->file, line_of(r, (size_t)error_at), "%s", error);
        return error_at;
    }
    return -1;
}

/* ---- one CREATE INDEX ------------------------------------------------------- */

/* A statement: tokens [first, last] of r->tokens (comments at either end
 * left out). */
struct statement {
    int first, last;
};

static const struct sql_token *tok(const struct reader *r, int i)
{
    return &r->tokens[i];
}

/* The next token after i that is not a comment, up to `last`; -1 when none. */
static int next_token(const struct reader *r, int i, int last)
{
    for (i++; i <= last; i++)
        if (!tok(r, i)->comment)
            return i;
    return -1;
}

static int prev_token(const struct reader *r, int i, int first)
{
    for (i--; i >= first; i--)
        if (!tok(r, i)->comment)
            return i;
    return -1;
}

/* A token as PostgreSQL would store the name it spells, cut as the server
 * cuts it.  Caller frees. */
static char *token_name(const struct reader *r, int i)
{
    const struct sql_token *t = tok(r, i);
    char *out = ident_token_value(r->text + t->start, (size_t)(t->end - t->start));
    ident_truncate(out);
    return out;
}

/* What token i looks like, for messages: printable ASCII only. */
static void describe(const struct reader *r, int i, char *buf, size_t len)
{
    if (i < 0) {
        snprintf(buf, len, "the end of the statement");
        return;
    }
    const char *s = r->text + tok(r, i)->start;
    size_t n = (size_t)(tok(r, i)->end - tok(r, i)->start), o = 0;
    char shown[28];
    for (size_t k = 0; k < n && o < 24; k++) {
        unsigned char c = (unsigned char)s[k];
        shown[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    shown[o] = '\0';
    snprintf(buf, len, "'%s%s'", shown, n > 24 ? "..." : "");
}

/* Where the parts of "CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT
 * EXISTS] [name] ON [ONLY] table" are, as far as the tokens go: -1 for a
 * part that is not there. */
struct index_shape {
    int name;               /* the index name's token */
    int on;                 /* ON */
};

static struct index_shape index_shape(const struct reader *r, const struct statement *st)
{
    struct index_shape s = { -1, -1 };
    int i = st->first;
    while (i >= 0 && tok(r, i)->keyword != SQL_KW_INDEX)
        i = next_token(r, i, st->last);
    i = i >= 0 ? next_token(r, i, st->last) : -1;
    if (i >= 0 && tok(r, i)->keyword == SQL_KW_CONCURRENTLY)
        i = next_token(r, i, st->last);
    if (i >= 0 && tok(r, i)->keyword == SQL_KW_IF) {
        int n = next_token(r, i, st->last), e = n >= 0 ? next_token(r, n, st->last) : -1;
        if (n >= 0 && e >= 0 && tok(r, n)->keyword == SQL_KW_NOT && tok(r, e)->keyword == SQL_KW_EXISTS)
            i = next_token(r, e, st->last);
    }
    if (i >= 0 && tok(r, i)->keyword != SQL_KW_ON && tok(r, i)->keyword != SQL_KW_IF && tok(r, i)->name)
        s.name = i;
    for (int k = st->first; k >= 0; k = next_token(r, k, st->last))
        if (tok(r, k)->keyword == SQL_KW_ON) {
            s.on = k;
            break;
        }
    return s;
}

/* The grammar said no at byte `at` (-1: at the end of the statement).
 * Say what was expected where the plan's usual mistakes are, in the
 * words of the statement's shape; else PostgreSQL's own message. */
static void report_syntax(struct reader *r, const struct statement *st, long at, const char *message)
{
    struct index_shape shape = index_shape(r, st);
    char *name = shape.name >= 0 ? token_name(r, shape.name) : NULL;
    /* The token the grammar stopped at (-1: the end) and the one before. */
    int bad = -1;
    for (int i = st->first; i >= 0 && at >= 0; i = next_token(r, i, st->last))
        if (tok(r, i)->start >= at) {
            bad = i;
            break;
        }
    int before = prev_token(r, bad >= 0 ? bad : st->last + 1, st->first);
    int before2 = before >= 0 ? prev_token(r, before, st->first) : -1;
    const struct sql_token *p = before >= 0 ? tok(r, before) : NULL;
    long depth = 0;
    for (int i = st->first; i >= 0; i = next_token(r, i, st->last))
        depth += tok(r, i)->ch == '(' ? 1 : tok(r, i)->ch == ')' ? -1 : 0;
    bool after_on = shape.on >= 0 && (bad < 0 || shape.on < bad);

    const char *expected = NULL, *plain = NULL;
    if (strncmp(message, "syntax error", 12) != 0)
        plain = message;    /* PostgreSQL's words are the right ones */
    else if (bad < 0 && depth != 0)
        plain = "unbalanced parentheses";
    else if (p && p->keyword == SQL_KW_IF)
        expected = "NOT EXISTS after IF";
    else if (p && p->keyword == SQL_KW_NOT && before2 >= 0 && tok(r, before2)->keyword == SQL_KW_IF)
        expected = "EXISTS after IF NOT";
    else if (bad >= 0 && tok(r, bad)->ch == '.' && !after_on && before == shape.name)
        plain = "an index name cannot have a schema (it goes in its table's)";
    else if (p && (p->keyword == SQL_KW_ON || (p->keyword == SQL_KW_ONLY && before2 == shape.on)) &&
             !(bad >= 0 && tok(r, bad)->name))
        expected = "a table name after ON";
    else if (p && p->ch == '.')
        expected = "a name after '.'";
    else if (p && p->keyword == SQL_KW_USING)
        expected = "an access method after USING";
    else if (!after_on && before >= 0 && before == shape.name)
        expected = "ON after the index name";
    else if (after_on && p && p->name &&
             (before2 == shape.on || (before2 >= 0 && (tok(r, before2)->ch == '.' ||
                                                      tok(r, before2)->keyword == SQL_KW_ONLY ||
                                                      tok(r, before2)->keyword == SQL_KW_USING))))
        expected = "'(' and the indexed columns";

    int line = line_of(r, at >= 0 ? (size_t)at : (size_t)tok(r, st->last)->start);
    char found[64];
    describe(r, bad, found, sizeof found);
    if (expected)
        plan_error(r->plan, r->plan->file, line, "CREATE INDEX%s%s: expected %s, found %s",
                   name ? " " : "", name ? name : "", expected, found);
    else if (plain)
        plan_error(r->plan, r->plan->file, line, "CREATE INDEX%s%s: %s", name ? " " : "", name ? name : "", plain);
    else
        plan_error(r->plan, r->plan->file, line, "CREATE INDEX%s%s: %s at %s", name ? " " : "", name ? name : "",
                   message, found);
    free(name);
}

static const char *json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The indexed columns and the predicate, as written: the parenthesized
 * list after the table (and USING method) split at its top-level commas,
 * and what follows a top-level WHERE.  `table` is the table name's first
 * token.  Returns the number of columns read (0 when the tokens are not
 * as expected). */
static int read_columns(const struct reader *r, const struct statement *st, int table, struct plan_entry *e)
{
    int i = table;
    /* Past [catalog.][schema.]table and USING method. */
    while (i >= 0 && (tok(r, i)->name || tok(r, i)->ch == '.'))
        i = next_token(r, i, st->last);
    if (i >= 0 && tok(r, i)->keyword == SQL_KW_USING) {
        i = next_token(r, i, st->last);
        i = i >= 0 ? next_token(r, i, st->last) : -1;
    }
    if (i < 0 || tok(r, i)->ch != '(')
        return 0;
    int depth = 0, from = -1, n = 0, cap = 0;
    for (; i >= 0; i = next_token(r, i, st->last)) {
        char c = tok(r, i)->ch;
        bool closes = (c == ',' && depth == 1) || (c == ')' && depth == 1);
        if (closes && from >= 0) {
            int to = prev_token(r, i, from);
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                e->columns = xrealloc(e->columns, (size_t)cap * sizeof *e->columns);
            }
            e->columns[n++] = xstrndup(r->text + tok(r, from)->start,
                                       (size_t)(tok(r, to)->end - tok(r, from)->start));
            from = -1;
        }
        if (c == ')' && --depth == 0)
            break;
        if (closes)
            continue;
        if (c == '(' && ++depth == 1)
            continue;
        if (from < 0)
            from = i;
    }
    e->ncolumns = n;
    /* The predicate: after the last top-level WHERE. */
    depth = 0;
    int where = -1;
    for (int k = i >= 0 ? next_token(r, i, st->last) : -1; k >= 0; k = next_token(r, k, st->last)) {
        depth += tok(r, k)->ch == '(' ? 1 : tok(r, k)->ch == ')' ? -1 : 0;
        if (depth == 0 && tok(r, k)->keyword == SQL_KW_WHERE)
            where = k;
    }
    int p = where >= 0 ? next_token(r, where, st->last) : -1;
    if (p >= 0)
        e->predicate = xstrndup(r->text + tok(r, p)->start, (size_t)(tok(r, st->last)->end - tok(r, p)->start));
    return n;
}

/* A CREATE [UNIQUE] INDEX statement: parse it and fill *e.  Returns 0,
 * or -1 after recording why (e is then freed). */
static int read_index(struct reader *r, const struct statement *st, struct plan_entry *e)
{
    size_t start = (size_t)tok(r, st->first)->start;
    size_t end = (size_t)tok(r, st->last)->end;
    int line = line_of(r, start);
    char *sql = xstrndup(r->text + start, end - start);
    char err[256];
    int error_at;
    json_t *tree = sql_parse(sql, &error_at, err, sizeof err);
    if (!tree) {
        report_syntax(r, st, error_at >= 0 && (size_t)error_at < end - start ? (long)start + error_at : -1, err);
        free(sql);
        return -1;
    }
    json_t *stmts = json_object_get(tree, "stmts");
    json_t *index = json_object_get(json_object_get(json_array_get(stmts, 0), "stmt"), "IndexStmt");
    json_t *rel = json_object_get(index, "relation");
    const char *name = json_str(index, "idxname");
    int rc = -1;
    if (json_array_size(stmts) != 1 || !index || !json_str(rel, "relname")) {
        plan_error(r->plan, r->plan->file, line, "not a CREATE INDEX pgdeck can read");
    } else if (!name) {
        plan_error(r->plan, r->plan->file, line,
                   "CREATE INDEX without a name: the plan is matched with the catalog by name");
    } else {
        e->name = xstrdup(name);
        ident_truncate(e->name);
        e->table = xstrdup(json_str(rel, "relname"));
        e->schema = xstrdup(json_str(rel, "schemaname") ? json_str(rel, "schemaname") : "public");
        e->qualified_table = xasprintf("%s.%s", e->schema, e->table);
        e->method = xstrdup(json_str(index, "accessMethod") ? json_str(index, "accessMethod") : "btree");
        e->unique = json_is_true(json_object_get(index, "unique"));
        e->concurrently = json_is_true(json_object_get(index, "concurrent"));
        e->if_not_exists = json_is_true(json_object_get(index, "if_not_exists"));
        e->only = !json_is_true(json_object_get(rel, "inh"));
        e->statement = sql;
        sql = NULL;
        e->line = line;
        /* Where the table's name is written, from its parse location. */
        int table = sql_token_at(&(struct sql_tokens){ .tokens = r->tokens, .count = r->ntokens },
                                 (int)start + (int)json_integer_value(json_object_get(rel, "location")));
        if (table >= 0 && !json_str(rel, "schemaname")) {
            e->table_at = (size_t)tok(r, table)->start - start;
            e->table_len = (size_t)(tok(r, table)->end - tok(r, table)->start);
        }
        size_t params = json_array_size(json_object_get(index, "indexParams"));
        if (table < 0 || (size_t)read_columns(r, st, table, e) != params) {
            for (int i = 0; i < e->ncolumns; i++)
                free(e->columns[i]);
            free(e->columns);
            e->columns = NULL;
            e->ncolumns = 0;
        }
        rc = 0;
    }
    json_decref(tree);
    free(sql);
    if (rc != 0)
        entry_free(e);
    return rc;
}

/* Whether the statement starts CREATE [UNIQUE] INDEX. */
static bool is_create_index(const struct reader *r, const struct statement *st)
{
    int i = st->first;
    if (tok(r, i)->keyword != SQL_KW_CREATE)
        return false;
    i = next_token(r, i, st->last);
    if (i >= 0 && tok(r, i)->keyword == SQL_KW_UNIQUE)
        i = next_token(r, i, st->last);
    return i >= 0 && tok(r, i)->keyword == SQL_KW_INDEX;
}

int plan_parse(struct plan *plan, const char *text, size_t len, const char *file)
{
    memset(plan, 0, sizeof *plan);
    plan->file = xstrdup(file ? file : "plan");
    if (!text)
        len = 0;
    struct reader r = { .plan = plan, .len = len };
    r.text = xmalloc(len + 1);
    if (len)
        memcpy(r.text, text, len);
    r.text[len] = '\0';
    size_t nul = 0;
    for (size_t i = 0; i < len; i++) {
        if (r.text[i] == '\n')
            r.nnewlines++;
        else if (r.text[i] == '\0' && !nul++)
            plan_error(plan, plan->file, (int)r.nnewlines + 1, "a NUL byte: this is not SQL text");
    }
    /* PostgreSQL reads C strings: a NUL is read as a blank, after the
     * error above. */
    for (size_t i = 0; i < len; i++)
        if (r.text[i] == '\0')
            r.text[i] = ' ';
    r.newlines = xmalloc((r.nnewlines + 1) * sizeof *r.newlines);
    for (size_t i = 0, n = 0; i < len; i++)
        if (r.text[i] == '\n')
            r.newlines[n++] = i;

    long stop = read_tokens(&r);
    /* Statements: runs of tokens between ';' tokens.  (psql would not end
     * one at a ';' inside parentheses; the plan reader always has, so that
     * one unbalanced '(' costs one statement, not the rest of the file.) */
    int from = 0;
    for (int i = 0; i <= r.ntokens; i++) {
        bool end = i == r.ntokens;
        if (!end && r.tokens[i].ch != ';')
            continue;
        /* The statement a scan error swallowed is not read. */
        if (end && stop >= 0)
            break;
        struct statement st = { from, i - 1 };
        from = i + 1;
        while (st.first <= st.last && r.tokens[st.first].comment)
            st.first++;
        while (st.last >= st.first && r.tokens[st.last].comment)
            st.last--;
        if (st.first > st.last || !is_create_index(&r, &st))
            continue;
        struct plan_entry e = { 0 };
        if (read_index(&r, &st, &e) == 0)
            add_entry(plan, &r.seen, &e);
    }
    free(r.seen.slots);
    free(r.tokens);
    free(r.newlines);
    free(r.text);
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
