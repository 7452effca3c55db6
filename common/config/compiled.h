/* The compiled policy snapshot (DESIGN.md §6, last paragraph; issue 13).
 *
 * A validated config, serialized once per change into one versioned,
 * checksummed, mmap-able file (DLG_COMPILED_PATH), so that a PAM transaction
 * or the first NSS lookup of a process need not parse the libconfig text.
 * The text files stay the source of truth: a reader uses the compiled form
 * only while it provably matches them, else it reads the text.
 *
 * File layout (all integers little-endian as the host writes them; the file
 * never leaves the host, a foreign byte order fails the magic check):
 *
 *   header (struct dlg_cpl_header, 64 bytes)
 *   section table (nsections x struct dlg_cpl_section)
 *   sections, each 8-byte aligned, each an array of fixed-size records
 *
 * Strings are u32 offsets into a string pool section whose last byte is NUL
 * (so every offset below the pool's length names a NUL-terminated string);
 * lists are {first, count} ranges of a section of u32 string offsets.
 *
 * Revoked ticket ids are kept as a sorted table of 64-bit hashes
 * (dlg_cpl_id_hash), 8 bytes an id instead of the id and its until: 10,000
 * ids cost 80 KB to checksum, and a lookup is a binary search in the map.  A
 * hash collision can only make a ticket look revoked (a false denial, odds
 * about n / 2^64), never make a revoked one look valid.  `until` (needed only
 * by `prune`, which reads the text) is not kept.  A reader that does not need
 * them (NSS) neither checksums nor touches the table.
 *
 * Freshness: the file records every source file's identity (dev, inode,
 * size, mtime and ctime in ns) and the wall-clock time at which the writer
 * began to read them (compiled_at).  A reader trusts the form only when every
 * source, walked with the very trust check of the text loader
 * (dlg_open_trusted), has exactly the recorded identity AND the recorded
 * mtime and ctime are older than compiled_at minus the file system's time
 * granularity (git's "racily clean" rule: a same-size rewrite within the
 * same timestamp tick as the read could otherwise keep a stale form).
 *
 * compiled_read.c is libc only (the NSS module links it); compiled_write.c
 * may load the text config (libconfig). */
#ifndef DLG_COMPILED_H
#define DLG_COMPILED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/paths.h"

#define DLG_CPL_MAGIC   "DLGPOLv\x01"
#define DLG_CPL_VERSION 2u    /* 2: feeds (DESIGN.md §6a), absent sources */
/* A file larger than this is refused (10,000 revoked ids take ~0.5 MB). */
#define DLG_CPL_MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Granularity assumed for file timestamps (ns): a file system whose times
 * carry nanoseconds ticks at most every jiffy (<= 10 ms, HZ=100) on Linux;
 * one whose times are whole seconds may tick every 2 s (FAT). */
#define DLG_CPL_GRAN_FINE_NS   (INT64_C(50) * 1000 * 1000)
#define DLG_CPL_GRAN_COARSE_NS (INT64_C(2) * 1000 * 1000 * 1000)

enum dlg_cpl_section_id {
    DLG_CPL_SEC_STRINGS = 1,    /* char, last byte NUL */
    DLG_CPL_SEC_LISTS,          /* u32 string offsets */
    DLG_CPL_SEC_GLOBAL,         /* 1 x struct dlg_cpl_global */
    DLG_CPL_SEC_SOURCES,        /* struct dlg_cpl_source */
    DLG_CPL_SEC_ISSUERS,        /* struct dlg_cpl_issuer, sorted by id */
    DLG_CPL_SEC_KEYS,           /* struct dlg_cpl_key */
    DLG_CPL_SEC_ACTORS,         /* struct dlg_cpl_actor, sorted by name */
    DLG_CPL_SEC_ACTORS_BY_UID,  /* u32 index into ACTORS, sorted by uid */
    DLG_CPL_SEC_CIDRS,          /* struct dlg_cpl_cidr */
    DLG_CPL_SEC_GROUPS,         /* struct dlg_cpl_group, sorted by name */
    DLG_CPL_SEC_GROUPS_BY_GID,  /* u32 index into GROUPS, sorted by gid */
    DLG_CPL_SEC_REVOKED,        /* u64 dlg_cpl_id_hash of each revoked ticket id, ascending */
    DLG_CPL_SEC_FEEDS,          /* struct dlg_cpl_feed, in config order */
    DLG_CPL_NSECTIONS = DLG_CPL_SEC_FEEDS
};

#define DLG_CPL_NONE UINT32_MAX /* a string reference to NULL */

struct dlg_cpl_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;       /* sizeof(struct dlg_cpl_header) */
    uint64_t file_size;
    int64_t compiled_at_ns;     /* CLOCK_REALTIME before the sources were read */
    uint32_t nsections;
    uint32_t trusted;           /* 1: every source passed the loader's trust check */
    uint64_t table_hash;        /* hash of the section table */
    uint64_t header_hash;       /* hash of this header with header_hash = 0 */
    uint64_t reserved;
};

struct dlg_cpl_section {
    uint32_t id;
    uint32_t record_size;
    uint64_t offset;
    uint64_t count;
    uint64_t hash;              /* of the count * record_size bytes at offset */
};

struct dlg_cpl_list {
    uint32_t first, count;      /* into LISTS */
};

struct dlg_cpl_global {
    int32_t version;
    uint32_t path, host_name, prompt, acc_group, acc_home, acc_shell, audit_file, revoke_file;
    uint32_t acc_gid, uid_min, uid_max;
    uint32_t audit_syslog, has_issued_before;
    struct dlg_cpl_list host_aliases, revoked_actors, revoked_principals, revoked_issuers,
        revoked_keys;
    int64_t clock_skew, max_lifetime, issued_before;
    int64_t session_grace;      /* sessions.grace, 0..3600 */
    uint64_t reserved[3];
};

struct dlg_cpl_source {
    uint32_t path, flags;       /* DLG_CPL_SOURCE_* */
    uint64_t dev, ino;
    int64_t size;
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

#define DLG_CPL_SOURCE_ABSENT 1u  /* read as not existing: fresh only while it still is not */

struct dlg_cpl_issuer {
    uint32_t id, typ;
    struct dlg_cpl_list algorithms, principals;
    uint32_t key_first, nkeys;  /* into KEYS */
};

struct dlg_cpl_key {
    uint32_t kid, file, src_file;
    int32_t line;
};

struct dlg_cpl_actor {
    uint32_t name, comment, home, shell;
    uint32_t uid;
    uint32_t flags;             /* DLG_CPL_ACTOR_* */
    struct dlg_cpl_list groups, principals, services, runas;
    uint32_t cidr_first, ncidrs;
    int64_t max_lifetime;
    int32_t approvals;
    uint32_t reserved;
};
#define DLG_CPL_ACTOR_HAS_SOURCES  1u
#define DLG_CPL_ACTOR_HAS_RUNAS    2u
#define DLG_CPL_ACTOR_REVOKED      4u
#define DLG_CPL_ACTOR_KEY_REQUIRED 8u  /* key_binding = "required" (issue 12) */

struct dlg_cpl_cidr {
    uint32_t family;
    uint32_t prefix;
    unsigned char addr[16];
};

struct dlg_cpl_group {
    uint32_t name, gid;
    struct dlg_cpl_list members;
};

/* A feed (config.h struct dlg_feed); its revocations are in the lists and
 * the REVOKED table with revoked.conf's. */
struct dlg_cpl_feed {
    uint32_t id, key, url, file, ca;    /* url, file, ca: DLG_CPL_NONE when unset */
    uint32_t flags;                     /* DLG_CPL_FEED_* */
    int64_t refresh, ver, iat, exp;
};
#define DLG_CPL_FEED_ON_STALE_END 1u
#define DLG_CPL_FEED_FETCHED      2u


/* ---- reader (compiled_read.c, libc only) ------------------------------- */

/* What to materialize: NSS needs neither the revoked ticket ids nor the
 * issuers; PAM and verify need everything. */
#define DLG_CPL_NO_TICKETS 1u   /* skip (and do not checksum) the revoked ids:
                                   every id then reads as not revoked */
#define DLG_CPL_LAZY_ACTORS 2u  /* PAM: check every actor record but materialize
                                   none; dlg_config_actor / _by_uid materialize
                                   the one asked for (nactors stays 0, so no
                                   enumeration: not for NSS) */

/* Parse and check a compiled form held in memory (no freshness check):
 * every offset, length, count, index and string reference is checked, every
 * section's hash verified.  On success returns a config whose strings and
 * revoked ids point into buf (which must outlive it; the config does not own
 * it) and sets *compiled_at_ns; NULL with a reason in why otherwise.  Used by
 * the fuzzer and by dlg_compiled_load. */
struct dlg_config *dlg_compiled_parse(const void *buf, size_t len, unsigned flags,
                                      int64_t *compiled_at_ns, char *why, size_t whylen);

/* The config from the compiled form at cpath, if and only if it is fresh for
 * the text config at config_path: cpath passes the loader's trust check (root,
 * regular, no symlink, not group/other-writable, directories up to /), it
 * parses, it was compiled from config_path, and every recorded source file
 * passes the same trust check with exactly the recorded identity and is not
 * racily clean.  NULL otherwise (why says which check failed; never an
 * error: the caller reads the text).  The returned config keeps the file
 * mapped; dlg_config_free releases it. */
struct dlg_config *dlg_compiled_load(const char *cpath, const char *config_path, unsigned flags,
                                     char *why, size_t whylen);

/* Called by dlg_config_free for a config made by the reader. */
void dlg_compiled_release(struct dlg_config *cfg);

/* Revocation of a ticket id in a config made by the reader (called by
 * dlg_config_ticket_revoked: such a config has nrevoked_tickets == 0 and
 * answers revoked ids only through that function). */
bool dlg_compiled_ticket_revoked(const struct dlg_config *cfg, const char *jti);
uint64_t dlg_cpl_id_hash(const char *id);
/* Lazy actor lookups (DLG_CPL_LAZY_ACTORS), called by dlg_config_actor and
 * dlg_config_actor_by_uid; the actor stays valid for the config's life. */
bool dlg_compiled_lazy(const struct dlg_config *cfg);
const struct dlg_actor *dlg_compiled_actor(const struct dlg_config *cfg, const char *name);
const struct dlg_actor *dlg_compiled_actor_by_uid(const struct dlg_config *cfg, uid_t uid);
size_t dlg_compiled_nrevoked(const struct dlg_config *cfg);

/* The hash the format uses (64-bit, 4 lanes; not cryptographic: it catches
 * corruption, the file's owner and mode keep others from writing it). */
uint64_t dlg_cpl_hash(const void *data, size_t len);

/* ---- writer (compiled_write.c) ----------------------------------------- */

/* Serialize cfg (a config just loaded from the text) to path atomically (temp
 * file in the same directory, fsync, rename, fsync of the directory), mode
 * 0644, as root only.  When a source file changed in the time-stamp
 * granularity before cfg was loaded (or cfg carries no load time), the
 * writer waits out the granularity and loads the text again itself, so a
 * compiled form never records an identity a same-size rewrite could keep.
 * Returns 0 written, -1 error (diag). */
int dlg_compiled_write(const struct dlg_config *cfg, const char *path, struct dlg_diag *diag);

#define DLG_CPL_WRITE_NOWAIT 1u /* racy: do not wait and reload, return 1 (PAM) */
int dlg_compiled_write_opt(const struct dlg_config *cfg, const char *path, unsigned flags,
                           struct dlg_diag *diag);

/* dlg_config_load that records when it began (cfg->load_started_ns), so the
 * writer can tell whether the loaded identities are racily clean. */
struct dlg_config *dlg_config_load_stamped(const char *path, struct dlg_diag *diag);

/* Remove a compiled form (used when the text config no longer loads). */
int dlg_compiled_remove(const char *path);

#endif
