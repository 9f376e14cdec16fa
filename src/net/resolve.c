/* Host names looked up on libuv's thread pool (see resolve.h). */

/* EAI_NODATA and EAI_ADDRFAMILY, which glibc's getaddrinfo returns for a
 * name without addresses, are declared only for _GNU_SOURCE. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/resolve.h"
#include "base/xalloc.h"

/* One getaddrinfo on the pool, shared by every request that wants the
 * same name while it is out: a pool's connections all reconnect at once,
 * and libuv runs lookups on at most half its threads (two of four), so a
 * name that a silent DNS server holds must not take more than one, or
 * the lookups of names that would answer wait behind it. */
struct waiter {
    struct waiter  *next;
    struct resolve *r;
    int             index;      /* into r->answers */
};

struct lookup {
    uv_getaddrinfo_t req;
    uv_loop_t       *loop;
    char            *name;
    struct lookup   *next;      /* in lookups_out */
    struct waiter   *waiters;
    bool             dropped;   /* cancelled before it started: no answer
                                   will come, so nobody may join it */
};

struct resolve {
    resolve_cb             cb;
    void                  *arg;
    bool                   cancelled;
    int                    n;
    int                    pending;     /* names still without an answer */
    struct resolve_answer *answers;
    bool                  *answered;
};

static struct lookup *lookups_out;

/* libuv turns getaddrinfo's EAI_* codes into its own UV_EAI_*; libpq
 * reports gai_strerror's words, so turn them back. */
static const struct {
    int uv, eai;
} eai_codes[] = {
    { UV_EAI_ADDRFAMILY, EAI_ADDRFAMILY },
    { UV_EAI_AGAIN,      EAI_AGAIN },
    { UV_EAI_BADFLAGS,   EAI_BADFLAGS },
    { UV_EAI_FAIL,       EAI_FAIL },
    { UV_EAI_FAMILY,     EAI_FAMILY },
    { UV_EAI_MEMORY,     EAI_MEMORY },
    { UV_EAI_NODATA,     EAI_NODATA },
    { UV_EAI_NONAME,     EAI_NONAME },
    { UV_EAI_OVERFLOW,   EAI_OVERFLOW },
    { UV_EAI_SERVICE,    EAI_SERVICE },
    { UV_EAI_SOCKTYPE,   EAI_SOCKTYPE },
};

static const char *lookup_reason(int status)
{
    for (size_t i = 0; i < sizeof eai_codes / sizeof eai_codes[0]; i++)
        if (eai_codes[i].uv == status)
            return gai_strerror(eai_codes[i].eai);
    return uv_strerror(status);
}

char *resolve_error_message(const char *name, const char *reason)
{
    return xasprintf("could not translate host name \"%s\" to address: %s", name, reason);
}

bool resolve_is_numeric(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (!host || !*host)
        return false;
    if (inet_pton(AF_INET, host, buf) == 1)
        return true;
    /* fe80::1%eth0: the zone is not part of the address. */
    char *copy = xstrdup(host);
    copy[strcspn(copy, "%")] = '\0';
    bool v6 = inet_pton(AF_INET6, copy, buf) == 1;
    free(copy);
    return v6;
}

/* The addresses of a getaddrinfo answer as text, each once, in order. */
static void answer_take(struct resolve_answer *a, const struct addrinfo *res)
{
    int max = 0;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        max++;
    a->addrs = xcalloc((size_t)max + 1, sizeof *a->addrs);
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN + 16];
        if (ai->ai_family == AF_INET) {
            if (uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, text, sizeof text) != 0)
                continue;
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ai->ai_addr;
            if (uv_ip6_name(s6, text, sizeof text) != 0)
                continue;
            if (s6->sin6_scope_id) {
                size_t len = strlen(text);
                snprintf(text + len, sizeof text - len, "%%%u", (unsigned)s6->sin6_scope_id);
            }
        } else {
            continue;
        }
        bool seen = false;
        for (int i = 0; i < a->count && !seen; i++)
            seen = strcmp(a->addrs[i], text) == 0;
        if (!seen)
            a->addrs[a->count++] = xstrdup(text);
    }
    if (a->count == 0)
        a->error = resolve_error_message(a->name, "no IPv4 or IPv6 address");
}

static void resolve_free(struct resolve *r)
{
    for (int i = 0; i < r->n; i++) {
        struct resolve_answer *a = &r->answers[i];
        free(a->name);
        for (int k = 0; k < a->count; k++)
            free(a->addrs[k]);
        free(a->addrs);
        free(a->error);
    }
    free(r->answers);
    free(r->answered);
    free(r);
}

/* One name of a request has its answer (or was given up). */
static void answer_given(struct resolve *r, int index)
{
    r->answered[index] = true;
    if (--r->pending > 0)
        return;
    if (!r->cancelled)
        r->cb(r->arg, r->answers, r->n);
    resolve_free(r);
}

static void lookup_done(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct lookup *l = req->data;
    for (struct lookup **p = &lookups_out; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            break;
        }
    }
    struct waiter *w = l->waiters;
    while (w) {
        struct waiter *next = w->next;
        struct resolve_answer *a = &w->r->answers[w->index];
        if (!w->r->cancelled) {
            if (status == 0 && res)
                answer_take(a, res);
            else
                a->error = resolve_error_message(a->name, status ? lookup_reason(status) : "no address");
        }
        answer_given(w->r, w->index);
        free(w);
        w = next;
    }
    if (res)
        uv_freeaddrinfo(res);
    free(l->name);
    free(l);
}

/* Wait for `name`: join the lookup that is out for it, or start one.
 * 0, or -1 when libuv would not start it. */
static int lookup_join(uv_loop_t *loop, const char *name, struct resolve *r, int index)
{
    struct lookup *l = lookups_out;
    while (l && (l->dropped || l->loop != loop || strcmp(l->name, name) != 0))
        l = l->next;
    if (!l) {
        /* What libpq asks for: any family, stream sockets. */
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        l = xcalloc(1, sizeof *l);
        l->loop = loop;
        l->name = xstrdup(name);
        l->req.data = l;
        if (uv_getaddrinfo(loop, &l->req, lookup_done, name, NULL, &hints) != 0) {
            free(l->name);
            free(l);
            return -1;
        }
        l->next = lookups_out;
        lookups_out = l;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    w->r = r;
    w->index = index;
    w->next = l->waiters;
    l->waiters = w;
    return 0;
}

struct resolve *resolve_start(uv_loop_t *loop, char *const *names, int n,
                              resolve_cb cb, void *arg)
{
    if (n <= 0)
        return NULL;
    struct resolve *r = xcalloc(1, sizeof *r);
    r->cb = cb;
    r->arg = arg;
    r->n = n;
    r->answers = xcalloc((size_t)n, sizeof *r->answers);
    r->answered = xcalloc((size_t)n, sizeof *r->answered);
    for (int i = 0; i < n; i++)
        r->answers[i].name = xstrdup(names[i]);
    for (int i = 0; i < n; i++) {
        if (lookup_join(loop, names[i], r, i) != 0) {
            /* Only bad arguments or no memory get here: give up on the
             * whole request; the lookups it joined come back to nobody. */
            if (r->pending == 0) {
                resolve_free(r);
                return NULL;
            }
            resolve_cancel(r);
            return NULL;
        }
        r->pending++;
    }
    return r;
}

void resolve_cancel(struct resolve *r)
{
    if (!r || r->cancelled)
        return;
    r->cancelled = true;
    /* A lookup that nobody waits for any more and that no pool thread has
     * taken yet is dropped now (it comes back with UV_EAI_CANCELED); one
     * already running ends in its own time, its answer unread. */
    for (struct lookup *l = lookups_out; l; l = l->next) {
        bool wanted = false;
        for (struct waiter *w = l->waiters; w && !wanted; w = w->next)
            wanted = !w->r->cancelled;
        if (!wanted && !l->dropped && uv_cancel((uv_req_t *)&l->req) == 0)
            l->dropped = true;
    }
}

const char *resolve_waiting_for(const struct resolve *r)
{
    for (int i = 0; r && i < r->n; i++)
        if (!r->answered[i])
            return r->answers[i].name;
    return NULL;
}

int resolve_in_flight(void)
{
    int n = 0;
    for (const struct lookup *l = lookups_out; l; l = l->next)
        n++;
    return n;
}
