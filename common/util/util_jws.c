/* Splitting a compact JWS (header.payload.signature), shared by the ticket,
 * feed and exchange readers. */
#include <string.h>

#include "util/util_jws.h"

int dlg_jws_split(const char *text, size_t len, struct dlg_jws_parts *p)
{
    const char *end, *dot1, *dot2;

    memset(p, 0, sizeof(*p));
    if (text == NULL)
        return -1;
    end = text + len;
    dot1 = memchr(text, '.', len);
    if (dot1 == NULL)
        return -1;
    dot2 = memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1));
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL)
        return -1;
    p->header = text;
    p->header_len = (size_t)(dot1 - text);
    p->payload = dot1 + 1;
    p->payload_len = (size_t)(dot2 - dot1 - 1);
    p->sig = dot2 + 1;
    p->sig_len = (size_t)(end - dot2 - 1);
    return 0;
}
