/* The host's delegation config (DESIGN.md §6), loaded with libconfig into an
 * immutable value.  libconfig + libc only: the NSS module links this. */
#ifndef DLG_CONFIG_H
#define DLG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* DESIGN.md §6: tickets.clock_skew is at most this many seconds.  Whatever
 * must outlast every ticket the host could still admit (single-use markers,
 * revoked ticket ids) keeps at least this margin past the ticket's exp. */
#define DLG_CLOCK_SKEW_MAX 600

struct dlg_key {
    char *kid;
    char *file;                 /* absolute path of the PEM public key */
    const char *src_file;       /* where it was configured (points into cfg->files) */
    int line;
};

struct dlg_issuer {
    char *id;
    struct dlg_strv algorithms; /* "EdDSA", "ES256", "RS256", "PS256" ("Ed25519" normalised to "EdDSA") */
    struct dlg_strv principals; /* "*" = any */
    char *typ;                  /* "dlg+jwt" (default) or "JWT" */
    struct dlg_key *keys;
    size_t nkeys;
};

struct dlg_actor {
    char *name;
    uid_t uid;
    char *comment;              /* "" if unset */
    char *home;                 /* already expanded (%u) */
    char *shell;                /* actor's or accounts.shell */
    struct dlg_strv groups;     /* extra group names, each defined in cfg->groups */
    struct dlg_strv principals; /* "*" = any */
    struct dlg_strv services;
    bool has_sources;
    struct dlg_cidr *sources;
    size_t nsources;
    bool has_runas;
    struct dlg_strv runas;
    int64_t max_lifetime;       /* effective: min(actor, tickets.max_lifetime) */
    int approvals;
    bool revoked;               /* listed in revoke.actors */
    bool key_required;          /* key_binding = "required": tickets need cnf */
};

struct dlg_group {
    char *name;
    gid_t gid;
    struct dlg_strv members;    /* actor names (revoked actors excluded) */
};

struct dlg_revoked_ticket {
    char *id;
    int64_t until;              /* 0 = no until given */
};

struct dlg_file_id {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;      /* catches chmod/chown, which leave mtime alone */
    bool absent;                /* read as not existing (a feed never fetched):
                                   unchanged only while it still does not exist */
};

/* A revocation feed (DESIGN.md §6a): feeds = ( { id; key; url | file; ca;
 * refresh; on_stale; } ).  Its revocations are merged into the config's
 * revoke lists (they count exactly like revoked.conf's); what the loader
 * knows of its last accepted version comes from DLG_FEED_REVOKED_DIR/ID.conf
 * (config_feed.c), which delegatectl writes after verifying the feed. */
struct dlg_feed {
    char *id;                   /* [A-Za-z0-9._-], not starting with '.' */
    char *key;                  /* absolute path of its public key (Ed25519 or P-256 PEM) */
    char *url;                  /* "https://...", or NULL */
    char *file;                 /* absolute path of a local copy, or NULL */
    char *ca;                   /* CA bundle for url; NULL: the system's CAs */
    int64_t refresh;            /* seconds between fetches, default 30 */
    bool on_stale_end;          /* on_stale = "end": stale also ends live sessions */
    bool fetched;               /* a verified version is on the host */
    int64_t ver, iat, exp;      /* of that version (0 when !fetched) */
};

struct dlg_config {
    int version;
    char *path;                 /* main config file */

    char *host_name;
    struct dlg_strv host_aliases;

    int64_t clock_skew;         /* default 60 */
    int64_t max_lifetime;       /* default 3600 */
    char *prompt;               /* default "Delegation ticket: " */

    struct dlg_issuer *issuers;
    size_t nissuers;

    char *acc_group;            /* accounts.group, default "delegated" */
    gid_t acc_gid;
    uid_t uid_min, uid_max;
    char *acc_home;             /* template with %u, default "/var/lib/delegate/%u" */
    char *acc_shell;            /* default "/usr/sbin/nologin" */

    struct dlg_actor *actors;   /* sorted by name (strcmp) */
    size_t nactors;
    struct dlg_actor **actors_by_uid; /* sorted by uid */

    struct dlg_group *groups;   /* groups = (...) entries, sorted by name; the
                                   accounts group is NOT in this list */
    size_t ngroups;

    bool audit_syslog;          /* default true */
    char *audit_file;           /* NULL = no file */

    /* revoke = { ... } */
    char *revoke_file;          /* file the revoke group came from, NULL if none */
    struct dlg_revoked_ticket *revoked_tickets; /* sorted by id */
    size_t nrevoked_tickets;
    struct dlg_strv revoked_actors, revoked_principals, revoked_issuers, revoked_keys;
    bool has_issued_before;
    int64_t issued_before;

    /* every file read (main + includes), for cache validation */
    struct dlg_file_id *files;
    size_t nfiles;

    struct dlg_group **groups_by_gid; /* the ngroups entries of groups, sorted by gid */

    /* Compiled form (issue 13, common/compiled.h).  load_started_ns: the
     * CLOCK_REALTIME time (ns) at which dlg_config_load_stamped began, 0 when
     * unknown.  compiled: set only on a config materialized from the compiled
     * form, whose strings point into its mapping; dlg_config_free releases it. */
    int64_t load_started_ns;
    void *compiled;
    int64_t session_grace;      /* sessions.grace: SIGHUP..SIGKILL seconds, default 5 */

    struct dlg_feed *feeds;     /* feeds = ( ... ), in config order */
    size_t nfeeds;
};

/* Load, trust-check and validate.  On any error returns NULL and fills diag
 * with "FILE:LINE: message" lines (diag may be NULL).  Warnings (only the
 * ones that need no NSS, i.e. none from the loader itself) go to
 * diag->warnings.  Thread-safe: uses one config_t per call and restores the
 * calling thread's locale. */
struct dlg_config *dlg_config_load(const char *path, struct dlg_diag *diag);
void dlg_config_free(struct dlg_config *cfg);

/* Validate a standalone file that holds only a `revoke = { ... };` group
 * (trust-checked, same rules as in the full config).  Used by `delegatectl
 * revoke` on its temp file before the atomic rename.  0 ok, -1 with diag. */
int dlg_revoke_file_validate(const char *path, struct dlg_diag *diag);

/* Whether path (and what it includes) holds nothing but a `revoke` group,
 * or nothing at all: the only kind of file `delegatectl revoke` and `prune`
 * may rewrite without dropping a setting.  0 yes, -1 with diag (each other
 * setting as FILE:LINE: unknown setting ...). */
int dlg_revoke_file_check(const char *path, struct dlg_diag *diag);

/* True when every file recorded in cfg still has the same dev/ino/size/mtime. */
bool dlg_config_unchanged(const struct dlg_config *cfg);

/* Lookups: O(log n). Return NULL when absent. */
const struct dlg_actor *dlg_config_actor(const struct dlg_config *cfg, const char *name);
const struct dlg_actor *dlg_config_actor_by_uid(const struct dlg_config *cfg, uid_t uid);
const struct dlg_group *dlg_config_group(const struct dlg_config *cfg, const char *name);
const struct dlg_group *dlg_config_group_by_gid(const struct dlg_config *cfg, gid_t gid);
const struct dlg_issuer *dlg_config_issuer(const struct dlg_config *cfg, const char *id);
bool dlg_config_ticket_revoked(const struct dlg_config *cfg, const char *jti);

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
