/* Where the panes go (see layout.h).
 *
 * All at once when the screen is large enough: the first pane (queries)
 * across the top, two fifths of the height; the others in rows of up to
 * three below it, the rows of equal height, the panes of a row of equal
 * width (the last row and the last pane of a row take what division
 * leaves), earlier rows holding no more panes than later ones.  So six
 * panes are queries on top, pool and cache in the middle, partitions,
 * views and indexes at the bottom; seven put three in the middle.
 *
 * One at a time, under a tab bar, on a screen smaller than
 * LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS, or where a pane of the grid would be
 * too small to show a table (issue 17 may make this follow content). */
#include "layout.h"

/* The most panes in a row of the grid, and the least room a pane of it
 * needs: a border, a header and three rows; a column title or two. */
#define ROW_PANES   3
#define PANE_MIN_H  6
#define PANE_MIN_W  30

static bool grid(int n, int top, int body, int cols, struct layout_rect *out)
{
    if (n == 1) {
        out[0] = (struct layout_rect){ top, 0, body, cols };
        return true;
    }
    int h1 = body * 2 / 5;
    out[0] = (struct layout_rect){ top, 0, h1, cols };
    int rest = n - 1;
    int rows = (rest + ROW_PANES - 1) / ROW_PANES;
    int row_h = (body - h1) / rows;
    if (h1 < PANE_MIN_H || row_h < PANE_MIN_H)
        return false;
    int y = top + h1, pane = 1;
    for (int r = 0; r < rows; r++) {
        /* Earlier rows take the smaller share: 5 -> 2 + 3, 7 -> 2 + 2 + 3. */
        int in_row = rest / rows + (r >= rows - rest % rows ? 1 : 0);
        int h = r == rows - 1 ? top + body - y : row_h;
        int w = cols / in_row;
        if (w < PANE_MIN_W)
            return false;
        for (int c = 0; c < in_row; c++, pane++)
            out[pane] = (struct layout_rect){ y, c * w, h, c == in_row - 1 ? cols - c * w : w };
        y += h;
    }
    return true;
}

bool layout_panes(int n, int focus, int rows, int cols, struct layout_rect *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (struct layout_rect){ 0, 0, 0, 0 };
    if (n <= 0)
        return false;
    bool tabbed = cols < LAYOUT_MIN_COLS || rows < LAYOUT_MIN_ROWS;
    if (!tabbed) {
        int top = LAYOUT_TOP_LINES;
        int body = rows - top - LAYOUT_BOTTOM_LINES;
        tabbed = !grid(n, top, body, cols, out);
    }
    if (tabbed) {
        for (int i = 0; i < n; i++)
            out[i] = (struct layout_rect){ 0, 0, 0, 0 };
        int top = LAYOUT_TABBED_LINES;
        int body = rows - top - LAYOUT_BOTTOM_LINES;
        if (body < 3)
            body = 3;
        if (focus < 0 || focus >= n)
            focus = 0;
        out[focus] = (struct layout_rect){ top, 0, body, cols };
    }
    return tabbed;
}
