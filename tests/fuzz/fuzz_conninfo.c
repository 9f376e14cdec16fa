/* libFuzzer target for src/net/conninfo.c.
 *
 * Mode 0 (first byte even): the rest is a conninfo string or URI, fed to
 * conninfo_parse, conninfo_display, conninfo_mask and redis_target_parse.
 * Mode 1 (first byte odd): the rest is a password, put into one of a few
 * broken connection strings and Redis URLs; the error message must not
 * show it.  Every message must be free of control characters. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conninfo.h"

static void check_message(const char *err)
{
    for (const unsigned char *p = (const unsigned char *)err; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();
}

/* In masked text, every "password=" is followed (after white space) by the
 * mask or by an empty value. */
static void check_masked(const char *m)
{
    for (const char *p = m; (p = strstr(p, "password=")) != NULL; p++) {
        if (p > m && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                      (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9')))
            continue;
        const char *v = p + 9;
        while (*v == ' ' || (*v >= '\t' && *v <= '\r'))
            v++;
        /* an empty value: the end, or the next URI parameter */
        if (*v && *v != '&' && *v != '#' && strncmp(v, "********", 8) != 0)
            abort();
    }
}

/* A display is one line without control characters, and no value in it
 * shows a password. */
static void check_display(const struct conninfo *ci)
{
    char *d = conninfo_display(ci);
    check_message(d);
    free(d);
    for (int i = 0; i < ci->count; i++) {
        char *m = conninfo_mask(ci->values[i]);
        check_masked(m);
        free(m);
    }
}

static void parse_anything(const char *text)
{
    struct conninfo ci, copy;
    struct redis_target t;
    char err[512];

    err[0] = '\0';
    if (conninfo_parse(&ci, text, err, sizeof err) == 0) {
        check_display(&ci);
        const char **k, **v;
        conninfo_copy(&copy, &ci);
        conninfo_set(&copy, "host", "fuzz");
        conninfo_set(&copy, "password", NULL);
        conninfo_arrays(&copy, &k, &v);
        int n = 0;
        while (k[n])
            n++;
        if (n != copy.count || v[n])
            abort();
        conninfo_free(&copy);
        conninfo_free(&ci);
    } else {
        check_message(err);
    }
    char *m = conninfo_mask(text);
    check_masked(m);
    free(m);

    err[0] = '\0';
    if (redis_target_parse(&t, text, err, sizeof err) == 0) {
        char *d = redis_target_display(&t);
        if (t.password && strlen(t.password) >= 4 && strstr(d, t.password) &&
            !(t.host && strstr(t.host, t.password)) &&
            !(t.socket_path && strstr(t.socket_path, t.password)))
            abort();
        free(d);
        redis_target_free(&t);
    } else {
        check_message(err);
    }
}

static const char *const templates[] = {
    "host=x password=%s bogus_key=1",
    "password=%s hots=x",
    "postgresql://u:%s@h/db?bogus=1",
    "postgresql://u:%s@[::1/db",
    "postgresql://u:%s@[::1]x/db",
    "postgresql://h/db?password=%s&bogus=1",
    "redis://:%s@h:99999",
    "rediss://:%s@h",
    "redis://u:%s@h/x",
    "redis://h?password=%s&bogus=1",
    "unix://:%s@relative",
};

static void password_in_template(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    size_t which = data[0] % (sizeof templates / sizeof templates[0]);
    int uri = strstr(templates[which], "://") != NULL;

    /* The password starts with a marker no message contains, and has no
     * byte that would change the structure around it: it stays the
     * password whatever the parser does. */
    char pw[300] = "Zq9";
    size_t n = 3;
    for (size_t i = 1; i < size && n < sizeof pw - 1; i++) {
        char c = (char)data[i];
        if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
            c == '\\' || c == '\'' ||
            (uri && strchr("@/?#&", c)))
            c = 'x';
        pw[n++] = c;
    }
    pw[n] = '\0';

    char text[400];
    snprintf(text, sizeof text, templates[which], pw);
    char err[512];
    struct conninfo ci;
    struct redis_target t;

    err[0] = '\0';
    if (strncmp(text, "redis", 5) == 0 || strncmp(text, "unix", 4) == 0) {
        if (redis_target_parse(&t, text, err, sizeof err) == 0)
            redis_target_free(&t);
    } else if (conninfo_parse(&ci, text, err, sizeof err) == 0) {
        conninfo_free(&ci);
    }
    check_message(err);
    if (strstr(err, pw))
        abort();                    /* the whole password */
    char head[9];
    snprintf(head, sizeof head, "%s", pw);
    if (n >= 8 && strstr(err, head))
        abort();                    /* its start */
    char *m = conninfo_mask(text);
    if (strstr(m, pw))
        abort();
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        password_in_template(data + 1, size - 1);
        return 0;
    }
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    parse_anything(text);
    free(text);
    return 0;
}
