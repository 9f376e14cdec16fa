/* pgdeck: a terminal console for a tuned PostgreSQL database.
 *
 * main parses the configuration and hands over to a front end: the
 * console (ui/), or one of the non-interactive ones (--once, check, run,
 * agent, check --from).
 * Only main exits. */
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "front/frontend.h"
#include "net/resolve.h"
#include "base/textout.h"
#include "base/utf8.h"
#include "screen.h"

extern char **environ;

/* Whether the command line asks for `check`.  A failed config_load leaves
 * nothing behind, so look at the words themselves: a monitoring system
 * must see UNKNOWN (3) for a bad option, never a CRITICAL (2). */
static bool wants_check(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "check") == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    /* Only the categories pgdeck uses: the character set (LC_CTYPE, for
     * wide characters and the UTF-8 test) and the language of libc's and
     * libpq's messages (LC_MESSAGES).  Numbers stay in "C": pgdeck writes
     * and reads them with a dot, as the server sends them (a comma
     * locale's strtod read "1.5" as 1); its dates are all numeric.  Each
     * category loaded is a file mapped for the whole run: LC_ALL mapped
     * eleven, 44 kB resident in C.UTF-8 (issue 14, aim 3). */
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    /* One malloc arena: glibc gives each thread that allocates (libuv's
     * pool reading /proc, the cancel threads) an arena of its own, each a
     * few hundred kB resident for a few small blocks; they allocate
     * seldom, so sharing the main arena's lock costs nothing measurable
     * (issue 14, aim 3: peak RSS). */
#ifdef M_ARENA_MAX
    mallopt(M_ARENA_MAX, 1);
#endif
    /* libuv's pool (started at the first lookup or host job) runs only
     * name lookups and the host job here.  libuv lets lookups take at most
     * half its threads, rounded up: three keep two for lookups (a name a
     * silent DNS server holds takes one, tests/e2e/test_slow_dns.sh) and
     * one for the host job, as four did; the fourth thread's stack was
     * 26 kB resident for nothing (issue 14, aim 3).  A value the user set
     * is kept. */
    setenv("UV_THREADPOOL_SIZE", "3", 0);
    /* hiredis 0.14 writes with plain write(): a Redis that closes the
     * connection while pgdeck writes would kill it with SIGPIPE.  Every
     * front end gets EPIPE instead, which hiredis reports as an error
     * (libpq guards its own sends). */
    signal(SIGPIPE, SIG_IGN);
    /* Messages about the options echo what was typed: written through the
     * sanitizing writer, in ASCII unless the locale says UTF-8 (the
     * configuration, once read, decides for everything after). */
    textout_set_ascii(!utf8_locale_active());

    struct config cfg;
    char err[1024];
    if (config_load(&cfg, argc, argv, environ, err, sizeof err) != 0) {
        textout_line(stderr, "%s", err);
        textout_line(stderr, "Try 'pgdeck --help' for more information.");
        /* check's convention: 3 is UNKNOWN; everything else fails with 2. */
        return wants_check(argc, argv) ? 3 : 2;
    }
    textout_set_ascii(cfg.ascii);
    if (cfg.command == COMMAND_HELP) {
        textout_printf(stdout, "%s", config_usage());
        config_free(&cfg);
        return 0;
    }
    if (cfg.command == COMMAND_VERSION) {
        textout_line(stdout, "pgdeck %s (libpq %d, libuv %s)", PGDECK_VERSION, PQlibVersion(), uv_version_string());
        config_free(&cfg);
        return 0;
    }

    uv_loop_t *loop = uv_default_loop();
    /* check --from watches the fleet through Redis only: it must not open
     * a database connection (it runs where no database credentials are). */
    if (cfg.command == COMMAND_CHECK && cfg.from) {
        int rc = frontend_check_from(loop, &cfg);
        uv_loop_close(loop);
        config_free(&cfg);
        if (resolve_in_flight() > 0) {
            fflush(NULL);
            _exit(rc);
        }
        return rc;
    }
    struct app app = { 0 };
    app_init(&app, loop, &cfg);
    collectors_init(&app);

    int rc;
    switch (cfg.command) {
    case COMMAND_ONCE:
        rc = frontend_once(&app);
        break;
    case COMMAND_CHECK:
        rc = frontend_check(&app);
        break;
    case COMMAND_RUN:
        rc = frontend_run(&app);
        break;
    case COMMAND_AGENT:
        rc = frontend_agent(&app);
        break;
    default:
        /* --from: the console fed from Redis (viewer.c), no database. */
        if (cfg.from && frontend_viewer_start(&app) != 0) {
            rc = 2;
            collectors_stop(&app);
            app_close(&app);
            collectors_free(&app);
            uv_run(loop, UV_RUN_DEFAULT);
            break;
        }
        rc = ui_run(&app);
        break;
    }
    uv_loop_close(loop);
    config_free(&cfg);
    /* A host name lookup still running on libuv's thread pool (a DNS
     * server that does not answer) would hold up the exit for as long as it
     * takes: libuv joins its pool threads in a destructor at exit.  Its
     * answer is not wanted any more, and everything else is closed. */
    if (resolve_in_flight() > 0) {
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}
