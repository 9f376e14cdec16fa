/* Integration tests of the asynchronous core against the harness's real
 * servers: primary, replica, PgBouncer's console and Redis.  The harness
 * (tests/harness.sh) has started them and exported their addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/conninfo.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "net/redisconn.h"
#include "net/resolve.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "integration/loop_helpers.h"

static void parse(struct conninfo *ci, const char *text)
{
    char err[256];
    memset(ci, 0, sizeof *ci);
    assert_int_equal(conninfo_parse(ci, text, err, sizeof err), 0);
    conninfo_set(ci, "application_name", "pgdeck-test");
}

struct state_watch {
    bool up, down;
    char error[512];
};

static void watch_state(void *arg, struct pgconn *c)
{
    struct state_watch *w = arg;
    if (pgconn_state(c) == PGCONN_UP)
        w->up = true;
    if (pgconn_state(c) == PGCONN_DOWN) {
        w->down = true;
        snprintf(w->error, sizeof w->error, "%s", pgconn_error(c) ? pgconn_error(c) : "");
    }
}

static struct pgconn *open_conn(const char *conninfo, struct state_watch *w, double query_timeout)
{
    struct conninfo ci;
    parse(&ci, conninfo);
    struct pgconn_options o = { .label = "test", .connect_timeout = 5,
                                .query_timeout = query_timeout, .reconnect = true };
    struct pgconn *c = pgconn_new(loop, &ci, &o, watch_state, w);
    conninfo_free(&ci);
    return c;
}

static void close_conn(struct pgconn *c)
{
    pgconn_close(c);
    settle();
}

static void test_primary_answers_a_query(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn(env("DATABASE_URL"), &w, 5);
    assert_true(run_until(&w.up, 10));
    struct answer a = { 0 };
    const char *params[] = { "41" };
    assert_int_equal(pgconn_send(c, "SELECT $1::int + 1", 1, params, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "42");
    assert_true(pgconn_server_version(c) >= 150000);
    assert_false(pgconn_in_recovery(c));
    close_conn(c);
}

/* The session setup runs after every connect and before the first query,
 * whatever the startup options said (a pooler may drop them); a setup
 * that fails is a failed connect, with the server's reason, and no query
 * runs in a session that is not set up. */
static void test_session_setup_runs_before_the_first_query(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct conninfo ci;
    parse(&ci, env("DATABASE_URL"));
    conninfo_set(&ci, "options", "-c search_path=public");
    struct pgconn_options o = { .label = "test", .connect_timeout = 5, .query_timeout = 5,
                                .setup_sql = "SET search_path = pg_catalog; SET client_encoding = 'UTF8'" };
    struct pgconn *c = pgconn_new(loop, &ci, &o, watch_state, &w);
    assert_true(run_until(&w.up, 10));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT current_setting('search_path') || ' ' || "
                                    "current_setting('client_encoding')", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "pg_catalog UTF8");
    close_conn(c);

    struct state_watch bad = { 0 };
    o.setup_sql = "SET search_path = pg_catalog; SET pgdeck_no_such_setting_at_all = 1";
    o.reconnect = false;
    c = pgconn_new(loop, &ci, &o, watch_state, &bad);
    conninfo_free(&ci);
    assert_true(run_until(&bad.down, 10));
    assert_false(bad.up);
    assert_non_null(strstr(bad.error, "cannot set up the session: unrecognized configuration parameter"));
    assert_int_equal(pgconn_send(c, "SELECT 1", 0, NULL, 0, got_answer, &a), -1);
    close_conn(c);
}

static void test_replica_is_in_recovery(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn(env("DATABASE_READ_REPLICA_URL"), &w, 5);
    assert_true(run_until(&w.up, 10));
    assert_true(pgconn_in_recovery(c));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT pg_is_in_recovery()", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "t");
    close_conn(c);
}

static void test_pgbouncer_console_shows_pools(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct conninfo ci;
    parse(&ci, env("PGBOUNCER_URL"));
    struct pgconn_options o = { .label = "pgbouncer", .connect_timeout = 5, .query_timeout = 5,
                                .reconnect = true, .simple_protocol = true };
    struct pgconn *c = pgconn_new(loop, &ci, &o, watch_state, &w);
    conninfo_free(&ci);
    assert_true(run_until(&w.up, 10));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SHOW POOLS", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.error, "");
    close_conn(c);
}

static void test_query_timeout_cancels_the_query(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn(env("DATABASE_URL"), &w, 0.5);
    assert_true(run_until(&w.up, 10));
    struct answer a = { 0 };
    double t0 = now_monotonic();
    assert_int_equal(pgconn_send(c, "SELECT pg_sleep(30)", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 10));
    assert_non_null(strstr(a.error, "timed out"));
    assert_true(now_monotonic() - t0 < 5);
    /* The connection is still usable afterwards. */
    struct answer b = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT 1", 0, NULL, 0, got_answer, &b), 0);
    assert_true(run_until(&b.done, 5));
    assert_string_equal(b.value, "1");
    close_conn(c);
}

/* ---- a connection cut under a query, through a proxy ---- */

/* A unix-socket proxy in front of the harness's primary, on a thread: it
 * passes bytes both ways until told to stop, and then leaves the client's
 * socket to the test, which cuts it the way a backend that dies does. */
struct proxy {
    char        dir[64];
    char        path[128];
    int         listener, client, server;
    atomic_bool stop;
    pthread_t   thread;
};

static int unix_socket(const char *path, bool listening)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int rc = listening ? bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1)
                       : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool pass_on(int from, int to)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof buf);
    return n > 0 && write(to, buf, (size_t)n) == n;
}

static void *proxy_run(void *arg)
{
    struct proxy *p = arg;
    p->client = accept(p->listener, NULL, NULL);
    char *server = xasprintf("%s/.s.PGSQL.%s", env("PGDECK_SOCKET_DIR"), env("PGDECK_PG_PORT"));
    p->server = unix_socket(server, false);
    free(server);
    while (!atomic_load(&p->stop) && p->client >= 0 && p->server >= 0) {
        struct pollfd fds[2] = { { .fd = p->client, .events = POLLIN }, { .fd = p->server, .events = POLLIN } };
        if (poll(fds, 2, 20) < 0)
            break;
        if ((fds[0].revents && !pass_on(p->client, p->server)) ||
            (fds[1].revents && !pass_on(p->server, p->client)))
            break;
    }
    return NULL;
}

static void proxy_start(struct proxy *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/pgproxy-XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    snprintf(p->path, sizeof p->path, "%s/.s.PGSQL.5432", p->dir);
    p->listener = unix_socket(p->path, true);
    assert_true(p->listener >= 0);
    p->client = p->server = -1;
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_run, p), 0);
}

/* The server's last words and the error on the socket come together: a
 * backend ended (pg_terminate_backend) before it read the query sent to
 * it.  libuv then reports the poll with an error status and stops the
 * handle; the query must still end, with the connection, rather than wait
 * for its timeout. */
static void test_query_ends_when_the_server_dies_before_reading_it(void **state)
{
    (void)state;
    static struct proxy p;
    proxy_start(&p);
    char *ci = xasprintf("host=%s port=5432 user=postgres dbname=pgdeck", p.dir);
    static struct state_watch w;
    memset(&w, 0, sizeof w);
    struct pgconn *c = open_conn(ci, &w, 20);
    free(ci);
    assert_true(run_until(&w.up, 10));
    /* Connected: the socket's name is no longer needed. */
    close(p.listener);
    unlink(p.path);
    rmdir(p.dir);

    /* The proxy stops reading: the query stays unread on its side. */
    atomic_store(&p.stop, true);
    pthread_join(p.thread, NULL);
    static struct answer a;
    memset(&a, 0, sizeof a);
    assert_int_equal(pgconn_send(c, "SELECT 1", 0, NULL, 0, got_answer, &a), 0);
    /* The backend's FATAL, then a close with that query unread (the
     * kernel turns it into ECONNRESET for the client), both before the
     * loop runs again. */
    static const char fatal[] = "SFATAL\0C57P01\0Mterminating connection due to administrator command\0";
    char msg[128] = "E";
    uint32_t len = htonl((uint32_t)(4 + sizeof fatal));
    memcpy(msg + 1, &len, 4);
    memcpy(msg + 5, fatal, sizeof fatal);
    assert_int_equal(write(p.client, msg, 5 + sizeof fatal), (ssize_t)(5 + sizeof fatal));
    close(p.client);
    close(p.server);

    assert_true(run_until(&a.done, 5));
    assert_non_null(strstr(a.error, "terminating connection due to administrator command"));
    assert_true(run_until(&w.down, 5));
    close_conn(c);
}

static void test_refused_port_says_so(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    /* Port 1 on loopback: nothing listens there. */
    struct pgconn *c = open_conn("host=127.0.0.1 port=1 dbname=x user=x", &w, 5);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "refused"));
    assert_true(pgconn_retry_in(c) > 0);
    close_conn(c);
}

static void test_wrong_password_says_so(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    char *ci = xasprintf("host=127.0.0.1 port=%s user=pgdeck_pw password=wrong-one dbname=pgdeck",
                         env("PGDECK_PG_PORT"));
    struct pgconn *c = open_conn(ci, &w, 5);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "password authentication failed"));
    assert_null(strstr(w.error, "wrong-one"));
    free(ci);
    close_conn(c);
}

static void test_missing_database_says_so(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    char *ci = xasprintf("host=127.0.0.1 port=%s user=postgres dbname=no_such_db", env("PGDECK_PG_PORT"));
    struct pgconn *c = open_conn(ci, &w, 5);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "does not exist"));
    free(ci);
    close_conn(c);
}

static void test_primary_restart_reconnects_by_itself(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn(env("DATABASE_URL"), &w, 5);
    assert_true(run_until(&w.up, 10));
    w.up = false;
    assert_int_equal(system("sh tests/harness.sh stop-primary fast >/dev/null 2>&1"), 0);
    /* The loss is noticed without any query being sent. */
    assert_true(run_until(&w.down, 10));
    assert_int_equal(system("sh tests/harness.sh start-primary >/dev/null 2>&1"), 0);
    assert_true(run_until(&w.up, 40));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT 7", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "7");
    assert_true(pgconn_connects(c) >= 2);
    close_conn(c);
}

/* ---- host names, looked up on libuv's thread pool ---- */

static void test_primary_by_name_comes_up(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    char *ci = xasprintf("host=localhost port=%s user=postgres dbname=pgdeck", env("PGDECK_PG_PORT"));
    struct pgconn *c = open_conn(ci, &w, 5);
    free(ci);
    /* The lookup is out: the connect goes on without blocking here. */
    assert_int_equal(pgconn_state(c), PGCONN_CONNECTING);
    assert_true(resolve_in_flight() > 0);
    assert_true(run_until(&w.up, 10));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT inet_server_addr()::text", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "127.0.0.1/32");
    close_conn(c);
}

static void test_unresolvable_name_is_said_in_libpq_words_and_retried(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn("host=db.example.invalid port=5432 dbname=x user=x", &w, 5);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "could not translate host name \"db.example.invalid\" to address: "));
    assert_true(pgconn_retry_in(c) > 0);
    close_conn(c);
}

static void test_refused_after_a_lookup_names_the_host(void **state)
{
    (void)state;
    struct state_watch w = { 0 };
    struct pgconn *c = open_conn("host=localhost port=1 dbname=x user=x", &w, 5);
    assert_true(run_until(&w.down, 10));
    /* As libpq says it when it looks the name up itself. */
    assert_non_null(strstr(w.error, "connection to server at \"localhost\" (127.0.0.1), port 1 failed"));
    close_conn(c);
}

struct lookup_seen {
    bool done;
    int  count;
    char first[64];
    char error[256];
};

static void lookup_seen(void *arg, const struct resolve_answer *answers, int n)
{
    struct lookup_seen *s = arg;
    assert_int_equal(n, 1);
    s->done = true;
    s->count = answers[0].count;
    if (answers[0].count > 0)
        snprintf(s->first, sizeof s->first, "%s", answers[0].addrs[0]);
    if (answers[0].error)
        snprintf(s->error, sizeof s->error, "%s", answers[0].error);
}

static void test_lookups_of_one_name_are_shared_and_cancelled_alone(void **state)
{
    (void)state;
    char *names[] = { "localhost" };
    struct lookup_seen a = { 0 }, b = { 0 };
    struct resolve *ra = resolve_start(loop, names, 1, lookup_seen, &a);
    struct resolve *rb = resolve_start(loop, names, 1, lookup_seen, &b);
    assert_non_null(ra);
    assert_non_null(rb);
    /* One getaddrinfo for both. */
    assert_int_equal(resolve_in_flight(), 1);
    assert_string_equal(resolve_waiting_for(rb), "localhost");
    /* The one cancelled hears nothing; the other still gets its answer. */
    resolve_cancel(ra);
    assert_true(run_until(&b.done, 10));
    assert_false(a.done);
    assert_true(b.count > 0);
    assert_string_equal(b.error, "");

    /* A lookup dropped before any thread took it is never joined: a new
     * request for the name gets an answer, not "cancelled". */
    for (int i = 0; i < 20; i++) {
        struct lookup_seen c = { 0 }, d = { 0 };
        resolve_cancel(resolve_start(loop, names, 1, lookup_seen, &c));
        assert_non_null(resolve_start(loop, names, 1, lookup_seen, &d));
        assert_true(run_until(&d.done, 10));
        assert_false(c.done);
        assert_true(d.count > 0);
        assert_string_equal(d.error, "");
    }
    bool never = false;
    for (int i = 0; i < 100 && resolve_in_flight() > 0; i++)
        run_until(&never, 0.05);
    assert_int_equal(resolve_in_flight(), 0);
}

static void test_close_while_looking_up_leaves_nothing_behind(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        struct state_watch w = { 0 };
        struct pgconn *c = open_conn("host=localhost port=1 dbname=x user=x", &w, 5);
        pgconn_close(c);
    }
    /* The lookups come back to nobody and free themselves (the sanitizer
     * build checks the memory). */
    bool never = false;
    for (int i = 0; i < 100 && resolve_in_flight() > 0; i++)
        run_until(&never, 0.05);
    assert_int_equal(resolve_in_flight(), 0);
}

struct pool_watch { bool up; };
static void pool_state(void *arg, struct pgpool *p)
{
    struct pool_watch *w = arg;
    if (pgpool_state(p) == PGCONN_UP)
        w->up = true;
}

static void reserved(void *arg, struct pgconn *conn, const char *error)
{
    (void)error;
    *(struct pgconn **)arg = conn;
}

static void test_pool_keeps_monitoring_free_while_a_long_query_runs(void **state)
{
    (void)state;
    struct conninfo ci;
    parse(&ci, env("DATABASE_URL"));
    struct pgpool_options o = { .label = "primary", .min = 1, .max = 3, .idle_timeout = 30,
                                .connect_timeout = 5, .query_timeout = 20 };
    struct pool_watch w = { 0 };
    struct pgpool *p = pgpool_new(loop, &ci, &o, pool_state, &w);
    conninfo_free(&ci);
    assert_true(run_until(&w.up, 10));

    /* A reserved connection runs a long statement ... */
    struct pgconn *conn = NULL;
    pgpool_reserve(p, reserved, &conn);
    bool have = false;
    for (int i = 0; i < 100 && !conn; i++)
        run_until(&have, 0.1);
    assert_non_null(conn);
    struct answer slow = { 0 };
    assert_int_equal(pgconn_send(conn, "SELECT pg_sleep(3)", 0, NULL, 0, got_answer, &slow), 0);

    /* ... while monitoring queries still answer quickly. */
    double t0 = now_monotonic();
    struct answer quick = { 0 };
    assert_int_equal(pgpool_send(p, "SELECT 'quick'", 0, NULL, 0, got_answer, &quick), 0);
    assert_true(run_until(&quick.done, 5));
    assert_string_equal(quick.value, "quick");
    assert_true(now_monotonic() - t0 < 2.5);
    assert_false(slow.done);
    assert_true(run_until(&slow.done, 10));
    pgpool_release(p, conn);

    struct pgpool_stats st;
    pgpool_stats(p, &st);
    assert_true(st.open >= 2);
    assert_true(st.open <= 3);
    pgpool_free(p);
    settle();
}

struct redis_watch { bool up, down; char error[256]; };
static void redis_state(void *arg, struct redisconn *rc)
{
    struct redis_watch *w = arg;
    if (redisconn_state(rc) == PGCONN_UP)
        w->up = true;
    if (redisconn_state(rc) == PGCONN_DOWN) {
        w->down = true;
        snprintf(w->error, sizeof w->error, "%s", redisconn_error(rc) ? redisconn_error(rc) : "");
    }
}

struct redis_answer { bool done; char value[64]; char error[128]; };
static void redis_reply(void *arg, const redisReply *r, const char *error)
{
    struct redis_answer *a = arg;
    a->done = true;
    if (error)
        snprintf(a->error, sizeof a->error, "%s", error);
    else if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)
        snprintf(a->value, sizeof a->value, "%s", r->str);
}

static struct redisconn *open_redis(const char *url, struct redis_watch *w)
{
    struct redis_target t = { 0 };
    char err[256];
    assert_int_equal(redis_target_parse(&t, url, err, sizeof err), 0);
    struct redisconn *rc = redisconn_new(loop, &t, 3, 3, redis_state, w);
    redis_target_free(&t);
    return rc;
}

static void test_redis_answers_ping(void **state)
{
    (void)state;
    struct redis_watch w = { 0 };
    struct redisconn *rc = open_redis(env("REDIS_URL"), &w);
    assert_true(run_until(&w.up, 10));
    struct redis_answer a = { 0 };
    const char *argv[] = { "PING" };
    assert_int_equal(redisconn_command(rc, redis_reply, &a, 1, argv), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "PONG");
    redisconn_close(rc);
    settle();
}

/* A Redis that stops answering (SIGSTOP: the connection stays open)
 * fails the command it was sent once the command timeout has passed, and
 * the connection is dropped, though the watchdog that times it had
 * nothing to watch while the connection sat idle. */
static void test_redis_that_stops_answering_times_out_its_command(void **state)
{
    (void)state;
    struct redis_watch w = { 0 };
    struct redis_target t = { 0 };
    char err[256];
    assert_int_equal(redis_target_parse(&t, env("REDIS_URL"), err, sizeof err), 0);
    struct redisconn *rc = redisconn_new(loop, &t, 3, 1, redis_state, &w);
    redis_target_free(&t);
    assert_true(run_until(&w.up, 10));
    bool never = false;
    run_until(&never, 0.6);             /* idle: nothing pending */
    char *path = xasprintf("%s/redis/redis.pid", env("PGDECK_RUN"));
    FILE *f = fopen(path, "r");
    free(path);
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    struct redis_answer a = { 0 };
    const char *argv[] = { "PING" };
    int sent = redisconn_command(rc, redis_reply, &a, 1, argv);
    run_until(&a.done, 5);
    kill(pid, SIGCONT);
    assert_int_equal(sent, 0);
    assert_true(a.done);
    assert_non_null(strstr(a.error, "no answer in 1.0 s"));
    assert_true(w.down);
    redisconn_close(rc);
    settle();
}

static void test_redis_refused_is_reported_not_hung(void **state)
{
    (void)state;
    struct redis_watch w = { 0 };
    struct redisconn *rc = open_redis("redis://127.0.0.1:1/0", &w);
    assert_true(run_until(&w.down, 5));
    assert_non_null(strstr(w.error, "refused"));
    redisconn_close(rc);
    settle();
}

static void test_redis_by_name_comes_up(void **state)
{
    (void)state;
    struct redis_watch w = { 0 };
    char *url = xasprintf("redis://localhost:%s/0", env("PGDECK_REDIS_PORT"));
    /* Closed while its lookup is out: the lookup comes back to nobody. */
    struct redis_watch gone = { 0 };
    redisconn_close(open_redis(url, &gone));
    struct redisconn *rc = open_redis(url, &w);
    free(url);
    assert_int_equal(redisconn_state(rc), PGCONN_CONNECTING);
    assert_true(run_until(&w.up, 10));
    struct redis_answer a = { 0 };
    const char *argv[] = { "PING" };
    assert_int_equal(redisconn_command(rc, redis_reply, &a, 1, argv), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "PONG");
    redisconn_close(rc);
    settle();
}

static void test_redis_unresolvable_name_is_said_in_libpq_words(void **state)
{
    (void)state;
    struct redis_watch w = { 0 };
    struct redisconn *rc = open_redis("redis://db.example.invalid:6379/0", &w);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "could not translate host name \"db.example.invalid\" to address: "));
    assert_true(redisconn_retry_in(rc) > 0);
    redisconn_close(rc);
    settle();
}

static void test_redis_stopped_leaves_postgres_working(void **state)
{
    (void)state;
    struct redis_watch rw = { 0 };
    struct redisconn *rc = open_redis(env("REDIS_URL"), &rw);
    struct state_watch pw = { 0 };
    struct pgconn *c = open_conn(env("DATABASE_URL"), &pw, 5);
    assert_true(run_until(&rw.up, 10));
    assert_true(run_until(&pw.up, 10));
    assert_int_equal(system("sh tests/harness.sh kill-redis >/dev/null 2>&1"), 0);
    assert_true(run_until(&rw.down, 10));
    struct answer a = { 0 };
    assert_int_equal(pgconn_send(c, "SELECT 'still here'", 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 5));
    assert_string_equal(a.value, "still here");
    assert_int_equal(system("sh tests/harness.sh start-redis >/dev/null 2>&1"), 0);
    rw.up = false;
    assert_true(run_until(&rw.up, 40));
    redisconn_close(rc);
    close_conn(c);
}

int main(void)
{
    loop = uv_default_loop();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_answers_a_query),
        cmocka_unit_test(test_session_setup_runs_before_the_first_query),
        cmocka_unit_test(test_replica_is_in_recovery),
        cmocka_unit_test(test_pgbouncer_console_shows_pools),
        cmocka_unit_test(test_query_timeout_cancels_the_query),
        cmocka_unit_test(test_query_ends_when_the_server_dies_before_reading_it),
        cmocka_unit_test(test_refused_port_says_so),
        cmocka_unit_test(test_wrong_password_says_so),
        cmocka_unit_test(test_missing_database_says_so),
        cmocka_unit_test(test_primary_by_name_comes_up),
        cmocka_unit_test(test_unresolvable_name_is_said_in_libpq_words_and_retried),
        cmocka_unit_test(test_refused_after_a_lookup_names_the_host),
        cmocka_unit_test(test_close_while_looking_up_leaves_nothing_behind),
        cmocka_unit_test(test_lookups_of_one_name_are_shared_and_cancelled_alone),
        cmocka_unit_test(test_pool_keeps_monitoring_free_while_a_long_query_runs),
        cmocka_unit_test(test_redis_answers_ping),
        cmocka_unit_test(test_redis_refused_is_reported_not_hung),
        cmocka_unit_test(test_redis_by_name_comes_up),
        cmocka_unit_test(test_redis_unresolvable_name_is_said_in_libpq_words),
        cmocka_unit_test(test_redis_stopped_leaves_postgres_working),
        cmocka_unit_test(test_redis_that_stops_answering_times_out_its_command),
        cmocka_unit_test(test_primary_restart_reconnects_by_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
