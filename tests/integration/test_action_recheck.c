/* The recheck each action makes on the server just before its first
 * statement, against the harness's primary: between the preview and the
 * yes, something changes out of band, and the action refuses, says what
 * changed, and sends nothing.
 *
 * The confirmation hook keeps the action waiting (as the console's dialog
 * does) while the test changes the database, then answers yes. */
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

static void must(struct app *app, const char *sql)
{
    struct answer a = ask(app, sql);
    if (a.error[0])
        fail_msg("%s: %s", sql, a.error);
}

/* An action that waits at its confirmation until the test answers. */
struct run {
    struct action *asking;      /* set while it waits for the answer */
    bool   asked;
    bool   done;
    enum action_outcome outcome;
    char   message[1024];
};

static void held_confirm(void *arg, struct action *a)
{
    struct run *r = arg;
    r->asking = a;
    r->asked = true;
}

static void held_done(void *arg, struct action *a)
{
    struct run *r = arg;
    r->done = true;
    r->asking = NULL;
    r->outcome = action_outcome(a);
    snprintf(r->message, sizeof r->message, "%s", action_message(a));
}

static const struct action_hooks held_hooks = {
    .confirm = held_confirm, .done = held_done, .front_end = "run",
};

/* Start `name` on `t` and wait for its question; fails the test when it
 * ended instead (with its message). */
static void start_and_wait_for_question(struct app *app, const char *name, const struct action_target *t,
                                        struct run *r)
{
    memset(r, 0, sizeof *r);
    action_start(app, action_find(name), t, false, &held_hooks, r);
    bool either = false;
    for (int i = 0; i < 200 && !r->asked && !r->done; i++)
        run_until(&either, 0.05);
    if (!r->asked)
        fail_msg("%s did not ask: %s", name, r->message);
}

static void answer_yes(struct run *r)
{
    action_confirm(r->asking, true);
    assert_true(run_until(&r->done, 15));
}

static void assert_has(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not say '%s'", text, part);
}

/* ---- sessions ------------------------------------------------------------ */

/* pid reuse cannot be forced: the pid's backend is given a start time it
 * does not have, which is what the recheck sees when the pid has passed
 * to a later backend. */
static void test_cancel_refused_when_the_pid_is_another_backend(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    char *argv[] = { "pgdeck", NULL };
    start_app_up(&app, &cfg, 1, argv);

    struct conninfo ci;
    char err[256];
    assert_int_equal(conninfo_parse(&ci, getenv("DATABASE_URL"), err, sizeof err), 0);
    struct pgconn_options o = { .label = "victim", .connect_timeout = 5, .query_timeout = 60 };
    struct pgconn *victim = pgconn_new(loop, &ci, &o, NULL, NULL);
    conninfo_free(&ci);
    for (int i = 0; i < 200 && pgconn_state(victim) != PGCONN_UP; i++) {
        bool never = false;
        run_until(&never, 0.05);
    }
    assert_int_equal(pgconn_state(victim), PGCONN_UP);
    struct answer slept = { 0 };
    pgconn_send(victim, "SELECT pg_sleep(30)", 0, NULL, 0, got_answer, &slept);
    int pid = pgconn_backend_pid(victim);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT backend_start::text FROM pg_stat_activity WHERE pid = %d", pid);
    struct answer start = ask(&app, sql);
    assert_true(start.value[0] != '\0');

    /* At the preview: a selection whose start time is not the backend's. */
    struct run r;
    struct action_target t = { .pid = pid, .backend_start = "2000-01-01 00:00:00+00" };
    memset(&r, 0, sizeof r);
    action_start(&app, action_find("cancel"), &t, false, &held_hooks, &r);
    assert_true(run_until(&r.done, 10));
    assert_int_equal(r.outcome, ACTION_REFUSED);
    char want[128];
    snprintf(want, sizeof want, "pid %d is now another session (started ", pid);
    assert_has(r.message, want);

    /* Between the preview and the yes. */
    struct action_target same = { .pid = pid, .backend_start = start.value };
    start_and_wait_for_question(&app, "cancel", &same, &r);
    action_set_key(r.asking, NULL, "2000-01-01 00:00:00+00");
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_REFUSED);
    assert_has(r.message, want);
    assert_has(r.message, ", nothing sent");
    snprintf(sql, sizeof sql, "SELECT state FROM pg_stat_activity WHERE pid = %d", pid);
    assert_string_equal(ask(&app, sql).value, "active");

    /* The same backend: the cancel goes through. */
    start_and_wait_for_question(&app, "cancel", &same, &r);
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_OK);
    assert_true(run_until(&slept.done, 10));
    assert_has(slept.error, "canceling statement due to user request");
    pgconn_close(victim);
    stop_app(&app, &cfg);
}

/* ---- relations ------------------------------------------------------------ */

static void test_analyze_refused_when_the_table_was_created_again(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    char *argv[] = { "pgdeck", NULL };
    start_app_up(&app, &cfg, 1, argv);
    must(&app, "DROP TABLE IF EXISTS public.pgdeck_recheck_t");
    must(&app, "CREATE TABLE public.pgdeck_recheck_t (a int)");

    struct run r;
    struct action_target t = { .schema = "public", .name = "pgdeck_recheck_t" };
    start_and_wait_for_question(&app, "analyze", &t, &r);
    must(&app, "DROP TABLE public.pgdeck_recheck_t");
    must(&app, "CREATE TABLE public.pgdeck_recheck_t (a int)");
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_REFUSED);
    assert_has(r.message, "public.pgdeck_recheck_t was dropped and created again since the preview (OID ");
    assert_has(r.message, ", nothing sent");
    assert_string_equal(ask(&app, "SELECT last_analyze IS NULL FROM pg_stat_user_tables "
                                  "WHERE relid = 'public.pgdeck_recheck_t'::regclass").value, "t");

    /* A row selected before the table was replaced: refused at once. */
    struct answer old = ask(&app, "SELECT 'public.pgdeck_recheck_t'::regclass::oid");
    must(&app, "DROP TABLE public.pgdeck_recheck_t");
    must(&app, "CREATE TABLE public.pgdeck_recheck_t (a int)");
    struct action_target stale = { .schema = "public", .name = "pgdeck_recheck_t", .oid = old.value };
    memset(&r, 0, sizeof r);
    action_start(&app, action_find("analyze"), &stale, false, &held_hooks, &r);
    assert_true(run_until(&r.done, 10));
    assert_int_equal(r.outcome, ACTION_REFUSED);
    assert_has(r.message, "is not the relation that was selected");
    must(&app, "DROP TABLE public.pgdeck_recheck_t");
    stop_app(&app, &cfg);
}

static void test_index_refused_when_built_since_the_preview(void **state)
{
    (void)state;
    char plan[128];
    snprintf(plan, sizeof plan, "%s/plan.sql", tmpdir);
    FILE *f = fopen(plan, "w");
    assert_non_null(f);
    fputs("CREATE INDEX pgdeck_recheck_idx ON public.pgdeck_recheck_i (a);\n", f);
    fclose(f);
    struct app app;
    struct config cfg;
    char *argv[] = { "pgdeck", "--plan", plan, NULL };
    start_app_up(&app, &cfg, 3, argv);
    must(&app, "DROP TABLE IF EXISTS public.pgdeck_recheck_i");
    must(&app, "CREATE TABLE public.pgdeck_recheck_i (a int)");

    struct run r;
    struct action_target t = { .schema = "public", .name = "pgdeck_recheck_idx" };
    start_and_wait_for_question(&app, "index", &t, &r);
    must(&app, "CREATE INDEX pgdeck_recheck_idx ON public.pgdeck_recheck_i (a, a)");
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_REFUSED);
    assert_has(r.message, "public.pgdeck_recheck_idx is already present (since the preview), nothing sent");
    /* The index there is the one made out of band, not a second build. */
    assert_string_equal(ask(&app, "SELECT indnatts FROM pg_index "
                                  "WHERE indexrelid = 'public.pgdeck_recheck_idx'::regclass").value, "2");
    must(&app, "DROP TABLE public.pgdeck_recheck_i");
    stop_app(&app, &cfg);
}

static void test_maintain_refused_when_the_partitions_changed(void **state)
{
    (void)state;
    struct app app;
    struct config cfg;
    char *argv[] = { "pgdeck", NULL };
    start_app_up(&app, &cfg, 1, argv);
    must(&app, "DROP TABLE IF EXISTS public.pgdeck_recheck_p");
    must(&app, "CREATE TABLE public.pgdeck_recheck_p (at timestamptz) PARTITION BY RANGE (at)");
    must(&app, "DO $$ DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'; "
               "BEGIN EXECUTE format('CREATE TABLE public.pgdeck_recheck_p_cur PARTITION OF public.pgdeck_recheck_p "
               "FOR VALUES FROM (%L) TO (%L)', m, m + interval '1 month'); END $$");

    struct run r;
    struct action_target t = { .schema = "public", .name = "pgdeck_recheck_p" };
    start_and_wait_for_question(&app, "maintain", &t, &r);
    assert_int_equal(action_step_count(r.asking), 3);
    /* Out of band, one of the partitions the preview would create. */
    must(&app, "DO $$ DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'; "
               "BEGIN EXECUTE format('CREATE TABLE public.pgdeck_recheck_p_next PARTITION OF public.pgdeck_recheck_p "
               "FOR VALUES FROM (%L) TO (%L)', m + interval '1 month', m + interval '2 months'); END $$");
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_REFUSED);
    assert_has(r.message, "the partitions of public.pgdeck_recheck_p changed since the preview (the plan is now "
                          "2 statements instead of 3");
    assert_has(r.message, ", nothing sent");
    assert_string_equal(ask(&app, "SELECT count(*) FROM pg_inherits "
                                  "WHERE inhparent = 'public.pgdeck_recheck_p'::regclass").value, "2");

    /* Nothing changes this time: the plan runs as previewed. */
    start_and_wait_for_question(&app, "maintain", &t, &r);
    answer_yes(&r);
    assert_int_equal(r.outcome, ACTION_OK);
    assert_string_equal(ask(&app, "SELECT count(*) FROM pg_inherits "
                                  "WHERE inhparent = 'public.pgdeck_recheck_p'::regclass").value, "4");
    must(&app, "DROP TABLE public.pgdeck_recheck_p");
    stop_app(&app, &cfg);
}

static int group_setup(void **state)
{
    (void)state;
    return fixture_setup("/tmp/pgdeck-recheck-XXXXXX");
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
        cmocka_unit_test(test_cancel_refused_when_the_pid_is_another_backend),
        cmocka_unit_test(test_analyze_refused_when_the_table_was_created_again),
        cmocka_unit_test(test_index_refused_when_built_since_the_preview),
        cmocka_unit_test(test_maintain_refused_when_the_partitions_changed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
