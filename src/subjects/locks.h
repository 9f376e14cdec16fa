#ifndef PGDECK_SUBJECTS_LOCKS_H
#define PGDECK_SUBJECTS_LOCKS_H

#include <stdbool.h>

#include "core/snapshot.h"

/* The locks subject (locks.c): who blocks whom.
 *
 * derive_locks is the locks collector's derive, exported so the unit tests
 * can run it on hand-made snapshots (it reads neither the app nor the
 * previous snapshot; both may be NULL).  It takes the query's rows (one
 * per session that waits behind another or is waited behind, with
 * blocked_by = pg_blocking_pids as "4242,4243") and rewrites them as the
 * tree the pane shows, in its order: each root (a session that waits for
 * nobody), longest wait behind it first, then the sessions waiting behind
 * it, each under the first session it waits for on a shortest path from
 * the root (so a queue behind one holder is one level, not a staircase).
 * A session shown under an earlier root appears again under a later root
 * it also waits for, once, as a "repeated" row that is not expanded.
 * Sessions that wait in a cycle (A waits for B waits for A: a deadlock in
 * the making, until deadlock_timeout ends it) are marked; a cycle that no
 * root leads to is shown once, from its lowest pid, as a root of its own.
 * Nothing is followed twice, so a cycle is never looped over.
 *
 * Columns added in front of the query's own:
 *   tree          the label: "| " a level (at most 8), the pid, " cycle"
 *                 for a member of a cycle, " (above)" for a repeated row:
 *                 "| | 4244 cycle"
 *   depth         0 for a root, 1 for who waits for it, ...
 *   root          the pid of the row's root (with pid and backend_start,
 *                 what tells a row from another)
 *   parent        the pid the row waits for on the path shown; NULL at a root
 *   waiters       on a root: how many sessions wait behind it, directly or
 *                 not (wherever they are shown); NULL elsewhere
 *   longest_wait  on a root: the longest wait, seconds, among them
 *   cycle         t when the session waits in a cycle
 *   cycle_path    for a member of a cycle, the shortest cycle through it:
 *                 "590 > 592 > 590" (590 waits for 592, which waits for
 *                 590; past 16 pids "... (40 sessions)"); NULL elsewhere
 *   repeated      t when the row repeats a session shown under an earlier root */
struct app;

void derive_locks(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* Whether the locks are worth reading at every refresh (the collector's
 * wanted, exported for the unit tests): `activity` (activity.sql's rows:
 * pid, blocked_by, duration) has a session that has waited behind another
 * for half a second or more, or sessions waiting in a cycle; or `locks`
 * (the last read, derived) holds a wait that old, or a cycle.  A younger
 * wait is left to the slow cadence: the pane shows waits from 1 s on.
 * Either may be NULL. */
bool locks_wanted(const struct snapshot *activity, const struct snapshot *locks);

#endif
