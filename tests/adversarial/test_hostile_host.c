/* Hostile host conditions through the PAM module (tests/pam harness, run
 * by run-test_hostile_host.sh in a private mount namespace): the config
 * swapped for a symlink or a FIFO, a key file replaced by a FIFO, the
 * config growing or being rewritten while it is read, revoked.conf
 * missing, a full disk under the audit file and under the single-use
 * state, /run/delegate not writable.  Each one: the actor is denied (or
 * the outcome is the same as without the condition, where the condition
 * only affects a record), a clear log line says why, nothing crashes, no
 * call takes a second, and root is never blocked. */
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "pd_harness.h"

/* CPU time of this process: how much work a call did, whatever the load
 * on the machine (a call that blocks is caught by the alarm instead). */
static double cpu_secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
    static const char msg[] = "not ok - a PAM call blocked for 120 s\n";

    (void)sig;
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

/* The log of this test only (pam_syslog lines go to stderr, which
 * pam-env.sh keeps in one file for the whole run): log_mark at the start
 * of each test, and the checks look after it. */
static long log_start;

static char *log_since_mark(void)
{
    char *path = tl_path(T.dir, "stderr.log");
    char *text;
    size_t len = 0;

    fflush(stderr);
    text = tl_read_file(path, &len);
    free(path);
    if (text != NULL && (size_t)log_start <= len)
        memmove(text, text + log_start, len - (size_t)log_start + 1);
    return text;
}

static int hh_setup(void **state)
{
    struct stat st;
    char *path = tl_path(T.dir, "stderr.log");

    fflush(stderr);
    log_start = stat(path, &st) == 0 ? (long)st.st_size : 0;
    free(path);
    signal(SIGALRM, on_alarm);
    return pdt_setup(state);
}

/* How often needle occurs in this test's log. */
static int log_count(const char *needle)
{
    char *text = log_since_mark();
    int n = 0;

    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(text);
    return n;
}

static bool log_has(const char *needle)
{
    return log_count(needle) > 0;
}

/* One authentication as user with a fresh valid ticket; returns the PAM
 * result and fails if it took a CPU second or more, or blocked. */
static int auth_once(const char *service, const char *user, json_t *claims)
{
    char *t = pdt_mint(claims);
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    double t0 = cpu_secs();

    alarm(120);
    (void)_pamtest_conv(service, user, pdt_conv_fn, &cv, cases, 1, NULL);
    alarm(0);
    if (cpu_secs() - t0 >= 1.0)
        fail_msg("authentication took %.2f s of CPU", cpu_secs() - t0);
    free(t);
    return cases[0].op_rv;
}

static void root_not_blocked(void)
{
    struct pdt_conv cv = { .answer = { "x" } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PD_IGNORED),
        pam_test(PAMTEST_ACCOUNT, PD_IGNORED),
    };

    pdt_run("sshd", "root", &cv, cases);
}

static void test_control(void **state)
{
    (void)state;
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_SUCCESS);
}

static void test_config_symlink(void **state)
{
    char *real = tl_path(T.dir, "real.conf");

    (void)state;
    assert_int_equal(rename(T.conf, real), 0);
    assert_int_equal(symlink(real, T.conf), 0);
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_AUTH_ERR);
    assert_true(log_has("unusable config"));
    root_not_blocked();
    unlink(T.conf);
    assert_int_equal(rename(real, T.conf), 0);
    free(real);
}

/* PAM_USER is whatever a client sent: with an unusable config the refusal's
 * log line names it, and no control byte of it may reach the log raw. */
static void test_hostile_user_name_logged(void **state)
{
    static const char user[] = "evil\nuser\x1b[31m\r";
    char *real = tl_path(T.dir, "real.conf");
    char *text;

    (void)state;
    assert_int_equal(rename(T.conf, real), 0);
    assert_int_equal(auth_once("sshd", user, pdt_claims()), PAM_AUTH_ERR);
    assert_int_equal(log_count("delegation denied for evil?user?[31m?"), 1);
    text = log_since_mark();
    assert_non_null(text);
    assert_null(strstr(text, "\x1b"));
    assert_null(strstr(text, "\r"));
    assert_null(strstr(text, "evil\n"));
    free(text);
    assert_int_equal(rename(real, T.conf), 0);
    free(real);
}

static void test_config_fifo(void **state)
{
    (void)state;
    unlink(T.conf);
    assert_int_equal(mkfifo(T.conf, 0644), 0);
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_AUTH_ERR);
    root_not_blocked();
    unlink(T.conf);
}

static void test_key_fifo(void **state)
{
    (void)state;
    assert_int_equal(unlink(T.pub), 0);
    assert_int_equal(mkfifo(T.pub, 0644), 0);
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_AUTH_ERR);
    assert_true(log_has("unusable config"));
    root_not_blocked();
    unlink(T.pub);
    free(tl_write_pub(T.dir, "corp", T.key));
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_SUCCESS);
}

/* A writer appends to the config, or rewrites it in place, while the module
 * reads it: every authentication is either admitted (it read a whole valid
 * config) or denied, and none crashes or hangs. */
static void race_writer(bool rewrite)
{
    char *text = tl_read_file(T.conf, NULL);
    size_t len = strlen(text);
    pid_t pid;

    /* the rewriter writes the config with its required "version" setting
     * last, so that no part of it short of the whole is a valid config
     * (a valid prefix without the actors would make ci-deploy a stranger) */
    if (rewrite) {
        static const char first[] = "version = 1;\n";
        assert_memory_equal(text, first, sizeof(first) - 1);
        memmove(text, text + sizeof(first) - 1, len - (sizeof(first) - 1));
        memcpy(text + len - (sizeof(first) - 1), first, sizeof(first) - 1);
        pdt_put_file(T.conf, text);
    }
    pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;) {
            int fd = open(T.conf, rewrite ? O_WRONLY | O_TRUNC : O_WRONLY | O_APPEND);
            if (fd < 0)
                _exit(1);
            if (rewrite) {
                size_t off;
                for (off = 0; off < len; off += 7)
                    if (write(fd, text + off, len - off < 7 ? len - off : 7) < 0)
                        _exit(1);
            } else if (write(fd, "# growing\n", 10) < 0) {
                _exit(1);
            }
            close(fd);
        }
    }
    {
        int i, ok = 0, denied = 0, r, status;
        for (i = 0; i < 60; i++) {
            r = auth_once("sshd", "ci-deploy", pdt_claims());
            if (r == PAM_SUCCESS)
                ok++;
            else if (r == PAM_AUTH_ERR)
                denied++;
            else
                fail_msg("unexpected PAM result %d", r);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        /* the writer really ran all along (it only stops when killed) */
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        {
            json_t *lines[64] = { 0 };
            size_t n = pdt_audit_lines(lines, 64), k, admits = 0, others = 0;
            int unusable = log_count("unusable config");

            for (k = 0; k < n; k++) {
                const char *ev = pdt_jstr(lines[k], "event");
                if (ev && strcmp(ev, "admit") == 0)
                    admits++;
                else
                    others++;
                json_decref(lines[k]);
            }
            print_message("# %s: %d admitted, %d denied; audit: %zu admit, %zu other; "
                          "log: %d unusable config\n", rewrite ? "rewrite" : "append", ok,
                          denied, admits, others, unusable);
            /* each admission read a whole valid config and left its audit
             * line; each denial is a config the module could not use, said
             * so in the log (the audit file is named in that config) */
            assert_int_equal(admits, (size_t)ok);
            assert_int_equal(others, 0);
            assert_int_equal(unusable, denied);
        }
    }
    free(text);
    pdt_config("");
}

static void test_config_growing(void **state)
{
    (void)state;
    race_writer(false);
}

static void test_config_rewritten(void **state)
{
    (void)state;
    race_writer(true);
}

static void test_revoked_conf_missing(void **state)
{
    char inc[4096];

    (void)state;
    snprintf(inc, sizeof(inc), "@include \"%s/revoked.conf\"", T.dir);
    pdt_config(inc);
    assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_AUTH_ERR);
    assert_true(log_has("unusable config"));
    root_not_blocked();
    /* once it exists, the same include works */
    {
        char *rev = tl_path(T.dir, "revoked.conf");
        pdt_put_file(rev, "revoke = { tickets = (); };\n");
        assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_SUCCESS);
        unlink(rev);
        free(rev);
    }
}

/* A tiny tmpfs at path, its blocks filled up (and its inodes too when
 * fill_inodes), then shown to be full: a 1-byte write into a new file
 * fails with ENOSPC (with fill_inodes: creating the file already does). */
static void mount_full(const char *path, const char *opts, bool fill_inodes)
{
    char *filler, *probe;
    int fd, k;
    char block[4096];
    struct statvfs sv;

    mkdir(path, 0755);
    if (mount("tmpfs", path, "tmpfs", 0, opts) != 0)
        fail_msg("mount %s: %s", path, strerror(errno));
    filler = tl_path(path, ".filler");
    fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    memset(block, 'x', sizeof(block));
    while (write(fd, block, sizeof(block)) > 0)
        ;
    assert_int_equal(errno, ENOSPC);
    close(fd);
    free(filler);
    for (k = 0; fill_inodes; k++) {
        char name[64];

        snprintf(name, sizeof(name), "%s/f%d", path, k);
        fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            assert_int_equal(errno, ENOSPC);
            break;
        }
        close(fd);
        assert_true(k < 100000);
    }
    assert_int_equal(statvfs(path, &sv), 0);
    assert_int_equal(sv.f_bavail, 0);
    if (fill_inodes)
        assert_int_equal(sv.f_favail, 0);
    probe = tl_path(path, "probe");
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fill_inodes) {
        assert_true(fd < 0);
        assert_int_equal(errno, ENOSPC);
    } else {
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "x", 1), -1);
        assert_int_equal(errno, ENOSPC);
        close(fd);
        assert_int_equal(unlink(probe), 0);
    }
    free(probe);
}

/* The audit file cannot be written: an admission that would leave no
 * trace is refused (fail closed for actors) and the failure is logged;
 * root is not affected. */
static void test_audit_disk_full(void **state)
{
    char *full = tl_path(T.dir, "full");

    (void)state;
    mount_full(full, "size=16k,mode=0755", false);
    free(T.audit);
    T.audit = tl_path(full, "audit.jsonl");
    pdt_config("");
    {
        int r = auth_once("sshd", "ci-deploy", pdt_claims());
        assert_int_equal(r, PAM_AUTH_ERR);
    }
    assert_true(log_has("cannot write the audit file"));
    assert_true(log_has("audit trail cannot be written"));
    /* a bad ticket is still refused */
    {
        json_t *c = pdt_claims();
        json_object_set_new(c, "aud", json_string("web02"));
        assert_int_equal(auth_once("sshd", "ci-deploy", c), PAM_AUTH_ERR);
    }
    root_not_blocked();
    umount2(full, MNT_DETACH);
    free(T.audit);
    T.audit = tl_path(T.dir, "audit.jsonl");
    pdt_config("");
    free(full);
}

/* The single-use state cannot be recorded.  With its blocks full (inodes
 * left) the marker is still created, empty: the ticket counts as used from
 * that moment (once.c), so the first use is admitted and the second is
 * refused as replayed.  With its inodes full too, no marker can exist:
 * single use cannot be enforced, so the ticket is refused (config_error)
 * every time.  Never admitted twice; an ordinary ticket is unaffected. */
static void test_once_disk_full(void **state)
{
    static const char *const opts[] = {"size=4k,mode=0755", "size=64k,nr_inodes=3,mode=0755"};
    int i;

    (void)state;
    mkdir("/var/lib/delegate", 0755);
    for (i = 0; i < 2; i++) {
        json_t *c;
        int r1, r2;

        mount_full("/var/lib/delegate", opts[i], i == 1);
        assert_true(unlink(T.audit) == 0 || errno == ENOENT);
        c = pdt_claims();
        json_object_set_new(c, "once", json_true());
        json_object_set_new(c, "jti", json_string(i ? "once-inodes" : "once-blocks"));
        r1 = auth_once("sshd", "ci-deploy", json_incref(c));
        r2 = auth_once("sshd", "ci-deploy", c);
        print_message("# once state full (%s): %s then %s\n", opts[i], pam_strerror(NULL, r1),
                      pam_strerror(NULL, r2));
        /* an ordinary ticket is unaffected */
        assert_int_equal(auth_once("sshd", "ci-deploy", pdt_claims()), PAM_SUCCESS);
        if (i == 0) {
            assert_int_equal(r1, PAM_SUCCESS);
            assert_int_equal(r2, PAM_AUTH_ERR);
            pdt_audit_expect("admit", "deny:replayed", "admit");
        } else {
            assert_int_equal(r1, PAM_AUTH_ERR);
            assert_int_equal(r2, PAM_AUTH_ERR);
            pdt_audit_expect("deny:config_error", "deny:config_error", "admit");
        }
        umount2("/var/lib/delegate", MNT_DETACH);
    }
}

/* /run/delegate read-only: the session cannot be recorded, so it is
 * refused with a result sudo treats as fatal (not PAM_SESSION_ERR). */
static void test_run_not_writable(void **state)
{
    char *t;
    struct pdt_conv cv;
    struct pam_testcase cases[3];

    (void)state;
    mkdir("/run/delegate", 0755);
    if (mount("tmpfs", "/run/delegate", "tmpfs", MS_RDONLY, "mode=0755") != 0)
        fail_msg("mount: %s", strerror(errno));
    t = pdt_mint(pdt_claims());
    memset(&cv, 0, sizeof(cv));
    cv.answer[0] = t;
    cases[0] = (struct pam_testcase)pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS);
    cases[1] = (struct pam_testcase)pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS);
    cases[2] = (struct pam_testcase)pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS);
    (void)_pamtest_conv("sshd", "ci-deploy", pdt_conv_fn, &cv, cases, 3, NULL);
    print_message("# /run/delegate read-only: auth %d, account %d, session %d\n", cases[0].op_rv,
                  cases[1].op_rv, cases[2].op_rv);
    /* sshd ignores a failing session phase, so a session that could not be
     * recorded is refused already in account (issue 10), with its log line;
     * libpamtest then runs no further case */
    assert_int_equal(cases[0].op_rv, PAM_SUCCESS);
    assert_int_equal(cases[1].op_rv, PAM_PERM_DENIED);
    assert_true(log_count("session records cannot be written") >= 1);
    root_not_blocked();
    umount2("/run/delegate", MNT_DETACH);
    free(t);
}

/* Issue 10: no cgroup2 hierarchy (a tmpfs over /sys/fs/cgroup in this
 * private mount namespace): the session cannot be contained, so the actor
 * is refused already in account (where sshd stops a login); root is not. */
static void test_cgroup_unusable(void **state)
{
    char *t;
    struct pdt_conv cv;
    struct pam_testcase cases[3];

    (void)state;
    if (mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=0755") != 0)
        fail_msg("mount: %s", strerror(errno));
    t = pdt_mint(pdt_claims());
    memset(&cv, 0, sizeof(cv));
    cv.answer[0] = t;
    cases[0] = (struct pam_testcase)pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS);
    cases[1] = (struct pam_testcase)pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED);
    cases[2] = (struct pam_testcase)pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED);
    (void)_pamtest_conv("sshd", "ci-deploy", pdt_conv_fn, &cv, cases, 3, NULL);
    print_message("# no cgroup2: auth %d, account %d, session %d\n", cases[0].op_rv,
                  cases[1].op_rv, cases[2].op_rv);
    assert_int_equal(cases[0].op_rv, PAM_SUCCESS);
    assert_int_equal(cases[1].op_rv, PAM_PERM_DENIED);
    assert_true(log_has("the session cannot be contained"));
    root_not_blocked();
    umount2("/sys/fs/cgroup", MNT_DETACH);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_control, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_config_symlink, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_user_name_logged, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_config_fifo, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_key_fifo, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_config_growing, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_config_rewritten, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_conf_missing, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_audit_disk_full, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_once_disk_full, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_run_not_writable, hh_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_cgroup_unusable, hh_setup, pdt_teardown),
    };

    pdt_setup_all();
    {
        int rc = cmocka_run_group_tests_name("hostile_host", tests, NULL, NULL);
        pdt_teardown_all();
        return rc;
    }
}
