/* Thread-pool jobs of the host collectors (see host_job.h). */
#include <math.h>
#include <stdio.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/host_job.h"
#include "base/clock.h"

/* How soon a collector waiting for another one looks again. */
#define DEFER_S 0.1

static void job_work(uv_work_t *req)
{
    struct host_job *j = req->data;
    j->work(j);
}

/* Jobs queued and not yet done, so that an app that goes away can detach
 * them (host_jobs_detach): the loop thread alone touches this list. */
static struct host_job *in_flight;

static void unlink_job(struct host_job *j)
{
    for (struct host_job **p = &in_flight; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            return;
        }
}

static void job_after(uv_work_t *req, int status)
{
    (void)status;
    struct host_job *j = req->data;
    unlink_job(j);
    struct app *app = j->app;
    j->done(j, app && app->collectors ? &app->collectors[j->index] : NULL);
}

void host_jobs_detach(const struct app *app)
{
    for (struct host_job *j = in_flight; j; j = j->next)
        if (j->app == app)
            j->app = NULL;
}

int host_job_start(struct host_job *j, struct collector *c,
                   void (*work)(struct host_job *), void (*done)(struct host_job *, struct collector *))
{
    j->app = c->app;
    j->index = (int)(c - c->app->collectors);
    j->work = work;
    j->done = done;
    j->req.data = j;
    int rc = uv_queue_work(c->app->loop, &j->req, job_work, job_after);
    if (rc == 0) {
        j->next = in_flight;
        in_flight = j;
    }
    return rc;
}

int host_job_defer(struct collector *c)
{
    c->running = false;
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

void host_set_number(struct snapshot *s, int row, const char *column, double v, int decimals)
{
    if (isnan(v) || isinf(v)) {
        snapshot_set(s, row, column, NULL);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    snapshot_set(s, row, column, buf);
}
