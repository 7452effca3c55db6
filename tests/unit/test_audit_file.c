/* The audit file is used only when it is a regular, root-owned, single-link
 * file without group or other permission bits (issue 10, item 6); anything
 * else is refused (-1) and left as it was. */
#include <fcntl.h>
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

#include "audit/audit.h"
#include "testlib.h"

struct fixture {
    char *dir, *file;
    struct dlg_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = tl_mkdtemp();
    f->file = tl_path(f->dir, "audit.jsonl");
    f->cfg.audit_syslog = false;
    f->cfg.audit_file = f->file;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    tl_rmtree(f->dir);
    free(f->dir);
    free(f->file);
    free(f);
    return 0;
}

static struct dlg_audit_event ev(void)
{
    struct dlg_audit_event e = {
        .ts = 1790000000, .event = "admit", .service = "sshd", .user = "ci-deploy",
        .actor = "ci-deploy", .pid = 1,
    };
    return e;
}

static off_t size_of(const char *path)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    return st.st_size;
}

/* a file with the given mode and owner, holding "old\n" */
static void make(struct fixture *f, mode_t mode, uid_t uid)
{
    free(tl_write_file(f->dir, "audit.jsonl", "old\n", 0600));
    assert_int_equal(chown(f->file, uid, 0), 0);
    assert_int_equal(chmod(f->file, mode), 0);
}

static void test_created_and_good_file_used(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event e = ev();
    struct stat st;

    assert_int_equal(dlg_audit(&f->cfg, &e), 0);        /* created 0600 root */
    assert_int_equal(lstat(f->file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(dlg_audit(&f->cfg, &e), 0);
    make(f, 0600, 0);
    assert_int_equal(dlg_audit(&f->cfg, &e), 0);
    assert_true(size_of(f->file) > 4);
    make(f, 0400, 0);                                   /* stricter is fine */
    assert_int_equal(dlg_audit(&f->cfg, &e), 0);
}

static void test_group_or_other_bits_refused(void **state)
{
    static const mode_t modes[] = { 0640, 0620, 0610, 0604, 0602, 0601, 0644, 0666 };
    struct fixture *f = *state;
    struct dlg_audit_event e = ev();

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        make(f, modes[i], 0);
        if (dlg_audit(&f->cfg, &e) != -1)
            fail_msg("mode %04o accepted", (unsigned)modes[i]);
        assert_int_equal(size_of(f->file), 4);          /* nothing appended */
    }
}

static void test_not_root_owned_refused(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event e = ev();

    make(f, 0600, 62001);
    assert_int_equal(dlg_audit(&f->cfg, &e), -1);
    assert_int_equal(size_of(f->file), 4);
}

static void test_second_link_refused(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event e = ev();
    char *other = tl_path(f->dir, "other-name");

    make(f, 0600, 0);
    assert_int_equal(link(f->file, other), 0);
    assert_int_equal(dlg_audit(&f->cfg, &e), -1);
    assert_int_equal(size_of(f->file), 4);
    assert_int_equal(unlink(other), 0);
    assert_int_equal(dlg_audit(&f->cfg, &e), 0);        /* one link again */
    free(other);
}

static void test_fifo_refused_without_hanging(void **state)
{
    struct fixture *f = *state;
    struct dlg_audit_event e = ev();

    assert_int_equal(mkfifo(f->file, 0600), 0);
    assert_int_equal(dlg_audit(&f->cfg, &e), -1);       /* no reader: ENXIO, no block */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_created_and_good_file_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_or_other_bits_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_root_owned_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_link_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_refused_without_hanging, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
