#ifndef PGDECK_CORE_THEME_H
#define PGDECK_CORE_THEME_H

#include <stdbool.h>
#include <stddef.h>

/* Colour themes: the model and the files.
 *
 * A theme gives every *semantic element* of the screen (the title bar, a
 * selected row, a critical gauge, ...) a foreground colour, a background
 * colour, attributes for colour terminals, and attributes for terminals
 * without colour ("mono").  Panes never name a colour: they ask for
 * theme_attr(THEME_SELECTED) (ui/theme.h, the curses side) and draw with
 * it.  Nothing here needs a terminal, so it is tested and fuzzed without
 * one.
 *
 * The file format (themes/default.theme repeats this for theme authors) is
 * INI as base/ini.h reads it (inih's), without sections:
 *
 *   # a comment: a line whose first non-blank character is '#' or ';'
 *   inherit = NAME | FILE        start from another theme (first setting)
 *   ELEMENT = FG [BG] [ATTR...]  set the whole element
 *   ELEMENT.fg    = COLOUR       change one property and keep the others
 *   ELEMENT.bg    = COLOUR
 *   ELEMENT.attrs = ATTR...      attributes on a colour terminal
 *   ELEMENT.mono  = ATTR...      attributes when there is no colour at all
 *
 *   COLOUR  default (the terminal's own), black red green yellow blue
 *           magenta cyan white, bright_black ... bright_white, a palette
 *           number 0-255, or #rrggbb; '-' keeps the inherited colour
 *   ATTR    bold dim underline reverse italic standout none
 *
 * Names are case-insensitive.  A whole-element line sets what it does not
 * name back to "default" and no attributes; the mono attributes are kept.
 * After the value, " # text" (a '#' followed by a space) or " ; text" is a
 * comment; "#rrggbb" is a colour.  ':' may stand for '='.
 * A theme without `inherit` starts blank: default colours, no attributes,
 * and the built-in mono attributes (which keep titles, selections and alerts
 * apart on any terminal).
 *
 * A bad line is skipped with a warning naming the file and the line
 * ("mine.theme:7: unknown element 'titel'", "mine.theme:9: 'purple' is not
 * a colour"); the other lines still apply.  Only a theme that cannot be found
 * or read at all is an error. */

enum theme_element {
    THEME_NORMAL,               /* screen background and plain text */
    THEME_TITLE,                /* top bar */
    THEME_TITLE_READONLY,       /* top bar in read-only (-R) mode */
    THEME_STATUS,               /* bottom status line */
    THEME_STATUS_OK,            /* "connected" in the status line */
    THEME_STATUS_DOWN,          /* a server that is down */
    THEME_STATUS_WARN,          /* degraded: reconnecting, slow, paused */
    THEME_HEADER,               /* column headers of tables */
    THEME_ROW,
    THEME_ROW_ALT,              /* every other row */
    THEME_ROW_WARN,             /* a row over a warning threshold */
    THEME_ROW_CRIT,             /* a row over a critical threshold */
    THEME_SELECTED,             /* the selection in the focused pane */
    THEME_SELECTED_UNFOCUSED,   /* the selection in the other panes */
    THEME_BORDER,
    THEME_BORDER_FOCUSED,
    THEME_PANE_TITLE,
    THEME_PANE_TITLE_FOCUSED,
    THEME_LABEL,                /* "max_connections:" */
    THEME_VALUE,                /* "100" */
    THEME_DIM,                  /* secondary text, "unknown", greyed parts */
    THEME_ALERT,                /* the alert line: a warning threshold */
    THEME_ALERT_CRIT,           /* the alert line: a critical threshold */
    THEME_GAUGE_OK,
    THEME_GAUGE_WARN,
    THEME_GAUGE_CRIT,
    THEME_GAUGE_EMPTY,          /* the unfilled part of a gauge */
    THEME_SPARKLINE,
    THEME_DIALOG,               /* confirmations, details, help */
    THEME_DIALOG_BORDER,
    THEME_PROMPT,               /* the ':' and '/' command lines */
    THEME_HELP_KEY,             /* a key in help and in key hints */
    THEME_TAB,
    THEME_TAB_ACTIVE,
    THEME_PROGRESS,             /* progress bar of a running action */
    THEME_STALE,                /* data older than two refreshes of its
                                   collector: a down server's last rows */
    THEME_ELEMENT_COUNT
};

/* The element's name in theme files ("selected_unfocused"), or NULL. */
const char *theme_element_name(enum theme_element e);
/* The element of that name (case-insensitive), or -1. */
int         theme_element_find(const char *name);
/* The element's built-in mono attributes (THEME_ATTR_*): what it looks
 * like before any theme, and on a terminal without colour unless a theme
 * says otherwise. */
unsigned    theme_element_mono(enum theme_element e);

enum theme_color_kind {
    THEME_COLOR_DEFAULT,        /* the terminal's own fg or bg */
    THEME_COLOR_INDEX,          /* palette entry 0-255 (0-15: the names) */
    THEME_COLOR_RGB,            /* #rrggbb */
};

struct theme_color {
    enum theme_color_kind kind;
    int value;                  /* the index, or 0xRRGGBB */
};

/* Attributes, as bits that need no curses. */
enum {
    THEME_ATTR_BOLD      = 1 << 0,
    THEME_ATTR_DIM       = 1 << 1,
    THEME_ATTR_UNDERLINE = 1 << 2,
    THEME_ATTR_REVERSE   = 1 << 3,
    THEME_ATTR_ITALIC    = 1 << 4,
    THEME_ATTR_STANDOUT  = 1 << 5,
};

struct theme_style {
    struct theme_color fg;
    struct theme_color bg;
    unsigned attrs;             /* THEME_ATTR_*, with colour */
    unsigned mono;              /* THEME_ATTR_*, without colour */
};

/* A theme is a plain value: copy it freely, nothing to free. */
struct theme {
    char name[256];             /* what it was loaded as: "default", a path */
    struct theme_style style[THEME_ELEMENT_COUNT];
    bool defined[THEME_ELEMENT_COUNT];  /* set by some line (or a parent's) */
};

/* Warnings collected while parsing: one message per bad line, in order,
 * each "SOURCE:LINE: what is wrong".  Anything quoted from the file is cut
 * short and has its control characters replaced, so a message is safe to
 * print.  After THEME_WARNINGS_MAX messages the rest are only counted. */
#define THEME_WARNINGS_MAX 64
struct theme_warnings {
    char **messages;            /* owned */
    int    count;
    int    dropped;             /* warnings past THEME_WARNINGS_MAX */
};
void theme_warnings_free(struct theme_warnings *w);

/* The blank theme: default colours, no attributes, built-in mono
 * attributes.  A theme without `inherit` starts from this. */
void theme_init(struct theme *t);

/* Parse theme text (need not be NUL-terminated; a NUL byte is just a bad
 * character).  `source` names it in messages ("mine.theme") and, when it is
 * a path, is where a relative `inherit = ./base.theme` is looked up from.
 * The result is exactly what the text describes, starting from theme_init()
 * or from its `inherit` parent.  Warnings are appended to w (which may be
 * NULL).  Returns the number of warnings this call produced. */
int theme_parse(struct theme *t, const char *text, size_t len,
                const char *source, struct theme_warnings *w);

/* Load a theme by NAME or FILE.  A FILE is an argument containing '/' or
 * ending in ".theme" (relative to the working directory).  A NAME is looked
 * up as the built-in NAME.theme compiled into pgdeck, then
 * $XDG_CONFIG_HOME/pgdeck/themes/NAME.theme (~/.config when unset), then
 * PGDECK_DATADIR/themes/NAME.theme.  Returns 0, with bad lines reported in
 * w (may be NULL); or -1 with a message in err when the theme cannot be
 * found or read ("theme 'drak' not found: not built in, no
 * /root/.config/pgdeck/themes/drak.theme, no
 * /usr/local/share/pgdeck/themes/drak.theme"), leaving t untouched. */
int theme_load(struct theme *t, const char *name_or_file,
               struct theme_warnings *w, char *err, size_t errlen);

/* Every theme NAME can load: built-in ones and the NAME.theme files in the
 * two directories above, sorted, each once.  NULL-terminated; the caller
 * frees it with theme_list_free(). */
char **theme_list(void);
void   theme_list_free(char **names);

/* Colour degrading, for terminals with fewer colours than the theme uses. */

/* The xterm-256 palette entry (16-255: the 6x6x6 cube and the grey ramp)
 * closest to r, g, b.  Entries 0-15 are left out: terminals redefine them. */
int theme_nearest_256(int r, int g, int b);
/* The closest of the 8 basic colours (0-7) to palette entry idx (0-255):
 * 0-7 are themselves, 8-15 their dark twins, cube colours by hue and
 * strength, greys black or white. */
int theme_256_to_8(int idx);
/* The xterm default r, g, b of palette entry idx, as 0xRRGGBB. */
int theme_256_to_rgb(int idx);
/* The colour number to hand to curses on a terminal with `colors` colours
 * (COLORS): -1 for default, a palette index, or 0xRRGGBB on a direct-colour
 * terminal (colors > 256). */
int theme_color_to_terminal(struct theme_color c, int colors);

#endif
