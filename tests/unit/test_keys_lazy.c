/* Lazy key loading: dlg_keyring_load_for reads only the key a ticket's
 * iss/kid select, and dlg_decide_lazy decides with it.  An unusable key file
 * of another issuer or key must not matter; an unusable selected key file
 * is config_error; the checks of dlg_keyring_load (trust, private keys,
 * curves, RSA size) hold for the selected key; check-config's
 * dlg_keyring_load still refuses any bad key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "decision/policy.h"
#include "testlib.h"

static char *dir;

/* Issuers: "corp" (Ed25519, key k1), "ec" (P-256), "rsa" (RSA 2048),
 * "multi" (two keys m1, m2), "bad" (key file given per test). */
static struct dlg_config *make_config(const char *bad_key_file)
{
    char *text, *path;
    struct dlg_config *c;

    if (asprintf(&text,
                 "version = 1;\n"
                 "host = { name = \"web01\"; };\n"
                 "issuers = (\n"
                 "  { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"k1\"; file = \"%1$s/ed.pub\"; } ); },\n"
                 "  { id = \"ec\"; algorithms = [\"ES256\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"k-ec\"; file = \"%1$s/ec.pub\"; } ); },\n"
                 "  { id = \"rsa\"; algorithms = [\"RS256\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"k-rsa\"; file = \"%1$s/rsa.pub\"; } ); },\n"
                 "  { id = \"multi\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"m1\"; file = \"%1$s/ed.pub\"; },\n"
                 "             { kid = \"m2\"; file = \"%2$s\"; } ); },\n"
                 "  { id = \"bad\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"kb\"; file = \"%2$s\"; } ); }\n"
                 ");\n"
                 "accounts = { gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
                 "actors = ( { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"];\n"
                 "             services = [\"sshd\"]; } );\n"
                 "audit = { syslog = false; };\n",
                 dir, bad_key_file) < 0)
        abort();
    path = tl_write_file(dir, "delegate.conf", text, 0644);
    c = tl_load_config(path);
    free(text);
    free(path);
    assert_non_null(c);
    return c;
}

static int setup(void **state)
{
    (void)state;
    dir = tl_mkdtemp();
    free(tl_write_pub(dir, "ed", tl_key("ed25519")));
    free(tl_write_pub(dir, "ec", tl_key("p256")));
    free(tl_write_pub(dir, "rsa", tl_key("rsa2048")));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tl_rmtree(dir);
    free(dir);
    return 0;
}

static enum dlg_reason decide_lazy(const struct dlg_config *c, const char *iss, const char *kid,
                                   EVP_PKEY *k, const char *alg, struct dlg_diag *diag)
{
    json_t *claims = tl_claims((int64_t)time(NULL));
    struct dlg_request req = {
        .user = "ci-deploy", .service = "sshd", .now = (int64_t)time(NULL),
    };
    struct dlg_verdict v;
    enum dlg_reason r;
    char *t;

    json_object_set_new(claims, "iss", json_string(iss));
    json_object_set_new(claims, "aud", json_string("web01"));
    t = tl_mint(k, alg, kid, claims);
    json_decref(claims);
    r = dlg_decide_lazy(c, t, strlen(t), &req, &v, diag);
    dlg_verdict_free(&v);
    free(t);
    return r;
}

/* Every good key type loads through the selective loader. */
static void test_load_for_each_type(void **state)
{
    struct dlg_config *c;
    struct dlg_keyring kr;
    char *bad = tl_path(dir, "ed.pub");
    (void)state;

    c = make_config(bad);
    assert_int_equal(dlg_keyring_load_for(c, "corp", "k1", &kr, NULL), 0);
    assert_int_equal(kr.nkeys, 1);
    assert_int_equal(kr.keys[0].type, DLG_KEY_ED25519);
    assert_non_null(dlg_keyring_find(&kr, "corp", "k1"));
    dlg_keyring_free(&kr);
    /* kid omitted: fine for an issuer with one key */
    assert_int_equal(dlg_keyring_load_for(c, "corp", NULL, &kr, NULL), 0);
    assert_non_null(dlg_keyring_find(&kr, "corp", NULL));
    dlg_keyring_free(&kr);
    assert_int_equal(dlg_keyring_load_for(c, "ec", "k-ec", &kr, NULL), 0);
    assert_int_equal(kr.keys[0].type, DLG_KEY_EC_P256);
    dlg_keyring_free(&kr);
    assert_int_equal(dlg_keyring_load_for(c, "rsa", "k-rsa", &kr, NULL), 0);
    assert_int_equal(kr.keys[0].type, DLG_KEY_RSA);
    dlg_keyring_free(&kr);
    /* not configured: 1, nothing loaded */
    assert_int_equal(dlg_keyring_load_for(c, "nobody", NULL, &kr, NULL), 1);
    assert_int_equal(kr.nkeys, 0);
    assert_int_equal(dlg_keyring_load_for(c, "corp", "k2", &kr, NULL), 1);
    assert_int_equal(dlg_keyring_load_for(c, "multi", NULL, &kr, NULL), 1);   /* kid required */
    assert_int_equal(dlg_keyring_load_for(c, NULL, "k1", &kr, NULL), 1);
    assert_int_equal(kr.nkeys, 0);
    assert_null(kr.keys);
    /* every algorithm admits through dlg_decide_lazy */
    assert_int_equal(decide_lazy(c, "corp", "k1", tl_key("ed25519"), "EdDSA", NULL), DLG_ADMIT);
    assert_int_equal(decide_lazy(c, "ec", "k-ec", tl_key("p256"), "ES256", NULL), DLG_ADMIT);
    assert_int_equal(decide_lazy(c, "rsa", "k-rsa", tl_key("rsa2048"), "RS256", NULL), DLG_ADMIT);
    assert_int_equal(decide_lazy(c, "corp", "k2", tl_key("ed25519"), "EdDSA", NULL),
                     DLG_UNKNOWN_KEY);
    assert_int_equal(decide_lazy(c, "multi", NULL, tl_key("ed25519"), "EdDSA", NULL),
                     DLG_UNKNOWN_KEY);
    assert_int_equal(decide_lazy(c, "corp", "k1", tl_key("p256"), "ES256", NULL),
                     DLG_UNSUPPORTED_ALG);
    {
        EVP_PKEY *stranger = tl_new_key("ed25519");
        assert_int_equal(decide_lazy(c, "corp", "k1", stranger, "EdDSA", NULL),
                         DLG_BAD_SIGNATURE);
        EVP_PKEY_free(stranger);
    }
    dlg_config_free(c);
    free(bad);
}

/* Another issuer's (or another key's) file is missing or untrusted
 * (unsafe_file): DESIGN.md §3 makes the whole config unusable, so even this
 * issuer's tickets get config_error.  A file that is trusted but holds a
 * private key is only decoded when selected: this issuer still admits.
 * Tickets that select the bad key get config_error with a diagnostic;
 * dlg_keyring_load (check-config) still refuses the whole keyring. */
static void check_other_key_bad(const char *bad_path, const char *diag_part, bool unsafe_file)
{
    struct dlg_config *c = make_config(bad_path);
    struct dlg_keyring kr;
    struct dlg_diag diag;
    enum dlg_reason good = unsafe_file ? DLG_CONFIG_ERROR : DLG_ADMIT;

    memset(&diag, 0, sizeof(diag));
    assert_int_equal(decide_lazy(c, "corp", "k1", tl_key("ed25519"), "EdDSA", &diag), good);
    assert_int_equal(decide_lazy(c, "multi", "m1", tl_key("ed25519"), "EdDSA", &diag), good);
    if (unsafe_file) {
        assert_true(diag.errors.n >= 1);
        if (diag_part && !strstr(diag.errors.v[0], diag_part))
            fail_msg("diag \"%s\" lacks \"%s\"", diag.errors.v[0], diag_part);
    } else {
        assert_int_equal(diag.errors.n, 0);
    }
    dlg_diag_free(&diag);
    memset(&diag, 0, sizeof(diag));

    assert_int_equal(decide_lazy(c, "bad", "kb", tl_key("ed25519"), "EdDSA", &diag),
                     DLG_CONFIG_ERROR);
    assert_true(diag.errors.n >= 1);
    if (diag_part && !strstr(diag.errors.v[0], diag_part))
        fail_msg("diag \"%s\" lacks \"%s\"", diag.errors.v[0], diag_part);
    dlg_diag_free(&diag);
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(decide_lazy(c, "multi", "m2", tl_key("ed25519"), "EdDSA", &diag),
                     DLG_CONFIG_ERROR);
    assert_true(diag.errors.n >= 1);
    dlg_diag_free(&diag);
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(dlg_keyring_load_for(c, "bad", "kb", &kr, &diag), -1);
    assert_int_equal(kr.nkeys, 0);
    assert_null(kr.keys);
    dlg_diag_free(&diag);

    memset(&diag, 0, sizeof(diag));
    assert_int_equal(dlg_keyring_load(c, &kr, &diag), -1);
    assert_true(diag.errors.n >= 1);
    dlg_diag_free(&diag);
    dlg_config_free(c);
}

static void test_other_key_missing(void **state)
{
    char *p = tl_path(dir, "no-such.pub");
    (void)state;
    check_other_key_bad(p, "no-such.pub", true);
    free(p);
}

static void test_other_key_untrusted(void **state)
{
    char *p = tl_write_pub(dir, "writable", tl_key("ed25519"));
    (void)state;
    assert_int_equal(chmod(p, 0666), 0);
    check_other_key_bad(p, "writable.pub", true);
    free(p);
}

/* Not a regular file: a directory is unsafe like a missing file. */
static void test_other_key_is_a_directory(void **state)
{
    char *p = tl_path(dir, "keydir.pub");
    (void)state;
    assert_int_equal(mkdir(p, 0755), 0);
    check_other_key_bad(p, NULL, true);
    assert_int_equal(rmdir(p), 0);
    free(p);
}

static void test_other_key_private(void **state)
{
    char *p = tl_write_priv(dir, "priv", tl_key("ed25519"));
    (void)state;
    assert_int_equal(chmod(p, 0644), 0);
    check_other_key_bad(p, "private key", false);
    free(p);
}

/* The refusals of dlg_keyring_load hold for the selected key. */
static void expect_selected_refused(const char *path, const char *diag_part)
{
    struct dlg_config *c = make_config(path);
    struct dlg_diag diag;

    memset(&diag, 0, sizeof(diag));
    assert_int_equal(decide_lazy(c, "bad", "kb", tl_key("ed25519"), "EdDSA", &diag),
                     DLG_CONFIG_ERROR);
    assert_true(diag.errors.n >= 1);
    if (diag_part && !strstr(diag.errors.v[0], diag_part))
        fail_msg("diag \"%s\" lacks \"%s\"", diag.errors.v[0], diag_part);
    dlg_diag_free(&diag);
    dlg_config_free(c);
}

static void test_selected_key_checks(void **state)
{
    EVP_PKEY *p384 = tl_new_key("p384"), *rsa1024 = tl_new_key("rsa1024");
    char *p, *pem, *text;
    size_t len;
    (void)state;

    p = tl_write_pub(dir, "p384", p384);
    expect_selected_refused(p, "P-256");
    free(p);
    p = tl_write_pub(dir, "rsa1024", rsa1024);
    expect_selected_refused(p, "2048");
    free(p);
    p = tl_write_file(dir, "garbage.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                      0644);
    expect_selected_refused(p, "PEM public key");
    free(p);
    p = tl_write_file(dir, "empty.pub", "", 0644);
    expect_selected_refused(p, NULL);
    free(p);
    /* an Ed25519 SPKI holding 33 bytes, and a good one followed by a
     * stray byte: neither is a key */
    p = tl_write_file(dir, "long.pub",
                      "-----BEGIN PUBLIC KEY-----\n"
                      "MCswBQYDK2VwAyIAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh\n"
                      "-----END PUBLIC KEY-----\n", 0644);
    expect_selected_refused(p, "PEM public key");
    free(p);
    p = tl_write_file(dir, "trailing.pub",
                      "-----BEGIN PUBLIC KEY-----\n"
                      "MCowBQYDK2VwAyEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAA\n"
                      "-----END PUBLIC KEY-----\n", 0644);
    expect_selected_refused(p, "PEM public key");
    free(p);
    /* a key under another PEM label (an RSA PKCS#1 block) is not taken */
    pem = tl_pub_pem(tl_key("ed25519"), &len);
    assert_true(asprintf(&text, "%.*s", (int)len, pem) > 0);
    {
        char *q = strstr(text, "PUBLIC KEY-----");
        char *r = q ? strstr(q + 1, "PUBLIC KEY-----") : NULL;
        assert_non_null(r);
        /* "-----BEGIN PUBLIC KEY-----" -> "-----BEGIN PUBLIK KEY-----" */
        q[5] = 'K';
        r[5] = 'K';
    }
    p = tl_write_file(dir, "label.pub", text, 0644);
    expect_selected_refused(p, "PEM public key");
    free(p);
    free(text);
    free(pem);
    /* the selected key file made untrusted after the load of the config */
    p = tl_write_pub(dir, "later", tl_key("ed25519"));
    {
        struct dlg_config *c = make_config(p);
        struct dlg_diag diag;
        memset(&diag, 0, sizeof(diag));
        assert_int_equal(decide_lazy(c, "bad", "kb", tl_key("ed25519"), "EdDSA", &diag),
                         DLG_ADMIT);
        assert_int_equal(chmod(p, 0666), 0);
        assert_int_equal(decide_lazy(c, "bad", "kb", tl_key("ed25519"), "EdDSA", &diag),
                         DLG_CONFIG_ERROR);
        assert_true(diag.errors.n >= 1);
        dlg_diag_free(&diag);
        dlg_config_free(c);
    }
    free(p);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa1024);
}

/* dlg_decide_lazy fails closed at its entry checks. */
static void test_lazy_entry_checks(void **state)
{
    struct dlg_request req = { .user = "ci-deploy", .service = "sshd", .now = 1 };
    struct dlg_verdict v;
    (void)state;

    assert_int_equal(dlg_decide_lazy(NULL, "x", 1, &req, &v, NULL), DLG_CONFIG_ERROR);
    dlg_verdict_free(&v);
    {
        char *p = tl_path(dir, "ed.pub");
        struct dlg_config *c = make_config(p);
        assert_int_equal(dlg_decide_lazy(c, "x", 1, NULL, &v, NULL), DLG_CONFIG_ERROR);
        dlg_verdict_free(&v);
        assert_int_equal(dlg_decide_lazy(c, "", 0, &req, &v, NULL), DLG_NO_TICKET);
        dlg_verdict_free(&v);
        assert_int_equal(dlg_decide_lazy(c, "a.b.c", 5, &req, &v, NULL), DLG_MALFORMED);
        dlg_verdict_free(&v);
        dlg_config_free(c);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_for_each_type),
        cmocka_unit_test(test_other_key_missing),
        cmocka_unit_test(test_other_key_untrusted),
        cmocka_unit_test(test_other_key_is_a_directory),
        cmocka_unit_test(test_other_key_private),
        cmocka_unit_test(test_selected_key_checks),
        cmocka_unit_test(test_lazy_entry_checks),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
