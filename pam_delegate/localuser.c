/* Is a user an ordinary local account?  Read /etc/passwd directly: going
 * through NSS could ask our own NSS module, which answers UNAVAIL exactly
 * when we need this (an unusable config). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam_delegate.h"

#define PD_PWBUF_MAX (1024 * 1024)

bool pd_is_local_user(const char *user)
{
    bool found = false;
    FILE *f = NULL;
    struct passwd pw, *res = NULL;
    size_t len = 4096;
    char *buf = NULL;
    int rc;

    if (user == NULL || user[0] == '\0')
        return false;
    if (strcmp(user, "root") == 0)
        return true;

    f = fopen("/etc/passwd", "re");
    if (f == NULL)
        goto out;
    buf = malloc(len);
    if (buf == NULL)
        goto out;
    for (;;) {
        rc = fgetpwent_r(f, &pw, buf, len, &res);
        if (rc == ERANGE && len < PD_PWBUF_MAX) {
            /* glibc rewinds to the start of the entry: retry it bigger */
            char *nbuf = realloc(buf, len * 2);
            if (nbuf == NULL)
                goto out;
            buf = nbuf;
            len *= 2;
            continue;
        }
        if (rc != 0 || res == NULL)
            break;
        if (strcmp(pw.pw_name, user) == 0) {
            found = true;
            break;
        }
    }
out:
    free(buf);
    if (f != NULL)
        fclose(f);
    return found;
}
