#ifndef PGDECK_SCREEN_H
#define PGDECK_SCREEN_H

struct app;

/* The console (screen.c): curses inside the app's libuv loop, one pane
 * per subject that has one.  Runs until the operator quits; closes the
 * app.  Returns the exit code. */
int ui_run(struct app *app);

#endif
