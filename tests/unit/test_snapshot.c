/* Snapshots (src/core/snapshot.c): a new snapshot that keeps rows of the
 * one before shares their cells instead of copying them (issue 14, aim 3),
 * and a shared cell is never shown for a row that changed, nor freed while
 * a snapshot still holds it (run under SANITIZE=1 to see the latter). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/snapshot.h"

static const char *const columns[] = { "oid", "children", "size" };

static struct snapshot *table_of(const char *const rows[][3], int n)
{
    struct snapshot *s = snapshot_new("partitions", 3, columns);
    for (int r = 0; r < n; r++)
        snapshot_add_row(s, rows[r]);
    return s;
}

static void test_a_kept_row_shares_its_cells_with_the_snapshot_before(void **state)
{
    (void)state;
    const char *const rows[][3] = { { "1", "[{\"name\":\"a_1\"}]", "8192" }, { "2", "[]", NULL } };
    struct snapshot *old = table_of(rows, 2);
    struct snapshot *now = snapshot_new("partitions", 3, columns);
    const int all[] = { 0, 1, 2 };
    const char *const unused[3] = { "x", "x", "x" };
    snapshot_add_row_from(now, unused, old, 1, all);
    snapshot_add_row_from(now, unused, old, 0, all);
    assert_int_equal(now->nrows, 2);
    /* The same text, not a copy of it. */
    assert_ptr_equal(snapshot_cell(now, 1, 1), snapshot_cell(old, 0, 1));
    assert_ptr_equal(snapshot_cell(now, 0, 0), snapshot_cell(old, 1, 0));
    assert_null(snapshot_cell(now, 0, 2));
    /* The snapshot before goes; the cells stay with the one that holds them. */
    snapshot_unref(old);
    assert_string_equal(snapshot_get(now, 1, "children"), "[{\"name\":\"a_1\"}]");
    assert_string_equal(snapshot_get(now, 1, "size"), "8192");
    assert_string_equal(snapshot_get(now, 0, "oid"), "2");
    snapshot_unref(now);
}

static void test_a_changed_row_takes_its_new_values_and_the_old_snapshot_keeps_its_own(void **state)
{
    (void)state;
    const char *const rows[][3] = { { "1", "[old]", "10" } };
    struct snapshot *old = table_of(rows, 1);
    struct snapshot *now = snapshot_new("partitions", 3, columns);
    /* The oid kept, the children and size read again. */
    const int some[] = { 0, -1, -1 };
    const char *const fresh[3] = { "ignored", "[new]", "20" };
    snapshot_add_row_from(now, fresh, old, 0, some);
    assert_string_equal(snapshot_get(now, 0, "oid"), "1");
    assert_string_equal(snapshot_get(now, 0, "children"), "[new]");
    assert_string_equal(snapshot_get(now, 0, "size"), "20");
    assert_string_equal(snapshot_get(old, 0, "children"), "[old]");
    /* Setting a shared cell replaces it in that snapshot only. */
    snapshot_set_cell(now, 0, 0, "3");
    assert_string_equal(snapshot_get(old, 0, "oid"), "1");
    assert_string_equal(snapshot_get(now, 0, "oid"), "3");
    snapshot_unref(now);
    assert_string_equal(snapshot_get(old, 0, "oid"), "1");
    snapshot_unref(old);
}

/* A query result's cells live in one block of their snapshot: taken by a
 * new snapshot they are copied, and outlive it. */
static void test_cells_of_a_result_are_copied_not_shared(void **state)
{
    (void)state;
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc attrs[3];
    memset(attrs, 0, sizeof attrs);
    for (int i = 0; i < 3; i++) {
        attrs[i].name = (char *)columns[i];
        attrs[i].format = 0;
        attrs[i].typid = 25;
        attrs[i].typlen = -1;
        attrs[i].atttypmod = -1;
    }
    assert_int_equal(PQsetResultAttrs(res, 3, attrs), 1);
    assert_int_equal(PQsetvalue(res, 0, 0, "7", 1), 1);
    assert_int_equal(PQsetvalue(res, 0, 1, "[x]", 3), 1);
    assert_int_equal(PQsetvalue(res, 0, 2, NULL, -1), 1);
    struct snapshot *old = snapshot_from_result("partitions", res);
    PQclear(res);
    struct snapshot *now = snapshot_new("partitions", 3, columns);
    const int all[] = { 0, 1, 2 };
    const char *const unused[3] = { NULL, NULL, NULL };
    snapshot_add_row_from(now, unused, old, 0, all);
    assert_ptr_not_equal(snapshot_cell(now, 0, 1), snapshot_cell(old, 0, 1));
    snapshot_unref(old);
    assert_string_equal(snapshot_get(now, 0, "oid"), "7");
    assert_string_equal(snapshot_get(now, 0, "children"), "[x]");
    assert_null(snapshot_get(now, 0, "size"));
    snapshot_unref(now);
}

/* A cache's counted text put in two snapshots: replaced in the cache and
 * in one snapshot, the other still shows it. */
static void test_a_shared_text_lives_as_long_as_a_holder(void **state)
{
    (void)state;
    char *text = snapshot_shared_new("SELECT 1");
    const char *const row[3] = { "1", NULL, NULL };
    struct snapshot *a = table_of(&row, 1), *b = table_of(&row, 1);
    snapshot_set_cell_shared(a, 0, 1, text);
    snapshot_set_cell_shared(b, 0, 1, text);
    assert_ptr_equal(snapshot_cell(a, 0, 1), text);
    snapshot_shared_free(text);             /* the cache moves on */
    snapshot_set_cell(a, 0, 1, "SELECT 2");
    assert_string_equal(snapshot_get(a, 0, "children"), "SELECT 2");
    assert_string_equal(snapshot_get(b, 0, "children"), "SELECT 1");
    snapshot_unref(a);
    assert_string_equal(snapshot_get(b, 0, "children"), "SELECT 1");
    snapshot_unref(b);
    assert_null(snapshot_shared_new(NULL));
}

static void test_each_snapshot_has_its_own_serial(void **state)
{
    (void)state;
    struct snapshot *a = snapshot_new("a", 3, columns);
    struct snapshot *b = snapshot_failed("b", "no data");
    assert_true(a->serial != 0 && b->serial != 0);
    assert_true(b->serial > a->serial);
    unsigned long was = b->serial;
    snapshot_unref(b);
    /* A snapshot allocated where a freed one was is still another one. */
    struct snapshot *c = snapshot_new("c", 3, columns);
    assert_true(c->serial > was);
    snapshot_unref(a);
    snapshot_unref(c);
}

/* Generations of a table, each keeping some rows of the one before,
 * reading others again, setting cells, dropping and adding rows, with
 * the snapshots released in any order: every snapshot shows what a copy
 * would have shown. */
#define GEN 40
#define ROWS 12

struct model {
    char text[ROWS][3][32];
    int  null[ROWS][3];
    int  n;
};

static void check(const struct snapshot *s, const struct model *m)
{
    assert_int_equal(s->nrows, m->n);
    for (int r = 0; r < m->n; r++)
        for (int c = 0; c < 3; c++) {
            const char *v = snapshot_cell(s, r, c);
            if (m->null[r][c])
                assert_null(v);
            else
                assert_string_equal(v, m->text[r][c]);
        }
}

static void test_generations_sharing_rows_show_what_copies_would(void **state)
{
    (void)state;
    srand(14);
    struct snapshot *snaps[GEN] = { 0 };
    static struct model models[GEN];
    memset(models, 0, sizeof models);
    int live[GEN] = { 0 };
    for (int g = 0; g < GEN; g++) {
        struct snapshot *s = snapshot_new("t", 3, columns);
        struct model *m = &models[g];
        /* The one before may already be gone: then every row is new. */
        struct snapshot *prev = g > 0 && live[g - 1] ? snaps[g - 1] : NULL;
        const struct model *pm = g > 0 ? &models[g - 1] : NULL;
        int n = 1 + rand() % ROWS;
        for (int r = 0; r < n; r++) {
            int from_row = prev && pm->n > 0 && rand() % 3 ? rand() % pm->n : -1;
            int cols[3];
            const char *values[3];
            char fresh[3][32];
            for (int c = 0; c < 3; c++) {
                cols[c] = from_row >= 0 && rand() % 4 ? c : -1;
                if (cols[c] >= 0) {
                    m->null[r][c] = pm->null[from_row][c];
                    memcpy(m->text[r][c], pm->text[from_row][c], sizeof m->text[r][c]);
                    values[c] = NULL;
                } else if (rand() % 5 == 0) {
                    m->null[r][c] = 1;
                    values[c] = NULL;
                } else {
                    snprintf(fresh[c], sizeof fresh[c], "g%d r%d c%d", g, r, c);
                    memcpy(m->text[r][c], fresh[c], sizeof fresh[c]);
                    m->null[r][c] = 0;
                    values[c] = fresh[c];
                }
            }
            snapshot_add_row_from(s, values, prev, from_row, cols);
        }
        m->n = n;
        /* A derived cell set afterwards, shared or not. */
        if (rand() % 2) {
            int r = rand() % n, c = rand() % 3;
            snprintf(m->text[r][c], sizeof m->text[r][c], "set %d", g);
            m->null[r][c] = 0;
            snapshot_set_cell(s, r, c, m->text[r][c]);
        }
        snaps[g] = s;
        live[g] = 1;
        for (int k = 0; k <= g; k++)
            if (live[k])
                check(snaps[k], &models[k]);
        /* Release some of the older ones, in no particular order. */
        for (int k = 0; k < g; k++)
            if (live[k] && rand() % 3 == 0) {
                snapshot_unref(snaps[k]);
                live[k] = 0;
            }
    }
    for (int k = 0; k < GEN; k++)
        if (live[k]) {
            check(snaps[k], &models[k]);
            snapshot_unref(snaps[k]);
        }
}

/* snapshot_add_rows copies the rows asked for, in order, and no row past
 * the last one there is. */
static void test_add_rows_copies_a_range_of_rows(void **state)
{
    (void)state;
    const char *const rows[][3] = { { "1", "a", NULL }, { "2", "b", "20" }, { "3", "c", "30" } };
    struct snapshot *from = table_of(rows, 3);
    struct snapshot *to = snapshot_new("partitions", 3, columns);
    snapshot_add_rows(to, from, 1, 5);
    snapshot_add_rows(to, from, 0, 1);
    snapshot_add_rows(to, from, 3, 1);
    snapshot_add_rows(to, from, 0, -1);
    assert_int_equal(to->nrows, 3);
    assert_string_equal(snapshot_get(to, 0, "oid"), "2");
    assert_string_equal(snapshot_get(to, 1, "oid"), "3");
    assert_string_equal(snapshot_get(to, 2, "children"), "a");
    assert_null(snapshot_get(to, 2, "size"));
    assert_ptr_not_equal(snapshot_get(to, 0, "children"), snapshot_get(from, 1, "children"));
    snapshot_unref(from);
    assert_string_equal(snapshot_get(to, 0, "children"), "b");
    snapshot_unref(to);
}

/* snapshot_add_columns adds the columns not there yet, once each, after
 * the others and in the order asked, keeps every cell, and gives each
 * name its index (an existing one's own). */
static void test_add_columns_adds_those_missing_once_each(void **state)
{
    (void)state;
    const char *const rows[][3] = { { "1", "a", NULL }, { "2", "b", "20" } };
    struct snapshot *s = table_of(rows, 2);
    static const char *const names[] = { "cpu", "children", "rss", "cpu" };
    int cols[4];
    snapshot_add_columns(s, names, 4, cols);
    assert_int_equal(s->ncols, 5);
    assert_int_equal(cols[0], 3);
    assert_int_equal(cols[1], snapshot_column(s, "children"));
    assert_int_equal(cols[2], 4);
    assert_int_equal(cols[3], 3);
    assert_string_equal(s->columns[3], "cpu");
    assert_string_equal(s->columns[4], "rss");
    assert_string_equal(snapshot_get(s, 1, "children"), "b");
    assert_string_equal(snapshot_get(s, 1, "size"), "20");
    assert_null(snapshot_get(s, 0, "cpu"));
    snapshot_set_cell(s, 1, cols[2], "7");
    assert_string_equal(snapshot_get(s, 1, "rss"), "7");
    /* A row added after grows the table with the new width. */
    const char *more[] = { "3", "c", "30", "1.5", "9" };
    snapshot_add_row(s, more);
    assert_string_equal(snapshot_get(s, 2, "rss"), "9");
    snapshot_add_columns(s, names, 4, cols);
    assert_int_equal(s->ncols, 5);
    snapshot_unref(s);
}

/* A cell read as a number: as strtod reads it; the fallback for NULL,
 * "" and no number. */
static void test_cell_numbers_read_as_strtod_would(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "1234", "-5", "0", "1733491234.567891", "12.", "007", "1e3", " 7", "0.25", "-3.5",
        "123456789012345678901234", "1.0000000000000000001",
    };
    const char *names[] = { "v" };
    struct snapshot *s = snapshot_new("t", 1, names);
    size_t n = sizeof texts / sizeof texts[0];
    for (size_t i = 0; i < n; i++)
        snapshot_add_row(s, &texts[i]);
    const char *odd[] = { NULL, "", "abc", "-" };
    for (size_t i = 0; i < 4; i++)
        snapshot_add_row(s, &odd[i]);
    for (size_t i = 0; i < n; i++)
        assert_true(snapshot_cell_number(s, (int)i, 0, NAN) == strtod(texts[i], NULL));
    assert_true(isnan(snapshot_cell_number(s, (int)n, 0, NAN)));
    assert_true(isnan(snapshot_cell_number(s, (int)n + 1, 0, NAN)));
    assert_true(isnan(snapshot_cell_number(s, (int)n + 2, 0, NAN)));
    assert_true(snapshot_cell_number(s, (int)n + 3, 0, 7) == 7);
    assert_true(isnan(snapshot_cell_number(s, 0, 1, NAN)));     /* no such column */
    /* A start time to the microsecond, as the start check compares it. */
    assert_true(fabs(snapshot_cell_number(s, 3, 0, NAN) - 1733491234.567891) < 1e-6);
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_numbers_read_as_strtod_would),
        cmocka_unit_test(test_a_kept_row_shares_its_cells_with_the_snapshot_before),
        cmocka_unit_test(test_add_rows_copies_a_range_of_rows),
        cmocka_unit_test(test_add_columns_adds_those_missing_once_each),
        cmocka_unit_test(test_a_changed_row_takes_its_new_values_and_the_old_snapshot_keeps_its_own),
        cmocka_unit_test(test_cells_of_a_result_are_copied_not_shared),
        cmocka_unit_test(test_a_shared_text_lives_as_long_as_a_holder),
        cmocka_unit_test(test_each_snapshot_has_its_own_serial),
        cmocka_unit_test(test_generations_sharing_rows_show_what_copies_would),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
