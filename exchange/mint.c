/* The ticket the exchange hands out (DESIGN.md §2): act = the rule's
 * actor, sub = the principal, aud = the rule's hosts, svc its services,
 * runas if the rule names it, at most X_TTL_MAX seconds, a fresh jti, and
 * cnf.ssh = the fingerprint of the job's ssh key.  Signed by common/'s
 * signer with the issuer key of the config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ticket/sign.h"
#include "ticket/ticket.h"
#include "xchg.h"

static json_t *str_list(const struct dlg_strv *sv, bool scalar_if_one)
{
    json_t *a;

    if (scalar_if_one && sv->n == 1)
        return json_string(sv->v[0]);
    a = json_array();
    for (size_t i = 0; a && i < sv->n; i++)
        if (json_array_append_new(a, json_string(sv->v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int set_new(json_t *o, const char *k, json_t *v)
{
    return v && json_object_set_new(o, k, v) == 0 ? 0 : -1;
}

int x_mint(const struct x_config *cfg, const struct x_rule *rule, const char *principal,
           const char *fp, int64_t now, struct x_minted *out, char *why, size_t whylen)
{
    unsigned char raw[12];      /* 96 random bits: 16 characters, a short ticket */
    char *jti = NULL;
    json_t *claims = json_object();
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!claims || RAND_bytes(raw, sizeof(raw)) != 1 || !(jti = dlg_b64url_encode(raw, sizeof(raw)))) {
        snprintf(why, whylen, "out of memory or randomness");
        goto done;
    }
    out->exp = dlg_time_add(now, rule->ttl > X_TTL_MAX ? X_TTL_MAX : rule->ttl);
    if (set_new(claims, "iss", json_string(cfg->issuer_id)) != 0 ||
        set_new(claims, "sub", json_string(principal)) != 0 ||
        set_new(claims, "act", json_pack("{s:s}", "sub", rule->actor)) != 0 ||
        set_new(claims, "aud", str_list(&rule->hosts, true)) != 0 ||
        set_new(claims, "svc", str_list(&rule->services, false)) != 0 ||
        set_new(claims, "iat", json_integer(now)) != 0 ||
        set_new(claims, "exp", json_integer(out->exp)) != 0 ||
        set_new(claims, "jti", json_string(jti)) != 0 ||
        (rule->runas.n && set_new(claims, "runas", str_list(&rule->runas, false)) != 0) ||
        set_new(claims, "cnf", json_pack("{s:s}", "ssh", fp)) != 0) {
        snprintf(why, whylen, "cannot build the claims");
        goto done;
    }
    out->ticket = dlg_sign_ticket(cfg->key, cfg->alg, cfg->issuer_kid, NULL, claims, why, whylen);
    if (!out->ticket)
        goto done;
    snprintf(out->jti, sizeof(out->jti), "%s", jti);
    rc = 0;
done:
    explicit_bzero(raw, sizeof(raw));
    free(jti);
    json_decref(claims);
    return rc;
}

void x_minted_free(struct x_minted *m)
{
    if (m->ticket) {
        explicit_bzero(m->ticket, strlen(m->ticket));
        free(m->ticket);
    }
    memset(m, 0, sizeof(*m));
}
