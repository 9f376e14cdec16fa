#ifndef PGDECK_CALENDAR_H
#define PGDECK_CALENDAR_H

/* Civil time: dates and times of day in UTC on the proleptic Gregorian
 * calendar, as PostgreSQL counts them, without the C library's time zone
 * and range limits (gmtime, timegm).  Partition bounds and retention
 * cut-offs are worked out with these. */

/* A moment as a UTC calendar date and time of day. */
struct civil_time {
    int year, month, day;       /* month 1..12, day 1..31 */
    int hour, minute, second;
};

/* Parse "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (a 'T' works too; anything
 * after the seconds is ignored).  A day the month does not have is
 * refused.  Returns 0 or -1. */
int  civil_parse(const char *text, struct civil_time *t);
/* Seconds since 1970-01-01 00:00:00 and back. */
long long civil_to_epoch(const struct civil_time *t);
void civil_from_epoch(long long epoch, struct civil_time *t);
/* Add calendar months (or take them away); a day past the end of the
 * month is clamped to it, as PostgreSQL's timestamp + interval does:
 * 31 March - 1 month is 28 or 29 February. */
void civil_add_months(struct civil_time *t, int months);
int  civil_compare(const struct civil_time *a, const struct civil_time *b);
/* 28 to 31: the days of `month` (1..12) in `year`. */
int  civil_days_in_month(int year, int month);

#endif
