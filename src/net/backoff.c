/* Exponential backoff with jitter.
 *
 * The nominal delay doubles on every failure, from `base` up to `cap`.  The
 * delay handed out is drawn uniformly from [nominal/2, nominal] ("equal
 * jitter"): it keeps the exponential spacing while making sure that many
 * pgdeck instances restarted by the same outage do not all knock on the
 * server in the same instant. */

#include "base/clock.h"
#include "net/backoff.h"
#include "base/xalloc.h"

/* splitmix64: a tiny generator with good statistics that, unlike xorshift,
 * has no bad seed (0 works), so any seed a caller picks is fine. */
static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A double uniformly distributed in [0, 1), from the top 53 bits. */
static double uniform01(uint64_t *state)
{
    return (double)(splitmix64_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

void backoff_init(struct backoff *b, double base, double cap, uint64_t seed)
{
    /* Nonsense parameters would mean reconnecting in a tight loop (base 0)
     * or never (cap below base): fall back to sane values instead. */
    if (!(base > 0))
        base = BACKOFF_BASE;
    if (!(cap >= base))
        cap = base;
    b->base = base;
    b->cap = cap;
    b->nominal = base;
    b->attempts = 0;
    b->state = seed;
    b->due = 0;
}

double backoff_next(struct backoff *b)
{
    double nominal = b->nominal;
    double delay = nominal / 2 + uniform01(&b->state) * (nominal / 2);

    b->attempts++;
    b->nominal = nominal * 2 < b->cap ? nominal * 2 : b->cap;
    return delay;
}

void backoff_reset(struct backoff *b)
{
    b->nominal = b->base;
    b->attempts = 0;
}

void backoff_init_for(struct backoff *b, const void *owner)
{
    backoff_init(b, BACKOFF_BASE, BACKOFF_CAP,
                 (uint64_t)(now_wall() * 1e6) ^ (uint64_t)(uintptr_t)owner);
}

void backoff_schedule(struct backoff *b, uv_timer_t *timer, uv_timer_cb cb)
{
    double delay = backoff_next(b);
    b->due = now_monotonic() + delay;
    uv_timer_start(timer, cb, (uint64_t)(delay * 1000), 0);
}

void backoff_attempt(struct backoff *b)
{
    b->due = 0;
}

double backoff_due_in(const struct backoff *b)
{
    if (b->due == 0)
        return 0;
    double left = b->due - now_monotonic();
    return left > 0 ? left : 0;
}
