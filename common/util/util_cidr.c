/* CIDRs: parsing "10.0.0.0/8" / "::1/128" and matching a literal remote
 * address.  libc only (the NSS module links this file). */
#include "util/util.h"
#include "util/util_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int dlg_cidr_parse(const char *s, struct dlg_cidr *out)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash;
    size_t alen;
    unsigned maxbits, prefix;
    struct dlg_cidr c;

    if (s == NULL)
        return -1;
    memset(&c, 0, sizeof(c));
    slash = strchr(s, '/');
    alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(addr))
        return -1;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, c.addr) == 1) {
        c.family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
        c.family = AF_INET6;
        maxbits = 128;
    } else {
        return -1;
    }
    if (slash == NULL) {
        prefix = maxbits;
    } else {
        const char *p = slash + 1;
        uint64_t v;
        const char *end;
        /* Decimal, no sign, no leading zeros ("0" itself is fine). */
        if (p[0] == '0' && p[1] != '\0')
            return -1;
        if (parse_u64(p, &end, &v) != 0 || *end != '\0' || v > maxbits)
            return -1;
        prefix = (unsigned)v;
    }
    /* Host bits must be zero: "10.0.0.1/8" is a typo, not a network. */
    for (unsigned bit = prefix; bit < maxbits; bit++) {
        if (c.addr[bit / 8] & (0x80u >> (bit % 8)))
            return -1;
    }
    c.prefix = prefix;
    *out = c;
    return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool dlg_cidr_match(const struct dlg_cidr *c, const char *rhost)
{
    unsigned char a[16];

    if (c == NULL || rhost == NULL || *rhost == '\0')
        return false;
    if (inet_pton(AF_INET, rhost, a) == 1) {
        if (c->family == AF_INET)
            return prefix_equal(a, c->addr, c->prefix);
        /* An IPv4 peer against a v4-mapped IPv6 network. */
        unsigned char m[16];
        memcpy(m, v4mapped_prefix, 12);
        memcpy(m + 12, a, 4);
        return c->family == AF_INET6 && prefix_equal(m, c->addr, c->prefix);
    }
    if (inet_pton(AF_INET6, rhost, a) == 1) {
        if (c->family == AF_INET6)
            return prefix_equal(a, c->addr, c->prefix);
        /* "::ffff:10.1.2.3" (a dual-stack socket) against an IPv4 network. */
        if (c->family == AF_INET && memcmp(a, v4mapped_prefix, 12) == 0)
            return prefix_equal(a + 12, c->addr, c->prefix);
    }
    return false;
}
