/* Index advice, the pure parts (core/advise.h): the candidate indexes a
 * statement's parse tree suggests, the names and statements pgdeck writes
 * for them, what an EXPLAIN (FORMAT JSON) says, what an existing index
 * serves already; and the indexes pane without the kit's schema
 * (indexes_plan_fit, derive_indexes_from): the kit's plan is not applied
 * where its tables are not, a planned index without a table is "no table",
 * foreign keys without an index and the advice become rows. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/xalloc.h"
#include "core/advise.h"
#include "core/explain_guard.h"
#include "core/plan.h"
#include "core/snapshot.h"
#include "subjects/indexes.h"

/* The candidates of `text` as "relation:col,col" lines joined by "; ". */
static char *candidates_of(const char *text)
{
    struct explain_info info = { 0 };
    if (explain_guard_check(text, &info) != 0)
        fail_msg("'%s' was refused: %s", text, info.why);
    struct advise_candidate *list = NULL;
    int n = 0;
    advise_candidates(&info, &list, &n, 8);
    char *out = xstrdup("");
    for (int i = 0; i < n; i++) {
        const char *rel = list[i].relation >= 0 && list[i].relation < info.nrelations
                          ? info.relations[list[i].relation].name : "?";
        char *more = xasprintf("%s%s%s:", out, i ? "; " : "", rel);
        free(out);
        out = more;
        for (int c = 0; c < list[i].ncolumns; c++) {
            more = xasprintf("%s%s%s", out, c ? "," : "", list[i].columns[c]);
            free(out);
            out = more;
        }
    }
    advise_candidates_free(list, n);
    explain_info_free(&info);
    return out;
}

static void assert_candidates(const char *text, const char *want)
{
    char *got = candidates_of(text);
    if (strcmp(got, want) != 0)
        fail_msg("'%s': candidates '%s', expected '%s'", text, got, want);
    free(got);
}

static void assert_has_candidate(const char *text, const char *want)
{
    char *got = candidates_of(text);
    if (!strstr(got, want))
        fail_msg("'%s': candidates '%s' do not include '%s'", text, got, want);
    free(got);
}

static void test_equality_predicate_is_a_candidate(void **state)
{
    (void)state;
    assert_candidates("SELECT id, status FROM shop.orders WHERE customer_id = $1", "orders:customer_id");
    assert_candidates("SELECT * FROM t WHERE a IN (1, 2, 3)", "t:a");
}

static void test_equality_then_range(void **state)
{
    (void)state;
    assert_has_candidate("SELECT * FROM t WHERE a = $1 AND b > $2", "t:a,b");
    assert_has_candidate("SELECT * FROM t WHERE b BETWEEN 1 AND 5", "t:b");
}

static void test_join_keys_are_candidates(void **state)
{
    (void)state;
    assert_has_candidate("SELECT * FROM orders o JOIN lines l ON l.order_id = o.id WHERE o.customer_id = 7",
                         "lines:order_id");
    assert_has_candidate("SELECT * FROM orders o JOIN lines l ON l.order_id = o.id WHERE o.customer_id = 7",
                         "orders:customer_id");
}

static void test_order_by_only_with_limit(void **state)
{
    (void)state;
    assert_candidates("SELECT * FROM events ORDER BY created_at DESC LIMIT 10", "events:created_at");
    assert_candidates("SELECT * FROM events ORDER BY created_at", "");
}

static void test_or_and_expressions_are_not_read(void **state)
{
    (void)state;
    assert_candidates("SELECT * FROM t WHERE a = 1 OR b = 2", "");
    assert_candidates("SELECT * FROM t WHERE lower(email) = 'x'", "");
}

static void test_served_by_a_prefix_only(void **state)
{
    (void)state;
    const char *ab[] = { "a", "b" }, *a[] = { "a" }, *b[] = { "b" }, *ba[] = { "b", "a" };
    assert_true(advise_served(a, 1, ab, 2));        /* (a) leads (a, b) */
    assert_true(advise_served(ab, 2, ab, 2));
    assert_false(advise_served(b, 1, ab, 2));       /* (b) does not lead (a, b) */
    assert_false(advise_served(ab, 2, ba, 2));
    assert_false(advise_served(ab, 2, a, 1));       /* (a) alone does not serve (a, b) */
}

static void test_index_name_and_statement(void **state)
{
    (void)state;
    const char *cols[] = { "customer_id", "Created At" };
    char *name = advise_index_name("orders", cols, 2);
    assert_string_equal(name, "orders_customer_id_Created At_idx");
    char *sql = advise_index_sql("shop", "orders", name, cols, 2, true);
    assert_string_equal(sql, "CREATE INDEX CONCURRENTLY \"orders_customer_id_Created At_idx\" ON \"shop\".\"orders\" "
                             "USING btree (\"customer_id\", \"Created At\")");
    free(sql);
    /* Without a name: what hypopg_create_index takes. */
    sql = advise_index_sql("shop", "orders", NULL, cols, 1, false);
    assert_string_equal(sql, "CREATE INDEX ON \"shop\".\"orders\" USING btree (\"customer_id\")");
    free(sql);
    free(name);
    /* PostgreSQL's limit: 63 bytes. */
    char long_table[80];
    memset(long_table, 'x', 70);
    long_table[70] = '\0';
    name = advise_index_name(long_table, cols, 1);
    assert_true(strlen(name) <= 63);
    free(name);
}

static void test_plan_read_cost_and_index(void **state)
{
    (void)state;
    const char *json =
        "[{\"Plan\": {\"Node Type\": \"Nested Loop\", \"Total Cost\": 143.59, \"Plans\": ["
        "{\"Node Type\": \"Index Scan\", \"Index Name\": \"<13402>btree_orders_customer_id\", \"Total Cost\": 8.1},"
        "{\"Node Type\": \"Seq Scan\", \"Total Cost\": 3.0}]}}]";
    double cost = 0;
    bool uses = false;
    assert_int_equal(advise_plan_read(json, "<13402>btree_orders_customer_id", &cost, &uses), 0);
    assert_true(fabs(cost - 143.59) < 1e-9);
    assert_true(uses);
    assert_int_equal(advise_plan_read(json, "<1>other", &cost, &uses), 0);
    assert_false(uses);
    assert_int_equal(advise_plan_read("not json", NULL, &cost, NULL), -1);
}

/* ---- the indexes pane without the kit's schema ------------------------------ */

static const char *const health_columns[] = {
    "kind", "schema", "table", "name", "found", "relkind", "columns", "referenced", "rows",
    "stats_reset", "server_start", "server_now",
};
#define HEALTH_COLUMNS ((int)(sizeof health_columns / sizeof health_columns[0]))

static void add_health(struct snapshot *h, const char *kind, const char *schema, const char *table,
                       const char *name, const char *found, const char *columns, const char *referenced)
{
    const char *v[HEALTH_COLUMNS] = { kind, schema, table, name, found, NULL, columns, referenced, "1000",
                                      NULL, NULL, NULL };
    snapshot_add_row(h, v);
}

static const char *const index_columns[] = {
    "name", "schema", "index", "table", "index_oid", "method", "enforces", "valid", "scans",
    "duplicate_of", "redundant_of", "definition",
};
#define INDEX_COLUMNS ((int)(sizeof index_columns / sizeof index_columns[0]))

static int row_of(const struct snapshot *s, const char *index)
{
    for (int r = 0; r < s->nrows; r++) {
        const char *v = snapshot_get(s, r, "index");
        if (v && strcmp(v, index) == 0)
            return r;
    }
    return -1;
}

static const char *cell(const struct snapshot *s, const char *index, const char *column)
{
    int r = row_of(s, index);
    if (r < 0)
        fail_msg("no row for %s", index);
    const char *v = snapshot_get(s, r, column);
    return v ? v : "";
}

static int count_status(const struct snapshot *s, const char *status)
{
    int n = 0;
    for (int r = 0; r < s->nrows; r++) {
        const char *v = snapshot_get(s, r, "status");
        n += v && strcmp(v, status) == 0;
    }
    return n;
}

static void test_kit_plan_not_applied_where_its_tables_are_not(void **state)
{
    (void)state;
    struct plan plan;
    const char *sql = "CREATE INDEX a_idx ON kit.a (x);\nCREATE INDEX b_idx ON kit.b (x);\n"
                      "CREATE INDEX c_idx ON kit.c (x);\n";
    assert_int_equal(plan_parse(&plan, sql, strlen(sql), "kit.sql"), 0);
    struct snapshot *h = snapshot_new("index_health", HEALTH_COLUMNS, health_columns);
    add_health(h, "table", "kit", "a", NULL, "t", NULL, NULL);
    add_health(h, "table", "kit", "b", NULL, "f", NULL, NULL);
    add_health(h, "table", "kit", "c", NULL, "f", NULL, NULL);

    struct index_plan_fit fit;
    indexes_plan_fit(&plan, true, h, true, &fit);
    assert_int_equal(fit.verdict, PLAN_FIT_NOT_HERE);
    assert_int_equal(fit.tables, 3);
    assert_int_equal(fit.found, 1);
    /* Not asked yet: pending, nothing shown missing meanwhile. */
    indexes_plan_fit(&plan, true, NULL, false, &fit);
    assert_int_equal(fit.verdict, PLAN_FIT_PENDING);
    /* A plan given with --plan always applies. */
    indexes_plan_fit(&plan, false, h, true, &fit);
    assert_int_equal(fit.verdict, PLAN_FIT_APPLIES);

    /* The kit's plan here: nothing missing, nothing "no table". */
    struct snapshot *s = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    struct index_inputs in = { .plan = &plan, .plan_builtin = true, .health = h, .health_known = true, .now = NAN };
    derive_indexes_from(s, &in);
    assert_int_equal(s->nrows, 0);
    snapshot_unref(s);

    /* The same plan given with --plan: a is missing, b and c have no table. */
    s = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    in.plan_builtin = false;
    derive_indexes_from(s, &in);
    assert_int_equal(s->nrows, 3);
    assert_string_equal(cell(s, "a_idx", "status"), "missing");
    assert_string_equal(cell(s, "b_idx", "status"), "no table");
    assert_string_equal(cell(s, "c_idx", "status"), "no table");
    assert_int_equal(count_status(s, "missing"), 1);
    /* "no table" comes last, after what needs a hand. */
    assert_string_equal(snapshot_get(s, 0, "index"), "a_idx");
    snapshot_unref(s);
    snapshot_unref(h);
    plan_free(&plan);
}

static void test_health_rows_fk_unused_redundant_and_advice(void **state)
{
    (void)state;
    struct snapshot *h = snapshot_new("index_health", HEALTH_COLUMNS, health_columns);
    const char *stats[HEALTH_COLUMNS] = { "stats", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                          NULL, "1000", "1000" /* + 3 days below */ };
    char now[32];
    snprintf(now, sizeof now, "%d", 1000 + 3 * 86400 + 100);
    stats[11] = now;
    snapshot_add_row(h, stats);
    add_health(h, "fk", "shop", "lines", "lines_order_fk", NULL, "[\"order_id\"]", "shop.orders");

    struct snapshot *s = snapshot_new("indexes", INDEX_COLUMNS, index_columns);
    const char *unused[INDEX_COLUMNS] = { "shop.lines_a_idx", "shop", "lines_a_idx", "shop.lines", "1", "btree",
                                          "f", "t", "0", NULL, "shop.lines_a_b_idx", "CREATE INDEX ..." };
    snapshot_add_row(s, unused);

    static const char *const advice_columns[] = {
        "name", "schema", "index", "table", "columns", "definition", "cost_before", "cost_after",
        "statements", "calls", "helps", "why",
    };
    struct snapshot *adv = snapshot_new("advice", 12, advice_columns);
    const char *a[12] = { "shop.orders_customer_id_idx", "shop", "orders_customer_id_idx", "shop.orders",
                          "customer_id", "CREATE INDEX \"orders_customer_id_idx\" ON \"shop\".\"orders\" USING btree "
                          "(\"customer_id\")", "3774.00", "143.59", "1", "400", "[]", "equality" };
    snapshot_add_row(adv, a);

    struct index_inputs in = { .health = h, .health_known = true, .advice = adv, .now = NAN };
    derive_indexes_from(s, &in);
    assert_int_equal(s->nrows, 3);
    /* Advised first, then the foreign key, then the catalog's index. */
    assert_string_equal(snapshot_get(s, 0, "index"), "orders_customer_id_idx");
    assert_string_equal(cell(s, "orders_customer_id_idx", "status"), "advised");
    assert_string_equal(cell(s, "orders_customer_id_idx", "suggested"), "t");
    assert_string_equal(cell(s, "orders_customer_id_idx", "note"), "cost -96%");
    assert_string_equal(cell(s, "lines_order_id_idx", "status"), "fk no index");
    assert_string_equal(cell(s, "lines_order_id_idx", "definition"),
                        "CREATE INDEX \"lines_order_id_idx\" ON \"shop\".\"lines\" USING btree (\"order_id\")");
    /* Unused for 3 days of statistics (no reset: since the server started),
     * and a prefix of another index. */
    assert_string_equal(cell(s, "lines_a_idx", "unused"), "t");
    assert_string_equal(cell(s, "lines_a_idx", "stats_from"), "start");
    assert_string_equal(cell(s, "lines_a_idx", "redundant"), "t");
    assert_string_equal(cell(s, "lines_a_idx", "note"), "unused 3d, prefix");
    snapshot_unref(s);
    snapshot_unref(adv);
    snapshot_unref(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality_predicate_is_a_candidate),
        cmocka_unit_test(test_equality_then_range),
        cmocka_unit_test(test_join_keys_are_candidates),
        cmocka_unit_test(test_order_by_only_with_limit),
        cmocka_unit_test(test_or_and_expressions_are_not_read),
        cmocka_unit_test(test_served_by_a_prefix_only),
        cmocka_unit_test(test_index_name_and_statement),
        cmocka_unit_test(test_plan_read_cost_and_index),
        cmocka_unit_test(test_kit_plan_not_applied_where_its_tables_are_not),
        cmocka_unit_test(test_health_rows_fk_unused_redundant_and_advice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
