/* Which rule a verified CI token meets.  Safe defaults come first and no
 * rule can lift them: GitHub's pull_request, pull_request_target,
 * workflow_run and issue_comment events (code from forks, or runs a
 * stranger can trigger) and GitLab tokens without ref_protected = "true"
 * are refused.  Then the first rule of the token's provider whose every
 * match value equals the claim (a string, compared exactly) wins. */
#include <stdio.h>
#include <string.h>

#include "xchg.h"

bool x_event_refused(const char *event_name)
{
    static const char *const refused[] = { "pull_request", "pull_request_target", "workflow_run",
                                           "issue_comment", NULL };

    for (const char *const *e = refused; event_name && *e; e++)
        if (strcmp(event_name, *e) == 0)
            return true;
    return false;
}

size_t x_principal_max(const struct x_config *cfg, const struct x_rule *rule)
{
    const char *c = rule->principal_claim;

    if (rule->principal)
        return strlen(rule->principal);
    if (cfg->providers[rule->provider].kind == X_GITHUB && c &&
        (strcmp(c, "actor") == 0 || strcmp(c, "triggering_actor") == 0))
        return 39;
    return 64;
}

static bool rule_holds(const struct x_rule *r, const json_t *claims)
{
    for (size_t i = 0; i < r->nmatch; i++) {
        const char *v = x_claim_str(claims, r->match[i].claim);

        if (!v || strcmp(v, r->match[i].value) != 0)
            return false;
    }
    return r->nmatch > 0;
}

enum x_reason x_rules_decide(const struct x_config *cfg, const struct x_token *t,
                             const struct x_rule **rule, const char **principal, char *why,
                             size_t whylen)
{
    const char *ev = x_claim_str(t->claims, "event_name");
    size_t pi = (size_t)(t->provider - cfg->providers);

    *rule = NULL;
    *principal = NULL;
    if (json_object_get(t->claims, "event_name") && (!ev || x_event_refused(ev))) {
        snprintf(why, whylen, "event_name %s is always refused", ev ? ev : "(not a string)");
        return XR_EVENT_REFUSED;
    }
    if (t->provider->kind == X_GITLAB) {
        const char *rp = x_claim_str(t->claims, "ref_protected");

        if (!rp || strcmp(rp, "true") != 0) {
            snprintf(why, whylen, "GitLab token without ref_protected = \"true\"");
            return XR_EVENT_REFUSED;
        }
    }
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct x_rule *r = &cfg->rules[i];

        if (r->provider != pi || !rule_holds(r, t->claims))
            continue;
        *principal = r->principal ? r->principal : x_claim_str(t->claims, r->principal_claim);
        if (!dlg_valid_name(*principal) || strlen(*principal) > x_principal_max(cfg, r)) {
            snprintf(why, whylen, "the rule of line %d takes the principal from claim %s, which "
                                  "is missing, not a valid name or too long", r->line, r->principal_claim);
            *principal = NULL;
            return XR_BAD_TOKEN;
        }
        *rule = r;
        return XR_OK;
    }
    snprintf(why, whylen, "no rule of provider %s matches", t->provider->id);
    return XR_NO_RULE;
}
