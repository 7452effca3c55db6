/* A feed's public key (feed.h): trust-checked, PEM, Ed25519 or P-256, and
 * its fingerprint (which the state records, so that a key rotation can be
 * told apart from a rollback in the log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "feed/feed.h"
#include "ticket/alg.h"

#define KEY_FILE_MAX 65536

static int fingerprint(EVP_PKEY *k, char *fp, size_t fplen)
{
    unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH], b64[64];
    int n = i2d_PUBKEY(k, &der), m;

    if (n <= 0)
        return -1;
    SHA256(der, (size_t)n, digest);
    OPENSSL_free(der);
    m = EVP_EncodeBlock(b64, digest, sizeof(digest));
    while (m > 0 && b64[m - 1] == '=')
        m--;
    if ((size_t)m + 8 > fplen)
        return -1;
    snprintf(fp, fplen, "SHA256:%.*s", m, (const char *)b64);
    return 0;
}

EVP_PKEY *dlg_feed_key_load(const char *path, char *fp, size_t fplen, char *err, size_t errlen)
{
    char terr[256] = "";
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    BIO *bio = NULL;
    EVP_PKEY *k = NULL;
    const char *why = NULL;
    int type;

    if (dlg_read_trusted(path, KEY_FILE_MAX, &buf, &len, &st, terr, sizeof(terr)) != 0) {
        snprintf(err, errlen, "key %s: %s", path, terr);
        return NULL;
    }
    if (strstr(buf, "PRIVATE KEY") != NULL) {
        snprintf(err, errlen, "key %s holds a private key; a host needs only the public key",
                 path);
        goto out;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    ERR_clear_error();
    if (k == NULL) {
        snprintf(err, errlen, "key %s: not a PEM public key", path);
        goto out;
    }
    type = dlg_alg_key_type(k, &why);
    if (type != DLG_KEY_ED25519 && type != DLG_KEY_EC_P256) {
        snprintf(err, errlen, "key %s: a feed key must be Ed25519 or P-256", path);
        EVP_PKEY_free(k);
        k = NULL;
        goto out;
    }
    if (fp != NULL && fingerprint(k, fp, fplen) != 0) {
        snprintf(err, errlen, "key %s: cannot compute its fingerprint", path);
        EVP_PKEY_free(k);
        k = NULL;
    }
out:
    BIO_free(bio);
    free(buf);
    return k;
}
