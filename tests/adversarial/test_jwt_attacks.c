/* The JWT attack catalogue (catalogue.h) against dlg_decide_lazy (the production path: PAM and verify): every case
 * gets exactly its expected reason, within a second, with a log detail
 * that never carries ticket text.  Plus the attacks a table cannot hold:
 * raw NUL bytes, a foreign key, DER-encoded and out-of-range ECDSA
 * signatures, replay of single-use tickets under concurrency. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "adv_mint.h"
#include "decision/keys.h"
#include "decision/policy.h"
#include "ticket/sign.h"
#include "testlib.h"

static char *dir;
static struct dlg_config *cfg;
static struct dlg_keyring kr;
static struct adv_keys keys;
/* reasons that a decision of this run really gave where a test expected
 * them (test_catalogue_covers_every_reason reads it, run last) */
static bool observed[DLG_REASON_COUNT];

/* CPU time: the work a decision did, whatever else the machine is doing */
static double now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decide and check the outcome: reason, time, and that the detail line
 * carries no part of the ticket (its payload or signature). */
static enum dlg_reason decide(const char *t, size_t len, const struct dlg_request *req,
                              struct dlg_verdict *v)
{
    double t0 = now_mono();
    enum dlg_reason r = dlg_decide_lazy(cfg, t, len, req, v, NULL);
    double dt = now_mono() - t0;
    const char *dot1 = memchr(t, '.', len);

    if (dt > 1.0)
        fail_msg("decision took %.2f s of CPU", dt);
    assert_int_equal(r, v->reason);
    if (r != DLG_ADMIT)
        assert_true(v->detail[0] != '\0');
    if (dot1 && len > 40) {
        const char *dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - t));
        if (dot2 && dot2 - dot1 > 20) {
            char part[21];
            memcpy(part, dot1 + 1, 20);
            part[20] = '\0';
            assert_null(strstr(v->detail, part));
        }
        if (dot2 && strlen(dot2 + 1) >= 20) {
            char sig[21];
            memcpy(sig, dot2 + 1, 20);
            sig[20] = '\0';
            assert_null(strstr(v->detail, sig));
        }
    }
    return r;
}

static void test_case(void **state)
{
    const struct adv_case *c = *state;
    struct dlg_request req = adv_request(c->req, ADV_NOW);
    struct dlg_verdict v;
    size_t len;
    char *t = adv_mint(&keys, c, ADV_NOW, &len);
    enum dlg_reason r = decide(t, len, &req, &v);

    if (r != c->expect)
        fail_msg("%s: expected %s, got %s (%s)", c->name, dlg_reason_str(c->expect),
                 dlg_reason_str(r), v.detail);
    observed[r] = true;
    if (r == DLG_ADMIT)
        assert_string_equal(v.actor, req.user);
    dlg_verdict_free(&v);
    free(t);
}

/* A valid ticket followed by a NUL byte and more: the length counts. */
static void test_nul_inside_text(void **state)
{
    struct dlg_request req = adv_request(0, ADV_NOW);
    struct dlg_verdict v;
    char *ok = adv_ok_ticket(&keys, ADV_NOW);
    size_t n = strlen(ok);
    char *t = malloc(n + 8);

    (void)state;
    memcpy(t, ok, n);
    memcpy(t + n, "\0.x.y", 6);
    assert_int_equal(decide(t, n + 5, &req, &v), DLG_MALFORMED);
    dlg_verdict_free(&v);
    /* a NUL in the middle of the header part */
    memcpy(t, ok, n + 1);
    t[5] = '\0';
    assert_int_equal(decide(t, n, &req, &v), DLG_MALFORMED);
    dlg_verdict_free(&v);
    /* and the same ticket cut short by its length */
    memcpy(t, ok, n + 1);
    assert_int_not_equal(decide(t, n - 1, &req, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    assert_int_equal(decide(t, n, &req, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    free(t);
    free(ok);
}

/* Right kid, right alg, signed by a key that is not configured. */
static void test_foreign_key(void **state)
{
    static const char *const types[] = {"ed25519", "p256", "rsa2048"};
    static const char *const algs[] = {"EdDSA", "ES256", "PS256"};
    static const char *const hdrs[] = {H_ED, H_EC, H_PS};
    struct dlg_request req = adv_request(0, ADV_NOW);
    char *claims = adv_expand_time(C_OK, ADV_NOW);
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        EVP_PKEY *k = tl_new_key(types[i]);
        struct dlg_verdict v;
        char *t = tl_mint_raw(k, algs[i], hdrs[i], claims);
        assert_int_equal(decide(t, strlen(t), &req, &v), DLG_BAD_SIGNATURE);
        /* a refused signature attributes nothing beyond iss/kid */
        assert_null(v.jti);
        assert_null(v.sub);
        dlg_verdict_free(&v);
        free(t);
        EVP_PKEY_free(k);
    }
    free(claims);
}

/* Replace the signature part of a compact JWS (heap). */
static char *with_sig(const char *t, const unsigned char *sig, size_t siglen)
{
    const char *dot = strrchr(t, '.');
    char *s = dlg_b64url_encode(sig, siglen);
    size_t n = (size_t)(dot - t) + 1 + strlen(s) + 1;
    char *out = malloc(n);

    snprintf(out, n, "%.*s.%s", (int)(dot - t), t, s);
    free(s);
    return out;
}

/* ECDSA: a DER signature (JOSE wants raw r||s), r = s = n (the psychic
 * signature's cousin), r = s = 0 of the right length, a 63-byte one, and the
 * real one with s replaced by n - s (high-s: valid mathematically; allowed
 * or not, it must not crash and the control must admit). */
static void test_ecdsa_edges(void **state)
{
    static const char n_hex[] = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
    struct dlg_request req = adv_request(0, ADV_NOW);
    struct dlg_verdict v;
    char *claims = adv_expand_time(C_OK, ADV_NOW);
    char *good = tl_mint_raw(keys.ec, "ES256", H_EC, claims);
    const char *dot = strrchr(good, '.');
    unsigned char *raw = NULL, *der = NULL, nn[64];
    size_t rawlen = 0;
    BIGNUM *n = NULL, *r, *s, *hs;
    ECDSA_SIG *es;
    int derlen;
    char *t;

    (void)state;
    assert_int_equal(decide(good, strlen(good), &req, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    assert_int_equal(dlg_b64url_decode(dot + 1, strlen(dot + 1), &raw, &rawlen), 0);
    assert_int_equal(rawlen, 64);

    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    es = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(es, BN_dup(r), BN_dup(s)), 1);
    derlen = i2d_ECDSA_SIG(es, &der);
    assert_true(derlen > 0);
    t = with_sig(good, der, (size_t)derlen);
    assert_int_equal(decide(t, strlen(t), &req, &v), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(t);

    assert_true(BN_hex2bn(&n, n_hex) > 0);
    assert_int_equal(BN_bn2binpad(n, nn, 32), 32);
    assert_int_equal(BN_bn2binpad(n, nn + 32, 32), 32);
    t = with_sig(good, nn, 64);
    assert_int_equal(decide(t, strlen(t), &req, &v), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(t);

    t = with_sig(good, raw, 63);
    assert_int_equal(decide(t, strlen(t), &req, &v), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(t);

    hs = BN_new();
    assert_int_equal(BN_sub(hs, n, s), 1);
    memcpy(nn, raw, 32);
    assert_int_equal(BN_bn2binpad(hs, nn + 32, 32), 32);
    t = with_sig(good, nn, 64);
    {
        enum dlg_reason rr = decide(t, strlen(t), &req, &v);
        assert_true(rr == DLG_ADMIT || rr == DLG_BAD_SIGNATURE);
    }
    dlg_verdict_free(&v);
    free(t);

    BN_free(hs);
    BN_free(n);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    OPENSSL_free(der);
    free(raw);
    free(good);
    free(claims);
}

/* Every byte of a valid ticket flipped in turn: never admitted (base64url
 * has no slack: the decoder refuses non-zero trailing bits). */
static void test_every_byte_flip(void **state)
{
    struct dlg_request req = adv_request(0, ADV_NOW);
    char *ok = adv_ok_ticket(&keys, ADV_NOW);
    size_t n = strlen(ok), i;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    (void)state;
    for (i = 0; i < n; i++) {
        char *t = strdup(ok);
        struct dlg_verdict v;
        if (t[i] == '.') {
            free(t);
            continue;
        }
        t[i] = alphabet[(strchr(alphabet, t[i]) - alphabet + 1) % 64];
        if (decide(t, n, &req, &v) == DLG_ADMIT)
            fail_msg("byte %zu changed and the ticket was still admitted", i);
        dlg_verdict_free(&v);
        free(t);
    }
    free(ok);
}

/* Single use: 8 threads present the same ticket at once; one wins. */
struct race {
    const char *ticket;
    const char *once_dir;
    enum dlg_reason r;
};

static void *race_one(void *arg)
{
    struct race *rc = arg;
    struct dlg_request req = adv_request(0, ADV_NOW);
    struct dlg_verdict v;

    req.once_dir = rc->once_dir;
    req.consume_once = true;
    rc->r = dlg_decide_lazy(cfg, rc->ticket, strlen(rc->ticket), &req, &v, NULL);
    dlg_verdict_free(&v);
    return NULL;
}

static void test_single_use_race(void **state)
{
    char *claims = adv_expand_time(C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"once\":true"), ADV_NOW);
    char *t = tl_mint_raw(keys.ed, "EdDSA", H_ED, claims);
    char *once = tl_path(dir, "once");
    struct race rc[8];
    pthread_t th[8];
    int i, admitted = 0, replayed = 0;

    (void)state;
    for (i = 0; i < 8; i++) {
        rc[i].ticket = t;
        rc[i].once_dir = once;
        assert_int_equal(pthread_create(&th[i], NULL, race_one, &rc[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        admitted += rc[i].r == DLG_ADMIT;
        replayed += rc[i].r == DLG_REPLAYED;
    }
    assert_int_equal(admitted, 1);
    assert_int_equal(replayed, 7);
    observed[DLG_REPLAYED] = true;
    free(once);
    free(t);
    free(claims);
}

/* The whole catalogue against a missing config: config_error for all. */
static void test_no_config(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ADV_NCASES; i++) {
        struct dlg_request req = adv_request(adv_cases[i].req, ADV_NOW);
        struct dlg_verdict v;
        size_t len;
        char *t = adv_mint(&keys, &adv_cases[i], ADV_NOW, &len);
        assert_int_equal(dlg_decide_lazy(NULL, t, len, &req, &v, NULL), DLG_CONFIG_ERROR);
        dlg_verdict_free(&v);
        free(t);
    }
    observed[DLG_CONFIG_ERROR] = true;
}

/* DESIGN.md §6a: the whole catalogue against the same config following a
 * revocation feed that was never fetched (stale).  A stale feed turns
 * every admit into feed_stale and leaves every denial as it was: it only
 * ever takes authority away, and it never hides why a ticket is bad. */
static void test_stale_feed(void **state)
{
    char *text, *more = NULL, *path = tl_path(dir, "delegate.conf"), *conf;
    struct dlg_config *stale, *saved = cfg;
    size_t i, admits = 0;

    (void)state;
    text = tl_read_file(path, NULL);
    assert_non_null(text);
    assert_true(asprintf(&more, "%sfeeds = ( { id = \"adv-%ld\"; key = \"%s/ed.pub\";\n"
                         "  url = \"https://127.0.0.1:9/never.jws\"; } );\n",
                         text, (long)getpid(), dir) > 0);
    conf = tl_write_file(dir, "stale-feed.conf", more, 0644);
    stale = tl_load_config(conf);
    assert_non_null(stale);
    cfg = stale;
    for (i = 0; i < ADV_NCASES; i++) {
        const struct adv_case *c = &adv_cases[i];
        struct dlg_request req = adv_request(c->req, ADV_NOW);
        struct dlg_verdict v;
        size_t len;
        char *t = adv_mint(&keys, c, ADV_NOW, &len);
        enum dlg_reason want = c->expect == DLG_ADMIT ? DLG_FEED_STALE : c->expect;
        enum dlg_reason r = decide(t, len, &req, &v);

        if (r != want)
            fail_msg("%s with a stale feed: expected %s, got %s (%s)", c->name,
                     dlg_reason_str(want), dlg_reason_str(r), v.detail);
        if (r == DLG_FEED_STALE) {
            observed[r] = true;
            admits++;
        }
        dlg_verdict_free(&v);
        free(t);
    }
    assert_true(admits > 0);
    cfg = saved;
    dlg_config_free(stale);
    free(conf);
    free(more);
    free(text);
    free(path);
}

/* Every denial reason the decision can give was produced by a decision of
 * this run, where a test expected it (nothing is marked by hand). */
static void test_catalogue_covers_every_reason(void **state)
{
    int r;

    (void)state;
    for (r = 0; r < DLG_REASON_COUNT; r++)
        if (!observed[r])
            fail_msg("no decision of this suite gave %s", dlg_reason_str((enum dlg_reason)r));
}

/* raw_nested is small enough for the size limit and well-formed JSON
 * (1000 deep is within jansson's own limit): it is the ticket parser's
 * depth rule (TICKET_MAX_DEPTH 16 below the claims object) that refuses it. */
static void test_nested_reaches_parser(void **state)
{
    static const struct { const char *tmpl; enum dlg_reason want; } cases[] = {
        {"@NESTED1000@", DLG_MALFORMED},
        {"@NESTED17@", DLG_MALFORMED},     /* x's innermost array at depth 17 */
        {"@NESTED16@", DLG_ADMIT},         /* at depth 16: parses (the claim is ignored) */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        char *t = adv_expand_raw(&keys, cases[i].tmpl, ADV_NOW, &len);
        char *h = NULL, *c = NULL;
        struct dlg_ticket tk;

        assert_true(len <= DLG_TICKET_MAX);
        assert_int_equal(dlg_ticket_decode_json(t, len, &h, &c), 0);
        assert_non_null(strstr(c, "[[[[[[[[[[[[[[["));
        assert_int_equal(dlg_ticket_parse(t, len, &tk), cases[i].want);
        if (cases[i].want == DLG_ADMIT)
            dlg_ticket_free(&tk);
        free(h);
        free(c);
        free(t);
    }
}

static int setup_all(void **state)
{
    char *text, *p;
    size_t len, dl;
    const char *tmpl = ADV_CONFIG;
    char *conf;

    (void)state;
    dir = tl_mkdtemp();
    keys.ed = tl_key("ed25519");
    keys.ec = tl_key("p256");
    keys.rsa = tl_key("rsa2048");
    free(tl_write_pub(dir, "ed", keys.ed));
    free(tl_write_pub(dir, "ec", keys.ec));
    free(tl_write_pub(dir, "rsa", keys.rsa));
    /* @KEYDIR@ -> dir */
    dl = strlen(dir);
    text = malloc(strlen(tmpl) * 2 + 16 * dl);
    for (p = text; *tmpl;) {
        if (strncmp(tmpl, "@KEYDIR@", 8) == 0) {
            memcpy(p, dir, dl);
            p += dl;
            tmpl += 8;
        } else {
            *p++ = *tmpl++;
        }
    }
    *p = '\0';
    len = strlen(text);
    (void)len;
    conf = tl_write_file(dir, "delegate.conf", text, 0644);
    free(text);
    cfg = tl_load_config(conf);
    free(conf);
    if (!cfg)
        return -1;
    {
        struct dlg_diag d = {0};
        int rc = dlg_keyring_load(cfg, &kr, &d);
        dlg_diag_free(&d);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    dlg_keyring_free(&kr);
    dlg_config_free(cfg);
    tl_rmtree(dir);
    free(dir);
    return 0;
}

int main(void)
{
    static const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_nul_inside_text),
        cmocka_unit_test(test_foreign_key),
        cmocka_unit_test(test_ecdsa_edges),
        cmocka_unit_test(test_every_byte_flip),
        cmocka_unit_test(test_single_use_race),
        cmocka_unit_test(test_no_config),
        cmocka_unit_test(test_nested_reaches_parser),
        cmocka_unit_test(test_stale_feed),
        cmocka_unit_test(test_catalogue_covers_every_reason),
    };
    size_t nextra = sizeof(extra) / sizeof(extra[0]), i;
    struct CMUnitTest *tests = calloc(ADV_NCASES + nextra, sizeof(*tests));
    int rc;

    for (i = 0; i < ADV_NCASES; i++) {
        tests[i].name = adv_cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = (void *)&adv_cases[i];
    }
    for (i = 0; i < nextra; i++)
        tests[ADV_NCASES + i] = extra[i];
    rc = _cmocka_run_group_tests("jwt_attacks", tests, ADV_NCASES + nextra, setup_all, teardown_all);
    free(tests);
    return rc;
}
