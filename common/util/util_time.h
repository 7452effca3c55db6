/* Times (util_time.c); included by util.h. */
#ifndef DLG_UTIL_TIME_H
#define DLG_UTIL_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Times. RFC 3339 ("2026-11-27T10:15:00Z", offsets allowed) or "@<secs>". */
int dlg_parse_time(const char *s, int64_t *out);               /* 0 ok, -1 bad */
/* "90s", "15m", "2h", "1d" (a bare number is seconds). */
int dlg_parse_duration(const char *s, int64_t *out);
/* RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ"; buf >= 32. */
void dlg_format_time(int64_t t, char *buf, size_t len);

/* Overflow-safe time arithmetic: the result saturates at INT64_MIN or
 * INT64_MAX instead of wrapping (a wrapped time must never turn a deny into
 * an admit). */
int64_t dlg_time_add(int64_t a, int64_t b);
int64_t dlg_time_sub(int64_t a, int64_t b);

#endif
