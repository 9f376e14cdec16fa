/* A viewer's actions, through its agent (see stream_forward.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <uv.h>

#include "core/action.h"
#include "core/app.h"
#include "core/stream.h"
#include "core/stream_cmd.h"
#include "core/stream_feed.h"
#include "core/stream_forward.h"
#include "net/redisconn.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define CMD_MAXLEN "1000"
#define TICK_MS    1000

/* One request out. */
struct request {
    struct request *next;
    struct action  *a;
    char            id[STREAM_REQUEST_ID_MAX + 1];
    char           *agent;
    char            digest[STREAM_DIGEST_LEN + 1];
    double          deadline;       /* monotonic, 0: none (waiting for the operator or running) */
};

struct forward {
    struct action_forwarder hooks;
    struct app         *app;
    struct stream_feed *feed;
    void              (*next_close)(struct app *app);
    struct request     *requests;
    char                token[17];
    unsigned long       sequence;
    uv_timer_t          tick;
};

/* An XADD's context: the request it was for, found again by id (the
 * action may have ended meanwhile). */
struct sent {
    struct forward *fw;
    char            id[STREAM_REQUEST_ID_MAX + 1];
    enum stream_op  op;
};

static struct request *find_id(struct forward *fw, const char *id)
{
    for (struct request *r = fw->requests; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

static struct request *find_action(struct forward *fw, const struct action *a)
{
    for (struct request *r = fw->requests; r; r = r->next)
        if (r->a == a)
            return r;
    return NULL;
}

static void drop(struct forward *fw, struct request *req)
{
    for (struct request **p = &fw->requests; *p; p = &(*p)->next) {
        if (*p == req) {
            *p = req->next;
            break;
        }
    }
    free(req->agent);
    free(req);
}

/* End the action here with why (nothing sent, or no answer). */
static void end(struct action *a, enum action_outcome o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void end(struct action *a, enum action_outcome o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    action_remote_end(a, o, text);
    free(text);
}

static void xadd_done(void *arg, const redisReply *reply, const char *error)
{
    struct sent *sent = arg;
    struct forward *fw = sent->fw;
    struct request *req = fw ? find_id(fw, sent->id) : NULL;
    enum stream_op op = sent->op;
    free(sent);
    (void)reply;
    if (!req || !error)
        return;
    const char *user = stream_feed_user(fw->feed, NULL);
    bool noperm = strncmp(error, "NOPERM", 6) == 0;
    const char *what = op == STREAM_OP_PLAN ? "the request" : op == STREAM_OP_CONFIRM ? "the confirmation"
                                                                                     : "the cancellation";
    end(req->a, ACTION_REFUSED, "Redis refused %s for user '%s' (%s)%s; nothing was run", what,
        user ? user : "?", error,
        noperm ? ": this Redis user may not send actions (it needs XADD on pgdeck:*:cmd: see README, "
                 "Redis ACL users)" : "");
}

static int send_request(struct forward *fw, struct request *req, const struct stream_request *r)
{
    struct redisconn *ctl = stream_feed_control(fw->feed);
    if (!ctl)
        return -1;
    struct stream_cmd_fields f;
    stream_request_encode(&f, r);
    char *key = stream_key(req->agent, "cmd");
    const char *argv[6 + 2 * STREAM_CMD_FIELDS] = { "XADD", key, "MAXLEN", "~", CMD_MAXLEN, "*" };
    int argc = 6;
    for (int i = 0; i < f.count; i++) {
        argv[argc++] = f.field[i];
        argv[argc++] = f.value[i];
    }
    struct sent *sent = xcalloc(1, sizeof *sent);
    sent->fw = fw;
    sent->op = r->op;
    snprintf(sent->id, sizeof sent->id, "%s", req->id);
    int rc = redisconn_command(ctl, xadd_done, sent, argc, argv);
    if (rc != 0)
        free(sent);
    free(key);
    stream_cmd_fields_free(&f);
    return rc;
}

/* ---- the gate's side --------------------------------------------------------------------------- */

static void fw_send(void *arg, struct action *a)
{
    struct forward *fw = arg;
    const struct action_def *def = action_definition(a);
    const char *agent = stream_feed_target(fw->feed);
    if (!agent) {
        end(a, ACTION_REFUSED, "%s: the fleet has no database of its own: open an agent (Enter) first; "
                               "nothing was sent", def->name);
        return;
    }
    const struct fleet_member *m = stream_feed_agent(fw->feed);
    const char *state = stream_feed_agent_state(fw->feed);
    if (!m || !m->have) {
        end(a, ACTION_REFUSED, "%s: agent %s has not been heard of; nothing was sent", def->name, agent);
        return;
    }
    if (m->summary.actions == STREAM_ACTIONS_REFUSED) {
        end(a, ACTION_REFUSED, "%s: agent %s does not take actions (it was started without --accept-actions); "
                               "nothing was sent", def->name, agent);
        return;
    }
    if (m->summary.actions == STREAM_ACTIONS_READ_ONLY && def->changes) {
        end(a, ACTION_REFUSED, "%s: agent %s is read-only (-R): %s changes the database; nothing was sent",
            def->name, agent, def->name);
        return;
    }
    if (strcmp(state, "up") != 0) {
        end(a, ACTION_REFUSED, "%s: agent %s is %s; nothing was sent", def->name, agent, state);
        return;
    }
    const char *why;
    const char *user = stream_feed_user(fw->feed, &why);
    if (!user) {
        end(a, ACTION_REFUSED, "%s: cannot tell which Redis user this viewer is: %s (the agent journals who "
                               "asked); nothing was sent", def->name, why);
        return;
    }
    struct request *req = xcalloc(1, sizeof *req);
    req->a = a;
    req->agent = xstrdup(agent);
    snprintf(req->id, sizeof req->id, "%s-%lu", fw->token, ++fw->sequence);
    req->deadline = now_monotonic() + FORWARD_ANSWER_S;
    req->next = fw->requests;
    fw->requests = req;

    const struct action_target *t = action_target(a);
    struct stream_request r = {
        .op = STREAM_OP_PLAN,
        .schema = (char *)t->schema, .name = (char *)t->name, .text = (char *)t->text,
        .database = (char *)t->database, .role = (char *)t->role, .oid = (char *)t->oid,
        .backend_start = (char *)t->backend_start, .pid = t->pid,
    };
    snprintf(r.id, sizeof r.id, "%s", req->id);
    snprintf(r.user, sizeof r.user, "%s", user);
    snprintf(r.action, sizeof r.action, "%s", def->name);
    if (send_request(fw, req, &r) != 0) {
        end(a, ACTION_REFUSED, "%s: Redis %s is not connected; nothing was sent", def->name,
            stream_feed_display(fw->feed));
        return;
    }
    app_message(fw->app, false, "%s: sent to agent %s as Redis user %s, waiting for its answer", def->name,
                agent, user);
}

static void fw_answer(void *arg, struct action *a, bool yes)
{
    struct forward *fw = arg;
    struct request *req = find_action(fw, a);
    if (!req)
        return;
    const char *user = stream_feed_user(fw->feed, NULL);
    struct stream_request r = { .op = yes ? STREAM_OP_CONFIRM : STREAM_OP_DECLINE };
    snprintf(r.id, sizeof r.id, "%s", req->id);
    snprintf(r.user, sizeof r.user, "%s", user ? user : "?");
    snprintf(r.digest, sizeof r.digest, "%s", req->digest);
    if (send_request(fw, req, &r) != 0 && yes) {
        end(a, ACTION_REFUSED, "%s: Redis went away before the confirmation was sent; nothing was run "
                               "(the agent drops the request)", action_definition(a)->name);
        return;
    }
    /* Running there: it ends when the agent says so (or goes silent). */
    req->deadline = 0;
}

static void fw_forget(void *arg, struct action *a)
{
    struct forward *fw = arg;
    struct request *req = find_action(fw, a);
    if (req)
        drop(fw, req);
}

/* ---- the agent's answers ------------------------------------------------------------------------ */

static enum action_outcome outcome_of(const char *name)
{
    static const enum action_outcome all[] = { ACTION_OK, ACTION_FAILED, ACTION_REFUSED, ACTION_DECLINED,
                                               ACTION_DRY_RUN, ACTION_NOTHING };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(action_outcome_name(all[i]), name) == 0)
            return all[i];
    return ACTION_FAILED;
}

static void answered(void *arg, const redisReply *entry)
{
    struct forward *fw = arg;
    struct stream_reply r;
    char err[256];
    if (stream_reply_entry_parse(entry, &r, err, sizeof err) != 0)
        return;         /* not an answer this viewer can read: not one of its own */
    struct request *req = find_id(fw, r.id);
    if (!req) {
        stream_reply_free(&r);
        return;         /* another viewer's */
    }
    struct action *a = req->a;
    switch (r.kind) {
    case STREAM_REPLY_PREVIEW: {
        /* What the operator sees is what the digest names: the agent runs
         * only a confirmation that carries it. */
        char digest[STREAM_DIGEST_LEN + 1];
        stream_preview_digest(r.title, r.lines, r.nlines, digest);
        if (strcmp(digest, r.digest) != 0) {
            end(a, ACTION_REFUSED, "%s: the agent's preview does not match its digest; nothing was run",
                action_definition(a)->name);
            break;
        }
        snprintf(req->digest, sizeof req->digest, "%s", r.digest);
        req->deadline = 0;
        char **lines = r.lines;
        int n = r.nlines;
        r.lines = NULL;
        r.nlines = 0;
        action_remote_preview(a, r.title, lines, n);
        break;
    }
    case STREAM_REPLY_PROGRESS:
        req->deadline = 0;
        action_remote_progress(a, r.text ? r.text : "");
        break;
    case STREAM_REPLY_SHOW: {
        req->deadline = 0;
        char **lines = r.lines;
        int n = r.nlines;
        r.lines = NULL;
        r.nlines = 0;
        action_show(a, r.title ? r.title : action_definition(a)->name, lines, n);
        break;
    }
    case STREAM_REPLY_DONE: {
        char *text = xasprintf("%s (agent %s)", r.text ? r.text : r.outcome, req->agent);
        action_remote_end(a, outcome_of(r.outcome), text);
        free(text);
        break;
    }
    }
    stream_reply_free(&r);
}

/* No answer in time, or the agent went silent while it ran. */
static void tick_cb(uv_timer_t *t)
{
    struct forward *fw = t->data;
    double now = now_monotonic();
    struct request *next;
    for (struct request *req = fw->requests; req; req = next) {
        next = req->next;
        bool same = stream_feed_target(fw->feed) && strcmp(stream_feed_target(fw->feed), req->agent) == 0;
        const char *state = same ? stream_feed_agent_state(fw->feed) : "out of view";
        if (req->deadline > 0 && now > req->deadline)
            end(req->a, ACTION_REFUSED, "%s: no answer from agent %s in %.0f s; nothing is known to have run",
                action_definition(req->a)->name, req->agent, FORWARD_ANSWER_S);
        else if (strcmp(state, "silent") == 0 || !same)
            end(req->a, ACTION_FAILED, "%s: agent %s is %s: how the action ended is not known (its journal "
                "says)", action_definition(req->a)->name, req->agent, same ? state : "no longer watched");
    }
}

/* ---- life ----------------------------------------------------------------------------------------- */

static void closed(uv_handle_t *h)
{
    free(h->data);
}

static void forward_close(struct app *app)
{
    struct forward *fw = (struct forward *)app->forwarder;
    void (*next)(struct app *) = fw->next_close;
    /* An action still out ends here; the agent drops what comes later. */
    while (fw->requests)
        end(fw->requests->a, ACTION_FAILED, "%s: pgdeck is closing: how it ends on agent %s is not known here",
            action_definition(fw->requests->a)->name, fw->requests->agent);
    app->forwarder = NULL;
    stream_feed_on_reply(fw->feed, NULL, NULL);
    uv_timer_stop(&fw->tick);
    uv_close((uv_handle_t *)&fw->tick, closed);
    if (next)
        next(app);
}

void stream_forward_start(struct app *app, struct stream_feed *feed)
{
    struct forward *fw = xcalloc(1, sizeof *fw);
    fw->hooks = (struct action_forwarder){ .send = fw_send, .answer = fw_answer, .forget = fw_forget, .arg = fw };
    fw->app = app;
    fw->feed = feed;
    unsigned char bytes[8];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        uint64_t x = (uint64_t)(now_wall() * 1e6) ^ ((uint64_t)getpid() << 40);
        memcpy(bytes, &x, sizeof bytes);
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(fw->token + 2 * i, 3, "%02x", bytes[i]);
    uv_timer_init(app->loop, &fw->tick);
    fw->tick.data = fw;
    uv_timer_start(&fw->tick, tick_cb, TICK_MS, TICK_MS);
    /* hooks is the first member: app->forwarder is fw. */
    app->forwarder = &fw->hooks;
    fw->next_close = app->on_close;
    app->on_close = forward_close;
    stream_feed_on_reply(feed, answered, fw);
}
