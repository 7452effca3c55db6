/* The config is loaded once per PAM handle and reused by the later phases
 * only while its files are unchanged (pam_delegate/cfgcache.c): reuse is
 * real, and every kind of edit between auth and the later phases is still
 * seen (DESIGN.md §4: account judges under the config as it is now). */
#include <fcntl.h>

#include "pd_harness.h"

/* A config written now is "racily clean" for 0.1 s (cfgcache.c): let that
 * pass when a test needs the reuse. */
static void settle(void)
{
    struct timespec ts = { 0, 250 * 1000 * 1000 };

    nanosleep(&ts, NULL);
}

/* Overwrite path in place (same inode), text of exactly its current size. */
static void overwrite_in_place(const char *path, const char *text)
{
    struct stat st;
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal((size_t)st.st_size, len);
    assert_int_equal(pwrite(fd, text, len, 0), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* The test config followed by a trailing line; the two texts are made the
 * same length by padding the comment. */
static char *config_text(const char *tail, size_t pad_to)
{
    char *base = NULL, *text = NULL, *out;
    size_t len;

    pdt_config("");
    base = tl_read_file(T.conf, &len);
    assert_non_null(base);
    assert_true(asprintf(&text, "%s%s\n", base, tail) > 0);
    free(base);
    if (pad_to > strlen(text)) {
        out = calloc(1, pad_to + 1);
        assert_non_null(out);
        memcpy(out, text, strlen(text) - 1);    /* without the newline */
        memset(out + strlen(text) - 1, ' ', pad_to - strlen(text));
        out[pad_to - 1] = '\n';
        free(text);
        text = out;
    }
    return text;
}

/* Auth loads the config; account and session reuse it.  Shown by a change
 * a fresh load refuses but that leaves the config's files as they were:
 * the directory holding them made writable by others.  (Within one
 * transaction the content that was checked is still the content in use;
 * the next transaction loads afresh and fails closed.) */
static void test_reused_across_phases(void **state)
{
    char *t = pdt_mint(pdt_claims()), *t2 = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } }, cv2 = { .answer = { t2 } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    struct pam_testcase fresh[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    struct stat st;
    pam_handle_t *ph;
    (void)state;

    assert_int_equal(stat(T.dir, &st), 0);
    settle();
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(chmod(T.dir, 0777), 0);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
    assert_int_equal(pam_open_session(ph, 0), PAM_SUCCESS);
    assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    /* a new transaction does not reuse anything: refused */
    pdt_run("sshd", "ci-deploy", &cv2, fresh);
    assert_int_equal(chmod(T.dir, st.st_mode & 07777), 0);
    free(t);
    free(t2);
}

/* Revocation by replacing the file (what delegatectl revoke does). */
static void test_replaced_file_seen(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    settle();
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    pdt_config("revoke = { actors = [\"ci-deploy\"]; };");
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:revoked_actor");
    free(t);
}

/* An in-place rewrite of the same size, right after the config was
 * written and loaded (file times may not have moved): still seen. */
static void check_in_place(bool quiet_first)
{
    char *revoked = config_text("revoke = { actors = [\"ci-deploy\"]; };", 0);
    char *plain = config_text("# not revoked", strlen(revoked));
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;

    assert_int_equal(strlen(plain), strlen(revoked));
    pdt_put_file(T.conf, plain);
    if (quiet_first)
        settle();
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    overwrite_in_place(T.conf, revoked);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:revoked_actor");
    free(revoked);
    free(plain);
    free(t);
}

static void test_in_place_edit_at_once(void **state)
{
    (void)state;
    check_in_place(false);
}

static void test_in_place_edit_after_quiet_period(void **state)
{
    (void)state;
    check_in_place(true);
}

/* An included file (revoked.conf) edited between account and session. */
static void test_included_file_edit_seen(void **state)
{
    char *t = pdt_mint(pdt_claims()), *inc = tl_path(T.dir, "revoked.conf"), *line;
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    pdt_put_file(inc, "revoke = { principals = [\"nobody\"]; };\n");
    assert_true(asprintf(&line, "@include \"%s\"", inc) > 0);
    pdt_config(line);
    settle();
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    pdt_put_file(inc, "revoke = { principals = [\"alice\"]; };\n");
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:revoked_principal");
    pdt_no_sessions();
    pdt_config("");
    unlink(inc);
    free(line);
    free(inc);
    free(t);
}

/* The config broken after auth: the cached one is not used as a fallback,
 * neither in that phase nor in a later one. */
static void test_broken_then_no_fallback(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    char *good;
    (void)state;

    settle();
    good = tl_read_file(T.conf, NULL);
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    pdt_put_file(T.conf, "garbage");
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pdt_put_file(T.conf, good);
    /* account's denial dropped the admission: nothing to open */
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_no_sessions();
    free(good);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reused_across_phases, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_replaced_file_seen, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_in_place_edit_at_once, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_in_place_edit_after_quiet_period, pdt_setup,
                                        pdt_teardown),
        cmocka_unit_test_setup_teardown(test_included_file_edit_seen, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_broken_then_no_fallback, pdt_setup, pdt_teardown),
    };

    pdt_setup_all();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
