/* The decision (DESIGN.md §3): every denial reason with a ticket made for
 * it, admits for every algorithm, the classic JWT attacks, clock-skew
 * boundaries, single use under concurrency, revocation and re-checks. */
#include <inttypes.h>
#include <pthread.h>
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

#include "decision/once.h"
#include "decision/policy.h"
#include "session/ending.h"
#include "ticket/sign.h"
#include "testlib.h"

#define NOW  INT64_C(1790000000)
#define SKEW 60

static char *dir, *once_dir;
/* ed2: the key behind ed2.pub; other: an Ed25519 key no issuer has */
static EVP_PKEY *ed2_key, *other_key;
static struct dlg_config *cfg;
static struct dlg_keyring kr;

static const char config_fmt[] =
    "version = 1;\n"
    "host = { name = \"web01\"; aliases = [\"web01.example.com\", \"10.9.9.9\"]; };\n"
    "tickets = { clock_skew = 60; max_lifetime = 3600; };\n"
    "issuers = (\n"
    "  { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-ed\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"edname\"; algorithms = [\"Ed25519\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-edname\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"ec\"; algorithms = [\"ES256\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-ec\"; file = \"%1$s/ec.pub\"; } ); },\n"
    "  { id = \"rsa\"; algorithms = [\"RS256\", \"PS256\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-rsa\"; file = \"%1$s/rsa.pub\"; } ); },\n"
    "  { id = \"mixed\"; algorithms = [\"EdDSA\", \"RS256\", \"ES256\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-mixed\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"multi\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"m1\"; file = \"%1$s/ed.pub\"; }, { kid = \"m2\"; file = \"%1$s/ed2.pub\"; } ); },\n"
    "  { id = \"jwt\"; algorithms = [\"EdDSA\"]; principals = [\"*\"]; typ = \"JWT\";\n"
    "    keys = ( { kid = \"k-jwt\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"alice\"; algorithms = [\"EdDSA\"]; principals = [\"alice\"];\n"
    "    keys = ( { kid = \"a1\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"oldiss\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-oldiss\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"revk\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-revoked\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"rs256\"; algorithms = [\"RS256\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-rs256\"; file = \"%1$s/rsa.pub\"; } ); }\n"
    ");\n"
    "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
    "actors = (\n"
    "  { name = \"ci-deploy\"; uid = 62001; principals = [\"alice\", \"release\"]; services = [\"sshd\"];\n"
    "    max_lifetime = 900; },\n"
    "  { name = \"src-bot\"; uid = 62002; principals = [\"*\"]; services = [\"sshd\"];\n"
    "    sources = [\"10.0.0.0/8\", \"127.0.0.1/32\", \"2001:db8::/32\"]; },\n"
    "  { name = \"support-bot\"; uid = 62003; principals = [\"*\"]; services = [\"sudo\"];\n"
    "    runas = [\"alice\", \"bob\"]; approvals = 1; },\n"
    "  { name = \"twoman\"; uid = 62004; principals = [\"*\"]; services = [\"sshd\"]; approvals = 2; },\n"
    "  { name = \"gone\"; uid = 62005; principals = [\"*\"]; services = [\"sshd\"]; },\n"
    "  { name = \"wide\"; uid = 62006; principals = [\"*\"]; services = [\"sshd\", \"sudo\"]; },\n"
    "  { name = \"keyed\"; uid = 62007; principals = [\"*\"]; services = [\"sshd\"]; key_binding = \"required\"; }\n"
    ");\n"
    "audit = { syslog = false; };\n"
    "revoke = {\n"
    "  tickets = ( { id = \"revoked-1\"; } %2$s );\n"
    "  actors = [\"gone\" %3$s]; principals = [\"evil\"]; issuers = [\"oldiss\"]; keys = [\"k-revoked\"];\n"
    "  issued_before = %4$" PRId64 ";\n"
    "};\n";

/* Write and load a config (revoke additions spliced in). */
static struct dlg_config *make_config(const char *name, const char *more_tickets,
                                      const char *more_actors)
{
    char *text, *path;
    struct dlg_config *c;

    if (asprintf(&text, config_fmt, dir, more_tickets, more_actors, NOW - 100) < 0)
        abort();
    path = tl_write_file(dir, name, text, 0644);
    c = tl_load_config(path);
    free(text);
    free(path);
    return c;
}

static int setup(void **state)
{
    struct dlg_diag diag;
    char *p;

    (void)state;
    dir = tl_mkdtemp();
    once_dir = tl_path(dir, "once");
    free(tl_write_pub(dir, "ed", tl_key("ed25519")));
    ed2_key = tl_new_key("ed25519");
    other_key = tl_new_key("ed25519");
    p = tl_write_pub(dir, "ed2", ed2_key);
    free(p);
    free(tl_write_pub(dir, "ec", tl_key("p256")));
    free(tl_write_pub(dir, "rsa", tl_key("rsa2048")));
    cfg = make_config("delegate.conf", "", "");
    if (!cfg)
        return -1;
    memset(&diag, 0, sizeof(diag));
    if (dlg_keyring_load(cfg, &kr, &diag) != 0) {
        size_t i;
        for (i = 0; i < diag.errors.n; i++)
            fprintf(stderr, "# keys: %s\n", diag.errors.v[i]);
        dlg_diag_free(&diag);
        return -1;
    }
    dlg_diag_free(&diag);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dlg_keyring_free(&kr);
    dlg_config_free(cfg);
    tl_rmtree(dir);
    EVP_PKEY_free(ed2_key);
    EVP_PKEY_free(other_key);
    free(once_dir);
    free(dir);
    return 0;
}


static EVP_PKEY *key_named(const char *name)
{
    if (!name || strcmp(name, "ed") == 0)
        return tl_key("ed25519");
    if (strcmp(name, "ec") == 0)
        return tl_key("p256");
    if (strcmp(name, "rsa") == 0)
        return tl_key("rsa2048");
    if (strcmp(name, "ed2") == 0)
        return ed2_key;
    if (strcmp(name, "other-ed") == 0)
        return other_key;
    fail_msg("no key %s", name);
    return NULL;
}

static struct dlg_request default_request(void)
{
    struct dlg_request r = {
        .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3", .runas = NULL,
        .now = NOW, .once_dir = once_dir, .consume_once = true,
    };
    return r;
}

/* Default claims with a JSON patch merged in (a null value deletes). */
static json_t *claims_with(const char *patch)
{
    json_t *c = tl_claims(NOW), *p;
    const char *k;
    json_t *v;
    json_error_t e;

    if (!patch)
        return c;
    p = json_loads(patch, 0, &e);
    if (!p)
        fail_msg("bad patch %s: %s", patch, e.text);
    json_object_foreach(p, k, v) {
        if (json_is_null(v))
            json_object_del(c, k);
        else
            json_object_set(c, k, v);
    }
    json_decref(p);
    return c;
}

static char *mint_patch(const char *patch)
{
    json_t *c = claims_with(patch);
    char *tk = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c);

    json_decref(c);
    return tk;
}

struct row {
    const char *name;
    enum dlg_reason want;
    const char *patch;     /* merged into the default claims */
    const char *header;    /* raw header; NULL: EdDSA, dlg+jwt, kid k-ed */
    const char *sign_as;   /* NULL: the header's alg */
    const char *key;       /* NULL: "ed" */
    const char *user, *service, *rhost, *runas;  /* NULL: default; "" = unset */
    const char *raw;       /* a raw ticket instead of minting one */
    const char *ssh_key;   /* the key proven in the connection; NULL: none */
};

static const char *req_str(const char *v, const char *dflt)
{
    if (!v)
        return dflt;
    return v[0] ? v : NULL;
}

static char *mint_row(const struct row *row)
{
    json_t *c, *h;
    char *ctext, *tk;
    const char *hdr = row->header ? row->header
                                  : "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"k-ed\"}";
    const char *sign_as = row->sign_as;
    json_error_t e;

    if (row->raw)
        return strdup(row->raw);
    if (!sign_as) {
        h = json_loads(hdr, 0, &e);
        assert_non_null(h);
        sign_as = json_string_value(json_object_get(h, "alg"));
        assert_non_null(sign_as);
        c = claims_with(row->patch);
        ctext = tl_json(c);
        tk = tl_mint_raw(key_named(row->key), sign_as, hdr, ctext);
        json_decref(h);
    } else {
        c = claims_with(row->patch);
        ctext = tl_json(c);
        tk = tl_mint_raw(key_named(row->key), sign_as, hdr, ctext);
    }
    free(ctext);
    json_decref(c);
    return tk;
}

static enum dlg_reason run_row(const struct row *row, struct dlg_verdict *v)
{
    struct dlg_request req = default_request();
    char *tk = mint_row(row);
    enum dlg_reason r;

    req.user = req_str(row->user, req.user);
    req.service = req_str(row->service, req.service);
    req.rhost = req_str(row->rhost, req.rhost);
    req.runas = req_str(row->runas, req.runas);
    req.ssh_key = row->ssh_key;
    r = dlg_decide_lazy(cfg, tk, strlen(tk), &req, v, NULL);
    /* the detail line never carries the ticket or its signature */
    if (strlen(tk) > 16) {
        const char *sig = strrchr(tk, '.');
        assert_null(strstr(v->detail, tk));
        if (sig && strlen(sig + 1) >= 8) {
            char probe[9];
            memcpy(probe, sig + 1, 8);
            probe[8] = '\0';
            assert_null(strstr(v->detail, probe));
        }
    }
    explicit_bzero(tk, strlen(tk));
    free(tk);
    return r;
}

/* Rows name only the fields they change; the rest are NULL. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ES_HDR(kid)  "{\"alg\":\"ES256\",\"typ\":\"dlg+jwt\",\"kid\":\"" kid "\"}"
#define RS_HDR(kid)  "{\"alg\":\"RS256\",\"typ\":\"dlg+jwt\",\"kid\":\"" kid "\"}"
#define PS_HDR(kid)  "{\"alg\":\"PS256\",\"typ\":\"dlg+jwt\",\"kid\":\"" kid "\"}"
#define ED_HDR(kid)  "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"" kid "\"}"

static const struct row rows[] = {
    /* --- admits ---------------------------------------------------------- */
    { "admit EdDSA", DLG_ADMIT },
    { "admit Ed25519 alg name", DLG_ADMIT, NULL, "{\"alg\":\"Ed25519\",\"typ\":\"dlg+jwt\",\"kid\":\"k-ed\"}" },
    { "admit issuer listing Ed25519", DLG_ADMIT, "{\"iss\":\"edname\"}", ED_HDR("k-edname") },
    { "admit ES256", DLG_ADMIT, "{\"iss\":\"ec\"}", ES_HDR("k-ec"), NULL, "ec" },
    { "admit RS256", DLG_ADMIT, "{\"iss\":\"rsa\"}", RS_HDR("k-rsa"), NULL, "rsa" },
    { "admit PS256", DLG_ADMIT, "{\"iss\":\"rsa\"}", PS_HDR("k-rsa"), NULL, "rsa" },
    { "admit kid omitted, one key", DLG_ADMIT, NULL, "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}" },
    { "admit second key of issuer", DLG_ADMIT, "{\"iss\":\"multi\"}", ED_HDR("m2"), NULL, "ed2" },
    { "admit typ JWT issuer, typ absent", DLG_ADMIT, "{\"iss\":\"jwt\"}", "{\"alg\":\"EdDSA\",\"kid\":\"k-jwt\"}" },
    { "admit typ JWT issuer, typ JWT", DLG_ADMIT, "{\"iss\":\"jwt\"}", "{\"alg\":\"EdDSA\",\"typ\":\"jwt\",\"kid\":\"k-jwt\"}" },
    { "admit typ case-insensitive", DLG_ADMIT, NULL, "{\"alg\":\"EdDSA\",\"typ\":\"DLG+JWT\",\"kid\":\"k-ed\"}" },
    { "admit typ application/ prefix", DLG_ADMIT, NULL, "{\"alg\":\"EdDSA\",\"typ\":\"application/dlg+jwt\",\"kid\":\"k-ed\"}" },
    { "admit host name case-insensitive", DLG_ADMIT, "{\"aud\":\"WEB01\"}" },
    { "admit host alias", DLG_ADMIT, "{\"aud\":[\"db01\",\"Web01.Example.COM\"]}" },
    { "admit personal issuer for itself", DLG_ADMIT, "{\"iss\":\"alice\"}", ED_HDR("a1") },
    { "admit src matches", DLG_ADMIT, "{\"src\":[\"192.168.0.0/16\",\"10.1.0.0/16\"]}" },
    { "admit actor sources v4", DLG_ADMIT, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "127.0.0.1" },
    { "admit actor sources v4-mapped", DLG_ADMIT, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "::ffff:10.0.0.1" },
    { "admit actor sources v6", DLG_ADMIT, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "2001:db8::1" },
    { "admit runas default sub", DLG_ADMIT, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "", "alice" },
    { "admit runas listed", DLG_ADMIT, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"],\"runas\":[\"bob\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "", "bob" },
    { "admit sudo without runas check", DLG_ADMIT, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "" },
    { "admit two distinct approvers", DLG_ADMIT, "{\"act\":{\"sub\":\"twoman\"},\"apv\":[\"x\",\"alice\",\"twoman\",\"y\",\"x\"]}",
      NULL, NULL, NULL, "twoman" },
    { "admit iat exactly at issued_before", DLG_ADMIT, "{\"iat\":1789999900,\"exp\":1790000200}" },
    { "admit svc among several", DLG_ADMIT, "{\"svc\":[\"sudo\",\"sshd\"]}" },

    /* --- parse ------------------------------------------------------------ */
    { "no_ticket empty", DLG_NO_TICKET, .raw = "" },
    { "no_ticket newline", DLG_NO_TICKET, .raw = "\n" },
    { "malformed garbage", DLG_MALFORMED, .raw = "hello.world" },
    { "malformed stripped signature", DLG_MALFORMED, NULL, NULL, "strip" },
    { "malformed wrong claim type", DLG_MALFORMED, "{\"svc\":\"sshd\"}" },
    { "malformed exp before iat", DLG_MALFORMED, "{\"iat\":1790000000,\"exp\":1789999999}" },
    { "unsupported alg none", DLG_UNSUPPORTED_ALG, NULL, "{\"alg\":\"none\",\"typ\":\"dlg+jwt\",\"kid\":\"k-ed\"}", "strip" },
    { "unsupported alg None", DLG_UNSUPPORTED_ALG, NULL, "{\"alg\":\"None\",\"typ\":\"dlg+jwt\",\"kid\":\"k-ed\"}", "junk" },
    { "unsupported HS256 with the public key", DLG_UNSUPPORTED_ALG, NULL, "{\"alg\":\"HS256\",\"typ\":\"dlg+jwt\",\"kid\":\"k-ed\"}", "HS256-pub" },
    { "unsupported HS256 with RSA public key", DLG_UNSUPPORTED_ALG, "{\"iss\":\"rsa\"}", "{\"alg\":\"HS256\",\"typ\":\"dlg+jwt\",\"kid\":\"k-rsa\"}", "HS256-pub", "rsa" },
    { "unsupported unknown alg", DLG_UNSUPPORTED_ALG, NULL, "{\"alg\":\"ES512\",\"kid\":\"k-ed\"}", "junk" },
    /* --- issuer, alg, typ, key -------------------------------------------- */
    { "unknown issuer", DLG_UNKNOWN_ISSUER, "{\"iss\":\"nobody\"}" },
    { "unknown issuer case differs", DLG_UNKNOWN_ISSUER, "{\"iss\":\"CORP\"}" },
    { "alg not in issuer allowlist", DLG_UNSUPPORTED_ALG, NULL, ES_HDR("k-ed"), NULL, "ec" },
    { "RS256 header on Ed25519 key", DLG_UNSUPPORTED_ALG, "{\"iss\":\"mixed\"}", RS_HDR("k-mixed"), NULL, "rsa" },
    { "ES256 header on Ed25519 key", DLG_UNSUPPORTED_ALG, "{\"iss\":\"mixed\"}", ES_HDR("k-mixed"), NULL, "ec" },
    { "PS256 not allowed for RS256-only issuer", DLG_UNSUPPORTED_ALG, "{\"iss\":\"mixed\"}", PS_HDR("k-mixed"), NULL, "rsa" },
    /* the allowlist alone refuses it: the key (RSA) fits PS256 and the
     * signature is valid (a mutant without the allowlist check survived) */
    { "PS256 on an RSA key of an RS256-only issuer", DLG_UNSUPPORTED_ALG, "{\"iss\":\"rs256\"}", PS_HDR("k-rs256"), "PS256", "rsa" },
    { "admit RS256 on that issuer", DLG_ADMIT, "{\"iss\":\"rs256\"}", RS_HDR("k-rs256"), "RS256", "rsa" },
    { "wrong typ JWT", DLG_WRONG_TYPE, NULL, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"k-ed\"}" },
    { "wrong typ absent", DLG_WRONG_TYPE, NULL, "{\"alg\":\"EdDSA\",\"kid\":\"k-ed\"}" },
    { "wrong typ at+jwt", DLG_WRONG_TYPE, NULL, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"k-ed\"}" },
    { "wrong typ for JWT issuer", DLG_WRONG_TYPE, "{\"iss\":\"jwt\"}", "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"k-jwt\"}" },
    { "unknown kid", DLG_UNKNOWN_KEY, NULL, ED_HDR("nope") },
    { "kid of another issuer", DLG_UNKNOWN_KEY, NULL, ED_HDR("k-ec") },
    { "kid omitted, several keys", DLG_UNKNOWN_KEY, "{\"iss\":\"multi\"}", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}" },
    /* --- signature -------------------------------------------------------- */
    { "bad signature other key", DLG_BAD_SIGNATURE, NULL, NULL, NULL, "other-ed" },
    { "bad signature key of other kid", DLG_BAD_SIGNATURE, "{\"iss\":\"multi\"}", ED_HDR("m1"), NULL, "ed2" },
    { "bad signature junk", DLG_BAD_SIGNATURE, NULL, NULL, "junk" },
    { "bad signature ES256 zero r,s", DLG_BAD_SIGNATURE, "{\"iss\":\"ec\"}", ES_HDR("k-ec"), "zero64", "ec" },
    { "bad signature ES256 junk", DLG_BAD_SIGNATURE, "{\"iss\":\"ec\"}", ES_HDR("k-ec"), "junk", "ec" },
    { "bad signature RS256 junk", DLG_BAD_SIGNATURE, "{\"iss\":\"rsa\"}", RS_HDR("k-rsa"), "junk", "rsa" },
    { "bad signature PS256 signed as RS256", DLG_BAD_SIGNATURE, "{\"iss\":\"rsa\"}", PS_HDR("k-rsa"), "RS256", "rsa" },
    { "bad signature RS256 signed as PS256", DLG_BAD_SIGNATURE, "{\"iss\":\"rsa\"}", RS_HDR("k-rsa"), "PS256", "rsa" },
    /* --- times ------------------------------------------------------------ */
    { "expired", DLG_EXPIRED, "{\"iat\":1789999000,\"exp\":1789999500}" },
    { "not yet valid", DLG_NOT_YET_VALID, "{\"nbf\":1790000061}" },
    { "issued in future", DLG_ISSUED_IN_FUTURE, "{\"iat\":1790000061,\"exp\":1790000400}" },
    { "lifetime over actor max", DLG_LIFETIME_TOO_LONG, "{\"exp\":1790000901}" },
    { "lifetime over global max, unknown actor", DLG_LIFETIME_TOO_LONG,
      "{\"exp\":1790003601,\"act\":{\"sub\":\"nobody\"}}", NULL, NULL, NULL, "nobody" },
    /* --- scope ------------------------------------------------------------ */
    { "wrong audience", DLG_WRONG_AUDIENCE, "{\"aud\":\"web02\"}" },
    { "wrong audience array", DLG_WRONG_AUDIENCE, "{\"aud\":[\"web011\",\"web0\",\"example.com\"]}" },
    { "unknown actor", DLG_UNKNOWN_ACTOR, "{\"act\":{\"sub\":\"nobody\"}}", NULL, NULL, NULL, "nobody" },
    { "actor mismatch", DLG_ACTOR_MISMATCH, NULL, NULL, NULL, NULL, "src-bot" },
    { "actor mismatch, user unset", DLG_ACTOR_MISMATCH, NULL, NULL, NULL, NULL, "" },
    { "actor mismatch, case", DLG_ACTOR_MISMATCH, NULL, NULL, NULL, NULL, "CI-deploy" },
    { "revoked actor", DLG_REVOKED_ACTOR, "{\"act\":{\"sub\":\"gone\"}}", NULL, NULL, NULL, "gone" },
    { "service not in ticket", DLG_SERVICE_NOT_ALLOWED, NULL, NULL, NULL, NULL, NULL, "sudo" },
    { "service not for actor", DLG_SERVICE_NOT_ALLOWED, "{\"svc\":[\"sudo\"]}", NULL, NULL, NULL, NULL, "sudo" },
    { "service unset", DLG_SERVICE_NOT_ALLOWED, NULL, NULL, NULL, NULL, NULL, "" },
    { "principal not for actor", DLG_PRINCIPAL_NOT_ALLOWED, "{\"sub\":\"bob\"}" },
    { "principal not for issuer", DLG_PRINCIPAL_NOT_ALLOWED, "{\"iss\":\"alice\",\"sub\":\"release\"}", ED_HDR("a1") },
    { "source outside ticket src", DLG_SOURCE_NOT_ALLOWED, "{\"src\":[\"192.168.0.0/16\"]}" },
    { "source unknown with ticket src", DLG_SOURCE_NOT_ALLOWED, "{\"src\":[\"10.0.0.0/8\"]}", NULL, NULL, NULL, NULL, NULL, "" },
    { "source empty src list", DLG_SOURCE_NOT_ALLOWED, "{\"src\":[]}" },
    { "source outside actor sources", DLG_SOURCE_NOT_ALLOWED, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "192.168.1.1" },
    { "source unknown for actor sources", DLG_SOURCE_NOT_ALLOWED, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "" },
    { "source host name not an address", DLG_SOURCE_NOT_ALLOWED, "{\"act\":{\"sub\":\"src-bot\"}}", NULL, NULL, NULL, "src-bot", NULL, "localhost" },
    { "source in ticket but not actor", DLG_SOURCE_NOT_ALLOWED, "{\"act\":{\"sub\":\"src-bot\"},\"src\":[\"192.168.0.0/16\"]}",
      NULL, NULL, NULL, "src-bot", NULL, "192.168.1.1" },
    { "source in actor but not ticket", DLG_SOURCE_NOT_ALLOWED, "{\"act\":{\"sub\":\"src-bot\"},\"src\":[\"192.168.0.0/16\"]}",
      NULL, NULL, NULL, "src-bot", NULL, "10.1.1.1" },
    { "runas not sub by default", DLG_RUNAS_NOT_ALLOWED, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "", "bob" },
    { "runas not for actor", DLG_RUNAS_NOT_ALLOWED, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"],\"runas\":[\"carol\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "", "carol" },
    { "runas root", DLG_RUNAS_NOT_ALLOWED, "{\"act\":{\"sub\":\"wide\"},\"svc\":[\"sudo\"]}",
      NULL, NULL, NULL, "wide", "sudo", "", "root" },
    { "approval missing", DLG_APPROVAL_REQUIRED, "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"]}",
      NULL, NULL, NULL, "support-bot", "sudo", "" },
    { "approval by the principal does not count", DLG_APPROVAL_REQUIRED,
      "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"alice\"]}", NULL, NULL, NULL, "support-bot", "sudo", "" },
    { "approval by the actor does not count", DLG_APPROVAL_REQUIRED,
      "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"support-bot\"]}", NULL, NULL, NULL, "support-bot", "sudo", "" },
    { "approvals counted distinct", DLG_APPROVAL_REQUIRED, "{\"act\":{\"sub\":\"twoman\"},\"apv\":[\"x\",\"x\",\"alice\"]}",
      NULL, NULL, NULL, "twoman" },
    /* --- revocation ------------------------------------------------------- */
    { "revoked ticket", DLG_REVOKED_TICKET, "{\"jti\":\"revoked-1\"}" },
    { "revoked principal", DLG_REVOKED_PRINCIPAL, "{\"act\":{\"sub\":\"wide\"},\"sub\":\"evil\"}", NULL, NULL, NULL, "wide" },
    { "revoked issuer", DLG_REVOKED_ISSUER, "{\"iss\":\"oldiss\"}", ED_HDR("k-oldiss") },
    { "revoked key", DLG_REVOKED_KEY, "{\"iss\":\"revk\"}", ED_HDR("k-revoked") },
    { "revoked key, kid omitted", DLG_REVOKED_KEY, "{\"iss\":\"revk\"}", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}" },
    { "revoked before", DLG_REVOKED_BEFORE, "{\"iat\":1789999899,\"exp\":1790000200}" },
    /* --- key binding (rule 10) -------------------------------------------- */
#define KEY_A "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"
#define KEY_B "SHA256:gCHqGlLTEWVEj1qVdKeod1rKsfAi1dNTKWh9AUnpj7Q"
    { "admit bound ticket with its key", DLG_ADMIT, "{\"cnf\":{\"ssh\":\"" KEY_A "\"}}", .ssh_key = KEY_A },
    { "admit unbound ticket whatever the key", DLG_ADMIT, NULL, .ssh_key = KEY_B },
    { "key mismatch: no key proven", DLG_KEY_MISMATCH, "{\"cnf\":{\"ssh\":\"" KEY_A "\"}}" },
    { "key mismatch: empty key", DLG_KEY_MISMATCH, "{\"cnf\":{\"ssh\":\"" KEY_A "\"}}", .ssh_key = "" },
    { "key mismatch: another key", DLG_KEY_MISMATCH, "{\"cnf\":{\"ssh\":\"" KEY_A "\"}}", .ssh_key = KEY_B },
    { "key mismatch: sudo outside a keyed session", DLG_KEY_MISMATCH,
      "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"],\"cnf\":{\"ssh\":\"" KEY_A "\"}}",
      NULL, NULL, NULL, "support-bot", "sudo", "" },
    { "admit sudo inside a session of the key", DLG_ADMIT,
      "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"],\"cnf\":{\"ssh\":\"" KEY_A "\"}}",
      NULL, NULL, NULL, "support-bot", "sudo", "", .ssh_key = KEY_A },
    { "key required: unbound ticket", DLG_KEY_REQUIRED, "{\"act\":{\"sub\":\"keyed\"}}", NULL, NULL, NULL, "keyed",
      .ssh_key = KEY_A },
    { "key required: unbound, no key", DLG_KEY_REQUIRED, "{\"act\":{\"sub\":\"keyed\"}}", NULL, NULL, NULL, "keyed" },
    { "admit key required, bound", DLG_ADMIT, "{\"act\":{\"sub\":\"keyed\"},\"cnf\":{\"ssh\":\"" KEY_A "\"}}", NULL, NULL,
      NULL, "keyed", .ssh_key = KEY_A },
    { "key required, bound, other key", DLG_KEY_MISMATCH, "{\"act\":{\"sub\":\"keyed\"},\"cnf\":{\"ssh\":\"" KEY_B "\"}}",
      NULL, NULL, NULL, "keyed", .ssh_key = KEY_A },
    { "malformed cnf", DLG_MALFORMED, "{\"cnf\":{\"ssh\":\"SHA256:abc\"}}", .ssh_key = KEY_A },
};

/* reasons that a decision of this run really gave where a test expected
 * them (test_table_covers_every_reason reads it, run last) */
static bool observed[DLG_REASON_COUNT];

static void test_table(void **state)
{
    size_t i, failures = 0;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dlg_verdict v;
        enum dlg_reason r = run_row(&rows[i], &v);
        if (r != rows[i].want || v.reason != r) {
            print_error("row \"%s\": got %s (%s), want %s\n", rows[i].name, dlg_reason_str(r),
                        v.detail, dlg_reason_str(rows[i].want));
            failures++;
        } else {
            observed[r] = true;
        }
        assert_true(v.detail[0] != '\0');
        dlg_verdict_free(&v);
    }
    assert_int_equal(failures, 0);
}

/* Every reason of §3 that a decision can give was produced by a decision
 * of this run where a test expected it (nothing is marked by hand). */
static void test_table_covers_every_reason(void **state)
{
    int r;

    (void)state;
    for (r = 0; r < DLG_REASON_COUNT; r++)
        if (!observed[r])
            fail_msg("no test produced %s", dlg_reason_str((enum dlg_reason)r));
}

static enum dlg_reason decide_patch(const char *patch, struct dlg_verdict *v)
{
    struct row row = { "x", DLG_ADMIT, patch };

    return run_row(&row, v);
}

static enum dlg_reason decide_times(int64_t iat, int64_t exp, bool has_nbf, int64_t nbf)
{
    char patch[128];
    struct dlg_verdict v;
    enum dlg_reason r;

    if (has_nbf)
        snprintf(patch, sizeof(patch), "{\"iat\":%" PRId64 ",\"exp\":%" PRId64 ",\"nbf\":%" PRId64 "}",
                 iat, exp, nbf);
    else
        snprintf(patch, sizeof(patch), "{\"iat\":%" PRId64 ",\"exp\":%" PRId64 "}", iat, exp);
    r = decide_patch(patch, &v);
    dlg_verdict_free(&v);
    return r;
}

static void test_skew_boundaries(void **state)
{
    (void)state;
    /* exp: now - skew >= exp is expired */
    /* (iat stays >= revoke.issued_before = NOW - 100) */
    assert_int_equal(decide_times(NOW - 100, NOW - SKEW, false, 0), DLG_EXPIRED);
    assert_int_equal(decide_times(NOW - 100, NOW - SKEW + 1, false, 0), DLG_ADMIT);
    /* iat: up to now + skew */
    assert_int_equal(decide_times(NOW + SKEW, NOW + SKEW + 100, false, 0), DLG_ADMIT);
    assert_int_equal(decide_times(NOW + SKEW + 1, NOW + SKEW + 101, false, 0), DLG_ISSUED_IN_FUTURE);
    /* nbf likewise */
    assert_int_equal(decide_times(NOW, NOW + 300, true, NOW + SKEW), DLG_ADMIT);
    assert_int_equal(decide_times(NOW, NOW + 300, true, NOW + SKEW + 1), DLG_NOT_YET_VALID);
    /* lifetime: ci-deploy's max_lifetime = 900 */
    assert_int_equal(decide_times(NOW, NOW + 900, false, 0), DLG_ADMIT);
    assert_int_equal(decide_times(NOW, NOW + 901, false, 0), DLG_LIFETIME_TOO_LONG);
    assert_int_equal(decide_times(NOW - 100, NOW + 800, false, 0), DLG_ADMIT);
    assert_int_equal(decide_times(NOW - 100, NOW + 801, false, 0), DLG_LIFETIME_TOO_LONG);
}

static void test_lifetime_global_max(void **state)
{
    struct row row = { "wide", DLG_ADMIT, NULL, NULL, NULL, NULL, "wide" };
    char patch[128];
    struct dlg_verdict v;

    (void)state;
    /* an actor without its own max_lifetime gets tickets.max_lifetime */
    snprintf(patch, sizeof(patch), "{\"act\":{\"sub\":\"wide\"},\"exp\":%" PRId64 "}", NOW + 3600);
    row.patch = patch;
    assert_int_equal(run_row(&row, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    snprintf(patch, sizeof(patch), "{\"act\":{\"sub\":\"wide\"},\"exp\":%" PRId64 "}", NOW + 3601);
    assert_int_equal(run_row(&row, &v), DLG_LIFETIME_TOO_LONG);
    dlg_verdict_free(&v);
}

static void test_verdict_fields(void **state)
{
    struct row row = { "v", DLG_ADMIT, "{\"jti\":\"fields-1\",\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],"
                                      "\"apv\":[\"carol\"],\"runas\":[\"bob\",\"alice\"]}",
                       NULL, NULL, NULL, "support-bot", "sudo", "" };
    struct dlg_verdict v;

    (void)state;
    assert_int_equal(run_row(&row, &v), DLG_ADMIT);
    assert_int_equal(v.reason, DLG_ADMIT);
    assert_string_equal(v.iss, "corp");
    assert_string_equal(v.kid, "k-ed");
    assert_string_equal(v.sub, "alice");
    assert_string_equal(v.actor, "support-bot");
    assert_string_equal(v.jti, "fields-1");
    assert_int_equal(v.iat, NOW);
    assert_int_equal(v.exp, NOW + 300);
    assert_int_equal(v.runas.n, 2);
    assert_string_equal(v.runas.v[0], "bob");
    assert_string_equal(v.runas.v[1], "alice");
    assert_int_equal(dlg_check_runas(cfg, &v, "bob"), DLG_ADMIT);
    assert_int_equal(dlg_check_runas(cfg, &v, "alice"), DLG_ADMIT);
    assert_int_equal(dlg_check_runas(cfg, &v, "carol"), DLG_RUNAS_NOT_ALLOWED);
    assert_int_equal(dlg_check_runas(cfg, &v, "root"), DLG_RUNAS_NOT_ALLOWED);
    assert_int_equal(dlg_check_runas(cfg, &v, NULL), DLG_RUNAS_NOT_ALLOWED);
    assert_int_equal(dlg_check_runas(NULL, &v, "bob"), DLG_CONFIG_ERROR);
    assert_null(v.cnf_ssh);                 /* unbound */
    dlg_verdict_free(&v);

    /* a bound ticket: cnf in the verdict, also when the key is refused
     * (the audit line names the key the ticket demanded) */
    row.patch = "{\"cnf\":{\"ssh\":\"" KEY_A "\"}}";
    row.user = NULL;
    row.service = NULL;
    row.rhost = NULL;
    row.ssh_key = KEY_A;
    assert_int_equal(run_row(&row, &v), DLG_ADMIT);
    assert_string_equal(v.cnf_ssh, KEY_A);
    dlg_verdict_free(&v);
    row.ssh_key = KEY_B;
    assert_int_equal(run_row(&row, &v), DLG_KEY_MISMATCH);
    assert_string_equal(v.cnf_ssh, KEY_A);
    dlg_verdict_free(&v);
    row.ssh_key = NULL;
    row.patch = "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"]}";
    row.user = "support-bot";
    row.service = "sudo";
    row.rhost = "";

    /* default runas is [sub]; the kid is the configured one when omitted */
    row.patch = "{\"act\":{\"sub\":\"support-bot\"},\"svc\":[\"sudo\"],\"apv\":[\"carol\"]}";
    row.header = "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}";
    assert_int_equal(run_row(&row, &v), DLG_ADMIT);
    assert_string_equal(v.kid, "k-ed");
    assert_int_equal(v.runas.n, 1);
    assert_string_equal(v.runas.v[0], "alice");
    assert_int_equal(dlg_check_runas(cfg, &v, "alice"), DLG_ADMIT);
    assert_int_equal(dlg_check_runas(cfg, &v, "bob"), DLG_RUNAS_NOT_ALLOWED);
    dlg_verdict_free(&v);

    /* a forged ticket's claims stay out of the verdict */
    row.sign_as = "junk";
    row.patch = "{\"jti\":\"forged-1\",\"sub\":\"root\"}";
    row.header = NULL;
    row.user = NULL;
    row.service = NULL;
    assert_int_equal(run_row(&row, &v), DLG_BAD_SIGNATURE);
    assert_string_equal(v.iss, "corp");
    assert_null(v.jti);
    assert_null(v.sub);
    assert_int_equal(dlg_check_runas(cfg, &v, "root"), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
}

static void test_tampered_payload(void **state)
{
    json_t *c1 = claims_with(NULL), *c2 = claims_with("{\"sub\":\"release\"}");
    char *t1 = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c1);
    char *t2 = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c2);
    char *mix;
    struct dlg_request req = default_request();
    struct dlg_verdict v;
    const char *p2 = strchr(t2, '.'), *s1 = strrchr(t1, '.');

    (void)state;
    /* header and signature of t1, payload of t2 */
    assert_true(asprintf(&mix, "%.*s%.*s%s", (int)(strchr(t1, '.') - t1), t1,
                         (int)(strrchr(t2, '.') - p2), p2, s1) > 0);
    assert_int_equal(dlg_decide_lazy(cfg, mix, strlen(mix), &req, &v, NULL), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    assert_int_equal(dlg_decide_lazy(cfg, t1, strlen(t1), &req, &v, NULL), DLG_ADMIT);
    dlg_verdict_free(&v);
    /* the ticket length is honoured: a prefix is not the ticket */
    assert_int_not_equal(dlg_decide_lazy(cfg, t1, strlen(t1) - 2, &req, &v, NULL), DLG_ADMIT);
    dlg_verdict_free(&v);
    free(mix);
    free(t1);
    free(t2);
    json_decref(c1);
    json_decref(c2);
}

/* The signed part of good with another signature. */
static char *es256_with_sig(const char *good, const unsigned char *sig, size_t siglen)
{
    char *b = dlg_b64url_encode(sig, siglen), *out;

    assert_true(asprintf(&out, "%.*s.%s", (int)(strrchr(good, '.') - good), good, b) > 0);
    free(b);
    return out;
}

static void test_es256_signature_forms(void **state)
{
    json_t *c = claims_with("{\"iss\":\"ec\"}");
    char *good = tl_mint(tl_key("p256"), "ES256", "k-ec", c);
    unsigned char *raw;
    size_t rawlen;
    const char *sigpart = strrchr(good, '.') + 1;
    struct dlg_request req = default_request();
    struct dlg_verdict v;
    unsigned char buf[80];
    char *tk;

    (void)state;
    assert_int_equal(dlg_b64url_decode(sigpart, strlen(sigpart), &raw, &rawlen), 0);
    assert_int_equal(rawlen, 64);
    /* the good one */
    tk = es256_with_sig(good, raw, 64);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_ADMIT);
    dlg_verdict_free(&v);
    free(tk);
    /* 63 and 65 bytes */
    tk = es256_with_sig(good, raw, 63);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(tk);
    memcpy(buf, raw, 64);
    buf[64] = 0;
    tk = es256_with_sig(good, buf, 65);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(tk);
    /* r = 0 with the good s; s = 0 with the good r */
    memcpy(buf, raw, 64);
    memset(buf, 0, 32);
    tk = es256_with_sig(good, buf, 64);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(tk);
    memcpy(buf, raw, 64);
    memset(buf + 32, 0, 32);
    tk = es256_with_sig(good, buf, 64);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&v);
    free(tk);
    /* DER instead of raw r||s: a DER ECDSA-Sig-Value of r and s */
    {
        unsigned char der[80];
        size_t n = 0;
        der[n++] = 0x30;
        der[n++] = 0;  /* patched below */
        for (int part = 0; part < 2; part++) {
            const unsigned char *x = raw + 32 * part;
            der[n++] = 0x02;
            if (x[0] & 0x80) {
                der[n++] = 33;
                der[n++] = 0;
            } else {
                der[n++] = 32;
            }
            memcpy(der + n, x, 32);
            n += 32;
        }
        der[1] = (unsigned char)(n - 2);
        tk = es256_with_sig(good, der, n);
        assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_BAD_SIGNATURE);
        dlg_verdict_free(&v);
        free(tk);
    }
    free(raw);
    free(good);
    json_decref(c);
}

static void test_config_null(void **state)
{
    struct dlg_request req = default_request();
    struct dlg_verdict v;
    json_t *c = claims_with(NULL);
    char *tk = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c);

    (void)state;
    assert_int_equal(dlg_decide_lazy(NULL, tk, strlen(tk), &req, &v, NULL), DLG_CONFIG_ERROR);
    assert_int_equal(v.reason, DLG_CONFIG_ERROR);
    observed[DLG_CONFIG_ERROR] = true;
    assert_null(v.jti);
    dlg_verdict_free(&v);
    assert_int_equal(dlg_decide_lazy(NULL, "", 0, &req, &v, NULL), DLG_CONFIG_ERROR);
    dlg_verdict_free(&v);
    assert_int_equal(dlg_recheck(NULL, &v, "sshd", NOW), DLG_CONFIG_ERROR);
    free(tk);
    json_decref(c);
}

/* ---- single use ----------------------------------------------------------- */

static char *once_ticket(const char *extra_patch)
{
    json_t *c = claims_with(extra_patch);
    char *tk;

    json_object_set_new(c, "once", json_true());
    tk = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c);
    json_decref(c);
    return tk;
}

static enum dlg_reason decide_req(const char *tk, const struct dlg_request *req)
{
    struct dlg_verdict v;
    enum dlg_reason r = dlg_decide_lazy(cfg, tk, strlen(tk), req, &v, NULL);

    dlg_verdict_free(&v);
    return r;
}

static void test_once_consumed_once(void **state)
{
    char *tk = once_ticket(NULL);
    struct dlg_request req = default_request();
    char *again;

    (void)state;
    assert_int_equal(decide_req(tk, &req), DLG_ADMIT);
    assert_int_equal(decide_req(tk, &req), DLG_REPLAYED);
    assert_int_equal(decide_req(tk, &req), DLG_REPLAYED);
    observed[DLG_REPLAYED] = true;
    /* the very same claims signed again is the same ticket id: still used */
    {
        struct dlg_ticket t;
        assert_int_equal(dlg_ticket_parse(tk, strlen(tk), &t), DLG_ADMIT);
        assert_int_equal(dlg_once_check(once_dir, "corp", t.jti, (char[64]){ 0 }, 64), DLG_ONCE_USED);
        dlg_ticket_free(&t);
    }
    /* a ticket without once is reusable */
    again = mint_patch(NULL);
    assert_int_equal(decide_req(again, &req), DLG_ADMIT);
    assert_int_equal(decide_req(again, &req), DLG_ADMIT);
    free(again);
    free(tk);
}

static void test_once_verify_mode(void **state)
{
    char *tk = once_ticket(NULL);
    struct dlg_request req = default_request();

    (void)state;
    req.consume_once = false;
    assert_int_equal(decide_req(tk, &req), DLG_ADMIT);
    assert_int_equal(decide_req(tk, &req), DLG_ADMIT);
    req.consume_once = true;
    assert_int_equal(decide_req(tk, &req), DLG_ADMIT);
    req.consume_once = false;
    assert_int_equal(decide_req(tk, &req), DLG_REPLAYED);   /* verify sees the use */
    free(tk);
}

static void test_once_denied_not_consumed(void **state)
{
    char *tk = once_ticket(NULL);
    char *revoked = once_ticket("{\"jti\":\"revoked-1\"}");
    struct dlg_request req = default_request();
    struct dlg_ticket t;
    char err[128];

    (void)state;
    req.service = "sudo";                     /* service_not_allowed */
    assert_int_equal(decide_req(tk, &req), DLG_SERVICE_NOT_ALLOWED);
    req.service = "sshd";
    req.user = "wide";                        /* actor_mismatch */
    assert_int_equal(decide_req(tk, &req), DLG_ACTOR_MISMATCH);
    req.user = "ci-deploy";
    req.now = NOW + 1000;                     /* expired */
    assert_int_equal(decide_req(tk, &req), DLG_EXPIRED);
    req.now = NOW;
    assert_int_equal(decide_req(tk, &req), DLG_ADMIT);
    assert_int_equal(decide_req(tk, &req), DLG_REPLAYED);

    /* revocation comes before single use: the marker is never written */
    assert_int_equal(decide_req(revoked, &req), DLG_REVOKED_TICKET);
    assert_int_equal(dlg_ticket_parse(revoked, strlen(revoked), &t), DLG_ADMIT);
    assert_int_equal(dlg_once_check(once_dir, "corp", t.jti, err, sizeof(err)), DLG_ONCE_FRESH);
    dlg_ticket_free(&t);
    free(tk);
    free(revoked);
}

struct racer {
    const char *ticket;
    pthread_barrier_t *barrier;
    enum dlg_reason result;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct dlg_request req = default_request();
    struct dlg_verdict v;

    pthread_barrier_wait(r->barrier);
    r->result = dlg_decide_lazy(cfg, r->ticket, strlen(r->ticket), &req, &v, NULL);
    dlg_verdict_free(&v);
    return NULL;
}

static void test_once_race(void **state)
{
    enum { N = 20 };
    pthread_t th[N];
    struct racer rs[N];
    pthread_barrier_t barrier;
    int round, i, admits, replays;

    (void)state;
    for (round = 0; round < 5; round++) {
        char *tk = once_ticket(NULL);
        pthread_barrier_init(&barrier, NULL, N);
        for (i = 0; i < N; i++) {
            rs[i] = (struct racer){ tk, &barrier, DLG_CONFIG_ERROR };
            assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
        }
        admits = replays = 0;
        for (i = 0; i < N; i++) {
            pthread_join(th[i], NULL);
            admits += rs[i].result == DLG_ADMIT;
            replays += rs[i].result == DLG_REPLAYED;
        }
        pthread_barrier_destroy(&barrier);
        assert_int_equal(admits, 1);
        assert_int_equal(replays, N - 1);
        free(tk);
    }
}

static void test_once_unusable_dir(void **state)
{
    char *tk = once_ticket(NULL);
    char *bad = tl_path(dir, "once-bad");
    struct dlg_request req = default_request();
    struct dlg_verdict v;

    (void)state;
    /* a group-writable marker dir cannot be trusted: deny, never admit */
    assert_int_equal(mkdir(bad, 0777), 0);
    assert_int_equal(chmod(bad, 0777), 0);
    req.once_dir = bad;
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_CONFIG_ERROR);
    assert_non_null(strstr(v.detail, "single use"));
    dlg_verdict_free(&v);
    /* a plain file where the dir should be */
    free(tl_write_file(dir, "once-file", "x", 0600));
    free(bad);
    bad = tl_path(dir, "once-file");
    req.once_dir = bad;
    assert_int_equal(decide_req(tk, &req), DLG_CONFIG_ERROR);
    free(bad);
    free(tk);
}

/* ---- revocation at scale, recheck ------------------------------------------ */

static void test_many_revoked(void **state)
{
    size_t cap = 10000 * 32, len = 0;
    char *ids = malloc(cap);
    struct dlg_config *big;
    struct dlg_keyring bigkr;
    struct dlg_request req = default_request();
    struct dlg_verdict v;
    struct timespec t0, t1;
    double per;
    char *tk;
    int i;

    (void)state;
    for (i = 0; i < 10000; i++)
        len += (size_t)snprintf(ids + len, cap - len, ", \"rv-%05d\"", i);
    big = make_config("big.conf", ids, "");
    free(ids);
    assert_non_null(big);
    assert_true(big->revoked_tickets.n >= 10001);
    assert_int_equal(dlg_keyring_load(big, &bigkr, NULL), 0);

    tk = mint_patch("{\"jti\":\"rv-05000\"}");
    assert_int_equal(dlg_decide_lazy(big, tk, strlen(tk), &req, &v, NULL), DLG_REVOKED_TICKET);
    dlg_verdict_free(&v);
    free(tk);
    tk = mint_patch("{\"jti\":\"rv-09999\"}");
    assert_int_equal(dlg_decide_lazy(big, tk, strlen(tk), &req, &v, NULL), DLG_REVOKED_TICKET);
    dlg_verdict_free(&v);
    free(tk);
    tk = mint_patch("{\"jti\":\"rv-10000\"}");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < 200; i++) {
        assert_int_equal(dlg_decide_lazy(big, tk, strlen(tk), &req, &v, NULL), DLG_ADMIT);
        dlg_verdict_free(&v);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    per = ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9) / 200;
    /* reported, not judged: how fast is the machine's business (the lookup
     * is shown to be a binary search in test_config's test_many_revoked_ids) */
    print_message("# decision with 10,000 revoked ids: %.1f us\n", per * 1e6);
    free(tk);
    dlg_keyring_free(&bigkr);
    dlg_config_free(big);
}

static void test_recheck(void **state)
{
    struct row row = { "r", DLG_ADMIT, "{\"jti\":\"recheck-1\"}" };
    struct dlg_verdict v, bad;
    struct dlg_config *c2;

    (void)state;
    assert_int_equal(run_row(&row, &v), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sshd", NOW), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sshd", NOW + 300 + SKEW - 1), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sshd", NOW + 300 + SKEW), DLG_EXPIRED);
    assert_int_equal(dlg_recheck(cfg, &v, "sudo", NOW), DLG_SERVICE_NOT_ALLOWED);
    assert_int_equal(dlg_recheck(NULL, &v, "sshd", NOW), DLG_CONFIG_ERROR);

    /* the ticket id revoked after admission */
    c2 = make_config("revoked-ticket.conf", ", { id = \"recheck-1\"; }", "");
    assert_non_null(c2);
    assert_int_equal(dlg_recheck(c2, &v, "sshd", NOW), DLG_REVOKED_TICKET);
    dlg_config_free(c2);
    /* the actor revoked after admission */
    c2 = make_config("revoked-actor.conf", "", ", \"ci-deploy\"");
    assert_non_null(c2);
    assert_int_equal(dlg_recheck(c2, &v, "sshd", NOW), DLG_REVOKED_ACTOR);
    dlg_config_free(c2);
    /* key_binding = "required" (issue 18 item 8): a bound verdict of the
     * keyed actor passes; the same verdict without its cnf (a ticket that
     * was unbound when the actor was not yet "required") does not */
    {
        struct row keyed = { "keyed", DLG_ADMIT,
                             "{\"act\":{\"sub\":\"keyed\"},\"cnf\":{\"ssh\":\"" KEY_A "\"}}",
                             NULL, NULL, NULL, "keyed", .ssh_key = KEY_A };
        struct dlg_verdict kv;
        char *cnf;

        assert_int_equal(run_row(&keyed, &kv), DLG_ADMIT);
        assert_int_equal(dlg_recheck(cfg, &kv, "sshd", NOW), DLG_ADMIT);
        cnf = kv.cnf_ssh;
        kv.cnf_ssh = NULL;
        assert_int_equal(dlg_recheck(cfg, &kv, "sshd", NOW), DLG_KEY_REQUIRED);
        kv.cnf_ssh = cnf;
        dlg_verdict_free(&kv);
    }
    /* a denied verdict never passes the recheck */
    row.sign_as = "junk";
    assert_int_equal(run_row(&row, &bad), DLG_BAD_SIGNATURE);
    assert_int_equal(dlg_recheck(cfg, &bad, "sshd", NOW), DLG_BAD_SIGNATURE);
    dlg_verdict_free(&bad);
    {
        struct dlg_verdict empty;
        memset(&empty, 0, sizeof(empty));
        assert_int_not_equal(dlg_recheck(cfg, &empty, "sshd", NOW), DLG_ADMIT);
    }
    dlg_verdict_free(&v);
}


/* ---- keys and minting -------------------------------------------------------- */

static int load_keyring_for(const char *keyfile, struct dlg_diag *diag, struct dlg_keyring *out)
{
    char *text, *path;
    struct dlg_config *c;
    int rc;

    if (asprintf(&text,
                 "version = 1;\nhost = { name = \"web01\"; };\n"
                 "issuers = ( { id = \"x\"; principals = [\"*\"]; algorithms = [\"EdDSA\", \"ES256\", \"RS256\"];\n"
                 "  keys = ( { kid = \"k\"; file = \"%s\"; } ); } );\n"
                 "accounts = { uid_min = 62001; uid_max = 62999; gid = 62000; };\n"
                 "actors = ( { name = \"a\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"]; } );\n",
                 keyfile) < 0)
        abort();
    path = tl_write_file(dir, "keytest.conf", text, 0644);
    c = tl_load_config(path);
    free(text);
    free(path);
    if (!c)
        return -2;
    rc = dlg_keyring_load(c, out, diag);
    if (rc == 0) {
        assert_int_equal(out->nkeys, 1);
        dlg_keyring_free(out);
    }
    dlg_config_free(c);
    return rc;
}

static void expect_key_refused(const char *keyfile, const char *msg_part)
{
    struct dlg_diag diag;
    struct dlg_keyring k;

    memset(&diag, 0, sizeof(diag));
    assert_int_equal(load_keyring_for(keyfile, &diag, &k), -1);
    assert_int_equal(k.nkeys, 0);
    assert_null(k.keys);
    assert_true(diag.errors.n >= 1);
    if (msg_part && !strstr(diag.errors.v[0], msg_part))
        fail_msg("diag \"%s\" lacks \"%s\"", diag.errors.v[0], msg_part);
    dlg_diag_free(&diag);
}

/* DESIGN.md §3 rule 9, §6a: a revocation feed this host follows and has no
 * verified version of (its revocation file in DLG_FEED_REVOKED_DIR does not
 * exist: this test names a feed no host has), or whose version expired, is
 * stale: an otherwise good ticket is feed_stale, in the decision and in the
 * account recheck; a revocation still gives its own reason; watch ends a
 * session for it only under on_stale = "end". */
static struct dlg_config *feed_config(const char *name, const char *on_stale)
{
    char *text, *path;
    struct dlg_config *c;

    if (asprintf(&text, config_fmt, dir, "", "", NOW - 100) < 0)
        abort();
    char *more;
    if (asprintf(&more, "%sfeeds = ( { id = \"unit-%ld-%s\"; key = \"%s/ed.pub\";\n"
                 "  file = \"/nonexistent/feed.jws\"; refresh = 5; on_stale = \"%s\"; } );\n",
                 text, (long)getpid(), on_stale, dir, on_stale) < 0)
        abort();
    path = tl_write_file(dir, name, more, 0644);
    c = tl_load_config(path);
    free(text);
    free(more);
    free(path);
    return c;
}

static void test_feed_stale(void **state)
{
    struct dlg_config *c = feed_config("feed-refuse.conf", "refuse");
    struct dlg_config *saved = cfg;
    struct row good = { "feed", DLG_FEED_STALE }, revoked = { "feed", DLG_REVOKED_TICKET,
                                                             "{\"jti\":\"revoked-1\"}" };
    struct dlg_verdict v;
    struct dlg_session s;

    (void)state;
    assert_non_null(c);
    assert_int_equal(c->nfeeds, 1);
    assert_false(c->feeds[0].fetched);
    assert_int_equal(c->feeds[0].refresh, 5);
    assert_false(c->feeds[0].on_stale_end);
    assert_non_null(dlg_config_feed_stale(c, NOW, false));
    cfg = c;
    /* never fetched */
    assert_int_equal(run_row(&good, &v), DLG_FEED_STALE);
    assert_non_null(strstr(v.detail, "never fetched"));
    observed[DLG_FEED_STALE] = true;
    assert_int_equal(dlg_recheck(c, &v, "sshd", NOW), DLG_FEED_STALE);
    dlg_verdict_free(&v);
    assert_int_equal(run_row(&revoked, &v), DLG_REVOKED_TICKET);
    dlg_verdict_free(&v);
    /* a version that is valid until NOW + 10, then at its exp */
    c->feeds[0].fetched = true;
    c->feeds[0].ver = 3;
    c->feeds[0].iat = NOW - 50;
    c->feeds[0].exp = NOW + 10;
    good.want = DLG_ADMIT;
    assert_int_equal(run_row(&good, &v), DLG_ADMIT);
    assert_int_equal(dlg_recheck(c, &v, "sshd", NOW + 9), DLG_ADMIT);
    assert_int_equal(dlg_recheck(c, &v, "sshd", NOW + 10), DLG_FEED_STALE);
    /* watch: refuse keeps live sessions going, end ends them */
    memset(&s, 0, sizeof(s));
    s.iss = v.iss;
    s.kid = v.kid;
    s.principal = v.sub;
    s.actor = v.actor;
    s.jti = v.jti;
    s.service = (char *)"sshd";
    s.iat = v.iat;
    s.expires = v.exp;
    assert_null(dlg_end_reason(&s, c, NOW + 10));
    c->feeds[0].on_stale_end = true;
    assert_int_equal(dlg_config_feed_next_end(c, NOW), NOW + 10);
    assert_null(dlg_end_reason(&s, c, NOW + 9));
    assert_string_equal(dlg_end_reason(&s, c, NOW + 10), "feed_stale");
    assert_int_equal(dlg_config_feed_next_end(c, NOW + 10), INT64_MAX);
    dlg_verdict_free(&v);
    cfg = saved;
    dlg_config_free(c);

    c = feed_config("feed-end.conf", "end");
    assert_non_null(c);
    assert_true(c->feeds[0].on_stale_end);
    assert_non_null(dlg_config_feed_stale(c, NOW, true));
    dlg_config_free(c);
}

static void test_keyring(void **state)
{
    struct dlg_keyring k;
    char *p, *link;
    EVP_PKEY *p384 = tl_new_key("p384"), *rsa1024 = tl_new_key("rsa1024");

    (void)state;
    /* good keys of each type */
    p = tl_path(dir, "ed.pub");
    assert_int_equal(load_keyring_for(p, NULL, &k), 0);
    free(p);
    p = tl_path(dir, "ec.pub");
    assert_int_equal(load_keyring_for(p, NULL, &k), 0);
    free(p);
    p = tl_path(dir, "rsa.pub");
    assert_int_equal(load_keyring_for(p, NULL, &k), 0);
    free(p);
    /* a private key is refused even though it holds the public half */
    p = tl_write_priv(dir, "issuer-private", tl_key("ed25519"));
    assert_int_equal(chmod(p, 0644), 0);
    expect_key_refused(p, "private key");
    free(p);
    /* a private key followed by its public key: still refused */
    {
        char *priv = tl_path(dir, "issuer-private.key");
        char *a = tl_read_file(priv, NULL), *b, *both;
        char *pub = tl_path(dir, "ed.pub");
        b = tl_read_file(pub, NULL);
        assert_true(asprintf(&both, "%s%s", a, b) > 0);
        free(tl_write_file(dir, "both.pub", both, 0644));
        free(both);
        free(a);
        free(b);
        free(pub);
        free(priv);
        p = tl_path(dir, "both.pub");
        expect_key_refused(p, "private key");
        free(p);
    }
    /* other curves, short RSA, garbage */
    p = tl_write_pub(dir, "p384", p384);
    expect_key_refused(p, "P-256");
    free(p);
    p = tl_write_pub(dir, "rsa1024", rsa1024);
    expect_key_refused(p, "2048");
    free(p);
    p = tl_write_file(dir, "garbage.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0644);
    expect_key_refused(p, "PEM public key");
    free(p);
    /* an untrusted file: world-writable, or a symlink, or missing */
    p = tl_write_pub(dir, "writable", tl_key("ed25519"));
    assert_int_equal(chmod(p, 0666), 0);
    expect_key_refused(p, NULL);
    link = tl_path(dir, "link.pub");
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(symlink(p, link), 0);
    expect_key_refused(link, NULL);
    free(link);
    free(p);
    p = tl_path(dir, "missing.pub");
    expect_key_refused(p, NULL);
    free(p);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa1024);
}

static void test_keyring_find(void **state)
{
    const struct dlg_loaded_key *lk;

    (void)state;
    lk = dlg_keyring_find(&kr, "corp", "k-ed");
    assert_non_null(lk);
    assert_int_equal(lk->type, DLG_KEY_ED25519);
    lk = dlg_keyring_find(&kr, "corp", NULL);
    assert_non_null(lk);
    assert_string_equal(lk->key->kid, "k-ed");
    assert_int_equal(dlg_keyring_find(&kr, "ec", "k-ec")->type, DLG_KEY_EC_P256);
    assert_int_equal(dlg_keyring_find(&kr, "rsa", "k-rsa")->type, DLG_KEY_RSA);
    assert_null(dlg_keyring_find(&kr, "multi", NULL));
    assert_non_null(dlg_keyring_find(&kr, "multi", "m2"));
    assert_null(dlg_keyring_find(&kr, "corp", "k-ec"));
    assert_null(dlg_keyring_find(&kr, "nobody", NULL));
    assert_null(dlg_keyring_find(&kr, NULL, NULL));
}

static void test_sign_api(void **state)
{
    char err[256], *keyfile, *tk;
    EVP_PKEY *k;
    json_t *c;
    struct dlg_request req = default_request();
    struct dlg_verdict v;
    unsigned char *sig;
    size_t siglen;

    (void)state;
    keyfile = tl_write_priv(dir, "minting", tl_key("ed25519"));
    k = dlg_load_private_key(keyfile, err, sizeof(err));
    assert_non_null(k);
    assert_string_equal(dlg_key_default_alg(k), "EdDSA");
    /* the ticket of a realistic issue stays far below sudo's 512 bytes */
    c = claims_with("{\"jti\":\"01JDX3ABCDEFGHJKMNPQRSTVWX\",\"aud\":[\"web01\",\"web01.example.com\"]}");
    tk = dlg_sign_ticket(k, "EdDSA", "k-ed", NULL, c, err, sizeof(err));
    assert_non_null(tk);
    assert_true(strlen(tk) < 512);
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_ADMIT);
    dlg_verdict_free(&v);
    free(tk);
    /* typ "" omits the header: wrong_type for a dlg+jwt issuer */
    tk = dlg_sign_ticket(k, "EdDSA", "k-ed", "", c, err, sizeof(err));
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_WRONG_TYPE);
    dlg_verdict_free(&v);
    free(tk);
    /* an alg that does not fit the key is refused when minting */
    assert_null(dlg_sign_ticket(k, "ES256", "k-ed", NULL, c, err, sizeof(err)));
    assert_int_equal(dlg_sign_data(k, "HS256", (const unsigned char *)"x", 1, &sig, &siglen, err,
                                   sizeof(err)), -1);
    json_decref(c);
    EVP_PKEY_free(k);
    /* a private key readable by others is refused, like ssh does */
    assert_int_equal(chmod(keyfile, 0640), 0);
    assert_null(dlg_load_private_key(keyfile, err, sizeof(err)));
    assert_non_null(strstr(err, "group or others"));
    /* a public key is no private key */
    free(keyfile);
    keyfile = tl_path(dir, "ed.pub");
    assert_int_equal(chmod(keyfile, 0600), 0);
    assert_null(dlg_load_private_key(keyfile, err, sizeof(err)));
    assert_int_equal(chmod(keyfile, 0644), 0);
    free(keyfile);
    /* keygen writes refuse to overwrite */
    keyfile = tl_path(dir, "ed.pub");
    assert_int_equal(dlg_write_public_key(keyfile, tl_key("ed25519"), err, sizeof(err)), -1);
    free(keyfile);
    assert_null(dlg_keygen("dsa", err, sizeof(err)));
    /* ES256 / RS256 / PS256 minted by the API verify */
    {
        static const struct { const char *iss, *alg, *kid, *key; } m[] = {
            { "ec", "ES256", "k-ec", "p256" }, { "rsa", "RS256", "k-rsa", "rsa2048" },
            { "rsa", "PS256", "k-rsa", "rsa2048" },
        };
        size_t i;
        for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
            char patch[64];
            snprintf(patch, sizeof(patch), "{\"iss\":\"%s\"}", m[i].iss);
            c = claims_with(patch);
            tk = dlg_sign_ticket(tl_key(m[i].key), m[i].alg, m[i].kid, NULL, c, err, sizeof(err));
            assert_non_null(tk);
            assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_ADMIT);
            dlg_verdict_free(&v);
            free(tk);
            json_decref(c);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_skew_boundaries),
        cmocka_unit_test(test_lifetime_global_max),
        cmocka_unit_test(test_verdict_fields),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_es256_signature_forms),
        cmocka_unit_test(test_config_null),
        cmocka_unit_test(test_once_consumed_once),
        cmocka_unit_test(test_once_verify_mode),
        cmocka_unit_test(test_once_denied_not_consumed),
        cmocka_unit_test(test_once_race),
        cmocka_unit_test(test_once_unusable_dir),
        cmocka_unit_test(test_many_revoked),
        cmocka_unit_test(test_recheck),
        cmocka_unit_test(test_keyring),
        cmocka_unit_test(test_keyring_find),
        cmocka_unit_test(test_sign_api),
        cmocka_unit_test(test_feed_stale),
        cmocka_unit_test(test_table_covers_every_reason),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
