/* check: the alert rules once, as a monitoring plugin (Nagios, Icinga,
 * Sensu, Zabbix's external checks) expects them:
 *
 *   PGDECK WARNING - 1 slow query (pid 4242 running 3.1 s > 1000 ms) | active_queries=1 longest_query=3.1s;1;10
 *   WARNING slow_query: 1 slow query (pid 4242 running 3.1 s > 1000 ms)
 *
 * The first line carries the state, the texts of the worst findings and,
 * after '|', the performance data (label=value[unit];warn;crit); each
 * finding follows on a line of its own.  The exit code is the state: 0 OK,
 * 1 WARNING, 2 CRITICAL (a primary that cannot be reached is the finding
 * "primary down since 14:03:27 (Connection refused)"), 3 UNKNOWN (main
 * exits 3 when the options or the configuration are bad).
 *
 * The output is meant for a monitoring system's web page and mail, so it is
 * folded to lines, written through the sanitizing writer (textout.h) like
 * everything else the front ends print, and a
 * '|' inside a text (a table could be named so) becomes '/': it would
 * otherwise start the performance data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "front/frontend.h"
#include "front/frontend_loop.h"
#include "base/quantity.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define MAX_ALERTS 64
#define MAX_PERF 64
/* Findings named on the first line; the rest follow below it anyway. */
#define FIRST_LINE_FINDINGS 3

enum { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Text for the plugin output: one line, harmless, no '|'.  Owned by the
 * caller.  check --from (check_from.c) writes its lines with it too. */
char *check_plugin_text(const char *text, int flags)
{
    char *s = sanitize(text, SANITIZE_FOLD | flags);
    for (char *p = s; *p; p++)
        if (*p == '|')
            *p = '/';
    return s;
}

/* A number as performance data wants it: plain decimal, no exponent, no
 * trailing zeros. */
static void perf_number(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "%.3f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, len, "0");
}

/* label=value[unit][;warn;crit], the label quoted when it needs to be
 * (spaces, '=' or quotes; a quote inside is doubled). */
static void print_perfdata(const struct perfdata *p, int flags)
{
    char *label = check_plugin_text(p->label, flags);
    if (strpbrk(label, " ='")) {
        /* Quoted as one string: the writer must see whole characters. */
        char *quoted = xmalloc(strlen(label) * 2 + 3), *o = quoted;
        *o++ = '\'';
        for (const char *c = label; *c; c++) {
            if (*c == '\'')
                *o++ = '\'';
            *o++ = *c;
        }
        *o++ = '\'';
        *o = '\0';
        textout_printf(stdout, "%s", quoted);
        free(quoted);
    } else {
        textout_printf(stdout, "%s", label);
    }
    free(label);
    char value[48], warn[48], crit[48];
    perf_number(value, sizeof value, p->value);
    perf_number(warn, sizeof warn, p->warn);
    perf_number(crit, sizeof crit, p->crit);
    textout_printf(stdout, "=%s%s", *value ? value : "U", *value ? p->unit : "");
    if (*warn || *crit)
        textout_printf(stdout, ";%s;%s", warn, crit);
}

static int unknown(struct app *app, const char *why)
{
    char *text = check_plugin_text(why, app->cfg->ascii ? SANITIZE_ASCII : 0);
    textout_printf(stdout, "PGDECK UNKNOWN - cannot connect: %s\n", text);
    free(text);
    fflush(stdout);
    frontend_close(app);
    return EXIT_UNKNOWN;
}

static int by_severity(const void *a, const void *b)
{
    const struct alert *x = a, *y = b;
    int d = alert_severity(y->level) - alert_severity(x->level);
    /* qsort is not stable: keep the rules' order among equals. */
    return d ? d : (x < y ? -1 : x > y);
}

int frontend_check(struct app *app)
{
    int flags = app->cfg->ascii ? SANITIZE_ASCII : 0;
    double start = now_monotonic();
    bool all = frontend_collect(app, frontend_deadline(app));
    double waited = now_monotonic() - start;

    /* A primary that cannot be reached is a finding (primary_down,
     * CRITICAL) like any other; UNKNOWN is for a check that cannot run. */
    if (!app->primary)
        return unknown(app, frontend_primary_down(app));

    struct alert alerts[MAX_ALERTS];
    int n = alerts_evaluate(app, alerts, MAX_ALERTS);
    qsort(alerts, (size_t)n, sizeof alerts[0], by_severity);
    struct perfdata perf[MAX_PERF];
    int nperf = alerts_perfdata(app, perf, MAX_PERF);

    enum alert_level worst = ALERT_OK;
    for (int i = 0; i < n; i++)
        if (alert_severity(alerts[i].level) > alert_severity(worst))
            worst = alerts[i].level;

    textout_printf(stdout, "PGDECK %s - ", state_names[worst]);
    if (worst == ALERT_OK) {
        textout_printf(stdout, "no alerts (%d collectors)", app->ncollectors);
    } else {
        int shown = 0, same = 0;
        for (int i = 0; i < n; i++) {
            if (alerts[i].level != worst)
                continue;
            same++;
            if (shown == FIRST_LINE_FINDINGS)
                continue;
            char *text = check_plugin_text(alerts[i].text, flags);
            textout_printf(stdout, "%s%s", shown ? "; " : "", text);
            free(text);
            shown++;
        }
        if (same > shown)
            textout_printf(stdout, " (and %d more)", same - shown);
    }
    if (nperf > 0) {
        textout_printf(stdout, " |");
        for (int i = 0; i < nperf; i++) {
            textout_printf(stdout, " ");
            print_perfdata(&perf[i], flags);
        }
    }
    textout_printf(stdout, "\n");

    for (int i = 0; i < n; i++) {
        char *name = check_plugin_text(alerts[i].name, flags);
        char *text = check_plugin_text(alerts[i].text, flags);
        textout_printf(stdout, "%s %s: %s\n", state_names[alerts[i].level], name, text);
        free(name);
        free(text);
    }
    /* Say what the verdict could not look at, without changing it: a
     * collector that did not answer in time leaves its rules unevaluated. */
    if (!all) {
        char within[QUANTITY_LEN];
        quantity_duration(within, sizeof within, waited);
        for (int i = 0; i < app->ncollectors; i++)
            if (!app->collectors[i].current)
                textout_printf(stdout, "no result from collector %s within %s\n",
                               app->collectors[i].def->name, within);
    }
    fflush(stdout);
    alerts_free(alerts, n);
    frontend_close(app);
    return worst == ALERT_OK ? EXIT_OK : worst == ALERT_WARNING ? EXIT_WARNING
         : worst == ALERT_CRITICAL ? EXIT_CRITICAL : EXIT_UNKNOWN;
}
