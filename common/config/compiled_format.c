/* The compiled form's format, shared by its reader and writer (compiled.h):
 * record sizes, the checksum, the file systems it is trusted on.  libc only. */
#include "config/compiled.h"
#include "config/config_record.h"

#include <stdio.h>
#include <string.h>

uint32_t dlg_cpl_record_size(unsigned id)
{
    switch (id) {
    case DLG_CPL_SEC_STRINGS:
    case DLG_CPL_SEC_REVOKED_IDS:
        return 1;
    case DLG_CPL_SEC_LISTS:
    case DLG_CPL_SEC_ACTORS_BY_UID:
    case DLG_CPL_SEC_GROUPS_BY_GID:
        return sizeof(uint32_t);
    case DLG_CPL_SEC_GLOBAL:
        return (uint32_t)(dlg_rt_config.nslots * DLG_SLOT);
    case DLG_CPL_SEC_SOURCES:
        return (uint32_t)(dlg_rt_file.nslots * DLG_SLOT);
    case DLG_CPL_SEC_ISSUERS:
        return (uint32_t)(dlg_rt_issuer.nslots * DLG_SLOT);
    case DLG_CPL_SEC_KEYS:
        return (uint32_t)(dlg_rt_key.nslots * DLG_SLOT);
    case DLG_CPL_SEC_ACTORS:
        return (uint32_t)(dlg_rt_actor.nslots * DLG_SLOT);
    case DLG_CPL_SEC_GROUPS:
        return (uint32_t)(dlg_rt_group.nslots * DLG_SLOT);
    case DLG_CPL_SEC_FEEDS:
        return (uint32_t)(dlg_rt_feed.nslots * DLG_SLOT);
    case DLG_CPL_SEC_CIDRS:
        return sizeof(struct dlg_cpl_cidr);
    case DLG_CPL_SEC_REVOKED:
        return sizeof(struct dlg_revoked_rec);
    default:
        return 0;
    }
}

/* ---- hash -------------------------------------------------------------- */

#define H_P1 UINT64_C(0x9E3779B185EBCA87)
#define H_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define H_P3 UINT64_C(0x165667B19E3779F9)

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* One multiply per 8-byte word, eight independent lanes (so the multiplies
 * overlap): each step (acc ^ w) * odd, rotated, is a bijection of acc for a
 * given w and of w for a given acc, so any change of one word changes its
 * lane's final value, and so the sum of the lanes; the final steps mix. */
static inline uint64_t h_step(uint64_t acc, uint64_t w)
{
    return rotl64((acc ^ w) * H_P1, 29);
}

uint64_t dlg_cpl_hash(const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t v0 = H_P1, v1 = H_P2, v2 = H_P3, v3 = H_P1 + H_P2, v4 = H_P2 + H_P3,
             v5 = H_P1 ^ H_P3, v6 = (uint64_t)len, v7 = ~H_P2;
    uint64_t h = (uint64_t)len * H_P3;

    while (end - p >= 64) {
        v0 = h_step(v0, rd64(p));
        v1 = h_step(v1, rd64(p + 8));
        v2 = h_step(v2, rd64(p + 16));
        v3 = h_step(v3, rd64(p + 24));
        v4 = h_step(v4, rd64(p + 32));
        v5 = h_step(v5, rd64(p + 40));
        v6 = h_step(v6, rd64(p + 48));
        v7 = h_step(v7, rd64(p + 56));
        p += 64;
    }
    h += rotl64(v0 * H_P2, 1) + rotl64(v1 * H_P2, 8) + rotl64(v2 * H_P2, 15) +
         rotl64(v3 * H_P2, 22) + rotl64(v4 * H_P2, 29) + rotl64(v5 * H_P2, 36) +
         rotl64(v6 * H_P2, 43) + rotl64(v7 * H_P2, 50);
    while (end - p >= 8) {
        h = h_step(h ^ rd64(p), H_P2) + H_P3;
        p += 8;
    }
    while (p < end) {
        h ^= (uint64_t)(*p++) * H_P3;
        h = rotl64(h, 11) * H_P1;
    }
    h ^= h >> 33;
    h *= H_P2;
    h ^= h >> 29;
    h *= H_P3;
    h ^= h >> 32;
    return h;
}

/* ---- file systems ------------------------------------------------------- */

/* statfs f_type values (linux/magic.h) of file systems whose inode change
 * time only the kernel sets, on every change of content or metadata, and
 * whose attributes a stat sees at once.  Left out on purpose: vfat/msdos/
 * exfat (ctime is mtime, settable with touch, since Linux 5.19), NFS and CIFS
 * (attributes cached for up to a minute, while an open revalidates), FUSE
 * (whatever the daemon reports), and everything not named here.  overlayfs
 * reports its layers' inodes: its upper layer (where every change lands,
 * copy-up first) must be a local file system of this kind, and changes to
 * a lower layer under a mounted overlay are unsupported by the kernel. */
static const struct {
    uint64_t magic;
    const char *name;
} trusted_fs[] = {
    { 0xEF53, "ext2/ext3/ext4" },
    { 0x58465342, "xfs" },
    { 0x9123683E, "btrfs" },
    { 0x01021994, "tmpfs" },
    { 0x858458F6, "ramfs" },
    { 0xF2F52010, "f2fs" },
    { 0x2FC12FC1, "zfs" },
    { 0x794C7630, "overlayfs" },
};

bool dlg_cpl_fs_trusted(uint64_t f_type, char *buf, size_t len, const char **name)
{
    for (size_t i = 0; i < sizeof(trusted_fs) / sizeof(trusted_fs[0]); i++) {
        if (trusted_fs[i].magic == f_type) {
            *name = trusted_fs[i].name;
            return true;
        }
    }
    if (f_type == 0x65735546)
        *name = "fuse";
    else if (f_type == 0x4d44)
        *name = "vfat/msdos";
    else if (f_type == 0x6969)
        *name = "nfs";
    else if (f_type == 0xFF534D42 || f_type == 0xFE534D42)
        *name = "cifs/smb";
    else {
        snprintf(buf, len, "type 0x%llx", (unsigned long long)f_type);
        *name = buf;
    }
    return false;
}
