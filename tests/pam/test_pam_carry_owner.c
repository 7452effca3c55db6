/* Carry records (issue 10, item 6): written only for a parent whose uids
 * are all 0 (sshd's monitor), and never matched through PAM_RUSER.
 * As in test_pam_carry.c, the test process plays the parent and a forked
 * child runs auth and account on the inherited handle. */
#include <sys/wait.h>

#include "pd_harness.h"

#define CARRY_DIR "/run/delegate/auth"

static pam_handle_t *start(const char *service, const char *user, struct pdt_conv *cv)
{
    struct pam_testcase cases[] = { pam_test(PAMTEST_KEEPHANDLE, 0) };

    return pdt_keep(service, user, cv, cases);
}

/* auth + account in a child (root).  With parent_uid != 0 the parent (this
 * process) switches its real and effective uid to parent_uid (keeping 0 as
 * the saved uid to come back) while the child runs, like an actor's shell
 * that runs a root-owned program.  Returns the child's verdict (0: both
 * passed) and sets *records to the number of carry records naming this
 * process that the child saw right after its auth. */
static int child_auth(pam_handle_t *ph, uid_t parent_uid, int *records)
{
    int go[2], res[2], status = 0;
    char msg[2] = { 2, -1 }, c = 0;
    pid_t pid;

    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(res), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char out[2];
        char prefix[32];
        DIR *d;
        struct dirent *de;
        int rc, n = 0;

        close(go[1]);
        close(res[0]);
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        rc = pam_authenticate(ph, 0);
        if (rc == PAM_SUCCESS)
            rc = pam_acct_mgmt(ph, 0);
        snprintf(prefix, sizeof(prefix), "%ld-", (long)getppid());
        d = opendir(CARRY_DIR);
        while (d != NULL && (de = readdir(d)) != NULL)
            if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                n++;
        if (d != NULL)
            closedir(d);
        out[0] = rc == PAM_SUCCESS ? 0 : 1;
        out[1] = (char)n;
        if (write(res[1], out, 2) != 2)
            _exit(3);
        _exit(0);
    }
    close(go[0]);
    close(res[1]);
    if (parent_uid != 0)
        assert_int_equal(setresuid(parent_uid, parent_uid, 0), 0);
    assert_int_equal(write(go[1], &c, 1), 1);
    close(go[1]);
    assert_int_equal(read(res[0], msg, 2), 2);
    close(res[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (parent_uid != 0)
        assert_int_equal(setresuid(0, 0, 0), 0);
    assert_int_equal(geteuid(), 0);
    assert_true(WIFEXITED(status));
    *records = msg[1];
    return msg[0];
}

/* Control: a root parent gets its record, and its session opens. */
static void test_root_parent_gets_record(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph;
    int records = -1;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph, 0, &records), 0);
    assert_int_equal(records, 1);
    assert_int_equal(pam_open_session(ph, 0), PAM_SUCCESS);
    assert_int_equal(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    pdt_no_sessions();
    free(t);
}

/* A parent that is not root (an actor's shell running sudo) gets no record:
 * the child is admitted, but nothing is left for the parent to find. */
static void test_nonroot_parent_gets_none(void **state)
{
    char *t = pdt_mint(pdt_claims());
    struct pdt_conv cv = { .answer = { t } };
    pam_handle_t *ph;
    int records = -1;
    (void)state;

    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph, 62001, &records), 0);
    assert_int_equal(records, 0);
    assert_true(pdt_count_files(CARRY_DIR) <= 0);
    /* back as root, the parent has no proof: its session is refused */
    assert_int_equal(pam_open_session(ph, 0), PAM_PERM_DENIED);
    assert_null(pam_getenv(ph, "DELEGATE_TICKET_ID"));
    pam_end(ph, PAM_SUCCESS);
    pdt_no_sessions();
    pdt_audit_expect("admit", "deny:no_ticket");
    free(t);
}

/* A record of the actor is never used for another PAM_USER whose PAM_RUSER
 * is the actor (a sudo-like switch from the actor to alice). */
static void test_never_matched_through_ruser(void **state)
{
    json_t *c = pdt_claims();
    char *t, *name = NULL;
    struct pdt_conv cv = { .answer = { NULL } };
    pam_handle_t *ph;
    int records = -1;
    DIR *d;
    struct dirent *de;
    (void)state;

    /* alice is the ticket's sub, so runas would allow her */
    json_object_set_new(c, "runas", json_pack("[s]", "alice"));
    t = pdt_mint(c);
    cv.answer[0] = t;
    ph = start("sshd", "ci-deploy", &cv);
    assert_int_equal(child_auth(ph, 0, &records), 0);
    assert_int_equal(records, 1);
    d = opendir(CARRY_DIR);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            name = tl_path(CARRY_DIR, de->d_name);
    closedir(d);
    assert_non_null(name);

    assert_int_equal(pam_set_item(ph, PAM_USER, "alice"), PAM_SUCCESS);
    assert_int_equal(pam_set_item(ph, PAM_RUSER, "ci-deploy"), PAM_SUCCESS);
    /* alice is no actor: the module has nothing to say, and no session */
    assert_int_equal(pam_setcred(ph, PAM_ESTABLISH_CRED), PD_IGNORED);
    assert_int_equal(pam_open_session(ph, 0), PD_IGNORED);
    assert_null(pam_getenv(ph, "DELEGATE_TICKET_ID"));
    assert_null(pam_getenv(ph, "DELEGATE_ACTOR"));
    pdt_no_sessions();
    /* the record was not consumed */
    assert_int_equal(access(name, F_OK), 0);
    pam_end(ph, PAM_SUCCESS);
    pdt_audit_expect("admit");
    free(name);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_parent_gets_record, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_nonroot_parent_gets_none, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_never_matched_through_ruser, pdt_setup, pdt_teardown),
    };
    int rc;

    pdt_setup_all();
    rc = cmocka_run_group_tests_name("pam_carry_owner", tests, NULL, NULL);
    pdt_teardown_all();
    return rc;
}
