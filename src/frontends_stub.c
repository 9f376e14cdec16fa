#include <stdio.h>

#include "app.h"
#include "frontend.h"

/* First cut: the front ends are built in once.c, check.c and run.c. */
int frontend_once(struct app *app) { (void)app; fprintf(stderr, "pgdeck: --once is not built yet\n"); return 2; }
int frontend_check(struct app *app) { (void)app; fprintf(stderr, "pgdeck: check is not built yet\n"); return 3; }
int frontend_run(struct app *app) { (void)app; fprintf(stderr, "pgdeck: run is not built yet\n"); return 2; }
