/* The action layer against the harness's primary, through the real app
 * (config_load, app_init: the very conninfo options pgdeck uses):
 *   - a read-only pgdeck connection is refused writes by the server itself,
 *     while pg_cancel_backend still runs (why the client gate exists);
 *   - DDL on a reserved connection gives up after lock_timeout, names the
 *     session holding the lock, and leaves the connection as it found it
 *     (lock_timeout and statement_timeout reset). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/action.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "net/conninfo.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "integration/loop_helpers.h"
#include "integration/app_fixture.h"

static void test_read_only_connection_is_refused_writes_by_the_server(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    char *argv[] = { "pgdeck", "-R", NULL };
    start_app_up(&app, &cfg, 2, argv);

    const char *writes[] = {
        "CREATE TABLE pgdeck_ro_probe (a int)",
        "CREATE INDEX pgdeck_ro_probe_idx ON pg_catalog.pg_class (relname)",
        "CREATE MATERIALIZED VIEW pgdeck_ro_probe_mv AS SELECT 1",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        struct answer a = ask(&app, writes[i]);
        assert_non_null(strstr(a.error, "read-only transaction"));
    }
    struct answer ro = ask(&app, "SHOW default_transaction_read_only");
    assert_string_equal(ro.value, "on");
    /* Signalling a backend is a plain SELECT: the server lets it through,
     * which is why pgdeck's own gate refuses C and K in read-only mode. */
    struct answer sig = ask(&app, "SELECT pg_cancel_backend(0)");
    assert_string_equal(sig.error, "");
    assert_string_equal(sig.value, "f");
    stop_app(&app, &cfg);
}

/* Other roles may plant functions and operators in public that a closer
 * signature would pick over pg_catalog's: every pgdeck session searches
 * pg_catalog only, whatever the user's options or the server's defaults
 * say, and speaks UTF-8 whatever PGCLIENTENCODING says. */
static void test_every_session_searches_pg_catalog_only_and_speaks_utf8(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    setenv("PGCLIENTENCODING", "LATIN1", 1);
    char conninfo[1024];
    snprintf(conninfo, sizeof conninfo, "%s options='-c search_path=public'", getenv("DATABASE_URL"));
    char *argv[] = { "pgdeck", conninfo, NULL };
    start_app_up(&app, &cfg, 2, argv);
    unsetenv("PGCLIENTENCODING");
    struct answer path = ask(&app, "SHOW search_path");
    assert_string_equal(path.error, "");
    assert_string_equal(path.value, "pg_catalog");
    struct answer enc = ask(&app, "SHOW client_encoding");
    assert_string_equal(enc.value, "UTF8");
    /* A name in public (the harness's pg_stat_statements view) is not
     * found unqualified. */
    struct answer found = ask(&app, "SELECT to_regclass('pg_stat_statements') IS NULL "
                                    "AND to_regclass('public.pg_stat_statements') IS NOT NULL");
    assert_string_equal(found.value, "t");
    stop_app(&app, &cfg);
}

struct outcome {
    bool done;
    enum action_outcome outcome;
    char message[1024];
};

static void action_done(void *arg, struct action *a)
{
    struct outcome *o = arg;
    o->done = true;
    o->outcome = action_outcome(a);
    snprintf(o->message, sizeof o->message, "%s", action_message(a));
}

static const struct action_hooks hooks = { .done = action_done, .front_end = "run" };

static void test_ddl_gives_up_after_lock_timeout_and_resets_the_session(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    /* One connection: the action must get the very connection asked below. */
    setenv("DB_POOL_MIN", "1", 1);
    setenv("DB_POOL_MAX", "1", 1);
    char *argv[] = { "pgdeck", "--lock-timeout", "400", NULL };
    start_app_up(&app, &cfg, 3, argv);
    unsetenv("DB_POOL_MIN");
    unsetenv("DB_POOL_MAX");

    struct answer a = ask(&app, "DROP TABLE IF EXISTS public.pgdeck_locked_probe");
    a = ask(&app, "CREATE TABLE public.pgdeck_locked_probe (a int)");
    assert_string_equal(a.error, "");

    /* Another session holds the table. */
    struct conninfo ci;
    char err[256];
    assert_int_equal(conninfo_parse(&ci, getenv("DATABASE_URL"), err, sizeof err), 0);
    struct pgconn_options o = { .label = "holder", .connect_timeout = 5, .query_timeout = 30 };
    struct pgconn *holder = pgconn_new(loop, &ci, &o, NULL, NULL);
    conninfo_free(&ci);
    for (int i = 0; i < 200 && pgconn_state(holder) != PGCONN_UP; i++) {
        bool never = false;
        run_until(&never, 0.05);
    }
    assert_int_equal(pgconn_state(holder), PGCONN_UP);
    struct answer b = { 0 }, l = { 0 };
    pgconn_send(holder, "BEGIN", 0, NULL, 0, got_answer, &b);
    pgconn_send(holder, "LOCK TABLE public.pgdeck_locked_probe IN ACCESS EXCLUSIVE MODE", 0, NULL, 0, got_answer, &l);
    assert_true(run_until(&l.done, 5));
    assert_string_equal(l.error, "");

    struct outcome out = { 0 };
    struct action_target t = { .schema = "public", .name = "pgdeck_locked_probe" };
    double t0 = now_monotonic();
    action_start(&app, action_find("analyze"), &t, false, &hooks, &out);
    assert_true(run_until(&out.done, 10));
    double took = now_monotonic() - t0;
    assert_int_equal(out.outcome, ACTION_FAILED);
    assert_non_null(strstr(out.message, "gave up after lock_timeout 400 ms: another session holds a lock "
                                        "on public.pgdeck_locked_probe (pid "));
    assert_true(took >= 0.35 && took < 5);

    /* The connection went back as it came: pgdeck's own settings again. */
    struct answer lt = ask(&app, "SHOW lock_timeout");
    assert_string_equal(lt.value, "0");
    struct answer st = ask(&app, "SHOW statement_timeout");
    assert_string_equal(st.value, "5s");

    struct answer r = { 0 };
    pgconn_send(holder, "ROLLBACK", 0, NULL, 0, got_answer, &r);
    assert_true(run_until(&r.done, 5));
    pgconn_close(holder);

    /* Free now: the same action succeeds. */
    struct outcome ok = { 0 };
    action_start(&app, action_find("analyze"), &t, false, &hooks, &ok);
    assert_true(run_until(&ok.done, 10));
    assert_int_equal(ok.outcome, ACTION_OK);
    assert_non_null(strstr(ok.message, "analyzed"));
    ask(&app, "DROP TABLE public.pgdeck_locked_probe");
    stop_app(&app, &cfg);
}

static int group_setup(void **state)
{
    (void)state;
    return fixture_setup("/tmp/pgdeck-actions-XXXXXX");
}

static int group_teardown(void **state)
{
    (void)state;
    return fixture_teardown();
}

int main(void)
{
    loop = uv_default_loop();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_connection_is_refused_writes_by_the_server),
        cmocka_unit_test(test_every_session_searches_pg_catalog_only_and_speaks_utf8),
        cmocka_unit_test(test_ddl_gives_up_after_lock_timeout_and_resets_the_session),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
