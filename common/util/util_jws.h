/* The three parts of a compact JWS (util_jws.c); included by util.h. */
#ifndef DLG_UTIL_JWS_H
#define DLG_UTIL_JWS_H

#include <stddef.h>

struct dlg_jws_parts {
    const char *header, *payload, *sig;   /* into the caller's text */
    size_t header_len, payload_len, sig_len;
};

/* Splits text[0..len) at its dots: 0 when there are exactly two (three
 * parts, any of which may be empty: each caller says what it accepts),
 * -1 otherwise. */
int dlg_jws_split(const char *text, size_t len, struct dlg_jws_parts *p);

#endif
