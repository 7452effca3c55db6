/* pam_delegate session and setcred: the DELEGATE_* environment, the session
 * record under /run/delegate/sessions, sudo's target-user check (runas),
 * and the audit of open and close. */
#include "pd_harness.h"

static void check_env(char **env, const char *actor, const char *principal, const char *jti,
                      int64_t exp)
{
    char want[40];

    dlg_format_time(exp, want, sizeof(want));
    assert_string_equal(pdt_env_get(env, "DELEGATE_ACTOR"), actor);
    assert_string_equal(pdt_env_get(env, "DELEGATE_PRINCIPAL"), principal);
    assert_string_equal(pdt_env_get(env, "DELEGATE_TICKET_ID"), jti);
    assert_string_equal(pdt_env_get(env, "DELEGATE_EXPIRES"), want);
    pdt_env_clean(env);
}

/* sshd-like: auth, account, setcred, open, close in one process. */
static void test_sshd_session(void **state)
{
    json_t *c = pdt_claims();
    char *jti = strdup(json_string_value(json_object_get(c, "jti")));
    int64_t exp = json_integer_value(json_object_get(c, "exp"));
    char *t = pdt_mint(c);
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_GETENVLIST, 0),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    struct dlg_session *list = NULL;
    pam_handle_t *ph;
    json_t *ev;
    int n;
    int64_t before = (int64_t)time(NULL);
    (void)state;

    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    check_env(cases[4].case_out.envlist, "ci-deploy", "alice", jti, exp);
    pamtest_free_env(cases[4].case_out.envlist);

    n = pdt_sessions(&list);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].jti, jti);
    assert_string_equal(list[0].actor, "ci-deploy");
    assert_string_equal(list[0].principal, "alice");
    assert_string_equal(list[0].service, "sshd");
    assert_string_equal(list[0].tty, "/dev/pts/7");
    assert_string_equal(list[0].rhost, "127.0.0.1");
    assert_int_equal(list[0].pid, getpid());
    assert_int_equal(list[0].expires, exp);
    /* opened during this test, however long it took */
    assert_true(list[0].start >= before && list[0].start <= (int64_t)time(NULL));
    dlg_session_list_free(list, n);

    assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
    pdt_no_sessions();
    assert_int_equal(pam_setcred(ph, PAM_DELETE_CRED), PAM_SUCCESS);
    /* a second close has nothing to close (its return code is the frozen
     * chain's of the open, a Linux-PAM rule: see test_close_without_open) */
    (void)pam_close_session(ph, 0);
    pam_end(ph, PAM_SUCCESS);

    pdt_audit_expect("admit", "session_open", "session_close");
    ev = pdt_audit_get(1);
    assert_string_equal(pdt_jstr(ev, "jti"), jti);
    assert_string_equal(pdt_jstr(ev, "actor"), "ci-deploy");
    assert_string_equal(pdt_jstr(ev, "principal"), "alice");
    assert_string_equal(pdt_jstr(ev, "tty"), "/dev/pts/7");
    assert_null(pdt_jstr(ev, "runas"));
    json_decref(ev);
    /* nothing of the ticket's carry record is left behind either */
    assert_int_equal(pdt_count_files("/run/delegate/auth"), 0);
    free(jti);
    free(t);
}

/* sudo: auth and account as the invoking actor, then PAM_USER becomes the
 * target user for setcred and session. */
static int sudo_flow(const char *ticket, const char *target, int want_open, char **env_out)
{
    struct pdt_conv cv = { .answer = { ticket } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    int rc;

    unsetenv("PAM_RHOST");
    setenv("PAM_RUSER", "support-bot", 1);
    ph = pdt_keep("sudo", "support-bot", &cv, cases);
    assert_int_equal(pam_set_item(ph, PAM_USER, target), PAM_SUCCESS);
    (void)pam_setcred(ph, PAM_ESTABLISH_CRED);
    rc = pam_open_session(ph, 0);
    assert_int_equal(rc, want_open);
    if (env_out != NULL) {
        const char *v = pam_getenv(ph, "DELEGATE_ACTOR");
        *env_out = v ? strdup(v) : NULL;
    }
    if (rc == PAM_SUCCESS)
        assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, rc);
    unsetenv("PAM_RUSER");
    return rc;
}

static json_t *sudo_claims(void)
{
    return pdt_claims_for("support-bot", "sudo");
}

static void test_sudo_runas_default_sub(void **state)
{
    char *t = pdt_mint(sudo_claims()), *actor = NULL;
    json_t *ev;
    (void)state;

    sudo_flow(t, "alice", PAM_SUCCESS, &actor);
    assert_string_equal(actor, "support-bot");
    pdt_no_sessions();
    pdt_audit_expect("admit", "session_open", "session_close");
    ev = pdt_audit_get(1);
    assert_string_equal(pdt_jstr(ev, "user"), "alice");
    assert_string_equal(pdt_jstr(ev, "runas"), "alice");
    assert_string_equal(pdt_jstr(ev, "actor"), "support-bot");
    json_decref(ev);
    free(actor);
    free(t);
}

static void test_sudo_runas_from_ticket(void **state)
{
    json_t *c = sudo_claims();
    char *t;
    (void)state;

    json_object_set_new(c, "runas", json_pack("[s,s]", "bob", "alice"));
    t = pdt_mint(c);
    sudo_flow(t, "bob", PAM_SUCCESS, NULL);
    pdt_audit_expect("admit", "session_open", "session_close");
    free(t);
}

/* runas defaults to [sub]: bob is allowed by the actor, not by the ticket. */
static void test_sudo_runas_not_in_ticket(void **state)
{
    char *t = pdt_mint(sudo_claims()), *actor = NULL;
    json_t *ev;
    (void)state;

    sudo_flow(t, "bob", PAM_PERM_DENIED, &actor);
    assert_null(actor);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:runas_not_allowed");
    ev = pdt_audit_get(1);
    assert_string_equal(pdt_jstr(ev, "runas"), "bob");
    json_decref(ev);
    free(t);
}

/* In the ticket but not in the actor's runas. */
static void test_sudo_runas_not_for_actor(void **state)
{
    json_t *c = sudo_claims();
    char *t;
    (void)state;

    json_object_set_new(c, "sub", json_string("carol"));
    json_object_set_new(c, "runas", json_pack("[s,s]", "carol", "root"));
    t = pdt_mint(c);
    sudo_flow(t, "carol", PAM_PERM_DENIED, NULL);
    pdt_audit_expect("admit", "deny:runas_not_allowed");
    unlink(T.audit);
    sudo_flow(t, "root", PAM_PERM_DENIED, NULL);
    pdt_audit_expect("admit", "deny:runas_not_allowed");
    pdt_no_sessions();
    free(t);
}

/* sudo -u ACTOR (the target is the actor itself): no runas question. */
static void test_sudo_target_is_actor(void **state)
{
    char *t = pdt_mint(sudo_claims());
    (void)state;

    sudo_flow(t, "support-bot", PAM_SUCCESS, NULL);
    pdt_audit_expect("admit", "session_open", "session_close");
    free(t);
}

/* Revoked between account and session. */
static void test_revoked_before_session(void **state)
{
    json_t *c = pdt_claims();
    char revoke[256], *t;
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    snprintf(revoke, sizeof(revoke), "revoke = { tickets = ( { id = \"%s\"; } ); };",
             json_string_value(json_object_get(c, "jti")));
    t = pdt_mint(c);
    cv.answer[0] = t;
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);
    pdt_config(revoke);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    assert_null(pam_getenv(ph, "DELEGATE_ACTOR"));
    (void)pam_close_session(ph, 0);         /* nothing to close, nothing audited */
    pam_end(ph, PAM_PERM_DENIED);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:revoked_ticket");
    free(t);
}

/* An actor with no verified ticket: setcred and session refuse. */
static void test_actor_without_ticket(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_SETCRED, PAM_CRED_ERR),
        pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED),
    };
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_no_sessions();
    pdt_audit_expect("deny:no_ticket");
}

/* pam_close_session in a fresh transaction (Linux-PAM runs close along the
 * chain frozen by open, so only a fresh handle shows our own answer). */
static void test_close_without_open(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_CLOSE_SESSION, PD_IGNORED) };
    (void)state;

    pdt_run("sshd", "ci-deploy", &cv, cases);
    pdt_run("sshd", "daemon", &cv, cases);
    assert_int_equal(access(T.audit, F_OK), -1);
}

/* root (or a local user allowed by sudoers) switching into an actor
 * account is not ours to block: PAM_RUSER is someone else, no actor. */
static void test_root_sudo_into_actor(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_ACCOUNT, PD_IGNORED),          /* PAM_USER root at account */
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    (void)state;

    setenv("PAM_RUSER", "root", 1);
    unsetenv("PAM_RHOST");
    ph = pdt_keep("sudo", "root", &cv, cases);
    assert_int_equal(pam_set_item(ph, PAM_USER, "support-bot"), PAM_SUCCESS);
    assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PD_IGNORED);
    assert_int_equal(pam_open_session(ph, 0), PD_IGNORED);
    assert_int_equal(pam_close_session(ph, 0), PD_IGNORED);
    pam_end(ph, PAM_SUCCESS);
    unsetenv("PAM_RUSER");
    pdt_no_sessions();
    assert_int_equal(access(T.audit, F_OK), -1);
}

/* One actor may not ride on another actor's sudo: support-bot invoking
 * sudo -u ci-deploy without a ticket of its own is refused. */
static void test_actor_sudo_into_actor_refused(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = { pam_test(PAMTEST_KEEPHANDLE, 0) };
    pam_handle_t *ph;
    (void)state;

    setenv("PAM_RUSER", "support-bot", 1);
    ph = pdt_keep("sudo", "ci-deploy", &cv, cases);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    unsetenv("PAM_RUSER");
    pdt_audit_expect("deny:no_ticket");
}

/* The non-actor's session: ignored, no record, no DELEGATE_* variables. */
static void test_non_actor_session(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_SETCRED, PD_IGNORED),
        pam_test(PAMTEST_OPEN_SESSION, PD_IGNORED),
        pam_test(PAMTEST_GETENVLIST, 0),
        pam_test(PAMTEST_CLOSE_SESSION, PD_IGNORED),
    };
    (void)state;

    pdt_run("sshd", "daemon", &cv, cases);
    assert_null(pdt_env_get(cases[2].case_out.envlist, "DELEGATE_ACTOR"));
    pamtest_free_env(cases[2].case_out.envlist);
    pdt_no_sessions();
}

/* Two concurrent sessions of one process pair are two records. */
static void test_two_sessions_two_records(void **state)
{
    char *t1 = pdt_mint(pdt_claims()), *t2 = pdt_mint(pdt_claims_for("ci-deploy", "tfp"));
    struct pdt_conv cv1 = { .answer = { t1 } }, cv2 = { .answer = { t2 } };
    struct pam_testcase c1[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    struct pam_testcase c2[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    struct dlg_session *list = NULL;
    pam_handle_t *ph1, *ph2;
    int n;
    (void)state;

    ph1 = pdt_keep("sshd", "ci-deploy", &cv1, c1);
    setenv("PAM_TTY", "/dev/pts/8", 1);
    ph2 = pdt_keep("tfp", "ci-deploy", &cv2, c2);
    n = pdt_sessions(&list);
    dlg_session_list_free(list, n);
    /* service sshd and tfp: "<service>-<pid>" differ */
    assert_int_equal(n, 2);
    assert_int_equal(pam_close_session(ph1, 0), PAM_SUCCESS);
    n = pdt_sessions(&list);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].service, "tfp");
    dlg_session_list_free(list, n);
    assert_int_equal(pam_close_session(ph2, 0), PAM_SUCCESS);
    pam_end(ph1, PAM_SUCCESS);
    pam_end(ph2, PAM_SUCCESS);
    pdt_no_sessions();
    free(t1);
    free(t2);
}

/* Many full cycles, admitted and refused: no file descriptor stays open. */
static void test_no_fd_leak(void **state)
{
    char *t = pdt_mint(pdt_claims());
    int before = pdt_count_files("/proc/self/fd");
    (void)state;

    for (int i = 0; i < 50; i++) {
        struct pdt_conv ok = { .answer = { t } }, bad = { .answer = { "x.y.z" } };
        struct pam_testcase good[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
            pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
            pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
            pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
            pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
        };
        struct pam_testcase denied[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
            pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
            pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED),
        };
        pdt_run("sshd", "ci-deploy", &ok, good);
        pdt_run("sshd", "ci-deploy", &bad, denied);
    }
    assert_int_equal(pdt_count_files("/proc/self/fd"), before);
    pdt_no_sessions();
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sshd_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_runas_default_sub, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_runas_from_ticket, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_runas_not_in_ticket, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_runas_not_for_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_sudo_target_is_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_before_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_actor_without_ticket, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_close_without_open, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_root_sudo_into_actor, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_actor_sudo_into_actor_refused, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_non_actor_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_two_sessions_two_records, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_no_fd_leak, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_session", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
