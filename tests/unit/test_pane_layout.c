/* Where the panes go (ui/layout.c), for any number of panes and any
 * screen: six panes keep the look they always had, seven or more find
 * room, and a small screen shows one pane at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "layout.h"

#define MAX_PANES 12

static void assert_rect(struct layout_rect r, int y, int x, int h, int w)
{
    assert_int_equal(r.y, y);
    assert_int_equal(r.x, x);
    assert_int_equal(r.h, h);
    assert_int_equal(r.w, w);
}

/* The six-pane grid as it was drawn before panes were counted: queries
 * across the top (2/5 of the body), pool and cache halves, partitions,
 * views and indexes thirds. */
static void expect_six(int rows, int cols, const struct layout_rect *r)
{
    int top = 2, body = rows - 4;
    int h1 = body * 2 / 5, h2 = (body - h1) / 2, h3 = body - h1 - h2;
    int half = cols / 2, third = cols / 3;
    assert_rect(r[0], top, 0, h1, cols);
    assert_rect(r[1], top + h1, 0, h2, half);
    assert_rect(r[2], top + h1, half, h2, cols - half);
    assert_rect(r[3], top + h1 + h2, 0, h3, third);
    assert_rect(r[4], top + h1 + h2, third, h3, third);
    assert_rect(r[5], top + h1 + h2, 2 * third, h3, cols - 2 * third);
}

static void test_six_panes_keep_their_grid_at_120x40_and_200x60(void **state)
{
    (void)state;
    struct layout_rect r[6];
    assert_false(layout_panes(6, 0, 40, 120, r));
    expect_six(40, 120, r);
    assert_false(layout_panes(6, 3, 60, 200, r));
    expect_six(60, 200, r);
    assert_false(layout_panes(6, 0, 36, 121, r));
    expect_six(36, 121, r);
}

static void test_a_small_screen_shows_the_focused_pane_under_tabs(void **state)
{
    (void)state;
    struct layout_rect r[6];
    assert_true(layout_panes(6, 4, 24, 80, r));
    for (int i = 0; i < 6; i++)
        if (i != 4)
            assert_int_equal(r[i].h, 0);
    assert_rect(r[4], 3, 0, 24 - 5, 80);
    /* 119 columns or 35 lines are too few for the grid. */
    assert_true(layout_panes(6, 0, 60, 119, r));
    assert_true(layout_panes(6, 0, 35, 200, r));
}

/* Every pane of the grid inside the body, none overlapping, the body
 * covered exactly. */
static void assert_tiles(int n, int rows, int cols, const struct layout_rect *r)
{
    static char cell[200][300];
    int top = 2, body = rows - 4;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++)
            cell[y][x] = 0;
    for (int i = 0; i < n; i++) {
        assert_true(r[i].h > 0 && r[i].w > 0);
        for (int y = r[i].y; y < r[i].y + r[i].h; y++)
            for (int x = r[i].x; x < r[i].x + r[i].w; x++) {
                assert_true(y >= top && y < top + body && x >= 0 && x < cols);
                assert_int_equal(cell[y][x], 0);
                cell[y][x] = 1;
            }
    }
    for (int y = top; y < top + body; y++)
        for (int x = 0; x < cols; x++)
            assert_int_equal(cell[y][x], 1);
}

static void test_any_number_of_panes_tiles_the_screen(void **state)
{
    (void)state;
    struct layout_rect r[MAX_PANES];
    for (int n = 1; n <= 10; n++) {
        assert_false(layout_panes(n, 0, 60, 200, r));
        assert_tiles(n, 60, 200, r);
    }
    /* Seven panes (a locks pane after indexes): three in each row below
     * queries. */
    assert_false(layout_panes(7, 0, 40, 120, r));
    assert_tiles(7, 40, 120, r);
    assert_int_equal(r[1].y, r[3].y);
    assert_int_equal(r[4].y, r[6].y);
    assert_true(r[4].y > r[1].y);
}

static void test_panes_too_small_for_a_table_go_to_tabs(void **state)
{
    (void)state;
    struct layout_rect r[MAX_PANES];
    /* Twelve panes at 120x36: rows of 5 lines or columns of 40 at most. */
    assert_true(layout_panes(12, 2, 36, 120, r));
    assert_true(r[2].h > 0);
    for (int i = 0; i < 12; i++)
        if (i != 2)
            assert_int_equal(r[i].h, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_six_panes_keep_their_grid_at_120x40_and_200x60),
        cmocka_unit_test(test_a_small_screen_shows_the_focused_pane_under_tabs),
        cmocka_unit_test(test_any_number_of_panes_tiles_the_screen),
        cmocka_unit_test(test_panes_too_small_for_a_table_go_to_tabs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
