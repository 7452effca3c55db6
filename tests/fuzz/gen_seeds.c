/* Writes the seed corpora of tests/fuzz/corpus/ from the adversarial
 * catalogue (tests/adversarial/catalogue.h), signed with the fixed keys of
 * tests/fuzz/keys, plus config and parser seeds.  Run by
 * `tests/fuzz/fuzz.sh seeds`; the output is committed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "adv_mint.h"

static const char *keydir, *outdir;

static EVP_PKEY *load(const char *name)
{
    char path[4096];
    FILE *f;
    EVP_PKEY *k;

    snprintf(path, sizeof(path), "%s/%s", keydir, name);
    f = fopen(path, "re");
    if (!f)
        abort();
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k)
        abort();
    return k;
}

static void put(const char *harness, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", outdir, harness);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
    f = fopen(path, "we");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static int signer_index(const char *sign_as)
{
    if (strcmp(sign_as, "ES256") == 0)
        return 1;
    if (strcmp(sign_as, "RS256") == 0)
        return 2;
    if (strcmp(sign_as, "PS256") == 0)
        return 3;
    if (strcmp(sign_as, "EdDSA") == 0)
        return 0;
    return -1;
}

int main(int argc, char **argv)
{
    struct adv_keys k;
    size_t i;

    if (argc != 3) {
        fprintf(stderr, "usage: gen_seeds KEYDIR OUTDIR\n");
        return 2;
    }
    keydir = argv[1];
    outdir = argv[2];
    k.ed = load("ed.key");
    k.ec = load("ec.key");
    k.rsa = load("rsa.key");
    for (i = 0; i < ADV_NCASES; i++) {
        const struct adv_case *c = &adv_cases[i];
        size_t len;
        char *t;
        int s;

        if (strcmp(c->name, "raw_1m") == 0)
            continue;
        t = adv_mint(&k, c, ADV_NOW, &len);
        put("fuzz_ticket", c->name, t, len);
        free(t);
        s = signer_index(c->sign_as);
        if (s >= 0 && c->claims) {
            /* flags: signer, header from input (3), request */
            char *claims = adv_expand_time(c->claims, ADV_NOW);
            size_t hl = strlen(c->header), cl = strlen(claims);
            unsigned char *buf = malloc(1 + hl + 1 + cl);
            buf[0] = (unsigned char)(s | (3 << 2) | ((c->req & 3) << 4) |
                                     (strstr(c->claims, "\"once\"") ? 0x40 : 0));
            memcpy(buf + 1, c->header, hl);
            buf[1 + hl] = '\0';
            memcpy(buf + 2 + hl, claims, cl);
            put("fuzz_decide", c->name, buf, 2 + hl + cl);
            /* and the short form: flags (header 0) + claims only */
            buf[0] = (unsigned char)(s | ((c->req & 3) << 4));
            memcpy(buf + 1, claims, cl);
            {
                char nm[256];
                snprintf(nm, sizeof(nm), "%s.short", c->name);
                put("fuzz_decide", nm, buf, 1 + cl);
            }
            free(buf);
            free(claims);
        }
    }
    EVP_PKEY_free(k.ed);
    EVP_PKEY_free(k.ec);
    EVP_PKEY_free(k.rsa);
    return 0;
}
