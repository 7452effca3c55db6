/* delegatectl keygen: an issuer key pair, NAME.key (0600) and NAME.pub (0644). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "ticket/sign.h"

/* "SHA256:<base64>" of the DER SubjectPublicKeyInfo, as ssh-keygen -l shows. */
static int fingerprint(EVP_PKEY *key, char *out, size_t outlen)
{
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    unsigned int mdlen = 0;
    int derlen, n;

    derlen = i2d_PUBKEY(key, &der);
    if (derlen <= 0)
        return -1;
    if (EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL) != 1) {
        OPENSSL_free(der);
        return -1;
    }
    OPENSSL_free(der);
    n = EVP_EncodeBlock(b64, md, (int)mdlen);
    while (n > 0 && b64[n - 1] == '=')
        b64[--n] = '\0';
    snprintf(out, outlen, "SHA256:%s", (char *)b64);
    return 0;
}

static int run_keygen(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "type", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *type = "ed25519", *alg;
    char *keypath = NULL, *pubpath = NULL, *copy = NULL, *abspub = NULL;
    char err[256], fp[128], month[8];
    EVP_PKEY *key = NULL;
    struct stat st;
    struct tm tm;
    time_t now = time(NULL);
    bool wrote_key = false;
    int c, rc = CTL_USAGE;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 't': type = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (!out || !out[0])
        return ctl_usage(v, "--out is required");
    if (strcmp(type, "ed25519") != 0 && strcmp(type, "p256") != 0)
        return ctl_usage(v, "invalid --type '%s' (ed25519 or p256)", type);

    if (asprintf(&keypath, "%s.key", out) < 0 || asprintf(&pubpath, "%s.pub", out) < 0) {
        keypath = pubpath = NULL;
        ctl_err(v, "out of memory");
        goto out;
    }
    /* refuse early, before generating anything; O_EXCL below is what counts */
    if (lstat(keypath, &st) == 0 || lstat(pubpath, &st) == 0) {
        ctl_err(v, "%s exists: refusing to overwrite a key", lstat(keypath, &st) == 0 ? keypath : pubpath);
        goto out;
    }
    key = dlg_keygen(type, err, sizeof(err));
    if (!key) {
        ctl_err(v, "%s", err);
        goto out;
    }
    if (dlg_write_private_key(keypath, key, err, sizeof(err)) < 0) {
        ctl_err(v, "%s: %s", keypath, err);
        goto out;
    }
    wrote_key = true;
    if (dlg_write_public_key(pubpath, key, err, sizeof(err)) < 0) {
        ctl_err(v, "%s: %s", pubpath, err);
        goto out;
    }
    wrote_key = false;          /* both written: keep them */

    alg = dlg_key_default_alg(key);
    if (fingerprint(key, fp, sizeof(fp)) < 0)
        snprintf(fp, sizeof(fp), "(unavailable)");
    gmtime_r(&now, &tm);
    strftime(month, sizeof(month), "%Y-%m", &tm);
    copy = strdup(out);
    abspub = realpath(pubpath, NULL);
    printf("wrote %s (private key, mode 0600: keep it with the issuer, never on a host)\n", keypath);
    printf("wrote %s (public key, mode 0644: install it on the hosts)\n", pubpath);
    printf("type:          %s (alg %s)\n", type, alg ? alg : "?");
    printf("fingerprint:   %s\n", fp);
    printf("suggested kid: %s-%s\n", copy ? basename(copy) : out, month);
    printf("config entry:  keys = ( { kid = \"%s-%s\"; file = \"%s\"; } );\n",
           copy ? basename(copy) : out, month, abspub ? abspub : pubpath);
    rc = fflush(stdout) == 0 ? CTL_OK : CTL_USAGE;
out:
    if (wrote_key)
        unlink(keypath);
    EVP_PKEY_free(key);
    free(keypath);
    free(pubpath);
    free(copy);
    free(abspub);
    return rc;
}

const struct ctl_verb ctl_verb_keygen = {
    .name = "keygen",
    .run = run_keygen,
    .synopsis = "keygen --out NAME [--type ed25519|p256]",
    .help =
        "Generate an issuer key pair: NAME.key, the private key (PKCS#8 PEM, mode\n"
        "0600), and NAME.pub, the public key (PEM, mode 0644) that goes into the\n"
        "hosts' config.  Existing files are never overwritten.  Prints the key's\n"
        "fingerprint and a suggested key id (kid).\n"
        "\n"
        "Options:\n"
        "  --out NAME    path prefix of the two files\n"
        "  --type TYPE   ed25519 (default; alg EdDSA) or p256 (alg ES256)\n"
        "  -h, --help    show this help\n"
        "\n"
        "Exit status: 0 written, 2 usage or system error.\n",
};
