/* Minting tickets: keys and compact JWS signatures (see sign.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ticket/alg.h"
#include "ticket/sign.h"
#include "ticket/ticket.h"

#define PRIV_FILE_MAX 65536

static void ssl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[128] = "";

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

EVP_PKEY *dlg_keygen(const char *type, char *err, size_t errlen)
{
    EVP_PKEY *k = NULL;
    char *end;
    unsigned long bits;

    if (!type)
        type = "ed25519";
    if (strcmp(type, "ed25519") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else if (strcmp(type, "p256") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    } else if (strcmp(type, "p384") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    } else if (strncmp(type, "rsa", 3) == 0) {
        bits = type[3] ? strtoul(type + 3, &end, 10) : 2048;
        if (type[3] && (*end || bits < 1024 || bits > 8192)) {
            snprintf(err, errlen, "bad RSA key size in \"%s\"", type);
            return NULL;
        }
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else {
        snprintf(err, errlen, "unknown key type \"%s\" (ed25519 or p256)", type);
        return NULL;
    }
    if (!k)
        ssl_err(err, errlen, "key generation failed");
    return k;
}

const char *dlg_key_default_alg(EVP_PKEY *key)
{
    const char *why = NULL;
    int type = dlg_alg_key_type(key, &why);
    const struct dlg_alg *a = type < 0 ? NULL : dlg_alg_for_key((enum dlg_keytype)type);

    return a ? a->name : NULL;
}

static int write_pem(const char *path, EVP_PKEY *key, bool private, char *err, size_t errlen)
{
    mode_t mode = private ? 0600 : 0644;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = 0;
    int fd = -1, rc = -1, ok;

    if (!bio) {
        ssl_err(err, errlen, "out of memory");
        return -1;
    }
    ok = private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_bio_PUBKEY(bio, key);
    if (!ok) {
        ssl_err(err, errlen, "cannot encode key");
        goto out;
    }
    len = BIO_get_mem_data(bio, &data);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fchmod(fd, mode) != 0 || write(fd, data, (size_t)len) != (ssize_t)len || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(path);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (data && private)
        explicit_bzero(data, (size_t)len);
    BIO_free(bio);
    return rc;
}

int dlg_write_private_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
    return write_pem(path, key, true, err, errlen);
}

int dlg_write_public_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
    return write_pem(path, key, false, err, errlen);
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

EVP_PKEY *dlg_load_private_key(const char *path, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    ssize_t n;
    size_t len = 0;
    BIO *bio = NULL;
    EVP_PKEY *k = NULL;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 0077) {
        snprintf(err, errlen, "%s: private key is accessible by group or others (chmod 600)", path);
        goto out;
    }
    if (st.st_size <= 0 || st.st_size > PRIV_FILE_MAX) {
        snprintf(err, errlen, "%s: bad size for a key file", path);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    while (len < (size_t)st.st_size) {
        n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (!bio) {
        ssl_err(err, errlen, "out of memory");
        goto out;
    }
    k = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    if (!k)
        ssl_err(err, errlen, "not an unencrypted PEM private key");
    else if (!dlg_key_default_alg(k)) {
        snprintf(err, errlen, "%s: unsupported key type", path);
        EVP_PKEY_free(k);
        k = NULL;
    }
out:
    BIO_free(bio);
    if (buf) {
        explicit_bzero(buf, len);
        free(buf);
    }
    close(fd);
    return k;
}

/* Free a buffer that held a signature, the signing input or the ticket:
 * wiped first (the ticket is a bearer secret). */
static void free_wiped(void *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        free(p);
    }
}

static void free_wiped_str(char *s)
{
    if (s)
        free_wiped(s, strlen(s));
}

int dlg_sign_data(EVP_PKEY *priv, const char *alg, const unsigned char *data, size_t len,
                  unsigned char **sig, size_t *siglen, char *err, size_t errlen)
{
    const struct dlg_alg *a = dlg_alg_find(alg);

    *sig = NULL;
    *siglen = 0;
    if (!priv || !alg) {
        snprintf(err, errlen, "no key or algorithm");
        return -1;
    }
    if (!a) {
        snprintf(err, errlen, "unsupported algorithm \"%s\"", alg);
        return -1;
    }
    return dlg_alg_sign(a, priv, data, len, sig, siglen, err, errlen);
}

char *dlg_sign_compact(EVP_PKEY *priv, const char *alg, const char *header_json,
                       const char *claims_json, char *err, size_t errlen)
{
    char *h = NULL, *c = NULL, *s = NULL, *input = NULL, *out = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0, ilen, total;

    h = dlg_b64url_encode((const unsigned char *)header_json, strlen(header_json));
    c = dlg_b64url_encode((const unsigned char *)claims_json, strlen(claims_json));
    if (!h || !c) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    ilen = strlen(h) + 1 + strlen(c);
    input = malloc(ilen + 1);
    if (!input) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(input, ilen + 1, "%s.%s", h, c);
    if (dlg_sign_data(priv, alg, (const unsigned char *)input, ilen, &sig, &siglen, err, errlen) != 0)
        goto out;
    s = dlg_b64url_encode(sig, siglen);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    total = ilen + 1 + strlen(s);
    out = malloc(total + 1);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(out, total + 1, "%s.%s", input, s);
out:
    free_wiped_str(h);
    free_wiped_str(c);
    free_wiped_str(input);
    free_wiped_str(s);
    free_wiped(sig, siglen);
    return out;
}

char *dlg_sign_ticket(EVP_PKEY *priv, const char *alg, const char *kid, const char *typ,
                      json_t *claims, char *err, size_t errlen)
{
    json_t *hdr = json_object();
    char *htxt = NULL, *ctxt = NULL, *out = NULL;

    if (!hdr || !claims || !alg) {
        snprintf(err, errlen, "no header, claims or algorithm");
        goto out;
    }
    if (!typ)
        typ = "dlg+jwt";
    if (json_object_set_new(hdr, "alg", json_string(alg)) != 0 ||
        (typ[0] && json_object_set_new(hdr, "typ", json_string(typ)) != 0) ||
        (kid && json_object_set_new(hdr, "kid", json_string(kid)) != 0)) {
        snprintf(err, errlen, "bad header value");
        goto out;
    }
    htxt = json_dumps(hdr, JSON_COMPACT);
    ctxt = json_dumps(claims, JSON_COMPACT);
    if (!htxt || !ctxt) {
        snprintf(err, errlen, "cannot encode JSON");
        goto out;
    }
    out = dlg_sign_compact(priv, alg, htxt, ctxt, err, errlen);
out:
    free_wiped_str(htxt);
    free_wiped_str(ctxt);
    json_decref(hdr);
    return out;
}
