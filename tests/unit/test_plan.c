/* The index plan parser: what it reads out of CREATE INDEX statements,
 * what it skips, what it reports (file:line), and that hostile input
 * cannot crash it or make it read past the end. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/embedded.h"
#include "core/plan.h"
#include "core/plan_builtin.h"
#include "base/sql.h"
#include "base/xalloc.h"

static int parse(struct plan *p, const char *sql)
{
    return plan_parse(p, sql, strlen(sql), "plan.sql");
}

static const struct plan_entry *entry(const struct plan *p, const char *name)
{
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].name, name) == 0)
            return &p->entries[i];
    fail_msg("no entry %s", name);
    return NULL;
}

static void assert_error_contains(const struct plan *p, int i, const char *text)
{
    assert_true(i < p->nerrors);
    if (!strstr(p->errors[i], text))
        fail_msg("error '%s' does not contain '%s'", p->errors[i], text);
}

static void test_plan_reads_a_plain_create_index(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX idx_users_email ON public.users (email);\n"), 0);
    assert_int_equal(p.count, 1);
    const struct plan_entry *e = &p.entries[0];
    assert_string_equal(e->name, "idx_users_email");
    assert_string_equal(e->schema, "public");
    assert_string_equal(e->table, "users");
    assert_string_equal(e->qualified_table, "public.users");
    assert_string_equal(e->method, "btree");
    assert_string_equal(e->statement, "CREATE INDEX idx_users_email ON public.users (email)");
    assert_int_equal(e->line, 1);
    assert_false(e->unique);
    assert_false(e->concurrently);
    assert_false(e->if_not_exists);
    assert_false(e->only);
    plan_free(&p);
}

static void test_plan_reads_unique_concurrently_if_not_exists_only_using(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "create unique index concurrently if not exists u1 on app.accounts using hash (id);\n"
        "CREATE INDEX parted_idx ON ONLY public.events USING brin (created_at) WITH (pages_per_range = 32);\n"), 0);
    assert_int_equal(p.count, 2);
    const struct plan_entry *u = entry(&p, "u1");
    assert_true(u->unique);
    assert_true(u->concurrently);
    assert_true(u->if_not_exists);
    assert_false(u->only);
    assert_string_equal(u->schema, "app");
    assert_string_equal(u->method, "hash");
    const struct plan_entry *o = entry(&p, "parted_idx");
    assert_true(o->only);
    assert_false(o->unique);
    assert_string_equal(o->method, "brin");
    assert_string_equal(o->qualified_table, "public.events");
    assert_int_equal(o->line, 2);
    plan_free(&p);
}

static void test_plan_unqualified_table_is_in_public(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX i ON t (a);"), 0);
    assert_string_equal(p.entries[0].qualified_table, "public.t");
    plan_free(&p);
}

/* pgdeck's sessions search pg_catalog only: the action writes public.t
 * where the plan wrote t, so the plan says where t is. */
static void test_plan_marks_where_an_unqualified_table_is_written(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "CREATE INDEX i ON ONLY \"Odd\"\"T\" (a);\n"
        "CREATE INDEX j ON s.t (a);\n"), 0);
    const struct plan_entry *i = entry(&p, "i");
    assert_int_equal(i->table_len, strlen("\"Odd\"\"T\""));
    assert_memory_equal(i->statement + i->table_at, "\"Odd\"\"T\" (a)", strlen("\"Odd\"\"T\" (a)"));
    assert_int_equal(entry(&p, "j")->table_len, 0);
    plan_free(&p);
}

static void test_plan_folds_unquoted_and_keeps_quoted_names(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "CREATE INDEX Idx_Upper ON Sales.Orders (id);\n"
        "CREATE INDEX \"My \"\"Index\"\"\" ON \"My Schema\".\"Odd;Table\" (\"Col\");\n"), 0);
    assert_int_equal(p.count, 2);
    const struct plan_entry *a = entry(&p, "idx_upper");
    assert_string_equal(a->schema, "sales");
    assert_string_equal(a->table, "orders");
    const struct plan_entry *b = entry(&p, "My \"Index\"");
    assert_string_equal(b->schema, "My Schema");
    assert_string_equal(b->table, "Odd;Table");
    assert_string_equal(b->qualified_table, "My Schema.Odd;Table");
    plan_free(&p);
}

static void test_plan_keeps_multi_line_statements_whole_with_their_first_line(void **state)
{
    (void)state;
    struct plan p;
    const char *sql =
        "-- the users table\n"
        "SET statement_timeout = 0;\n"
        "\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_active\n"
        "    ON public.users (organization_id, role)\n"
        "    INCLUDE (email)\n"
        "    WHERE is_active AND role <> 'x;y';\n";
    assert_int_equal(parse(&p, sql), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.entries[0].line, 4);
    assert_string_equal(p.entries[0].statement,
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_active\n"
        "    ON public.users (organization_id, role)\n"
        "    INCLUDE (email)\n"
        "    WHERE is_active AND role <> 'x;y'");
    plan_free(&p);
}

static void test_plan_ignores_semicolons_in_comments_strings_and_dollar_quotes(void **state)
{
    (void)state;
    struct plan p;
    const char *sql =
        "/* a comment; /* nested; */ still comment; CREATE INDEX no ON t (a); */\n"
        "-- CREATE INDEX nope ON t (a);\n"
        "CREATE INDEX a ON t (lower(b)) WHERE c = E'it\\'s; fine' AND d = 'x''y;z';\n"
        "DO $body$ BEGIN EXECUTE 'CREATE INDEX inner_idx ON t (a)'; END $body$;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
        "CREATE INDEX b ON t (a) WHERE e = $x$;$x$;\n";
    assert_int_equal(parse(&p, sql), 0);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.entries[0].name, "a");
    assert_int_equal(p.entries[0].line, 3);
    assert_string_equal(p.entries[1].name, "b");
    assert_int_equal(p.entries[1].line, 6);
    assert_string_equal(p.entries[1].statement, "CREATE INDEX b ON t (a) WHERE e = $x$;$x$");
    plan_free(&p);
}

static void test_plan_skips_other_statements_and_psql_meta_commands(void **state)
{
    (void)state;
    struct plan p;
    const char *sql =
        "\\set ON_ERROR_STOP on\n"
        "\\echo building indexes; please wait\n"
        "BEGIN;\n"
        "CREATE TABLE t (a int);\n"
        "CREATE UNIQUE INDEX t_a ON t (a);\n"
        "ANALYZE t;\n"
        "SELECT format('CREATE INDEX gen_%s ON t (a)', 1) \\gexec\n"
        "CREATE INDEX t_b ON t (a)\\g\n"
        "COMMIT;\n";
    assert_int_equal(parse(&p, sql), 0);
    assert_int_equal(p.count, 2);
    assert_true(entry(&p, "t_a")->unique);
    assert_string_equal(entry(&p, "t_b")->statement, "CREATE INDEX t_b ON t (a)");
    plan_free(&p);
}

/* The parse tree gives what the plan's statements index: each column or
 * expression as written, and the predicate of a partial index (the advice
 * compares them with the catalog's). */
static void test_plan_reads_columns_and_predicate(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "CREATE INDEX a ON t USING gin ((data -> 'tags') jsonb_path_ops);\n"
        "CREATE INDEX b ON s.t (lower(email) text_pattern_ops, (x + y) DESC NULLS LAST, \"Odd, Col\")\n"
        "  INCLUDE (z) WITH (fillfactor = 70) WHERE deleted_at IS NULL AND (kind = 'a,b');\n"
        "CREATE INDEX c ON t (a);\n"), 0);
    const struct plan_entry *a = entry(&p, "a");
    assert_int_equal(a->ncolumns, 1);
    assert_string_equal(a->columns[0], "(data -> 'tags') jsonb_path_ops");
    assert_null(a->predicate);
    const struct plan_entry *b = entry(&p, "b");
    assert_int_equal(b->ncolumns, 3);
    assert_string_equal(b->columns[0], "lower(email) text_pattern_ops");
    assert_string_equal(b->columns[1], "(x + y) DESC NULLS LAST");
    assert_string_equal(b->columns[2], "\"Odd, Col\"");
    assert_string_equal(b->predicate, "deleted_at IS NULL AND (kind = 'a,b')");
    assert_int_equal(entry(&p, "c")->ncolumns, 1);
    plan_free(&p);
}

/* psql meta-commands run to the end of their line, whatever quotes they
 * hold: PostgreSQL's scanner does not know them, the plan reader does. */
static void test_plan_meta_commands_keep_their_quotes_to_themselves(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "\\echo it's a plan; don't worry\n"
        "CREATE INDEX a ON t (a);\n"
        "\\set q 'one;\n"
        "CREATE INDEX b ON t (b);\n"
        "\\echo \"unbalanced /* comment\n"
        "CREATE INDEX c ON t (c)\n"
        "  WHERE d = 'x' \\gexec\n"
        "\\echo $$ dollar\n"
        "CREATE INDEX d ON t (d);\n"), 0);
    assert_int_equal(p.count, 4);
    assert_int_equal(entry(&p, "a")->line, 2);
    assert_int_equal(entry(&p, "b")->line, 4);
    assert_string_equal(entry(&p, "c")->statement, "CREATE INDEX c ON t (c)\n  WHERE d = 'x'");
    assert_int_equal(entry(&p, "d")->line, 9);
    plan_free(&p);

    /* An unterminated string after the meta-commands is still one. */
    assert_int_equal(parse(&p, "\\echo 'x\nCREATE INDEX a ON t (a);\nCREATE INDEX b ON t (b) WHERE c = 'open;\n"), -1);
    assert_int_equal(p.count, 1);
    assert_error_contains(&p, 0, "plan.sql:3: unterminated quoted string");
    plan_free(&p);
}

/* Every string PostgreSQL has, with a ';' inside, and comments between
 * the words. */
static void test_plan_reads_every_kind_of_string(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "CREATE /* c; */ UNIQUE -- x;\n INDEX u ON t (a) WHERE b = U&'d\\0061t;' AND c = B'1' AND d = X'1F'\n"
        "  AND e = N'n;' AND f = E'\\';' AND g = $tag$;$tag$ AND \"we;ird\" = 1;\n"
        "CREATE INDEX U&\"i!0061\" UESCAPE '!' ON t (a);\n"), 0);
    assert_int_equal(p.count, 2);
    assert_true(entry(&p, "u")->unique);
    entry(&p, "ia");
    plan_free(&p);
}

/* PostgreSQL refuses text that is not UTF-8, and so does the plan; a NUL
 * is not SQL either. */
static void test_plan_reports_bytes_that_are_not_sql(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX ok ON t (a);\nCREATE INDEX \"bad\xff\" ON t (a);\n"), -1);
    assert_int_equal(p.count, 1);
    assert_error_contains(&p, 0, "plan.sql:2: ");
    assert_error_contains(&p, 0, "not valid UTF-8");
    plan_free(&p);
    static const char nul[] = "CREATE INDEX a ON t (a);\n\0\nCREATE INDEX b ON t (b);";
    assert_int_equal(plan_parse(&p, nul, sizeof nul - 1, "plan.sql"), -1);
    assert_int_equal(p.count, 2);
    assert_error_contains(&p, 0, "plan.sql:2: a NUL byte");
    plan_free(&p);
}

static void test_plan_reports_an_unnamed_index_with_its_line(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX good ON t (a);\n\nCREATE INDEX ON t (b);\nCREATE INDEX after ON t (c);\n"), -1);
    assert_int_equal(p.count, 2);
    assert_int_equal(p.error_total, 1);
    assert_error_contains(&p, 0, "plan.sql:3: ");
    assert_error_contains(&p, 0, "without a name");
    entry(&p, "good");
    entry(&p, "after");
    plan_free(&p);
}

static void test_plan_reports_what_it_expected(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p,
        "CREATE INDEX i1 t (a);\n"          /* no ON */
        "CREATE INDEX i2 ON (a);\n"         /* no table */
        "CREATE INDEX i3 ON t a;\n"         /* no column list */
        "CREATE INDEX IF EXISTS i4 ON t (a);\n"
        "CREATE INDEX s.i5 ON t (a);\n"     /* schema on the index */
        "CREATE INDEX i6 ON t ((a);\n"      /* unbalanced */
        "CREATE INDEX i7 ON a.b.c.d (x);\n" /* too many parts */
        "CREATE INDEX ok ON t (a);\n"), -1);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.entries[0].name, "ok");
    assert_int_equal(p.error_total, 7);
    assert_error_contains(&p, 0, "plan.sql:1: CREATE INDEX i1: expected ON after the index name, found 't'");
    assert_error_contains(&p, 1, "plan.sql:2: CREATE INDEX i2: expected a table name after ON, found '('");
    assert_error_contains(&p, 2, "plan.sql:3: CREATE INDEX i3: expected '(' and the indexed columns, found 'a'");
    assert_error_contains(&p, 3, "plan.sql:4: ");
    assert_error_contains(&p, 3, "NOT EXISTS after IF");
    assert_error_contains(&p, 4, "plan.sql:5: ");
    assert_error_contains(&p, 4, "cannot have a schema");
    assert_error_contains(&p, 5, "plan.sql:6: CREATE INDEX i6: unbalanced parentheses");
    assert_error_contains(&p, 6, "plan.sql:7: ");
    plan_free(&p);
}

static void test_plan_reports_an_unterminated_string_where_it_starts(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX a ON t (a);\nCREATE INDEX b ON t (a)\n WHERE c = 'oops;\nCREATE INDEX c ON t (a);\n"), -1);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.error_total, 1);
    assert_error_contains(&p, 0, "plan.sql:3: unterminated quoted string");
    plan_free(&p);

    assert_int_equal(parse(&p, "/* never closed\nCREATE INDEX a ON t (a);"), -1);
    assert_int_equal(p.count, 0);
    assert_error_contains(&p, 0, "plan.sql:1: unterminated /* comment");
    plan_free(&p);

    assert_int_equal(parse(&p, "CREATE INDEX \"a ON t (a);"), -1);
    assert_error_contains(&p, 0, "unterminated quoted identifier");
    plan_free(&p);

    assert_int_equal(parse(&p, "\n\nDO $f$ BEGIN END;"), -1);
    assert_error_contains(&p, 0, "plan.sql:3: unterminated dollar-quoted string");
    plan_free(&p);
}

static void test_plan_reports_a_name_planned_twice_and_keeps_the_first(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX a ON t (x);\nCREATE INDEX A ON u (y);\nCREATE INDEX a ON other.t (x);\n"), -1);
    assert_int_equal(p.count, 2);       /* other.a is another index */
    assert_string_equal(p.entries[0].table, "t");
    assert_error_contains(&p, 0, "plan.sql:2: index public.a is planned twice (first at line 1)");
    plan_free(&p);
}

static void test_plan_truncates_names_as_postgresql_does(void **state)
{
    (void)state;
    char sql[512];
    char name[100];
    memset(name, 'n', 80);
    name[80] = '\0';
    snprintf(sql, sizeof sql, "CREATE INDEX %s ON t (a);", name);
    struct plan p;
    assert_int_equal(parse(&p, sql), 0);
    assert_int_equal(strlen(p.entries[0].name), 63);
    plan_free(&p);

    /* Never in the middle of a UTF-8 character: 62 'a' then a 2-byte é. */
    memset(name, 'a', 62);
    strcpy(name + 62, "\xc3\xa9zz");
    snprintf(sql, sizeof sql, "CREATE INDEX \"%s\" ON t (a);", name);
    assert_int_equal(parse(&p, sql), 0);
    assert_int_equal(strlen(p.entries[0].name), 62);
    plan_free(&p);
}

static void test_plan_messages_cannot_carry_terminal_escapes(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX \"evil\x1b]0;owned\x07\x1b[2J\" nope (a);"), -1);
    assert_int_equal(p.nerrors, 1);
    assert_null(strchr(p.errors[0], '\x1b'));
    assert_null(strchr(p.errors[0], '\x07'));
    assert_non_null(strstr(p.errors[0], "evil"));
    plan_free(&p);
}

static void test_plan_find_by_schema_and_name(void **state)
{
    (void)state;
    struct plan p;
    parse(&p, "CREATE INDEX a ON s1.t (x); CREATE INDEX a ON s2.t (x); CREATE INDEX b ON t (x);");
    assert_int_equal(p.count, 3);
    assert_string_equal(plan_find(&p, "s2", "a")->schema, "s2");
    assert_non_null(plan_find(&p, "public", "b"));
    assert_null(plan_find(&p, "public", "a"));
    assert_null(plan_find(&p, NULL, "a"));
    assert_null(plan_find(NULL, "public", "b"));
    plan_free(&p);
}

static void test_plan_without_terminating_semicolon_at_end_of_file(void **state)
{
    (void)state;
    struct plan p;
    assert_int_equal(parse(&p, "CREATE INDEX last ON t (a)   \n-- bye\n"), 0);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.entries[0].statement, "CREATE INDEX last ON t (a)");
    plan_free(&p);
}

/* Input that is not SQL at all: binary, NUL bytes, huge nesting, a lone
 * quote at the very end, an empty file. */
static void test_plan_survives_hostile_input(void **state)
{
    (void)state;
    struct plan p;
    static const char nul[] = "CREATE INDEX a\0b ON t (a);\0\0CREATE INDEX c ON t (\0);";
    plan_parse(&p, nul, sizeof nul - 1, "nul.sql");
    for (int i = 0; i < p.count; i++)
        assert_non_null(p.entries[i].statement);
    plan_free(&p);

    assert_int_equal(plan_parse(&p, "", 0, "empty.sql"), 0);
    assert_int_equal(p.count, 0);
    plan_free(&p);
    assert_int_equal(plan_parse(&p, NULL, 10, NULL), 0);
    plan_free(&p);

    /* Not NUL-terminated: the parser must stop at len. */
    char *tail = xmalloc(5);
    memcpy(tail, "CREAT", 5);
    plan_parse(&p, tail, 5, "t.sql");
    plan_free(&p);
    memcpy(tail, "$$x$'", 5);
    plan_parse(&p, tail, 5, "t.sql");
    plan_free(&p);
    memcpy(tail, "E'\\\\'", 5);
    plan_parse(&p, tail, 5, "t.sql");
    plan_free(&p);
    free(tail);

    size_t n = 200000;
    char *deep = xmalloc(n + 64);
    int k = snprintf(deep, 64, "CREATE INDEX deep ON t ");
    memset(deep + k, '(', n);
    plan_parse(&p, deep, (size_t)k + n, "deep.sql");
    assert_int_equal(p.count, 0);
    assert_int_equal(p.error_total, 1);
    plan_free(&p);
    memset(deep, '/', n);
    for (size_t i = 1; i < n; i += 2)
        deep[i] = '*';
    plan_parse(&p, deep, n, "comments.sql");
    plan_free(&p);
    for (size_t i = 0; i < n; i++)
        deep[i] = (char)(i * 2654435761u >> 13);
    plan_parse(&p, deep, n, "noise.sql");
    for (int i = 0; i < p.nerrors; i++)
        for (const unsigned char *c = (const unsigned char *)p.errors[i]; *c; c++)
            assert_true(*c >= 0x20 && *c != 0x7f);  /* no control character */
    plan_free(&p);
    free(deep);
}

static void test_plan_many_statements_stay_fast(void **state)
{
    (void)state;
    size_t cap = 50000 * 48;
    char *sql = xmalloc(cap);
    size_t len = 0;
    for (int i = 0; i < 50000; i++)
        len += (size_t)snprintf(sql + len, cap - len, "CREATE INDEX i%d ON t (a);\n", i % 40000);
    struct plan p;
    assert_int_equal(plan_parse(&p, sql, len, "many.sql"), -1);
    assert_int_equal(p.count, 40000);
    assert_int_equal(p.error_total, 10000);
    assert_int_equal(p.nerrors, PLAN_MAX_ERRORS);
    plan_free(&p);
    free(sql);
}

static void assert_same_string(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

/* The kit's plan is read at build time: the console's first frame needs
 * it, and parsing it at start touched libpg_query (1.6 MB resident) in a
 * console that may never parse anything else.  The compiled table is what
 * the reader makes of the embedded file, field by field, and getting it
 * calls nothing in libpg_query. */
static void test_builtin_plan_is_the_kit_file_read_without_the_parser(void **state)
{
    (void)state;
    struct plan built;
    char err[512] = "";
    long calls = sql_library_calls();
    assert_int_equal(plan_builtin_load(&built, NULL, err, sizeof err), 0);
    assert_int_equal(sql_library_calls(), calls);
    assert_string_equal(built.file, PLAN_BUILTIN);

    struct plan read;
    assert_int_equal(plan_load(&read, NULL, err, sizeof err), 0);
    assert_true(sql_library_calls() > calls);
    assert_true(read.count > 50);
    assert_int_equal(built.count, read.count);
    assert_int_equal(built.error_total, read.error_total);
    assert_int_equal(built.nerrors, read.nerrors);
    for (int i = 0; i < read.nerrors; i++)
        assert_string_equal(built.errors[i], read.errors[i]);
    for (int i = 0; i < read.count; i++) {
        const struct plan_entry *a = &built.entries[i], *b = &read.entries[i];
        assert_same_string(a->name, b->name);
        assert_same_string(a->schema, b->schema);
        assert_same_string(a->table, b->table);
        assert_same_string(a->qualified_table, b->qualified_table);
        assert_same_string(a->method, b->method);
        assert_same_string(a->statement, b->statement);
        assert_same_string(a->predicate, b->predicate);
        assert_int_equal(a->table_at, b->table_at);
        assert_int_equal(a->table_len, b->table_len);
        assert_int_equal(a->ncolumns, b->ncolumns);
        for (int c = 0; c < b->ncolumns; c++)
            assert_string_equal(a->columns[c], b->columns[c]);
        assert_int_equal(a->line, b->line);
        assert_int_equal(a->unique, b->unique);
        assert_int_equal(a->concurrently, b->concurrently);
        assert_int_equal(a->if_not_exists, b->if_not_exists);
        assert_int_equal(a->only, b->only);
    }
    assert_non_null(plan_find(&built, "public", read.entries[0].name));
    plan_free(&built);
    plan_free(&read);

    /* A file is still read and parsed. */
    assert_int_equal(plan_builtin_load(&built, "/nonexistent/plan.sql", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/plan.sql"));
    plan_free(&built);
}

static void test_plan_load_reports_a_missing_file(void **state)
{
    (void)state;
    struct plan p;
    char err[256];
    assert_int_equal(plan_load(&p, "/nonexistent/pgdeck/plan.sql", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/pgdeck/plan.sql: No such file"));
    assert_int_equal(p.count, 0);
    plan_free(&p);
}

static void test_plan_load_reads_a_file(void **state)
{
    (void)state;
    char path[] = "/tmp/pgdeck-test-plan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *sql = "CREATE INDEX f1 ON t (a);\nCREATE INDEX ON t (b);\n";
    assert_int_equal(write(fd, sql, strlen(sql)), (int)strlen(sql));
    close(fd);
    struct plan p;
    char err[256];
    assert_int_equal(plan_load(&p, path, err, sizeof err), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.error_total, 1);
    assert_non_null(strstr(p.errors[0], path));
    assert_non_null(strstr(p.errors[0], ":2: "));
    plan_free(&p);
    unlink(path);
}

/* The kit's own index script, compiled in, is the default plan: it must
 * read without a single error. */
static void test_plan_builtin_kit_plan_reads_cleanly(void **state)
{
    (void)state;
    if (!embedded_find(PLAN_BUILTIN))
        skip();
    struct plan p;
    char err[256];
    assert_int_equal(plan_load(&p, NULL, err, sizeof err), 0);
    for (int i = 0; i < p.nerrors; i++)
        print_message("%s\n", p.errors[i]);
    assert_int_equal(p.error_total, 0);
    assert_true(p.count >= 20);
    assert_string_equal(p.file, PLAN_BUILTIN);
    for (int i = 0; i < p.count; i++) {
        assert_true(p.entries[i].line > 0);
        assert_non_null(strstr(p.entries[i].statement, p.entries[i].name));
    }
    plan_free(&p);
}

/* Every input the fuzzer ever kept parses without trouble. */
static void test_plan_parses_the_fuzz_corpus(void **state)
{
    (void)state;
    DIR *d = opendir("tests/fuzz/corpus/fuzz_plan");
    if (!d)
        skip();
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_plan/%s", de->d_name);
        struct plan p;
        char err[256];
        plan_load(&p, path, err, sizeof err);
        plan_free(&p);
        files++;
    }
    closedir(d);
    assert_true(files > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_reads_a_plain_create_index),
        cmocka_unit_test(test_builtin_plan_is_the_kit_file_read_without_the_parser),
        cmocka_unit_test(test_plan_reads_unique_concurrently_if_not_exists_only_using),
        cmocka_unit_test(test_plan_unqualified_table_is_in_public),
        cmocka_unit_test(test_plan_marks_where_an_unqualified_table_is_written),
        cmocka_unit_test(test_plan_folds_unquoted_and_keeps_quoted_names),
        cmocka_unit_test(test_plan_keeps_multi_line_statements_whole_with_their_first_line),
        cmocka_unit_test(test_plan_ignores_semicolons_in_comments_strings_and_dollar_quotes),
        cmocka_unit_test(test_plan_skips_other_statements_and_psql_meta_commands),
        cmocka_unit_test(test_plan_reads_columns_and_predicate),
        cmocka_unit_test(test_plan_meta_commands_keep_their_quotes_to_themselves),
        cmocka_unit_test(test_plan_reads_every_kind_of_string),
        cmocka_unit_test(test_plan_reports_bytes_that_are_not_sql),
        cmocka_unit_test(test_plan_reports_an_unnamed_index_with_its_line),
        cmocka_unit_test(test_plan_reports_what_it_expected),
        cmocka_unit_test(test_plan_reports_an_unterminated_string_where_it_starts),
        cmocka_unit_test(test_plan_reports_a_name_planned_twice_and_keeps_the_first),
        cmocka_unit_test(test_plan_truncates_names_as_postgresql_does),
        cmocka_unit_test(test_plan_messages_cannot_carry_terminal_escapes),
        cmocka_unit_test(test_plan_find_by_schema_and_name),
        cmocka_unit_test(test_plan_without_terminating_semicolon_at_end_of_file),
        cmocka_unit_test(test_plan_survives_hostile_input),
        cmocka_unit_test(test_plan_many_statements_stay_fast),
        cmocka_unit_test(test_plan_load_reports_a_missing_file),
        cmocka_unit_test(test_plan_load_reads_a_file),
        cmocka_unit_test(test_plan_builtin_kit_plan_reads_cleanly),
        cmocka_unit_test(test_plan_parses_the_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
