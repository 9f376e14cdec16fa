#ifndef PGDECK_BACKOFF_H
#define PGDECK_BACKOFF_H

#include <stdint.h>

#include <uv.h>

/* Exponential backoff with jitter for reconnecting to a server that went
 * away.  The nominal delay doubles from `base` up to `cap` (30 s for every
 * server pgdeck talks to); the delay handed out is drawn uniformly from
 * [nominal/2, nominal] so that many clients restarted together do not
 * reconnect in step.  The generator is seeded, so tests are repeatable. */
struct backoff {
    double   base;      /* first nominal delay, seconds */
    double   cap;       /* nominal delay never exceeds this, seconds */
    double   nominal;   /* nominal delay of the next attempt */
    unsigned attempts;  /* failures since the last reset */
    uint64_t state;     /* PRNG state */
    double   due;       /* monotonic time of the scheduled attempt, 0: none */
};

void     backoff_init(struct backoff *b, double base, double cap, uint64_t seed);
/* The delay before the next attempt, in seconds; counts one failure. */
double   backoff_next(struct backoff *b);
/* A connection succeeded: start again from `base`. */
void     backoff_reset(struct backoff *b);

/* A connection's schedule (pgconn and redisconn share it): the defaults
 * above, seeded from the clock and the connection's address, so neither two
 * connections nor two pgdeck started together draw the same delays. */
void     backoff_init_for(struct backoff *b, const void *owner);
/* Count a failure and start `timer` to call `cb` after the delay. */
void     backoff_schedule(struct backoff *b, uv_timer_t *timer, uv_timer_cb cb);
/* An attempt is starting: nothing is scheduled any more. */
void     backoff_attempt(struct backoff *b);
/* Seconds until the scheduled attempt, 0 when none is. */
double   backoff_due_in(const struct backoff *b);

#define BACKOFF_BASE 0.5
#define BACKOFF_CAP  30.0

#endif
