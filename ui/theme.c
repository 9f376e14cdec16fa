/* The curses side of colour themes (see theme.h): colour pairs and
 * attributes for a theme that core/theme.c loaded. */
#include <string.h>

#include "theme.h"

static attr_t applied[THEME_ELEMENT_COUNT];
static bool   have_applied;

static attr_t curses_attrs(unsigned bits)
{
    attr_t a = A_NORMAL;
    if (bits & THEME_ATTR_BOLD)
        a |= A_BOLD;
    if (bits & THEME_ATTR_DIM)
        a |= A_DIM;
    if (bits & THEME_ATTR_UNDERLINE)
        a |= A_UNDERLINE;
    if (bits & THEME_ATTR_REVERSE)
        a |= A_REVERSE;
    if (bits & THEME_ATTR_ITALIC)
        a |= A_ITALIC;
    if (bits & THEME_ATTR_STANDOUT)
        a |= A_STANDOUT;
    return a;
}

static int set_pair(int pair, int fg, int bg)
{
#if defined(NCURSES_EXT_COLORS)
    return init_extended_pair(pair, fg, bg);
#else
    return init_pair((short)pair, (short)fg, (short)bg);
#endif
}

/* Palette slots redefined to show #rrggbb exactly (can_change_color). */
struct rgb_slots {
    bool enabled;
    bool used[256];             /* named by the theme as an index: keep */
    int  rgb[256];              /* what a redefined slot now shows */
    bool taken[256];
    int  next;                  /* next candidate, counting down */
};

static int rgb_slot(struct rgb_slots *slots, int rgb)
{
    for (int i = 16; i < 256; i++)
        if (slots->taken[i] && slots->rgb[i] == rgb)
            return i;
    while (slots->next >= 16 && slots->used[slots->next])
        slots->next--;
    if (slots->next < 16)
        return -1;
    int i = slots->next--;
    int r = rgb >> 16, g = rgb >> 8 & 0xff, b = rgb & 0xff;
    if (init_color((short)i, (short)(r * 1000 / 255), (short)(g * 1000 / 255),
                   (short)(b * 1000 / 255)) == ERR)
        return -1;
    slots->taken[i] = true;
    slots->rgb[i] = rgb;
    return i;
}

static int resolve(struct theme_color c, int colors, struct rgb_slots *slots)
{
    if (c.kind == THEME_COLOR_RGB && slots->enabled) {
        int i = rgb_slot(slots, c.value);
        if (i >= 0)
            return i;
    }
    return theme_color_to_terminal(c, colors);
}

void theme_apply(const struct theme *t, int colors, bool can_change_color, bool no_color)
{
    have_applied = true;
    if (no_color || colors < 8 || !has_colors()) {
        for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
            applied[e] = curses_attrs(t->style[e].mono);
        return;
    }
    /* Without default colours the terminal's own fg and bg cannot be
     * named: white on black is what "default" looks like on most. */
    bool defaults = use_default_colors() == OK;
    int max_pairs = COLOR_PAIRS - 1 < 255 ? COLOR_PAIRS - 1 : 255;
    int pair_fg[THEME_ELEMENT_COUNT], pair_bg[THEME_ELEMENT_COUNT], pairs = 0;

    static struct rgb_slots slots;
    memset(&slots, 0, sizeof slots);
    slots.enabled = can_change_color && colors >= 16 && colors <= 256;
    slots.next = colors > 256 ? 255 : colors - 1;
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
        const struct theme_style *s = &t->style[e];
        if (s->fg.kind == THEME_COLOR_INDEX)
            slots.used[s->fg.value & 0xff] = true;
        if (s->bg.kind == THEME_COLOR_INDEX)
            slots.used[s->bg.value & 0xff] = true;
    }

    for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
        const struct theme_style *s = &t->style[e];
        attr_t attr = curses_attrs(s->attrs);
        int fg = resolve(s->fg, colors, &slots);
        int bg = resolve(s->bg, colors, &slots);
        /* Bright colours on an 8-colour terminal: many show bold as bright. */
        if (colors < 16 && s->fg.kind == THEME_COLOR_INDEX && s->fg.value >= 8 && s->fg.value < 16)
            attr |= A_BOLD;
        /* Two colours the theme told apart that became one colour here
         * would make text invisible: fall back to black or white on it. */
        if (fg >= 0 && fg == bg && colors < 256
            && (s->fg.kind != s->bg.kind || s->fg.value != s->bg.value))
            fg = bg == COLOR_WHITE || bg == COLOR_YELLOW || bg == COLOR_CYAN
                 || bg == COLOR_GREEN ? COLOR_BLACK : COLOR_WHITE;
        if (!defaults) {
            if (fg < 0)
                fg = COLOR_WHITE;
            if (bg < 0)
                bg = COLOR_BLACK;
        }
        /* An element in the terminal's own colours gets a pair of its
         * own (-1, -1) rather than pair 0, which looks the same.  Leaving
         * a coloured run for pair 0 with no attributes is, in ncurses, a
         * colour reset and then a full reset (sgr0) in every case; for a
         * pair of default colours it is only the colour reset, or nothing
         * from another element in default colours (issue 14: a striped
         * row's end, a border's, the selection's). */
        int pair = 0;
        if (fg >= 0 || bg >= 0 || defaults) {
            for (int i = 0; i < pairs && !pair; i++)
                if (pair_fg[i] == fg && pair_bg[i] == bg)
                    pair = i + 1;
            if (!pair && pairs < max_pairs && set_pair(pairs + 1, fg, bg) == OK) {
                pair_fg[pairs] = fg;
                pair_bg[pairs] = bg;
                pair = ++pairs;
            }
            /* Out of pairs: the mono attributes keep the element apart. */
            if (!pair)
                attr |= curses_attrs(s->mono);
        }
        applied[e] = attr | COLOR_PAIR(pair);
    }
}

attr_t theme_attr(enum theme_element e)
{
    if ((int)e < 0 || e >= THEME_ELEMENT_COUNT)
        return A_NORMAL;
    return have_applied ? applied[e] : curses_attrs(theme_element_mono(e));
}
