/* Strict ticket parsing (DESIGN.md §2): every malformed input is refused
 * with the documented reason, and good tickets of every alg parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"
#include "ticket/ticket.h"

#define NOW INT64_C(1790000000)

static const char *const good_header = "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"k1\"}";

static enum dlg_reason parse_text(const char *text)
{
    struct dlg_ticket t;
    enum dlg_reason r = dlg_ticket_parse(text, text ? strlen(text) : 0, &t);

    dlg_ticket_free(&t);
    return r;
}

static enum dlg_reason parse_raw(const char *header, const char *claims)
{
    char *tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", header, claims);
    enum dlg_reason r = parse_text(tk);

    free(tk);
    return r;
}

static char *default_claims_text(void)
{
    json_t *c = tl_claims(NOW);
    char *s = tl_json(c);

    json_decref(c);
    return s;
}

/* The default claims with one member replaced by the raw JSON text
 * value_json (NULL: removed).  The text is spliced in verbatim so that even
 * JSON that jansson would refuse to build (huge numbers, \u0000) reaches
 * the parser. */
static enum dlg_reason parse_with(const char *name, const char *value_json)
{
    static const char mark[] = "\"@@VALUE@@\"";
    json_t *c = tl_claims(NOW);
    char *s, *p, *spliced;
    enum dlg_reason r;

    if (value_json)
        json_object_set_new(c, name, json_string("@@VALUE@@"));
    else
        json_object_del(c, name);
    s = tl_json(c);
    json_decref(c);
    if (!value_json) {
        r = parse_raw(good_header, s);
        free(s);
        return r;
    }
    p = strstr(s, mark);
    assert_non_null(p);
    spliced = malloc(strlen(s) + strlen(value_json) + 1);
    sprintf(spliced, "%.*s%s%s", (int)(p - s), s, value_json, p + strlen(mark));
    r = parse_raw(good_header, spliced);
    free(spliced);
    free(s);
    return r;
}

static enum dlg_reason parse_header_text(const char *header)
{
    char *c = default_claims_text();
    enum dlg_reason r = parse_raw(header, c);

    free(c);
    return r;
}

/* ---- good tickets -------------------------------------------------------- */

static void check_good(const char *keytype, const char *alg, const char *want_alg)
{
    json_t *c = tl_claims(NOW);
    struct dlg_ticket t;
    char *tk;

    json_object_set_new(c, "aud", json_pack("[s,s]", "web01", "web02"));
    json_object_set_new(c, "nbf", json_integer(NOW - 5));
    json_object_set_new(c, "runas", json_pack("[s]", "bob"));
    json_object_set_new(c, "src", json_pack("[s,s]", "10.0.0.0/8", "::1/128"));
    json_object_set_new(c, "apv", json_pack("[s,s]", "carol", "dave"));
    json_object_set_new(c, "once", json_true());
    tk = tl_mint(tl_key(keytype), alg, "k1", c);
    assert_int_equal(dlg_ticket_parse(tk, strlen(tk), &t), DLG_ADMIT);
    assert_string_equal(t.alg, want_alg);
    assert_string_equal(t.typ, "dlg+jwt");
    assert_string_equal(t.kid, "k1");
    assert_string_equal(t.iss, "corp");
    assert_string_equal(t.sub, "alice");
    assert_string_equal(t.actor, "ci-deploy");
    assert_int_equal(t.aud.n, 2);
    assert_string_equal(t.aud.v[1], "web02");
    assert_int_equal(t.svc.n, 1);
    assert_string_equal(t.svc.v[0], "sshd");
    assert_int_equal(t.iat, NOW);
    assert_int_equal(t.exp, NOW + 300);
    assert_true(t.has_nbf);
    assert_int_equal(t.nbf, NOW - 5);
    assert_true(t.has_runas);
    assert_string_equal(t.runas.v[0], "bob");
    assert_true(t.has_src);
    assert_int_equal(t.src.n, 2);
    assert_true(t.has_apv);
    assert_int_equal(t.apv.n, 2);
    assert_true(t.once);
    assert_non_null(t.sig);
    assert_true(t.sig_len > 0);
    /* the signing input is exactly "header.payload" */
    assert_int_equal(t.signing_input_len, (size_t)(strrchr(tk, '.') - tk));
    assert_memory_equal(t.signing_input, tk, t.signing_input_len);
    dlg_ticket_free(&t);
    free(tk);
    json_decref(c);
}

static void test_good_eddsa(void **state) { (void)state; check_good("ed25519", "EdDSA", "EdDSA"); }
static void test_good_ed25519_name(void **state) { (void)state; check_good("ed25519", "Ed25519", "EdDSA"); }
static void test_good_es256(void **state) { (void)state; check_good("p256", "ES256", "ES256"); }
static void test_good_rs256(void **state) { (void)state; check_good("rsa2048", "RS256", "RS256"); }
static void test_good_ps256(void **state) { (void)state; check_good("rsa2048", "PS256", "PS256"); }

static void test_minimal_claims_defaults(void **state)
{
    struct dlg_ticket t;
    char *c = default_claims_text();
    char *tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", "{\"alg\":\"EdDSA\"}", c);

    (void)state;
    assert_int_equal(dlg_ticket_parse(tk, strlen(tk), &t), DLG_ADMIT);
    assert_null(t.typ);
    assert_null(t.kid);
    assert_int_equal(t.aud.n, 1);
    assert_string_equal(t.aud.v[0], "web01");
    assert_false(t.has_nbf);
    assert_false(t.has_runas);
    assert_false(t.has_src);
    assert_false(t.has_apv);
    assert_false(t.once);
    dlg_ticket_free(&t);
    free(tk);
    free(c);
}

static void test_unknown_claims_ignored(void **state)
{
    (void)state;
    assert_int_equal(parse_with("x-extra", "{\"deep\":[1,2,{\"a\":null}]}"), DLG_ADMIT);
    assert_int_equal(parse_with("scope", "\"whatever\""), DLG_ADMIT);
    assert_int_equal(parse_with("act", "{\"sub\":\"ci-deploy\",\"act\":{\"sub\":\"x\"}}"), DLG_ADMIT);
}

/* ---- no ticket ------------------------------------------------------------ */

static void test_no_ticket(void **state)
{
    struct dlg_ticket t;

    (void)state;
    assert_int_equal(parse_text(""), DLG_NO_TICKET);
    assert_int_equal(parse_text("   "), DLG_NO_TICKET);
    assert_int_equal(parse_text("\n"), DLG_NO_TICKET);
    assert_int_equal(parse_text(" \t\r\n"), DLG_NO_TICKET);
    assert_int_equal(dlg_ticket_parse(NULL, 0, &t), DLG_NO_TICKET);
    assert_int_equal(dlg_ticket_parse("abc", 0, &t), DLG_NO_TICKET);
}

/* ---- structure ------------------------------------------------------------ */

static void test_structure(void **state)
{
    char *c = default_claims_text();
    char *tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", good_header, c);
    char *h = tl_b64(good_header), *p = tl_b64(c);
    char buf[8192];
    const char *sig = strrchr(tk, '.') + 1;

    (void)state;
    assert_int_equal(parse_text(tk), DLG_ADMIT);
    snprintf(buf, sizeof(buf), "%s.%s", h, p);                       /* 2 parts */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s.%s.%s.%s", h, p, sig, sig);       /* 4 parts */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s.%s.%s.", h, p, sig);              /* trailing dot */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s", h);                             /* 1 part */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), ".%s.%s", p, sig);                    /* empty header */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s..%s", h, sig);                    /* empty payload */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s.%s.", h, p);                      /* empty signature */
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    assert_int_equal(parse_text(".."), DLG_MALFORMED);
    assert_int_equal(parse_text("."), DLG_MALFORMED);
    assert_int_equal(parse_text("not a ticket"), DLG_MALFORMED);
    /* trailing data after the third part */
    snprintf(buf, sizeof(buf), "%s ", tk);
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s\n", tk);
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%sx", tk);          /* changes the length mod 4 or bits */
    assert_int_not_equal(parse_text(buf), DLG_ADMIT);
    snprintf(buf, sizeof(buf), " %s", tk);
    assert_int_equal(parse_text(buf), DLG_MALFORMED);
    /* an embedded NUL inside the given length */
    {
        size_t n = strlen(tk);
        struct dlg_ticket t;
        memcpy(buf, tk, n);
        buf[n] = '\0';
        buf[n + 1] = 'A';
        assert_int_equal(dlg_ticket_parse(buf, n + 2, &t), DLG_MALFORMED);
        buf[5] = '\0';
        assert_int_equal(dlg_ticket_parse(buf, n, &t), DLG_MALFORMED);
    }
    free(tk);
    free(h);
    free(p);
    free(c);
}

static void test_bad_base64url(void **state)
{
    char *c = default_claims_text();
    char *tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", good_header, c);
    const char *bad_chars[] = { "+", "/", "=", " ", "\n", "*", "\t", "\xc3\xa9", "%" };
    size_t n = strlen(tk), i;
    char *buf = malloc(n + 8);
    size_t dot1 = (size_t)(strchr(tk, '.') - tk), dot2 = (size_t)(strrchr(tk, '.') - tk);

    (void)state;
    /* a foreign character in each part */
    for (i = 0; i < sizeof(bad_chars) / sizeof(bad_chars[0]); i++) {
        size_t pos[] = { 3, dot1 + 3, dot2 + 3 };
        size_t j;
        for (j = 0; j < 3; j++) {
            size_t blen = strlen(bad_chars[i]);
            memcpy(buf, tk, pos[j]);
            memcpy(buf + pos[j], bad_chars[i], blen);
            memcpy(buf + pos[j] + blen, tk + pos[j] + 1, n - pos[j]);   /* incl. NUL */
            assert_int_equal(dlg_ticket_parse(buf, strlen(buf), &(struct dlg_ticket){ 0 }),
                             DLG_MALFORMED);
        }
    }
    /* '=' padding after a part that would be a valid base64 with it */
    {
        char *h = tl_b64("{\"alg\":\"EdDSA\"}");  /* 15 bytes: 20 chars, no padding needed */
        char *hp = tl_b64("{\"alg\":\"EdDSA\" }"); /* 16 bytes: 22 chars, '==' in std b64 */
        char *p = tl_b64(c);
        char tbuf[4096];
        snprintf(tbuf, sizeof(tbuf), "%s==.%s.%s", hp, p, strrchr(tk, '.') + 1);
        assert_int_equal(parse_text(tbuf), DLG_MALFORMED);
        snprintf(tbuf, sizeof(tbuf), "%s.%s.%s", hp, p, strrchr(tk, '.') + 1);
        assert_int_equal(parse_text(tbuf), DLG_ADMIT);
        snprintf(tbuf, sizeof(tbuf), "%s.%s=.%s", h, p, strrchr(tk, '.') + 1);
        assert_int_equal(parse_text(tbuf), DLG_MALFORMED);
        free(h);
        free(hp);
        free(p);
    }
    free(buf);
    free(tk);
    free(c);
}

static void test_b64url_strict(void **state)
{
    unsigned char *out;
    size_t len;
    char *enc;

    (void)state;
    assert_int_equal(dlg_b64url_decode("YQ", 2, &out, &len), 0);        /* "a" */
    assert_int_equal(len, 1);
    assert_memory_equal(out, "a", 1);
    free(out);
    assert_int_equal(dlg_b64url_decode("YWI", 3, &out, &len), 0);       /* "ab" */
    assert_int_equal(len, 2);
    assert_memory_equal(out, "ab", 2);
    free(out);
    assert_int_equal(dlg_b64url_decode("YWJj", 4, &out, &len), 0);      /* "abc" */
    assert_int_equal(len, 3);
    free(out);
    assert_int_equal(dlg_b64url_decode("", 0, &out, &len), 0);
    assert_int_equal(len, 0);
    free(out);
    assert_int_equal(dlg_b64url_decode("-_-_", 4, &out, &len), 0);      /* url alphabet */
    assert_int_equal(len, 3);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xbf);
    free(out);
    /* refused */
    assert_int_equal(dlg_b64url_decode("YQ==", 4, &out, &len), -1);     /* padding */
    assert_null(out);
    assert_int_equal(dlg_b64url_decode("YR", 2, &out, &len), -1);       /* trailing bits */
    assert_int_equal(dlg_b64url_decode("YWJ", 3, &out, &len), -1);      /* trailing bits */
    assert_int_equal(dlg_b64url_decode("YWK", 3, &out, &len), -1);
    assert_int_equal(dlg_b64url_decode("YWJjZ", 5, &out, &len), -1);    /* len % 4 == 1 */
    assert_int_equal(dlg_b64url_decode("Y", 1, &out, &len), -1);
    assert_int_equal(dlg_b64url_decode("+/+/", 4, &out, &len), -1);     /* std alphabet */
    assert_int_equal(dlg_b64url_decode("YW Jj", 5, &out, &len), -1);
    assert_int_equal(dlg_b64url_decode("YWJj\n", 5, &out, &len), -1);
    assert_int_equal(dlg_b64url_decode(" YWJ", 4, &out, &len), -1);
    assert_int_equal(dlg_b64url_decode("YW\0j", 4, &out, &len), -1);
    /* encode: no padding, url alphabet, round trip of every byte value */
    {
        unsigned char all[256];
        int i;
        for (i = 0; i < 256; i++)
            all[i] = (unsigned char)i;
        for (i = 0; i <= 256; i += 1) {
            enc = dlg_b64url_encode(all, (size_t)i);
            assert_non_null(enc);
            assert_null(strpbrk(enc, "+/="));
            assert_int_equal(dlg_b64url_decode(enc, strlen(enc), &out, &len), 0);
            assert_int_equal(len, (size_t)i);
            if (i)
                assert_memory_equal(out, all, (size_t)i);
            free(out);
            free(enc);
        }
    }
}

/* ---- size ----------------------------------------------------------------- */

static char *ticket_of_size(size_t want)
{
    size_t padlen;
    json_t *c;
    char *tk = NULL, *pad;

    for (padlen = want / 2; padlen < want; padlen++) {
        int kidlen;
        for (kidlen = 1; kidlen <= 4; kidlen++) {
            char hdr[128];
            char *ctext;
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"%.*s\"}",
                     kidlen, "kkkk");
            c = tl_claims(NOW);
            pad = malloc(padlen + 1);
            memset(pad, 'p', padlen);
            pad[padlen] = '\0';
            json_object_set_new(c, "pad", json_string(pad));
            free(pad);
            ctext = tl_json(c);
            json_decref(c);
            tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", hdr, ctext);
            free(ctext);
            if (strlen(tk) == want)
                return tk;
            if (strlen(tk) > want + 8) {
                free(tk);
                return NULL;
            }
            free(tk);
        }
    }
    return NULL;
}

static void test_size_limit(void **state)
{
    char *tk;

    (void)state;
    tk = ticket_of_size(DLG_TICKET_MAX);
    assert_non_null(tk);
    assert_int_equal(strlen(tk), 8192);
    assert_int_equal(parse_text(tk), DLG_ADMIT);
    free(tk);
    tk = ticket_of_size(DLG_TICKET_MAX + 1);
    assert_non_null(tk);
    assert_int_equal(strlen(tk), 8193);
    assert_int_equal(parse_text(tk), DLG_MALFORMED);
    free(tk);
    /* a huge run of whitespace is not "no ticket" but oversized */
    {
        char *big = malloc(20000);
        memset(big, 'A', 19999);
        big[19999] = '\0';
        assert_int_equal(parse_text(big), DLG_MALFORMED);
        free(big);
    }
}

/* ---- header ---------------------------------------------------------------- */

static void test_alg_refused(void **state)
{
    char *c = default_claims_text();
    const char *algs[] = { "none", "None", "NONE", "nOnE", "HS256", "HS384", "HS512", "hs256",
                           "RS512", "ES384", "ES512", "PS512", "eddsa", "EDDSA", "ed25519",
                           "Ed448", "RSA-OAEP", "", "dir" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        char hdr[128], *tk, *h, *p, buf[4096];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"dlg+jwt\"}", algs[i]);
        assert_int_equal(parse_raw(hdr, c), DLG_UNSUPPORTED_ALG);
        /* the classic unsigned form "header.payload." */
        h = tl_b64(hdr);
        p = tl_b64(c);
        snprintf(buf, sizeof(buf), "%s.%s.", h, p);
        assert_int_equal(parse_text(buf), DLG_UNSUPPORTED_ALG);
        free(h);
        free(p);
        (void)tk;
    }
    /* alg missing or not a string: malformed */
    assert_int_equal(parse_raw("{\"typ\":\"dlg+jwt\"}", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":null}", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":1}", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":[\"EdDSA\"]}", c), DLG_MALFORMED);
    free(c);
}

static void test_refused_headers(void **state)
{
    const char *hdrs[] = {
        "{\"alg\":\"EdDSA\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}}",
        "{\"alg\":\"EdDSA\",\"jku\":\"https://attacker.example/keys\"}",
        "{\"alg\":\"EdDSA\",\"x5u\":\"https://attacker.example/cert\"}",
        "{\"alg\":\"EdDSA\",\"x5c\":[\"MIIB\"]}",
        "{\"alg\":\"EdDSA\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"EdDSA\",\"crit\":[]}",
        "{\"alg\":\"EdDSA\",\"jwk\":null}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
        assert_int_equal(parse_header_text(hdrs[i]), DLG_MALFORMED);
}

static void test_header_fields(void **state)
{
    char kid64[128], kid65[128];

    (void)state;
    memset(kid64, 'a', 64);
    kid64[64] = '\0';
    memset(kid65, 'a', 65);
    kid65[65] = '\0';
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid64);
    assert_int_equal(parse_header_text(hdr), DLG_ADMIT);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid65);
    assert_int_equal(parse_header_text(hdr), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":\"A-z_0.9\"}"), DLG_ADMIT);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":\"../../etc/passwd\"}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":\"a/b\"}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":\"a b\"}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":\"\"}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":7}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"kid\":null}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"typ\":1}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"typ\":[\"dlg+jwt\"]}"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}"), DLG_ADMIT);
    assert_int_equal(parse_header_text("{\"alg\":\"EdDSA\",\"cty\":\"x\"}"), DLG_ADMIT);
    /* header must be an object */
    assert_int_equal(parse_header_text("[\"EdDSA\"]"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("\"EdDSA\""), DLG_MALFORMED);
    assert_int_equal(parse_header_text("null"), DLG_MALFORMED);
    assert_int_equal(parse_header_text("42"), DLG_MALFORMED);
    assert_int_equal(parse_header_text(""), DLG_MALFORMED);
    assert_int_equal(parse_header_text("{"), DLG_MALFORMED);
}

/* ---- JSON strictness --------------------------------------------------------- */

static void test_duplicate_keys(void **state)
{
    char *c = default_claims_text();
    char dup[1024];

    (void)state;
    assert_int_equal(parse_raw("{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":\"EdDSA\",\"kid\":\"a\",\"kid\":\"b\"}", c), DLG_MALFORMED);
    /* claims: {"sub":"mallory", ...default...} */
    snprintf(dup, sizeof(dup), "{\"sub\":\"mallory\",%s", c + 1);
    assert_int_equal(parse_raw(good_header, dup), DLG_MALFORMED);
    snprintf(dup, sizeof(dup), "{\"exp\":9999999999,%s", c + 1);
    assert_int_equal(parse_raw(good_header, dup), DLG_MALFORMED);
    /* inside act */
    assert_int_equal(parse_with("act", "{\"sub\":\"ci-deploy\"}"), DLG_ADMIT);
    {
        json_t *cl = tl_claims(NOW);
        char *s, *p;
        json_object_set_new(cl, "act", json_pack("{s:s}", "sub", "ci-deploy"));
        s = tl_json(cl);
        p = strstr(s, "{\"sub\":\"ci-deploy\"}");
        assert_non_null(p);
        snprintf(dup, sizeof(dup), "%.*s{\"sub\":\"ci-deploy\",\"sub\":\"root\"}%s", (int)(p - s), s,
                 p + strlen("{\"sub\":\"ci-deploy\"}"));
        assert_int_equal(parse_raw(good_header, dup), DLG_MALFORMED);
        free(s);
        json_decref(cl);
    }
    free(c);
}

static void test_trailing_json(void **state)
{
    char *c = default_claims_text();
    char buf[2048];

    (void)state;
    assert_int_equal(parse_raw("{\"alg\":\"EdDSA\"}x", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":\"EdDSA\"}{}", c), DLG_MALFORMED);
    assert_int_equal(parse_raw("{\"alg\":\"EdDSA\"}\n", c), DLG_ADMIT); /* whitespace is JSON */
    snprintf(buf, sizeof(buf), "%sgarbage", c);
    assert_int_equal(parse_raw(good_header, buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s{}", c);
    assert_int_equal(parse_raw(good_header, buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "%s\x01", c);
    assert_int_equal(parse_raw(good_header, buf), DLG_MALFORMED);
    assert_int_equal(parse_raw(good_header, "[]"), DLG_MALFORMED);
    assert_int_equal(parse_raw(good_header, "\"claims\""), DLG_MALFORMED);
    assert_int_equal(parse_raw(good_header, "{}"), DLG_MALFORMED);
    /* not JSON at all, or NUL inside */
    assert_int_equal(parse_raw(good_header, "iss=corp"), DLG_MALFORMED);
    assert_int_equal(parse_with("sub", "\"ali\\u0000ce\""), DLG_MALFORMED);
    free(c);
}

static char *nested(const char *open, const char *close, int depth, const char *inner)
{
    size_t n = strlen(inner) + (size_t)depth * (strlen(open) + strlen(close)) + 1;
    char *s = malloc(n), *p = s;
    int i;

    for (i = 0; i < depth; i++)
        p += sprintf(p, "%s", open);
    p += sprintf(p, "%s", inner);
    for (i = 0; i < depth; i++)
        p += sprintf(p, "%s", close);
    return s;
}

static void test_nested_deep(void **state)
{
    char *deep, *c, *hdr;

    (void)state;
    deep = nested("[", "]", 10, "1");
    assert_int_equal(parse_with("x", deep), DLG_ADMIT);
    free(deep);
    deep = nested("[", "]", 40, "1");
    assert_int_equal(parse_with("x", deep), DLG_MALFORMED);
    free(deep);
    deep = nested("{\"a\":", "}", 40, "1");
    assert_int_equal(parse_with("x", deep), DLG_MALFORMED);
    free(deep);
    /* deeper than jansson's own limit */
    deep = nested("[", "]", 3000, "1");
    c = malloc(strlen(deep) + 64);
    sprintf(c, "{\"x\":%s}", deep);
    assert_int_equal(parse_raw(good_header, c), DLG_MALFORMED);
    free(c);
    free(deep);
    /* in the header */
    deep = nested("[", "]", 40, "1");
    hdr = malloc(strlen(deep) + 64);
    sprintf(hdr, "{\"alg\":\"EdDSA\",\"x\":%s}", deep);
    assert_int_equal(parse_header_text(hdr), DLG_MALFORMED);
    free(hdr);
    free(deep);
    /* nested act chains are fine as long as they are shallow */
    assert_int_equal(parse_with("act", "{\"sub\":\"ci-deploy\",\"act\":{\"sub\":\"a\",\"act\":{\"sub\":\"b\"}}}"),
                     DLG_ADMIT);
}

/* ---- claim types -------------------------------------------------------------- */

struct bad_claim {
    const char *name;
    const char *value;      /* JSON text; NULL = claim removed */
};

static const struct bad_claim bad_claims[] = {
    /* required claims missing */
    { "iss", NULL }, { "sub", NULL }, { "act", NULL }, { "aud", NULL }, { "svc", NULL },
    { "iat", NULL }, { "exp", NULL }, { "jti", NULL },
    /* iss, sub: non-empty strings */
    { "iss", "1" }, { "iss", "null" }, { "iss", "[\"corp\"]" }, { "iss", "{}" }, { "iss", "\"\"" },
    { "iss", "true" },
    { "sub", "1" }, { "sub", "null" }, { "sub", "[\"alice\"]" }, { "sub", "\"\"" }, { "sub", "false" },
    { "sub", "\"ali\\nce\"" }, { "sub", "\"ali\\u001bce\"" }, { "sub", "\"\\u007f\"" },
    /* act: object with string sub */
    { "act", "\"ci-deploy\"" }, { "act", "{}" }, { "act", "{\"sub\":1}" }, { "act", "[]" },
    { "act", "{\"sub\":null}" }, { "act", "{\"sub\":\"\"}" }, { "act", "null" },
    { "act", "[{\"sub\":\"ci-deploy\"}]" },
    /* aud: string or non-empty array of strings */
    { "aud", "1" }, { "aud", "[]" }, { "aud", "[1]" }, { "aud", "{}" }, { "aud", "null" },
    { "aud", "[\"\"]" }, { "aud", "\"\"" }, { "aud", "[\"web01\",null]" }, { "aud", "[[\"web01\"]]" },
    /* svc: non-empty array of strings (a bare string is refused) */
    { "svc", "\"sshd\"" }, { "svc", "[]" }, { "svc", "[1]" }, { "svc", "null" }, { "svc", "{}" },
    { "svc", "[\"sshd\",2]" },
    /* times: non-negative integers */
    { "iat", "\"1790000000\"" }, { "iat", "1790000000.5" }, { "iat", "1.79e9" }, { "iat", "-1" },
    { "iat", "null" }, { "iat", "true" }, { "iat", "[1790000000]" },
    { "exp", "\"1790000300\"" }, { "exp", "1790000300.0" }, { "exp", "-1790000300" },
    { "exp", "null" }, { "exp", "99999999999999999999999" }, { "exp", "253402300800" },
    { "nbf", "1.5" }, { "nbf", "\"x\"" }, { "nbf", "-5" }, { "nbf", "null" }, { "nbf", "false" },
    /* jti: 1..64 of [A-Za-z0-9._-] */
    { "jti", "1" }, { "jti", "\"\"" }, { "jti", "\"a/b\"" }, { "jti", "\"a b\"" },
    { "jti", "\"../x\"" }, { "jti", "\"x\\u00e9\"" }, { "jti", "null" },
    { "jti", "\"0123456789012345678901234567890123456789012345678901234567890123X\"" },
    /* optional lists */
    { "runas", "\"alice\"" }, { "runas", "[1]" }, { "runas", "{}" }, { "runas", "null" },
    { "runas", "[\"\"]" },
    { "src", "\"10.0.0.0/8\"" }, { "src", "[\"nonsense\"]" }, { "src", "[1]" }, { "src", "null" },
    { "src", "[\"10.0.0.1/8\"]" }, { "src", "[\"10.0.0.0/33\"]" },
    { "apv", "\"bob\"" }, { "apv", "[1]" }, { "apv", "null" }, { "apv", "[\"bob\",{}]" },
    /* once: boolean */
    { "once", "\"true\"" }, { "once", "1" }, { "once", "null" }, { "once", "[true]" },
};

static void test_claim_types(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_claims) / sizeof(bad_claims[0]); i++) {
        enum dlg_reason r = parse_with(bad_claims[i].name, bad_claims[i].value);
        if (r != DLG_MALFORMED)
            fail_msg("claim %s = %s: got %s, want malformed", bad_claims[i].name,
                     bad_claims[i].value ? bad_claims[i].value : "(absent)", dlg_reason_str(r));
    }
}

static void test_claim_good_variants(void **state)
{
    (void)state;
    assert_int_equal(parse_with("jti", "\"0123456789012345678901234567890123456789012345678901234567890123\""),
                     DLG_ADMIT);
    assert_int_equal(parse_with("jti", "\"A-z_0.9\""), DLG_ADMIT);
    assert_int_equal(parse_with("runas", "[]"), DLG_ADMIT);
    assert_int_equal(parse_with("src", "[]"), DLG_ADMIT);
    assert_int_equal(parse_with("apv", "[]"), DLG_ADMIT);
    assert_int_equal(parse_with("once", "false"), DLG_ADMIT);
    assert_int_equal(parse_with("nbf", "0"), DLG_ADMIT);
    assert_int_equal(parse_with("sub", "\"alice@example.com\""), DLG_ADMIT);
    assert_int_equal(parse_with("sub", "\"A.b_c+d-9\""), DLG_ADMIT);
    /* DESIGN.md §2 "Names": what the host could not write in its config or
     * revoke is malformed */
    assert_int_equal(parse_with("sub", "\"Alice Example <alice@example.com>\""), DLG_MALFORMED);
    assert_int_equal(parse_with("sub", "\"\\u00e9l\\u00e8ve\""), DLG_MALFORMED);
    assert_int_equal(parse_with("aud", "[\"a\",\"web01\"]"), DLG_ADMIT);
}

static void test_limits(void **state)
{
    char s256[300], s257[300], buf[4096];
    json_t *arr;
    char *t;
    int i;

    (void)state;
    memset(s256, 'x', 256);
    s256[256] = '\0';
    memset(s257, 'x', 257);
    s257[257] = '\0';
    snprintf(buf, sizeof(buf), "\"%s\"", s256);
    assert_int_equal(parse_with("iss", buf), DLG_ADMIT);
    snprintf(buf, sizeof(buf), "\"%s\"", s257);
    assert_int_equal(parse_with("sub", buf), DLG_MALFORMED);
    assert_int_equal(parse_with("iss", buf), DLG_MALFORMED);
    snprintf(buf, sizeof(buf), "[\"%s\"]", s257);
    assert_int_equal(parse_with("svc", buf), DLG_MALFORMED);

    arr = json_array();
    for (i = 0; i < 64; i++)
        json_array_append_new(arr, json_string("sshd"));
    t = tl_json(arr);
    assert_int_equal(parse_with("svc", t), DLG_ADMIT);
    free(t);
    json_array_append_new(arr, json_string("sshd"));
    t = tl_json(arr);
    assert_int_equal(parse_with("svc", t), DLG_MALFORMED);
    assert_int_equal(parse_with("apv", t), DLG_MALFORMED);
    assert_int_equal(parse_with("aud", t), DLG_MALFORMED);
    free(t);
    json_decref(arr);
}

static void test_time_order(void **state)
{
    char buf[64];

    (void)state;
    snprintf(buf, sizeof(buf), "%lld", (long long)NOW);
    assert_int_equal(parse_with("exp", buf), DLG_MALFORMED);          /* exp == iat */
    snprintf(buf, sizeof(buf), "%lld", (long long)NOW - 1);
    assert_int_equal(parse_with("exp", buf), DLG_MALFORMED);          /* exp < iat */
    snprintf(buf, sizeof(buf), "%lld", (long long)NOW + 1);
    assert_int_equal(parse_with("exp", buf), DLG_ADMIT);
    assert_int_equal(parse_with("iat", "0"), DLG_ADMIT);
    assert_int_equal(parse_with("exp", "253402300799"), DLG_ADMIT);
}

static void test_decode_json(void **state)
{
    char *c = default_claims_text();
    char *tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", good_header, c);
    char *h = NULL, *p = NULL;

    (void)state;
    assert_int_equal(dlg_ticket_decode_json(tk, strlen(tk), &h, &p), 0);
    assert_string_equal(h, good_header);
    assert_string_equal(p, c);
    free(h);
    free(p);
    assert_int_equal(dlg_ticket_decode_json("abc", 3, &h, &p), -1);
    assert_null(h);
    assert_int_equal(dlg_ticket_decode_json("a+c.abc.x", 9, &h, &p), -1);
    free(tk);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_eddsa),
        cmocka_unit_test(test_good_ed25519_name),
        cmocka_unit_test(test_good_es256),
        cmocka_unit_test(test_good_rs256),
        cmocka_unit_test(test_good_ps256),
        cmocka_unit_test(test_minimal_claims_defaults),
        cmocka_unit_test(test_unknown_claims_ignored),
        cmocka_unit_test(test_no_ticket),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_bad_base64url),
        cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_alg_refused),
        cmocka_unit_test(test_refused_headers),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_trailing_json),
        cmocka_unit_test(test_nested_deep),
        cmocka_unit_test(test_claim_types),
        cmocka_unit_test(test_claim_good_variants),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_decode_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
