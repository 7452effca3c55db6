/* Signatures checked against things delegate did not make itself, so that
 * a bug shared by its signer and its verifier (PSS salt length, ECDSA r||s
 * order, a base64url edge) cannot pass unseen:
 *
 *  - known answers: the RFC 8037 A.4 (Ed25519), RFC 7515 A.2 (RS256) and
 *    A.3 (ES256) examples, exactly as printed in the RFCs, their public keys
 *    going through the product's key loader and their signatures through
 *    the table-driven verifier (alg.h); the deterministic Ed25519 example
 *    is also re-made by the product's signer, byte for byte;
 *  - an independent minter: keys made by the openssl command line, tickets
 *    signed by python3's `cryptography` (tests/unit/interop.py) for EdDSA,
 *    ES256, RS256 and PS256, decided by dlg_decide_lazy (the production
 *    path of PAM and `delegatectl verify`);
 *  - the reverse: tickets the product signs, verified by interop.py. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ticket/alg.h"
#include "decision/keys.h"
#include "decision/policy.h"
#include "ticket/sign.h"
#include "testlib.h"
#include "ticket/ticket.h"

#define PYTHON "/usr/bin/python3"
#define INTEROP "tests/unit/interop.py"

static char *dir;

/* ---- helpers ------------------------------------------------------------- */

/* Run argv; its stdout (up to cap - 1 bytes, NUL-terminated) into out when
 * out is not NULL.  Returns the exit status, or -1 if it did not exit. */
static int run(char *const argv[], char *out, size_t cap)
{
    int pfd[2], st = 0;
    size_t n = 0;
    ssize_t r;
    pid_t pid;

    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        char sink[256];
        char *dst = out && n + 1 < cap ? out + n : sink;
        size_t room = out && n + 1 < cap ? cap - 1 - n : sizeof(sink);

        r = read(pfd[0], dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (dst != sink)
            n += (size_t)r;
    }
    close(pfd[0]);
    if (out)
        out[n] = '\0';
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static unsigned char *unb64(const char *s, size_t *len)
{
    unsigned char *out = NULL;

    assert_int_equal(dlg_b64url_decode(s, strlen(s), &out, len), 0);
    return out;
}

/* Another base64url letter at position i of s (never a bit flip, which
 * could leave the alphabet). */
static void change_char(char *s, size_t i)
{
    s[i] = s[i] == 'A' ? 'B' : 'A';
}

/* ---- RFC examples (typed from the RFCs; each verified at the time of
 * writing with an independent implementation too) ------------------------- */

/* RFC 8037 A.1/A.4: Ed25519 key and the signature over "Example of Ed25519
 * signing" with header {"alg":"EdDSA"}. */
static const char A4_D[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char A4_X[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
static const char A4_JWS[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* RFC 7515 A.2 and A.3 sign the same payload (with CR LF line breaks):
 * {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true} */
#define RFC7515_PAYLOAD \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515 A.2: RSA public key (n, e = AQAB) and the RS256 JWS. */
static const char A2_N[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
static const char A2_E[] = "AQAB";
static const char A2_JWS[] =
    "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw";

/* RFC 7515 A.3: P-256 public key (x, y) and the ES256 JWS. */
static const char A3_X[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char A3_Y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char A3_JWS[] =
    "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *k = NULL;

    assert_non_null(params);
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static EVP_PKEY *rfc_ed25519_pub(void)
{
    size_t n;
    unsigned char *x = unb64(A4_X, &n);
    EVP_PKEY *k;

    assert_int_equal(n, 32);
    k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, n);
    assert_non_null(k);
    free(x);
    return k;
}

static EVP_PKEY *rfc_p256_pub(void)
{
    size_t nx, ny;
    unsigned char *x = unb64(A3_X, &nx), *y = unb64(A3_Y, &ny), point[65];
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *k;

    assert_int_equal(nx, 32);
    assert_int_equal(ny, 32);
    point[0] = 0x04;                /* uncompressed */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65), 1);
    k = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return k;
}

static EVP_PKEY *rfc_rsa_pub(void)
{
    size_t nn, ne;
    unsigned char *n = unb64(A2_N, &nn), *e = unb64(A2_E, &ne);
    BIGNUM *bn = BN_bin2bn(n, (int)nn, NULL), *be = BN_bin2bn(e, (int)ne, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *k;

    assert_int_equal(nn, 256);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be), 1);
    k = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return k;
}

/* The RFC keys as PEM files, loaded by the product's key loader (trust
 * checks, key type, RSA size) through a config naming them. */
static struct dlg_config *kat_cfg;
static struct dlg_keyring kat_kr;

static void kat_load(void)
{
    EVP_PKEY *ed = rfc_ed25519_pub(), *ec = rfc_p256_pub(), *rsa = rfc_rsa_pub();
    char *ped = tl_write_pub(dir, "rfc8037-a4", ed), *pec = tl_write_pub(dir, "rfc7515-a3", ec);
    char *prsa = tl_write_pub(dir, "rfc7515-a2", rsa), *text, *path;

    assert_true(asprintf(&text,
        "version = 1;\nhost = { name = \"web01\"; };\n"
        "issuers = (\n"
        "  { id = \"rfc8037\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
        "    keys = ( { kid = \"a4\"; file = \"%s\"; } ); },\n"
        "  { id = \"rfc7515\"; algorithms = [\"ES256\", \"RS256\", \"PS256\"]; principals = [\"*\"];\n"
        "    keys = ( { kid = \"a2\"; file = \"%s\"; }, { kid = \"a3\"; file = \"%s\"; } ); } );\n",
        ped, prsa, pec) > 0);
    path = tl_write_file(dir, "rfc.conf", text, 0644);
    kat_cfg = tl_load_config(path);
    assert_non_null(kat_cfg);
    assert_int_equal(dlg_keyring_load(kat_cfg, &kat_kr, NULL), 0);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    free(ped);
    free(pec);
    free(prsa);
    free(path);
    free(text);
}

struct split {
    char *input;                    /* "header.payload" */
    size_t input_len;
    unsigned char *sig;
    size_t sig_len;
    const struct dlg_alg *alg;      /* from the header */
};

static void split_jws(const char *jws, struct split *sp)
{
    const char *d1 = strchr(jws, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char *hdr;
    size_t hlen;
    json_t *h;

    assert_non_null(d2);
    sp->input_len = (size_t)(d2 - jws);
    sp->input = strndup(jws, sp->input_len);
    sp->sig = unb64(d2 + 1, &sp->sig_len);
    assert_int_equal(dlg_b64url_decode(jws, (size_t)(d1 - jws), &hdr, &hlen), 0);
    h = json_loadb((const char *)hdr, hlen, 0, NULL);
    assert_non_null(h);
    sp->alg = dlg_alg_find(json_string_value(json_object_get(h, "alg")));
    assert_non_null(sp->alg);
    json_decref(h);
    free(hdr);
}

static void split_free(struct split *sp)
{
    free(sp->input);
    free(sp->sig);
}

static bool verifies(const struct split *sp, const struct dlg_alg *a, EVP_PKEY *k)
{
    return dlg_alg_verify(a, k, (const unsigned char *)sp->input, sp->input_len, sp->sig,
                          sp->sig_len);
}

/* The example verifies; one changed byte of signature or signed text, or
 * the signature judged as another algorithm, does not. */
static void kat_check(const char *jws, const char *iss, const char *kid, const char *want_alg)
{
    const struct dlg_loaded_key *lk = dlg_keyring_find(&kat_kr, iss, kid);
    struct split sp;
    size_t i;

    assert_non_null(lk);
    split_jws(jws, &sp);
    assert_string_equal(sp.alg->name, want_alg);
    assert_true(verifies(&sp, sp.alg, lk->pkey));
    sp.sig[sp.sig_len / 2] ^= 0x01;
    assert_false(verifies(&sp, sp.alg, lk->pkey));
    sp.sig[sp.sig_len / 2] ^= 0x01;
    sp.input[sp.input_len - 1] ^= 0x01;
    assert_false(verifies(&sp, sp.alg, lk->pkey));
    sp.input[sp.input_len - 1] ^= 0x01;
    for (i = 0; i < dlg_nalgs; i++)
        if (&dlg_algs[i] != sp.alg)
            assert_false(verifies(&sp, &dlg_algs[i], lk->pkey));
    assert_true(verifies(&sp, sp.alg, lk->pkey));
    split_free(&sp);
}

static void test_rfc8037_a4_ed25519(void **state)
{
    (void)state;
    kat_check(A4_JWS, "rfc8037", "a4", "EdDSA");
}

static void test_rfc7515_a2_rs256(void **state)
{
    (void)state;
    kat_check(A2_JWS, "rfc7515", "a2", "RS256");
}

static void test_rfc7515_a3_es256(void **state)
{
    const struct dlg_loaded_key *lk = dlg_keyring_find(&kat_kr, "rfc7515", "a3");
    const struct dlg_alg *es = dlg_alg_find("ES256");
    struct split sp;
    unsigned char *der = NULL, raw[64], swapped[64];
    size_t derlen = 0;

    (void)state;
    kat_check(A3_JWS, "rfc7515", "a3", "ES256");
    split_jws(A3_JWS, &sp);
    assert_int_equal(sp.sig_len, 64);
    /* r||s -> DER -> r||s gives the RFC bytes back */
    assert_int_equal(dlg_alg_raw_to_der(es, sp.sig, sp.sig_len, &der, &derlen), 0);
    assert_int_equal(dlg_alg_der_to_raw(es, der, derlen, raw), 0);
    assert_memory_equal(raw, sp.sig, 64);
    /* s||r (the order bug) and the DER form itself are refused */
    memcpy(swapped, sp.sig + 32, 32);
    memcpy(swapped + 32, sp.sig, 32);
    assert_false(dlg_alg_verify(es, lk->pkey, (const unsigned char *)sp.input, sp.input_len,
                                swapped, 64));
    assert_false(dlg_alg_verify(es, lk->pkey, (const unsigned char *)sp.input, sp.input_len,
                                der, derlen));
    free(der);
    split_free(&sp);
}

/* Ed25519 is deterministic: the product's signer, given the RFC's private
 * key, header and payload texts, must print the RFC's JWS exactly (its
 * base64url encoder included). */
static void test_rfc8037_a4_signer_byte_for_byte(void **state)
{
    size_t n;
    unsigned char *d = unb64(A4_D, &n);
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, n);
    char err[256] = "";
    char *jws;

    (void)state;
    assert_non_null(k);
    jws = dlg_sign_compact(k, "EdDSA", "{\"alg\":\"EdDSA\"}", "Example of Ed25519 signing", err,
                           sizeof(err));
    assert_non_null(jws);
    assert_string_equal(jws, A4_JWS);
    free(jws);
    EVP_PKEY_free(k);
    explicit_bzero(d, n);
    free(d);
}

/* ---- an independent minter ---------------------------------------------- */

struct ikey {
    const char *alg, *kid, *file;   /* file: dir/<file>.key and .pub */
};
static const struct ikey ikeys[] = {
    { "EdDSA", "k-ed", "ed" },
    { "ES256", "k-ec", "ec" },
    { "RS256", "k-rsa", "rsa" },
    { "PS256", "k-rsa", "rsa" },
};
static struct dlg_config *icfg;

static void openssl_key(const char *name, char *const genargs[])
{
    char *key = tl_path(dir, name), *argv[16];
    char keyfile[512], pubfile[512];
    int i = 0, j;

    snprintf(keyfile, sizeof(keyfile), "%s.key", key);
    snprintf(pubfile, sizeof(pubfile), "%s.pub", key);
    argv[i++] = "/usr/bin/openssl";
    argv[i++] = "genpkey";
    argv[i++] = "-quiet";
    for (j = 0; genargs[j]; j++)
        argv[i++] = genargs[j];
    argv[i++] = "-out";
    argv[i++] = keyfile;
    argv[i] = NULL;
    assert_int_equal(run(argv, NULL, 0), 0);
    {
        char *pargv[] = { "/usr/bin/openssl", "pkey", "-in", keyfile, "-pubout", "-out", pubfile,
                          NULL };
        assert_int_equal(run(pargv, NULL, 0), 0);
    }
    assert_int_equal(chmod(keyfile, 0600), 0);
    assert_int_equal(chmod(pubfile, 0644), 0);
    free(key);
}

static void interop_load(void)
{
    char *ed[] = { "-algorithm", "ed25519", NULL };
    char *ec[] = { "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", NULL };
    char *rsa[] = { "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", NULL };
    char *text, *path;

    if (access(PYTHON, X_OK) != 0 || access(INTEROP, R_OK) != 0)
        fail_msg("%s or %s missing (tests/deps.sh installs python3-cryptography)", PYTHON,
                 INTEROP);
    openssl_key("ed", ed);
    openssl_key("ec", ec);
    openssl_key("rsa", rsa);
    assert_true(asprintf(&text,
        "version = 1;\nhost = { name = \"web01\"; };\n"
        "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\", \"ES256\", \"RS256\", \"PS256\"];\n"
        "    principals = [\"*\"];\n"
        "    keys = ( { kid = \"k-ed\"; file = \"%s/ed.pub\"; }, { kid = \"k-ec\"; file = \"%s/ec.pub\"; },\n"
        "             { kid = \"k-rsa\"; file = \"%s/rsa.pub\"; } ); } );\n"
        "accounts = { uid_min = 62001; uid_max = 62999; gid = 62000; };\n"
        "actors = ( { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"]; } );\n",
        dir, dir, dir) > 0);
    path = tl_write_file(dir, "interop.conf", text, 0644);
    icfg = tl_load_config(path);
    assert_non_null(icfg);
    free(path);
    free(text);
}

static enum dlg_reason decide(const char *ticket, int64_t now, struct dlg_verdict *v)
{
    struct dlg_request req = { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3",
                               .now = now };

    return dlg_decide_lazy(icfg, ticket, strlen(ticket), &req, v, NULL);
}

/* interop.py sign: the whole ticket (header and claims encoded by it). */
static void py_mint(const struct ikey *k, const char *claims, const char *salt, char *out,
                    size_t cap)
{
    char header[128], key[512];
    char *argv[] = { PYTHON, INTEROP, "sign", (char *)k->alg, key, header, (char *)claims,
                     (char *)salt, NULL };

    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"dlg+jwt\",\"kid\":\"%s\"}", k->alg,
             k->kid);
    snprintf(key, sizeof(key), "%s/%s.key", dir, k->file);
    assert_int_equal(run(argv, out, cap), 0);
    chomp(out);
}

static int py_verify(const struct ikey *k, const char *ticket)
{
    char pub[512];
    char *argv[] = { PYTHON, INTEROP, "verify", (char *)k->alg, pub, (char *)ticket, NULL };

    snprintf(pub, sizeof(pub), "%s/%s.pub", dir, k->file);
    return run(argv, NULL, 0);
}

/* Made elsewhere, admitted here; the same with one signature letter
 * changed is bad_signature. */
static void test_independent_tickets_admitted(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ikeys) / sizeof(ikeys[0]); i++) {
        int64_t now = (int64_t)time(NULL);
        json_t *c = tl_claims(now);
        char *claims = tl_json(c), t[4096];
        struct dlg_verdict v;
        enum dlg_reason r;

        py_mint(&ikeys[i], claims, NULL, t, sizeof(t));
        r = decide(t, now, &v);
        if (r != DLG_ADMIT)
            fail_msg("%s: %s (%s)", ikeys[i].alg, dlg_reason_str(r), v.detail);
        assert_string_equal(v.jti, json_string_value(json_object_get(c, "jti")));
        assert_string_equal(v.kid, ikeys[i].kid);
        dlg_verdict_free(&v);
        change_char(t, strlen(t) - 10);
        assert_int_equal(decide(t, now, &v), DLG_BAD_SIGNATURE);
        dlg_verdict_free(&v);
        free(claims);
        json_decref(c);
    }
}

/* RFC 7518 §3.5: PS256's salt is as long as the hash (32).  A signature
 * with the longest salt the key allows is a different scheme: refused. */
static void test_ps256_salt_is_digest_length(void **state)
{
    int64_t now = (int64_t)time(NULL);
    json_t *c = tl_claims(now);
    char *claims = tl_json(c), t[4096];
    struct dlg_verdict v;

    (void)state;
    py_mint(&ikeys[3], claims, "digest", t, sizeof(t));
    assert_int_equal(decide(t, now, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    py_mint(&ikeys[3], claims, "max", t, sizeof(t));
    assert_int_equal(decide(t, now, &v), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(claims);
    json_decref(c);
}

/* The reverse: what the product signs (with the openssl-made private key,
 * through its own key loader) verifies with interop.py; one changed
 * signature letter does not (the independent verifier can say no). */
static void test_product_tickets_verify_elsewhere(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ikeys) / sizeof(ikeys[0]); i++) {
        int64_t now = (int64_t)time(NULL);
        char path[512], err[256] = "";
        EVP_PKEY *priv;
        json_t *c;
        char *t;
        struct dlg_verdict v;

        snprintf(path, sizeof(path), "%s/%s.key", dir, ikeys[i].file);
        priv = dlg_load_private_key(path, err, sizeof(err));
        if (!priv)
            fail_msg("%s: %s", path, err);
        c = tl_claims(now);
        t = dlg_sign_ticket(priv, ikeys[i].alg, ikeys[i].kid, NULL, c, err, sizeof(err));
        json_decref(c);
        if (!t)
            fail_msg("%s: %s", ikeys[i].alg, err);
        if (py_verify(&ikeys[i], t) != 0)
            fail_msg("%s: the product's signature does not verify independently", ikeys[i].alg);
        assert_int_equal(decide(t, now, &v), DLG_ADMIT);
        dlg_verdict_free(&v);
        change_char(t, strlen(t) - 10);
        assert_int_equal(py_verify(&ikeys[i], t), 1);
        free(t);
        EVP_PKEY_free(priv);
    }
}

static int group_setup(void **state)
{
    (void)state;
    dir = tl_mkdtemp();
    kat_load();
    interop_load();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    dlg_keyring_free(&kat_kr);
    dlg_config_free(kat_cfg);
    dlg_config_free(icfg);
    tl_rmtree(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8037_a4_ed25519),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc8037_a4_signer_byte_for_byte),
        cmocka_unit_test(test_independent_tickets_admitted),
        cmocka_unit_test(test_ps256_salt_is_digest_length),
        cmocka_unit_test(test_product_tickets_verify_elsewhere),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
