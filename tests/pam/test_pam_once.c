/* Single-use tickets (claim once:true): admitted once per host, a replay
 * is refused with "replayed"; a refusal for another reason does not use
 * the ticket up. */
#include "pd_harness.h"

static char *once_ticket(void)
{
    json_t *c = pdt_claims();

    json_object_set_new(c, "once", json_true());
    return pdt_mint(c);
}

static void auth(const char *ticket, int want, int line)
{
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, want) };

    pdt_run_n("sshd", "ci-deploy", &cv, cases, 1, line);
}

static void test_once_then_replayed(void **state)
{
    char *t = once_ticket();
    (void)state;

    auth(t, PAM_SUCCESS, __LINE__);
    auth(t, PAM_AUTH_ERR, __LINE__);
    auth(t, PAM_AUTH_ERR, __LINE__);
    pdt_audit_expect("admit", "deny:replayed", "deny:replayed");
    free(t);
}

/* Refused from a wrong source first: not used up by that. */
static void test_refusal_does_not_use_up(void **state)
{
    char *t = once_ticket();
    (void)state;

    setenv("PAM_RHOST", "192.0.2.9", 1);
    auth(t, PAM_AUTH_ERR, __LINE__);
    setenv("PAM_RHOST", "127.0.0.1", 1);
    auth(t, PAM_SUCCESS, __LINE__);
    auth(t, PAM_AUTH_ERR, __LINE__);
    pdt_audit_expect("deny:source_not_allowed", "admit", "deny:replayed");
    free(t);
}

/* Another single-use ticket is independent; a reusable one stays reusable. */
static void test_independent_tickets(void **state)
{
    char *a = once_ticket(), *b = once_ticket(), *r = pdt_mint(pdt_claims());
    (void)state;

    auth(a, PAM_SUCCESS, __LINE__);
    auth(b, PAM_SUCCESS, __LINE__);
    auth(r, PAM_SUCCESS, __LINE__);
    auth(r, PAM_SUCCESS, __LINE__);
    pdt_audit_expect("admit", "admit", "admit", "admit");
    free(a);
    free(b);
    free(r);
}

/* The marker lives in the fixed root-only directory. */
static void test_marker_dir(void **state)
{
    char *t = once_ticket();
    struct stat st;
    (void)state;

    auth(t, PAM_SUCCESS, __LINE__);
    assert_int_equal(lstat(DLG_ONCE_DIR, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 077, 0);
    assert_true(pdt_count_files(DLG_ONCE_DIR) >= 1);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_once_then_replayed, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_refusal_does_not_use_up, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_independent_tickets, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_marker_dir, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_once", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
