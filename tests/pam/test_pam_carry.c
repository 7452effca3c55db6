/* The auth -> session carry of sshd keyboard-interactive (DESIGN.md §10):
 * pam_authenticate and pam_acct_mgmt run in a child forked by the monitor,
 * setcred and the session in the monitor.  Here the test process plays the
 * monitor and a forked child does auth and account on the inherited handle,
 * then leaves with _exit like sshd's child. */
#include <sys/wait.h>

#include "pd_harness.h"

#define CARRY_DIR "/run/delegate/auth"

/* A handle for user/service with the ticket as the conversation answer. */
static pam_handle_t *start(const char *service, const char *user, struct pdt_conv *cv)
{
    struct pam_testcase cases[] = { pam_test(PAMTEST_KEEPHANDLE, 0) };

    return pdt_keep(service, user, cv, cases);
}

/* auth + account in a child; returns the child's verdict (0: both passed).
 * The verdict comes through a pipe, not the exit status, which a checker
 * such as valgrind may replace. */
static int child_auth(pam_handle_t *ph)
{
    int fds[2], status = 0;
    char verdict = 2;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = pam_authenticate(ph, 0);
        char v;
        if (rc == PAM_SUCCESS)
            rc = pam_acct_mgmt(ph, 0);
        v = rc == PAM_SUCCESS ? 0 : 1;
        if (write(fds[1], &v, 1) != 1)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &verdict, 1), 1);
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return verdict;
}

/* The one carry record meant for this process, as a path (heap). */
static char *my_record(void)
{
    char prefix[32], *found = NULL;
    DIR *d = opendir(CARRY_DIR);
    struct dirent *de;

    assert_non_null(d);
    snprintf(prefix, sizeof(prefix), "%ld-", (long)getpid());
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            assert_null(found);
            found = tl_path(CARRY_DIR, de->d_name);
        }
    }
    closedir(d);
    assert_non_null(found);
    return found;
}

static void test_child_auth_parent_session(void **state)
{
    json_t *c = pdt_claims();
    char *jti = strdup(json_string_value(json_object_get(c, "jti")));
    char *t = pdt_mint(c), *rec;
    struct pdt_conv cv = { .answer = { t } };
    struct dlg_session *list = NULL;
    struct stat st;
    pam_handle_t *ph;
    int n;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);

    /* the record: root-only file in a root-only dir, no ticket inside */
    assert_int_equal(lstat(CARRY_DIR, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    rec = my_record();
    assert_int_equal(lstat(rec, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 0);
    {
        char *text = tl_read_file(rec, NULL);
        const char *sig = strrchr(t, '.') + 1;
        assert_null(strstr(text, t));
        assert_null(strstr(text, sig));
        free(text);
    }

    /* the monitor: no pam_data of the child, yet setcred and session pass */
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);   /* account: only in-process proof */
    assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PAM_SUCCESS);
    assert_int_equal(pam_open_session(ph, 0), PAM_SUCCESS);
    assert_string_equal(pam_getenv(ph, "DELEGATE_TICKET_ID"), jti);
    assert_int_equal(access(rec, F_OK), -1);            /* consumed */
    n = pdt_sessions(&list);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].jti, jti);
    assert_int_equal(list[0].pid, getpid());
    dlg_session_list_free(list, n);
    assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:no_ticket", "session_open", "session_close");
    free(rec);
    free(jti);
    free(t);
}

/* A record is used once: a second session in the monitor is refused. */
static void test_record_used_once(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph, *ph2;
    struct pdt_conv cv2 = { .answer = { NULL } };
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);
    ph2 = start("sshd", "ci-deploy", &cv2);
    assert_int_equal(pam_open_session(ph2, 0), PAM_SUCCESS);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    assert_int_equal(pam_close_session(ph2, 0), PAM_SUCCESS);
    pam_end(ph, PAM_PERM_DENIED);
    pam_end(ph2, PAM_SUCCESS);
    pdt_audit_expect("admit", "session_open", "deny:no_ticket", "session_close");
    free(t);
}

/* ssh key only: no child auth at all. */
static void test_key_only_refused(void **state)
{
    struct pdt_conv cv = { .answer = { NULL } };
    pam_handle_t *ph;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PAM_CRED_ERR);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    assert_int_equal(cv.prompts, 0);
    pdt_no_sessions();
    pdt_audit_expect("deny:no_ticket", "deny:no_ticket");
}

/* A failed child leaves nothing the monitor could use. */
static void test_failed_child_leaves_nothing(void **state)
{
    struct pdt_conv cv = { .answer = { "not-a-ticket" } };
    pam_handle_t *ph;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 1);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_audit_expect("deny:malformed", "deny:no_ticket");
}

/* The child's auth passes but account then refuses (revoked in between):
 * the child drops its record. */
static void test_account_refusal_drops_record(void **state)
{
    json_t *c = pdt_claims();
    char revoke[256], *t;
    struct pdt_conv cv = { .answer = { NULL } };
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, 0),
    };
    pam_handle_t *ph;
    int before;
    (void)state;

    snprintf(revoke, sizeof(revoke), "revoke = { tickets = ( { id = \"%s\"; } ); };",
             json_string_value(json_object_get(c, "jti")));
    t = pdt_mint(c);
    cv.answer[0] = t;
    before = pdt_count_files(CARRY_DIR);
    ph = pdt_keep("sshd", "ci-deploy", &cv, cases);     /* record for our parent */
    assert_int_equal(pdt_count_files(CARRY_DIR), (before < 0 ? 0 : before) + 1);
    pdt_config(revoke);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    assert_int_equal(pdt_count_files(CARRY_DIR), before < 0 ? 0 : before);
    pam_end(ph, PAM_PERM_DENIED);
    free(t);
}

/* Replace one field of the record (jansson), keeping it root 0600. */
static void tamper(const char *path, const char *key, json_t *value)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    char *text;
    int fd;

    assert_non_null(j);
    if (value != NULL)
        json_object_set_new(j, key, value);
    else
        json_object_del(j, key);
    text = json_dumps(j, JSON_COMPACT);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    free(text);
    json_decref(j);
}

enum change { CH_USER, CH_SERVICE, CH_START, CH_EXTRA, CH_MISSING, CH_MODE, CH_SYMLINK,
              CH_DIRMODE, CH_GARBAGE, CH_OTHER_PID, CH_FUTURE };

/* Each kind of tampering makes the monitor refuse the session. */
static void tampered(enum change ch)
{
    char *t = pdt_mint(pdt_claims()), *rec;
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph;

    unlink(T.audit);
    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);
    rec = my_record();
    switch (ch) {
    case CH_USER:    tamper(rec, "user", json_string("support-bot")); break;
    case CH_SERVICE: tamper(rec, "service", json_string("sudo")); break;
    case CH_START:   tamper(rec, "target_start", json_integer(12345)); break;
    case CH_EXTRA:   tamper(rec, "admin", json_true()); break;
    case CH_MISSING: tamper(rec, "jti", NULL); break;
    case CH_FUTURE:  tamper(rec, "created", json_integer((int64_t)time(NULL) + 3600)); break;
    case CH_MODE:    assert_int_equal(chmod(rec, 0644), 0); break;
    case CH_DIRMODE: assert_int_equal(chmod(CARRY_DIR, 0755), 0); break;
    case CH_GARBAGE: {
        int fd = open(rec, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"v\":1,", 7), 7);
        close(fd);
        break;
    }
    case CH_SYMLINK: {
        char *real = tl_path(CARRY_DIR, "elsewhere");
        assert_int_equal(rename(rec, real), 0);
        assert_int_equal(symlink(real, rec), 0);
        free(real);
        break;
    }
    case CH_OTHER_PID: {
        char other[96];
        snprintf(other, sizeof(other), "%s/%ld-1", CARRY_DIR, (long)getppid());
        assert_int_equal(rename(rec, other), 0);
        break;
    }
    }
    assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PAM_CRED_ERR);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:no_ticket");
    /* clean up for the next case */
    chmod(CARRY_DIR, 0700);
    {
        DIR *d = opendir(CARRY_DIR);
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                unlinkat(dirfd(d), de->d_name, 0);
        if (d != NULL)
            closedir(d);
    }
    free(rec);
    free(t);
}

static void test_tampered_records_refused(void **state)
{
    (void)state;
    tampered(CH_USER);
    tampered(CH_SERVICE);
    tampered(CH_START);
    tampered(CH_EXTRA);
    tampered(CH_MISSING);
    tampered(CH_FUTURE);
    tampered(CH_MODE);
    tampered(CH_DIRMODE);
    tampered(CH_GARBAGE);
    tampered(CH_SYMLINK);
    tampered(CH_OTHER_PID);
}

/* Revoked after the child's auth: the monitor's session is refused. */
static void test_revoked_before_monitor_session(void **state)
{
    json_t *c = pdt_claims();
    char revoke[256], *t;
    struct pdt_conv cv = { .answer = { NULL } };
    pam_handle_t *ph;
    (void)state;

    snprintf(revoke, sizeof(revoke), "revoke = { tickets = ( { id = \"%s\"; } ); };",
             json_string_value(json_object_get(c, "jti")));
    t = pdt_mint(c);
    cv.answer[0] = t;
    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);
    pdt_config(revoke);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:revoked_ticket");
    free(t);
}

/* key_binding = "required" set after the child's auth of an unbound ticket
 * (issue 18 item 8): the monitor's session is refused key_required, and the
 * same edit leaves a bound session alone (the carry record keeps cnf). */
static void test_key_required_before_monitor_session(void **state)
{
    struct pdt_cfg required = { .ci_extra = "key_binding = \"required\";" };
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);
    pdt_config_with(&required);
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:key_required");
    free(t);
}

/* Records of processes that are gone are pruned by the next auth. */
static void test_stale_records_pruned(void **state)
{
    char *t = pdt_mint(pdt_claims()), *t2 = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph;
    pid_t pid;
    int status;
    (void)state;

    /* a monitor that died after its child's auth */
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ph = start("sshd", "ci-deploy", &cv);
        /* exit, not _exit: this child called pam_start itself, so
         * pam_wrapper made it a /tmp/pam.X directory of its own, which only
         * its destructor removes */
        exit(child_auth(ph));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(pdt_count_files(CARRY_DIR), 1);
    cv.answer[0] = t2;
    cv.prompts = 0;
    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph), 0);
    /* only the live monitor's record is left */
    assert_int_equal(pdt_count_files(CARRY_DIR), 1);
    free(my_record());
    pam_end(ph, PAM_SUCCESS);
    free(t);
    free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_child_auth_parent_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_record_used_once, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_key_only_refused, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_failed_child_leaves_nothing, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_account_refusal_drops_record, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_tampered_records_refused, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_before_monitor_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_key_required_before_monitor_session, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_stale_records_pruned, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_carry", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
