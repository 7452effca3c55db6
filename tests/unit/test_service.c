/* Service names (DESIGN.md §3 "Service names"): sudo-i counts as sudo and
 * su-l as su, for the ticket's svc and the actor's services, in dlg_decide
 * (the PAM module's auth and delegatectl verify --service) and in
 * dlg_recheck (account and session). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decision/keys.h"
#include "decision/policy.h"
#include "decision/service.h"
#include "testlib.h"

#define NOW INT64_C(1790000000)

static char *dir;
static struct dlg_config *cfg;

static int setup(void **state)
{
    char *text, *path;

    (void)state;
    dir = tl_mkdtemp();
    free(tl_write_pub(dir, "ed", tl_key("ed25519")));
    if (asprintf(&text,
                 "version = 1;\n"
                 "host = { name = \"web01\"; };\n"
                 "tickets = { clock_skew = 60; max_lifetime = 3600; };\n"
                 "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                 "    keys = ( { kid = \"k-ed\"; file = \"%s/ed.pub\"; } ); } );\n"
                 "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
                 "actors = (\n"
                 "  { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"]; services = [\"sudo\", \"su\"]; },\n"
                 "  { name = \"login-bot\"; uid = 62002; principals = [\"*\"]; services = [\"sudo-i\", \"su-l\"]; },\n"
                 "  { name = \"ssh-bot\"; uid = 62003; principals = [\"*\"]; services = [\"sshd\"]; }\n"
                 ");\n"
                 "audit = { syslog = false; };\n", dir) < 0)
        abort();
    path = tl_write_file(dir, "delegate.conf", text, 0644);
    cfg = tl_load_config(path);
    free(text);
    free(path);
    return cfg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dlg_config_free(cfg);
    tl_rmtree(dir);
    free(dir);
    return 0;
}

static void test_canonical(void **state)
{
    (void)state;
    assert_string_equal(dlg_service_canonical("sudo-i"), "sudo");
    assert_string_equal(dlg_service_canonical("su-l"), "su");
    assert_string_equal(dlg_service_canonical("sudo"), "sudo");
    assert_string_equal(dlg_service_canonical("su"), "su");
    assert_string_equal(dlg_service_canonical("sshd"), "sshd");
    assert_string_equal(dlg_service_canonical("cron"), "cron");
    /* only the exact names: no prefix or case games */
    assert_string_equal(dlg_service_canonical("sudo-"), "sudo-");
    assert_string_equal(dlg_service_canonical("sudo-i2"), "sudo-i2");
    assert_string_equal(dlg_service_canonical("SUDO-I"), "SUDO-I");
    assert_string_equal(dlg_service_canonical("su-login"), "su-login");
    assert_string_equal(dlg_service_canonical("sudo-l"), "sudo-l");
    assert_string_equal(dlg_service_canonical(""), "");
    assert_null(dlg_service_canonical(NULL));
}

static void test_listed(void **state)
{
    struct dlg_strv l = { 0 };

    (void)state;
    assert_false(dlg_service_listed(&l, "sudo"));
    assert_int_equal(dlg_strv_push(&l, "sudo"), 0);
    assert_int_equal(dlg_strv_push(&l, "sshd"), 0);
    assert_true(dlg_service_listed(&l, "sudo"));
    assert_true(dlg_service_listed(&l, "sudo-i"));
    assert_true(dlg_service_listed(&l, "sshd"));
    assert_false(dlg_service_listed(&l, "su"));
    assert_false(dlg_service_listed(&l, "su-l"));
    assert_false(dlg_service_listed(&l, "sudo-l"));
    assert_false(dlg_service_listed(&l, "cron"));
    assert_false(dlg_service_listed(&l, NULL));
    assert_false(dlg_service_listed(NULL, "sudo"));
    dlg_strv_free(&l);
    assert_int_equal(dlg_strv_push(&l, "su-l"), 0);
    assert_true(dlg_service_listed(&l, "su"));
    assert_true(dlg_service_listed(&l, "su-l"));
    assert_false(dlg_service_listed(&l, "sudo"));
    dlg_strv_free(&l);
}

/* A ticket for actor with svc (a JSON array text). */
static char *mint(const char *actor, const char *svc)
{
    json_t *c = tl_claims(NOW), *a, *s;
    json_error_t e;
    char *tk;

    a = json_pack("{s:s}", "sub", actor);
    s = json_loads(svc, 0, &e);
    assert_non_null(a);
    assert_non_null(s);
    json_object_set_new(c, "act", a);
    json_object_set_new(c, "svc", s);
    tk = tl_mint(tl_key("ed25519"), "EdDSA", "k-ed", c);
    json_decref(c);
    return tk;
}

static enum dlg_reason decide(const char *actor, const char *svc, const char *service,
                              struct dlg_verdict *v)
{
    struct dlg_request req = {
        .user = actor, .service = service, .now = NOW, .once_dir = NULL, .consume_once = false,
    };
    struct dlg_diag diag = { 0 };
    char *tk = mint(actor, svc);
    enum dlg_reason r;

    memset(v, 0, sizeof(*v));
    r = dlg_decide_lazy(cfg, tk, strlen(tk), &req, v, &diag);
    dlg_diag_free(&diag);
    free(tk);
    return r;
}

struct row {
    const char *actor, *svc, *service;
    enum dlg_reason want;
};

static void test_decide(void **state)
{
    static const struct row rows[] = {
        /* the ticket says sudo, the actor may use sudo: sudo -i too */
        { "ci-deploy", "[\"sudo\"]", "sudo", DLG_ADMIT },
        { "ci-deploy", "[\"sudo\"]", "sudo-i", DLG_ADMIT },
        { "ci-deploy", "[\"su\"]", "su-l", DLG_ADMIT },
        { "ci-deploy", "[\"su\"]", "su", DLG_ADMIT },
        /* a ticket naming sudo-i is a ticket for sudo */
        { "ci-deploy", "[\"sudo-i\"]", "sudo", DLG_ADMIT },
        { "ci-deploy", "[\"su-l\"]", "su", DLG_ADMIT },
        /* the actor's services name the -i / -l form */
        { "login-bot", "[\"sudo\"]", "sudo", DLG_ADMIT },
        { "login-bot", "[\"sudo\"]", "sudo-i", DLG_ADMIT },
        { "login-bot", "[\"su\"]", "su-l", DLG_ADMIT },
        /* never across services */
        { "ci-deploy", "[\"sudo\"]", "su", DLG_SERVICE_NOT_ALLOWED },
        { "ci-deploy", "[\"sudo\"]", "su-l", DLG_SERVICE_NOT_ALLOWED },
        { "ci-deploy", "[\"su\"]", "sudo-i", DLG_SERVICE_NOT_ALLOWED },
        { "ci-deploy", "[\"sshd\"]", "sudo-i", DLG_SERVICE_NOT_ALLOWED },
        { "ci-deploy", "[\"sudo\"]", "sudo-l", DLG_SERVICE_NOT_ALLOWED },
        { "ci-deploy", "[\"sudo\"]", "cron", DLG_SERVICE_NOT_ALLOWED },
        { "ssh-bot", "[\"sudo\"]", "sudo-i", DLG_SERVICE_NOT_ALLOWED },
        { "ssh-bot", "[\"sshd\"]", "sshd", DLG_ADMIT },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dlg_verdict v;
        enum dlg_reason r = decide(rows[i].actor, rows[i].svc, rows[i].service, &v);

        if (r != rows[i].want)
            fail_msg("%s svc=%s service=%s: got %s, want %s (%s)", rows[i].actor, rows[i].svc,
                     rows[i].service, dlg_reason_str(r), dlg_reason_str(rows[i].want), v.detail);
        dlg_verdict_free(&v);
    }
}

/* dlg_recheck (account, session) sees the service of its own phase. */
static void test_recheck(void **state)
{
    struct dlg_verdict v;

    (void)state;
    assert_int_equal(decide("ci-deploy", "[\"sudo\"]", "sudo-i", &v), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sudo-i", NOW), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sudo", NOW), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "su-l", NOW), DLG_ADMIT);   /* actor has su */
    assert_int_equal(dlg_recheck(cfg, &v, "sshd", NOW), DLG_SERVICE_NOT_ALLOWED);
    dlg_verdict_free(&v);

    assert_int_equal(decide("login-bot", "[\"sudo\"]", "sudo", &v), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "sudo-i", NOW), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "su", NOW), DLG_ADMIT);
    assert_int_equal(dlg_recheck(cfg, &v, "cron", NOW), DLG_SERVICE_NOT_ALLOWED);
    dlg_verdict_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_recheck),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
