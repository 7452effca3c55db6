/* The decision of DESIGN.md §3.  dlg_decide_lazy checks in this fixed order and
 * stops at the first failure; the reason names the failed step:
 *
 *   1. parse                      no_ticket, malformed, unsupported_alg
 *   2. issuer configured          unknown_issuer
 *   3. alg in issuer allowlist    unsupported_alg
 *   4. typ                        wrong_type
 *   5. key by kid                 unknown_key   (kid may be omitted only when
 *                                                the issuer has one key;
 *                                                dlg_decide_lazy reads the key
 *                                                file here: config_error if
 *                                                it is unusable)
 *   6. alg fits the key type      unsupported_alg
 *   7. signature                  bad_signature
 *   8. iat <= now + skew          issued_in_future
 *      nbf <= now + skew          not_yet_valid
 *      now - skew < exp           expired
 *      exp - iat <= max lifetime  lifetime_too_long (the actor's when the
 *                                 actor is configured, else tickets.max_lifetime)
 *   9. host in aud                wrong_audience
 *  10. actor configured           unknown_actor
 *  11. act.sub == user            actor_mismatch
 *  12. actor not revoked          revoked_actor
 *  13. service in svc and actor   service_not_allowed
 *  14. sub in actor and issuer principals          principal_not_allowed
 *  15. rhost in src and actor sources (if either)  source_not_allowed
 *  15b. key binding (rule 10): a ticket with cnf needs req->ssh_key or one
 *      of req->ssh_keys equal to it                 key_mismatch
 *      an actor with key_binding = "required" needs cnf   key_required
 *  16. runas (only when req->runas is set)         runas_not_allowed
 *      (dlg_check_runas: ticket runas, actor runas, issuer principals)
 *  17. distinct approvers >= actor approvals       approval_required
 *  18. revocations: ticket, principal, issuer, key, issued_before
 *  18b. no revocation feed stale  feed_stale (DESIGN.md §6a: past its exp
 *                                 or never fetched)
 *  19. single use                 replayed
 *
 * Single use is last so that a ticket refused for any other reason is never
 * used up.  exp <= iat is refused by the parser as malformed.  Claims other
 * than iss and kid are copied into the verdict only once the signature has
 * verified, so an audit line never attributes a forged jti or principal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ticket/alg.h"
#include "decision/once.h"
#include "decision/policy.h"
#include "decision/service.h"

#define DEFAULT_TYP "dlg+jwt"

static enum dlg_reason deny(struct dlg_verdict *out, enum dlg_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The detail line names unverified claims (iss, kid, ...) and goes to logs
 * and terminals: every byte that is not printable ASCII becomes '?', so no
 * control or line-separator character (U+0085, U+2028, ...) gets through. */
static void dlg_detail_sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

static enum dlg_reason deny(struct dlg_verdict *out, enum dlg_reason r, const char *fmt, ...)
{
    va_list ap;

    out->reason = r;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
    dlg_detail_sanitize(out->detail);
    return r;
}

static bool list_allows(const struct dlg_strv *sv, const char *s)
{
    return dlg_strv_contains(sv, "*") || dlg_strv_contains(sv, s);
}

static bool alg_allowed(const struct dlg_issuer *iss, const char *alg)
{
    size_t i;

    for (i = 0; i < iss->algorithms.n; i++) {
        const struct dlg_alg *a = dlg_alg_find(iss->algorithms.v[i]);
        if (a && strcmp(a->name, alg) == 0)
            return true;
    }
    return false;
}

static bool alg_fits_key(const char *alg, enum dlg_keytype type)
{
    const struct dlg_alg *a = dlg_alg_find(alg);

    return a && a->key == type;
}

/* typ compares case-insensitively, with an optional "application/" prefix
 * (RFC 7515 §4.1.9).  Only an issuer using plain "JWT" accepts none. */
static bool typ_ok(const struct dlg_issuer *iss, const char *typ)
{
    const char *want = iss->typ && iss->typ[0] ? iss->typ : DEFAULT_TYP;

    if (!typ)
        return strcasecmp(want, "JWT") == 0;
    if (strncasecmp(typ, "application/", 12) == 0)
        typ += 12;
    return strcasecmp(typ, want) == 0;
}

static bool signature_ok(const struct dlg_loaded_key *lk, const struct dlg_ticket *t)
{
    return dlg_alg_verify(dlg_alg_find(t->alg), lk->pkey, t->signing_input,
                          t->signing_input_len, t->sig, t->sig_len);
}

static bool host_in_aud(const struct dlg_config *cfg, const struct dlg_strv *aud)
{
    size_t i;

    for (i = 0; i < aud->n; i++) {
        if (cfg->host_name && strcasecmp(aud->v[i], cfg->host_name) == 0)
            return true;
        if (dlg_strv_contains_icase(&cfg->host_aliases, aud->v[i]))
            return true;
    }
    return false;
}

static bool source_ok(const struct dlg_ticket *t, const struct dlg_actor *a, const char *rhost)
{
    struct dlg_cidr c;
    bool hit;
    size_t i;

    if (!t->has_src && !a->has_sources)
        return true;
    if (!rhost || !rhost[0])
        return false;
    if (t->has_src) {
        for (hit = false, i = 0; i < t->src.n && !hit; i++)
            hit = dlg_cidr_parse(t->src.v[i], &c) == 0 && dlg_cidr_match(&c, rhost);
        if (!hit)
            return false;
    }
    if (a->has_sources) {
        for (hit = false, i = 0; i < a->nsources && !hit; i++)
            hit = dlg_cidr_match(&a->sources[i], rhost);
        if (!hit)
            return false;
    }
    return true;
}

static size_t distinct_approvers(const struct dlg_ticket *t)
{
    size_t i, j, n = 0;

    for (i = 0; i < t->apv.n; i++) {
        const char *p = t->apv.v[i];
        bool seen = false;
        if (strcmp(p, t->sub) == 0 || strcmp(p, t->actor) == 0)
            continue;
        for (j = 0; j < i && !seen; j++)
            seen = strcmp(t->apv.v[j], p) == 0;
        if (!seen)
            n++;
    }
    return n;
}

static int64_t lifetime_limit(const struct dlg_config *cfg, const struct dlg_actor *a)
{
    int64_t limit = cfg->max_lifetime;

    if (a && a->max_lifetime > 0 && a->max_lifetime < limit)
        limit = a->max_lifetime;
    return limit;
}

static int set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

/* Everything the signature vouches for, copied into the verdict. */
static int fill_verified(struct dlg_verdict *out, const struct dlg_ticket *t)
{
    size_t i;

    if (set_str(&out->sub, t->sub) || set_str(&out->actor, t->actor) || set_str(&out->jti, t->jti) ||
        set_str(&out->cnf_ssh, t->cnf_ssh))
        return -1;
    out->iat = t->iat;
    out->exp = t->exp;
    if (!t->has_runas)
        return dlg_strv_push(&out->runas, t->sub);
    for (i = 0; i < t->runas.n; i++)
        if (dlg_strv_push(&out->runas, t->runas.v[i]) != 0)
            return -1;
    return 0;
}

/* Steps 18 and (for recheck) the revocation part of the account phase. */
static enum dlg_reason check_revoked(const struct dlg_config *cfg, const char *jti, const char *sub,
                                     const char *iss, const char *kid, int64_t iat,
                                     struct dlg_verdict *out)
{
    char when[40];

    if (dlg_config_ticket_revoked(cfg, jti))
        return deny(out, DLG_REVOKED_TICKET, "ticket id %s is revoked", jti);
    if (dlg_strv_contains(&cfg->revoked_principals, sub))
        return deny(out, DLG_REVOKED_PRINCIPAL, "principal \"%s\" is revoked", sub);
    if (dlg_strv_contains(&cfg->revoked_issuers, iss))
        return deny(out, DLG_REVOKED_ISSUER, "issuer \"%s\" is revoked", iss);
    if (kid && dlg_strv_contains(&cfg->revoked_keys, kid))
        return deny(out, DLG_REVOKED_KEY, "key \"%s\" is revoked", kid);
    if (cfg->has_issued_before && iat < cfg->issued_before) {
        dlg_format_time(cfg->issued_before, when, sizeof(when));
        return deny(out, DLG_REVOKED_BEFORE, "tickets issued before %s are revoked", when);
    }
    return DLG_ADMIT;
}

/* Step 18b: revocation feeds (DESIGN.md §6a).  A host that cannot tell
 * whether a feed revoked this ticket admits no actor. */
static enum dlg_reason check_feeds(const struct dlg_config *cfg, int64_t now,
                                   struct dlg_verdict *out)
{
    const struct dlg_feed *f = dlg_config_feed_stale(cfg, now, false);

    if (f == NULL)
        return DLG_ADMIT;
    if (!f->fetched)
        return deny(out, DLG_FEED_STALE, "revocation feed \"%s\" was never fetched", f->id);
    return deny(out, DLG_FEED_STALE, "revocation feed \"%s\" expired %lld s ago", f->id,
                (long long)dlg_time_sub(now, f->exp));
}

static enum dlg_reason check_once(const struct dlg_ticket *t, const struct dlg_request *req,
                                  int64_t skew, struct dlg_verdict *out)
{
    char err[160] = "";
    enum dlg_once_result res;

    if (req->once_dir && req->consume_once)
        res = dlg_once_consume(req->once_dir, t->iss, t->jti, t->exp, req->now, skew, err,
                               sizeof(err));
    else
        res = dlg_once_check(req->once_dir ? req->once_dir : DLG_ONCE_DIR, t->iss, t->jti, err,
                             sizeof(err));
    if (res == DLG_ONCE_USED)
        return deny(out, DLG_REPLAYED, "single-use ticket %s was already used", t->jti);
    if (res != DLG_ONCE_FRESH)
        return deny(out, DLG_CONFIG_ERROR, "cannot enforce single use: %s", err);
    return DLG_ADMIT;
}

/* Rule 10: a bound ticket admits only the key it names; an actor with
 * key_binding = "required" takes only bound tickets.  Fingerprints are
 * compared exactly (base64 is case-sensitive). */
static enum dlg_reason check_key_binding(const struct dlg_ticket *t, const struct dlg_actor *a,
                                         const struct dlg_request *req, struct dlg_verdict *out)
{
    bool one = req->ssh_key && req->ssh_key[0];
    size_t many = req->ssh_keys ? req->ssh_keys->n : 0;

    if (t->cnf_ssh) {
        if ((one && strcmp(req->ssh_key, t->cnf_ssh) == 0) ||
            (req->ssh_keys && dlg_strv_contains(req->ssh_keys, t->cnf_ssh)))
            return DLG_ADMIT;
        if (!one && many == 0)
            return deny(out, DLG_KEY_MISMATCH, "ticket is bound to ssh key %s; no ssh key was "
                                               "used in this connection", t->cnf_ssh);
        return deny(out, DLG_KEY_MISMATCH, "ticket is bound to ssh key %s, not to %.60s%s",
                    t->cnf_ssh, one ? req->ssh_key : req->ssh_keys->v[0],
                    (one ? 1 : 0) + many > 1 ? " (or the other keys proven)" : "");
    } else if (a->key_required) {
        return deny(out, DLG_KEY_REQUIRED, "actor \"%s\" takes only tickets bound to an ssh key",
                    a->name);
    }
    return DLG_ADMIT;
}

/* Steps 2-4: the issuer the ticket names, its alg and typ. */
static enum dlg_reason check_issuer(const struct dlg_config *cfg, const struct dlg_ticket *t,
                                    const struct dlg_issuer **issp, struct dlg_verdict *out)
{
    const struct dlg_issuer *iss = dlg_config_issuer(cfg, t->iss);

    *issp = iss;
    if (!iss)
        return deny(out, DLG_UNKNOWN_ISSUER, "issuer \"%s\" is not configured", t->iss);
    if (!alg_allowed(iss, t->alg))
        return deny(out, DLG_UNSUPPORTED_ALG, "alg %s is not allowed for issuer \"%s\"", t->alg,
                    iss->id);
    if (!typ_ok(iss, t->typ))
        return deny(out, DLG_WRONG_TYPE, "typ %s%s%s does not match issuer \"%s\"",
                    t->typ ? "\"" : "", t->typ ? t->typ : "(none)", t->typ ? "\"" : "", iss->id);
    return DLG_ADMIT;
}

/* Steps 5-6: load and select the key by kid; the alg must fit it. */
static enum dlg_reason select_key(const struct dlg_config *cfg, const struct dlg_issuer *iss,
                                  const struct dlg_ticket *t, struct dlg_keyring *own,
                                  struct dlg_diag *diag, const struct dlg_loaded_key **lkp,
                                  struct dlg_verdict *out)
{
    const struct dlg_loaded_key *lk;

    if (dlg_keyring_load_for(cfg, iss->id, t->kid, own, diag) < 0)
        return deny(out, DLG_CONFIG_ERROR, "the key file of issuer \"%s\" is unusable",
                    iss->id);
    lk = dlg_keyring_find(own, iss->id, t->kid);
    *lkp = lk;
    if (!lk)
        return deny(out, DLG_UNKNOWN_KEY, t->kid ? "issuer \"%s\" has no key \"%s\""
                                                 : "issuer \"%s\" has several keys: kid required%s",
                    iss->id, t->kid ? t->kid : "");
    if (set_str(&out->kid, lk->key->kid))
        return deny(out, DLG_CONFIG_ERROR, "out of memory");
    if (!alg_fits_key(t->alg, lk->type))
        return deny(out, DLG_UNSUPPORTED_ALG, "alg %s does not fit the type of key \"%s\"", t->alg,
                    lk->key->kid ? lk->key->kid : "");
    return DLG_ADMIT;
}

/* Step 7; only then are the claims copied into the verdict. */
static enum dlg_reason check_signature(const struct dlg_loaded_key *lk,
                                       const struct dlg_ticket *t, struct dlg_verdict *out)
{
    if (lk == NULL)             /* select_key admits only with a key */
        return deny(out, DLG_UNKNOWN_KEY, "no key selected");
    if (!signature_ok(lk, t))
        return deny(out, DLG_BAD_SIGNATURE, "signature does not verify with key \"%s\"",
                    lk->key->kid ? lk->key->kid : "");
    if (fill_verified(out, t) != 0)
        return deny(out, DLG_CONFIG_ERROR, "out of memory");
    return DLG_ADMIT;
}

/* Step 8: iat, nbf, exp and the lifetime (actor may be NULL). */
static enum dlg_reason check_times(const struct dlg_config *cfg, const struct dlg_actor *actor,
                                   const struct dlg_ticket *t, int64_t now,
                                   struct dlg_verdict *out)
{
    int64_t skew = cfg->clock_skew, limit;

    /* Saturating arithmetic: a clock or claim at the int64 extremes never
     * wraps into an admit. */
    if (t->iat > dlg_time_add(now, skew))
        return deny(out, DLG_ISSUED_IN_FUTURE, "issued %lld s in the future",
                    (long long)dlg_time_sub(t->iat, now));
    if (t->has_nbf && t->nbf > dlg_time_add(now, skew))
        return deny(out, DLG_NOT_YET_VALID, "not valid for another %lld s",
                    (long long)dlg_time_sub(t->nbf, now));
    if (dlg_time_sub(now, skew) >= t->exp)
        return deny(out, DLG_EXPIRED, "expired %lld s ago", (long long)dlg_time_sub(now, t->exp));
    limit = lifetime_limit(cfg, actor);
    if (dlg_time_sub(t->exp, t->iat) > limit)
        return deny(out, DLG_LIFETIME_TOO_LONG, "lifetime %lld s exceeds the maximum %lld s",
                    (long long)dlg_time_sub(t->exp, t->iat), (long long)limit);
    return DLG_ADMIT;
}

/* Step 9. */
static enum dlg_reason check_audience(const struct dlg_config *cfg, const struct dlg_ticket *t,
                                      struct dlg_verdict *out)
{
    if (!host_in_aud(cfg, &t->aud))
        return deny(out, DLG_WRONG_AUDIENCE, "host \"%s\" is not in the audience",
                    cfg->host_name ? cfg->host_name : "");
    return DLG_ADMIT;
}

/* Steps 10-12: the actor is configured, is the user, is not revoked. */
static enum dlg_reason check_actor(const struct dlg_config *cfg, const struct dlg_actor *actor,
                                   const struct dlg_ticket *t, const struct dlg_request *req,
                                   struct dlg_verdict *out)
{
    if (!actor)
        return deny(out, DLG_UNKNOWN_ACTOR, "actor \"%s\" is not configured", t->actor);
    if (!req->user || strcmp(req->user, t->actor) != 0)
        return deny(out, DLG_ACTOR_MISMATCH, "ticket is for actor \"%s\", not for user \"%s\"",
                    t->actor, req->user ? req->user : "");
    if (actor->revoked || dlg_strv_contains(&cfg->revoked_actors, actor->name))
        return deny(out, DLG_REVOKED_ACTOR, "actor \"%s\" is revoked", actor->name);
    return DLG_ADMIT;
}

/* Step 13. */
static enum dlg_reason check_service(const struct dlg_actor *actor, const struct dlg_ticket *t,
                                     const struct dlg_request *req, struct dlg_verdict *out)
{
    /* sudo-i counts as sudo, su-l as su (DESIGN.md §3 "Service names") */
    if (!req->service || !dlg_service_listed(&t->svc, req->service))
        return deny(out, DLG_SERVICE_NOT_ALLOWED, "service \"%s\" is not in the ticket",
                    req->service ? req->service : "");
    if (!dlg_service_listed(&actor->services, req->service))
        return deny(out, DLG_SERVICE_NOT_ALLOWED, "service \"%s\" is not allowed for actor \"%s\"",
                    req->service, actor->name);
    return DLG_ADMIT;
}

/* Steps 14-15: whom the ticket delegates, and from where. */
static enum dlg_reason check_principal_source(const struct dlg_issuer *iss,
                                              const struct dlg_actor *actor,
                                              const struct dlg_ticket *t,
                                              const struct dlg_request *req,
                                              struct dlg_verdict *out)
{
    if (!list_allows(&actor->principals, t->sub))
        return deny(out, DLG_PRINCIPAL_NOT_ALLOWED, "actor \"%s\" may not act for \"%s\"",
                    actor->name, t->sub);
    if (!list_allows(&iss->principals, t->sub))
        return deny(out, DLG_PRINCIPAL_NOT_ALLOWED, "issuer \"%s\" may not delegate \"%s\"",
                    iss->id, t->sub);
    if (!source_ok(t, actor, req->rhost))
        return deny(out, DLG_SOURCE_NOT_ALLOWED, "source %s is not allowed",
                    req->rhost && req->rhost[0] ? req->rhost : "(unknown)");
    return DLG_ADMIT;
}

/* Steps 16-17: the target user (sudo) and the approvals. */
static enum dlg_reason check_runas_approvals(const struct dlg_config *cfg,
                                             const struct dlg_actor *actor,
                                             const struct dlg_ticket *t,
                                             const struct dlg_request *req,
                                             struct dlg_verdict *out)
{
    enum dlg_reason r;

    if (req->runas) {
        r = dlg_check_runas(cfg, out, req->runas);
        if (r != DLG_ADMIT)
            return deny(out, r, "target user \"%s\" is not allowed", req->runas);
    }
    if (distinct_approvers(t) < (size_t)(actor->approvals > 0 ? actor->approvals : 0))
        return deny(out, DLG_APPROVAL_REQUIRED, "%zu of %d required approvals",
                    distinct_approvers(t), actor->approvals);
    return DLG_ADMIT;
}

/* Loads only the selected key into *own, which the caller frees.  The steps
 * run in the order of the list at the top of this file; each returns
 * DLG_ADMIT or the denial it recorded in *out, and the first denial wins. */
static enum dlg_reason decide(const struct dlg_config *cfg, struct dlg_keyring *own,
                              struct dlg_diag *diag,
                              const struct dlg_ticket *t, const struct dlg_request *req,
                              struct dlg_verdict *out)
{
    const struct dlg_issuer *iss = NULL;
    const struct dlg_loaded_key *lk = NULL;
    const struct dlg_actor *actor;
    enum dlg_reason r;

    if (set_str(&out->iss, t->iss) || set_str(&out->kid, t->kid))
        return deny(out, DLG_CONFIG_ERROR, "out of memory");

    r = check_issuer(cfg, t, &iss, out);
    if (r == DLG_ADMIT)
        r = select_key(cfg, iss, t, own, diag, &lk, out);
    if (r == DLG_ADMIT)
        r = check_signature(lk, t, out);
    if (r != DLG_ADMIT)
        return r;

    /* an actor the config cannot answer for is denied, never a stranger */
    if (dlg_config_find_actor(cfg, t->actor, &actor) < 0)
        return deny(out, DLG_CONFIG_ERROR, "the config could not look up actor \"%s\"", t->actor);
    r = check_times(cfg, actor, t, req->now, out);
    if (r == DLG_ADMIT)
        r = check_audience(cfg, t, out);
    if (r == DLG_ADMIT)
        r = check_actor(cfg, actor, t, req, out);
    if (r == DLG_ADMIT)
        r = check_service(actor, t, req, out);
    if (r == DLG_ADMIT)
        r = check_principal_source(iss, actor, t, req, out);
    if (r == DLG_ADMIT)
        r = check_key_binding(t, actor, req, out);
    if (r == DLG_ADMIT)
        r = check_runas_approvals(cfg, actor, t, req, out);
    if (r == DLG_ADMIT)
        r = check_revoked(cfg, t->jti, t->sub, t->iss, lk->key->kid, t->iat, out);
    if (r == DLG_ADMIT)
        r = check_feeds(cfg, req->now, out);
    if (r == DLG_ADMIT && t->once)
        r = check_once(t, req, cfg->clock_skew, out);
    if (r != DLG_ADMIT)
        return r;
    return deny(out, DLG_ADMIT, "actor \"%s\" for \"%s\", ticket %s of issuer \"%s\"", t->actor,
                t->sub, t->jti, t->iss);
}

/* Parse, or deny with the parser's reason. */
static enum dlg_reason parse(const char *ticket, size_t ticket_len, struct dlg_ticket *t,
                             struct dlg_verdict *out)
{
    enum dlg_reason r = dlg_ticket_parse(ticket, ticket_len, t);

    if (r == DLG_ADMIT)
        return r;
    return deny(out, r, "%s", r == DLG_NO_TICKET ? "no ticket presented"
                              : r == DLG_UNSUPPORTED_ALG ? "refused or unknown alg"
                                                         : "ticket is not well-formed");
}

enum dlg_reason dlg_decide_lazy(const struct dlg_config *cfg, const char *ticket,
                                size_t ticket_len, const struct dlg_request *req,
                                struct dlg_verdict *out, struct dlg_diag *diag)
{
    struct dlg_keyring own = { 0 };
    struct dlg_ticket t;
    enum dlg_reason r;

    memset(out, 0, sizeof(*out));
    if (!cfg || !req)
        return deny(out, DLG_CONFIG_ERROR, "no usable delegation config");
    if (dlg_keyring_check_files(cfg, diag) != 0)
        return deny(out, DLG_CONFIG_ERROR, "an issuer key file is unsafe or unreadable");
    r = parse(ticket, ticket_len, &t, out);
    if (r != DLG_ADMIT)
        return r;
    r = decide(cfg, &own, diag, &t, req, out);
    dlg_ticket_free(&t);
    dlg_keyring_free(&own);
    return r;
}

void dlg_verdict_free(struct dlg_verdict *v)
{
    if (!v)
        return;
    free(v->iss);
    free(v->kid);
    free(v->sub);
    free(v->actor);
    free(v->jti);
    free(v->cnf_ssh);
    dlg_strv_free(&v->runas);
    memset(v, 0, sizeof(*v));
}

static bool issuer_has_key(const struct dlg_issuer *iss, const char *kid)
{
    size_t i;

    if (!kid)
        return true;
    for (i = 0; i < iss->nkeys; i++)
        if (iss->keys[i].kid && strcmp(iss->keys[i].kid, kid) == 0)
            return true;
    return false;
}

enum dlg_reason dlg_recheck(const struct dlg_config *cfg, const struct dlg_verdict *v,
                            const char *service, int64_t now)
{
    struct dlg_verdict scratch;
    const struct dlg_issuer *iss;
    const struct dlg_actor *actor;
    enum dlg_reason r = DLG_CONFIG_ERROR;

    if (!cfg || !v)
        return DLG_CONFIG_ERROR;
    if (v->reason != DLG_ADMIT)
        return v->reason;
    if (!v->iss || !v->sub || !v->actor || !v->jti)
        return DLG_CONFIG_ERROR;
    memset(&scratch, 0, sizeof(scratch));
    iss = dlg_config_issuer(cfg, v->iss);
    if (dlg_config_find_actor(cfg, v->actor, &actor) < 0)
        return DLG_CONFIG_ERROR;
    if (!iss)
        r = DLG_UNKNOWN_ISSUER;
    else if (!issuer_has_key(iss, v->kid))
        r = DLG_UNKNOWN_KEY;
    else if (dlg_time_sub(now, cfg->clock_skew) >= v->exp)
        r = DLG_EXPIRED;
    else if (!actor)
        r = DLG_UNKNOWN_ACTOR;
    else if (actor->revoked || dlg_strv_contains(&cfg->revoked_actors, actor->name))
        r = DLG_REVOKED_ACTOR;
    else if (service && !dlg_service_listed(&actor->services, service))
        r = DLG_SERVICE_NOT_ALLOWED;
    else if (!list_allows(&actor->principals, v->sub) || !list_allows(&iss->principals, v->sub))
        r = DLG_PRINCIPAL_NOT_ALLOWED;
    else if (actor->key_required && !v->cnf_ssh)
        r = DLG_KEY_REQUIRED;       /* key_binding = "required" set after admission */
    else
        r = check_revoked(cfg, v->jti, v->sub, v->iss, v->kid, v->iat, &scratch);
    if (r == DLG_ADMIT)
        r = check_feeds(cfg, now, &scratch);
    return r;
}

enum dlg_reason dlg_check_runas(const struct dlg_config *cfg, const struct dlg_verdict *v,
                                const char *target)
{
    const struct dlg_actor *actor;
    const struct dlg_issuer *iss;

    if (!cfg || !v)
        return DLG_CONFIG_ERROR;
    if (v->reason != DLG_ADMIT)
        return v->reason;
    if (!v->actor)
        return DLG_UNKNOWN_ACTOR;
    if (dlg_config_find_actor(cfg, v->actor, &actor) < 0)
        return DLG_CONFIG_ERROR;
    if (!actor)
        return DLG_UNKNOWN_ACTOR;
    iss = v->iss ? dlg_config_issuer(cfg, v->iss) : NULL;
    if (!iss)
        return DLG_UNKNOWN_ISSUER;
    /* DESIGN.md §3 rule 7: the target is in the ticket's runas (default
     * [sub]), in the actor's runas (default: only the ticket's sub), and
     * allowed by the issuer's principals (a personal key of alice can only
     * ever make someone alice).  Exact names only: no runas list has a
     * wildcard, so root is allowed only where it is named. */
    if (!target || !dlg_valid_name(target) || !dlg_strv_contains(&v->runas, target))
        return DLG_RUNAS_NOT_ALLOWED;
    if (actor->has_runas ? !dlg_strv_contains(&actor->runas, target)
                         : !v->sub || strcmp(target, v->sub) != 0)
        return DLG_RUNAS_NOT_ALLOWED;
    if (!list_allows(&iss->principals, target))
        return DLG_RUNAS_NOT_ALLOWED;
    return DLG_ADMIT;
}
