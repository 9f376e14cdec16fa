/* The query and its queue (net/query_queue.h), shared by a connection and
 * a pool: copies of the text and parameters, first in first out, and
 * every query told exactly once how it ended. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net/query_queue.h"
#include "base/xalloc.h"

struct told {
    int    calls;
    int    order;
    char   error[64];
    double elapsed;
};
static int told_count;

static void tell(void *arg, const PGresult *res, const char *error, double elapsed)
{
    struct told *t = arg;
    assert_null(res);
    t->calls++;
    t->order = ++told_count;
    t->elapsed = elapsed;
    snprintf(t->error, sizeof t->error, "%s", error ? error : "");
}

static void test_query_new_copies_text_and_parameters(void **state)
{
    (void)state;
    char sql[] = "SELECT $1, $2";
    char p1[] = "one", p2[] = "two";
    const char *params[] = { p1, p2 };
    struct told t = { 0 };
    struct query *q = query_new(sql, 2, params, 1.5, tell, &t);
    /* The caller's buffers may change or go once the query is made. */
    sql[0] = p1[0] = p2[0] = 'X';
    assert_string_equal(q->sql, "SELECT $1, $2");
    assert_int_equal(q->nparams, 2);
    assert_string_equal(q->params[0], "one");
    assert_string_equal(q->params[1], "two");
    assert_true(q->timeout == 1.5);
    query_finish(q, NULL, "done", 0.25);
    assert_int_equal(t.calls, 1);
    assert_string_equal(t.error, "done");
    assert_true(t.elapsed == 0.25);
}

static void test_queue_is_first_in_first_out(void **state)
{
    (void)state;
    struct query_queue queue = { 0 };
    struct told t[3] = { { 0 } };
    assert_null(query_queue_pop(&queue));
    for (int i = 0; i < 3; i++)
        query_queue_push(&queue, query_new("SELECT 1", 0, NULL, 0, tell, &t[i]));
    assert_int_equal(queue.length, 3);
    struct query *first = query_queue_pop(&queue);
    assert_ptr_equal(first->arg, &t[0]);
    assert_null(first->next);
    assert_int_equal(queue.length, 2);
    /* Pushed again, it goes to the back. */
    query_queue_push(&queue, first);
    struct query *second = query_queue_pop(&queue);
    assert_ptr_equal(second->arg, &t[1]);
    query_finish(second, NULL, "x", 0);
    struct query *q;
    told_count = 0;
    while ((q = query_queue_pop(&queue)))
        query_finish(q, NULL, "x", 0);
    assert_int_equal(queue.length, 0);
    assert_null(queue.head);
    assert_null(queue.tail);
    assert_int_equal(t[2].order, 1);
    assert_int_equal(t[0].order, 2);
}

/* The reason for failing them all may be owned by something a callback
 * frees (a connection's last error): it is copied first. */
static char *reason;
static void tell_and_free_reason(void *arg, const PGresult *res, const char *error, double elapsed)
{
    tell(arg, res, error, elapsed);
    free(reason);
    reason = NULL;
}

static void test_fail_all_tells_each_once_in_order(void **state)
{
    (void)state;
    struct query_queue queue = { 0 };
    struct told t[3] = { { 0 } };
    reason = xstrdup("connection lost: server closed the connection");
    query_queue_push(&queue, query_new("SELECT 1", 0, NULL, 0, tell_and_free_reason, &t[0]));
    query_queue_push(&queue, query_new("SELECT 2", 0, NULL, 0, tell, &t[1]));
    query_queue_push(&queue, query_new("SELECT 3", 0, NULL, 0, NULL, NULL));
    told_count = 0;
    query_queue_fail_all(&queue, reason, 0.5);
    assert_int_equal(queue.length, 0);
    assert_null(queue.head);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t[i].calls, 1);
        assert_int_equal(t[i].order, i + 1);
        assert_string_equal(t[i].error, "connection lost: server closed the connection");
        assert_true(t[i].elapsed == 0.5);
    }
    /* An empty queue: nothing to tell. */
    query_queue_fail_all(&queue, "pool closed", 0);
    assert_int_equal(t[0].calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_new_copies_text_and_parameters),
        cmocka_unit_test(test_queue_is_first_in_first_out),
        cmocka_unit_test(test_fail_all_tells_each_once_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
