/* The exchange's audit trail: one JSON object per request on stdout, which
 * systemd hands to the journal (`journalctl -u delegate-exchange -o cat`).
 * jansson escapes every control character and, with JSON_ENSURE_ASCII,
 * every non-ASCII one (U+0085, U+2028, U+2029 included), so a claim can
 * never split or forge a line.  Never a token or a ticket: exchange.c puts
 * only claims, ids, the key fingerprint and the decision in the record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xchg.h"

static pthread_mutex_t audit_mu = PTHREAD_MUTEX_INITIALIZER;

void x_audit_write(json_t *rec)
{
    char *line;
    size_t len, off = 0;

    if (!rec)
        return;
    line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    if (!line)
        return;
    len = strlen(line);
    line[len] = '\n';           /* json_dumps leaves room for its NUL */
    pthread_mutex_lock(&audit_mu);
    while (off < len + 1) {
        ssize_t n = write(STDOUT_FILENO, line + off, len + 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    pthread_mutex_unlock(&audit_mu);
    free(line);
}
