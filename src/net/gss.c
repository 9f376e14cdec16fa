/* GSS encryption that cannot happen, not asked for.
 *
 * libpq's default gssencmode is "prefer": before every TCP connection it
 * calls gss_acquire_cred to learn whether the user has Kerberos
 * credentials, and uses GSS encryption only if so.  Finding out loads and
 * initialises MIT krb5 (its configuration, its credential cache types,
 * its crypto): about 1 MB of pgdeck's resident memory at the bench's scale
 * (13.3 MB against 12.3 with it off, issue 14 aim 3), on every host where
 * Kerberos was never set up.
 *
 * Where no credential can exist, pgdeck sets gssencmode=disable itself and
 * the connection is the one libpq would have made.  "Cannot exist" is
 * judged the way MIT krb5 (Debian's) looks for them, and errs towards
 * asking: any KRB5* or GSS_* variable in the environment (KRB5CCNAME,
 * KRB5_CONFIG, KRB5_CLIENT_KTNAME, GSS_USE_PROXY, GSS_MECH_CONFIG, ...),
 * a krb5 configuration (which may name another cache or keytab), a GSS
 * mechanism configuration (gssproxy, NTLM), the default credential cache
 * FILE:/tmp/krb5cc_UID, or the default client keytab
 * /etc/krb5/user/EUID/client.keytab; any of these and libpq is left to
 * ask.  Unix-socket connections never try GSS encryption: nothing changes
 * for them. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/gss.h"

extern char **environ;

static bool exists(const char *root, const char *path)
{
    char full[4096];
    struct stat st;
    int n = snprintf(full, sizeof full, "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof full)
        return true;            /* cannot tell: let libpq ask */
    return lstat(full, &st) == 0;
}

static bool dir_has_entries(const char *root, const char *path)
{
    char full[4096];
    int n = snprintf(full, sizeof full, "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof full)
        return true;
    DIR *d = opendir(full);
    if (!d)
        return exists(root, path);      /* a file where a directory is expected */
    bool any = false;
    for (struct dirent *e; !any && (e = readdir(d)) != NULL;)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

bool gss_credentials_possible(const char *root)
{
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "KRB5", 4) == 0 || strncmp(*e, "GSS_", 4) == 0)
            return true;
    char cache[64], keytab[64];
    snprintf(cache, sizeof cache, "/tmp/krb5cc_%lu", (unsigned long)getuid());
    snprintf(keytab, sizeof keytab, "/etc/krb5/user/%lu/client.keytab", (unsigned long)geteuid());
    return exists(root, "/etc/krb5.conf") || exists(root, "/etc/gss/mech")
        || dir_has_entries(root, "/etc/gss/mech.d")
        || exists(root, cache) || exists(root, keytab);
}

void gss_skip_when_impossible(struct conninfo *ci, const char *root)
{
    static const char *const chosen_by_user[] = { "gssencmode", "service" };
    for (size_t i = 0; i < sizeof chosen_by_user / sizeof chosen_by_user[0]; i++)
        if (conninfo_get(ci, chosen_by_user[i]))
            return;
    if (getenv("PGGSSENCMODE") || getenv("PGSERVICE") || getenv("PGSERVICEFILE"))
        return;
    if (!gss_credentials_possible(root))
        conninfo_set(ci, "gssencmode", "disable");
}
