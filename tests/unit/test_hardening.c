/* Issue 11: the runas rule (§3.7), one name grammar (§2 "Names"), the
 * clock_skew bound and overflow-safe times, single-use markers under a
 * hostile parent, the trust walk of the path as written, includes read
 * from the checked file only, and escaping of every control and
 * line-separator character in the audit trail and deny details. */
#include <dlfcn.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "decision/once.h"
#include "decision/policy.h"
#include "testlib.h"

#define NOW INT64_C(1790000000)

static char *dir;
static struct dlg_config *cfg;

/* ---- fopen and syslog are intercepted --------------------------------- */

/* Every fopen of this process is recorded: libconfig opens an @include by
 * name with fopen (without "e"), the loader must never let it. */
static int fopen_calls;
static char fopen_last[4096];

#define EXPORTED __attribute__((visibility("default")))
EXPORTED FILE *fopen(const char *path, const char *mode);
EXPORTED FILE *fopen64(const char *path, const char *mode);
FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);

    if (!real)
        real = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    fopen_calls++;
    snprintf(fopen_last, sizeof(fopen_last), "%s", path ? path : "");
    return real(path, mode);
}
FILE *fopen64(const char *path, const char *mode)
{
    return fopen(path, mode);
}

static char syslog_line[4096];

static void capture(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void capture(int pri, const char *fmt, va_list ap)
{
    (void)pri;
    vsnprintf(syslog_line, sizeof(syslog_line), fmt, ap);
}

#undef syslog
void syslog(int pri, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}
void __syslog_chk(int pri, int flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;

    (void)flag;
    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}

/* ---- fixture ----------------------------------------------------------- */

static const char config_fmt[] =
    "version = 1;\n"
    "host = { name = \"web01\"; };\n"
    "tickets = { clock_skew = 60; max_lifetime = 3600; };\n"
    "issuers = (\n"
    "  { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k-ed\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"alice\"; algorithms = [\"EdDSA\"]; principals = [\"alice\"];\n"
    "    keys = ( { kid = \"a1\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"team\"; algorithms = [\"EdDSA\"]; principals = [\"alice\", \"bob\"];\n"
    "    keys = ( { kid = \"t1\"; file = \"%1$s/ed.pub\"; } ); }\n"
    ");\n"
    "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
    "actors = (\n"
    "  { name = \"wide\"; uid = 62001; principals = [\"*\"]; services = [\"sudo\"]; },\n"
    "  { name = \"listed\"; uid = 62002; principals = [\"*\"]; services = [\"sudo\"];\n"
    "    runas = [\"alice\", \"bob\", \"root\"]; }\n"
    ");\n"
    "audit = { syslog = false; };\n";

static char *write_config(const char *name, const char *text)
{
    return tl_write_file(dir, name, text, 0644);
}

static int setup(void **state)
{
    char *text, *p;

    (void)state;
    dir = tl_mkdtemp();
    free(tl_write_pub(dir, "ed", tl_key("ed25519")));
    if (asprintf(&text, config_fmt, dir) < 0)
        return -1;
    p = write_config("delegate.conf", text);
    cfg = tl_load_config(p);
    free(p);
    free(text);
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

static char *mint_for(const char *iss, const char *kid, const char *actor, const char *patch)
{
    json_t *c = tl_claims(NOW), *p;
    json_error_t e;
    const char *k;
    json_t *v;
    char *tk;

    json_object_set_new(c, "iss", json_string(iss));
    json_object_set_new(c, "svc", json_pack("[s]", "sudo"));
    json_object_set_new(c, "act", json_pack("{s:s}", "sub", actor));
    p = json_loads(patch ? patch : "{}", 0, &e);
    assert_non_null(p);
    json_object_foreach(p, k, v) {
        if (json_is_null(v))
            json_object_del(c, k);
        else
            json_object_set(c, k, v);
    }
    json_decref(p);
    tk = tl_mint(tl_key("ed25519"), "EdDSA", kid, c);
    json_decref(c);
    return tk;
}

static char *mint(const char *iss, const char *kid, const char *patch)
{
    return mint_for(iss, kid, "wide", patch);
}

static enum dlg_reason decide_as(const char *tk, const char *user, const char *runas,
                                 int64_t now, struct dlg_verdict *v)
{
    struct dlg_request req = {
        .user = user, .service = "sudo", .runas = runas, .now = now,
    };

    return dlg_decide_lazy(cfg, tk, strlen(tk), &req, v, NULL);
}

/* ---- 1. runas (§3 rule 7) ---------------------------------------------- */

struct runas_row {
    const char *iss, *kid, *actor, *patch, *target;
    enum dlg_reason want;
};

static void test_runas_rule(void **state)
{
    static const struct runas_row rows[] = {
        /* alice's personal key can only ever make someone alice */
        { "alice", "a1", "wide", "{\"sub\":\"alice\",\"runas\":[\"root\"]}", "root", DLG_RUNAS_NOT_ALLOWED },
        { "alice", "a1", "listed", "{\"sub\":\"alice\",\"runas\":[\"root\"]}", "root", DLG_RUNAS_NOT_ALLOWED },
        { "alice", "a1", "listed", "{\"sub\":\"alice\",\"runas\":[\"bob\"]}", "bob", DLG_RUNAS_NOT_ALLOWED },
        { "alice", "a1", "wide", "{\"sub\":\"alice\"}", "alice", DLG_ADMIT },
        { "alice", "a1", "listed", "{\"sub\":\"alice\",\"runas\":[\"alice\",\"root\"]}", "alice", DLG_ADMIT },
        /* an actor without runas: only the ticket's sub */
        { "corp", "k-ed", "wide", "{\"sub\":\"alice\",\"runas\":[\"bob\"]}", "bob", DLG_RUNAS_NOT_ALLOWED },
        { "corp", "k-ed", "wide", "{\"sub\":\"alice\",\"runas\":[\"root\"]}", "root", DLG_RUNAS_NOT_ALLOWED },
        { "corp", "k-ed", "wide", "{\"sub\":\"alice\",\"runas\":[\"alice\"]}", "alice", DLG_ADMIT },
        /* both lists and the issuer */
        { "corp", "k-ed", "listed", "{\"sub\":\"alice\",\"runas\":[\"root\"]}", "root", DLG_ADMIT },
        { "corp", "k-ed", "listed", "{\"sub\":\"alice\"}", "root", DLG_RUNAS_NOT_ALLOWED },
        { "team", "t1", "listed", "{\"sub\":\"alice\",\"runas\":[\"bob\"]}", "bob", DLG_ADMIT },
        { "team", "t1", "listed", "{\"sub\":\"alice\",\"runas\":[\"root\"]}", "root", DLG_RUNAS_NOT_ALLOWED },
        /* no wildcard in a ticket's runas: not even a name */
        { "corp", "k-ed", "listed", "{\"sub\":\"alice\",\"runas\":[\"*\"]}", "root", DLG_MALFORMED },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct runas_row *r = &rows[i];
        struct dlg_verdict v, v2;
        char *tk = mint_for(r->iss, r->kid, r->actor, r->patch);
        enum dlg_reason got = decide_as(tk, r->actor, r->target, NOW, &v);

        if (got != r->want)
            fail_msg("row %zu (%s %s -> %s): got %s, want %s (%s)", i, r->iss, r->patch,
                     r->target, dlg_reason_str(got), dlg_reason_str(r->want), v.detail);
        /* the session phase applies the same rule to an admitted verdict */
        if (r->want != DLG_MALFORMED) {
            assert_int_equal(decide_as(tk, r->actor, NULL, NOW, &v2), DLG_ADMIT);
            assert_int_equal(dlg_check_runas(cfg, &v2, r->target), r->want);
            dlg_verdict_free(&v2);
        }
        dlg_verdict_free(&v);
        free(tk);
    }
}

static void test_runas_config_no_wildcard(void **state)
{
    char *text, *p;
    struct dlg_diag d = { 0 };

    (void)state;
    if (asprintf(&text,
                 "version = 1;\nissuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                 "  keys = ( { kid = \"k\"; file = \"%s/ed.pub\"; } ); } );\n"
                 "actors = ( { name = \"a\"; uid = 62001; principals = [\"*\"]; services = [\"sudo\"];\n"
                 "  runas = [\"*\"]; } );\n", dir) < 0)
        abort();
    p = write_config("wild.conf", text);
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    assert_non_null(strstr(d.errors.v[0], "wild.conf:5:"));
    dlg_diag_free(&d);
    free(p);
    free(text);
}

/* ---- 2. names ---------------------------------------------------------- */

static void test_name_grammar(void **state)
{
    static const char *const good[] = { "alice", "a", "Alice.B", "bob@example.com", "x+y",
                                         "svc_ci-1", "a-", "0day",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    static const char *const bad[] = { "", "-alice", "a b", "a\"b", "a:b", "a/b", "a*", "*",
                                       "a\tb", "\xc3\xa9", "a,b", "a;b", "a'b", "a=b", "a\\b",
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!dlg_valid_name(good[i]))
            fail_msg("'%s' should be a valid name", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dlg_valid_name(bad[i]))
            fail_msg("'%s' should not be a valid name", bad[i]);
    assert_false(dlg_valid_name(NULL));
}

static void test_ticket_names(void **state)
{
    static const char *const malformed[] = {
        "{\"sub\":\"a b\"}", "{\"sub\":\"-x\"}", "{\"sub\":\"a:b\"}", "{\"sub\":\"a\\\"b\"}",
        "{\"act\":{\"sub\":\"wi de\"}}", "{\"runas\":[\"ro ot\"]}", "{\"apv\":[\"c:d\"]}",
        "{\"apv\":[\"-carol\"]}",
    };
    struct dlg_verdict v;
    size_t i;
    char *tk;

    (void)state;
    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        tk = mint("corp", "k-ed", malformed[i]);
        if (decide_as(tk, "wide", NULL, NOW, &v) != DLG_MALFORMED)
            fail_msg("%s: %s, want malformed", malformed[i], dlg_reason_str(v.reason));
        dlg_verdict_free(&v);
        free(tk);
    }
    tk = mint("corp", "k-ed", "{\"sub\":\"alice@example.com\",\"apv\":[\"c+d\"]}");
    assert_int_equal(decide_as(tk, "wide", NULL, NOW, &v), DLG_ADMIT);
    dlg_verdict_free(&v);
    free(tk);
}

/* A kid the config accepts must be one a ticket can carry. */
static void test_config_names(void **state)
{
    static const char *const kids[] = { "k@1", "k:1" };
    static const char *const principals[] = { "\"a:b\"", "\"-x\"", "\"a b\"" };
    struct dlg_diag d;
    char *text, *p, keys[512];
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        memset(&d, 0, sizeof(d));
        snprintf(keys, sizeof(keys), "keys = ( { kid = \"%s\"; file = \"%s/ed.pub\"; } );",
                 kids[i], dir);
        if (asprintf(&text, "version = 1;\nissuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"];\n"
                            "  principals = [\"*\"];\n  %s } );\n", keys) < 0)
            abort();
        p = write_config("kid.conf", text);
        if (dlg_config_load(p, &d) != NULL)
            fail_msg("kid '%s' was accepted", kids[i]);
        if (!strstr(d.errors.v[0], "kid.conf:4:"))
            fail_msg("want kid.conf:4:, got %s", d.errors.v[0]);
        dlg_diag_free(&d);
        free(p);
        free(text);
    }
    for (i = 0; i < 3; i++) {
        memset(&d, 0, sizeof(d));
        if (asprintf(&text, "version = 1;\nissuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"];\n"
                            "  principals = [%s];\n  keys = ( { kid = \"k\"; file = \"%s/ed.pub\"; } ); } );\n"
                            "revoke = { principals = [\"ok@x\"]; keys = [\"k-1.a\"]; };\n",
                     principals[i], dir) < 0)
            abort();
        p = write_config("pr.conf", text);
        if (dlg_config_load(p, &d) != NULL)
            fail_msg("principal %s was accepted", principals[i]);
        assert_non_null(strstr(d.errors.v[0], "pr.conf:3:"));
        dlg_diag_free(&d);
        free(p);
        free(text);
    }
    /* revoke lists follow the same grammar */
    memset(&d, 0, sizeof(d));
    if (asprintf(&text, "version = 1;\nrevoke = {\n  principals = [\"a:b\"];\n};\n") < 0)
        abort();
    p = write_config("rv.conf", text);
    assert_null(dlg_config_load(p, &d));
    assert_non_null(strstr(d.errors.v[0], "rv.conf:3:"));
    dlg_diag_free(&d);
    free(p);
    free(text);
    memset(&d, 0, sizeof(d));
    if (asprintf(&text, "version = 1;\nrevoke = {\n  keys = [\"k@1\"];\n};\n") < 0)
        abort();
    p = write_config("rv.conf", text);
    assert_null(dlg_config_load(p, &d));
    assert_non_null(strstr(d.errors.v[0], "rv.conf:3:"));
    dlg_diag_free(&d);
    free(p);
    free(text);
}

/* ---- 3. clock_skew and time arithmetic --------------------------------- */

static void test_clock_skew_bound(void **state)
{
    struct dlg_diag d = { 0 };
    struct dlg_config *c;
    char *p;

    (void)state;
    p = write_config("skew.conf", "version = 1;\ntickets = {\n  clock_skew = 601;\n};\n");
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    if (!strstr(d.errors.v[0], "skew.conf:3:") || !strstr(d.errors.v[0], "600"))
        fail_msg("unexpected: %s", d.errors.v[0]);
    dlg_diag_free(&d);
    free(p);
    p = write_config("skew.conf", "version = 1;\ntickets = {\n  clock_skew = 600;\n};\n");
    c = tl_load_config(p);
    assert_non_null(c);
    assert_int_equal(c->clock_skew, 600);
    dlg_config_free(c);
    free(p);
}

static void test_time_extremes(void **state)
{
    static const int64_t nows[] = { INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 1, INT64_MAX };
    static const char *const patches[] = {
        "{\"iat\":9223372036854775807,\"exp\":9223372036854775807}",
        "{\"iat\":-9223372036854775807,\"exp\":1}",
        "{\"exp\":9223372036854775807}",
        "{\"nbf\":9223372036854775807}",
        "{\"nbf\":-9223372036854775807}",
        "{\"iat\":0,\"exp\":9223372036854775807}",
    };
    struct dlg_verdict v;
    size_t i, j;
    char *tk;

    (void)state;
    for (i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        tk = mint("corp", "k-ed", patches[i]);
        for (j = 0; j < sizeof(nows) / sizeof(nows[0]); j++) {
            assert_int_not_equal(decide_as(tk, "wide", NULL, nows[j], &v), DLG_ADMIT);
            dlg_verdict_free(&v);
        }
        free(tk);
    }
    /* a good ticket at extreme clocks: never admitted, never UB */
    tk = mint("corp", "k-ed", NULL);
    for (j = 0; j < sizeof(nows) / sizeof(nows[0]); j++) {
        struct dlg_verdict ok;
        assert_int_not_equal(decide_as(tk, "wide", NULL, nows[j], &v), DLG_ADMIT);
        dlg_verdict_free(&v);
        assert_int_equal(decide_as(tk, "wide", NULL, NOW, &ok), DLG_ADMIT);
        if (nows[j] > NOW)
            assert_int_not_equal(dlg_recheck(cfg, &ok, "sudo", nows[j]), DLG_ADMIT);
        else
            (void)dlg_recheck(cfg, &ok, "sudo", nows[j]);
        ok.exp = INT64_MIN;
        assert_int_not_equal(dlg_recheck(cfg, &ok, "sudo", nows[j]), DLG_ADMIT);
        ok.exp = INT64_MAX;
        ok.iat = INT64_MIN;
        (void)dlg_recheck(cfg, &ok, "sudo", nows[j]);
        dlg_verdict_free(&ok);
    }
    free(tk);
}

static void test_time_helpers(void **state)
{
    int64_t t;
    char buf[64];

    (void)state;
    assert_int_equal(dlg_time_add(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(dlg_time_add(INT64_MIN, -1), INT64_MIN);
    assert_int_equal(dlg_time_sub(INT64_MIN, 600), INT64_MIN);
    assert_int_equal(dlg_time_sub(INT64_MAX, -600), INT64_MAX);
    assert_int_equal(dlg_time_sub(0, INT64_MIN), INT64_MAX);
    assert_int_equal(dlg_time_add(5, 7), 12);
    assert_int_equal(dlg_time_sub(5, 7), -2);
    /* parsers refuse what does not fit rather than wrap */
    assert_int_equal(dlg_parse_time("@9223372036854775808", &t), -1);
    assert_int_equal(dlg_parse_duration("9223372036854775807d", &t), -1);
    assert_int_equal(dlg_parse_duration("106751991167301d", &t), -1);
    dlg_format_time(INT64_MAX, buf, sizeof(buf));
    dlg_format_time(INT64_MIN, buf, sizeof(buf));
}

/* ---- 7. single-use markers -------------------------------------------- */

static void test_once_parent_chain(void **state)
{
    char err[256], *parent, *odir;
    struct stat st;

    (void)state;
    parent = tl_path(dir, "open");
    assert_int_equal(mkdir(parent, 0755), 0);
    assert_int_equal(chmod(parent, 0777), 0);          /* anyone could rename .once away */
    odir = tl_path(parent, ".once");
    assert_int_equal(dlg_once_consume(odir, "corp", "j1", NOW + 60, NOW, 60, err, sizeof(err)),
                     DLG_ONCE_ERROR);
    assert_int_equal(dlg_once_check(odir, "corp", "j1", err, sizeof(err)), DLG_ONCE_ERROR);
    /* a missing marker dir under an untrusted parent is no proof of "fresh" */
    assert_int_not_equal(stat(odir, &st), 0);
    assert_int_equal(chmod(parent, 0755), 0);
    assert_int_equal(dlg_once_consume(odir, "corp", "j1", NOW + 60, NOW, 60, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_check(odir, "corp", "j1", err, sizeof(err)), DLG_ONCE_USED);
    free(odir);
    free(parent);
}

static void test_once_prune_margin(void **state)
{
    char err[256], *odir;

    (void)state;
    odir = tl_path(dir, "once-margin");
    /* used while the host allowed 300 s of skew */
    assert_int_equal(dlg_once_consume(odir, "corp", "old", NOW - 200, NOW, 300, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    /* another single-use ticket, with clock_skew back at 60: the marker of
     * "old" must stay, or raising the skew again would revive it */
    assert_int_equal(dlg_once_consume(odir, "corp", "new", NOW + 100, NOW, 60, err, sizeof(err)),
                     DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_check(odir, "corp", "old", err, sizeof(err)), DLG_ONCE_USED);
    /* far past every possible skew it goes */
    assert_int_equal(dlg_once_consume(odir, "corp", "n2", NOW + 100, NOW + 100000, 0, err,
                                      sizeof(err)), DLG_ONCE_FRESH);
    assert_int_equal(dlg_once_check(odir, "corp", "old", err, sizeof(err)), DLG_ONCE_FRESH);
    free(odir);
}

/* ---- 8. trust walk of the path as written, includes from checked fds --- */

static void test_symlink_not_root(void **state)
{
    struct dlg_diag d = { 0 };
    char *real, *link, *p, *text;
    struct dlg_config *c;

    (void)state;
    real = tl_path(dir, "real");
    assert_int_equal(mkdir(real, 0755), 0);
    if (asprintf(&text, "version = 1;\nrevoke = { actors = [\"x\"]; };\n") < 0)
        abort();
    free(tl_write_file(real, "delegate.conf", text, 0644));
    free(text);
    link = tl_path(dir, "userlink");
    assert_int_equal(symlink(real, link), 0);
    /* a root-owned link is followed */
    if (asprintf(&p, "%s/delegate.conf", link) < 0)
        abort();
    c = tl_load_config(p);
    assert_non_null(c);
    dlg_config_free(c);
    /* a user's link on the path is refused, even to root-owned files */
    assert_int_equal(lchown(link, 1000, 1000), 0);
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    assert_non_null(strstr(d.errors.v[0], "symbolic link"));
    dlg_diag_free(&d);
    /* also as an include */
    if (asprintf(&text, "version = 1;\n@include \"%s\"\n", p) < 0)
        abort();
    free(p);
    p = write_config("inc-link.conf", text);
    free(text);
    memset(&d, 0, sizeof(d));
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    assert_non_null(strstr(d.errors.v[0], "symbolic link"));
    dlg_diag_free(&d);
    free(p);
    /* a link to a link: the second one is checked too */
    {
        char *l2 = tl_path(dir, "rootlink");
        assert_int_equal(symlink(link, l2), 0);
        if (asprintf(&p, "%s/delegate.conf", l2) < 0)
            abort();
        memset(&d, 0, sizeof(d));
        assert_null(dlg_config_load(p, &d));
        dlg_diag_free(&d);
        free(p);
        free(l2);
    }
    free(link);
    free(real);
}

static void test_includes_never_reopened(void **state)
{
    struct dlg_diag d = { 0 };
    struct dlg_config *c;
    char *inc, *p, *text;

    (void)state;
    inc = write_config("inc.conf", "revoke = {\n  actors = [\"gone\"];\n};\n");
    if (asprintf(&text, "version = 1;\n@include \"%s\"\naudit = { syslog = false; };\n", inc) < 0)
        abort();
    p = write_config("main-inc.conf", text);
    free(text);
    fopen_calls = 0;
    c = tl_load_config(p);
    assert_non_null(c);
    if (fopen_calls != 0)
        fail_msg("%d fopen call(s), last %s: an include was opened again by name", fopen_calls,
                 fopen_last);
    assert_true(dlg_strv_contains(&c->revoked_actors, "gone"));
    assert_string_equal(c->revoke_file, inc);
    assert_int_equal(c->nfiles, 2);
    dlg_config_free(c);
    /* FILE:LINE of errors inside and after an include stay right */
    free(write_config("inc.conf", "revoke = {\n  actors = [\"gone\"];\n  bogus = 1;\n};\n"));
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    if (!strstr(d.errors.v[0], "inc.conf:3:"))
        fail_msg("want inc.conf:3:, got %s", d.errors.v[0]);
    dlg_diag_free(&d);
    free(write_config("inc.conf", "revoke = {\n  actors = [\"gone\"];\n};\n"));
    if (asprintf(&text, "version = 1;\n@include \"%s\"\naudit = {\n  syslog = 3;\n};\n", inc) < 0)
        abort();
    free(p);
    p = write_config("main-inc.conf", text);
    free(text);
    memset(&d, 0, sizeof(d));
    assert_null(dlg_config_load(p, &d));
    if (!strstr(d.errors.v[0], "main-inc.conf:4:"))
        fail_msg("want main-inc.conf:4:, got %s", d.errors.v[0]);
    dlg_diag_free(&d);
    /* a syntax error in an include */
    free(write_config("inc.conf", "revoke = {\n  actors = [\"gone\"]\n  x;\n};\n"));
    memset(&d, 0, sizeof(d));
    assert_null(dlg_config_load(p, &d));
    if (!strstr(d.errors.v[0], "inc.conf:"))
        fail_msg("want inc.conf:, got %s", d.errors.v[0]);
    dlg_diag_free(&d);
    free(p);
    free(inc);
}

/* An include repeated at every level must not expand without bound. */
static void test_include_bomb(void **state)
{
    struct dlg_diag d = { 0 };
    char name[32], next[4096], *text, *p = NULL;
    int k;

    (void)state;
    for (k = 8; k >= 0; k--) {
        snprintf(name, sizeof(name), "bomb%d.conf", k);
        if (k == 8) {
            text = malloc(4097);
            assert_non_null(text);
            memset(text, '#', 4095);
            text[4095] = '\n';
            text[4096] = '\0';
        } else {
            snprintf(next, sizeof(next), "%s/bomb%d.conf", dir, k + 1);
            if (asprintf(&text, "@include \"%s\"\n@include \"%s\"\n@include \"%s\"\n"
                                "@include \"%s\"\n", next, next, next, next) < 0)
                abort();
        }
        free(p);
        p = write_config(name, text);
        free(text);
    }
    if (asprintf(&text, "version = 1;\n@include \"%s\"\n", p) < 0)
        abort();
    free(p);
    p = write_config("bomb-main.conf", text);
    free(text);
    assert_null(dlg_config_load(p, &d));
    assert_true(d.errors.n > 0);
    if (!strstr(d.errors.v[0], "too large"))
        fail_msg("want 'too large', got %s", d.errors.v[0]);
    dlg_diag_free(&d);
    free(p);
}

/* ---- 9. escaping ------------------------------------------------------- */

static bool raw_hostile(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return true;
        if (p[0] == 0xc2 && (p[1] >= 0x80 && p[1] <= 0x9f))       /* C1, U+0085 */
            return true;
        if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
            return true;
    }
    return false;
}

static void test_audit_escaping(void **state)
{
    static const char *const hostile[] = {
        "a\x7f" "b", "a\xc2\x85" "b", "a\xe2\x80\xa8" "b", "a\xe2\x80\xa9" "b", "a\x1b[31mb",
        "a\nb", "a\rb", "a\xc2\x9b" "31m",
    };
    struct dlg_audit_event ev = { .ts = NOW, .event = "deny", .service = "sudo", .pid = 1,
                                  .reason = "unknown_issuer" };
    size_t i;
    char *line;

    (void)state;
    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        ev.iss = hostile[i];
        ev.user = hostile[i];
        line = dlg_audit_json(&ev);
        assert_non_null(line);
        if (raw_hostile(line))
            fail_msg("audit line %zu carries a raw control or separator: %s", i, line);
        free(line);
        syslog_line[0] = '\0';
        dlg_audit(NULL, &ev);
        assert_true(syslog_line[0] != '\0');
        if (raw_hostile(syslog_line))
            fail_msg("syslog line %zu carries a raw control or separator", i);
    }
}

static void test_deny_detail_escaped(void **state)
{
    struct dlg_verdict v;
    char *tk = mint("evil\xe2\x80\xa8iss\xc2\x85", "k-ed", NULL);

    (void)state;
    assert_int_equal(decide_as(tk, "wide", NULL, NOW, &v), DLG_UNKNOWN_ISSUER);
    if (raw_hostile(v.detail))
        fail_msg("deny detail carries a raw control or separator");
    dlg_verdict_free(&v);
    free(tk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runas_rule),
        cmocka_unit_test(test_runas_config_no_wildcard),
        cmocka_unit_test(test_name_grammar),
        cmocka_unit_test(test_ticket_names),
        cmocka_unit_test(test_config_names),
        cmocka_unit_test(test_clock_skew_bound),
        cmocka_unit_test(test_time_extremes),
        cmocka_unit_test(test_time_helpers),
        cmocka_unit_test(test_once_parent_chain),
        cmocka_unit_test(test_once_prune_margin),
        cmocka_unit_test(test_symlink_not_root),
        cmocka_unit_test(test_includes_never_reopened),
        cmocka_unit_test(test_include_bomb),
        cmocka_unit_test(test_audit_escaping),
        cmocka_unit_test(test_deny_detail_escaped),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
