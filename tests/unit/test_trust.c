/* File trust (DESIGN.md §3): dlg_open_trusted, dlg_read_trusted,
 * dlg_check_trusted_dir and the config loader's use of them.  Runs as root:
 * files are chowned to 65534 to play an untrusted owner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/util.h"

#define NOBODY 65534

struct fixture {
    char dir[64];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/dlg-trust.XXXXXX");
    if (mkdtemp(f->dir) == NULL || chmod(f->dir, 0755) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static char *path_in(const struct fixture *f, const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", f->dir, name) < 0)
        fail_msg("asprintf");
    return p;
}

static char *write_file(const struct fixture *f, const char *name, const char *text, mode_t mode)
{
    char *p = path_in(f, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static char *make_dir(const struct fixture *f, const char *name, mode_t mode)
{
    char *p = path_in(f, name);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

/* Refused, with an error that names path and contains what. */
static void assert_refused(const char *path, const char *what)
{
    char err[512] = "";
    struct stat st;
    int fd = dlg_open_trusted(path, &st, err, sizeof(err));
    if (fd >= 0) {
        close(fd);
        fail_msg("%s was trusted", path);
    }
    if (strstr(err, path) == NULL || strstr(err, what) == NULL)
        fail_msg("error \"%s\" should name %s and say \"%s\"", err, path, what);
}

static void assert_trusted(const char *path)
{
    char err[512] = "";
    struct stat st, lst;
    int fd = dlg_open_trusted(path, &st, err, sizeof(err));
    if (fd < 0)
        fail_msg("%s refused: %s", path, err);
    assert_int_equal(lstat(path, &lst), 0);
    assert_int_equal(st.st_ino, lst.st_ino);
    assert_int_equal(st.st_dev, lst.st_dev);
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    assert_int_equal(fl & O_NONBLOCK, 0);           /* blocking again */
    assert_int_equal(fl & O_ACCMODE, O_RDONLY);
    assert_true(fdfl & FD_CLOEXEC);
    close(fd);
}

static void test_good_file(void **state)
{
    struct fixture *f = *state;
    char *p = write_file(f, "good.conf", "version = 1;\n", 0644);
    assert_trusted(p);
    assert_int_equal(chmod(p, 0600), 0);
    assert_trusted(p);
    assert_int_equal(chmod(p, 0444), 0);
    assert_trusted(p);
    free(p);
}

static void test_world_writable_file(void **state)
{
    struct fixture *f = *state;
    char *p = write_file(f, "ww.conf", "version = 1;\n", 0666);
    assert_refused(p, "writable by group or others");
    assert_refused(p, "0666");
    free(p);
}

static void test_group_writable_file(void **state)
{
    struct fixture *f = *state;
    char *p = write_file(f, "gw.conf", "version = 1;\n", 0664);
    assert_refused(p, "writable by group or others");
    free(p);
}

static void test_non_root_owner(void **state)
{
    struct fixture *f = *state;
    char *p = write_file(f, "nobody.conf", "version = 1;\n", 0644);
    assert_int_equal(chown(p, NOBODY, 0), 0);
    assert_refused(p, "owned by uid 65534, not root");
    /* root uid but another group is fine as long as the group cannot write */
    assert_int_equal(chown(p, 0, NOBODY), 0);
    assert_int_equal(chmod(p, 0644), 0);
    assert_trusted(p);
    free(p);
}

static void test_group_writable_parent(void **state)
{
    struct fixture *f = *state;
    char *d = make_dir(f, "gwdir", 0775);
    char *p;
    assert_true(asprintf(&p, "%s/x.conf", d) > 0);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0644), 0);
    assert_refused(p, "writable by group or others");
    assert_refused(p, d);                           /* the error names the directory */
    free(p);
    free(d);
}

static void test_other_writable_dir(void **state)
{
    struct fixture *f = *state;
    char *d = make_dir(f, "owdir", 0757);
    char *p;
    assert_true(asprintf(&p, "%s/x.conf", d) > 0);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0644), 0);
    assert_refused(p, "writable by group or others");
    /* the same directory with the sticky bit, root-owned, is like /tmp: fine */
    assert_int_equal(chmod(d, 01777), 0);
    assert_trusted(p);
    free(p);
    free(d);
}

static void test_sticky_dir_must_be_root_owned(void **state)
{
    struct fixture *f = *state;
    char *d = make_dir(f, "sticky", 01777);
    char *p;
    assert_true(asprintf(&p, "%s/x.conf", d) > 0);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0644), 0);
    assert_trusted(p);
    assert_int_equal(chown(d, NOBODY, NOBODY), 0);
    assert_refused(p, "owned by uid 65534, not root");
    free(p);
    free(d);
}

static void test_non_root_dir(void **state)
{
    struct fixture *f = *state;
    char *d = make_dir(f, "nobodydir", 0755);
    char *sub, *p;
    /* the untrusted directory is a grand-parent: every level counts */
    assert_true(asprintf(&sub, "%s/sub", d) > 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_true(asprintf(&p, "%s/x.conf", sub) > 0);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0644), 0);
    assert_trusted(p);
    assert_int_equal(chown(d, NOBODY, NOBODY), 0);
    assert_refused(p, "owned by uid 65534, not root");
    assert_refused(p, d);
    free(p);
    free(sub);
    free(d);
}

static void test_symlink_final_component(void **state)
{
    struct fixture *f = *state;
    char *target = write_file(f, "real.conf", "version = 1;\n", 0644);
    char *link = path_in(f, "link.conf");
    assert_int_equal(symlink(target, link), 0);
    assert_refused(link, "symbolic link");
    free(link);
    free(target);
}

static void test_symlinked_directory_resolved(void **state)
{
    struct fixture *f = *state;
    /* A symlink in the directory part is resolved once (realpath) and the
     * real directories are checked: a link to a trusted dir is fine ... */
    char *d = make_dir(f, "realdir", 0755);
    char *p, *ldir = path_in(f, "linkdir"), *viap;
    assert_true(asprintf(&p, "%s/x.conf", d) > 0);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(symlink(d, ldir), 0);
    assert_true(asprintf(&viap, "%s/x.conf", ldir) > 0);
    assert_trusted(viap);
    /* ... and a link to an untrusted one is not. */
    assert_int_equal(chmod(d, 0777), 0);
    assert_refused(viap, "writable by group or others");
    free(viap);
    free(ldir);
    free(p);
    free(d);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "not ok - dlg_open_trusted blocked on a FIFO\n";
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

static void test_fifo(void **state)
{
    struct fixture *f = *state;
    char *p = path_in(f, "fifo.conf");
    assert_int_equal(mkfifo(p, 0644), 0);
    signal(SIGALRM, on_alarm);
    alarm(60);   /* blocked on open(), not slow */
    assert_refused(p, "not a regular file");
    char *text = NULL;
    char err[256];
    assert_int_equal(dlg_read_trusted(p, 4096, &text, NULL, NULL, err, sizeof(err)), -1);
    assert_null(text);
    alarm(0);
    free(p);
}

static void test_directory_instead_of_file(void **state)
{
    struct fixture *f = *state;
    char *d = make_dir(f, "adir.conf", 0755);
    assert_refused(d, "directory");
    free(d);
}

static void test_missing_file(void **state)
{
    struct fixture *f = *state;
    char *p = path_in(f, "missing.conf");
    assert_refused(p, "No such file");
    char *q;
    assert_true(asprintf(&q, "%s/nodir/x.conf", f->dir) > 0);
    assert_refused(q, "No such file");
    free(q);
    free(p);
}

static void test_read_trusted_limits(void **state)
{
    struct fixture *f = *state;
    char *p = write_file(f, "sized.conf", "0123456789", 0644);
    char *text = NULL, err[256] = "";
    size_t len = 0;
    struct stat st;
    assert_int_equal(dlg_read_trusted(p, 10, &text, &len, &st, err, sizeof(err)), 0);
    assert_int_equal(len, 10);
    assert_string_equal(text, "0123456789");
    assert_int_equal(st.st_size, 10);
    free(text);
    text = NULL;
    assert_int_equal(dlg_read_trusted(p, 9, &text, &len, NULL, err, sizeof(err)), -1);
    assert_null(text);
    assert_non_null(strstr(err, "too large"));
    assert_non_null(strstr(err, p));
    assert_int_equal(chmod(p, 0666), 0);
    assert_int_equal(dlg_read_trusted(p, 100, &text, &len, NULL, err, sizeof(err)), -1);
    assert_null(text);
    assert_non_null(strstr(err, "writable"));
    free(p);
}

static void test_check_trusted_dir(void **state)
{
    struct fixture *f = *state;
    char err[512] = "";
    assert_int_equal(dlg_check_trusted_dir(f->dir, err, sizeof(err)), 0);
    assert_int_equal(dlg_check_trusted_dir("/", err, sizeof(err)), 0);
    char *d = make_dir(f, "bad", 0770);
    assert_int_equal(dlg_check_trusted_dir(d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, d));
    assert_non_null(strstr(err, "writable"));
    assert_int_equal(chmod(d, 0755), 0);
    assert_int_equal(chown(d, NOBODY, 0), 0);
    assert_int_equal(dlg_check_trusted_dir(d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "owned by uid 65534"));
    free(d);
}

/* The config loader refuses untrusted main and included files. */
static void test_config_untrusted_include(void **state)
{
    struct fixture *f = *state;
    char *inc = write_file(f, "revoked.conf", "revoke = { actors = [\"x\"]; };\n", 0644);
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", inc) > 0);
    char *mainp = write_file(f, "delegate.conf", text, 0644);
    struct dlg_diag d = {0};
    struct dlg_config *cfg = dlg_config_load(mainp, &d);
    assert_non_null(cfg);
    dlg_config_free(cfg);
    dlg_diag_free(&d);

    assert_int_equal(chmod(inc, 0666), 0);
    cfg = dlg_config_load(mainp, &d);
    assert_null(cfg);
    assert_int_equal(d.errors.n, 1);
    char *want;
    assert_true(asprintf(&want, "%s:2: @include: %s: mode 0666 is writable by group or others",
                         mainp, inc) > 0);
    assert_string_equal(d.errors.v[0], want);
    free(want);
    dlg_diag_free(&d);

    assert_int_equal(chmod(inc, 0644), 0);
    assert_int_equal(chown(inc, NOBODY, 0), 0);
    cfg = dlg_config_load(mainp, &d);
    assert_null(cfg);
    assert_int_equal(d.errors.n, 1);
    assert_non_null(strstr(d.errors.v[0], inc));
    assert_non_null(strstr(d.errors.v[0], "owned by uid 65534, not root"));
    dlg_diag_free(&d);

    /* a symlinked include is refused too */
    assert_int_equal(chown(inc, 0, 0), 0);
    char *link = path_in(f, "link.conf");
    assert_int_equal(symlink(inc, link), 0);
    free(text);
    free(mainp);
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", link) > 0);
    mainp = write_file(f, "delegate.conf", text, 0644);
    cfg = dlg_config_load(mainp, &d);
    assert_null(cfg);
    assert_non_null(strstr(d.errors.v[0], "symbolic link"));
    dlg_diag_free(&d);

    free(link);
    free(text);
    free(mainp);
    free(inc);
}

static void test_config_untrusted_main(void **state)
{
    struct fixture *f = *state;
    char *mainp = write_file(f, "delegate.conf", "version = 1;\n", 0664);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(mainp, &d));
    assert_int_equal(d.errors.n, 1);
    char *want;
    assert_true(asprintf(&want, "%s: mode 0664 is writable by group or others", mainp) > 0);
    assert_string_equal(d.errors.v[0], want);
    free(want);
    dlg_diag_free(&d);
    /* NULL diag is allowed (the NSS module passes none) */
    assert_null(dlg_config_load(mainp, NULL));
    free(mainp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_writable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_writable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_root_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_writable_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_writable_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sticky_dir_must_be_root_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_root_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_final_component, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinked_directory_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_instead_of_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_trusted_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_trusted_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_untrusted_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_untrusted_main, setup, teardown),
    };
    if (geteuid() != 0) {
        printf("1..0 # SKIP trust tests need root (chown)\n");
        return 0;
    }
    return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
