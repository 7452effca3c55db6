/* delegate-exchange (DESIGN.md §6b): turns a CI job's OIDC ID token and an
 * ssh public key into a delegation ticket bound to that key.  One file per
 * concern: xconf.c (the config), jwks.c (the providers' keys), token.c (CI
 * token verification), rules.c, replay.c (each CI token once), mint.c (the
 * ticket), exchange.c (one request, HTTP-free), audit.c, http.c
 * (libmicrohttpd), main.c.  Reuses common/ (util, ticket) for names, trust,
 * the algorithm table, signing and ssh key fingerprints. */
#ifndef DLG_XCHG_H
#define DLG_XCHG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "util/util.h"

#define X_DEFAULT_CONFIG   "/etc/delegate/exchange.conf"
#define X_DEFAULT_LISTEN   "127.0.0.1:8443"
#define X_DEFAULT_STATE    "/var/lib/delegate-exchange"
#define X_BODY_MAX         16384           /* POST /v1/ticket body, DESIGN.md §6b */
#define X_TOKEN_MAX        8192            /* a CI ID token is ~1-2 KiB */
#define X_TTL_MAX          600             /* tickets live at most 10 minutes */
#define X_SKEW             60              /* CI token exp/nbf/iat tolerance, seconds */
#define X_REFETCH_MIN      60              /* unknown kid: at most one refetch a minute */
#define X_RETRY_FAILED     5               /* no usable JWKS: a failed fetch is retried after */
#define X_JWKS_MAX         (1024 * 1024)
#define X_GITHUB_ISSUER    "https://token.actions.githubusercontent.com"

/* The stable refusal reasons of §6b, plus "unavailable" (503). */
enum x_reason {
    XR_OK = 0,
    XR_MALFORMED,
    XR_TOO_LARGE,
    XR_BAD_SSH_KEY,
    XR_BAD_TOKEN,
    XR_UNSUPPORTED_ALG,
    XR_UNKNOWN_KEY,
    XR_WRONG_ISSUER,
    XR_WRONG_AUDIENCE,
    XR_EXPIRED,
    XR_NOT_YET_VALID,
    XR_EVENT_REFUSED,
    XR_NO_RULE,
    XR_REPLAYED,
    XR_UNAVAILABLE,
    XR_INTERNAL,                 /* our own failure (disk, memory): 500 */
    XR_REASON_COUNT
};
const char *x_reason_str(enum x_reason r);
int x_reason_status(enum x_reason r);      /* the HTTP status */

/* ---- config (xconf.c) ------------------------------------------------------ */

enum x_kind { X_GITHUB, X_GITLAB };

struct x_jwks;                  /* jwks.c */

struct x_provider {
    char *id, *issuer, *audience;
    char *jwks_url, *jwks_file, *ca;   /* exactly one of url and file */
    int64_t max_age;
    enum x_kind kind;
    int line;
    struct x_jwks *jwks;        /* the key cache, made by x_jwks_attach */
};

struct x_match {
    char *claim, *value;
};

struct x_rule {
    size_t provider;            /* index into providers */
    struct x_match *match;
    size_t nmatch;
    char *actor;
    char *principal_claim;      /* exactly one of these two */
    char *principal;
    struct dlg_strv hosts, services, runas;
    int64_t ttl;
    int line;
};

struct x_config {
    char *path;
    char *listen;               /* "host:port" or an absolute unix socket path */
    char *tls_cert, *tls_key;   /* both or none */
    char *issuer_id, *issuer_kid, *issuer_key;
    char *state;
    int64_t timeout;            /* seconds a connection may idle */
    int64_t max_connections;
    struct x_provider *providers;
    size_t nproviders;
    struct x_rule *rules;
    size_t nrules;
    EVP_PKEY *key;              /* the issuer's private key */
    const char *alg;            /* its algorithm (EdDSA, ES256, ...) */
};

/* Load and validate; every error goes to diag as "FILE:LINE: message".
 * load_key: also load the issuer's private key (the service and --check do;
 * unit tests may not).  0, or -1 with at least one error. */
int x_config_load(const char *path, struct x_config *cfg, struct dlg_diag *diag, bool load_key);
void x_config_free(struct x_config *cfg);

/* ---- JWKS (jwks.c) -------------------------------------------------------------- */

/* Make the key cache of every provider (curl_global_init done by the caller). */
int x_jwks_attach(struct x_config *cfg);
void x_jwks_detach(struct x_provider *p);
/* The key for kid (a new reference the caller frees), refreshing the cache
 * when it is older than max_age and, at most once a minute, when kid is not
 * in it.  XR_OK, XR_UNKNOWN_KEY or XR_UNAVAILABLE (no usable JWKS). */
enum x_reason x_jwks_key(struct x_provider *p, const char *kid, int64_t now, EVP_PKEY **key,
                         char **alg, char *why, size_t whylen);
/* Fetch now (at start); 0 or -1 with why. */
int x_jwks_refresh(struct x_provider *p, int64_t now, char *why, size_t whylen);
/* How many fetches were made (tests, bench). */
unsigned long x_jwks_fetches(const struct x_provider *p);
/* Parse a JWKS document into an array of (kid, key) pairs: RSA (>= 2048
 * bits) and EC P-256 signature keys; others are skipped.  Returns the number
 * of usable keys, or -1 (not a JWKS) with why. */
struct x_jwk {
    char *kid;
    char *alg;                  /* the JWK's "alg", or NULL */
    EVP_PKEY *key;
};
long x_jwks_parse(const char *text, size_t len, struct x_jwk **out, char *why, size_t whylen);
void x_jwks_free_keys(struct x_jwk *keys, size_t n);

/* ---- CI tokens (token.c) ---------------------------------------------------------- */

struct x_token {
    json_t *claims;             /* the verified claims */
    struct x_provider *provider;
    char *kid, *alg;
    const char *jti;            /* in claims */
    int64_t exp;
};
/* Verify a CI ID token against the configured providers at time now.
 * XR_OK and *t filled (x_token_free), else the reason and why. */
enum x_reason x_token_verify(struct x_config *cfg, const char *text, size_t len, int64_t now,
                             struct x_token *t, char *why, size_t whylen);
void x_token_free(struct x_token *t);
/* A claim of the token as a string, or NULL (absent or not a string). */
const char *x_claim_str(const json_t *claims, const char *name);

/* ---- rules (rules.c) -------------------------------------------------------------- */

/* The events refused whatever a rule says. */
bool x_event_refused(const char *event_name);
/* The first rule of the token's provider whose match holds, after the
 * safe defaults.  XR_OK with *rule and *principal (a pointer into the claims
 * or the rule), or XR_EVENT_REFUSED / XR_NO_RULE / XR_BAD_TOKEN with why. */
enum x_reason x_rules_decide(const struct x_config *cfg, const struct x_token *t,
                             const struct x_rule **rule, const char **principal, char *why,
                             size_t whylen);

/* ---- replay (replay.c) ------------------------------------------------------------ */

/* Prepare the state directory (created 0700 if missing; must be ours and
 * not writable by others).  0 or -1 with why. */
int x_replay_open(const char *state, char *why, size_t whylen);
/* Record (issuer, jti) until exp + skew: 0 first time, 1 already recorded
 * (replayed), -1 on a storage error.  Durable (fsync) before it returns 0.
 * Expired records are pruned at most once a minute. */
int x_replay_claim(const char *state, const char *iss, const char *jti, int64_t exp, int64_t now);
/* Remove records past their time; returns how many were removed. */
long x_replay_prune(const char *state, int64_t now);

/* The longest principal a rule can put in a ticket: GitHub user names
 * (actor, triggering_actor) have at most 39 characters; any other claim
 * the 64 of the host's name grammar (DESIGN.md §2). */
size_t x_principal_max(const struct x_config *cfg, const struct x_rule *rule);

/* ---- minting (mint.c) -------------------------------------------------------------- */

struct x_minted {
    char *ticket;               /* wiped and freed by x_minted_free */
    char jti[32];
    int64_t exp;
};
/* Tickets signed with Ed25519 must fit sudo's replies (DESIGN.md §2). */
#define X_TICKET_MAX_EDDSA 511
int x_mint(const struct x_config *cfg, const struct x_rule *rule, const char *principal,
           const char *fp, int64_t now, struct x_minted *out, char *why, size_t whylen);
void x_minted_free(struct x_minted *m);

/* ---- one exchange (exchange.c) ------------------------------------------------------ */

struct x_result {
    enum x_reason reason;
    int status;
    char *body;                 /* the JSON answer (heap) */
    json_t *audit;              /* the audit record (the caller writes it) */
};
/* Handle one POST /v1/ticket body (already size-checked) at time now. */
void x_exchange(struct x_config *cfg, const char *body, size_t len, const char *remote,
                int64_t now, struct x_result *res);
void x_result_free(struct x_result *res);
/* A refusal without a body to look at (too large, wrong method, timeout). */
void x_refusal(enum x_reason reason, const char *remote, const char *detail, struct x_result *res);

/* ---- audit (audit.c) ------------------------------------------------------------------ */

/* One JSON line on stdout (the journal under systemd), written with one
 * write(2); control and line-separator characters escaped. */
void x_audit_write(json_t *rec);

/* ---- HTTP (http.c) --------------------------------------------------------------------- */

/* Serve until SIGTERM or SIGINT (blocked by the caller before any thread
 * starts).  0, or -1 with the reason on stderr. */
int x_http_serve(struct x_config *cfg);

#endif
