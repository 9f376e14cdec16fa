/* Quantities as pgdeck writes them (see quantity.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/quantity.h"

static char *dash(char *buf, size_t len)
{
    snprintf(buf, len, "-");
    return buf;
}

char *quantity_duration(char *buf, size_t len, double s)
{
    if (!isfinite(s))
        return dash(buf, len);
    if (s < 0) {
        /* A clock a little behind the server's: say so, do not hide it. */
        if (len < 2)
            return dash(buf, len);
        buf[0] = '-';
        quantity_duration(buf + 1, len - 1, -s);
        if (strcmp(buf + 1, "0ms") == 0)
            memmove(buf, buf + 1, strlen(buf + 1) + 1);
        return buf;
    }
    /* Each unit is chosen by the value rounded to that unit's precision:
     * what is shown never reads 1000ms, 60.0s, 1m60s or 24h00m. */
    double ms = llround(s * 1000);
    if (ms < 1000) {
        snprintf(buf, len, "%.0fms", ms);
        return buf;
    }
    long long tenths = llround(s * 10);
    if (tenths < 600) {
        snprintf(buf, len, "%lld.%llds", tenths / 10, tenths % 10);
        return buf;
    }
    long long secs = llround(s);
    if (secs < 3600) {
        snprintf(buf, len, "%lldm%02llds", secs / 60, secs % 60);
        return buf;
    }
    long long mins = llround(s / 60);
    if (mins < 24 * 60) {
        snprintf(buf, len, "%lldh%02lldm", mins / 60, mins % 60);
        return buf;
    }
    long long hours = llround(s / 3600);
    snprintf(buf, len, "%lldd%02lldh", hours / 24, hours % 24);
    return buf;
}

char *quantity_duration_ms(char *buf, size_t len, double ms)
{
    return quantity_duration(buf, len, ms / 1000);
}

/* The number of a size in its unit, rounded as shown: one decimal under
 * ten, whole numbers from ten (1.2 MB, 12 MB, 123 MB). */
static double shown(double v)
{
    double tenth = round(v * 10) / 10;
    return tenth < 10 ? tenth : round(v);
}

char *quantity_bytes(char *buf, size_t len, double bytes)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
    const int last = (int)(sizeof units / sizeof units[0]) - 1;
    if (!isfinite(bytes))
        return dash(buf, len);
    double v = fabs(bytes);
    const char *sign = bytes < 0 ? "-" : "";
    if (round(v) < 1024) {
        snprintf(buf, len, "%s%.0f B", sign, round(v));
        return buf;
    }
    int u = 0;
    /* Up a unit while the rounded number would read 1024 or more. */
    while (u < last && shown(v) >= 1024) {
        v /= 1024;
        u++;
    }
    double n = shown(v);
    snprintf(buf, len, n < 10 ? "%s%.1f %s" : "%s%.0f %s", sign, n, units[u]);
    return buf;
}

char *quantity_byte_rate(char *buf, size_t len, double bytes_per_second)
{
    if (!isfinite(bytes_per_second))
        return dash(buf, len);
    char b[QUANTITY_LEN];
    snprintf(buf, len, "%s/s", quantity_bytes(b, sizeof b, bytes_per_second));
    return buf;
}

char *quantity_count(char *buf, size_t len, double n)
{
    if (!isfinite(n))
        return dash(buf, len);
    char raw[64];
    snprintf(raw, sizeof raw, "%.0f", n);
    /* Thousands grouped with commas, so that big counters stay readable. */
    char out[96];
    int digits = (int)strlen(raw) - (raw[0] == '-');
    int o = 0;
    for (int i = 0; raw[i] && o < (int)sizeof out - 2; i++) {
        out[o++] = raw[i];
        if (raw[i] == '-')
            continue;
        digits--;
        if (digits > 0 && digits % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}

char *quantity_rate(char *buf, size_t len, double per_second, const char *what)
{
    if (!isfinite(per_second))
        return dash(buf, len);
    char n[QUANTITY_LEN];
    double tenth = round(per_second * 10) / 10;
    if (fabs(tenth) < 10)
        snprintf(n, sizeof n, "%.1f", tenth);
    else
        quantity_count(n, sizeof n, per_second);
    snprintf(buf, len, "%s%s%s/s", n, what ? " " : "", what ? what : "");
    return buf;
}

char *quantity_percent(char *buf, size_t len, double percent)
{
    if (!isfinite(percent))
        return dash(buf, len);
    double v = round(percent * 10) / 10;
    /* A hit ratio of 99.96% had misses, and 0.04% of CPU is some: the
     * rounding must not say otherwise. */
    if (v >= 100 && percent < 100)
        v = 99.9;
    else if (v <= 0 && percent > 0)
        v = 0.1;
    if (v == 0)
        v = 0;      /* -0.0 reads "0.0%" */
    snprintf(buf, len, "%.1f%%", v);
    return buf;
}

char *quantity_age(char *buf, size_t len, double s)
{
    if (!isfinite(s))
        return dash(buf, len);
    if (fabs(s) >= 1)
        return quantity_duration(buf, len, s);
    /* 0.95 s and more round to a second: "1.0s", as quantity_duration
     * writes a second. */
    long long tenths = llround(fabs(s) * 10);
    snprintf(buf, len, "%s%lld.%llds", s < 0 && tenths ? "-" : "", tenths / 10, tenths % 10);
    return buf;
}

char *quantity_percent_whole(char *buf, size_t len, double percent)
{
    if (!isfinite(percent))
        return dash(buf, len);
    double v = round(percent);
    if (v <= 0 && percent > 0)
        snprintf(buf, len, "<1%%");
    else
        snprintf(buf, len, "%.0f%%", v == 0 ? 0 : v);
    return buf;
}

char *quantity_fixed(char *buf, size_t len, double v, int decimals)
{
    static const double scale[10] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
    double scaled = decimals >= 0 && decimals <= 9 ? fabs(v) * scale[decimals] : INFINITY;
    /* Below 1e9 the product is within 1e-6 of the exact one, so away from
     * a tie it rounds the way printf's exact expansion does. */
    double whole = floor(scaled), frac = scaled - whole;
    if (!(scaled < 1e9) || fabs(frac - 0.5) < 1e-6 || len < 32) {
        snprintf(buf, len, "%.*f", decimals, v);
        return buf;
    }
    unsigned long long n = (unsigned long long)whole + (frac > 0.5);
    char digits[32];
    int k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n || k <= decimals);
    char *p = buf;
    /* printf keeps the sign of a negative value that rounds to zero. */
    if (signbit(v))
        *p++ = '-';
    while (k > decimals)
        *p++ = digits[--k];
    if (decimals > 0) {
        *p++ = '.';
        while (k > 0)
            *p++ = digits[--k];
    }
    *p = '\0';
    return buf;
}
