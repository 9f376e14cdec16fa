/* What EXPLAIN may plan: one plannable statement, no code outside
 * pg_catalog, none of the functions that run SQL or read files; the
 * relations it reads, and where an unqualified one is written so that
 * pgdeck can write it qualified. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/sql.h"
#include "base/xalloc.h"
#include "core/explain_guard.h"
#include "core/snapshot.h"
#include "subjects/queries.h"

static int check(const char *text, struct explain_info *info)
{
    explain_info_free(info);
    return explain_guard_check(text, info);
}

static void assert_refused(const char *text, const char *because)
{
    struct explain_info info = { 0 };
    if (explain_guard_check(text, &info) != -1)
        fail_msg("'%s' was not refused", text);
    if (!strstr(info.why, because))
        fail_msg("'%s': '%s' does not say '%s'", text, info.why, because);
    explain_info_free(&info);
}

static void assert_allowed(const char *text)
{
    struct explain_info info = { 0 };
    if (explain_guard_check(text, &info) != 0)
        fail_msg("'%s' was refused: %s", text, info.why);
    explain_info_free(&info);
}

static void test_explain_takes_one_plannable_statement(void **state)
{
    (void)state;
    struct explain_info e = { 0 };
    assert_int_equal(check("  -- hi\n/* a /* nested */ */ SELECT 1;  ", &e), 0);
    assert_string_equal(e.kind, "select");
    assert_non_null(strstr(e.statement, "SELECT 1"));
    assert_null(strchr(e.statement, ';'));
    assert_int_equal(e.params, 0);

    assert_int_equal(check("select ';' , \"a;b\", $x$ ; $x$ from t where a = $1", &e), 0);
    assert_int_equal(e.params, 1);
    assert_int_equal(check("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", &e), 0);
    assert_string_equal(e.kind, "select");
    assert_int_equal(check("update t set a = E'\\';' where b = 2", &e), 0);
    assert_string_equal(e.kind, "update");
    assert_int_equal(check("SELECT a$1 FROM t", &e), 0);
    assert_int_equal(e.params, 0);
    assert_int_equal(check("VALUES (1), (2)", &e), 0);
    assert_int_equal(check("TABLE t", &e), 0);
    assert_int_equal(check("MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", &e), 0);
    assert_string_equal(e.kind, "merge");
    assert_int_equal(check("INSERT INTO t VALUES ($1, $3)", &e), 0);
    assert_int_equal(e.params, 3);
    /* The strings PostgreSQL knows and the old lexer did not all read. */
    assert_int_equal(check("SELECT U&'d\\0061t', B'101', X'1F', N'x', U&\"d!0061\" UESCAPE '!' FROM t", &e), 0);
    explain_info_free(&e);

    assert_refused("SELECT 1; DROP TABLE t", "more than one statement");
    assert_refused("(ANALYZE) DELETE FROM t", "cannot read the query");
    assert_refused("ANALYZE t", "starts with 'ANALYZE'");
    assert_refused("DROP TABLE t", "DROP");
    assert_refused("VACUUM t", "VACUUM");
    assert_refused("EXPLAIN ANALYZE DELETE FROM t", "starts with 'EXPLAIN'");
    assert_refused("selectx 1", "cannot read the query");
    assert_refused("SELECT 'unterminated", "track_activity_query_size");
    assert_refused("SELECT * FROM t WHERE", "track_activity_query_size");
    assert_refused("   ", "empty");
    assert_refused("SELECT 1 /* open", "track_activity_query_size");
    assert_refused("SELECT * INTO new_t FROM t", "SELECT INTO creates a table");
    assert_refused("SELECT '\xff'", "not valid UTF-8");
    assert_refused(NULL, "empty");
}

static void test_explain_refuses_code_outside_pg_catalog(void **state)
{
    (void)state;
    assert_refused("SELECT mallory.hit('x') FROM t", "the function mallory.hit outside pg_catalog");
    assert_refused("SELECT * FROM t WHERE a = public.lower($1)", "function public.lower");
    assert_refused("SELECT * FROM mydb.s.f()", "function mydb.s.f");
    assert_refused("SELECT a OPERATOR(mallory.===) 1 FROM t", "the operator mallory.===");
    assert_refused("SELECT * FROM t ORDER BY a USING OPERATOR(s.<)", "operator s.<");
    assert_refused("SELECT 1 WHERE 1 OPERATOR(s.=) ANY (SELECT 1)", "operator s.=");
    assert_refused("SELECT 'x'::mallory.evil", "the type mallory.evil");
    assert_refused("SELECT CAST(a AS s.t[]) FROM t", "type s.t");
    assert_refused("SELECT mallory.evil 'literal'", "type mallory.evil");
    assert_refused("SELECT * FROM f() AS g(a s.typ)", "type s.typ");
    assert_refused("SELECT a COLLATE s.c FROM t", "the collation s.c");
    assert_refused("SELECT * FROM t TABLESAMPLE s.sampler (1)", "tablesample method s.sampler");
    /* Inside anything: a subquery, a CTE, a join, a default. */
    assert_refused("WITH w AS (SELECT s.f()) SELECT * FROM w", "function s.f");
    assert_refused("INSERT INTO t SELECT * FROM u JOIN v ON s.eq(u.a, v.a)", "function s.eq");
    assert_refused("UPDATE t SET a = (SELECT max(b) FROM u WHERE s.f(b))", "function s.f");

    /* pg_catalog's and unqualified names are the built-ins. */
    assert_allowed("SELECT pg_catalog.lower(a), lower(a), a OPERATOR(pg_catalog.+) 1, a::pg_catalog.int4, "
                   "a::int, b COLLATE \"C\", c COLLATE pg_catalog.\"default\" FROM t ORDER BY a USING <");
    assert_allowed("SELECT * FROM t TABLESAMPLE bernoulli (1)");
    /* A relation may be in any schema: the catalog check looks at it. */
    assert_allowed("SELECT * FROM mallory.t JOIN public.u USING (a)");
}

static void test_explain_refuses_functions_that_run_sql_or_read_files(void **state)
{
    (void)state;
    assert_refused("SELECT query_to_xml('SELECT mallory.hit()', true, true, '')", "query_to_xml, which runs the SQL text");
    assert_refused("SELECT pg_catalog.query_to_xml_and_xmlschema('x', true, true, '')", "runs the SQL text");
    assert_refused("SELECT * FROM t WHERE ts_stat('SELECT 1') IS NOT NULL", "ts_stat");
    assert_refused("SELECT ts_rewrite('a'::tsquery, 'SELECT 1')", "ts_rewrite");
    assert_allowed("SELECT ts_rewrite('a'::tsquery, 'a'::tsquery, 'b'::tsquery)");
    assert_refused("SELECT table_to_xml('mallory.v', true, true, '')", "with the caller's rights");
    assert_refused("SELECT database_to_xml(true, true, '')", "every table and view of the database");
    assert_refused("SELECT pg_read_file('/etc/passwd')", "reads files on the server");
    assert_refused("SELECT * FROM pg_ls_dir('.')", "reads directories");
    assert_refused("SELECT lo_get(42)", "large objects");
    assert_refused("SELECT pg_catalog.lo_import('/etc/passwd')", "large objects");
    assert_refused("SELECT loread(lo_open(1, 262144), 10)", "large objects");
}

static void test_explain_lists_relations_but_not_ctes(void **state)
{
    (void)state;
    struct explain_info e = { 0 };
    assert_int_equal(check("WITH w AS (SELECT * FROM base) SELECT * FROM w, \"Odd\"\"T\" AS o, s.t, db.s2.u "
                           "WHERE EXISTS (SELECT 1 FROM w2)", &e), 0);
    assert_int_equal(e.nrelations, 5);
    int unqualified = 0;
    for (int i = 0; i < e.nrelations; i++) {
        const struct explain_relation *r = &e.relations[i];
        if (strcmp(r->name, "w") == 0)
            fail_msg("the CTE w is listed as a relation");
        if (!r->schema) {
            unqualified++;
            assert_true(r->len > 0);
            if (strcmp(r->name, "Odd\"T") == 0)
                assert_memory_equal(e.statement + r->at, "\"Odd\"\"T\"", (size_t)r->len);
            else
                assert_memory_equal(e.statement + r->at, r->name, (size_t)r->len);
        } else {
            assert_int_equal(r->len, 0);
        }
    }
    assert_int_equal(unqualified, 3);       /* base, "Odd""T", w2 */
    assert_int_equal(check("INSERT INTO t SELECT * FROM u; ", &e), 0);
    assert_int_equal(e.nrelations, 2);
    assert_int_equal(check("UPDATE t SET a = 1 FROM u", &e), 0);
    assert_int_equal(e.nrelations, 2);
    assert_int_equal(check("DELETE FROM ONLY t USING u", &e), 0);
    assert_int_equal(e.nrelations, 2);
    assert_int_equal(check("MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", &e), 0);
    assert_int_equal(e.nrelations, 2);
    explain_info_free(&e);
}

/* pgdeck's session searches pg_catalog only: the names the application
 * wrote without a schema are written qualified, where they are, and
 * nowhere else (not in strings, comments or column references). */
static void test_explain_qualifies_names_where_they_are_written(void **state)
{
    (void)state;
    struct explain_info e = { 0 };
    const char *text = "/* t */ SELECT t.a, 't' FROM t JOIN \"Odd\"\"T\" o ON o.id = t.id -- t\n"
                       "WHERE t.a IN (SELECT a FROM u WHERE a = $1) AND b = 'FROM t';";
    assert_int_equal(check(text, &e), 0);
    assert_int_equal(e.params, 1);
    const char **q = xcalloc((size_t)e.nrelations, sizeof *q);
    for (int i = 0; i < e.nrelations; i++)
        q[i] = strcmp(e.relations[i].name, "t") == 0 ? "\"public\".\"t\""
             : strcmp(e.relations[i].name, "u") == 0 ? "\"app\".\"u\"" : "\"public\".\"Odd\"\"T\"";
    char *out = explain_guard_qualify(&e, q);
    assert_string_equal(out, "/* t */ SELECT t.a, 't' FROM \"public\".\"t\" JOIN \"public\".\"Odd\"\"T\" o ON o.id = t.id -- t\n"
                             "WHERE t.a IN (SELECT a FROM \"app\".\"u\" WHERE a = $1) AND b = 'FROM t'");
    free(out);
    /* NULL: left as written. */
    q[0] = NULL;
    out = explain_guard_qualify(&e, q);
    assert_non_null(strstr(out, "FROM t JOIN"));
    free(out);
    free(q);
    /* The qualified text reads back with every relation qualified. */
    assert_int_equal(check("SELECT * FROM t, t AS t2", &e), 0);
    const char *both[] = { "\"s\".\"t\"", "\"s\".\"t\"" };
    out = explain_guard_qualify(&e, both);
    assert_string_equal(out, "SELECT * FROM \"s\".\"t\", \"s\".\"t\" AS t2");
    assert_int_equal(check(out, &e), 0);
    for (int i = 0; i < e.nrelations; i++)
        assert_string_equal(e.relations[i].schema, "s");
    free(out);
    explain_info_free(&e);
}

/* A text nobody wrote by hand: deep nesting, long operator runs, noise. */
static void test_explain_survives_hostile_text(void **state)
{
    (void)state;
    size_t n = 100000;
    char *s = xmalloc(n + 32);
    strcpy(s, "SELECT ");
    memset(s + 7, '(', n);
    s[n + 7] = '\0';
    assert_refused(s, "");
    for (size_t i = 0; i < n; i++)
        s[i] = i % 2 ? '*' : '/';
    s[n] = '\0';
    assert_refused(s, "operator characters");
    /* 3,000 nested function calls: deeper than the tree reader goes. */
    size_t o = (size_t)sprintf(s, "SELECT ");
    for (int i = 0; i < 3000; i++)
        o += (size_t)sprintf(s + o, "f(");
    o += (size_t)sprintf(s + o, "1");
    for (int i = 0; i < 3000; i++)
        s[o++] = ')';
    s[o] = '\0';
    assert_refused(s, "");
    for (size_t i = 0; i < n; i++)
        s[i] = (char)((i * 2654435761u >> 13) | 1);
    s[n] = '\0';
    assert_refused(s, "");
    free(s);

    /* A left-deep tree: "1 + 1 + ... + 1" with 250,000 terms (1 MB, as
     * pg_stat_statements keeps it) overflowed libpg_query's recursive
     * writers: refused before the parser builds it, and so is a
     * fingerprint of 15,000 terms. */
    size_t terms = 250000;
    s = xmalloc(terms * 4 + 16);
    o = (size_t)sprintf(s, "SELECT 1");
    for (size_t i = 0; i < terms; i++)
        o += (size_t)sprintf(s + o, " + 1");
    assert_refused(s, "nest up to 250001 levels deep");
    uint64_t fp;
    s[15000 * 4 + 8] = '\0';
    assert_int_equal(sql_fingerprint(s, &fp), -1);
    s[9000 * 4 + 8] = '\0';
    assert_int_equal(sql_fingerprint(s, &fp), 0);
    /* Long flat lists are not deep: 20,000 VALUES rows read. */
    o = (size_t)sprintf(s, "INSERT INTO t VALUES ($1, $2)");
    for (int i = 0; i < 20000; i++)
        o += (size_t)sprintf(s + o, ", ($%d, $%d)", 2 * i + 3, 2 * i + 4);
    assert_allowed(s);
    assert_int_equal(sql_fingerprint(s, &fp), -1);      /* longer than 64 kB */
    o = (size_t)sprintf(s, "INSERT INTO t VALUES ($1, $2)");
    for (int i = 0; i < 3000; i++)
        o += (size_t)sprintf(s + o, ", ($%d, $%d)", 2 * i + 3, 2 * i + 4);
    assert_int_equal(sql_fingerprint(s, &fp), 0);       /* 6,000 parameters, flat */
    free(s);
}

/* Every input the fuzzer ever kept is read without trouble. */
static void test_explain_reads_the_fuzz_corpus(void **state)
{
    (void)state;
    DIR *d = opendir("tests/fuzz/corpus/fuzz_explain");
    if (!d)
        skip();
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_explain/%s", de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[65536];
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        struct explain_info e = { 0 };
        if (explain_guard_check(buf, &e) == 0) {
            const char **none = xcalloc((size_t)e.nrelations + 1, sizeof *none);
            char *out = explain_guard_qualify(&e, none);
            assert_string_equal(out, e.statement);     /* nothing to write: as it was */
            free(out);
            free(none);
        }
        explain_info_free(&e);
        files++;
    }
    closedir(d);
    assert_true(files > 0);
}

/* sql_fingerprint: a live query and its pg_stat_statements text match. */
static void test_fingerprint_matches_constants_and_parameters(void **state)
{
    (void)state;
    uint64_t a, b, c;
    assert_int_equal(sql_fingerprint("SELECT * FROM t WHERE a = 5 AND b IN (1, 2)", &a), 0);
    assert_int_equal(sql_fingerprint("select *  from T where a = $1 and b in ($2, $3) -- x", &b), 0);
    assert_true(a == b);
    assert_int_equal(sql_fingerprint("SELECT * FROM t WHERE c = 5", &c), 0);
    assert_true(a != c);
    assert_int_equal(sql_fingerprint("SELECT * FROM t WHERE 'cut", &c), -1);
    assert_int_equal(sql_fingerprint(NULL, &c), -1);
}

/* A live query's row in pg_stat_statements, by fingerprint, in its own
 * database and role only. */
static void test_statements_find_matches_a_live_query(void **state)
{
    (void)state;
    static const char *const columns[] = { "database", "username", "query", "fingerprint" };
    struct snapshot *s = snapshot_new("statements", 4, columns);
    const char *rows[][3] = {
        { "app", "alice", "SELECT * FROM orders WHERE id = $1" },
        { "app", "bob",   "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)" },
        { "app", "alice", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)" },
        { "other", "alice", "SELECT * FROM orders WHERE total > $1" },
    };
    for (int r = 0; r < 4; r++) {
        uint64_t fp;
        assert_int_equal(sql_fingerprint(rows[r][2], &fp), 0);
        char hex[24];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fp);
        const char *cells[] = { rows[r][0], rows[r][1], rows[r][2], hex };
        snapshot_add_row(s, cells);
    }
    assert_int_equal(statements_find(s, "select * from T where a = 7 and b in (1, 2) /* x */", "app", "alice"), 2);
    assert_int_equal(statements_find(s, "SELECT * FROM t WHERE a = 7 AND b IN (1, 2)", "app", "bob"), 1);
    assert_int_equal(statements_find(s, "SELECT * FROM orders WHERE id = 42", NULL, NULL), 0);
    assert_int_equal(statements_find(s, "SELECT * FROM orders WHERE id = 42", "other", "alice"), -1);
    assert_int_equal(statements_find(s, "SELECT * FROM orders WHERE total > 9", "app", "alice"), -1);
    assert_int_equal(statements_find(s, "SELECT * FROM orders WHERE id = 'cut", "app", "alice"), -2);
    assert_int_equal(statements_find(NULL, "SELECT 1", "app", "alice"), -1);
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_takes_one_plannable_statement),
        cmocka_unit_test(test_explain_refuses_code_outside_pg_catalog),
        cmocka_unit_test(test_explain_refuses_functions_that_run_sql_or_read_files),
        cmocka_unit_test(test_explain_lists_relations_but_not_ctes),
        cmocka_unit_test(test_explain_qualifies_names_where_they_are_written),
        cmocka_unit_test(test_explain_survives_hostile_text),
        cmocka_unit_test(test_explain_reads_the_fuzz_corpus),
        cmocka_unit_test(test_fingerprint_matches_constants_and_parameters),
        cmocka_unit_test(test_statements_find_matches_a_live_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
