/* OpenSSH public keys and their SHA256 fingerprints (DESIGN.md §2 cnf, §3
 * rule 10): "SHA256:" + base64 (standard alphabet, no padding) of SHA-256
 * over the key blob, exactly as `ssh-keygen -lf` prints it. */
#ifndef DLG_SSHKEY_H
#define DLG_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* "SHA256:" + 43 characters + NUL */
#define DLG_SSH_FP_LEN 51
#define DLG_SSH_FP_PREFIX "SHA256:"

/* A well-formed fingerprint: "SHA256:" then exactly 43 characters of
 * [A-Za-z0-9+/] whose last one carries no stray bits (the canonical
 * encoding of 32 bytes). */
bool dlg_ssh_fp_valid(const char *s);

/* Key types we accept: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa.
 * The blob must be the exact wire form of that type (RFC 4253 §6.6,
 * RFC 5656 §3.1, RFC 8709 §4), nothing after it. */
bool dlg_ssh_type_supported(const char *type);

/* Fingerprint of the key "TYPE BASE64": the type must be supported and
 * match the type inside the blob.  0 and fp filled, or -1. */
int dlg_ssh_fingerprint(const char *type, size_t type_len, const char *b64, size_t b64_len,
                        char fp[DLG_SSH_FP_LEN]);

/* The same checks without the fingerprint (no hashing, so no OpenSSL
 * initialisation: for the short-lived AuthorizedKeysCommand). */
bool dlg_ssh_key_valid(const char *type, const char *b64);

/* One public key line, "TYPE BASE64 [COMMENT]" (a .pub file's only line;
 * leading blanks and a trailing newline allowed, no options).  0 or -1
 * with a short reason in err. */
int dlg_ssh_pubkey_line_fp(const char *line, size_t len, char fp[DLG_SSH_FP_LEN], char *err,
                           size_t errlen);

/* A .pub file (at most 16 KiB, one key line).  0 or -1 with err. */
int dlg_ssh_pubkey_file_fp(const char *path, char fp[DLG_SSH_FP_LEN], char *err, size_t errlen);

/* The keys sshd verified in this connection, from the SSH_AUTH_INFO_0 PAM
 * variable: one line per completed method, "publickey TYPE BASE64" for a
 * public key.  Every publickey line is a key whose signature sshd's monitor
 * verified (AuthenticationMethods publickey,publickey,... lists several),
 * so each may match a ticket's cnf.  Their fingerprints are appended to out
 * (each once, at most DLG_SSH_AUTH_KEYS_MAX); a publickey line that does not
 * parse (a certificate, an unsupported type) adds nothing and takes nothing
 * from the others.  info NULL: none.  Returns how many out holds, or -1
 * when out of memory. */
#define DLG_SSH_AUTH_KEYS_MAX 16
int dlg_ssh_auth_info_fps(const char *info, struct dlg_strv *out);

#endif
