/* The compiled policy snapshot (DESIGN.md §6, last paragraph).
 *
 * A validated config, serialized once per change into one versioned,
 * checksummed, mmap-able file (DLG_COMPILED_PATH), so that a PAM transaction
 * or the first NSS lookup of a process need not parse the libconfig text.
 * The text files stay the source of truth: a reader uses the compiled form
 * only while it provably matches them, else it reads the text.
 *
 * File layout (integers in the host's byte order: the file never leaves the
 * host, a foreign one fails the magic check):
 *
 *   header (struct dlg_cpl_header, 72 bytes)
 *   section table (DLG_CPL_NSECTIONS x struct dlg_cpl_section)
 *   sections, each 8-byte aligned, each an array of fixed-size records
 *
 * The records of the config, its sources, issuers, keys, actors and groups
 * are written and read from the field lists of config_fields.h: one 8-byte
 * slot per carried field, in list order (strings as u32 offsets into the
 * string pool, whose last byte is NUL; lists as {first, count} ranges of u32
 * string offsets; CIDR and key arrays as {first, count} ranges of their
 * sections).  The header records a hash of the lists' shape: a form written
 * by a build with other lists is stale.
 *
 * Revoked ticket ids are struct dlg_revoked_rec records (sorted by hash,
 * then id) and their pool, mapped as they are: a lookup is a binary search on
 * the hash confirmed by comparing the id, so a colliding id is never taken
 * for a revoked one.  A reader that does not need them (NSS) neither
 * checksums nor touches them.
 *
 * Freshness: the file records every source file's identity (dev, inode,
 * size, mtime and ctime in ns, file system type) and the wall-clock time at
 * which the writer began to read them (compiled_at).  A reader trusts the
 * form only when every source, walked with the very trust check of the text
 * loader (dlg_stat_trusted), has exactly the recorded identity, lies on a
 * file system whose change times only the kernel sets (an allowlist, checked
 * by statfs at compile and at load: not FAT, NFS, CIFS or FUSE, where a
 * same-size in-place edit followed by `touch -r` can keep every recorded
 * field), AND the recorded mtime and ctime are older than compiled_at minus
 * the time-stamp granularity (git's "racily clean" rule).  A host name from
 * gethostname() is not recorded: each load asks again, as the text loader
 * does.
 *
 * compiled_read.c and compiled_format.c are libc only (the NSS module links
 * them) and use only the config value (config.h), never the text loader;
 * compiled_write.c uses the text loader to read the text again. */
#ifndef DLG_COMPILED_H
#define DLG_COMPILED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/paths.h"

#define DLG_CPL_MAGIC   "DLGPOLv\x02"
#define DLG_CPL_VERSION 2u
/* A file larger than this is refused (10,000 revoked ids take ~0.6 MB). */
#define DLG_CPL_MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Granularity assumed for file timestamps (ns): a file system whose times
 * carry nanoseconds ticks at most every jiffy (<= 10 ms, HZ=100) on Linux;
 * one whose times are whole seconds may tick every 2 s. */
#define DLG_CPL_GRAN_FINE_NS   (INT64_C(50) * 1000 * 1000)
#define DLG_CPL_GRAN_COARSE_NS (INT64_C(2) * 1000 * 1000 * 1000)

enum dlg_cpl_section_id {
    DLG_CPL_SEC_STRINGS = 1,    /* char, last byte NUL */
    DLG_CPL_SEC_LISTS,          /* u32 string offsets */
    DLG_CPL_SEC_GLOBAL,         /* 1 record of the config's fields */
    DLG_CPL_SEC_SOURCES,        /* records of struct dlg_file_id's fields */
    DLG_CPL_SEC_ISSUERS,        /* records of struct dlg_issuer's fields, sorted by id */
    DLG_CPL_SEC_KEYS,           /* records of struct dlg_key's fields */
    DLG_CPL_SEC_ACTORS,         /* records of struct dlg_actor's fields, sorted by name */
    DLG_CPL_SEC_ACTORS_BY_UID,  /* u32 index into ACTORS, sorted by uid */
    DLG_CPL_SEC_CIDRS,          /* struct dlg_cpl_cidr */
    DLG_CPL_SEC_GROUPS,         /* records of struct dlg_group's fields, sorted by name */
    DLG_CPL_SEC_GROUPS_BY_GID,  /* u32 index into GROUPS, sorted by gid */
    DLG_CPL_SEC_REVOKED,        /* struct dlg_revoked_rec, sorted by (hash, id) */
    DLG_CPL_SEC_REVOKED_IDS,    /* char: the revoked ids, NUL-terminated */
    DLG_CPL_SEC_FEEDS,          /* records of struct dlg_feed's fields, in config order */
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
    uint64_t shape;             /* dlg_fields_shape() of the writer */
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

struct dlg_cpl_cidr {
    uint32_t family;            /* 2 (AF_INET) or 10 (AF_INET6) */
    uint32_t prefix;
    unsigned char addr[16];
};

/* ---- the format (compiled_format.c, libc only) ------------------------- */

/* The record size of each section, 0 for an unknown id. */
uint32_t dlg_cpl_record_size(unsigned id);

/* The hash the format uses for its checksums (64-bit, 8 lanes; not
 * cryptographic: it catches corruption, the file's owner and mode keep
 * others from writing it). */
uint64_t dlg_cpl_hash(const void *data, size_t len);

/* Whether a file system of this statfs f_type keeps change times that only
 * the kernel sets (ext2/3/4, xfs, btrfs, tmpfs, ramfs, f2fs, zfs and
 * overlayfs, whose upper layer is such a local file system); *name gets its
 * name, or "type 0x..." in buf for one not on the list. */
bool dlg_cpl_fs_trusted(uint64_t f_type, char *buf, size_t len, const char **name);

/* ---- reader (compiled_read.c, libc only) ------------------------------- */

/* What to materialize: NSS needs neither the revoked ticket ids nor the
 * issuers; PAM and verify need everything. */
#define DLG_CPL_NO_TICKETS 1u   /* skip (and do not checksum) the revoked ids:
                                   every id then reads as not revoked */
#define DLG_CPL_LAZY_ACTORS 2u  /* PAM: check every actor record (and their
                                   order) but build none; a lookup builds the
                                   one asked for, without allocating (nactors
                                   stays 0, so no enumeration: not for NSS) */

/* Parse and check a compiled form held in memory (no freshness check):
 * every offset, length, count, index, order and string reference is checked,
 * every section's hash verified.  On success returns a config whose strings
 * and revoked ids point into buf (8-byte aligned; it must outlive the config,
 * which does not own it) and sets *compiled_at_ns; NULL with a reason in why
 * otherwise.  Used by the fuzzer and by dlg_compiled_load. */
struct dlg_config *dlg_compiled_parse(const void *buf, size_t len, unsigned flags,
                                      int64_t *compiled_at_ns, char *why, size_t whylen);

/* The config from the compiled form at cpath, if and only if it is fresh for
 * the text config at config_path: cpath passes the loader's trust check (root,
 * regular, no symlink, not group/other-writable, directories up to /), it
 * parses, it was compiled from config_path, and every recorded source file
 * passes the same trust check with exactly the recorded identity, on a
 * trusted file system, and is not racily clean.  NULL otherwise (why says
 * which check failed; never an error: the caller reads the text).  The
 * returned config keeps the file mapped; dlg_config_free releases it. */
struct dlg_config *dlg_compiled_load(const char *cpath, const char *config_path, unsigned flags,
                                     char *why, size_t whylen);

/* Whether cfg is a compiled form read with DLG_CPL_LAZY_ACTORS. */
bool dlg_compiled_lazy(const struct dlg_config *cfg);

/* ---- writer (compiled_write.c) ----------------------------------------- */

/* Serialize cfg (a config just loaded from the text) to path atomically (an
 * O_TMPFILE file in the same directory, fsync, linked under a temp name and
 * renamed into place, fsync of the directory; temp names older than a minute
 * that a killed writer left are swept), mode 0644, as root only.  When a
 * source file changed in the time-stamp granularity before cfg was loaded
 * (or cfg carries no load time), the writer waits out the granularity and
 * loads the text again itself.  A source on a file system outside the
 * allowlist: nothing is written, an older form at path is removed, -1.
 * Returns 0 written, -1 error (diag). */
int dlg_compiled_write(const struct dlg_config *cfg, const char *path, struct dlg_diag *diag);

#define DLG_CPL_WRITE_NOWAIT 1u /* racy: do not wait and reload, return 1 (PAM) */
int dlg_compiled_write_opt(const struct dlg_config *cfg, const char *path, unsigned flags,
                           struct dlg_diag *diag);

/* Whether every source of cfg lies on a file system of the allowlist
 * (dlg_cpl_fs_trusted): else no compiled form can be used for it, and diag
 * says which file. */
bool dlg_compiled_usable_for(const struct dlg_config *cfg, struct dlg_diag *diag);

/* The file the writer would write for cfg, compiled at at (ns), into a
 * malloc'd buffer, with no check of freshness or file systems (tests, fuzz
 * seeds).  0, or -1 (no memory). */
int dlg_compiled_serialize(const struct dlg_config *cfg, int64_t at, unsigned char **out,
                           size_t *outlen);

/* Remove a compiled form (used when the text config no longer loads). */
int dlg_compiled_remove(const char *path);

#endif
