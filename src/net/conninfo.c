/* Connection descriptions: libpq conninfo strings and URIs as keyword/value
 * pairs, Redis URLs, and the masking that keeps passwords off the screen.
 *
 * libpq does the parsing (PQconninfoParse accepts "key=value" strings and
 * postgresql:// URIs alike), so pgdeck understands exactly what libpq will
 * understand.  What libpq does not do is keep secrets out of its error
 * messages: several of them quote the offending piece of the input, and
 * that piece can be the password.  Every message that leaves this file is
 * therefore scrubbed of anything the input held in a password position. */

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "net/conninfo.h"
#include "net/resolve.h"
#include "base/sanitize.h"
#include "base/xalloc.h"

#define MASK "********"

/* ---- a growable string -------------------------------------------------- */

struct strbuf {
    char  *buf;
    size_t len, cap;
};

static void sb_grow(struct strbuf *sb, size_t extra)
{
    if (sb->buf && extra < sb->cap - sb->len)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    sb->buf = xrealloc(sb->buf, cap);
    sb->cap = cap;
}

static void sb_addn(struct strbuf *sb, const char *s, size_t n)
{
    sb_grow(sb, n);
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

static void sb_add(struct strbuf *sb, const char *s)
{
    sb_addn(sb, s, strlen(s));
}

static char *sb_finish(struct strbuf *sb)
{
    if (!sb->buf)
        return xstrdup("");
    return sb->buf;
}

static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* find_bytes(), which glibc only declares for _GNU_SOURCE. */
static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0 || nlen > hlen)
        return NULL;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

/* ---- finding secrets in text -------------------------------------------- */

/* A secret is the byte range [start, end) of a password value in some text.
 * Three shapes are recognised:
 *   password=xxx, password = 'a \'b\'' (conninfo; also sslpassword and the
 *     PGPASSWORD variable, in any letter case);
 *   ?password=xxx&... (URI query parameter);
 *   scheme://user:xxx@host (URI userinfo, any scheme: postgresql, redis...).
 * `greedy` also swallows the words that follow a conninfo password up to
 * the next "key=": "password=my secret host=h" was meant as a password
 * with a space, and libpq quotes "secret" when it complains (the same for
 * "password='my'secret"). */
struct secrets {
    size_t count;
    size_t start[32], end[32];
};

static void secrets_add(struct secrets *sc, size_t start, size_t end)
{
    if (end <= start)
        return;
    /* spans are kept in order and apart: an overlap joins the last one */
    if (sc->count > 0 && start < sc->end[sc->count - 1]) {
        if (end > sc->end[sc->count - 1])
            sc->end[sc->count - 1] = end;
        return;
    }
    if (sc->count == sizeof sc->start / sizeof sc->start[0]) {
        /* More passwords than slots: merge the rest into the last one so
         * that nothing is ever left unmasked. */
        sc->end[sc->count - 1] = end;
        return;
    }
    sc->start[sc->count] = start;
    sc->end[sc->count] = end;
    sc->count++;
}

static int is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_';
}

static int is_scheme_char(unsigned char c)
{
    return isalnum(c) || c == '+' || c == '-' || c == '.';
}

/* Length of a password keyword plus its "=" at text+i, or 0. */
static size_t match_password_keyword(const char *text, size_t i)
{
    static const char *const keywords[] = { "password", "sslpassword", "pgpassword" };

    if (i > 0 && is_word_char((unsigned char)text[i - 1]))
        return 0;
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
        size_t n = strlen(keywords[k]);
        if (strncasecmp(text + i, keywords[k], n) != 0)
            continue;
        /* libpq skips any white space around '=' (isspace) */
        size_t j = i + n;
        while (isspace((unsigned char)text[j]))
            j++;
        if (text[j] != '=')
            continue;
        j++;
        while (isspace((unsigned char)text[j]))
            j++;
        return j - i;
    }
    return 0;
}

/* End of a conninfo value starting at v (quoted or not, with backslash
 * escapes, as libpq reads it). */
static size_t conninfo_value_end(const char *text, size_t v)
{
    size_t j = v;
    if (text[j] == '\'') {
        j++;
        while (text[j] && text[j] != '\'') {
            if (text[j] == '\\' && text[j + 1])
                j++;
            j++;
        }
        if (text[j] == '\'')
            j++;
        return j;
    }
    while (text[j] && !isspace((unsigned char)text[j])) {
        if (text[j] == '\\' && text[j + 1])
            j++;
        j++;
    }
    return j;
}

/* Extend an unquoted value over following words that hold no '='. */
static size_t greedy_extend(const char *text, size_t end)
{
    for (;;) {
        size_t j = end;
        while (isspace((unsigned char)text[j]))
            j++;
        if (!text[j])
            return end;
        size_t w = j;
        int has_equals = 0;
        while (text[w] && !isspace((unsigned char)text[w])) {
            if (text[w] == '=')
                has_equals = 1;
            w++;
        }
        if (has_equals)
            return end;
        end = w;
    }
}

/* If a URI starts at text+i, record the password in its userinfo and return
 * the index where its authority ends; otherwise return i. */
static size_t scan_uri_userinfo(const char *text, size_t i, int whole, struct secrets *sc)
{
    size_t j = i;

    if (!isalpha((unsigned char)text[i]) ||
        (i > 0 && is_scheme_char((unsigned char)text[i - 1])))
        return i;
    while (is_scheme_char((unsigned char)text[j]))
        j++;
    if (strncmp(text + j, "://", 3) != 0)
        return i;
    size_t a = j + 3, e = a;

    /* When the whole text is one URI, only '?' and '#' end the part where a
     * userinfo can be, so that a password holding '/' or a space is still
     * found.  Inside a sentence the URI also ends at white space or a
     * quote. */
    while (text[e] && text[e] != '?' && text[e] != '#') {
        if (!whole && (isspace((unsigned char)text[e]) || text[e] == '"' ||
                       text[e] == '\'' || text[e] == '<' || text[e] == '>'))
            break;
        if (!whole && text[e] == '/')
            break;
        e++;
    }
    size_t at = e;
    while (at > a && text[at - 1] != '@')
        at--;
    if (at == a)
        return a;               /* no userinfo: go on after "://" */
    at--;                       /* index of the last '@' */
    for (size_t c = a; c < at; c++) {
        if (match_password_keyword(text, c))
            return a;           /* "password=" in the user: read it as text */
        if (text[c] == ':') {
            secrets_add(sc, c + 1, at);
            return at + 1;
        }
    }
    return a;                   /* a user name only: read it like any text */
}

static void find_secrets(const char *text, int greedy, struct secrets *sc)
{
    size_t len = strlen(text);
    size_t first = 0;

    /* Is the whole text one URI (what the user typed), or a sentence that
     * may quote some? */
    sc->count = 0;
    while (isspace((unsigned char)text[first]))
        first++;

    for (size_t i = 0; i < len;) {
        size_t next = scan_uri_userinfo(text, i, i == first, sc);
        if (next != i) {
            i = next;
            continue;
        }
        size_t kw = match_password_keyword(text, i);
        if (kw) {
            size_t v = i + kw, end;
            if (i > 0 && (text[i - 1] == '?' || text[i - 1] == '&')) {
                end = v;
                while (text[end] && text[end] != '&' && text[end] != '#' &&
                       !isspace((unsigned char)text[end]))
                    end++;
            } else {
                end = conninfo_value_end(text, v);
                if (greedy)
                    end = greedy_extend(text, end);
            }
            secrets_add(sc, v, end);
            i = end > v ? end : v;
            continue;
        }
        i++;
    }
}

char *conninfo_mask(const char *text)
{
    struct secrets sc;
    struct strbuf sb = { 0 };
    size_t pos = 0;

    if (!text)
        return xstrdup("");
    find_secrets(text, 0, &sc);
    for (size_t k = 0; k < sc.count; k++) {
        sb_addn(&sb, text + pos, sc.start[k] - pos);
        sb_add(&sb, MASK);
        pos = sc.end[k];
    }
    sb_add(&sb, text + pos);
    return sb_finish(&sb);
}

/* Replace every occurrence of `needle` in the string held by sb. */
static void replace_all(struct strbuf *sb, const char *needle, size_t n)
{
    struct strbuf out = { 0 };
    const char *p = sb->buf, *hit;

    if (n == 0 || !sb->buf)
        return;
    while ((hit = find_bytes(p, strlen(p), needle, n)) != NULL) {
        sb_addn(&out, p, (size_t)(hit - p));
        sb_add(&out, MASK);
        p = hit + n;
    }
    sb_add(&out, p);
    free(sb->buf);
    *sb = out;
}

/* Scrub a libpq error message about `input`.  First whole copies of the
 * input's secrets are masked, then every quoted fragment that overlaps a
 * secret (before any other masking: masking password-shaped text could
 * swallow a closing quote and hide a fragment), then password-shaped text,
 * then any copy of a secret that is left.  The result is one line without
 * control characters. */
static char *scrub_libpq_message(const char *message, const char *input)
{
    struct secrets sc;
    struct strbuf sb = { 0 }, raw = { 0 };
    const char *p;

    find_secrets(input, 1, &sc);
    /* whole copies of a secret go first: a secret holding '"' would
     * confuse the search for quoted fragments */
    sb_add(&raw, message);
    for (size_t k = 0; k < sc.count; k++)
        replace_all(&raw, input + sc.start[k], sc.end[k] - sc.start[k]);
    p = raw.buf;
    while (*p) {
        const char *close;
        if (*p == '"' && (close = strchr(p + 1, '"')) != NULL) {
            size_t flen = (size_t)(close - p - 1);
            int secret = 0;
            for (size_t k = 0; k < sc.count && !secret && flen > 0; k++) {
                const char *s = input + sc.start[k];
                size_t slen = sc.end[k] - sc.start[k];
                /* a fragment inside a secret, or a secret inside a fragment;
                 * one or two characters (":", "=") give nothing away */
                if ((flen >= 3 && find_bytes(s, slen, p + 1, flen)) || find_bytes(p + 1, flen, s, slen))
                    secret = 1;
            }
            sb_add(&sb, "\"");
            if (secret)
                sb_add(&sb, MASK);
            else
                sb_addn(&sb, p + 1, flen);
            sb_add(&sb, "\"");
            p = close + 1;
            continue;
        }
        sb_addn(&sb, p, 1);
        p++;
    }

    free(raw.buf);
    char *fragments_masked = sb_finish(&sb);
    struct strbuf out = { 0 };
    char *masked = conninfo_mask(fragments_masked);
    free(fragments_masked);
    sb_add(&out, masked);
    free(masked);
    for (size_t k = 0; k < sc.count; k++) {
        size_t slen = sc.end[k] - sc.start[k];
        if (slen >= 3)
            replace_all(&out, input + sc.start[k], slen);
    }

    /* libpq ends messages with a newline and may hold several lines */
    char *text = sb_finish(&out);
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        text[--n] = '\0';
    struct strbuf flat = { 0 };
    for (const char *q = text; *q; q++) {
        if (*q == '\n')
            sb_add(&flat, "; ");
        else
            sb_addn(&flat, q, 1);
    }
    free(text);
    /* libpq quotes what it was given, control characters included */
    char *flat_text = sb_finish(&flat);
    char *safe = sanitize(flat_text, SANITIZE_FOLD);
    free(flat_text);
    return safe;
}

/* ---- keyword/value sets ------------------------------------------------- */

static int conninfo_find(const struct conninfo *ci, const char *keyword)
{
    for (int i = 0; i < ci->count; i++)
        if (strcmp(ci->keywords[i], keyword) == 0)
            return i;
    return -1;
}

static void conninfo_append(struct conninfo *ci, const char *keyword, const char *value)
{
    size_t n = (size_t)ci->count + 2;     /* the new pair and the NULL */
    ci->keywords = xrealloc(ci->keywords, n * sizeof *ci->keywords);
    ci->values = xrealloc(ci->values, n * sizeof *ci->values);
    ci->keywords[ci->count] = xstrdup(keyword);
    ci->values[ci->count] = xstrdup(value);
    ci->count++;
    ci->keywords[ci->count] = NULL;
    ci->values[ci->count] = NULL;
}

int conninfo_parse(struct conninfo *ci, const char *text, char *err, size_t errlen)
{
    char *errmsg = NULL;
    PQconninfoOption *options;

    memset(ci, 0, sizeof *ci);
    if (!text || !*text)
        return 0;

    options = PQconninfoParse(text, &errmsg);
    if (!options) {
        if (errmsg) {
            char *clean = scrub_libpq_message(errmsg, text);
            set_error(err, errlen, "invalid connection string: %s", clean);
            free(clean);
            PQfreemem(errmsg);
        } else {
            set_error(err, errlen, "invalid connection string (libpq is out of memory)");
        }
        return -1;
    }
    for (PQconninfoOption *o = options; o->keyword; o++)
        if (o->val)
            conninfo_append(ci, o->keyword, o->val);
    PQconninfoFree(options);
    return 0;
}

void conninfo_set(struct conninfo *ci, const char *keyword, const char *value)
{
    int i = conninfo_find(ci, keyword);

    if (i < 0) {
        if (value)
            conninfo_append(ci, keyword, value);
        return;
    }
    if (value) {
        char *copy = xstrdup(value);
        free(ci->values[i]);
        ci->values[i] = copy;
        return;
    }
    free(ci->keywords[i]);
    free(ci->values[i]);
    /* shift the rest down, NULL terminators included */
    memmove(ci->keywords + i, ci->keywords + i + 1, (size_t)(ci->count - i) * sizeof *ci->keywords);
    memmove(ci->values + i, ci->values + i + 1, (size_t)(ci->count - i) * sizeof *ci->values);
    ci->count--;
}

const char *conninfo_get(const struct conninfo *ci, const char *keyword)
{
    int i = conninfo_find(ci, keyword);
    return i < 0 ? NULL : ci->values[i];
}

void conninfo_copy(struct conninfo *dst, const struct conninfo *src)
{
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->count; i++)
        conninfo_append(dst, src->keywords[i], src->values[i]);
}

void conninfo_free(struct conninfo *ci)
{
    for (int i = 0; i < ci->count; i++) {
        free(ci->keywords[i]);
        free(ci->values[i]);
    }
    free(ci->keywords);
    free(ci->values);
    memset(ci, 0, sizeof *ci);
}

void conninfo_arrays(const struct conninfo *ci, const char ***keywords, const char ***values)
{
    /* The arrays are kept NULL-terminated, so they can be handed out as
     * they are; an empty set has no arrays yet. */
    static const char *empty[1] = { NULL };

    if (ci->count == 0 || !ci->keywords) {
        *keywords = empty;
        *values = empty;
        return;
    }
    *keywords = (const char **)ci->keywords;
    *values = (const char **)ci->values;
}

static int is_secret_keyword(const char *keyword)
{
    return strcmp(keyword, "password") == 0 || strcmp(keyword, "sslpassword") == 0;
}

/* Append "key=value", quoting the value as libpq would read it back.  The
 * value itself is masked (a dbname can hold a whole conninfo or URI that
 * libpq expands, password included) and sanitized (one line, no control
 * characters, whoever shows or logs it). */
static void display_pair(struct strbuf *sb, const char *keyword, const char *value)
{
    char *unmasked = conninfo_mask(value);
    char *masked = sanitize(unmasked, 0);
    int quote = masked[0] == '\0';

    free(unmasked);

    for (const char *p = masked; *p && !quote; p++)
        if (isspace((unsigned char)*p) || *p == '\'' || *p == '\\')
            quote = 1;
    if (sb->len)
        sb_add(sb, " ");
    char *clean_keyword = sanitize(keyword, 0);
    sb_add(sb, clean_keyword);
    free(clean_keyword);
    sb_add(sb, "=");
    if (!quote) {
        sb_add(sb, masked);
    } else {
        sb_add(sb, "'");
        for (const char *p = masked; *p; p++) {
            if (*p == '\'' || *p == '\\')
                sb_add(sb, "\\");
            sb_addn(sb, p, 1);
        }
        sb_add(sb, "'");
    }
    free(masked);
}

/* One "key=value" of the display, as display_pair writes it. */
static char *display_one(const char *keyword, const char *value)
{
    struct strbuf sb = { 0 };
    display_pair(&sb, keyword, value);
    return sb_finish(&sb);
}

char **conninfo_display_pairs(const struct conninfo *ci, int *n)
{
    static const char *const first[] = { "host", "hostaddr", "port", "user", "dbname" };
    char **pairs = xcalloc((size_t)ci->count + 1, sizeof *pairs);
    int has_secret = 0;

    *n = 0;
    for (size_t k = 0; k < sizeof first / sizeof first[0]; k++) {
        const char *v = conninfo_get(ci, first[k]);
        if (v)
            pairs[(*n)++] = display_one(first[k], v);
    }
    for (int i = 0; i < ci->count; i++) {
        int listed = 0;
        for (size_t k = 0; k < sizeof first / sizeof first[0]; k++)
            if (strcmp(ci->keywords[i], first[k]) == 0)
                listed = 1;
        if (listed)
            continue;
        if (is_secret_keyword(ci->keywords[i])) {
            has_secret = 1;
            continue;
        }
        pairs[(*n)++] = display_one(ci->keywords[i], ci->values[i]);
    }
    /* The fact that a password is set is useful; its length is not. */
    if (has_secret) {
        for (int i = 0; i < ci->count; i++) {
            if (!is_secret_keyword(ci->keywords[i]))
                continue;
            char *clean_keyword = sanitize(ci->keywords[i], 0);
            pairs[(*n)++] = xasprintf("%s=" MASK, clean_keyword);
            free(clean_keyword);
        }
    }
    return pairs;
}

char *conninfo_display(const struct conninfo *ci)
{
    int n;
    char **pairs = conninfo_display_pairs(ci, &n);
    struct strbuf sb = { 0 };
    for (int i = 0; i < n; i++) {
        if (sb.len)
            sb_add(&sb, " ");
        sb_add(&sb, pairs[i]);
        free(pairs[i]);
    }
    free(pairs);
    return sb_finish(&sb);
}

/* ---- host lists, for looking names up before libpq does ------------------ */

/* A comma-separated list as libpq reads host, hostaddr and port: split on
 * every comma, no quoting or escape (parse_comma_separated_list). */
static char **list_split(const char *s, int *count)
{
    int cap = 1;
    for (const char *p = s; *p; p++)
        if (*p == ',')
            cap++;
    char **items = xcalloc((size_t)cap + 1, sizeof *items);
    int n = 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        items[n++] = xstrndup(p, len);
        p += len;
        if (*p == '\0')
            break;
    }
    *count = n;
    return items;
}

static void list_free(char **items, int n)
{
    for (int i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void list_append(struct strbuf *sb, int index, const char *item)
{
    if (index > 0)
        sb_add(sb, ",");
    sb_add(sb, item);
}

struct host_list {
    char **hosts, **ports;
    int    nhosts, nports;      /* nports 0 or 1: one port (or none) for all */
};

static const char *value_or_env(const struct conninfo *ci, const char *keyword, const char *envvar)
{
    const char *v = conninfo_get(ci, keyword);
    return v ? v : getenv(envvar);
}

/* The host and port lists libpq will use, or -1 when pgdeck should leave
 * the lookups to libpq (see conninfo_host_names). */
static int host_list_read(const struct conninfo *ci, struct host_list *hl)
{
    memset(hl, 0, sizeof *hl);
    const char *hostaddr = value_or_env(ci, "hostaddr", "PGHOSTADDR");
    if (hostaddr && *hostaddr)
        return -1;
    if (value_or_env(ci, "service", "PGSERVICE"))
        return -1;
    const char *host = value_or_env(ci, "host", "PGHOST");
    if (!host || !*host)
        return -1;
    const char *port = value_or_env(ci, "port", "PGPORT");
    hl->hosts = list_split(host, &hl->nhosts);
    if (port && *port)
        hl->ports = list_split(port, &hl->nports);
    if (hl->nports > 1 && hl->nports != hl->nhosts) {
        list_free(hl->hosts, hl->nhosts);
        list_free(hl->ports, hl->nports);
        return -1;
    }
    return 0;
}

static void host_list_free(struct host_list *hl)
{
    list_free(hl->hosts, hl->nhosts);
    list_free(hl->ports, hl->nports);
    memset(hl, 0, sizeof *hl);
}

/* An entry libpq would look up: not empty (the default socket directory),
 * not a socket path (libpq's is_unixsock_path), not a numeric address. */
static int needs_lookup(const char *host)
{
    return *host && host[0] != '/' && host[0] != '@' && !resolve_is_numeric(host);
}

int conninfo_host_names(const struct conninfo *ci, char ***names)
{
    struct host_list hl;
    *names = NULL;
    if (host_list_read(ci, &hl) != 0)
        return 0;
    char **out = xcalloc((size_t)hl.nhosts + 1, sizeof *out);
    int n = 0;
    for (int i = 0; i < hl.nhosts; i++) {
        if (!needs_lookup(hl.hosts[i]))
            continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(out[k], hl.hosts[i]) == 0;
        if (!seen)
            out[n++] = xstrdup(hl.hosts[i]);
    }
    host_list_free(&hl);
    if (n == 0) {
        free(out);
        return 0;
    }
    *names = out;
    return n;
}

void conninfo_names_free(char **names, int n)
{
    list_free(names, n);
}

int conninfo_with_addresses(struct conninfo *out, const struct conninfo *ci,
                            const struct resolve_answer *answers, int n)
{
    struct host_list hl;
    memset(out, 0, sizeof *out);
    if (host_list_read(ci, &hl) != 0)
        return 0;
    struct strbuf hosts = { 0 }, addrs = { 0 }, ports = { 0 };
    int entries = 0;
    for (int i = 0; i < hl.nhosts; i++) {
        const char *host = hl.hosts[i];
        const char *port = hl.nports > 1 ? hl.ports[i] : NULL;
        if (!needs_lookup(host)) {
            /* A numeric address goes in hostaddr too, so that libpq does
             * not call getaddrinfo even for that; a socket needs none. */
            list_append(&hosts, entries, host);
            list_append(&addrs, entries, *host && host[0] != '/' && host[0] != '@' ? host : "");
            if (port)
                list_append(&ports, entries, port);
            entries++;
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (strcmp(answers[k].name, host) != 0)
                continue;
            for (int a = 0; a < answers[k].count; a++) {
                list_append(&hosts, entries, host);
                list_append(&addrs, entries, answers[k].addrs[a]);
                if (port)
                    list_append(&ports, entries, port);
                entries++;
            }
            break;
        }
    }
    if (entries > 0) {
        conninfo_copy(out, ci);
        /* An entry can be empty (the default socket): never NULL, which
         * would remove the keyword and let PGHOST back in. */
        conninfo_set(out, "host", hosts.buf ? hosts.buf : "");
        conninfo_set(out, "hostaddr", addrs.buf ? addrs.buf : "");
        if (hl.nports > 1)
            conninfo_set(out, "port", ports.buf ? ports.buf : "");
    }
    free(hosts.buf);
    free(addrs.buf);
    free(ports.buf);
    host_list_free(&hl);
    return entries;
}

/* ---- Redis URLs --------------------------------------------------------- */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into a new string, NULL when malformed or when it
 * would hold a NUL byte. */
static char *percent_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= n) {           /* fewer than two hex digits left */
            free(out);
            return NULL;
        }
        int h = hex_value((unsigned char)s[i + 1]);
        int l = hex_value((unsigned char)s[i + 2]);
        if (h < 0 || l < 0 || (h == 0 && l == 0)) {
            free(out);
            return NULL;
        }
        out[o++] = (char)(h * 16 + l);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

/* A decimal number in s[0..n) within [min, max], or -1. */
static long parse_decimal(const char *s, size_t n, long min, long max)
{
    long v = 0;

    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < min || v > max ? -1 : v;
}

#define REDIS_FORMS "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH[?db=N]"

/* Query parameters: db=N and password=X. */
static int redis_parse_query(struct redis_target *t, const char *q, char *err, size_t errlen)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        if (n == 0) {
            q++;
            continue;
        }
        if (!eq) {
            set_error(err, errlen, "redis URL: query parameter without '=' (expected db=N or password=...)");
            return -1;
        }
        size_t klen = (size_t)(eq - q);
        const char *val = eq + 1;
        size_t vlen = n - klen - 1;
        if (klen == 2 && strncmp(q, "db", 2) == 0) {
            long db = parse_decimal(val, vlen, 0, INT_MAX / 2);
            if (db < 0) {
                set_error(err, errlen, "redis URL: db must be a database number");
                return -1;
            }
            t->db = (int)db;
        } else if (klen == 8 && strncmp(q, "password", 8) == 0) {
            char *pw = percent_decode(val, vlen);
            if (!pw) {
                set_error(err, errlen, "redis URL: the password has an invalid %%-escape");
                return -1;
            }
            free(t->password);
            t->password = NULL;
            if (*pw)
                t->password = pw;
            else
                free(pw);
        } else {
            char *key = xstrndup(q, klen < 40 ? klen : 40);
            for (char *k = key; *k; k++)
                if (!isprint((unsigned char)*k))
                    *k = '?';
            set_error(err, errlen, "redis URL: unknown parameter '%s' (expected db or password)", key);
            free(key);
            return -1;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* userinfo is "[user]:password" or just "user" (an ACL user without a
 * password: nopass).  The user "default" is the same as none: it is who a
 * connection is before AUTH, and Redis before 6 knows no other. */
static int redis_parse_userinfo(struct redis_target *t, const char *s, size_t n, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    size_t user_len = colon ? (size_t)(colon - s) : n;
    if (user_len > 0) {
        char *user = percent_decode(s, user_len);
        if (!user) {
            set_error(err, errlen, "redis URL: the user name has an invalid %%-escape");
            return -1;
        }
        for (const char *u = user; *u; u++) {
            if (!isprint((unsigned char)*u) || *u == ' ') {
                free(user);
                set_error(err, errlen, "redis URL: the user name holds a space or a control character");
                return -1;
            }
        }
        if (*user && strcmp(user, "default") != 0)
            t->user = user;
        else
            free(user);
    }
    if (!colon)
        return 0;
    size_t off = (size_t)(colon + 1 - s);
    char *pw = percent_decode(colon + 1, n - off);
    if (!pw) {
        set_error(err, errlen, "redis URL: the password has an invalid %%-escape");
        return -1;
    }
    if (!*pw) {
        free(pw);
        return 0;
    }
    t->password = pw;
    return 0;
}

static int redis_parse_tcp(struct redis_target *t, const char *rest, char *err, size_t errlen)
{
    size_t auth_len = strcspn(rest, "/?#");
    const char *at = NULL;

    for (size_t i = 0; i < auth_len; i++)
        if (rest[i] == '@')
            at = rest + i;
    const char *host = rest;
    if (at) {
        if (redis_parse_userinfo(t, rest, (size_t)(at - rest), err, errlen) < 0)
            return -1;
        host = at + 1;
    }
    size_t host_len = (size_t)(rest + auth_len - host);
    const char *port = NULL;
    size_t port_len = 0;

    if (host_len > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', host_len);
        if (!close || close == host + 1) {
            set_error(err, errlen, "redis URL: bad IPv6 address (expected [ADDRESS])");
            return -1;
        }
        t->host = xstrndup(host + 1, (size_t)(close - host - 1));
        const char *after = close + 1;
        size_t left = host_len - (size_t)(after - host);
        if (left > 0) {
            if (*after != ':') {
                set_error(err, errlen, "redis URL: expected ':PORT' after the IPv6 address");
                return -1;
            }
            port = after + 1;
            port_len = left - 1;
        } else {
            port = NULL;
        }
    } else {
        const char *colon = memchr(host, ':', host_len);
        size_t name_len = colon ? (size_t)(colon - host) : host_len;
        if (colon) {
            port = colon + 1;
            port_len = host_len - name_len - 1;
        }
        t->host = name_len ? xstrndup(host, name_len) : xstrdup("127.0.0.1");
    }
    for (const char *h = t->host; *h; h++) {
        if (isspace((unsigned char)*h) || !isprint((unsigned char)*h)) {
            set_error(err, errlen, "redis URL: the host name holds a space or a control character");
            return -1;
        }
    }
    if (port) {
        long p = parse_decimal(port, port_len, 1, 65535);
        if (p < 0) {
            set_error(err, errlen, "redis URL: the port must be a number between 1 and 65535");
            return -1;
        }
        t->port = (int)p;
    }

    const char *p = rest + auth_len;
    if (*p == '#') {
        set_error(err, errlen, "redis URL: unexpected '#' (expected " REDIS_FORMS ")");
        return -1;
    }
    if (*p == '/') {
        p++;
        size_t db_len = strcspn(p, "?#");
        if (db_len > 0) {
            long db = parse_decimal(p, db_len, 0, INT_MAX / 2);
            if (db < 0) {
                set_error(err, errlen, "redis URL: the path must be a database number (/0, /1, ...)");
                return -1;
            }
            t->db = (int)db;
        }
        p += db_len;
        if (*p == '#') {
            set_error(err, errlen, "redis URL: unexpected '#' (expected " REDIS_FORMS ")");
            return -1;
        }
    }
    if (*p == '?')
        return redis_parse_query(t, p + 1, err, errlen);
    return 0;
}

static int redis_parse_unix(struct redis_target *t, const char *rest, char *err, size_t errlen)
{
    size_t path_len;

    /* unix://[[user]:password@]/path: a userinfo can precede the path */
    if (*rest != '/') {
        const char *slash = strchr(rest, '/');
        const char *at = NULL;
        for (const char *q = rest; slash && q < slash; q++)
            if (*q == '@')
                at = q;
        if (!at || at + 1 != slash) {
            set_error(err, errlen, "redis URL: a unix:// URL needs an absolute socket path "
                                   "(unix:///path/to/redis.sock)");
            return -1;
        }
        if (redis_parse_userinfo(t, rest, (size_t)(at - rest), err, errlen) < 0)
            return -1;
        rest = slash;
    }
    path_len = strcspn(rest, "?#");
    if (rest[path_len] == '#') {
        set_error(err, errlen, "redis URL: unexpected '#' (expected " REDIS_FORMS ")");
        return -1;
    }
    t->socket_path = percent_decode(rest, path_len);
    if (!t->socket_path || path_len < 2) {
        set_error(err, errlen, "redis URL: a unix:// URL needs a socket path (unix:///path/to/redis.sock)");
        return -1;
    }
    if (rest[path_len] == '?')
        return redis_parse_query(t, rest + path_len + 1, err, errlen);
    return 0;
}

int redis_target_parse(struct redis_target *t, const char *url, char *err, size_t errlen)
{
    int rc;

    memset(t, 0, sizeof *t);
    t->port = 6379;
    if (!url || !*url) {
        set_error(err, errlen, "empty redis URL (expected " REDIS_FORMS ")");
        return -1;
    }
    if (strncasecmp(url, "rediss://", 9) == 0) {
        set_error(err, errlen,
                  "rediss:// (Redis over TLS) is not supported: this pgdeck's hiredis has no TLS; "
                  "use redis:// through a TLS tunnel (stunnel, ssh -L)");
        return -1;
    }
    if (strncasecmp(url, "redis://", 8) == 0) {
        rc = redis_parse_tcp(t, url + 8, err, errlen);
    } else if (strncasecmp(url, "unix://", 7) == 0) {
        rc = redis_parse_unix(t, url + 7, err, errlen);
    } else if (strchr(url, '@')) {
        /* "user:secret@host" without a scheme: nothing can be quoted */
        set_error(err, errlen, "not a redis URL (expected " REDIS_FORMS ")");
        rc = -1;
    } else {
        /* quote what was typed, without a password and not too long */
        char *masked = conninfo_mask(url);
        size_t n = strlen(masked);
        for (size_t i = 0; i < n; i++)
            if (!isprint((unsigned char)masked[i]))
                masked[i] = '?';
        set_error(err, errlen, "'%.60s%s' is not a redis URL (expected " REDIS_FORMS ")",
                  masked, n > 60 ? "..." : "");
        free(masked);
        rc = -1;
    }
    if (rc < 0)
        redis_target_free(t);
    return rc;
}

void redis_target_free(struct redis_target *t)
{
    free(t->host);
    free(t->socket_path);
    free(t->user);
    free(t->password);
    memset(t, 0, sizeof *t);
    t->port = 6379;
}

char *redis_target_display(const struct redis_target *t)
{
    if (t->socket_path)
        return xasprintf("%s/%d", t->socket_path, t->db);
    const char *host = t->host ? t->host : "127.0.0.1";
    if (strchr(host, ':'))
        return xasprintf("[%s]:%d/%d", host, t->port, t->db);
    return xasprintf("%s:%d/%d", host, t->port, t->db);
}
