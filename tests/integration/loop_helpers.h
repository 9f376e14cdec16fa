#ifndef PGDECK_TEST_LOOP_HELPERS_H
#define PGDECK_TEST_LOOP_HELPERS_H

/* What every integration test does with the loop and the harness: run the
 * loop until something happened, read the harness's environment, and keep
 * a query's answer.  Included once, by each test file (after cmocka.h). */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>
#include <uv.h>

#include "base/clock.h"
#include "base/xalloc.h"

static uv_loop_t *loop;

static inline void timer_noop(uv_timer_t *t) { (void)t; }

/* Run the loop until *flag is true or `seconds` pass.  Returns *flag. */
static inline bool run_until(const bool *flag, double seconds)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, timer_noop, 20, 20);     /* wake up to re-check */
    double end = now_monotonic() + seconds;
    while (!*flag && now_monotonic() < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag;
}

/* Let closed handles be freed. */
static inline void settle(void)
{
    for (int i = 0; i < 5; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

/* A variable the harness exported; the test cannot run without it. */
static inline const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "%s is not set: run under tests/run-all.sh\n", name);
        abort();
    }
    return v;
}

/* A query's answer: its first value, or its error; told once. */
struct answer {
    bool done;
    int  order;                 /* 1 for the first answer of the run, ... */
    char value[256];
    char error[512];
};
static int answers_seen;

static inline void got_answer(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct answer *a = arg;
    if (a->done) {
        fprintf(stderr, "got_answer: a query was answered twice\n");
        abort();
    }
    a->done = true;
    a->order = ++answers_seen;
    if (error)
        snprintf(a->error, sizeof a->error, "%s", error);
    else if (res && PQntuples(res) > 0)
        snprintf(a->value, sizeof a->value, "%s", PQgetvalue(res, 0, 0));
}

#endif
