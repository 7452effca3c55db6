/* Internal to common/util*.c: what more than one of them uses. */
#ifndef DLG_UTIL_INT_H
#define DLG_UTIL_INT_H

#include <stdint.h>

/* Unsigned decimal without sign, leading '+' or spaces; no overflow. */
static inline int parse_u64(const char *s, const char **end, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned dgt = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return -1;
        v = v * 10 + dgt;
    }
    *end = p;
    *out = v;
    return 0;
}

#endif
