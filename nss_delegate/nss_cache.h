/* The per-process config cache of the NSS module.  A snapshot is an immutable
 * parsed config with a reference count: lookups take a reference, answer from
 * it without any lock, and drop it.  A snapshot stays current while every file
 * it was read from keeps its device, inode, size, mtime and ctime. */
#ifndef DLG_NSS_CACHE_H
#define DLG_NSS_CACHE_H

#include <nss.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

/* Ids below this are never managed (DESIGN.md §6 refuses them in the config),
 * so they are answered NOTFOUND without looking at the config. */
#define DLG_NSS_MIN_ID 1000

struct nss_snap;

/* The current config, reloaded first if it changed.  SUCCESS with *out set
 * (release it with nss_snap_put), NOTFOUND with *errnop ENOENT when the
 * main config file does not exist (not installed: not logged), or UNAVAIL
 * with *errnop EIO (unusable config; logged to syslog, rate-limited) or
 * ENOMEM. */
enum nss_status nss_snap_get(struct nss_snap **out, int *errnop);
void nss_snap_put(struct nss_snap *s);
const struct dlg_config *nss_snap_config(const struct nss_snap *s);

/* Enumeration state of one database (setXXent/getXXent_r/endXXent): a
 * snapshot of its own and an index, under a lock apart from the cache's. */
struct nss_cursor {
    pthread_mutex_t lock;
    struct nss_snap *snap;
    size_t next;
};
#define NSS_CURSOR_INIT { PTHREAD_MUTEX_INITIALIZER, NULL, 0 }

/* One each for passwd, group and shadow. */
extern struct nss_cursor nss_pw_cursor, nss_gr_cursor, nss_sp_cursor;

enum nss_status nss_cursor_rewind(struct nss_cursor *c);
void nss_cursor_close(struct nss_cursor *c);
/* Lock c and make sure it holds a snapshot (getXXent_r without setXXent).
 * On SUCCESS the caller holds c->lock and must nss_cursor_unlock(c). */
enum nss_status nss_cursor_lock(struct nss_cursor *c, int *errnop);
void nss_cursor_unlock(struct nss_cursor *c);
/* With c locked: the first live actor (in uid order) at or after c->next,
 * moving c->next to it; NULL at the end.  The caller advances c->next past
 * it once the entry has been filled. */
const struct dlg_actor *nss_cursor_actor(struct nss_cursor *c);

/* For tests (hidden, not exported): read the config from path instead of
 * DLG_DEFAULT_CONFIG (NULL restores it; a path of PATH_MAX or more is
 * ignored) and drop the cached snapshot. */
void nss_delegate_set_config_path(const char *path);
/* How many times this process has parsed the config. */
unsigned long nss_delegate_load_count(void);

/* issue 13.  For tests (hidden): use the compiled form at path instead of
 * DLG_COMPILED_PATH (NULL restores it, "" turns it off) and drop the cached
 * snapshot.  How many snapshots came from the compiled form. */
void nss_delegate_set_compiled_path(const char *path);
unsigned long nss_delegate_compiled_count(void);
/* lcshim.c: libconfig loaded on demand (dlopen); false when it cannot be. */
bool nss_libconfig_available(void);

#endif
