/* The partitions subject's derived columns (see partitions.h): how far
 * ahead time partitions reach, what lies past retention, the default
 * partition's rows and the current partition's growth, and the calendar
 * arithmetic they need. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "core/app.h"
#include "core/config.h"
#include "subjects/partitions.h"
#include "base/ident.h"
#include "base/calendar.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define DAY 86400.0
/* Partitions narrower than this are counted in partitions, not months. */
#define MONTHLY_MIN_SECONDS (27 * DAY)
/* months_ahead for a range that reaches MAXVALUE or infinity. */
#define MONTHS_FOREVER 9999
/* A bound at local midnight may be up to 14 hours off UTC midnight. */
#define MAX_ZONE_OFFSET (14 * 3600.0)

static double number(const struct snapshot *s, int row, const char *column)
{
    return snapshot_number(s, row, column, NAN);
}

static bool is_text(const char *v, const char *want)
{
    return v && strcmp(v, want) == 0;
}

/* The snapshot's server clock when it has one: ages and coverage are
 * measured against the server's now(), as the bounds were. */
static double clock_of(const struct snapshot *s, int row, double fallback)
{
    double t = number(s, row, "server_now");
    return isnan(t) ? fallback : t;
}

/* ---- time arithmetic ---------------------------------------------------- */

double derive_time_minus(double t, int months, double seconds)
{
    if (isnan(t) || isinf(t))
        return t;
    struct civil_time c;
    civil_from_epoch((long long)floor(t), &c);
    /* Calendar months as PostgreSQL counts them: the day is clamped to
     * the end of a shorter month (31 March - 1 month = 28/29 February). */
    civil_add_months(&c, -months);
    return (double)civil_to_epoch(&c) + (t - floor(t)) - seconds;
}

static long month_index(double t)
{
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return 0;
    return (long)tm.tm_year * 12 + tm.tm_mon;
}

int derive_months_ahead(double now, double covered_until)
{
    if (isnan(now) || isnan(covered_until))
        return 0;
    if (isinf(covered_until))
        return covered_until > 0 ? MONTHS_FOREVER : 0;
    if (covered_until <= now)
        return 0;
    /* The month that covered_until starts is not covered; every month
     * between the current one and that one is.  A bound at local
     * midnight east of UTC is a few hours before UTC midnight: move it
     * forward so that it counts as the month it starts. */
    long months = month_index(covered_until + MAX_ZONE_OFFSET) - 1 - month_index(now);
    if (months < 0)
        return 0;
    return months > MONTHS_FOREVER ? MONTHS_FOREVER : (int)months;
}

struct unit {
    const char *name;
    int months;
    double seconds;
};

static const struct unit units[] = {
    { "years", 12, 0 }, { "year", 12, 0 }, { "yrs", 12, 0 }, { "yr", 12, 0 }, { "y", 12, 0 },
    { "months", 1, 0 }, { "month", 1, 0 }, { "mons", 1, 0 }, { "mon", 1, 0 },
    { "weeks", 0, 7 * DAY }, { "week", 0, 7 * DAY }, { "w", 0, 7 * DAY },
    { "days", 0, DAY }, { "day", 0, DAY }, { "d", 0, DAY },
    { "hours", 0, 3600 }, { "hour", 0, 3600 }, { "hrs", 0, 3600 }, { "hr", 0, 3600 }, { "h", 0, 3600 },
    { "minutes", 0, 60 }, { "minute", 0, 60 }, { "mins", 0, 60 }, { "min", 0, 60 }, { "m", 0, 60 },
    { "seconds", 0, 1 }, { "second", 0, 1 }, { "secs", 0, 1 }, { "sec", 0, 1 }, { "s", 0, 1 },
};

int derive_interval_parse(const char *text, int *months, double *seconds)
{
    double m = 0, sec = 0;
    bool any = false;
    if (!text)
        return -1;
    const char *p = text;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '@') {
            p++;
            continue;
        }
        if (!*p)
            break;
        char *end;
        double v = strtod(p, &end);
        if (end == p || isnan(v) || isinf(v) || v < 0 || v > 1e6)
            return -1;
        p = end;
        if (*p == ':') {
            /* hh:mm[:ss] */
            double mm = strtod(p + 1, &end);
            if (end == p + 1)
                return -1;
            double ss = 0;
            p = end;
            if (*p == ':') {
                ss = strtod(p + 1, &end);
                if (end == p + 1)
                    return -1;
                p = end;
            }
            sec += v * 3600 + mm * 60 + ss;
            any = true;
            continue;
        }
        while (isspace((unsigned char)*p))
            p++;
        const char *w = p;
        while (isalpha((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - w);
        if (n == 0) {
            sec += v;       /* a bare number is seconds, as in PostgreSQL */
            any = true;
            continue;
        }
        const struct unit *u = NULL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == n && strncasecmp(w, units[i].name, n) == 0) {
                u = &units[i];
                break;
            }
        if (!u)
            return -1;      /* "ago", "fortnight", ... */
        m += v * u->months;
        sec += v * u->seconds;
        any = true;
    }
    if (!any)
        return -1;
    /* Fractions of a month become days of 30, as PostgreSQL does. */
    double whole = floor(m);
    sec += (m - whole) * 30 * DAY;
    if (whole > 120000)
        return -1;
    *months = (int)whole;
    *seconds = sec;
    return 0;
}

/* ---- partitions --------------------------------------------------------- */

void derive_short_bound(const char *bound, char *out, size_t len)
{
    snprintf(out, len, "%s", bound ? bound : "");
    if (!bound || strlen(bound) < 10)
        return;
    const char *b = bound;
    for (int i = 0; i < 10; i++) {
        bool digit = isdigit((unsigned char)b[i]);
        if ((i == 4 || i == 7) ? b[i] != '-' : !digit)
            return;
    }
    if (b[10] == '\0')
        return;
    if ((b[10] != ' ' && b[10] != 'T') || !isdigit((unsigned char)b[11]) || !isdigit((unsigned char)b[12]) ||
        b[13] != ':' || !isdigit((unsigned char)b[14]) || !isdigit((unsigned char)b[15]))
        return;
    bool midnight = strncmp(b + 11, "00:00", 5) == 0;
    const char *rest = b + 16;
    if (rest[0] == ':') {
        if (!isdigit((unsigned char)rest[1]) || !isdigit((unsigned char)rest[2]))
            return;
        if (rest[1] != '0' || rest[2] != '0')
            midnight = false;
        rest += 3;
        if (*rest == '.') {
            rest++;
            while (isdigit((unsigned char)*rest)) {
                if (*rest != '0')
                    midnight = false;
                rest++;
            }
        }
    }
    /* An offset (+00, -05:30) may follow, nothing else. */
    if (*rest == '+' || *rest == '-') {
        rest++;
        while (isdigit((unsigned char)*rest) || *rest == ':')
            rest++;
    }
    if (*rest)
        return;
    if (midnight)
        snprintf(out, len, "%.10s", b);
    else
        snprintf(out, len, "%.10s %.5s", b, b + 11);
}

/* One value of a bound list: a lone quoted literal unquoted and made
 * short; a list of several values (multi-column keys) left as it is. */
static void short_value(const char *v, size_t n, char *out, size_t len)
{
    bool quoted = n >= 2 && v[0] == '\'' && v[n - 1] == '\'';
    if (quoted) {
        char *plain = xmalloc(n);
        size_t o = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            if (v[i] == '\'' && v[i + 1] == '\'' && i + 2 < n) {
                plain[o++] = '\'';
                i++;
            } else if (v[i] == '\'') {
                quoted = false;     /* a second value follows: 'a', 'b' */
                break;
            } else {
                plain[o++] = v[i];
            }
        }
        plain[o] = '\0';
        if (quoted)
            derive_short_bound(plain, out, len);
        free(plain);
        if (quoted)
            return;
    }
    snprintf(out, len, "%.*s", (int)(n < 4096 ? n : 4096), v);
}

void derive_short_partition_bound(const char *bound, char *out, size_t len)
{
    if (!bound) {
        snprintf(out, len, "%s", "");
        return;
    }
    const char *p = bound;
    if (strncmp(p, "FOR VALUES ", 11) == 0)
        p += 11;
    size_t n = strlen(p);
    const char *last = NULL;
    if (strncmp(p, "FROM (", 6) == 0 && n > 8 && p[n - 1] == ')') {
        for (const char *q = strstr(p, ") TO ("); q; q = strstr(q + 1, ") TO ("))
            last = q;
    }
    if (!last) {
        snprintf(out, len, "%s", p);
        return;
    }
    char from[256], to[256];
    short_value(p + 6, (size_t)(last - (p + 6)), from, sizeof from);
    const char *y = last + 6;
    short_value(y, (size_t)(p + n - 1 - y), to, sizeof to);
    snprintf(out, len, "%s .. %s", from, to);
}

/* "ahead" in the tree's own unit: years for yearly partitions, months,
 * weeks for weekly ones, days, hours.  `width` is the partitions' median
 * width in seconds (NAN: unknown). */
static void format_ahead(char *buf, size_t len, double seconds, int months, bool monthly, double width)
{
    if (isinf(seconds) && seconds > 0)
        snprintf(buf, len, "forever");
    else if (monthly && !isnan(width) && width >= 360 * DAY && months >= 12)
        snprintf(buf, len, "%d y", months / 12);
    else if (!monthly && !isnan(width) && width >= 6.5 * DAY && width <= 7.5 * DAY && seconds >= 7 * DAY)
        snprintf(buf, len, "%.0f wk", floor(seconds / (7 * DAY)));
    else if (monthly && months >= 1)
        snprintf(buf, len, "%d mo", months);
    else if (seconds >= DAY)
        snprintf(buf, len, "%.0f d", floor(seconds / DAY));
    else if (seconds > 0)
        snprintf(buf, len, "%.0f h", ceil(seconds / 3600));
    else
        snprintf(buf, len, "none");
}

static bool is_time_type(const char *type)
{
    return type && (strncmp(type, "timestamp", 9) == 0 || strcmp(type, "date") == 0);
}

static const char *const child_field_names[CHILD_FIELDS] = {
    [CHILD_NAME] = "name", [CHILD_OID] = "oid", [CHILD_BOUND] = "bound", [CHILD_SIZE] = "size",
    [CHILD_ROWS] = "rows", [CHILD_FROM] = "from", [CHILD_TO] = "to",
    [CHILD_IS_DEFAULT] = "is_default", [CHILD_PARTITIONED] = "partitioned",
};

int children_open(struct children *ch, const char *json)
{
    memset(ch, 0, sizeof *ch);
    for (int f = 0; f < CHILD_FIELDS; f++)
        ch->at[f] = -1;
    if (!json)
        return 0;
    json_error_t err;
    ch->all = json_loads(json, 0, &err);
    const json_t *names = json_array_get(ch->all, 0);
    if (!json_is_array(names)) {
        children_close(ch);
        return 0;
    }
    for (size_t k = 0; k < json_array_size(names); k++) {
        const char *name = json_string_value(json_array_get(names, k));
        for (int f = 0; name && f < CHILD_FIELDS; f++)
            if (ch->at[f] < 0 && strcmp(name, child_field_names[f]) == 0)
                ch->at[f] = (int)k;
    }
    ch->n = (int)json_array_size(ch->all) - 1;
    return ch->n;
}

json_t *children_get(const struct children *ch, int i, enum child_field f)
{
    if (i < 0 || i >= ch->n || ch->at[f] < 0)
        return NULL;
    return json_array_get(json_array_get(ch->all, (size_t)i + 1), (size_t)ch->at[f]);
}

double children_number(const struct children *ch, int i, enum child_field f)
{
    const json_t *v = children_get(ch, i, f);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

bool children_true(const struct children *ch, int i, enum child_field f)
{
    return json_is_true(children_get(ch, i, f));
}

void children_close(struct children *ch)
{
    json_decref(ch->all);
    ch->all = NULL;
    ch->n = 0;
}

/* Facts from a table's direct partitions (its children column). */
struct children_facts {
    int    outside;             /* wholly before the retention cutoff */
    double outside_bytes;
    double current_bytes;       /* the partition holding now */
    double current_from, current_to;
    double largest_before;      /* the largest complete partition before
                                   it, of about the same width; 0 if none */
};

/* Partitions of about the usual width (within 25 %), for the growth
 * comparison: a catch-all partition spanning decades says nothing about
 * how fast this month fills up. */
static bool usual_width(double from, double to, double width)
{
    double w = to - from;
    return !isnan(width) && width > 0 && !isinf(w) && w >= 0.8 * width && w <= 1.25 * width;
}

static void read_children(const char *json, double now, double cutoff, double width,
                          struct children_facts *f)
{
    memset(f, 0, sizeof *f);
    f->current_bytes = f->current_from = f->current_to = NAN;
    struct children ch;
    int n = children_open(&ch, json);
    for (int i = 0; i < n; i++) {
        if (children_true(&ch, i, CHILD_IS_DEFAULT))
            continue;
        double from = children_number(&ch, i, CHILD_FROM), to = children_number(&ch, i, CHILD_TO);
        double size = children_number(&ch, i, CHILD_SIZE);
        if (isnan(from) || isnan(to))
            continue;
        if (!isnan(cutoff) && to <= cutoff) {
            f->outside++;
            if (!isnan(size))
                f->outside_bytes += size;
        }
        if (from <= now && now < to) {
            f->current_bytes = size;
            f->current_from = from;
            f->current_to = to;
        }
    }
    /* Earlier complete partitions, for the growth comparison. */
    if (!isnan(f->current_from) && usual_width(f->current_from, f->current_to, width)) {
        for (int i = 0; i < n; i++) {
            double to = children_number(&ch, i, CHILD_TO), size = children_number(&ch, i, CHILD_SIZE);
            double from = children_number(&ch, i, CHILD_FROM);
            if (!children_true(&ch, i, CHILD_IS_DEFAULT) && !isnan(to) &&
                to <= f->current_from && usual_width(from, to, width) &&
                !isnan(size) && size > f->largest_before)
                f->largest_before = size;
        }
    }
    children_close(&ch);
}

static void add_problem(char *buf, size_t len, const char *what)
{
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s", n ? ", " : "", what);
}

void derive_partitions_at(struct snapshot *s, const struct config *cfg, double wall)
{
    double needed = cfg ? cfg->alerts.partition_ahead_months : 1;
    for (int r = 0; r < s->nrows; r++) {
        double now = clock_of(s, r, wall);
        const char *name = snapshot_get(s, r, "name");
        char buf[512];

        int level = (int)number(s, r, "level");
        if (level > 0 && level < 16) {
            size_t o = 0;
            for (int i = 0; i < level && o + 2 < sizeof buf; i++) {
                buf[o++] = '-';
                buf[o++] = ' ';
            }
            snprintf(buf + o, sizeof buf - o, "%s", name ? ident_shown(name) : "");
            snapshot_set(s, r, "display", buf);
        } else {
            snapshot_set(s, r, "display", ident_shown(name));
        }
        derive_short_bound(snapshot_get(s, r, "oldest"), buf, sizeof buf);
        snapshot_set(s, r, "oldest_short", buf);
        derive_short_bound(snapshot_get(s, r, "newest"), buf, sizeof buf);
        snapshot_set(s, r, "newest_short", buf);

        bool timed = is_text(snapshot_get(s, r, "strategy"), "range") &&
                     is_time_type(snapshot_get(s, r, "key_type"));
        double parts = number(s, r, "partitions");
        bool has_default = snapshot_true(s, r, "has_default");
        double ranges = (isnan(parts) ? 0 : parts) - (has_default ? 1 : 0);
        double default_rows = number(s, r, "default_rows");
        char problems[256] = "";

        /* Coverage ahead, for tables range-partitioned on time.  Every
         * derived column is set on every row, NULL when it does not apply. */
        int ahead_ok = -1, covered = -1;
        snapshot_set(s, r, "ahead", NULL);
        snapshot_set(s, r, "ahead_seconds", NULL);
        snapshot_set(s, r, "months_ahead", NULL);
        if (timed && ranges > 0) {
            double cu = number(s, r, "covered_until");
            double width = number(s, r, "partition_seconds");
            bool monthly = isnan(width) || width >= MONTHLY_MIN_SECONDS;
            if (isnan(cu)) {
                covered = 0;
                ahead_ok = 0;
                snapshot_set(s, r, "ahead", "none");
                snapshot_set_number(s, r, "ahead_seconds", 0, 0);
                snapshot_set_number(s, r, "months_ahead", 0, 0);
                add_problem(problems, sizeof problems, "no partition for now");
            } else {
                covered = 1;
                int months = derive_months_ahead(now, cu);
                double ahead = cu - now;
                format_ahead(buf, sizeof buf, ahead, months, monthly, width);
                snapshot_set(s, r, "ahead", buf);
                snapshot_set_number(s, r, "ahead_seconds", ahead, 0);
                snapshot_set_number(s, r, "months_ahead", months, 0);
                if (monthly) {
                    ahead_ok = months >= needed;
                    if (!ahead_ok)
                        add_problem(problems, sizeof problems,
                                    months == 0 ? "no next month" : "few months ahead");
                } else {
                    double pa = number(s, r, "partitions_ahead");
                    ahead_ok = isinf(cu) || (!isnan(pa) && pa >= needed);
                    if (!ahead_ok)
                        add_problem(problems, sizeof problems, "no next partition");
                }
            }
        }
        snapshot_set_bool(s, r, "ahead_ok", ahead_ok);
        snapshot_set_bool(s, r, "now_covered", covered);

        /* Retention and growth, from the list of partitions. */
        const char *retention = cfg ? config_retention_for(cfg, snapshot_get(s, r, "schema"),
                                                           snapshot_get(s, r, "table")) : NULL;
        int rmonths = 0;
        double rseconds = 0, cutoff = NAN;
        if (timed && retention && derive_interval_parse(retention, &rmonths, &rseconds) == 0)
            cutoff = derive_time_minus(now, rmonths, rseconds);
        snapshot_set(s, r, "retention", timed ? retention : NULL);
        struct children_facts f;
        read_children(timed ? snapshot_get(s, r, "children") : NULL, now, cutoff,
                      number(s, r, "partition_seconds"), &f);
        snapshot_set_number(s, r, "outside_retention", isnan(cutoff) ? NAN : f.outside, 0);
        snapshot_set_number(s, r, "outside_retention_bytes", isnan(cutoff) ? NAN : f.outside_bytes, 0);
        if (!isnan(cutoff)) {
            if (f.outside > 0) {
                char what[48];
                snprintf(what, sizeof what, "%d past retention", f.outside);
                add_problem(problems, sizeof problems, what);
            }
        }
        snapshot_set_number(s, r, "current_bytes", f.current_bytes, 0);
        snapshot_set(s, r, "growth_per_day", NULL);
        snapshot_set(s, r, "projected_bytes", NULL);
        snapshot_set(s, r, "growth_ratio", NULL);
        double elapsed = now - f.current_from;
        if (!isnan(f.current_bytes) && elapsed > 3600) {
            snapshot_set_number(s, r, "growth_per_day", f.current_bytes / (elapsed / DAY), 0);
            double projected = f.current_bytes * (f.current_to - f.current_from) / elapsed;
            if (!isinf(projected))
                snapshot_set_number(s, r, "projected_bytes", projected, 0);
            if (f.largest_before > 0 && !isinf(projected))
                snapshot_set_number(s, r, "growth_ratio", projected / f.largest_before, 2);
        }

        bool default_rows_flag = !isnan(default_rows) && default_rows > 0;
        snapshot_set_bool(s, r, "default_flag", default_rows_flag);
        if (default_rows_flag)
            add_problem(problems, sizeof problems, "rows in default");
        snapshot_set(s, r, "problems", problems);
    }
}

void derive_partitions(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)prev;
    derive_partitions_at(now, app ? app->cfg : NULL, now_wall());
}
