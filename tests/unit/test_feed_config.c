/* Revocation feeds in the config (config/config_feed.c) and the compiled
 * form (DESIGN.md §6a):
 * - every error of the feeds list, with its FILE:LINE;
 * - a feed never fetched: stale, its revocation file recorded as absent, so
 *   that its first appearance makes the config (and the compiled form)
 *   stale;
 * - a verified feed's revocation file (written by common/feed/) merged with
 *   revoked.conf's revocations: tickets (sorted, one entry per id, the later
 *   until), actors (no longer group members), principals, issuers, keys,
 *   the later issued_before;
 * - an unsafe, foreign or broken revocation file makes the config unusable;
 * - the compiled form carries the feeds and their revocations, and is stale
 *   once the revocation file changes, appears or disappears.
 *
 * The revocation files live at a fixed path (DLG_FEED_REVOKED_DIR): this
 * program runs in a mount namespace of its own with a tmpfs on /var/lib
 * (run-test_feed_config.sh) and refuses to run elsewhere. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/compiled.h"
#include "feed/feed.h"
#include "fields_dump.h"
#include "testlib.h"

#define TMPFS_MAGIC 0x01021994

static char *dir, *feed_pub, *conf_path, *cpl_path;
static int64_t now;

static int setup(void **state)
{
    struct statfs sf;

    (void)state;
    if (statfs("/var/lib", &sf) != 0 || sf.f_type != TMPFS_MAGIC) {
        fprintf(stderr, "# test_feed_config writes %s: run it through run-test_feed_config.sh "
                        "(a private mount namespace with a tmpfs on /var/lib)\n",
                DLG_FEED_REVOKED_DIR);
        return -1;
    }
    now = (int64_t)time(NULL);
    dir = tl_mkdtemp();
    feed_pub = tl_write_pub(dir, "feed", tl_key("ed25519"));
    free(tl_write_pub(dir, "corp", tl_key("p256")));
    conf_path = tl_path(dir, "delegate.conf");
    cpl_path = tl_path(dir, "policy.bin");
    if (mkdir("/var/lib/delegate", 0755) != 0 && errno != EEXIST)
        return -1;
    if (mkdir(DLG_FEED_REVOKED_DIR, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tl_rmtree(dir);
    free(dir);
    free(feed_pub);
    free(conf_path);
    free(cpl_path);
    return 0;
}

static void dump(const struct dlg_diag *d)
{
    for (size_t i = 0; i < d->errors.n; i++)
        print_message("#   error: %s\n", d->errors.v[i]);
}

static int line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    int line = 1;

    assert_non_null(at);
    for (const char *p = text; p < at; p++)
        if (*p == '\n')
            line++;
    return line;
}

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

/* ---- the feeds list ------------------------------------------------------ */

#define FEED_OK "id = \"corp\"; key = \"/k.pub\"; url = \"https://r.example/corp.jws\";"

static const struct {
    const char *name, *text, *at, *msg;
} cases[] = {
    {"not a list", "version = 1;\nfeeds = { id = \"x\"; };\n", "feeds", "must be a list of groups"},
    {"entry not a group", "version = 1;\nfeeds = ( \"corp\" );\n", "\"corp\"", "must be a group"},
    {"unknown setting", "version = 1;\nfeeds = ( {\n  " FEED_OK "\n  refesh = 5; } );\n", "refesh",
     "unknown setting 'refesh' in a feed"},
    {"id missing", "version = 1;\nfeeds = ( { key = \"/k.pub\";\n  file = \"/f.jws\"; } );\n", "key",
     "missing required setting 'id'"},
    {"id with a slash", "version = 1;\nfeeds = ( {\n  id = \"a/b\"; key = \"/k.pub\"; file = \"/f\"; } );\n",
     "a/b", "invalid feed id 'a/b'"},
    {"id starting with a dot", "version = 1;\nfeeds = ( {\n  id = \"..\"; key = \"/k.pub\"; file = \"/f\"; } );\n",
     "\"..\"", "invalid feed id"},
    {"duplicate id", "version = 1;\nfeeds = ( { " FEED_OK " },\n  { " FEED_OK " } );\n", "  { id",
     "duplicate feed id 'corp'"},
    {"key missing", "version = 1;\nfeeds = ( {\n  id = \"corp\"; file = \"/f\"; } );\n", "feeds",
     "missing required setting 'key'"},
    {"key relative", "version = 1;\nfeeds = ( { id = \"corp\";\n  key = \"k.pub\"; file = \"/f\"; } );\n",
     "k.pub", "'key' must be an absolute path"},
    {"url and file", "version = 1;\nfeeds = ( { " FEED_OK "\n  file = \"/f.jws\"; } );\n", "/f.jws",
     "either 'url' or 'file'"},
    {"neither url nor file", "version = 1;\nfeeds = ( {\n  id = \"corp\"; key = \"/k.pub\"; } );\n",
     "feeds", "missing required setting 'url'"},
    {"http url", "version = 1;\nfeeds = ( { id = \"corp\"; key = \"/k.pub\";\n  url = \"http://r/corp.jws\"; } );\n",
     "http:", "must be an https:// URL"},
    {"url with a blank", "version = 1;\nfeeds = ( { id = \"corp\"; key = \"/k.pub\";\n  url = \"https://r/a b\"; } );\n",
     "a b", "must be an https:// URL"},
    {"file relative", "version = 1;\nfeeds = ( { id = \"corp\"; key = \"/k.pub\";\n  file = \"f.jws\"; } );\n",
     "f.jws", "'file' must be an absolute path"},
    {"ca with a file", "version = 1;\nfeeds = ( { id = \"corp\"; key = \"/k.pub\"; file = \"/f\";\n  ca = \"/ca.pem\"; } );\n",
     "ca.pem", "'ca' applies only"},
    {"ca relative", "version = 1;\nfeeds = ( { " FEED_OK "\n  ca = \"ca.pem\"; } );\n", "ca.pem",
     "'ca' must be an absolute path"},
    {"refresh 0", "version = 1;\nfeeds = ( { " FEED_OK "\n  refresh = 0; } );\n", "refresh",
     "'refresh' must be 1..86400"},
    {"refresh too large", "version = 1;\nfeeds = ( { " FEED_OK "\n  refresh = 86401; } );\n", "refresh",
     "'refresh' must be 1..86400"},
    {"refresh a string", "version = 1;\nfeeds = ( { " FEED_OK "\n  refresh = \"30\"; } );\n", "refresh",
     "'refresh' must be an integer"},
    {"on_stale unknown", "version = 1;\nfeeds = ( { " FEED_OK "\n  on_stale = \"warn\"; } );\n", "warn",
     "'on_stale' must be \"refuse\" or \"end\""},
};

static void test_feeds_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = tl_write_file(dir, "case.conf", cases[i].text, 0644);
        struct dlg_diag d = {0};
        struct dlg_config *c = dlg_config_load(p, &d);
        if (c != NULL)
            fail_msg("\"%s\" loaded", cases[i].name);
        assert_error_at(&d, p, line_of(cases[i].text, cases[i].at), cases[i].msg);
        dlg_diag_free(&d);
        free(p);
    }
}

/* ---- a feed's revocations ----------------------------------------------- */

static const char config_fmt[] =
    "version = 1;\n"
    "host = { name = \"h1\"; };\n"
    "issuers = ( { id = \"corp\"; algorithms = [\"ES256\"]; principals = [\"*\"];\n"
    "              keys = ( { kid = \"k1\"; file = \"%1$s/corp.pub\"; } ); } );\n"
    "actors = ( { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"];\n"
    "             groups = [\"deployers\"]; },\n"
    "           { name = \"gone\"; uid = 62002; principals = [\"*\"]; services = [\"sshd\"];\n"
    "             groups = [\"deployers\"]; } );\n"
    "groups = ( { name = \"deployers\"; gid = 62100; } );\n"
    "revoke = { tickets = ( { id = \"local-1\"; }, { id = \"t-2\"; until = 100; } );\n"
    "           principals = [\"local-p\"]; issued_before = %2$" PRId64 "; };\n"
    "feeds = ( { id = \"corp\"; key = \"%3$s\"; url = \"https://feeds.example/corp.jws\";\n"
    "            ca = \"/etc/ssl/ca.pem\"; refresh = 7; on_stale = \"end\"; },\n"
    "          { id = \"local\"; key = \"%3$s\"; file = \"/srv/local.jws\"; } );\n";

static void write_config(void)
{
    char *text;

    if (asprintf(&text, config_fmt, dir, now - 1000, feed_pub) < 0)
        abort();
    free(tl_write_file(dir, "delegate.conf", text, 0644));
    free(text);
}

static struct dlg_config *load_ok(void)
{
    struct dlg_diag d = {0};
    struct dlg_config *c = dlg_config_load(conf_path, &d);

    if (c == NULL) {
        dump(&d);
        fail_msg("%s did not load", conf_path);
    }
    dlg_diag_free(&d);
    return c;
}

/* Sign, verify and write the revocation file of feed id, version ver. */
static void publish(const char *id, int64_t ver, int64_t issued_before)
{
    struct dlg_feed_revs revs;
    struct dlg_feed_doc d;
    char err[512], fp[80];
    EVP_PKEY *pub = dlg_feed_key_load(feed_pub, fp, sizeof(fp), err, sizeof(err));
    char *t;

    assert_non_null(pub);
    memset(&revs, 0, sizeof(revs));
    revs.tickets = calloc(3, sizeof(*revs.tickets));
    revs.tickets[0].id = strdup("t-2");
    revs.tickets[0].until = now + 500;
    revs.tickets[1].id = strdup("feed-1");
    revs.tickets[2].id = strdup("a-first");
    revs.tickets[2].until = now + 50;
    revs.ntickets = 3;
    assert_int_equal(dlg_strv_push(&revs.actors, "gone"), 0);
    assert_int_equal(dlg_strv_push(&revs.principals, "local-p"), 0);
    assert_int_equal(dlg_strv_push(&revs.principals, "mallory"), 0);
    assert_int_equal(dlg_strv_push(&revs.issuers, "old-iss"), 0);
    assert_int_equal(dlg_strv_push(&revs.keys, "k-old"), 0);
    revs.has_issued_before = true;
    revs.issued_before = issued_before;
    t = dlg_feed_sign(tl_key("ed25519"), id, ver, now, now + 600, &revs, err, sizeof(err));
    assert_non_null(t);
    if (dlg_feed_verify(t, strlen(t), id, pub, now, &d, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(dlg_feed_revfile_write(DLG_FEED_REVOKED_DIR, &d, err, sizeof(err)), 0);
    dlg_feed_doc_free(&d);
    dlg_feed_revs_free(&revs);
    EVP_PKEY_free(pub);
    free(t);
}

static void remove_revfiles(void)
{
    unlink(DLG_FEED_REVOKED_DIR "/corp.conf");
    unlink(DLG_FEED_REVOKED_DIR "/local.conf");
}

static void test_never_fetched(void **state)
{
    struct dlg_config *c;
    size_t absent = 0;

    (void)state;
    remove_revfiles();
    write_config();
    c = load_ok();
    assert_int_equal(c->nfeeds, 2);
    assert_string_equal(c->feeds[0].id, "corp");
    assert_string_equal(c->feeds[0].url, "https://feeds.example/corp.jws");
    assert_string_equal(c->feeds[0].ca, "/etc/ssl/ca.pem");
    assert_int_equal(c->feeds[0].refresh, 7);
    assert_true(c->feeds[0].on_stale_end);
    assert_null(c->feeds[1].url);
    assert_string_equal(c->feeds[1].file, "/srv/local.jws");
    assert_int_equal(c->feeds[1].refresh, 30);
    assert_false(c->feeds[1].on_stale_end);
    assert_false(c->feeds[0].fetched);
    assert_true(dlg_feed_is_stale(&c->feeds[0], now));
    assert_ptr_equal(dlg_config_feed_stale(c, now, false), &c->feeds[0]);
    assert_ptr_equal(dlg_config_feed(c, "local"), &c->feeds[1]);
    assert_null(dlg_config_feed(c, "nope"));
    for (size_t i = 0; i < c->nfiles; i++)
        absent += c->files[i].absent;
    assert_int_equal(absent, 2);
    assert_true(dlg_config_unchanged(c));
    /* the first verified version appears: every cache must load again */
    publish("corp", 1, now - 10);
    assert_false(dlg_config_unchanged(c));
    dlg_config_free(c);
    c = load_ok();
    assert_true(c->feeds[0].fetched);
    assert_false(c->feeds[1].fetched);
    assert_true(dlg_config_unchanged(c));
    dlg_config_free(c);
}

static void test_merged(void **state)
{
    struct dlg_config *c;
    const struct dlg_group *g;

    (void)state;
    remove_revfiles();
    write_config();
    publish("corp", 9, now - 10);
    c = load_ok();
    assert_true(c->feeds[0].fetched);
    assert_int_equal(c->feeds[0].ver, 9);
    assert_int_equal(c->feeds[0].iat, now);
    assert_int_equal(c->feeds[0].exp, now + 600);
    assert_false(dlg_feed_is_stale(&c->feeds[0], now + 599));
    assert_true(dlg_feed_is_stale(&c->feeds[0], now + 600));
    /* tickets: revoked.conf's and the feed's, each once, t-2 with the
     * later until */
    assert_int_equal(c->revoked_tickets.n, 4);
    assert_non_null(dlg_revoked_find(&c->revoked_tickets, "a-first"));
    assert_non_null(dlg_revoked_find(&c->revoked_tickets, "feed-1"));
    assert_non_null(dlg_revoked_find(&c->revoked_tickets, "local-1"));
    assert_non_null(dlg_revoked_find(&c->revoked_tickets, "t-2"));
    assert_int_equal(dlg_revoked_find(&c->revoked_tickets, "t-2")->until, now + 500);
    assert_true(dlg_config_ticket_revoked(c, "feed-1"));
    assert_true(dlg_config_ticket_revoked(c, "local-1"));
    assert_false(dlg_config_ticket_revoked(c, "other"));
    /* names: a union; the revoked actor resolves no more as a member */
    assert_true(dlg_strv_contains(&c->revoked_actors, "gone"));
    assert_true(dlg_config_actor(c, "gone")->revoked);
    assert_false(dlg_config_actor(c, "ci-deploy")->revoked);
    g = dlg_config_group(c, "deployers");
    assert_int_equal(g->members.n, 1);
    assert_string_equal(g->members.v[0], "ci-deploy");
    assert_int_equal(c->revoked_principals.n, 2);
    assert_true(dlg_strv_contains(&c->revoked_issuers, "old-iss"));
    assert_true(dlg_strv_contains(&c->revoked_keys, "k-old"));
    /* the later issued_before wins, whichever file holds it */
    assert_int_equal(c->issued_before, now - 10);
    dlg_config_free(c);
    publish("corp", 10, now - 5000);
    c = load_ok();
    assert_int_equal(c->issued_before, now - 1000);
    assert_int_equal(c->feeds[0].ver, 10);
    dlg_config_free(c);
}

static void expect_unusable(const char *msg)
{
    struct dlg_diag d = {0};
    struct dlg_config *c = dlg_config_load(conf_path, &d);

    if (c != NULL)
        fail_msg("loaded; want \"%s\"", msg);
    for (size_t i = 0; i < d.errors.n; i++)
        if (strstr(d.errors.v[i], msg) != NULL) {
            dlg_diag_free(&d);
            return;
        }
    dump(&d);
    fail_msg("no error \"%s\"", msg);
}

static void write_revfile(const char *text, mode_t mode)
{
    FILE *f = fopen(DLG_FEED_REVOKED_DIR "/corp.conf", "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(DLG_FEED_REVOKED_DIR "/corp.conf", mode), 0);
}

static void test_bad_revocation_file(void **state)
{
    (void)state;
    remove_revfiles();
    write_config();
    publish("corp", 1, now);
    /* writable by others, or owned by someone else: not trusted */
    assert_int_equal(chmod(DLG_FEED_REVOKED_DIR "/corp.conf", 0666), 0);
    expect_unusable("writable");
    assert_int_equal(chmod(DLG_FEED_REVOKED_DIR "/corp.conf", 0644), 0);
    assert_int_equal(chown(DLG_FEED_REVOKED_DIR "/corp.conf", 1000, 1000), 0);
    expect_unusable("owned");
    assert_int_equal(chown(DLG_FEED_REVOKED_DIR "/corp.conf", 0, 0), 0);
    assert_int_equal(chmod(DLG_FEED_REVOKED_DIR, 0777), 0);
    expect_unusable("writable");
    assert_int_equal(chmod(DLG_FEED_REVOKED_DIR, 0755), 0);
    /* another feed's revocations, no feed group, unknown settings, an
     * include, a syntax error, a version below 1 */
    write_revfile("feed = { id = \"local\"; ver = 1; iat = 1; exp = 2; };\nrevoke = { };\n", 0644);
    expect_unusable("holds the revocations of feed 'local', not 'corp'");
    write_revfile("revoke = { actors = [\"x\"]; };\n", 0644);
    expect_unusable("no 'feed' group");
    write_revfile("feed = { id = \"corp\"; ver = 1; iat = 1; exp = 2; };\nactors = ();\n", 0644);
    expect_unusable("unknown setting 'actors'");
    write_revfile("feed = { id = \"corp\"; ver = 1; iat = 1; exp = 2; };\n@include \"/etc/passwd\"\n", 0644);
    expect_unusable("@include");
    write_revfile("feed = { id = \"corp\"; ver = 1; iat = 1; exp = 2; \n", 0644);
    expect_unusable("syntax error");
    write_revfile("feed = { id = \"corp\"; ver = 0; iat = 1; exp = 2; };\n", 0644);
    expect_unusable("'ver' must be at least 1");
    write_revfile("feed = { id = \"corp\"; ver = 1; iat = 5; exp = 5; };\n", 0644);
    expect_unusable("'exp' must be after 'iat'");
    write_revfile("feed = { id = \"corp\"; ver = 1; iat = 1; exp = 2; };\n"
                  "revoke = { tickets = ( \"a/b\" ); };\n", 0644);
    expect_unusable("invalid ticket id");
    /* a symlink in its place */
    unlink(DLG_FEED_REVOKED_DIR "/corp.conf");
    assert_int_equal(symlink("/etc/hostname", DLG_FEED_REVOKED_DIR "/corp.conf"), 0);
    expect_unusable("symbolic link");
    remove_revfiles();
}

/* ---- the compiled form -------------------------------------------------- */

static void compile(void)
{
    struct dlg_diag d = {0};
    struct dlg_config *c = dlg_config_load_stamped(conf_path, &d);

    assert_non_null(c);
    assert_int_equal(dlg_compiled_write(c, cpl_path, &d), 0);
    dlg_config_free(c);
    dlg_diag_free(&d);
}

static struct dlg_config *compiled_or_null(char *why, size_t whylen)
{
    return dlg_compiled_load(cpl_path, conf_path, 0, why, whylen);
}

static void same_feeds(const struct dlg_config *a, const struct dlg_config *b)
{
    assert_int_equal(a->nfeeds, b->nfeeds);
    for (size_t i = 0; i < a->nfeeds; i++) {
        const struct dlg_feed *x = &a->feeds[i], *y = &b->feeds[i];
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->key, y->key);
        assert_true((x->url == NULL) == (y->url == NULL));
        if (x->url != NULL)
            assert_string_equal(x->url, y->url);
        assert_true((x->file == NULL) == (y->file == NULL));
        if (x->file != NULL)
            assert_string_equal(x->file, y->file);
        assert_true((x->ca == NULL) == (y->ca == NULL));
        assert_int_equal(x->refresh, y->refresh);
        assert_int_equal(x->on_stale_end, y->on_stale_end);
        assert_int_equal(x->fetched, y->fetched);
        assert_int_equal(x->ver, y->ver);
        assert_int_equal(x->iat, y->iat);
        assert_int_equal(x->exp, y->exp);
    }
    assert_int_equal(a->nfiles, b->nfiles);
    for (size_t i = 0; i < a->nfiles; i++) {
        assert_string_equal(a->files[i].path, b->files[i].path);
        assert_int_equal(a->files[i].absent, b->files[i].absent);
    }
}

static void wait_out_granularity(void)
{
    struct timespec d = { 0, 120L * 1000 * 1000 };
    nanosleep(&d, NULL);
}

static void test_compiled(void **state)
{
    struct dlg_config *text, *cpl;
    char why[256];

    (void)state;
    remove_revfiles();
    write_config();
    publish("corp", 3, now - 10);
    wait_out_granularity();
    compile();
    text = load_ok();
    cpl = compiled_or_null(why, sizeof(why));
    if (cpl == NULL)
        fail_msg("compiled form not fresh: %s", why);
    same_feeds(text, cpl);
    /* every field of the feed records is carried: the two feeds set each
     * one between them, and the dumps of both forms are the same */
    {
        const char *unset = fd_unset_in_all(&dlg_rt_feed, text->feeds, text->nfeeds,
                                            sizeof(text->feeds[0]));
        char *a = fd_dump(text, true, true), *b = fd_dump(cpl, true, true);
        if (unset != NULL)
            fail_msg("no feed of the test config sets %s", unset);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    /* the feed's revocations, from the compiled form */
    assert_true(dlg_config_ticket_revoked(cpl, "feed-1"));
    assert_true(dlg_config_ticket_revoked(cpl, "a-first"));
    assert_true(dlg_config_ticket_revoked(cpl, "local-1"));
    assert_false(dlg_config_ticket_revoked(cpl, "other"));
    assert_int_equal(cpl->revoked_tickets.n, 4);
    assert_true(dlg_config_actor(cpl, "gone")->revoked);
    assert_true(dlg_strv_contains(&cpl->revoked_principals, "mallory"));
    assert_int_equal(cpl->issued_before, now - 10);
    assert_false(dlg_feed_is_stale(dlg_config_feed(cpl, "corp"), now));
    assert_true(dlg_feed_is_stale(dlg_config_feed(cpl, "local"), now));
    dlg_config_free(cpl);
    dlg_config_free(text);
    /* a new version: stale */
    publish("corp", 4, now - 10);
    assert_null(compiled_or_null(why, sizeof(why)));
    assert_non_null(strstr(why, "corp.conf"));
    wait_out_granularity();
    compile();
    cpl = compiled_or_null(why, sizeof(why));
    assert_non_null(cpl);
    assert_int_equal(dlg_config_feed(cpl, "corp")->ver, 4);
    dlg_config_free(cpl);
    /* the never-fetched feed's file appears: stale */
    publish("local", 1, now - 10);
    assert_null(compiled_or_null(why, sizeof(why)));
    assert_non_null(strstr(why, "appeared"));
    /* a revocation file removed: stale (the text then says never fetched) */
    wait_out_granularity();
    compile();
    assert_int_equal(unlink(DLG_FEED_REVOKED_DIR "/local.conf"), 0);
    assert_null(compiled_or_null(why, sizeof(why)));
    text = load_ok();
    assert_false(dlg_config_feed(text, "local")->fetched);
    dlg_config_free(text);
    remove_revfiles();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feeds_errors),
        cmocka_unit_test(test_never_fetched),
        cmocka_unit_test(test_merged),
        cmocka_unit_test(test_bad_revocation_file),
        cmocka_unit_test(test_compiled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
