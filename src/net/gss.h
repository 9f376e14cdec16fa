#ifndef PGDECK_GSS_H
#define PGDECK_GSS_H

#include <stdbool.h>

#include "net/conninfo.h"

/* Whether GSSAPI could find Kerberos credentials for this user: a
 * Kerberos or GSSAPI variable in the environment, a krb5 or GSS mechanism
 * configuration, the default credential cache or the default client
 * keytab.  `root` is prefixed to those paths ("" on a real system; a
 * directory in the tests). */
bool gss_credentials_possible(const char *root);

/* libpq's default gssencmode=prefer asks GSSAPI on every TCP connection
 * whether credentials exist, which loads and initialises krb5.  Where none
 * can, set gssencmode=disable: libpq would not use GSS encryption either.
 * A gssencmode, service or service file the user set (in `ci` or in the
 * environment) is left alone. */
void gss_skip_when_impossible(struct conninfo *ci, const char *root);

#endif
