/* The locks subject's tree (derive_locks) on hand-made snapshots shaped
 * like sql/queries/locks.sql's rows: chains, queues, sessions behind two
 * roots, cycles of waits (with and without a way in), a prepared
 * transaction and blockers that have gone; and the lock-wait alert and its
 * performance data. */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "subjects/locks.h"
#include "base/xalloc.h"

static const char *const columns[] = { "pid", "backend_start", "state", "blocked_by", "wait", "query" };
#define NCOLS 6

struct session {
    const char *pid;
    const char *blocked_by;     /* NULL: waits for nobody */
    const char *wait;           /* seconds, NULL when it does not wait */
};

/* The query's rows, in pid order as the query sorts them. */
static struct snapshot *sessions(const struct session *list, int n)
{
    struct snapshot *s = snapshot_new("locks", NCOLS, columns);
    for (int i = 0; i < n; i++) {
        char start[64], query[64];
        snprintf(start, sizeof start, "2026-12-05 10:00:%02d+00", i);
        snprintf(query, sizeof query, "SELECT %s", list[i].pid);
        const char *row[NCOLS] = { list[i].pid, start, list[i].blocked_by ? "active" : "idle in transaction",
                                   list[i].blocked_by, list[i].wait, query };
        snapshot_add_row(s, row);
    }
    return s;
}

static struct snapshot *tree_of(const struct session *list, int n)
{
    struct snapshot *s = sessions(list, n);
    derive_locks(NULL, s, NULL);
    return s;
}

static void assert_cell(const struct snapshot *s, int row, const char *column, const char *want)
{
    const char *got = snapshot_get(s, row, column);
    if (!want && !got)
        return;
    if (!want || !got || strcmp(got, want) != 0)
        fail_msg("row %d %s: got %s, want %s", row, column, got ? got : "NULL", want ? want : "NULL");
}

/* How many rows show `pid`. */
static int rows_of(const struct snapshot *s, const char *pid)
{
    int n = 0;
    for (int r = 0; r < s->nrows; r++)
        n += strcmp(snapshot_text(s, r, "pid"), pid) == 0;
    return n;
}

static void test_three_level_chain_is_a_tree_with_its_root_first(void **state)
{
    (void)state;
    const struct session list[] = {
        { "101", "102", "3.5" },        /* C waits for B */
        { "102", "103", "7.25" },       /* B waits for A */
        { "103", NULL, NULL },          /* A holds */
    };
    struct snapshot *s = tree_of(list, 3);
    assert_int_equal(s->nrows, 3);
    static const char *const want[][6] = {
        /* tree          depth root   parent  pid    waiters */
        { "103",         "0", "103", NULL,  "103", "2" },
        { "| 102",       "1", "103", "103", "102", NULL },
        { "| | 101",     "2", "103", "102", "101", NULL },
    };
    for (int r = 0; r < 3; r++) {
        assert_cell(s, r, "tree", want[r][0]);
        assert_cell(s, r, "depth", want[r][1]);
        assert_cell(s, r, "root", want[r][2]);
        assert_cell(s, r, "parent", want[r][3]);
        assert_cell(s, r, "pid", want[r][4]);
        assert_cell(s, r, "waiters", want[r][5]);
        assert_cell(s, r, "cycle", "f");
        assert_cell(s, r, "repeated", "f");
    }
    assert_cell(s, 0, "longest_wait", "7.250");
    /* The query's own columns come along, for the pane and the actions. */
    assert_cell(s, 1, "backend_start", "2026-12-05 10:00:01+00");
    assert_cell(s, 1, "blocked_by", "103");
    assert_cell(s, 2, "query", "SELECT 101");
    assert_int_equal(snapshot_column(s, "tree"), 0);
    snapshot_unref(s);
}

static void test_a_two_session_cycle_is_shown_once_and_marked(void **state)
{
    (void)state;
    const struct session list[] = {
        { "10", "11", "4" },            /* 10 waits for 11 */
        { "11", "10", "5" },            /* 11 waits for 10 */
        { "12", "10", "2" },            /* 12 waits behind the cycle */
    };
    struct snapshot *s = tree_of(list, 3);
    assert_int_equal(s->nrows, 3);
    assert_int_equal(rows_of(s, "10"), 1);
    assert_int_equal(rows_of(s, "11"), 1);
    assert_int_equal(rows_of(s, "12"), 1);
    /* From its lowest pid; what waits for it (in the cycle or behind it)
     * under it, longest wait first. */
    assert_cell(s, 0, "tree", "10 cycle");
    assert_cell(s, 0, "depth", "0");
    assert_cell(s, 0, "cycle", "t");
    assert_cell(s, 0, "cycle_path", "10 > 11 > 10");
    assert_cell(s, 0, "waiters", "2");
    assert_cell(s, 0, "longest_wait", "5.000");
    assert_cell(s, 1, "tree", "| 11 cycle");
    assert_cell(s, 1, "cycle_path", "11 > 10 > 11");
    assert_cell(s, 1, "parent", "10");
    assert_cell(s, 2, "tree", "| 12");
    assert_cell(s, 2, "cycle", "f");
    assert_cell(s, 2, "cycle_path", NULL);
    snapshot_unref(s);
}

/* 1 -> 2 -> 3 -> 1 and 1 -> 4 -> 2 ("waits for"): 4 is in the cycle too,
 * although a walk that marks only the path it is on would not see it. */
static void test_every_member_of_a_cycle_is_found(void **state)
{
    (void)state;
    const struct session list[] = {
        { "1", "2,4", "1" },
        { "2", "3", "1" },
        { "3", "1", "1" },
        { "4", "2", "1" },
        { "5", "3", "9" },              /* behind it */
    };
    struct snapshot *s = tree_of(list, 5);
    assert_int_equal(s->nrows, 5);
    for (int r = 0; r < s->nrows; r++) {
        const char *pid = snapshot_text(s, r, "pid");
        assert_int_equal(rows_of(s, pid), 1);
        assert_cell(s, r, "cycle", strcmp(pid, "5") == 0 ? "f" : "t");
    }
    assert_cell(s, 0, "pid", "1");
    assert_cell(s, 0, "waiters", "4");
    assert_cell(s, 0, "longest_wait", "9.000");
    /* The shortest way round from 1: through 2 and 3, not 4. */
    assert_cell(s, 0, "cycle_path", "1 > 2 > 3 > 1");
    assert_cell(s, snapshot_find(s, "pid", "4"), "cycle_path", "4 > 2 > 3 > 1 > 4");
    snapshot_unref(s);
}

/* Three sessions queued for one lock: each waits for the holder and for
 * those ahead of it.  All three wait for the holder: one level, not a
 * staircase, the longest wait first. */
static void test_a_queue_behind_one_holder_is_one_level(void **state)
{
    (void)state;
    const struct session list[] = {
        { "20", NULL, NULL },
        { "21", "20", "30" },
        { "22", "20,21", "20" },
        { "23", "20,21,22", "10" },
    };
    struct snapshot *s = tree_of(list, 4);
    assert_int_equal(s->nrows, 4);
    assert_cell(s, 0, "pid", "20");
    assert_cell(s, 0, "waiters", "3");
    for (int r = 1; r < 4; r++) {
        assert_cell(s, r, "depth", "1");
        assert_cell(s, r, "parent", "20");
    }
    assert_cell(s, 1, "pid", "21");
    assert_cell(s, 2, "pid", "22");
    assert_cell(s, 3, "pid", "23");
    snapshot_unref(s);
}

/* Two holders of a shared lock and a session waiting for both: it is shown
 * with what waits behind it under the first root, and once more, not
 * expanded, under the second, whose count includes everything. */
static void test_a_session_behind_two_roots_is_repeated_not_expanded(void **state)
{
    (void)state;
    const struct session list[] = {
        { "30", NULL, NULL },
        { "31", NULL, NULL },
        { "32", "30,31", "8" },
        { "33", "32", "6" },
    };
    struct snapshot *s = tree_of(list, 4);
    assert_int_equal(s->nrows, 5);
    static const char *const want[][5] = {
        /* tree            root  pid   waiters repeated */
        { "30",            "30", "30", "2",  "f" },
        { "| 32",          "30", "32", NULL, "f" },
        { "| | 33",        "30", "33", NULL, "f" },
        { "31",            "31", "31", "2",  "f" },
        { "| 32 (above)",  "31", "32", NULL, "t" },
    };
    for (int r = 0; r < 5; r++) {
        assert_cell(s, r, "tree", want[r][0]);
        assert_cell(s, r, "root", want[r][1]);
        assert_cell(s, r, "pid", want[r][2]);
        assert_cell(s, r, "waiters", want[r][3]);
        assert_cell(s, r, "repeated", want[r][4]);
    }
    snapshot_unref(s);
}

static void test_roots_come_longest_wait_first(void **state)
{
    (void)state;
    const struct session list[] = {
        { "40", NULL, NULL },
        { "41", "40", "2" },
        { "42", NULL, NULL },
        { "43", "42", "50" },
        { "44", "42", "1" },
    };
    struct snapshot *s = tree_of(list, 5);
    assert_int_equal(s->nrows, 5);
    assert_cell(s, 0, "pid", "42");
    assert_cell(s, 0, "waiters", "2");
    assert_cell(s, 0, "longest_wait", "50.000");
    assert_cell(s, 1, "pid", "43");
    assert_cell(s, 2, "pid", "44");
    assert_cell(s, 3, "pid", "40");
    assert_cell(s, 4, "pid", "41");
    snapshot_unref(s);
}

/* pg_blocking_pids says 0 for a prepared transaction; a blocker with no
 * row (it ended between the reads), and a session listed as its own
 * blocker, are left out: the session with no other blocker is a root. */
static void test_prepared_transactions_and_missing_blockers(void **state)
{
    (void)state;
    const struct session list[] = {
        { "0", NULL, NULL },
        { "50", "0", "3" },
        { "51", "99,51", "4" },
    };
    struct snapshot *s = tree_of(list, 3);
    assert_int_equal(s->nrows, 3);
    assert_cell(s, 0, "pid", "51");
    assert_cell(s, 0, "depth", "0");
    assert_cell(s, 0, "waiters", "0");
    assert_cell(s, 0, "longest_wait", "4.000");
    assert_cell(s, 1, "pid", "0");
    assert_cell(s, 1, "waiters", "1");
    assert_cell(s, 2, "tree", "| 50");
    snapshot_unref(s);
}

static void test_no_waits_no_rows(void **state)
{
    (void)state;
    struct snapshot *s = tree_of(NULL, 0);
    assert_int_equal(s->nrows, 0);
    assert_true(snapshot_column(s, "tree") >= 0);
    assert_true(snapshot_column(s, "pid") >= 0);
    assert_string_equal(s->source, "locks");
    snapshot_unref(s);
}

/* A chain as deep as there are sessions, and a ring of all of them: each
 * shown once, nothing followed round. */
static void test_long_chains_and_rings(void **state)
{
    (void)state;
    enum { N = 2000 };
    struct session *list = xcalloc(N, sizeof *list);
    char (*pids)[16] = xcalloc(N, sizeof *pids), (*blockers)[16] = xcalloc(N, sizeof *blockers);
    for (int ring = 0; ring < 2; ring++) {
        for (int i = 0; i < N; i++) {
            snprintf(pids[i], sizeof pids[i], "%d", 1000 + i);
            snprintf(blockers[i], sizeof blockers[i], "%d", 1000 + (i + 1) % N);
            list[i] = (struct session){ pids[i], ring || i + 1 < N ? blockers[i] : NULL, ring || i + 1 < N ? "1" : NULL };
        }
        struct snapshot *s = tree_of(list, N);
        assert_int_equal(s->nrows, N);
        assert_cell(s, 0, "pid", ring ? "1000" : pids[N - 1]);
        assert_cell(s, 0, "waiters", "1999");
        assert_cell(s, N - 1, "depth", "1999");
        assert_cell(s, N - 1, "cycle", ring ? "t" : "f");
        if (ring)   /* a long way round is named in part */
            assert_cell(s, 0, "cycle_path", "1000 > 1001 > 1002 > 1003 > 1004 > 1005 > 1006 > 1007 > 1008 > "
                        "1009 > 1010 > 1011 > 1012 > 1013 > 1014 > 1015 > ... (2000 sessions)");
        snapshot_unref(s);
    }
    free(list);
    free(pids);
    free(blockers);
}

/* ---- the alert ------------------------------------------------------------ */

static const struct alert *find_alert(const struct alert *a, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

/* activity.sql's rows as locks_wanted reads them: pid, blocked_by,
 * duration (seconds the query has run). */
static struct snapshot *activity_of(const char *const (*rows)[3], int n)
{
    static const char *const cols[] = { "pid", "blocked_by", "duration" };
    struct snapshot *s = snapshot_new("activity", 3, cols);
    for (int i = 0; i < n; i++)
        snapshot_add_row(s, rows[i]);
    return s;
}

static void test_locks_are_wanted_for_a_wait_of_half_a_second_or_a_cycle(void **state)
{
    (void)state;
    /* Nobody waits: not wanted. */
    const char *const calm[][3] = { { "101", NULL, "3.0" }, { "102", "", "0.1" } };
    struct snapshot *a = activity_of(calm, 2);
    assert_false(locks_wanted(a, NULL));
    snapshot_unref(a);
    /* A wait of a few ms, as an OLTP load has all the time: not wanted. */
    const char *const young[][3] = { { "101", "102", "0.004" }, { "102", NULL, "0.01" } };
    a = activity_of(young, 2);
    assert_false(locks_wanted(a, NULL));
    /* ... nor by a last read that found only such waits. */
    const struct session young_read[] = { { "101", "102", "0.004" }, { "102", NULL, NULL } };
    struct snapshot *l = tree_of(young_read, 2);
    assert_false(locks_wanted(a, l));
    snapshot_unref(l);
    snapshot_unref(a);
    /* Half a second: wanted. */
    const char *const old[][3] = { { "101", "102", "0.5" }, { "102", NULL, "0.6" } };
    a = activity_of(old, 2);
    assert_true(locks_wanted(a, NULL));
    snapshot_unref(a);
    /* A young cycle (deadlock_timeout ends it within a second): wanted. */
    const char *const cycle[][3] = { { "101", "103", "0.02" }, { "102", NULL, "0.0" }, { "103", "101", "0.03" } };
    a = activity_of(cycle, 3);
    assert_true(locks_wanted(a, NULL));
    snapshot_unref(a);
    /* The sessions no longer show it, but the last read held a wait the
     * pane shows: wanted until a read finds it gone. */
    const struct session shown[] = { { "101", "102", "2.5" }, { "102", NULL, NULL } };
    l = tree_of(shown, 2);
    a = activity_of(calm, 2);
    assert_true(locks_wanted(a, l));
    assert_true(locks_wanted(NULL, l));
    snapshot_unref(a);
    snapshot_unref(l);
    /* A failed read holds nothing. */
    l = snapshot_failed("locks", "timed out");
    assert_false(locks_wanted(NULL, l));
    snapshot_unref(l);
}

static void test_lock_wait_alert_names_the_blocker_past_the_threshold(void **state)
{
    (void)state;
    struct config cfg = { 0 };
    cfg.alerts.lock_wait_seconds = 5;
    struct app app;
    memset(&app, 0, sizeof app);
    app.cfg = &cfg;
    collectors_init(&app);
    struct collector *c = collector_find(&app, "locks");
    assert_non_null(c);

    const struct session calm[] = { { "60", NULL, NULL }, { "61", "60", "4.9" } };
    c->current = tree_of(calm, 2);
    struct alert a[16];
    int n = alerts_evaluate(&app, a, 16);
    assert_null(find_alert(a, n, "lock_wait"));
    alerts_free(a, n);
    snapshot_unref(c->current);

    const struct session chain[] = {
        { "60", NULL, NULL }, { "61", "60", "7.2" }, { "62", "61", "3" },
        { "70", NULL, NULL }, { "71", "70", "6" },
    };
    c->current = tree_of(chain, 5);
    n = alerts_evaluate(&app, a, 16);
    const struct alert *w = find_alert(a, n, "lock_wait");
    assert_non_null(w);
    assert_int_equal(w->level, ALERT_WARNING);
    assert_string_equal(w->text, "2 sessions wait behind pid 60 for 7 s (> 5 s); 1 more blocker");
    alerts_free(a, n);

    struct perfdata pd[32];
    n = alerts_perfdata(&app, pd, 32);
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(pd[i].label, "lock_waiting") == 0) {
            assert_true(pd[i].value == 3);
            found++;
        } else if (strcmp(pd[i].label, "longest_lock_wait") == 0) {
            assert_true(fabs(pd[i].value - 7.2) < 1e-9);
            assert_true(pd[i].warn == 5 && pd[i].crit == 50);
            found++;
        }
    }
    assert_int_equal(found, 2);
    snapshot_unref(c->current);

    /* Ten times the threshold, in a cycle. */
    const struct session cycle[] = { { "80", "81", "51" }, { "81", "80", "2" } };
    c->current = tree_of(cycle, 2);
    n = alerts_evaluate(&app, a, 16);
    w = find_alert(a, n, "lock_wait");
    assert_non_null(w);
    assert_int_equal(w->level, ALERT_CRITICAL);
    assert_string_equal(w->text, "1 session waits behind pid 80 for 51 s (> 5 s), in a cycle (a deadlock in the making)");
    alerts_free(a, n);
    snapshot_unref(c->current);
    c->current = NULL;
    collectors_free(&app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_level_chain_is_a_tree_with_its_root_first),
        cmocka_unit_test(test_a_two_session_cycle_is_shown_once_and_marked),
        cmocka_unit_test(test_every_member_of_a_cycle_is_found),
        cmocka_unit_test(test_a_queue_behind_one_holder_is_one_level),
        cmocka_unit_test(test_a_session_behind_two_roots_is_repeated_not_expanded),
        cmocka_unit_test(test_roots_come_longest_wait_first),
        cmocka_unit_test(test_prepared_transactions_and_missing_blockers),
        cmocka_unit_test(test_no_waits_no_rows),
        cmocka_unit_test(test_long_chains_and_rings),
        cmocka_unit_test(test_locks_are_wanted_for_a_wait_of_half_a_second_or_a_cycle),
        cmocka_unit_test(test_lock_wait_alert_names_the_blocker_past_the_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
