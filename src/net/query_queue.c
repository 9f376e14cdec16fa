/* A query's text and parameters, its callback, and the FIFO it waits in:
 * one type for a connection's queue and a pool's (query_queue.h). */
#include <stdlib.h>

#include "net/query_queue.h"
#include "base/xalloc.h"

static struct query *query_make(const char *sql, bool sql_static, int nparams, const char *const *params,
                                double timeout, pgconn_result_cb cb, void *arg)
{
    struct query *q = xcalloc(1, sizeof *q);
    q->sql_static = sql_static;
    q->sql = sql_static ? (char *)sql : xstrdup(sql);
    q->nparams = nparams > 0 ? nparams : 0;
    if (q->nparams > 0) {
        q->params = xcalloc((size_t)q->nparams, sizeof *q->params);
        for (int i = 0; i < q->nparams; i++)
            q->params[i] = xstrdup(params[i]);
    }
    q->timeout = timeout;
    q->cb = cb;
    q->arg = arg;
    return q;
}

struct query *query_new(const char *sql, int nparams, const char *const *params,
                        double timeout, pgconn_result_cb cb, void *arg)
{
    return query_make(sql, false, nparams, params, timeout, cb, arg);
}

struct query *query_new_static(const char *stmt, const char *sql, int nparams, const char *const *params,
                               double timeout, pgconn_result_cb cb, void *arg)
{
    struct query *q = query_make(sql, true, nparams, params, timeout, cb, arg);
    q->stmt = stmt ? xstrdup(stmt) : NULL;
    return q;
}

struct query *query_new_prepared(const char *stmt, const char *sql, int nparams, const char *const *params,
                                 double timeout, pgconn_result_cb cb, void *arg)
{
    struct query *q = query_new(sql, nparams, params, timeout, cb, arg);
    q->stmt = stmt ? xstrdup(stmt) : NULL;
    return q;
}

void query_finish(struct query *q, const PGresult *res, const char *error, double elapsed)
{
    if (q->cb)
        q->cb(q->arg, error ? NULL : res, error, elapsed);
    free(q->stmt);
    if (!q->sql_static)
        free(q->sql);
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    free(q);
}

void query_queue_push(struct query_queue *queue, struct query *q)
{
    q->next = NULL;
    if (queue->tail)
        queue->tail->next = q;
    else
        queue->head = q;
    queue->tail = q;
    queue->length++;
}

struct query *query_queue_pop(struct query_queue *queue)
{
    struct query *q = queue->head;
    if (!q)
        return NULL;
    queue->head = q->next;
    if (!queue->head)
        queue->tail = NULL;
    queue->length--;
    q->next = NULL;
    return q;
}

void query_queue_fail_all(struct query_queue *queue, const char *why, double elapsed)
{
    char *msg = xstrdup(why);
    struct query *q;
    while ((q = query_queue_pop(queue)))
        query_finish(q, NULL, msg, elapsed);
    free(msg);
}
