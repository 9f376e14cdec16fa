/* pgdeck agent --accept-actions: viewers' requests through the agent's
 * gate (see agent_actions.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/action.h"
#include "core/app.h"
#include "core/stream.h"
#include "core/stream_cmd.h"
#include "front/agent_actions.h"
#include "net/redisconn.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define GROUP        "pgdeck"
#define REPLY_MAXLEN "1000"
#define READ_COUNT   "16"
#define BLOCK_MS_MAX 2000
#define TICK_MS      1000
#define RETRY_MS     3000

/* One request being handled. */
struct remote {
    struct remote        *next;
    struct agent_actions *aa;
    char                  id[STREAM_REQUEST_ID_MAX + 1];
    char                  user[STREAM_USER_MAX + 1];
    char                  action[STREAM_ACTION_MAX + 1];
    struct action        *a;            /* from its preview until it ends */
    bool                  waiting;      /* its preview waits for an answer */
    char                  digest[STREAM_DIGEST_LEN + 1];
    double                deadline;     /* monotonic: the confirmation's */
    char                 *refusal;      /* why a confirmation was refused */
    bool                  starting;     /* inside action_start */
    bool                  finished;
};

struct agent_actions {
    struct app        *app;
    char              *name;
    char              *cmd_key, *reply_key;
    char               consumer[64];
    struct redisconn  *rd, *wr;
    unsigned           epoch;
    bool               ready;           /* the group exists: reading */
    bool               reading;
    bool               pending_done;    /* an earlier run's unacknowledged ones are answered */
    bool               retry_pending;
    double             offset;          /* Redis's clock minus ours */
    double             block_ms;
    struct remote     *remotes;
    uv_timer_t         tick, retry;
    int                handles_open;
    bool               stopping;
    void             (*say)(void *arg, const char *text);
    void              *say_arg;
    char              *said;            /* the last problem said */
};

static void say(struct agent_actions *aa, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct agent_actions *aa, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    aa->say(aa->say_arg, text);
    free(text);
}

/* A problem that may repeat (Redis refusing every read): said once. */
static void say_once(struct agent_actions *aa, const char *text)
{
    if (aa->said && strcmp(aa->said, text) == 0)
        return;
    free(aa->said);
    aa->said = xstrdup(text);
    say(aa, "%s", text);
}

/* ---- answering ------------------------------------------------------------------------------ */

static void replied(void *arg, const redisReply *reply, const char *error)
{
    struct agent_actions *aa = arg;
    (void)reply;
    if (error && reply && !aa->stopping) {
        char *text = xasprintf("Redis refused an answer on %s: %s (the agent's Redis user must be allowed to "
                               "XADD pgdeck:* keys)", aa->reply_key, error);
        say_once(aa, text);
        free(text);
    }
}

static void answer(struct agent_actions *aa, const struct stream_reply *r)
{
    struct stream_cmd_fields f;
    stream_reply_encode(&f, r);
    const char *argv[6 + 2 * STREAM_CMD_FIELDS] = { "XADD", aa->reply_key, "MAXLEN", "~", REPLY_MAXLEN, "*" };
    int argc = 6;
    for (int i = 0; i < f.count; i++) {
        argv[argc++] = f.field[i];
        argv[argc++] = f.value[i];
    }
    redisconn_command(aa->wr, replied, aa, argc, argv);
    stream_cmd_fields_free(&f);
}

static void answer_done(struct agent_actions *aa, const char *id, const char *outcome, const char *text)
{
    struct stream_reply r = { .kind = STREAM_REPLY_DONE, .text = (char *)text };
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.outcome, sizeof r.outcome, "%s", outcome);
    answer(aa, &r);
}

/* ---- the gate's hooks ------------------------------------------------------------------------- */

static void free_remote(struct remote *rm)
{
    struct agent_actions *aa = rm->aa;
    for (struct remote **p = &aa->remotes; *p; p = &(*p)->next) {
        if (*p == rm) {
            *p = rm->next;
            break;
        }
    }
    free(rm->refusal);
    free(rm);
}

/* A changing action is planned: its preview goes to the viewer, and it
 * waits for the operator's answer there. */
static void hook_confirm(void *arg, struct action *a)
{
    struct remote *rm = arg;
    int n;
    char *const *lines = action_preview(a, &n);
    struct stream_reply r = { .kind = STREAM_REPLY_PREVIEW, .title = (char *)action_title(a),
                              .lines = (char **)lines, .nlines = n, .ddl = action_definition(a)->ddl };
    snprintf(r.id, sizeof r.id, "%s", rm->id);
    stream_preview_digest(r.title, lines, n, r.digest);
    snprintf(rm->digest, sizeof rm->digest, "%s", r.digest);
    rm->a = a;
    rm->waiting = true;
    rm->deadline = now_monotonic() + AGENT_CONFIRM_WAIT;
    answer(rm->aa, &r);
}

static void hook_progress(void *arg, struct action *a, const char *text)
{
    (void)a;
    struct remote *rm = arg;
    struct stream_reply r = { .kind = STREAM_REPLY_PROGRESS, .text = (char *)text };
    snprintf(r.id, sizeof r.id, "%s", rm->id);
    answer(rm->aa, &r);
}

static void hook_show(void *arg, struct action *a, const char *title, char **lines, int n)
{
    (void)a;
    struct remote *rm = arg;
    struct stream_reply r = { .kind = STREAM_REPLY_SHOW, .title = (char *)title, .lines = lines, .nlines = n };
    snprintf(r.id, sizeof r.id, "%s", rm->id);
    answer(rm->aa, &r);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void hook_done(void *arg, struct action *a)
{
    struct remote *rm = arg;
    enum action_outcome o = action_outcome(a);
    const char *outcome = action_outcome_name(o);
    const char *message = action_message(a);
    if (rm->refusal) {
        outcome = action_outcome_name(ACTION_REFUSED);
        message = rm->refusal;
    }
    answer_done(rm->aa, rm->id, outcome, message);
    say(rm->aa, "action for redis user %s: %s", rm->user, message);
    rm->a = NULL;
    rm->waiting = false;
    rm->finished = true;
    if (!rm->starting)
        free_remote(rm);
}

static const char *hook_requester(void *arg)
{
    struct remote *rm = arg;
    return rm->user;
}

static const struct action_hooks agent_hooks = {
    .confirm = hook_confirm,
    .progress = hook_progress,
    .show = hook_show,
    .done = hook_done,
    .refresh_collectors = true,
    .front_end = "agent",
    .requester = hook_requester,
};

/* ---- requests ------------------------------------------------------------------------------------ */

static struct remote *find(struct agent_actions *aa, const char *id)
{
    for (struct remote *rm = aa->remotes; rm; rm = rm->next)
        if (strcmp(rm->id, id) == 0)
            return rm;
    return NULL;
}

static void plan(struct agent_actions *aa, const struct stream_request *req)
{
    if (find(aa, req->id)) {
        answer_done(aa, req->id, "refused", "a request with this id is already being handled; nothing was run");
        return;
    }
    const struct action_def *def = action_find(req->action);
    if (!def) {
        char *text = xasprintf("no action '%s' on this agent (pgdeck %s); nothing was run", req->action,
                               PGDECK_VERSION);
        answer_done(aa, req->id, "refused", text);
        free(text);
        return;
    }
    struct remote *rm = xcalloc(1, sizeof *rm);
    rm->aa = aa;
    snprintf(rm->id, sizeof rm->id, "%s", req->id);
    snprintf(rm->user, sizeof rm->user, "%s", req->user);
    snprintf(rm->action, sizeof rm->action, "%s", req->action);
    rm->next = aa->remotes;
    aa->remotes = rm;
    struct action_target t = {
        .schema = req->schema, .name = req->name, .pid = req->pid, .text = req->text,
        .database = req->database, .role = req->role, .oid = req->oid, .backend_start = req->backend_start,
    };
    say(aa, "%s requested by redis user %s (request %s)", req->action, req->user, req->id);
    rm->starting = true;
    action_start(aa->app, def, &t, false, &agent_hooks, rm);
    rm->starting = false;
    if (rm->finished)
        free_remote(rm);
}

/* Answer a waiting preview. */
static void decide(struct remote *rm, bool yes, char *refusal)
{
    rm->waiting = false;
    if (refusal) {
        free(rm->refusal);
        rm->refusal = refusal;
    }
    action_confirm(rm->a, yes);
}

static void confirm(struct agent_actions *aa, const struct stream_request *req)
{
    struct remote *rm = find(aa, req->id);
    if (!rm || !rm->waiting) {
        answer_done(aa, req->id, "refused", "nothing waits for this answer (no such request, or it ended: "
                                            "declined after its wait, or already answered); nothing was run");
        return;
    }
    if (strcmp(rm->user, req->user) != 0) {
        /* Not for this request: it keeps waiting for its own user. */
        say(aa, "request %s: a %s from redis user %s, but redis user %s asked: ignored", req->id,
            req->op == STREAM_OP_CONFIRM ? "confirmation" : "cancellation", req->user, rm->user);
        return;
    }
    if (req->op == STREAM_OP_DECLINE)
        decide(rm, false, NULL);
    else if (strcmp(rm->digest, req->digest) != 0)
        decide(rm, false, xasprintf("the confirmation names another preview (digest %s, shown %s); nothing "
                                    "was run", req->digest, rm->digest));
    else
        decide(rm, true, NULL);
}

static void acked(void *arg, const redisReply *reply, const char *error)
{
    (void)arg;
    (void)reply;
    (void)error;
}

static void ack(struct agent_actions *aa, const redisReply *entry)
{
    if (entry && entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 && entry->element[0] &&
        entry->element[0]->type == REDIS_REPLY_STRING) {
        char id[64];
        size_t n = entry->element[0]->len < sizeof id - 1 ? entry->element[0]->len : sizeof id - 1;
        memcpy(id, entry->element[0]->str, n);
        id[n] = '\0';
        const char *argv[] = { "XACK", aa->cmd_key, GROUP, id };
        redisconn_command(aa->wr, acked, aa, 4, argv);
    }
}

/* One request: handled, answered, acknowledged.  `stale`: left by an
 * earlier run of the agent. */
static void take(struct agent_actions *aa, const redisReply *entry, bool stale)
{
    struct stream_request req;
    char err[512];
    if (stream_request_parse(entry, &req, err, sizeof err) != 0) {
        if (*req.id)
            answer_done(aa, req.id, "refused", err);
        char *text = xasprintf("a request on %s was refused: %s", aa->cmd_key, err);
        say_once(aa, text);
        free(text);
    } else {
        double age = req.id_ms > 0 ? ((now_wall() + aa->offset) * 1000 - req.id_ms) / 1000 : 0;
        if (stale && req.op == STREAM_OP_PLAN) {
            answer_done(aa, req.id, "refused", "the agent restarted before it answered; nothing was run");
        } else if (req.op == STREAM_OP_PLAN && age > AGENT_REQUEST_MAX_AGE) {
            char *text = xasprintf("the request is %.0f s old (written while no agent read); nothing was run", age);
            answer_done(aa, req.id, "refused", text);
            free(text);
        } else if (req.op == STREAM_OP_PLAN) {
            plan(aa, &req);
        } else {
            confirm(aa, &req);
        }
        stream_request_free(&req);
    }
    ack(aa, entry);
}

/* ---- reading ---------------------------------------------------------------------------------------- */

static void read_more(struct agent_actions *aa);

static void retry_cb(uv_timer_t *t)
{
    struct agent_actions *aa = t->data;
    aa->retry_pending = false;
    read_more(aa);
}

struct call {
    struct agent_actions *aa;
    unsigned              epoch;
};

static struct agent_actions *wanted(void *arg)
{
    struct call *c = arg;
    struct agent_actions *aa = c->aa;
    bool ok = c->epoch == aa->epoch && !aa->stopping;
    free(c);
    return ok ? aa : NULL;
}

static int ask(struct agent_actions *aa, struct redisconn *rc, redisconn_reply_cb cb, int argc, const char **argv)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->aa = aa;
    c->epoch = aa->epoch;
    if (redisconn_command(rc, cb, c, argc, argv) == 0)
        return 0;
    free(c);
    return -1;
}

static void read_done(void *arg, const redisReply *reply, const char *error)
{
    struct agent_actions *aa0 = ((struct call *)arg)->aa;
    aa0->reading = false;
    struct agent_actions *aa = wanted(arg);
    if (!aa)
        return;
    if (error) {
        if (reply) {
            char *text = xasprintf("Redis refused to read requests (XREADGROUP %s): %s", aa->cmd_key, error);
            say_once(aa, text);
            free(text);
            aa->retry_pending = true;
            uv_timer_start(&aa->retry, retry_cb, RETRY_MS, 0);
        }
        return;
    }
    size_t taken = 0;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *one = reply->element[i];
        if (!one || one->type != REDIS_REPLY_ARRAY || one->elements != 2 || one->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        for (size_t k = 0; k < one->element[1]->elements; k++, taken++)
            take(aa, one->element[1]->element[k], !aa->pending_done);
    }
    /* The earlier run's are all read once a read of them comes back empty. */
    if (!aa->pending_done && taken == 0)
        aa->pending_done = true;
    read_more(aa);
}

static void read_more(struct agent_actions *aa)
{
    if (!aa->ready || aa->reading || aa->retry_pending || aa->stopping || redisconn_state(aa->rd) != PGCONN_UP)
        return;
    char block[24];
    snprintf(block, sizeof block, "%.0f", aa->block_ms);
    /* "0": this consumer's requests delivered before and never
     * acknowledged (an earlier run); ">": new ones. */
    const char *from = aa->pending_done ? ">" : "0";
    const char *argv[] = { "XREADGROUP", "GROUP", GROUP, aa->consumer, "COUNT", READ_COUNT, "BLOCK", block,
                           "STREAMS", aa->cmd_key, from };
    if (ask(aa, aa->rd, read_done, 11, argv) == 0)
        aa->reading = true;
}

static void time_done(void *arg, const redisReply *reply, const char *error)
{
    struct agent_actions *aa = wanted(arg);
    if (!aa || error || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING)
        return;
    double secs = strtod(reply->element[0]->str, NULL), usecs = strtod(reply->element[1]->str, NULL);
    if (secs > 0 && usecs >= 0 && usecs < 1e6)
        aa->offset = secs + usecs / 1e6 - now_wall();
}

static void group_done(void *arg, const redisReply *reply, const char *error)
{
    struct agent_actions *aa = wanted(arg);
    if (!aa)
        return;
    if (error && !(reply && strncmp(error, "BUSYGROUP", 9) == 0)) {
        if (reply) {
            char *text = xasprintf("Redis refused the consumer group (XGROUP CREATE %s %s): %s; no request is "
                                   "read until it is allowed", aa->cmd_key, GROUP, error);
            say_once(aa, text);
            free(text);
        }
        return;
    }
    aa->ready = true;
    say(aa, "taking action requests from %s (consumer group %s), answering on %s", aa->cmd_key, GROUP,
        aa->reply_key);
    read_more(aa);
}

static void start_reading(struct agent_actions *aa)
{
    aa->epoch++;
    aa->ready = aa->pending_done = false;
    const char *timecmd[] = { "TIME" };
    ask(aa, aa->wr, time_done, 1, timecmd);
    /* "$": requests written before the group existed are nobody's. */
    const char *argv[] = { "XGROUP", "CREATE", aa->cmd_key, GROUP, "$", "MKSTREAM" };
    ask(aa, aa->wr, group_done, 6, argv);
}

static void conn_state(void *arg, struct redisconn *rc)
{
    struct agent_actions *aa = arg;
    (void)rc;
    /* Called from redisconn_new already, before both exist. */
    if (aa->stopping || !aa->rd || !aa->wr)
        return;
    if (redisconn_state(aa->rd) == PGCONN_UP && redisconn_state(aa->wr) == PGCONN_UP) {
        if (!aa->ready)
            start_reading(aa);
    } else if (aa->ready || aa->reading) {
        aa->epoch++;
        aa->ready = false;
        aa->reading = false;
    }
}

/* The first preview still waiting for an answer, or NULL. */
static struct remote *first_waiting(struct agent_actions *aa)
{
    for (struct remote *rm = aa->remotes; rm; rm = rm->next)
        if (rm->waiting)
            return rm;
    return NULL;
}

/* A preview nobody answered: declined.  (Declining may free any request:
 * look again from the start after each.) */
static void tick_cb(uv_timer_t *t)
{
    struct agent_actions *aa = t->data;
    double now = now_monotonic();
    bool again = true;
    while (again) {
        again = false;
        for (struct remote *rm = aa->remotes; rm; rm = rm->next) {
            if (rm->waiting && now > rm->deadline) {
                decide(rm, false, xasprintf("no confirmation came in %.0f s; nothing was run", AGENT_CONFIRM_WAIT));
                again = true;
                break;
            }
        }
    }
}

/* ---- life ----------------------------------------------------------------------------------------------- */

struct agent_actions *agent_actions_start(struct app *app, const struct redis_target *target, const char *name,
                                          void (*say_fn)(void *arg, const char *text), void *say_arg)
{
    struct agent_actions *aa = xcalloc(1, sizeof *aa);
    aa->app = app;
    aa->name = xstrdup(name);
    aa->cmd_key = stream_key(name, "cmd");
    aa->reply_key = stream_key(name, "reply");
    snprintf(aa->consumer, sizeof aa->consumer, "agent-%ld", (long)getpid());
    aa->say = say_fn;
    aa->say_arg = say_arg;
    double connect = app->cfg->connect_timeout_ms / 1000.0, command = app->cfg->query_timeout_ms / 1000.0;
    aa->block_ms = command * 1000 / 2 < BLOCK_MS_MAX ? command * 1000 / 2 : BLOCK_MS_MAX;
    if (aa->block_ms < 1)
        aa->block_ms = 1;
    uv_timer_init(app->loop, &aa->tick);
    uv_timer_init(app->loop, &aa->retry);
    aa->tick.data = aa->retry.data = aa;
    uv_timer_start(&aa->tick, tick_cb, TICK_MS, TICK_MS);
    aa->rd = redisconn_new(app->loop, target, connect, command, conn_state, aa);
    aa->wr = redisconn_new(app->loop, target, connect, command, conn_state, aa);
    return aa;
}

static void closed(uv_handle_t *h)
{
    struct agent_actions *aa = h->data;
    if (--aa->handles_open > 0)
        return;
    while (aa->remotes)
        free_remote(aa->remotes);
    free(aa->name);
    free(aa->cmd_key);
    free(aa->reply_key);
    free(aa->said);
    free(aa);
}

void agent_actions_stop(struct agent_actions *aa)
{
    if (!aa)
        return;
    /* A preview still waiting: declined (and answered, if Redis is up). */
    struct remote *rm;
    while ((rm = first_waiting(aa)))
        decide(rm, false, xstrdup("the agent is stopping; nothing was run"));
    aa->stopping = true;
    aa->epoch++;
    redisconn_close(aa->rd);
    redisconn_close(aa->wr);
    uv_timer_stop(&aa->tick);
    uv_timer_stop(&aa->retry);
    aa->handles_open = 2;
    uv_close((uv_handle_t *)&aa->tick, closed);
    uv_close((uv_handle_t *)&aa->retry, closed);
}
