/* The adversarial ticket catalogue, shared by tests/adversarial (which
 * asserts each expected outcome against dlg_decide_lazy) and tests/fuzz (whose
 * seed corpora are these tickets).  Every case names the key that signs it,
 * how it is signed (see tl_mint_raw: a real alg, "HS256-pub", "zero64",
 * "junk", "strip", or "raw" = the header/claims fields are the whole ticket
 * text), a header and claims template, the request it is presented with and
 * the reason dlg_decide_lazy must give.
 *
 * Templates: @NOW@ = now, @EXP@ = now + 300, @NOW-N@ / @NOW+N@ = now -/+ N
 * seconds (N decimal). */
#ifndef DLG_ADV_CATALOGUE_H
#define DLG_ADV_CATALOGUE_H

#include "ticket/reason.h"

/* The fixed config of both suites; @KEYDIR@ is the dir holding ed.pub,
 * ec.pub and rsa.pub. */
#define ADV_CONFIG \
    "version = 1;\n" \
    "host = { name = \"web01\"; aliases = [\"web01.example.com\"]; };\n" \
    "tickets = { clock_skew = 60; max_lifetime = 3600; };\n" \
    "issuers = (\n" \
    "  { id = \"corp\"; algorithms = [\"EdDSA\", \"ES256\", \"RS256\", \"PS256\"]; principals = [\"*\"];\n" \
    "    keys = ( { kid = \"ed\"; file = \"@KEYDIR@/ed.pub\"; },\n" \
    "             { kid = \"ec\"; file = \"@KEYDIR@/ec.pub\"; },\n" \
    "             { kid = \"rsa\"; file = \"@KEYDIR@/rsa.pub\"; } ); },\n" \
    "  { id = \"alice\"; algorithms = [\"Ed25519\"]; principals = [\"alice\"]; typ = \"JWT\";\n" \
    "    keys = ( { kid = \"a1\"; file = \"@KEYDIR@/ed.pub\"; } ); },\n" \
    "  { id = \"old\"; algorithms = [\"ES256\"]; principals = [\"*\"];\n" \
    "    keys = ( { kid = \"k-old\"; file = \"@KEYDIR@/ec.pub\"; } ); },\n" \
    "  { id = \"gone\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n" \
    "    keys = ( { kid = \"g1\"; file = \"@KEYDIR@/ed.pub\"; } ); }\n" \
    ");\n" \
    "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n" \
    "actors = (\n" \
    "  { name = \"ci-deploy\"; uid = 62001; groups = [\"deployers\"]; principals = [\"alice\", \"release\"];\n" \
    "    services = [\"sshd\"]; sources = [\"10.0.0.0/8\", \"127.0.0.1/32\", \"2001:db8::/32\"];\n" \
    "    max_lifetime = 900; approvals = 0; },\n" \
    "  { name = \"support-bot\"; uid = 62002; principals = [\"*\"]; services = [\"sudo\", \"sshd\"];\n" \
    "    runas = [\"alice\", \"bob\"]; approvals = 1; },\n" \
    "  { name = \"gone-bot\"; uid = 62003; principals = [\"*\"]; services = [\"sshd\"]; },\n" \
    "  { name = \"sudo-bot\"; uid = 62004; principals = [\"*\"]; services = [\"sudo\"]; },\n" \
    "  { name = \"ci-strict\"; uid = 62005; principals = [\"alice\"]; services = [\"sshd\"];\n" \
    "    key_binding = \"required\"; }\n" \
    ");\n" \
    "groups = ( { name = \"deployers\"; gid = 62100; } );\n" \
    "audit = { syslog = false; };\n" \
    "revoke = { tickets = ( { id = \"revoked-1\"; } ); actors = [\"gone-bot\"]; principals = [\"mallory\"];\n" \
    "           issuers = [\"gone\"]; keys = [\"k-old\"]; issued_before = 1799999000; };\n"

/* The catalogue's "now" (tickets are minted around it). */
#define ADV_NOW 1800000000LL
#define ADV_ISSUED_BEFORE 1799999000LL

/* Requests: 0 sshd as ci-deploy from 10.1.2.3; 1 sudo as support-bot to
 * alice; 2 sshd as support-bot from 2001:db8::1; 3 sshd as gone-bot; 4 sudo
 * as sudo-bot (no runas list of its own) to root;
 * (key binding, ADV_KEY_A = the ssh key proven in the connection)
 * 5 = 0 with ADV_KEY_A; 6 = 1 inside a session of ADV_KEY_A;
 * 7 sshd as ci-strict (key_binding = "required") with ADV_KEY_A. */
#define ADV_NREQ 8
#define ADV_KEY_A "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"
#define ADV_KEY_B "SHA256:gCHqGlLTEWVEj1qVdKeod1rKsfAi1dNTKWh9AUnpj7Q"

struct adv_case {
    const char *name;
    const char *key;            /* "ed", "ec", "rsa" */
    const char *sign_as;
    const char *header;
    const char *claims;
    int req;
    enum dlg_reason expect;
};

#define H_ED   "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}"
#define H_EC   "{\"alg\":\"ES256\",\"typ\":\"dlg+jwt\",\"kid\":\"ec\"}"
#define H_RS   "{\"alg\":\"RS256\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}"
#define H_PS   "{\"alg\":\"PS256\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}"
#define C_PRE  "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],"
#define C_OK   C_PRE "\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-1\"}"
/* support-bot through sudo to alice, one approver */
#define C_SUDO(extra) "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\"," \
    "\"svc\":[\"sudo\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-2\"" extra "}"
#define C_BOT(extra) "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\"," \
    "\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-3\"" extra "}"
#define C_CI(fields) "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\"," \
    "\"svc\":[\"sshd\"],\"jti\":\"adv-4\"," fields "}"

static const struct adv_case adv_cases[] = {
    /* --- admitted: one per algorithm and per feature (the control group) */
    {"ok_eddsa", "ed", "EdDSA", H_ED, C_OK, 0, DLG_ADMIT},
    {"ok_ed25519_name", "ed", "EdDSA", "{\"alg\":\"Ed25519\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_ADMIT},
    {"ok_es256", "ec", "ES256", H_EC, C_OK, 0, DLG_ADMIT},
    {"ok_rs256", "rsa", "RS256", H_RS, C_OK, 0, DLG_ADMIT},
    {"ok_ps256", "rsa", "PS256", H_PS, C_OK, 0, DLG_ADMIT},
    {"ok_personal_issuer_no_kid", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}",
     "{\"iss\":\"alice\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],"
     "\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-5\"}", 0, DLG_ADMIT},
    {"ok_sudo_runas_approved", "ed", "EdDSA", H_ED, C_SUDO(",\"runas\":[\"alice\"],\"apv\":[\"carol\"]"), 1, DLG_ADMIT},
    {"ok_sudo_default_runas", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"carol\",\"carol\"]"), 1, DLG_ADMIT},
    {"ok_ipv6_src", "ed", "EdDSA", H_ED, C_BOT(",\"src\":[\"2001:db8::/32\"],\"apv\":[\"carol\"]"), 2, DLG_ADMIT},
    {"ok_aud_alias_any_case", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":[\"x\",\"WEB01.Example.COM\"],"
     "\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-6\"}", 0, DLG_ADMIT},
    {"ok_single_use", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"once\":true"), 0, DLG_ADMIT},
    {"ok_lifetime_at_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW-100@,\"exp\":@NOW+800@"), 0, DLG_ADMIT},
    {"ok_exp_one_after_skew", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW-300@,\"exp\":@NOW-59@"), 0, DLG_ADMIT},

    /* --- alg none in every spelling, with and without a signature */
    {"alg_none", "ed", "strip", "{\"alg\":\"none\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_None", "ed", "strip", "{\"alg\":\"None\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_NONE", "ed", "strip", "{\"alg\":\"NONE\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_nOnE", "ed", "strip", "{\"alg\":\"nOnE\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_none_with_sig", "ed", "junk", "{\"alg\":\"none\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_none_no_kid", "ed", "strip", "{\"alg\":\"none\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_empty", "ed", "junk", "{\"alg\":\"\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_eddsa_lowercase", "ed", "junk", "{\"alg\":\"eddsa\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"alg_es512", "ec", "junk", "{\"alg\":\"ES512\",\"typ\":\"dlg+jwt\",\"kid\":\"ec\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},

    /* --- alg confusion: HMAC keyed with the public key, alg not fitting the key */
    {"hs256_with_ed_pub", "ed", "HS256-pub", "{\"alg\":\"HS256\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"hs256_with_rsa_pub", "rsa", "HS256-pub", "{\"alg\":\"HS256\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"hs256_with_ec_pub", "ec", "HS256-pub", "{\"alg\":\"HS256\",\"typ\":\"dlg+jwt\",\"kid\":\"ec\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"hs512_lowercase", "rsa", "HS256-pub", "{\"alg\":\"hs512\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"rs256_on_ed_key", "ed", "junk", "{\"alg\":\"RS256\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"eddsa_on_rsa_key", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"es256_on_rsa_key", "ec", "ES256", "{\"alg\":\"ES256\",\"typ\":\"dlg+jwt\",\"kid\":\"rsa\"}", C_OK, 0, DLG_UNSUPPORTED_ALG},
    {"ps256_signed_as_rs256", "rsa", "RS256", H_PS, C_OK, 0, DLG_BAD_SIGNATURE},
    {"rs256_signed_as_ps256", "rsa", "PS256", H_RS, C_OK, 0, DLG_BAD_SIGNATURE},
    {"es256_not_allowed_for_issuer", "ec", "ES256", "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"a1\"}",
     "{\"iss\":\"alice\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],"
     "\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"adv-7\"}", 0, DLG_UNSUPPORTED_ALG},

    /* --- kid path traversal and injection: keys come only from the config;
     * a kid outside [A-Za-z0-9._-] is refused by the parser */
    {"kid_dev_null", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"../../dev/null\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_abs_path", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"/etc/passwd\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_dot_slash", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"./ed\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_sql", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"x' OR '1'='1\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_shell", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed;rm -rf /\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_nul", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\\u0000x\"}", C_OK, 0, DLG_MALFORMED},
    {"kid_number", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":1}", C_OK, 0, DLG_MALFORMED},
    {"kid_other_issuer", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"a1\"}", C_OK, 0, DLG_UNKNOWN_KEY},
    {"kid_missing_multi_key", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\"}", C_OK, 0, DLG_UNKNOWN_KEY},

    /* --- header key injection: embedded or remote keys are refused */
    {"hdr_jwk", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}}", C_OK, 0, DLG_MALFORMED},
    {"hdr_jku", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\",\"jku\":\"https://evil.example/k\"}", C_OK, 0, DLG_MALFORMED},
    {"hdr_x5u", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\",\"x5u\":\"https://evil.example/c\"}", C_OK, 0, DLG_MALFORMED},
    {"hdr_x5c", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\",\"x5c\":[\"MIIB\"]}", C_OK, 0, DLG_MALFORMED},
    {"hdr_crit", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\",\"crit\":[\"exp\"]}", C_OK, 0, DLG_MALFORMED},
    {"hdr_dup_alg", "ed", "EdDSA", "{\"alg\":\"none\",\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_MALFORMED},
    {"hdr_not_object", "ed", "EdDSA", "[\"EdDSA\"]", C_OK, 0, DLG_MALFORMED},
    {"hdr_alg_number", "ed", "EdDSA", "{\"alg\":1,\"typ\":\"dlg+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_MALFORMED},
    {"typ_jwt_for_dlg_issuer", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed\"}", C_OK, 0, DLG_WRONG_TYPE},
    {"typ_missing", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", C_OK, 0, DLG_WRONG_TYPE},
    {"typ_other", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"ed\"}", C_OK, 0, DLG_WRONG_TYPE},

    /* --- psychic signatures and stripping */
    {"psychic_es256_zero", "ec", "zero64", H_EC, C_OK, 0, DLG_BAD_SIGNATURE},
    {"psychic_eddsa_zero", "ed", "zero64", H_ED, C_OK, 0, DLG_BAD_SIGNATURE},
    {"junk_rs256", "rsa", "junk", H_RS, C_OK, 0, DLG_BAD_SIGNATURE},
    {"sig_stripped", "ed", "strip", H_ED, C_OK, 0, DLG_MALFORMED},
    {"sig_stripped_es256", "ec", "strip", H_EC, C_OK, 0, DLG_MALFORMED},

    /* --- claim type confusion */
    {"exp_string", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":\"@EXP@\""), 0, DLG_MALFORMED},
    {"exp_fraction", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@.5"), 0, DLG_MALFORMED},
    {"exp_exponent", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":1.8e9"), 0, DLG_MALFORMED},
    {"iat_bool", "ed", "EdDSA", H_ED, C_CI("\"iat\":true,\"exp\":@EXP@"), 0, DLG_MALFORMED},
    {"exp_null", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":null"), 0, DLG_MALFORMED},
    {"exp_missing", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@"), 0, DLG_MALFORMED},
    {"act_string", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":\"ci-deploy\",\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"act_sub_array", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":[\"ci-deploy\"]},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"sub_array", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":[\"alice\"],\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"aud_number", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":1,\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"aud_object", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":{\"web01\":1},\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"aud_array_of_number", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":[\"web01\",2],\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"svc_string", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":\"sshd\",\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"once_string", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"once\":\"true\""), 0, DLG_MALFORMED},
    {"src_string", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"src\":\"10.0.0.0/8\""), 0, DLG_MALFORMED},
    {"src_bad_cidr", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"src\":[\"10.0.0.0/33\"]"), 0, DLG_MALFORMED},
    {"jti_slash", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"../x\"}", 0, DLG_MALFORMED},
    {"jti_65", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,"
     "\"jti\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", 0, DLG_MALFORMED},
    {"claims_dup_sub", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"sub\":\"root\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"claims_trailing", "ed", "EdDSA", H_ED, C_OK " {}", 0, DLG_MALFORMED},
    {"claims_not_object", "ed", "EdDSA", H_ED, "[1,2,3]", 0, DLG_MALFORMED},

    /* --- look-alike, control-character and NUL-bearing names (a look-alike
     * names no configured actor: unknown_actor comes before actor_mismatch;
     * a name outside the grammar of DESIGN.md §2 "Names" is malformed) */
    {"actor_cyrillic_es", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"\\u0441i-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"actor_nb_hyphen", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci\\u2011deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"actor_fullwidth", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"\\uff43i-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"actor_upper", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"CI-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_UNKNOWN_ACTOR},
    {"actor_trailing_space", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy \"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"actor_newline", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\\nevent=admit\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"sub_escape_seq", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"\\u001b[31malice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"actor_nul", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\\u0000\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"sub_nul", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\\u0000root\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"aud_nul", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\\u0000.evil\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},
    {"iss_nul", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\\u0000\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_MALFORMED},

    /* --- huge numbers and negative times (times beyond the parser's bound
     * are malformed, so no arithmetic on them can overflow) */
    {"exp_int64_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":9223372036854775807"), 0, DLG_MALFORMED},
    {"exp_beyond_int64", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":99999999999999999999999"), 0, DLG_MALFORMED},
    {"exp_1e400", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":1e400"), 0, DLG_MALFORMED},
    {"iat_int64_min", "ed", "EdDSA", H_ED, C_CI("\"iat\":-9223372036854775808,\"exp\":@EXP@"), 0, DLG_MALFORMED},
    {"iat_negative", "ed", "EdDSA", H_ED, C_CI("\"iat\":-1,\"exp\":@EXP@"), 0, DLG_MALFORMED},
    {"exp_negative", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":-1"), 0, DLG_MALFORMED},
    {"exp_before_iat", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@NOW-1@"), 0, DLG_MALFORMED},
    {"iat_far_future", "ed", "EdDSA", H_ED, C_CI("\"iat\":9223372036854775806,\"exp\":9223372036854775807"), 0, DLG_MALFORMED},
    {"nbf_int64_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"nbf\":9223372036854775807"), 0, DLG_MALFORMED},
    {"nbf_negative", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"nbf\":-5"), 0, DLG_MALFORMED},

    /* --- the clock edges */
    {"expired_at_skew", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW-300@,\"exp\":@NOW-60@"), 0, DLG_EXPIRED},
    {"issued_in_future", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW+61@,\"exp\":@NOW+300@"), 0, DLG_ISSUED_IN_FUTURE},
    {"not_yet_valid", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@NOW+300@,\"nbf\":@NOW+61@"), 0, DLG_NOT_YET_VALID},
    {"lifetime_over_actor_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW-100@,\"exp\":@NOW+801@"), 0, DLG_LIFETIME_TOO_LONG},

    /* --- scope */
    {"unknown_issuer", "ed", "EdDSA", H_ED,
     "{\"iss\":\"evil\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_UNKNOWN_ISSUER},
    {"wrong_audience", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web02\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_WRONG_AUDIENCE},
    {"aud_suffix", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01.evil\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_WRONG_AUDIENCE},
    {"unknown_actor_root", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"root\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_UNKNOWN_ACTOR},
    {"actor_mismatch", "ed", "EdDSA", H_ED, C_BOT(",\"apv\":[\"carol\"]"), 0, DLG_ACTOR_MISMATCH},
    {"service_not_in_ticket", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sudo\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_SERVICE_NOT_ALLOWED},
    {"principal_not_for_actor", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"bob\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_PRINCIPAL_NOT_ALLOWED},
    {"principal_not_for_issuer", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"a1\"}",
     "{\"iss\":\"alice\",\"sub\":\"release\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_PRINCIPAL_NOT_ALLOWED},
    {"source_not_in_ticket", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"src\":[\"192.168.0.0/16\"]"), 0, DLG_SOURCE_NOT_ALLOWED},
    {"source_without_rhost", "ed", "EdDSA", H_ED, C_SUDO(",\"src\":[\"0.0.0.0/0\"],\"apv\":[\"carol\"]"), 1, DLG_SOURCE_NOT_ALLOWED},
    {"runas_not_in_ticket", "ed", "EdDSA", H_ED, C_SUDO(",\"runas\":[\"bob\"],\"apv\":[\"carol\"]"), 1, DLG_RUNAS_NOT_ALLOWED},
    {"approval_missing", "ed", "EdDSA", H_ED, C_SUDO(""), 1, DLG_APPROVAL_REQUIRED},
    {"approval_by_principal", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"alice\"]"), 1, DLG_APPROVAL_REQUIRED},
    {"approval_by_actor", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"support-bot\"]"), 1, DLG_APPROVAL_REQUIRED},

    /* --- revocation */
    {"revoked_ticket", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"revoked-1\"}", 0, DLG_REVOKED_TICKET},
    {"revoked_actor", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"gone-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 3, DLG_REVOKED_ACTOR},
    {"revoked_principal", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"mallory\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"carol\"]}", 2, DLG_REVOKED_PRINCIPAL},
    {"revoked_issuer", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"g1\"}",
     "{\"iss\":\"gone\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_REVOKED_ISSUER},
    {"revoked_key", "ec", "ES256", "{\"alg\":\"ES256\",\"typ\":\"dlg+jwt\",\"kid\":\"k-old\"}",
     "{\"iss\":\"old\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_REVOKED_KEY},
    {"revoked_before", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW-1100@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"carol\"]}", 2, DLG_REVOKED_BEFORE},

    /* --- issue 11: runas widening, names, time extremes ------------------ */
    /* a personal key of alice (principals ["alice"]) minting runas root for
     * an actor without a runas list: was admitted through sudo as root */
    {"runas_personal_key_root", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"a1\"}",
     "{\"iss\":\"alice\",\"sub\":\"alice\",\"act\":{\"sub\":\"sudo-bot\"},\"aud\":\"web01\",\"svc\":[\"sudo\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"runas\":[\"root\"]}", 4, DLG_RUNAS_NOT_ALLOWED},
    /* an actor without runas: only the ticket's sub, whatever the ticket lists */
    {"runas_actor_default_sub", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"sudo-bot\"},\"aud\":\"web01\",\"svc\":[\"sudo\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"runas\":[\"root\"]}", 4, DLG_RUNAS_NOT_ALLOWED},
    {"runas_wildcard", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"sudo-bot\"},\"aud\":\"web01\",\"svc\":[\"sudo\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"runas\":[\"*\"]}", 4, DLG_MALFORMED},
    /* a sub the host could never revoke: was admitted through "*" */
    {"sub_with_space", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"evil admin\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"carol\"]}", 2, DLG_MALFORMED},
    {"sub_with_quote", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"a\\\"b\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"carol\"]}", 2, DLG_MALFORMED},
    {"sub_leading_dash", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"-alice\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"carol\"]}", 2, DLG_MALFORMED},
    {"apv_colon", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"support-bot\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"apv\":[\"c:d\"]}", 2, DLG_MALFORMED},
    {"kid_outside_jti_grammar", "ed", "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"e@d\"}", C_OK, 0, DLG_MALFORMED},
    /* unverified iss with a line separator and NEL: refused, and escaped in
     * every log (tests/unit/test_hardening.c) */
    {"iss_line_separator", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\\u2028event=admit\\u0085\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-deploy\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 0, DLG_UNKNOWN_ISSUER},
    {"time_exp_int64_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":9223372036854775807"), 0, DLG_MALFORMED},
    {"time_iat_int64_min", "ed", "EdDSA", H_ED, C_CI("\"iat\":-9223372036854775808,\"exp\":@EXP@"), 0, DLG_MALFORMED},
    {"time_nbf_int64_max", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"nbf\":9223372036854775807"), 0, DLG_MALFORMED},
    /* --- key binding (cnf.ssh, DESIGN.md §3 rule 10) */
    {"ok_bound_with_its_key", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 5, DLG_ADMIT},
    {"ok_unbound_with_a_key", "ed", "EdDSA", H_ED, C_OK, 5, DLG_ADMIT},
    {"ok_bound_es256", "ec", "ES256", H_EC, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 5, DLG_ADMIT},
    {"bound_no_key_used", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 0, DLG_KEY_MISMATCH},
    {"bound_other_key", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_B "\"}"), 5, DLG_KEY_MISMATCH},
    {"bound_key_case_changed", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"SHA256:qU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"}"), 5, DLG_KEY_MISMATCH},
    {"bound_forged_signature", "ed", "junk", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 5, DLG_BAD_SIGNATURE},
    {"bound_expired", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW-400@,\"exp\":@NOW-100@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 5, DLG_EXPIRED},
    {"ok_sudo_bound_in_keyed_session", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"carol\"],\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 6, DLG_ADMIT},
    {"sudo_bound_outside_session", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"carol\"],\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}"), 1, DLG_KEY_MISMATCH},
    {"sudo_bound_other_session_key", "ed", "EdDSA", H_ED, C_SUDO(",\"apv\":[\"carol\"],\"cnf\":{\"ssh\":\"" ADV_KEY_B "\"}"), 6, DLG_KEY_MISMATCH},
    {"strict_actor_unbound", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-strict\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\"}", 7, DLG_KEY_REQUIRED},
    {"ok_strict_actor_bound", "ed", "EdDSA", H_ED,
     "{\"iss\":\"corp\",\"sub\":\"alice\",\"act\":{\"sub\":\"ci-strict\"},\"aud\":\"web01\",\"svc\":[\"sshd\"],\"iat\":@NOW@,\"exp\":@EXP@,\"jti\":\"a\",\"cnf\":{\"ssh\":\"" ADV_KEY_A "\"}}", 7, DLG_ADMIT},
    {"cnf_string", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":\"" ADV_KEY_A "\""), 5, DLG_MALFORMED},
    {"cnf_extra_member", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"" ADV_KEY_A "\",\"jkt\":\"x\"}"), 5, DLG_MALFORMED},
    {"cnf_short", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx\"}"), 5, DLG_MALFORMED},
    {"cnf_base64url", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx_\"}"), 5, DLG_MALFORMED},
    {"cnf_md5", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{\"ssh\":\"MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48\"}"), 5, DLG_MALFORMED},
    {"cnf_null", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":null"), 0, DLG_MALFORMED},
    {"cnf_empty_object", "ed", "EdDSA", H_ED, C_CI("\"iat\":@NOW@,\"exp\":@EXP@,\"cnf\":{}"), 0, DLG_MALFORMED},

    /* --- framing: raw texts (header field = the whole ticket; @OK@ = ok_eddsa) */
    {"raw_empty", "ed", "raw", "", NULL, 0, DLG_NO_TICKET},
    {"raw_spaces", "ed", "raw", "  \n", NULL, 0, DLG_NO_TICKET},
    {"raw_one_part", "ed", "raw", "abc", NULL, 0, DLG_MALFORMED},
    {"raw_two_parts", "ed", "raw", "@OKH@.@OKP@", NULL, 0, DLG_MALFORMED},
    {"raw_four_parts", "ed", "raw", "@OK@.AAAA", NULL, 0, DLG_MALFORMED},
    {"raw_padding", "ed", "raw", "@OK@=", NULL, 0, DLG_MALFORMED},
    {"raw_std_b64", "ed", "raw", "@OKH@+.@OKP@.AAAA", NULL, 0, DLG_MALFORMED},
    {"raw_inner_space", "ed", "raw", "@OKH@ .@OKP@.AAAA", NULL, 0, DLG_MALFORMED},
    {"raw_leading_dot", "ed", "raw", ".@OKP@.AAAA", NULL, 0, DLG_MALFORMED},
    {"raw_trailing_newline", "ed", "raw", "@OK@\n", NULL, 0, DLG_MALFORMED},
    {"raw_8k_plus_1", "ed", "raw", "@BIG8193@", NULL, 0, DLG_MALFORMED},
    {"raw_1m", "ed", "raw", "@BIG1048576@", NULL, 0, DLG_MALFORMED},
    {"raw_nested", "ed", "raw", "@NESTED1000@", NULL, 0, DLG_MALFORMED},
    {"raw_binary", "ed", "raw", "\x01\x02\xff\xfe.\x80.\x7f", NULL, 0, DLG_MALFORMED},
};

#define ADV_NCASES (sizeof(adv_cases) / sizeof(adv_cases[0]))

#endif
