/* Revocation feeds (common/feed/, DESIGN.md §6a):
 * - the format: a feed from our signer verifies (EdDSA, ES256); every header,
 *   signature, envelope and payload deviation is refused with its reason;
 * - the anti-rollback rules of dlg_feed_accept on a state directory of the
 *   test's own: first, newer, identical, rollback, same version with other
 *   content, a future version from another key, another publisher, expired,
 *   "not modified", a corrupt state, --reset, and the restore of a missing
 *   revocation file; a refused file never changes the stored version. */
#include <inttypes.h>
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

#include "feed/feed.h"
#include "ticket/sign.h"
#include "testlib.h"

static char *dir, *ed_pub, *ec_pub, *other_pub, *rsa_pub;
static EVP_PKEY *ed, *ec, *other;
static int64_t now;

#define HDR_ED "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\"}"
#define HDR_EC "{\"alg\":\"ES256\",\"typ\":\"dlg-feed+jwt\"}"

static int setup(void **state)
{
    (void)state;
    now = (int64_t)time(NULL);
    dir = tl_mkdtemp();
    ed = tl_key("ed25519");
    ec = tl_key("p256");
    other = tl_new_key("ed25519");
    ed_pub = tl_write_pub(dir, "feed-ed", ed);
    ec_pub = tl_write_pub(dir, "feed-ec", ec);
    other_pub = tl_write_pub(dir, "feed-other", other);
    rsa_pub = tl_write_pub(dir, "feed-rsa", tl_key("rsa2048"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tl_rmtree(dir);
    free(dir);
    free(ed_pub);
    free(ec_pub);
    free(other_pub);
    free(rsa_pub);
    EVP_PKEY_free(other);
    return 0;
}

/* A payload with the given version and times and a small revocation set. */
static char *payload(const char *iss, int64_t ver, int64_t iat, int64_t exp)
{
    char *p;

    if (asprintf(&p, "{\"iss\":\"%s\",\"ver\":%" PRId64 ",\"iat\":%" PRId64 ",\"exp\":%" PRId64
                 ",\"revoke\":{\"tickets\":[{\"id\":\"t-1\",\"until\":%" PRId64 "},{\"id\":\"t-2\"}],"
                 "\"actors\":[\"gone\"],\"principals\":[\"evil\"],\"issuers\":[\"old\"],"
                 "\"keys\":[\"k-old\"],\"issued_before\":%" PRId64 "}}",
                 iss, ver, iat, exp, exp, iat - 10) < 0)
        abort();
    return p;
}

static char *mint(EVP_PKEY *k, const char *alg, const char *hdr, const char *pl)
{
    return tl_mint_raw(k, alg, hdr, pl);
}

static char *good(int64_t ver)
{
    char *pl = payload("corp", ver, now, now + 600), *t = mint(ed, "EdDSA", HDR_ED, pl);
    free(pl);
    return t;
}

static EVP_PKEY *load_key(const char *path)
{
    char fp[80], err[256];
    EVP_PKEY *k = dlg_feed_key_load(path, fp, sizeof(fp), err, sizeof(err));

    if (k == NULL)
        fail_msg("%s", err);
    assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
    assert_int_equal(strlen(fp), 7 + 43);
    return k;
}

/* 0 or -1; on -1 the error must contain want. */
static int verify_as(const char *text, const char *keypath, int64_t at, const char *want)
{
    EVP_PKEY *k = load_key(keypath);
    struct dlg_feed_doc d;
    char err[512] = "";
    int rc = dlg_feed_verify(text, strlen(text), "corp", k, at, &d, err, sizeof(err));

    if (rc == 0)
        dlg_feed_doc_free(&d);
    else if (want != NULL && strstr(err, want) == NULL)
        fail_msg("refused with \"%s\", want \"%s\"", err, want);
    if (rc == 0 && want != NULL)
        fail_msg("accepted, want a refusal with \"%s\"", want);
    EVP_PKEY_free(k);
    return rc;
}

/* ---- the format ---------------------------------------------------------- */

static void test_sign_and_verify(void **state)
{
    struct dlg_feed_revs revs;
    struct dlg_feed_doc d;
    char err[256], *t, *withnl;
    EVP_PKEY *k;

    (void)state;
    memset(&revs, 0, sizeof(revs));
    revs.tickets = calloc(2, sizeof(*revs.tickets));
    revs.tickets[0].id = strdup("a-1");
    revs.tickets[0].until = now + 100;
    revs.tickets[1].id = strdup("b-2");
    revs.ntickets = 2;
    assert_int_equal(dlg_strv_push(&revs.actors, "gone"), 0);
    revs.has_issued_before = true;
    revs.issued_before = now - 5;
    t = dlg_feed_sign(ed, "corp", 7, now, now + 900, &revs, err, sizeof(err));
    assert_non_null(t);
    k = load_key(ed_pub);
    assert_int_equal(dlg_feed_verify(t, strlen(t), "corp", k, now, &d, err, sizeof(err)), 0);
    assert_string_equal(d.alg, "EdDSA");
    assert_string_equal(d.iss, "corp");
    assert_int_equal(d.ver, 7);
    assert_int_equal(d.exp, now + 900);
    assert_int_equal(d.revs.ntickets, 2);
    assert_string_equal(d.revs.tickets[0].id, "a-1");
    assert_int_equal(d.revs.tickets[0].until, now + 100);
    assert_int_equal(d.revs.tickets[1].until, 0);
    assert_int_equal(d.revs.actors.n, 1);
    assert_true(d.revs.has_issued_before);
    assert_int_equal(strlen(d.sha256), 64);
    /* a trailing newline (as `feed sign` prints it) is the same feed */
    if (asprintf(&withnl, "%s\n", t) < 0)
        abort();
    struct dlg_feed_doc d2;
    assert_int_equal(dlg_feed_verify(withnl, strlen(withnl), "corp", k, now, &d2, err, sizeof(err)), 0);
    assert_string_equal(d.sha256, d2.sha256);
    int64_t v = 0;
    assert_int_equal(dlg_feed_peek_ver(withnl, strlen(withnl), &v, err, sizeof(err)), 0);
    assert_int_equal(v, 7);
    dlg_feed_doc_free(&d2);
    dlg_feed_doc_free(&d);
    EVP_PKEY_free(k);
    free(withnl);
    free(t);
    /* ES256 with a P-256 key */
    t = dlg_feed_sign(ec, "corp", 1, now, now + 60, &revs, err, sizeof(err));
    assert_non_null(t);
    assert_int_equal(verify_as(t, ec_pub, now, NULL), 0);
    free(t);
    /* a feed key is never RSA */
    assert_null(dlg_feed_sign(tl_key("rsa2048"), "corp", 1, now, now + 60, &revs, err, sizeof(err)));
    assert_non_null(strstr(err, "Ed25519"));
    dlg_feed_revs_free(&revs);
}

static void test_header_refusals(void **state)
{
    char *pl = payload("corp", 1, now, now + 600), *t;
    static const struct {
        const char *hdr, *alg, *want;
    } rows[] = {
        { "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\",\"kid\":\"x\"}", "EdDSA", "member 'kid' refused" },
        { "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\",\"jwk\":{}}", "EdDSA", "member 'jwk' refused" },
        { "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\",\"crit\":[\"x\"]}", "EdDSA", "refused" },
        { "{\"alg\":\"EdDSA\"}", "EdDSA", "alg and typ are required" },
        { "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}", "EdDSA", "typ is not" },
        { "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", "EdDSA", "typ is not" },
        { "{\"alg\":\"none\",\"typ\":\"dlg-feed+jwt\"}", "strip", "alg must be EdDSA or ES256" },
        { "{\"alg\":\"HS256\",\"typ\":\"dlg-feed+jwt\"}", "HS256-pub", "alg must be EdDSA or ES256" },
        { "{\"alg\":\"Ed25519\",\"typ\":\"dlg-feed+jwt\"}", "EdDSA", "alg must be EdDSA or ES256" },
        { "{\"alg\":\"RS256\",\"typ\":\"dlg-feed+jwt\"}", "junk", "alg must be EdDSA or ES256" },
        { HDR_EC, "junk", "key mismatch" },
        { "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\",\"alg\":\"ES256\"}", "EdDSA", "header is not" },
        { "[\"alg\",\"EdDSA\"]", "EdDSA", "header is not" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        t = mint(ed, rows[i].alg, rows[i].hdr, pl);
        if (verify_as(t, ed_pub, now, rows[i].want) != -1)
            fail_msg("row %zu accepted", i);
        free(t);
    }
    /* typ compares case-insensitively, with an optional application/ prefix */
    t = mint(ed, "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"application/DLG-Feed+JWT\"}", pl);
    assert_int_equal(verify_as(t, ed_pub, now, NULL), 0);
    free(t);
    /* EdDSA header over a P-256 configured key */
    t = mint(ed, "EdDSA", HDR_ED, pl);
    assert_int_equal(verify_as(t, ec_pub, now, "key mismatch"), -1);
    /* an RSA key is not a feed key */
    char err[256], fp[80];
    assert_null(dlg_feed_key_load(rsa_pub, fp, sizeof(fp), err, sizeof(err)));
    assert_non_null(strstr(err, "Ed25519 or P-256"));
    free(t);
    free(pl);
}

static void test_signature_and_envelope(void **state)
{
    char *t = good(1), *x;
    size_t n = strlen(t);
    char *dot2 = strrchr(t, '.');
    EVP_PKEY *k = load_key(ed_pub);
    struct dlg_feed_doc d;
    char err[256];

    (void)state;
    /* wrong key: signed by a key the feed does not name */
    assert_int_equal(verify_as(t, other_pub, now, "bad signature"), -1);
    /* tampering: one payload byte changed */
    x = strdup(t);
    x[(dot2 - t) - 5] = x[(dot2 - t) - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_as(x, ed_pub, now, NULL), -1);
    free(x);
    /* the signature changed */
    x = strdup(t);
    x[n - 3] = x[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_as(x, ed_pub, now, "bad signature"), -1);
    free(x);
    /* truncated anywhere */
    for (size_t cut = 1; cut < n; cut += n / 17 + 1) {
        x = strndup(t, cut);
        assert_int_equal(verify_as(x, ed_pub, now, NULL), -1);
        free(x);
    }
    assert_int_equal(verify_as("", ed_pub, now, "empty"), -1);
    assert_int_equal(verify_as("\n", ed_pub, now, "empty"), -1);
    /* four parts, a stray blank, junk after the newline */
    if (asprintf(&x, "%s.AAAA", t) < 0)
        abort();
    assert_int_equal(verify_as(x, ed_pub, now, "three parts"), -1);
    free(x);
    if (asprintf(&x, "%s \n", t) < 0)
        abort();
    assert_int_equal(verify_as(x, ed_pub, now, NULL), -1);
    free(x);
    if (asprintf(&x, "%s\n\n", t) < 0)
        abort();
    assert_int_equal(verify_as(x, ed_pub, now, NULL), -1);
    free(x);
    /* a NUL byte inside */
    x = strdup(t);
    x[10] = '\0';
    assert_int_equal(dlg_feed_verify(x, n, "corp", k, now, &d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    free(x);
    /* oversized: judged by its length before anything else */
    assert_int_equal(dlg_feed_verify(t, DLG_FEED_MAX_BYTES + 1, "corp", k, now, &d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "oversized"));
    EVP_PKEY_free(k);
    free(t);
}

static void test_payload_refusals(void **state)
{
    static const struct {
        const char *payload, *want;
    } rows[] = {
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{},\"x\":1}", "unknown member 'x'" },
        { "{\"iss\":\"corp\",\"ver\":1,\"ver\":2,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "duplicate" },
        { "{\"iss\":\"corp\",\"ver\":0,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "ver must be" },
        { "{\"iss\":\"corp\",\"ver\":-3,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "ver must be" },
        { "{\"iss\":\"corp\",\"ver\":1.5,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "ver must be" },
        { "{\"iss\":\"corp\",\"ver\":\"2\",\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "ver must be" },
        { "{\"iss\":\"corp\",\"ver\":9007199254740992,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "ver must be" },
        { "{\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "required" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999}", "required" },
        { "{\"iss\":\"other\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "unknown publisher" },
        { "{\"iss\":\"CORP\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "unknown publisher" },
        { "{\"iss\":\"a/b\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}", "iss must be" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":5,\"exp\":5,\"revoke\":{}}", "exp must be after iat" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":-1,\"exp\":9999999999,\"revoke\":{}}", "integer seconds" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":99999999999999,\"revoke\":{}}", "integer seconds" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":2,\"revoke\":{}}", "expired" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":[]}", "revoke must be an object" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"grant\":[\"x\"]}}", "unknown member revoke.grant" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":{}}}", "must be an array" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":[\"t-1\"]}}", "must be an object" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":[{\"until\":5}]}}", "ticket id" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":[{\"id\":\"a/b\"}]}}", "ticket id" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":[{\"id\":\"a\",\"until\":-1}]}}", "until" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"tickets\":[{\"id\":\"a\",\"note\":1}]}}", "unknown member" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"actors\":[\"Root!\"]}}", "user names" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"actors\":\"gone\"}}", "user names" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"principals\":[\"-x\"]}}", "names" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"issuers\":[\"a b\"]}}", "issuer ids" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"keys\":[\"k/1\"]}}", "key ids" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"issued_before\":\"2026-01-01T00:00:00Z\"}}", "integer seconds" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{\"actors\":[\"a\\u0000b\"]}}", "payload is not" },
        { "[1,2]", "payload is not" },
        { "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}} x", "payload is not" },
    };
    char *t;

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        t = mint(ed, "EdDSA", HDR_ED, rows[i].payload);
        if (verify_as(t, ed_pub, now, rows[i].want) != -1)
            fail_msg("row %zu accepted", i);
        free(t);
    }
    /* every member of revoke is optional; an expired feed verifies when
     * restoring (now < 0) */
    t = mint(ed, "EdDSA", HDR_ED, "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":9999999999,\"revoke\":{}}");
    assert_int_equal(verify_as(t, ed_pub, now, NULL), 0);
    free(t);
    t = mint(ed, "EdDSA", HDR_ED, "{\"iss\":\"corp\",\"ver\":1,\"iat\":1,\"exp\":2,\"revoke\":{}}");
    assert_int_equal(verify_as(t, ed_pub, -1, NULL), 0);
    free(t);
}

/* A feed far above 1 MiB (100,000 ids, about 7 MiB) signs, verifies and is
 * accepted: the 16 MiB of DESIGN.md §6a, not a smaller limit on the way
 * (base64url once stopped at 1 MiB). */
static void test_large_feed(void **state)
{
    struct dlg_feed_revs revs;
    struct dlg_feed_doc d;
    char err[256], *t;
    EVP_PKEY *k = load_key(ed_pub);
    size_t n = 100000;

    (void)state;
    memset(&revs, 0, sizeof(revs));
    revs.tickets = calloc(n, sizeof(*revs.tickets));
    assert_non_null(revs.tickets);
    for (size_t i = 0; i < n; i++) {
        char id[40];
        snprintf(id, sizeof(id), "01JDX3%020zu", i);
        revs.tickets[i].id = strdup(id);
        revs.tickets[i].until = now + 3600;
    }
    revs.ntickets = n;
    t = dlg_feed_sign(ed, "corp", 3, now, now + 600, &revs, err, sizeof(err));
    if (t == NULL)
        fail_msg("sign: %s", err);
    assert_true(strlen(t) > (size_t)4 << 20);
    assert_true(strlen(t) < DLG_FEED_MAX_BYTES);
    if (dlg_feed_verify(t, strlen(t), "corp", k, now, &d, err, sizeof(err)) != 0)
        fail_msg("verify: %s", err);
    assert_int_equal(d.revs.ntickets, n);
    assert_string_equal(d.revs.tickets[n - 1].id, "01JDX300000000000000099999");
    dlg_feed_doc_free(&d);
    dlg_feed_revs_free(&revs);
    EVP_PKEY_free(k);
    free(t);
}

/* ---- accepting ----------------------------------------------------------- */

struct host {
    char *state, *revoked;
    struct dlg_feed_dirs dirs;
    struct dlg_feed f;
};

static void host_init(struct host *h, const char *name, const char *key)
{
    char *base = tl_path(dir, name);

    assert_int_equal(mkdir(base, 0755), 0);
    h->state = tl_path(base, "feeds");
    h->revoked = tl_path(base, "revoked");
    h->dirs.state = h->state;
    h->dirs.revoked = h->revoked;
    memset(&h->f, 0, sizeof(h->f));
    h->f.id = (char *)"corp";
    h->f.key = (char *)key;
    h->f.file = (char *)"/srv/corp.jws";
    h->f.refresh = 30;
    free(base);
}

static void host_free(struct host *h)
{
    free(h->state);
    free(h->revoked);
}

static enum dlg_feed_outcome offer(struct host *h, const char *text, bool reset, char *msg,
                                   size_t msglen)
{
    return dlg_feed_accept(&h->f, &h->dirs, text, text ? strlen(text) : 0, text ? "\"etag-1\"" : NULL,
                           "/srv/corp.jws", now, reset, msg, msglen);
}

static int64_t stored_ver(struct host *h)
{
    struct dlg_feed_state st;
    char err[256];
    int64_t v;

    assert_int_equal(dlg_feed_state_read(h->state, "corp", &st, err, sizeof(err)), 0);
    v = st.ver;
    dlg_feed_state_free(&st);
    return v;
}

static char *last_error(struct host *h)
{
    struct dlg_feed_state st;
    char err[256], *e;

    assert_int_equal(dlg_feed_state_read(h->state, "corp", &st, err, sizeof(err)), 0);
    e = st.error ? strdup(st.error) : NULL;
    dlg_feed_state_free(&st);
    return e;
}

static mode_t mode_of(const char *d, const char *name)
{
    char *p = tl_path(d, name);
    struct stat st;

    assert_int_equal(stat(p, &st), 0);
    free(p);
    return st.st_mode & 07777;
}

static void test_accept_rules(void **state)
{
    struct host h;
    char msg[1024], *v1 = good(1), *v2 = good(2), *v3 = good(3), *e, *pl, *t;

    (void)state;
    host_init(&h, "rules", ed_pub);
    /* nothing stored: "not modified" cannot be believed */
    assert_int_equal(offer(&h, NULL, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    /* the first feed */
    assert_int_equal(offer(&h, v2, false, msg, sizeof(msg)), DLG_FEED_NEW);
    assert_non_null(strstr(msg, "version 2 accepted"));
    assert_int_equal(stored_ver(&h), 2);
    assert_int_equal(mode_of(h.state, ""), 0700);
    assert_int_equal(mode_of(h.state, "corp.jws"), 0600);
    assert_int_equal(mode_of(h.state, "corp.state"), 0600);
    assert_int_equal(mode_of(h.revoked, "corp.conf"), 0644);
    /* the identical file again, with or without its newline; not modified */
    assert_int_equal(offer(&h, v2, false, msg, sizeof(msg)), DLG_FEED_UNCHANGED);
    char *v2nl;
    if (asprintf(&v2nl, "%s\n", v2) < 0)
        abort();
    assert_int_equal(offer(&h, v2nl, false, msg, sizeof(msg)), DLG_FEED_UNCHANGED);
    free(v2nl);
    assert_int_equal(offer(&h, NULL, false, msg, sizeof(msg)), DLG_FEED_UNCHANGED);
    /* rollback: an older version */
    assert_int_equal(offer(&h, v1, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "rollback"));
    assert_int_equal(stored_ver(&h), 2);
    e = last_error(&h);
    assert_non_null(e);
    assert_non_null(strstr(e, "rollback"));
    free(e);
    /* replay or conflict: version 2 again, other content */
    pl = payload("corp", 2, now, now + 601);
    t = mint(ed, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "REPLAY OR CONFLICT"));
    assert_int_equal(stored_ver(&h), 2);
    free(t);
    free(pl);
    /* a future version from another key changes nothing ... */
    pl = payload("corp", 1000, now, now + 600);
    t = mint(other, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "bad signature"));
    assert_int_equal(stored_ver(&h), 2);
    free(t);
    free(pl);
    /* ... another publisher, an expired one neither */
    pl = payload("evil", 5, now, now + 600);
    t = mint(ed, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "unknown publisher"));
    free(t);
    free(pl);
    pl = payload("corp", 6, now - 100, now);
    t = mint(ed, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "expired"));
    free(t);
    free(pl);
    assert_int_equal(stored_ver(&h), 2);
    /* the next version is still accepted, and clears the error */
    assert_int_equal(offer(&h, v3, false, msg, sizeof(msg)), DLG_FEED_NEW);
    assert_int_equal(stored_ver(&h), 3);
    assert_null(last_error(&h));
    /* --reset: any version that verifies */
    assert_int_equal(offer(&h, v1, true, msg, sizeof(msg)), DLG_FEED_NEW);
    assert_non_null(strstr(msg, "--reset"));
    assert_int_equal(stored_ver(&h), 1);
    /* the server says not modified for a stored version that expired */
    {
        int64_t saved = now;
        now = saved + 601;
        assert_int_equal(offer(&h, NULL, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
        assert_non_null(strstr(msg, "expired"));
        now = saved;
    }
    free(v1);
    free(v2);
    free(v3);
    host_free(&h);
}

static void test_rotation_and_state(void **state)
{
    struct host h;
    char msg[1024], *v5 = good(5), *pl, *t, *p;
    FILE *f;

    (void)state;
    host_init(&h, "rotation", ed_pub);
    assert_int_equal(offer(&h, v5, false, msg, sizeof(msg)), DLG_FEED_NEW);
    /* the publisher rotates to a new key and starts over at 1: refused,
     * with the way out in the message */
    h.f.key = other_pub;
    pl = payload("corp", 1, now, now + 600);
    t = mint(other, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "rollback"));
    assert_non_null(strstr(msg, "key rotation"));
    assert_non_null(strstr(msg, "--reset"));
    /* the stored version signed by the old key is no longer restorable, the
     * next version with the new key is accepted */
    free(t);
    free(pl);
    pl = payload("corp", 6, now, now + 600);
    t = mint(other, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_NEW);
    free(t);
    free(pl);
    /* a corrupt state: nothing is accepted but by --reset */
    p = tl_path(h.state, "corp.state");
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"ver\": \"six\"}", f);
    fclose(f);
    pl = payload("corp", 7, now, now + 600);
    t = mint(other, "EdDSA", HDR_ED, pl);
    assert_int_equal(offer(&h, t, false, msg, sizeof(msg)), DLG_FEED_REFUSED);
    assert_non_null(strstr(msg, "corrupt"));
    assert_int_equal(offer(&h, t, true, msg, sizeof(msg)), DLG_FEED_NEW);
    assert_int_equal(stored_ver(&h), 7);
    free(t);
    free(pl);
    free(p);
    free(v5);
    host_free(&h);
}

static void test_restore(void **state)
{
    struct host h;
    char msg[1024], *v4 = good(4), *conf;
    struct stat st;

    (void)state;
    host_init(&h, "restore", ed_pub);
    assert_int_equal(offer(&h, v4, false, msg, sizeof(msg)), DLG_FEED_NEW);
    conf = tl_path(h.revoked, "corp.conf");
    /* in place: nothing to do */
    assert_int_equal(dlg_feed_restore(&h.f, &h.dirs, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    /* removed: rewritten from the stored feed, even once it expired */
    assert_int_equal(unlink(conf), 0);
    now += 10000;
    assert_int_equal(dlg_feed_restore(&h.f, &h.dirs, msg, sizeof(msg)), 0);
    assert_non_null(strstr(msg, "restored"));
    assert_int_equal(stat(conf, &st), 0);
    char *text = tl_read_file(conf, NULL);
    assert_non_null(strstr(text, "ver = 4L;"));
    assert_non_null(strstr(text, "\"t-1\""));
    free(text);
    now -= 10000;
    /* an unchanged round repairs it too */
    assert_int_equal(unlink(conf), 0);
    assert_int_equal(offer(&h, v4, false, msg, sizeof(msg)), DLG_FEED_UNCHANGED);
    assert_int_equal(stat(conf, &st), 0);
    /* a note of an outage lands in the state */
    dlg_feed_note_error(&h.f, &h.dirs, "https://x", "nothing fetched from https://x: timeout\x01", now);
    char *e = last_error(&h);
    assert_non_null(e);
    assert_null(strchr(e, '\x01'));
    assert_int_equal(stored_ver(&h), 4);
    free(e);
    free(conf);
    free(v4);
    host_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_header_refusals),
        cmocka_unit_test(test_signature_and_envelope),
        cmocka_unit_test(test_payload_refusals),
        cmocka_unit_test(test_large_feed),
        cmocka_unit_test(test_accept_rules),
        cmocka_unit_test(test_rotation_and_state),
        cmocka_unit_test(test_restore),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
