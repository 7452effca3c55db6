/* An unusable config (DESIGN.md §3): every delegation is denied with
 * config_error, while root and the accounts of /etc/passwd are never
 * blocked (PAM_IGNORE in every phase). */
#include "pd_harness.h"

/* user, expected auth, account, session open */
static void phases(const char *service, const char *user, int auth, int acct, int open, int line)
{
    struct pdt_conv cv = { .answer = { "whatever" } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, auth),
        pam_test(PAMTEST_ACCOUNT, acct),
        pam_test(PAMTEST_OPEN_SESSION, open),
    };

    pdt_run_n(service, user, &cv, cases, 3, line);
    /* the ticket is never even asked for */
    assert_int_equal(cv.prompts, 0);
}

static void check_unusable(const char *service, int line)
{
    /* root and local accounts: never blocked */
    phases(service, "root", PD_IGNORED, PD_IGNORED, PD_IGNORED, line);
    phases(service, "daemon", PD_IGNORED, PD_IGNORED, PD_IGNORED, line);
    /* the actor (and any name /etc/passwd does not know): denied */
    phases(service, "ci-deploy", PAM_AUTH_ERR, PAM_PERM_DENIED, PAM_PERM_DENIED, line);
    phases(service, "no-such-user", PAM_AUTH_ERR, PAM_PERM_DENIED, PAM_PERM_DENIED, line);
    pdt_no_sessions();
    /* no config, no audit file: the denials went to syslog */
    assert_int_equal(access(T.audit, F_OK), -1);
}

static void test_syntax_error(void **state)
{
    (void)state;
    pdt_put_file(T.conf, "version = 1;\nactors = ( { name = ");
    check_unusable("sshd", __LINE__);
}

static void test_missing_config(void **state)
{
    (void)state;
    unlink(T.conf);
    check_unusable("sshd", __LINE__);
}

/* Writable by others: not trusted. */
static void test_unsafe_config(void **state)
{
    (void)state;
    assert_int_equal(chmod(T.conf, 0666), 0);
    check_unusable("sshd", __LINE__);
    assert_int_equal(chmod(T.conf, 0644), 0);
}

/* An unknown setting (a typo must not silently weaken policy). */
static void test_invalid_setting(void **state)
{
    char *text = tl_read_file(T.conf, NULL), *bigger;
    (void)state;

    assert_true(asprintf(&bigger, "%sallow_everything = true;\n", text) > 0);
    pdt_put_file(T.conf, bigger);
    check_unusable("sshd", __LINE__);
    free(bigger);
    free(text);
}

/* config= with a relative path (module argument): fail closed. */
static void test_relative_config_argument(void **state)
{
    (void)state;
    check_unusable("relcfg", __LINE__);
}

/* The issuer's key file is missing: no ticket can be verified. */
static void test_missing_key_file(void **state)
{
    char *t = pdt_mint(pdt_claims()), *moved = tl_path(T.dir, "corp.pub.away");
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    struct pam_testcase local[] = { pam_test(PAMTEST_AUTHENTICATE, PD_IGNORED) };
    (void)state;

    assert_int_equal(rename(T.pub, moved), 0);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_run("sshd", "daemon", &cv, local);
    assert_int_equal(rename(moved, T.pub), 0);
    pdt_audit_expect("deny:config_error");
    free(moved);
    free(t);
}

/* A config made unusable after auth: the session of the admitted actor is
 * refused too (sudo's target user alice is not an actor). */
static void test_broken_between_auth_and_session(void **state)
{
    char *t = pdt_mint(pdt_claims_for("support-bot", "sudo"));
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    unsetenv("PAM_RHOST");
    setenv("PAM_RUSER", "support-bot", 1);
    ph = pdt_keep("sudo", "support-bot", &cv, cases);
    pdt_put_file(T.conf, "garbage");
    assert_int_equal(pam_set_item(ph, PAM_USER, "alice"), PAM_SUCCESS);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    unsetenv("PAM_RUSER");
    pdt_no_sessions();
    free(t);
}

/* Back to a good config: delegation works again at once. */
static void test_recovers(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    (void)state;

    pdt_put_file(T.conf, "garbage");
    phases("sshd", "ci-deploy", PAM_AUTH_ERR, PAM_PERM_DENIED, PAM_PERM_DENIED, __LINE__);
    pdt_config("");
    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_audit_expect("admit");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_syntax_error, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_missing_config, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_config, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_setting, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_relative_config_argument, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_missing_key_file, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_broken_between_auth_and_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_recovers, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_config", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
