/* The compiled policy snapshot (common/config/compiled.h, issue 13):
 * - round trip: the compiled form materializes the very config the text gives;
 * - differential: for many generated configs and tickets the decision from
 *   the compiled form equals the decision from the text, also after random
 *   edits (which make the form stale: the reader falls back to the text);
 * - adversarial: bit flips, truncation, wrong owner or mode, symlink, stale
 *   identity, a directory made group-writable after compiling, the racily
 *   clean rule, a revocation added by a same-size in-place edit right after
 *   compiling: each is refused (the text is read), and a revoked ticket is
 *   never admitted. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/compiled.h"
#include "decision/policy.h"
#include "testlib.h"

#define NOW INT64_C(1790000000)

static char *dir;

/* ---- helpers ----------------------------------------------------------- */

struct sb {
    char *p;
    size_t n, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    for (;;) {
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if (b->p && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap * 2 + (size_t)k + 256;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
}

static const char *ns(const char *s)
{
    return s ? s : "(null)";
}

static void dump_strv(struct sb *b, const char *what, const struct dlg_strv *sv)
{
    sb_printf(b, "%s[", what);
    for (size_t i = 0; i < sv->n; i++)
        sb_printf(b, "%s,", sv->v[i]);
    sb_printf(b, "]\n");
}

static void dump_actor(struct sb *bp, const struct dlg_actor *a);

/* Every field a reader uses, as text. */
static char *dump(const struct dlg_config *c, bool tickets)
{
    struct sb b = {0};

    sb_printf(&b, "v%d path=%s host=%s skew=%" PRId64 " life=%" PRId64 " prompt=%s grace=%" PRId64
              " tasks=%" PRId64 "\n",
              c->version, c->path, c->host_name, c->clock_skew, c->max_lifetime, c->prompt,
              c->session_grace, c->session_tasks_max);
    dump_strv(&b, "aliases", &c->host_aliases);
    sb_printf(&b, "acc %s %u %u..%u %s %s audit %d %s rf=%s\n", c->acc_group, c->acc_gid, c->uid_min,
              c->uid_max, c->acc_home, c->acc_shell, c->audit_syslog, ns(c->audit_file),
              ns(c->revoke_file));
    for (size_t i = 0; i < c->nissuers; i++) {
        const struct dlg_issuer *is = &c->issuers[i];
        sb_printf(&b, "issuer %s typ=%s\n", is->id, is->typ);
        dump_strv(&b, " algs", &is->algorithms);
        dump_strv(&b, " princ", &is->principals);
        for (size_t k = 0; k < is->nkeys; k++)
            sb_printf(&b, " key %s %s %s:%d\n", ns(is->keys[k].kid), is->keys[k].file,
                      ns(is->keys[k].src_file), is->keys[k].line);
    }
    for (size_t i = 0; i < c->nactors; i++)
        dump_actor(&b, &c->actors[i]);
    for (size_t i = 0; i < c->nactors; i++)
        sb_printf(&b, "by-uid %u %s\n", c->actors_by_uid[i]->uid, c->actors_by_uid[i]->name);
    for (size_t i = 0; i < c->ngroups; i++) {
        sb_printf(&b, "group %s %u\n", c->groups[i].name, c->groups[i].gid);
        dump_strv(&b, " members", &c->groups[i].members);
    }
    for (size_t i = 0; i < c->ngroups; i++)
        sb_printf(&b, "by-gid %u %s\n", c->groups_by_gid[i]->gid, c->groups_by_gid[i]->name);
    (void)tickets;              /* a compiled config answers ids only by lookup: see same_revoked */
    dump_strv(&b, "ra", &c->revoked_actors);
    dump_strv(&b, "rp", &c->revoked_principals);
    dump_strv(&b, "ri", &c->revoked_issuers);
    dump_strv(&b, "rk", &c->revoked_keys);
    sb_printf(&b, "ib %d %" PRId64 "\n", c->has_issued_before, c->issued_before);
    for (size_t i = 0; i < c->nfiles; i++)
        sb_printf(&b, "file %s %ju %ju %jd absent=%d\n", c->files[i].path,
                  (uintmax_t)c->files[i].dev, (uintmax_t)c->files[i].ino,
                  (intmax_t)c->files[i].size, c->files[i].absent);
    for (size_t i = 0; i < c->nfeeds; i++) {
        const struct dlg_feed *f = &c->feeds[i];
        sb_printf(&b, "feed %s key=%s url=%s file=%s ca=%s refresh=%" PRId64 " end=%d fetched=%d "
                  "ver=%" PRId64 " iat=%" PRId64 " exp=%" PRId64 "\n", f->id, f->key, ns(f->url),
                  ns(f->file), ns(f->ca), f->refresh, f->on_stale_end, f->fetched, f->ver, f->iat,
                  f->exp);
    }
    return b.p;
}

static void dump_actor(struct sb *bp, const struct dlg_actor *a)
{
    struct sb b = *bp;
    {
        sb_printf(&b, "actor %s %u [%s] %s %s src=%d run=%d life=%" PRId64 " appr=%d rev=%d key=%d\n",
                  a->name, a->uid, a->comment, a->home, a->shell, a->has_sources, a->has_runas,
                  a->max_lifetime, a->approvals, a->revoked, a->key_required);
        dump_strv(&b, " groups", &a->groups);
        dump_strv(&b, " princ", &a->principals);
        dump_strv(&b, " svc", &a->services);
        dump_strv(&b, " runas", &a->runas);
        for (size_t k = 0; k < a->nsources; k++) {
            sb_printf(&b, " cidr %d/%u ", a->sources[k].family, a->sources[k].prefix);
            for (size_t j = 0; j < 16; j++)
                sb_printf(&b, "%02x", a->sources[k].addr[j]);
            sb_printf(&b, "\n");
        }
    }
    *bp = b;
}

static char *actor_str(const struct dlg_actor *a)
{
    struct sb b = {0};
    dump_actor(&b, a);
    return b.p;
}

/* A lazy config (PAM's) finds every actor of the text, equal field by field,
 * by name and by uid, and nothing else. */
static void same_actors_lazy(const struct dlg_config *text, const struct dlg_config *lz)
{
    assert_true(dlg_compiled_lazy(lz));
    assert_int_equal(lz->nactors, 0);
    for (size_t i = 0; i < text->nactors; i++) {
        const struct dlg_actor *a = &text->actors[i];
        const struct dlg_actor *l = dlg_config_actor(lz, a->name);
        assert_non_null(l);
        char *x = actor_str(a), *y = actor_str(l);
        assert_string_equal(x, y);
        free(x);
        free(y);
        assert_ptr_equal(dlg_config_actor_by_uid(lz, a->uid), l);   /* cached */
        assert_ptr_equal(dlg_config_actor(lz, a->name), l);
    }
    assert_null(dlg_config_actor(lz, "no-such-actor"));
    assert_null(dlg_config_actor(lz, ""));
    assert_null(dlg_config_actor_by_uid(lz, 1000));
    assert_null(dlg_config_actor_by_uid(lz, 4294967294u));
}

static void compile_ok(const char *conf, const char *out)
{
    struct dlg_diag diag = {0};
    struct dlg_config *cfg = dlg_config_load_stamped(conf, &diag);

    for (size_t i = 0; i < diag.errors.n; i++)
        fprintf(stderr, "# %s\n", diag.errors.v[i]);
    assert_non_null(cfg);
    assert_int_equal(dlg_compiled_write(cfg, out, &diag), 0);
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
}

/* Every revoked id of the text is revoked in c, with its until, and a few
 * others are not. */
static void same_revoked(const struct dlg_config *text, const struct dlg_config *c)
{
    for (size_t i = 0; i < text->revoked_tickets.n; i++) {
        const char *id = dlg_revoked_id(&text->revoked_tickets, i);
        assert_true(dlg_config_ticket_revoked(c, id));
        assert_int_equal(dlg_revoked_find(&c->revoked_tickets, id)->until,
                         text->revoked_tickets.v[i].until);
    }
    assert_int_equal(c->revoked_tickets.n, text->revoked_tickets.n);
    assert_false(dlg_config_ticket_revoked(c, "not-revoked-1"));
    assert_false(dlg_config_ticket_revoked(c, "x"));
}

/* What PAM and verify do: the compiled form while fresh, else the text. */
static struct dlg_config *load_either(const char *conf, const char *cpath, bool *compiled)
{
    char why[256];
    struct dlg_config *c = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));

    *compiled = c != NULL;
    if (c == NULL)
        c = dlg_config_load(conf, NULL);
    return c;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    char *p = tl_read_file(path, len);
    return (unsigned char *)p;
}

static void spit(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    assert_int_equal(rename(tmp, path), 0);
}

static const char base_conf[] =
    "version = 1;\n"
    "host = { name = \"web01\"; aliases = [\"web01.example.com\"]; };\n"
    "tickets = { clock_skew = 60; max_lifetime = 3600; };\n"
    "issuers = (\n"
    "  { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k1\"; file = \"%1$s/ed.pub\"; }, { kid = \"k2\"; file = \"%1$s/ed.pub\"; } ); },\n"
    "  { id = \"alice\"; algorithms = [\"EdDSA\"]; principals = [\"alice\"]; typ = \"JWT\";\n"
    "    keys = ( { kid = \"a1\"; file = \"%1$s/ed.pub\"; } ); }\n"
    ");\n"
    "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
    "actors = (\n"
    "  { name = \"ci-deploy\"; uid = 62001; comment = \"CI\"; shell = \"/bin/bash\"; groups = [\"deployers\"];\n"
    "    principals = [\"alice\", \"release\"]; services = [\"sshd\"];\n"
    "    sources = [\"10.0.0.0/8\", \"::1/128\"]; max_lifetime = 900; },\n"
    "  { name = \"support-bot\"; uid = 62002; principals = [\"*\"]; services = [\"sudo\"];\n"
    "    runas = [\"alice\", \"bob\"]; approvals = 1; },\n"
    "  { name = \"gone-bot\"; uid = 62003; principals = [\"*\"]; services = [\"sshd\"]; groups = [\"deployers\"];\n"
    "    key_binding = \"required\"; }\n"
    ");\n"
    "groups = ( { name = \"deployers\"; gid = 62100; }, { name = \"empty\"; gid = 62101; } );\n"
    "audit = { syslog = false; };\n"
    "@include \"%1$s/revoked.conf\"\n";

static const char base_revoked[] =
    "revoke = {\n"
    "  tickets = ( { id = \"pppppppp\"; until = \"2026-11-27T10:15:00Z\"; }, { id = \"t-2\"; } );\n"
    "  actors = [\"gone-bot\"]; principals = [\"mallory\"]; issuers = []; keys = [];\n"
    "  issued_before = \"2026-01-01T00:00:00Z\";\n"
    "};\n";

static char *conf, *revoked, *cpath;

static void write_base(void)
{
    char *text = NULL;

    assert_true(asprintf(&text, base_conf, dir) > 0);
    free(tl_write_file(dir, "delegate.conf", text, 0644));
    free(tl_write_file(dir, "revoked.conf", base_revoked, 0644));
    free(text);
}

static int setup(void **state)
{
    (void)state;
    dir = tl_mkdtemp();
    free(tl_write_pub(dir, "ed", tl_key("ed25519")));
    conf = tl_path(dir, "delegate.conf");
    revoked = tl_path(dir, "revoked.conf");
    cpath = tl_path(dir, "policy.bin");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tl_rmtree(dir);
    free(dir);
    free(conf);
    free(revoked);
    free(cpath);
    return 0;
}

static char *ticket(const char *actor, const char *sub, const char *svc, const char *jti,
                    const char *iss, const char *kid)
{
    json_t *c = tl_claims(NOW);
    char *t;

    json_object_set_new(c, "act", json_pack("{s:s}", "sub", actor));
    json_object_set_new(c, "sub", json_string(sub));
    json_object_set_new(c, "svc", json_pack("[s]", svc));
    json_object_set_new(c, "jti", json_string(jti));
    json_object_set_new(c, "iss", json_string(iss));
    t = tl_mint(tl_key("ed25519"), "EdDSA", kid, c);
    json_decref(c);
    return t;
}

static enum dlg_reason decide(const struct dlg_config *c, const char *t, const char *user,
                              const char *service, const char *rhost, const char *runas)
{
    struct dlg_request req = {.user = user, .service = service, .rhost = rhost, .runas = runas,
                              .now = NOW, .once_dir = NULL, .consume_once = false};
    struct dlg_verdict vd;
    enum dlg_reason r;

    memset(&vd, 0, sizeof(vd));
    r = dlg_decide_lazy(c, t, strlen(t), &req, &vd, NULL);
    dlg_verdict_free(&vd);
    return r;
}

/* ---- round trip -------------------------------------------------------- */

static void test_roundtrip(void **state)
{
    struct dlg_config *text, *cpl, *nss;
    char why[256] = "";
    char *a, *b;

    (void)state;
    write_base();
    compile_ok(conf, cpath);
    text = dlg_config_load(conf, NULL);
    assert_non_null(text);
    cpl = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
    if (cpl == NULL)
        fail_msg("compiled form refused: %s", why);
    a = dump(text, true);
    b = dump(cpl, true);
    assert_string_equal(a, b);
    free(b);
    free(a);
    same_revoked(text, cpl);
    {
        struct dlg_config *lz = dlg_compiled_load(cpath, conf, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
        assert_non_null(lz);
        same_actors_lazy(text, lz);
        same_revoked(text, lz);
        dlg_config_free(lz);
    }
    nss = dlg_compiled_load(cpath, conf, DLG_CPL_NO_TICKETS, why, sizeof(why));
    assert_non_null(nss);
    assert_int_equal(nss->revoked_tickets.n, 0);   /* NSS: table not even read */
    a = dump(text, false);
    b = dump(nss, false);
    assert_string_equal(a, b);
    free(b);
    free(a);
    assert_true(dlg_config_ticket_revoked(cpl, "pppppppp"));
    assert_true(dlg_config_ticket_revoked(cpl, "t-2"));
    assert_false(dlg_config_ticket_revoked(cpl, "t-3"));
    /* another config's path: refused */
    assert_null(dlg_compiled_load(cpath, "/etc/delegate/other.conf", 0, why, sizeof(why)));
    assert_non_null(strstr(why, "compiled from"));
    dlg_config_free(nss);
    dlg_config_free(cpl);
    dlg_config_free(text);
}

/* Feeds (DESIGN.md §6a) in the compiled form: every field, and a feed
 * never fetched recorded as an absent source (its appearance is tested in
 * test_feed_config, which may write at its fixed path). */
static void test_roundtrip_feeds(void **state)
{
    struct dlg_config *text, *cpl;
    char why[256] = "", *a, *b, *t, *more = NULL;

    (void)state;
    write_base();
    t = tl_read_file(conf, NULL);
    assert_true(asprintf(&more, "%sfeeds = (\n"
                         "  { id = \"cpl-%ld-a\"; key = \"%s/ed.pub\"; url = \"https://f.example/a.jws\";\n"
                         "    ca = \"/etc/ssl/f.pem\"; refresh = 11; on_stale = \"end\"; },\n"
                         "  { id = \"cpl-%ld-b\"; key = \"%s/ed.pub\"; file = \"/srv/b.jws\"; }\n);\n",
                         t, (long)getpid(), dir, (long)getpid(), dir) > 0);
    free(tl_write_file(dir, "delegate.conf", more, 0644));
    compile_ok(conf, cpath);
    text = dlg_config_load(conf, NULL);
    assert_non_null(text);
    assert_int_equal(text->nfeeds, 2);
    cpl = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
    if (cpl == NULL)
        fail_msg("compiled form refused: %s", why);
    a = dump(text, true);
    b = dump(cpl, true);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "refresh=11 end=1 fetched=0"));
    assert_non_null(strstr(a, "absent=1"));
    assert_non_null(dlg_config_feed_stale(cpl, NOW, true));
    free(a);
    free(b);
    dlg_config_free(cpl);
    dlg_config_free(text);
    free(t);
    free(more);
}

/* ---- differential ------------------------------------------------------ */

static uint32_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static const char *const pnames[] = {"alice", "bob", "release", "carol", "mallory"};
static const char *const svcs[] = {"sshd", "sudo", "su"};
static const char *const rhosts[] = {"10.1.2.3", "192.168.1.1", "::1", NULL};

static void gen_config(int nact)
{
    struct sb b = {0}, r = {0};

    sb_printf(&b, "version = 1;\nhost = { name = \"web01\"; };\n"
                  "tickets = { clock_skew = %u; max_lifetime = %u; };\n",
              rnd(120), 600 + rnd(3000));
    sb_printf(&b, "issuers = (\n"
                  "  { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
                  "    keys = ( { kid = \"k1\"; file = \"%1$s/ed.pub\"; }, { kid = \"k2\"; file = \"%1$s/ed.pub\"; } ); },\n"
                  "  { id = \"alice\"; algorithms = [\"EdDSA\"]; principals = [\"alice\"];\n"
                  "    keys = ( { kid = \"a1\"; file = \"%1$s/ed.pub\"; } ); }\n);\n",
              dir);
    sb_printf(&b, "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
                  "groups = ( { name = \"g1\"; gid = 62100; }, { name = \"g2\"; gid = 62101; } );\n"
                  "actors = (\n");
    for (int i = 0; i < nact; i++) {
        sb_printf(&b, "  { name = \"act%d\"; uid = %d; principals = [", i, 62001 + i);
        if (rnd(4) == 0)
            sb_printf(&b, "\"*\"");
        else
            sb_printf(&b, "\"%s\", \"%s\"", pnames[rnd(5)], pnames[rnd(5)]);
        sb_printf(&b, "]; services = [\"%s\"%s];", svcs[rnd(3)], rnd(2) ? ", \"sshd\"" : "");
        if (rnd(3) == 0)
            sb_printf(&b, " sources = [\"10.0.0.0/8\"%s];", rnd(2) ? ", \"::1/128\"" : "");
        if (rnd(3) == 0)
            sb_printf(&b, " runas = [\"%s\"];", pnames[rnd(5)]);
        if (rnd(4) == 0)
            sb_printf(&b, " max_lifetime = %u;", 100 + rnd(500));
        if (rnd(3) == 0)
            sb_printf(&b, " groups = [\"g%u\"];", 1 + rnd(2));
        sb_printf(&b, " }%s\n", i + 1 < nact ? "," : "");
    }
    sb_printf(&b, ");\naudit = { syslog = false; };\n@include \"%s/revoked.conf\"\n", dir);
    sb_printf(&r, "revoke = {\n  tickets = ( { id = \"pppppppp\"; }");
    for (int i = 0; i < 5; i++)
        if (rnd(2))
            sb_printf(&r, ", { id = \"j%d\"; until = %u; }", i, 1700000000 + rnd(100000000));
    sb_printf(&r, " );\n  actors = [%s]; principals = [%s]; issuers = [%s]; keys = [%s];\n",
              rnd(3) == 0 ? "\"act0\"" : "", rnd(3) == 0 ? "\"bob\"" : "",
              rnd(5) == 0 ? "\"alice\"" : "", rnd(5) == 0 ? "\"k2\"" : "");
    if (rnd(3) == 0)
        sb_printf(&r, "  issued_before = %" PRId64 ";\n", NOW - 100 + (int64_t)rnd(200));
    sb_printf(&r, "};\n");
    free(tl_write_file(dir, "delegate.conf", b.p, 0644));
    free(tl_write_file(dir, "revoked.conf", r.p, 0644));
    free(b.p);
    free(r.p);
}

static void compare_decisions(const struct dlg_config *a, const struct dlg_config *b, int nact,
                              int ntickets, unsigned *admits)
{
    for (int k = 0; k < ntickets; k++) {
        char actor[16], jti[16];
        const char *iss = rnd(4) == 0 ? "alice" : "corp";
        const char *kid = strcmp(iss, "alice") == 0 ? "a1" : (rnd(2) ? "k1" : "k2");
        snprintf(actor, sizeof(actor), "act%u", rnd((uint32_t)nact + 1));
        if (rnd(3) == 0)
            snprintf(jti, sizeof(jti), "j%u", rnd(6));
        else
            snprintf(jti, sizeof(jti), "x%d", k);
        const char *svc = svcs[rnd(3)];
        char *t = ticket(actor, pnames[rnd(5)], svc, jti, iss, kid);
        const char *user = rnd(5) == 0 ? "act0" : actor;
        const char *rh = rhosts[rnd(4)];
        const char *runas = rnd(3) == 0 ? pnames[rnd(5)] : NULL;
        enum dlg_reason ra = decide(a, t, user, svc, rh, runas);
        enum dlg_reason rb = decide(b, t, user, svc, rh, runas);
        if (ra != rb)
            fail_msg("ticket %d (%s %s %s): text %s, compiled %s", k, actor, jti, svc,
                     dlg_reason_str(ra), dlg_reason_str(rb));
        if (ra == DLG_ADMIT)
            (*admits)++;
        free(t);
    }
}

static void test_differential(void **state)
{
    unsigned admits = 0, configs = 0, stale_fallbacks = 0;
    char why[256];

    (void)state;
    for (int round = 0; round < 25; round++) {
        int nact = 2 + (int)rnd(6);
        bool compiled;
        gen_config(nact);
        compile_ok(conf, cpath);
        struct dlg_config *text = dlg_config_load(conf, NULL);
        struct dlg_config *cpl = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
        assert_non_null(text);
        if (cpl == NULL)
            fail_msg("fresh compiled form refused: %s", why);
        same_revoked(text, cpl);
        compare_decisions(text, cpl, nact, 40, &admits);
        dlg_config_free(cpl);
        /* PAM's lazy form: the same decisions */
        cpl = dlg_compiled_load(cpath, conf, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
        assert_non_null(cpl);
        same_actors_lazy(text, cpl);
        compare_decisions(text, cpl, nact, 20, &admits);
        dlg_config_free(cpl);
        dlg_config_free(text);
        configs++;

        /* a random edit without recompiling: the form is stale, the reader
         * falls back, and the decisions follow the new text */
        gen_config(nact);
        text = dlg_config_load(conf, NULL);
        cpl = load_either(conf, cpath, &compiled);
        assert_non_null(text);
        assert_non_null(cpl);
        if (compiled)
            fail_msg("a stale compiled form was used after an edit");
        stale_fallbacks++;
        compare_decisions(text, cpl, nact, 10, &admits);
        dlg_config_free(cpl);
        dlg_config_free(text);
    }
    print_message("# %u configs, %u stale fallbacks, %u admits among the compared decisions\n",
                  configs, stale_fallbacks, admits);
    assert_true(admits > 20);   /* the generator reaches admission, not only denials */
}

/* ---- adversarial ------------------------------------------------------- */

static void test_bitflips_and_truncation(void **state)
{
    unsigned char *orig, *buf;
    size_t len;
    char why[256];
    int64_t at;
    struct dlg_config *ref, *c;
    char *want;
    unsigned refused = 0, same = 0;

    (void)state;
    write_base();
    compile_ok(conf, cpath);
    orig = slurp(cpath, &len);
    ref = dlg_compiled_parse(orig, len, 0, &at, why, sizeof(why));
    assert_non_null(ref);
    want = dump(ref, true);
    buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++) {
        memcpy(buf, orig, len);
        buf[i] ^= (unsigned char)(1u << (i % 8));
        c = dlg_compiled_parse(buf, len, 0, &at, why, sizeof(why));
        if (c == NULL) {
            refused++;
            continue;
        }
        /* only the padding between sections is outside every checksum */
        char *got = dump(c, true);
        if (strcmp(got, want) != 0 || !dlg_config_ticket_revoked(c, "pppppppp") ||
            !dlg_config_ticket_revoked(c, "t-2") || c->revoked_tickets.n != 2)
            fail_msg("flip at %zu changed the policy unnoticed", i);
        free(got);
        dlg_config_free(c);
        same++;
    }
    print_message("# %zu bytes: %u flips refused, %u in padding (policy unchanged)\n", len, refused,
                  same);
    assert_true(refused > len * 9 / 10);
    for (size_t n = 0; n < len; n++)
        assert_null(dlg_compiled_parse(orig, n, 0, &at, why, sizeof(why)));
    /* a flipped file on disk: the reader refuses, the text is read */
    memcpy(buf, orig, len);
    {
        /* inside the revoked id table */
        struct dlg_cpl_section ids;
        memcpy(&ids, orig + sizeof(struct dlg_cpl_header) +
                         (DLG_CPL_SEC_REVOKED_IDS - 1) * sizeof(struct dlg_cpl_section), sizeof(ids));
        assert_int_equal(ids.id, DLG_CPL_SEC_REVOKED_IDS);
        assert_true(ids.count > 3 && ids.offset + ids.count <= len);
        buf[ids.offset + 2] ^= 0x10;
    }
    spit(cpath, buf, len, 0644);
    assert_null(dlg_compiled_load(cpath, conf, 0, why, sizeof(why)));
    assert_non_null(strstr(why, "checksum"));
    free(want);
    dlg_config_free(ref);
    free(buf);
    free(orig);
}

static void expect_refused(const char *what, const char *needle)
{
    char why[256] = "";
    struct dlg_config *c = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));

    if (c != NULL)
        fail_msg("%s: the compiled form was used", what);
    if (needle != NULL && strstr(why, needle) == NULL)
        fail_msg("%s: refused for another reason: %s", what, why);
}

static void expect_fresh(const char *what)
{
    char why[256] = "";
    struct dlg_config *c = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));

    if (c == NULL)
        fail_msg("%s: refused: %s", what, why);
    dlg_config_free(c);
}

static void test_owner_mode_symlink(void **state)
{
    char *link = tl_path(dir, "policy-link.bin");

    (void)state;
    write_base();
    compile_ok(conf, cpath);
    expect_fresh("freshly compiled");
    assert_int_equal(chown(cpath, 1, 0), 0);
    expect_refused("not owned by root", "owned");
    assert_int_equal(chown(cpath, 0, 0), 0);
    assert_int_equal(chmod(cpath, 0664), 0);
    expect_refused("group-writable", NULL);
    assert_int_equal(chmod(cpath, 0646), 0);
    expect_refused("world-writable", NULL);
    assert_int_equal(chmod(cpath, 0644), 0);
    expect_fresh("mode restored");
    unlink(link);
    assert_int_equal(symlink(cpath, link), 0);
    {
        char why[256];
        assert_null(dlg_compiled_load(link, conf, 0, why, sizeof(why)));
    }
    unlink(link);
    free(link);
    /* a source file that became untrusted: refused even with its identity
     * unchanged apart from ctime */
    assert_int_equal(chmod(revoked, 0666), 0);
    expect_refused("revoked.conf world-writable", NULL);
    assert_int_equal(chmod(revoked, 0644), 0);
    expect_refused("revoked.conf chmod back (ctime changed)", "changed");
}

static void test_stale_identity(void **state)
{
    struct timespec ts[2] = {{1700000000, 0}, {1700000000, 0}};
    int fd;

    (void)state;
    write_base();
    compile_ok(conf, cpath);
    expect_fresh("freshly compiled");
    assert_int_equal(utimensat(AT_FDCWD, conf, ts, 0), 0);
    expect_refused("mtime changed", "changed");
    compile_ok(conf, cpath);
    expect_fresh("recompiled");
    fd = open(revoked, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\n", 1), 1);
    close(fd);
    expect_refused("revoked.conf appended", "changed");
    compile_ok(conf, cpath);
    /* replaced by rename (delegatectl revoke's way): new inode */
    free(tl_write_file(dir, "revoked.conf", base_revoked, 0644));
    expect_refused("revoked.conf replaced", NULL);
    /* removed */
    compile_ok(conf, cpath);
    assert_int_equal(unlink(revoked), 0);
    expect_refused("revoked.conf gone", NULL);
    write_base();
}

static void test_dir_group_writable(void **state)
{
    char *sub = tl_path(dir, "sub"), *sconf, *text = NULL, *scp;
    bool compiled;
    struct dlg_config *c;

    (void)state;
    write_base();
    assert_int_equal(mkdir(sub, 0755), 0);
    sconf = tl_path(sub, "delegate.conf");
    scp = tl_path(dir, "sub-policy.bin");
    assert_true(asprintf(&text, base_conf, dir) > 0);
    free(tl_write_file(sub, "delegate.conf", text, 0644));
    compile_ok(sconf, scp);
    {
        char why[256];
        c = dlg_compiled_load(scp, sconf, 0, why, sizeof(why));
        assert_non_null(c);
        dlg_config_free(c);
        /* the file's identity is untouched, its directory is not trusted any more */
        assert_int_equal(chmod(sub, 0775), 0);
        c = dlg_compiled_load(scp, sconf, 0, why, sizeof(why));
        assert_null(c);
        c = load_either(sconf, scp, &compiled);
        assert_null(c);         /* and the text loader refuses it too: config_error */
        assert_int_equal(chmod(sub, 0755), 0);
        c = dlg_compiled_load(scp, sconf, 0, why, sizeof(why));
        assert_non_null(c);     /* directories carry no identity: trusted again */
        dlg_config_free(c);
        /* the compiled form's own directory made group-writable */
        char *cdir = tl_path(dir, "cdir"), *cp2;
        assert_int_equal(mkdir(cdir, 0755), 0);
        cp2 = tl_path(cdir, "policy.bin");
        compile_ok(sconf, cp2);
        assert_int_equal(chmod(cdir, 0777), 0);
        assert_null(dlg_compiled_load(cp2, sconf, 0, why, sizeof(why)));
        assert_int_equal(chmod(cdir, 0755), 0);
        unlink(cp2);
        rmdir(cdir);
        free(cp2);
        free(cdir);
    }
    unlink(sconf);
    unlink(scp);
    rmdir(sub);
    free(text);
    free(sconf);
    free(scp);
    free(sub);
}

/* The reader's rule: an identity whose mtime or ctime is not older than the
 * compile time minus the granularity is never trusted. */
static void test_racy_rule(void **state)
{
    unsigned char *buf;
    size_t len;
    struct dlg_cpl_header h;
    struct stat st;
    struct dlg_diag diag = {0};
    struct dlg_config *cfg;

    (void)state;
    write_base();
    compile_ok(conf, cpath);
    expect_fresh("freshly compiled");
    buf = slurp(cpath, &len);
    assert_int_equal(stat(revoked, &st), 0);
    memcpy(&h, buf, sizeof(h));
    /* pretend it was compiled 1 ms after revoked.conf's last change */
    h.compiled_at_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec + 1000000;
    h.header_hash = 0;
    h.header_hash = dlg_cpl_hash(&h, sizeof(h));
    memcpy(buf, &h, sizeof(h));
    spit(cpath, buf, len, 0644);
    expect_refused("compiled within the granularity", "racily clean");
    free(buf);

    /* the writer: a config loaded right after an edit is not written as is */
    free(tl_write_file(dir, "revoked.conf", base_revoked, 0644));
    cfg = dlg_config_load_stamped(conf, &diag);
    assert_non_null(cfg);
    assert_int_equal(dlg_compiled_write_opt(cfg, cpath, DLG_CPL_WRITE_NOWAIT, &diag), 1);
    /* without NOWAIT it waits, reloads, and what it writes is fresh */
    assert_int_equal(dlg_compiled_write(cfg, cpath, &diag), 0);
    expect_fresh("written after the wait");
    buf = slurp(cpath, &len);
    memcpy(&h, buf, sizeof(h));
    assert_int_equal(stat(revoked, &st), 0);
    assert_true(h.compiled_at_ns - DLG_CPL_GRAN_FINE_NS >
                (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec);
    free(buf);
    dlg_config_free(cfg);
    /* a config read from the compiled form (lazy: no actors materialized,
     * revoked ids only as hashes) is never written out as it is: the writer
     * reloads the text */
    {
        char why[256];
        struct dlg_config *lz = dlg_compiled_load(cpath, conf, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
        struct dlg_config *text = dlg_config_load(conf, NULL), *again;
        assert_non_null(lz);
        assert_int_equal(dlg_compiled_write_opt(lz, cpath, DLG_CPL_WRITE_NOWAIT, &diag), 1);
        assert_int_equal(dlg_compiled_write(lz, cpath, &diag), 0);
        again = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
        assert_non_null(again);
        assert_int_equal(again->nactors, text->nactors);
        same_revoked(text, again);
        dlg_config_free(again);
        dlg_config_free(text);
        dlg_config_free(lz);
    }
    dlg_diag_free(&diag);
}

/* The story the racily-clean rule exists for: a revocation written in place
 * (same size) right after the form was compiled.  Repeated, with the old
 * mtime put back each time (as a coarse clock would leave it): the ticket is
 * denied every time, never admitted from the stale form. */
static void test_same_size_inplace_revocation(void **state)
{
    char *t = ticket("ci-deploy", "alice", "sshd", "qqqqqqqq", "corp", "k1");
    unsigned from_text = 0;

    (void)state;
    for (int i = 0; i < 20; i++) {
        struct stat st;
        struct timespec ts[2];
        bool compiled;
        struct dlg_config *c;
        int fd;

        write_base();
        compile_ok(conf, cpath);
        c = load_either(conf, cpath, &compiled);
        assert_non_null(c);
        assert_true(compiled);
        assert_int_equal(decide(c, t, "ci-deploy", "sshd", "10.1.2.3", NULL), DLG_ADMIT);
        dlg_config_free(c);

        assert_int_equal(stat(revoked, &st), 0);
        fd = open(revoked, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* "pppppppp" -> "qqqqqqqq" at its offset in base_revoked */
        off_t off = (off_t)(strstr(base_revoked, "pppppppp") - base_revoked);
        assert_int_equal(pwrite(fd, "qqqqqqqq", 8, off), 8);
        if (i % 2 == 1) {
            ts[0] = st.st_atim;
            ts[1] = st.st_mtim;
            assert_int_equal(futimens(fd, ts), 0);
        }
        close(fd);

        c = load_either(conf, cpath, &compiled);
        assert_non_null(c);
        assert_false(compiled);
        from_text++;
        assert_int_equal(decide(c, t, "ci-deploy", "sshd", "10.1.2.3", NULL), DLG_REVOKED_TICKET);
        dlg_config_free(c);
    }
    print_message("# 20 in-place same-size revocations: %u read from the text, 0 admitted\n",
                  from_text);
    free(t);
    write_base();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_roundtrip_feeds),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_bitflips_and_truncation),
        cmocka_unit_test(test_owner_mode_symlink),
        cmocka_unit_test(test_stale_identity),
        cmocka_unit_test(test_dir_group_writable),
        cmocka_unit_test(test_racy_rule),
        cmocka_unit_test(test_same_size_inplace_revocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
