#ifndef PGDECK_AGENT_ACTIONS_H
#define PGDECK_AGENT_ACTIONS_H

#include "net/conninfo.h"

/* pgdeck agent --accept-actions: the actions viewers ask for, run through
 * the agent's own gate (core/action.c) on its own database.
 *
 * Requests come on pgdeck:{NAME}:cmd (stream_cmd.h), read with a consumer
 * group ("pgdeck": XREADGROUP, then XACK once handled, so a request is
 * taken once even when an agent restarts; those left unacknowledged by an
 * earlier run are answered "dropped" and acknowledged).  A request older
 * than AGENT_REQUEST_MAX_AGE seconds (on Redis's clock) is refused: it was
 * written while no agent read, and nobody waits for it any more.
 *
 * "plan" starts the action with the agent's gate: read-only (-R) and the
 * journal check refuse as they do for the console; a changing action's
 * preview is sent back with its digest, and the action waits, for at
 * most AGENT_CONFIRM_WAIT seconds, for a "confirm" from the same Redis
 * user that names that digest (or a "decline"): the agent never runs a
 * change nobody confirmed, nor one other than the one shown.  EXPLAIN
 * (which changes nothing) runs at once, as in the console.  Progress, the
 * plan's text and the outcome are answered on pgdeck:{NAME}:reply.  The
 * journal records each action with front_end "agent" and the Redis user
 * the request names (redis_user).
 *
 * What the agent can and cannot verify of that user: Redis does not say
 * who wrote a stream entry.  The agent knows that whoever wrote it was
 * allowed to XADD to pgdeck:{NAME}:cmd (the ACL users of README: a viewer
 * user cannot), and that the confirmation came from a request naming the
 * same user; the name itself is what the viewer read with ACL WHOAMI on
 * its own connection, and an operator user could write another
 * operator's name.  The journal says "redis_user" for that reason, not
 * more. */

#define AGENT_REQUEST_MAX_AGE 60.0
#define AGENT_CONFIRM_WAIT    120.0

struct app;
struct agent_actions;

/* Start reading requests for agent `name` from the Redis of `target` (its
 * own two connections).  `say` writes a line to the agent's log. */
struct agent_actions *agent_actions_start(struct app *app, const struct redis_target *target, const char *name,
                                          void (*say)(void *arg, const char *text), void *say_arg);
/* Stop: a change waiting for its confirmation is declined; the
 * connections close (the loop frees them). */
void agent_actions_stop(struct agent_actions *aa);

#endif
