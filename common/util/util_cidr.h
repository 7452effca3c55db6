/* CIDRs (util_cidr.c); included by util.h. */
#ifndef DLG_UTIL_CIDR_H
#define DLG_UTIL_CIDR_H

#include <stdbool.h>

/* CIDRs: "10.0.0.0/8", "::1/128", a bare address = host route. */
struct dlg_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
};
int dlg_cidr_parse(const char *s, struct dlg_cidr *out);      /* 0 ok, -1 bad (host bits set is bad) */
/* rhost must be a literal IPv4/IPv6 address (v4-mapped v6 matches v4 CIDRs). */
bool dlg_cidr_match(const struct dlg_cidr *c, const char *rhost);

#endif
