#ifndef PGDECK_TEST_APP_FIXTURE_H
#define PGDECK_TEST_APP_FIXTURE_H

/* What the integration tests that build a whole app (as main() does)
 * share: a private config and state directory for the group, the app
 * started from arguments and the environment and stopped again, and one
 * statement on its primary pool.  Included after loop_helpers.h. */

#include <string.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "net/pgpool.h"
#include "integration/loop_helpers.h"

extern char **environ;

static char tmpdir[64];

/* The group's directory (template: "/tmp/pgdeck-NAME-XXXXXX"): neither
 * the developer's config file nor journal is read. */
static inline int fixture_setup(const char *template)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", template);
    if (!mkdtemp(tmpdir))
        return -1;
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    setenv("XDG_STATE_HOME", tmpdir, 1);
    if (!getenv("DATABASE_URL")) {
        fprintf(stderr, "DATABASE_URL is not set: run under tests/run-all.sh\n");
        return -1;
    }
    return 0;
}

static inline int fixture_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An app as main() builds it, from these arguments and the environment. */
static inline void start_app(struct app *app, struct config *cfg, int argc, char **argv)
{
    char err[1024];
    memset(app, 0, sizeof *app);
    assert_int_equal(config_load(cfg, argc, argv, environ, err, sizeof err), 0);
    app_init(app, loop, cfg);
    collectors_init(app);
}

/* Whether the primary pool came up within 10 s. */
static inline bool pool_up(struct app *app)
{
    for (int i = 0; i < 200 && pgpool_state(app->primary) != PGCONN_UP; i++) {
        bool never = false;
        run_until(&never, 0.05);
    }
    return pgpool_state(app->primary) == PGCONN_UP;
}

/* The same, with its primary pool up. */
static inline void start_app_up(struct app *app, struct config *cfg, int argc, char **argv)
{
    start_app(app, cfg, argc, argv);
    assert_true(pool_up(app));
}

static inline void stop_app(struct app *app, struct config *cfg)
{
    collectors_stop(app);
    app_close(app);
    collectors_free(app);
    for (int i = 0; i < 10; i++)
        uv_run(loop, UV_RUN_NOWAIT);
    config_free(cfg);
}

/* One statement on the primary pool: its error (or "") and first value. */
static inline struct answer ask(struct app *app, const char *sql)
{
    struct answer a = { 0 };
    assert_int_equal(pgpool_send(app->primary, sql, 0, NULL, 0, got_answer, &a), 0);
    assert_true(run_until(&a.done, 10));
    return a;
}

#endif
