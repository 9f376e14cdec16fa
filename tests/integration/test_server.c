/* "A server" (net/server.h) against the harness's real servers: the
 * primary and the replica as pools, PgBouncer's console as one connection,
 * Redis; each says up, its version and standby, and when the harness
 * stops it: down, why, since when, when it retries, and its state callback
 * hears each change.  Also the pool's queue (net/query_queue.h): queries
 * that wait for a connection, time out, or are failed with the pool or
 * with the connection; and the monitoring queries' pipelines: prepared
 * once per session, a loop turn's queries in one round trip, an error or
 * a timeout failing only its own query, prepared again after a
 * reconnect. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/embedded.h"
#include "net/conninfo.h"
#include "net/server.h"
#include "base/xalloc.h"
#include "integration/loop_helpers.h"

/* Servers, what their callbacks heard and the answers they fill are
 * static: a test that fails leaves its connections on the loop, and those
 * must not write into a stack frame that is gone while the next test
 * runs. */

static int harness(const char *command)
{
    char *cmd = xasprintf("sh tests/harness.sh %s >/dev/null 2>&1", command);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* What the state callback heard: `up` and `down` are set when the state
 * changes to them (Redis reports "up" again with its version). */
struct heard {
    struct server *server;
    int  calls;
    enum pgconn_state last;
    bool up, down;
    char error[512];
};

static void heard_change(void *arg, struct server *s)
{
    struct heard *h = arg;
    h->server = s;
    h->calls++;
    enum pgconn_state now = server_state(s);
    if (now == PGCONN_UP && (h->calls == 1 || h->last != PGCONN_UP))
        h->up = true;
    if (now == PGCONN_DOWN) {
        h->down = true;
        snprintf(h->error, sizeof h->error, "%s", server_error(s) ? server_error(s) : "");
    }
    h->last = now;
}

static void parse(struct conninfo *ci, const char *text)
{
    char err[256];
    memset(ci, 0, sizeof *ci);
    assert_int_equal(conninfo_parse(ci, text, err, sizeof err), 0);
    conninfo_set(ci, "application_name", "pgdeck-test");
}

static void open_pool_idle(struct server *s, enum server_id id, const char *conninfo,
                           double query_timeout, int max, double idle_timeout, struct heard *h)
{
    struct conninfo ci;
    parse(&ci, conninfo);
    struct pgpool_options o = { .label = "test", .min = 1, .max = max, .idle_timeout = idle_timeout,
                                .connect_timeout = 5, .query_timeout = query_timeout };
    server_init(s, id);
    server_open_pool(s, loop, &ci, &o, heard_change, h);
    conninfo_free(&ci);
}

static void open_pool(struct server *s, enum server_id id, const char *conninfo,
                      double query_timeout, int max, struct heard *h)
{
    open_pool_idle(s, id, conninfo, query_timeout, max, 30, h);
}

static void open_bouncer(struct server *s, struct heard *h)
{
    struct conninfo ci;
    parse(&ci, env("PGBOUNCER_URL"));
    struct pgconn_options o = { .label = "pgbouncer", .connect_timeout = 5, .query_timeout = 5,
                                .reconnect = true, .simple_protocol = true };
    server_init(s, SERVER_PGBOUNCER);
    server_open_conn(s, loop, &ci, &o, heard_change, h);
    conninfo_free(&ci);
}

static void open_redis(struct server *s, struct heard *h)
{
    struct redis_target t = { 0 };
    char err[256];
    assert_int_equal(redis_target_parse(&t, env("REDIS_URL"), err, sizeof err), 0);
    server_init(s, SERVER_REDIS);
    server_open_redis(s, loop, &t, 3, 3, heard_change, h);
    redis_target_free(&t);
}

static void close_server(struct server *s)
{
    server_close(s);
    settle();
}

/* The harness's server `id`, opened the way pgdeck opens its kind; `h`
 * (zeroed here) hears its changes. */
static void open_server(struct server *s, enum server_id id, struct heard *h)
{
    memset(h, 0, sizeof *h);
    switch (id) {
    case SERVER_PRIMARY:
        open_pool(s, id, env("DATABASE_URL"), 5, 2, h);
        break;
    case SERVER_REPLICA:
        open_pool(s, id, env("DATABASE_READ_REPLICA_URL"), 5, 2, h);
        break;
    case SERVER_PGBOUNCER:
        open_bouncer(s, h);
        break;
    default:
        open_redis(s, h);
        break;
    }
}

/* A pool of up to `max` connections to the primary, up. */
static struct pgpool *primary_pool_up(struct server *s, struct heard *h, double query_timeout, int max)
{
    memset(h, 0, sizeof *h);
    open_pool(s, SERVER_PRIMARY, env("DATABASE_URL"), query_timeout, max, h);
    assert_true(run_until(&h->up, 10));
    return server_pool(s);
}

static void send_to(struct pgpool *pool, const char *sql, struct answer *a)
{
    memset(a, 0, sizeof *a);
    assert_int_equal(pgpool_send(pool, sql, 0, NULL, 0, got_answer, a), 0);
}

/* ---- the four servers, up ---- */

static void test_unconfigured_server_keeps_its_name_and_says_nothing(void **state)
{
    (void)state;
    static const char *const names[] = { "primary", "replica", "pgbouncer", "redis" };
    for (int i = 0; i < SERVER_COUNT; i++) {
        struct server s;
        server_init(&s, (enum server_id)i);
        assert_string_equal(server_name(&s), names[i]);
        assert_false(server_configured(&s));
        assert_int_equal(server_state(&s), PGCONN_CLOSED);
        assert_null(server_version(&s));
        assert_null(server_error(&s));
        assert_string_equal(server_error_reason(&s), "?");
        assert_false(server_standby(&s));
        assert_true(server_retry_in(&s) == 0);
        server_given_up(&s);
        assert_true(server_down_since(&s) == 0);
        assert_null(server_pool(&s));
        assert_null(server_conn(&s));
        assert_null(server_redis(&s));
        server_close(&s);
    }
}

static void test_each_kind_comes_up_with_its_version(void **state)
{
    (void)state;
    static struct server primary, replica, bouncer, redis;
    static struct heard hp, hr, hb, hd;
    open_server(&primary, SERVER_PRIMARY, &hp);
    open_server(&replica, SERVER_REPLICA, &hr);
    open_server(&bouncer, SERVER_PGBOUNCER, &hb);
    open_server(&redis, SERVER_REDIS, &hd);
    assert_true(server_configured(&primary));
    assert_true(run_until(&hp.up, 10));
    assert_true(run_until(&hr.up, 10));
    assert_true(run_until(&hb.up, 10));
    assert_true(run_until(&hd.up, 10));
    /* Redis says its version with the answer to INFO, after "up". */
    for (int i = 0; i < 50 && !server_version(&redis); i++) {
        bool never = false;
        run_until(&never, 0.05);
    }

    assert_ptr_equal(hp.server, &primary);
    assert_int_equal(server_state(&primary), PGCONN_UP);
    assert_int_equal(strncmp(server_version(&primary), "15.", 3), 0);
    assert_false(server_standby(&primary));
    assert_null(server_error(&primary));
    assert_true(server_down_since(&primary) == 0);
    assert_non_null(server_pool(&primary));
    assert_null(server_conn(&primary));

    assert_true(server_standby(&replica));
    assert_int_equal(strncmp(server_version(&replica), "15.", 3), 0);

    /* PgBouncer's console: its own version ("1.18.0"), never a standby. */
    assert_int_equal(server_state(&bouncer), PGCONN_UP);
    assert_int_equal(strncmp(server_version(&bouncer), "1.", 2), 0);
    assert_false(server_standby(&bouncer));
    assert_non_null(server_conn(&bouncer));

    assert_int_equal(server_state(&redis), PGCONN_UP);
    assert_non_null(server_version(&redis));
    assert_int_equal(strncmp(server_version(&redis), "7.", 2), 0);
    assert_non_null(server_redis(&redis));
    assert_null(server_pool(&redis));

    close_server(&primary);
    close_server(&replica);
    close_server(&bouncer);
    close_server(&redis);
    assert_false(server_configured(&primary));
    assert_int_equal(server_state(&redis), PGCONN_CLOSED);
}

/* ---- the harness stops a server: down, why, since when; and back ---- */

/* The harness stops server `id` and starts it again: the callback hears
 * it go down, with a reason, "down since" stays at the first failure
 * through the retries, and it comes back by itself. */
static struct server *down_and_up(enum server_id id, const char *stop, const char *start)
{
    static struct server servers[SERVER_COUNT];
    static struct heard heard[SERVER_COUNT];
    struct server *s = &servers[id];
    struct heard *h = &heard[id];
    open_server(s, id, h);
    assert_true(run_until(&h->up, 10));
    h->up = h->down = false;
    int calls = h->calls;
    double before = now_wall();
    assert_int_equal(harness(stop), 0);
    /* Noticed without any query being sent. */
    assert_true(run_until(&h->down, 15));
    assert_true(h->calls > calls);
    assert_int_equal(server_state(s), PGCONN_DOWN);
    assert_non_null(server_error(s));
    assert_true(server_error(s)[0] != '\0');
    assert_string_equal(h->error, server_error(s));
    assert_string_not_equal(server_error_reason(s), "?");
    assert_true(server_down_since(s) >= before - 1);
    double since = server_down_since(s);
    /* Retried with backoff (the first retry within the 0.5 s base); a
     * failed retry does not move "down since". */
    bool never = false;
    run_until(&never, 1.5);
    if (server_state(s) == PGCONN_DOWN && !h->up)
        assert_true(server_down_since(s) == since);
    assert_int_equal(harness(start), 0);
    assert_true(run_until(&h->up, 40));
    assert_int_equal(server_state(s), PGCONN_UP);
    assert_null(server_error(s));
    assert_true(server_down_since(s) == 0);
    assert_true(server_retry_in(s) == 0);
    return s;
}

static void test_primary_stopped_is_down_then_up_again(void **state)
{
    (void)state;
    close_server(down_and_up(SERVER_PRIMARY, "stop-primary fast", "start-primary"));
}

static void test_pgbouncer_killed_is_down_then_up_again(void **state)
{
    (void)state;
    close_server(down_and_up(SERVER_PGBOUNCER, "kill-bouncer", "start-bouncer"));
}

static void test_redis_killed_is_down_then_up_again(void **state)
{
    (void)state;
    close_server(down_and_up(SERVER_REDIS, "kill-redis", "start-redis"));
}

static void test_replica_stopped_is_down_then_up_again(void **state)
{
    (void)state;
    struct server *s = down_and_up(SERVER_REPLICA, "stop-replica", "start-replica");
    assert_true(server_standby(s));
    close_server(s);
}

/* A refused connect: the short reason, a retry countdown, and "down since"
 * from the first failure. */
static void test_refused_server_says_why_and_when_it_retries(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    memset(&h, 0, sizeof h);
    open_pool(&s, SERVER_PRIMARY, "host=127.0.0.1 port=1 dbname=x user=x", 5, 1, &h);
    assert_true(run_until(&h.down, 10));
    assert_int_equal(server_state(&s), PGCONN_DOWN);
    assert_non_null(strstr(server_error(&s), "connection to server at \"127.0.0.1\", port 1 failed"));
    assert_string_equal(server_error_reason(&s), "Connection refused");
    assert_true(server_retry_in(&s) > 0);
    assert_true(server_retry_in(&s) <= 30);
    assert_true(server_down_since(&s) > 0);
    close_server(&s);
}

/* A one-shot front end stops waiting: a server still on its first connect
 * counts as down from then, and no longer once it is up. */
static void test_given_up_while_connecting_counts_as_down_until_up(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    memset(&h, 0, sizeof h);
    char *ci = xasprintf("host=localhost port=%s user=postgres dbname=pgdeck", env("PGDECK_PG_PORT"));
    open_pool(&s, SERVER_PRIMARY, ci, 5, 1, &h);
    free(ci);
    /* The host name is being looked up: still connecting. */
    assert_int_equal(server_state(&s), PGCONN_CONNECTING);
    assert_true(server_down_since(&s) == 0);
    server_given_up(&s);
    assert_true(server_down_since(&s) > 0);
    assert_true(run_until(&h.up, 10));
    assert_true(server_down_since(&s) == 0);
    close_server(&s);
}

/* ---- the pool's queue ---- */

/* One connection: the others wait in the pool's queue and are answered in
 * the order they were sent. */
static void test_pool_queries_wait_their_turn_in_order(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer a[4];
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    answers_seen = 0;
    for (int i = 0; i < 4; i++) {
        char *sql = xasprintf("SELECT %d, pg_sleep(0.05)", i);
        send_to(pool, sql, &a[i]);
        free(sql);
    }
    struct pgpool_stats st;
    pgpool_stats(pool, &st);
    assert_int_equal(st.open, 1);
    assert_int_equal(st.waiting, 3);
    assert_int_equal(st.busy, 1);
    assert_true(run_until(&a[3].done, 10));
    for (int i = 0; i < 4; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(a[i].error, "");
        assert_string_equal(a[i].value, want);
        assert_int_equal(a[i].order, i + 1);
    }
    pgpool_stats(pool, &st);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.busy, 0);
    assert_true(st.queries >= 4);
    close_server(&s);
}

/* A pool query past its timeout is cancelled on the server, says so, and
 * the connection answers the next one. */
static void test_pool_query_times_out_and_the_pool_goes_on(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer slow, next;
    struct pgpool *pool = primary_pool_up(&s, &h, 0.5, 1);
    send_to(pool, "SELECT pg_sleep(30)", &slow);
    send_to(pool, "SELECT 'next'", &next);
    assert_true(run_until(&next.done, 10));
    assert_true(slow.done);
    assert_string_equal(slow.error, "timed out after 0.5 s");
    assert_string_equal(next.value, "next");
    assert_int_equal(server_state(&s), PGCONN_UP);
    close_server(&s);
}

/* The pool's backend is ended under a running query: that query fails
 * with the connection, the one waiting behind it does not, and runs once
 * the pool has connected again. */
static void test_pool_query_fails_with_its_connection_the_next_waits(void **state)
{
    (void)state;
    static struct server s, killer;
    static struct heard h, hk;
    static struct answer running, waiting, kill;
    struct pgpool *pool = primary_pool_up(&s, &h, 20, 1);
    int pid = 0;
    assert_int_equal(pgpool_backend_pids(pool, &pid, 1), 1);
    send_to(pool, "SELECT pg_sleep(20)", &running);
    send_to(pool, "SELECT 'after'", &waiting);
    char *sql = xasprintf("SELECT pg_terminate_backend(%d)", pid);
    send_to(primary_pool_up(&killer, &hk, 5, 1), sql, &kill);
    free(sql);
    assert_true(run_until(&running.done, 10));
    assert_string_not_equal(running.error, "");
    /* The query behind it was not sent on the lost connection. */
    assert_false(waiting.done);
    assert_true(run_until(&kill.done, 5));
    assert_string_equal(kill.value, "t");
    /* Back by itself, with backoff; the waiting query then runs there. */
    assert_true(run_until(&waiting.done, 20));
    assert_string_equal(waiting.error, "");
    assert_string_equal(waiting.value, "after");
    close_server(&s);
    close_server(&killer);
}

/* Closing the pool tells every query once: the running one with its
 * connection, the waiting ones with the pool. */
static void test_pool_closed_tells_running_and_waiting_queries(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer running, waiting;
    struct pgpool *pool = primary_pool_up(&s, &h, 20, 1);
    send_to(pool, "SELECT pg_sleep(20)", &running);
    send_to(pool, "SELECT 1", &waiting);
    bool never = false;
    run_until(&never, 0.2);
    server_close(&s);
    assert_true(running.done);
    assert_true(waiting.done);
    assert_string_equal(running.error, "connection closed");
    assert_string_equal(waiting.error, "pool closed");
    settle();
}

/* ---- pipelines of prepared statements ---- */

static void send_named(struct pgpool *pool, const char *stmt, const char *sql, double timeout, struct answer *a)
{
    memset(a, 0, sizeof *a);
    assert_int_equal(pgpool_send_prepared(pool, stmt, sql, 0, NULL, timeout, got_answer, a), 0);
}

/* The monitoring queries of one loop turn go to one connection as one
 * pipeline, and come back in order, each with its own answer. */
static void test_named_queries_of_a_turn_go_out_as_one_pipeline(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer a[5];
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 2);
    struct pgpool_stats before, after;
    pgpool_stats(pool, &before);
    answers_seen = 0;
    for (int i = 0; i < 5; i++) {
        char stmt[16], *sql = xasprintf("SELECT %d", i);
        snprintf(stmt, sizeof stmt, "test_%d", i);
        send_named(pool, stmt, sql, 0, &a[i]);
        free(sql);
    }
    assert_true(run_until(&a[4].done, 10));
    for (int i = 0; i < 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(a[i].error, "");
        assert_string_equal(a[i].value, want);
        assert_int_equal(a[i].order, i + 1);
    }
    pgpool_stats(pool, &after);
    assert_int_equal(after.pipelines - before.pipelines, 1);
    assert_int_equal(after.queries - before.queries, 5);
    close_server(&s);
}

/* A statement is prepared once per session and then executed by name:
 * the server's list of prepared statements holds it, with the time it was
 * prepared, which a second run does not change. */
static void test_named_query_is_prepared_once_per_session(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer first, second;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    const char *sql = "SELECT prepare_time::text FROM pg_catalog.pg_prepared_statements "
                      "WHERE name LIKE 'pgdeck\\_test\\_prepared\\_%'";
    send_named(pool, "test_prepared", sql, 0, &first);
    assert_true(run_until(&first.done, 10));
    assert_string_equal(first.error, "");
    assert_string_not_equal(first.value, "");
    send_named(pool, "test_prepared", sql, 0, &second);
    assert_true(run_until(&second.done, 10));
    assert_string_equal(second.error, "");
    assert_string_equal(second.value, first.value);
    close_server(&s);
}

/* A statement goes, of the idle sessions, to the one that has prepared
 * it: planned once, not once in each session of the pool (issue 14: the
 * catalog queries' plans were a third of the first minute's server time).
 * The first run goes to the second session (the first is busy); when both
 * are idle the second run goes there again. */
static void test_named_query_goes_where_it_is_prepared(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer slow, first, second;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 2);
    send_to(pool, "SELECT pg_catalog.pg_sleep(1)", &slow);
    const char *sql = "SELECT pg_catalog.pg_backend_pid()::text";
    send_named(pool, "test_affinity", sql, 0, &first);
    assert_true(run_until(&first.done, 10));
    assert_string_equal(first.error, "");
    assert_true(run_until(&slow.done, 10));
    send_named(pool, "test_affinity", sql, 0, &second);
    assert_true(run_until(&second.done, 10));
    assert_string_equal(second.error, "");
    assert_string_equal(second.value, first.value);
    close_server(&s);
}

/* A statement whose home (the session that prepared it) is busy a moment
 * waits for it rather than go to the idle session and be planned there a
 * second time (issue 14: each statement planned in each session of the
 * pool was half of pgdeck's server time in its first minute).  Two
 * sessions up, both idle; the statement prepared in the first; the first
 * busy for 0.1 s with another statement: the next run still answers from
 * the first. */
static void test_named_query_waits_for_its_busy_home(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer hold, grow, first, busy, again;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 2);
    /* A second session: an unnamed query that finds the first busy. */
    send_to(pool, "SELECT pg_catalog.pg_sleep(0.3)", &hold);
    send_to(pool, "SELECT pg_catalog.pg_backend_pid()::text", &grow);
    assert_true(run_until(&grow.done, 10));
    assert_true(run_until(&hold.done, 10));
    assert_string_equal(grow.error, "");
    struct pgpool_stats st;
    pgpool_stats(pool, &st);
    assert_int_equal(st.open, 2);
    const char *pid = "SELECT pg_catalog.pg_backend_pid()::text";
    send_named(pool, "test_home", pid, 0, &first);
    assert_true(run_until(&first.done, 10));
    assert_string_equal(first.error, "");
    /* The first session (where test_home is) busy with another statement. */
    send_named(pool, "test_home_busy", "SELECT pg_catalog.pg_backend_pid()::text FROM pg_catalog.pg_sleep(0.1)", 0, &busy);
    bool never = false;
    run_until(&never, 0.02);
    send_named(pool, "test_home", pid, 0, &again);
    assert_true(run_until(&again.done, 10));
    assert_true(busy.done);
    assert_string_equal(again.error, "");
    assert_string_equal(busy.value, first.value);
    assert_string_equal(again.value, first.value);
    close_server(&s);
}

/* A statement prepared nowhere yet goes to the main session (the one that
 * has prepared most), waiting for it a moment when it is busy, rather
 * than to an idle one that has prepared nothing: a session's first plans
 * pay for its catalog reads, and another session pays again (issue 14). */
static void test_new_statement_goes_to_the_main_session(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer hold, grow, first, busy, fresh;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 2);
    send_to(pool, "SELECT pg_catalog.pg_sleep(0.3)", &hold);
    send_to(pool, "SELECT pg_catalog.pg_backend_pid()::text", &grow);
    assert_true(run_until(&grow.done, 10));
    assert_true(run_until(&hold.done, 10));
    struct pgpool_stats st;
    pgpool_stats(pool, &st);
    assert_int_equal(st.open, 2);
    const char *pid = "SELECT pg_catalog.pg_backend_pid()::text";
    send_named(pool, "test_main", pid, 0, &first);
    assert_true(run_until(&first.done, 10));
    assert_string_equal(first.error, "");
    send_named(pool, "test_main_busy", "SELECT pg_catalog.pg_backend_pid()::text FROM pg_catalog.pg_sleep(0.1)", 0, &busy);
    bool never = false;
    run_until(&never, 0.02);
    send_named(pool, "test_main_fresh", pid, 0, &fresh);
    assert_true(run_until(&fresh.done, 10));
    assert_true(busy.done);
    assert_string_equal(fresh.error, "");
    assert_string_equal(busy.value, first.value);
    assert_string_equal(fresh.value, first.value);
    close_server(&s);
}

/* A monitoring query that finds every session busy waits a moment for one
 * rather than opening another at once (issue 14: a new session's start and
 * first plans cost the server more than a minute of refreshes); one that
 * waits longer does get a new session. */
static void test_named_query_waits_for_a_busy_session_before_the_pool_grows(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer shortly, next, slow, stuck;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 2);
    struct pgpool_stats before, after;
    pgpool_stats(pool, &before);
    const char *pid_after = "SELECT pg_catalog.pg_backend_pid()::text FROM pg_catalog.pg_sleep(0.1)";
    send_named(pool, "test_wait_busy", pid_after, 0, &shortly);
    bool never = false;
    run_until(&never, 0.03);
    send_named(pool, "test_wait_next", "SELECT pg_catalog.pg_backend_pid()::text", 0, &next);
    assert_true(run_until(&next.done, 10));
    assert_true(shortly.done);
    assert_string_equal(next.error, "");
    assert_string_equal(next.value, shortly.value);
    pgpool_stats(pool, &after);
    assert_int_equal(after.connects, before.connects);
    /* Busy for seconds: the pool grows, and the query does not wait for it. */
    send_named(pool, "test_wait_slow", "SELECT 'slept' FROM pg_catalog.pg_sleep(3)", 0, &slow);
    run_until(&never, 0.03);
    send_named(pool, "test_wait_next", "SELECT pg_catalog.pg_backend_pid()::text", 0, &stuck);
    assert_true(run_until(&stuck.done, 10));
    assert_false(slow.done);
    assert_string_equal(stuck.error, "");
    pgpool_stats(pool, &after);
    assert_int_equal(after.connects, before.connects + 1);
    assert_true(run_until(&slow.done, 10));
    close_server(&s);
}

/* A session the pool opened past its minimum is closed once it has been
 * idle for idle_timeout, not before; the first session stays.  (The
 * check's timer runs only while such a session is open.) */
static void test_an_extra_session_idle_past_its_timeout_is_closed(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer slow, next;
    memset(&h, 0, sizeof h);
    open_pool_idle(&s, SERVER_PRIMARY, env("DATABASE_URL"), 5, 2, 2.0, &h);
    assert_true(run_until(&h.up, 10));
    struct pgpool *pool = server_pool(&s);
    int first;
    assert_int_equal(pgpool_backend_pids(pool, &first, 1), 1);
    send_to(pool, "SELECT 'slept' FROM pg_catalog.pg_sleep(1)", &slow);
    bool never = false;
    run_until(&never, 0.03);
    send_to(pool, "SELECT pg_catalog.pg_backend_pid()::text", &next);
    assert_true(run_until(&next.done, 10));
    assert_string_equal(next.error, "");
    assert_int_not_equal(atoi(next.value), first);
    assert_true(run_until(&slow.done, 10));
    struct pgpool_stats st;
    pgpool_stats(pool, &st);
    assert_int_equal(st.open, 2);
    /* Idle for a while, less than its timeout: still open. */
    run_until(&never, 0.5);
    pgpool_stats(pool, &st);
    assert_int_equal(st.open, 2);
    double until = now_monotonic() + 10;
    while (st.open > 1 && now_monotonic() < until) {
        run_until(&never, 0.1);
        pgpool_stats(pool, &st);
    }
    assert_int_equal(st.open, 1);
    int left;
    assert_int_equal(pgpool_backend_pids(pool, &left, 1), 1);
    assert_int_equal(left, first);
    close_server(&s);
}

/* An error in a pipeline fails its own query only: the ones before and
 * after it answer (a Sync per query). */
static void test_failed_statement_fails_only_its_query(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer before, bad, unknown, after;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    send_named(pool, "test_before", "SELECT 'before'", 0, &before);
    send_named(pool, "test_bad", "SELECT 1 / 0", 0, &bad);
    send_named(pool, "test_unknown", "SELECT * FROM no_such_table_here", 0, &unknown);
    send_named(pool, "test_after", "SELECT 'after'", 0, &after);
    assert_true(run_until(&after.done, 10));
    assert_string_equal(before.value, "before");
    assert_string_equal(bad.error, "division by zero");
    assert_non_null(strstr(unknown.error, "no_such_table_here"));
    assert_string_equal(after.error, "");
    assert_string_equal(after.value, "after");
    assert_int_equal(server_state(&s), PGCONN_UP);
    close_server(&s);
}

/* A query of a pipeline past its timeout is cancelled and says so; the
 * query behind it in the same pipeline still answers. */
static void test_timeout_in_a_pipeline_fails_only_that_query(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer slow, next;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    send_named(pool, "test_slow", "SELECT pg_sleep(30)", 0.5, &slow);
    send_named(pool, "test_next", "SELECT 'next'", 0, &next);
    assert_true(run_until(&next.done, 10));
    assert_true(slow.done);
    assert_string_equal(slow.error, "timed out after 0.5 s");
    assert_string_equal(next.error, "");
    assert_string_equal(next.value, "next");
    assert_int_equal(server_state(&s), PGCONN_UP);
    close_server(&s);
}

/* ---- statements that read pg_stat_activity: one transaction a turn ---- */

static void send_activity_read(struct pgpool *pool, const char *stmt, const char *sql, struct answer *a)
{
    memset(a, 0, sizeof *a);
    assert_int_equal(pgpool_send_shared(pool, stmt, sql, 0, NULL, got_answer, a), 0);
}

static void send_shared(struct pgpool *pool, const char *stmt, const char *sql, const char *param,
                        struct answer *a)
{
    memset(a, 0, sizeof *a);
    const char *params[] = { param };
    assert_int_equal(pgpool_send_shared(pool, stmt, sql, param ? 1 : 0, param ? params : NULL,
                                        got_answer, a), 0);
}

/* The statements of a turn that read pg_stat_activity run in one
 * implicit transaction, so that the server copies every session's status
 * once, not once a statement (issue 14); a monitoring statement between
 * them keeps its own.  txid_current() names the transaction. */
static void test_activity_reads_of_a_turn_share_one_transaction(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer a, other, b, c;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    struct pgpool_stats before, after;
    pgpool_stats(pool, &before);
    const char *xid = "SELECT pg_catalog.txid_current()::text";
    send_activity_read(pool, "test_sx_a", xid, &a);
    send_named(pool, "test_sx_other", xid, 0, &other);
    send_activity_read(pool, "test_sx_b", xid, &b);
    send_activity_read(pool, "test_sx_c", xid, &c);
    assert_true(run_until(&a.done, 10) && run_until(&other.done, 10) &&
                run_until(&b.done, 10) && run_until(&c.done, 10));
    assert_string_equal(a.error, "");
    assert_string_equal(other.error, "");
    assert_string_equal(b.error, "");
    assert_string_equal(c.error, "");
    assert_string_equal(b.value, a.value);
    assert_string_equal(c.value, a.value);
    assert_string_not_equal(other.value, a.value);
    pgpool_stats(pool, &after);
    assert_int_equal(after.pipelines - before.pipelines, 1);
    close_server(&s);
}

/* A statement of such a group that fails (in its Execute, or in its
 * Prepare) fails alone: the server aborts the rest of the group, and
 * those are sent again, each with its own answer. */
static void test_an_error_in_a_shared_transaction_fails_only_its_statement(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer a, zero, bad, d;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    send_activity_read(pool, "test_sxe_a", "SELECT 'a'::text", &a);
    send_activity_read(pool, "test_sxe_zero", "SELECT (1 / 0)::text", &zero);
    send_activity_read(pool, "test_sxe_bad", "SELEC 'typo'", &bad);
    send_activity_read(pool, "test_sxe_d", "SELECT 'd'::text", &d);
    assert_true(run_until(&a.done, 10) && run_until(&zero.done, 10) &&
                run_until(&bad.done, 10) && run_until(&d.done, 10));
    assert_string_equal(a.error, "");
    assert_string_equal(a.value, "a");
    assert_string_equal(zero.error, "division by zero");
    assert_non_null(strstr(bad.error, "syntax error"));
    assert_string_equal(d.error, "");
    assert_string_equal(d.value, "d");
    /* And the next turn's group runs as a group again. */
    send_activity_read(pool, "test_sxe_a", "SELECT 'a'::text", &a);
    send_activity_read(pool, "test_sxe_d", "SELECT 'd'::text", &d);
    assert_true(run_until(&a.done, 10) && run_until(&d.done, 10));
    assert_string_equal(a.value, "a");
    assert_string_equal(d.value, "d");
    assert_int_equal(server_state(&s), PGCONN_UP);
    close_server(&s);
}

/* Every statement of a turn that may share a transaction shares it: with
 * parameters, with an embedded text (the pool remembers those by address),
 * however many.  One that fails in the middle gets its error; those
 * before it keep their results, and those after it are sent again and get
 * theirs (a pool that dropped them would answer "not run"). */
static void test_a_wide_group_keeps_every_statement_its_own_answer(void **state)
{
    (void)state;
    static struct server s;
    static struct heard h;
    static struct answer x1, plus, x2, zero, settings, x3, alone;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    const char *xid = "SELECT pg_catalog.txid_current()::text";
    const char *plus_sql = "SELECT ($1::int + 1)::text";
    const char *zero_sql = "SELECT (1 / $1::int)::text";
    const char *settings_sql = embedded_find("queries/settings.sql");
    assert_non_null(settings_sql);
    for (int turn = 0; turn < 2; turn++) {
        struct pgpool_stats before, after;
        pgpool_stats(pool, &before);
        send_shared(pool, "test_wide_x1", xid, NULL, &x1);
        send_shared(pool, "test_wide_plus", plus_sql, "41", &plus);
        send_shared(pool, "test_wide_x2", xid, NULL, &x2);
        if (turn == 0)
            send_shared(pool, "test_wide_zero", zero_sql, "0", &zero);
        send_shared(pool, "test_wide_settings", settings_sql, NULL, &settings);
        send_shared(pool, "test_wide_x3", xid, NULL, &x3);
        send_named(pool, "test_wide_alone", xid, 0, &alone);
        assert_true(run_until(&x1.done, 10) && run_until(&plus.done, 10) &&
                    run_until(&x2.done, 10) && run_until(&settings.done, 10) &&
                    run_until(&x3.done, 10) && run_until(&alone.done, 10));
        assert_string_equal(x1.error, "");
        assert_string_equal(plus.error, "");
        assert_string_equal(plus.value, "42");
        assert_string_equal(x2.error, "");
        assert_string_equal(x2.value, x1.value);
        assert_string_equal(settings.error, "");
        assert_string_equal(x3.error, "");
        assert_string_equal(alone.error, "");
        assert_string_not_equal(alone.value, x1.value);
        pgpool_stats(pool, &after);
        if (turn == 0) {
            assert_true(run_until(&zero.done, 10));
            assert_string_equal(zero.error, "division by zero");
            /* Sent again alone, after the group: its own transaction. */
            assert_string_not_equal(x3.value, x1.value);
        } else {
            /* No error: the whole turn is one group, one pipeline. */
            assert_string_equal(x3.value, x1.value);
            assert_int_equal(after.pipelines - before.pipelines, 1);
        }
    }
    assert_int_equal(server_state(&s), PGCONN_UP);
    close_server(&s);
}

/* A new session has none of the old one's statements: after a reconnect
 * the query is prepared again rather than executed by a name the server
 * does not know. */
/* The backend's pid, and whether this very statement is prepared there
 * ("1234 prepared"); a statement sent unnamed says "1234 unnamed". */
#define AGAIN_SQL "SELECT pg_backend_pid()::text || CASE WHEN EXISTS (SELECT FROM " \
    "pg_catalog.pg_prepared_statements WHERE name LIKE 'pgdeck\\_test\\_again\\_%') " \
    "THEN ' prepared' ELSE ' unnamed' END"

static void test_reconnect_prepares_again(void **state)
{
    (void)state;
    static struct server s, killer;
    static struct heard h, hk;
    static struct answer first, kill, again;
    struct pgpool *pool = primary_pool_up(&s, &h, 5, 1);
    send_named(pool, "test_again", AGAIN_SQL, 0, &first);
    assert_true(run_until(&first.done, 10));
    assert_string_equal(first.error, "");
    assert_non_null(strstr(first.value, " prepared"));
    char *sql = xasprintf("SELECT pg_terminate_backend(%d)", atoi(first.value));
    send_to(primary_pool_up(&killer, &hk, 5, 1), sql, &kill);
    free(sql);
    assert_true(run_until(&kill.done, 5));
    assert_string_equal(kill.value, "t");
    /* Until the pool has seen the session go and come back, a send may
     * meet the dead one: ask until an answer comes from a new backend. */
    double end = now_monotonic() + 20;
    do {
        bool never = false;
        run_until(&never, 0.2);
        if (pgpool_state(pool) != PGCONN_UP)
            continue;
        send_named(pool, "test_again", AGAIN_SQL, 0, &again);
        assert_true(run_until(&again.done, 10));
    } while ((!again.done || strcmp(again.error, "") != 0 || strcmp(again.value, first.value) == 0) &&
             now_monotonic() < end);
    assert_string_equal(again.error, "");
    assert_string_not_equal(again.value, first.value);
    assert_non_null(strstr(again.value, " prepared"));
    close_server(&s);
    close_server(&killer);
}

/* Through PgBouncer in transaction mode, pgdeck's sessions share server
 * sessions: a new pgdeck session meets a statement an earlier one
 * prepared there (PREPARE fails with 42P05, and the EXECUTE with it), or
 * meets a server session without it (26000).  Either way the query is
 * answered: asked again by name, or unnamed from then on.  Each round
 * is a new pool, so each prepares afresh on whatever server session
 * PgBouncer gives it. */
static void test_prepared_statements_through_a_transaction_pooler_answer(void **state)
{
    (void)state;
    char *bounced = xasprintf("host=127.0.0.1 port=%s user=postgres dbname=pgdeck", env("PGDECK_BOUNCER_PORT"));
    for (int round = 0; round < 6; round++) {
        static struct server s;
        static struct heard h;
        static struct answer a;
        memset(&h, 0, sizeof h);
        open_pool(&s, SERVER_PRIMARY, bounced, 5, 1, &h);
        assert_true(run_until(&h.up, 10));
        send_named(server_pool(&s), "test_bounced", "SELECT 'bounced'::text", 0, &a);
        assert_true(run_until(&a.done, 10));
        if (a.error[0])
            fail_msg("round %d: %s", round, a.error);
        assert_string_equal(a.value, "bounced");
        close_server(&s);
    }
    free(bounced);
}

int main(void)
{
    loop = uv_default_loop();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unconfigured_server_keeps_its_name_and_says_nothing),
        cmocka_unit_test(test_prepared_statements_through_a_transaction_pooler_answer),
        cmocka_unit_test(test_each_kind_comes_up_with_its_version),
        cmocka_unit_test(test_refused_server_says_why_and_when_it_retries),
        cmocka_unit_test(test_given_up_while_connecting_counts_as_down_until_up),
        cmocka_unit_test(test_pool_queries_wait_their_turn_in_order),
        cmocka_unit_test(test_pool_query_times_out_and_the_pool_goes_on),
        cmocka_unit_test(test_pool_query_fails_with_its_connection_the_next_waits),
        cmocka_unit_test(test_pool_closed_tells_running_and_waiting_queries),
        cmocka_unit_test(test_named_queries_of_a_turn_go_out_as_one_pipeline),
        cmocka_unit_test(test_named_query_is_prepared_once_per_session),
        cmocka_unit_test(test_named_query_goes_where_it_is_prepared),
        cmocka_unit_test(test_named_query_waits_for_its_busy_home),
        cmocka_unit_test(test_new_statement_goes_to_the_main_session),
        cmocka_unit_test(test_named_query_waits_for_a_busy_session_before_the_pool_grows),
        cmocka_unit_test(test_an_extra_session_idle_past_its_timeout_is_closed),
        cmocka_unit_test(test_failed_statement_fails_only_its_query),
        cmocka_unit_test(test_timeout_in_a_pipeline_fails_only_that_query),
        cmocka_unit_test(test_activity_reads_of_a_turn_share_one_transaction),
        cmocka_unit_test(test_an_error_in_a_shared_transaction_fails_only_its_statement),
        cmocka_unit_test(test_a_wide_group_keeps_every_statement_its_own_answer),
        cmocka_unit_test(test_reconnect_prepares_again),
        cmocka_unit_test(test_pgbouncer_killed_is_down_then_up_again),
        cmocka_unit_test(test_redis_killed_is_down_then_up_again),
        cmocka_unit_test(test_replica_stopped_is_down_then_up_again),
        cmocka_unit_test(test_primary_stopped_is_down_then_up_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
