/* Internal to the config loader (common/config*.c); not part of the API
 * (that is config.h).  The loader's state and the helpers its pieces
 * share, under the names they had as statics of the single config.c:
 *
 *   config.c           the loader: read and parse, validate, load
 *   config_text.c      the value a text load makes: its ops and its release
 *   config_diag.c      diagnostics: FILE:LINE of a setting, errors, warnings
 *   config_include.c   @include expansion, the line map, the lexical checks
 *   config_get.c       typed getters and value validators
 *   config_sections.c  version, host, tickets, accounts, issuers, groups, audit,
 *                      sessions
 *   config_actor.c     actors, field by field, and their duplicate checks
 *   config_revoke.c    the revoke section
 *   config_index.c     the sorted tables and indexes of a valid config
 *   config_feed.c      the feeds list and each feed's verified revocations
 *
 * The value itself (lookups, revoked id sets, field lists) is below the
 * loader: config_lookup.c, config_revoked.c, config_fields.c.
 *
 * libconfig + libc only, like config.c: the NSS module links every one of
 * these files (compiled with -include nss_delegate/lcshim.h).  Built with
 * -fvisibility=hidden, so none of these names leaves a shared object. */
#ifndef DLG_CONFIG_INT_H
#define DLG_CONFIG_INT_H

#include "config/config.h"
#include "util/paths.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define CONFIG_MAX_BYTES   ((size_t)8 * 1024 * 1024)
#define INCLUDE_MAX_DEPTH  10
#define ID_MAX             UINT32_C(4294967294)  /* (uid_t)-1 is "no id" */
#define ID_MIN             1000
#define APPROVALS_MAX      64
#define PROMPT_MAX         256

#define DEFAULT_CLOCK_SKEW   60
#define DEFAULT_MAX_LIFETIME 3600
#define DEFAULT_PROMPT       "Delegation ticket: "
#define DEFAULT_ACC_GROUP    "delegated"
#define DEFAULT_ACC_GID      62000
#define DEFAULT_UID_MIN      62001
#define DEFAULT_UID_MAX      62999
#define DEFAULT_ACC_HOME     DLG_DEFAULT_HOME     /* paths.h */
#define DEFAULT_ACC_SHELL    DLG_DEFAULT_SHELL    /* paths.h */
#define DEFAULT_TYP          "dlg+jwt"

struct loader {
    const char *path;           /* main file, as given */
    struct dlg_diag *diag;
    int nerr;
    bool revoke_only;           /* dlg_revoke_file_validate */
    bool revoke_optional;       /* dlg_revoke_file_check: no group is fine */
    struct dlg_config *cfg;
    char **texts;               /* text of cfg->files[i], for error lines */
    bool raced;                 /* a file was replaced while being read */
    /* the expanded text libconfig parses, and where each part came from */
    char *xbuf;
    size_t xlen, xcap;
    int xline;                  /* line number at the end of xbuf */
    struct xseg {
        int xline;              /* first expanded line of the segment */
        const char *file;       /* points to a cfg->files[i].path */
        int line;               /* its line in file */
    } *segs;
    size_t nsegs, segcap;
};

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

typedef bool (*validator_fn)(const char *);

/* config.c */
void validate(struct loader *L, const config_setting_t *root);
void verify_includes(struct loader *L, const config_t *c);
struct dlg_config *new_text_config(void);

/* config_diag.c */
void lerr(struct loader *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *map_file(const struct loader *L, int xline);
int map_line(const struct loader *L, int xline);
const char *src_file(const struct loader *L, const config_setting_t *s);
int src_line(const struct loader *L, const config_setting_t *s);
const char *file_text(const struct loader *L, const char *path);
void serr(struct loader *L, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void swarn(struct loader *L, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void oom(struct loader *L);

/* config_include.c */
struct dlg_file_id *find_file(const struct dlg_config *cfg, const char *path);
int add_file(struct loader *L, const char *path, const struct stat *st, char *text);
int scan_text(struct loader *L, const char *file, const char *text, size_t len, int depth);

/* config_get.c */
config_setting_t *member(const config_setting_t *g, const char *name);
void collect_members(struct loader *L, const config_setting_t *g,
                     const char *const *known, const config_setting_t **found,
                     const char *where);
void check_known(struct loader *L, const config_setting_t *g,
                 const char *const *known, const char *where);
bool has_ctl(const char *s);
int get_string_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                  const char *name, bool required, const char *what, const char **out);
int get_string(struct loader *L, const config_setting_t *g, const char *name,
               bool required, const char *what, const char **out);
int get_bool(struct loader *L, const config_setting_t *g, const char *name,
             const char *what, bool *out);
int get_int_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
               const char *name, bool required, const char *what, int64_t *out);
int get_int(struct loader *L, const config_setting_t *g, const char *name,
            bool required, const char *what, int64_t *out);
int get_id_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
              const char *name, bool required, const char *what, uint32_t *out);
int get_id(struct loader *L, const config_setting_t *g, const char *name,
           bool required, const char *what, uint32_t *out);
int get_seconds_at(struct loader *L, const config_setting_t *s, const char *name,
                   const char *what, bool positive, int64_t *out);
int get_seconds(struct loader *L, const config_setting_t *g, const char *name,
                const char *what, bool positive, int64_t *out);
int time_value(struct loader *L, const config_setting_t *s, const char *what,
               const char *name, int64_t *out);
bool valid_principal(const char *s);
bool valid_hostname(const char *s);
bool is_list(const config_setting_t *s);
int get_strlist_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                   const char *name, bool required, bool nonempty, const char *what,
                   validator_fn valid, const char *kind, struct dlg_strv *out);
int get_strlist(struct loader *L, const config_setting_t *g, const char *name,
                bool required, bool nonempty, const char *what,
                validator_fn valid, const char *kind, struct dlg_strv *out);
int group_list(struct loader *L, const config_setting_t *g, const char *name,
               const config_setting_t **out);
const config_setting_t *section(struct loader *L, const config_setting_t *root,
                                const char *name);
int dup_str(struct loader *L, char **dst, const char *src);
bool valid_path(const char *s);
bool valid_passwd_path(const char *s);
bool valid_home_template(const char *s);
char *expand_home(const char *tmpl, const char *name);

/* config_sections.c */
void load_version(struct loader *L, const config_setting_t *root);
void load_host(struct loader *L, const config_setting_t *root);
void load_tickets(struct loader *L, const config_setting_t *root);
void load_accounts(struct loader *L, const config_setting_t *root);
void load_issuers(struct loader *L, const config_setting_t *root);
void load_groups(struct loader *L, const config_setting_t *root);
void load_audit(struct loader *L, const config_setting_t *root);
void load_sessions(struct loader *L, const config_setting_t *root);

/* config_revoke.c */
void load_revoke(struct loader *L, const config_setting_t *root);

/* config_feed.c */
void load_feeds(struct loader *L, const config_setting_t *root);

/* config_actor.c */
void load_actors(struct loader *L, const config_setting_t *root);

/* config_index.c */
int build_indexes(struct loader *L);

#endif
