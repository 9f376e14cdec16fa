/* SQL identifiers (see ident.h).
 *
 * Names used to be split at a dot: `events = 30 days` in [retention] took
 * the text after the last dot and so also matched public."archive.events",
 * and a name typed at the console was resolved by to_regclass through the
 * session's search_path.  Here a name is read the way PostgreSQL's scanner
 * reads it, and the caller looks the result up exactly. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "base/sanitize.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "base/errbuf.h"

/* How many parts a name may have: [schema.]name. */
#define IDENT_MAX_PARTS 2

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* PostgreSQL's scanner: ident_start [A-Za-z\200-\377_], ident_cont adds
 * [0-9$]. */
static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* A bit of the input for a message: harmless and short. */
static char *excerpt(const char *s)
{
    char *clean = sanitize(s, SANITIZE_FOLD);
    if (sanitize_width(clean) <= 20)
        return clean;
    char *cut = xasprintf("%.*s...", (int)sanitize_fit(clean, 17), clean);
    free(clean);
    return cut;
}

void ident_truncate(char *s)
{
    size_t n = strlen(s);
    if (n <= IDENT_MAX_BYTES)
        return;
    n = IDENT_MAX_BYTES;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    s[n] = '\0';
}

char *ident_token_value(const char *token, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    if (n >= 2 && token[0] == '"') {
        for (size_t i = 1; i + 1 < n; i++) {
            out[o++] = token[i];
            if (token[i] == '"' && i + 2 < n && token[i + 1] == '"')
                i++;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            char c = token[i];
            out[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
    }
    out[o] = '\0';
    return out;
}

/* One part at *p: its value in *out (caller frees), *p moved past it.
 * Returns 0, or -1 with the reason. */
static int parse_part(const char **p, char **out, char *err, size_t errlen)
{
    const char *s = *p;
    size_t n;
    if (*s == '"') {
        n = 1;
        for (;;) {
            if (s[n] == '\0') {
                errbuf_set(err, errlen, "a quoted name is not closed (a quote inside one is written \"\")");
                return -1;
            }
            if (s[n] == '"') {
                if (s[n + 1] != '"')
                    break;
                n++;
            }
            n++;
        }
        n++;                                /* the closing quote */
        if (n == 2) {
            errbuf_set(err, errlen, "\"\" is an empty name");
            return -1;
        }
    } else if (is_ident_start((unsigned char)*s)) {
        n = 1;
        while (is_ident_char((unsigned char)s[n]))
            n++;
    } else {
        if (*s == '\0' || *s == '.')
            errbuf_set(err, errlen, "a name is missing %s", *s == '.' ? "before '.'" : "after '.'");
        else {
            char *what = excerpt(s);
            errbuf_set(err, errlen, "'%s' does not start a name (unquoted names start with a letter or '_'; "
                      "quote others: \"1st\")", what);
            free(what);
        }
        return -1;
    }
    char *value = ident_token_value(s, n);
    if (!utf8_valid(value, strlen(value))) {
        free(value);
        errbuf_set(err, errlen, "the name is not valid UTF-8");
        return -1;
    }
    if (strlen(value) > IDENT_MAX_BYTES) {
        char *shown = excerpt(value);
        errbuf_set(err, errlen, "'%s' is %zu bytes long: PostgreSQL keeps %d bytes of a name, so no "
                  "object has it", shown, strlen(value), IDENT_MAX_BYTES);
        free(shown);
        free(value);
        return -1;
    }
    *out = value;
    *p = s + n;
    return 0;
}

int ident_parse_qualified(const char *text, const char *default_schema, char **schema, char **name,
                          char *err, size_t errlen)
{
    char *parts[IDENT_MAX_PARTS + 1] = { NULL };
    int nparts = 0;
    const char *p = text ? text : "";

    *schema = *name = NULL;
    if (err && errlen)
        err[0] = '\0';
    while (is_blank((unsigned char)*p))
        p++;
    if (*p == '\0') {
        errbuf_set(err, errlen, "the name is empty");
        return -1;
    }
    for (;;) {
        if (nparts == IDENT_MAX_PARTS) {
            errbuf_set(err, errlen, "too many dots: a name is [schema.]name (quote a name that holds a "
                      "dot: public.\"a.b\")");
            goto fail;
        }
        if (parse_part(&p, &parts[nparts], err, errlen) != 0)
            goto fail;
        nparts++;
        while (is_blank((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (*p != '.') {
            char *what = excerpt(p);
            errbuf_set(err, errlen, "unexpected '%s' after the name", what);
            free(what);
            goto fail;
        }
        p++;
        while (is_blank((unsigned char)*p))
            p++;
    }
    if (nparts == 1) {
        *schema = xstrdup(default_schema ? default_schema : "public");
        *name = parts[0];
    } else {
        *schema = parts[0];
        *name = parts[1];
    }
    return 0;
fail:
    for (int i = 0; i <= IDENT_MAX_PARTS; i++)
        free(parts[i]);
    return -1;
}

const char *ident_shown(const char *name)
{
    if (name && strncmp(name, "public.", 7) == 0 && name[7])
        return name + 7;
    return name;
}
