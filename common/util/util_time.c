/* Times: RFC 3339 and duration parsing, formatting, and overflow-safe
 * arithmetic.  libc only (the NSS module links this file). */
#include "util/util.h"
#include "util/util_int.h"

#include <stdio.h>
#include <string.h>

/* Latest accepted time: 9999-12-31T23:59:59Z. */
#define DLG_TIME_MAX INT64_C(253402300799)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil calendar algorithm), no TZ or locale involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Exactly n decimal digits. */
static bool take_digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}


int dlg_parse_time(const char *s, int64_t *out)
{
    const char *p = s;
    unsigned year, mon, day, hh, mm, ss, oh = 0, om = 0;
    int sign = 0;

    if (s == NULL)
        return -1;
    if (*p == '@') {
        uint64_t v;
        const char *end;
        if (parse_u64(p + 1, &end, &v) != 0 || *end != '\0' || v > (uint64_t)DLG_TIME_MAX)
            return -1;
        *out = (int64_t)v;
        return 0;
    }
    if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &day))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (!take_digits(&p, 2, &hh) || !take_char(&p, ':') || !take_digits(&p, 2, &mm) ||
        !take_char(&p, ':') || !take_digits(&p, 2, &ss))
        return -1;
    if (*p == '.') {                    /* fraction: allowed, truncated */
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hh > 23 || mm > 59 || ss > 59)
        return -1;
    int64_t t = days_from_civil(year, mon, day) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss;
    t -= (int64_t)sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    if (t < 0 || t > DLG_TIME_MAX)
        return -1;
    *out = t;
    return 0;
}

int dlg_parse_duration(const char *s, int64_t *out)
{
    uint64_t v, mult = 1;
    const char *end;

    if (s == NULL || parse_u64(s, &end, &v) != 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 's': mult = 1; end++; break;
    case 'm': mult = 60; end++; break;
    case 'h': mult = 3600; end++; break;
    case 'd': mult = 86400; end++; break;
    default:
        return -1;
    }
    if (*end != '\0')
        return -1;
    if (v > (uint64_t)DLG_TIME_MAX / mult)
        return -1;
    *out = (int64_t)(v * mult);
    return 0;
}

void dlg_format_time(int64_t t, char *buf, size_t len)
{
    int64_t days = t / 86400, secs = t % 86400, y;
    unsigned m, d;

    if (buf == NULL || len == 0)
        return;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

/* ---- time arithmetic ---------------------------------------------------- */

int64_t dlg_time_add(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

int64_t dlg_time_sub(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}
