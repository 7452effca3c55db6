/* Signed, versioned revocation feeds (DESIGN.md §6a): the format, its
 * verification, the host's anti-rollback state and the revocation file
 * every reader of the config takes the feed's revocations from.
 *
 * A feed is a compact JWS, header {"alg":"EdDSA"|"ES256","typ":"dlg-feed+jwt"},
 * payload {"iss", "ver", "iat", "exp", "revoke": {"tickets": [{"id","until"}],
 * "actors", "principals", "issuers", "keys", "issued_before"}}, parsed
 * strictly (jansson, duplicate keys refused, unknown members refused).  It
 * only ever takes authority away: nothing in it can admit anyone.
 *
 * On the host (paths.h):
 *   DLG_FEEDS_DIR/ID.jws         the last accepted feed, as it was served (0600)
 *   DLG_FEEDS_DIR/ID.state       its version, SHA-256 and key, the ETag, the
 *                                last error (JSON, 0600)
 *   DLG_FEED_REVOKED_DIR/ID.conf its revocations for the config loader (0644,
 *                                config/config_feed.c reads it)
 * A new version is accepted only when its signature verifies with the
 * configured key, its iss is the feed's id, its ver is above the stored one
 * (the same version only as the identical file) and its exp lies ahead.
 *
 * Used by delegatectl only (OpenSSL, jansson, libconfig's writer); never by
 * the PAM or NSS module, which read the revocation file through the
 * config.  Placed after config/ (it reads struct dlg_feed) and before
 * decision/. */
#ifndef DLG_FEED_H
#define DLG_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "config/config.h"

#define DLG_FEED_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define DLG_FEED_TYP       "dlg-feed+jwt"

/* A revoked ticket id and its until (0: none given). */
struct dlg_feed_ticket {
    char *id;
    int64_t until;
};

/* What a feed revokes (the vocabulary of revoked.conf). */
struct dlg_feed_revs {
    struct dlg_feed_ticket *tickets;  /* until 0 = none */
    size_t ntickets;
    struct dlg_strv actors, principals, issuers, keys;
    bool has_issued_before;
    int64_t issued_before;
};
void dlg_feed_revs_free(struct dlg_feed_revs *r);

/* A feed whose signature verified. */
struct dlg_feed_doc {
    char alg[8];                /* "EdDSA" or "ES256" */
    char *iss;
    int64_t ver, iat, exp;
    struct dlg_feed_revs revs;
    char sha256[65];            /* hex SHA-256 of the JWS text (no trailing newline) */
};
void dlg_feed_doc_free(struct dlg_feed_doc *d);

/* A feed's public key: trust-checked like the config (root, not writable by
 * others, every directory up to /), a PEM public key of type Ed25519 or
 * P-256 (never a private key).  fp: "SHA256:<base64 of the DER
 * SubjectPublicKeyInfo's SHA-256>" (at least 52 bytes).  NULL with err. */
EVP_PKEY *dlg_feed_key_load(const char *path, char *fp, size_t fplen, char *err, size_t errlen);

/* Verify and parse a feed text (one trailing newline is ignored) for feed
 * id with key: the header, the signature, then the payload, strictly.
 * now < 0: do not judge exp (restoring a stored feed whose revocations
 * still count once it is stale).  0, or -1 with err (one line, no feed
 * text in it). */
int dlg_feed_verify(const char *text, size_t len, const char *id, EVP_PKEY *key, int64_t now,
                    struct dlg_feed_doc *out, char *err, size_t errlen);

/* The signed feed text for a revocation set: the payload {"iss": id, "ver",
 * "iat", "exp", "revoke"} signed with priv (Ed25519: EdDSA, P-256: ES256).
 * Heap string, or NULL with err. */
char *dlg_feed_sign(EVP_PKEY *priv, const char *id, int64_t ver, int64_t iat, int64_t exp,
                    const struct dlg_feed_revs *revs, char *err, size_t errlen);
/* The ver of a feed text without verifying it (`feed sign --previous`:
 * the publisher's own last file, possibly signed with a former key). */
int dlg_feed_peek_ver(const char *text, size_t len, int64_t *ver, char *err, size_t errlen);

/* ---- the host's state (feed_state.c) ----------------------------------- */

struct dlg_feed_state {
    int64_t ver;                /* 0: no feed accepted yet */
    int64_t iat, exp;
    char sha256[65];            /* of the accepted feed */
    char key[64];               /* fingerprint of the key that verified it */
    char *etag;                 /* its ETag as served, or NULL */
    char *source;               /* the url or file it came from */
    int64_t accepted;           /* when it was accepted */
    char *error;                /* the last round's error, NULL after a good round */
    int64_t error_at;
};
void dlg_feed_state_free(struct dlg_feed_state *s);

/* dir/ID.state: 0 read (or absent: *s zeroed), -1 unreadable or corrupt
 * (err).  Strict JSON; unknown members refused. */
int dlg_feed_state_read(const char *dir, const char *id, struct dlg_feed_state *s, char *err,
                        size_t errlen);
/* Atomic rewrite (temp file, fsync, rename, directory fsync), mode 0600. */
int dlg_feed_state_write(const char *dir, const char *id, const struct dlg_feed_state *s,
                         char *err, size_t errlen);

/* Write path atomically (temp file in its directory, fsync, rename,
 * directory fsync) with mode; the directory must be trusted.  0 or -1. */
int dlg_feed_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          char *err, size_t errlen);
/* Read a whole file of at most max bytes (O_NOFOLLOW, a regular file):
 * 0, 1 when it does not exist, -1 (err). */
int dlg_feed_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                       size_t errlen);

/* ---- the revocation file for the config loader (feed_revfile.c) ------- */

/* dir/ID.conf, atomically, 0644: `feed = { id; ver; iat; exp; };` and the
 * revoke group, with libconfig's writer. */
int dlg_feed_revfile_write(const char *dir, const struct dlg_feed_doc *d, char *err,
                           size_t errlen);

/* ---- accepting a fetched feed (feed_accept.c) -------------------------- */

struct dlg_feed_dirs {
    const char *state;          /* DLG_FEEDS_DIR */
    const char *revoked;        /* DLG_FEED_REVOKED_DIR */
};

enum dlg_feed_outcome {
    DLG_FEED_NEW = 0,           /* a new version accepted and stored */
    DLG_FEED_UNCHANGED,         /* the stored version, served again */
    DLG_FEED_REFUSED,           /* refused (signature, rollback, format, ...) */
    DLG_FEED_UNREACHABLE,       /* nothing could be fetched */
};

/* Judge a fetched feed text (NULL with etag set: the server said "not
 * modified") against the stored state, under an exclusive lock of the state
 * directory, and store a new version (ID.jws, then ID.conf, then ID.state).
 * reset: accept any version that verifies (the administrator starts over
 * after a key rotation).  msg: one line for the log.  The state's error is
 * updated (written only when it changed). */
enum dlg_feed_outcome dlg_feed_accept(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                                      const char *text, size_t len, const char *etag,
                                      const char *source, int64_t now, bool reset,
                                      char *msg, size_t msglen);
/* Record a round that never reached dlg_feed_accept (nothing could be
 * fetched, or more than 16 MiB) as the state's error. */
void dlg_feed_note_error(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                               const char *source, const char *why, int64_t now);
/* Rewrite ID.conf from the stored ID.jws when it is missing or of another
 * version than the state (after a crash between the two, or a removed
 * file), verified with the configured key, whatever its exp.  0 nothing to
 * do or restored, -1 (msg). */
int dlg_feed_restore(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs, char *msg,
                     size_t msglen);

#endif
