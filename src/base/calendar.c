/* Civil time (see calendar.h). */
#include <stdio.h>
#include <string.h>

#include "base/calendar.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int civil_days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

int civil_parse(const char *text, struct civil_time *t)
{
    memset(t, 0, sizeof *t);
    if (!text)
        return -1;
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &t->year, &t->month, &t->day, &n) != 3 || n != 10)
        return -1;
    const char *rest = text + n;
    if (*rest == ' ' || *rest == 'T') {
        int m = 0;
        if (sscanf(rest + 1, "%2d:%2d:%2d%n", &t->hour, &t->minute, &t->second, &m) != 3 || m != 8)
            return -1;
    } else if (*rest) {
        return -1;
    }
    if (t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > civil_days_in_month(t->year, t->month) ||
        t->hour > 23 || t->minute > 59 || t->second > 59)
        return -1;
    return 0;
}

long long civil_to_epoch(const struct civil_time *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400LL +
           t->hour * 3600LL + t->minute * 60LL + t->second;
}

void civil_from_epoch(long long epoch, struct civil_time *t)
{
    long long days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
    long long secs = epoch - days * 86400;
    civil_from_days(days, &t->year, &t->month, &t->day);
    t->hour = (int)(secs / 3600);
    t->minute = (int)(secs % 3600 / 60);
    t->second = (int)(secs % 60);
}

void civil_add_months(struct civil_time *t, int months)
{
    long long total = (long long)t->year * 12 + (t->month - 1) + months;
    t->year = (int)(total >= 0 ? total / 12 : -((-total + 11) / 12));
    t->month = (int)(total - (long long)t->year * 12) + 1;
    int dim = civil_days_in_month(t->year, t->month);
    if (t->day > dim)
        t->day = dim;
}

int civil_compare(const struct civil_time *a, const struct civil_time *b)
{
    long long x = civil_to_epoch(a), y = civil_to_epoch(b);
    return x < y ? -1 : x > y;
}
