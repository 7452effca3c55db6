/* Issuer public keys: every key file named in the config is trust-checked
 * (like the config itself) and must hold a PEM public key of a supported
 * type.  A file that contains a private key is refused outright: issuer
 * private keys never belong on a host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "decision/keys.h"

#define KEY_FILE_MAX 65536

static void key_error(struct dlg_diag *diag, const struct dlg_key *k, const char *msg)
{
    if (diag)
        dlg_diag_error(diag, k->src_file ? k->src_file : k->file, k->line, "key \"%s\" (%s): %s",
                       k->kid ? k->kid : "", k->file, msg);
}

/* Type of a supported key, or -1. */
static int classify(EVP_PKEY *pkey, const char **why)
{
    return dlg_alg_key_type(pkey, why);
}

/* DER is canonical and RFC 8410 §4 allows no parameters, so every Ed25519
 * SubjectPublicKeyInfo is these 12 bytes followed by the 32-byte key. */
static const unsigned char ed25519_spki_prefix[12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
#define ED25519_SPKI_LEN (sizeof(ed25519_spki_prefix) + 32)

/* The first "PUBLIC KEY" block of a PEM text (SubjectPublicKeyInfo).  Not
 * PEM_read_bio_PUBKEY: in OpenSSL 3 that tries every decoder of every
 * provider, several times the cost of the signature check it serves.  An
 * Ed25519 key is taken from its fixed encoding; other types go through
 * d2i_PUBKEY, which decodes only the algorithm the SPKI names. */
static EVP_PKEY *decode_public_key(const char *buf, size_t len)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    long dlen = 0;
    EVP_PKEY *pkey = NULL;

    if (!bio)
        return NULL;
    while (PEM_read_bio(bio, &name, &header, &der, &dlen) == 1) {
        if (strcmp(name, PEM_STRING_PUBLIC) == 0 && header[0] == '\0')
            break;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        name = header = NULL;
        der = NULL;
    }
    if (der != NULL && dlen > 0) {
        if ((size_t)dlen == ED25519_SPKI_LEN &&
            memcmp(der, ed25519_spki_prefix, sizeof(ed25519_spki_prefix)) == 0) {
            pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
                                               der + sizeof(ed25519_spki_prefix), 32);
        } else {
            p = der;
            pkey = d2i_PUBKEY(NULL, &p, dlen);
            if (pkey && p != der + dlen) {      /* trailing bytes */
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
        }
    }
    ERR_clear_error();
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    return pkey;
}

static int load_one(const struct dlg_issuer *iss, const struct dlg_key *k,
                    struct dlg_loaded_key *out, struct dlg_diag *diag)
{
    char err[256] = "";
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    EVP_PKEY *pkey = NULL;
    const char *why = NULL;
    int type, rc = -1;

    if (dlg_read_trusted(k->file, KEY_FILE_MAX, &buf, &len, &st, err, sizeof(err)) != 0) {
        key_error(diag, k, err[0] ? err : "cannot read key file");
        goto out;
    }
    if (strstr(buf, "PRIVATE KEY")) {
        key_error(diag, k, "file holds a private key; install only the public key on a host");
        goto out;
    }
    pkey = decode_public_key(buf, len);
    if (!pkey) {
        key_error(diag, k, "not a PEM public key");
        goto out;
    }
    type = classify(pkey, &why);
    if (type < 0) {
        key_error(diag, k, why);
        goto out;
    }
    out->issuer = iss;
    out->key = k;
    out->pkey = pkey;
    out->type = (enum dlg_keytype)type;
    pkey = NULL;
    rc = 0;
out:
    EVP_PKEY_free(pkey);
    free(buf);
    return rc;
}

int dlg_keyring_load(const struct dlg_config *cfg, struct dlg_keyring *kr, struct dlg_diag *diag)
{
    size_t total = 0, i, j;
    int rc = 0;

    kr->keys = NULL;
    kr->nkeys = 0;
    if (!cfg)
        return -1;
    for (i = 0; i < cfg->nissuers; i++)
        total += cfg->issuers[i].nkeys;
    if (total == 0)
        return 0;
    kr->keys = calloc(total, sizeof(*kr->keys));
    if (!kr->keys) {
        if (diag)
            dlg_diag_error(diag, cfg->path, 0, "out of memory loading keys");
        return -1;
    }
    /* Report every bad key, not just the first. */
    for (i = 0; i < cfg->nissuers; i++) {
        const struct dlg_issuer *iss = &cfg->issuers[i];
        for (j = 0; j < iss->nkeys; j++) {
            if (load_one(iss, &iss->keys[j], &kr->keys[kr->nkeys], diag) == 0)
                kr->nkeys++;
            else
                rc = -1;
        }
    }
    if (rc != 0)
        dlg_keyring_free(kr);
    return rc;
}

int dlg_keyring_check_files(const struct dlg_config *cfg, struct dlg_diag *diag)
{
    size_t i, j;
    int rc = 0;

    if (!cfg)
        return -1;
    for (i = 0; i < cfg->nissuers; i++) {
        const struct dlg_issuer *is = &cfg->issuers[i];
        for (j = 0; j < is->nkeys; j++) {
            char err[256] = "";
            struct stat st;
            int fd = dlg_open_trusted(is->keys[j].file, &st, err, sizeof(err));
            if (fd < 0) {
                key_error(diag, &is->keys[j], err[0] ? err : "cannot open key file");
                rc = -1;
                continue;
            }
            close(fd);
        }
    }
    return rc;
}

int dlg_keyring_load_for(const struct dlg_config *cfg, const char *iss, const char *kid,
                         struct dlg_keyring *kr, struct dlg_diag *diag)
{
    const struct dlg_issuer *is;
    const struct dlg_key *k = NULL;
    size_t j;

    kr->keys = NULL;
    kr->nkeys = 0;
    if (!cfg)
        return -1;
    is = iss ? dlg_config_issuer(cfg, iss) : NULL;
    if (!is)
        return 1;
    if (kid) {
        for (j = 0; j < is->nkeys && !k; j++)
            if (is->keys[j].kid && strcmp(is->keys[j].kid, kid) == 0)
                k = &is->keys[j];
    } else if (is->nkeys == 1) {
        k = &is->keys[0];       /* kid may be omitted only then */
    }
    if (!k)
        return 1;
    kr->keys = calloc(1, sizeof(*kr->keys));
    if (!kr->keys) {
        if (diag)
            dlg_diag_error(diag, cfg->path, 0, "out of memory loading keys");
        return -1;
    }
    if (load_one(is, k, &kr->keys[0], diag) != 0) {
        dlg_keyring_free(kr);
        return -1;
    }
    kr->nkeys = 1;
    return 0;
}

void dlg_keyring_free(struct dlg_keyring *kr)
{
    size_t i;

    if (!kr)
        return;
    for (i = 0; i < kr->nkeys; i++)
        EVP_PKEY_free(kr->keys[i].pkey);
    free(kr->keys);
    kr->keys = NULL;
    kr->nkeys = 0;
}

const struct dlg_loaded_key *dlg_keyring_find(const struct dlg_keyring *kr,
                                              const char *iss, const char *kid)
{
    const struct dlg_loaded_key *only = NULL;
    size_t i, count = 0;

    if (!kr || !iss)
        return NULL;
    for (i = 0; i < kr->nkeys; i++) {
        const struct dlg_loaded_key *lk = &kr->keys[i];
        if (strcmp(lk->issuer->id, iss) != 0)
            continue;
        if (kid) {
            if (lk->key->kid && strcmp(lk->key->kid, kid) == 0)
                return lk;
        } else {
            only = lk;
            count++;
        }
    }
    if (kid || count != 1)
        return NULL;
    /* Omitting kid is allowed only when the issuer has exactly one key. */
    return only->issuer->nkeys == 1 ? only : NULL;
}
