/* One exchange, HTTP aside: the request body in, the JSON answer and the
 * audit record out.  Order: the body (malformed), the ssh key
 * (bad_ssh_key), the CI token (token.c), the rules (rules.c), the
 * ticket (mint.c), then the single use of the token (replay.c).  The key
 * is checked before the token is used up, so a typo never burns a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ticket/sshkey.h"
#include "xchg.h"

static const char *const reason_names[XR_REASON_COUNT] = {
    [XR_OK] = "issued",
    [XR_MALFORMED] = "malformed",
    [XR_TOO_LARGE] = "too_large",
    [XR_BAD_SSH_KEY] = "bad_ssh_key",
    [XR_BAD_TOKEN] = "bad_token",
    [XR_UNSUPPORTED_ALG] = "unsupported_alg",
    [XR_UNKNOWN_KEY] = "unknown_key",
    [XR_WRONG_ISSUER] = "wrong_issuer",
    [XR_WRONG_AUDIENCE] = "wrong_audience",
    [XR_EXPIRED] = "expired",
    [XR_NOT_YET_VALID] = "not_yet_valid",
    [XR_EVENT_REFUSED] = "event_refused",
    [XR_NO_RULE] = "no_rule",
    [XR_REPLAYED] = "replayed",
    [XR_UNAVAILABLE] = "unavailable",
    [XR_INTERNAL] = "unavailable",
};

const char *x_reason_str(enum x_reason r)
{
    return (unsigned)r < XR_REASON_COUNT ? reason_names[r] : "unavailable";
}

/* 400: not a well-formed request; 413: too large; 403: the token is not
 * accepted; 503: cannot decide now (no usable JWKS, storage). */
int x_reason_status(enum x_reason r)
{
    switch (r) {
    case XR_OK: return 200;
    case XR_MALFORMED:
    case XR_BAD_SSH_KEY: return 400;
    case XR_TOO_LARGE: return 413;
    case XR_UNAVAILABLE:
    case XR_INTERNAL:
    case XR_REASON_COUNT: return 503;
    default: return 403;
    }
}

/* The claims that identify the run; strings and integers only, cut short. */
static const char *const audit_claims[] = {
    "iss", "jti", "sub", "repository", "repository_id", "repository_owner", "repository_owner_id",
    "ref", "ref_type", "environment", "event_name", "workflow", "job_workflow_ref", "actor",
    "actor_id", "run_id", "project_id", "project_path", "namespace_id", "namespace_path",
    "pipeline_source", "pipeline_id", "job_id", "ref_protected", "user_login", "user_id", NULL
};

static void add_claim(json_t *out, const json_t *claims, const char *name)
{
    const json_t *v = json_object_get(claims, name);
    char cut[201];

    if (json_is_string(v)) {
        snprintf(cut, sizeof(cut), "%s", json_string_value(v));
        json_object_set_new(out, name, json_string(cut));
    } else if (json_is_integer(v)) {
        json_object_set_new(out, name, json_integer(json_integer_value(v)));
    }
}

static json_t *claims_record(const struct x_token *t, const struct x_rule *rule)
{
    json_t *o = json_object();

    if (!o || !t->claims)
        return o;
    for (const char *const *c = audit_claims; *c; c++)
        add_claim(o, t->claims, *c);
    for (size_t i = 0; rule && i < rule->nmatch; i++)
        add_claim(o, t->claims, rule->match[i].claim);
    return o;
}

static json_t *base_record(enum x_reason r, const char *remote, const char *detail)
{
    char ts[32];

    dlg_format_time((int64_t)time(NULL), ts, sizeof(ts));
    return json_pack("{s:s, s:s, s:o, s:i, s:s, s:s?}", "ts", ts, "event", r == XR_OK ? "issued" : "refused",
                     "reason", r == XR_OK ? json_null() : json_string(x_reason_str(r)), "status",
                     x_reason_status(r), "remote", remote ? remote : "", "detail",
                     detail && detail[0] ? detail : NULL);
}

static char *error_body(enum x_reason r)
{
    json_t *o = json_pack("{s:s}", "error", x_reason_str(r));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    return s;
}

void x_refusal(enum x_reason reason, const char *remote, const char *detail, struct x_result *res)
{
    memset(res, 0, sizeof(*res));
    res->reason = reason;
    res->status = x_reason_status(reason);
    res->body = error_body(reason);
    res->audit = base_record(reason, remote, detail);
}

void x_result_free(struct x_result *res)
{
    if (res->body) {
        explicit_bzero(res->body, strlen(res->body));   /* may hold a ticket */
        free(res->body);
    }
    json_decref(res->audit);
    memset(res, 0, sizeof(*res));
}

/* {"token": "...", "ssh_key": "..."}, nothing else. */
static int parse_body(const char *body, size_t len, json_t **doc, const char **token,
                      size_t *tlen, const char **key, char *why, size_t whylen)
{
    json_error_t e;

    *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!*doc || !json_is_object(*doc)) {
        snprintf(why, whylen, "body is not one JSON object%s%s", *doc ? "" : ": ",
                 *doc ? "" : e.text);
        return -1;
    }
    *token = json_string_value(json_object_get(*doc, "token"));
    *key = json_string_value(json_object_get(*doc, "ssh_key"));
    if (!*token || !*key || json_object_size(*doc) != 2) {
        snprintf(why, whylen, "body must be {\"token\": STRING, \"ssh_key\": STRING} and nothing else");
        return -1;
    }
    *tlen = json_string_length(json_object_get(*doc, "token"));
    return 0;
}

static char *success_body(const struct x_minted *m, const struct x_rule *rule, const char *principal)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "ticket", m->ticket, "jti", m->jti, "exp",
                          (json_int_t)m->exp, "actor", rule->actor, "principal", principal);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

    if (o) {
        /* the ticket inside jansson's copy: wiped before it is freed */
        json_t *tk = json_object_get(o, "ticket");
        char *p = (char *)json_string_value(tk);
        if (p)
            explicit_bzero(p, json_string_length(tk));
    }
    json_decref(o);
    return s;
}

void x_exchange(struct x_config *cfg, const char *body, size_t len, const char *remote,
                int64_t now, struct x_result *res)
{
    json_t *doc = NULL;
    const char *token = NULL, *line = NULL, *principal = NULL;
    size_t tlen = 0;
    char fp[DLG_SSH_FP_LEN] = "", why[256] = "";
    struct x_token t = { 0 };
    const struct x_rule *rule = NULL;
    struct x_minted m = { 0 };
    enum x_reason r;
    int rc;

    if (parse_body(body, len, &doc, &token, &tlen, &line, why, sizeof(why)) != 0) {
        r = XR_MALFORMED;
        goto out;
    }
    if (dlg_ssh_pubkey_line_fp(line, strlen(line), fp, why, sizeof(why)) != 0) {
        fp[0] = '\0';
        r = XR_BAD_SSH_KEY;
        goto out;
    }
    r = x_token_verify(cfg, token, tlen, now, &t, why, sizeof(why));
    if (r != XR_OK)
        goto out;
    r = x_rules_decide(cfg, &t, &rule, &principal, why, sizeof(why));
    if (r != XR_OK)
        goto out;
    /* minted first (cheap), so a ticket that could not be handed out
     * never uses the token up */
    if (x_mint(cfg, rule, principal, fp, now, &m, why, sizeof(why)) != 0) {
        r = XR_INTERNAL;
        goto out;
    }
    if (strcmp(cfg->alg, "EdDSA") == 0 && strlen(m.ticket) > X_TICKET_MAX_EDDSA) {
        snprintf(why, sizeof(why), "the ticket would be %zu bytes (sudo refuses 512 or more)",
                 strlen(m.ticket));
        r = XR_BAD_TOKEN;
        goto out;
    }
    rc = x_replay_claim(cfg->state, t.provider->issuer, t.jti, t.exp, now);
    if (rc != 0) {
        r = rc > 0 ? XR_REPLAYED : XR_UNAVAILABLE;
        snprintf(why, sizeof(why), rc > 0 ? "this CI token was exchanged before"
                                          : "cannot record the token in the state directory");
        goto out;
    }
out:
    x_refusal(r, remote, why, res);
    if (r == XR_OK) {
        free(res->body);
        res->body = success_body(&m, rule, principal);
        json_object_set_new(res->audit, "ticket_jti", json_string(m.jti));
        json_object_set_new(res->audit, "exp", json_integer(m.exp));
    }
    if (t.provider)
        json_object_set_new(res->audit, "provider", json_string(t.provider->id));
    if (t.claims)
        json_object_set_new(res->audit, "claims", claims_record(&t, rule));
    if (rule) {
        json_object_set_new(res->audit, "rule_line", json_integer(rule->line));
        json_object_set_new(res->audit, "actor", json_string(rule->actor));
        if (principal)
            json_object_set_new(res->audit, "principal", json_string(principal));
        json_object_set_new(res->audit, "hosts", json_pack("[]"));
        for (size_t i = 0; i < rule->hosts.n; i++)
            json_array_append_new(json_object_get(res->audit, "hosts"), json_string(rule->hosts.v[i]));
    }
    json_object_set_new(res->audit, "key", fp[0] ? json_string(fp) : json_null());
    if (!res->body)
        res->status = 503;
    x_minted_free(&m);
    x_token_free(&t);
    if (doc) {
        /* the CI token is a bearer secret too */
        json_t *tk = json_object_get(doc, "token");
        char *p = (char *)json_string_value(tk);
        if (p)
            explicit_bzero(p, json_string_length(tk));
    }
    json_decref(doc);
}
