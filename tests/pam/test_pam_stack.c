/* The shipped stacks of conf/pam.d (sshd and sudo snippets) with their
 * control values, in front of stand-ins for Debian's common-* files: an
 * actor's outcome is decided by our module, everyone else goes on to the
 * rest of the stack untouched. */
#include "pd_harness.h"

static void test_sshd_actor_admitted(void **state)
{
    char *t = pdt_mint(pdt_claims_for("ci-deploy", "snip-sshd"));
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),   /* done: common-auth not reached */
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_GETENVLIST, 0),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    (void)state;

    pdt_run("snip-sshd", "ci-deploy", &cv, cases);
    assert_string_equal(pdt_env_get(cases[4].case_out.envlist, "DELEGATE_ACTOR"), "ci-deploy");
    pamtest_free_env(cases[4].case_out.envlist);
    pdt_no_sessions();
    pdt_audit_expect("admit", "session_open", "session_close");
    free(t);
}

/* A refused ticket ends the login: common-auth (a password) is not tried. */
static void test_sshd_actor_refused_dies(void **state)
{
    struct pdt_conv cv = { .answer = { "x.y.z", "password" } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    (void)state;

    pdt_run("snip-sshd", "ci-deploy", &cv, cases);
    assert_int_equal(cv.prompts, 1);
    pdt_audit_expect("deny:malformed");
}

/* ssh key only: auth never ran; account refuses. */
static void test_sshd_key_only(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
        pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED),
    };
    (void)state;

    pdt_run("snip-sshd", "ci-deploy", &cv, cases);
    pdt_audit_expect("deny:no_ticket", "deny:no_ticket");
}

/* Everyone else: straight on to common-auth (the marker), account and
 * session as the rest of the stack says. */
static void test_sshd_non_actor_untouched(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PD_IGNORED),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    (void)state;

    pdt_run("snip-sshd", "daemon", &cv, cases);
    pdt_run("snip-sshd", "root", &cv, cases);
    assert_int_equal(cv.prompts, 0);
    assert_int_equal(access(T.audit, F_OK), -1);
}

/* sudo: a target outside runas is refused at session open. */
static void test_sudo_runas(void **state)
{
    char *t = pdt_mint(pdt_claims_for("support-bot", "snip-sudo"));
    const char *targets[] = { "alice", "bob" };
    const int want[] = { PAM_SUCCESS, PAM_PERM_DENIED };
    (void)state;

    unsetenv("PAM_RHOST");
    setenv("PAM_RUSER", "support-bot", 1);
    for (int i = 0; i < 2; i++) {
        struct pdt_conv cv = { .answer = { t } };
        struct pam_testcase cases[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
            pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
            pam_test(PAMTEST_KEEPHANDLE, 0),
        };
        pam_handle_t *ph = pdt_keep("snip-sudo", "support-bot", &cv, cases);

        assert_int_equal(pam_set_item(ph, PAM_USER, targets[i]), PAM_SUCCESS);
        assert_int_equal(pam_open_session(ph, 0), want[i]);
        if (want[i] == PAM_SUCCESS)
            assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
        pam_end(ph, PAM_SUCCESS);
    }
    unsetenv("PAM_RUSER");
    pdt_no_sessions();
    pdt_audit_expect("admit", "session_open", "session_close", "admit", "deny:runas_not_allowed");
    free(t);
}

/* sudo with a cached timestamp: auth skipped, account refuses the actor. */
static void test_sudo_cached_timestamp(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED) };
    (void)state;

    unsetenv("PAM_RHOST");
    setenv("PAM_RUSER", "support-bot", 1);
    pdt_run("snip-sudo", "support-bot", &cv, cases);
    unsetenv("PAM_RUSER");
    pdt_audit_expect("deny:no_ticket");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sshd_actor_admitted, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sshd_actor_refused_dies, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sshd_key_only, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sshd_non_actor_untouched, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_runas, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_cached_timestamp, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_stack", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
