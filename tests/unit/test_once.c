/* Single-use markers: atomic first use, replays seen, pruning, unsafe dirs. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "decision/once.h"
#include "testlib.h"

#define NOW  INT64_C(1790000000)
#define SKEW 60

static char err[256];

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

static void test_name(void **state)
{
    char a[65], b[65], c[65];
    size_t i;

    (void)state;
    assert_int_equal(dlg_once_name("corp", "t1", a), 0);
    assert_int_equal(strlen(a), 64);
    for (i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    assert_int_equal(dlg_once_name("corp", "t1", b), 0);
    assert_string_equal(a, b);
    /* the separator keeps the issuer and the id apart */
    assert_int_equal(dlg_once_name("ab", "c", b), 0);
    assert_int_equal(dlg_once_name("a", "bc", c), 0);
    assert_string_not_equal(b, c);
    assert_int_equal(dlg_once_name("other", "t1", b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(dlg_once_name(NULL, "t1", b), -1);
}

static void test_consume_then_used(void **state)
{
    char *dir = tl_path(*state, "var/lib/delegate/.once"), *marker, *content;
    char name[65];
    struct stat st;

    assert_int_equal(dlg_once_check(dir, "corp", "t1", err, sizeof(err)), DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_consume(dir, "corp", "t1", NOW + 300, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_consume(dir, "corp", "t1", NOW + 300, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_USED);
    assert_int_equal(dlg_once_check(dir, "corp", "t1", err, sizeof(err)), DLG_ONCE_USED);
    /* another issuer's ticket with the same id is a different ticket */
    assert_int_equal(dlg_once_consume(dir, "other", "t1", NOW + 300, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    /* the dir is root-only; missing parents were made */
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, 0);
    /* the marker holds exp and is 0600 */
    assert_int_equal(dlg_once_name("corp", "t1", name), 0);
    marker = tl_path(dir, name);
    assert_int_equal(lstat(marker, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    content = tl_read_file(marker, NULL);
    assert_string_equal(content, "1790000300\n");
    free(content);
    free(marker);
    free(dir);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_prune(void **state)
{
    char *dir = tl_path(*state, "once");

    /* exp + DLG_ONCE_PRUNE_MARGIN < now: removed at the next consume; = now:
     * kept (the margin is fixed, whatever the skew) */
    assert_int_equal(dlg_once_consume(dir, "corp", "old", NOW - DLG_ONCE_PRUNE_MARGIN - 1,
                                      NOW - 3000, SKEW, err, sizeof(err)), DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_consume(dir, "corp", "edge", NOW - DLG_ONCE_PRUNE_MARGIN,
                                      NOW - 3000, SKEW, err, sizeof(err)), DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_consume(dir, "corp", "live", NOW + 300, NOW - 3000, SKEW, err,
                                      sizeof(err)), DLG_ONCE_FRESH);
    free(tl_write_file(dir, "not-a-marker", "0\n", 0600));
    free(tl_write_file(dir, "0000000000000000000000000000000000000000000000000000000000000000",
                       "garbage", 0600));
    assert_int_equal(count_entries(dir), 5);
    assert_int_equal(dlg_once_consume(dir, "corp", "new", NOW + 300, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_check(dir, "corp", "old", err, sizeof(err)), DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_check(dir, "corp", "edge", err, sizeof(err)), DLG_ONCE_USED);
    assert_int_equal(dlg_once_check(dir, "corp", "live", err, sizeof(err)), DLG_ONCE_USED);
    assert_int_equal(dlg_once_check(dir, "corp", "new", err, sizeof(err)), DLG_ONCE_USED);
    assert_int_equal(count_entries(dir), 5);   /* old gone, new added, strangers kept */
    free(dir);
}

static void test_unsafe_dir(void **state)
{
    char *open_dir = tl_path(*state, "open"), *link = tl_path(*state, "link");
    char *file = tl_write_file(*state, "file", "", 0600);
    char *real = tl_path(*state, "real");

    assert_int_equal(mkdir(open_dir, 0700), 0);
    assert_int_equal(chmod(open_dir, 0777), 0);
    assert_int_equal(dlg_once_consume(open_dir, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    assert_true(strlen(err) > 0);
    assert_int_equal(dlg_once_check(open_dir, "corp", "t", err, sizeof(err)), DLG_ONCE_ERROR);
    assert_int_equal(chmod(open_dir, 0720), 0);
    assert_int_equal(dlg_once_consume(open_dir, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    /* a symlink instead of the dir */
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(dlg_once_consume(link, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    assert_int_equal(dlg_once_check(link, "corp", "t", err, sizeof(err)), DLG_ONCE_ERROR);
    assert_int_equal(count_entries(real), 0);
    /* a file instead of the dir */
    assert_int_equal(dlg_once_consume(file, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    assert_int_equal(dlg_once_consume(NULL, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    free(open_dir);
    free(link);
    free(file);
    free(real);
}

static void test_marker_symlink_not_followed(void **state)
{
    char *dir = tl_path(*state, "once"), *marker, *target = tl_path(*state, "target");
    char name[65];
    struct stat st;

    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(dlg_once_name("corp", "t", name), 0);
    marker = tl_path(dir, name);
    assert_int_equal(symlink(target, marker), 0);
    /* a planted (dangling) symlink counts as used and is never written through */
    assert_int_equal(dlg_once_consume(dir, "corp", "t", NOW + 1, NOW, SKEW, err, sizeof(err)),
                     DLG_ONCE_USED);
    assert_int_equal(lstat(target, &st), -1);
    assert_int_equal(errno, ENOENT);
    free(dir);
    free(marker);
    free(target);
}

static void test_fork_race(void **state)
{
    enum { N = 20 };
    char *dir = tl_path(*state, "race");
    pid_t pids[N];
    int i, fresh = 0, used = 0, pipefd[2];
    char go;

    assert_int_equal(pipe(pipefd), 0);
    for (i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char e[128];
            close(pipefd[1]);
            if (read(pipefd[0], &go, 1) < 0)
                _exit(99);
            _exit(dlg_once_consume(dir, "corp", "raced", NOW + 300, NOW, SKEW, e, sizeof(e)) + 10);
        }
    }
    close(pipefd[0]);
    close(pipefd[1]);        /* EOF releases all children at once */
    for (i = 0; i < N; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        fresh += WEXITSTATUS(status) == 10 + DLG_ONCE_FRESH;
        used += WEXITSTATUS(status) == 10 + DLG_ONCE_USED;
    }
    assert_int_equal(fresh, 1);
    assert_int_equal(used, N - 1);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test_setup_teardown(test_consume_then_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marker_symlink_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_race, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
