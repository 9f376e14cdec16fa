#include <stdio.h>

#include "app.h"
#include "frontend.h"

/* First cut: --once and check are in once.c and check.c; run is built in
 * run.c. */
int frontend_run(struct app *app) { (void)app; fprintf(stderr, "pgdeck: run is not built yet\n"); return 2; }
