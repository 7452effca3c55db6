/* Fixture of the fuzz harnesses (see fuzz_env.h). */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "catalogue.h"
#include "fuzz_env.h"

#ifndef DLG_FUZZ_KEYS
#error "build with -DDLG_FUZZ_KEYS=\"/abs/path/tests/fuzz/keys\""
#endif

static struct fuzz_env env;
static pid_t owner;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_env: %s\n", what);
    abort();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (env.dir && getpid() == owner && strstr(env.dir, "/dlgfuzz.") != NULL)
        nftw(env.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

char *fuzz_env_path(const char *name)
{
    size_t n = strlen(env.dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (!p)
        die("out of memory");
    snprintf(p, n, "%s/%s", env.dir, name);
    return p;
}

int fuzz_env_write(const char *name, const void *data, size_t len)
{
    char *path = fuzz_env_path(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int rc = -1;

    if (fd >= 0 && fchmod(fd, 0644) == 0 && write(fd, data, len) == (ssize_t)len)
        rc = 0;
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    char *buf = malloc(65536);
    size_t n;

    if (!f || !buf)
        die(path);
    n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void copy_key(const char *name)
{
    char src[4096];
    size_t len;
    char *text;

    snprintf(src, sizeof(src), "%s/%s", DLG_FUZZ_KEYS, name);
    text = slurp(src, &len);
    if (fuzz_env_write(name, text, len) != 0)
        die("copy key");
    free(text);
}

static EVP_PKEY *load_priv(const char *name)
{
    char src[4096];
    size_t len;
    char *text;
    BIO *bio;
    EVP_PKEY *k;

    snprintf(src, sizeof(src), "%s/%s", DLG_FUZZ_KEYS, name);
    text = slurp(src, &len);
    bio = BIO_new_mem_buf(text, (int)len);
    k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (!k)
        die("private key");
    BIO_free(bio);
    free(text);
    return k;
}

char *fuzz_env_expand(const uint8_t *data, size_t len, size_t *outlen)
{
    static const char tok[] = "@KEYDIR@";
    size_t tl = sizeof(tok) - 1, dl = strlen(env.dir), cnt = 0, i, o = 0;
    char *out;

    for (i = 0; i + tl <= len; i++)
        if (memcmp(data + i, tok, tl) == 0) {
            cnt++;
            i += tl - 1;
        }
    out = malloc(len + cnt * dl + 1);
    if (!out)
        die("out of memory");
    for (i = 0; i < len;) {
        if (i + tl <= len && memcmp(data + i, tok, tl) == 0) {
            memcpy(out + o, env.dir, dl);
            o += dl;
            i += tl;
        } else {
            out[o++] = (char)data[i++];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static const char config_template[] = ADV_CONFIG;

struct fuzz_env *fuzz_env_get(void)
{
    struct dlg_diag diag = {0};
    /* fuzz.sh points DLG_FUZZ_TMPDIR at a per-run dir it removes itself:
     * libFuzzer leaves with _Exit on a finding, so atexit cleanup is not
     * enough. */
    const char *base = getenv("DLG_FUZZ_TMPDIR");
    char tmpl[4096];
    char *conf, *path;
    size_t len;
    size_t i;

    if (env.cfg)
        return &env;
    snprintf(tmpl, sizeof(tmpl), "%s/dlgfuzz.XXXXXX", base && base[0] == '/' ? base : "/tmp");
    if (!mkdtemp(tmpl) || chmod(tmpl, 0755) != 0)
        die("mkdtemp");
    env.dir = strdup(tmpl);
    if (!env.dir)
        die("out of memory");
    owner = getpid();
    atexit(cleanup);
    copy_key("ed.pub");
    copy_key("ec.pub");
    copy_key("rsa.pub");
    conf = fuzz_env_expand((const uint8_t *)config_template, sizeof(config_template) - 1, &len);
    if (fuzz_env_write("delegate.conf", conf, len) != 0)
        die("write config");
    free(conf);
    path = fuzz_env_path("delegate.conf");
    env.cfg = dlg_config_load(path, &diag);
    if (!env.cfg) {
        for (i = 0; i < diag.errors.n; i++)
            fprintf(stderr, "%s\n", diag.errors.v[i]);
        die("fixture config does not load");
    }
    free(path);
    if (dlg_keyring_load(env.cfg, &env.kr, &diag) != 0) {
        for (i = 0; i < diag.errors.n; i++)
            fprintf(stderr, "%s\n", diag.errors.v[i]);
        die("fixture keys do not load");
    }
    dlg_diag_free(&diag);
    env.ed = load_priv("ed.key");
    env.ec = load_priv("ec.key");
    env.rsa = load_priv("rsa.key");
    return &env;
}
