/* Thread-pool jobs of the host collectors (see host_job.h). */
#include <math.h>
#include <stdio.h>

#include "core/app.h"
#include "core/collector.h"
#include "base/quantity.h"
#include "core/host_job.h"
#include "base/clock.h"

/* How soon a collector waiting for another one looks again. */
#define DEFER_S 0.1

static void job_work(uv_work_t *req)
{
    struct host_job *j = req->data;
    j->work(j);
}

static void job_after(uv_work_t *req, int status)
{
    (void)status;
    struct host_job *j = req->data;
    struct app *app = j->app;
    bool same = app->collectors && app->collectors_generation == j->generation;
    j->done(j, same ? &app->collectors[j->index] : NULL);
}

int host_job_start(struct host_job *j, struct collector *c,
                   void (*work)(struct host_job *), void (*done)(struct host_job *, struct collector *))
{
    j->app = c->app;
    j->index = (int)(c - c->app->collectors);
    j->generation = c->app->collectors_generation;
    j->work = work;
    j->done = done;
    j->req.data = j;
    return uv_queue_work(c->app->loop, &j->req, job_work, job_after);
}

int host_job_defer(struct collector *c)
{
    collector_defer(c);
    c->next_run = now_monotonic() + DEFER_S;
    return 0;
}

void host_job_kick_waiting(struct app *app)
{
    static const char *const waiting[] = { "host", "disks", "sizes" };
    for (size_t i = 0; i < sizeof waiting / sizeof waiting[0]; i++) {
        const struct collector *w = collector_find(app, waiting[i]);
        if (w && !w->current && !w->running)
            collector_run_now(app, waiting[i]);
    }
}

const char *host_number_text(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v) || isinf(v))
        return NULL;
    return quantity_fixed(buf, len, v, decimals);
}

void host_set_number(struct snapshot *s, int row, const char *column, double v, int decimals)
{
    char buf[64];
    snapshot_set(s, row, column, host_number_text(buf, sizeof buf, v, decimals));
}
