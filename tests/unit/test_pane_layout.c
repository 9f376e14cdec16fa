/* Where the panes go (ui/layout.c), for any number of panes and any
 * screen: the grid gives each pane its lines by what it has to show (a
 * minimum each, the focused pane first when lines are short), does not
 * move at every refresh, zooms the focused pane, and a small screen shows
 * one pane at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define MAX_PANES 12

/* What the six panes of the kit's demo want at 250x70 (issue 17): two
 * sessions, the pool's lines and connections, the cache's, one
 * partitioned table, five views, 63 indexes. */
static const int demo_want[6] = { 7, 17, 15, 6, 10, 68 };

static enum layout_mode lay(int n, const int *want, int focus, bool zoom, int rows, int cols,
                            const struct layout_rect *previous, struct layout_rect *out)
{
    struct layout_request rq = { .n = n, .want = want, .focus = focus, .zoom = zoom,
                                 .rows = rows, .cols = cols, .previous = previous };
    return layout_panes(&rq, out);
}

/* Every pane of the grid inside the body, none overlapping, the body
 * covered exactly. */
static void assert_tiles(int n, int rows, int cols, const struct layout_rect *r)
{
    static char cell[200][400];
    int top = LAYOUT_TOP_LINES, body = rows - LAYOUT_TOP_LINES - LAYOUT_BOTTOM_LINES;
    for (int y = 0; y < rows; y++)
        memset(cell[y], 0, (size_t)cols);
    for (int i = 0; i < n; i++) {
        assert_true(r[i].h >= LAYOUT_PANE_MIN_H && r[i].w >= 30);
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

static void test_the_pane_with_most_rows_gets_most_lines_at_250x70(void **state)
{
    (void)state;
    struct layout_rect r[6];
    assert_int_equal(lay(6, demo_want, 0, false, 70, 250, NULL, r), LAYOUT_GRID);
    assert_tiles(6, 70, 250, r);
    for (int i = 0; i < 5; i++) {
        assert_true(r[i].h >= LAYOUT_PANE_MIN_H);
        assert_true(r[5].h > r[i].h);
    }
    /* Two columns of 125 (pool, cache, partitions; views, indexes): the
     * indexes get every line their column has past the views' and show
     * most of their 63 rows; the sessions pane is not given 22 lines for
     * 2 sessions. */
    assert_int_equal(r[1].x, r[3].x);
    assert_int_equal(r[4].x, r[5].x);
    assert_int_equal(r[4].w, 125);
    assert_int_equal(r[5].h, 66 - r[0].h - r[4].h);
    assert_true(r[5].h >= 45);
    /* Short of lines in that column, the short list (five views) is
     * shown whole and the long one scrolls. */
    assert_int_equal(r[4].h, demo_want[4]);
    assert_true(r[0].h < 16);
    /* Three columns once each is 110 wide: indexes alone in the third. */
    assert_int_equal(lay(6, demo_want, 0, false, 70, 330, NULL, r), LAYOUT_GRID);
    assert_tiles(6, 70, 330, r);
    assert_int_equal(r[5].h, 66 - r[0].h);
}

static void test_every_pane_gets_what_it_wants_when_there_is_room(void **state)
{
    (void)state;
    const int want[6] = { 9, 12, 10, 7, 8, 14 };
    struct layout_rect r[6];
    assert_int_equal(lay(6, want, 0, false, 70, 250, NULL, r), LAYOUT_GRID);
    assert_tiles(6, 70, 250, r);
    for (int i = 0; i < 6; i++)
        assert_true(r[i].h >= want[i]);
    /* The spare lines follow the wants: the longer list gets more. */
    assert_true(r[1].x == r[2].x && r[1].h > r[2].h);
}

static void test_the_focused_pane_is_favoured_when_lines_are_short(void **state)
{
    (void)state;
    const int want[6] = { 40, 30, 30, 30, 30, 30 };
    struct layout_rect unfocused[6], focused[6];
    lay(6, want, 0, false, 40, 120, NULL, unfocused);
    lay(6, want, 4, false, 40, 120, NULL, focused);
    assert_tiles(6, 40, 120, focused);
    assert_true(focused[4].h > unfocused[4].h);
    /* ... and the others keep their minimum. */
    for (int i = 0; i < 6; i++)
        assert_true(focused[i].h >= LAYOUT_PANE_MIN_H);
    /* Favoured, not everything: the pane below it still gets more than
     * its minimum. */
    assert_true(focused[5].h > LAYOUT_PANE_MIN_H);
}

static void test_the_layout_follows_row_counts_without_jumping(void **state)
{
    (void)state;
    int want[6] = { 7, 17, 15, 6, 10, 30 };
    struct layout_rect a[6], b[6], c[6];
    lay(6, want, 0, false, 70, 250, NULL, a);
    /* Sessions come: the queries pane grows at the next layout. */
    want[0] = 20;
    lay(6, want, 0, false, 70, 250, a, b);
    assert_true(b[0].h >= 20);
    assert_true(b[0].h > a[0].h);
    /* They flicker between 4 and 20 rows: the layout stays put. */
    struct layout_rect prev[6];
    memcpy(prev, b, sizeof prev);
    for (int round = 0; round < 20; round++) {
        want[0] = round % 2 ? 20 : 4;
        lay(6, want, 0, false, 70, 250, prev, c);
        assert_int_equal(c[0].h, b[0].h);
        assert_int_equal(c[5].h, b[5].h);
        memcpy(prev, c, sizeof prev);
    }
    /* They stay gone: after LAYOUT_SHRINK_AFTER layouts the lines go
     * back to the others, not before. */
    want[0] = 4;
    for (int i = 1; i < LAYOUT_SHRINK_AFTER; i++) {
        lay(6, want, 0, false, 70, 250, prev, c);
        assert_int_equal(c[0].h, b[0].h);
        memcpy(prev, c, sizeof prev);
    }
    lay(6, want, 0, false, 70, 250, prev, c);
    assert_true(c[0].h < b[0].h);
    assert_tiles(6, 70, 250, c);
}

/* Lines a shrinking pane keeps are spare ones: a pane short of lines
 * gets them back at once (a partitions pane with new tables is not held
 * to four rows for thirty refreshes by a queries pane that emptied). */
static void test_lines_kept_for_a_shrinking_pane_go_to_a_pane_short_of_them(void **state)
{
    (void)state;
    int want[6] = { 30, 10, 10, 8, 8, 8 };
    struct layout_rect a[6], b[6], c[6];
    lay(6, want, 0, false, 40, 120, NULL, a);
    /* The sessions go: the queries pane keeps its lines, nobody is short. */
    want[0] = 4;
    lay(6, want, 0, false, 40, 120, a, b);
    assert_int_equal(b[0].h, a[0].h);
    assert_int_equal(b[3].h, a[3].h);
    /* Partitioned tables come: the partitions pane, short of lines, gets
     * the queries pane's at once. */
    want[3] = 16;
    lay(6, want, 0, false, 40, 120, b, c);
    assert_true(c[0].h < b[0].h);
    assert_true(c[3].h > b[3].h);
    assert_tiles(6, 40, 120, c);
    /* On a screen this crowded (the other panes are cut), lines nobody
     * grew into go back after LAYOUT_SHRINK_CROWDED layouts, not after
     * LAYOUT_SHRINK_AFTER. */
    struct layout_rect prev[6], d[6];
    want[0] = 30, want[3] = 8;
    lay(6, want, 0, false, 40, 120, NULL, prev);
    want[0] = 4;
    for (int i = 1; i < LAYOUT_SHRINK_CROWDED; i++) {
        lay(6, want, 0, false, 40, 120, prev, d);
        assert_int_equal(d[0].h, a[0].h);
        memcpy(prev, d, sizeof prev);
    }
    lay(6, want, 0, false, 40, 120, prev, d);
    assert_true(d[0].h < a[0].h);
    assert_tiles(6, 40, 120, d);
}

static void test_z_zooms_the_focused_pane_and_back(void **state)
{
    (void)state;
    struct layout_rect r[7], back[7];
    const int want[7] = { 7, 17, 15, 6, 10, 68, 9 };
    assert_int_equal(lay(7, want, 3, true, 40, 120, NULL, r), LAYOUT_ZOOM);
    for (int i = 0; i < 7; i++)
        if (i != 3)
            assert_int_equal(r[i].h, 0);
    assert_int_equal(r[3].y, LAYOUT_TOP_LINES);
    assert_int_equal(r[3].h, 40 - LAYOUT_TOP_LINES - LAYOUT_BOTTOM_LINES);
    assert_int_equal(r[3].w, 120);
    /* Zoomed at 80x24 too, where it replaces the tab bar. */
    assert_int_equal(lay(7, want, 3, true, 24, 80, r, r), LAYOUT_ZOOM);
    assert_int_equal(r[3].h, 20);
    assert_int_equal(lay(7, want, 3, false, 40, 120, r, back), LAYOUT_GRID);
    assert_tiles(7, 40, 120, back);
}

static void test_a_small_screen_shows_the_focused_pane_under_tabs(void **state)
{
    (void)state;
    struct layout_rect r[6];
    assert_int_equal(lay(6, demo_want, 4, false, 24, 80, NULL, r), LAYOUT_TABS);
    for (int i = 0; i < 6; i++)
        if (i != 4)
            assert_int_equal(r[i].h, 0);
    assert_int_equal(r[4].y, LAYOUT_TABBED_LINES);
    assert_int_equal(r[4].h, 24 - LAYOUT_TABBED_LINES - LAYOUT_BOTTOM_LINES);
    assert_int_equal(r[4].w, 80);
    /* 119 columns or 35 lines are too few for the grid. */
    assert_int_equal(lay(6, demo_want, 0, false, 60, 119, NULL, r), LAYOUT_TABS);
    assert_int_equal(lay(6, demo_want, 0, false, 35, 200, NULL, r), LAYOUT_TABS);
}

static void test_any_number_of_panes_tiles_the_screen(void **state)
{
    (void)state;
    struct layout_rect r[MAX_PANES];
    int want[MAX_PANES];
    srand(17);
    for (int round = 0; round < 200; round++) {
        int n = 1 + round % 10;
        for (int i = 0; i < n; i++)
            want[i] = rand() % 90;
        int rows = 36 + rand() % 40, cols = 120 + rand() % 170;
        assert_int_equal(lay(n, want, rand() % n, false, rows, cols, NULL, r), LAYOUT_GRID);
        assert_tiles(n, rows, cols, r);
    }
    /* Seven panes (locks after indexes) at 120x40: queries on top, two
     * columns of three below. */
    const int seven[7] = { 7, 17, 15, 6, 10, 68, 9 };
    assert_int_equal(lay(7, seven, 0, false, 40, 120, NULL, r), LAYOUT_GRID);
    assert_tiles(7, 40, 120, r);
    assert_int_equal(r[1].x, r[3].x);
    assert_int_equal(r[4].x, r[6].x);
    assert_true(r[4].x > r[1].x);
}

static void test_panes_too_small_for_a_table_go_to_tabs(void **state)
{
    (void)state;
    struct layout_rect r[MAX_PANES];
    int want[MAX_PANES] = { 0 };
    /* Twelve panes at 120x36: six stacked in a column need 36 lines. */
    assert_int_equal(lay(12, want, 2, false, 36, 120, NULL, r), LAYOUT_TABS);
    assert_true(r[2].h > 0);
    for (int i = 0; i < 12; i++)
        if (i != 2)
            assert_int_equal(r[i].h, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_pane_with_most_rows_gets_most_lines_at_250x70),
        cmocka_unit_test(test_every_pane_gets_what_it_wants_when_there_is_room),
        cmocka_unit_test(test_the_focused_pane_is_favoured_when_lines_are_short),
        cmocka_unit_test(test_lines_kept_for_a_shrinking_pane_go_to_a_pane_short_of_them),
        cmocka_unit_test(test_the_layout_follows_row_counts_without_jumping),
        cmocka_unit_test(test_z_zooms_the_focused_pane_and_back),
        cmocka_unit_test(test_a_small_screen_shows_the_focused_pane_under_tabs),
        cmocka_unit_test(test_any_number_of_panes_tiles_the_screen),
        cmocka_unit_test(test_panes_too_small_for_a_table_go_to_tabs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
