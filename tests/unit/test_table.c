/* The order a table shows its rows in (ui/table.c): the server's order,
 * except that rows the server lists only to be stable (the queries'
 * sub-second sessions, by pid) keep the lines they had, so that a busy
 * server's churn rewrites the lines of the sessions that came and went,
 * not every line below them (issue 14). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/snapshot.h"
#include "table.h"
#include "ui.h"

static const struct column_def columns[] = {
    { "PID",      "pid",      7, true, FORMAT_AS_TEXT },
    { "DURATION", "duration", 9, true, FORMAT_AS_AGE },
};

/* As the queries pane has it: a query younger than a second. */
static bool unplaced(const struct snapshot *s, int row)
{
    double d = snapshot_number(s, row, "duration", -1);
    return d >= 0 && d < 1;
}

static const struct table_def tables[] = {
    { "activity", columns, 2, NULL, NULL, unplaced },
};

static const struct pane_class cls = {
    .subject = "queries",
    .tables = tables,
    .ntables = 1,
    .key_field = "pid,backend_start",
};

/* The rows as the server sends them, "pid:duration" each (backend_start
 * the pid's own), shown in pane p; returns the pids in the order shown,
 * space-separated. */
static const char *shown(struct ui *ui, struct pane *p, const char *rows)
{
    static const char *const names[] = { "pid", "backend_start", "duration" };
    struct snapshot *s = snapshot_new("activity", 3, names);
    char *copy = strdup(rows), *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        char start[32];
        snprintf(start, sizeof start, "2026-12-06 10:00:%02d", atoi(tok) % 60);
        const char *values[] = { tok, start, colon + 1 };
        snapshot_add_row(s, values);
    }
    free(copy);
    snapshot_unref(p->table.shown);
    p->table.shown = s;   /* the pane's reference */
    const struct snapshot *drawn;
    table_selected_row(ui, p, &drawn);
    static char out[256];
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < p->table.norder; i++)
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", i ? " " : "",
                                 snapshot_get(s, p->table.order[i], "pid"));
    return out;
}

static void setup_pane(struct pane *p)
{
    memset(p, 0, sizeof *p);
    p->cls = &cls;
    p->table.sort_column = -1;
}

static void test_a_session_that_stays_keeps_its_line(void **state)
{
    (void)state;
    struct ui ui;
    memset(&ui, 0, sizeof ui);
    struct pane p;
    setup_pane(&p);
    assert_string_equal(shown(&ui, &p, "1:0.1 2:0.2 3:0 4:0.5"), "1 2 3 4");
    /* 2 went, 5 came: 5 takes 2's line, the others stay where they were
     * (by pid: 3 and 4 moved up, 5 at the end). */
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 4:0.5 5:0.2"), "1 5 3 4");
    /* 5 went and nobody came: the last line's session moves up into the
     * gap, no other line changes. */
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 4:0.5"), "1 4 3");
    /* More came than went: the new ones after, in the server's order. */
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 4:0.5 6:0 7:0"), "1 4 3 6 7");
    /* A refresh with no such session keeps the places for the next. */
    assert_string_equal(shown(&ui, &p, ""), "");
    assert_string_equal(shown(&ui, &p, "3:0 4:0.5 6:0"), "6 4 3");
    table_state_free(&p.table);
}

static void test_older_queries_keep_the_servers_order_above(void **state)
{
    (void)state;
    struct ui ui;
    memset(&ui, 0, sizeof ui);
    struct pane p;
    setup_pane(&p);
    /* The server lists the oldest query first: those keep its order, and
     * the sub-second ones keep their lines among the lines after them. */
    assert_string_equal(shown(&ui, &p, "9:12 8:3 1:0.1 2:0.2 3:0.3"), "9 8 1 2 3");
    assert_string_equal(shown(&ui, &p, "8:4 9:2 1:0.1 3:0.3 4:0.4"), "8 9 1 4 3");
    /* 3 has now run a second: it goes where the server puts it. */
    assert_string_equal(shown(&ui, &p, "8:5 9:3 3:1.3 1:0.1 4:0.4"), "8 9 3 1 4");
    table_state_free(&p.table);
}

static void test_a_sort_the_operator_picks_is_the_order(void **state)
{
    (void)state;
    struct ui ui;
    memset(&ui, 0, sizeof ui);
    struct pane p;
    setup_pane(&p);
    assert_string_equal(shown(&ui, &p, "1:0.1 2:0.2 3:0 4:0.5"), "1 2 3 4");
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 4:0.5 5:0.2"), "1 5 3 4");
    p.table.sort_column = 0;      /* PID, ascending */
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 4:0.5 5:0.2"), "1 3 4 5");
    /* Back to the server's order: from the server's order, not the old
     * places. */
    p.table.sort_column = -1;
    assert_string_equal(shown(&ui, &p, "1:0.1 3:0 5:0.2 4:0.5"), "1 3 5 4");
    table_state_free(&p.table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_session_that_stays_keeps_its_line),
        cmocka_unit_test(test_older_queries_keep_the_servers_order_above),
        cmocka_unit_test(test_a_sort_the_operator_picks_is_the_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
