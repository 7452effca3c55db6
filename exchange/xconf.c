/* /etc/delegate/exchange.conf (DESIGN.md §6b): libconfig, validated like
 * delegate.conf: unknown settings, wrong types and unsafe rules are errors
 * with FILE:LINE.  The file must pass the same trust walk as the host's
 * config (root-owned, not writable by group or others, up to "/"). */
#include <arpa/inet.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "ticket/sign.h"
#include "xchg.h"

#define CONF_MAX (1024 * 1024)

struct xl {
    const char *path;
    struct dlg_diag *diag;
    int nerr;
};

__attribute__((format(printf, 3, 4)))
static void err_at(struct xl *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->nerr++;
    dlg_diag_error(L->diag, L->path, s ? (int)config_setting_source_line(s) : 0, "%s", msg);
}

__attribute__((format(printf, 3, 4)))
static void warn_at(struct xl *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dlg_diag_warn(L->diag, L->path, s ? (int)config_setting_source_line(s) : 0, "%s", msg);
}

/* Every member of group g must be named in allowed. */
static void known_keys(struct xl *L, const config_setting_t *g, const char *where,
                       const char *const *allowed)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        bool ok = false;

        for (const char *const *a = allowed; *a && !ok; a++)
            ok = name && strcmp(name, *a) == 0;
        if (!ok)
            err_at(L, m, "unknown setting '%s'%s%s", name ? name : "?", where ? " in " : "",
                   where ? where : "");
    }
}

/* A string member: NULL when absent (required: an error). */
static char *get_str(struct xl *L, const config_setting_t *g, const char *name, bool required,
                     const char *where)
{
    const config_setting_t *s = config_setting_get_member(g, name);

    if (!s) {
        if (required)
            err_at(L, g, "%s: '%s' is required", where, name);
        return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        err_at(L, s, "%s: '%s' must be a string", where, name);
        return NULL;
    }
    const char *v = config_setting_get_string(s);
    if (!v || !v[0]) {
        err_at(L, s, "%s: '%s' must not be empty", where, name);
        return NULL;
    }
    char *c = strdup(v);
    if (!c)
        err_at(L, s, "out of memory");
    return c;
}

static char *get_path(struct xl *L, const config_setting_t *g, const char *name, bool required,
                      const char *where)
{
    char *v = get_str(L, g, name, required, where);

    if (v && v[0] != '/') {
        err_at(L, config_setting_get_member(g, name), "%s: '%s' must be an absolute path",
               where, name);
        free(v);
        return NULL;
    }
    return v;
}

/* An integer member within lo..hi; def when absent. */
static int64_t get_int(struct xl *L, const config_setting_t *g, const char *name, int64_t def,
                       int64_t lo, int64_t hi, const char *where)
{
    const config_setting_t *s = config_setting_get_member(g, name);
    int64_t v;

    if (!s)
        return def;
    if (config_setting_type(s) == CONFIG_TYPE_INT)
        v = config_setting_get_int(s);
    else if (config_setting_type(s) == CONFIG_TYPE_INT64)
        v = config_setting_get_int64(s);
    else {
        err_at(L, s, "%s: '%s' must be an integer", where, name);
        return def;
    }
    if (v < lo || v > hi) {
        err_at(L, s, "%s: '%s' = %lld is out of range (%lld..%lld)", where, name, (long long)v,
               (long long)lo, (long long)hi);
        return def;
    }
    return v;
}

/* A list of strings, each checked by ok(). */
static void get_list(struct xl *L, const config_setting_t *g, const char *name, bool required,
                     bool (*ok)(const char *), const char *what, struct dlg_strv *out,
                     const char *where)
{
    const config_setting_t *s = config_setting_get_member(g, name);

    if (!s) {
        if (required)
            err_at(L, g, "%s: '%s' is required", where, name);
        return;
    }
    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        err_at(L, s, "%s: '%s' must be a list of strings, e.g. [\"a\", \"b\"]", where, name);
        return;
    }
    if (config_setting_length(s) == 0 && required)
        err_at(L, s, "%s: '%s' must not be empty", where, name);
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;

        if (!v || !ok(v))
            err_at(L, e, "%s: '%s' has an invalid %s '%s'", where, name, what, v ? v : "(not a string)");
        else if (dlg_strv_contains(out, v))
            err_at(L, e, "%s: '%s' lists '%s' twice", where, name, v);
        else if (dlg_strv_push(out, v) != 0)
            err_at(L, e, "out of memory");
    }
}

static bool valid_host(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* A claim name: lower-case letters, digits and '_' (as GitHub and GitLab
 * spell theirs). */
static bool valid_claim_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* "host:port" with a numeric IPv4 or [IPv6] address, or an absolute path. */
static bool valid_listen(const char *s)
{
    char host[64];
    const char *colon;
    unsigned char buf[16];
    char *end;
    long port;

    if (s[0] == '/')
        return strlen(s) < 100;     /* sun_path */
    colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535)
        return false;
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return false;
        host[n - 1] = '\0';
        return inet_pton(AF_INET6, host + 1, buf) == 1;
    }
    return inet_pton(AF_INET, host, buf) == 1;
}

static const char *const top_keys[] = { "version", "listen", "tls", "issuer", "state", "timeout",
                                        "max_connections", "providers", "rules", NULL };
static const char *const tls_keys[] = { "cert", "key", NULL };
static const char *const issuer_keys[] = { "id", "kid", "key", NULL };
static const char *const provider_keys[] = { "id", "issuer", "audience", "jwks_url", "jwks_file",
                                             "ca", "max_age", "type", NULL };
static const char *const rule_keys[] = { "provider", "match", "actor", "principal_claim",
                                         "principal", "hosts", "services", "runas", "ttl", NULL };

static void load_top(struct xl *L, const config_setting_t *root, struct x_config *cfg)
{
    const config_setting_t *s;

    known_keys(L, root, NULL, top_keys);
    s = config_setting_get_member(root, "version");
    if (!s)
        err_at(L, root, "'version = 1;' is required");
    else if (config_setting_type(s) != CONFIG_TYPE_INT || config_setting_get_int(s) != 1)
        err_at(L, s, "unsupported version (this is version 1)");

    cfg->listen = get_str(L, root, "listen", false, "top level");
    if (!cfg->listen)
        cfg->listen = strdup(X_DEFAULT_LISTEN);
    else if (!valid_listen(cfg->listen))
        err_at(L, config_setting_get_member(root, "listen"),
               "listen: '%s' is neither ADDRESS:PORT (numeric IPv4, or [IPv6]) nor an absolute "
               "unix socket path", cfg->listen);

    s = config_setting_get_member(root, "tls");
    if (s) {
        if (!config_setting_is_group(s)) {
            err_at(L, s, "tls must be a group { cert = ...; key = ...; }");
        } else {
            known_keys(L, s, "tls", tls_keys);
            cfg->tls_cert = get_path(L, s, "cert", true, "tls");
            cfg->tls_key = get_path(L, s, "key", true, "tls");
        }
        if (cfg->listen && cfg->listen[0] == '/')
            err_at(L, s, "tls on a unix socket is not supported: drop tls or listen on ADDRESS:PORT");
    }

    s = config_setting_get_member(root, "issuer");
    if (!s || !config_setting_is_group(s)) {
        err_at(L, s ? s : root, "'issuer = { id = ...; kid = ...; key = ...; }' is required");
    } else {
        known_keys(L, s, "issuer", issuer_keys);
        cfg->issuer_id = get_str(L, s, "id", true, "issuer");
        if (cfg->issuer_id && !dlg_valid_name_token(cfg->issuer_id))
            err_at(L, s, "issuer: invalid id '%s'", cfg->issuer_id);
        cfg->issuer_kid = get_str(L, s, "kid", false, "issuer");
        if (cfg->issuer_kid && !dlg_valid_jti(cfg->issuer_kid))
            err_at(L, config_setting_get_member(s, "kid"),
                   "issuer: invalid kid '%s' (1 to 64 of A-Z a-z 0-9 . _ -)", cfg->issuer_kid);
        cfg->issuer_key = get_path(L, s, "key", true, "issuer");
    }

    cfg->state = get_path(L, root, "state", false, "top level");
    if (!cfg->state)
        cfg->state = strdup(X_DEFAULT_STATE);
    cfg->timeout = get_int(L, root, "timeout", 10, 1, 300, "top level");
    cfg->max_connections = get_int(L, root, "max_connections", 64, 1, 10000, "top level");
}

static void load_provider(struct xl *L, const config_setting_t *s, struct x_config *cfg,
                          struct x_provider *p)
{
    const char *where = "provider";
    char *type;

    p->line = (int)config_setting_source_line(s);
    if (!config_setting_is_group(s)) {
        err_at(L, s, "each provider must be a group { id = ...; issuer = ...; ... }");
        return;
    }
    known_keys(L, s, "a provider", provider_keys);
    p->id = get_str(L, s, "id", true, where);
    if (p->id && !dlg_valid_jti(p->id))
        err_at(L, s, "provider: invalid id '%s' (1 to 64 of A-Z a-z 0-9 . _ -)", p->id);
    for (size_t i = 0; p->id && i < cfg->nproviders; i++)
        if (cfg->providers[i].id && &cfg->providers[i] != p && strcmp(cfg->providers[i].id, p->id) == 0)
            err_at(L, s, "provider: duplicate id '%s'", p->id);
    p->issuer = get_str(L, s, "issuer", true, where);
    if (p->issuer && strncmp(p->issuer, "https://", 8) != 0)
        err_at(L, config_setting_get_member(s, "issuer"),
               "provider %s: issuer '%s' must be an https:// URL, exactly as the tokens' iss",
               p->id ? p->id : "?", p->issuer);
    for (size_t i = 0; p->issuer && i < cfg->nproviders; i++)
        if (&cfg->providers[i] != p && cfg->providers[i].issuer &&
            strcmp(cfg->providers[i].issuer, p->issuer) == 0)
            err_at(L, s, "provider %s: another provider has the same issuer", p->id ? p->id : "?");
    p->audience = get_str(L, s, "audience", false, where);
    if (!p->audience)
        err_at(L, s, "provider %s: 'audience' is required (no default: a value unique to this "
                     "deployment, e.g. \"delegate-prod\")", p->id ? p->id : "?");
    p->jwks_url = get_str(L, s, "jwks_url", false, where);
    p->jwks_file = get_path(L, s, "jwks_file", false, where);
    {
        bool has_url = config_setting_get_member(s, "jwks_url") != NULL;
        bool has_file = config_setting_get_member(s, "jwks_file") != NULL;

        if (!has_url && !has_file)
            err_at(L, s, "provider %s: one of 'jwks_url' or 'jwks_file' is required",
                   p->id ? p->id : "?");
        else if (has_url && has_file)
            err_at(L, s, "provider %s: 'jwks_url' and 'jwks_file' exclude each other",
                   p->id ? p->id : "?");
    }
    if (p->jwks_url && strncmp(p->jwks_url, "https://", 8) != 0)
        err_at(L, config_setting_get_member(s, "jwks_url"),
               "provider %s: jwks_url must be https://", p->id ? p->id : "?");
    p->ca = get_path(L, s, "ca", false, where);
    if (p->ca && p->jwks_file)
        err_at(L, config_setting_get_member(s, "ca"), "provider %s: 'ca' is only for jwks_url",
               p->id ? p->id : "?");
    p->max_age = get_int(L, s, "max_age", 3600, 1, 86400, where);

    type = get_str(L, s, "type", false, where);
    if (type) {
        if (strcmp(type, "github") == 0)
            p->kind = X_GITHUB;
        else if (strcmp(type, "gitlab") == 0)
            p->kind = X_GITLAB;
        else
            err_at(L, config_setting_get_member(s, "type"),
                   "provider %s: type must be \"github\" or \"gitlab\"", p->id ? p->id : "?");
        free(type);
    } else if (p->issuer && strncmp(p->issuer, X_GITHUB_ISSUER, strlen(X_GITHUB_ISSUER)) == 0) {
        p->kind = X_GITHUB;
    } else if (p->issuer) {
        err_at(L, s, "provider %s: 'type' (\"github\" or \"gitlab\") is required for an issuer "
                     "other than %s", p->id ? p->id : "?", X_GITHUB_ISSUER);
    }
}

static void load_match(struct xl *L, const config_setting_t *m, const struct x_provider *p,
                       struct x_rule *r)
{
    const char *id_claim = p->kind == X_GITHUB ? "repository_id" : "project_id";
    bool has_id = false;

    if (!m || !config_setting_is_group(m)) {
        err_at(L, m, "rule: 'match = { %s = \"...\"; ... }' is required", id_claim);
        return;
    }
    r->match = calloc((size_t)config_setting_length(m) + 1, sizeof(*r->match));
    if (!r->match) {
        err_at(L, m, "out of memory");
        return;
    }
    for (int i = 0; i < config_setting_length(m); i++) {
        const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
        const char *name = config_setting_name(e);
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;

        if (!name || !valid_claim_name(name)) {
            err_at(L, e, "rule: match: invalid claim name '%s'", name ? name : "?");
            continue;
        }
        if (!v) {
            err_at(L, e, "rule: match: %s must be a string (claims are compared as strings, "
                         "exactly; write \"%s\")", name,
                   config_setting_type(e) == CONFIG_TYPE_INT ? "the number in quotes" : "...");
            continue;
        }
        if (!v[0]) {
            err_at(L, e, "rule: match: %s must not be empty", name);
            continue;
        }
        if (strcmp(name, "event_name") == 0 && x_event_refused(v))
            err_at(L, e, "rule: match: event_name \"%s\" is always refused (fork and pull "
                         "request runs can run code the repository did not approve)", v);
        if (strcmp(name, "ref_protected") == 0 && strcmp(v, "true") != 0)
            err_at(L, e, "rule: match: ref_protected must be \"true\" (unprotected refs are "
                         "always refused)");
        if (strchr(v, '*') || strchr(v, '?'))
            warn_at(L, e, "rule: match: %s = \"%s\" is compared literally: there are no globs",
                    name, v);
        if (strcmp(name, "repository") == 0 || strcmp(name, "repository_owner") == 0 ||
            strcmp(name, "project_path") == 0 || strcmp(name, "namespace_path") == 0 ||
            strcmp(name, "sub") == 0)
            warn_at(L, e, "rule: match: %s is a name that can be re-registered after a rename; "
                          "the immutable id decides", name);
        if (strcmp(name, id_claim) == 0)
            has_id = true;
        r->match[r->nmatch].claim = strdup(name);
        r->match[r->nmatch].value = strdup(v);
        if (!r->match[r->nmatch].claim || !r->match[r->nmatch].value)
            err_at(L, e, "out of memory");
        r->nmatch++;
    }
    if (!has_id)
        err_at(L, m, "rule: match must name the repository by its immutable id: %s "
                     "(provider %s is %s)", id_claim, p->id ? p->id : "?",
               p->kind == X_GITHUB ? "GitHub" : "GitLab");
}

static void load_rule(struct xl *L, const config_setting_t *s, struct x_config *cfg,
                      struct x_rule *r)
{
    const char *where = "rule";
    char *prov;
    const struct x_provider *p = NULL;

    r->line = (int)config_setting_source_line(s);
    if (!config_setting_is_group(s)) {
        err_at(L, s, "each rule must be a group { provider = ...; match = { ... }; ... }");
        return;
    }
    known_keys(L, s, "a rule", rule_keys);
    prov = get_str(L, s, "provider", true, where);
    for (size_t i = 0; prov && i < cfg->nproviders; i++)
        if (cfg->providers[i].id && strcmp(cfg->providers[i].id, prov) == 0) {
            p = &cfg->providers[i];
            r->provider = i;
        }
    if (prov && !p)
        err_at(L, config_setting_get_member(s, "provider"), "rule: unknown provider '%s'", prov);
    free(prov);
    if (p)
        load_match(L, config_setting_get_member(s, "match"), p, r);

    r->actor = get_str(L, s, "actor", true, where);
    if (r->actor && !dlg_valid_username(r->actor))
        err_at(L, config_setting_get_member(s, "actor"), "rule: invalid actor name '%s'", r->actor);
    r->principal_claim = get_str(L, s, "principal_claim", false, where);
    r->principal = get_str(L, s, "principal", false, where);
    if (!r->principal_claim == !r->principal)
        err_at(L, s, "rule: exactly one of 'principal_claim' (e.g. \"actor\" on GitHub, "
                     "\"user_login\" on GitLab) or 'principal' is required");
    if (r->principal_claim && !valid_claim_name(r->principal_claim))
        err_at(L, config_setting_get_member(s, "principal_claim"),
               "rule: invalid claim name '%s'", r->principal_claim);
    if (r->principal && !dlg_valid_name(r->principal))
        err_at(L, config_setting_get_member(s, "principal"), "rule: invalid principal '%s'",
               r->principal);
    get_list(L, s, "hosts", true, valid_host, "host name", &r->hosts, where);
    get_list(L, s, "services", true, dlg_valid_service, "service name", &r->services, where);
    get_list(L, s, "runas", false, dlg_valid_name, "user name", &r->runas, where);
    r->ttl = get_int(L, s, "ttl", X_TTL_MAX, 1, X_TTL_MAX, where);
}

static void load_lists(struct xl *L, const config_setting_t *root, struct x_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "providers");
    int n;

    if (!s || !config_setting_is_list(s) || config_setting_length(s) == 0) {
        err_at(L, s ? s : root, "'providers = ( { ... } );' with at least one provider is required");
    } else {
        n = config_setting_length(s);
        cfg->providers = calloc((size_t)n, sizeof(*cfg->providers));
        if (!cfg->providers) {
            err_at(L, s, "out of memory");
            return;
        }
        cfg->nproviders = (size_t)n;
        for (int i = 0; i < n; i++)
            load_provider(L, config_setting_get_elem(s, (unsigned)i), cfg, &cfg->providers[i]);
    }

    s = config_setting_get_member(root, "rules");
    if (!s || !config_setting_is_list(s) || config_setting_length(s) == 0) {
        err_at(L, s ? s : root, "'rules = ( { ... } );' with at least one rule is required");
        return;
    }
    n = config_setting_length(s);
    cfg->rules = calloc((size_t)n, sizeof(*cfg->rules));
    if (!cfg->rules) {
        err_at(L, s, "out of memory");
        return;
    }
    cfg->nrules = (size_t)n;
    for (int i = 0; i < n; i++)
        load_rule(L, config_setting_get_elem(s, (unsigned)i), cfg, &cfg->rules[i]);
}

/* Tickets must fit sudo's 512 bytes (DESIGN.md §2).  The largest ticket a
 * rule can mint (with the longest principal its claim can carry:
 * x_principal_max) is signed once at load:
 * over the limit it is an error with an Ed25519 key (the size is then
 * certain), a warning with the longer ES256/RS256 signatures. */
static void check_sizes(struct xl *L, struct x_config *cfg, const config_setting_t *rules)
{
    static const char fp[] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char longest[65], why[128];
    bool eddsa = strcmp(cfg->alg, "EdDSA") == 0;

    for (size_t i = 0; i < cfg->nrules; i++) {
        struct x_rule *r = &cfg->rules[i];
        struct x_minted m = { 0 };
        const config_setting_t *at = config_setting_get_elem(rules, (unsigned)i);

        memset(longest, 'a', 64);
        longest[x_principal_max(cfg, r)] = '\0';
        if (x_mint(cfg, r, r->principal ? r->principal : longest, fp, INT64_C(4102444800), &m,
                   why, sizeof(why)) != 0) {
            err_at(L, at, "rule: cannot sign a ticket with the issuer key: %s", why);
            continue;
        }
        if (strlen(m.ticket) >= 512 && eddsa)
            err_at(L, at, "rule: its tickets can reach %zu bytes, and sudo refuses 512 or more: "
                          "name fewer hosts, services or runas users", strlen(m.ticket));
        else if (strlen(m.ticket) >= 512)
            warn_at(L, at, "rule: its tickets can reach %zu bytes; sudo refuses 512 or more "
                           "(an Ed25519 issuer key makes them shorter)", strlen(m.ticket));
        x_minted_free(&m);
    }
}

int x_config_load(const char *path, struct x_config *cfg, struct dlg_diag *diag, bool load_key)
{
    struct xl L = { path, diag, 0 };
    config_t c;
    char *text = NULL, err[512];
    size_t len = 0;
    struct stat st;
    int ok;

    memset(cfg, 0, sizeof(*cfg));
    config_init(&c);
    cfg->path = strdup(path);
    if (dlg_read_trusted(path, CONF_MAX, &text, &len, &st, err, sizeof(err)) != 0) {
        dlg_diag_error(diag, path, 0, "%s", err);
        L.nerr++;
        goto out;
    }
    {
        int line = 1;

        for (const char *p = text; p; p = strchr(p, '\n'), line++) {
            p += *p == '\n';
            if (strncmp(p + strspn(p, " \t"), "@include", 8) == 0) {
                dlg_diag_error(diag, path, line, "@include is not supported in the exchange's config");
                L.nerr++;
                goto out;
            }
        }
    }
    {
        locale_t saved = uselocale((locale_t)0);
        ok = config_read_string(&c, text);
        uselocale(saved);
    }
    if (!ok) {
        dlg_diag_error(diag, path, config_error_line(&c), "%s", config_error_text(&c));
        L.nerr++;
        goto out;
    }
    load_top(&L, config_root_setting(&c), cfg);
    load_lists(&L, config_root_setting(&c), cfg);
    if (L.nerr == 0 && load_key && cfg->issuer_key) {
        cfg->key = dlg_load_private_key(cfg->issuer_key, err, sizeof(err));
        if (!cfg->key) {
            err_at(&L, config_lookup(&c, "issuer.key"), "issuer key: %s", err);
        } else {
            cfg->alg = dlg_key_default_alg(cfg->key);
            if (L.nerr == 0)
                check_sizes(&L, cfg, config_setting_get_member(config_root_setting(&c), "rules"));
        }
    }
out:
    config_destroy(&c);
    free(text);
    return L.nerr ? -1 : 0;
}

void x_config_free(struct x_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nproviders; i++) {
        struct x_provider *p = &cfg->providers[i];
        x_jwks_detach(p);
        free(p->id);
        free(p->issuer);
        free(p->audience);
        free(p->jwks_url);
        free(p->jwks_file);
        free(p->ca);
    }
    for (size_t i = 0; i < cfg->nrules; i++) {
        struct x_rule *r = &cfg->rules[i];
        for (size_t j = 0; j < r->nmatch; j++) {
            free(r->match[j].claim);
            free(r->match[j].value);
        }
        free(r->match);
        free(r->actor);
        free(r->principal_claim);
        free(r->principal);
        dlg_strv_free(&r->hosts);
        dlg_strv_free(&r->services);
        dlg_strv_free(&r->runas);
    }
    free(cfg->providers);
    free(cfg->rules);
    free(cfg->path);
    free(cfg->listen);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->issuer_id);
    free(cfg->issuer_kid);
    free(cfg->issuer_key);
    free(cfg->state);
    EVP_PKEY_free(cfg->key);
    memset(cfg, 0, sizeof(*cfg));
}
