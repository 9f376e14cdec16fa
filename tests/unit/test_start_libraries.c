/* Libraries pgdeck does not map at start (issue 14, resident memory):
 * PostgreSQL's parser (libpg_query) is loaded at its first call, and a
 * process that never parses SQL never maps it (linked, about 0.7 MB);
 * libm is not linked at all (its five functions are expanded inline; its
 * load alone was 0.38 MB); hiredis is loaded at the first connect to Redis
 * (net/redisconn.c; linked, 60 kB), which this process never makes (the
 * e2e tests of the agent and the viewer make it).  This test binary is compiled and linked as
 * pgdeck is, so what it maps at start is what pgdeck maps. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/sql.h"

/* Whether this process has a file whose name holds `name` mapped. */
static bool mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    bool found = false;
    while (fgets(line, sizeof line, f))
        if (strstr(line, name))
            found = true;
    fclose(f);
    return found;
}

/* Runs first: nothing in this process has parsed yet. */
static void test_parser_is_not_mapped_before_its_first_call(void **state)
{
    (void)state;
    assert_int_equal(sql_library_calls(), 0);
    assert_false(mapped("libpg_query"));
}

static void test_first_call_loads_the_parser_and_it_works(void **state)
{
    (void)state;
    uint64_t a, b, c;
    assert_int_equal(sql_fingerprint("SELECT * FROM t WHERE a = 5", &a), 0);
    assert_true(mapped("libpg_query"));
    assert_int_equal(sql_fingerprint("select *  from t where a = $1", &b), 0);
    assert_int_equal(sql_fingerprint("SELECT * FROM u WHERE a = 5", &c), 0);
    assert_true(a == b);
    assert_true(a != c);

    struct sql_tokens t;
    assert_int_equal(sql_scan("CREATE INDEX i ON t (a)", &t), 0);
    assert_true(t.count >= 7);
    sql_tokens_free(&t);

    int at;
    char err[200];
    assert_null(sql_parse("SELEC 1", &at, err, sizeof err));
    assert_true(at >= 0);
    assert_non_null(strstr(err, "syntax error"));
}

/* The math pgdeck does (floor, ceil, round, lround in the panes' and the
 * derives' numbers) needs no libm. */
static void test_libm_is_not_mapped(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
    /* The sanitizer runtime links libm itself, and an unoptimised build
     * calls the functions it would expand: libm is then linked. */
    skip();
#endif
    assert_false(mapped("/libm.so"));
    assert_false(mapped("/libm-"));
}

/* Nothing here talks to Redis: hiredis is not mapped. */
static void test_hiredis_is_not_mapped_without_redis(void **state)
{
    (void)state;
    assert_false(mapped("libhiredis"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_is_not_mapped_before_its_first_call),
        cmocka_unit_test(test_first_call_loads_the_parser_and_it_works),
        cmocka_unit_test(test_libm_is_not_mapped),
        cmocka_unit_test(test_hiredis_is_not_mapped_without_redis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
