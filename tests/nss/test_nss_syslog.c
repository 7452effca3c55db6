/* An unusable config is reported with one syslog line (LOG_AUTHPRIV) per
 * failure episode, not one per lookup.  syslog is intercepted: this program
 * defines syslog and its fortified variant, which take precedence over
 * libc's for the module objects linked into it. */
#include "nss_test.h"

#include <pwd.h>
#include <syslog.h>

static int nlines;
static int last_pri;
static char last_line[1024];

static void capture(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void capture(int pri, const char *fmt, va_list ap)
{
    nlines++;
    last_pri = pri;
    vsnprintf(last_line, sizeof(last_line), fmt, ap);
}

#undef syslog   /* a macro for __syslog_chk with clang and _FORTIFY_SOURCE */
void syslog(int pri, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}

/* declared by <syslog.h> only with _FORTIFY_SOURCE */
void __syslog_chk(int pri, int flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;

    (void)flag;
    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
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

static enum nss_status lookup(const char *name)
{
    static char buf[4096];
    struct passwd pw;
    int err = 0;

    return _nss_delegate_getpwnam_r(name, &pw, buf, sizeof(buf), &err);
}

static void test_one_line_per_episode(void **state)
{
    const char *dir = *state;
    char path[4096];
    int i;

    assert_int_equal(lookup("ci-deploy"), NSS_STATUS_SUCCESS);
    assert_int_equal(nlines, 0);

    nt_write_file(dir, "delegate.conf", "version = 1;\nbogus = 1;\n");
    for (i = 0; i < 50; i++)
        assert_int_equal(lookup("ci-deploy"), NSS_STATUS_UNAVAIL);
    assert_int_equal(nlines, 1);
    assert_int_equal(last_pri, LOG_AUTHPRIV | LOG_ERR);
    nt_path(path, sizeof(path), dir, "delegate.conf");
    assert_non_null(strstr(last_line, path));
    assert_non_null(strstr(last_line, "bogus"));
    assert_null(strchr(last_line, '\n'));

    /* fixed: quiet; broken again: a new episode, one more line */
    nt_write_config(dir, nt_std_actors, 4, nt_std_groups);
    assert_int_equal(lookup("ci-deploy"), NSS_STATUS_SUCCESS);
    assert_int_equal(nlines, 1);
    assert_int_equal(unlink(path), 0);
    /* a missing config is "not installed": NOTFOUND, silently (issue 11) */
    for (i = 0; i < 10; i++)
        assert_int_equal(lookup("ci-deploy"), NSS_STATUS_NOTFOUND);
    assert_int_equal(nlines, 1);
    nt_write_file(dir, "delegate.conf", "version = 1;\nbogus = 2;\n");
    for (i = 0; i < 10; i++)
        assert_int_equal(lookup("ci-deploy"), NSS_STATUS_UNAVAIL);
    assert_int_equal(nlines, 2);
    assert_non_null(strstr(last_line, path));
}

/* Lookups answered without the config never log, even with no config. */
static void test_fast_rejects_do_not_log(void **state)
{
    struct passwd pw;
    char buf[1024];
    int err;

    (void)state;
    nss_delegate_set_config_path("/nonexistent/delegate.conf");
    assert_int_equal(lookup("pam_unix_non_existent:"), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getpwuid_r(0, &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(nlines, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_line_per_episode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_rejects_do_not_log, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
