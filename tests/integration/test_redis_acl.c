/* Redis ACL users against the harness's Redis: a URL with user:password
 * authenticates as that user (AUTH user password), a wrong password is
 * refused with the user named and the password nowhere, and a command the
 * user may not run comes back as the server's error reply (so a caller can
 * tell "refused" from "connection lost").  Each test creates its own users
 * with ACL SETUSER and deletes them at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/conninfo.h"
#include "net/redisconn.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define SECRET "acl-S3cr3t-pw"

static uv_loop_t *loop;

static void timer_noop(uv_timer_t *t) { (void)t; }

static bool run_until(bool *flag, double seconds)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, timer_noop, 50, 50);
    double end = now_monotonic() + seconds;
    while (!*flag && now_monotonic() < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "%s is not set: run under tests/run-all.sh\n", name);
        abort();
    }
    return v;
}

struct watch { bool up, down; char error[512]; };

static void watch_state(void *arg, struct redisconn *rc)
{
    struct watch *w = arg;
    if (redisconn_state(rc) == PGCONN_UP)
        w->up = true;
    if (redisconn_state(rc) == PGCONN_DOWN) {
        w->down = true;
        snprintf(w->error, sizeof w->error, "%s", redisconn_error(rc) ? redisconn_error(rc) : "");
    }
}

struct answer { bool done, refused; char value[128]; char error[256]; };

static void got_answer(void *arg, const redisReply *r, const char *error)
{
    struct answer *a = arg;
    a->done = true;
    if (error) {
        snprintf(a->error, sizeof a->error, "%s", error);
        a->refused = r && r->type == REDIS_REPLY_ERROR;
    } else if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) {
        snprintf(a->value, sizeof a->value, "%s", r->str);
    } else if (r->type == REDIS_REPLY_INTEGER) {
        snprintf(a->value, sizeof a->value, "%lld", r->integer);
    }
}

static struct redisconn *open_url(const char *url, struct watch *w)
{
    struct redis_target t;
    char err[256];
    assert_int_equal(redis_target_parse(&t, url, err, sizeof err), 0);
    struct redisconn *rc = redisconn_new(loop, &t, 3, 3, watch_state, w);
    redis_target_free(&t);
    return rc;
}

static void close_conn(struct redisconn *rc)
{
    redisconn_close(rc);
    for (int i = 0; i < 5; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

/* Run one command on a connection that is up; the answer in *a. */
static void command(struct redisconn *rc, struct answer *a, int argc, const char **argv)
{
    memset(a, 0, sizeof *a);
    assert_int_equal(redisconn_command(rc, got_answer, a, argc, argv), 0);
    assert_true(run_until(&a->done, 5));
}

/* The harness's default user makes and removes the test users. */
static void admin(int argc, const char **argv)
{
    struct watch w = { 0 };
    struct redisconn *rc = open_url(env("REDIS_URL"), &w);
    assert_true(run_until(&w.up, 10));
    struct answer a;
    command(rc, &a, argc, argv);
    if (a.error[0])
        fail_msg("%s: %s", argv[0], a.error);
    close_conn(rc);
}

static char *url_for(const char *userinfo)
{
    return xasprintf("redis://%s@127.0.0.1:%s/0", userinfo, env("PGDECK_REDIS_PORT"));
}

static void test_acl_user_and_password_authenticate_as_that_user(void **state)
{
    (void)state;
    const char *make[] = { "ACL", "SETUSER", "pgdeck_t_reader", "reset", "on", ">" SECRET,
                           "~pgdeck:*", "+@read", "+@connection", "+acl|whoami" };
    admin(10, make);
    char *url = url_for("pgdeck_t_reader:" SECRET);
    struct watch w = { 0 };
    struct redisconn *rc = open_url(url, &w);
    free(url);
    assert_true(run_until(&w.up, 10));
    struct answer a;
    const char *whoami[] = { "ACL", "WHOAMI" };
    command(rc, &a, 2, whoami);
    assert_string_equal(a.error, "");
    assert_string_equal(a.value, "pgdeck_t_reader");
    /* A read it may do; a write it may not: the refusal is the server's
     * reply, told apart from a lost connection, and the connection stays. */
    const char *get[] = { "GET", "pgdeck:t:nothing" };
    command(rc, &a, 2, get);
    assert_string_equal(a.error, "");
    const char *set[] = { "SET", "pgdeck:t:x", "1" };
    command(rc, &a, 3, set);
    assert_true(a.refused);
    assert_non_null(strstr(a.error, "NOPERM"));
    assert_int_equal(redisconn_state(rc), PGCONN_UP);
    close_conn(rc);
    const char *del[] = { "ACL", "DELUSER", "pgdeck_t_reader" };
    admin(3, del);
}

static void test_acl_wrong_password_names_the_user_not_the_password(void **state)
{
    (void)state;
    const char *make[] = { "ACL", "SETUSER", "pgdeck_t_locked", "reset", "on", ">right-one",
                           "~pgdeck:*", "+@read", "+@connection" };
    admin(9, make);
    char *url = url_for("pgdeck_t_locked:" SECRET);
    struct watch w = { 0 };
    struct redisconn *rc = open_url(url, &w);
    free(url);
    assert_true(run_until(&w.down, 10));
    assert_non_null(strstr(w.error, "authentication as user 'pgdeck_t_locked' failed"));
    assert_non_null(strstr(w.error, "WRONGPASS"));
    assert_null(strstr(w.error, SECRET));
    assert_null(strstr(redisconn_display(rc), SECRET));
    close_conn(rc);
    const char *del[] = { "ACL", "DELUSER", "pgdeck_t_locked" };
    admin(3, del);
}

/* A command sent the moment the connection says it is up (from the state
 * callback, as the agent takes its name) runs as the URL's user, in the
 * URL's database: AUTH and SELECT answered before "up". */
struct early { struct answer whoami, db; bool sent; };

static void send_early(void *arg, struct redisconn *rc)
{
    struct early *e = arg;
    if (redisconn_state(rc) != PGCONN_UP || e->sent)
        return;
    e->sent = true;
    const char *whoami[] = { "ACL", "WHOAMI" };
    const char *client[] = { "CLIENT", "INFO" };
    assert_int_equal(redisconn_command(rc, got_answer, &e->whoami, 2, whoami), 0);
    assert_int_equal(redisconn_command(rc, got_answer, &e->db, 2, client), 0);
}

static void test_acl_first_command_runs_as_the_user_in_the_database(void **state)
{
    (void)state;
    const char *make[] = { "ACL", "SETUSER", "pgdeck_t_early", "reset", "on", ">" SECRET,
                           "~*", "+@connection", "+acl|whoami", "+client|info" };
    admin(10, make);
    char *url = xasprintf("redis://pgdeck_t_early:" SECRET "@127.0.0.1:%s/3", env("PGDECK_REDIS_PORT"));
    struct redis_target t;
    char err[256];
    assert_int_equal(redis_target_parse(&t, url, err, sizeof err), 0);
    free(url);
    struct early e;
    memset(&e, 0, sizeof e);
    struct redisconn *rc = redisconn_new(loop, &t, 3, 3, send_early, &e);
    redis_target_free(&t);
    assert_true(run_until(&e.db.done, 10));
    assert_string_equal(e.whoami.error, "");
    assert_string_equal(e.whoami.value, "pgdeck_t_early");
    assert_string_equal(e.db.error, "");
    if (!strstr(e.db.value, " db=3 "))
        fail_msg("CLIENT INFO: %s", e.db.value);
    close_conn(rc);
    const char *del[] = { "ACL", "DELUSER", "pgdeck_t_early" };
    admin(3, del);
}

static void test_acl_user_without_password_is_a_nopass_user(void **state)
{
    (void)state;
    const char *make[] = { "ACL", "SETUSER", "pgdeck_t_nopass", "reset", "on", "nopass",
                           "~pgdeck:*", "+@connection", "+acl|whoami" };
    admin(9, make);
    char *url = url_for("pgdeck_t_nopass");
    struct watch w = { 0 };
    struct redisconn *rc = open_url(url, &w);
    free(url);
    assert_true(run_until(&w.up, 10));
    struct answer a;
    const char *whoami[] = { "ACL", "WHOAMI" };
    command(rc, &a, 2, whoami);
    assert_string_equal(a.value, "pgdeck_t_nopass");
    close_conn(rc);
    const char *del[] = { "ACL", "DELUSER", "pgdeck_t_nopass" };
    admin(3, del);
}

static int setup(void **state)
{
    (void)state;
    loop = uv_default_loop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acl_user_and_password_authenticate_as_that_user),
        cmocka_unit_test(test_acl_wrong_password_names_the_user_not_the_password),
        cmocka_unit_test(test_acl_user_without_password_is_a_nopass_user),
        cmocka_unit_test(test_acl_first_command_runs_as_the_user_in_the_database),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
