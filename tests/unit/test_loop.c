/* The end of a libuv loop: every handle closed, and no wait for work that
 * cannot finish. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include <uv.h>

#include "base/loop.h"

static void never(uv_timer_t *t)
{
    (void)t;
}

static void idle(uv_idle_t *h)
{
    (void)h;
}

static int closed_by_its_owner;

static void count_close(uv_handle_t *h)
{
    (void)h;
    closed_by_its_owner++;
}

static void test_loop_close_all_closes_every_handle(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_timer_t timers[3];
    for (int i = 0; i < 3; i++) {
        uv_timer_init(&loop, &timers[i]);
        uv_timer_start(&timers[i], never, 3600 * 1000, 0);
    }
    uv_idle_t busy;
    uv_idle_init(&loop, &busy);
    uv_idle_start(&busy, idle);
    uv_signal_t sig;
    uv_signal_init(&loop, &sig);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    uv_poll_t poll;
    uv_poll_init(&loop, &poll, fds[0]);
    /* One its owner already closes, with its own callback: closing it
     * twice would make libuv abort. */
    uv_timer_t owned;
    uv_timer_init(&loop, &owned);
    closed_by_its_owner = 0;
    uv_close((uv_handle_t *)&owned, count_close);

    loop_close_all(&loop);

    assert_int_equal(closed_by_its_owner, 1);
    assert_int_equal(uv_loop_alive(&loop), 0);
    assert_int_equal(uv_loop_close(&loop), 0);     /* no handle left */
    close(fds[0]);
    close(fds[1]);
}

/* A thread-pool job that cannot finish until the test lets it: a cancel
 * request stuck on a paused server. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_open = PTHREAD_COND_INITIALIZER;
static int gate;

static void stuck_work(uv_work_t *w)
{
    (void)w;
    pthread_mutex_lock(&gate_lock);
    while (!gate)
        pthread_cond_wait(&gate_open, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static int work_done;

static void after_work(uv_work_t *w, int status)
{
    (void)w;
    (void)status;
    work_done = 1;
}

static void test_loop_close_all_does_not_wait_for_stuck_work(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, never, 3600 * 1000, 0);
    uv_work_t work;
    gate = 0;
    work_done = 0;
    assert_int_equal(uv_queue_work(&loop, &work, stuck_work, after_work), 0);

    /* Returns although the work still runs (a blocking uv_run would not). */
    loop_close_all(&loop);
    assert_false(uv_is_active((uv_handle_t *)&t));
    assert_int_equal(work_done, 0);

    pthread_mutex_lock(&gate_lock);
    gate = 1;
    pthread_cond_signal(&gate_open);
    pthread_mutex_unlock(&gate_lock);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(work_done, 1);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_close_all_closes_every_handle),
        cmocka_unit_test(test_loop_close_all_does_not_wait_for_stuck_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
