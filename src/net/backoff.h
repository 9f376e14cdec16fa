#ifndef PGDECK_BACKOFF_H
#define PGDECK_BACKOFF_H

#include <stdint.h>

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
};

void     backoff_init(struct backoff *b, double base, double cap, uint64_t seed);
/* The delay before the next attempt, in seconds; counts one failure. */
double   backoff_next(struct backoff *b);
/* A connection succeeded: start again from `base`. */
void     backoff_reset(struct backoff *b);

#define BACKOFF_BASE 0.5
#define BACKOFF_CAP  30.0

#endif
