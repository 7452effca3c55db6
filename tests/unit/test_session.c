/* Open-session records: write, list (sorted, junk skipped), remove, and
 * refusal of unsafe directories and names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "session/contain/contain.h"
#include "session/session.h"
#include "testlib.h"

#define NOW INT64_C(1790000000)

static int setup(void **state)
{
    *state = tl_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    tl_rmtree(*state);
    free(*state);
    return 0;
}

static struct dlg_session sample(const char *service, pid_t pid, int64_t start)
{
    struct dlg_session s = {
        .jti = "01JDX3", .actor = "ci-deploy", .principal = "alice", .service = (char *)service,
        .user = "ci-deploy", .tty = "pts/3", .rhost = "10.1.2.3", .iss = "corp", .kid = "2026-11",
        .pid = pid, .start = start, .expires = start + 900,
    };
    return s;
}

static void test_write_list_remove(void **state)
{
    char *dir = tl_path(*state, "run/delegate/sessions"), *file;
    struct dlg_session a = sample("sshd", 300, NOW + 20), b = sample("sudo", 100, NOW),
                       c = sample("sshd", 200, NOW + 10), *list;
    struct stat st;
    int n;

    b.rhost = NULL;         /* sudo: no remote host */
    b.user = "alice";
    assert_int_equal(dlg_session_write(dir, &a), 0);
    assert_int_equal(dlg_session_write(dir, &b), 0);
    assert_int_equal(dlg_session_write(dir, &c), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    file = tl_path(dir, "sshd-300.json");
    assert_int_equal(lstat(file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    free(file);

    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 3);
    /* sorted by start */
    assert_int_equal(list[0].pid, 100);
    assert_int_equal(list[1].pid, 200);
    assert_int_equal(list[2].pid, 300);
    assert_string_equal(list[0].service, "sudo");
    assert_string_equal(list[0].user, "alice");
    assert_null(list[0].rhost);
    assert_string_equal(list[2].jti, "01JDX3");
    assert_string_equal(list[2].actor, "ci-deploy");
    assert_string_equal(list[2].principal, "alice");
    assert_string_equal(list[2].tty, "pts/3");
    assert_string_equal(list[2].rhost, "10.1.2.3");
    assert_string_equal(list[2].iss, "corp");
    assert_string_equal(list[2].kid, "2026-11");
    assert_int_equal(list[2].start, NOW + 20);
    assert_int_equal(list[2].expires, NOW + 920);
    dlg_session_list_free(list, n);

    /* the same service and pid again replaces the record */
    a.principal = "release";
    assert_int_equal(dlg_session_write(dir, &a), 0);
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 3);
    assert_string_equal(list[2].principal, "release");
    dlg_session_list_free(list, n);

    assert_int_equal(dlg_session_remove(dir, "sshd", 200), 0);
    assert_int_equal(dlg_session_remove(dir, "sshd", 200), 0);   /* already gone */
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].pid, 100);
    assert_int_equal(list[1].pid, 300);
    dlg_session_list_free(list, n);
    assert_int_equal(dlg_session_remove(dir, "sudo", 100), 0);
    assert_int_equal(dlg_session_remove(dir, "sshd", 300), 0);
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 0);
    assert_null(list);
    free(dir);
}

static void test_missing_dir_is_empty(void **state)
{
    char *dir = tl_path(*state, "nothing");
    struct dlg_session *list = (void *)1;

    assert_int_equal(dlg_session_list(dir, &list), 0);
    assert_null(list);
    assert_int_equal(dlg_session_remove(dir, "sshd", 1), 0);
    free(dir);
}

static void test_junk_skipped(void **state)
{
    char *dir = tl_path(*state, "sessions"), *target;
    struct dlg_session a = sample("sshd", 10, NOW), *list;
    int n;

    assert_int_equal(dlg_session_write(dir, &a), 0);
    free(tl_write_file(dir, "bad-1.json", "{not json", 0600));
    free(tl_write_file(dir, "bad-2.json", "{\"pid\":\"x\",\"start\":1,\"expires\":2}", 0600));
    free(tl_write_file(dir, "bad-3.json", "{\"pid\":1,\"pid\":2,\"start\":1,\"expires\":2}", 0600));
    free(tl_write_file(dir, "bad-4.json", "[]", 0600));
    free(tl_write_file(dir, "empty.json", "", 0600));
    free(tl_write_file(dir, ".sshd-11.json.abc123", "{\"pid\":11,\"start\":1,\"expires\":2}", 0600));
    free(tl_write_file(dir, "notes.txt", "{\"pid\":12,\"start\":1,\"expires\":2}", 0600));
    target = tl_write_file(*state, "elsewhere.json", "{\"pid\":13,\"start\":1,\"expires\":2}", 0600);
    {
        char *link = tl_path(dir, "link-13.json");
        assert_int_equal(symlink(target, link), 0);
        free(link);
    }
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].pid, 10);
    dlg_session_list_free(list, n);
    free(target);
    free(dir);
}

static void test_bad_names(void **state)
{
    char *dir = tl_path(*state, "sessions");
    struct dlg_session s;
    const char *bad[] = { "", "../etc", "a/b", ".hidden", "with space", NULL };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = sample(bad[i], 10, NOW);
        assert_int_equal(dlg_session_write(dir, &s), -1);
        assert_int_equal(dlg_session_remove(dir, bad[i], 10), -1);
    }
    s = sample("sshd", 0, NOW);
    assert_int_equal(dlg_session_write(dir, &s), -1);
    s = sample("sshd", -5, NOW);
    assert_int_equal(dlg_session_write(dir, &s), -1);
    free(dir);
}

static void test_unsafe_dir(void **state)
{
    char *dir = tl_path(*state, "open"), *link = tl_path(*state, "link");
    struct dlg_session s = sample("sshd", 10, NOW), *list = NULL;

    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(dlg_session_write(dir, &s), -1);
    assert_int_equal(dlg_session_list(dir, &list), -1);
    assert_null(list);
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(dlg_session_write(dir, &s), 0);
    assert_int_equal(symlink(dir, link), 0);
    assert_int_equal(dlg_session_list(link, &list), -1);
    assert_int_equal(dlg_session_write(link, &s), -1);
    assert_int_equal(dlg_session_remove(link, "sshd", 10), -1);
    free(dir);
    free(link);
}

/* Issue 10: cgroup, start_ticks, key and iat survive a write and a list;
 * absent (older records) they read as NULL / 0. */
static void test_contain_fields_round_trip(void **state)
{
    char *dir = tl_path(*state, "sessions"), *file;
    struct dlg_session a = sample("sshd", 4242, NOW), *list = NULL;
    FILE *f;
    int n;

    a.cgroup = "/delegate/sshd-4242-98765";
    a.start_ticks = UINT64_C(98765);
    a.key = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    a.iat = NOW - 30;
    assert_int_equal(dlg_session_write(dir, &a), 0);
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].cgroup, "/delegate/sshd-4242-98765");
    assert_true(list[0].start_ticks == UINT64_C(98765));
    assert_string_equal(list[0].key, a.key);
    assert_true(list[0].iat == NOW - 30);
    dlg_session_list_free(list, n);

    /* null key and cgroup are written as null and read back as NULL */
    a.key = NULL;
    a.cgroup = NULL;
    assert_int_equal(dlg_session_write(dir, &a), 0);
    file = tl_path(dir, "sshd-4242.json");
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    assert_null(list[0].key);
    assert_null(list[0].cgroup);
    dlg_session_list_free(list, n);

    /* an older record without the new keys */
    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"jti\":\"old\",\"actor\":\"a\",\"principal\":\"p\",\"service\":\"sshd\",\"user\":\"a\","
               "\"tty\":null,\"rhost\":null,\"iss\":\"corp\",\"kid\":\"k\",\"pid\":4242,\"start\":1,"
               "\"expires\":2}\n");
    fclose(f);
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    assert_null(list[0].cgroup);
    assert_null(list[0].key);
    assert_true(list[0].start_ticks == 0 && list[0].iat == 0);
    dlg_session_list_free(list, n);

    /* a record naming an unsafe group is skipped */
    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"jti\":\"bad\",\"actor\":\"a\",\"principal\":\"p\",\"service\":\"sshd\",\"user\":\"a\","
               "\"tty\":null,\"rhost\":null,\"iss\":\"corp\",\"kid\":\"k\",\"pid\":4242,\"start\":1,"
               "\"expires\":2,\"cgroup\":\"/delegate/../..\"}\n");
    fclose(f);
    assert_int_equal(dlg_session_list(dir, &list), 0);
    /* a negative start_ticks likewise */
    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"jti\":\"bad\",\"actor\":\"a\",\"principal\":\"p\",\"service\":\"sshd\",\"user\":\"a\","
               "\"tty\":null,\"rhost\":null,\"iss\":\"corp\",\"kid\":\"k\",\"pid\":4242,\"start\":1,"
               "\"expires\":2,\"start_ticks\":-5}\n");
    fclose(f);
    assert_int_equal(dlg_session_list(dir, &list), 0);
    free(file);
    free(dir);
}

static void test_cgroup_paths(void **state)
{
    (void)state;
    assert_true(dlg_cg_valid_path("/delegate/sshd-1-2"));
    assert_true(dlg_cg_valid_path("/system.slice/delegate-sshd-1-2.scope/sudo-3-4"));
    assert_false(dlg_cg_valid_path("/"));
    assert_false(dlg_cg_valid_path(""));
    assert_false(dlg_cg_valid_path(NULL));
    assert_false(dlg_cg_valid_path("delegate/x"));
    assert_false(dlg_cg_valid_path("/delegate//x"));
    assert_false(dlg_cg_valid_path("/delegate/x/"));
    assert_false(dlg_cg_valid_path("/delegate/../x"));
    assert_false(dlg_cg_valid_path("/delegate/./x"));
    assert_false(dlg_cg_valid_path("/delegate/a b"));
    assert_false(dlg_cg_valid_path("/delegate/a\nb"));
    assert_true(dlg_cg_is_within("/delegate/a", "/delegate/a"));
    assert_true(dlg_cg_is_within("/delegate/a/sudo-1-2", "/delegate/a"));
    assert_false(dlg_cg_is_within("/delegate/ab", "/delegate/a"));
    assert_false(dlg_cg_is_within("/delegate", "/delegate/a"));
    assert_true(dlg_cg_is_within("/anything", "/"));
    /* systemd scopes: logind's, ours, anything else */
    assert_int_equal(dlg_cg_scope_kind("/user.slice/user-62001.slice/session-7.scope"), 1);
    assert_int_equal(dlg_cg_scope_kind("/system.slice/delegate-sshd-1-2.scope"), 2);
    assert_int_equal(dlg_cg_scope_kind("/system.slice/ssh.service"), 0);
    assert_int_equal(dlg_cg_scope_kind("/system.slice/delegate-sshd-1-2.scope/sudo-3-4"), 0);
    assert_int_equal(dlg_cg_scope_kind("/.scope"), 0);
    assert_int_equal(dlg_cg_scope_kind(NULL), 0);
}

/* Issue 18 item 14: the cells watch and revoke --terminate may act on. */
static struct dlg_cell mkcell(enum dlg_cell_kind k, const char *cg, const char *unit, const char *id)
{
    struct dlg_cell c;

    memset(&c, 0, sizeof(c));
    c.kind = k;
    snprintf(c.cgroup, sizeof(c.cgroup), "%s", cg);
    snprintf(c.unit, sizeof(c.unit), "%s", unit);
    snprintf(c.logind, sizeof(c.logind), "%s", id);
    return c;
}

static void test_cell_owned(void **state)
{
    struct dlg_cell c;

    (void)state;
    /* ours, cgroup2: below /delegate, every level SERVICE-PID-TICKS */
    c = mkcell(DLG_CELL_CGROUP, "/delegate/sshd-1-2", "", "");
    assert_true(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/sshd-dlg-10-20/sudo-i-30-40", "", "");
    assert_true(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/system.slice/ssh.service", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/victim", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/sshd-1-2/other", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/-1-2", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/sshd-x-2", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_CGROUP, "/delegate/../x-1-2", "", "");
    assert_false(dlg_cell_owned(&c));
    /* ours, systemd: delegate-SERVICE-PID-TICKS.scope, named by its group */
    c = mkcell(DLG_CELL_SCOPE, "/system.slice/delegate-sudo-5-6.scope", "delegate-sudo-5-6.scope", "");
    assert_true(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_SCOPE, "/system.slice/ssh.service", "delegate-sudo-5-6.scope", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_SCOPE, "/system.slice/ssh.service", "ssh.service", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_SCOPE, "/user.slice/user-1.slice/session-3.scope", "session-3.scope", "");
    assert_false(dlg_cell_owned(&c));
    /* given: logind's session-N.scope of the recorded session N */
    c = mkcell(DLG_CELL_LOGIND, "/user.slice/user-62001.slice/session-7.scope", "session-7.scope", "7");
    assert_true(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_LOGIND, "/user.slice/user-62001.slice/session-7.scope", "session-7.scope", "8");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_LOGIND, "/user.slice/user-0.slice/session-8.scope", "session-7.scope", "7");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_LOGIND, "/system.slice/cron.service", "cron.service", "7");
    assert_false(dlg_cell_owned(&c));
    /* pending (pam_systemd has not run yet): owned, nothing to act on */
    c = mkcell(DLG_CELL_LOGIND, "", "", "");
    assert_true(dlg_cell_owned(&c));
    assert_int_equal(dlg_cell_signal(&c, 0), -1);
    c = mkcell(DLG_CELL_LOGIND, "/system.slice/ssh.service", "", "");
    assert_false(dlg_cell_owned(&c));
    c = mkcell(DLG_CELL_NONE, "/delegate/sshd-1-2", "", "");
    assert_false(dlg_cell_owned(&c));
    /* never signalled: a group that is not ours */
    c = mkcell(DLG_CELL_CGROUP, "/system.slice/ssh.service", "", "");
    assert_int_equal(dlg_cell_signal(&c, 0), -1);
    assert_int_equal(dlg_cell_kill(&c), -1);
}

/* Issue 18 item 14: a record file that root did not write 0600 is not read. */
static void test_record_mode(void **state)
{
    char *dir = tl_path(*state, "sessions"), *file;
    struct dlg_session a = sample("sshd", 4343, NOW), *list = NULL;
    int n;

    a.cgroup = "/delegate/sshd-4343-1";
    assert_int_equal(dlg_session_write(dir, &a), 0);
    file = tl_path(dir, "sshd-4343.json");
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    dlg_session_list_free(list, n);
    assert_int_equal(chmod(file, 0644), 0);
    assert_int_equal(dlg_session_list(dir, &list), 0);
    assert_int_equal(chmod(file, 0620), 0);
    assert_int_equal(dlg_session_list(dir, &list), 0);
    assert_int_equal(chmod(file, 0600), 0);
    n = dlg_session_list(dir, &list);
    assert_int_equal(n, 1);
    dlg_session_list_free(list, n);
    free(file);
    free(dir);
}

/* dlg_session_find_by_pid: the innermost recorded group holding the pid. */
static void test_find_by_pid(void **state)
{
    char *dir = tl_path(*state, "sessions"), cur[DLG_CG_PATH_MAX], inner[DLG_CG_PATH_MAX + 16];
    struct dlg_session a = sample("sshd", 10, NOW), b = sample("sudo", 11, NOW), out;

    if (dlg_cg_of_pid(getpid(), cur, sizeof(cur)) != 0 || strcmp(cur, "/") == 0) {
        /* in the root group nothing can be "inside" a session: -1 */
        assert_int_equal(dlg_session_find_by_pid(dir, getpid(), &out), -1);
        free(dir);
        return;
    }
    snprintf(inner, sizeof(inner), "%s", cur);
    *strrchr(cur, '/') = '\0';
    a.cgroup = cur[0] ? cur : "/x";
    a.jti = "outer";
    b.cgroup = inner;
    b.jti = "inner";
    assert_int_equal(dlg_session_write(dir, &a), 0);
    assert_int_equal(dlg_session_find_by_pid(dir, getpid(), &out), cur[0] ? 0 : -1);
    if (cur[0]) {
        assert_string_equal(out.jti, "outer");
        dlg_session_free(&out);
    }
    assert_int_equal(dlg_session_write(dir, &b), 0);
    assert_int_equal(dlg_session_find_by_pid(dir, getpid(), &out), 0);
    assert_string_equal(out.jti, "inner");
    dlg_session_free(&out);
    assert_int_equal(dlg_session_find_by_pid(dir, 0, &out), -1);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_list_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junk_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contain_fields_round_trip, setup, teardown),
        cmocka_unit_test(test_cgroup_paths),
        cmocka_unit_test(test_cell_owned),
        cmocka_unit_test_setup_teardown(test_record_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_by_pid, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
