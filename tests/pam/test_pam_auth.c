/* pam_delegate auth phase through libpamtest + pam_wrapper: where the ticket
 * comes from (prompt, use_first_pass, try_first_pass), each return code,
 * and the audit event of every outcome. */
#include "pd_harness.h"

/* A user that is not an actor: every phase PAM_IGNORE, no prompt, no audit. */
static void test_non_actor_ignored_in_every_phase(void **state)
{
    const char *users[] = { "daemon", "root", "alice", "no-such-user" };
    (void)state;

    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        struct pdt_conv cv = { .answer = { "whatever" } };
        struct pam_testcase cases[] = {
            pam_test(PAMTEST_AUTHENTICATE, PD_IGNORED),
            pam_test(PAMTEST_SETCRED, PD_IGNORED),
            pam_test(PAMTEST_ACCOUNT, PD_IGNORED),
            pam_test(PAMTEST_OPEN_SESSION, PD_IGNORED),
            pam_test(PAMTEST_CLOSE_SESSION, PD_IGNORED),
        };
        pdt_run("sshd", users[i], &cv, cases);
        assert_int_equal(cv.prompts, 0);
    }
    assert_int_equal(access(T.audit, F_OK), -1);
}

static void test_prompt_admit(void **state)
{
    json_t *claims = pdt_claims();
    char *jti = strdup(json_string_value(json_object_get(claims, "jti")));
    char *ticket = pdt_mint(claims);
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
    };
    json_t *ev;
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_int_equal(cv.prompts, 1);
    assert_int_equal(cv.other, 0);
    assert_string_equal(cv.prompt, "Delegation ticket: ");
    pdt_audit_expect("admit");
    ev = pdt_audit_get(0);
    assert_string_equal(pdt_jstr(ev, "service"), "sshd");
    assert_string_equal(pdt_jstr(ev, "user"), "ci-deploy");
    assert_string_equal(pdt_jstr(ev, "actor"), "ci-deploy");
    assert_string_equal(pdt_jstr(ev, "principal"), "alice");
    assert_string_equal(pdt_jstr(ev, "jti"), jti);
    assert_string_equal(pdt_jstr(ev, "iss"), "corp");
    assert_string_equal(pdt_jstr(ev, "kid"), "k1");
    assert_string_equal(pdt_jstr(ev, "rhost"), "127.0.0.1");
    assert_string_equal(pdt_jstr(ev, "tty"), "/dev/pts/7");
    json_decref(ev);
    free(jti);
    free(ticket);
}

/* The configured prompt is the one asked. */
static void test_prompt_from_config(void **state)
{
    char *ticket = pdt_mint(pdt_claims());
    char *text, *p;
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    (void)state;

    pdt_config("");
    text = tl_read_file(T.conf, NULL);
    p = strstr(text, "Delegation ticket: ");
    assert_non_null(p);
    memcpy(p, "Give me the ticket:", 19);
    pdt_put_file(T.conf, text);
    pdt_run("sshd", "ci-deploy", &cv, cases);
    assert_string_equal(cv.prompt, "Give me the ticket:");
    free(text);
    free(ticket);
}

/* The prompted ticket is not left as PAM_AUTHTOK for later modules
 * (pam_get_items exports every item into the PAM environment), and it is
 * nowhere in the PAM environment. */
static void test_ticket_not_left_as_authtok(void **state)
{
    char *ticket = pdt_mint(pdt_claims_for("ci-deploy", "items"));
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
    };
    char **env;
    (void)state;

    pdt_run("items", "ci-deploy", &cv, cases);
    env = cases[2].case_out.envlist;
    assert_string_equal(pdt_env_get(env, "PAM_USER"), "ci-deploy");  /* the helper ran */
    assert_null(pdt_env_get(env, "PAM_AUTHTOK"));
    pdt_env_clean(env);
    pamtest_free_env(env);
    free(ticket);
}

static void test_use_first_pass_admit(void **state)
{
    char *ticket = pdt_mint(pdt_claims_for("ci-deploy", "ufp"));
    struct pdt_conv cv = { .answer = { "never asked" } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    (void)state;

    setenv("PAM_AUTHTOK", ticket, 1);
    pdt_run("ufp", "ci-deploy", &cv, cases);
    unsetenv("PAM_AUTHTOK");
    assert_int_equal(cv.prompts, 0);
    pdt_audit_expect("admit");
    free(ticket);
}

static void test_use_first_pass_without_authtok(void **state)
{
    struct pdt_conv cv = { .answer = { "never asked" } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
    };
    (void)state;

    pdt_run("ufp", "ci-deploy", &cv, cases);
    assert_int_equal(cv.prompts, 0);
    pdt_audit_expect("deny:no_ticket", "deny:no_ticket");
}

static void test_use_first_pass_bad_authtok_no_prompt(void **state)
{
    struct pdt_conv cv = { .answer = { "never asked" } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    (void)state;

    setenv("PAM_AUTHTOK", "a-unix-password", 1);
    pdt_run("ufp", "ci-deploy", &cv, cases);
    unsetenv("PAM_AUTHTOK");
    assert_int_equal(cv.prompts, 0);
    pdt_audit_expect("deny:malformed");
}

static void test_try_first_pass_uses_authtok(void **state)
{
    char *ticket = pdt_mint(pdt_claims_for("ci-deploy", "tfp"));
    struct pdt_conv cv = { .answer = { "never asked" } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    (void)state;

    setenv("PAM_AUTHTOK", ticket, 1);
    pdt_run("tfp", "ci-deploy", &cv, cases);
    unsetenv("PAM_AUTHTOK");
    assert_int_equal(cv.prompts, 0);
    pdt_audit_expect("admit");
    free(ticket);
}

static void test_try_first_pass_prompts_without_authtok(void **state)
{
    char *ticket = pdt_mint(pdt_claims_for("ci-deploy", "tfp"));
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    (void)state;

    pdt_run("tfp", "ci-deploy", &cv, cases);
    assert_int_equal(cv.prompts, 1);
    pdt_audit_expect("admit");
    free(ticket);
}

/* A stacked token that is no ticket (another module's password): ask. */
static void test_try_first_pass_prompts_after_bad_authtok(void **state)
{
    char *ticket = pdt_mint(pdt_claims_for("ci-deploy", "tfp"));
    struct pdt_conv cv = { .answer = { ticket } };
    struct pdt_conv cv2 = { .answer = { "" } };
    struct pam_testcase ok[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    struct pam_testcase bad[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };
    (void)state;

    setenv("PAM_AUTHTOK", "a-unix-password", 1);
    pdt_run("tfp", "ci-deploy", &cv, ok);
    assert_int_equal(cv.prompts, 1);
    /* empty answer to the second chance: the stacked token's reason stands */
    pdt_run("tfp", "ci-deploy", &cv2, bad);
    assert_int_equal(cv2.prompts, 1);
    unsetenv("PAM_AUTHTOK");
    pdt_audit_expect("admit", "deny:malformed");
    free(ticket);
}

/* One denied ticket: PAM_AUTH_ERR, then the account phase refuses too. */
static void deny_case(const char *service, const char *answer, const char *reason, int line)
{
    struct pdt_conv cv = { .answer = { answer } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
    };
    char want[64];
    json_t *ev;

    unlink(T.audit);
    pdt_run_n(service, "ci-deploy", &cv, cases, 2, line);
    snprintf(want, sizeof(want), "deny:%s", reason);
    pdt_audit_expect_(line, want, "deny:no_ticket", (const char *)NULL);
    ev = pdt_audit_get(0);
    assert_string_equal(pdt_jstr(ev, "user"), "ci-deploy");
    assert_string_equal(pdt_jstr(ev, "service"), service);
    json_decref(ev);
}

static void test_deny_expired(void **state)
{
    int64_t now = (int64_t)time(NULL);
    json_t *c = pdt_claims();
    char *t;
    (void)state;

    json_object_set_new(c, "iat", json_integer(now - 900));
    json_object_set_new(c, "exp", json_integer(now - 120));
    t = pdt_mint(c);
    deny_case("sshd", t, "expired", __LINE__);
    free(t);
}

/* Issue 21 thin spot, a second test: NumericDates are integers.  A
 * fractional nbf is malformed, not read as 0 (jansson's json_integer_value
 * of a real), which would make a not-yet-valid ticket valid now. */
static void test_deny_fractional_date(void **state)
{
    int64_t now = (int64_t)time(NULL);
    json_t *c = pdt_claims();
    char *t;
    (void)state;

    json_object_set_new(c, "nbf", json_real((double)(now + 600) + 0.5));
    t = pdt_mint(c);
    deny_case("sshd", t, "malformed", __LINE__);
    free(t);
}

static void test_deny_wrong_service(void **state)
{
    char *t = pdt_mint(pdt_claims());       /* svc ["sshd"] */
    (void)state;

    deny_case("other", t, "service_not_allowed", __LINE__);
    free(t);
}

static void test_deny_bad_signature(void **state)
{
    EVP_PKEY *other = tl_new_key("ed25519");
    json_t *c = pdt_claims();
    char *t = tl_mint(other, "EdDSA", "k1", c);
    (void)state;

    pdt_remember(t);
    json_decref(c);
    deny_case("sshd", t, "bad_signature", __LINE__);
    EVP_PKEY_free(other);
    free(t);
}

static void test_deny_empty_reply(void **state)
{
    (void)state;
    deny_case("sshd", "", "no_ticket", __LINE__);
}

static void test_deny_conversation_error(void **state)
{
    (void)state;
    deny_case("sshd", NULL, "no_ticket", __LINE__);
}

static void test_deny_actor_mismatch(void **state)
{
    char *t = pdt_mint(pdt_claims_for("support-bot", "sshd"));
    (void)state;

    deny_case("sshd", t, "actor_mismatch", __LINE__);
    free(t);
}

static void test_deny_principal_not_allowed(void **state)
{
    json_t *c = pdt_claims();
    char *t;
    (void)state;

    json_object_set_new(c, "sub", json_string("mallory"));
    t = pdt_mint(c);
    deny_case("sshd", t, "principal_not_allowed", __LINE__);
    free(t);
}

static void test_deny_source(void **state)
{
    char *t = pdt_mint(pdt_claims());
    (void)state;

    setenv("PAM_RHOST", "192.0.2.7", 1);
    deny_case("sshd", t, "source_not_allowed", __LINE__);
    unsetenv("PAM_RHOST");          /* no PAM_RHOST: an unknown source */
    deny_case("sshd", t, "source_not_allowed", __LINE__);
    free(t);
}

static void test_deny_malformed(void **state)
{
    char big[DLG_TICKET_MAX + 64];
    (void)state;

    deny_case("sshd", "not.a.ticket", "malformed", __LINE__);
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    deny_case("sshd", big, "malformed", __LINE__);
}

static void test_deny_revoked_ticket(void **state)
{
    json_t *c = pdt_claims();
    char revoke[256], *t;
    (void)state;

    snprintf(revoke, sizeof(revoke), "revoke = { tickets = ( { id = \"%s\"; } ); };",
             json_string_value(json_object_get(c, "jti")));
    t = pdt_mint(c);
    pdt_config(revoke);
    deny_case("sshd", t, "revoked_ticket", __LINE__);
    free(t);
}

static void test_deny_revoked_actor(void **state)
{
    char *t = pdt_mint(pdt_claims());
    (void)state;

    pdt_config("revoke = { actors = [\"ci-deploy\"]; };");
    deny_case("sshd", t, "revoked_actor", __LINE__);
    free(t);
}

/* A ticket pasted with its newline is the same ticket. */
static void test_trailing_newline_accepted(void **state)
{
    char *t = pdt_mint(pdt_claims()), *line;
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    (void)state;

    assert_true(asprintf(&line, "%s\n", t) > 0);
    cv.answer[0] = line;
    pdt_run("sshd", "ci-deploy", &cv, cases);
    free(line);
    free(t);
}

/* Several attempts in one transaction: only the last one counts. */
static void test_retry_in_one_transaction(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { "garbage", t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    struct pdt_conv cv2 = { .answer = { t, "garbage" } };
    struct pam_testcase cases2[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),     /* the success is forgotten */
    };
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_run("sshd", "ci-deploy", &cv2, cases2);
    pdt_audit_expect("deny:malformed", "admit", "admit", "deny:malformed", "deny:no_ticket");
    free(t);
}

/* An unknown module option is ignored (with a log line), not fatal. */
static void test_unknown_option_ignored(void **state)
{
    char *t = pdt_mint(pdt_claims_for("ci-deploy", "badarg"));
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS) };
    (void)state;

    pdt_run("badarg", "ci-deploy", &cv, cases);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_non_actor_ignored_in_every_phase, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_prompt_admit, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_prompt_from_config, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_not_left_as_authtok, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_use_first_pass_admit, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_use_first_pass_without_authtok, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_use_first_pass_bad_authtok_no_prompt, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_try_first_pass_uses_authtok, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_try_first_pass_prompts_without_authtok, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_try_first_pass_prompts_after_bad_authtok, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_expired, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_fractional_date, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_wrong_service, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_bad_signature, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_empty_reply, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_conversation_error, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_actor_mismatch, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_principal_not_allowed, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_source, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_malformed, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_revoked_ticket, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_deny_revoked_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_trailing_newline_accepted, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_retry_in_one_transaction, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_option_ignored, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_auth", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
