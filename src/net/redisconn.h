#ifndef PGDECK_REDISCONN_H
#define PGDECK_REDISCONN_H

#include <hiredis.h>
#include <uv.h>

#include "net/conninfo.h"
#include "net/pgconn.h"     /* enum pgconn_state: the same four states */

/* An asynchronous Redis connection on the libuv loop (hiredis).
 *
 * hiredis 0.14's own libuv adapter ignores a poll callback with an error
 * status, so a refused connect would hang in "connecting" forever, and 0.14
 * has no timeouts: this module brings its own adapter (which hands the armed
 * events to hiredis on error, as hiredis 1.x does) and its own uv timers
 * for the connect and command timeouts.  Its host name is looked up on
 * libuv's thread pool first (resolve.h): hiredis would call getaddrinfo on
 * the loop's thread.  A lost connection is retried with
 * exponential backoff and jitter, capped at 30 s. */

struct redisconn;

/* `error` is NULL when the command succeeded.  When it failed, `error`
 * says why, and `reply` is the server's error reply (REDIS_REPLY_ERROR:
 * it refused the command, "NOPERM ...") or NULL (no answer: timeout,
 * connection lost).  The reply is owned by hiredis and valid only during
 * the callback. */
typedef void (*redisconn_reply_cb)(void *arg, const redisReply *reply,
                                   const char *error);
typedef void (*redisconn_state_cb)(void *arg, struct redisconn *rc);

struct redisconn *redisconn_new(uv_loop_t *loop, const struct redis_target *target,
                                double connect_timeout, double command_timeout,
                                redisconn_state_cb cb, void *arg);
/* Send a command given as words ("INFO", "all").  Returns 0, or -1 when
 * not up (the callback is then not called). */
int  redisconn_command(struct redisconn *rc, redisconn_reply_cb cb, void *arg,
                       int argc, const char **argv);
void redisconn_close(struct redisconn *rc);

enum pgconn_state redisconn_state(const struct redisconn *rc);
const char *redisconn_error(const struct redisconn *rc);
double redisconn_retry_in(const struct redisconn *rc);
const char *redisconn_version(const struct redisconn *rc);   /* "7.0.15" or NULL */
const char *redisconn_display(const struct redisconn *rc);   /* "127.0.0.1:6379/0" */
unsigned long redisconn_connects(const struct redisconn *rc);

#endif
