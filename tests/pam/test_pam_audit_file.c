/* The audit file is used only when it is a regular, root-owned, single-link
 * file without group/other bits (issue 10, item 6): otherwise an actor is
 * refused (fail closed, one log line) and everyone else is not affected. */
#include "pd_harness.h"

/* The audit file exists with this mode before the test runs. */
static void audit_mode(mode_t mode)
{
    int fd = open(T.audit, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static off_t audit_size(void)
{
    struct stat st;

    assert_int_equal(stat(T.audit, &st), 0);
    return st.st_size;
}

static void test_group_readable_refuses_actor(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
    };
    (void)state;

    audit_mode(0640);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(audit_size(), 0);
    free(t);
}

static void test_world_readable_refuses_actor(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
    };
    (void)state;

    audit_mode(0644);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(audit_size(), 0);
    free(t);
}

static void test_second_link_refuses_actor(void **state)
{
    char *t = pdt_mint(pdt_claims());
    char *other = tl_path(T.dir, "audit-second-name");
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
    };
    (void)state;

    audit_mode(0600);
    assert_int_equal(link(T.audit, other), 0);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(audit_size(), 0);
    assert_int_equal(unlink(other), 0);
    free(other);
    free(t);
}

static void test_not_root_owned_refuses_actor(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
    };
    (void)state;

    audit_mode(0600);
    assert_int_equal(chown(T.audit, 62001, 62000), 0);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(audit_size(), 0);
    free(t);
}

/* The file turns unsafe between auth and session: the session is refused. */
static void test_session_refused_when_file_turns_unsafe(void **state)
{
    json_t *c = pdt_claims_for("support-bot", "sudo");
    char *t;
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    json_object_set_new(c, "apv", json_pack("[s]", "carol"));
    json_object_del(c, "src");
    t = pdt_mint(c);
    cv.answer[0] = t;
    unsetenv("PAM_RHOST");
    ph = pdt_keep("sudo", "support-bot", &cv, cases);
    assert_int_equal(chmod(T.audit, 0604), 0);
    assert_int_equal(pam_set_item(ph, PAM_USER, "alice"), PAM_SUCCESS);
    assert_int_equal(pam_set_item(ph, PAM_RUSER, "support-bot"), PAM_SUCCESS);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pdt_no_sessions();
    pam_end(ph, PAM_SUCCESS);
    free(t);
}

/* Users that are not actors never depend on the audit file. */
static void test_non_actors_unaffected(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PD_IGNORED),
        pam_test(PAMTEST_ACCOUNT, PD_IGNORED),
    };
    (void)state;

    audit_mode(0666);
    pdt_run("sshd", "root", &cv, cases);
    pdt_run("sshd", "alice", &cv, cases);
    pdt_run("sshd", "nobody-at-all", &cv, cases);
    assert_int_equal(audit_size(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_readable_refuses_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_world_readable_refuses_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_second_link_refuses_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_not_root_owned_refuses_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_session_refused_when_file_turns_unsafe, pdt_setup,
                                        pdt_teardown),
        cmocka_unit_test_setup_teardown(test_non_actors_unaffected, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_audit_file", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
