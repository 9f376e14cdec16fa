/* Theme files, the theme loader, colour degrading and the curses side.
 * Run from the repository root: the shipped themes are read from themes/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/embedded.h"
#include "theme.h"
#include "base/xalloc.h"

#ifndef PGDECK_DATADIR              /* as core/theme.c, when built by hand */
#define PGDECK_DATADIR "/usr/local/share/pgdeck"
#endif

static char tmpdir[256];             /* a scratch directory for each test */
static char config_home[PATH_MAX];  /* $XDG_CONFIG_HOME during the tests */
static char repo_root[PATH_MAX];

/* ---- helpers ---------------------------------------------------------------- */

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pgdeck-test-theme-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    /* The developer's own ~/.config/pgdeck/themes must not leak in. */
    snprintf(config_home, sizeof config_home, "%s/config", tmpdir);
    mkdir(config_home, 0700);
    setenv("XDG_CONFIG_HOME", config_home, 1);
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    free(cmd);
    if (chdir(repo_root) != 0)
        return -1;
    return rc == 0 ? 0 : -1;
}

/* Write tmpdir/name (creating directories on the way); returns the path,
 * which the caller frees. */
static char *write_file(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    for (char *slash = strchr(path + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static bool has_warning(const struct theme_warnings *w, const char *text)
{
    for (int i = 0; i < w->count; i++)
        if (strstr(w->messages[i], text))
            return true;
    return false;
}

/* No C0 control, DEL, C1 control (as UTF-8 or as a raw byte that is not
 * part of a character) or broken UTF-8: safe to put on a terminal. */
static bool printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
        if (n == 0 || *p > 0xf4 || (n == 2 && *p == 0xc2 && p[1] < 0xa0))
            return false;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static void print_warnings(const struct theme_warnings *w)
{
    for (int i = 0; i < w->count; i++)
        print_message("warning: %s\n", w->messages[i]);
}

static int parse(struct theme *t, const char *text, struct theme_warnings *w)
{
    return theme_parse(t, text, strlen(text), "t.theme", w);
}

static bool color_is(struct theme_color c, enum theme_color_kind kind, int value)
{
    return c.kind == kind && (kind == THEME_COLOR_DEFAULT || c.value == value);
}

static bool same_style(const struct theme_style *a, const struct theme_style *b)
{
    return a->fg.kind == b->fg.kind && a->fg.value == b->fg.value
        && a->bg.kind == b->bg.kind && a->bg.value == b->bg.value
        && a->attrs == b->attrs && a->mono == b->mono;
}

/* The shipped theme files, "themes/x.theme", NULL-terminated. */
static char **shipped_theme_files(void)
{
    DIR *d = opendir("themes");
    assert_non_null(d);
    char **files = xcalloc(64, sizeof *files);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL && n < 63;) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".theme") == 0)
            files[n++] = xasprintf("themes/%s", de->d_name);
    }
    closedir(d);
    return files;
}

static void free_list(char **list)
{
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

static void load_ok(struct theme *t, const char *what)
{
    struct theme_warnings w = { 0 };
    char err[512] = "";
    int rc = theme_load(t, what, &w, err, sizeof err);
    if (rc != 0)
        print_message("%s: %s\n", what, err);
    print_warnings(&w);
    assert_int_equal(rc, 0);
    assert_int_equal(w.count, 0);
    theme_warnings_free(&w);
}

/* ---- theme_attr before any theme (must run first) ----------------------------- */

static void test_attr_before_any_theme_is_the_mono_floor(void **state)
{
    (void)state;
    assert_true(theme_attr(THEME_SELECTED) & A_REVERSE);
    assert_int_equal(theme_attr(THEME_ROW), A_NORMAL);
    assert_int_equal(theme_attr(THEME_ELEMENT_COUNT), A_NORMAL);
}

/* ---- shipped themes ---------------------------------------------------------- */

static void test_every_theme_file_loads_without_warnings(void **state)
{
    (void)state;
    char **files = shipped_theme_files();
    int n = 0;
    for (char **f = files; *f; f++, n++) {
        struct theme t;
        print_message("loading %s\n", *f);
        load_ok(&t, *f);
        assert_string_equal(t.name, *f);
    }
    assert_true(n >= 4);
    free_list(files);
}

static void test_every_theme_file_defines_every_element(void **state)
{
    (void)state;
    char **files = shipped_theme_files();
    for (char **f = files; *f; f++) {
        struct theme t;
        load_ok(&t, *f);
        for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
            if (!t.defined[e])
                print_message("%s does not set %s\n", *f, theme_element_name(e));
            assert_true(t.defined[e]);
        }
    }
    free_list(files);
}

static void test_every_builtin_theme_loads_by_name(void **state)
{
    (void)state;
    const char *expected[] = { "default", "light", "high-contrast", "mono" };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        char *file = xasprintf("%s.theme", expected[i]);
        assert_non_null(embedded_find(file));
        free(file);
    }
    int n = 0;
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        size_t len = strlen(f->name);
        if (len <= 6 || strcmp(f->name + len - 6, ".theme") != 0)
            continue;
        char *name = xstrndup(f->name, len - 6);
        struct theme by_name, by_file;
        load_ok(&by_name, name);
        /* The compiled-in copy is the file in themes/. */
        char *path = xasprintf("themes/%s", f->name);
        load_ok(&by_file, path);
        for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
            assert_true(same_style(&by_name.style[e], &by_file.style[e]));
        free(path);
        free(name);
        n++;
    }
    assert_true(n >= 4);
}

static void test_default_is_compiled_in_and_needs_no_files(void **state)
{
    (void)state;
    const char *text = embedded_find("default.theme");
    assert_non_null(text);
    /* Somewhere with no themes/ directory and an empty config. */
    assert_int_equal(chdir(tmpdir), 0);
    setenv("HOME", tmpdir, 1);
    struct theme t;
    load_ok(&t, "default");
    assert_int_equal(chdir(repo_root), 0);
    assert_string_equal(t.name, "default");
    assert_int_not_equal(t.style[THEME_SELECTED].bg.kind, THEME_COLOR_DEFAULT);
    assert_int_not_equal(t.style[THEME_TITLE].bg.kind, THEME_COLOR_DEFAULT);

    struct theme parsed;
    struct theme_warnings w = { 0 };
    assert_int_equal(theme_parse(&parsed, text, strlen(text), "default.theme", &w), 0);
    assert_int_equal(w.count, 0);
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
        assert_true(same_style(&parsed.style[e], &t.style[e]));
}

static void test_shipped_themes_keep_fg_and_bg_apart_at_8_16_256_colours(void **state)
{
    (void)state;
    const int colors[] = { 8, 16, 256, 1 << 24 };
    char **files = shipped_theme_files();
    for (char **f = files; *f; f++) {
        struct theme t;
        load_ok(&t, *f);
        for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
            for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++) {
                int fg = theme_color_to_terminal(t.style[e].fg, colors[i]);
                int bg = theme_color_to_terminal(t.style[e].bg, colors[i]);
                if (fg >= 0 && fg == bg)
                    print_message("%s: %s is %d on %d at %d colours\n", *f,
                                  theme_element_name(e), fg, bg, colors[i]);
                assert_false(fg >= 0 && fg == bg);
            }
    }
    free_list(files);
}

static void test_shipped_themes_set_selection_title_and_alerts_apart_from_rows(void **state)
{
    (void)state;
    const enum theme_element special[] = {
        THEME_SELECTED, THEME_SELECTED_UNFOCUSED, THEME_TITLE, THEME_TITLE_READONLY,
        THEME_ALERT, THEME_ALERT_CRIT, THEME_HEADER, THEME_ROW_CRIT,
    };
    char **files = shipped_theme_files();
    for (char **f = files; *f; f++) {
        struct theme t;
        load_ok(&t, *f);
        for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
            const struct theme_style *s = &t.style[special[i]], *row = &t.style[THEME_ROW];
            bool differs = s->fg.kind != row->fg.kind || s->fg.value != row->fg.value
                        || s->bg.kind != row->bg.kind || s->bg.value != row->bg.value
                        || s->attrs != row->attrs;
            if (!differs)
                print_message("%s: %s looks like a row\n", *f, theme_element_name(special[i]));
            assert_true(differs);
        }
        const struct theme_style *a = &t.style[THEME_SELECTED], *b = &t.style[THEME_SELECTED_UNFOCUSED];
        assert_false(same_style(a, b));
    }
    free_list(files);
}

static void test_mono_theme_has_no_colours(void **state)
{
    (void)state;
    struct theme t;
    load_ok(&t, "mono");
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
        assert_int_equal(t.style[e].fg.kind, THEME_COLOR_DEFAULT);
        assert_int_equal(t.style[e].bg.kind, THEME_COLOR_DEFAULT);
    }
    assert_true(t.style[THEME_SELECTED].attrs & THEME_ATTR_REVERSE);
}

static void test_mono_attributes_keep_selection_title_and_alerts_apart(void **state)
{
    (void)state;
    struct theme t;
    theme_init(&t);
    const struct { enum theme_element a, b; } apart[] = {
        { THEME_SELECTED, THEME_ROW }, { THEME_SELECTED, THEME_SELECTED_UNFOCUSED },
        { THEME_SELECTED_UNFOCUSED, THEME_ROW }, { THEME_TITLE, THEME_ROW },
        { THEME_TITLE, THEME_TITLE_READONLY }, { THEME_ALERT, THEME_ROW },
        { THEME_ALERT, THEME_ALERT_CRIT }, { THEME_ALERT_CRIT, THEME_ROW },
        { THEME_HEADER, THEME_ROW }, { THEME_PANE_TITLE, THEME_PANE_TITLE_FOCUSED },
        { THEME_STATUS_DOWN, THEME_STATUS }, { THEME_STATUS_WARN, THEME_STATUS },
        { THEME_GAUGE_OK, THEME_GAUGE_EMPTY }, { THEME_GAUGE_CRIT, THEME_GAUGE_OK },
        { THEME_TAB, THEME_TAB_ACTIVE },
    };
    for (size_t i = 0; i < sizeof apart / sizeof apart[0]; i++)
        assert_int_not_equal(t.style[apart[i].a].mono, t.style[apart[i].b].mono);
    assert_int_equal(t.style[THEME_SELECTED].mono, THEME_ATTR_REVERSE);
}

/* ---- the format ------------------------------------------------------------- */

static void test_broken_file_names_bad_lines_and_the_rest_applies(void **state)
{
    (void)state;
    char *path = write_file("broken.theme",
                            "# a theme with mistakes\n"
                            "title = red blue bold\n"
                            "titel = green\n"
                            "selected = purple black\n"
                            "row_alt = default 236 blink\n"
                            "status\n"
                            "header = black cyan underline\n");
    struct theme t;
    struct theme_warnings w = { 0 };
    char err[256];
    assert_int_equal(theme_load(&t, path, &w, err, sizeof err), 0);
    print_warnings(&w);
    assert_int_equal(w.count, 4);
    char *expect[4] = {
        xasprintf("%s:3: unknown element 'titel'", path),
        xasprintf("%s:4: 'purple' is not a colour", path),
        xasprintf("%s:5: 'blink' is not an attribute", path),
        xasprintf("%s:6: no '='", path),
    };
    for (int i = 0; i < 4; i++) {
        assert_true(strncmp(w.messages[i], expect[i], strlen(expect[i])) == 0);
        free(expect[i]);
    }
    assert_string_equal(w.messages[0] + strlen(path), ":3: unknown element 'titel' (did you mean 'title'?)");
    /* The good lines applied, the bad ones changed nothing. */
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    assert_true(color_is(t.style[THEME_TITLE].bg, THEME_COLOR_INDEX, 4));
    assert_int_equal(t.style[THEME_TITLE].attrs, THEME_ATTR_BOLD);
    assert_true(color_is(t.style[THEME_HEADER].bg, THEME_COLOR_INDEX, 6));
    assert_int_equal(t.style[THEME_HEADER].attrs, THEME_ATTR_UNDERLINE);
    assert_false(t.defined[THEME_SELECTED]);
    assert_int_equal(t.style[THEME_SELECTED].bg.kind, THEME_COLOR_DEFAULT);
    assert_int_equal(t.style[THEME_ROW_ALT].bg.kind, THEME_COLOR_DEFAULT);
    theme_warnings_free(&w);
    free(path);
}

static void test_unknown_colour_is_reported(void **state)
{
    (void)state;
    const char *bad[] = { "purple", "256", "-1", "#12345", "#12345g", "#1234567", "bright-red", "0x10" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct theme t;
        struct theme_warnings w = { 0 };
        char *text = xasprintf("title = %s\n", bad[i]);
        char *expect = xasprintf("t.theme:1: '%s' is not a colour", bad[i]);
        assert_int_equal(parse(&t, text, &w), 1);
        print_warnings(&w);
        assert_true(strncmp(w.messages[0], expect, strlen(expect)) == 0);
        assert_false(t.defined[THEME_TITLE]);
        theme_warnings_free(&w);
        free(text);
        free(expect);
    }
    struct theme t;
    struct theme_warnings w = { 0 };
    parse(&t, "title.bg = gren\n", &w);
    assert_string_equal(w.messages[0], "t.theme:1: 'gren' is not a colour (did you mean 'green'?)");
    theme_warnings_free(&w);
}

static void test_unknown_attribute_is_reported(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "title = red blue blink\n"
                               "title.attrs = bold flashing\n"
                               "title.mono = revers\n"
                               "title = red bolt\n", &w), 4);
    assert_string_equal(w.messages[0], "t.theme:1: 'blink' is not an attribute");
    assert_string_equal(w.messages[1], "t.theme:2: 'flashing' is not an attribute");
    assert_string_equal(w.messages[2], "t.theme:3: 'revers' is not an attribute (did you mean 'reverse'?)");
    assert_string_equal(w.messages[3], "t.theme:4: 'bolt' is not a colour or an attribute (did you mean 'bold'?)");
    assert_int_equal(t.style[THEME_TITLE].attrs, 0);
    assert_int_equal(t.style[THEME_TITLE].mono, THEME_ATTR_REVERSE | THEME_ATTR_BOLD);
    theme_warnings_free(&w);
}

static void test_unknown_element_and_property_are_reported(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "background = red\n"
                               "title.colour = red\n"
                               " = red\n"
                               "selected.fg = red blue\n", &w), 4);
    assert_string_equal(w.messages[0], "t.theme:1: unknown element 'background'");
    assert_string_equal(w.messages[1], "t.theme:2: unknown property 'colour' (fg, bg, attrs or mono)");
    assert_string_equal(w.messages[2], "t.theme:3: no element name before '='");
    assert_string_equal(w.messages[3], "t.theme:4: selected.fg takes one colour");
    theme_warnings_free(&w);
}

static void test_line_without_equals_is_reported(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "\n\ntitle red blue\nselected = black cyan\n", &w), 1);
    assert_string_equal(w.messages[0],
                        "t.theme:3: no '=' (expected 'element = fg bg attributes')");
    assert_true(color_is(t.style[THEME_SELECTED].bg, THEME_COLOR_INDEX, 6));
    assert_int_equal(t.style[THEME_TITLE].fg.kind, THEME_COLOR_DEFAULT);
    theme_warnings_free(&w);
}

static void test_colours_attributes_and_comments_parse(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    int n = parse(&t,
                  "   # an indented comment\r\n"
                  "TITLE = Bright_White #1a2B3c BOLD Underline\r\n"
                  "selected = bold 16 reverse 255   # a trailing comment\n"
                  "row = default default none\n"
                  "row_alt = italic dim standout\n"
                  "status = #ff0000 # red\n"
                  "\t\n"
                  "header = white", &w);
    print_warnings(&w);
    assert_int_equal(n, 0);
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 15));
    assert_true(color_is(t.style[THEME_TITLE].bg, THEME_COLOR_RGB, 0x1a2b3c));
    assert_int_equal(t.style[THEME_TITLE].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
    assert_true(color_is(t.style[THEME_SELECTED].fg, THEME_COLOR_INDEX, 16));
    assert_true(color_is(t.style[THEME_SELECTED].bg, THEME_COLOR_INDEX, 255));
    assert_int_equal(t.style[THEME_SELECTED].attrs, THEME_ATTR_BOLD | THEME_ATTR_REVERSE);
    assert_true(t.defined[THEME_ROW]);
    assert_int_equal(t.style[THEME_ROW_ALT].attrs,
                     THEME_ATTR_ITALIC | THEME_ATTR_DIM | THEME_ATTR_STANDOUT);
    assert_true(color_is(t.style[THEME_STATUS].fg, THEME_COLOR_RGB, 0xff0000));
    assert_true(color_is(t.style[THEME_HEADER].fg, THEME_COLOR_INDEX, 7));
    assert_false(t.defined[THEME_DIALOG]);

    /* '#' glued to a word is not a comment but a bad colour. */
    assert_int_equal(parse(&t, "title = red#x\n", &w), 1);
    assert_true(has_warning(&w, "'red#x' is not a colour"));
    assert_int_equal(parse(&t, "title = red blue green\n", &w), 1);
    assert_true(has_warning(&w, "t.theme:1: a third colour 'green'"));
    assert_int_equal(parse(&t, "title =\n", &w), 1);
    assert_true(has_warning(&w, "t.theme:1: 'title' has no value"));
    theme_warnings_free(&w);
}

/* Theme files are read by the one INI reader (base/ini.c, on inih), as the
 * configuration is: its comments, its ':' and its byte order mark are
 * taken; what it cannot read is a warning naming the line. */
static void test_theme_files_are_read_as_ini(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    int n = parse(&t, "\xef\xbb\xbf; a comment as in the configuration\n"
                      "title = red blue ; a comment after the value\n"
                      "selected: black cyan\n", &w);
    print_warnings(&w);
    assert_int_equal(n, 0);
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    assert_true(color_is(t.style[THEME_TITLE].bg, THEME_COLOR_INDEX, 4));
    assert_true(color_is(t.style[THEME_SELECTED].bg, THEME_COLOR_INDEX, 6));
    theme_warnings_free(&w);

    /* A theme has no sections; a line with a NUL byte or longer than the
     * INI reader takes is skipped with a warning; the rest applies. */
    static const char head[] = "[colours]\nrow = blue\ndim = re\0d\nheader = green\nborder = ";
    static const char tail[] = "\nlabel = white\n";
    size_t long_len = 70000, o = 0;
    char *text = xmalloc(sizeof head + long_len + sizeof tail);
    memcpy(text, head, sizeof head - 1);
    o = sizeof head - 1;
    memset(text + o, 'x', long_len);
    o += long_len;
    memcpy(text + o, tail, sizeof tail - 1);
    o += sizeof tail - 1;
    n = theme_parse(&t, text, o, "t.theme", &w);
    print_warnings(&w);
    assert_int_equal(n, 3);
    assert_string_equal(w.messages[0],
                        "t.theme:1: '[colours]': a theme has no sections (expected 'element = fg bg attributes')");
    assert_string_equal(w.messages[1], "t.theme:3: the line holds a NUL byte (is this a text file?)");
    assert_string_equal(w.messages[2], "t.theme:5: the line is longer than 65536 bytes");
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 4));
    assert_false(t.defined[THEME_DIM]);
    assert_true(color_is(t.style[THEME_HEADER].fg, THEME_COLOR_INDEX, 2));
    assert_false(t.defined[THEME_BORDER]);
    assert_true(color_is(t.style[THEME_LABEL].fg, THEME_COLOR_INDEX, 7));
    theme_warnings_free(&w);
    free(text);
}

static void test_whole_line_resets_what_it_omits_and_dash_keeps(void **state)
{
    (void)state;
    struct theme def, t;
    load_ok(&def, "default");
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "inherit = default\n"
                               "selected = - - underline\n"
                               "title = red\n"
                               "header = - white\n", &w), 0);
    assert_true(same_style(&t.style[THEME_ROW], &def.style[THEME_ROW]));
    /* '-' kept the colours, the attributes were replaced. */
    assert_true(color_is(t.style[THEME_SELECTED].fg, def.style[THEME_SELECTED].fg.kind,
                         def.style[THEME_SELECTED].fg.value));
    assert_true(color_is(t.style[THEME_SELECTED].bg, def.style[THEME_SELECTED].bg.kind,
                         def.style[THEME_SELECTED].bg.value));
    assert_int_equal(t.style[THEME_SELECTED].attrs, THEME_ATTR_UNDERLINE);
    /* What a whole line does not name is default and plain. */
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    assert_int_equal(t.style[THEME_TITLE].bg.kind, THEME_COLOR_DEFAULT);
    assert_int_equal(t.style[THEME_TITLE].attrs, 0);
    assert_int_equal(t.style[THEME_TITLE].mono, def.style[THEME_TITLE].mono);
    assert_true(color_is(t.style[THEME_HEADER].fg, def.style[THEME_HEADER].fg.kind,
                         def.style[THEME_HEADER].fg.value));
    assert_true(color_is(t.style[THEME_HEADER].bg, THEME_COLOR_INDEX, 7));
}

static void test_dotted_properties_change_one_thing(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "selected = black cyan bold\n"
                               "selected.fg = #102030\n"
                               "selected.attrs = underline italic\n"
                               "selected.mono = bold underline\n"
                               "title.BG = 200\n"
                               "alert.attr = none\n", &w), 0);
    assert_true(color_is(t.style[THEME_SELECTED].fg, THEME_COLOR_RGB, 0x102030));
    assert_true(color_is(t.style[THEME_SELECTED].bg, THEME_COLOR_INDEX, 6));
    assert_int_equal(t.style[THEME_SELECTED].attrs, THEME_ATTR_UNDERLINE | THEME_ATTR_ITALIC);
    assert_int_equal(t.style[THEME_SELECTED].mono, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
    assert_true(color_is(t.style[THEME_TITLE].bg, THEME_COLOR_INDEX, 200));
    assert_int_equal(t.style[THEME_TITLE].fg.kind, THEME_COLOR_DEFAULT);
    assert_true(t.defined[THEME_ALERT]);
    assert_int_equal(t.style[THEME_ALERT].attrs, 0);
}

/* ---- inheritance -------------------------------------------------------------- */

static void test_inherit_starts_from_the_parent(void **state)
{
    (void)state;
    struct theme def, light, t;
    load_ok(&def, "default");
    load_ok(&light, "light");
    char *path = write_file("mine.theme", "# mine\ninherit = light\nselected = black red\n");
    load_ok(&t, path);
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
        assert_true(t.defined[e]);
        if (e != THEME_SELECTED)
            assert_true(same_style(&t.style[e], &light.style[e]));
    }
    assert_true(color_is(t.style[THEME_SELECTED].bg, THEME_COLOR_INDEX, 1));
    assert_false(same_style(&t.style[THEME_TITLE], &def.style[THEME_TITLE]));
    assert_string_equal(t.name, path);
    free(path);
}

static void test_inherit_file_is_found_beside_the_inheriting_file(void **state)
{
    (void)state;
    free(write_file("dir/base.theme", "title = green\nrow = yellow\n"));
    char *child = write_file("dir/child.theme", "inherit = ./base.theme\nrow = red\n");
    assert_int_equal(chdir("/"), 0);
    struct theme t;
    load_ok(&t, child);
    assert_int_equal(chdir(repo_root), 0);
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 2));
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 1));
    free(child);
}

static void test_inheritance_cycle_is_detected(void **state)
{
    (void)state;
    char *a = write_file("a.theme", "inherit = ./b.theme\ntitle = red\n");
    free(write_file("b.theme", "inherit = ./a.theme\nrow = blue\n"));
    struct theme t;
    struct theme_warnings w = { 0 };
    char err[256];
    assert_int_equal(theme_load(&t, a, &w, err, sizeof err), 0);
    print_warnings(&w);
    assert_int_equal(w.count, 1);
    char *b = xasprintf("%s/b.theme", tmpdir);
    char *expect = xasprintf("%s:1: cannot inherit: inheritance cycle: ", b);
    assert_true(strncmp(w.messages[0], expect, strlen(expect)) == 0);
    /* Everything but the looping line applied. */
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 4));
    theme_warnings_free(&w);
    free(expect);
    free(b);
    free(a);

    /* A theme found by name that inherits itself. */
    free(write_file("config/pgdeck/themes/selfish.theme", "inherit = selfish\n"));
    assert_int_equal(theme_load(&t, "selfish", &w, err, sizeof err), 0);
    assert_int_equal(w.count, 1);
    assert_true(has_warning(&w, "selfish.theme:1: cannot inherit: inheritance cycle:"));
    theme_warnings_free(&w);
}

static void test_inherit_must_come_first_and_once(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "title = red\ninherit = default\n", &w), 1);
    assert_string_equal(w.messages[0],
                        "t.theme:2: 'inherit' must come before the elements it would overwrite");
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    assert_false(t.defined[THEME_ROW]);
    theme_warnings_free(&w);

    assert_int_equal(parse(&t, "inherit = mono\ninherit = default\n", &w), 1);
    assert_string_equal(w.messages[0],
                        "t.theme:2: a second 'inherit' (a theme inherits from one other)");
    assert_int_equal(t.style[THEME_TITLE].bg.kind, THEME_COLOR_DEFAULT);
    theme_warnings_free(&w);
}

static void test_inherit_from_a_missing_theme_is_reported(void **state)
{
    (void)state;
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "inherit = drak\ntitle = red\n", &w), 1);
    print_warnings(&w);
    assert_true(has_warning(&w, "t.theme:1: cannot inherit: theme 'drak' not found"));
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 1));
    theme_warnings_free(&w);
}

static void test_parent_warnings_name_the_parent_file(void **state)
{
    (void)state;
    char *base = write_file("p/base.theme", "row = red\nrow = bluish\n");
    char *child = write_file("p/child.theme", "inherit = base.theme\n");
    struct theme t;
    struct theme_warnings w = { 0 };
    char err[256];
    assert_int_equal(theme_load(&t, child, &w, err, sizeof err), 0);
    char *expect = xasprintf("%s:2: 'bluish' is not a colour", base);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.messages[0], expect);
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 1));
    theme_warnings_free(&w);
    free(expect);
    free(child);
    free(base);
}

/* ---- loading -------------------------------------------------------------- */

static void test_missing_theme_is_an_error_and_keeps_the_old_one(void **state)
{
    (void)state;
    struct theme t;
    load_ok(&t, "light");
    struct theme before = t;
    char err[512];
    assert_int_equal(theme_load(&t, "drak", NULL, err, sizeof err), -1);
    print_message("%s\n", err);
    assert_true(strncmp(err, "theme 'drak' not found: not built in, no ", 41) == 0);
    char *user = xasprintf("%s/pgdeck/themes/drak.theme", config_home);
    assert_non_null(strstr(err, user));
    assert_non_null(strstr(err, PGDECK_DATADIR "/themes/drak.theme"));
    free(user);
    assert_memory_equal(&t, &before, sizeof t);

    assert_int_equal(theme_load(&t, "/nonexistent/x.theme", NULL, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/x.theme: No such file or directory");
    assert_int_equal(theme_load(&t, "no good", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "'no good' is not a theme name"));
    assert_int_equal(theme_load(&t, "", NULL, err, sizeof err), -1);
    assert_int_equal(theme_load(&t, "/", NULL, err, sizeof err), -1);
    assert_string_equal(err, "/: not a regular file");
    assert_memory_equal(&t, &before, sizeof t);
}

static void test_load_by_name_finds_user_themes_after_builtins(void **state)
{
    (void)state;
    free(write_file("config/pgdeck/themes/mine.theme", "title = magenta\n"));
    free(write_file("config/pgdeck/themes/default.theme", "title = magenta\n"));
    struct theme t, def;
    load_ok(&t, "mine");
    assert_true(color_is(t.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 5));
    /* A built-in name always means the built-in theme. */
    load_ok(&def, "default");
    assert_false(color_is(def.style[THEME_TITLE].fg, THEME_COLOR_INDEX, 5));

    /* Without XDG_CONFIG_HOME, ~/.config is where user themes live. */
    unsetenv("XDG_CONFIG_HOME");
    char *home = xasprintf("%s/home", tmpdir);
    setenv("HOME", home, 1);
    free(write_file("home/.config/pgdeck/themes/cosy.theme", "row = green\n"));
    load_ok(&t, "cosy");
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 2));
    setenv("XDG_CONFIG_HOME", config_home, 1);
    free(home);

    char **names = theme_list();
    bool mine = false, dflt = false, mono = false;
    int count = 0;
    for (char **n = names; *n; n++, count++) {
        mine |= strcmp(*n, "mine") == 0;
        dflt |= strcmp(*n, "default") == 0;
        mono |= strcmp(*n, "mono") == 0;
        if (n != names)
            assert_true(strcmp(n[-1], n[0]) < 0);     /* sorted, once each */
    }
    assert_true(mine && dflt && mono);
    assert_true(count >= 5);
    theme_list_free(names);
}

static void test_load_by_file_or_by_name(void **state)
{
    (void)state;
    struct theme by_name, by_path;
    load_ok(&by_name, "high-contrast");
    load_ok(&by_path, "./themes/high-contrast.theme");
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
        assert_true(same_style(&by_name.style[e], &by_path.style[e]));

    /* Ending in .theme makes it a file, looked for in the working
     * directory, even without a '/'. */
    char err[256];
    struct theme t;
    assert_int_equal(theme_load(&t, "light.theme", NULL, err, sizeof err), -1);
    assert_string_equal(err, "light.theme: No such file or directory");
    assert_int_equal(chdir("themes"), 0);
    int rc = theme_load(&t, "light.theme", NULL, err, sizeof err);
    assert_int_equal(chdir(repo_root), 0);
    assert_int_equal(rc, 0);
    assert_string_equal(t.name, "light.theme");
}

static void test_warnings_are_capped_and_printable(void **state)
{
    (void)state;
    char *text = xcalloc(1, 200 * 16 + 64);
    for (int i = 0; i < 200; i++)
        strcat(text, "nonsense\n");
    strcat(text, "title = \x1b[31mred\x07\n");
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, text, &w), 201);
    assert_int_equal(w.count, THEME_WARNINGS_MAX);
    assert_int_equal(w.dropped, 201 - THEME_WARNINGS_MAX);
    theme_warnings_free(&w);

    parse(&t, "title = \x1b[31mred\x07\n", &w);
    assert_string_equal(w.messages[0], "t.theme:1: '?[31mred?' is not a colour");
    theme_warnings_free(&w);

    /* Paths are not quoted tokens but must be just as safe. */
    char err[256];
    assert_int_equal(theme_load(&t, "/tmp/\x1b]0;owned\x07/caf\xc3\xa9\xc2\x9b.theme", NULL,
                                err, sizeof err), -1);
    assert_string_equal(err, "/tmp/?]0;owned?/caf\xc3\xa9?.theme: No such file or directory");
    assert_int_equal(parse(&t, "inherit = /x\x1b[2J/y.theme\n", &w), 1);
    assert_string_equal(w.messages[0], "t.theme:1: cannot inherit: /x?[2J/y.theme: No such file or directory");
    theme_warnings_free(&w);
    assert_int_equal(theme_parse(&t, "", 0, "\x1b[31m.theme", &w), 0);
    assert_string_equal(t.name, "?[31m.theme");

    /* A NUL byte is just a bad character. */
    const char nul[] = "title = re\0d\nrow = blue\n";
    assert_int_equal(theme_parse(&t, nul, sizeof nul - 1, "nul.theme", &w), 1);
    assert_true(color_is(t.style[THEME_ROW].fg, THEME_COLOR_INDEX, 4));
    theme_warnings_free(&w);
    free(text);
}

/* ---- colour degrading ------------------------------------------------------------ */

static void test_rgb_goes_to_the_nearest_of_256(void **state)
{
    (void)state;
    assert_int_equal(theme_nearest_256(255, 0, 0), 196);
    assert_int_equal(theme_nearest_256(0, 255, 0), 46);
    assert_int_equal(theme_nearest_256(0, 0, 255), 21);
    assert_int_equal(theme_nearest_256(255, 255, 255), 231);
    assert_int_equal(theme_nearest_256(0, 0, 0), 16);
    assert_int_equal(theme_nearest_256(250, 5, 3), 196);
    assert_int_equal(theme_nearest_256(95, 135, 175), 67);
    /* The grey ramp: 232 is 8, each step 10 more, 255 is 238. */
    assert_int_equal(theme_nearest_256(8, 8, 8), 232);
    assert_int_equal(theme_nearest_256(0x30, 0x30, 0x30), 236);
    assert_int_equal(theme_nearest_256(0x80, 0x80, 0x80), 244);
    assert_int_equal(theme_nearest_256(130, 129, 131), 244);
    assert_int_equal(theme_nearest_256(238, 238, 238), 255);
    for (int i = 16; i < 256; i++) {
        int rgb = theme_256_to_rgb(i);
        int back = theme_nearest_256(rgb >> 16, rgb >> 8 & 0xff, rgb & 0xff);
        assert_int_equal(theme_256_to_rgb(back), rgb);
    }
}

static void test_256_goes_to_the_nearest_of_8(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++)
        assert_int_equal(theme_256_to_8(i), i);
    assert_int_equal(theme_256_to_8(9), 1);         /* bright red */
    assert_int_equal(theme_256_to_8(15), 7);
    assert_int_equal(theme_256_to_8(196), 1);       /* red */
    assert_int_equal(theme_256_to_8(46), 2);        /* green */
    assert_int_equal(theme_256_to_8(226), 3);       /* yellow */
    assert_int_equal(theme_256_to_8(21), 4);        /* blue */
    assert_int_equal(theme_256_to_8(201), 5);       /* magenta */
    assert_int_equal(theme_256_to_8(51), 6);        /* cyan */
    assert_int_equal(theme_256_to_8(18), 4);        /* a dark blue stays blue */
    assert_int_equal(theme_256_to_8(208), 1);       /* orange is reddish */
    assert_int_equal(theme_256_to_8(231), 7);
    assert_int_equal(theme_256_to_8(16), 0);
    /* Greys: dark ones black, mid grey and up white. */
    assert_int_equal(theme_256_to_8(232), 0);
    assert_int_equal(theme_256_to_8(236), 0);
    assert_int_equal(theme_256_to_8(243), 0);
    assert_int_equal(theme_256_to_8(244), 7);
    assert_int_equal(theme_256_to_8(255), 7);
    assert_int_equal(theme_256_to_8(59), 0);        /* 5f5f5f */
    assert_int_equal(theme_256_to_8(145), 7);       /* afafaf */
    assert_int_equal(theme_256_to_8(-3), 0);
    assert_int_equal(theme_256_to_8(999), 0);
    assert_int_equal(theme_256_to_8(theme_nearest_256(255, 0, 0)), 1);
}

static void test_colours_degrade_by_what_the_terminal_has(void **state)
{
    (void)state;
    struct theme_color red = { THEME_COLOR_RGB, 0xff0000 };
    struct theme_color navy = { THEME_COLOR_RGB, 0x002b36 };
    struct theme_color grey = { THEME_COLOR_INDEX, 236 };
    struct theme_color bright_red = { THEME_COLOR_INDEX, 9 };
    struct theme_color dflt = { THEME_COLOR_DEFAULT, 0 };
    assert_int_equal(theme_color_to_terminal(red, 256), 196);
    assert_int_equal(theme_color_to_terminal(red, 16), 1);
    assert_int_equal(theme_color_to_terminal(red, 8), 1);
    assert_int_equal(theme_color_to_terminal(red, 2), -1);
    assert_int_equal(theme_color_to_terminal(red, 1 << 24), 0xff0000);
    assert_int_equal(theme_color_to_terminal(navy, 8), 0);  /* a dark tint is black */
    assert_int_equal(theme_color_to_terminal(grey, 256), 236);
    assert_int_equal(theme_color_to_terminal(grey, 88), 0);
    assert_int_equal(theme_color_to_terminal(grey, 8), 0);
    assert_int_equal(theme_color_to_terminal(grey, 1 << 24), 0x303030);
    assert_int_equal(theme_color_to_terminal(bright_red, 16), 9);
    assert_int_equal(theme_color_to_terminal(bright_red, 8), 1);
    assert_int_equal(theme_color_to_terminal((struct theme_color){ THEME_COLOR_INDEX, 3 }, 1 << 24), 3);
    assert_int_equal(theme_color_to_terminal(dflt, 256), -1);
    assert_int_equal(theme_color_to_terminal(dflt, 8), -1);
}

/* ---- curses ------------------------------------------------------------------ */

static SCREEN *screen;
static FILE *screen_out, *screen_in;

static bool open_screen(const char *term)
{
    screen_out = tmpfile();     /* curses writes its escape sequences here */
    screen_in = fopen("/dev/null", "r");
    screen = newterm(term, screen_out, screen_in);
    if (!screen) {
        fclose(screen_out);
        fclose(screen_in);
        return false;
    }
    set_term(screen);
    start_color();
    return true;
}

static void close_screen(void)
{
    endwin();
    delscreen(screen);
    fclose(screen_out);
    fclose(screen_in);
}

static void pair_of(enum theme_element e, int *fg, int *bg)
{
    int pair = PAIR_NUMBER(theme_attr(e));
    assert_int_not_equal(pair, 0);
    assert_int_equal(extended_pair_content(pair, fg, bg), OK);
}

static void test_apply_uses_pairs_and_degrades_to_the_terminal(void **state)
{
    (void)state;
    if (!open_screen("xterm-256color"))
        skip();
    assert_int_equal(COLORS, 256);
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "title = #ff0000 blue bold\n"
                               "selected = black cyan\n"
                               "pane_title_focused = black cyan underline\n"
                               "border = bright_black default\n"
                               "header = 236 black\n", &w), 0);
    int fg, bg;
    theme_apply(&t, COLORS, false, false);
    pair_of(THEME_TITLE, &fg, &bg);
    assert_int_equal(fg, 196);
    assert_int_equal(bg, 4);
    assert_true(theme_attr(THEME_TITLE) & A_BOLD);
    /* One pair for one pair of colours. */
    assert_int_equal(PAIR_NUMBER(theme_attr(THEME_SELECTED)),
                     PAIR_NUMBER(theme_attr(THEME_PANE_TITLE_FOCUSED)));
    assert_true(theme_attr(THEME_PANE_TITLE_FOCUSED) & A_UNDERLINE);
    assert_false(theme_attr(THEME_SELECTED) & A_UNDERLINE);
    pair_of(THEME_BORDER, &fg, &bg);
    assert_int_equal(fg, 8);
    assert_int_equal(bg, -1);
    /* The terminal's own colours: a pair of its own, not pair 0. */
    pair_of(THEME_ROW, &fg, &bg);
    assert_int_equal(fg, -1);
    assert_int_equal(bg, -1);

    /* The same theme on an 8-colour terminal. */
    theme_apply(&t, 8, false, false);
    pair_of(THEME_TITLE, &fg, &bg);
    assert_int_equal(fg, 1);
    assert_int_equal(bg, 4);
    pair_of(THEME_BORDER, &fg, &bg);
    assert_int_equal(fg, 0);
    assert_true(theme_attr(THEME_BORDER) & A_BOLD);     /* bright as bold */
    /* 236 and black both became black: the text stays visible. */
    pair_of(THEME_HEADER, &fg, &bg);
    assert_int_equal(fg, COLOR_WHITE);
    assert_int_equal(bg, COLOR_BLACK);
    close_screen();
}

/* What curses sends from the first mark written after setup. */
static char *screen_sent(long from)
{
    fflush(screen_out);
    long end = ftell(screen_out);
    char *buf = calloc(1, (size_t)(end - from) + 1);
    assert_non_null(buf);
    fseek(screen_out, from, SEEK_SET);
    assert_int_equal(fread(buf, 1, (size_t)(end - from), screen_out), (size_t)(end - from));
    fseek(screen_out, end, SEEK_SET);
    return buf;
}

/* Leaving a striped row (or a border, or the selection) for a row in the
 * terminal's own colours costs a colour reset, not a colour reset and a
 * full reset (sgr0) after it: issue 14, the terminal's bytes.  The same
 * looks: the plain row is in default colours either way. */
static void test_leaving_a_stripe_is_a_colour_reset_only(void **state)
{
    (void)state;
    if (!open_screen("tmux-256color"))
        skip();
    struct theme t;
    load_ok(&t, "default");
    theme_apply(&t, COLORS, false, false);
    refresh();
    fflush(screen_out);
    long from = ftell(screen_out);
    move(2, 0);
    attrset(theme_attr(THEME_ROW_ALT));
    addstr("alt");
    attrset(theme_attr(THEME_ROW));
    addstr("row");
    attrset(theme_attr(THEME_BORDER));
    addstr("|");
    attrset(theme_attr(THEME_ROW));
    addstr("next");
    attrset(theme_attr(THEME_SELECTED));
    addstr("sel");
    attrset(theme_attr(THEME_ROW));
    addstr("end");
    refresh();
    char *sent = screen_sent(from);
    assert_non_null(strstr(sent, "alt\033[49mrow"));
    assert_non_null(strstr(sent, "|\033[39mnext"));
    assert_non_null(strstr(sent, "sel\033[39;49mend"));
    /* No sgr0 but the one that ends every update. */
    const char *sgr0 = strstr(sent, "\033[m");
    assert_true(!sgr0 || strcmp(sgr0, "\033[m\017") == 0);
    free(sent);
    close_screen();
}

static void test_apply_without_colour_uses_mono_attributes(void **state)
{
    (void)state;
    if (!open_screen("xterm-256color"))
        skip();
    struct theme t;
    load_ok(&t, "default");
    theme_apply(&t, COLORS, false, true);       /* NO_COLOR */
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++)
        assert_int_equal(theme_attr(e) & A_COLOR, 0);
    assert_int_equal(theme_attr(THEME_SELECTED), A_REVERSE);
    assert_int_equal(theme_attr(THEME_TITLE), A_REVERSE | A_BOLD);
    assert_true(theme_attr(THEME_ALERT) & A_BOLD);
    assert_int_equal(theme_attr(THEME_ROW), A_NORMAL);
    assert_int_not_equal(theme_attr(THEME_SELECTED_UNFOCUSED), theme_attr(THEME_SELECTED));

    theme_apply(&t, 256, false, false);
    assert_int_not_equal(theme_attr(THEME_SELECTED) & A_COLOR, 0);
    theme_apply(&t, 2, false, false);           /* too few colours */
    assert_int_equal(theme_attr(THEME_SELECTED), A_REVERSE);
    close_screen();

    /* A terminal that has no colour at all. */
    if (!open_screen("xterm-mono"))
        skip();
    theme_apply(&t, 256, false, false);
    assert_int_equal(theme_attr(THEME_SELECTED), A_REVERSE);
    assert_int_equal(theme_attr(THEME_ALERT_CRIT), A_REVERSE | A_BOLD);
    close_screen();
}

static void test_apply_sets_rgb_exactly_when_the_palette_can_change(void **state)
{
    (void)state;
    if (!open_screen("xterm-256color"))
        skip();
    struct theme t;
    struct theme_warnings w = { 0 };
    assert_int_equal(parse(&t, "title = #123456 255\nrow = #123456\n", &w), 0);
    theme_apply(&t, 256, true, false);
    int fg, bg;
    pair_of(THEME_TITLE, &fg, &bg);
    assert_int_equal(bg, 255);
    assert_true(fg >= 16 && fg < 255);      /* a slot, never the one in use */
    int r, g, b;
    assert_int_equal(extended_color_content(fg, &r, &g, &b), OK);
    assert_int_equal(r, 0x12 * 1000 / 255);
    assert_int_equal(g, 0x34 * 1000 / 255);
    assert_int_equal(b, 0x56 * 1000 / 255);
    int fg2;
    pair_of(THEME_ROW, &fg2, &bg);
    assert_int_equal(fg2, fg);              /* one slot per colour */
    close_screen();
}

/* ---- fuzz findings stay fixed ------------------------------------------------------ */

static void test_fuzz_corpus_parses(void **state)
{
    (void)state;
    DIR *d = opendir("tests/fuzz/corpus/fuzz_theme");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("tests/fuzz/corpus/fuzz_theme/%s", de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[65536];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        struct theme t;
        struct theme_warnings w = { 0 };
        int produced = theme_parse(&t, buf, len, path, &w);
        assert_true(produced >= w.count);
        for (int i = 0; i < w.count; i++)
            assert_true(printable(w.messages[i]));
        assert_true(printable(t.name));
        theme_warnings_free(&w);
        free(path);
        n++;
    }
    closedir(d);
    assert_true(n > 0);
}

int main(void)
{
    if (!getcwd(repo_root, sizeof repo_root))
        return 1;
    setenv("HOME", "/nonexistent", 1);
#define T(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)
    const struct CMUnitTest tests[] = {
        T(test_attr_before_any_theme_is_the_mono_floor),
        T(test_every_theme_file_loads_without_warnings),
        T(test_every_theme_file_defines_every_element),
        T(test_every_builtin_theme_loads_by_name),
        T(test_default_is_compiled_in_and_needs_no_files),
        T(test_shipped_themes_keep_fg_and_bg_apart_at_8_16_256_colours),
        T(test_shipped_themes_set_selection_title_and_alerts_apart_from_rows),
        T(test_mono_theme_has_no_colours),
        T(test_mono_attributes_keep_selection_title_and_alerts_apart),
        T(test_broken_file_names_bad_lines_and_the_rest_applies),
        T(test_unknown_colour_is_reported),
        T(test_unknown_attribute_is_reported),
        T(test_unknown_element_and_property_are_reported),
        T(test_line_without_equals_is_reported),
        T(test_colours_attributes_and_comments_parse),
        T(test_theme_files_are_read_as_ini),
        T(test_whole_line_resets_what_it_omits_and_dash_keeps),
        T(test_dotted_properties_change_one_thing),
        T(test_inherit_starts_from_the_parent),
        T(test_inherit_file_is_found_beside_the_inheriting_file),
        T(test_inheritance_cycle_is_detected),
        T(test_inherit_must_come_first_and_once),
        T(test_inherit_from_a_missing_theme_is_reported),
        T(test_parent_warnings_name_the_parent_file),
        T(test_missing_theme_is_an_error_and_keeps_the_old_one),
        T(test_load_by_name_finds_user_themes_after_builtins),
        T(test_load_by_file_or_by_name),
        T(test_warnings_are_capped_and_printable),
        T(test_rgb_goes_to_the_nearest_of_256),
        T(test_256_goes_to_the_nearest_of_8),
        T(test_colours_degrade_by_what_the_terminal_has),
        T(test_apply_uses_pairs_and_degrades_to_the_terminal),
        T(test_leaving_a_stripe_is_a_colour_reset_only),
        T(test_apply_without_colour_uses_mono_attributes),
        T(test_apply_sets_rgb_exactly_when_the_palette_can_change),
        T(test_fuzz_corpus_parses),
    };
#undef T
    return cmocka_run_group_tests_name("theme", tests, NULL, NULL);
}
