/* Helpers shared by the NSS module's direct-call tests: temp dirs, atomic
 * config writes and a config generator.  Header-only because the Makefile
 * links each tests/nss/test_X.c with the module's objects alone. */
#ifndef DLG_NSS_TEST_H
#define DLG_NSS_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "nss_cache.h"
#include "nss_delegate.h"

#define NT_UNUSED __attribute__((unused))

/* An actor of a generated config.  NULL fields are left out of the config. */
struct nt_actor {
    const char *name;
    unsigned uid;
    const char *comment;
    const char *home;
    const char *shell;
    const char *groups;         /* libconfig list body, e.g. "\"deployers\"" */
};

/* A root-owned 0755 directory under /tmp (the trust check accepts it). */
static NT_UNUSED char *nt_tmpdir(void)
{
    char tmpl[] = "/tmp/dlg-nss-test.XXXXXX";
    char *dir = mkdtemp(tmpl);

    assert_non_null(dir);
    assert_int_equal(chmod(dir, 0755), 0);
    return strdup(dir);
}

static int nt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static NT_UNUSED void nt_rmtree(char *dir)
{
    if (dir == NULL)
        return;
    nftw(dir, nt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Write dir/name atomically (temp file, fsync, rename), mode 0644. */
static NT_UNUSED void nt_write_file(const char *dir, const char *name, const char *text)
{
    char tmp[4096], dst[4096];
    size_t len = strlen(text), off = 0;
    ssize_t w;
    int fd;

    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name, (long)gettid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    while (off < len) {
        w = write(fd, text + off, len - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    assert_int_equal(fchmod(fd, 0644), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(rename(tmp, dst), 0);
}

static NT_UNUSED void nt_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* A key file the issuer can name (the NSS module never reads it). */
static const char nt_pubkey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA51BHxkT+8CMtQwjc/c31Z9CVXO2pN6xic8+SGDvzg8k=\n"
    "-----END PUBLIC KEY-----\n";

struct nt_accounts {
    const char *group;
    unsigned gid, uid_min, uid_max;
    const char *home, *shell;
};

static const struct nt_accounts nt_default_accounts = {
    "delegated", 62000, 62001, 62999, "/var/lib/delegate/%u", "/usr/sbin/nologin"
};

/* dir/delegate.conf with the given actors, the groups text (a libconfig list
 * body) and an @include of dir/revoked.conf; also writes the key file.
 * revoked.conf is written separately (nt_write_revoked). */
static NT_UNUSED void nt_write_config_ex(const char *dir, const struct nt_accounts *acc,
                                         const struct nt_actor *actors, size_t n,
                                         const char *groups)
{
    char *text = NULL, path[4096];
    size_t len = 0, i;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    nt_path(path, sizeof(path), dir, "corp.pub");
    if (access(path, F_OK) != 0)
        nt_write_file(dir, "corp.pub", nt_pubkey);
    fprintf(f, "version = 1;\nhost = { name = \"web01\"; };\n"
               "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
               "  keys = ( { kid = \"k1\"; file = \"%s\"; } ); } );\n", path);
    fprintf(f, "accounts = { group = \"%s\"; gid = %u; uid_min = %u; uid_max = %u;\n"
               "  home = \"%s\"; shell = \"%s\"; };\n",
            acc->group, acc->gid, acc->uid_min, acc->uid_max, acc->home, acc->shell);
    fprintf(f, "actors = (");
    for (i = 0; i < n; i++) {
        const struct nt_actor *a = &actors[i];

        fprintf(f, "%s\n  { name = \"%s\"; uid = %u; principals = [\"*\"]; services = [\"sshd\"];",
                i > 0 ? "," : "", a->name, a->uid);
        if (a->comment != NULL)
            fprintf(f, " comment = \"%s\";", a->comment);
        if (a->home != NULL)
            fprintf(f, " home = \"%s\";", a->home);
        if (a->shell != NULL)
            fprintf(f, " shell = \"%s\";", a->shell);
        if (a->groups != NULL)
            fprintf(f, " groups = [%s];", a->groups);
        fprintf(f, " }");
    }
    fprintf(f, "\n);\ngroups = ( %s );\naudit = { syslog = false; };\n", groups ? groups : "");
    nt_path(path, sizeof(path), dir, "revoked.conf");
    if (access(path, F_OK) != 0)
        nt_write_file(dir, "revoked.conf", "revoke = { actors = []; };\n");
    fprintf(f, "@include \"%s\"\n", path);
    assert_int_equal(fclose(f), 0);
    nt_write_file(dir, "delegate.conf", text);
    free(text);
}

static NT_UNUSED void nt_write_config(const char *dir, const struct nt_actor *actors, size_t n,
                                      const char *groups)
{
    nt_write_config_ex(dir, &nt_default_accounts, actors, n, groups);
}

/* revoked.conf with revoke.actors = [list]  (list: "\"a\", \"b\"" or ""). */
static NT_UNUSED void nt_write_revoked(const char *dir, const char *actors)
{
    char *text = NULL;

    assert_true(asprintf(&text, "revoke = { actors = [%s]; };\n", actors) > 0);
    nt_write_file(dir, "revoked.conf", text);
    free(text);
}

/* Point the module at dir/delegate.conf (and drop its cache). */
static NT_UNUSED void nt_use_config(const char *dir)
{
    char path[4096];

    nt_path(path, sizeof(path), dir, "delegate.conf");
    nss_delegate_set_config_path(path);
}

/* The standard fixture: three live actors, one revoked, three groups. */
static const struct nt_actor nt_std_actors[] = {
    { "ci-deploy", 62001, "CI deploy pipeline", NULL, "/bin/bash", "\"deployers\"" },
    { "support-bot", 62002, NULL, NULL, NULL, "\"deployers\", \"auditors\"" },
    { "old-bot", 62003, "retired", NULL, NULL, "\"auditors\"" },
    { "zed", 62010, NULL, "/srv/zed", NULL, NULL },
};
static const char nt_std_groups[] =
    "{ name = \"deployers\"; gid = 62100; }, { name = \"auditors\"; gid = 62101; },"
    " { name = \"empty\"; gid = 62102; }";

static NT_UNUSED char *nt_std_setup(void)
{
    char *dir = nt_tmpdir();

    nt_write_config(dir, nt_std_actors, sizeof(nt_std_actors) / sizeof(nt_std_actors[0]),
                    nt_std_groups);
    nt_write_revoked(dir, "\"old-bot\"");
    nt_use_config(dir);
    return dir;
}

/* Compare a NULL-terminated member list with a space-separated expectation. */
static NT_UNUSED void nt_assert_members(char **mem, const char *expect)
{
    char buf[65536], *save = NULL, *tok;
    size_t i = 0;

    snprintf(buf, sizeof(buf), "%s", expect);
    for (tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        assert_non_null(mem[i]);
        assert_string_equal(mem[i], tok);
        i++;
    }
    assert_null(mem[i]);
}

#endif
