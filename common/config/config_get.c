/* Typed getters over libconfig settings (string, bool, int, id, seconds,
 * time, string list, group list) and the validators of their values. */
#include "config/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

config_setting_t *member(const config_setting_t *g, const char *name)
{
    if (g == NULL || config_setting_type(g) != CONFIG_TYPE_GROUP)
        return NULL;
    return config_setting_get_member(g, name);
}

/* One pass over the members of g: found[k] = the member named known[k]
 * (NULL if absent); every other member is reported as unknown.  Cheaper
 * than a config_setting_get_member (a linear scan) per known name. */
void collect_members(struct loader *L, const config_setting_t *g,
                     const char *const *known, const config_setting_t **found,
                     const char *where)
{
    int n = config_setting_length(g);
    size_t k;

    for (k = 0; known[k] != NULL; k++)
        found[k] = NULL;
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        for (k = 0; name != NULL && known[k] != NULL; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (name != NULL && known[k] != NULL)
            found[k] = m;
        else
            serr(L, m, "unknown setting '%s' in %s", name != NULL ? name : "?", where);
    }
}

void check_known(struct loader *L, const config_setting_t *g,
                 const char *const *known, const char *where)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        bool ok = false;
        for (const char *const *k = known; *k != NULL; k++)
            if (name != NULL && strcmp(name, *k) == 0)
                ok = true;
        if (!ok)
            serr(L, m, "unknown setting '%s' in %s", name != NULL ? name : "?", where);
    }
}

bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The getters: the *_at forms take the member s of g already looked up
 * (NULL if absent); the plain forms look it up by name.
 * 1 found, 0 absent (not required), -1 error (reported). */
int get_string_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                  const char *name, bool required, const char *what, const char **out)
{
    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        serr(L, s, "%s: '%s' must be a string", what, name);
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

int get_string(struct loader *L, const config_setting_t *g, const char *name,
               bool required, const char *what, const char **out)
{
    return get_string_at(L, g, member(g, name), name, required, what, out);
}

int get_bool(struct loader *L, const config_setting_t *g, const char *name,
             const char *what, bool *out)
{
    const config_setting_t *s = member(g, name);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        serr(L, s, "%s: '%s' must be true or false", what, name);
        return -1;
    }
    *out = config_setting_get_bool(s) != 0;
    return 1;
}

static bool is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static int64_t int_value(const config_setting_t *s)
{
    if (config_setting_type(s) == CONFIG_TYPE_INT)
        return config_setting_get_int(s);
    return config_setting_get_int64(s);
}

int get_int_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
               const char *name, bool required, const char *what, int64_t *out)
{
    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (!is_int(s)) {
        serr(L, s, "%s: '%s' must be an integer", what, name);
        return -1;
    }
    *out = int_value(s);
    return 1;
}

int get_int(struct loader *L, const config_setting_t *g, const char *name,
            bool required, const char *what, int64_t *out)
{
    return get_int_at(L, g, member(g, name), name, required, what, out);
}

static const char wrap_hint[] = " (an integer above 2147483647 needs the L suffix)";

/* A uid or gid: 1000 .. 2^32-2. */
int get_id_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
              const char *name, bool required, const char *what, uint32_t *out)
{
    int64_t v;
    int r = get_int_at(L, g, s, name, required, what, &v);
    if (r <= 0)
        return r;
    if (v < 0) {
        serr(L, s, "%s: '%s' %lld is negative%s", what, name, (long long)v, wrap_hint);
        return -1;
    }
    if (v < ID_MIN) {
        serr(L, s, "%s: '%s' %lld is below %d (reserved for system accounts)", what, name,
             (long long)v, ID_MIN);
        return -1;
    }
    if (v > (int64_t)ID_MAX) {
        serr(L, s, "%s: '%s' %lld is out of range", what, name, (long long)v);
        return -1;
    }
    *out = (uint32_t)v;
    return 1;
}

int get_id(struct loader *L, const config_setting_t *g, const char *name,
           bool required, const char *what, uint32_t *out)
{
    return get_id_at(L, g, member(g, name), name, required, what, out);
}

/* Seconds: an integer or a duration string ("15m"); never negative. */
int get_seconds_at(struct loader *L, const config_setting_t *s, const char *name,
                   const char *what, bool positive, int64_t *out)
{
    int64_t v;

    if (s == NULL)
        return 0;
    if (is_int(s)) {
        v = int_value(s);
        if (v < 0) {
            serr(L, s, "%s: '%s' must not be negative%s", what, name, wrap_hint);
            return -1;
        }
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (dlg_parse_duration(config_setting_get_string(s), &v) != 0) {
            serr(L, s, "%s: '%s' is not a duration (seconds, or 90s, 15m, 2h, 1d)", what, name);
            return -1;
        }
    } else {
        serr(L, s, "%s: '%s' must be an integer number of seconds", what, name);
        return -1;
    }
    if (positive && v == 0) {
        serr(L, s, "%s: '%s' must be greater than 0", what, name);
        return -1;
    }
    *out = v;
    return 1;
}

int get_seconds(struct loader *L, const config_setting_t *g, const char *name,
                const char *what, bool positive, int64_t *out)
{
    return get_seconds_at(L, member(g, name), name, what, positive, out);
}

/* A point in time: RFC 3339 string, "@secs", or integer seconds. */
int time_value(struct loader *L, const config_setting_t *s, const char *what,
               const char *name, int64_t *out)
{
    if (is_int(s)) {
        int64_t v = int_value(s);
        if (v < 0) {
            serr(L, s, "%s: '%s' must not be negative%s", what, name, wrap_hint);
            return -1;
        }
        *out = v;
        return 1;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (dlg_parse_time(config_setting_get_string(s), out) != 0) {
            serr(L, s, "%s: '%s' is not an RFC 3339 time (\"2026-11-27T10:15:00Z\") or "
                 "integer seconds", what, name);
            return -1;
        }
        return 1;
    }
    serr(L, s, "%s: '%s' must be an RFC 3339 time string or integer seconds", what, name);
    return -1;
}

/* Principals (DESIGN.md §2 "Names"), or "*" = any. */
bool valid_principal(const char *s)
{
    return strcmp(s, "*") == 0 || dlg_valid_name(s);
}

bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '.' || c == '_'))
            return false;
    }
    return true;
}

bool is_list(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_LIST || config_setting_type(s) == CONFIG_TYPE_ARRAY;
}

/* A list or array of strings, each passing valid; duplicates dropped.
 * Returns 1 found, 0 absent, -1 error. */
int get_strlist_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                   const char *name, bool required, bool nonempty, const char *what,
                   validator_fn valid, const char *kind, struct dlg_strv *out)
{
    int rc = 1;

    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (!is_list(s)) {
        serr(L, s, "%s: '%s' must be a list of strings [\"...\", ...]", what, name);
        return -1;
    }
    int n = config_setting_length(s);
    if (n == 0 && nonempty) {
        serr(L, s, "%s: '%s' must not be empty", what, name);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            serr(L, e, "%s: '%s' must be a list of strings", what, name);
            rc = -1;
            continue;
        }
        const char *v = config_setting_get_string(e);
        if (valid != NULL && !valid(v)) {
            serr(L, e, "%s: invalid %s '%s' in '%s'", what, kind, v, name);
            rc = -1;
            continue;
        }
        if (dlg_strv_contains(out, v))
            continue;
        if (dlg_strv_push(out, v) != 0) {
            oom(L);
            return -1;
        }
    }
    return rc;
}

int get_strlist(struct loader *L, const config_setting_t *g, const char *name,
                bool required, bool nonempty, const char *what,
                validator_fn valid, const char *kind, struct dlg_strv *out)
{
    return get_strlist_at(L, g, member(g, name), name, required, nonempty, what, valid, kind,
                          out);
}

/* A list of groups: ( { ... }, { ... } ); an empty [] is fine too.
 * Returns the number of entries, 0 when absent, -1 on a type error. */
int group_list(struct loader *L, const config_setting_t *g, const char *name,
               const config_setting_t **out)
{
    const config_setting_t *s = member(g, name);
    *out = NULL;
    if (s == NULL)
        return 0;
    if (!is_list(s) || (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) > 0)) {
        serr(L, s, "'%s' must be a list of groups ( { ... }, ... )", name);
        return -1;
    }
    *out = s;
    return config_setting_length(s);
}

const config_setting_t *section(struct loader *L, const config_setting_t *root,
                                const char *name)
{
    const config_setting_t *s = member(root, name);
    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        serr(L, s, "'%s' must be a group { ... }", name);
        return NULL;
    }
    return s;
}

int dup_str(struct loader *L, char **dst, const char *src)
{
    *dst = strdup(src);
    if (*dst == NULL) {
        oom(L);
        return -1;
    }
    return 0;
}

bool valid_path(const char *s)
{
    return s[0] == '/' && !has_ctl(s);
}

/* Paths that end up in passwd(5) fields: no ':' either. */
bool valid_passwd_path(const char *s)
{
    return valid_path(s) && strchr(s, ':') == NULL;
}

/* %u = the actor name, %% = '%'; nothing else after '%'. */
bool valid_home_template(const char *s)
{
    if (!valid_passwd_path(s))
        return false;
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] != 'u' && p[1] != '%')
            return false;
        p++;
    }
    return true;
}

char *expand_home(const char *tmpl, const char *name)
{
    size_t nlen = strlen(name), len = 0;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            len += nlen;
            p++;
        } else {
            if (p[0] == '%' && p[1] == '%')
                p++;
            len++;
        }
    }
    char *out = malloc(len + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            memcpy(o, name, nlen);
            o += nlen;
            p++;
        } else {
            if (p[0] == '%' && p[1] == '%')
                p++;
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}
