#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "base/clock.h"
#include "base/xalloc.h"

int alert_severity(enum alert_level level)
{
    switch (level) {
    case ALERT_CRITICAL: return 3;
    case ALERT_WARNING:  return 2;
    case ALERT_UNKNOWN:  return 1;
    case ALERT_OK:       return 0;
    }
    return 0;
}

void alert_set(struct alert *a, enum alert_level level, const char *name, const char *fmt, ...)
{
    a->level = level;
    a->as_of = 0;
    snprintf(a->name, sizeof a->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    a->text = xvasprintf(fmt, ap);
    va_end(ap);
}

void alerts_free(struct alert *a, int n)
{
    for (int i = 0; i < n; i++) {
        free(a[i].text);
        a[i].text = NULL;
    }
}

/* Only the first two names are kept: the rest are counted. */
void alert_names_add(struct alert_names *n, const char *name)
{
    if (n->count < 2) {
        char *text = xasprintf("%s%s%s", n->text ? n->text : "", n->text ? ", " : "", name ? name : "?");
        free(n->text);
        n->text = text;
    }
    n->count++;
}

char *alert_names_take(struct alert_names *n)
{
    char *text = n->count > 2 ? xasprintf("%s (+%d more)", n->text, n->count - 2)
                              : xstrdup(n->text ? n->text : "");
    free(n->text);
    n->text = NULL;
    n->count = 0;
    return text;
}

/* Each rule names the collectors whose snapshots it reads: an alert found
 * in a snapshot that is stale says so (as_of), so a paused console or a
 * server that stopped answering never passes old findings off as now.
 * The oldest stale snapshot among those a rule reads, 0 if none is.  A
 * rule reads the latest snapshot only when it has data (a failed one it
 * skips), so that is the one that counts here: stale when it is older
 * than two cadences, or when its server is down now (until the next run
 * replaces it with the failure, it is the last known, not the present). */
static double rule_as_of(const struct app *app, const struct alert_rule *rule)
{
    double oldest = 0, now = now_monotonic();
    for (int k = 0; k < ALERT_RULE_READS && rule->reads[k]; k++) {
        const struct collector *c = collector_find(app, rule->reads[k]);
        const struct snapshot *s = c ? c->current : NULL;
        if (!s || s->error)
            continue;
        double as_of = collector_stale_as_of(c, now);
        if (!(as_of > 0) && !collector_source_up(c))
            as_of = s->taken_at;
        if (as_of > 0 && (oldest == 0 || as_of < oldest))
            oldest = as_of;
    }
    return oldest;
}

/* Sort key: the level, then fresh before stale. */
static int rank(const struct alert *a)
{
    return (int)a->level * 2 + (a->as_of > 0 ? 0 : 1);
}

int alerts_evaluate(const struct app *app, struct alert *out, int max)
{
    int n = 0;
    for (int s = 0; s < nsubjects; s++) {
        for (int i = 0; i < subjects[s]->nalerts && n < max; i++) {
            const struct alert_rule *rule = &subjects[s]->alerts[i];
            int found = rule->find(app, out + n, max - n);
            double as_of = found ? rule_as_of(app, rule) : 0;
            for (int k = n; k < n + found; k++)
                out[k].as_of = as_of;
            n += found;
        }
    }
    /* Worst first, rule order within a level (a stable insertion sort): a
     * narrow alert line shows the critical ones. */
    for (int i = 1; i < n; i++) {
        struct alert a = out[i];
        int j = i;
        while (j > 0 && rank(&out[j - 1]) < rank(&a)) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = a;
    }
    return n;
}

double alerts_as_of(const struct app *app)
{
    double oldest = 0;
    for (int s = 0; s < nsubjects; s++) {
        for (int i = 0; i < subjects[s]->nalerts; i++) {
            double as_of = rule_as_of(app, &subjects[s]->alerts[i]);
            if (as_of > 0 && (oldest == 0 || as_of < oldest))
                oldest = as_of;
        }
    }
    return oldest;
}

int alerts_perfdata(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    for (int s = 0; s < nsubjects && n < max; s++)
        if (subjects[s]->perfdata)
            n += subjects[s]->perfdata(app, out + n, max - n);
    return n;
}

void alert_perf(struct perfdata *p, const char *label, double value, const char *unit,
                double warn, double crit)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    p->value = value;
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->warn = warn;
    p->crit = crit;
}
