/* Shared harness of the PAM tests (run by tests/pam/pam-env.sh under
 * pam_wrapper in a private mount namespace).  Header-only: each test
 * program includes it once.
 *
 * Service files (see pam-env.sh): sshd, sudo, other (prompt), ufp
 * (use_first_pass), tfp (try_first_pass), items (pam_get_items before the
 * account phase), relcfg (config=relative path), badarg (unknown option),
 * snip-sshd and snip-sudo (the shipped conf/pam.d snippets).
 * PD_IGNORED is what the application sees when our module said PAM_IGNORE. */
#ifndef PD_HARNESS_H
#define PD_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "session/session.h"
#include "ticket/ticket.h"
#include "testlib.h"
#include "util/util.h"

#define PD_IGNORED PAM_MODULE_UNKNOWN

struct pdt {
    char *dir;                  /* PD_TEST_DIR */
    char *conf;                 /* dir/delegate.conf */
    char *audit;                /* dir/audit.jsonl */
    char *pub;                  /* dir/corp.pub */
    EVP_PKEY *key;              /* the issuer key "corp"/"k1" */
    char *pub2;                 /* dir/corp2.pub: a second key of corp, "k2" */
    EVP_PKEY *key2;
};
static struct pdt T;

static inline void pdt_die(const char *what)
{
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    abort();
}

/* Atomic replace of a file (root 0644), so the module never reads half. */
static inline void pdt_put_file(const char *path, const char *text)
{
    char tmp[4096];
    int fd;
    size_t len = strlen(text);

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) != 0 || close(fd) != 0)
        pdt_die(tmp);
    if (rename(tmp, path) != 0)
        pdt_die(path);
}

/* A variant of the test config: each field NULL keeps the default. */
struct pdt_cfg {
    const char *revoke;         /* the text of a "revoke = {...};" group */
    const char *iss_principals; /* corp's principals, default "\"*\"" */
    const char *iss_keys;       /* corp's keys: "k1" (T.pub, the default), "k2" (T.pub2), "both" */
    const char *ci_services;    /* ci-deploy's services */
    const char *ci_extra;       /* more settings of ci-deploy, e.g. "key_binding = ...;" */
    const char *bot_services;   /* support-bot's services */
};

static inline void pdt_config_with(const struct pdt_cfg *o)
{
    char text[8192], keys[2048];

    if (o->iss_keys == NULL || strcmp(o->iss_keys, "k1") == 0)
        snprintf(keys, sizeof(keys), "{ kid = \"k1\"; file = \"%s\"; }", T.pub);
    else if (strcmp(o->iss_keys, "k2") == 0)
        snprintf(keys, sizeof(keys), "{ kid = \"k2\"; file = \"%s\"; }", T.pub2);
    else
        snprintf(keys, sizeof(keys), "{ kid = \"k1\"; file = \"%s\"; }, "
                 "{ kid = \"k2\"; file = \"%s\"; }", T.pub, T.pub2);
    snprintf(text, sizeof(text),
             "version = 1;\n"
             "host = { name = \"web01\"; aliases = [\"web01.example.com\"]; };\n"
             "tickets = { clock_skew = 60; max_lifetime = 3600; prompt = \"Delegation ticket: \"; };\n"
             "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [%s];\n"
             "    keys = ( %s ); } );\n"
             "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
             "actors = (\n"
             "  { name = \"ci-deploy\"; uid = 62001; principals = [\"alice\", \"release\"];\n"
             "    services = [%s];\n"
             "    sources = [\"127.0.0.1/32\", \"10.0.0.0/8\"]; %s },\n"
             "  { name = \"support-bot\"; uid = 62002; principals = [\"*\"];\n"
             "    services = [%s];\n"
             "    runas = [\"alice\", \"bob\"]; }\n"
             ");\n"
             "audit = { syslog = false; file = \"%s\"; };\n"
             "%s\n",
             o->iss_principals ? o->iss_principals : "\"*\"", keys,
             o->ci_services ? o->ci_services
                            : "\"sshd\", \"ufp\", \"tfp\", \"items\", \"badarg\", \"snip-sshd\"",
             o->ci_extra ? o->ci_extra : "",
             o->bot_services ? o->bot_services : "\"sudo\", \"snip-sudo\"",
             T.audit, o->revoke ? o->revoke : "");
    pdt_put_file(T.conf, text);
}

/* The test config: two actors, one issuer; revoke is the text of a
 * "revoke = {...};" group or "". */
static inline void pdt_config(const char *revoke)
{
    struct pdt_cfg o = { .revoke = revoke };

    pdt_config_with(&o);
}

static inline void pdt_setup_all(void)
{
    const char *dir = getenv("PD_TEST_DIR");

    if (dir == NULL || getenv("PAM_WRAPPER") == NULL) {
        fprintf(stderr, "run me through tests/pam/pam-env.sh\n");
        exit(2);
    }
    T.dir = strdup(dir);
    T.conf = tl_path(dir, "delegate.conf");
    T.audit = tl_path(dir, "audit.jsonl");
    T.key = tl_key("ed25519");
    T.pub = tl_write_pub(dir, "corp", T.key);
    T.key2 = tl_new_key("ed25519");
    T.pub2 = tl_write_pub(dir, "corp2", T.key2);
    pdt_config("");
    /* no stray items from the caller's environment */
    unsetenv("PAM_USER");
    unsetenv("PAM_AUTHTOK");
    unsetenv("PAM_RHOST");
    unsetenv("PAM_RUSER");
    unsetenv("PAM_TTY");
}

static inline void pdt_teardown_all(void)
{
    free(T.dir);
    free(T.conf);
    free(T.audit);
    free(T.pub);
    free(T.pub2);
    EVP_PKEY_free(T.key2);
}

/* Per test: a fresh config, a clean audit file, default items. */
static inline int pdt_setup(void **state)
{
    (void)state;
    pdt_config("");
    unlink(T.audit);
    unsetenv("PAM_AUTHTOK");
    unsetenv("PAM_RUSER");
    setenv("PAM_RHOST", "127.0.0.1", 1);
    setenv("PAM_TTY", "/dev/pts/7", 1);
    return 0;
}

static inline int pdt_teardown(void **state)
{
    (void)state;
    return 0;
}

/* ---- tickets --------------------------------------------------------------- */

/* Remember every minted ticket for pam-env.sh's log check. */
static inline void pdt_remember(const char *ticket)
{
    char *path = tl_path(T.dir, "tickets.txt");
    FILE *f = fopen(path, "ae");

    if (f == NULL)
        pdt_die(path);
    fprintf(f, "%s\n", ticket);
    fclose(f);
    free(path);
}

/* Default claims (tl_claims: alice via ci-deploy to web01 for sshd, 300 s)
 * with changes applied by the caller before minting. */
static inline char *pdt_mint(json_t *claims)
{
    char *t = tl_mint(T.key, "EdDSA", "k1", claims);

    pdt_remember(t);
    json_decref(claims);
    return t;
}

static inline json_t *pdt_claims(void)
{
    return tl_claims((int64_t)time(NULL));
}

static inline json_t *pdt_claims_for(const char *actor, const char *svc)
{
    json_t *c = pdt_claims();

    json_object_set_new(c, "act", json_pack("{s:s}", "sub", actor));
    json_object_set_new(c, "svc", json_pack("[s]", svc));
    return c;
}

/* ---- conversation ----------------------------------------------------------- */

struct pdt_conv {
    const char *answer[4];      /* successive echo-off answers; NULL: conv error */
    int prompts;                /* echo-off prompts seen */
    int other;                  /* prompts of any other style */
    char prompt[PAM_MAX_MSG_SIZE + 1];
};

static inline int pdt_conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
                              void *data)
{
    struct pdt_conv *cv = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    int i;

    if (r == NULL)
        return PAM_BUF_ERR;
    for (i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            const char *a = cv->prompts < 4 ? cv->answer[cv->prompts] : NULL;
            snprintf(cv->prompt, sizeof(cv->prompt), "%s", msg[i]->msg);
            cv->prompts++;
            if (a == NULL)
                goto fail;
            r[i].resp = strdup(a);
        } else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            cv->other++;
            goto fail;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (i = 0; i < n; i++)
        free(r[i].resp);
    free(r);
    return PAM_CONV_ERR;
}

/* Run libpamtest cases; report the first mismatch readably. */
#define pdt_run(service, user, conv, cases)                                         \
    pdt_run_n(service, user, conv, cases, sizeof(cases) / sizeof(cases[0]), __LINE__)

static inline void pdt_run_n(const char *service, const char *user, struct pdt_conv *conv,
                             struct pam_testcase *cases, size_t n, int line)
{
    enum pamtest_err perr = _pamtest_conv(service, user, pdt_conv_fn, conv, cases, n, NULL);

    if (perr == PAMTEST_ERR_CASE) {
        const struct pam_testcase *f = _pamtest_failed_case(cases, n);
        fail_msg("line %d: %s/%s: case %d (op %d): expected %s (%d), got %s (%d)", line,
                 service, user, (int)(f - cases), (int)f->pam_operation,
                 pam_strerror(NULL, f->expected_rv), f->expected_rv,
                 pam_strerror(NULL, f->op_rv), f->op_rv);
    }
    if (perr != PAMTEST_ERR_OK)
        fail_msg("line %d: %s/%s: %s", line, service, user, pamtest_strerror(perr));
}

/* ---- audit ------------------------------------------------------------------ */

/* Audit lines so far (parsed); every line must be a JSON object and must
 * not contain any ticket the test minted. */
static inline size_t pdt_audit_lines(json_t **out, size_t max)
{
    char *text = tl_read_file(T.audit, NULL), *line, *save = NULL;
    char *tickets = NULL;
    char *tpath = tl_path(T.dir, "tickets.txt");
    size_t n = 0;

    tickets = tl_read_file(tpath, NULL);
    free(tpath);
    if (text == NULL) {
        free(tickets);
        return 0;
    }
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &e);
        char *tsave = NULL, *copy = tickets ? strdup(tickets) : NULL, *t;

        assert_non_null(j);
        assert_true(json_is_object(j));
        for (t = copy ? strtok_r(copy, "\n", &tsave) : NULL; t; t = strtok_r(NULL, "\n", &tsave)) {
            const char *sig = strrchr(t, '.');
            assert_null(strstr(line, t));
            if (sig && strlen(sig + 1) >= 16)
                assert_null(strstr(line, sig + 1));
        }
        free(copy);
        if (n < max)
            out[n] = j;
        else
            json_decref(j);
        n++;
    }
    free(text);
    free(tickets);
    return n;
}

static inline const char *pdt_jstr(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The audit file holds exactly these events, in order: "event" or
 * "event:reason" strings, NULL-terminated. */
#define pdt_audit_expect(...) pdt_audit_expect_(__LINE__, __VA_ARGS__, (const char *)NULL)
static inline void pdt_audit_expect_(int line, const char *first, ...)
{
    json_t *lines[32] = { 0 };
    size_t n = pdt_audit_lines(lines, 32), i = 0;
    const char *want;
    va_list ap;

    va_start(ap, first);
    for (want = first; want != NULL; want = va_arg(ap, const char *), i++) {
        char ev[64];
        const char *colon = strchr(want, ':');
        const char *reason = colon ? colon + 1 : NULL;

        snprintf(ev, sizeof(ev), "%.*s", (int)(colon ? (size_t)(colon - want) : strlen(want)), want);
        if (i >= n)
            fail_msg("line %d: audit: expected \"%s\" as event %zu, only %zu events", line, want, i, n);
        if (strcmp(pdt_jstr(lines[i], "event") ? pdt_jstr(lines[i], "event") : "", ev) != 0 ||
            (reason && strcmp(pdt_jstr(lines[i], "reason") ? pdt_jstr(lines[i], "reason") : "",
                              reason) != 0) ||
            (!reason && pdt_jstr(lines[i], "reason") != NULL))
            fail_msg("line %d: audit event %zu: expected \"%s\", got event=%s reason=%s", line, i,
                     want, pdt_jstr(lines[i], "event"), pdt_jstr(lines[i], "reason"));
    }
    va_end(ap);
    if (i != n)
        fail_msg("line %d: audit: %zu events, expected %zu", line, n, i);
    for (i = 0; i < n && i < 32; i++)
        json_decref(lines[i]);
}

/* Audit line i (0-based), caller decrefs; fails if absent. */
static inline json_t *pdt_audit_get(size_t i)
{
    json_t *lines[32] = { 0 }, *j;
    size_t n = pdt_audit_lines(lines, 32), k;

    assert_true(i < n);
    j = lines[i];
    for (k = 0; k < n && k < 32; k++)
        if (k != i)
            json_decref(lines[k]);
    return j;
}

/* ---- sessions ---------------------------------------------------------------- */

static inline int pdt_sessions(struct dlg_session **out)
{
    int n = dlg_session_list(DLG_SESSIONS_DIR, out);
    return n < 0 ? 0 : n;
}

static inline void pdt_no_sessions(void)
{
    struct dlg_session *list = NULL;
    int n = pdt_sessions(&list);

    dlg_session_list_free(list, n);
    assert_int_equal(n, 0);
}

/* The PAM environment holds no minted ticket (cases' envlist). */
static inline void pdt_env_clean(char **env)
{
    char *tpath = tl_path(T.dir, "tickets.txt");
    char *tickets = tl_read_file(tpath, NULL), *save = NULL, *t;

    free(tpath);
    for (t = tickets ? strtok_r(tickets, "\n", &save) : NULL; t; t = strtok_r(NULL, "\n", &save))
        for (size_t i = 0; env && env[i]; i++)
            assert_null(strstr(env[i], t));
    free(tickets);
}

/* Run cases whose last is PAMTEST_KEEPHANDLE; returns the live handle
 * (caller pam_end()s it). */
#define pdt_keep(service, user, conv, cases)                                        \
    (pdt_run_n(service, user, conv, cases, sizeof(cases) / sizeof(cases[0]), __LINE__), \
     cases[sizeof(cases) / sizeof(cases[0]) - 1].case_out.ph)

/* Value of NAME in a PAM environment list, NULL if absent. */
static inline const char *pdt_env_get(char **env, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

/* Files in a directory (not . and ..); -1 if it does not exist. */
static inline int pdt_count_files(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

#endif
