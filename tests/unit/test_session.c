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

#include "session.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_list_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junk_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_dir, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
