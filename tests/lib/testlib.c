/* Test helpers (see testlib.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "ticket/sign.h"
#include "testlib.h"
#include "ticket/ticket.h"
#include "util/util.h"

static void die(const char *what)
{
    fprintf(stderr, "testlib: %s\n", what);
    abort();
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        die("out of memory");
    return p;
}

char *tl_mkdtemp(void)
{
    char *dir = strdup("/tmp/dlgtest.XXXXXX");

    if (!dir || !mkdtemp(dir) || chmod(dir, 0755) != 0)
        die("mkdtemp");
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void tl_rmtree(const char *path)
{
    if (!path || strncmp(path, "/tmp/", 5) != 0 || strstr(path, ".."))
        die("tl_rmtree: refusing a path outside /tmp");
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tl_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);

    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *tl_write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = tl_path(dir, name);
    size_t len = strlen(text);
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, text, len) != (ssize_t)len)
        die("write file");
    close(fd);
    return path;
}

char *tl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *buf;
    size_t cap = 4096, n = 0, r;

    if (!f)
        return NULL;
    buf = xmalloc(cap + 1);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            if (!buf)
                die("out of memory");
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

EVP_PKEY *tl_new_key(const char *type)
{
    char err[256];
    EVP_PKEY *k = dlg_keygen(type, err, sizeof(err));

    if (!k)
        die(err);
    return k;
}

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *type;
    EVP_PKEY *key;
} key_cache[8];

static void free_keys(void)
{
    size_t i;

    for (i = 0; i < sizeof(key_cache) / sizeof(key_cache[0]); i++)
        EVP_PKEY_free(key_cache[i].key);
}

EVP_PKEY *tl_key(const char *type)
{
    EVP_PKEY *k = NULL;
    size_t i;

    pthread_mutex_lock(&key_lock);
    for (i = 0; i < sizeof(key_cache) / sizeof(key_cache[0]); i++) {
        if (key_cache[i].key && strcmp(key_cache[i].type, type) == 0) {
            k = key_cache[i].key;
            break;
        }
        if (!key_cache[i].key) {
            if (i == 0)
                atexit(free_keys);
            key_cache[i].type = type;
            k = key_cache[i].key = tl_new_key(type);
            break;
        }
    }
    pthread_mutex_unlock(&key_lock);
    if (!k)
        die("key cache full");
    return k;
}

static char *write_key(const char *dir, const char *name, const char *ext, EVP_PKEY *k, bool priv)
{
    char err[256];
    size_t n = strlen(name) + strlen(ext) + 1;
    char *file = xmalloc(n), *path;

    snprintf(file, n, "%s%s", name, ext);
    path = tl_path(dir, file);
    free(file);
    unlink(path);
    if ((priv ? dlg_write_private_key(path, k, err, sizeof(err))
              : dlg_write_public_key(path, k, err, sizeof(err))) != 0)
        die(err);
    return path;
}

char *tl_write_pub(const char *dir, const char *name, EVP_PKEY *k)
{
    return write_key(dir, name, ".pub", k, false);
}

char *tl_write_priv(const char *dir, const char *name, EVP_PKEY *k)
{
    return write_key(dir, name, ".key", k, true);
}

char *tl_pub_pem(EVP_PKEY *k, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;

    if (!bio || PEM_write_bio_PUBKEY(bio, k) != 1)
        die("PEM_write_bio_PUBKEY");
    n = BIO_get_mem_data(bio, &data);
    out = xmalloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    if (len)
        *len = (size_t)n;
    BIO_free(bio);
    return out;
}

struct dlg_config *tl_load_config(const char *path)
{
    struct dlg_diag diag;
    struct dlg_config *cfg;
    size_t i;

    memset(&diag, 0, sizeof(diag));
    cfg = dlg_config_load(path, &diag);
    if (!cfg)
        for (i = 0; i < diag.errors.n; i++)
            fprintf(stderr, "# config: %s\n", diag.errors.v[i]);
    dlg_diag_free(&diag);
    return cfg;
}

char *tl_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

    if (!s)
        die("json_dumps");
    return s;
}

json_t *tl_claims(int64_t now)
{
    static unsigned counter;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char jti[32];
    json_t *c;

    pthread_mutex_lock(&lock);
    snprintf(jti, sizeof(jti), "tl-%u-%ld", ++counter, (long)getpid());
    pthread_mutex_unlock(&lock);
    c = json_pack("{s:s, s:s, s:{s:s}, s:s, s:[s], s:I, s:I, s:s}",
                  "iss", "corp", "sub", "alice", "act", "sub", "ci-deploy", "aud", "web01",
                  "svc", "sshd", "iat", (json_int_t)now, "exp", (json_int_t)(now + 300),
                  "jti", jti);
    if (!c)
        die("json_pack");
    return c;
}

char *tl_mint(EVP_PKEY *k, const char *alg, const char *kid, json_t *claims)
{
    json_t *hdr = json_pack("{s:s, s:s}", "alg", alg, "typ", "dlg+jwt");
    char *h, *c, *t;

    if (!hdr || (kid && json_object_set_new(hdr, "kid", json_string(kid)) != 0))
        die("header");
    h = tl_json(hdr);
    c = tl_json(claims);
    t = tl_mint_raw(k, alg, h, c);
    free(h);
    free(c);
    json_decref(hdr);
    return t;
}

char *tl_b64(const char *text)
{
    char *s = dlg_b64url_encode((const unsigned char *)text, strlen(text));

    if (!s)
        die("b64");
    return s;
}

char *tl_mint_raw(EVP_PKEY *k, const char *sign_as, const char *header_json,
                  const char *claims_json)
{
    char *h = tl_b64(header_json), *c = tl_b64(claims_json), *s, *out;
    size_t ilen = strlen(h) + 1 + strlen(c), n;
    char *input = xmalloc(ilen + 1), err[256];
    unsigned char *sig = NULL;
    size_t siglen = 0;

    snprintf(input, ilen + 1, "%s.%s", h, c);
    if (strcmp(sign_as, "HS256-pub") == 0) {
        size_t pemlen;
        char *pem = tl_pub_pem(k, &pemlen);
        unsigned int mdlen = 0;
        sig = xmalloc(EVP_MAX_MD_SIZE);
        if (!HMAC(EVP_sha256(), pem, (int)pemlen, (unsigned char *)input, ilen, sig, &mdlen))
            die("HMAC");
        siglen = mdlen;
        free(pem);
    } else if (strcmp(sign_as, "zero64") == 0) {
        sig = calloc(1, 64);
        siglen = 64;
    } else if (strcmp(sign_as, "junk") == 0) {
        sig = xmalloc(64);
        for (n = 0; n < 64; n++)
            sig[n] = (unsigned char)(n * 37 + 11);
        siglen = 64;
    } else if (strcmp(sign_as, "strip") == 0) {
        sig = NULL;
        siglen = 0;
    } else if (dlg_sign_data(k, sign_as, (const unsigned char *)input, ilen, &sig, &siglen, err,
                             sizeof(err)) != 0) {
        die(err);
    }
    s = siglen ? dlg_b64url_encode(sig, siglen) : strdup("");
    if (!s)
        die("b64");
    n = ilen + 1 + strlen(s) + 1;
    out = xmalloc(n);
    snprintf(out, n, "%s.%s", input, s);
    free(h);
    free(c);
    free(s);
    free(sig);
    free(input);
    return out;
}
