/* The title bar and the server line as parts with priorities (see
 * title.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "title.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

/* A part is cut only when this much of its own text stays readable. */
#define CUT_MIN 6

static char *clean(const struct title_line *l, const char *text)
{
    return sanitize(text, SANITIZE_FOLD | (l->ascii ? SANITIZE_ASCII : 0));
}

struct title_part *title_add(struct title_line *l, int priority, int style, int gap, const char *what,
                             const char *text)
{
    if (!text || !*text || l->n >= TITLE_MAX_PARTS)
        return NULL;
    struct title_part *p = &l->part[l->n++];
    memset(p, 0, sizeof *p);
    p->text = clean(l, text);
    p->what = what ? xstrdup(what) : NULL;
    p->priority = priority;
    p->style = style;
    p->gap = gap;
    p->shown = TITLE_FULL;
    return p;
}

void title_brief(struct title_part *p, const char *brief)
{
    if (!p)
        return;
    free(p->brief);
    p->brief = sanitize(brief, SANITIZE_FOLD);
}

const char *title_text(const struct title_part *p)
{
    switch (p->shown) {
    case TITLE_FULL:  return p->text;
    case TITLE_BRIEF: return p->brief;
    case TITLE_CUT:   return p->cut_text;
    default:          return NULL;
    }
}

int title_gap(const struct title_line *l, int i)
{
    /* A group's wider gap (between pgdeck and the connection) stays when
     * the group's first part is dropped. */
    int gap = l->part[i].gap;
    for (int k = i - 1; k >= 0 && !title_text(&l->part[k]); k--)
        if (l->part[k].right == l->part[i].right && l->part[k].gap > gap)
            gap = l->part[k].gap;
    return gap;
}

int title_width(const struct title_line *l)
{
    int side[2] = { 0, 0 };
    for (int i = 0; i < l->n; i++) {
        const struct title_part *p = &l->part[i];
        const char *t = title_text(p);
        if (!t)
            continue;
        int *w = &side[p->right];
        *w += (*w ? title_gap(l, i) : 0) + sanitize_width(t);
    }
    return side[0] + side[1] + (side[0] && side[1] ? 2 : 0);
}

/* The part to give way next: the lowest priority still shown in full (or,
 * keep parts, not yet brief), the rightmost among equals. */
static struct title_part *next_to_give(struct title_line *l, bool keep)
{
    struct title_part *best = NULL;
    for (int i = 0; i < l->n; i++) {
        struct title_part *p = &l->part[i];
        if (p->shown != TITLE_FULL || (p->priority >= TITLE_KEEP) != keep)
            continue;
        if (keep && !p->brief)
            continue;
        if (!best || p->priority <= best->priority)
            best = p;
    }
    return best;
}

static void cut(struct title_line *l, struct title_part *p, int room)
{
    const char *ellipsis = l->ascii ? "~" : "\u2026";
    const char *tail = p->tail ? p->tail : "";
    int keep = room - sanitize_width(ellipsis) - sanitize_width(tail);
    size_t tail_len = strlen(tail);
    size_t text_len = strlen(p->text);
    /* The tail is the end of the text ("(Connection refused)"): cut before it. */
    size_t body = text_len >= tail_len && strcmp(p->text + text_len - tail_len, tail) == 0
                  ? text_len - tail_len : text_len;
    char *head = xstrndup(p->text, body);
    size_t fit = sanitize_fit(head, keep);
    free(p->cut_text);
    p->cut_text = xasprintf("%.*s%s%s", (int)fit, head, ellipsis, tail);
    free(head);
    p->shown = TITLE_CUT;
}

void title_fit(struct title_line *l, int width)
{
    for (int i = 0; i < l->n; i++)
        l->part[i].shown = TITLE_FULL;
    for (int pass = 0; pass < 2; pass++) {
        struct title_part *p;
        while (title_width(l) > width && (p = next_to_give(l, pass == 1))) {
            if (p->brief) {
                p->shown = TITLE_BRIEF;
                continue;
            }
            if (p->cut) {
                /* Cut to exactly what is left, when enough is left. */
                int without = title_width(l) - sanitize_width(p->text);
                int room = width - without;
                if (room - CUT_MIN >= sanitize_width(p->tail ? p->tail : "") + 1) {
                    cut(l, p, room);
                    continue;
                }
            }
            p->shown = TITLE_DROPPED;
        }
    }
}

int title_dropped(const struct title_line *l, char *out, size_t len)
{
    int count = 0;
    size_t used = strlen(out);
    for (int i = 0; i < l->n; i++) {
        const struct title_part *p = &l->part[i];
        if (p->shown == TITLE_FULL)
            continue;
        int k = snprintf(out + used, used < len ? len - used : 0, "%s%s%s%s", used ? ", " : "",
                         p->what ? p->what : "", p->what ? " " : "", p->text);
        if (k > 0)
            used += (size_t)k;
        if (used >= len) {
            used = len ? len - 1 : 0;
        }
        count++;
    }
    return count;
}

void title_free(struct title_line *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->part[i].text);
        free(l->part[i].brief);
        free(l->part[i].cut_text);
        free(l->part[i].what);
    }
    l->n = 0;
}
