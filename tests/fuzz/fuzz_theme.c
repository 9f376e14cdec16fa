// libFuzzer target for the theme parser (src/core/theme.c, on the INI
// reader src/base/ini.c): arbitrary bytes as a theme file.
//
//   TARGETS=fuzz_theme sh tests/fuzz/build.sh run 60
//
// Nothing but the parser, the loader it uses for `inherit`, the INI reader
// and the embedded built-in themes is linked: the theme model has no curses
// side (that is ui/theme.c).  Inputs that once crashed are kept in the seed
// corpus (crash-*), and tests/unit/test_theme.c parses every file there.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/theme.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* `inherit = NAME` may look in the user's theme directory: point it
     * somewhere empty so runs do not depend on this machine. */
    setenv("XDG_CONFIG_HOME", "/nonexistent/pgdeck-fuzz", 1);
    setenv("HOME", "/nonexistent", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct theme t;
    struct theme_warnings w = { 0 };
    int produced = theme_parse(&t, (const char *)data, size, "fuzz.theme", &w);
    /* Every warning counted is either kept or counted as dropped. */
    if (produced < w.count || w.count + w.dropped < produced)
        abort();
    /* Messages and the name must be safe to print: no control characters. */
    for (int i = 0; i <= w.count; i++) {
        const unsigned char *m = (const unsigned char *)(i < w.count ? w.messages[i] : t.name);
        for (; *m; m++)
            if (*m < 0x20 || *m == 0x7f)
                abort();
    }
    for (int e = 0; e < THEME_ELEMENT_COUNT; e++) {
        const struct theme_style *s = &t.style[e];
        if ((s->fg.kind == THEME_COLOR_INDEX && (s->fg.value < 0 || s->fg.value > 255))
            || (s->bg.kind == THEME_COLOR_INDEX && (s->bg.value < 0 || s->bg.value > 255)))
            abort();
        (void)theme_color_to_terminal(s->fg, 8);
        (void)theme_color_to_terminal(s->bg, 256);
    }
    theme_warnings_free(&w);
    return 0;
}
