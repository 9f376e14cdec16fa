/* The clocks (see clock.h). */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "base/clock.h"

double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *iso_time_utc(double wall, char *buf, size_t len)
{
    time_t secs = (time_t)floor(wall);
    int ms = (int)((wall - floor(wall)) * 1000);
    if (ms > 999)
        ms = 999;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, ms);
    return buf;
}

const char *clock_time_local(double wall, char *buf, size_t len)
{
    time_t secs = (time_t)floor(wall);
    struct tm tm;
    if (!localtime_r(&secs, &tm) || strftime(buf, len, "%H:%M:%S", &tm) == 0)
        snprintf(buf, len, "--:--:--");
    return buf;
}
