/* The PAM module and the compiled policy snapshot (issue 13), through
 * libpam under pam_wrapper, service "cpl" (compiled=$PD_TEST_DIR/policy.bin):
 * - after loading the text as root, the module writes the compiled form;
 * - while the form is fresh the module decides from it (shown with a form
 *   whose policy differs from the text but whose recorded identities are
 *   made to match: the module follows the form);
 * - any change of the text makes it stale: the text decides at once, and a
 *   same-size in-place revocation right after compiling is never missed. */
#include <fcntl.h>

#include "config/compiled.h"
#include "config/config_record.h"
#include "pd_harness.h"

static char *cpath;

static void settle(void)
{
    struct timespec ts = { 0, 250 * 1000 * 1000 };

    nanosleep(&ts, NULL);
}

/* pdt_config's text with the "cpl" service added to ci-deploy's. */
static void config_cpl(const char *revoke)
{
    char *text, *at;
    size_t len;

    pdt_config(revoke);
    text = tl_read_file(T.conf, &len);
    assert_non_null(text);
    at = strstr(text, "services = [\"sshd\"");
    assert_non_null(at);
    char *out = NULL;
    *at = '\0';
    assert_true(asprintf(&out, "%sservices = [\"cpl\", \"sshd\"%s", text,
                         at + strlen("services = [\"sshd\"")) > 0);
    pdt_put_file(T.conf, out);
    free(out);
    free(text);
}

static void run_cpl(int want_auth)
{
    char *t = pdt_mint(pdt_claims_for("ci-deploy", "cpl"));
    struct pdt_conv cv = { .answer = { t } };
    struct pam_testcase ok_cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    struct pam_testcase deny[] = { pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR) };

    if (want_auth == PAM_SUCCESS)
        pdt_run("cpl", "ci-deploy", &cv, ok_cases);
    else
        pdt_run("cpl", "ci-deploy", &cv, deny);
    free(t);
}

static bool fresh(void)
{
    char why[256];
    struct dlg_config *c = dlg_compiled_load(cpath, T.conf, 0, why, sizeof(why));

    dlg_config_free(c);
    return c != NULL;
}

static void test_module_writes_compiled_form(void **state)
{
    struct stat st;
    (void)state;

    unlink(cpath);
    config_cpl("");
    settle();
    run_cpl(PAM_SUCCESS);
    assert_int_equal(lstat(cpath, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_true(fresh());
}

/* The slot of a field of the sources' records (config_record.h). */
static size_t file_slot(const char *name)
{
    size_t k = 0;

    for (size_t i = 0; i < dlg_rt_file.nfields; i++) {
        if (!dlg_field_carried(dlg_rt_file.fields[i].kind))
            continue;
        if (strcmp(dlg_rt_file.fields[i].name, name) == 0)
            return k;
        k++;
    }
    fail_msg("no field %s", name);
    return 0;
}

static void put_slot(unsigned char *rec, const char *name, uint64_t v)
{
    memcpy(rec + file_slot(name) * 8, &v, 8);
}

/* Rewrite the recorded identities of the form at cpath to those the files
 * have now (and its compile time to now), checksums recomputed: a form
 * that claims to match the current text. */
static void forge_identities(void)
{
    size_t len;
    unsigned char *b = (unsigned char *)tl_read_file(cpath, &len);
    struct dlg_cpl_header h;
    struct dlg_cpl_section sec[DLG_CPL_NSECTIONS];
    struct timespec now;

    assert_non_null(b);
    memcpy(&h, b, sizeof(h));
    memcpy(sec, b + sizeof(h), sizeof(sec));
    const struct dlg_cpl_section *ss = &sec[DLG_CPL_SEC_SOURCES - 1];
    const char *pool = (const char *)b + sec[DLG_CPL_SEC_STRINGS - 1].offset;
    for (size_t i = 0; i < ss->count; i++) {
        unsigned char *rec = b + ss->offset + i * ss->record_size;
        struct stat st;
        uint64_t path;
        memcpy(&path, rec + file_slot("path") * 8, 8);
        assert_int_equal(stat(pool + path, &st), 0);
        put_slot(rec, "dev", (uint64_t)st.st_dev);
        put_slot(rec, "ino", (uint64_t)st.st_ino);
        put_slot(rec, "size", (uint64_t)st.st_size);
        put_slot(rec, "mtime", (uint64_t)(st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec));
        put_slot(rec, "ctime", (uint64_t)(st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec));
    }
    sec[DLG_CPL_SEC_SOURCES - 1].hash =
        dlg_cpl_hash(b + ss->offset, (size_t)ss->count * ss->record_size);
    memcpy(b + sizeof(h), sec, sizeof(sec));
    clock_gettime(CLOCK_REALTIME, &now);
    h.compiled_at_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    h.table_hash = dlg_cpl_hash(sec, sizeof(sec));
    h.header_hash = 0;
    h.header_hash = dlg_cpl_hash(&h, sizeof(h));
    memcpy(b, &h, sizeof(h));
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.f", cpath);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    close(fd);
    assert_int_equal(rename(tmp, cpath), 0);
    free(b);
}

static void test_module_decides_from_fresh_form(void **state)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg;
    (void)state;

    /* a form compiled from a text that revokes ci-deploy ... */
    config_cpl("revoke = { actors = [\"ci-deploy\"]; };");
    cfg = dlg_config_load_stamped(T.conf, &diag);
    assert_non_null(cfg);
    assert_int_equal(dlg_compiled_write(cfg, cpath, &diag), 0);
    dlg_config_free(cfg);
    /* ... the text then un-revokes it, and the form is made to claim it
     * matches: the module follows the form (it does not parse the text) */
    config_cpl("");
    settle();
    forge_identities();
    assert_true(fresh());
    run_cpl(PAM_AUTH_ERR);
    pdt_audit_expect("deny:revoked_actor");
    /* any change of the text (a chmod: only ctime moves) makes it stale:
     * the text decides, and the module rewrites the form from it */
    assert_int_equal(chmod(T.conf, 0600), 0);
    assert_int_equal(chmod(T.conf, 0644), 0);
    settle();
    unlink(T.audit);
    run_cpl(PAM_SUCCESS);
    assert_true(fresh());
    run_cpl(PAM_SUCCESS);
    dlg_diag_free(&diag);
}

static void test_same_size_revocation_after_compile(void **state)
{
    (void)state;

    for (int i = 0; i < 10; i++) {
        struct dlg_diag diag = { 0 };
        struct dlg_config *cfg;
        char *text;
        size_t len;
        struct stat st;
        struct timespec ts[2];

        config_cpl("revoke = { actors = [\"xi-deploy\"]; };");
        cfg = dlg_config_load_stamped(T.conf, &diag);
        assert_non_null(cfg);
        assert_int_equal(dlg_compiled_write(cfg, cpath, &diag), 0);
        dlg_config_free(cfg);
        dlg_diag_free(&diag);
        run_cpl(PAM_SUCCESS);
        /* in place, same size: "xi-deploy" -> "ci-deploy", old mtime put back */
        text = tl_read_file(T.conf, &len);
        char *at = strstr(text, "\"xi-deploy\"");
        assert_non_null(at);
        assert_int_equal(stat(T.conf, &st), 0);
        int fd = open(T.conf, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "\"ci", 3, at - text), 3);
        ts[0] = st.st_atim;
        ts[1] = st.st_mtim;
        assert_int_equal(futimens(fd, ts), 0);
        close(fd);
        free(text);
        run_cpl(PAM_AUTH_ERR);
    }
}


/* issue 18 item 4: a form whose actor records are out of order (every
 * checksum right, the identities fresh) must not make an actor look like a
 * stranger.  support-bot, the second of two actors, is put first: a binary
 * search for it then misses.  support-bot came in without a ticket (an ssh
 * key): account must refuse it, never say PAM_IGNORE. */
static void reseal(unsigned char *b)
{
    struct dlg_cpl_header h;
    struct dlg_cpl_section sec[DLG_CPL_NSECTIONS];

    memcpy(&h, b, sizeof(h));
    memcpy(sec, b + sizeof(h), sizeof(sec));
    for (int i = 0; i < DLG_CPL_NSECTIONS; i++)
        sec[i].hash = dlg_cpl_hash(b + sec[i].offset, (size_t)sec[i].count * sec[i].record_size);
    memcpy(b + sizeof(h), sec, sizeof(sec));
    h.table_hash = dlg_cpl_hash(sec, sizeof(sec));
    h.header_hash = 0;
    h.header_hash = dlg_cpl_hash(&h, sizeof(h));
    memcpy(b, &h, sizeof(h));
}

static void swap_first_actors(void)
{
    size_t len;
    unsigned char *b = (unsigned char *)tl_read_file(cpath, &len), tmp[4096];
    struct dlg_cpl_section sec[DLG_CPL_NSECTIONS];

    assert_non_null(b);
    memcpy(sec, b + sizeof(struct dlg_cpl_header), sizeof(sec));
    const struct dlg_cpl_section *a = &sec[DLG_CPL_SEC_ACTORS - 1], *x = &sec[DLG_CPL_SEC_ACTORS_BY_UID - 1];
    size_t rs = a->record_size;
    assert_int_equal(a->count, 2);
    assert_true(rs <= sizeof(tmp));
    memcpy(tmp, b + a->offset, rs);
    memmove(b + a->offset, b + a->offset + rs, rs);
    memcpy(b + a->offset + rs, tmp, rs);
    for (size_t k = 0; k < x->count; k++) {
        uint32_t v;
        memcpy(&v, b + x->offset + k * 4, 4);
        v = 1 - v;
        memcpy(b + x->offset + k * 4, &v, 4);
    }
    reseal(b);
    char p[4096];
    snprintf(p, sizeof(p), "%s.s", cpath);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    close(fd);
    assert_int_equal(rename(p, cpath), 0);
    free(b);
}

static void test_unsorted_form_is_no_stranger(void **state)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg;
    struct pam_testcase account[] = { pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED) };
    struct pdt_conv cv = { 0 };
    (void)state;

    config_cpl("");
    settle();
    cfg = dlg_config_load_stamped(T.conf, &diag);
    assert_non_null(cfg);
    assert_int_equal(dlg_compiled_write(cfg, cpath, &diag), 0);
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
    swap_first_actors();
    unlink(T.audit);
    pdt_run("cpl", "support-bot", &cv, account);
    pdt_audit_expect("deny:no_ticket");
}

static int setup(void **state)
{
    (void)state;
    pdt_setup_all();
    cpath = tl_path(T.dir, "policy.bin");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(cpath);
    pdt_teardown_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_module_writes_compiled_form, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_module_decides_from_fresh_form, pdt_setup, pdt_teardown),
        cmocka_unit_test_setup_teardown(test_same_size_revocation_after_compile, pdt_setup,
                                        pdt_teardown),
        cmocka_unit_test_setup_teardown(test_unsorted_form_is_no_stranger, pdt_setup, pdt_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
