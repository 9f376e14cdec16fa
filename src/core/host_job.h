#ifndef PGDECK_HOST_JOB_H
#define PGDECK_HOST_JOB_H

#include <uv.h>

/* Thread-pool jobs of the host collectors (src/subjects/host.c,
 * host_sizes.c): `work` runs on libuv's thread pool (uv_queue_work),
 * where it may block on /proc, statvfs or a file, and `done` runs on the
 * loop, where it publishes.  A job knows its collector by index and the
 * collectors' generation, not by pointer: if the collectors are freed
 * while a job runs (the console closes; a test starts another app where
 * the last one was), `done` gets c == NULL and only frees the job.
 * Private to those collectors. */

struct app;
struct collector;
struct snapshot;

struct host_job {
    uv_work_t   req;
    struct app *app;
    int         index;
    unsigned    generation;     /* app->collectors_generation at the start */
    void (*work)(struct host_job *j);
    void (*done)(struct host_job *j, struct collector *c);
};

/* Queue the job for collector c.  0, or -1 when the pool refused (the
 * caller frees the job and publishes the failure). */
int  host_job_start(struct host_job *j, struct collector *c,
                    void (*work)(struct host_job *), void (*done)(struct host_job *, struct collector *));
/* A collector that is not ready (what it waits for has not published):
 * run again shortly, without publishing.  Returns 0 for the run hook. */
int  host_job_defer(struct collector *c);
/* Collectors waiting for the backends verdict run at once when it comes
 * for the first time, rather than at the next tick. */
void host_job_kick_waiting(struct app *app);
/* A number as a cell; NAN and infinities become SQL NULL. */
void host_set_number(struct snapshot *s, int row, const char *column, double v, int decimals);
/* The text host_set_number would set, written into buf; NULL for NaN
 * and infinities (no value). */
const char *host_number_text(char *buf, size_t len, double v, int decimals);

#endif
