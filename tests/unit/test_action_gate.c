/* The action layer without a server: the gate (read-only, the journal
 * check, confirmation, dry run), identifier quoting against libpq's own
 * PQescapeIdentifier, the EXPLAIN and CREATE INDEX lexing, partition DDL
 * worked out from bounds, and the journal's line format (no password,
 * ever). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <uv.h>

#include "core/action.h"
#include "core/action_sql.h"
#include "core/app.h"
#include "core/config.h"
#include "net/conninfo.h"
#include "core/journal.h"
#include "core/partition_plan.h"
#include "base/xalloc.h"

/* ---- a console without servers -------------------------------------------- */

struct fixture {
    uv_loop_t    loop;
    struct config cfg;
    struct app   app;
    char         dir[64];
    char         journal[128];
};

static struct fixture *fx;

static int setup(void **state)
{
    fx = xcalloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/pgdeck-gate-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->journal, sizeof fx->journal, "%s/state/pgdeck/journal", fx->dir);
    fx->cfg.lock_timeout_ms = 3000;
    fx->cfg.premake = 3;
    fx->cfg.journal_file = xstrdup(fx->journal);
    char err[256];
    assert_int_equal(conninfo_parse(&fx->cfg.primary,
                                    "host=127.0.0.1 port=5 user=pgdeck_pw password=pgdeck-secret dbname=pgdeck",
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

/* What the hooks saw. */
struct seen {
    int  done;
    int  confirms;
    enum action_outcome outcome;
    char message[1024];
    char preview[4096];
    bool answer;
    bool answer_now;
};

static void seen_done(void *arg, struct action *a)
{
    struct seen *s = arg;
    s->done++;
    s->outcome = action_outcome(a);
    snprintf(s->message, sizeof s->message, "%s", action_message(a));
}

static void seen_confirm(void *arg, struct action *a)
{
    struct seen *s = arg;
    s->confirms++;
    int n;
    char *const *lines = action_preview(a, &n);
    s->preview[0] = '\0';
    for (int i = 0; i < n; i++) {
        strncat(s->preview, lines[i], sizeof s->preview - strlen(s->preview) - 2);
        strcat(s->preview, "\n");
    }
    if (s->answer_now)
        action_confirm(a, s->answer);
}

static const struct action_hooks hooks = {
    .confirm = seen_confirm,
    .done = seen_done,
    .front_end = "console",
};

/* A changing action whose plan needs no server: one statement. */
static int fake_plans;
static void fake_plan(struct action *a)
{
    fake_plans++;
    action_note(a, "Do the thing to %s.", action_target_text(a));
    action_add_step(a, NULL, "ALTER TABLE \"s\".\"t\" SET (fillfactor = 90)");
    action_planned(a);
}

static const struct action_def fake_change = {
    .name = "fake", .key = 0, .needs = NEEDS_TABLE, .changes = true, .ddl = true, .plan = fake_plan,
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xstrdup("");
    char *buf = xcalloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* ---- the gate ------------------------------------------------------------------ */

static void test_read_only_refuses_every_changing_action_before_its_plan(void **state)
{
    (void)state;
    fx->cfg.read_only = true;
    int changing = 0;
    const struct action_def *defs[64];
    int ndefs = action_list(defs, 64);
    for (int i = 0; i < ndefs; i++) {
        const struct action_def *def = defs[i];
        if (!def->changes)
            continue;
        changing++;
        struct seen s = { 0 };
        struct action_target t = { .schema = "public", .name = "anything", .pid = 4242 };
        action_start(&fx->app, def, &t, false, &hooks, &s);
        assert_int_equal(s.done, 1);
        assert_int_equal(s.confirms, 0);
        assert_int_equal(s.outcome, ACTION_REFUSED);
        assert_non_null(strstr(s.message, "read-only"));
        assert_non_null(strstr(s.message, "nothing was sent"));
    }
    /* Cancel and terminate are plain SELECTs: the gate must still stop them. */
    assert_true(action_find("cancel")->changes);
    assert_true(action_find("terminate")->changes);
    assert_true(changing >= 9);
    struct seen s = { 0 };
    fake_plans = 0;
    action_start(&fx->app, &fake_change, NULL, false, &hooks, &s);
    assert_int_equal(fake_plans, 0);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    /* Every refusal is journaled, one line each. */
    char *journal = read_file(fx->journal);
    assert_int_equal(count_lines(journal), changing + 1);
    assert_non_null(strstr(journal, "\"outcome\":\"refused\""));
    free(journal);
    fx->cfg.read_only = false;
}

static void test_read_only_lets_explain_through_to_its_plan(void **state)
{
    (void)state;
    fx->cfg.read_only = true;
    struct seen s = { 0 };
    action_start(&fx->app, action_find("explain"), NULL, false, &hooks, &s);
    assert_int_equal(s.done, 1);
    /* Refused by its plan (nothing selected), not by the read-only gate. */
    assert_null(strstr(s.message, "read-only"));
    assert_non_null(strstr(s.message, "select a query"));
    fx->cfg.read_only = false;
}

static void test_unwritable_journal_refuses_changes_and_says_why(void **state)
{
    (void)state;
    free(fx->cfg.journal_file);
    fx->cfg.journal_file = xstrdup("/dev/null/journal");     /* ENOTDIR, even for root */
    struct seen s = { 0 };
    fake_plans = 0;
    action_start(&fx->app, &fake_change, NULL, false, &hooks, &s);
    assert_int_equal(s.outcome, ACTION_REFUSED);
    assert_int_equal(fake_plans, 0);
    assert_non_null(strstr(s.message, "journal"));
    assert_non_null(strstr(s.message, "/dev/null"));
    free(fx->cfg.journal_file);
    fx->cfg.journal_file = xstrdup(fx->journal);
}

static void test_declining_the_preview_changes_nothing_and_is_journaled(void **state)
{
    (void)state;
    struct seen s = { .answer = false, .answer_now = true };
    struct action_target t = { .schema = "s", .name = "t" };
    action_start(&fx->app, &fake_change, &t, false, &hooks, &s);
    assert_int_equal(s.confirms, 1);
    assert_int_equal(s.outcome, ACTION_DECLINED);
    assert_non_null(strstr(s.preview, "Do the thing to s.t."));
    assert_non_null(strstr(s.preview, "SET lock_timeout = 3000; SET statement_timeout = 0"));
    assert_non_null(strstr(s.preview, "ALTER TABLE \"s\".\"t\""));
    assert_non_null(strstr(s.message, "nothing changed"));
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    char *journal = read_file(fx->journal);
    assert_non_null(strstr(journal, "\"outcome\":\"declined\""));
    free(journal);
}

static void test_dry_run_shows_statements_and_asks_nothing(void **state)
{
    (void)state;
    fx->cfg.read_only = true;       /* a dry run changes nothing: allowed */
    struct seen s = { 0 };
    action_start(&fx->app, &fake_change, NULL, true, &hooks, &s);
    assert_int_equal(s.confirms, 0);
    assert_int_equal(s.outcome, ACTION_DRY_RUN);
    fx->cfg.read_only = false;
}

static void test_action_table_rows_have_unique_names_and_keys(void **state)
{
    (void)state;
    const char *keys = "CKerRmiIxa";
    for (const char *k = keys; *k; k++)
        assert_non_null(action_for_key(*k));
    /* Every row once, however many subjects list it (ANALYZE is listed
     * by every pane that shows tables). */
    const struct action_def *defs[64];
    int n = action_list(defs, 64);
    /* and three rows with no key, typed after ':' or run by `run`:
     * hypopg, track-views, untrack-views */
    assert_int_equal(n, (int)strlen(keys) + 3);
    assert_non_null(action_find("hypopg"));
    assert_non_null(action_find("track-views"));
    assert_non_null(action_find("untrack-views"));
    for (int i = 0; i < n; i++) {
        assert_non_null(defs[i]->plan);
        assert_non_null(defs[i]->help);
        for (int j = i + 1; j < n; j++) {
            assert_ptr_not_equal(defs[i], defs[j]);
            assert_string_not_equal(defs[i]->name, defs[j]->name);
            if (defs[i]->key)
                assert_int_not_equal(defs[i]->key, defs[j]->key);
        }
        /* Every DDL changes something; explain alone changes nothing. */
        if (defs[i]->ddl)
            assert_true(defs[i]->changes);
    }
    assert_false(action_find("explain")->changes);
    assert_null(action_find("no-such-action"));
}

/* ---- quoting --------------------------------------------------------------------- */

static const char *const hostile_names[] = {
    "plain", "MixedCase", "with space", "quote\"inside", "\"\"", "semi;colon",
    "x\"; DROP TABLE users; --", "back\\slash", "dollar$$", "ünïcödé", "日本語", "tab\there",
    "newline\nhere", "'single'",
};

static void test_identifier_quoting_matches_pqescapeidentifier(void **state)
{
    (void)state;
    /* An unconnected PGconn escapes as libpq does on any connection for
     * valid text (its encoding checks matter only for invalid bytes). */
    PGconn *conn = PQconnectStart("host=/nonexistent-pgdeck-gate-test");
    assert_non_null(conn);
    for (size_t i = 0; i < sizeof hostile_names / sizeof hostile_names[0]; i++) {
        const char *name = hostile_names[i];
        char *libpq = PQescapeIdentifier(conn, name, strlen(name));
        char *ours = sql_quote_identifier(name);
        assert_non_null(libpq);
        assert_non_null(ours);
        assert_string_equal(ours, libpq);
        PQfreemem(libpq);
        free(ours);
    }
    PQfinish(conn);
}

static void test_identifier_quoting_refuses_invalid_utf8_and_empty(void **state)
{
    (void)state;
    assert_null(sql_quote_identifier("bad\xff"));
    assert_null(sql_quote_identifier("\xc0\xaf"));            /* overlong '/' */
    assert_null(sql_quote_identifier("\xed\xa0\x80"));        /* a surrogate */
    assert_null(sql_quote_identifier(""));
    assert_null(sql_quote_identifier(NULL));
    char *q = sql_qualified("we\"ird", "t; drop");
    assert_string_equal(q, "\"we\"\"ird\".\"t; drop\"");
    free(q);
    char *l = sql_quote_literal("it's \\ here");
    assert_string_equal(l, "E'it''s \\\\ here'");
    free(l);
    const char *items[] = { "a", "b\"c", NULL, "d\\e" };
    char *arr = sql_text_array(items, 4);
    assert_string_equal(arr, "{\"a\",\"b\\\"c\",NULL,\"d\\\\e\"}");
    free(arr);
}

/* An extension's schema is looked up and goes into the query quoted:
 * a schema named to break out of the identifier stays one identifier. */
static void test_extension_schema_is_written_quoted_everywhere(void **state)
{
    (void)state;
    char *q = sql_in_schema("SELECT * FROM @extschema@.f(false) JOIN @extschema@.g(1)", "we\"ird; drop");
    assert_string_equal(q, "SELECT * FROM \"we\"\"ird; drop\".f(false) JOIN \"we\"\"ird; drop\".g(1)");
    free(q);
    q = sql_in_schema("SELECT 1", "public");
    assert_string_equal(q, "SELECT 1");
    free(q);
    assert_null(sql_in_schema("SELECT @extschema@.f()", "bad\xff"));
    assert_null(sql_in_schema("SELECT @extschema@.f()", ""));
    assert_null(sql_in_schema(NULL, "public"));
}

/* ---- CREATE INDEX with and without CONCURRENTLY ------------------------------------------------------ */

static void test_create_index_gets_concurrently_added_or_removed(void **state)
{
    (void)state;
    char *s = sql_create_index("CREATE INDEX idx_a ON public.t (a);", true);
    assert_string_equal(s, "CREATE INDEX CONCURRENTLY idx_a ON public.t (a)");
    free(s);
    s = sql_create_index("create unique index if not exists u ON t (a) WHERE b", true);
    assert_string_equal(s, "create unique index CONCURRENTLY if not exists u ON t (a) WHERE b");
    free(s);
    s = sql_create_index("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON public.p (a)", false);
    assert_string_equal(s, "CREATE INDEX IF NOT EXISTS i ON public.p (a)");
    free(s);
    s = sql_create_index("CREATE INDEX CONCURRENTLY i ON t (a)", true);
    assert_string_equal(s, "CREATE INDEX CONCURRENTLY i ON t (a)");
    free(s);
    /* The words are read by PostgreSQL's scanner: comments between them
     * are comments. */
    s = sql_create_index("CREATE /* u */ UNIQUE -- x\n INDEX i ON t (a)", true);
    assert_string_equal(s, "CREATE /* u */ UNIQUE -- x\n INDEX CONCURRENTLY i ON t (a)");
    free(s);
    assert_null(sql_create_index("CREATE INDEX 'unterminated", true));
    assert_null(sql_create_index("DROP INDEX i", true));
    assert_null(sql_create_index("CREATE TABLE x (a int)", true));
}

/* ---- partition DDL from bounds ----------------------------------------------------------- */

static struct partition_bound bound(const char *schema, const char *name, const char *from, const char *to)
{
    struct partition_bound b = { .schema = schema, .name = name, .has_range = true };
    if (strcmp(from, "MINVALUE") == 0)
        b.from_minvalue = true;
    else
        assert_int_equal(civil_parse(from, &b.from), 0);
    if (strcmp(to, "MAXVALUE") == 0)
        b.to_maxvalue = true;
    else
        assert_int_equal(civil_parse(to, &b.to), 0);
    return b;
}

static void test_civil_arithmetic(void **state)
{
    (void)state;
    struct civil_time t;
    assert_int_equal(civil_parse("2024-01-31 10:20:30", &t), 0);
    civil_add_months(&t, 1);
    assert_int_equal(t.year, 2024);
    assert_int_equal(t.month, 2);
    assert_int_equal(t.day, 29);                /* clamped, as PostgreSQL does */
    assert_int_equal(civil_parse("2024-12-01", &t), 0);
    civil_add_months(&t, -13);
    assert_int_equal(t.year, 2023);
    assert_int_equal(t.month, 11);
    assert_int_equal(civil_parse("1970-01-02 00:00:01", &t), 0);
    assert_true(civil_to_epoch(&t) == 86401);
    civil_from_epoch(951782400LL, &t);          /* 2000-02-29 */
    assert_int_equal(t.month, 2);
    assert_int_equal(t.day, 29);
    assert_int_equal(civil_parse("2024-02-30", &t), -1);
    assert_int_equal(civil_parse("2024-1-3", &t), -1);
    assert_int_equal(civil_parse("2024-01-03 24:00:00", &t), -1);
}

static void test_monthly_bounds_create_the_missing_months_ahead(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("public", "analytics_events_y2025m03", "2025-03-01 00:00:00", "2025-04-01 00:00:00"),
        bound("public", "analytics_events_y2025m04", "2025-04-01 00:00:00", "2025-05-01 00:00:00"),
        { .schema = "public", .name = "analytics_events_default", .is_default = true },
    };
    struct partition_input in = {
        .schema = "public", .table = "analytics_events", .key = PARTITION_KEY_TIMESTAMPTZ,
        .parts = parts, .nparts = 3, .premake = 3,
    };
    assert_int_equal(civil_parse("2025-04-17 08:00:00", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_string_equal(p.interval, "1 month");
    assert_int_equal(p.months, 1);
    /* April holds now; May, June and July are the 3 ahead. */
    assert_int_equal(p.creates, 3);
    assert_int_equal(p.nsteps, 3);
    assert_string_equal(p.steps[0].statement,
        "CREATE TABLE \"public\".\"analytics_events_y2025m05\" PARTITION OF \"public\".\"analytics_events\" "
        "FOR VALUES FROM ('2025-05-01 00:00:00+00') TO ('2025-06-01 00:00:00+00')");
    assert_string_equal(p.steps[2].name, "analytics_events_y2025m07");
    assert_string_equal(p.create_from_literal, "'2025-05-01 00:00:00+00'");
    assert_string_equal(p.create_to_literal, "'2025-08-01 00:00:00+00'");
    assert_int_equal(p.covered_to.month, 8);
    partition_plan_free(&p);
}

static void test_a_table_that_fell_behind_is_caught_up_and_names_follow_the_newest(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("s", "events_2024_11", "2024-11-01", "2024-12-01"),
        bound("s", "events_2024_12", "2024-12-01", "2025-01-01"),
    };
    struct partition_input in = {
        .schema = "s", .table = "events", .key = PARTITION_KEY_DATE, .parts = parts, .nparts = 2,
        .premake = 1,
    };
    assert_int_equal(civil_parse("2025-02-10 00:00:00", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    /* January (a gap), February (now) and March (1 ahead). */
    assert_int_equal(p.creates, 3);
    assert_string_equal(p.steps[0].name, "events_2025_01");
    assert_string_equal(p.steps[2].statement,
        "CREATE TABLE \"s\".\"events_2025_03\" PARTITION OF \"s\".\"events\" "
        "FOR VALUES FROM ('2025-03-01') TO ('2025-04-01')");
    partition_plan_free(&p);
}

static void test_daily_bounds_and_default_names(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("public", "log_first", "2025-05-01 00:00:00", "2025-05-02 00:00:00"),
    };
    struct partition_input in = {
        .schema = "public", .table = "log", .key = PARTITION_KEY_TIMESTAMP, .parts = parts, .nparts = 1,
        .premake = 2,
    };
    assert_int_equal(civil_parse("2025-05-01 12:00:00", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_string_equal(p.interval, "1 day");
    assert_int_equal(p.creates, 2);
    assert_string_equal(p.steps[0].name, "log_p20250502");
    assert_string_equal(p.steps[1].statement,
        "CREATE TABLE \"public\".\"log_p20250503\" PARTITION OF \"public\".\"log\" "
        "FOR VALUES FROM ('2025-05-03 00:00:00') TO ('2025-05-04 00:00:00')");
    partition_plan_free(&p);
}

static void test_retention_detaches_and_drops_only_when_told(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("public", "ev_y2024m01", "2024-01-01 00:00:00", "2024-02-01 00:00:00"),
        bound("public", "ev_y2024m02", "2024-02-01 00:00:00", "2024-03-01 00:00:00"),
        bound("public", "ev_y2025m05", "2025-05-01 00:00:00", "2025-06-01 00:00:00"),
        bound("public", "ev_y2025m06", "2025-06-01 00:00:00", "2025-07-01 00:00:00"),
        bound("public", "ev_y2025m07", "2025-07-01 00:00:00", "2025-08-01 00:00:00"),
        bound("public", "ev_y2025m08", "2025-08-01 00:00:00", "2025-09-01 00:00:00"),
    };
    parts[1].detach_pending = true;
    struct partition_input in = {
        .schema = "public", .table = "ev", .key = PARTITION_KEY_TIMESTAMPTZ, .parts = parts, .nparts = 6,
        .premake = 3, .has_cutoff = true, .detach_concurrently = true,
    };
    assert_int_equal(civil_parse("2025-05-20 00:00:00", &in.now), 0);
    assert_int_equal(civil_parse("2024-05-20 00:00:00", &in.cutoff), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_int_equal(p.creates, 0);
    assert_int_equal(p.detaches, 2);
    assert_int_equal(p.drops, 0);
    assert_string_equal(p.steps[0].statement,
        "ALTER TABLE \"public\".\"ev\" DETACH PARTITION \"public\".\"ev_y2024m01\" CONCURRENTLY");
    assert_string_equal(p.steps[1].statement,
        "ALTER TABLE \"public\".\"ev\" DETACH PARTITION \"public\".\"ev_y2024m02\" FINALIZE");
    partition_plan_free(&p);

    in.drop = true;
    in.detach_concurrently = false;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_int_equal(p.drops, 2);
    assert_string_equal(p.steps[0].statement, "ALTER TABLE \"public\".\"ev\" DETACH PARTITION \"public\".\"ev_y2024m01\"");
    assert_string_equal(p.steps[2].statement, "DROP TABLE \"public\".\"ev_y2024m01\"");
    partition_plan_free(&p);
}

static void test_hostile_names_are_quoted_in_the_ddl(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("sch\"ema", "t\"; DROP TABLE users; --_2025_04", "2025-04-01", "2025-05-01"),
    };
    struct partition_input in = {
        .schema = "sch\"ema", .table = "t\"; DROP TABLE users; --", .key = PARTITION_KEY_DATE,
        .parts = parts, .nparts = 1, .premake = 0,
    };
    assert_int_equal(civil_parse("2025-04-02 00:00:00", &in.now), 0);
    in.premake = 1;
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_int_equal(p.creates, 1);
    assert_string_equal(p.steps[0].statement,
        "CREATE TABLE \"sch\"\"ema\".\"t\"\"; DROP TABLE users; --_2025_05\" PARTITION OF "
        "\"sch\"\"ema\".\"t\"\"; DROP TABLE users; --\" FOR VALUES FROM ('2025-05-01') TO ('2025-06-01')");
    partition_plan_free(&p);
}

static void test_nothing_to_infer_from_is_refused_with_a_reason(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        { .schema = "public", .name = "t_default", .is_default = true },
        bound("public", "t_all", "MINVALUE", "MAXVALUE"),
    };
    struct partition_input in = {
        .schema = "public", .table = "t", .key = PARTITION_KEY_DATE, .parts = parts, .nparts = 2, .premake = 3,
    };
    assert_int_equal(civil_parse("2025-04-02", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), -1);
    assert_non_null(strstr(p.refusal, "no range partition with finite bounds"));
    assert_int_equal(p.nsteps, 0);
    partition_plan_free(&p);
}

static void test_an_open_ended_partition_blocks_creation(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("public", "t_y2025m04", "2025-04-01", "2025-05-01"),
        bound("public", "t_future", "2025-05-01", "MAXVALUE"),
    };
    struct partition_input in = {
        .schema = "public", .table = "t", .key = PARTITION_KEY_DATE, .parts = parts, .nparts = 2, .premake = 2,
    };
    assert_int_equal(civil_parse("2025-04-02", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), 0);
    assert_int_equal(p.creates, 0);
    assert_true(p.nnotes > 0);
    partition_plan_free(&p);
}

static void test_too_many_partitions_to_catch_up_is_refused(void **state)
{
    (void)state;
    struct partition_bound parts[] = {
        bound("public", "d_p20200101", "2020-01-01", "2020-01-02"),
    };
    struct partition_input in = {
        .schema = "public", .table = "d", .key = PARTITION_KEY_DATE, .parts = parts, .nparts = 1, .premake = 3,
    };
    assert_int_equal(civil_parse("2025-04-02", &in.now), 0);
    struct partition_plan p;
    assert_int_equal(partition_plan_build(&p, &in), -1);
    assert_non_null(strstr(p.refusal, "more than 120 new partitions"));
    partition_plan_free(&p);
}

/* ---- the journal ---------------------------------------------------------------------------- */

static void test_journal_line_has_every_field_and_no_password(void **state)
{
    (void)state;
    struct journal_entry e = {
        .time = 1714564800.25, .os_user = "alice", .db_user = "pgdeck_pw", .database = "pgdeck",
        .server = fx->app.primary_display, .front_end = "console", .action = "refresh",
        .target = "public.mv", .statement = "REFRESH MATERIALIZED VIEW \"public\".\"mv\"\n-- \t\x1b[2J",
        .duration_ms = 12.34, .outcome = "ok", .detail = "bad \xff byte",
    };
    char *line = journal_format(&e);
    assert_null(strstr(line, "pgdeck-secret"));
    assert_non_null(strstr(fx->app.primary_display, "pgdeck_pw"));
    size_t len = strlen(line);
    assert_true(len > 2 && line[len - 1] == '\n');
    assert_null(memchr(line, '\n', len - 1));           /* one line */
    for (size_t i = 0; i < len - 1; i++)                /* printable ASCII only */
        assert_true(line[i] >= 0x20 && line[i] < 0x7f);
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "time")), "2024-05-01T12:00:00.250Z");
    const char *fields[] = { "os_user", "db_user", "database", "server", "front_end", "action", "target",
                             "statement", "outcome", "detail" };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_true(json_is_string(json_object_get(o, fields[i])));
    assert_true(json_is_number(json_object_get(o, "duration_ms")));
    assert_string_equal(json_string_value(json_object_get(o, "statement")),
                        "REFRESH MATERIALIZED VIEW \"public\".\"mv\"\n-- \t\x1b[2J");
    assert_string_equal(json_string_value(json_object_get(o, "detail")), "bad \xef\xbf\xbd byte");
    json_decref(o);
    free(line);
}

static void test_journal_file_is_private_and_read_back(void **state)
{
    (void)state;
    struct seen s = { .answer = false, .answer_now = true };
    action_start(&fx->app, &fake_change, NULL, false, &hooks, &s);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    struct stat st;
    assert_int_equal(stat(fx->journal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/state/pgdeck", fx->dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *text = read_file(fx->journal);
    assert_null(strstr(text, "pgdeck-secret"));
    assert_non_null(strstr(text, "\"db_user\":\"pgdeck_pw\""));
    assert_non_null(strstr(text, "\"os_user\":\""));
    free(text);
    char err[256];
    int n = 0;
    char **lines = journal_tail(fx->journal, 10, &n, err, sizeof err);
    assert_non_null(lines);
    assert_true(n >= 1);
    assert_non_null(strstr(lines[0], "fake"));
    assert_non_null(strstr(lines[0], "declined"));
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void test_journal_path_follows_xdg_state_home(void **state)
{
    (void)state;
    char err[128];
    char *old = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;
    setenv("XDG_STATE_HOME", "/x/state", 1);
    char *p = journal_path(NULL, err, sizeof err);
    assert_string_equal(p, "/x/state/pgdeck/journal");
    free(p);
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/u", 1);
    p = journal_path(NULL, err, sizeof err);
    assert_string_equal(p, "/home/u/.local/state/pgdeck/journal");
    free(p);
    p = journal_path("/etc/j", err, sizeof err);
    assert_string_equal(p, "/etc/j");
    free(p);
    if (old)
        setenv("XDG_STATE_HOME", old, 1);
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_only_refuses_every_changing_action_before_its_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_lets_explain_through_to_its_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_journal_refuses_changes_and_says_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_declining_the_preview_changes_nothing_and_is_journaled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_shows_statements_and_asks_nothing, setup, teardown),
        cmocka_unit_test(test_action_table_rows_have_unique_names_and_keys),
        cmocka_unit_test(test_identifier_quoting_matches_pqescapeidentifier),
        cmocka_unit_test(test_identifier_quoting_refuses_invalid_utf8_and_empty),
        cmocka_unit_test(test_extension_schema_is_written_quoted_everywhere),
        cmocka_unit_test(test_create_index_gets_concurrently_added_or_removed),
        cmocka_unit_test(test_civil_arithmetic),
        cmocka_unit_test(test_monthly_bounds_create_the_missing_months_ahead),
        cmocka_unit_test(test_a_table_that_fell_behind_is_caught_up_and_names_follow_the_newest),
        cmocka_unit_test(test_daily_bounds_and_default_names),
        cmocka_unit_test(test_retention_detaches_and_drops_only_when_told),
        cmocka_unit_test(test_hostile_names_are_quoted_in_the_ddl),
        cmocka_unit_test(test_nothing_to_infer_from_is_refused_with_a_reason),
        cmocka_unit_test(test_an_open_ended_partition_blocks_creation),
        cmocka_unit_test(test_too_many_partitions_to_catch_up_is_refused),
        cmocka_unit_test_setup_teardown(test_journal_line_has_every_field_and_no_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_file_is_private_and_read_back, setup, teardown),
        cmocka_unit_test(test_journal_path_follows_xdg_state_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
