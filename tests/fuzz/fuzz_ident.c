/* libFuzzer target for the identifier parser (src/base/ident.c): arbitrary
 * bytes as a name the operator typed or wrote in [retention].
 *
 *   TARGETS=fuzz_ident sh tests/fuzz/build.sh run 60
 *
 * Besides not crashing, the parser must keep its promises: a name it
 * accepts has a schema and a name, each non-empty, at most 63 bytes and
 * valid UTF-8; quoting both parts and parsing again gives the same two
 * parts (what is looked up is what was meant); a refusal says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_part(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IDENT_MAX_BYTES)
        abort();
    if (!utf8_valid(s, n))
        abort();
}

/* "part" with quotes doubled. */
static char *quote(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 3), *o = out;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *o++ = '"';
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';                  /* a NUL ends the text, as in C */

    char *schema = NULL, *name = NULL, err[256];
    if (ident_parse_qualified(text, "public", &schema, &name, err, sizeof err) != 0) {
        if (schema || name || !err[0])
            abort();
        free(text);
        return 0;
    }
    check_part(schema);
    check_part(name);

    char *qs = quote(schema), *qn = quote(name);
    char *again = malloc(strlen(qs) + strlen(qn) + 2);
    strcpy(again, qs);
    strcat(again, ".");
    strcat(again, qn);
    char *s2 = NULL, *n2 = NULL;
    if (ident_parse_qualified(again, "elsewhere", &s2, &n2, err, sizeof err) != 0)
        abort();
    if (strcmp(s2, schema) != 0 || strcmp(n2, name) != 0)
        abort();
    free(s2);
    free(n2);
    free(again);
    free(qs);
    free(qn);
    free(schema);
    free(name);
    free(text);
    return 0;
}
