#ifndef PGDECK_TITLE_H
#define PGDECK_TITLE_H

#include <stdbool.h>
#include <stddef.h>

/* The title bar and the server line as parts with priorities (title.c):
 * pure text, no curses, so it is tested on its own.  Whoever builds a
 * line adds its parts in reading order, each with a priority; when the
 * line is too narrow, parts give way in a fixed order (the lowest
 * priority first, the rightmost first among equals): a part with a brief
 * form takes it, a part that may be cut is cut with an ellipsis, any
 * other is dropped.  TITLE_KEEP parts (a port, a server's state, the
 * clock) are never dropped or cut; only when nothing else is left do they
 * take their brief forms.  What was dropped can be listed (the help
 * overlay's header says it), so nothing is lost, only moved. */

/* The order in which parts give way, first to last.  A new kind of part
 * (a viewer's "viewer of NAME via redis", a data age) takes a value
 * between these. */
enum title_priority {
    TITLE_DROP_OPTIONS  = 10,   /* connection options past host, port, user, dbname */
    TITLE_DROP_SOCKET   = 20,   /* the socket directory (host=/path) */
    TITLE_DROP_USER     = 30,
    TITLE_DROP_VERSION  = 40,   /* the servers' and pgdeck's versions */
    TITLE_DROP_INTERVAL = 50,   /* "every 1.0s" */
    TITLE_DROP_RETRY    = 55,   /* a down server's "retry in 4.0s" */
    TITLE_DROP_REASON   = 60,   /* why a server is down: cut, then dropped */
    TITLE_DROP_DBNAME   = 70,
    TITLE_DROP_HOST     = 80,   /* a host name or address */
    TITLE_KEEP          = 1000, /* a port, a state, the clock, READ-ONLY, PAUSED */
};

#define TITLE_MAX_PARTS 32

enum title_shown { TITLE_DROPPED, TITLE_FULL, TITLE_BRIEF, TITLE_CUT };

struct title_part {
    char *text;             /* sanitized, one line; owned */
    char *brief;            /* a shorter form, or NULL; owned */
    char *what;             /* what the help calls it when dropped ("socket directory"); owned */
    const char *tail;       /* kept after the ellipsis when cut (")"), or NULL */
    int   priority;
    int   gap;              /* blanks before it when another part precedes it on its side */
    bool  right;            /* at the line's right end (the clock) */
    bool  cut;              /* may be cut rather than dropped */
    int   style;            /* for the caller: a theme element */
    enum title_shown shown; /* set by title_fit */
    char *cut_text;         /* the cut form, when shown is TITLE_CUT; owned */
};

struct title_line {
    struct title_part part[TITLE_MAX_PARTS];
    int  n;
    bool ascii;             /* sanitize to ASCII and cut with "~" */
};

/* Add a part (text sanitized and folded to one line; NULL or "" adds
 * nothing) and return it, so the caller may set brief, tail, cut or
 * right; NULL when the line is full. */
struct title_part *title_add(struct title_line *l, int priority, int style, int gap, const char *what,
                             const char *text);
/* A part's brief form (sanitized). */
void title_brief(struct title_part *p, const char *brief);
/* Decide what is shown in `width` columns. */
void title_fit(struct title_line *l, int width);
/* The columns the parts shown take, gaps included (the left and right
 * sides apart by at least two blanks when both have parts). */
int  title_width(const struct title_line *l);
/* The blanks before part i when a part precedes it on its side (the
 * widest gap of the dropped parts just before it, or its own). */
int  title_gap(const struct title_line *l, int i);
/* The text of a part as shown (NULL when dropped). */
const char *title_text(const struct title_part *p);
/* Append to `out` (size `len`) what title_fit dropped, cut or shortened,
 * "what text" items separated by ", "; returns how many. */
int  title_dropped(const struct title_line *l, char *out, size_t len);
void title_free(struct title_line *l);

#endif
