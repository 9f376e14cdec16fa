#ifndef PGDECK_STREAM_FORWARD_H
#define PGDECK_STREAM_FORWARD_H

struct app;
struct stream_feed;

/* A viewer's actions, sent to the agent it watches (the action gate's
 * forwarder, action.h).  An action key or ':' command becomes a request
 * on pgdeck:{NAME}:cmd (stream_cmd.h); the agent plans it with its own
 * gate and answers on pgdeck:{NAME}:reply: a changing action's preview,
 * which this console shows and confirms as it would its own (y sends
 * "confirm" with the preview's digest, so the agent runs exactly what was
 * shown, and nothing it was not told yes to), EXPLAIN's plan, progress,
 * and how it ended.
 *
 * Nothing is sent, and the status line says why, when the agent does not
 * take actions (started without --accept-actions), when it is read-only
 * and the action changes anything, when it is silent, when this viewer
 * cannot tell which Redis user it is (ACL WHOAMI, which the agent
 * journals as who asked), or when Redis refuses the request (a viewer's
 * Redis user may not write pgdeck:*:cmd: NOPERM).  A request the agent
 * does not answer within FORWARD_ANSWER_S ends as refused here (the agent
 * drops it when it comes later: it is stale).
 *
 * Installs itself as app->forwarder and closes with the app. */
#define FORWARD_ANSWER_S 15.0

void stream_forward_start(struct app *app, struct stream_feed *feed);

#endif
