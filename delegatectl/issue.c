/* delegatectl issue: mint a signed delegation ticket (DESIGN.md §2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "ctl.h"
#include "decision/service.h"
#include "ticket/sign.h"
#include "ticket/sshkey.h"

/* The longest ticket each way of presenting it carries (DESIGN.md §10):
 * sudo refuses a conversation reply of 512 bytes or more (so does every
 * local conversation: Linux-PAM's misc_conv reads at most 511); the stock
 * ssh client cuts a keyboard-interactive reply at 1023 bytes and sshd's
 * password authentication takes no more than 1024. */
#define LOCAL_TICKET_MAX 511
#define SSH_TICKET_MAX   1023
#define DEFAULT_TTL ((int64_t)15 * 60)

struct issue_opts {
    const char *key, *issuer, *kid, *actor, *principal, *jti;
    const char *hosts, *services, *runas, *sources, *approvers;
    const char *ttl, *not_before;
    bool single_use;
    const char *typ;            /* --typ: "dlg+jwt" (default) or "JWT" */
    const char *bind_key;
    int64_t now, ttl_s, nbf, exp;   /* derived: issue time, lifetime (s), nbf, exp */
};

/* The latest NumericDate a host accepts (9999-12-31T23:59:59Z). */
#define ISSUE_MAX_TIME INT64_C(253402300799)

/* Host names as they appear in aud: DNS-ish, compared case-insensitively. */
static bool valid_host(const char *s)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

static bool valid_cidr(const char *s)
{
    struct dlg_cidr c;

    return dlg_cidr_parse(s, &c) == 0;
}

static bool json_list_has(const json_t *arr, const char *s)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
        if (strcmp(json_string_value(e), s) == 0)
            return true;
    return false;
}

/* Parse "a,b,c" into a JSON array, each item checked by ok().  Returns the
 * array (duplicates dropped) or NULL after a usage message. */
static json_t *list_claim(const struct ctl_verb *v, const char *opt, const char *arg,
                          bool (*ok)(const char *), const char *what, const char *hint)
{
    struct dlg_strv sv = { 0 };
    json_t *arr = NULL;
    size_t i;

    if (ctl_split_list(arg, &sv) < 0) {
        ctl_usage(v, "invalid %s '%s': empty item in the list", opt, arg);
        goto out;
    }
    arr = json_array();
    if (!arr)
        goto out;
    for (i = 0; i < sv.n; i++) {
        if (!ok(sv.v[i])) {
            ctl_usage(v, "invalid %s '%s' for %s%s", what, sv.v[i], opt, hint ? hint : "");
            json_decref(arr);
            arr = NULL;
            goto out;
        }
        if (json_list_has(arr, sv.v[i]))
            continue;           /* a repeated item adds nothing */
        if (json_array_append_new(arr, json_string(sv.v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
            goto out;
        }
    }
out:
    dlg_strv_free(&sv);
    return arr;
}

static char *random_jti(void)
{
    unsigned char raw[16];
    char *s;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return NULL;
    s = dlg_b64url_encode(raw, sizeof(raw));   /* 22 characters */
    explicit_bzero(raw, sizeof(raw));
    return s;
}

static int set_new(json_t *obj, const char *key, json_t *val)
{
    return val && json_object_set_new(obj, key, val) == 0 ? 0 : -1;
}

/* The claims that are lists, each parsed and checked by list_claim. */
struct issue_lists {
    json_t *aud, *svc, *runas, *src, *apv;
};

static void issue_lists_free(struct issue_lists *l)
{
    json_decref(l->aud);
    json_decref(l->svc);
    json_decref(l->runas);
    json_decref(l->src);
    json_decref(l->apv);
}

/* Fill *o from the command line.  Returns -1 to go on, else the exit status. */
static int issue_getopt(const struct ctl_verb *v, int argc, char **argv, struct issue_opts *o)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "issuer", required_argument, NULL, 'i' },
        { "kid", required_argument, NULL, 'K' },
        { "actor", required_argument, NULL, 'a' },
        { "for", required_argument, NULL, 'f' },
        { "host", required_argument, NULL, 'H' },
        { "service", required_argument, NULL, 's' },
        { "ttl", required_argument, NULL, 't' },
        { "not-before", required_argument, NULL, 'n' },
        { "runas", required_argument, NULL, 'r' },
        { "source", required_argument, NULL, 'S' },
        { "approver", required_argument, NULL, 'A' },
        { "single-use", no_argument, NULL, '1' },
        { "jti", required_argument, NULL, 'j' },
        { "typ", required_argument, NULL, 'T' },
        { "bind-key", required_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'i': o->issuer = optarg; break;
        case 'K': o->kid = optarg; break;
        case 'a': o->actor = optarg; break;
        case 'f': o->principal = optarg; break;
        case 'H': o->hosts = optarg; break;
        case 's': o->services = optarg; break;
        case 't': o->ttl = optarg; break;
        case 'n': o->not_before = optarg; break;
        case 'r': o->runas = optarg; break;
        case 'S': o->sources = optarg; break;
        case 'A': o->approvers = optarg; break;
        case '1': o->single_use = true; break;
        case 'j': o->jti = optarg; break;
        case 'T': o->typ = optarg; break;
        case 'B': o->bind_key = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* The required options and the grammar of each scalar claim; sets o->exp and
 * o->nbf.  Returns 0, or CTL_USAGE after a usage message. */
static int issue_check_opts(const struct ctl_verb *v, struct issue_opts *o)
{
    int64_t ttl = DEFAULT_TTL;

    if (!o->key)
        return ctl_usage(v, "--key is required");
    if (!o->issuer)
        return ctl_usage(v, "--issuer is required");
    if (!o->actor)
        return ctl_usage(v, "--actor is required");
    if (!o->principal)
        return ctl_usage(v, "--for is required");
    if (!o->hosts)
        return ctl_usage(v, "--host is required");
    if (!o->services)
        return ctl_usage(v, "--service is required");
    if (!dlg_valid_name_token(o->issuer))
        return ctl_usage(v, "invalid issuer id '%s' for --issuer", o->issuer);
    /* the grammar of the ticket (DESIGN.md §2): kid like jti, names */
    if (o->kid && !dlg_valid_jti(o->kid))
        return ctl_usage(v, "invalid key id '%s' for --kid (1 to 64 of A-Z a-z 0-9 . _ -)",
                         o->kid);
    if (!dlg_valid_username(o->actor))
        return ctl_usage(v, "invalid user name '%s' for --actor", o->actor);
    if (!dlg_valid_name(o->principal))
        return ctl_usage(v, "invalid principal '%s' for --for (1 to 64 of A-Z a-z 0-9 . _ @ + -, "
                            "not starting with -)", o->principal);
    if (o->typ) {
        if (strcasecmp(o->typ, "JWT") == 0)
            o->typ = "JWT";
        else if (strcasecmp(o->typ, "dlg+jwt") == 0)
            o->typ = "dlg+jwt";
        else
            return ctl_usage(v, "invalid typ '%s' for --typ (dlg+jwt or JWT)", o->typ);
    }
    if (o->jti && !dlg_valid_jti(o->jti))
        return ctl_usage(v, "invalid ticket id '%s' for --jti (1 to 64 of A-Z a-z 0-9 . _ -)",
                         o->jti);
    if (o->ttl && (dlg_parse_duration(o->ttl, &ttl) < 0 || ttl <= 0))
        return ctl_usage(v, "invalid duration '%s' for --ttl (e.g. 90s, 15m, 2h, 1d)", o->ttl);
    o->ttl_s = ttl;
    o->exp = dlg_time_add(o->now, ttl);
    if (o->exp > ISSUE_MAX_TIME)
        return ctl_usage(v, "--ttl '%s' is too long", o->ttl);
    if (o->not_before) {
        if (dlg_parse_time(o->not_before, &o->nbf) < 0)
            return ctl_usage(v, "invalid time '%s' for --not-before (RFC 3339 or @SECONDS)",
                             o->not_before);
        if (o->nbf >= o->exp)
            return ctl_usage(v, "--not-before is not before the expiry (now + --ttl)");
    }
    return 0;
}

/* Parse the list options into *l (the caller frees it).  Returns 0, or -1
 * after a usage message. */
static int issue_list_claims(const struct ctl_verb *v, const struct issue_opts *o,
                             struct issue_lists *l)
{
    if (!(l->aud = list_claim(v, "--host", o->hosts, valid_host, "host name", NULL)) ||
        !(l->svc = list_claim(v, "--service", o->services, dlg_valid_service, "service name",
                              NULL)) ||
        (o->runas && !(l->runas = list_claim(v, "--runas", o->runas, dlg_valid_name, "user name",
                                             NULL))) ||
        (o->sources && !(l->src = list_claim(v, "--source", o->sources, valid_cidr, "CIDR",
                                             " (address/prefix with the host bits zero, e.g. 10.0.0.0/8)"))) ||
        (o->approvers && !(l->apv = list_claim(v, "--approver", o->approvers, dlg_valid_name,
                                               "approver name", NULL))))
        return -1;
    if (l->apv && (json_list_has(l->apv, o->principal) || json_list_has(l->apv, o->actor)))
        ctl_warn(v, "an approval by the principal or the actor itself does not count");
    if (o->ttl_s > 3600)
        ctl_warn(v, "a lifetime over 1h exceeds the hosts' default max_lifetime: they may refuse it");
    /* a single host is a plain string (RFC 7519 allows both) */
    if (json_array_size(l->aud) == 1) {
        json_t *one = json_incref(json_array_get(l->aud, 0));

        json_decref(l->aud);
        l->aud = one;
    }
    return 0;
}

/* The claims object, or NULL when out of memory.  fp: the --bind-key
 * fingerprint (used only with --bind-key). */
static json_t *issue_claims(const struct issue_opts *o, const struct issue_lists *l,
                            const char *jti, const char *fp)
{
    json_t *claims = json_object();

    if (!claims ||
        set_new(claims, "iss", json_string(o->issuer)) < 0 ||
        set_new(claims, "sub", json_string(o->principal)) < 0 ||
        set_new(claims, "act", json_pack("{s:s}", "sub", o->actor)) < 0 ||
        json_object_set(claims, "aud", l->aud) < 0 ||
        json_object_set(claims, "svc", l->svc) < 0 ||
        set_new(claims, "iat", json_integer(o->now)) < 0 ||
        (o->not_before && set_new(claims, "nbf", json_integer(o->nbf)) < 0) ||
        set_new(claims, "exp", json_integer(o->exp)) < 0 ||
        set_new(claims, "jti", json_string(jti)) < 0 ||
        (l->runas && json_object_set(claims, "runas", l->runas) < 0) ||
        (l->src && json_object_set(claims, "src", l->src) < 0) ||
        (l->apv && json_object_set(claims, "apv", l->apv) < 0) ||
        (o->single_use && set_new(claims, "once", json_true()) < 0) ||
        (o->bind_key && set_new(claims, "cnf", json_pack("{s:s}", "ssh", fp)) < 0)) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}

/* The longest ticket every service in svc can take, and the service that
 * sets it (issue 18 item 13: a ticket issue mints always fits through the
 * services it names).  sshd's services take SSH_TICKET_MAX, every other
 * (sudo, su, login: a local conversation) LOCAL_TICKET_MAX. */
static size_t ticket_limit(const json_t *svc, const char **who)
{
    size_t i, limit = SSH_TICKET_MAX;
    json_t *e;

    *who = "sshd";
    json_array_foreach(svc, i, e) {
        const char *name = json_string_value(e);
        if (!dlg_service_is_sshd(name) && limit > LOCAL_TICKET_MAX) {
            limit = LOCAL_TICKET_MAX;
            *who = name;
        }
    }
    return limit;
}

/* Print the ticket on stdout, unless it is too long for a service it names
 * (then nothing is printed).  Returns CTL_OK, CTL_DENY or CTL_USAGE. */
static int issue_print(const struct ctl_verb *v, const char *ticket, const json_t *svc)
{
    size_t len = strlen(ticket), limit;
    const char *who;

    limit = ticket_limit(svc, &who);
    if (len > limit) {
        ctl_err(v, "the ticket would be %zu bytes; %s takes at most %zu (%s): nothing issued. "
                   "Make it shorter: fewer or shorter host names, services, runas, approver "
                   "or source entries, a shorter --jti, no --kid for an issuer with one key",
                len, who, limit,
                limit == LOCAL_TICKET_MAX ? "sudo and every local conversation refuse a reply "
                                            "of 512 bytes or more"
                                          : "the ssh client cuts a longer reply");
        return CTL_DENY;
    }
    if (printf("%s\n", ticket) < 0 || fflush(stdout) != 0) {
        ctl_err(v, "cannot write the ticket to stdout");
        return CTL_USAGE;
    }
    return CTL_OK;
}

static int run_issue(const struct ctl_verb *v, int argc, char **argv)
{
    struct issue_opts o = { 0 };
    struct issue_lists l = { 0 };
    json_t *claims = NULL;
    EVP_PKEY *key = NULL;
    char *jti = NULL, *ticket = NULL, err[256], fp[DLG_SSH_FP_LEN] = "";
    const char *alg;
    int rc;

    o.now = (int64_t)time(NULL);
    rc = issue_getopt(v, argc, argv, &o);
    if (rc >= 0)
        return rc;
    rc = issue_check_opts(v, &o);
    if (rc != 0)
        return rc;
    rc = CTL_USAGE;
    if (issue_list_claims(v, &o, &l) != 0)
        goto out;

    if (o.bind_key && dlg_ssh_pubkey_file_fp(o.bind_key, fp, err, sizeof(err)) != 0) {
        ctl_err(v, "--bind-key %s: %s", o.bind_key, err);
        goto out;
    }
    key = dlg_load_private_key(o.key, err, sizeof(err));
    if (!key) {
        ctl_err(v, "%s: %s", o.key, err);
        goto out;
    }
    alg = dlg_key_default_alg(key);
    if (!alg) {
        ctl_err(v, "%s: unsupported key type (ed25519 or p256)", o.key);
        goto out;
    }
    jti = o.jti ? strdup(o.jti) : random_jti();
    claims = jti ? issue_claims(&o, &l, jti, fp) : NULL;
    if (!claims) {
        ctl_err(v, "out of memory");
        goto out;
    }

    ticket = dlg_sign_ticket(key, alg, o.kid, o.typ, claims, err, sizeof(err));
    if (!ticket) {
        ctl_err(v, "cannot sign the ticket: %s", err);
        goto out;
    }
    rc = issue_print(v, ticket, l.svc);
out:
    if (ticket) {
        explicit_bzero(ticket, strlen(ticket));
        free(ticket);
    }
    free(jti);
    json_decref(claims);
    issue_lists_free(&l);
    EVP_PKEY_free(key);
    return rc;
}

const struct ctl_verb ctl_verb_issue = {
    .name = "issue",
    .run = run_issue,
    .synopsis =
        "issue --key FILE --issuer ID [--kid KID] --actor A --for P --host H[,H...]\n"
        "      --service S[,S...] [--ttl 15m] [--not-before TIME] [--runas U[,U...]]\n"
        "      [--source CIDR[,...]] [--approver NAME[,NAME...]] [--single-use] [--jti ID]\n"
        "      [--typ dlg+jwt|JWT] [--bind-key FILE.pub]",
    .help =
        "Mint a delegation ticket (a JWT signed with the issuer's private key) that\n"
        "lets actor A act for principal P on the given hosts through the given PAM\n"
        "services, and print it on stdout.  The ticket is a bearer secret.\n"
        "\n"
        "Options:\n"
        "  --key FILE            the issuer's private key (from keygen; mode 0600)\n"
        "  --issuer ID           iss: the issuer id the hosts know\n"
        "  --kid KID             the key id in the header (optional for one key)\n"
        "  --actor A             act.sub: the actor account that will log in\n"
        "  --for P               sub: the principal the actor acts for\n"
        "  --host H[,H...]       aud: the host names the ticket is valid on\n"
        "  --service S[,S...]    svc: the PAM services, e.g. sshd, sudo\n"
        "  --ttl DURATION        lifetime from now (90s, 15m, 2h, 1d); default 15m\n"
        "  --not-before TIME     nbf: not valid before TIME\n"
        "  --runas U[,U...]      runas: target users for sudo (default: the principal)\n"
        "  --source CIDR[,...]   src: allowed client networks\n"
        "  --approver N[,N...]   apv: the people who approved the delegation\n"
        "  --single-use          once: usable for one login per host\n"
        "  --jti ID              the ticket id (default: 22 random base64url chars)\n"
        "  --typ dlg+jwt|JWT     the header's typ (default dlg+jwt); JWT for an\n"
        "                        issuer configured with typ = \"JWT\"\n"
        "  --bind-key FILE.pub   cnf: bind the ticket to this OpenSSH public key\n"
        "                        (ed25519, ecdsa, rsa); the actor must log in with\n"
        "                        it (publickey, then the ticket) to use the ticket\n"
        "  -h, --help            show this help\n"
        "\n"
        "Names (--for, --runas, --approver) are 1 to 64 of A-Z a-z 0-9 . _ @ + -,\n"
        "not starting with -.\n"
        "TIME is RFC 3339 (2026-11-27T10:15:00Z) or @SECONDS.\n"
        "A ticket is issued only if it fits through every service it names: at most\n"
        "511 bytes when it names any service but sshd (sudo and every local\n"
        "conversation refuse a reply of 512 bytes or more), 1023 when it names\n"
        "only sshd (\"sshd\" or \"sshd-NAME\"; the ssh client cuts longer replies).\n"
        "Exit status: 0 issued, 1 too long for a service it names (nothing\n"
        "printed), 2 usage or system error.\n",
};
