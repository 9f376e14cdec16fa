/* GSS encryption is turned off only where no Kerberos credential can
 * exist (src/net/gss.c), and never against the user's own choice.  Each
 * test builds a fake filesystem root in a temporary directory. */

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

#include "net/gss.h"

extern char **environ;

static char root[64];

/* Make the directories of root + path, the last one included. */
static void make_dirs(const char *path)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s%s/", root, path);
    for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
}

/* An empty file at root + path. */
static void put(const char *path)
{
    char full[256], dir[256];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    make_dirs(dir);
    snprintf(full, sizeof full, "%s%s", root, path);
    FILE *f = fopen(full, "w");
    assert_non_null(f);
    fclose(f);
}

/* The machine the tests run on may have Kerberos variables of its own. */
static void unset_kerberos_environment(void)
{
    for (;;) {
        char name[256] = "";
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, "KRB5", 4) == 0 || strncmp(*e, "GSS_", 4) == 0) {
                size_t n = strcspn(*e, "=");
                snprintf(name, sizeof name, "%.*s", (int)n, *e);
                break;
            }
        if (!name[0])
            break;
        unsetenv(name);
    }
    unsetenv("PGGSSENCMODE");
    unsetenv("PGSERVICE");
    unsetenv("PGSERVICEFILE");
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/pgdeck-test-gss.XXXXXX");
    assert_non_null(mkdtemp(root));
    unset_kerberos_environment();
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* gssencmode after gss_skip_when_impossible on the set `text` (NULL: unset). */
static char *gssencmode_after(const char *text)
{
    struct conninfo ci;
    char err[256];
    assert_int_equal(conninfo_parse(&ci, text, err, sizeof err), 0);
    gss_skip_when_impossible(&ci, root);
    const char *v = conninfo_get(&ci, "gssencmode");
    char *out = v ? strdup(v) : NULL;
    conninfo_free(&ci);
    return out;
}

static void assert_gssencmode(const char *text, const char *want)
{
    char *got = gssencmode_after(text);
    if (want == NULL && got != NULL)
        fail_msg("gssencmode=%s was set for \"%s\"; libpq should have been left to ask", got, text);
    if (want != NULL && (got == NULL || strcmp(got, want) != 0))
        fail_msg("gssencmode is %s for \"%s\", wanted %s", got ? got : "(unset)", text, want);
    free(got);
}

static void test_no_kerberos_anywhere_disables_gss_encryption(void **state)
{
    (void)state;
    assert_false(gss_credentials_possible(root));
    assert_gssencmode("host=127.0.0.1 port=5432", "disable");
    /* an empty mechanism directory (Debian ships /etc/gss/mech.d empty) */
    make_dirs("/etc/gss/mech.d");
    assert_false(gss_credentials_possible(root));
    assert_gssencmode("host=127.0.0.1", "disable");
}

static void test_a_krb5_configuration_leaves_libpq_to_ask(void **state)
{
    (void)state;
    put("/etc/krb5.conf");
    assert_true(gss_credentials_possible(root));
    assert_gssencmode("host=db.example", NULL);
}

static void test_the_default_credential_cache_leaves_libpq_to_ask(void **state)
{
    char path[64];
    (void)state;
    snprintf(path, sizeof path, "/tmp/krb5cc_%lu", (unsigned long)getuid());
    put(path);
    assert_true(gss_credentials_possible(root));
    assert_gssencmode("host=db.example", NULL);
}

static void test_a_client_keytab_leaves_libpq_to_ask(void **state)
{
    char path[80];
    (void)state;
    snprintf(path, sizeof path, "/etc/krb5/user/%lu/client.keytab", (unsigned long)geteuid());
    put(path);
    assert_true(gss_credentials_possible(root));
}

static void test_a_gss_mechanism_configuration_leaves_libpq_to_ask(void **state)
{
    (void)state;
    put("/etc/gss/mech.d/proxymech.conf");
    assert_true(gss_credentials_possible(root));
    assert_gssencmode("host=db.example", NULL);
}

static void test_kerberos_variables_leave_libpq_to_ask(void **state)
{
    static const char *const names[] = { "KRB5CCNAME", "KRB5_CONFIG", "KRB5_CLIENT_KTNAME", "GSS_USE_PROXY" };
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        setenv(names[i], "FILE:/nowhere", 1);
        if (!gss_credentials_possible(root))
            fail_msg("%s in the environment was not seen", names[i]);
        assert_gssencmode("host=db.example", NULL);
        unsetenv(names[i]);
    }
    assert_false(gss_credentials_possible(root));
}

static void test_the_users_own_choice_is_kept(void **state)
{
    (void)state;
    assert_gssencmode("host=db.example gssencmode=require", "require");
    assert_gssencmode("host=db.example gssencmode=prefer", "prefer");
    assert_gssencmode("service=reports", NULL);
    setenv("PGGSSENCMODE", "require", 1);
    assert_gssencmode("host=db.example", NULL);
    unsetenv("PGGSSENCMODE");
    setenv("PGSERVICE", "reports", 1);
    assert_gssencmode("host=db.example", NULL);
    unsetenv("PGSERVICE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_kerberos_anywhere_disables_gss_encryption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_krb5_configuration_leaves_libpq_to_ask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_default_credential_cache_leaves_libpq_to_ask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_client_keytab_leaves_libpq_to_ask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_gss_mechanism_configuration_leaves_libpq_to_ask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kerberos_variables_leave_libpq_to_ask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_users_own_choice_is_kept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
