/* The NSS module inside hostile host processes (issue 11, items 10-13):
 * a thread cancelled inside a lookup must not leave a lock held (a later
 * fork() or lookup would deadlock); initgroups answers only for the
 * module's own account; a missing config is NOTFOUND without a log line
 * while an unusable one is UNAVAIL with one; included files are never
 * opened by name (libconfig's fopen, without O_CLOEXEC).
 *
 * syslog and fopen are intercepted: this program defines them, and they
 * take precedence over libc's for the module objects and libconfig. */
#include "nss_test.h"

#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <syslog.h>

#define EXPORTED __attribute__((visibility("default")))

static int nlines;

static void capture(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void capture(int pri, const char *fmt, va_list ap)
{
    (void)pri;
    (void)fmt;
    (void)ap;
    nlines++;
}

#undef syslog
void syslog(int pri, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}
void __syslog_chk(int pri, int flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;

    (void)flag;
    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}

/* fopen without "e" (O_CLOEXEC) by anyone in this process */
static int fopen_no_cloexec;

EXPORTED FILE *fopen(const char *path, const char *mode);
EXPORTED FILE *fopen64(const char *path, const char *mode);
#include <dlfcn.h>
FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);

    if (real == NULL)
        real = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    if (mode == NULL || strchr(mode, 'e') == NULL)
        fopen_no_cloexec++;
    return real(path, mode);
}
FILE *fopen64(const char *path, const char *mode)
{
    return fopen(path, mode);
}

/* A hang is a failure, not a stuck test run. */
static void on_alarm(int sig)
{
    static const char msg[] = "not ok - deadlock: a lock of the module was left held\n";

    (void)sig;
    if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
        _exit(3);
    _exit(3);
}

static int setup(void **state)
{
    *state = nt_std_setup();
    nlines = 0;
    return 0;
}

static int teardown(void **state)
{
    nss_delegate_set_config_path(NULL);
    nt_rmtree(*state);
    return 0;
}

static enum nss_status pwnam(const char *name, int *err)
{
    static char buf[4096];
    struct passwd pw;

    return _nss_delegate_getpwnam_r(name, &pw, buf, sizeof(buf), err);
}

/* ---- 10: cancellation -------------------------------------------------- */

static void *cancelled_lookup(void *arg)
{
    const char *dir = arg;
    int err = 0;

    /* the cancellation is pending when the lookup starts: the first
     * cancellation point inside it (open(2) of the config, with the load
     * lock held) would act on it unless the module disables cancellation */
    nt_use_config(dir);
    pthread_cancel(pthread_self());
    (void)pwnam("ci-deploy", &err);
    pthread_testcancel();
    return NULL;
}

static void *cancelled_enum(void *arg)
{
    static char buf[4096];
    struct passwd pw;
    int err = 0;

    nt_use_config(arg);
    _nss_delegate_endpwent();
    pthread_cancel(pthread_self());
    (void)_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err);   /* cursor lock held */
    pthread_testcancel();
    return NULL;
}

static void free_groups(void *arg)
{
    free(*(gid_t **)arg);
}

static void *cancelled_initgroups(void *arg)
{
    long int start = 0, size = 0;
    gid_t *groups = NULL;
    int err = 0;

    nt_use_config(arg);
    pthread_cleanup_push(free_groups, &groups);
    pthread_cancel(pthread_self());
    (void)_nss_delegate_initgroups_dyn("ci-deploy", 62000, &start, &size, &groups, 0, &err);
    pthread_testcancel();
    pthread_cleanup_pop(1);
    return NULL;
}

static void run_cancelled(const char *dir, void *(*fn)(void *))
{
    pthread_t t;
    void *res = NULL;
    pid_t pid;
    int status = 0, err = 0;

    assert_int_equal(pthread_create(&t, NULL, fn, (void *)dir), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    signal(SIGALRM, on_alarm);
    alarm(30);
    pid = fork();               /* takes every lock of the module (atfork) */
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(30);
        nt_use_config(dir);
        _exit(pwnam("ci-deploy", &err) == NSS_STATUS_SUCCESS ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* and this process goes on: a reload and an enumeration */
    nt_use_config(dir);
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_endpwent(), NSS_STATUS_SUCCESS);
    alarm(0);
}

static void test_cancel_inside_lookup(void **state)
{
    run_cancelled(*state, cancelled_lookup);
}

static void test_cancel_inside_enumeration(void **state)
{
    run_cancelled(*state, cancelled_enum);
}

static void test_cancel_inside_initgroups(void **state)
{
    run_cancelled(*state, cancelled_initgroups);
}

/* Cancellation is restored as the caller had it. */
static void test_cancel_state_restored(void **state)
{
    int old = -1, err = 0;

    (void)state;
    assert_int_equal(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL), 0);
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old), 0);
    assert_int_equal(old, PTHREAD_CANCEL_ENABLE);
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old), 0);
    assert_int_equal(old, PTHREAD_CANCEL_DISABLE);
}

/* ---- 11: initgroups only for our own account --------------------------- */

static void test_initgroups_skipgroup(void **state)
{
    long int start, size;
    gid_t *groups;
    int err = 0;

    (void)state;
    /* a same-named user of a higher-priority source (primary gid 1234) */
    start = 1;
    size = 4;
    groups = calloc(4, sizeof(*groups));
    groups[0] = 1234;
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", 1234, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 1);
    /* our own account: primary gid = the accounts group */
    groups[0] = 62000;
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", 62000, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(groups[1], 62100);
    /* no primary group given */
    start = 0;
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", (gid_t)-1, &start, &size,
                                                  &groups, 0, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(groups[0], 62000);
    assert_int_equal(groups[1], 62100);
    free(groups);
}

/* ---- 12: missing config ------------------------------------------------ */

static void test_missing_config_notfound_silently(void **state)
{
    char path[4096];
    int err = 0, i;
    long int start = 0, size = 0;
    gid_t *groups = NULL;
    static char buf[4096];
    struct group gr;

    nt_path(path, sizeof(path), *state, "not-installed.conf");
    nss_delegate_set_config_path(path);
    nlines = 0;
    for (i = 0; i < 3; i++) {
        assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_NOTFOUND);
        assert_int_equal(err, ENOENT);
    }
    assert_int_equal(_nss_delegate_getgrnam_r("deployers", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_initgroups_dyn("ci-deploy", 62000, &start, &size, &groups, 0,
                                                  &err), NSS_STATUS_NOTFOUND);
    free(groups);
    nt_path(path, sizeof(path), *state, "no-such-dir/delegate.conf");
    nss_delegate_set_config_path(path);
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(nlines, 0);
    /* an existing config that is unusable: UNAVAIL, with a log line */
    nt_write_file(*state, "broken.conf", "version = 1;\nbogus = 1;\n");
    nt_path(path, sizeof(path), *state, "broken.conf");
    nss_delegate_set_config_path(path);
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_UNAVAIL);
    assert_int_equal(nlines, 1);
}

/* ---- 13: includes never opened by name --------------------------------- */

static void test_includes_cloexec(void **state)
{
    int err = 0;

    nt_use_config(*state);
    fopen_no_cloexec = 0;
    assert_int_equal(pwnam("ci-deploy", &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pwnam("old-bot", &err), NSS_STATUS_NOTFOUND);   /* revoked.conf read */
    assert_int_equal(fopen_no_cloexec, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cancel_inside_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_inside_enumeration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_inside_initgroups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_state_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initgroups_skipgroup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_config_notfound_silently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_includes_cloexec, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
