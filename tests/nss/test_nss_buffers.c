/* Buffer handling of every _nss_delegate_* entry point that fills a buffer:
 * sizes swept from 0 (and a NULL buffer) up to well past the entry's size.
 * Every size below the minimum gives TRYAGAIN + ERANGE and writes nothing
 * past the buffer; the first size that fits gives the exact entry with every
 * string inside the buffer and the member array aligned, also at odd buffer
 * offsets; a too-small buffer never advances an enumeration. */
#include "nss_test.h"

#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdalign.h>
#include <stdint.h>

#define CANARY 0xA5
#define SLACK 64

union result {
    struct passwd pw;
    struct group gr;
    struct spwd sp;
};

struct probe {
    const char *what;
    enum nss_status (*call)(union result *r, char *buf, size_t len, int *err);
    void (*check)(const union result *r, const char *buf, size_t len);
    size_t min;                 /* the exact size an aligned buffer needs */
};

static int setup(void **state)
{
    *state = nt_std_setup();
    return 0;
}

static int teardown(void **state)
{
    _nss_delegate_endpwent();
    _nss_delegate_endgrent();
    _nss_delegate_endspent();
    nss_delegate_set_config_path(NULL);
    nt_rmtree(*state);
    return 0;
}

static void assert_inside(const void *p, const char *buf, size_t len)
{
    assert_true((const char *)p >= buf && (const char *)p < buf + len);
}

static void assert_str_in(const char *got, const char *want, const char *buf, size_t len)
{
    assert_non_null(got);
    assert_inside(got, buf, len);
    assert_true(got + strlen(want) < buf + len);
    assert_string_equal(got, want);
}

static size_t strs(const char *const *v)
{
    size_t n = 0;

    for (; *v != NULL; v++)
        n += strlen(*v) + 1;
    return n;
}

/* ---- expected entries ---------------------------------------------------- */

static const char *const pw_ci[] = { "ci-deploy", "x", "CI deploy pipeline",
                                     "/var/lib/delegate/ci-deploy", "/bin/bash", NULL };
static const char *const sp_ci[] = { "ci-deploy", "!", NULL };
static const char *const gr_deployers[] = { "deployers", "x", "ci-deploy", "support-bot", NULL };
static const char *const gr_delegated[] = { "delegated", "x", "ci-deploy", "support-bot", "zed",
                                            NULL };

static void check_pw_ci(const union result *r, const char *buf, size_t len)
{
    assert_str_in(r->pw.pw_name, pw_ci[0], buf, len);
    assert_str_in(r->pw.pw_passwd, pw_ci[1], buf, len);
    assert_str_in(r->pw.pw_gecos, pw_ci[2], buf, len);
    assert_str_in(r->pw.pw_dir, pw_ci[3], buf, len);
    assert_str_in(r->pw.pw_shell, pw_ci[4], buf, len);
    assert_int_equal(r->pw.pw_uid, 62001);
    assert_int_equal(r->pw.pw_gid, 62000);
}

static void check_sp_ci(const union result *r, const char *buf, size_t len)
{
    assert_str_in(r->sp.sp_namp, "ci-deploy", buf, len);
    assert_str_in(r->sp.sp_pwdp, "!", buf, len);
    assert_int_equal(r->sp.sp_lstchg, -1);
    assert_int_equal(r->sp.sp_min, -1);
    assert_int_equal(r->sp.sp_max, -1);
    assert_int_equal(r->sp.sp_warn, -1);
    assert_int_equal(r->sp.sp_inact, -1);
    assert_int_equal(r->sp.sp_expire, -1);
}

static void check_group(const union result *r, const char *buf, size_t len,
                        const char *const *want, gid_t gid)
{
    size_t i, n = 0;

    while (want[2 + n] != NULL)
        n++;
    assert_int_equal(r->gr.gr_gid, gid);
    assert_str_in(r->gr.gr_name, want[0], buf, len);
    assert_str_in(r->gr.gr_passwd, want[1], buf, len);
    assert_non_null(r->gr.gr_mem);
    assert_int_equal((uintptr_t)r->gr.gr_mem % alignof(char *), 0);
    assert_inside(r->gr.gr_mem, buf, len);
    assert_true((const char *)(r->gr.gr_mem + n + 1) <= buf + len);
    for (i = 0; i < n; i++)
        assert_str_in(r->gr.gr_mem[i], want[2 + i], buf, len);
    assert_null(r->gr.gr_mem[n]);
}

static void check_gr_deployers(const union result *r, const char *buf, size_t len)
{
    check_group(r, buf, len, gr_deployers, 62100);
}

static void check_gr_delegated(const union result *r, const char *buf, size_t len)
{
    check_group(r, buf, len, gr_delegated, 62000);
}

/* ---- calls ---------------------------------------------------------------- */

static enum nss_status call_pwnam(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getpwnam_r("ci-deploy", &r->pw, buf, len, err);
}

static enum nss_status call_pwuid(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getpwuid_r(62001, &r->pw, buf, len, err);
}

static enum nss_status call_pwent(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getpwent_r(&r->pw, buf, len, err);
}

static enum nss_status call_spnam(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getspnam_r("ci-deploy", &r->sp, buf, len, err);
}

static enum nss_status call_spent(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getspent_r(&r->sp, buf, len, err);
}

static enum nss_status call_grnam(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getgrnam_r("deployers", &r->gr, buf, len, err);
}

static enum nss_status call_grgid(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getgrgid_r(62100, &r->gr, buf, len, err);
}

static enum nss_status call_grgid_acc(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getgrgid_r(62000, &r->gr, buf, len, err);
}

static enum nss_status call_grent(union result *r, char *buf, size_t len, int *err)
{
    return _nss_delegate_getgrent_r(&r->gr, buf, len, err);
}

/* Enumerations restart before each size, so a TRYAGAIN that wrongly advanced
 * the cursor shows as the wrong (second) entry at the first fitting size. */
static bool enum_probe;

static void rewind_all(void)
{
    if (!enum_probe)
        return;
    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setgrent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setspent(0), NSS_STATUS_SUCCESS);
}

/* One call with a buffer of exactly len bytes at offset off of a block that
 * has canary bytes after it.  Returns the status. */
static enum nss_status one(const struct probe *p, size_t len, size_t off, bool null_buf)
{
    unsigned char *block = malloc(len + off + SLACK);
    char *buf = (char *)block + off;
    union result r;
    enum nss_status status;
    size_t i;
    int err = 0;

    assert_non_null(block);
    memset(block, CANARY, len + off + SLACK);
    memset(&r, 0, sizeof(r));
    status = p->call(&r, null_buf ? NULL : buf, len, &err);
    for (i = len; i < len + SLACK; i++)
        assert_int_equal((unsigned char)buf[i], CANARY);
    for (i = 0; i < off; i++)
        assert_int_equal(block[i], CANARY);
    if (status == NSS_STATUS_SUCCESS) {
        assert_false(null_buf);
        p->check(&r, buf, len);
    } else {
        assert_int_equal(status, NSS_STATUS_TRYAGAIN);
        assert_int_equal(err, ERANGE);
    }
    free(block);
    return status;
}

/* Exact-size heap buffers at offset 0: the first fitting size is p->min.
 * At offsets 1..alignof-1 the first fit is at most min + alignof - 1. */
static void sweep(const struct probe *p)
{
    size_t len, off, first;

    rewind_all();
    assert_int_equal(one(p, 0, 0, true), NSS_STATUS_TRYAGAIN);
    rewind_all();
    assert_int_equal(one(p, 64, 0, true), NSS_STATUS_TRYAGAIN);
    for (off = 0; off < alignof(char *) * 2; off++) {
        first = 0;
        for (len = 0; len <= p->min + 2 * alignof(char *); len++) {
            rewind_all();
            if (one(p, len, off, false) == NSS_STATUS_SUCCESS) {
                if (first == 0)
                    first = len;
            } else {
                assert_int_equal(first, 0);     /* no failure after a success */
            }
        }
        if (off == 0 || p->check == check_pw_ci || p->check == check_sp_ci)
            assert_int_equal(first, p->min);
        else
            assert_true(first >= p->min && first < p->min + alignof(char *));
    }
}

static size_t group_min(const char *const *want)
{
    size_t n = 0;

    while (want[2 + n] != NULL)
        n++;
    return (n + 1) * sizeof(char *) + strs(want);
}

static void test_sweep_getpwnam(void **state)
{
    struct probe p = { "getpwnam_r", call_pwnam, check_pw_ci, strs(pw_ci) };

    (void)state;
    sweep(&p);
}

static void test_sweep_getpwuid(void **state)
{
    struct probe p = { "getpwuid_r", call_pwuid, check_pw_ci, strs(pw_ci) };

    (void)state;
    sweep(&p);
}

static void test_sweep_getpwent(void **state)
{
    struct probe p = { "getpwent_r", call_pwent, check_pw_ci, strs(pw_ci) };

    (void)state;
    enum_probe = true;
    sweep(&p);
    enum_probe = false;
}

static void test_sweep_getspnam(void **state)
{
    struct probe p = { "getspnam_r", call_spnam, check_sp_ci, strs(sp_ci) };

    (void)state;
    sweep(&p);
}

static void test_sweep_getspent(void **state)
{
    struct probe p = { "getspent_r", call_spent, check_sp_ci, strs(sp_ci) };

    (void)state;
    enum_probe = true;
    sweep(&p);
    enum_probe = false;
}

static void test_sweep_getgrnam(void **state)
{
    struct probe p = { "getgrnam_r", call_grnam, check_gr_deployers, group_min(gr_deployers) };

    (void)state;
    sweep(&p);
}

static void test_sweep_getgrgid(void **state)
{
    struct probe p = { "getgrgid_r", call_grgid, check_gr_deployers, group_min(gr_deployers) };
    struct probe q = { "getgrgid_r", call_grgid_acc, check_gr_delegated,
                       group_min(gr_delegated) };

    (void)state;
    sweep(&p);
    sweep(&q);
}

static void test_sweep_getgrent(void **state)
{
    struct probe p = { "getgrent_r", call_grent, check_gr_delegated, group_min(gr_delegated) };

    (void)state;
    enum_probe = true;
    sweep(&p);
    enum_probe = false;
}

/* TRYAGAIN in the middle of an enumeration: the same entry comes next. */
static void test_enum_cursor_holds_on_erange(void **state)
{
    static const char *const users[] = { "ci-deploy", "support-bot", "zed" };
    static const char *const groups[] = { "delegated", "auditors", "deployers", "empty" };
    char big[4096], small[8];
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    size_t i;
    int err;

    (void)state;
    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setgrent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setspent(0), NSS_STATUS_SUCCESS);
    for (i = 0; i < 3; i++) {
        for (int k = 0; k < 3; k++) {
            err = 0;
            assert_int_equal(_nss_delegate_getpwent_r(&pw, small, sizeof(small), &err),
                             NSS_STATUS_TRYAGAIN);
            assert_int_equal(err, ERANGE);
            assert_int_equal(_nss_delegate_getspent_r(&sp, NULL, 0, &err), NSS_STATUS_TRYAGAIN);
            assert_int_equal(err, ERANGE);
        }
        assert_int_equal(_nss_delegate_getpwent_r(&pw, big, sizeof(big), &err),
                         NSS_STATUS_SUCCESS);
        assert_string_equal(pw.pw_name, users[i]);
        assert_int_equal(_nss_delegate_getspent_r(&sp, big, sizeof(big), &err),
                         NSS_STATUS_SUCCESS);
        assert_string_equal(sp.sp_namp, users[i]);
    }
    err = 0;
    assert_int_equal(_nss_delegate_getpwent_r(&pw, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(err, ENOENT);
    assert_int_equal(_nss_delegate_getspent_r(&sp, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
    for (i = 0; i < 4; i++) {
        err = 0;
        assert_int_equal(_nss_delegate_getgrent_r(&gr, small, sizeof(small), &err),
                         NSS_STATUS_TRYAGAIN);
        assert_int_equal(err, ERANGE);
        assert_int_equal(_nss_delegate_getgrent_r(&gr, big, sizeof(big), &err),
                         NSS_STATUS_SUCCESS);
        assert_string_equal(gr.gr_name, groups[i]);
    }
    assert_int_equal(_nss_delegate_getgrent_r(&gr, big, sizeof(big), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getgrent_r(&gr, small, sizeof(small), &err),
                     NSS_STATUS_NOTFOUND);
}

/* Member arrays are aligned at every buffer offset, with large member lists
 * too. */
static void test_group_alignment_offsets(void **state)
{
    char block[4096 + 16];
    struct group gr;
    size_t off;
    int err;

    (void)state;
    for (off = 0; off < 16; off++) {
        err = 0;
        assert_int_equal(_nss_delegate_getgrnam_r("delegated", &gr, block + off, 4096, &err),
                         NSS_STATUS_SUCCESS);
        assert_int_equal((uintptr_t)gr.gr_mem % alignof(char *), 0);
        nt_assert_members(gr.gr_mem, "ci-deploy support-bot zed");
        assert_int_equal(_nss_delegate_getgrgid_r(62102, &gr, block + off, 4096, &err),
                         NSS_STATUS_SUCCESS);
        assert_int_equal((uintptr_t)gr.gr_mem % alignof(char *), 0);
        assert_null(gr.gr_mem[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_getpwnam, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getpwuid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getpwent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getspnam, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getspent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getgrnam, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getgrgid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_getgrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_cursor_holds_on_erange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_alignment_offsets, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
