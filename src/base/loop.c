/* The end of a libuv loop (see loop.h). */
#include "base/loop.h"

/* Turns of the loop given to the close callbacks.  Closing takes one turn
 * (uv_close queues the callback for the next); the rest is for callbacks
 * that close something else in turn. */
#define CLOSE_TURNS 10

static void close_one(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void loop_close_all(uv_loop_t *loop)
{
    uv_walk(loop, close_one, NULL);
    for (int i = 0; i < CLOSE_TURNS; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}
