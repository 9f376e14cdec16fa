#ifndef PGDECK_RESOLVE_H
#define PGDECK_RESOLVE_H

#include <stdbool.h>

#include <uv.h>

/* Host names looked up off the loop.
 *
 * libpq (PQconnectStartParams, and PQconnectPoll when it moves to the next
 * host) and hiredis call getaddrinfo on the caller's thread, and a slow or
 * silent DNS server would hold the whole console for seconds.  So pgdeck
 * looks names up first, with uv_getaddrinfo on libuv's thread pool, and
 * hands the numeric addresses to libpq (hostaddr) and hiredis.
 *
 * A request looks up several names at once and answers once, when all are
 * in.  It can be cancelled at any time: the callback is then never called,
 * and the request frees itself when libuv gives the lookups back (a lookup
 * already running on a pool thread cannot be stopped, only ignored). */

struct resolve;

/* One name's answer.  Owned by the request, valid during the callback. */
struct resolve_answer {
    char  *name;
    int    count;       /* addresses found; 0 when `error` says why */
    char **addrs;       /* numeric ("127.0.0.1", "::1"), in the resolver's order */
    char  *error;       /* in libpq's words: could not translate host name
                           "db.example.invalid" to address: Name or service not known */
};

typedef void (*resolve_cb)(void *arg, const struct resolve_answer *answers, int n);

/* Start looking up `n` names (copied).  The callback runs on the loop,
 * never from inside resolve_start.  Returns NULL when no lookup could be
 * started (the callback is then not called). */
struct resolve *resolve_start(uv_loop_t *loop, char *const *names, int n,
                              resolve_cb cb, void *arg);
/* Forget the request: no callback; its memory goes once libuv is done. */
void resolve_cancel(struct resolve *r);
/* The first name still without an answer (for a timeout's message). */
const char *resolve_waiting_for(const struct resolve *r);
/* Lookups started and not yet given back by libuv, over all requests. */
int  resolve_in_flight(void);

/* An IPv4 or IPv6 address in numeric form, which needs no lookup. */
bool resolve_is_numeric(const char *host);
/* libpq's message for a name that could not be looked up. */
char *resolve_error_message(const char *name, const char *reason);

#endif
