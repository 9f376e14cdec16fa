/* The console's side of the action layer (first cut: the read-only gate
 * only; the actions themselves come with src/action.c). */
#include <string.h>

#include "ui.h"
#include "ui_actions.h"

static const char *const action_keys = "CKerRmiIxaL";

static const char *const help_rows[][2] = {
    { "C K", "queries: cancel the query / terminate the session" },
};

int ui_action_key(struct ui *ui, int ch)
{
    if (ch <= 0 || ch > 127 || !strchr(action_keys, ch))
        return 0;
    if (ui->app->cfg->read_only)
        app_message(ui->app, true, "read-only console: '%c' changes nothing here", ch);
    else
        app_message(ui->app, true, "'%c': actions are not built yet", ch);
    return KEY_HANDLED;
}

int ui_action_command(struct ui *ui, const char *verb, const char *arg)
{
    (void)ui;
    (void)verb;
    (void)arg;
    return 0;
}

const char *const (*ui_action_help(int *n))[2]
{
    *n = sizeof help_rows / sizeof help_rows[0];
    return help_rows;
}
