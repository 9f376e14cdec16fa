/* Connection descriptions: parsing, layering, display, password masking,
 * Redis URLs. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net/conninfo.h"
#include "net/resolve.h"

#define SECRET "S3cr3tPw"

static void assert_no_secret(const char *text, const char *secret)
{
    if (strstr(text, secret))
        fail_msg("'%s' shows the password '%s'", text, secret);
}

static void assert_mask(const char *in, const char *want)
{
    char *out = conninfo_mask(in);
    assert_string_equal(out, want);
    free(out);
}

/* ---- parsing ---- */

static void test_conninfo_parses_keyword_value_string(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "host=db1 port=5433 dbname=app application_name='my app'",
                                    err, sizeof err), 0);
    assert_int_equal(ci.count, 4);
    assert_string_equal(conninfo_get(&ci, "host"), "db1");
    assert_string_equal(conninfo_get(&ci, "port"), "5433");
    assert_string_equal(conninfo_get(&ci, "dbname"), "app");
    assert_string_equal(conninfo_get(&ci, "application_name"), "my app");
    assert_null(conninfo_get(&ci, "user"));
    conninfo_free(&ci);
}

static void test_conninfo_parses_postgresql_uri(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "postgresql://alice:" SECRET "@db.example:6432/learn?sslmode=require",
                                    err, sizeof err), 0);
    assert_string_equal(conninfo_get(&ci, "user"), "alice");
    assert_string_equal(conninfo_get(&ci, "password"), SECRET);
    assert_string_equal(conninfo_get(&ci, "host"), "db.example");
    assert_string_equal(conninfo_get(&ci, "port"), "6432");
    assert_string_equal(conninfo_get(&ci, "dbname"), "learn");
    assert_string_equal(conninfo_get(&ci, "sslmode"), "require");
    assert_int_equal(ci.count, 6);
    conninfo_free(&ci);

    assert_int_equal(conninfo_parse(&ci, "postgres://h/db", err, sizeof err), 0);
    assert_string_equal(conninfo_get(&ci, "host"), "h");
    conninfo_free(&ci);
}

static void test_conninfo_empty_or_null_text_is_an_empty_set(void **state)
{
    struct conninfo ci;
    const char **k, **v;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, NULL, err, sizeof err), 0);
    assert_int_equal(ci.count, 0);
    conninfo_arrays(&ci, &k, &v);
    assert_null(k[0]);
    assert_null(v[0]);
    conninfo_free(&ci);
    assert_int_equal(conninfo_parse(&ci, "", err, sizeof err), 0);
    assert_int_equal(ci.count, 0);
    conninfo_free(&ci);
}

static void test_conninfo_bad_keyword_is_named_in_the_error(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "hots=x", err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid connection string"));
    assert_non_null(strstr(err, "\"hots\""));
    assert_null(strchr(err, '\n'));
    assert_int_equal(ci.count, 0);
}

static void test_conninfo_errors_never_show_the_password(void **state)
{
    static const char *const bad[] = {
        "host=x password=" SECRET " hots=y",
        "host=x password='" SECRET "",                  /* unterminated quote */
        "postgresql://u:" SECRET "@[::1/db",            /* the whole URI is quoted */
        "postgresql://u:" SECRET "@[::1]x/db",
        "postgresql://u:" SECRET "%zz@h/db",            /* bad %-escape in the password */
        "postgresql://u:" SECRET "%00@h/db",
        "postgresql://u:x@h/db?password=" SECRET "%zz",
        "postgresql://u:" SECRET "@h/db?bogus=1",
        "postgresql://u:" SECRET "@h/db?password",
        /* found by fuzzing: masking "password=..." inside the quoted
         * fragment swallowed its closing quote */
        "postgresql://u:" SECRET "%zzpassword=x@h/db",
    };
    struct conninfo ci;
    char err[512];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(conninfo_parse(&ci, bad[i], err, sizeof err), -1);
        assert_true(strlen(err) > 20);
        assert_no_secret(err, SECRET);
    }
}

static void test_conninfo_password_with_a_space_is_not_leaked_by_libpq(void **state)
{
    struct conninfo ci;
    char err[512];
    (void)state;
    /* libpq reads "Tr0ub4dor" as a keyword and says: missing "=" after it */
    assert_int_equal(conninfo_parse(&ci, "host=x password=correct Tr0ub4dor", err, sizeof err), -1);
    assert_no_secret(err, "Tr0ub4dor");
    assert_no_secret(err, "correct");
    assert_non_null(strstr(err, "missing \"=\""));
}

/* ---- the set ---- */

static void test_conninfo_set_replaces_adds_and_removes(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "host=a port=1", err, sizeof err), 0);
    conninfo_set(&ci, "host", "b");
    assert_string_equal(conninfo_get(&ci, "host"), "b");
    assert_int_equal(ci.count, 2);
    conninfo_set(&ci, "user", "u");
    assert_int_equal(ci.count, 3);
    conninfo_set(&ci, "host", NULL);
    assert_int_equal(ci.count, 2);
    assert_null(conninfo_get(&ci, "host"));
    assert_string_equal(conninfo_get(&ci, "port"), "1");
    assert_string_equal(conninfo_get(&ci, "user"), "u");
    conninfo_set(&ci, "nothere", NULL);
    assert_int_equal(ci.count, 2);
    conninfo_free(&ci);
}

static void test_conninfo_set_on_an_empty_set_works(void **state)
{
    struct conninfo ci = { 0 };
    (void)state;
    conninfo_set(&ci, "dbname", "x");
    assert_string_equal(conninfo_get(&ci, "dbname"), "x");
    conninfo_free(&ci);
    assert_int_equal(ci.count, 0);
    assert_null(ci.keywords);
}

static void test_conninfo_arrays_are_null_terminated_and_follow_changes(void **state)
{
    struct conninfo ci;
    const char **k, **v;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "host=a dbname=d", err, sizeof err), 0);
    conninfo_set(&ci, "application_name", "pgdeck");
    conninfo_set(&ci, "host", NULL);
    conninfo_arrays(&ci, &k, &v);
    int n = 0;
    while (k[n])
        n++;
    assert_int_equal(n, 2);
    assert_null(v[2]);
    assert_string_equal(k[0], "dbname");
    assert_string_equal(v[0], "d");
    assert_string_equal(k[1], "application_name");
    assert_string_equal(v[1], "pgdeck");
    conninfo_free(&ci);
}

static void test_conninfo_copy_is_independent(void **state)
{
    struct conninfo a, b;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&a, "host=a user=u", err, sizeof err), 0);
    conninfo_copy(&b, &a);
    conninfo_set(&a, "host", "changed");
    assert_string_equal(conninfo_get(&b, "host"), "a");
    assert_string_equal(conninfo_get(&b, "user"), "u");
    conninfo_free(&a);
    assert_string_equal(conninfo_get(&b, "user"), "u");
    conninfo_free(&b);
}

static void test_conninfo_psql_options_layer_over_a_uri(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    /* what config does with -h other -p 6000 on top of DATABASE_URL */
    assert_int_equal(conninfo_parse(&ci, "postgresql://app:" SECRET "@dbhost:5433/learn", err, sizeof err), 0);
    conninfo_set(&ci, "host", "other");
    conninfo_set(&ci, "port", "6000");
    assert_string_equal(conninfo_get(&ci, "host"), "other");
    assert_string_equal(conninfo_get(&ci, "port"), "6000");
    assert_string_equal(conninfo_get(&ci, "user"), "app");
    assert_string_equal(conninfo_get(&ci, "dbname"), "learn");
    assert_string_equal(conninfo_get(&ci, "password"), SECRET);
    conninfo_free(&ci);
}

/* ---- display ---- */

static void test_conninfo_display_lists_main_keys_first_and_masks_password(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    assert_int_equal(conninfo_parse(&ci, "sslmode=require password=" SECRET " dbname=d user=u port=5 host=h",
                                    err, sizeof err), 0);
    char *d = conninfo_display(&ci);
    assert_string_equal(d, "host=h port=5 user=u dbname=d sslmode=require password=********");
    assert_no_secret(d, SECRET);
    free(d);
    conninfo_free(&ci);
}

/* The title's pairs name the port libpq takes from PGPORT (and the host
 * from PGHOST) when the conninfo leaves them out; the one-line display
 * keeps to what was given.  First in main: libpq's defaults are read
 * once a process. */
static void test_conninfo_display_pairs_add_libpq_host_and_port(void **state)
{
    struct conninfo ci;
    char err[256];
    (void)state;
    setenv("PGPORT", "6543", 1);
    setenv("PGHOST", "/run/pg", 1);
    assert_int_equal(conninfo_parse(&ci, "dbname=d user=u", err, sizeof err), 0);
    int n = 0;
    char **pairs = conninfo_display_pairs(&ci, &n);
    assert_int_equal(n, 4);
    assert_string_equal(pairs[0], "host=/run/pg");
    assert_string_equal(pairs[1], "port=6543");
    assert_string_equal(pairs[2], "user=u");
    assert_string_equal(pairs[3], "dbname=d");
    for (int i = 0; i < n; i++)
        free(pairs[i]);
    free(pairs);
    char *d = conninfo_display(&ci);
    assert_string_equal(d, "user=u dbname=d");
    free(d);
    conninfo_free(&ci);
    /* A port given is the one shown; a hostaddr is a host. */
    assert_int_equal(conninfo_parse(&ci, "hostaddr=10.0.0.1 port=5433", err, sizeof err), 0);
    pairs = conninfo_display_pairs(&ci, &n);
    assert_int_equal(n, 2);
    assert_string_equal(pairs[0], "hostaddr=10.0.0.1");
    assert_string_equal(pairs[1], "port=5433");
    for (int i = 0; i < n; i++)
        free(pairs[i]);
    free(pairs);
    conninfo_free(&ci);
    unsetenv("PGPORT");
    unsetenv("PGHOST");
}

static void test_conninfo_display_masks_a_password_inside_dbname(void **state)
{
    struct conninfo ci = { 0 };
    (void)state;
    /* libpq expands a conninfo or URI given as dbname, password included */
    conninfo_set(&ci, "dbname", "postgresql://u:" SECRET "@h/db");
    conninfo_set(&ci, "sslpassword", SECRET);
    char *d = conninfo_display(&ci);
    assert_no_secret(d, SECRET);
    assert_non_null(strstr(d, "sslpassword=********"));
    free(d);
    conninfo_free(&ci);
}

static void test_conninfo_display_quotes_values_with_spaces(void **state)
{
    struct conninfo ci = { 0 };
    (void)state;
    conninfo_set(&ci, "application_name", "it's me");
    char *d = conninfo_display(&ci);
    assert_string_equal(d, "application_name='it\\'s me'");
    free(d);
    conninfo_free(&ci);
    char *e = conninfo_display(&ci);
    assert_string_equal(e, "");
    free(e);
}

static void test_conninfo_display_is_one_line_without_controls(void **state)
{
    struct conninfo ci = { 0 };
    (void)state;
    conninfo_set(&ci, "application_name", "a\nb\x1b[2J");
    char *d = conninfo_display(&ci);
    assert_string_equal(d, "application_name='a b^[[2J'");
    free(d);
    conninfo_free(&ci);
}

/* ---- mask ---- */

static void test_conninfo_mask_hides_conninfo_password(void **state)
{
    (void)state;
    assert_mask("host=h password=" SECRET " user=u", "host=h password=******** user=u");
    assert_mask("host=h password = " SECRET, "host=h password = ********");
    assert_mask("PASSWORD=" SECRET, "PASSWORD=********");
    assert_mask("sslpassword=" SECRET " x=1", "sslpassword=******** x=1");
    assert_mask("PGPASSWORD=" SECRET, "PGPASSWORD=********");
    /* libpq skips any white space around '=', vertical tab included
     * (found by fuzzing) */
    assert_mask("password=\v" SECRET, "password=\v********");
    assert_mask("password\n=\f" SECRET " x", "password\n=\f******** x");
}

static void test_conninfo_mask_hides_quoted_password_with_escapes(void **state)
{
    (void)state;
    assert_mask("host=h password='a b\\' c' port=5", "host=h password=******** port=5");
    assert_mask("password='unterminated and long", "password=********");
}

static void test_conninfo_mask_hides_uri_userinfo_password(void **state)
{
    (void)state;
    assert_mask("postgresql://user:" SECRET "@host/db", "postgresql://user:********@host/db");
    assert_mask("postgres://u:" SECRET "@h1:5432,h2:5433/db", "postgres://u:********@h1:5432,h2:5433/db");
    assert_mask("connection to postgresql://u:" SECRET "@h/db failed",
                "connection to postgresql://u:********@h/db failed");
}

static void test_conninfo_mask_hides_redis_url_password(void **state)
{
    (void)state;
    assert_mask("redis://:" SECRET "@cache:6379/0", "redis://:********@cache:6379/0");
    assert_mask("redis://default:" SECRET "@cache", "redis://default:********@cache");
}

static void test_conninfo_mask_hides_uri_query_password(void **state)
{
    (void)state;
    assert_mask("postgresql:///db?host=/tmp&password=" SECRET "&sslmode=disable",
                "postgresql:///db?host=/tmp&password=********&sslmode=disable");
    assert_mask("postgresql://h/db?password=" SECRET, "postgresql://h/db?password=********");
    /* a URI without userinfo must not hide what follows (found by fuzzing) */
    assert_mask("redis://h password=" SECRET, "redis://h password=********");
    assert_mask("postgres://a b password=" SECRET "@h", "postgres://a b password=********");
}

static void test_conninfo_mask_leaves_text_without_password_alone(void **state)
{
    (void)state;
    assert_mask("postgresql://user@host:5432/db", "postgresql://user@host:5432/db");
    assert_mask("host=h options='-c password_encryption=scram-sha-256'",
                "host=h options='-c password_encryption=scram-sha-256'");
    assert_mask("mypassword=x", "mypassword=x");
    assert_mask("", "");
    char *m = conninfo_mask(NULL);
    assert_string_equal(m, "");
    free(m);
}

static void test_conninfo_mask_is_idempotent(void **state)
{
    (void)state;
    assert_mask("password=******** postgresql://u:********@h", "password=******** postgresql://u:********@h");
}

/* ---- Redis ---- */

static void test_redis_target_parses_host_port_db(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://cache.example:6380/2", err, sizeof err), 0);
    assert_string_equal(t.host, "cache.example");
    assert_int_equal(t.port, 6380);
    assert_int_equal(t.db, 2);
    assert_null(t.password);
    assert_null(t.socket_path);
    redis_target_free(&t);
}

static void test_redis_target_defaults_port_6379_db_0(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://localhost", err, sizeof err), 0);
    assert_string_equal(t.host, "localhost");
    assert_int_equal(t.port, 6379);
    assert_int_equal(t.db, 0);
    redis_target_free(&t);
    assert_int_equal(redis_target_parse(&t, "redis://", err, sizeof err), 0);
    assert_string_equal(t.host, "127.0.0.1");
    redis_target_free(&t);
}

static void test_redis_target_reads_password_forms(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://:" SECRET "@h:1/3", err, sizeof err), 0);
    assert_string_equal(t.password, SECRET);
    assert_int_equal(t.db, 3);
    redis_target_free(&t);
    assert_int_equal(redis_target_parse(&t, "redis://default:p%40ss%3Aw@h", err, sizeof err), 0);
    assert_string_equal(t.password, "p@ss:w");
    assert_string_equal(t.host, "h");
    redis_target_free(&t);
    assert_int_equal(redis_target_parse(&t, "redis://h?password=" SECRET "&db=4", err, sizeof err), 0);
    assert_string_equal(t.password, SECRET);
    assert_int_equal(t.db, 4);
    redis_target_free(&t);
    /* a user without a password is no password */
    assert_int_equal(redis_target_parse(&t, "redis://someone@h", err, sizeof err), 0);
    assert_null(t.password);
    redis_target_free(&t);
}

static void test_redis_target_reads_acl_user(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://pgdeck%2Dviewer:" SECRET "@h:6380/2", err, sizeof err), 0);
    assert_string_equal(t.user, "pgdeck-viewer");
    assert_string_equal(t.password, SECRET);
    assert_int_equal(t.port, 6380);
    assert_int_equal(t.db, 2);
    char *d = redis_target_display(&t);
    assert_no_secret(d, SECRET);
    free(d);
    redis_target_free(&t);
    assert_null(t.user);
    /* "default" is who a connection is before AUTH: no user, as Redis 5 */
    assert_int_equal(redis_target_parse(&t, "redis://default:" SECRET "@h", err, sizeof err), 0);
    assert_null(t.user);
    assert_string_equal(t.password, SECRET);
    redis_target_free(&t);
    /* a user alone is a nopass ACL user */
    assert_int_equal(redis_target_parse(&t, "redis://agent@h", err, sizeof err), 0);
    assert_string_equal(t.user, "agent");
    assert_null(t.password);
    redis_target_free(&t);
    assert_int_equal(redis_target_parse(&t, "unix://agent:" SECRET "@/tmp/r.sock", err, sizeof err), 0);
    assert_string_equal(t.user, "agent");
    assert_string_equal(t.password, SECRET);
    redis_target_free(&t);
    /* a user name that could not be sent as one word */
    assert_int_equal(redis_target_parse(&t, "redis://a%20b:" SECRET "@h", err, sizeof err), -1);
    assert_non_null(strstr(err, "user name"));
    assert_no_secret(err, SECRET);
    assert_int_equal(redis_target_parse(&t, "redis://a%zz:" SECRET "@h", err, sizeof err), -1);
    assert_non_null(strstr(err, "user name"));
    assert_no_secret(err, SECRET);
}

static void test_redis_target_reads_ipv6_host(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://[::1]:7000/1", err, sizeof err), 0);
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 7000);
    char *d = redis_target_display(&t);
    assert_string_equal(d, "[::1]:7000/1");
    free(d);
    redis_target_free(&t);
}

static void test_redis_target_reads_unix_socket(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "unix:///run/redis/redis.sock?db=5", err, sizeof err), 0);
    assert_null(t.host);
    assert_string_equal(t.socket_path, "/run/redis/redis.sock");
    assert_int_equal(t.db, 5);
    char *d = redis_target_display(&t);
    assert_string_equal(d, "/run/redis/redis.sock/5");
    free(d);
    redis_target_free(&t);
    assert_int_equal(redis_target_parse(&t, "unix://:" SECRET "@/tmp/r.sock", err, sizeof err), 0);
    assert_string_equal(t.password, SECRET);
    assert_string_equal(t.socket_path, "/tmp/r.sock");
    redis_target_free(&t);
}

static void test_redis_target_rejects_rediss_with_a_clear_message(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "rediss://:" SECRET "@h:6380", err, sizeof err), -1);
    assert_non_null(strstr(err, "rediss://"));
    assert_non_null(strstr(err, "TLS"));
    assert_no_secret(err, SECRET);
}

static void test_redis_target_errors_name_the_problem_without_password(void **state)
{
    static const struct { const char *url, *says; } bad[] = {
        { "redis://:" SECRET "@h:99999", "port" },
        { "redis://:" SECRET "@h:abc", "port" },
        { "redis://:" SECRET "@h/x", "database number" },
        { "redis://:" SECRET "%zz@h", "%-escape" },
        { "redis://:" SECRET "@h?bogus=1", "unknown parameter 'bogus'" },
        { "http://:" SECRET "@h", "not a redis URL" },
        { ":" SECRET "@h:6379", "not a redis URL" },
        { "unix://", "socket path" },
        { "", "empty" },
    };
    struct redis_target t;
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(redis_target_parse(&t, bad[i].url, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].url, err, bad[i].says);
        assert_no_secret(err, SECRET);
        assert_null(t.host);
        assert_null(t.password);
    }
}

static void test_redis_target_display_has_no_password(void **state)
{
    struct redis_target t;
    char err[256];
    (void)state;
    assert_int_equal(redis_target_parse(&t, "redis://:" SECRET "@127.0.0.1:6379/0", err, sizeof err), 0);
    char *d = redis_target_display(&t);
    assert_string_equal(d, "127.0.0.1:6379/0");
    free(d);
    redis_target_free(&t);
}

/* ---- host names looked up before libpq connects ---- */

/* The harness exports PGHOST and PGPORT: start from libpq's plain defaults. */
static void clear_pg_env(void)
{
    unsetenv("PGHOST");
    unsetenv("PGHOSTADDR");
    unsetenv("PGPORT");
    unsetenv("PGSERVICE");
}

static void parse_ok(struct conninfo *ci, const char *text)
{
    char err[256];
    assert_int_equal(conninfo_parse(ci, text, err, sizeof err), 0);
}

static int names_of(const char *text, char ***names)
{
    struct conninfo ci;
    parse_ok(&ci, text);
    int n = conninfo_host_names(&ci, names);
    conninfo_free(&ci);
    return n;
}

static void test_host_names_are_the_names_libpq_would_look_up(void **state)
{
    (void)state;
    clear_pg_env();
    char **names;
    /* Sockets ("/dir", "@abstract"), the default socket (empty), numeric
     * addresses and repeats need no lookup of their own. */
    int n = names_of("host=/tmp,@abs,,127.0.0.1,::1,fe80::1%lo,db1,db2,db1 port=5432", &names);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "db1");
    assert_string_equal(names[1], "db2");
    conninfo_names_free(names, n);

    assert_int_equal(names_of("host=/run/postgresql", &names), 0);
    assert_null(names);
    assert_int_equal(names_of("dbname=x", &names), 0);
    assert_int_equal(names_of("host=127.0.0.1,::1", &names), 0);
}

static void test_host_names_are_left_to_libpq_when_it_decides(void **state)
{
    (void)state;
    clear_pg_env();
    char **names;
    /* hostaddr given: the caller chose the addresses. */
    assert_int_equal(names_of("host=db1 hostaddr=10.0.0.1", &names), 0);
    /* A service file may set host, hostaddr or port itself. */
    assert_int_equal(names_of("host=db1 service=prod", &names), 0);
    /* Three ports for two hosts: libpq refuses it with its own message. */
    assert_int_equal(names_of("host=db1,db2 port=1,2,3", &names), 0);
    setenv("PGHOSTADDR", "10.0.0.1", 1);
    assert_int_equal(names_of("host=db1", &names), 0);
    clear_pg_env();
    setenv("PGSERVICE", "prod", 1);
    assert_int_equal(names_of("host=db1", &names), 0);
    clear_pg_env();
}

static void test_host_names_come_from_pghost_as_libpq_reads_it(void **state)
{
    (void)state;
    clear_pg_env();
    setenv("PGHOST", "db3,/tmp", 1);
    char **names;
    int n = names_of("dbname=x", &names);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "db3");
    conninfo_names_free(names, n);
    /* The conninfo's own host wins over PGHOST. */
    assert_int_equal(names_of("host=/tmp", &names), 0);
    clear_pg_env();
}

static void test_with_addresses_gives_every_address_its_entry(void **state)
{
    (void)state;
    clear_pg_env();
    struct conninfo ci, out;
    parse_ok(&ci, "host=/sock,db1,10.0.0.9,gone port=1,2,3,4 user=u sslmode=verify-full");
    char *db1[] = { "10.0.0.1", "fd00::1" };
    struct resolve_answer answers[] = {
        { .name = "db1", .count = 2, .addrs = db1 },
        { .name = "gone", .count = 0, .error = "could not translate host name \"gone\" to address: x" },
    };
    assert_int_equal(conninfo_with_addresses(&out, &ci, answers, 2), 4);
    /* host keeps the names (TLS, GSSAPI and .pgpass see them); hostaddr
     * says where to connect; the ports follow their hosts; a name without
     * an address is left out. */
    assert_string_equal(conninfo_get(&out, "host"), "/sock,db1,db1,10.0.0.9");
    assert_string_equal(conninfo_get(&out, "hostaddr"), ",10.0.0.1,fd00::1,10.0.0.9");
    assert_string_equal(conninfo_get(&out, "port"), "1,2,2,3");
    assert_string_equal(conninfo_get(&out, "user"), "u");
    assert_string_equal(conninfo_get(&out, "sslmode"), "verify-full");
    conninfo_free(&out);
    conninfo_free(&ci);
}

static void test_with_addresses_keeps_one_port_for_all(void **state)
{
    (void)state;
    clear_pg_env();
    struct conninfo ci, out;
    parse_ok(&ci, "host=,db1 port=5433");
    char *db1[] = { "192.0.2.7", "192.0.2.8" };
    struct resolve_answer answers[] = { { .name = "db1", .count = 2, .addrs = db1 } };
    assert_int_equal(conninfo_with_addresses(&out, &ci, answers, 1), 3);
    /* The empty entry stays the default socket: an empty hostaddr. */
    assert_string_equal(conninfo_get(&out, "host"), ",db1,db1");
    assert_string_equal(conninfo_get(&out, "hostaddr"), ",192.0.2.7,192.0.2.8");
    assert_string_equal(conninfo_get(&out, "port"), "5433");
    conninfo_free(&out);
    conninfo_free(&ci);
}

static void test_with_addresses_is_empty_when_no_name_resolved(void **state)
{
    (void)state;
    clear_pg_env();
    struct conninfo ci, out;
    parse_ok(&ci, "host=gone");
    struct resolve_answer answers[] = { { .name = "gone", .error = "no" } };
    assert_int_equal(conninfo_with_addresses(&out, &ci, answers, 1), 0);
    assert_int_equal(out.count, 0);
    conninfo_free(&ci);
}

static void test_numeric_addresses_are_recognised(void **state)
{
    (void)state;
    assert_true(resolve_is_numeric("127.0.0.1"));
    assert_true(resolve_is_numeric("::1"));
    assert_true(resolve_is_numeric("fe80::1%eth0"));
    assert_false(resolve_is_numeric("localhost"));
    assert_false(resolve_is_numeric("db1.example.com"));
    assert_false(resolve_is_numeric(""));
    assert_false(resolve_is_numeric(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conninfo_display_pairs_add_libpq_host_and_port),
        cmocka_unit_test(test_conninfo_parses_keyword_value_string),
        cmocka_unit_test(test_conninfo_parses_postgresql_uri),
        cmocka_unit_test(test_conninfo_empty_or_null_text_is_an_empty_set),
        cmocka_unit_test(test_conninfo_bad_keyword_is_named_in_the_error),
        cmocka_unit_test(test_conninfo_errors_never_show_the_password),
        cmocka_unit_test(test_conninfo_password_with_a_space_is_not_leaked_by_libpq),
        cmocka_unit_test(test_conninfo_set_replaces_adds_and_removes),
        cmocka_unit_test(test_conninfo_set_on_an_empty_set_works),
        cmocka_unit_test(test_conninfo_arrays_are_null_terminated_and_follow_changes),
        cmocka_unit_test(test_conninfo_copy_is_independent),
        cmocka_unit_test(test_conninfo_psql_options_layer_over_a_uri),
        cmocka_unit_test(test_conninfo_display_lists_main_keys_first_and_masks_password),
        cmocka_unit_test(test_conninfo_display_masks_a_password_inside_dbname),
        cmocka_unit_test(test_conninfo_display_quotes_values_with_spaces),
        cmocka_unit_test(test_conninfo_display_is_one_line_without_controls),
        cmocka_unit_test(test_conninfo_mask_hides_conninfo_password),
        cmocka_unit_test(test_conninfo_mask_hides_quoted_password_with_escapes),
        cmocka_unit_test(test_conninfo_mask_hides_uri_userinfo_password),
        cmocka_unit_test(test_conninfo_mask_hides_redis_url_password),
        cmocka_unit_test(test_conninfo_mask_hides_uri_query_password),
        cmocka_unit_test(test_conninfo_mask_leaves_text_without_password_alone),
        cmocka_unit_test(test_conninfo_mask_is_idempotent),
        cmocka_unit_test(test_redis_target_parses_host_port_db),
        cmocka_unit_test(test_redis_target_defaults_port_6379_db_0),
        cmocka_unit_test(test_redis_target_reads_password_forms),
        cmocka_unit_test(test_redis_target_reads_acl_user),
        cmocka_unit_test(test_redis_target_reads_ipv6_host),
        cmocka_unit_test(test_redis_target_reads_unix_socket),
        cmocka_unit_test(test_redis_target_rejects_rediss_with_a_clear_message),
        cmocka_unit_test(test_redis_target_errors_name_the_problem_without_password),
        cmocka_unit_test(test_redis_target_display_has_no_password),
        cmocka_unit_test(test_host_names_are_the_names_libpq_would_look_up),
        cmocka_unit_test(test_host_names_are_left_to_libpq_when_it_decides),
        cmocka_unit_test(test_host_names_come_from_pghost_as_libpq_reads_it),
        cmocka_unit_test(test_with_addresses_gives_every_address_its_entry),
        cmocka_unit_test(test_with_addresses_keeps_one_port_for_all),
        cmocka_unit_test(test_with_addresses_is_empty_when_no_name_resolved),
        cmocka_unit_test(test_numeric_addresses_are_recognised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
