#ifndef PGDECK_UI_H
#define PGDECK_UI_H

#include <stdbool.h>

#include <curses.h>
#include <uv.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "theme.h"

/* The curses front end's types.  One pane per subject that has one
 * (subject.h), each drawn by a pane class in ui/panes/pane_<subject>.c;
 * the screen (screen.c) pairs them, lays them out, and draws once per loop
 * turn when something changed; the keymap routes keys (keymap.c); dialogs,
 * the prompt and the details are overlays (overlay.c).  curses itself
 * sends only the cells that differ from what the terminal shows.
 *
 * The modules, each with its header: screen (the loop and the frame),
 * layout (where the panes go), keymap, ui_actions (the action keys),
 * overlay, colors (the theme in use), table (the table widget), draw
 * (drawing helpers), pane_lines, panes (the pane classes), crash. */

struct ui;
struct pane;

/* What a key handler did, as htop's reaction flags. */
enum {
    KEY_IGNORED  = 0,
    KEY_HANDLED  = 1 << 0,
    KEY_REDRAW   = 1 << 1,
};

/* A column of a table pane. */
enum cell_format {
    FORMAT_AS_TEXT,         /* sanitized text */
    FORMAT_AS_NUMBER,       /* integer with thousands grouping */
    FORMAT_AS_BYTES,        /* 1.2 GB */
    FORMAT_AS_SECONDS,      /* duration given in seconds: 850ms, 12s, 3m04s, 2h05m, 3d4h */
    FORMAT_AS_MS,           /* duration given in milliseconds */
    FORMAT_AS_PERCENT,      /* 97.3% */
    FORMAT_AS_BOOL,         /* yes / no from t/f */
    FORMAT_AS_AGE,          /* seconds, under one in tenths: 0.0s, 0.3s, 12.5s, 3m04s */
    FORMAT_AS_PERCENT_WHOLE,/* 9%, <1% */
};

struct column_def {
    const char *title;      /* header text */
    const char *field;      /* snapshot column */
    int         width;      /* columns wanted; 0 = takes what is left */
    bool        right;      /* right-aligned (numbers) */
    enum cell_format format;
    int         min_cols;   /* hide this column when the pane is narrower */
    bool        when_any;   /* shown only when some row has a value in it */
};

/* One table a pane shows: which snapshot, which columns. */
struct table_def {
    const char *collector;
    const struct column_def *columns;
    int ncolumns;
    /* Theme element (THEME_ROW_WARN ...) for a row, or -1 for plain. */
    int (*row_style)(const struct ui *ui, const struct snapshot *s, int row);
    /* Rows to hide (NULL shows all). */
    bool (*row_hidden)(const struct ui *ui, const struct snapshot *s, int row);
};

/* Selection, scrolling, filter and sort over a snapshot: what the operator
 * is doing in a pane survives each new snapshot.
 *
 * The selection is the selected row's key (the pane's key_field values),
 * not its index: a new snapshot may list the rows in another order before
 * the screen shows it (the redraw waits a few ms for the other collectors
 * of a tick), and a key pressed then must act on the row the operator saw
 * highlighted.  `shown` is the snapshot the screen last drew, the one
 * `order` indexes; the selection is read from it, by key. */
struct table_state {
    int   selected;         /* index into the visible (filtered, sorted) rows */
    int   top;              /* first visible row */
    char *filter;           /* case-insensitive substring, or NULL */
    int   sort_column;      /* index into columns, -1 = server order */
    bool  sort_descending;
    char *selected_key;     /* the selected row's key, kept across refreshes */
    /* Filled at draw time: the order of rows as shown. */
    struct snapshot *shown; /* a reference: the snapshot drawn */
    int  *order;
    int   norder;
    int   page;             /* rows that fit */
    /* How many rows there are to show (table_rows_wanted), counted once
     * per snapshot, filter and mode rather than at every frame. */
    /* The serial of the snapshot counted, not a reference: a pane whose
     * layout is held for a while (LAYOUT_SETTLE_S) would keep an old
     * snapshot alive beside the new one, 1.2 MB for the partitions at
     * 5,000 partitions (issue 14, aim 3). */
    unsigned long counted;
    char *counted_filter;
    int   counted_mode;
    int   counted_rows;
    unsigned columns_shown; /* bit c: column c was drawn (< and > skip the others) */
    /* What each line of the table was last drawn with (the column titles,
     * then the rows: attribute and cell texts), so that a line that would
     * be drawn the same is left alone: filling in cells was most of a
     * frame's instructions, and curses sends nothing for a line left as
     * it was.  Used only while `kept` (set by draw_pane: the table's
     * cells on stdscr are still those of its last draw, same place). */
    bool     kept;
    char   **lines;             /* nlines; NULL: draw that line */
    int      nlines;
    int      lines_y, lines_x, lines_w;
    unsigned lines_columns;     /* columns_shown when they were drawn */
    /* What each line's formatted cells were formatted from: for each shown
     * column that is not plain text, its value and its text, each ended
     * by a NUL (a NULL value as "").  A value as it was keeps its text
     * without format_value: under pgbench most cells of a changing row
     * do not change, and formatting every cell of every row was most of
     * table_draw's instructions (issue 14).  Valid for the table
     * `memo_table` and the columns `memo_columns`, whatever the screen. */
    char   **memo;              /* nlines; NULL: none */
    const void *memo_table;
    unsigned memo_columns;
};

/* How a subject is drawn.  The class in ui/panes/pane_<subject>.c is
 * found by the registry the build generates from those file names
 * (panes.h), and given the pane of the subject it names. */
struct pane_class {
    const char *subject;    /* "views": the subject it draws (its title, its actions) */
    const char *help;       /* one line for the help overlay: the pane's keys */
    /* Tables the pane can show; `mode` picks one (t flips queries). */
    const struct table_def *tables;
    int         ntables;
    /* Lines drawn above the table (gauges, sparklines, summaries); the
     * pane returns how many it used.  NULL for a plain table. */
    int  (*draw_header)(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height);
    /* Pane keys beyond the common ones; return KEY_* flags. */
    int  (*key)(struct ui *ui, struct pane *p, int ch);
    /* Lines of the details overlay for the selected row (Enter): row `row`
     * of snapshot `s`, the one the screen shows; NULL uses every column of
     * the row.  Returns a malloc'd array of malloc'd strings, count in *n. */
    char **(*details)(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n);
    /* Columns whose values together identify a row across refreshes, comma
     * separated ("pid,backend_start": a pid alone is reused).  A table
     * that has none of them keeps its selection by position. */
    const char *key_field;
    /* What the pane draws beyond its own subject's collectors, for the
     * repaint rule (screen.c): other subjects whose collectors it reads
     * (NULL-ended names), and a hook that mixes in state no collector
     * publishes (pgdeck's own pool), NULL when there is none. */
    const char *const *reads;
    unsigned long (*inputs)(const struct ui *ui, const struct pane *p, unsigned long hash);
};

/* A pane on the screen: panes are the subjects that have one, in
 * subjects[] order; the pane's number (its `1`-`9` key, its title) is its
 * place in ui->panes plus one. */
struct pane {
    const struct subject *subject;
    const struct pane_class *cls;
    int   mode;                 /* which of cls->tables */
    struct table_state table;
    int   y, x, h, w;           /* where it was last drawn */
    /* Lines the header above the table would use given the room (the
     * layout gives rows by what a pane has to show): a draw_header that
     * can use more than one sets it as it draws; otherwise 1 when the
     * class has a header. */
    int   header_want;
    /* The repaint rule (screen.c): what the pane was last drawn from,
     * and whether that drawing is still on stdscr. */
    unsigned long drawn_inputs;
    unsigned long drawn_body;   /* the same without the title */
    bool          drawn;
    int           drawn_y, drawn_x, drawn_h, drawn_w; /* where it was drawn */
    int           header_drawn; /* lines its header used then */
    unsigned long draws;        /* times drawn (--stats) */
    /* Its table's lines drawn and lines left as they were (--stats). */
    unsigned long lines_drawn, lines_kept;
};

/* Overlays, drawn above the panes; one at a time. */
enum overlay {
    OVERLAY_NONE,
    OVERLAY_HELP,
    OVERLAY_DETAILS,
    OVERLAY_CONFIRM,
    OVERLAY_TEXT,               /* a scrollable text: plan, journal, DDL */
};

/* Called when a confirmation is answered. */
typedef void (*confirm_cb)(struct ui *ui, void *arg, bool yes);

/* A text overlay that came while a confirmation was open (an EXPLAIN's
 * plan): it waits for the answer rather than take the question's place. */
struct queued_text {
    struct queued_text *next;
    enum overlay kind;          /* OVERLAY_TEXT, _HELP or _DETAILS */
    char  *title;
    char **lines;
    int    n;
    int    top;
};

#define UI_FRAME_RECENT 1024

struct ui {
    struct app  *app;
    uv_loop_t   *loop;
    struct pane *panes;         /* npanes of them, one per subject with a pane */
    int          npanes;
    int          focus;
    bool         tabbed;        /* one pane at a time (small screens) */
    bool         zoomed;        /* z: the focused pane alone, whole screen */
    struct layout_rect *layout; /* the last layout, one per pane (layout.h) */
    char        *title_dropped; /* what the title lines left out for want of room, or NULL */
    bool         ascii;
    bool         color;
    bool         dirty;
    /* Every pane is drawn again at the next frame (keys, resize, overlay,
     * messages, servers); without it a frame draws only the panes whose
     * inputs changed (screen.c, the repaint rule). */
    bool         repaint_all;
    /* The operator did something (a key, a resize, an overlay): the panes
     * move at once if the layout says so (screen.c, LAYOUT_SETTLE_S). */
    bool         layout_now;
    /* The same rule for the lines around the panes: the title, the
     * servers, the alerts and the key line, each with what it was last
     * drawn from (0: not drawn). */
    unsigned long lines_drawn[4];
    /* The title line as last built and fitted (screen.c): the clock, its
     * last part, changes every second and the rest seldom, so the rest is
     * built again only when what it is built from changed (title_key), and
     * a title on the screen whose rest is as drawn (title_body_drawn) gets
     * only its clock drawn. */
    struct title_line *title_kept;
    int           title_clock;      /* the clock's part in title_kept, or -1 */
    unsigned long title_key;
    unsigned long title_body_drawn;
    bool         quit;
    int          exit_code;
    int          rows, cols;

    enum overlay overlay;
    char       **overlay_lines;
    int          overlay_nlines;
    int          overlay_top;   /* the first display line shown */
    char        *overlay_title;
    /* overlay_lines wrapped to the overlay's width (wrap.h), redone when
     * the width changes: a resize rewraps a question that is open. */
    char       **overlay_wrapped;
    int          overlay_wrapped_n;
    int          overlay_wrapped_width;
    int          overlay_page;  /* display lines the overlay shows at once */
    confirm_cb   confirm;
    void        *confirm_arg;
    struct queued_text *queued; /* shown, oldest first, once no question is open */
    /* Details that wait for data their pane asked for (a session's locks,
     * overlay_details_wait): the collector named sends its detailed
     * statement (collector_more) until its next snapshot, from which the
     * details are made again (overlay_follow), if the selection is still
     * the row they show (`details_key`). */
    const char  *details_asked; /* set by the pane while it makes the lines */
    const char  *details_wait;
    unsigned long details_changes;
    char        *details_key;

    /* The prompt: "/" filter or ":" command line. */
    bool         prompting;
    char         prompt_kind;   /* '/' or ':' */
    char         prompt_buf[256];
    int          prompt_len;

    uv_poll_t    stdin_poll;
    uv_signal_t  sig_winch, sig_int, sig_term, sig_hup;
    uv_prepare_t prepare;
    uv_timer_t   clock;         /* the title bar's clock and ages */
    uv_timer_t   coalesce;      /* gathers a tick's snapshots into one frame */
    double       coalesce_since;    /* monotonic: the first snapshot it waits with */
    bool         clock_waited;  /* the clock's frame waits for the tick's (screen.c) */
    unsigned long clock_frames; /* frames the clock drew on its own (--stats) */
    unsigned long clock_waits;  /* clock frames that waited for a tick's (--stats) */
    double       frame_now;     /* monotonic, at the start of the frame being drawn */

    double       frame_time;    /* seconds spent in the last draw */
    double       frame_max;
    double       frame_total;   /* seconds, over every frame */
    /* The last UI_FRAME_RECENT frame times (seconds), a ring indexed by
     * frames % UI_FRAME_RECENT: --stats reports their median. */
    float        frame_recent[UI_FRAME_RECENT];
    unsigned long frames;
    unsigned long layout_moves; /* frames whose layout moved a pane (--stats) */
    unsigned long layout_held;  /* moves held back on a crowded screen (--stats) */
    unsigned long layout_data_moves;    /* moves for data alone after the first frame (--stats) */
    double       layout_moved_at;   /* monotonic: the last move */
    double       first_frame_at;    /* monotonic, 0 until drawn */
    double       started_at;
    /* A viewer turned to the fleet or another agent (APP_CHANGED_VIEW):
     * the panes are made again before the next frame.  The table states
     * of the view left are kept for the way back. */
    bool         view_changed;
    struct pane *kept;
    int          nkept;
};

/* The screen needs drawing (once, at the end of this loop turn), all of
 * it: what the operator did or the servers' states may change any pane. */
static inline void ui_dirty(struct ui *ui)
{
    ui->dirty = true;
    ui->repaint_all = true;
    ui->layout_now = true;
}

/* The same for what the servers did (a state, a message, an action's
 * progress): every pane is drawn again, but the panes keep their places
 * on a crowded screen (LAYOUT_SETTLE_S) as for new data. */
static inline void ui_dirty_state(struct ui *ui)
{
    ui->dirty = true;
    ui->repaint_all = true;
}

/* A frame for new data or the clock: only the panes whose inputs changed
 * are drawn again (screen.c, the repaint rule). */
static inline void ui_dirty_data(struct ui *ui)
{
    ui->dirty = true;
}

/* The pane with focus. */
static inline struct pane *ui_focused(struct ui *ui)
{
    return &ui->panes[ui->focus];
}

/* The number a pane is shown and reached by (1 for the first). */
static inline int ui_pane_number(const struct ui *ui, const struct pane *p)
{
    return (int)(p - ui->panes) + 1;
}

/* The attributes of a theme element (enum theme_element). */
#define ATTR(e) theme_attr(e)

#endif
