/* pam_delegate account phase: an actor passes only with a ticket verified in
 * this transaction that is still valid under the config as it is now. */
#include "pd_harness.h"

static void test_account_after_auth(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),     /* asking twice changes nothing */
    };
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_audit_expect("admit");
    free(t);
}

/* Admitted some other way (an ssh key, sudo's cached credentials). */
static void test_account_without_auth_denied(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED) };
    json_t *ev;
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(cv.prompts, 0);
    pdt_audit_expect("deny:no_ticket");
    ev = pdt_audit_get(0);
    assert_string_equal(pdt_jstr(ev, "user"), "ci-deploy");
    assert_null(pdt_jstr(ev, "jti"));
    json_decref(ev);
}

static void test_account_after_failed_auth_denied(void **state)
{
    struct pdt_conv cv = { .answer = { "" } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
    };
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_audit_expect("deny:no_ticket", "deny:no_ticket");
}

static void test_account_non_actor_ignored(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_ACCOUNT, PD_IGNORED) };
    (void)state;

    pdt_run("sshd", "daemon", &cv, cases);
    pdt_run("sshd", "root", &cv, cases);
    assert_int_equal(access(T.audit, F_OK), -1);
}

/* auth, then a config change, then account: the change applies at once. */
static void after_auth_change(const char *revoke, const char *broken, const char *reason,
                              int line)
{
    json_t *c = pdt_claims();
    char by_id[512], *t;
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;

    /* revoke NULL: revoke this very ticket by id */
    snprintf(by_id, sizeof(by_id), "revoke = { tickets = ( { id = \"%s\"; } ); };",
             json_string_value(json_object_get(c, "jti")));
    t = pdt_mint(c);
    cv.answer[0] = t;
    unlink(T.audit);
    pdt_config("");
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    if (broken != NULL)
        pdt_put_file(T.conf, broken);
    else
        pdt_config(revoke ? revoke : by_id);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    /* and it stays refused: the verified result is gone */
    pdt_config("");
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    if (reason != NULL) {
        char want[64];
        snprintf(want, sizeof(want), "deny:%s", reason);
        pdt_audit_expect_(line, "admit", want, "deny:no_ticket", (const char *)NULL);
    } else {
        /* config_error: no config, so no audit file; syslog only */
        pdt_audit_expect_(line, "admit", "deny:no_ticket", (const char *)NULL);
    }
    free(t);
}

static void test_revocation_after_auth(void **state)
{
    (void)state;
    after_auth_change(NULL, NULL, "revoked_ticket", __LINE__);
    after_auth_change("revoke = { actors = [\"ci-deploy\"]; };", NULL, "revoked_actor",
                      __LINE__);
    after_auth_change("revoke = { principals = [\"alice\"]; };", NULL, "revoked_principal",
                      __LINE__);
    after_auth_change("revoke = { issuers = [\"corp\"]; };", NULL, "revoked_issuer",
                      __LINE__);
    after_auth_change("revoke = { keys = [\"k1\"]; };", NULL, "revoked_key", __LINE__);
    after_auth_change("revoke = { issued_before = \"2099-01-01T00:00:00Z\"; };", NULL,
                      "revoked_before", __LINE__);
}

static void test_config_broken_after_auth(void **state)
{
    (void)state;
    after_auth_change(NULL, "this is { not libconfig", NULL, __LINE__);
}

/* The actor disappears from the config after auth: still refused. */
static void test_actor_removed_after_auth(void **state)
{
    char *t = pdt_mint(pdt_claims()), *text, *p;
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    text = tl_read_file(T.conf, NULL);
    p = strstr(text, "\"ci-deploy\"");
    memcpy(p, "\"ci-other\" ", 11);
    pdt_put_file(T.conf, text);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:unknown_actor");
    free(text);
    free(t);
}

/* auth with a default ticket, then the config becomes *after*, then
 * account: refused with reason, and still refused under the old config
 * (reason NULL: the edit takes nothing away, account passes). */
static void after_auth_config(const struct pdt_cfg *after, const char *reason, int line)
{
    char *t = pdt_mint(pdt_claims()), want[64];
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;

    unlink(T.audit);
    pdt_config("");
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    pdt_config_with(after);
    if (reason == NULL) {
        assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
        pam_end(ph, PAM_SUCCESS);
        pdt_audit_expect_(line, "admit", (const char *)NULL);
        free(t);
        return;
    }
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pdt_config("");
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    snprintf(want, sizeof(want), "deny:%s", reason);
    pdt_audit_expect_(line, "admit", want, "deny:no_ticket", (const char *)NULL);
    free(t);
}

/* Issue 21: the issuer's own rules count after admission too.  A personal
 * key that should stop speaking for others (principals narrowed), and a
 * leaked issuer key removed from the config. */
static void test_issuer_principals_narrowed_after_auth(void **state)
{
    struct pdt_cfg narrowed = { .iss_principals = "\"release\"" };
    struct pdt_cfg still = { .iss_principals = "\"release\", \"alice\"" };
    (void)state;

    after_auth_config(&narrowed, "principal_not_allowed", __LINE__);
    /* control: the same edit that keeps alice changes nothing */
    after_auth_config(&still, NULL, __LINE__);
}

static void test_issuer_key_removed_after_auth(void **state)
{
    struct pdt_cfg rotated = { .iss_keys = "k2" };
    (void)state;

    after_auth_config(&rotated, "unknown_key", __LINE__);
}

/* Issue 18 item 8: key_binding = "required" set after admission refuses a
 * session that came in with an unbound ticket. */
static void test_key_required_after_auth(void **state)
{
    struct pdt_cfg required = { .ci_extra = "key_binding = \"required\";" };
    (void)state;

    after_auth_config(&required, "key_required", __LINE__);
}

/* Issue 21 thin spot, a second test: a ticket that omits kid (its issuer
 * has one key) is still caught by a revocation of that key's id, at auth
 * and, revoked after auth, in the account phase. */
static void test_kid_omitted_key_revoked(void **state)
{
    json_t *c1 = pdt_claims(), *c2 = pdt_claims();
    char *t1 = tl_mint(T.key, "EdDSA", NULL, c1), *t2 = tl_mint(T.key, "EdDSA", NULL, c2);
    struct pdt_conv cv = { .answer = { t1 } };
    struct pam_testcase auth_ok[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    struct pam_testcase auth_no[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    pam_handle_t *ph;
    (void)state;

    json_decref(c1);
    json_decref(c2);
    pdt_remember(t1);
    pdt_remember(t2);
    ph = pdt_keep("sshd", "ci-deploy", &cv, auth_ok);
    pdt_config("revoke = { keys = [\"k1\"]; };");
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    cv.answer[0] = t2;
    cv.prompts = 0;
    pdt_run("sshd", "ci-deploy", &cv, auth_no);
    pdt_audit_expect("admit", "deny:revoked_key", "deny:revoked_key");
    free(t1);
    free(t2);
}

/* Admitted shortly before the end of the skew window; account once the
 * window has passed.  The margin starts at 2 s; should authentication come
 * too late for it (a loaded machine), it is refused as expired and the test
 * tries again with twice the margin, so the outcome never hangs on speed. */
static void test_expired_after_auth(void **state)
{
    int64_t margin = 2, exp = 0;
    char *t = NULL;
    pam_handle_t *ph = NULL;
    (void)state;

    for (;;) {
        int64_t now = (int64_t)time(NULL);
        json_t *c = pdt_claims();
        struct pdt_conv cv = { .answer = { NULL } };
        struct pam_testcase cases[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
            pam_test(PAMTEST_KEEPHANDLE, 0),
        };
        enum pamtest_err perr;

        exp = now - 60 + margin;
        json_object_set_new(c, "iat", json_integer(now - 100));
        json_object_set_new(c, "exp", json_integer(exp));
        t = pdt_mint(c);
        cv.answer[0] = t;
        perr = _pamtest_conv("sshd", "ci-deploy", pdt_conv_fn, &cv, cases, 2, NULL);
        if (perr == PAMTEST_ERR_OK) {
            ph = cases[1].case_out.ph;
            break;
        }
        /* only "expired before auth got to it" may send us round again */
        assert_int_equal(perr, PAMTEST_ERR_CASE);
        assert_int_equal(cases[0].op_rv, PAM_AUTH_ERR);
        pdt_audit_expect("deny:expired");
        assert_int_equal(truncate(T.audit, 0), 0);
        free(t);
        margin *= 2;
        assert_true(margin <= 512);
    }
    /* exp == now - skew is expired (DESIGN.md §3) */
    while ((int64_t)time(NULL) < exp + 60) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:expired");
    free(t);
}

/* The application switched PAM_USER between auth and account. */
static void test_user_switched_before_account(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(pam_set_item(ph, PAM_USER, "support-bot"), PAM_SUCCESS);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("admit", "deny:actor_mismatch");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_account_without_auth_denied, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_account_after_failed_auth_denied, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_account_non_actor_ignored, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_revocation_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_config_broken_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_actor_removed_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_issuer_principals_narrowed_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_issuer_key_removed_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_key_required_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_kid_omitted_key_revoked, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_expired_after_auth, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_user_switched_before_account, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_account", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
