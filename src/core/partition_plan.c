/* Partition maintenance planned from existing bounds (see partition_plan.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/action_sql.h"
#include "core/partition_plan.h"
#include "base/calendar.h"
#include "base/xalloc.h"

#define DEFAULT_MAX_CREATE 120
/* PostgreSQL truncates longer names; a partition must get the name shown. */
#define NAME_MAX_BYTES 63

char *partition_literal(enum partition_key_type key, const struct civil_time *t)
{
    switch (key) {
    case PARTITION_KEY_DATE:
        return xasprintf("'%04d-%02d-%02d'", t->year, t->month, t->day);
    case PARTITION_KEY_TIMESTAMP:
        return xasprintf("'%04d-%02d-%02d %02d:%02d:%02d'", t->year, t->month, t->day,
                         t->hour, t->minute, t->second);
    case PARTITION_KEY_TIMESTAMPTZ:
        break;
    }
    return xasprintf("'%04d-%02d-%02d %02d:%02d:%02d+00'", t->year, t->month, t->day,
                     t->hour, t->minute, t->second);
}

/* ---- the step ------------------------------------------------------------- */

struct step_size {
    int months;
    long long seconds;
};

static void advance(struct civil_time *t, const struct step_size *s, int times)
{
    if (s->months)
        civil_add_months(t, s->months * times);
    else
        civil_from_epoch(civil_to_epoch(t) + s->seconds * times, t);
}

/* The step of one partition: whole months when both ends fall on the same
 * day and time of a month, else its width in seconds. */
static int step_of(const struct partition_bound *b, struct step_size *s)
{
    memset(s, 0, sizeof *s);
    const struct civil_time *f = &b->from, *t = &b->to;
    if (f->day == t->day && f->hour == t->hour && f->minute == t->minute && f->second == t->second) {
        int months = (t->year - f->year) * 12 + (t->month - f->month);
        if (months > 0) {
            s->months = months;
            return 0;
        }
    }
    long long width = civil_to_epoch(t) - civil_to_epoch(f);
    if (width <= 0)
        return -1;
    s->seconds = width;
    return 0;
}

static char *step_name(const struct step_size *s)
{
    if (s->months == 1)
        return xstrdup("1 month");
    if (s->months)
        return s->months % 12 == 0 ? xasprintf("%d year%s", s->months / 12, s->months == 12 ? "" : "s")
                                   : xasprintf("%d months", s->months);
    if (s->seconds % 86400 == 0)
        return xasprintf("%lld day%s", s->seconds / 86400, s->seconds == 86400 ? "" : "s");
    if (s->seconds % 3600 == 0)
        return xasprintf("%lld hour%s", s->seconds / 3600, s->seconds == 3600 ? "" : "s");
    return xasprintf("%lld seconds", s->seconds);
}

static bool same_step(const struct step_size *a, const struct step_size *b)
{
    return a->months == b->months && a->seconds == b->seconds;
}

/* ---- names ---------------------------------------------------------------- */

/* Date spellings a partition name may carry, finest first. */
static const char *const name_formats[] = {
    "%Y%m%d_%H%M", "%Y_%m_%d_%H%M", "%Y%m%d%H",
    "%Y_%m_%d", "%Y-%m-%d", "%Y%m%d", "y%Ym%md%d",
    "y%Ym%m", "%Y_%m", "%Y-%m", "%Ym%m", "%Y%m",
    "y%Y", "%Y",
};

static void render(char *buf, size_t len, const char *fmt, const struct civil_time *t)
{
    size_t o = 0;
    for (const char *p = fmt; *p && o + 8 < len; p++) {
        if (*p != '%' || !p[1]) {
            buf[o++] = *p;
            continue;
        }
        p++;
        int n = 0;
        switch (*p) {
        case 'Y': n = snprintf(buf + o, len - o, "%04d", t->year); break;
        case 'm': n = snprintf(buf + o, len - o, "%02d", t->month); break;
        case 'd': n = snprintf(buf + o, len - o, "%02d", t->day); break;
        case 'H': n = snprintf(buf + o, len - o, "%02d", t->hour); break;
        case 'M': n = snprintf(buf + o, len - o, "%02d", t->minute); break;
        default: buf[o++] = *p; break;
        }
        o += (size_t)(n > 0 ? n : 0);
    }
    buf[o] = '\0';
}

/* The last occurrence of needle in hay, or NULL. */
static const char *last_match(const char *hay, const char *needle)
{
    const char *found = NULL;
    size_t n = strlen(needle);
    if (!n)
        return NULL;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        found = p;
    return found;
}

/* A naming rule: the newest partition's name with its date spelled by
 * `format` at [prefix_len, prefix_len + date_len). */
struct naming {
    const char *format;             /* NULL: the default names */
    char  prefix[128], suffix[128];
};

static void default_naming(struct naming *n, const char *parent, const struct step_size *s)
{
    memset(n, 0, sizeof *n);
    if (s->months && s->months % 12 == 0)
        n->format = "y%Y";
    else if (s->months)
        n->format = "y%Ym%m";
    else if (s->seconds % 86400 == 0)
        n->format = "p%Y%m%d";
    else
        n->format = "p%Y%m%d_%H%M";
    snprintf(n->prefix, sizeof n->prefix, "%s_", parent);
}

/* Find how the newest partition spells its start in its name. */
static bool infer_naming(struct naming *n, const char *name, const struct civil_time *from)
{
    memset(n, 0, sizeof *n);
    for (size_t i = 0; i < sizeof name_formats / sizeof name_formats[0]; i++) {
        char date[64];
        render(date, sizeof date, name_formats[i], from);
        const char *at = last_match(name, date);
        if (!at)
            continue;
        size_t pre = (size_t)(at - name);
        if (pre >= sizeof n->prefix || strlen(at + strlen(date)) >= sizeof n->suffix)
            return false;
        n->format = name_formats[i];
        memcpy(n->prefix, name, pre);
        n->prefix[pre] = '\0';
        snprintf(n->suffix, sizeof n->suffix, "%s", at + strlen(date));
        return true;
    }
    return false;
}

static char *make_name(const struct naming *n, const struct civil_time *from)
{
    char date[64];
    render(date, sizeof date, n->format, from);
    return xasprintf("%s%s%s", n->prefix, date, n->suffix);
}

/* ---- building the plan ------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void note(struct partition_plan *p, const char *fmt, ...)
{
    if (p->nnotes >= PARTITION_MAX_NOTES)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    p->notes[p->nnotes++] = xstrdup(buf);
}

__attribute__((format(printf, 2, 3)))
static int refuse(struct partition_plan *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(p->refusal);
    p->refusal = xstrdup(buf);
    for (int i = 0; i < p->nsteps; i++) {
        free(p->steps[i].schema);
        free(p->steps[i].name);
        free(p->steps[i].from_literal);
        free(p->steps[i].to_literal);
        free(p->steps[i].statement);
    }
    free(p->steps);
    p->steps = NULL;
    p->nsteps = p->creates = p->detaches = p->drops = 0;
    return -1;
}

static struct partition_step *add_step(struct partition_plan *p, enum partition_op op,
                                       const char *schema, const char *name)
{
    p->steps = xrealloc(p->steps, (size_t)(p->nsteps + 1) * sizeof *p->steps);
    struct partition_step *s = &p->steps[p->nsteps++];
    memset(s, 0, sizeof *s);
    s->op = op;
    s->schema = xstrdup(schema);
    s->name = xstrdup(name);
    return s;
}

/* Whether [from, to) overlaps an existing range partition. */
static bool overlaps(const struct partition_input *in, const struct civil_time *from,
                     const struct civil_time *to)
{
    for (int i = 0; i < in->nparts; i++) {
        const struct partition_bound *b = &in->parts[i];
        if (!b->has_range || b->is_default)
            continue;
        bool starts_before_end = b->from_minvalue || civil_compare(&b->from, to) < 0;
        bool ends_after_start = b->to_maxvalue || civil_compare(&b->to, from) > 0;
        if (starts_before_end && ends_after_start)
            return true;
    }
    return false;
}

static bool name_taken(const struct partition_input *in, const struct partition_plan *p, const char *name)
{
    for (int i = 0; i < in->nparts; i++)
        if (strcmp(in->parts[i].name, name) == 0)
            return true;
    for (int i = 0; i < p->nsteps; i++)
        if (p->steps[i].op == PARTITION_CREATE && strcmp(p->steps[i].name, name) == 0)
            return true;
    return false;
}

static int plan_creates(struct partition_plan *p, const struct partition_input *in,
                        const struct partition_bound *newest, const struct step_size *step,
                        char *parent_q)
{
    /* The period holding now, on the grid of the newest partition. */
    struct civil_time from = newest->from, to = newest->to;
    for (int guard = 0; civil_compare(&in->now, &to) >= 0 && guard < 1000000; guard++) {
        from = to;
        advance(&to, step, 1);
    }
    for (int guard = 0; civil_compare(&in->now, &from) < 0 && guard < 1000000; guard++) {
        to = from;
        advance(&from, step, -1);
    }
    struct civil_time target = to;
    advance(&target, step, in->premake);

    struct naming naming;
    if (!infer_naming(&naming, newest->name, &newest->from))
        default_naming(&naming, in->table, step);

    int max = in->max_create > 0 ? in->max_create : DEFAULT_MAX_CREATE;
    int planned = 0;
    struct civil_time cur = newest->to;
    for (int guard = 0; civil_compare(&cur, &target) < 0; guard++) {
        struct civil_time next = cur;
        advance(&next, step, 1);
        if (guard > 100000)
            break;
        if (overlaps(in, &cur, &next)) {
            note(p, "the range from %04d-%02d-%02d is partly covered by an existing partition: skipped",
                 cur.year, cur.month, cur.day);
            cur = next;
            continue;
        }
        if (++planned > max)
            return refuse(p, "%s.%s would need more than %d new partitions to reach %d period(s) ahead "
                          "of now (the newest ends %04d-%02d-%02d): create them in smaller steps "
                          "(--premake) or by hand", in->schema, in->table, max, in->premake,
                          newest->to.year, newest->to.month, newest->to.day);
        char *name = make_name(&naming, &cur);
        if (strlen(name) > NAME_MAX_BYTES || name_taken(in, p, name)) {
            /* The newest partition's spelling is too coarse for the step
             * (or too long): fall back to pgdeck's own names. */
            free(name);
            default_naming(&naming, in->table, step);
            name = make_name(&naming, &cur);
            if (strlen(name) > NAME_MAX_BYTES || name_taken(in, p, name)) {
                int rc = refuse(p, "no usable name for the partition from %04d-%02d-%02d "
                                "(\"%s\" is taken or longer than %d bytes)",
                                cur.year, cur.month, cur.day, name, NAME_MAX_BYTES);
                free(name);
                return rc;
            }
        }
        struct partition_step *s = add_step(p, PARTITION_CREATE, newest->schema, name);
        free(name);
        s->from = cur;
        s->to = next;
        s->from_literal = partition_literal(in->key, &cur);
        s->to_literal = partition_literal(in->key, &next);
        char *part_q = sql_qualified(s->schema, s->name);
        if (!part_q)
            return refuse(p, "the partition name is not valid UTF-8");
        s->statement = xasprintf("CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)",
                                 part_q, parent_q, s->from_literal, s->to_literal);
        free(part_q);
        if (!p->create_from_literal)
            p->create_from_literal = xstrdup(s->from_literal);
        free(p->create_to_literal);
        p->create_to_literal = xstrdup(s->to_literal);
        p->creates++;
        cur = next;
    }
    p->covered_to = civil_compare(&cur, &newest->to) > 0 ? cur : newest->to;
    return 0;
}

static int plan_retention(struct partition_plan *p, const struct partition_input *in, char *parent_q)
{
    /* Oldest first, so an interrupted run leaves the newest in place. */
    int n = in->nparts;
    int *order = xcalloc((size_t)(n ? n : 1), sizeof *order);
    int count = 0;
    for (int i = 0; i < n; i++) {
        const struct partition_bound *b = &in->parts[i];
        if (b->is_default || !b->has_range || b->to_maxvalue)
            continue;
        if (!in->has_cutoff) {
            if (b->detach_pending)
                note(p, "%s.%s is waiting for an interrupted DETACH ... CONCURRENTLY; no retention is "
                     "configured, so it is left as it is", b->schema, b->name);
            continue;
        }
        if (civil_compare(&b->to, &in->cutoff) > 0)
            continue;
        int j = count++;
        while (j > 0 && civil_compare(&in->parts[order[j - 1]].from, &b->from) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int rc = 0;
    for (int k = 0; k < count && rc == 0; k++) {
        const struct partition_bound *b = &in->parts[order[k]];
        char *part_q = sql_qualified(b->schema, b->name);
        if (!part_q) {
            rc = refuse(p, "a partition name is not valid UTF-8");
            break;
        }
        struct partition_step *s = add_step(p, b->detach_pending ? PARTITION_FINALIZE : PARTITION_DETACH,
                                            b->schema, b->name);
        s->from = b->from;
        s->to = b->to;
        s->from_literal = b->from_minvalue ? xstrdup("MINVALUE") : partition_literal(in->key, &b->from);
        s->to_literal = partition_literal(in->key, &b->to);
        if (b->detach_pending)
            s->statement = xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE", parent_q, part_q);
        else
            s->statement = xasprintf("ALTER TABLE %s DETACH PARTITION %s%s", parent_q, part_q,
                                     in->detach_concurrently ? " CONCURRENTLY" : "");
        p->detaches++;
        free(part_q);
    }
    if (in->drop && rc == 0) {
        for (int k = 0; k < count; k++) {
            const struct partition_bound *b = &in->parts[order[k]];
            char *part_q = sql_qualified(b->schema, b->name);
            struct partition_step *s = add_step(p, PARTITION_DROP, b->schema, b->name);
            s->from = b->from;
            s->to = b->to;
            s->statement = xasprintf("DROP TABLE %s", part_q);
            p->drops++;
            free(part_q);
        }
    }
    free(order);
    return rc;
}

int partition_plan_build(struct partition_plan *p, const struct partition_input *in)
{
    memset(p, 0, sizeof *p);
    char *parent_q = sql_qualified(in->schema, in->table);
    if (!parent_q)
        return refuse(p, "the table name is not valid UTF-8");

    /* The newest range partition with finite bounds sets the step. */
    const struct partition_bound *newest = NULL;
    int ranges = 0;
    for (int i = 0; i < in->nparts; i++) {
        const struct partition_bound *b = &in->parts[i];
        if (b->is_default || !b->has_range || b->from_minvalue || b->to_maxvalue)
            continue;
        ranges++;
        if (!newest || civil_compare(&b->to, &newest->to) > 0)
            newest = b;
    }
    int rc;
    if (!newest) {
        rc = refuse(p, "%s.%s has no range partition with finite bounds to infer the interval from: "
                    "create the first one by hand", in->schema, in->table);
        free(parent_q);
        return rc;
    }
    struct step_size step;
    if (step_of(newest, &step) != 0) {
        rc = refuse(p, "the newest partition %s.%s has an empty range", newest->schema, newest->name);
        free(parent_q);
        return rc;
    }
    p->months = step.months;
    p->seconds = step.seconds;
    p->interval = step_name(&step);
    int mixed = 0;
    for (int i = 0; i < in->nparts; i++) {
        const struct partition_bound *b = &in->parts[i];
        struct step_size other;
        if (b->is_default || !b->has_range || b->from_minvalue || b->to_maxvalue)
            continue;
        if (step_of(b, &other) == 0 && !same_step(&other, &step))
            mixed++;
    }
    if (mixed)
        note(p, "%d of %d partitions have another width; following the newest (%s)", mixed, ranges,
             p->interval);

    rc = plan_creates(p, in, newest, &step, parent_q);
    if (rc == 0)
        rc = plan_retention(p, in, parent_q);
    free(parent_q);
    return rc;
}

void partition_plan_free(struct partition_plan *p)
{
    for (int i = 0; i < p->nsteps; i++) {
        free(p->steps[i].schema);
        free(p->steps[i].name);
        free(p->steps[i].from_literal);
        free(p->steps[i].to_literal);
        free(p->steps[i].statement);
    }
    free(p->steps);
    for (int i = 0; i < p->nnotes; i++)
        free(p->notes[i]);
    free(p->interval);
    free(p->refusal);
    free(p->create_from_literal);
    free(p->create_to_literal);
    memset(p, 0, sizeof *p);
}
