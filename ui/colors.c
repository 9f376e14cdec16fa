/* The theme in use (see colors.h): loaded by theme.c, applied to the
 * terminal's colours, with the crash guard told (it restores the
 * terminal with what it prepared). */
#include "colors.h"
#include "crash.h"
#include "theme.h"
#include "ui.h"

int colors_use(struct ui *ui, const char *name)
{
    struct theme theme;
    struct theme_warnings warn = { 0 };
    char err[512];
    if (theme_load(&theme, name ? name : "default", &warn, err, sizeof err) != 0) {
        app_message(ui->app, true, "%s", err);
        theme_load(&theme, "default", NULL, err, sizeof err);
    } else if (warn.count) {
        app_message(ui->app, true, "%s%s", warn.messages[0],
                    warn.count > 1 ? " (and more; see --theme)" : "");
    }
    theme_warnings_free(&warn);
    theme_apply(&theme, ui->color ? COLORS : 0, ui->color && can_change_color(), !ui->color);
    return 0;
}

int colors_switch(struct ui *ui, const char *name)
{
    int rc = colors_use(ui, name);
    crash_guard_prepare(ui->app->cfg->mouse);
    clear();
    ui_dirty(ui);
    return rc;
}
