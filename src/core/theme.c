/* Colour themes: the model, the files and their format (see theme.h).
 * The lines are read by base/ini.c; this file gives them their meaning. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/theme.h"
#include "base/embedded.h"
#include "base/ini.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#ifndef PGDECK_DATADIR
#define PGDECK_DATADIR "/usr/local/share/pgdeck"
#endif

/* A theme file is a few kilobytes; anything much bigger is a mistake
 * (--theme pointed at a log or a binary), not a theme. */
#define THEME_FILE_MAX (1024L * 1024L)
/* Inheritance deeper than this is surely a loop the identity check missed
 * (the same file reached through two different paths). */
#define THEME_INHERIT_DEPTH 8

/* ---- names --------------------------------------------------------------- */

/* Element names, and the attributes each one has when there is no colour.
 * The mono attributes are the floor every theme stands on: they keep the
 * title, the selection and alerts apart on a terminal that shows no colour,
 * whatever colours the theme chose. */
static const struct {
    const char *name;
    unsigned    mono;
} elements[THEME_ELEMENT_COUNT] = {
    [THEME_NORMAL]             = { "normal",             0 },
    [THEME_TITLE]              = { "title",              THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_TITLE_READONLY]     = { "title_readonly",     THEME_ATTR_REVERSE | THEME_ATTR_UNDERLINE },
    [THEME_STATUS]             = { "status",             THEME_ATTR_REVERSE },
    [THEME_STATUS_OK]          = { "status_ok",          THEME_ATTR_REVERSE },
    [THEME_STATUS_DOWN]        = { "status_down",        THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE },
    [THEME_STATUS_WARN]        = { "status_warn",        THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_HEADER]             = { "header",             THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE },
    [THEME_ROW]                = { "row",                0 },
    [THEME_ROW_ALT]            = { "row_alt",            0 },
    [THEME_ROW_WARN]           = { "row_warn",           THEME_ATTR_BOLD },
    [THEME_ROW_CRIT]           = { "row_crit",           THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE },
    [THEME_SELECTED]           = { "selected",           THEME_ATTR_REVERSE },
    [THEME_SELECTED_UNFOCUSED] = { "selected_unfocused", THEME_ATTR_UNDERLINE },
    [THEME_BORDER]             = { "border",             0 },
    [THEME_BORDER_FOCUSED]     = { "border_focused",     THEME_ATTR_BOLD },
    [THEME_PANE_TITLE]         = { "pane_title",         THEME_ATTR_BOLD },
    [THEME_PANE_TITLE_FOCUSED] = { "pane_title_focused", THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_LABEL]              = { "label",              0 },
    [THEME_VALUE]              = { "value",              THEME_ATTR_BOLD },
    [THEME_DIM]                = { "dim",                THEME_ATTR_DIM },
    [THEME_ALERT]              = { "alert",              THEME_ATTR_BOLD },
    [THEME_ALERT_CRIT]         = { "alert_crit",         THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_GAUGE_OK]           = { "gauge_ok",           THEME_ATTR_REVERSE },
    [THEME_GAUGE_WARN]         = { "gauge_warn",         THEME_ATTR_REVERSE },
    [THEME_GAUGE_CRIT]         = { "gauge_crit",         THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_GAUGE_EMPTY]        = { "gauge_empty",        THEME_ATTR_DIM },
    [THEME_SPARKLINE]          = { "sparkline",          0 },
    [THEME_DIALOG]             = { "dialog",             0 },
    [THEME_DIALOG_BORDER]      = { "dialog_border",      THEME_ATTR_BOLD },
    [THEME_PROMPT]             = { "prompt",             THEME_ATTR_BOLD },
    [THEME_HELP_KEY]           = { "help_key",           THEME_ATTR_BOLD },
    [THEME_TAB]                = { "tab",                0 },
    [THEME_TAB_ACTIVE]         = { "tab_active",         THEME_ATTR_REVERSE | THEME_ATTR_BOLD },
    [THEME_PROGRESS]           = { "progress",           THEME_ATTR_REVERSE },
    [THEME_STALE]              = { "stale",              THEME_ATTR_DIM },
};

/* Palette order: the index of a name is its colour number. */
static const char *const color_names[16] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright_black", "bright_red", "bright_green", "bright_yellow",
    "bright_blue", "bright_magenta", "bright_cyan", "bright_white",
};

static const struct {
    const char *name;
    unsigned    bit;
} attr_names[] = {
    { "bold", THEME_ATTR_BOLD },          { "dim", THEME_ATTR_DIM },
    { "underline", THEME_ATTR_UNDERLINE }, { "reverse", THEME_ATTR_REVERSE },
    { "italic", THEME_ATTR_ITALIC },       { "standout", THEME_ATTR_STANDOUT },
    { "none", 0 },
};

const char *theme_element_name(enum theme_element e)
{
    return (int)e >= 0 && e < THEME_ELEMENT_COUNT ? elements[e].name : NULL;
}

unsigned theme_element_mono(enum theme_element e)
{
    return (int)e >= 0 && e < THEME_ELEMENT_COUNT ? elements[e].mono : 0;
}

/* A token is a slice of the line: (s, n), not NUL-terminated. */
static bool token_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static int element_find(const char *s, size_t n)
{
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
        if (token_is(s, n, elements[e].name))
            return e;
    return -1;
}

int theme_element_find(const char *name)
{
    return name ? element_find(name, strlen(name)) : -1;
}

/* ---- warnings -------------------------------------------------------------- */

void theme_warnings_free(struct theme_warnings *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->count; i++)
        free(w->messages[i]);
    free(w->messages);
    w->messages = NULL;
    w->count = 0;
    w->dropped = 0;
}

/* What a message quotes from the file: at most 40 bytes, anything but
 * printable ASCII shown as '?', so that a binary file given as a theme
 * cannot put escape sequences on the terminal through its warnings. */
static void quote(char *out, size_t outlen, const char *s, size_t n)
{
    size_t o = 0, i = 0;
    for (; i < n && i < 40 && o + 4 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (i < n && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Make a message safe to print, in place.  Paths and names in messages
 * come from the command line, the environment and `inherit` lines, and may
 * hold any byte: control characters (C0, DEL, C1) and bytes that are not
 * UTF-8 become '?'; valid UTF-8 (a user's name in a path) is kept. */
static void make_printable(char *s)
{
    char *p = s, *o = s, *end = s + strlen(s);
    while (p < end) {
        if (*p >= 0x20 && *p < 0x7f) {
            *o++ = *p++;
            continue;
        }
        uint32_t cp;
        int n = utf8_decode(p, (size_t)(end - p), &cp);
        if (n < 0) {
            *o++ = '?';
            p++;
            continue;
        }
        if (cp < 0xa0) {                                /* a C1 control character */
            *o++ = '?';
            p += n;
            continue;
        }
        for (int i = 0; i < n; i++)
            *o++ = *p++;
    }
    *o = '\0';
}

/* Levenshtein distance, for "did you mean"; words here are short. */
static size_t edit_distance(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b), row[64];
    /* More than two apart in length is never a suggestion: skip the work. */
    if (an >= 63 || bn >= 63 || an > bn + 2 || bn > an + 2)
        return SIZE_MAX;
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != b[j - 1];
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bn];
}

/* The closest of `count` names to (s, n) within two edits, or NULL. */
static const char *suggest(const char *s, size_t n, const char *const *names,
                           size_t stride, int count)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (int i = 0; i < count; i++) {
        const char *name = *(const char *const *)((const char *)names + (size_t)i * stride);
        size_t d = edit_distance(s, n, name);
        if (d < best_distance) {
            best = name;
            best_distance = d;
        }
    }
    return best;
}

/* ---- colours ----------------------------------------------------------------- */

static const int ansi_rgb[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

static const int cube_level[6] = { 0, 95, 135, 175, 215, 255 };

int theme_256_to_rgb(int idx)
{
    if (idx < 0 || idx > 255)
        return 0;
    if (idx < 16)
        return ansi_rgb[idx];
    if (idx >= 232) {
        int v = 8 + 10 * (idx - 232);
        return v << 16 | v << 8 | v;
    }
    idx -= 16;
    return cube_level[idx / 36] << 16 | cube_level[idx / 6 % 6] << 8 | cube_level[idx % 6];
}

int theme_nearest_256(int r, int g, int b)
{
    int best = 16;
    long best_distance = -1;
    /* 240 candidates: a full search is cheaper than being clever and is
     * exactly "nearest".  On a tie the cube wins, being first. */
    for (int i = 16; i < 256; i++) {
        int rgb = theme_256_to_rgb(i);
        long dr = (rgb >> 16) - r, dg = (rgb >> 8 & 0xff) - g, db = (rgb & 0xff) - b;
        long d = dr * dr + dg * dg + db * db;
        if (best_distance < 0 || d < best_distance) {
            best = i;
            best_distance = d;
        }
    }
    return best;
}

/* The basic colour (0-7) closest in spirit to r, g, b.  Nearly black
 * (a dark background, whatever its tint) is black, and nearly grey is
 * black or white: the basic white is a light grey on most terminals, so mid
 * grey and up become white.  Otherwise the channels in the top third of the
 * colour's range name the hue, which keeps a dark blue blue rather than
 * black, and orange red; red, green and blue are bits 0, 1 and 2 of the
 * ANSI numbers. */
static int rgb_to_8(int r, int g, int b)
{
    int max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int min = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (max < 0x48)
        return 0;
    if (max - min < 0x30)
        return (max + min) / 2 >= 0x80 ? 7 : 0;
    int range = max - min;
    return ((r - min) * 3 > range * 2) | ((g - min) * 3 > range * 2) << 1
         | ((b - min) * 3 > range * 2) << 2;
}

int theme_256_to_8(int idx)
{
    if (idx < 0 || idx > 255)
        return 0;
    if (idx < 8)
        return idx;
    if (idx < 16)
        return idx - 8;
    int rgb = theme_256_to_rgb(idx);
    return rgb_to_8(rgb >> 16, rgb >> 8 & 0xff, rgb & 0xff);
}

int theme_color_to_terminal(struct theme_color c, int colors)
{
    if (c.kind == THEME_COLOR_DEFAULT || colors < 8)
        return -1;
    if (colors > 256) {
        /* Direct colour: numbers below 8 are the ANSI colours, the rest
         * are 0xRRGGBB, so even palette entries travel as their RGB. */
        if (c.kind == THEME_COLOR_INDEX && c.value < 8)
            return c.value;
        int rgb = c.kind == THEME_COLOR_INDEX ? theme_256_to_rgb(c.value) : c.value;
        return rgb < 8 ? 0 : rgb;
    }
    int r = c.value >> 16, g = c.value >> 8 & 0xff, b = c.value & 0xff;
    if (c.kind == THEME_COLOR_RGB)
        return colors >= 256 ? theme_nearest_256(r, g, b) : rgb_to_8(r, g, b);
    if (colors >= 256 || (colors >= 16 && c.value < 16) || c.value < 8)
        return c.value;
    /* 88-colour and 16-colour terminals have no (or another) cube. */
    return theme_256_to_8(c.value);
}

/* 0: a colour in *c; 1: '-' (keep); -1: not a colour. */
static int parse_color(const char *s, size_t n, struct theme_color *c)
{
    if (n == 1 && s[0] == '-')
        return 1;
    if (token_is(s, n, "default")) {
        *c = (struct theme_color){ THEME_COLOR_DEFAULT, 0 };
        return 0;
    }
    for (int i = 0; i < 16; i++)
        if (token_is(s, n, color_names[i])) {
            *c = (struct theme_color){ THEME_COLOR_INDEX, i };
            return 0;
        }
    if (n >= 1 && n <= 3) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        if (v > 255)
            return -1;
        *c = (struct theme_color){ THEME_COLOR_INDEX, v };
        return 0;
    }
    if (n == 7 && s[0] == '#') {
        int v = 0;
        for (size_t i = 1; i < 7; i++) {
            if (!isxdigit((unsigned char)s[i]))
                return -1;
            int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                 : tolower((unsigned char)s[i]) - 'a' + 10;
            v = v << 4 | d;
        }
        *c = (struct theme_color){ THEME_COLOR_RGB, v };
        return 0;
    }
    return -1;
}

/* 0 with the bit in *bit ("none" gives 0), or -1. */
static int parse_attr(const char *s, size_t n, unsigned *bit)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
        if (token_is(s, n, attr_names[i].name)) {
            *bit = attr_names[i].bit;
            return 0;
        }
    return -1;
}

/* ---- parsing ------------------------------------------------------------------- */

/* The themes being loaded, outermost first: an inherit that reaches one of
 * them again is a cycle. */
struct chain {
    const char *id[THEME_INHERIT_DEPTH + 1];      /* real path or "built-in:NAME" */
    const char *shown[THEME_INHERIT_DEPTH + 1];   /* for the message */
    int depth;
};

struct parser {
    struct theme          *theme;
    const char            *source;
    int                    line;
    struct theme_warnings *warnings;
    int                   *produced;
    struct chain          *chain;
    bool                   seen_inherit;
    bool                   seen_element;
};

static int load_into(struct theme *t, const char *arg, const char *base_dir,
                     struct theme_warnings *w, int *produced, struct chain *chain,
                     char *err, size_t errlen);

/* Keep a message ("SOURCE:LINE: what"), made safe to print; takes it. */
static void keep_warning(struct parser *p, char *message)
{
    (*p->produced)++;
    struct theme_warnings *w = p->warnings;
    if (!w || w->count >= THEME_WARNINGS_MAX) {
        if (w)
            w->dropped++;
        free(message);
        return;
    }
    make_printable(message);
    w->messages = xrealloc(w->messages, (size_t)(w->count + 1) * sizeof *w->messages);
    w->messages[w->count++] = message;
}

static void warn(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = ini_vmessage(p->source, p->line, fmt, ap);
    va_end(ap);
    keep_warning(p, message);
}

static void warn_bad_token(struct parser *p, const char *s, size_t n, const char *what,
                           const char *hint)
{
    char q[64];
    quote(q, sizeof q, s, n);
    if (hint)
        warn(p, "'%s' is not %s (did you mean '%s'?)", q, what, hint);
    else
        warn(p, "'%s' is not %s", q, what);
}

static const char *color_hint(const char *s, size_t n)
{
    const char *hint = suggest(s, n, color_names, sizeof color_names[0], 16);
    if (!hint && edit_distance(s, n, "default") <= 2)
        hint = "default";
    return hint;
}

static const char *attr_hint(const char *s, size_t n)
{
    return suggest(s, n, &attr_names[0].name, sizeof attr_names[0],
                   (int)(sizeof attr_names / sizeof attr_names[0]));
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next whitespace-separated token of [*s, end), or false at the end. */
static bool next_token(const char **s, const char *end, const char **tok, size_t *n)
{
    const char *p = *s;
    while (p < end && is_blank(*p))
        p++;
    if (p == end)
        return false;
    *tok = p;
    while (p < end && !is_blank(*p))
        p++;
    *n = (size_t)(p - *tok);
    *s = p;
    return true;
}

/* Attributes only, for ELEMENT.attrs and ELEMENT.mono. */
static bool parse_attr_list(struct parser *p, const char *s, const char *end, unsigned *out)
{
    const char *tok;
    size_t n;
    unsigned bits = 0;
    while (next_token(&s, end, &tok, &n)) {
        unsigned bit;
        if (parse_attr(tok, n, &bit) < 0) {
            warn_bad_token(p, tok, n, "an attribute", attr_hint(tok, n));
            return false;
        }
        bits |= bit;
    }
    *out = bits;
    return true;
}

/* ELEMENT = FG [BG] [ATTR...]: colours fill fg then bg, in order, wherever
 * they stand among the attributes. */
static void set_whole(struct parser *p, int e, const char *s, const char *end)
{
    struct theme_style style = p->theme->style[e];
    struct theme_color color[2] = { { THEME_COLOR_DEFAULT, 0 }, { THEME_COLOR_DEFAULT, 0 } };
    bool keep[2] = { false, false };
    int colors = 0, attrs_seen = 0;
    unsigned attrs = 0;
    const char *tok;
    size_t n;
    while (next_token(&s, end, &tok, &n)) {
        unsigned bit;
        struct theme_color c;
        int r;
        if (parse_attr(tok, n, &bit) == 0) {
            attrs |= bit;
            attrs_seen++;
        } else if ((r = parse_color(tok, n, &c)) >= 0) {
            if (colors == 2) {
                char q[64];
                quote(q, sizeof q, tok, n);
                warn(p, "a third colour '%s' (an element has a foreground and a background)", q);
                return;
            }
            keep[colors] = r == 1;
            color[colors++] = c;
        } else if (colors == 0 && attrs_seen == 0) {
            warn_bad_token(p, tok, n, "a colour", color_hint(tok, n));
            return;
        } else if (colors < 2) {
            const char *hint = color_hint(tok, n);
            warn_bad_token(p, tok, n, "a colour or an attribute", hint ? hint : attr_hint(tok, n));
            return;
        } else {
            warn_bad_token(p, tok, n, "an attribute", attr_hint(tok, n));
            return;
        }
    }
    if (!keep[0])
        style.fg = color[0];
    if (!keep[1])
        style.bg = color[1];
    style.attrs = attrs;
    p->theme->style[e] = style;
    p->theme->defined[e] = true;
}

static void set_one_color(struct parser *p, int e, bool fg, const char *s, const char *end)
{
    const char *tok, *extra;
    size_t n, extra_n;
    if (!next_token(&s, end, &tok, &n))
        return;                     /* the caller saw a value: cannot happen */
    if (next_token(&s, end, &extra, &extra_n)) {
        warn(p, "%s.%s takes one colour", elements[e].name, fg ? "fg" : "bg");
        return;
    }
    struct theme_color c;
    int r = parse_color(tok, n, &c);
    if (r < 0) {
        warn_bad_token(p, tok, n, "a colour", color_hint(tok, n));
        return;
    }
    if (r == 0) {
        if (fg)
            p->theme->style[e].fg = c;
        else
            p->theme->style[e].bg = c;
    }
    p->theme->defined[e] = true;
}

static void do_inherit(struct parser *p, const char *s, const char *end)
{
    if (p->seen_inherit) {
        warn(p, "a second 'inherit' (a theme inherits from one other)");
        return;
    }
    if (p->seen_element) {
        warn(p, "'inherit' must come before the elements it would overwrite");
        return;
    }
    p->seen_inherit = true;

    char *arg = xstrndup(s, (size_t)(end - s));
    /* A relative FILE is found beside the theme that names it. */
    char *base_dir = NULL;
    const char *slash = strrchr(p->source, '/');
    if (slash)
        base_dir = xstrndup(p->source, (size_t)(slash - p->source));

    struct theme parent;
    char err[512];
    if (load_into(&parent, arg, base_dir, p->warnings, p->produced, p->chain,
                  err, sizeof err) < 0) {
        warn(p, "cannot inherit: %s", err);
    } else {
        memcpy(parent.name, p->theme->name, sizeof parent.name);
        *p->theme = parent;
    }
    free(base_dir);
    free(arg);
}

/* One "key = value" line of a theme, as base/ini.c read it. */
static void parse_entry(struct parser *p, const char *key, const char *value)
{
    const char *key_end = key + strlen(key), *end = value + strlen(value);
    /* " # comment" after the value; "#rrggbb" has no blank after the '#'. */
    for (const char *c = value; c < end; c++)
        if (*c == '#' && (c == value || is_blank(c[-1])) && (c + 1 == end || is_blank(c[1]))) {
            end = c;
            break;
        }
    while (end > value && is_blank(end[-1]))
        end--;

    if (key == key_end) {
        warn(p, "no element name before '='");
        return;
    }
    if (token_is(key, (size_t)(key_end - key), "inherit")) {
        if (value == end)
            warn(p, "'inherit' needs a theme name or file");
        else
            do_inherit(p, value, end);
        return;
    }

    const char *dot = memchr(key, '.', (size_t)(key_end - key));
    const char *name_end = dot ? dot : key_end;
    int e = element_find(key, (size_t)(name_end - key));
    if (e < 0) {
        char q[64];
        quote(q, sizeof q, key, (size_t)(name_end - key));
        const char *hint = suggest(key, (size_t)(name_end - key), &elements[0].name,
                                   sizeof elements[0], THEME_ELEMENT_COUNT);
        if (hint)
            warn(p, "unknown element '%s' (did you mean '%s'?)", q, hint);
        else
            warn(p, "unknown element '%s'", q);
        return;
    }
    p->seen_element = true;

    if (value == end) {
        char q[64];
        quote(q, sizeof q, key, (size_t)(key_end - key));
        warn(p, "'%s' has no value", q);
        return;
    }
    if (!dot) {
        set_whole(p, e, value, end);
        return;
    }
    const char *prop = dot + 1;
    size_t prop_n = (size_t)(key_end - prop);
    unsigned bits;
    if (token_is(prop, prop_n, "fg") || token_is(prop, prop_n, "bg")) {
        set_one_color(p, e, tolower((unsigned char)prop[0]) == 'f', value, end);
    } else if (token_is(prop, prop_n, "attrs") || token_is(prop, prop_n, "attr")) {
        if (parse_attr_list(p, value, end, &bits)) {
            p->theme->style[e].attrs = bits;
            p->theme->defined[e] = true;
        }
    } else if (token_is(prop, prop_n, "mono")) {
        if (parse_attr_list(p, value, end, &bits)) {
            p->theme->style[e].mono = bits;
            p->theme->defined[e] = true;
        }
    } else {
        char q[64];
        quote(q, sizeof q, prop, prop_n);
        warn(p, "unknown property '%s' (fg, bg, attrs or mono)", q);
    }
}

void theme_init(struct theme *t)
{
    memset(t, 0, sizeof *t);
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
        t->style[e].mono = elements[e].mono;
}

/* base/ini.c's callbacks: every line is read, a bad one is a warning. */
static int on_entry(void *user, const char *section, const char *key, const char *value, int line)
{
    struct parser *p = user;
    p->line = line;
    if (!key) {
        char q[64];
        quote(q, sizeof q, section, strlen(section));
        warn(p, "'[%s]': a theme has no sections (expected 'element = fg bg attributes')", q);
    } else if (!value) {
        warn(p, "no '=' (expected 'element = fg bg attributes')");
    } else {
        parse_entry(p, key, value);
    }
    return 0;
}

static int on_error(void *user, const char *message, int line)
{
    struct parser *p = user;
    p->line = line;
    keep_warning(p, xstrdup(message));
    return 0;
}

static void parse_text(struct theme *t, const char *text, size_t len, const char *source,
                       struct theme_warnings *w, int *produced, struct chain *chain)
{
    char name[sizeof t->name];
    memcpy(name, t->name, sizeof name);
    theme_init(t);
    memcpy(t->name, name, sizeof name);

    struct parser p = {
        .theme = t, .source = source, .warnings = w, .produced = produced, .chain = chain,
    };
    struct ini_callbacks cb = { .source = source, .entry = on_entry, .error = on_error, .user = &p };
    ini_read_text(&cb, text, len);
}

int theme_parse(struct theme *t, const char *text, size_t len, const char *source,
                struct theme_warnings *w)
{
    int produced = 0;
    if (!source)
        source = "theme";
    char resolved[PATH_MAX];
    const char *id = strchr(source, '/') && realpath(source, resolved) ? resolved : source;
    struct chain chain = { .id = { id }, .shown = { source }, .depth = 1 };
    memset(t->name, 0, sizeof t->name);
    snprintf(t->name, sizeof t->name, "%s", source);
    parse_text(t, text, len, source, w, &produced, &chain);
    make_printable(t->name);
    return produced;
}

/* ---- loading ------------------------------------------------------------------ */

static bool is_file_arg(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') || (n > 6 && strcmp(arg + n - 6, ".theme") == 0);
}

static bool is_theme_name(const char *name)
{
    if (!*name || *name == '.' || strlen(name) > 100)
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return false;
    return true;
}

/* Read a whole regular file.  0 and a malloc'd NUL-terminated text, or -1
 * with errno set (EFBIG: too large, EINVAL: not a regular file). */
static int read_file(const char *path, char **text, size_t *len)
{
    /* O_NONBLOCK so that a FIFO named by mistake cannot hang the open. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > THEME_FILE_MAX) {
        close(fd);
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            free(buf);
            close(fd);
            errno = saved;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {             /* it grew while we read */
            free(buf);
            close(fd);
            errno = EFBIG;
            return -1;
        }
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static void file_error(char *err, size_t errlen, const char *path)
{
    if (errno == EFBIG)
        snprintf(err, errlen, "%s: too large for a theme (over %ld bytes)", path, THEME_FILE_MAX);
    else if (errno == EINVAL)
        snprintf(err, errlen, "%s: not a regular file", path);
    else
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
}

/* Parse a found theme unless that would close a loop. */
static int parse_found(struct theme *t, const char *text, size_t len, const char *source,
                       const char *id, struct theme_warnings *w, int *produced,
                       struct chain *chain, char *err, size_t errlen)
{
    for (int i = 0; i < chain->depth; i++)
        if (strcmp(chain->id[i], id) == 0) {
            int n = snprintf(err, errlen, "inheritance cycle:");
            for (int j = i; j < chain->depth && n >= 0 && (size_t)n < errlen; j++)
                n += snprintf(err + n, errlen - (size_t)n, " %s ->", chain->shown[j]);
            if (n >= 0 && (size_t)n < errlen)
                snprintf(err + n, errlen - (size_t)n, " %s", source);
            return -1;
        }
    if (chain->depth >= THEME_INHERIT_DEPTH) {
        snprintf(err, errlen, "themes inherit more than %d deep", THEME_INHERIT_DEPTH);
        return -1;
    }
    chain->id[chain->depth] = id;
    chain->shown[chain->depth] = source;
    chain->depth++;
    parse_text(t, text, len, source, w, produced, chain);
    chain->depth--;
    chain->id[chain->depth] = chain->shown[chain->depth] = NULL;  /* they die with the caller */
    return 0;
}

static int load_file(struct theme *t, const char *path, struct theme_warnings *w,
                     int *produced, struct chain *chain, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len) < 0) {
        file_error(err, errlen, path);
        return -1;
    }
    char resolved[PATH_MAX];
    const char *id = realpath(path, resolved) ? resolved : path;
    int rc = parse_found(t, text, len, path, id, w, produced, chain, err, errlen);
    free(text);
    return rc;
}

/* $XDG_CONFIG_HOME/pgdeck/themes, or ~/.config/pgdeck/themes; NULL when
 * neither variable says where that is.  Caller frees. */
static char *user_theme_dir(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && xdg[0] == '/')       /* the spec says to ignore relative ones */
        return xasprintf("%s/pgdeck/themes", xdg);
    const char *home = getenv("HOME");
    if (home && home[0])
        return xasprintf("%s/.config/pgdeck/themes", home);
    return NULL;
}

static int load_into(struct theme *t, const char *arg, const char *base_dir,
                     struct theme_warnings *w, int *produced, struct chain *chain,
                     char *err, size_t errlen)
{
    memset(t->name, 0, sizeof t->name);
    snprintf(t->name, sizeof t->name, "%s", arg);

    if (is_file_arg(arg)) {
        if (arg[0] == '/' || !base_dir)
            return load_file(t, arg, w, produced, chain, err, errlen);
        const char *rel = arg;
        while (rel[0] == '.' && rel[1] == '/')
            rel += 2;
        char *path = xasprintf("%s/%s", base_dir, rel);
        int rc = load_file(t, path, w, produced, chain, err, errlen);
        free(path);
        return rc;
    }
    if (!is_theme_name(arg)) {
        char q[64];
        quote(q, sizeof q, arg, strlen(arg));
        snprintf(err, errlen, "'%s' is not a theme name (letters, digits, '-', '_') "
                 "or a file (with a '/' or ending in .theme)", q);
        return -1;
    }

    char *file = xasprintf("%s.theme", arg);
    const char *text = embedded_find(file);
    if (text) {
        char *id = xasprintf("built-in:%s", arg);
        int rc = parse_found(t, text, strlen(text), file, id, w, produced, chain, err, errlen);
        free(id);
        free(file);
        return rc;
    }
    free(file);

    char *dirs[2] = { user_theme_dir(), xstrdup(PGDECK_DATADIR "/themes") };
    char *tried[2] = { NULL, NULL };
    int rc = -1;
    bool done = false;
    for (int i = 0; i < 2 && !done; i++) {
        if (!dirs[i])
            continue;
        char *path = xasprintf("%s/%s.theme", dirs[i], arg);
        if (access(path, F_OK) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
            rc = load_file(t, path, w, produced, chain, err, errlen);
            done = true;
            free(path);
        } else {
            tried[i] = path;
        }
    }
    if (!done)
        snprintf(err, errlen, "theme '%s' not found: not built in%s%s%s%s", arg,
                 tried[0] ? ", no " : "", tried[0] ? tried[0] : "",
                 tried[1] ? ", no " : "", tried[1] ? tried[1] : "");
    for (int i = 0; i < 2; i++) {
        free(dirs[i]);
        free(tried[i]);
    }
    return rc;
}

int theme_load(struct theme *t, const char *name_or_file, struct theme_warnings *w,
               char *err, size_t errlen)
{
    if (!name_or_file || !*name_or_file) {
        snprintf(err, errlen, "no theme name given");
        return -1;
    }
    struct theme loaded;
    struct chain chain = { .depth = 0 };
    int produced = 0;
    if (load_into(&loaded, name_or_file, NULL, w, &produced, &chain, err, errlen) < 0) {
        if (errlen > 0)
            make_printable(err);
        return -1;
    }
    make_printable(loaded.name);
    *t = loaded;
    return 0;
}

/* ---- listing ------------------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* (name, n) when it is "NAME.theme" for a valid NAME. */
static void list_add(char ***names, int *count, const char *file)
{
    size_t n = strlen(file);
    if (n <= 6 || strcmp(file + n - 6, ".theme") != 0)
        return;
    char *name = xstrndup(file, n - 6);
    if (!is_theme_name(name)) {
        free(name);
        return;
    }
    *names = xrealloc(*names, (size_t)(*count + 2) * sizeof **names);
    (*names)[(*count)++] = name;
}

char **theme_list(void)
{
    char **names = NULL;
    int count = 0;
    for (const struct embedded_file *f = embedded_files; f->name; f++)
        if (!strchr(f->name, '/'))
            list_add(&names, &count, f->name);
    char *dirs[2] = { user_theme_dir(), xstrdup(PGDECK_DATADIR "/themes") };
    for (int i = 0; i < 2; i++) {
        DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
        for (struct dirent *de; d && (de = readdir(d)) != NULL;)
            list_add(&names, &count, de->d_name);
        if (d)
            closedir(d);
        free(dirs[i]);
    }
    if (!names)
        return xcalloc(1, sizeof *names);
    qsort(names, (size_t)count, sizeof *names, compare_names);
    int kept = 0;
    for (int i = 0; i < count; i++) {
        if (kept > 0 && strcmp(names[kept - 1], names[i]) == 0)
            free(names[i]);
        else
            names[kept++] = names[i];
    }
    names[kept] = NULL;
    return names;
}

void theme_list_free(char **names)
{
    for (char **n = names; n && *n; n++)
        free(*n);
    free(names);
}
