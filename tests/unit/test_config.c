/* Configuration: options over environment over file over defaults, the
 * subcommands, and a message naming the option or file:line for every
 * mistake. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"

#define SECRET "S3cr3tPw"

/* A private directory per run: HOME points here, so the developer's own
 * ~/.config/pgdeck/config never leaks into a test. */
static char tmpdir[64];
static char home_env[128];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pgdeck-test-config-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(home_env, sizeof home_env, "HOME=%s", tmpdir);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[160];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write `content` to tmpdir/name and return the path (static buffer). */
static const char *write_file(const char *name, const char *content)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

/* config_load with argv from a NULL-terminated list and env from another;
 * HOME and a UTF-8 LANG are added unless the test gives its own. */
struct env {
    const char *vars[16];
};

static int loadv(struct config *cfg, char *err, size_t errlen, const struct env *env,
                 const char *const *args)
{
    char *argv[32];
    char *envp[24];
    int argc = 0, envc = 0;
    int has_home = 0, has_locale = 0;

    argv[argc++] = (char *)"pgdeck";
    for (; *args && argc < 31; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;

    for (int i = 0; env && env->vars[i]; i++) {
        envp[envc++] = (char *)env->vars[i];
        if (strncmp(env->vars[i], "HOME=", 5) == 0)
            has_home = 1;
        if (strncmp(env->vars[i], "LANG=", 5) == 0 || strncmp(env->vars[i], "LC_", 3) == 0)
            has_locale = 1;
    }
    if (!has_home)
        envp[envc++] = home_env;
    if (!has_locale)
        envp[envc++] = (char *)"LANG=C.UTF-8";
    envp[envc] = NULL;
    err[0] = '\0';
    return config_load(cfg, argc, argv, envp, err, errlen);
}

/* Collect a NULL-terminated argument list. */
#define COLLECT(args, last)                                                      \
    do {                                                                         \
        va_list ap_;                                                             \
        int n_ = 0;                                                              \
        va_start(ap_, last);                                                     \
        for (const char *a_; (a_ = va_arg(ap_, const char *)) != NULL && n_ < 30;) \
            (args)[n_++] = a_;                                                   \
        va_end(ap_);                                                             \
        (args)[n_] = NULL;                                                       \
    } while (0)

static int load(struct config *cfg, char *err, size_t errlen, const struct env *env, ...)
{
    const char *args[32];
    COLLECT(args, env);
    return loadv(cfg, err, errlen, env, args);
}

#define LOAD_OK(cfg, env, ...)                                                     \
    do {                                                                           \
        char err_[512];                                                            \
        int rc_ = load((cfg), err_, sizeof err_, (env), __VA_ARGS__);              \
        if (rc_ != 0)                                                              \
            fail_msg("config_load failed: %s", err_);                              \
    } while (0)

/* Load, expect failure, and compare the message. */
static void assert_load_error(const char *want, const struct env *env, ...)
{
    const char *args[32];
    struct config cfg;
    char err[512];

    COLLECT(args, env);
    if (loadv(&cfg, err, sizeof err, env, args) == 0) {
        config_free(&cfg);
        fail_msg("config_load succeeded, expected: %s", want);
    }
    if (strcmp(err, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", err, want);
}

/* Expect failure; the message must contain every `parts` string. */
static void assert_error_contains(const char *err, const char *const *parts)
{
    for (; *parts; parts++)
        if (!strstr(err, *parts))
            fail_msg("'%s' does not contain '%s'", err, *parts);
}

/* ---- defaults ---- */

static void test_config_defaults_are_the_guides(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, NULL);
    assert_int_equal(cfg.command, COMMAND_CONSOLE);
    assert_int_equal(cfg.primary.count, 0);
    assert_null(cfg.replica);
    assert_null(cfg.redis);
    assert_null(cfg.pgbouncer);
    assert_int_equal(cfg.pool_min, 2);
    assert_int_equal(cfg.pool_max, 4);
    assert_true(cfg.idle_timeout_ms == 30000);
    assert_true(cfg.connect_timeout_ms == 5000);
    assert_true(cfg.statement_timeout_ms == 5000);
    assert_true(cfg.query_timeout_ms == 10000);
    assert_true(cfg.interval == 1);
    assert_true(cfg.catalog_interval == 30);
    assert_string_equal(cfg.theme, "default");
    assert_false(cfg.ascii);
    assert_false(cfg.no_color);
    assert_true(cfg.mouse);
    assert_false(cfg.read_only);
    assert_true(cfg.lock_timeout_ms == 3000);
    assert_null(cfg.plan_file);
    assert_null(cfg.journal_file);
    assert_int_equal(cfg.premake, 3);
    assert_int_equal(cfg.retention_count, 0);
    assert_false(cfg.retention_drop);
    assert_true(cfg.alerts.slow_query_ms == 1000);
    assert_true(cfg.alerts.pool_percent == 90);
    assert_true(cfg.alerts.cache_hit_percent == 70);
    assert_true(cfg.alerts.view_age_hours == 4);
    assert_true(cfg.alerts.replica_lag_seconds == 30);
    assert_true(cfg.alerts.replica_lag_bytes == 64.0 * 1024 * 1024);
    assert_true(cfg.alerts.partition_ahead_months == 1);
    assert_true(cfg.alerts.disk_full_days == 14);
    assert_true(cfg.alerts.lock_wait_seconds == 5);
    assert_int_equal(cfg.format, FORMAT_TEXT);
    assert_int_equal(cfg.run_kind, RUN_NONE);
    assert_non_null(cfg.run_targets);
    assert_null(cfg.run_targets[0]);
    assert_false(cfg.dry_run);
    assert_null(cfg.config_file);
    assert_null(cfg.stats_file);
    config_free(&cfg);
}

/* ---- precedence ---- */

static void test_config_file_beats_defaults(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("file-beats-defaults",
        "[connection]\n"
        "primary = host=filehost dbname=filedb\n"
        "redis = redis://filecache:6380/1\n"
        "[pool]\n"
        "min = 1\n"
        "max = 8\n"
        "idle_timeout = 1000\n"
        "[display]\n"
        "interval = 2.5\n"
        "catalog_interval = 45\n"
        "theme = dark\n"
        "mouse = no\n"
        "[alerts]\n"
        "slow_query_ms = 500\n"
        "cache_hit_percent = 85\n"
        "[actions]\n"
        "premake = 6\n"
        "lock_timeout = 1500\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_string_equal(cfg.config_file, path);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "filehost");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "filedb");
    assert_string_equal(cfg.redis, "redis://filecache:6380/1");
    assert_int_equal(cfg.pool_min, 1);
    assert_int_equal(cfg.pool_max, 8);
    assert_true(cfg.idle_timeout_ms == 1000);
    assert_true(cfg.interval == 2.5);
    assert_true(cfg.catalog_interval == 45);
    assert_string_equal(cfg.theme, "dark");
    assert_false(cfg.mouse);
    assert_true(cfg.alerts.slow_query_ms == 500);
    assert_true(cfg.alerts.cache_hit_percent == 85);
    assert_int_equal(cfg.premake, 6);
    assert_true(cfg.lock_timeout_ms == 1500);
    config_free(&cfg);
}

static void test_config_environment_beats_file(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("env-beats-file",
        "[connection]\n"
        "primary = host=filehost\n"
        "replica = host=filereplica\n"
        "redis = redis://filecache\n"
        "pgbouncer = host=filebouncer dbname=pgbouncer\n"
        "[pool]\n"
        "max = 8\n"
        "statement_timeout = 100\n"
        "[display]\n"
        "no_color = no\n"
        "ascii = no\n");
    struct env env = { { "DATABASE_URL=postgresql://envhost/envdb",
                         "DATABASE_READ_REPLICA_URL=host=envreplica",
                         "REDIS_URL=redis://envcache:6381",
                         "PGBOUNCER_URL=host=envbouncer dbname=pgbouncer",
                         "DB_POOL_MAX=12",
                         "DB_STATEMENT_TIMEOUT=2500",
                         "NO_COLOR=1",
                         "LANG=C",
                         NULL } };
    LOAD_OK(&cfg, &env, "--config", path, NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "envhost");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "envdb");
    assert_string_equal(cfg.replica, "host=envreplica");
    assert_string_equal(cfg.redis, "redis://envcache:6381");
    assert_string_equal(cfg.pgbouncer, "host=envbouncer dbname=pgbouncer");
    assert_int_equal(cfg.pool_max, 12);
    assert_true(cfg.statement_timeout_ms == 2500);
    assert_true(cfg.no_color);
    assert_true(cfg.ascii);     /* a C locale cannot show UTF-8, whatever the file says */
    config_free(&cfg);
}

static void test_config_options_beat_environment(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("options-beat-env",
        "[display]\n"
        "interval = 5\n"
        "theme = dark\n"
        "mouse = yes\n"
        "[actions]\n"
        "premake = 6\n"
        "plan = /file/plan.sql\n"
        "lock_timeout = 1500\n");
    struct env env = { { "DATABASE_URL=host=envhost dbname=envdb",
                         "DATABASE_READ_REPLICA_URL=host=envreplica",
                         "REDIS_URL=redis://envcache",
                         "PGBOUNCER_URL=host=envbouncer",
                         NULL } };
    LOAD_OK(&cfg, &env, "--config", path, "host=arghost dbname=argdb",
            "--replica", "host=optreplica", "--redis", "redis://optcache:7000",
            "--pgbouncer", "host=optbouncer", "-i", "0.5", "--theme", "light",
            "--no-mouse", "--plan", "opt.sql", "--lock-timeout", "700", NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "arghost");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "argdb");
    assert_string_equal(cfg.replica, "host=optreplica");
    assert_string_equal(cfg.redis, "redis://optcache:7000");
    assert_string_equal(cfg.pgbouncer, "host=optbouncer");
    assert_true(cfg.interval == 0.5);
    assert_string_equal(cfg.theme, "light");
    assert_false(cfg.mouse);
    assert_string_equal(cfg.plan_file, "opt.sql");
    assert_true(cfg.lock_timeout_ms == 700);
    config_free(&cfg);
}

static void test_config_options_beat_file_for_run_settings(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("options-beat-file-run",
        "[actions]\n"
        "premake = 6\n"
        "[retention]\n"
        "analytics_events = 24 months\n"
        "drop = no\n");
    LOAD_OK(&cfg, NULL, "--config", path, "run", "partitions", "--premake", "2",
            "--retention", "12 months", "--drop", NULL);
    assert_int_equal(cfg.premake, 2);
    assert_string_equal(config_retention_for(&cfg, "public", "analytics_events"), "12 months");
    assert_true(cfg.retention_drop);
    config_free(&cfg);
}

static void test_config_psql_options_layer_over_database_url(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "DATABASE_URL=postgresql://app:" SECRET "@dbhost:5433/learn?sslmode=require", NULL } };
    LOAD_OK(&cfg, &env, "-h", "other", "-p", "6000", "-U", "bob", "-d", "otherdb", NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "other");
    assert_string_equal(conninfo_get(&cfg.primary, "port"), "6000");
    assert_string_equal(conninfo_get(&cfg.primary, "user"), "bob");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "otherdb");
    assert_string_equal(conninfo_get(&cfg.primary, "password"), SECRET);
    assert_string_equal(conninfo_get(&cfg.primary, "sslmode"), "require");
    config_free(&cfg);
}

static void test_config_psql_options_alone_make_the_primary(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "--host", "/var/run/postgresql", "--dbname", "learn", NULL);
    assert_int_equal(cfg.primary.count, 2);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "/var/run/postgresql");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "learn");
    config_free(&cfg);
}

static void test_config_positional_uri_beats_database_url(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "DATABASE_URL=postgresql://envhost/envdb", NULL } };
    LOAD_OK(&cfg, &env, "postgresql://arg@arghost:5555/argdb", NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "arghost");
    assert_string_equal(conninfo_get(&cfg.primary, "port"), "5555");
    assert_string_equal(conninfo_get(&cfg.primary, "user"), "arg");
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "argdb");
    config_free(&cfg);
    LOAD_OK(&cfg, &env, "postgres://h2/d2", NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "h2");
    config_free(&cfg);
}

static void test_config_empty_environment_variable_counts_as_unset(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "DATABASE_URL=", "DB_POOL_MAX=", "NO_COLOR=", "REDIS_URL=", NULL } };
    LOAD_OK(&cfg, &env, NULL);
    assert_int_equal(cfg.primary.count, 0);
    assert_int_equal(cfg.pool_max, 4);
    assert_false(cfg.no_color);
    assert_null(cfg.redis);
    config_free(&cfg);
}

static void test_config_pool_and_timeouts_from_guide_variables(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "DB_POOL_MIN=3", "DB_POOL_MAX=20", "DB_IDLE_TIMEOUT=60000",
                         "DB_CONNECTION_TIMEOUT=2000", "DB_STATEMENT_TIMEOUT=30000",
                         "DB_QUERY_TIMEOUT=45000", NULL } };
    LOAD_OK(&cfg, &env, NULL);
    assert_int_equal(cfg.pool_min, 3);
    assert_int_equal(cfg.pool_max, 20);
    assert_true(cfg.idle_timeout_ms == 60000);
    assert_true(cfg.connect_timeout_ms == 2000);
    assert_true(cfg.statement_timeout_ms == 30000);
    assert_true(cfg.query_timeout_ms == 45000);
    config_free(&cfg);
}

/* ---- flags, locale ---- */

static void test_config_no_color_from_any_non_empty_value(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "NO_COLOR=0", NULL } };
    LOAD_OK(&cfg, &env, NULL);
    assert_true(cfg.no_color);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--no-color", NULL);
    assert_true(cfg.no_color);
    config_free(&cfg);
}

static void test_config_ascii_follows_the_locale_charset(void **state)
{
    static const struct { const char *vars[3]; bool ascii; } cases[] = {
        { { "LANG=C.UTF-8", NULL }, false },
        { { "LANG=en_US.utf8", NULL }, false },
        { { "LANG=de_DE.UTF-8@euro", NULL }, false },
        { { "LANG=C", NULL }, true },
        { { "LANG=POSIX", NULL }, true },
        { { "LANG=en_US", NULL }, true },
        { { "LANG=de_DE.ISO-8859-1", NULL }, true },
        { { "LC_ALL=", NULL }, true },                      /* nothing set */
        { { "LC_ALL=C", "LANG=en_US.UTF-8" }, true },       /* LC_ALL wins */
        { { "LC_CTYPE=en_US.UTF-8", "LANG=C" }, false },   /* LC_CTYPE beats LANG */
    };
    struct config cfg;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct env env = { { cases[i].vars[0], cases[i].vars[1], NULL } };
        LOAD_OK(&cfg, &env, NULL);
        if (cfg.ascii != cases[i].ascii)
            fail_msg("%s %s: ascii %d", cases[i].vars[0], cases[i].vars[1] ? cases[i].vars[1] : "",
                     cfg.ascii);
        config_free(&cfg);
    }
    LOAD_OK(&cfg, NULL, "--ascii", NULL);
    assert_true(cfg.ascii);
    config_free(&cfg);
}

static void test_config_read_only_and_batch_flags(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "-R", "--once", "--format", "json", "--stats", "/tmp/s.json", NULL);
    assert_true(cfg.read_only);
    assert_int_equal(cfg.command, COMMAND_ONCE);
    assert_int_equal(cfg.format, FORMAT_JSON);
    assert_string_equal(cfg.stats_file, "/tmp/s.json");
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--read-only", NULL);
    assert_true(cfg.read_only);
    assert_int_equal(cfg.command, COMMAND_CONSOLE);
    config_free(&cfg);
}

/* ---- subcommands ---- */

static void test_config_h_is_host_and_help_is_long_only(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "-h", "db1", NULL);
    assert_int_equal(cfg.command, COMMAND_CONSOLE);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "db1");
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--help", NULL);
    assert_int_equal(cfg.command, COMMAND_HELP);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--version", NULL);
    assert_int_equal(cfg.command, COMMAND_VERSION);
    config_free(&cfg);
}

static void test_config_help_ignores_a_broken_config_file(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "--config", "/nonexistent/pgdeck", "--help", NULL);
    assert_int_equal(cfg.command, COMMAND_HELP);
    config_free(&cfg);
}

static void test_config_check_command(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "check", "host=h", NULL);
    assert_int_equal(cfg.command, COMMAND_CHECK);
    assert_string_equal(conninfo_get(&cfg.primary, "host"), "h");
    config_free(&cfg);
}

static void test_config_run_partitions_with_options_between_the_words(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "run", "partitions", "--premake", "2", "analytics_events",
            "--retention", "12 months", "--drop", "--dry-run", "public.audit_log", NULL);
    assert_int_equal(cfg.command, COMMAND_RUN);
    assert_int_equal(cfg.run_kind, RUN_PARTITIONS);
    assert_string_equal(cfg.run_targets[0], "analytics_events");
    assert_string_equal(cfg.run_targets[1], "public.audit_log");
    assert_null(cfg.run_targets[2]);
    assert_int_equal(cfg.premake, 2);
    assert_string_equal(config_retention_for(&cfg, "public", "analytics_events"), "12 months");
    assert_true(cfg.retention_drop);
    assert_true(cfg.dry_run);
    config_free(&cfg);
}

static void test_config_run_partitions_options_first(void **state)
{
    struct config cfg;
    (void)state;
    /* options before the words, and a conninfo at the end */
    LOAD_OK(&cfg, NULL, "--premake", "4", "--dry-run", "run", "partitions", "events", "dbname=learn", NULL);
    assert_int_equal(cfg.run_kind, RUN_PARTITIONS);
    assert_string_equal(cfg.run_targets[0], "events");
    assert_null(cfg.run_targets[1]);
    assert_int_equal(cfg.premake, 4);
    assert_string_equal(conninfo_get(&cfg.primary, "dbname"), "learn");
    config_free(&cfg);
}

static void test_config_run_refresh_stale_or_views(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "run", "refresh", "--stale", NULL);
    assert_int_equal(cfg.run_kind, RUN_REFRESH);
    assert_true(cfg.run_stale);
    assert_null(cfg.run_targets[0]);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "run", "refresh", "mv_a", "mv_b", "--dry-run", NULL);
    assert_false(cfg.run_stale);
    assert_string_equal(cfg.run_targets[0], "mv_a");
    assert_string_equal(cfg.run_targets[1], "mv_b");
    assert_true(cfg.dry_run);
    config_free(&cfg);
}

static void test_config_run_indexes_with_plan(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "run", "indexes", "--plan", "/srv/plan.sql", "--dry-run", NULL);
    assert_int_equal(cfg.run_kind, RUN_INDEXES);
    assert_string_equal(cfg.plan_file, "/srv/plan.sql");
    assert_true(cfg.dry_run);
    config_free(&cfg);
}

static void test_config_double_dash_ends_options(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "run", "refresh", "--", "\"--odd-view-name\"", NULL);
    assert_string_equal(cfg.run_targets[0], "\"--odd-view-name\"");
    config_free(&cfg);
}

static void test_config_can_be_loaded_again_and_again(void **state)
{
    struct config cfg;
    (void)state;
    /* getopt keeps state between calls: each load must start afresh */
    for (int i = 0; i < 3; i++) {
        LOAD_OK(&cfg, NULL, "-Ri", "7", "run", "refresh", "v", NULL);
        assert_true(cfg.read_only);
        assert_true(cfg.interval == 7);
        config_free(&cfg);
        LOAD_OK(&cfg, NULL, "check", NULL);
        assert_false(cfg.read_only);
        assert_true(cfg.interval == 1);
        assert_int_equal(cfg.command, COMMAND_CHECK);
        config_free(&cfg);
    }
}

static void test_config_error_inside_an_option_cluster_does_not_leak_into_the_next_load(void **state)
{
    struct config cfg;
    char err[512];
    (void)state;
    /* getopt stops in the middle of "-xR"; the next load must not resume
     * there and find the R */
    assert_int_equal(load(&cfg, err, sizeof err, NULL, "-xR", NULL), -1);
    LOAD_OK(&cfg, NULL, NULL);
    assert_false(cfg.read_only);
    config_free(&cfg);
}

static void test_config_words_and_options_mix_even_with_posixly_correct(void **state)
{
    struct config cfg;
    (void)state;
    /* glibc's getopt reads POSIXLY_CORRECT from the real environment and
     * then stops at the first word: pgdeck must not depend on it */
    setenv("POSIXLY_CORRECT", "1", 1);
    LOAD_OK(&cfg, NULL, "run", "partitions", "--premake", "2", "foo", "--dry-run", NULL);
    unsetenv("POSIXLY_CORRECT");
    assert_int_equal(cfg.run_kind, RUN_PARTITIONS);
    assert_int_equal(cfg.premake, 2);
    assert_true(cfg.dry_run);
    assert_string_equal(cfg.run_targets[0], "foo");
    config_free(&cfg);
}

/* ---- option errors ---- */

static void test_config_unknown_long_option_is_named(void **state)
{
    (void)state;
    assert_load_error("pgdeck: unknown option '--intervall'", NULL, "--intervall", "2", NULL);
    assert_load_error("pgdeck: unknown option '--intervall'", NULL, "--intervall=2", NULL);
}

static void test_config_unknown_short_option_is_named(void **state)
{
    (void)state;
    assert_load_error("pgdeck: unknown option '-x'", NULL, "-x", NULL);
    assert_load_error("pgdeck: unknown option '-x'", NULL, "-Rx", NULL);
}

static void test_config_ambiguous_option_is_named(void **state)
{
    (void)state;
    assert_load_error("pgdeck: option '--no' is ambiguous", NULL, "--no", NULL);
}

static void test_config_flag_given_an_argument_is_an_error(void **state)
{
    (void)state;
    assert_load_error("pgdeck: option '--ascii' takes no argument", NULL, "--ascii=yes", NULL);
}

static void test_config_missing_argument_is_named(void **state)
{
    (void)state;
    assert_load_error("pgdeck: option '-i' needs an argument", NULL, "-i", NULL);
    assert_load_error("pgdeck: option '--interval' needs an argument", NULL, "--interval", NULL);
    assert_load_error("pgdeck: option '-h' needs an argument (-h is the host, as in psql; help is --help)",
                      NULL, "-h", NULL);
}

/* The catalog tier's cadence: the file's, PGDECK_CATALOG_INTERVAL over
 * it, and a bad value named where it came from. */
static void test_config_catalog_interval(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("catalog-interval", "[display]\ncatalog_interval = 120\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_true(cfg.catalog_interval == 120);
    config_free(&cfg);
    struct env env = { { "PGDECK_CATALOG_INTERVAL=7.5", NULL } };
    LOAD_OK(&cfg, &env, "--config", path, NULL);
    assert_true(cfg.catalog_interval == 7.5);
    config_free(&cfg);
    struct env zero = { { "PGDECK_CATALOG_INTERVAL=0", NULL } };
    assert_load_error("pgdeck: PGDECK_CATALOG_INTERVAL: '0' is not a number between 1 and 3600", &zero, NULL);
    char want[512];
    const char *bad = write_file("catalog-interval-bad", "[display]\ncatalog_interval = soon\n");
    snprintf(want, sizeof want, "%s:2: [display] catalog_interval: 'soon' is not a number between 1 and 3600", bad);
    assert_load_error(want, NULL, "--config", bad, NULL);
}

static void test_config_bad_interval_is_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: --interval: 'abc' is not a number between 0.2 and 60", NULL, "-i", "abc", NULL);
    assert_load_error("pgdeck: --interval: '0.1' is not a number between 0.2 and 60", NULL,
                      "--interval", "0.1", NULL);
    assert_load_error("pgdeck: --interval: '61' is not a number between 0.2 and 60", NULL, "--interval=61", NULL);
    assert_load_error("pgdeck: --interval: 'inf' is not a number between 0.2 and 60", NULL, "-i", "inf", NULL);
    assert_load_error("pgdeck: --interval: '' is not a number between 0.2 and 60", NULL, "-i", "", NULL);

    struct config cfg;
    LOAD_OK(&cfg, NULL, "-i", "0.2", NULL);
    assert_true(cfg.interval == 0.2);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--interval=60", NULL);
    assert_true(cfg.interval == 60);
    config_free(&cfg);
}

/* Every entry point for a number (option, environment, file) refuses
 * non-finite values and trailing garbage: one parser (numparse.c). */
static void test_config_numbers_refuse_nan_inf_and_trailing_garbage(void **state)
{
    char want[512];
    (void)state;
    assert_load_error("pgdeck: --interval: 'nan' is not a number between 0.2 and 60", NULL, "-i", "nan", NULL);
    assert_load_error("pgdeck: --interval: '5abc' is not a number between 0.2 and 60", NULL, "-i", "5abc", NULL);
    assert_load_error("pgdeck: --interval: '1e999' is not a number between 0.2 and 60", NULL, "-i", "1e999", NULL);
    assert_load_error("pgdeck: --lock-timeout: 'inf' is not a number of milliseconds between 1 and 2147483647",
                      NULL, "--lock-timeout", "inf", NULL);
    assert_load_error("pgdeck: --premake: '3x' is not a whole number between 0 and 120", NULL,
                      "run", "partitions", "--premake", "3x", NULL);
    struct env e1 = { { "DB_STATEMENT_TIMEOUT=nan", NULL } };
    assert_load_error("pgdeck: DB_STATEMENT_TIMEOUT: 'nan' is not a number of milliseconds between 1 and "
                      "2147483647", &e1, NULL);
    struct env e2 = { { "DB_POOL_MIN=2abc", NULL } };
    assert_load_error("pgdeck: DB_POOL_MIN: '2abc' is not a whole number between 0 and 1000", &e2, NULL);
    const char *path = write_file("numbers-nan", "[display]\ninterval = nan\n");
    snprintf(want, sizeof want, "%s:2: [display] interval: 'nan' is not a number between 0.2 and 60", path);
    assert_load_error(want, NULL, "--config", path, NULL);
    path = write_file("numbers-inf", "[alerts]\nslow_query_ms = inf\n");
    snprintf(want, sizeof want, "%s:2: [alerts] slow_query_ms: 'inf' is not a number greater than 0", path);
    assert_load_error(want, NULL, "--config", path, NULL);
    path = write_file("numbers-garbage", "[alerts]\nview_age_hours = 4h\n");
    snprintf(want, sizeof want, "%s:2: [alerts] view_age_hours: '4h' is not a number greater than 0", path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_bad_option_values_are_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: --format: 'xml' is not text, json or openmetrics", NULL, "--once", "--format", "xml", NULL);
    assert_load_error("pgdeck: --premake: '121' is not a whole number between 0 and 120", NULL,
                      "run", "partitions", "--premake", "121", NULL);
    assert_load_error("pgdeck: --lock-timeout: '0' is not a number of milliseconds between 1 and 2147483647",
                      NULL, "--lock-timeout", "0", NULL);
    assert_load_error("pgdeck: -p: 'abc' is not a port number", NULL, "-p", "abc", NULL);
    assert_load_error("pgdeck: --retention: 'forever' is not an interval (for example '12 months')", NULL,
                      "run", "partitions", "--retention", "forever", NULL);
}

static void test_config_unknown_run_kind_is_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: unknown run kind 'vacuum' (expected refresh, partitions, indexes, track-views or "
                      "untrack-views)", NULL,
                      "run", "vacuum", NULL);
    assert_load_error("pgdeck: run: say what to run: refresh, partitions, indexes, track-views or untrack-views",
                      NULL, "run", NULL);
}

static void test_config_advise_and_track_views(void **state)
{
    (void)state;
    struct config cfg;
    LOAD_OK(&cfg, NULL, "run", "indexes", "--advise", "--dry-run", NULL);
    assert_int_equal(cfg.run_kind, RUN_INDEXES);
    assert_true(cfg.run_advise);
    assert_true(cfg.dry_run);
    assert_false(cfg.create_hypopg);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "run", "untrack-views", NULL);
    assert_int_equal(cfg.run_kind, RUN_UNTRACK_VIEWS);
    config_free(&cfg);
    assert_load_error("pgdeck: --advise applies to 'run indexes' only", NULL, "run", "refresh", "--advise", NULL);
    assert_load_error("pgdeck: run track-views takes no names ('public.mv')", NULL, "run", "track-views",
                      "public.mv", NULL);
}

static void test_config_unknown_command_word_is_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: unknown command 'learn' (expected check, run or agent; "
                      "a database name goes with -d NAME or dbname=NAME)", NULL, "learn", NULL);
}

static void test_config_misplaced_words_and_flags_are_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: unexpected argument 'x' after 'check'", NULL, "check", "x", NULL);
    assert_load_error("pgdeck: run indexes takes no names, got 'idx' (it follows the index plan: see --plan)",
                      NULL, "run", "indexes", "idx", NULL);
    assert_load_error("pgdeck: --stale applies to 'run refresh' only", NULL, "--stale", NULL);
    assert_load_error("pgdeck: run refresh: give --stale or view names, not both", NULL,
                      "run", "refresh", "--stale", "mv", NULL);
    assert_load_error("pgdeck: --once cannot be combined with 'check'", NULL, "--once", "check", NULL);
    assert_load_error("pgdeck: --format applies to --once, check and run, not to the console", NULL,
                      "--format", "json", NULL);
}

static void test_config_second_positional_conninfo_is_rejected(void **state)
{
    (void)state;
    assert_load_error("pgdeck: a second connection string was given "
                      "(pgdeck watches one primary; use --replica for a standby)", NULL,
                      "host=a", "postgresql://b/db", NULL);
}

/* ---- environment errors ---- */

static void test_config_bad_environment_values_name_the_variable(void **state)
{
    (void)state;
    struct env e1 = { { "DB_POOL_MIN=abc", NULL } };
    assert_load_error("pgdeck: DB_POOL_MIN: 'abc' is not a whole number between 0 and 1000", &e1, NULL);
    struct env e2 = { { "DB_POOL_MAX=0", NULL } };
    assert_load_error("pgdeck: DB_POOL_MAX: '0' is not a whole number between 1 and 1000", &e2, NULL);
    struct env e3 = { { "DB_IDLE_TIMEOUT=-5", NULL } };
    assert_load_error("pgdeck: DB_IDLE_TIMEOUT: '-5' is not a number of milliseconds between 1 and 2147483647",
                      &e3, NULL);
    struct env e4 = { { "DB_QUERY_TIMEOUT=10s", NULL } };
    assert_load_error("pgdeck: DB_QUERY_TIMEOUT: '10s' is not a number of milliseconds between 1 and 2147483647",
                      &e4, NULL);
    struct env e5 = { { "REDIS_URL=rediss://cache:6380", NULL } };
    struct config cfg;
    char err[512];
    assert_int_equal(load(&cfg, err, sizeof err, &e5, NULL), -1);
    assert_error_contains(err, (const char *const[]){ "pgdeck: REDIS_URL: ", "rediss://", "TLS", NULL });
}

static void test_config_pool_min_above_max_names_both_sources(void **state)
{
    (void)state;
    const char *path = write_file("pool-min-max", "[pool]\nmax = 3\n");
    char want[512];
    snprintf(want, sizeof want,
             "pgdeck: pool min 5 (pgdeck: DB_POOL_MIN) is greater than pool max 3 (%s:2: [pool] max)", path);
    struct env env = { { "DB_POOL_MIN=5", NULL } };
    assert_load_error(want, &env, "--config", path, NULL);
    struct env env2 = { { "DB_POOL_MIN=9", NULL } };
    assert_load_error("pgdeck: pool min 9 (pgdeck: DB_POOL_MIN) is greater than pool max 4 (default)", &env2, NULL);
}

/* ---- file errors ---- */

static void test_config_file_unknown_key_names_file_and_line(void **state)
{
    char want[512];
    (void)state;
    const char *path = write_file("unknown-key", "; pgdeck\n[display]\ninterval = 2\nintervall = 3\n");
    snprintf(want, sizeof want, "%s:4: unknown key 'intervall' in [display]", path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_file_bad_value_names_file_line_and_key(void **state)
{
    char want[512];
    (void)state;
    const char *path = write_file("bad-value",
        "[connection]\n\n# comment\n\n\n\n[display]\ninterval = fast\n");
    snprintf(want, sizeof want, "%s:8: [display] interval: 'fast' is not a number between 0.2 and 60", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("bad-bool", "[display]\nascii = maybe\n");
    snprintf(want, sizeof want, "%s:2: [display] ascii: 'maybe' is not yes/no, true/false, on/off or 1/0", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("bad-percent", "[alerts]\npool_percent = 150\n");
    snprintf(want, sizeof want, "%s:2: [alerts] pool_percent: '150' is not a number between 0 and 100", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("bad-premake", "[actions]\npremake = 200\n");
    snprintf(want, sizeof want, "%s:2: [actions] premake: '200' is not a whole number between 0 and 120", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("bad-retention", "[retention]\nevents = soon\n");
    snprintf(want, sizeof want, "%s:2: [retention] events: 'soon' is not an interval (for example '12 months')",
             path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_file_unknown_section_names_its_line(void **state)
{
    char want[512];
    (void)state;
    const char *path = write_file("bad-section", "[display]\ninterval = 2\n\n[dispaly]\ntheme = x\n");
    snprintf(want, sizeof want, "%s:4: unknown section [dispaly] (expected connection, pool, display, "
                                "alerts, actions, retention or agent)", path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_file_bad_line_syntax_names_its_line(void **state)
{
    char want[512];
    (void)state;
    const char *path = write_file("bad-syntax", "[display]\ninterval 2\n");
    snprintf(want, sizeof want, "%s:2: syntax error: expected 'key = value', '[section]' or a comment", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("bad-header", "[display\ninterval = 2\n");
    snprintf(want, sizeof want, "%s:1: syntax error: section header without ']'", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("no-section", "interval = 2\n");
    snprintf(want, sizeof want, "%s:1: 'interval' is outside any section (it belongs under [display])", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("no-key", "[display]\n= 2\n");
    snprintf(want, sizeof want, "%s:2: syntax error: a key name is missing before '='", path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_missing_config_file_is_an_error(void **state)
{
    (void)state;
    assert_load_error("pgdeck: --config: cannot read '/nonexistent/pgdeck.conf': No such file or directory",
                      NULL, "--config", "/nonexistent/pgdeck.conf", NULL);
    char want[256];
    snprintf(want, sizeof want, "pgdeck: --config: cannot read '%s': it is a directory", tmpdir);
    assert_load_error(want, NULL, "--config", tmpdir, NULL);
}

static void test_config_missing_default_file_is_fine(void **state)
{
    struct config cfg;
    (void)state;
    struct env env = { { "HOME=/nonexistent", NULL } };
    LOAD_OK(&cfg, &env, NULL);
    assert_null(cfg.config_file);
    config_free(&cfg);
}

static void test_config_default_file_is_found_under_xdg_then_home(void **state)
{
    struct config cfg;
    char dir[256], path[300], xdg[300], home[300];
    (void)state;

    snprintf(dir, sizeof dir, "%s/xdg/pgdeck", tmpdir);
    snprintf(path, sizeof path, "%s/xdg", tmpdir);
    mkdir(path, 0700);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[display]\ntheme = from-xdg\n", f);
    fclose(f);
    snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s/xdg", tmpdir);
    struct env env = { { xdg, NULL } };
    LOAD_OK(&cfg, &env, NULL);
    assert_string_equal(cfg.theme, "from-xdg");
    assert_string_equal(cfg.config_file, path);
    config_free(&cfg);

    snprintf(dir, sizeof dir, "%s/home", tmpdir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/home/.config", tmpdir);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/home/.config/pgdeck", tmpdir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[display]\ntheme = from-home\n", f);
    fclose(f);
    snprintf(home, sizeof home, "HOME=%s/home", tmpdir);
    struct env env2 = { { home, NULL } };
    LOAD_OK(&cfg, &env2, NULL);
    assert_string_equal(cfg.theme, "from-home");
    config_free(&cfg);

    /* a bad default file is reported too, with its path */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[display]\ntheme =\n", f);
    fclose(f);
    char want[512];
    snprintf(want, sizeof want, "%s:2: [display] theme: empty value", path);
    assert_load_error(want, &env2, NULL);
}

/* ---- file features ---- */

static void test_config_file_comments_indentation_and_quotes(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("features",
        "\xef\xbb\xbf; a comment\n"
        "# another\n"
        "[Display]   ; inline\n"
        "    interval = 3   ; seconds\n"
        "    theme = \"solarized dark\"\n"
        "\tMOUSE: off\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_true(cfg.interval == 3);
    assert_string_equal(cfg.theme, "solarized dark");
    assert_false(cfg.mouse);
    config_free(&cfg);
}

static void test_config_file_long_connection_line_is_read_whole(void **state)
{
    struct config cfg;
    char content[2048], appname[600];
    (void)state;
    memset(appname, 'a', sizeof appname - 1);
    appname[sizeof appname - 1] = '\0';
    snprintf(content, sizeof content,
             "[connection]\nprimary = host=h application_name=%s sslmode=disable ; comment\n"
             "[display]\ninterval = 2\n", appname);
    const char *path = write_file("long-line", content);
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_string_equal(conninfo_get(&cfg.primary, "application_name"), appname);
    assert_string_equal(conninfo_get(&cfg.primary, "sslmode"), "disable");
    assert_true(cfg.interval == 2);
    config_free(&cfg);
}

/* A line holds at most 65536 bytes (the INI reader's limit), and the
 * message says so exactly: one of 65536 is read, one more is refused. */
static void test_config_file_lines_up_to_65536_bytes_are_read(void **state)
{
    struct config cfg;
    char want[512];
    (void)state;
    size_t n = 65536 + 32;
    char *content = malloc(n);
    assert_non_null(content);
    int head = snprintf(content, n, "[display]\ntheme = ");
    memset(content + head, 't', 65536 - 8);            /* "theme = " + 65528 */
    strcpy(content + head + 65536 - 8, "\n");
    const char *path = write_file("line-65536", content);
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_int_equal(strlen(cfg.theme), 65536 - 8);
    config_free(&cfg);

    strcpy(content + head + 65536 - 8, "t\n");
    path = write_file("line-65537", content);
    snprintf(want, sizeof want, "%s:2: the line is longer than 65536 bytes", path);
    assert_load_error(want, NULL, "--config", path, NULL);
    free(content);
}

static void test_config_file_paths_are_relative_to_the_file(void **state)
{
    struct config cfg;
    char want[300];
    (void)state;
    const char *path = write_file("paths", "[actions]\nplan = plans/indexes.sql\njournal = ~/journal.log\n");
    struct env env = { { "HOME=/home/op", NULL } };
    LOAD_OK(&cfg, &env, "--config", path, NULL);
    snprintf(want, sizeof want, "%s/plans/indexes.sql", tmpdir);
    assert_string_equal(cfg.plan_file, want);
    assert_string_equal(cfg.journal_file, "/home/op/journal.log");
    config_free(&cfg);
}

static void test_config_alert_thresholds_from_file(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("alerts",
        "[alerts]\n"
        "slow_query_ms = 250\n"
        "pool_percent = 80\n"
        "cache_hit_percent = 85\n"
        "view_age_hours = 1.5\n"
        "replica_lag_seconds = 10\n"
        "replica_lag_bytes = 1048576\n"
        "partition_ahead_months = 2\n"
        "disk_full_days = 7\n"
        "lock_wait_seconds = 0.5\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_true(cfg.alerts.slow_query_ms == 250);
    assert_true(cfg.alerts.pool_percent == 80);
    assert_true(cfg.alerts.cache_hit_percent == 85);
    assert_true(cfg.alerts.view_age_hours == 1.5);
    assert_true(cfg.alerts.replica_lag_seconds == 10);
    assert_true(cfg.alerts.replica_lag_bytes == 1048576);
    assert_true(cfg.alerts.partition_ahead_months == 2);
    assert_true(cfg.alerts.disk_full_days == 7);
    assert_true(cfg.alerts.lock_wait_seconds == 0.5);
    config_free(&cfg);
}

static void test_config_retention_most_specific_entry_wins(void **state)
{
    struct config cfg;
    (void)state;
    const char *path = write_file("retention",
        "[retention]\n"
        "* = 24 months\n"
        "analytics_events = 12 months\n"
        "archive.analytics_events = 36 months\n"
        "drop = yes\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_int_equal(cfg.retention_count, 3);
    assert_true(cfg.retention_drop);
    assert_string_equal(config_retention_for(&cfg, "archive", "analytics_events"), "36 months");
    assert_string_equal(config_retention_for(&cfg, "public", "analytics_events"), "12 months");
    assert_string_equal(config_retention_for(&cfg, "public", "sessions"), "24 months");
    /* an unqualified line is public's table, not every schema's */
    assert_string_equal(config_retention_for(&cfg, "other", "analytics_events"), "24 months");
    config_free(&cfg);

    path = write_file("retention-none", "[retention]\nevents = 6 months\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_null(config_retention_for(&cfg, "public", "sessions"));
    assert_false(cfg.retention_drop);
    config_free(&cfg);
}

/* `events = 30 days` used to match by the text after the last dot, so
 * public."archive.events" was detached too.  A key is an SQL identifier. */
static void test_config_retention_names_are_sql_identifiers(void **state)
{
    struct config cfg;
    char want[600];
    (void)state;
    const char *path = write_file("retention-ident",
        "[retention]\n"
        "events = 30 days\n"
        "public.\"Archive.Events\" = 90 days\n"
        "Audit.Log = 1 year\n"
        "\"drop\" = 2 days\n");
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_string_equal(config_retention_for(&cfg, "public", "events"), "30 days");
    assert_null(config_retention_for(&cfg, "public", "archive.events"));
    assert_null(config_retention_for(&cfg, "archive", "events"));
    assert_string_equal(config_retention_for(&cfg, "public", "Archive.Events"), "90 days");
    assert_null(config_retention_for(&cfg, "public", "archive.events"));
    assert_string_equal(config_retention_for(&cfg, "audit", "log"), "1 year");
    assert_null(config_retention_for(&cfg, "Audit", "Log"));
    assert_string_equal(config_retention_for(&cfg, "public", "drop"), "2 days");
    assert_false(cfg.retention_drop);
    /* each line knows where it was written, for the error when the table
     * turns out not to exist */
    snprintf(want, sizeof want, "%s:2", path);
    assert_string_equal(cfg.retention[0].where, want);
    snprintf(want, sizeof want, "%s:4", path);
    assert_string_equal(cfg.retention[2].where, want);
    config_free(&cfg);

    path = write_file("retention-bad-ident", "[retention]\nevents = 1 day\na.b.c = 30 days\n");
    snprintf(want, sizeof want, "%s:3: [retention] 'a.b.c' is not a table name: too many dots: a name is "
             "[schema.]name (quote a name that holds a dot: public.\"a.b\")", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("retention-unterminated", "[retention]\n\"events = 30 days\n");
    snprintf(want, sizeof want, "%s:2: [retention] '\"events' is not a table name: a quoted name is not "
             "closed (a quote inside one is written \"\")", path);
    assert_load_error(want, NULL, "--config", path, NULL);

    path = write_file("retention-twice", "[retention]\nevents = 30 days\nPublic.EVENTS = 60 days\n");
    snprintf(want, sizeof want, "%s:3: [retention] Public.EVENTS: the table is already given at %s:2",
             path, path);
    assert_load_error(want, NULL, "--config", path, NULL);
}

static void test_config_run_names_are_sql_identifiers(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "run", "partitions", "public.\"archive.events\"", "Events", NULL);
    assert_string_equal(cfg.run_targets[0], "public.\"archive.events\"");
    assert_string_equal(cfg.run_targets[1], "Events");
    config_free(&cfg);
    assert_load_error("pgdeck: run refresh: 'a.b.c' is not a name: too many dots: a name is [schema.]name "
                      "(quote a name that holds a dot: public.\"a.b\")", NULL, "run", "refresh", "a.b.c", NULL);
    assert_load_error("pgdeck: run partitions: 'events x' is not a name: unexpected 'x' after the name",
                      NULL, "run", "partitions", "events x", NULL);
}

/* ---- passwords ---- */

static void test_config_errors_never_show_a_password(void **state)
{
    struct config cfg;
    char err[512];
    (void)state;

    struct env e1 = { { "DATABASE_URL=postgresql://u:" SECRET "@[::1/db", NULL } };
    assert_int_equal(load(&cfg, err, sizeof err, &e1, NULL), -1);
    assert_error_contains(err, (const char *const[]){ "pgdeck: DATABASE_URL: invalid connection string", NULL });
    assert_null(strstr(err, SECRET));

    assert_int_equal(load(&cfg, err, sizeof err, NULL, "host=x password=" SECRET " bogus=1", NULL), -1);
    assert_error_contains(err, (const char *const[]){ "pgdeck: connection argument: ", "bogus", NULL });
    assert_null(strstr(err, SECRET));

    assert_int_equal(load(&cfg, err, sizeof err, NULL, "--redis", "redis://:" SECRET "@cache:99999", NULL), -1);
    assert_error_contains(err, (const char *const[]){ "pgdeck: --redis: ", "port", NULL });
    assert_null(strstr(err, SECRET));

    const char *path = write_file("secret-in-file",
        "[connection]\nreplica = postgresql://u:" SECRET "@h/db?bogus=1\n");
    assert_int_equal(load(&cfg, err, sizeof err, NULL, "--config", path, NULL), -1);
    assert_error_contains(err, (const char *const[]){ path, ":2: [connection] replica: ", "bogus", NULL });
    assert_null(strstr(err, SECRET));

    /* a continuation line holding the rest of a password is not echoed */
    path = write_file("secret-syntax", "[connection]\nprimary = host=h password=correct\n  " SECRET "\n");
    assert_int_equal(load(&cfg, err, sizeof err, NULL, "--config", path, NULL), -1);
    assert_null(strstr(err, SECRET));
}

static void test_config_failed_load_leaves_nothing_to_free(void **state)
{
    struct config cfg;
    char err[512];
    (void)state;
    assert_int_equal(load(&cfg, err, sizeof err, NULL, "--theme", "x", "-i", "99", NULL), -1);
    assert_null(cfg.theme);
    assert_null(cfg.run_targets);
    config_free(&cfg);      /* harmless */
}

/* ---- the agent and the fleet ------------------------------------------------------ */

static void test_config_agent_reads_publish_name_and_maxlen(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "agent", "--publish", "redis://agent:" SECRET "@r1:6380/2", "--name", "db1",
            "--maxlen", "50", "-i", "2", NULL);
    assert_int_equal(cfg.command, COMMAND_AGENT);
    assert_string_equal(cfg.publish, "redis://agent:" SECRET "@r1:6380/2");
    assert_string_equal(cfg.agent_name, "db1");
    assert_int_equal(cfg.stream_maxlen, 50);
    assert_null(cfg.from);
    config_free(&cfg);

    /* the URL from the environment or the file, not the command line */
    const char *path = write_file("agent-section", "[agent]\npublish = redis://file:6379/0\nmaxlen = 7\n");
    struct env env = { { "PGDECK_PUBLISH_URL=redis://env:6379/0", NULL } };
    LOAD_OK(&cfg, &env, "agent", "--config", path, "--name", "db1", NULL);
    assert_string_equal(cfg.publish, "redis://env:6379/0");
    assert_int_equal(cfg.stream_maxlen, 7);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "agent", "--config", path, "--name", "db1", NULL);
    assert_string_equal(cfg.publish, "redis://file:6379/0");
    config_free(&cfg);
    /* a console reads the same file without complaint: [agent] is the agent's */
    LOAD_OK(&cfg, NULL, "--config", path, NULL);
    assert_int_equal(cfg.command, COMMAND_CONSOLE);
    config_free(&cfg);
    /* the default */
    LOAD_OK(&cfg, NULL, "agent", "--publish", "redis://h", "--name", "x", NULL);
    assert_int_equal(cfg.stream_maxlen, 20);
    config_free(&cfg);
}

static void test_config_agent_needs_publish_and_a_valid_name(void **state)
{
    (void)state;
    assert_load_error("pgdeck: agent: say where to publish: --publish redis://[USER:PASSWORD@]HOST:PORT/DB "
                      "(or PGDECK_PUBLISH_URL, or [agent] publish)", NULL, "agent", "--name", "db1", NULL);
    assert_load_error("pgdeck: agent: give it a name with --name NAME (the streams are pgdeck:{NAME}:...)",
                      NULL, "agent", "--publish", "redis://h", NULL);
    assert_load_error("pgdeck: --name: 'db 1}' is not an agent name (1 to 64 letters, digits, '.', '_' or '-')",
                      NULL, "agent", "--publish", "redis://h", "--name", "db 1}", NULL);
    assert_load_error("pgdeck: --maxlen: '0' is not a whole number between 1 and 1e+06", NULL,
                      "agent", "--publish", "redis://h", "--name", "a", "--maxlen", "0", NULL);
    assert_load_error("pgdeck: --publish: rediss:// (Redis over TLS) is not supported: this pgdeck's hiredis "
                      "has no TLS; use redis:// through a TLS tunnel (stunnel, ssh -L)", NULL,
                      "agent", "--publish", "rediss://:" SECRET "@h", "--name", "a", NULL);
    assert_load_error("pgdeck: --once cannot be combined with 'agent'", NULL,
                      "agent", "--once", "--publish", "redis://h", "--name", "a", NULL);
    assert_load_error("pgdeck: unexpected argument 'extra' after 'agent'", NULL,
                      "agent", "extra", NULL);
}

static void test_config_agent_options_go_with_their_commands(void **state)
{
    (void)state;
    assert_load_error("pgdeck: --publish applies to 'agent' only", NULL, "--publish", "redis://h", NULL);
    assert_load_error("pgdeck: --maxlen applies to 'agent' only", NULL, "check", "--maxlen", "5", NULL);
    assert_load_error("pgdeck: --from applies to the console (a viewer of the agents) and 'check' only",
                      NULL, "run", "refresh", "--from", "redis://h", NULL);
    assert_load_error("pgdeck: --from cannot be combined with --once (a viewer is the console; check --from "
                      "reads the fleet)", NULL, "--once", "--from", "redis://h", NULL);
    assert_load_error("pgdeck: --name applies to 'agent', '--from' and 'check --from' only", NULL,
                      "check", "--name", "db1", NULL);
    assert_load_error("pgdeck: --accept-actions applies to 'agent' only", NULL, "--accept-actions", NULL);
    assert_load_error("pgdeck: --metrics-file applies to 'agent' only", NULL,
                      "check", "--metrics-file", "/tmp/m.prom", NULL);
    assert_load_error("pgdeck: --format openmetrics applies to --once only (the agent writes it with "
                      "--metrics-file)", NULL, "check", "--format", "openmetrics", NULL);
    assert_load_error("pgdeck: --from: redis URL: the port must be a number between 1 and 65535", NULL,
                      "check", "--from", "redis://:" SECRET "@h:0", NULL);
}

static void test_config_check_from_reads_the_fleet_url(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "check", "--from", "redis://viewer:" SECRET "@r1/0", "--name", "db1", NULL);
    assert_int_equal(cfg.command, COMMAND_CHECK);
    assert_string_equal(cfg.from, "redis://viewer:" SECRET "@r1/0");
    assert_string_equal(cfg.agent_name, "db1");
    config_free(&cfg);
}

static void test_config_from_opens_a_viewer(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "--from", "redis://viewer:" SECRET "@r1/0", "--name", "db1", NULL);
    assert_int_equal(cfg.command, COMMAND_CONSOLE);
    assert_string_equal(cfg.from, "redis://viewer:" SECRET "@r1/0");
    assert_string_equal(cfg.agent_name, "db1");
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--from", "redis://r1/0", NULL);
    assert_string_equal(cfg.from, "redis://r1/0");
    assert_null(cfg.agent_name);
    config_free(&cfg);
}

static void test_config_agent_actions_and_metrics_file(void **state)
{
    struct config cfg;
    (void)state;
    LOAD_OK(&cfg, NULL, "agent", "--publish", "redis://h", "--name", "a", "--accept-actions", "--metrics-file",
            "/tmp/m.prom", NULL);
    assert_true(cfg.accept_actions);
    assert_string_equal(cfg.metrics_file, "/tmp/m.prom");
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "agent", "--publish", "redis://h", "--name", "a", NULL);
    assert_false(cfg.accept_actions);
    assert_null(cfg.metrics_file);
    config_free(&cfg);
    LOAD_OK(&cfg, NULL, "--once", "--format", "openmetrics", NULL);
    assert_int_equal(cfg.format, FORMAT_OPENMETRICS);
    config_free(&cfg);
}

static void test_config_usage_shows_the_interface(void **state)
{
    (void)state;
    const char *u = config_usage();
    static const char *const lines[] = {
        "pgdeck [OPTIONS] [CONNINFO | postgresql://URI]",
        "-h HOST  -p PORT  -U USER  -d DBNAME     as psql; libpq env and .pgpass apply",
        "--replica CONNINFO        default $DATABASE_READ_REPLICA_URL",
        "--redis URL               default $REDIS_URL       (redis://host:port/db)",
        "--pgbouncer CONNINFO      default $PGBOUNCER_URL   (its admin database)",
        "-R, --read-only           viewer mode",
        "-i, --interval SECONDS    refresh interval, default 1 (0.2 .. 60)",
        "--theme NAME|FILE  --config FILE  --ascii  --no-color (NO_COLOR too)",
        "--once [--format text|json|openmetrics] one snapshot, then exit",
        "check                                   alerts, exit 0 OK 1 WARN 2 CRIT 3 UNKNOWN",
        "run refresh  [--stale | VIEW...] [--dry-run]",
        "run partitions [TABLE...] [--premake N] [--retention INTERVAL] [--drop] [--dry-run]",
        "run indexes  [--plan FILE | --advise] [--dry-run]",
        "run track-views | untrack-views [--dry-run]   time every REFRESH (superuser)",
        "agent --publish REDIS_URL --name NAME [--maxlen N]  collect, publish to Redis",
        "[--accept-actions] [--metrics-file PATH]",
        "--from REDIS_URL [--name NAME]          viewer of an agent, or the fleet; no database",
        "check --from REDIS_URL [--name NAME]    the fleet of agents (as check)",
        "--help  --version",
        NULL,
    };
    for (const char *const *l = lines; *l; l++)
        if (!strstr(u, *l))
            fail_msg("usage lacks: %s", *l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_are_the_guides),
        cmocka_unit_test(test_config_file_beats_defaults),
        cmocka_unit_test(test_config_environment_beats_file),
        cmocka_unit_test(test_config_options_beat_environment),
        cmocka_unit_test(test_config_options_beat_file_for_run_settings),
        cmocka_unit_test(test_config_psql_options_layer_over_database_url),
        cmocka_unit_test(test_config_psql_options_alone_make_the_primary),
        cmocka_unit_test(test_config_positional_uri_beats_database_url),
        cmocka_unit_test(test_config_empty_environment_variable_counts_as_unset),
        cmocka_unit_test(test_config_pool_and_timeouts_from_guide_variables),
        cmocka_unit_test(test_config_no_color_from_any_non_empty_value),
        cmocka_unit_test(test_config_ascii_follows_the_locale_charset),
        cmocka_unit_test(test_config_read_only_and_batch_flags),
        cmocka_unit_test(test_config_h_is_host_and_help_is_long_only),
        cmocka_unit_test(test_config_help_ignores_a_broken_config_file),
        cmocka_unit_test(test_config_check_command),
        cmocka_unit_test(test_config_run_partitions_with_options_between_the_words),
        cmocka_unit_test(test_config_run_partitions_options_first),
        cmocka_unit_test(test_config_run_refresh_stale_or_views),
        cmocka_unit_test(test_config_run_indexes_with_plan),
        cmocka_unit_test(test_config_double_dash_ends_options),
        cmocka_unit_test(test_config_can_be_loaded_again_and_again),
        cmocka_unit_test(test_config_error_inside_an_option_cluster_does_not_leak_into_the_next_load),
        cmocka_unit_test(test_config_words_and_options_mix_even_with_posixly_correct),
        cmocka_unit_test(test_config_unknown_long_option_is_named),
        cmocka_unit_test(test_config_unknown_short_option_is_named),
        cmocka_unit_test(test_config_ambiguous_option_is_named),
        cmocka_unit_test(test_config_flag_given_an_argument_is_an_error),
        cmocka_unit_test(test_config_missing_argument_is_named),
        cmocka_unit_test(test_config_catalog_interval),
        cmocka_unit_test(test_config_bad_interval_is_rejected),
        cmocka_unit_test(test_config_numbers_refuse_nan_inf_and_trailing_garbage),
        cmocka_unit_test(test_config_bad_option_values_are_rejected),
        cmocka_unit_test(test_config_unknown_run_kind_is_rejected),
        cmocka_unit_test(test_config_advise_and_track_views),
        cmocka_unit_test(test_config_unknown_command_word_is_rejected),
        cmocka_unit_test(test_config_misplaced_words_and_flags_are_rejected),
        cmocka_unit_test(test_config_second_positional_conninfo_is_rejected),
        cmocka_unit_test(test_config_bad_environment_values_name_the_variable),
        cmocka_unit_test(test_config_pool_min_above_max_names_both_sources),
        cmocka_unit_test(test_config_file_unknown_key_names_file_and_line),
        cmocka_unit_test(test_config_file_bad_value_names_file_line_and_key),
        cmocka_unit_test(test_config_file_unknown_section_names_its_line),
        cmocka_unit_test(test_config_file_bad_line_syntax_names_its_line),
        cmocka_unit_test(test_config_missing_config_file_is_an_error),
        cmocka_unit_test(test_config_missing_default_file_is_fine),
        cmocka_unit_test(test_config_default_file_is_found_under_xdg_then_home),
        cmocka_unit_test(test_config_file_comments_indentation_and_quotes),
        cmocka_unit_test(test_config_file_long_connection_line_is_read_whole),
        cmocka_unit_test(test_config_file_lines_up_to_65536_bytes_are_read),
        cmocka_unit_test(test_config_file_paths_are_relative_to_the_file),
        cmocka_unit_test(test_config_alert_thresholds_from_file),
        cmocka_unit_test(test_config_retention_most_specific_entry_wins),
        cmocka_unit_test(test_config_retention_names_are_sql_identifiers),
        cmocka_unit_test(test_config_run_names_are_sql_identifiers),
        cmocka_unit_test(test_config_errors_never_show_a_password),
        cmocka_unit_test(test_config_failed_load_leaves_nothing_to_free),
        cmocka_unit_test(test_config_agent_reads_publish_name_and_maxlen),
        cmocka_unit_test(test_config_agent_needs_publish_and_a_valid_name),
        cmocka_unit_test(test_config_agent_options_go_with_their_commands),
        cmocka_unit_test(test_config_check_from_reads_the_fleet_url),
        cmocka_unit_test(test_config_from_opens_a_viewer),
        cmocka_unit_test(test_config_agent_actions_and_metrics_file),
        cmocka_unit_test(test_config_usage_shows_the_interface),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
