/* The action journal without a server: long targets kept whole, the
 * write-ahead intent and how it is read back (paired with its outcome, or
 * "outcome unknown (pgdeck stopped)" when its pgdeck is gone), a changing
 * action refused when its intent cannot be written, format-1 lines still
 * read, and the views pane trusting a record only for the very object it
 * was written about. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "core/action.h"
#include "core/action_sql.h"
#include "core/app.h"
#include "core/config.h"
#include "net/conninfo.h"
#include "subjects/views.h"
#include "core/journal.h"
#include "core/snapshot.h"
#include "base/clock.h"
#include "base/xalloc.h"

struct fixture {
    uv_loop_t     loop;
    struct config cfg;
    struct app    app;
    char          dir[64];
    char          journal[128];
};

static struct fixture *fx;

static int setup(void **state)
{
    fx = xcalloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/pgdeck-journal-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->journal, sizeof fx->journal, "%s/journal", fx->dir);
    fx->cfg.lock_timeout_ms = 3000;
    fx->cfg.journal_file = xstrdup(fx->journal);
    fx->cfg.alerts.view_age_hours = 4;
    char err[256];
    assert_int_equal(conninfo_parse(&fx->cfg.primary, "host=127.0.0.1 port=5 user=postgres dbname=pgdeck",
                                    err, sizeof err), 0);
    fx->app.loop = &fx->loop;
    fx->app.cfg = &fx->cfg;
    fx->app.primary_display = conninfo_display(&fx->cfg.primary);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    conninfo_free(&fx->cfg.primary);
    free(fx->cfg.journal_file);
    free(fx->app.primary_display);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xstrdup("");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xcalloc(1, (size_t)size + 1);
    size_t n = fread(buf, 1, (size_t)size, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The journal's lines as JSON objects (caller frees each and the array). */
static json_t **journal_objects(int *n)
{
    char *text = read_file(fx->journal);
    json_t **out = xcalloc(64, sizeof *out);
    *n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && *n < 64; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        out[*n] = json_loads(line, 0, &err);
        assert_non_null(out[*n]);
        (*n)++;
    }
    free(text);
    return out;
}

static void free_objects(json_t **o, int n)
{
    for (int i = 0; i < n; i++)
        json_decref(o[i]);
    free(o);
}

static const char *text_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char **tail(int *n)
{
    char err[256];
    char **lines = journal_tail(fx->journal, 50, n, err, sizeof err);
    assert_non_null(lines);
    return lines;
}

static char *tail_text(void)
{
    int n;
    char **lines = tail(&n);
    char *all = xstrdup("");
    for (int i = 0; i < n; i++) {
        char *more = xasprintf("%s%s\n", all, lines[i]);
        free(all);
        all = more;
        free(lines[i]);
    }
    free(lines);
    return all;
}

/* ---- a fake action ------------------------------------------------------------- */

struct seen {
    int  done;
    enum action_outcome outcome;
    char *message;
    char *target;
};

static void seen_done(void *arg, struct action *a)
{
    struct seen *s = arg;
    s->done++;
    s->outcome = action_outcome(a);
    s->message = xstrdup(action_message(a));
    s->target = xstrdup(action_target_text(a));
}

static void decline(void *arg, struct action *a)
{
    (void)arg;
    action_confirm(a, false);
}

static const struct action_hooks declining = { .confirm = decline, .done = seen_done, .front_end = "console" };
static const struct action_hooks unasked = { .done = seen_done, .front_end = "run" };

static char *long_target;

static void long_plan(struct action *a)
{
    action_set_target(a, "%s", long_target);
    action_add_step(a, "public.v0", "SELECT 1");
    action_planned(a);
}

static const struct action_def long_change = {
    .name = "fake", .needs = NEEDS_NOTHING, .changes = true, .ddl = true, .plan = long_plan,
};

/* A change that needs no reserved connection: its statement would go
 * straight to the pool (there is none here, so it would fail as "not
 * connected" if it were ever sent). */
static int statements_planned;
static void plain_plan(struct action *a)
{
    statements_planned++;
    action_add_step(a, "pid 4242", "SELECT pg_cancel_backend(4242)");
    action_planned(a);
}

static const struct action_def plain_change = {
    .name = "fake-cancel", .needs = NEEDS_NOTHING, .changes = true, .plan = plain_plan,
};

/* ---- long targets ---------------------------------------------------------------- */

static void test_a_target_of_10000_bytes_survives_the_round_trip(void **state)
{
    (void)state;
    /* 10,000 bytes of names, as refresh-stale writes them, with a
     * multibyte character at the end to see it arrive whole. */
    long_target = xcalloc(1, 10001);
    size_t len = 0;
    for (int i = 0; len < 10000 - 16; i++)
        len += (size_t)sprintf(long_target + len, "%spublic.v%04d", i ? ", " : "", i);
    while (len < 9998)
        long_target[len++] = 'x';
    memcpy(long_target + len, "\xc3\xa9", 2);       /* é */
    len += 2;
    assert_int_equal(strlen(long_target), 10000);

    struct seen s = { 0 };
    action_start(&fx->app, &long_change, NULL, false, &declining, &s);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    assert_int_equal(s.done, 1);
    assert_int_equal(s.outcome, ACTION_DECLINED);
    assert_string_equal(s.target, long_target);

    int n;
    json_t **lines = journal_objects(&n);
    assert_int_equal(n, 1);
    assert_string_equal(text_of(lines[0], "target"), long_target);
    free_objects(lines, n);

    /* The journal viewer shows it whole too. */
    char *text = tail_text();
    assert_non_null(strstr(text, long_target));
    free(text);
    free(s.message);
    free(s.target);
    free(long_target);
}

/* ---- the intent ------------------------------------------------------------------ */

static struct journal_relation mv_relation = { "public.mv", 16390 };

static struct journal_entry entry(const char *action, const char *target, bool intent, const char *id,
                                  const char *outcome)
{
    return (struct journal_entry){
        .time = now_wall() - 600, .os_user = "alice", .db_user = "postgres", .database = "pgdeck",
        .server = "host=/run/pg port=5432", .front_end = "run", .action = action, .target = target,
        .statement = "CREATE INDEX CONCURRENTLY big_idx ON public.t (a)", .duration_ms = intent ? -1 : 12,
        .outcome = outcome, .intent = intent, .id = id, .system_id = "111", .database_oid = 5,
        .relations = strcmp(action, "refresh") == 0 ? &mv_relation : NULL,
        .nrelations = strcmp(action, "refresh") == 0 ? 1 : 0,
    };
}

/* Write an intent from a process that is gone by the time it is read:
 * a pgdeck killed while its statement ran. */
static void intent_from_a_dead_pgdeck(const char *action, const char *target, const char *id)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char err[256];
        struct journal_entry e = entry(action, target, true, id, NULL);
        _exit(journal_append(fx->journal, &e, err, sizeof err) == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_an_intent_is_written_with_no_outcome_and_who_wrote_it(void **state)
{
    (void)state;
    char err[256];
    struct journal_entry e = entry("index", "public.big_idx", true, "h:1:2:3", NULL);
    assert_int_equal(journal_append(fx->journal, &e, err, sizeof err), 0);
    int n;
    json_t **lines = journal_objects(&n);
    assert_int_equal(n, 1);
    assert_string_equal(text_of(lines[0], "record"), "intent");
    assert_string_equal(text_of(lines[0], "id"), "h:1:2:3");
    assert_true(json_is_null(json_object_get(lines[0], "outcome")));
    assert_true(json_is_null(json_object_get(lines[0], "duration_ms")));
    assert_int_equal(json_integer_value(json_object_get(lines[0], "format")), 2);
    assert_int_equal(json_integer_value(json_object_get(lines[0], "pid")), getpid());
    assert_string_equal(text_of(lines[0], "system_id"), "111");
    assert_int_equal(json_integer_value(json_object_get(lines[0], "database_oid")), 5);
    /* Format 1's fields keep their order, first: greps on it still work. */
    char *text = read_file(fx->journal);
    assert_non_null(strstr(text, "\"action\":\"index\",\"target\":\"public.big_idx\""));
    free(text);
    free_objects(lines, n);
}

static void test_an_intent_whose_pgdeck_stopped_reads_outcome_unknown(void **state)
{
    (void)state;
    intent_from_a_dead_pgdeck("index", "public.big_idx", "dead:1");
    char *text = tail_text();
    assert_non_null(strstr(text, "index public.big_idx  outcome unknown (pgdeck stopped)"));
    assert_non_null(strstr(text, "CREATE INDEX CONCURRENTLY big_idx"));
    free(text);
}

static void test_an_intent_whose_pgdeck_still_runs_reads_running(void **state)
{
    (void)state;
    char err[256];
    struct journal_entry e = entry("index", "public.big_idx", true, "alive:1", NULL);
    assert_int_equal(journal_append(fx->journal, &e, err, sizeof err), 0);
    char *text = tail_text();
    char *want = xasprintf("index public.big_idx  running (pgdeck pid %d)", (int)getpid());
    assert_non_null(strstr(text, want));
    assert_null(strstr(text, "outcome unknown"));
    free(want);
    free(text);
}

static void test_an_intent_and_its_outcome_read_as_one_entry(void **state)
{
    (void)state;
    intent_from_a_dead_pgdeck("index", "public.a_idx", "pair:1");
    intent_from_a_dead_pgdeck("index", "public.b_idx", "pair:2");
    char err[256];
    struct journal_entry e = entry("index", "public.a_idx", false, "pair:1", "ok");
    assert_int_equal(journal_append(fx->journal, &e, err, sizeof err), 0);
    int n;
    char **lines = tail(&n);
    /* b_idx's intent (and its statement), a_idx's outcome (and its
     * statement): a_idx's intent is answered and not shown again. */
    assert_int_equal(n, 4);
    assert_non_null(strstr(lines[0], "index public.b_idx  outcome unknown (pgdeck stopped)"));
    assert_non_null(strstr(lines[2], "index public.a_idx  ok 12ms"));
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void test_format_1_lines_still_read(void **state)
{
    (void)state;
    FILE *f = fopen(fx->journal, "w");
    assert_non_null(f);
    fputs("{\"time\":\"2025-05-01T12:00:00.123Z\",\"os_user\":\"alice\",\"db_user\":\"postgres\","
          "\"database\":\"pgdeck\",\"server\":\"x\",\"front_end\":\"console\",\"action\":\"refresh\","
          "\"target\":\"public.a, public.b\",\"statement\":\"REFRESH ...\",\"duration_ms\":412.7,"
          "\"outcome\":\"ok\",\"detail\":\"refreshed\"}\n", f);
    fclose(f);
    char *text = tail_text();
    assert_non_null(strstr(text, "refresh public.a, public.b  ok 413ms: refreshed"));
    free(text);
    struct journal_latest *list;
    char err[256];
    int n = journal_latest(fx->journal, "refresh", &list, err, sizeof err);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].target, "public.a");
    assert_int_equal(list[0].oid, 0);           /* no identity: nothing to trust it for */
    assert_null(list[0].system_id);
    journal_latest_free(list, n);
}

static void test_a_refresh_intent_without_outcome_is_unfinished_for_its_view(void **state)
{
    (void)state;
    char err[256];
    struct journal_entry ok = entry("refresh", "public.mv", false, "r:1", "ok");
    ok.time = now_wall() - 3600;
    assert_int_equal(journal_append(fx->journal, &ok, err, sizeof err), 0);
    intent_from_a_dead_pgdeck("refresh", "public.mv", "r:2");
    struct journal_latest *list;
    int n = journal_latest(fx->journal, "refresh", &list, err, sizeof err);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].oid, 16390);
    assert_string_equal(list[0].system_id, "111");
    assert_true(fabs(list[0].time - ok.time) < 0.01);
    assert_false(isnan(list[0].unfinished));
    assert_false(list[0].running);
    journal_latest_free(list, n);
}

/* ---- the gate: no intent, no statement ------------------------------------------- */

static void test_a_change_is_refused_when_its_intent_cannot_be_written(void **state)
{
    (void)state;
    /* The journal can be opened (the gate's first check passes), but no
     * line fits in it any more: the file size limit makes write() fail
     * with EFBIG, as a full disk would with ENOSPC. */
    FILE *f = fopen(fx->journal, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++)
        fputs("{\"padding\":\"..................................................\"}\n", f);
    fclose(f);
    struct rlimit old, limit;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    limit = old;
    limit.rlim_cur = 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);

    struct seen s = { 0 };
    statements_planned = 0;
    action_start(&fx->app, &plain_change, NULL, false, &unasked, &s);
    uv_run(&fx->loop, UV_RUN_NOWAIT);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(statements_planned, 1);
    assert_int_equal(s.done, 1);
    assert_int_equal(s.outcome, ACTION_REFUSED);
    assert_non_null(strstr(s.message, "cannot write the journal"));
    assert_non_null(strstr(s.message, "nothing was sent"));
    /* Had the statement been sent it would have failed for want of a
     * server. */
    assert_null(strstr(s.message, "not connected"));
    free(s.message);
    free(s.target);
}

/* The session check is given one relation per step, NULL for a step about
 * none: an index-all of many builds is a list of many NULLs. */
static void test_a_text_array_of_many_nulls_fits(void **state)
{
    (void)state;
    const char *items[] = { NULL, NULL, NULL, "\"public\".\"mv\"", NULL };
    char *a = sql_text_array(items, 5);
    assert_string_equal(a, "{NULL,NULL,NULL,\"\\\"public\\\".\\\"mv\\\"\",NULL}");
    free(a);
    const char *nulls[64] = { NULL };
    a = sql_text_array(nulls, 64);
    assert_int_equal(strlen(a), 2 + 64 * 4 + 63);
    free(a);
}

/* ---- the views pane ---------------------------------------------------------------- */

static const char *const view_columns[] = { "name", "populated", "log_installed", "object_key" };

static void add_view(struct snapshot *s, const char *name, const char *key)
{
    const char *values[] = { name, "t", "f", key };
    snapshot_add_row(s, values);
}

static void test_views_trust_the_journal_only_for_the_same_object(void **state)
{
    (void)state;
    char err[256];
    struct journal_relation rels[] = { { "public.mv", 16390 }, { "public.other", 16400 } };
    struct journal_entry e = entry("refresh", "public.mv, public.other", false, "v:1", "ok");
    e.time = now_wall() - 3600;
    e.relations = rels;
    e.nrelations = 2;
    assert_int_equal(journal_append(fx->journal, &e, err, sizeof err), 0);
    /* A record from before OIDs were journaled names public.old only. */
    FILE *f = fopen(fx->journal, "a");
    fprintf(f, "{\"time\":\"%s\",\"action\":\"refresh\",\"target\":\"public.old\",\"outcome\":\"ok\"}\n",
            iso_time_utc(now_wall() - 60, (char[40]){ 0 }, 40));
    fclose(f);

    struct snapshot *s = snapshot_new("views", 4, view_columns);
    add_view(s, "public.mv", "111/5/16390");            /* the very view */
    add_view(s, "public.mv", "111/5/16500");            /* dropped and created again */
    add_view(s, "public.mv", "222/5/16390");            /* another cluster, same OIDs */
    add_view(s, "public.mv", "111/6/16390");            /* another database */
    add_view(s, "public.mv", "/5/16390");               /* system identifier unreadable */
    add_view(s, "public.old", "111/5/16410");           /* a format-1 record's name */
    add_view(s, "public.renamed", "111/5/16400");       /* public.other, renamed since */
    derive_views(&fx->app, s, NULL);

    assert_string_equal(snapshot_get(s, 0, "refresh_known_from"), "journal");
    assert_true(fabs(snapshot_number(s, 0, "age", NAN) - 3600) < 5);
    for (int r = 1; r <= 5; r++) {
        assert_null(snapshot_get(s, r, "refresh_known_from"));
        assert_string_equal(snapshot_get(s, r, "state"), "unknown");
    }
    assert_string_equal(snapshot_get(s, 6, "refresh_known_from"), "journal");
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_target_of_10000_bytes_survives_the_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_intent_is_written_with_no_outcome_and_who_wrote_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_intent_whose_pgdeck_stopped_reads_outcome_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_intent_whose_pgdeck_still_runs_reads_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_intent_and_its_outcome_read_as_one_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_1_lines_still_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_refresh_intent_without_outcome_is_unfinished_for_its_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_change_is_refused_when_its_intent_cannot_be_written, setup, teardown),
        cmocka_unit_test(test_a_text_array_of_many_nulls_fits),
        cmocka_unit_test_setup_teardown(test_views_trust_the_journal_only_for_the_same_object, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
