#ifndef PGDECK_LOOP_H
#define PGDECK_LOOP_H

#include <uv.h>

/* The end of a libuv loop, shared by every front end. */

/* Close every handle of `loop` that is not closing already (timers, polls,
 * signals, the clients' sockets), then run the loop a few turns without
 * waiting, so that the close callbacks run and free what they own.  A few
 * turns and not a blocking uv_run: a cancel request stuck on a paused
 * server keeps its thread-pool work alive, and a blocking run would wait
 * for it forever.  Call after the modules have closed what they own with
 * their own callbacks (app_close); uv_loop_close may still find that work
 * request and refuse (UV_EBUSY), which at exit is harmless. */
void loop_close_all(uv_loop_t *loop);

#endif
