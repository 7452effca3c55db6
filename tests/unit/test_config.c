/* delegate.conf loading and validation (DESIGN.md §6): a full config with
 * every field, defaults, lookups, each validation error with its exact
 * FILE:LINE, includes, change detection and the revoke-file validator.
 * Configs are written into a mkdtemp dir under /tmp (trusted: root-owned,
 * 0755, below the sticky /tmp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "util/util.h"

/* One temp dir for the whole run; each test writes its own file names. */
static char tmpdir[64];
static unsigned file_seq;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/dlg-config.XXXXXX");
    if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static char *tmp_path(const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
        fail_msg("asprintf");
    return p;
}

static void write_at(const char *path, const char *text)
{
    char *tmp;
    assert_true(asprintf(&tmp, "%s.tmp", path) > 0);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(tmp, 0644), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

/* A fresh file name per call, so tests never see each other's files. */
static char *write_new(const char *stem, const char *text)
{
    char name[96];
    snprintf(name, sizeof(name), "%s-%u.conf", stem, ++file_seq);
    char *p = tmp_path(name);
    write_at(p, text);
    return p;
}

/* 1-based line of the first occurrence of needle (0 if absent). */
static int line_of(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (hit == NULL)
        fail_msg("needle \"%s\" not in the test text", needle);
    int line = 1;
    for (const char *p = text; p < hit; p++)
        if (*p == '\n')
            line++;
    return line;
}

static void dump(const struct dlg_diag *d)
{
    for (size_t i = 0; i < d->errors.n; i++)
        print_message("#   error: %s\n", d->errors.v[i]);
}

/* Some error starts with exactly "FILE:LINE: " (or "FILE: " for line 0)
 * and contains msg. */
static void assert_error_at(const struct dlg_diag *d, const char *file, int line, const char *msg)
{
    char prefix[512];
    if (line > 0)
        snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
    else
        snprintf(prefix, sizeof(prefix), "%s: ", file);
    for (size_t i = 0; i < d->errors.n; i++) {
        const char *e = d->errors.v[i];
        if (strncmp(e, prefix, strlen(prefix)) == 0 && strstr(e + strlen(prefix), msg) != NULL)
            return;
    }
    dump(d);
    fail_msg("no error \"%s...%s\"", prefix, msg);
}

static struct dlg_config *load_ok(const char *path)
{
    struct dlg_diag d = {0};
    struct dlg_config *cfg = dlg_config_load(path, &d);
    if (cfg == NULL) {
        dump(&d);
        dlg_diag_free(&d);
        fail_msg("%s did not load", path);
    }
    assert_int_equal(d.errors.n, 0);
    dlg_diag_free(&d);
    return cfg;
}

/* ---- a valid full config ----------------------------------------------- */

static const char revoked_text[] =
    "# revocations\n"
    "revoke = {\n"
    "  tickets = ( { id = \"T-2\"; until = \"2026-11-27T10:15:00Z\"; },\n"
    "              { id = \"T-1\"; until = 1795774500; },\n"
    "              { id = \"T-3\"; } );\n"
    "  actors = [\"old-bot\"];\n"
    "  principals = [\"mallory\"];\n"
    "  issuers = [\"ex-corp\"];\n"
    "  keys = [\"k0\"];\n"
    "  issued_before = \"2026-11-01T00:00:00Z\";\n"
    "};\n";

static char *full_config(const char *revoked_path)
{
    char *text;
    int r = asprintf(&text,
        "version = 1;\n"
        "host = { name = \"web01\"; aliases = [\"web01.example.com\", \"WEB01.corp\"]; };\n"
        "tickets = { clock_skew = 30; max_lifetime = \"30m\"; prompt = \"Ticket please: \"; };\n"
        "issuers = (\n"
        "  { id = \"corp\"; algorithms = [\"Ed25519\", \"ES256\", \"EdDSA\"]; principals = [\"*\"];\n"
        "    keys = ( { kid = \"k1\"; file = \"/etc/delegate/keys/k1.pub\"; },\n"
        "             { kid = \"k2\"; file = \"/etc/delegate/keys/k2.pub\"; } ); },\n"
        "  { id = \"alice\"; principals = [\"alice\"]; typ = \"JWT\";\n"
        "    keys = ( { kid = \"a1\"; file = \"/etc/delegate/keys/alice.pub\"; } ); }\n"
        ");\n"
        "accounts = { group = \"dlg\"; gid = 63000; uid_min = 63001; uid_max = 63100;\n"
        "             home = \"/home/dlg/%%u\"; shell = \"/bin/false\"; };\n"
        "actors = (\n"
        "  { name = \"ci-deploy\"; uid = 63005; comment = \"CI deploy pipeline\"; shell = \"/bin/bash\";\n"
        "    groups = [\"deployers\", \"readers\"]; principals = [\"alice\", \"release\"];\n"
        "    services = [\"sshd\"]; sources = [\"10.0.0.0/8\", \"127.0.0.1/32\", \"::1\"];\n"
        "    max_lifetime = 900; approvals = 0; },\n"
        "  { name = \"support-bot\"; uid = 63002; principals = [\"*\"]; services = [\"sudo\", \"sshd\"];\n"
        "    runas = [\"alice\", \"bob\"]; approvals = 2; home = \"/srv/bots/%%u/home\";\n"
        "    groups = [\"readers\"]; max_lifetime = 7200; },\n"
        "  { name = \"old-bot\"; uid = 63050; principals = [\"x\"]; services = [\"sshd\"];\n"
        "    groups = [\"readers\"]; }\n"
        ");\n"
        "groups = ( { name = \"readers\"; gid = 63200; }, { name = \"deployers\"; gid = 63100; } );\n"
        "audit = { syslog = false; file = \"/var/log/delegate/audit.jsonl\"; };\n"
        "@include \"%s\"\n",
        revoked_path);
    assert_true(r > 0);
    return text;
}

static void test_full_config(void **state)
{
    (void)state;
    char *rev = write_new("revoked", revoked_text);
    char *text = full_config(rev);
    char *path = write_new("full", text);
    struct dlg_config *cfg = load_ok(path);

    assert_int_equal(cfg->version, 1);
    assert_string_equal(cfg->path, path);
    assert_string_equal(cfg->host_name, "web01");
    assert_int_equal(cfg->host_aliases.n, 2);
    assert_string_equal(cfg->host_aliases.v[0], "web01.example.com");
    assert_string_equal(cfg->host_aliases.v[1], "WEB01.corp");
    assert_int_equal(cfg->clock_skew, 30);
    assert_int_equal(cfg->max_lifetime, 1800);
    assert_string_equal(cfg->prompt, "Ticket please: ");

    /* issuers, sorted by id */
    assert_int_equal(cfg->nissuers, 2);
    assert_string_equal(cfg->issuers[0].id, "alice");
    assert_string_equal(cfg->issuers[1].id, "corp");
    const struct dlg_issuer *corp = dlg_config_issuer(cfg, "corp");
    assert_ptr_equal(corp, &cfg->issuers[1]);
    assert_int_equal(corp->algorithms.n, 2);    /* Ed25519 == EdDSA, deduplicated */
    assert_string_equal(corp->algorithms.v[0], "EdDSA");
    assert_string_equal(corp->algorithms.v[1], "ES256");
    assert_int_equal(corp->principals.n, 1);
    assert_string_equal(corp->principals.v[0], "*");
    assert_string_equal(corp->typ, "dlg+jwt");
    assert_int_equal(corp->nkeys, 2);
    assert_string_equal(corp->keys[0].kid, "k1");
    assert_string_equal(corp->keys[0].file, "/etc/delegate/keys/k1.pub");
    assert_string_equal(corp->keys[0].src_file, path);
    assert_int_equal(corp->keys[0].line, line_of(text, "{ kid = \"k1\""));
    assert_string_equal(corp->keys[1].kid, "k2");
    assert_int_equal(corp->keys[1].line, line_of(text, "{ kid = \"k2\""));
    const struct dlg_issuer *al = dlg_config_issuer(cfg, "alice");
    assert_non_null(al);
    assert_string_equal(al->typ, "JWT");
    assert_int_equal(al->algorithms.n, 1);
    assert_string_equal(al->algorithms.v[0], "EdDSA");      /* default */
    assert_string_equal(al->principals.v[0], "alice");
    assert_null(dlg_config_issuer(cfg, "nobody"));
    assert_null(dlg_config_issuer(cfg, NULL));

    /* accounts */
    assert_string_equal(cfg->acc_group, "dlg");
    assert_int_equal(cfg->acc_gid, 63000);
    assert_int_equal(cfg->uid_min, 63001);
    assert_int_equal(cfg->uid_max, 63100);
    assert_string_equal(cfg->acc_home, "/home/dlg/%u");
    assert_string_equal(cfg->acc_shell, "/bin/false");

    /* actors sorted by name, with defaults applied */
    assert_int_equal(cfg->nactors, 3);
    assert_string_equal(cfg->actors[0].name, "ci-deploy");
    assert_string_equal(cfg->actors[1].name, "old-bot");
    assert_string_equal(cfg->actors[2].name, "support-bot");
    const struct dlg_actor *ci = dlg_config_actor(cfg, "ci-deploy");
    assert_non_null(ci);
    assert_int_equal(ci->uid, 63005);
    assert_string_equal(ci->comment, "CI deploy pipeline");
    assert_string_equal(ci->home, "/home/dlg/ci-deploy");
    assert_string_equal(ci->shell, "/bin/bash");
    assert_int_equal(ci->groups.n, 2);
    assert_string_equal(ci->groups.v[0], "deployers");
    assert_string_equal(ci->groups.v[1], "readers");
    assert_int_equal(ci->principals.n, 2);
    assert_true(dlg_strv_contains(&ci->principals, "release"));
    assert_int_equal(ci->services.n, 1);
    assert_string_equal(ci->services.v[0], "sshd");
    assert_true(ci->has_sources);
    assert_int_equal(ci->nsources, 3);
    assert_true(dlg_cidr_match(&ci->sources[0], "10.20.30.40"));
    assert_true(dlg_cidr_match(&ci->sources[1], "127.0.0.1"));
    assert_true(dlg_cidr_match(&ci->sources[2], "::1"));
    assert_false(ci->has_runas);
    assert_int_equal(ci->max_lifetime, 900);                /* min(900, 1800) */
    assert_int_equal(ci->approvals, 0);
    assert_false(ci->revoked);

    const struct dlg_actor *sb = dlg_config_actor(cfg, "support-bot");
    assert_non_null(sb);
    assert_string_equal(sb->comment, "");
    assert_string_equal(sb->home, "/srv/bots/support-bot/home");
    assert_string_equal(sb->shell, "/bin/false");           /* accounts.shell */
    assert_true(sb->has_runas);
    assert_int_equal(sb->runas.n, 2);
    assert_string_equal(sb->runas.v[1], "bob");
    assert_false(sb->has_sources);
    assert_int_equal(sb->nsources, 0);
    assert_int_equal(sb->max_lifetime, 1800);               /* min(7200, 1800) */
    assert_int_equal(sb->approvals, 2);
    assert_int_equal(sb->services.n, 2);

    const struct dlg_actor *old = dlg_config_actor(cfg, "old-bot");
    assert_non_null(old);                                   /* still a configured actor */
    assert_true(old->revoked);

    assert_ptr_equal(dlg_config_actor_by_uid(cfg, 63005), ci);
    assert_ptr_equal(dlg_config_actor_by_uid(cfg, 63002), sb);
    assert_ptr_equal(dlg_config_actor_by_uid(cfg, 63050), old);
    assert_null(dlg_config_actor_by_uid(cfg, 63003));
    assert_null(dlg_config_actor_by_uid(cfg, 0));
    assert_null(dlg_config_actor(cfg, "root"));
    assert_null(dlg_config_actor(cfg, "ci-deplo"));
    assert_null(dlg_config_actor(cfg, NULL));

    /* groups: sorted, members exclude the revoked actor */
    assert_int_equal(cfg->ngroups, 2);
    assert_string_equal(cfg->groups[0].name, "deployers");
    assert_string_equal(cfg->groups[1].name, "readers");
    const struct dlg_group *rd = dlg_config_group(cfg, "readers");
    assert_non_null(rd);
    assert_int_equal(rd->gid, 63200);
    assert_int_equal(rd->members.n, 2);
    assert_string_equal(rd->members.v[0], "ci-deploy");
    assert_string_equal(rd->members.v[1], "support-bot");
    const struct dlg_group *dp = dlg_config_group_by_gid(cfg, 63100);
    assert_non_null(dp);
    assert_string_equal(dp->name, "deployers");
    assert_int_equal(dp->members.n, 1);
    assert_ptr_equal(dlg_config_group_by_gid(cfg, 63200), rd);
    assert_null(dlg_config_group_by_gid(cfg, 63000));       /* accounts group is separate */
    assert_null(dlg_config_group(cfg, "dlg"));
    assert_null(dlg_config_group(cfg, "wheel"));

    /* audit */
    assert_false(cfg->audit_syslog);
    assert_string_equal(cfg->audit_file, "/var/log/delegate/audit.jsonl");

    /* revocations, from the included file */
    assert_string_equal(cfg->revoke_file, rev);
    assert_int_equal(cfg->revoked_tickets.n, 3);
    assert_non_null(dlg_revoked_find(&cfg->revoked_tickets, "T-1"));
    assert_int_equal(dlg_revoked_find(&cfg->revoked_tickets, "T-1")->until, 1795774500);
    assert_non_null(dlg_revoked_find(&cfg->revoked_tickets, "T-2"));
    assert_int_equal(dlg_revoked_find(&cfg->revoked_tickets, "T-2")->until, 1795774500);
    assert_non_null(dlg_revoked_find(&cfg->revoked_tickets, "T-3"));
    assert_int_equal(dlg_revoked_find(&cfg->revoked_tickets, "T-3")->until, 0);
    assert_true(dlg_config_ticket_revoked(cfg, "T-1"));
    assert_true(dlg_config_ticket_revoked(cfg, "T-3"));
    assert_false(dlg_config_ticket_revoked(cfg, "T-4"));
    assert_false(dlg_config_ticket_revoked(cfg, "t-1"));
    assert_false(dlg_config_ticket_revoked(cfg, NULL));
    assert_true(dlg_strv_contains(&cfg->revoked_actors, "old-bot"));
    assert_true(dlg_strv_contains(&cfg->revoked_principals, "mallory"));
    assert_true(dlg_strv_contains(&cfg->revoked_issuers, "ex-corp"));
    assert_true(dlg_strv_contains(&cfg->revoked_keys, "k0"));
    assert_true(cfg->has_issued_before);
    assert_int_equal(cfg->issued_before, 1793491200);

    /* both files recorded */
    assert_int_equal(cfg->nfiles, 2);
    assert_string_equal(cfg->files[0].path, path);
    assert_string_equal(cfg->files[1].path, rev);
    assert_true(dlg_config_unchanged(cfg));

    dlg_config_free(cfg);
    free(path);
    free(text);
    free(rev);
}

static void test_defaults(void **state)
{
    (void)state;
    const char text[] =
        "version = 1;\n"
        "issuers = ( { id = \"corp\"; principals = [\"*\"];\n"
        "              keys = ( { kid = \"k\"; file = \"/k.pub\"; } ); } );\n"
        "actors = ( { name = \"bot\"; uid = 62001; principals = [\"p\"]; services = [\"sshd\"]; } );\n";
    char *path = write_new("defaults", text);
    struct dlg_config *cfg = load_ok(path);
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);

    assert_string_equal(cfg->host_name, host);
    assert_int_equal(cfg->host_aliases.n, 0);
    assert_int_equal(cfg->clock_skew, 60);
    assert_int_equal(cfg->max_lifetime, 3600);
    assert_string_equal(cfg->prompt, "Delegation ticket: ");
    assert_string_equal(cfg->acc_group, "delegated");
    assert_int_equal(cfg->acc_gid, 62000);
    assert_int_equal(cfg->uid_min, 62001);
    assert_int_equal(cfg->uid_max, 62999);
    assert_string_equal(cfg->acc_home, "/var/lib/delegate/%u");
    assert_string_equal(cfg->acc_shell, "/usr/sbin/nologin");
    assert_true(cfg->audit_syslog);
    assert_null(cfg->audit_file);
    assert_null(cfg->revoke_file);
    assert_int_equal(cfg->revoked_tickets.n, 0);
    assert_false(cfg->has_issued_before);
    assert_false(dlg_config_ticket_revoked(cfg, "x"));
    assert_int_equal(cfg->ngroups, 0);
    assert_null(dlg_config_group(cfg, "x"));
    assert_null(dlg_config_group_by_gid(cfg, 62000));
    assert_int_equal(cfg->session_grace, 5);
    assert_int_equal(cfg->session_tasks_max, 1024);

    const struct dlg_issuer *is = dlg_config_issuer(cfg, "corp");
    assert_non_null(is);
    assert_string_equal(is->typ, "dlg+jwt");
    assert_int_equal(is->algorithms.n, 1);
    assert_string_equal(is->algorithms.v[0], "EdDSA");

    const struct dlg_actor *a = dlg_config_actor(cfg, "bot");
    assert_non_null(a);
    assert_string_equal(a->home, "/var/lib/delegate/bot");
    assert_string_equal(a->shell, "/usr/sbin/nologin");
    assert_string_equal(a->comment, "");
    assert_int_equal(a->groups.n, 0);
    assert_int_equal(a->max_lifetime, 3600);
    assert_int_equal(a->approvals, 0);
    assert_false(a->has_sources);
    assert_false(a->has_runas);
    assert_false(a->revoked);
    dlg_config_free(cfg);
    free(path);
}

static void test_many_revoked_ids(void **state)
{
    (void)state;
    enum { N = 10000 };
    size_t cap = (size_t)N * 80 + 256, len = 0;
    char *rtext = malloc(cap);
    assert_non_null(rtext);
    len += (size_t)snprintf(rtext + len, cap - len, "revoke = {\n  tickets = (\n");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(rtext + len, cap - len,
                                "    { id = \"01JDX3-%05d\"; until = \"2026-11-27T10:15:00Z\"; }%s\n",
                                (i * 7919) % N, i + 1 < N ? "," : "");
    snprintf(rtext + len, cap - len, "  );\n};\n");
    char *rev = write_new("revoked-many", rtext);
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", rev) > 0);
    char *path = write_new("many", text);

    struct dlg_config *cfg = load_ok(path);
    assert_int_equal(cfg->revoked_tickets.n, N);
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof(id), "01JDX3-%05d", i);
        assert_true(dlg_config_ticket_revoked(cfg, id));
        snprintf(id, sizeof(id), "01JDX4-%05d", i);
        assert_false(dlg_config_ticket_revoked(cfg, id));
    }
    /* bsearch, not a scan, judged against this machine itself rather than
     * a wall-clock bound: the same misses against 10,000 ids cost a small
     * multiple of what they cost against 16 ids (a scan: ~600x; a binary
     * search: ~3x), in CPU time, best of 5 runs each. */
    char *stext;
    assert_true(asprintf(&stext, "version = 1;\nrevoke = { tickets = ( %s ); };\n",
                         "{ id = \"01JDX3-00000\"; }, { id = \"01JDX3-00001\"; }, "
                         "{ id = \"01JDX3-00002\"; }, { id = \"01JDX3-00003\"; }, "
                         "{ id = \"01JDX3-00004\"; }, { id = \"01JDX3-00005\"; }, "
                         "{ id = \"01JDX3-00006\"; }, { id = \"01JDX3-00007\"; }, "
                         "{ id = \"01JDX3-00008\"; }, { id = \"01JDX3-00009\"; }, "
                         "{ id = \"01JDX3-00010\"; }, { id = \"01JDX3-00011\"; }, "
                         "{ id = \"01JDX3-00012\"; }, { id = \"01JDX3-00013\"; }, "
                         "{ id = \"01JDX3-00014\"; }, { id = \"01JDX3-00015\"; }") > 0);
    char *spath = write_new("few", stext);
    struct dlg_config *few = load_ok(spath);
    assert_int_equal(few->revoked_tickets.n, 16);
    double best[2] = { 1e9, 1e9 };
    for (int run = 0; run < 10; run++) {
        const struct dlg_config *c = run % 2 ? few : cfg;
        struct timespec t0, t1;
        unsigned hits = 0;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        for (int i = 0; i < 20 * N; i++) {
            char id[32];
            snprintf(id, sizeof(id), "01JDX4-%05d", i % N);
            hits += dlg_config_ticket_revoked(c, id);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        assert_int_equal(hits, 0);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (secs < best[run % 2])
            best[run % 2] = secs;
    }
    print_message("# misses: %.3f s against 10,000 ids, %.3f s against 16\n", best[0], best[1]);
    assert_true(best[0] < 30 * best[1]);
    dlg_config_free(few);
    free(spath);
    free(stext);
    dlg_config_free(cfg);
    free(path);
    free(text);
    free(rev);
    free(rtext);
}

static void test_int64_with_L_suffix(void **state)
{
    (void)state;
    const char text[] =
        "version = 1;\n"
        "revoke = { issued_before = 5000000000L; tickets = ( { id = \"x\"; until = 4102444800L; } ); };\n";
    char *path = write_new("int64", text);
    struct dlg_config *cfg = load_ok(path);
    assert_true(cfg->has_issued_before);
    assert_int_equal(cfg->issued_before, INT64_C(5000000000));
    assert_int_equal(cfg->revoked_tickets.v[0].until, INT64_C(4102444800));
    assert_string_equal(cfg->revoke_file, path);            /* revoke group in the main file */
    dlg_config_free(cfg);
    free(path);
}

static void test_plain_string_revoked_ids_and_duplicates(void **state)
{
    (void)state;
    const char text[] =
        "version = 1;\n"
        "revoke = { tickets = ( \"a1\", { id = \"a1\"; until = 100; }, { id = \"b\"; until = 5; },\n"
        "                       { id = \"b\"; until = 9; } ); };\n";
    char *path = write_new("dupids", text);
    struct dlg_config *cfg = load_ok(path);
    assert_int_equal(cfg->revoked_tickets.n, 2);
    assert_non_null(dlg_revoked_find(&cfg->revoked_tickets, "a1"));
    assert_int_equal(dlg_revoked_find(&cfg->revoked_tickets, "a1")->until, 0);     /* one entry without until: keep forever */
    assert_non_null(dlg_revoked_find(&cfg->revoked_tickets, "b"));
    assert_int_equal(dlg_revoked_find(&cfg->revoked_tickets, "b")->until, 9);     /* the later until wins */
    dlg_config_free(cfg);
    free(path);
}

static void test_locale_restored(void **state)
{
    (void)state;
    locale_t mine = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    assert_non_null(mine);
    locale_t before = uselocale(mine);
    char *path = write_new("locale", "version = 1;\n");
    struct dlg_config *cfg = dlg_config_load(path, NULL);
    assert_non_null(cfg);
    assert_ptr_equal(uselocale((locale_t)0), mine);         /* libconfig reset it; we restored */
    dlg_config_free(cfg);
    uselocale(before);
    freelocale(mine);
    free(path);
}

/* ---- each validation error, with its exact FILE:LINE ------------------- */

#define ACTOR_OK "name = \"a1\"; uid = 62001; principals = [\"p\"]; services = [\"sshd\"];"
#define KEYS_OK "keys = ( { kid = \"k\"; file = \"/k.pub\"; } );"

struct error_case {
    const char *name;
    const char *text;
    const char *at;             /* text on the line the error must point at; NULL = line 0 */
    const char *msg;
};

static const struct error_case error_cases[] = {
    /* unknown settings, at every level */
    {"unknown top-level setting", "version = 1;\nactorz = ();\n", "actorz",
     "unknown setting 'actorz' in the top level"},
    {"unknown host setting", "version = 1;\nhost = {\n  name = \"h\";\n  alias = [\"x\"];\n};\n",
     "alias", "unknown setting 'alias' in host"},
    {"unknown tickets setting", "version = 1;\ntickets = {\n  clock_skwe = 5;\n};\n", "clock_skwe",
     "unknown setting 'clock_skwe' in tickets"},
    {"unknown accounts setting", "version = 1;\naccounts = {\n  uidmin = 62001;\n};\n", "uidmin",
     "unknown setting 'uidmin' in accounts"},
    {"unknown actor setting",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  sourcse = [\"10.0.0.0/8\"];\n} );\n",
     "sourcse", "unknown setting 'sourcse' in an actor"},
    {"unknown issuer setting",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n"
     "  algorithm = [\"EdDSA\"]; } );\n", "algorithm =", "unknown setting 'algorithm' in an issuer"},
    {"unknown issuer key setting",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"];\n"
     "  keys = ( { kid = \"k\"; file = \"/k.pub\"; format = \"pem\"; } ); } );\n", "format",
     "unknown setting 'format' in an issuer key"},
    {"unknown group setting",
     "version = 1;\ngroups = (\n  { name = \"g\"; gid = 62100; members = []; }\n);\n", "members",
     "unknown setting 'members' in a group"},
    {"unknown audit setting", "version = 1;\naudit = {\n  sylog = false;\n};\n", "sylog",
     "unknown setting 'sylog' in audit"},
    {"unknown revoke setting", "version = 1;\nrevoke = {\n  ticket = [];\n};\n", "ticket =",
     "unknown setting 'ticket' in revoke"},
    /* sessions = { grace = N; } (issue 10) */
    {"unknown sessions setting", "version = 1;\nsessions = {\n  grace_s = 5;\n};\n", "grace_s",
     "unknown setting 'grace_s' in sessions"},
    {"negative sessions.grace", "version = 1;\nsessions = {\n  grace = -1;\n};\n", "grace",
     "'grace' must not be negative"},
    {"sessions.grace over an hour", "version = 1;\nsessions = {\n  grace = 3601;\n};\n", "grace",
     "'grace' must be at most 3600 seconds"},
    /* sessions.tasks_max (issue 18 item 15) */
    {"negative sessions.tasks_max", "version = 1;\nsessions = {\n  tasks_max = -1;\n};\n", "tasks_max",
     "'tasks_max' must be 0 (no limit) .. 4194304"},
    {"sessions.tasks_max too big", "version = 1;\nsessions = {\n  tasks_max = 4194305;\n};\n", "tasks_max",
     "'tasks_max' must be 0 (no limit) .. 4194304"},
    {"sessions.tasks_max too small to log in", "version = 1;\nsessions = {\n  tasks_max = 7;\n};\n",
     "tasks_max", "'tasks_max' must be at least 8"},
    {"sessions.tasks_max a string", "version = 1;\nsessions = {\n  tasks_max = \"many\";\n};\n",
     "tasks_max", "'tasks_max' must be an integer"},
    {"sessions.grace a float", "version = 1;\nsessions = {\n  grace = 1.5;\n};\n", "grace",
     "'grace' must be an integer number of seconds"},
    {"sessions is a list", "version = 1;\nsessions = [ 5 ];\n", "sessions",
     "'sessions' must be a group"},
    {"unknown revoked ticket setting",
     "version = 1;\nrevoke = {\n  tickets = (\n    { id = \"x\"; untill = 5; }\n  );\n};\n", "untill",
     "unknown setting 'untill' in a revoked ticket"},

    /* wrong types */
    {"uid is a string", "version = 1;\nactors = ( {\n  name = \"a1\"; principals = [\"p\"]; services = [\"sshd\"];\n"
     "  uid = \"62001\";\n} );\n", "uid =", "'uid' must be an integer"},
    {"services is a string",
     "version = 1;\nactors = ( {\n  name = \"a1\"; uid = 62001; principals = [\"p\"];\n  services = \"sshd\";\n} );\n",
     "services =", "'services' must be a list of strings"},
    {"principals of numbers",
     "version = 1;\nactors = ( {\n  name = \"a1\"; uid = 62001; services = [\"sshd\"];\n  principals = [1, 2];\n} );\n",
     "principals =", "'principals' must be a list of strings"},
    {"syslog is an int", "version = 1;\naudit = {\n  syslog = 1;\n};\n", "syslog",
     "'syslog' must be true or false"},
    {"version is a string", "\nversion = \"1\";\n", "version", "'version' must be an integer"},
    {"actors is a group", "version = 1;\nactors = { };\n", "actors",
     "'actors' must be a list of groups"},
    {"host is a list", "version = 1;\nhost = [\"web01\"];\n", "host", "'host' must be a group"},
    {"clock_skew is a float", "version = 1;\ntickets = { clock_skew = 1.5; };\n", "clock_skew",
     "'clock_skew' must be an integer number of seconds"},
    {"issued_before is a bool", "version = 1;\nrevoke = { issued_before = true; };\n",
     "issued_before", "'issued_before' must be an RFC 3339 time string or integer seconds"},

    /* version */
    {"version 2", "# v\nversion = 2;\n", "version", "version must be 1"},
    {"version missing", "host = { name = \"h\"; };\n", NULL,
     "missing required setting 'version'"},

    /* ids */
    {"actor uid outside range",
     "version = 1;\nactors = ( {\n  name = \"a1\"; principals = [\"p\"]; services = [\"sshd\"];\n"
     "  uid = 63000;\n} );\n", "uid =", "uid 63000 is outside accounts.uid_min..uid_max (62001..62999)"},
    {"actor uid below 1000",
     "version = 1;\nactors = ( {\n  name = \"a1\"; principals = [\"p\"]; services = [\"sshd\"];\n"
     "  uid = 999;\n} );\n", "uid =", "'uid' 999 is below 1000"},
    {"uid_min below 1000", "version = 1;\naccounts = {\n  uid_min = 500;\n};\n", "uid_min",
     "'uid_min' 500 is below 1000"},
    {"accounts gid below 1000", "version = 1;\naccounts = {\n  gid = 100;\n};\n", "gid",
     "'gid' 100 is below 1000"},
    {"group gid below 1000", "version = 1;\ngroups = (\n  { name = \"g\"; gid = 10; }\n);\n", "gid",
     "'gid' 10 is below 1000"},
    {"uid_min above uid_max", "version = 1;\naccounts = {\n  uid_min = 63000;\n  uid_max = 62500;\n};\n",
     "uid_min", "uid_min 63000 is greater than uid_max 62500"},
    {"negative uid (wrapped)", "version = 1;\naccounts = {\n  gid = -5;\n};\n", "gid",
     "'gid' -5 is negative"},

    /* duplicates */
    {"duplicate actor name",
     "version = 1;\nactors = (\n  { name = \"a1\"; uid = 62001; principals = [\"p\"]; services = [\"sshd\"]; },\n"
     "  { name = \"a1\"; uid = 62002; principals = [\"p\"]; services = [\"sshd\"]; }\n);\n",
     "uid = 62002", "duplicate actor name 'a1'"},
    {"duplicate actor uid",
     "version = 1;\nactors = (\n  { name = \"a1\"; uid = 62001; principals = [\"p\"]; services = [\"sshd\"]; },\n"
     "  { name = \"a2\"; principals = [\"p\"]; services = [\"sshd\"];\n    uid = 62001; }\n);\n",
     "uid = 62001; }", "duplicate uid 62001"},
    {"duplicate group name",
     "version = 1;\ngroups = (\n  { name = \"g\"; gid = 62100; },\n  { name = \"g\"; gid = 62101; }\n);\n",
     "gid = 62101", "duplicate group name 'g'"},
    {"group named like the accounts group",
     "version = 1;\ngroups = (\n  { name = \"delegated\"; gid = 62100; }\n);\n", "delegated",
     "duplicate group name 'delegated'"},
    {"duplicate group gid",
     "version = 1;\ngroups = (\n  { name = \"g\"; gid = 62100; },\n  { name = \"h\"; gid = 62100; }\n);\n",
     "\"h\"", "duplicate gid 62100"},
    {"group gid equals accounts gid",
     "version = 1;\ngroups = (\n  { name = \"g\"; gid = 62000; }\n);\n", "62000",
     "duplicate gid 62000"},
    {"duplicate issuer id",
     "version = 1;\nissuers = (\n  { id = \"i\"; principals = [\"*\"]; " KEYS_OK " },\n"
     "  { id = \"i\"; principals = [\"*\"]; " KEYS_OK " }\n);\n", "  { id = \"i\"; principals = [\"*\"]; keys = ( { kid = \"k\"; file = \"/k.pub\"; } ); }\n",
     "duplicate issuer id 'i'"},
    {"duplicate key id within an issuer",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; keys = (\n"
     "  { kid = \"k\"; file = \"/k1.pub\"; },\n  { kid = \"k\"; file = \"/k2.pub\"; }\n); } );\n",
     "/k2.pub", "duplicate key id 'k'"},

    /* names */
    {"invalid actor name",
     "version = 1;\nactors = ( {\n  uid = 62001; principals = [\"p\"]; services = [\"sshd\"];\n  name = \"Bad Name\";\n} );\n",
     "Bad Name", "invalid user name 'Bad Name'"},
    {"invalid group name", "version = 1;\ngroups = (\n  { name = \"9g\"; gid = 62100; }\n);\n", "9g",
     "invalid group name '9g'"},
    {"invalid accounts group name", "version = 1;\naccounts = {\n  group = \"De:leg\";\n};\n", "De:leg",
     "invalid group name 'De:leg'"},
    {"invalid runas user",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  runas = [\"alice\", \"Bob\"];\n} );\n", "runas",
     "invalid user name 'Bob' in 'runas'"},
    {"invalid principal",
     "version = 1;\nactors = ( {\n  name = \"a1\"; uid = 62001; services = [\"sshd\"];\n  principals = [\"two words\"];\n} );\n",
     "two words", "invalid principal 'two words'"},
    {"invalid host name", "version = 1;\nhost = {\n  name = \"web 01\";\n};\n", "web 01",
     "invalid host name 'web 01'"},
    {"revoked actor name invalid", "version = 1;\nrevoke = {\n  actors = [\"ok\", \"NOT OK\"];\n};\n",
     "NOT OK", "invalid user name 'NOT OK'"},

    /* paths */
    {"relative accounts home", "version = 1;\naccounts = {\n  home = \"home/%u\";\n};\n", "home",
     "'home' must be an absolute path"},
    {"accounts home with unknown %", "version = 1;\naccounts = {\n  home = \"/home/%n\";\n};\n", "home",
     "'home' must be an absolute path"},
    {"relative actor home", "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  home = \"bot\";\n} );\n",
     "home", "'home' must be an absolute path"},
    {"relative shell", "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  shell = \"bash\";\n} );\n",
     "shell", "'shell' must be an absolute path"},
    {"relative accounts shell", "version = 1;\naccounts = {\n  shell = \"nologin\";\n};\n", "shell",
     "'shell' must be an absolute path"},
    {"relative key file",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; keys = (\n"
     "  { kid = \"k\"; file = \"keys/k.pub\"; }\n); } );\n", "keys/k.pub",
     "key file 'keys/k.pub' must be an absolute path"},
    {"relative audit file", "version = 1;\naudit = {\n  file = \"audit.jsonl\";\n};\n", "audit.jsonl",
     "'file' must be an absolute path"},
    {"comment with a colon",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  comment = \"a:b\";\n} );\n", "comment",
     "'comment' must not contain ':'"},

    /* algorithms, issuers, keys */
    {"algorithm none",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n  algorithms = [\"none\"]; } );\n",
     "algorithms", "unknown algorithm 'none'"},
    {"algorithm HS256",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n  algorithms = [\"EdDSA\",\n  \"HS256\"]; } );\n",
     "\"HS256\"", "unknown algorithm 'HS256'"},
    {"algorithm RS384",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n  algorithms = [\"RS384\"]; } );\n",
     "algorithms", "unknown algorithm 'RS384'"},
    {"empty algorithms",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n  algorithms = []; } );\n",
     "algorithms", "'algorithms' must be a non-empty list"},
    {"issuer without keys", "version = 1;\nissuers = (\n  { id = \"i\"; principals = [\"*\"]; }\n);\n",
     "{ id", "issuer 'i' has no keys"},
    {"issuer with an empty key list",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"];\n  keys = ();\n} );\n", "keys",
     "issuer 'i' has no keys"},
    {"issuer without principals",
     "version = 1;\nissuers = (\n  { id = \"i\"; " KEYS_OK " }\n);\n", "{ id",
     "missing required setting 'principals'"},
    {"issuer typ invalid",
     "version = 1;\nissuers = ( { id = \"i\"; principals = [\"*\"]; " KEYS_OK "\n  typ = \"jwt\"; } );\n",
     "typ", "'typ' must be \"dlg+jwt\" or \"JWT\""},

    /* actors and groups */
    {"actor group not defined",
     "version = 1;\ngroups = ( { name = \"g\"; gid = 62100; } );\nactors = ( {\n  " ACTOR_OK "\n  groups = [\"g\", \"nope\"];\n} );\n",
     "groups = [", "group 'nope' is not defined in 'groups'"},
    {"empty principals",
     "version = 1;\nactors = ( {\n  name = \"a1\"; uid = 62001; services = [\"sshd\"];\n  principals = [];\n} );\n",
     "principals", "'principals' must not be empty"},
    {"empty services",
     "version = 1;\nactors = ( {\n  name = \"a1\"; uid = 62001; principals = [\"p\"];\n  services = [];\n} );\n",
     "services", "'services' must not be empty"},
    {"missing services",
     "version = 1;\nactors = (\n  { name = \"a1\"; uid = 62001; principals = [\"p\"]; }\n);\n", "{ name",
     "actor 'a1': missing required setting 'services'"},
    {"missing uid",
     "version = 1;\nactors = (\n  { name = \"a1\"; principals = [\"p\"]; services = [\"sshd\"]; }\n);\n",
     "{ name", "actor 'a1': missing required setting 'uid'"},
    {"invalid CIDR (host bits)",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  sources = [\"127.0.0.1/32\",\n    \"10.0.0.1/8\"];\n} );\n",
     "10.0.0.1/8", "invalid CIDR '10.0.0.1/8'"},
    {"invalid CIDR (name)",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  sources = [\"gateway.example.com\"];\n} );\n",
     "sources", "invalid CIDR 'gateway.example.com'"},
    {"approvals negative", "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  approvals = -1;\n} );\n",
     "approvals", "'approvals' must not be negative"},

    /* times */
    {"negative clock_skew", "version = 1;\ntickets = {\n  clock_skew = -5;\n};\n", "clock_skew",
     "'clock_skew' must not be negative"},
    {"wrapped max_lifetime", "version = 1;\ntickets = {\n  max_lifetime = 3000000000;\n};\n",
     "max_lifetime", "'max_lifetime' must not be negative"},
    {"zero max_lifetime", "version = 1;\ntickets = {\n  max_lifetime = 0;\n};\n", "max_lifetime",
     "'max_lifetime' must be greater than 0"},
    {"bad duration string", "version = 1;\ntickets = {\n  max_lifetime = \"1 hour\";\n};\n",
     "max_lifetime", "'max_lifetime' is not a duration"},
    {"negative actor max_lifetime",
     "version = 1;\nactors = ( {\n  " ACTOR_OK "\n  max_lifetime = -900;\n} );\n", "max_lifetime",
     "'max_lifetime' must not be negative"},
    {"negative until",
     "version = 1;\nrevoke = { tickets = (\n  { id = \"x\"; until = -1; }\n); };\n", "until",
     "'until' must not be negative"},
    {"bad until string",
     "version = 1;\nrevoke = { tickets = (\n  { id = \"x\"; until = \"tomorrow\"; }\n); };\n", "until",
     "'until' is not an RFC 3339 time"},
    {"negative issued_before", "version = 1;\nrevoke = {\n  issued_before = -100;\n};\n",
     "issued_before", "'issued_before' must not be negative"},
    {"issued_before without zone",
     "version = 1;\nrevoke = {\n  issued_before = \"2026-11-01T00:00:00\";\n};\n", "issued_before",
     "'issued_before' is not an RFC 3339 time"},
    {"int above 2^31 without L (wraps to a positive value)",
     "version = 1;\nrevoke = {\n  issued_before = 5000000000;\n};\n", "issued_before",
     "integer 5000000000 does not fit in 32 bits"},
    {"hex above 2^31 without L", "version = 1;\naccounts = {\n  gid = 0x80000000;\n};\n", "gid",
     "integer 0x80000000 does not fit in 32 bits"},

    /* revocation entries */
    {"invalid jti", "version = 1;\nrevoke = { tickets = (\n  { id = \"bad id!\"; }\n); };\n", "bad id",
     "invalid ticket id 'bad id!'"},
    {"too long jti",
     "version = 1;\nrevoke = { tickets = (\n  \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n); };\n",
     "0123", "invalid ticket id"},
    {"revoked ticket entry of wrong type", "version = 1;\nrevoke = { tickets = (\n  42\n); };\n", "42",
     "each entry of 'tickets' must be"},

    /* parse errors */
    {"syntax error line", "version = 1;\nactors = (\n  { name = \"a\"; uid = ; }\n);\n", "uid = ;",
     "syntax error"},
    {"duplicate setting", "version = 1;\nhost = { name = \"a\";\n  name = \"b\"; };\n", "\"b\"",
     "duplicate setting name"},
};

static void test_error_case(void **state)
{
    const struct error_case *c = *state;
    char *path = write_new("case", c->text);
    struct dlg_diag d = {0};
    struct dlg_config *cfg = dlg_config_load(path, &d);
    if (cfg != NULL) {
        dlg_config_free(cfg);
        fail_msg("\"%s\" loaded", c->name);
    }
    assert_error_at(&d, path, c->at != NULL ? line_of(c->text, c->at) : 0, c->msg);
    dlg_diag_free(&d);
    free(path);
}

/* ---- includes, several errors, parse errors ---------------------------- */

static void test_error_in_included_file(void **state)
{
    (void)state;
    const char inc_text[] = "# revoked\nrevoke = {\n  tickets = ( { id = \"ok\"; },\n"
                            "    { id = \"not ok\"; } );\n};\n";
    char *inc = write_new("inc-err", inc_text);
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\naudit = { syslog = 2; };\n", inc) > 0);
    char *path = write_new("main-inc-err", text);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(path, &d));
    assert_int_equal(d.errors.n, 2);
    assert_error_at(&d, inc, line_of(inc_text, "not ok"), "invalid ticket id 'not ok'");
    assert_error_at(&d, path, 3, "'syslog' must be true or false");
    dlg_diag_free(&d);
    free(path);
    free(text);
    free(inc);
}

static void test_parse_error_in_included_file(void **state)
{
    (void)state;
    const char inc_text[] = "revoke = {\n  actors = [\"a\"];\n  keys = ];\n};\n";
    char *inc = write_new("inc-parse", inc_text);
    char *text;
    assert_true(asprintf(&text, "version = 1;\n\n@include \"%s\"\n", inc) > 0);
    char *path = write_new("main-inc-parse", text);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(path, &d));
    assert_int_equal(d.errors.n, 1);
    assert_error_at(&d, inc, 3, "syntax error");
    dlg_diag_free(&d);
    free(path);
    free(text);
    free(inc);
}

static void test_multiple_errors_reported_together(void **state)
{
    (void)state;
    const char text[] =
        "version = 1;\n"
        "tickets = { clock_skew = -1; };\n"
        "issuers = ( { id = \"i\"; principals = [\"*\"]; algorithms = [\"HS256\"];\n"
        "              keys = ( { kid = \"k\"; file = \"/k.pub\"; } ); } );\n"
        "actors = (\n"
        "  { name = \"a1\"; uid = 5; principals = [\"p\"]; services = [\"sshd\"]; },\n"
        "  { name = \"a2\"; uid = 62002; principals = []; services = [\"sshd\"]; groups = [\"x\"]; }\n"
        ");\n"
        "audit = { file = \"log\"; };\n"
        "bogus = 1;\n";
    char *path = write_new("multi", text);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(path, &d));
    assert_error_at(&d, path, 2, "'clock_skew' must not be negative");
    assert_error_at(&d, path, 3, "unknown algorithm 'HS256'");
    assert_error_at(&d, path, 6, "'uid' 5 is below 1000");
    assert_error_at(&d, path, 7, "'principals' must not be empty");
    assert_error_at(&d, path, 7, "group 'x' is not defined");
    assert_error_at(&d, path, 9, "'file' must be an absolute path");
    assert_error_at(&d, path, 10, "unknown setting 'bogus'");
    assert_int_equal(d.errors.n, 7);
    dlg_diag_free(&d);
    free(path);
}

static void test_relative_include_refused(void **state)
{
    (void)state;
    char *inc = tmp_path("rel-revoked.conf");
    write_at(inc, "revoke = { actors = [\"x\"]; };\n");
    const char text[] = "version = 1;\n# the path below is relative\n@include \"rel-revoked.conf\"\n";
    char *path = write_new("relinc", text);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(tmpdir), 0);          /* would resolve if we let libconfig try */
    struct dlg_diag d = {0};
    struct dlg_config *cfg = dlg_config_load(path, &d);
    assert_int_equal(chdir(cwd), 0);
    assert_null(cfg);
    assert_int_equal(d.errors.n, 1);
    assert_error_at(&d, path, 3, "@include \"rel-revoked.conf\": the path must be absolute");
    dlg_diag_free(&d);
    free(path);
    free(inc);
}

static void test_missing_include(void **state)
{
    (void)state;
    char *missing = tmp_path("does-not-exist.conf");
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", missing) > 0);
    char *path = write_new("missinc", text);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(path, &d));
    assert_error_at(&d, path, 2, missing);
    dlg_diag_free(&d);
    free(path);
    free(text);
    free(missing);
}

static void test_commented_include_ignored(void **state)
{
    (void)state;
    const char text[] = "version = 1;\n# @include \"relative.conf\"\n/*\n@include \"/nonexistent\"\n*/\n"
                        "host = { name = \"a\"; }; // @include \"x\"\n";
    char *path = write_new("cominc", text);
    struct dlg_config *cfg = load_ok(path);
    assert_int_equal(cfg->nfiles, 1);
    dlg_config_free(cfg);
    free(path);
}

/* `delegatectl revoke` renames a new revoked.conf into place while other
 * processes load the config: a load that races with the rename is retried,
 * so every load succeeds (an atomic edit must never deny with
 * config_error). */
static void test_load_survives_concurrent_renames(void **state)
{
    (void)state;
    char *rev = tmp_path("race-revoked.conf");
    char *main_text;
    write_at(rev, "revoke = { tickets = ( { id = \"A\"; } ); };\n");
    assert_true(asprintf(&main_text, "version = 1;\n@include \"%s\"\n", rev) > 0);
    char *path = write_new("race", main_text);
    /* the writer goes on until the reader has loaded 50 times (and for at
     * least 400 renames), however the two are scheduled; between renames
     * it pauses twice the longest load the reader measured (2..100 ms), so
     * that renames stay rarer than loads on a slow machine too (the
     * loader retries a raced load a bounded number of times) */
    int *shared_loads = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(shared_loads != MAP_FAILED);
    int *longest_us = shared_loads + 1;
    *shared_loads = 0;
    *longest_us = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s.w", rev);
        for (int i = 0; i < 400 || __atomic_load_n(shared_loads, __ATOMIC_SEQ_CST) < 50; i++) {
            FILE *fp = fopen(tmp, "w");
            if (fp == NULL)
                _exit(1);
            fprintf(fp, "revoke = { tickets = ( { id = \"A%d\"; } ); };\n", i);
            fclose(fp);
            chmod(tmp, 0644);
            if (rename(tmp, rev) != 0)
                _exit(1);
            int pause = 2 * __atomic_load_n(longest_us, __ATOMIC_SEQ_CST);
            pause = pause < 2000 ? 2000 : pause > 100000 ? 100000 : pause;
            usleep((useconds_t)pause);
        }
        _exit(0);
    }
    int failures = 0, loads = 0;
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        struct dlg_diag d;
        struct timespec t0, t1;
        memset(&d, 0, sizeof(d));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct dlg_config *cfg = dlg_config_load(path, &d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int us = (int)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
        if (us > __atomic_load_n(longest_us, __ATOMIC_SEQ_CST))
            __atomic_store_n(longest_us, us, __ATOMIC_SEQ_CST);
        if (cfg == NULL) {
            failures++;
            if (d.errors.n > 0)
                fprintf(stderr, "# load failed: %s\n", d.errors.v[0]);
        } else {
            assert_int_equal(cfg->revoked_tickets.n, 1);
        }
        loads++;
        __atomic_store_n(shared_loads, loads, __ATOMIC_SEQ_CST);
        dlg_config_free(cfg);
        dlg_diag_free(&d);
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(loads >= 50);
    munmap(shared_loads, 2 * sizeof(int));
    assert_int_equal(failures, 0);
    free(main_text);
    free(path);
    free(rev);
}

static void test_nested_includes(void **state)
{
    (void)state;
    char *inner = write_new("inner", "revoke = { keys = [\"k9\"];\n  bad = 1; };\n");
    char *mid_text;
    assert_true(asprintf(&mid_text, "audit = { syslog = false; };\n@include \"%s\"\n", inner) > 0);
    char *mid = write_new("mid", mid_text);
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", mid) > 0);
    char *path = write_new("outer", text);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(path, &d));
    assert_int_equal(d.errors.n, 1);
    assert_error_at(&d, inner, 2, "unknown setting 'bad' in revoke");
    dlg_diag_free(&d);

    write_at(inner, "revoke = { keys = [\"k9\"]; };\n");
    struct dlg_config *cfg = load_ok(path);
    assert_int_equal(cfg->nfiles, 3);
    assert_false(cfg->audit_syslog);
    assert_true(dlg_strv_contains(&cfg->revoked_keys, "k9"));
    assert_string_equal(cfg->revoke_file, inner);
    dlg_config_free(cfg);
    free(path);
    free(text);
    free(mid);
    free(mid_text);
    free(inner);
}

static void test_include_loop_refused(void **state)
{
    (void)state;
    char *a = tmp_path("loop-a.conf"), *b = tmp_path("loop-b.conf");
    char *ta, *tb;
    assert_true(asprintf(&ta, "version = 1;\n@include \"%s\"\n", b) > 0);
    assert_true(asprintf(&tb, "x = 1;\n@include \"%s\"\n", a) > 0);
    write_at(a, ta);
    write_at(b, tb);
    struct dlg_diag d = {0};
    assert_null(dlg_config_load(a, &d));
    assert_true(d.errors.n >= 1);
    dlg_diag_free(&d);
    free(ta);
    free(tb);
    free(a);
    free(b);
}

/* ---- change detection -------------------------------------------------- */

static void test_unchanged(void **state)
{
    (void)state;
    char *inc = write_new("chg-revoked", "revoke = { actors = []; };\n");
    char *text;
    assert_true(asprintf(&text, "version = 1;\n@include \"%s\"\n", inc) > 0);
    char *path = write_new("chg", text);

    struct dlg_config *cfg = load_ok(path);
    assert_true(dlg_config_unchanged(cfg));
    assert_true(dlg_config_unchanged(cfg));
    /* rename-replace of the main file with identical content */
    write_at(path, text);
    assert_false(dlg_config_unchanged(cfg));
    dlg_config_free(cfg);

    cfg = load_ok(path);
    assert_true(dlg_config_unchanged(cfg));
    /* touching the included file */
    struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 1000000000, .tv_nsec = 0}};
    assert_int_equal(utimensat(AT_FDCWD, inc, ts, 0), 0);
    assert_false(dlg_config_unchanged(cfg));
    dlg_config_free(cfg);

    cfg = load_ok(path);
    assert_true(dlg_config_unchanged(cfg));
    /* chmod leaves mtime alone but must still be noticed (trust re-check) */
    assert_int_equal(chmod(inc, 0600), 0);
    assert_false(dlg_config_unchanged(cfg));
    dlg_config_free(cfg);

    cfg = load_ok(path);
    assert_int_equal(unlink(inc), 0);
    assert_false(dlg_config_unchanged(cfg));
    dlg_config_free(cfg);
    assert_false(dlg_config_unchanged(NULL));
    free(path);
    free(text);
    free(inc);
}

/* ---- revoke file validation -------------------------------------------- */

static void test_revoke_file_validate(void **state)
{
    (void)state;
    char *good = write_new("rv-good", revoked_text);
    struct dlg_diag d = {0};
    assert_int_equal(dlg_revoke_file_validate(good, &d), 0);
    assert_int_equal(d.errors.n, 0);

    char *empty = write_new("rv-empty", "revoke = { tickets = (); actors = []; };\n");
    assert_int_equal(dlg_revoke_file_validate(empty, &d), 0);

    const char bad_text[] = "revoke = {\n  tickets = ( { id = \"a b\"; } );\n  issued_before = -1;\n};\n"
                            "version = 1;\n";
    char *bad = write_new("rv-bad", bad_text);
    assert_int_equal(dlg_revoke_file_validate(bad, &d), -1);
    assert_error_at(&d, bad, 2, "invalid ticket id 'a b'");
    assert_error_at(&d, bad, 3, "'issued_before' must not be negative");
    assert_error_at(&d, bad, 5, "unknown setting 'version'");
    assert_int_equal(d.errors.n, 3);
    dlg_diag_free(&d);

    char *typo = write_new("rv-typo", "revoke = {\n  actor = [\"x\"];\n};\n");
    assert_int_equal(dlg_revoke_file_validate(typo, &d), -1);
    assert_error_at(&d, typo, 2, "unknown setting 'actor' in revoke");
    dlg_diag_free(&d);

    char *none = write_new("rv-none", "# nothing\n");
    assert_int_equal(dlg_revoke_file_validate(none, &d), -1);
    assert_error_at(&d, none, 0, "no 'revoke' group");
    dlg_diag_free(&d);

    char *parse = write_new("rv-parse", "revoke = {\n  actors = [\"x\"\n};\n");
    assert_int_equal(dlg_revoke_file_validate(parse, &d), -1);
    assert_int_equal(d.errors.n, 1);
    assert_non_null(strstr(d.errors.v[0], parse));
    dlg_diag_free(&d);

    assert_int_equal(chmod(good, 0666), 0);
    assert_int_equal(dlg_revoke_file_validate(good, &d), -1);
    assert_non_null(strstr(d.errors.v[0], "writable"));
    dlg_diag_free(&d);

    free(parse);
    free(none);
    free(typo);
    free(bad);
    free(empty);
    free(good);
}

/* The shipped example config is valid once its include points at the
 * shipped revoked.conf (tests never read /etc/delegate). */
static void test_shipped_example(void **state)
{
    (void)state;
    FILE *fp = fopen("conf/delegate.conf", "r");
    if (fp == NULL)
        skip();
    char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    fp = fopen("conf/revoked.conf", "r");
    assert_non_null(fp);
    char rbuf[8192];
    size_t rn = fread(rbuf, 1, sizeof(rbuf) - 1, fp);
    fclose(fp);
    rbuf[rn] = '\0';
    char *rev = write_new("example-revoked", rbuf);
    char *hit = strstr(buf, "@include \"/etc/delegate/revoked.conf\"");
    assert_non_null(hit);
    char *text;
    assert_true(asprintf(&text, "%.*s@include \"%s\"%s", (int)(hit - buf), buf, rev,
                         hit + strlen("@include \"/etc/delegate/revoked.conf\"")) > 0);
    char *path = write_new("example", text);
    struct dlg_config *cfg = load_ok(path);
    assert_string_equal(cfg->host_name, "web01");
    assert_non_null(dlg_config_actor(cfg, "ci-deploy"));
    assert_non_null(dlg_config_actor(cfg, "support-bot"));
    assert_int_equal(dlg_config_actor(cfg, "ci-deploy")->max_lifetime, 900);
    assert_non_null(dlg_config_issuer(cfg, "alice"));
    assert_true(cfg->has_issued_before);
    dlg_config_free(cfg);
    free(path);
    free(text);
    free(rev);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_many_revoked_ids),
        cmocka_unit_test(test_int64_with_L_suffix),
        cmocka_unit_test(test_plain_string_revoked_ids_and_duplicates),
        cmocka_unit_test(test_locale_restored),
        cmocka_unit_test(test_error_in_included_file),
        cmocka_unit_test(test_parse_error_in_included_file),
        cmocka_unit_test(test_multiple_errors_reported_together),
        cmocka_unit_test(test_relative_include_refused),
        cmocka_unit_test(test_missing_include),
        cmocka_unit_test(test_commented_include_ignored),
        cmocka_unit_test(test_nested_includes),
        cmocka_unit_test(test_include_loop_refused),
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_revoke_file_validate),
        cmocka_unit_test(test_load_survives_concurrent_renames),
        cmocka_unit_test(test_shipped_example),
    };
    enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]),
           NCASES = sizeof(error_cases) / sizeof(error_cases[0]) };
    struct CMUnitTest tests[NFIXED + NCASES];
    char names[NCASES][128];

    memcpy(tests, fixed, sizeof(fixed));
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof(names[i]), "error: %s", error_cases[i].name);
        tests[NFIXED + i] = (struct CMUnitTest){
            .name = names[i],
            .test_func = test_error_case,
            .initial_state = (void *)&error_cases[i],
        };
    }
    return _cmocka_run_group_tests("config", tests, NFIXED + NCASES, group_setup, group_teardown);
}
