/* Direct calls of the NSS entry points: the entries of DESIGN.md §5, revoked
 * actors absent everywhere, fast NOTFOUND for what the module does not
 * manage, UNAVAIL for an unusable config, and config changes seen at the
 * next lookup. */
#include "nss_test.h"

#include <grp.h>
#include <pwd.h>
#include <shadow.h>

static char buf[8192];

static int setup(void **state)
{
    *state = nt_std_setup();
    return 0;
}

static int teardown(void **state)
{
    nss_delegate_set_config_path(NULL);
    nt_rmtree(*state);
    return 0;
}

static void assert_pw(const struct passwd *pw, const char *name, uid_t uid, const char *gecos,
                      const char *dir, const char *shell)
{
    assert_string_equal(pw->pw_name, name);
    assert_string_equal(pw->pw_passwd, "x");
    assert_int_equal(pw->pw_uid, uid);
    assert_int_equal(pw->pw_gid, 62000);
    assert_string_equal(pw->pw_gecos, gecos);
    assert_string_equal(pw->pw_dir, dir);
    assert_string_equal(pw->pw_shell, shell);
}

static enum nss_status pwnam(const char *name, struct passwd *pw, int *err)
{
    *err = 0;
    return _nss_delegate_getpwnam_r(name, pw, buf, sizeof(buf), err);
}

static enum nss_status pwuid(uid_t uid, struct passwd *pw, int *err)
{
    *err = 0;
    return _nss_delegate_getpwuid_r(uid, pw, buf, sizeof(buf), err);
}

static void test_getpwnam_entries(void **state)
{
    struct passwd pw;
    int err;

    (void)state;
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "ci-deploy", 62001, "CI deploy pipeline", "/var/lib/delegate/ci-deploy",
              "/bin/bash");
    assert_int_equal(pwnam("support-bot", &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "support-bot", 62002, "", "/var/lib/delegate/support-bot",
              "/usr/sbin/nologin");
    assert_int_equal(pwnam("zed", &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "zed", 62010, "", "/srv/zed", "/usr/sbin/nologin");
}

static void test_getpwuid_entries(void **state)
{
    struct passwd pw;
    int err;

    (void)state;
    assert_int_equal(pwuid(62001, &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "ci-deploy", 62001, "CI deploy pipeline", "/var/lib/delegate/ci-deploy",
              "/bin/bash");
    assert_int_equal(pwuid(62010, &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "zed", 62010, "", "/srv/zed", "/usr/sbin/nologin");
    /* in range but unassigned */
    assert_int_equal(pwuid(62004, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
}

static void test_unmanaged_notfound(void **state)
{
    static const char *names[] = {
        "root", "alice", "nobody-here", "pam_unix_non_existent:", "", "CI-DEPLOY",
        "ci-deploy ", "ci-deploy:", "../etc", "a-name-that-is-longer-than-32-chars",
        "delegated", "deployers",
    };
    struct passwd pw;
    struct spwd sp;
    size_t i;
    int err;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(pwnam(names[i], &pw, &err), NSS_STATUS_NOTFOUND);
        assert_int_equal(err, ENOENT);
        err = 0;
        assert_int_equal(_nss_delegate_getspnam_r(names[i], &sp, buf, sizeof(buf), &err),
                         NSS_STATUS_NOTFOUND);
        assert_int_equal(err, ENOENT);
    }
    err = 0;
    assert_int_equal(_nss_delegate_getpwnam_r(NULL, &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    /* outside uid_min..uid_max (62000 is the group, not a user) */
    assert_int_equal(pwuid(62000, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(pwuid(63000, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(pwuid(0, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(pwuid((uid_t)-1, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
}

/* Ids below 1000 and invalid names never make the module read a config:
 * answered NOTFOUND even when the config is missing, and the load counter
 * does not move. */
static void test_fast_reject_reads_no_config(void **state)
{
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    gid_t *groups = NULL;
    long start = 0, size = 0;
    unsigned long loads;
    int err;

    (void)state;
    nss_delegate_set_config_path("/nonexistent/delegate.conf");
    loads = nss_delegate_load_count();
    assert_int_equal(pwuid(0, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(pwuid(999, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(pwnam("pam_unix_non_existent:", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(pwnam("Root", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrgid_r(100, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrnam_r("bad:name", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getspnam_r("pam_unix_non_existent:", &sp, buf, sizeof(buf),
                                              &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_initgroups_dyn("x y", 0, &start, &size, &groups, 0, &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(nss_delegate_load_count(), loads);
    /* a valid name does need the config, which is missing here: not
     * installed, so NOTFOUND (issue 11) */
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(nss_delegate_load_count(), loads + 1);
    free(groups);
}

static void test_group_entries(void **state)
{
    struct group gr;
    int err = 0;

    (void)state;
    assert_int_equal(_nss_delegate_getgrnam_r("delegated", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "delegated");
    assert_string_equal(gr.gr_passwd, "x");
    assert_int_equal(gr.gr_gid, 62000);
    nt_assert_members(gr.gr_mem, "ci-deploy support-bot zed");

    assert_int_equal(_nss_delegate_getgrgid_r(62000, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "delegated");
    nt_assert_members(gr.gr_mem, "ci-deploy support-bot zed");

    assert_int_equal(_nss_delegate_getgrnam_r("deployers", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(gr.gr_gid, 62100);
    assert_string_equal(gr.gr_passwd, "x");
    nt_assert_members(gr.gr_mem, "ci-deploy support-bot");

    /* old-bot lists auditors but is revoked */
    assert_int_equal(_nss_delegate_getgrgid_r(62101, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "auditors");
    nt_assert_members(gr.gr_mem, "support-bot");

    assert_int_equal(_nss_delegate_getgrnam_r("empty", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(gr.gr_gid, 62102);
    nt_assert_members(gr.gr_mem, "");

    err = 0;
    assert_int_equal(_nss_delegate_getgrnam_r("root", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(_nss_delegate_getgrnam_r("ci-deploy", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrgid_r(62103, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrgid_r(0, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
}

static void test_shadow_locked(void **state)
{
    struct spwd sp;
    int err = 0;

    (void)state;
    assert_int_equal(_nss_delegate_getspnam_r("ci-deploy", &sp, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(sp.sp_namp, "ci-deploy");
    assert_string_equal(sp.sp_pwdp, "!");
    assert_int_equal(sp.sp_lstchg, -1);
    assert_int_equal(sp.sp_min, -1);
    assert_int_equal(sp.sp_max, -1);
    assert_int_equal(sp.sp_warn, -1);
    assert_int_equal(sp.sp_inact, -1);
    assert_int_equal(sp.sp_expire, -1);
    assert_true(sp.sp_flag == ~0UL);
}

static void test_initgroups(void **state)
{
    gid_t *groups = NULL;
    long start = 0, size = 0;
    int err = 0;

    (void)state;
    /* from an empty array: grows it */
    assert_int_equal(_nss_delegate_initgroups_dyn("support-bot", 62000, &start, &size, &groups,
                                                  0, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_true(size >= 2);
    assert_int_equal(groups[0], 62100);
    assert_int_equal(groups[1], 62101);

    /* glibc's call: the primary group already in [0], skipgroup = it, and a
     * group from an earlier module; nothing doubled */
    groups[0] = 62000;
    groups[1] = 62101;
    start = 2;
    assert_int_equal(_nss_delegate_initgroups_dyn("support-bot", 62000, &start, &size, &groups,
                                                  -1, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 3);
    assert_int_equal(groups[2], 62100);

    /* skipgroup other than the accounts group: a same-named account of
     * another source, not ours (issue 11); -1: the accounts group is added */
    start = 0;
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", 5, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 0);
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", (gid_t)-1, &start, &size, &groups,
                                                  0, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(groups[0], 62000);
    assert_int_equal(groups[1], 62100);

    /* zed: only the accounts group, which is the skipgroup */
    start = 0;
    assert_int_equal(_nss_delegate_initgroups_dyn("zed", 62000, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 0);

    /* not an actor, revoked: NOTFOUND and the array untouched */
    start = 1;
    groups[0] = 7;
    err = 0;
    assert_int_equal(_nss_delegate_initgroups_dyn("alice", 100, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(_nss_delegate_initgroups_dyn("old-bot", 100, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 1);
    assert_int_equal(groups[0], 7);
    free(groups);
}

static void test_initgroups_limit(void **state)
{
    gid_t *groups;
    long start, size;
    int err = 0;

    (void)state;
    /* array full at the limit: nothing added, no realloc past it */
    groups = malloc(sizeof(gid_t));
    groups[0] = 1;
    start = 1;
    size = 1;
    assert_int_equal(_nss_delegate_initgroups_dyn("support-bot", (gid_t)-1, &start, &size,
                                                  &groups, 1, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 1);
    assert_int_equal(size, 1);
    assert_int_equal(groups[0], 1);
    free(groups);

    /* limit 2 from an array of 1: grows to exactly 2 and stops */
    groups = malloc(sizeof(gid_t));
    groups[0] = 1;
    start = 1;
    size = 1;
    assert_int_equal(_nss_delegate_initgroups_dyn("support-bot", (gid_t)-1, &start, &size,
                                                  &groups, 2, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(size, 2);
    assert_int_equal(groups[1], 62000);
    free(groups);

    /* room for all but limit reached by start: stops at limit */
    groups = calloc(8, sizeof(gid_t));
    start = 0;
    size = 8;
    assert_int_equal(_nss_delegate_initgroups_dyn("support-bot", (gid_t)-1, &start, &size,
                                                  &groups, 2, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(groups[0], 62000);
    assert_int_equal(groups[1], 62100);
    free(groups);
}

/* A revoked actor resolves by no name, id, group or enumeration. */
static void test_revoked_absent(void **state)
{
    struct passwd pw;
    struct spwd sp;
    struct group gr;
    int err = 0, seen = 0;

    (void)state;
    assert_int_equal(pwnam("old-bot", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(pwuid(62003, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getspnam_r("old-bot", &sp, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    _nss_delegate_setpwent(0);
    while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        assert_string_not_equal(pw.pw_name, "old-bot");
        seen++;
    }
    _nss_delegate_endpwent();
    assert_int_equal(seen, 3);
    _nss_delegate_setspent(0);
    seen = 0;
    while (_nss_delegate_getspent_r(&sp, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        assert_string_not_equal(sp.sp_namp, "old-bot");
        seen++;
    }
    _nss_delegate_endspent();
    assert_int_equal(seen, 3);
    _nss_delegate_setgrent(0);
    while (_nss_delegate_getgrent_r(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
        for (char **m = gr.gr_mem; *m != NULL; m++)
            assert_string_not_equal(*m, "old-bot");
    _nss_delegate_endgrent();
}

/* Revocation and additions through the files are seen at the next lookup,
 * and an unchanged config is not parsed again. */
static void test_changes_seen_next_lookup(void **state)
{
    const char *dir = *state;
    struct passwd pw;
    struct group gr;
    struct nt_actor more[5];
    unsigned long loads;
    int err;

    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    loads = nss_delegate_load_count();
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pwuid(62002, &pw, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(nss_delegate_load_count(), loads);

    /* revoke through the included file only */
    nt_write_revoked(dir, "\"old-bot\", \"ci-deploy\"");
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(nss_delegate_load_count(), loads + 1);
    assert_int_equal(pwuid(62001, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrnam_r("deployers", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    nt_assert_members(gr.gr_mem, "support-bot");

    /* un-revoke and add an actor in the main file */
    nt_write_revoked(dir, "");
    memcpy(more, nt_std_actors, sizeof(nt_std_actors));
    more[4] = (struct nt_actor){ "new-bot", 62500, "added", NULL, NULL, "\"deployers\"" };
    nt_write_config(dir, more, 5, nt_std_groups);
    assert_int_equal(pwnam("new-bot", &pw, &err), NSS_STATUS_SUCCESS);
    assert_pw(&pw, "new-bot", 62500, "added", "/var/lib/delegate/new-bot", "/usr/sbin/nologin");
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pwnam("old-bot", &pw, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_getgrnam_r("deployers", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    nt_assert_members(gr.gr_mem, "ci-deploy new-bot support-bot");
}

/* A config that stops loading is UNAVAIL (not the old copy), and is picked up
 * again once fixed. */
static void test_unusable_config(void **state)
{
    const char *dir = *state;
    char path[4096];
    struct passwd pw;
    struct group gr;
    gid_t *groups = NULL;
    long start = 0, size = 0;
    int err;

    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);

    nt_write_file(dir, "delegate.conf", "version = 1;\nactors = ( { name = \"x\" ");
    err = 0;
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(err, EIO);
    assert_int_equal(pwuid(62001, &pw, &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(_nss_delegate_getgrnam_r("delegated", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_UNAVAIL);
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", 62000, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_UNAVAIL);
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL);
    _nss_delegate_endpwent();
    /* still answered without the config */
    assert_int_equal(pwuid(0, &pw, &err), NSS_STATUS_NOTFOUND);

    /* unknown setting: valid syntax, refused by validation */
    nt_write_config(dir, nt_std_actors, 4, nt_std_groups);
    nt_path(path, sizeof(path), dir, "delegate.conf");
    {
        FILE *f = fopen(path, "a");
        assert_non_null(f);
        fputs("colour = \"red\";\n", f);
        fclose(f);
    }
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);

    /* writable by others: unsafe */
    nt_write_config(dir, nt_std_actors, 4, nt_std_groups);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);

    /* missing: not installed, NOTFOUND with ENOENT (issue 11) */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);

    /* fixed: back */
    nt_write_config(dir, nt_std_actors, 4, nt_std_groups);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    free(groups);
}

/* While the config is unusable it is not parsed again on every lookup
 * (libconfig 1.5 leaks on some parse errors, and each parse costs): at
 * once when the main file changes, else at most once a second, so a fix in
 * an included file is seen within about a second. */
static void test_unusable_config_not_reparsed_per_lookup(void **state)
{
    const char *dir = *state;
    struct passwd pw;
    unsigned long loads;
    int err, i;

    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
    nt_write_file(dir, "revoked.conf", "revoke = { actors = [\"x\" ; };\n");
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);
    loads = nss_delegate_load_count();
    {
        /* a failed load is retried at most once a second (DLG_NSS_RETRY_INTERVAL),
         * however long the 200 lookups take on this machine */
        struct timespec t0, t1;
        long secs;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (i = 0; i < 200; i++)
            assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (long)(t1.tv_sec - t0.tv_sec);
        assert_true(nss_delegate_load_count() - loads <= (unsigned long)secs + 2);   /* not 200+ */
    }

    /* the include fixed: seen once the retry interval has passed (polled) */
    nt_write_revoked(dir, "\"old-bot\"");
    for (i = 0; i < 600 && pwnam("ci-deploy", &pw, &err) != NSS_STATUS_SUCCESS; i++)
        usleep(100 * 1000);
    assert_true(i < 600);

    /* the main file changed: seen at the next lookup */
    nt_write_file(dir, "delegate.conf", "version = 1;\nactors = ( { name = \"x\" ");
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_UNAVAIL);
    nt_write_config(dir, nt_std_actors, 4, nt_std_groups);
    assert_int_equal(pwnam("ci-deploy", &pw, &err), NSS_STATUS_SUCCESS);
}

/* The module never writes to stdout or stderr, not even for an unusable
 * config (that goes to syslog only). */
static void test_silent(void **state)
{
    const char *dir = *state;
    char out_path[4096], line[256];
    struct passwd pw;
    struct stat st;
    int fd, saved_out, saved_err, err;

    nt_write_file(dir, "delegate.conf", "this is not a config\n");
    nt_path(out_path, sizeof(out_path), dir, "captured");
    fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(1);
    saved_err = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    err = 0;
    enum nss_status s1 = pwnam("ci-deploy", &pw, &err);
    enum nss_status s2 = pwnam("ci-deploy", &pw, &err);
    nss_delegate_set_config_path("/nonexistent/delegate.conf");
    enum nss_status s3 = pwnam("ci-deploy", &pw, &err);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fd);
    assert_int_equal(s1, NSS_STATUS_UNAVAIL);
    assert_int_equal(s2, NSS_STATUS_UNAVAIL);
    assert_int_equal(s3, NSS_STATUS_NOTFOUND);    /* not installed (issue 11) */
    assert_int_equal(stat(out_path, &st), 0);
    if (st.st_size != 0) {
        FILE *f = fopen(out_path, "r");
        if (f != NULL && fgets(line, sizeof(line), f) != NULL)
            print_error("module wrote: %s", line);
        if (f != NULL)
            fclose(f);
    }
    assert_int_equal(st.st_size, 0);
}

/* A changed uid range is honoured at the next lookup too. */
static void test_range_change(void **state)
{
    const char *dir = *state;
    struct nt_accounts acc = nt_default_accounts;
    struct nt_actor a[] = { { "wide", 64000, NULL, NULL, NULL, NULL } };
    struct passwd pw;
    int err;

    assert_int_equal(pwuid(64000, &pw, &err), NSS_STATUS_NOTFOUND);
    acc.uid_max = 64999;
    nt_write_config_ex(dir, &acc, a, 1, "");
    assert_int_equal(pwuid(64000, &pw, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, "wide");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_getpwnam_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_getpwuid_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmanaged_notfound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_reject_reads_no_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initgroups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initgroups_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_seen_next_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_config_not_reparsed_per_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
