/* The revocation file of a verified feed (feed.h): DLG_FEED_REVOKED_DIR/ID.conf,
 * in revoked.conf's syntax plus a `feed` group, written with libconfig's
 * writer into memory and then atomically into place.  The config loader
 * reads it back (config/config_feed.c), the NSS module in unprivileged
 * processes included, which is why it is world-readable: it holds nothing
 * the feed's web server does not serve to anyone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "feed/feed.h"

static int set_str(config_setting_t *parent, const char *name, const char *value)
{
    config_setting_t *s = config_setting_add(parent, name, CONFIG_TYPE_STRING);

    return s != NULL && config_setting_set_string(s, value) == CONFIG_TRUE ? 0 : -1;
}

/* Times as 64-bit integers: libconfig writes them with the L suffix. */
static int set_int(config_setting_t *parent, const char *name, int64_t value)
{
    config_setting_t *s = config_setting_add(parent, name, CONFIG_TYPE_INT64);

    return s != NULL && config_setting_set_int64(s, value) == CONFIG_TRUE ? 0 : -1;
}

static int set_names(config_setting_t *rv, const char *name, const struct dlg_strv *sv)
{
    config_setting_t *a = config_setting_add(rv, name, CONFIG_TYPE_ARRAY);

    if (a == NULL)
        return -1;
    for (size_t i = 0; i < sv->n; i++)
        if (set_str(a, NULL, sv->v[i]) != 0)
            return -1;
    return 0;
}

static int build(config_t *c, const struct dlg_feed_doc *d)
{
    config_setting_t *root = config_root_setting(c), *g, *rv, *list, *e;
    const struct dlg_feed_revs *r = &d->revs;

    g = config_setting_add(root, "feed", CONFIG_TYPE_GROUP);
    if (g == NULL || set_str(g, "id", d->iss) != 0 || set_int(g, "ver", d->ver) != 0 ||
        set_int(g, "iat", d->iat) != 0 || set_int(g, "exp", d->exp) != 0)
        return -1;
    rv = config_setting_add(root, "revoke", CONFIG_TYPE_GROUP);
    list = rv != NULL ? config_setting_add(rv, "tickets", CONFIG_TYPE_LIST) : NULL;
    if (list == NULL)
        return -1;
    for (size_t i = 0; i < r->ntickets; i++) {
        e = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
        if (e == NULL || set_str(e, "id", r->tickets[i].id) != 0 ||
            (r->tickets[i].until != 0 && set_int(e, "until", r->tickets[i].until) != 0))
            return -1;
    }
    if (set_names(rv, "actors", &r->actors) != 0 ||
        set_names(rv, "principals", &r->principals) != 0 ||
        set_names(rv, "issuers", &r->issuers) != 0 || set_names(rv, "keys", &r->keys) != 0)
        return -1;
    if (r->has_issued_before && set_int(rv, "issued_before", r->issued_before) != 0)
        return -1;
    return 0;
}

int dlg_feed_revfile_write(const char *dir, const struct dlg_feed_doc *d, char *err,
                           size_t errlen)
{
    char *path = NULL, *mem = NULL;
    size_t memlen = 0;
    FILE *f = NULL;
    config_t c;
    int rc = -1;

    config_init(&c);
    config_set_options(&c, CONFIG_OPTION_SEMICOLON_SEPARATORS);
    if (asprintf(&path, "%s/%s.conf", dir, d->iss) < 0) {
        path = NULL;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (build(&c, d) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    f = open_memstream(&mem, &memlen);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    fprintf(f, "# Revocations of feed \"%s\", version %lld, verified and written by delegatectl.\n"
               "# Read by every user of the config like revoked.conf; do not edit: the next\n"
               "# accepted version replaces it (see delegatectl(8), feed).\n",
            d->iss, (long long)d->ver);
    config_write(&c, f);
    if (fclose(f) != 0 || mem == NULL) {
        f = NULL;
        snprintf(err, errlen, "cannot format %s", path);
        goto out;
    }
    f = NULL;
    rc = dlg_feed_write_atomic(path, mem, memlen, 0644, err, errlen);
out:
    if (f != NULL)
        fclose(f);
    free(mem);
    free(path);
    config_destroy(&c);
    return rc;
}
