/* The loop shared by --once and check.
 *
 * The console ticks its collectors once per refresh interval; a one-shot
 * front end wants the answers as soon as they can be had, so it ticks them
 * itself every 50 ms.  A tick starts only collectors that are due and not
 * running, so the quick ticks cost nothing while queries are in flight, and
 * a collector waiting for its server's first connect is retried as soon as
 * that server is up or known to be down. */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include <uv.h>

#include "core/app.h"
#include "core/collector.h"
#include "front/frontend_loop.h"
#include "net/pgpool.h"
#include "base/clock.h"
#include "base/loop.h"

#define TICK_MS 50

struct wait {
    struct app *app;
    double      until;          /* monotonic */
    bool        done;
};

/* After every turn of the loop: done as soon as the last result is in,
 * not at the next tick (that waited up to TICK_MS more: a third of
 * --once's 150 ms aim, issue 14). */
static void check_cb(uv_check_t *h)
{
    struct wait *w = h->data;
    if (!w->done && collectors_all_done(w->app)) {
        w->done = true;
        uv_stop(h->loop);
    }
}

static void tick_cb(uv_timer_t *t)
{
    struct wait *w = t->data;
    if (collectors_all_done(w->app) || now_monotonic() >= w->until) {
        w->done = true;
        uv_stop(t->loop);
        return;
    }
    collectors_tick(w->app);
}

double frontend_deadline(const struct app *app)
{
    const struct config *cfg = app->cfg;
    return (cfg->connect_timeout_ms + cfg->query_timeout_ms) / 1000.0 + 1.0;
}

bool frontend_collect(struct app *app, double seconds)
{
    struct wait w = { .app = app, .until = now_monotonic() + seconds };
    uv_timer_t timer;
    uv_timer_init(app->loop, &timer);
    timer.data = &w;
    /* The first tick at once: the collectors of a server still connecting
     * wait for it by themselves (they ask to be run again shortly). */
    uv_timer_start(&timer, tick_cb, 0, TICK_MS);
    uv_check_t check;
    uv_check_init(app->loop, &check);
    check.data = &w;
    uv_check_start(&check, check_cb);
    /* uv_stop ends uv_run early; other callbacks (a connect, a result) may
     * also return from UV_RUN_DEFAULT if they stop the loop, so go round
     * until the timer says we are done. */
    while (!w.done)
        uv_run(app->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&timer);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_check_stop(&check);
    uv_close((uv_handle_t *)&check, NULL);
    uv_run(app->loop, UV_RUN_NOWAIT);
    /* A primary that did not answer by now is down, for the alert rules
     * too: the one-shot front ends report what they found in the time. */
    app_servers_given_up(app);
    return collectors_all_done(app);
}

const char *frontend_primary_down(const struct app *app)
{
    const struct server *primary = app_server(app, SERVER_PRIMARY);
    if (!server_configured(primary))
        return "no primary configured";
    if (server_state(primary) == PGCONN_UP)
        return NULL;
    const char *why = server_error(primary);
    if (why && *why)
        return why;
    return server_state(primary) == PGCONN_CONNECTING ? "connect did not finish in time"
                                                      : "primary not connected";
}

void frontend_close(struct app *app)
{
    collectors_stop(app);
    app_close(app);
    collectors_free(app);
    loop_close_all(app->loop);
}

