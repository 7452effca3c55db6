/* The host's delegation config (DESIGN.md §6) as one immutable value, and
 * the lookups every reader uses.  Two loaders make this value: the text
 * loader (config.c, libconfig) and the compiled snapshot's reader
 * (compiled_read.c, libc only); both fill the same structs with the same
 * meaning, and the lookups below never ask which of them ran.  libc only:
 * the NSS module links this. */
#ifndef DLG_CONFIG_H
#define DLG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "util/util.h"

/* DESIGN.md §6: tickets.clock_skew is at most this many seconds.  Whatever
 * must outlast every ticket the host could still admit (single-use markers,
 * revoked ticket ids) keeps at least this margin past the ticket's exp. */
#define DLG_CLOCK_SKEW_MAX 600

#include "config/config_fields.h"

struct dlg_config;

struct dlg_key {
    DLG_KEY_FIELDS(DLG_DECL)
};

struct dlg_issuer {
    DLG_ISSUER_FIELDS(DLG_DECL)
};

struct dlg_actor {
    DLG_ACTOR_FIELDS(DLG_DECL)
};

struct dlg_group {
    DLG_GROUP_FIELDS(DLG_DECL)
};

struct dlg_file_id {
    DLG_FILE_FIELDS(DLG_DECL)
};

/* Its revocations are merged into the config's revoke lists (they count
 * exactly like revoked.conf's). */
struct dlg_feed {
    DLG_FEED_FIELDS(DLG_DECL)
};

/* A set of revoked ticket ids with their `until` (0 = none given): one table
 * of records sorted by (hash, id) and the pool of NUL-terminated ids they
 * point into.  The hash only orders the table for a binary search: every hit
 * is confirmed against the stored id, so an id that merely collides with a
 * revoked one is never taken for it.  The text loader builds it
 * (dlg_revoked_set_build), the compiled reader maps it as it is on disk. */
struct dlg_revoked_rec {
    uint64_t hash;              /* dlg_revoked_hash(id) */
    uint32_t id;                /* offset of the id in pool */
    uint32_t reserved;          /* 0 */
    int64_t until;
};
struct dlg_revoked_set {
    const struct dlg_revoked_rec *v;
    size_t n;
    const char *pool;
    size_t pool_len;
};

/* sessions.tasks_max: the default, and the most a session may be given */
#define DLG_DEFAULT_TASKS_MAX 1024
#define DLG_TASKS_MAX_LIMIT 4194304

struct dlg_config {
    DLG_CONFIG_FIELDS(DLG_DECL)
};

/* ---- lookups (config_lookup.c) ------------------------------------------ */

/* The actor named name (by uid): 1 found (*out set), 0 no such actor, -1 the
 * config could not answer (an internal error).  A decision must never read
 * -1 as "not an actor": it denies actors with config_error (DESIGN §3 fail
 * closed) while users that are not actors keep their other routes. */
int dlg_config_find_actor(const struct dlg_config *cfg, const char *name,
                          const struct dlg_actor **out);
int dlg_config_find_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                 const struct dlg_actor **out);
/* The same, NULL for "absent" and for "could not answer" alike: only for
 * callers where both mean "show nothing" (NSS entries, reports). */
const struct dlg_actor *dlg_config_actor(const struct dlg_config *cfg, const char *name);
const struct dlg_actor *dlg_config_actor_by_uid(const struct dlg_config *cfg, uid_t uid);
/* O(log n), NULL when absent (these tables are always held whole). */
const struct dlg_group *dlg_config_group(const struct dlg_config *cfg, const char *name);
const struct dlg_group *dlg_config_group_by_gid(const struct dlg_config *cfg, gid_t gid);
const struct dlg_issuer *dlg_config_issuer(const struct dlg_config *cfg, const char *id);
bool dlg_config_ticket_revoked(const struct dlg_config *cfg, const char *jti);

/* Revoked id sets (config_revoked.c). */
uint64_t dlg_revoked_hash(const char *id);
const struct dlg_revoked_rec *dlg_revoked_find(const struct dlg_revoked_set *s, const char *id);
const char *dlg_revoked_id(const struct dlg_revoked_set *s, size_t i);
/* Build s from n ids (each valid, any order, duplicates allowed: the later
 * until wins, none beats any) into one allocation, *mem, that the caller
 * frees.  0, or -1 (ENOMEM, or more than 4 GiB of ids). */
int dlg_revoked_set_build(struct dlg_revoked_set *s, void **mem, const char *const *ids,
                          const int64_t *untils, size_t n);
/* Whether s is well formed: every id inside the pool and NUL-terminated,
 * records sorted by (hash, id) without duplicates, reserved 0.  Hashes are
 * not recomputed (the compiled form checksums them). */
bool dlg_revoked_set_valid(const struct dlg_revoked_set *s);

/* ---- what each loader provides ----------------------------------------- */

/* How a config answers for its actors and is freed.  Every config made by
 * the text loader, and the compiled reader's full form, hold all actors in
 * cfg->actors and use dlg_config_table_actor*; the compiled reader's lazy
 * form builds the one asked for from its mapped records. */
struct dlg_config_ops {
    int (*actor)(const struct dlg_config *cfg, const char *name, const struct dlg_actor **out);
    int (*actor_by_uid)(const struct dlg_config *cfg, uid_t uid, const struct dlg_actor **out);
    void (*release)(struct dlg_config *cfg);
};
/* bsearch in cfg->actors / cfg->actors_by_uid (never -1). */
int dlg_config_table_actor(const struct dlg_config *cfg, const char *name,
                           const struct dlg_actor **out);
int dlg_config_table_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                  const struct dlg_actor **out);

/* Free any config (through cfg->ops->release). */
void dlg_config_free(struct dlg_config *cfg);

/* True when every file recorded in cfg still has the same identity (dev,
 * inode, size, mtime, ctime). */
bool dlg_config_unchanged(const struct dlg_config *cfg);
bool dlg_file_id_same(const struct dlg_file_id *f, const struct stat *st);

/* The host name when host.name is unset: gethostname(), NUL-terminated.
 * 0, or -1 (buf too small, or no name). */
int dlg_system_host_name(char *buf, size_t len);

/* ---- the text loader (config.c) ------------------------------------------ */

/* Load, trust-check and validate.  On any error returns NULL and fills diag
 * with "FILE:LINE: message" lines (diag may be NULL).  Thread-safe: uses one
 * config_t per call and restores the calling thread's locale. */
struct dlg_config *dlg_config_load(const char *path, struct dlg_diag *diag);
/* dlg_config_load that records when it began (cfg->load_started_ns), so the
 * compiled form's writer can tell whether the loaded identities are racily
 * clean. */
struct dlg_config *dlg_config_load_stamped(const char *path, struct dlg_diag *diag);

/* Validate a standalone file that holds only a `revoke = { ... };` group
 * (trust-checked, same rules as in the full config).  Used by `delegatectl
 * revoke` on its temp file before the atomic rename.  0 ok, -1 with diag. */
int dlg_revoke_file_validate(const char *path, struct dlg_diag *diag);

/* Whether path (and what it includes) holds nothing but a `revoke` group,
 * or nothing at all: the only kind of file `delegatectl revoke` and `prune`
 * may rewrite without dropping a setting.  0 yes, -1 with diag (each other
 * setting as FILE:LINE: unknown setting ...). */
int dlg_revoke_file_check(const char *path, struct dlg_diag *diag);

/* Feeds (config_feed.c).  A feed is stale when no verified version is on
 * the host or now >= its exp.  dlg_config_feed_stale returns the first
 * stale feed of cfg (only those with on_stale = "end" when ending_only),
 * NULL when none is: DESIGN.md §3 rule 9 (feed_stale). */
const struct dlg_feed *dlg_config_feed(const struct dlg_config *cfg, const char *id);
bool dlg_feed_is_stale(const struct dlg_feed *f, int64_t now);
const struct dlg_feed *dlg_config_feed_stale(const struct dlg_config *cfg, int64_t now,
                                             bool ending_only);
/* The soonest exp of a fetched, not yet stale feed with on_stale = "end"
 * (when watch must look again), or INT64_MAX. */
int64_t dlg_config_feed_next_end(const struct dlg_config *cfg, int64_t now);

/* The revocations of one revoke file alone (a revoked.conf: `delegatectl
 * feed sign --from`), trust-checked like the config unless the caller owns
 * it (owner_ok: a publisher signs as itself, not as root).  NULL with diag. */
struct dlg_config *dlg_revoke_file_load(const char *path, bool owner_ok, struct dlg_diag *diag);

#endif
