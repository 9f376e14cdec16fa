/* The console's side of the action layer: the action keys (C K e r R m i I
 * x a), the ':' commands that name an action, L (the journal), and the
 * hooks through which an action previews itself (overlay_confirm), reports
 * progress and its outcome (the status line) and shows text (EXPLAIN).
 *
 * Every key and command goes to action_start, the one gate in src/core/action.c:
 * read-only mode, the journal check, the preview and the confirmation are
 * decided there, never here.  This file only finds what is selected. */
#include <stdlib.h>
#include <string.h>

#include "core/action.h"
#include "core/action_target.h"
#include "base/ident.h"
#include "core/journal.h"
#include "base/numparse.h"
#include "overlay.h"
#include "table.h"
#include "ui.h"
#include "ui_actions.h"
#include "base/xalloc.h"

/* Lines of the journal the viewer shows. */
#define JOURNAL_LINES 500

/* ---- hooks ---------------------------------------------------------------- */

/* The hooks get the app, not the ui: an action can end while the console
 * closes (its connection closed under it), and app->ui is NULL by then. */

static void confirm_answer(struct ui *ui, void *arg, bool yes)
{
    (void)ui;
    action_confirm(arg, yes);
}

static void hook_confirm(void *arg, struct action *a)
{
    struct app *app = arg;
    struct ui *ui = app->ui;
    if (!ui) {
        action_confirm(a, false);
        return;
    }
    if (ui->overlay == OVERLAY_CONFIRM) {
        /* One question at a time: the first one stays. */
        app_message(app, true, "%s: answer the open question first", action_definition(a)->name);
        action_confirm(a, false);
        return;
    }
    /* The lines as written: the dialog wraps them to its width (again
     * after a resize) and scrolls when they are more than it holds. */
    int n;
    char *const *preview = action_preview(a, &n);
    char **lines = xcalloc((size_t)n + 2, sizeof *lines);
    int k = 0;
    for (int i = 0; i < n; i++)
        lines[k++] = xstrdup(preview[i]);
    lines[k++] = xstrdup("");
    lines[k++] = xstrdup(action_definition(a)->ddl
                         ? "y runs it on a connection of its own (monitoring goes on); n or Esc changes nothing."
                         : "y runs it; n or Esc changes nothing.");
    char *title = xasprintf("%s?", action_title(a));
    overlay_confirm(ui, title, lines, k, confirm_answer, a);
    free(title);
}

static void hook_progress(void *arg, struct action *a, const char *text)
{
    (void)a;
    struct app *app = arg;
    if (app->ui)
        app_message(app, false, "%s", text);
}

static void hook_show(void *arg, struct action *a, const char *title, char **lines, int n)
{
    (void)a;
    struct app *app = arg;
    if (app->ui) {
        overlay_text(app->ui, title, lines, n);
        return;
    }
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void hook_done(void *arg, struct action *a)
{
    struct app *app = arg;
    if (!app->ui)
        return;
    enum action_outcome o = action_outcome(a);
    /* A refused EXPLAIN ("the query has $1 parameters") is an answer, not
     * an error; a refused change is one. */
    bool error = o == ACTION_FAILED || (o == ACTION_REFUSED && action_definition(a)->changes);
    app_message(app, error, "%s", action_message(a));
}

static const struct action_hooks console_hooks = {
    .confirm = hook_confirm,
    .progress = hook_progress,
    .show = hook_show,
    .done = hook_done,
    .refresh_collectors = true,
    .front_end = "console",
};

/* ---- starting actions ---------------------------------------------------------- */

/* The focused pane's subject lists `def` among its action rows: the
 * action acts on that pane's selection. */
static bool focused_lists(struct ui *ui, const struct action_def *def)
{
    const struct subject *s = ui_focused(ui)->subject;
    for (int i = 0; i < s->nactions; i++)
        if (s->actions[i] == def)
            return true;
    return false;
}

/* The action of a key: the focused subject's row with that key; else any
 * subject's, which then starts with nothing selected (its plan says what
 * to select and where). */
static const struct action_def *action_of_key(struct ui *ui, int ch)
{
    const struct subject *s = ui_focused(ui)->subject;
    for (int i = 0; i < s->nactions; i++)
        if (s->actions[i]->key == ch)
            return s->actions[i];
    return action_for_key(ch);
}

/* Start `def` on the focused pane's selection, when that pane's subject
 * lists the action; otherwise with no target, and the action's plan says
 * what to select (the gate refuses first in read-only mode). */
static void start_on_selection(struct ui *ui, const struct action_def *def)
{
    struct action_target t = { 0 };
    char *buf = NULL;
    if (focused_lists(ui, def)) {
        int row;
        const struct snapshot *s = table_focused_selection(ui, &row);
        if (s && row >= 0 && action_target_from_row(def, s, row, &t, &buf) != 0)
            memset(&t, 0, sizeof t);
    }
    action_start(ui->app, def, &t, false, &console_hooks, ui->app);
    free(buf);
}

static void show_journal(struct ui *ui)
{
    char err[512];
    char *path = journal_path(ui->app->cfg->journal_file, err, sizeof err);
    if (!path) {
        app_message(ui->app, true, "%s", err);
        return;
    }
    int n = 0;
    char **lines = journal_tail(path, JOURNAL_LINES, &n, err, sizeof err);
    if (!lines) {
        app_message(ui->app, true, "%s", err);
        free(path);
        return;
    }
    if (n == 0) {
        free(lines);
        lines = xcalloc(1, sizeof *lines);
        lines[n++] = xstrdup("(no action journaled yet)");
    }
    char *title = xasprintf("journal: %s", path);
    /* Newest last, and shown first: the drawing clamps this to the end. */
    overlay_show(ui, OVERLAY_TEXT, title, lines, n, n);
    free(title);
    free(path);
}

static void quit_answer(struct ui *ui, void *arg, bool yes)
{
    (void)arg;
    if (yes)
        ui->quit = true;
}

/* Quitting closes the connections an action runs on, which makes the
 * server cancel it: ask first. */
static void ask_quit(struct ui *ui)
{
    int n = action_running(ui->app);
    char **lines = xcalloc(3, sizeof *lines);
    lines[0] = xasprintf("%d action%s still running.", n, n == 1 ? " is" : "s are");
    lines[1] = xstrdup("Quitting closes its connection and the server cancels it (a CONCURRENTLY build");
    lines[2] = xstrdup("leaves an INVALID index behind). Quit anyway?");
    overlay_confirm(ui, "quit?", lines, 3, quit_answer, NULL);
}

int ui_action_key(struct ui *ui, int ch)
{
    if ((ch == 'q' || ch == KEY_F(10)) && action_running(ui->app) > 0) {
        ask_quit(ui);
        return KEY_HANDLED;
    }
    if (ch == 'L') {
        show_journal(ui);
        return KEY_HANDLED;
    }
    const struct action_def *def = ch > 0 && ch < 128 ? action_of_key(ui, ch) : NULL;
    if (!def)
        return KEY_IGNORED;
    start_on_selection(ui, def);
    return KEY_HANDLED;
}

/* ":verb arg": the action named by the verb, on `arg` (a name as typed or
 * a pid), or on the selection when there is no argument. */
int ui_action_command(struct ui *ui, const char *verb, const char *arg)
{
    if (strcmp(verb, "journal") == 0 || strcmp(verb, "log") == 0) {
        show_journal(ui);
        return 1;
    }
    const struct action_def *def = action_find(verb);
    if (!def)
        return 0;
    if (strcmp(verb, "refresh") == 0 && strcmp(arg, "--stale") == 0)
        def = action_find("refresh-stale");
    else if (strcmp(verb, "index") == 0 && strcmp(arg, "--all") == 0)
        def = action_find("index-all");
    if (!*arg || def->needs == NEEDS_NOTHING) {
        start_on_selection(ui, def);
        return 1;
    }
    struct action_target t = { 0 };
    if (def->needs == NEEDS_SESSION || def->needs == NEEDS_QUERY) {
        long pid;
        if (numparse_long(arg, &pid) != 0 || pid <= 0 || pid > 0x7fffffff) {
            app_message(ui->app, true, ":%s takes a backend pid (a number), not '%s'", verb, arg);
            return 1;
        }
        t.pid = (int)pid;
        action_start(ui->app, def, &t, false, &console_hooks, ui->app);
        return 1;
    }
    /* A name as SQL reads it: `:maintain Events` is public.events, and
     * nothing is looked up through search_path. */
    char *schema, *name, why[256];
    if (ident_parse_qualified(arg, "public", &schema, &name, why, sizeof why) != 0) {
        app_message(ui->app, true, ":%s: '%s' is not a name: %s", verb, arg, why);
        return 1;
    }
    t.schema = schema;
    t.name = name;
    action_start(ui->app, def, &t, false, &console_hooks, ui->app);
    free(schema);
    free(name);
    return 1;
}

const char *const (*ui_action_help(int *n))[2]
{
    /* Built once from the action table: the help overlay lists what the
     * table holds, so a new row shows up by itself. */
    static const char *rows[32][2];
    static int count;
    static char keys[32][4];
    if (!count) {
        const struct action_def *defs[28];
        int n = action_list(defs, 28);
        for (int i = 0; i < n; i++) {
            const struct action_def *d = defs[i];
            keys[count][0] = (char)(d->key ? d->key : ' ');
            keys[count][1] = '\0';
            rows[count][0] = keys[count];
            rows[count][1] = d->help;
            count++;
        }
        rows[count][0] = "L";
        rows[count][1] = "the action journal (who did what, when, and how it ended)";
        count++;
        rows[count][0] = ":";
        rows[count][1] = "refresh [VIEW|--stale] maintain TABLE index [NAME|--all] drop INDEX explain|cancel|terminate PID analyze TABLE journal";
        count++;
    }
    *n = count;
    return (const char *const (*)[2])rows;
}
