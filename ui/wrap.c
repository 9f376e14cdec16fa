/* Lines wrapped to a width at word boundaries (see wrap.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wrap.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

/* A "label   value" line's value column is within this many columns. */
#define LABEL_MAX 30

struct out {
    char **v;
    int    n, cap;
};

static void push(struct out *o, char *line)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 32;
        o->v = xrealloc(o->v, (size_t)o->cap * sizeof *o->v);
    }
    o->v[o->n++] = line;
}

/* Where a continuation of `s` starts (columns). */
static int hang_of(const char *s, int width)
{
    int lead = (int)strspn(s, " ");
    int hang = lead + 2;
    /* Labels are ASCII words ("resident memory", "q F10"): count bytes. */
    const char *label = s + lead, *run = strstr(label, "  ");
    if (run && run > label) {
        const char *value = run + strspn(run, " ");
        int col = (int)(value - s);
        if (*value && col <= LABEL_MAX && memchr(label, '\t', (size_t)(run - label)) == NULL)
            hang = col;
    }
    if (hang > width / 2)
        hang = width / 2;
    return hang;
}

static void wrap_one(struct out *o, const char *s, int width)
{
    int hang = hang_of(s, width);
    const char *p = s;
    bool first = true;
    do {
        int indent = first ? 0 : hang;
        int room = width - indent;
        /* Text broken at a blank ends before the last column: that
         * column is the sign of a word broken in two (continued on the
         * next line) or, elsewhere, of a cut marked with the ellipsis. */
        size_t fit = sanitize_fit(p, room - 1);
        if (fit == 0 && *p) {
            /* Wider than the room (a wide character): it takes a line. */
            fit = 1;
            while (p[fit] && ((unsigned char)p[fit] & 0xC0) == 0x80)
                fit++;
        }
        size_t take = fit;
        if (p[fit]) {
            size_t lead = first ? strspn(p, " ") : 0;
            size_t at = fit;
            if (p[fit] != ' ') {
                /* Back to the last blank that leaves some text on this line. */
                while (at > 0 && p[at - 1] != ' ')
                    at--;
            }
            if (at > lead + 1) {
                take = at;
                /* A list ("pool > 90 %, cache hit < 70 %, ...") breaks after a
                 * comma or semicolon rather than between a number and its
                 * unit, when that keeps half the line. */
                for (size_t c = take; c > fit / 2 && c >= 2 && c > lead + 1; c--)
                    if (p[c - 1] == ' ' && (p[c - 2] == ',' || p[c - 2] == ';')) {
                        take = c;
                        break;
                    }
            } else {
                /* No blank to break at: the word is broken in two, the
                 * last column taken when more of it follows. */
                size_t hard = sanitize_fit(p, room);
                if (hard > fit && p[hard])
                    take = hard;
            }
        }
        size_t len = take;
        while (len > 0 && p[len - 1] == ' ' && p[take])
            len--;      /* no blanks left hanging at the break */
        push(o, xasprintf("%*s%.*s", indent, "", (int)len, p));
        p += take;
        if (*p)
            p += strspn(p, " ");
        first = false;
    } while (*p);
}

char **wrap_lines(char *const *lines, int nlines, int width, int ascii, int *n)
{
    struct out o = { 0 };
    if (width < 8)
        width = 8;
    for (int i = 0; i < nlines; i++) {
        /* A line's own line breaks (a query's) are kept. */
        char *safe = sanitize(lines[i] ? lines[i] : "", SANITIZE_KEEP_NEWLINES | (ascii ? SANITIZE_ASCII : 0));
        for (char *part = safe, *end;; part = end + 1) {
            end = strchr(part, '\n');
            if (end)
                *end = '\0';
            wrap_one(&o, part, width);
            if (!end)
                break;
        }
        free(safe);
    }
    *n = o.n;
    return o.v;
}

void wrap_free(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}
