/* Enumeration: each live actor exactly once, also when point lookups and the
 * other databases' enumerations are interleaved and when the config changes
 * underneath; and a round trip of a generated 5,000-actor config. */
#include "nss_test.h"

#include <grp.h>
#include <pwd.h>
#include <shadow.h>

#define N_SMALL 60
#define N_BIG 5000
#define N_GROUPS 10

static char buf[1 << 20];

/* A generated config: actor i is "a%05d" with uid base+perm(i), groups
 * g(i % 10) and g((i / 10) % 10), every 10th actor revoked, every 3rd with a
 * comment, every 7th with its own home, every 5th with its own shell.  The
 * actors are written in a scrambled order. */
struct gen {
    size_t n;
    unsigned uid_base;
    char (*names)[16];
    char (*comments)[32];
    char (*homes)[32];
    char (*groups)[40];
    unsigned *uids;
    bool *revoked;
    size_t *order;
};

static void gen_build(struct gen *g, size_t n, unsigned uid_base)
{
    size_t i;

    g->n = n;
    g->uid_base = uid_base;
    g->names = calloc(n, sizeof(*g->names));
    g->comments = calloc(n, sizeof(*g->comments));
    g->homes = calloc(n, sizeof(*g->homes));
    g->groups = calloc(n, sizeof(*g->groups));
    g->uids = calloc(n, sizeof(*g->uids));
    g->revoked = calloc(n, sizeof(*g->revoked));
    g->order = calloc(n, sizeof(*g->order));
    for (i = 0; i < n; i++) {
        unsigned u = (unsigned)i;

        snprintf(g->names[i], sizeof(g->names[i]), "a%05u", u);
        snprintf(g->comments[i], sizeof(g->comments[i]), "actor number %u", u);
        snprintf(g->homes[i], sizeof(g->homes[i]), "/srv/home/%u", u);
        if (u % 10 == (u / 10) % 10)
            snprintf(g->groups[i], sizeof(g->groups[i]), "\"g%u\"", u % 10);
        else
            snprintf(g->groups[i], sizeof(g->groups[i]), "\"g%u\", \"g%u\"", u % 10,
                     (u / 10) % 10);
        /* 7919 is prime and coprime to n, so this is a permutation */
        g->uids[i] = uid_base + (unsigned)((i * 7919) % n);
        g->revoked[i] = i % 10 == 9;
        g->order[i] = (i * 4999 + 17) % n;
    }
}

static void gen_free(struct gen *g)
{
    free(g->names);
    free(g->comments);
    free(g->homes);
    free(g->groups);
    free(g->uids);
    free(g->revoked);
    free(g->order);
}

static void gen_write(const struct gen *g, const char *dir)
{
    struct nt_accounts acc = { "robots", g->uid_base - 1, g->uid_base, g->uid_base + 99999,
                               "/var/lib/robots/%u", "/usr/sbin/nologin" };
    struct nt_actor *actors = calloc(g->n, sizeof(*actors));
    char *revoked = calloc(g->n, 12), *groups = calloc(N_GROUPS, 64), *p;
    size_t i, k;

    for (k = 0; k < g->n; k++) {
        i = g->order[k];
        actors[k] = (struct nt_actor){ g->names[i], g->uids[i],
                                       i % 3 == 0 ? g->comments[i] : NULL,
                                       i % 7 == 0 ? g->homes[i] : NULL,
                                       i % 5 == 0 ? "/bin/sh" : NULL, g->groups[i] };
    }
    for (p = revoked, i = 0; i < g->n; i++)
        if (g->revoked[i])
            p += sprintf(p, "%s\"%s\"", p == revoked ? "" : ", ", g->names[i]);
    for (p = groups, i = 0; i < N_GROUPS; i++)
        p += sprintf(p, "%s{ name = \"g%zu\"; gid = %u; }", i ? ", " : "", i,
                     g->uid_base + 100000 + (unsigned)i);
    nt_write_revoked(dir, revoked);
    nt_write_config_ex(dir, &acc, actors, g->n, groups);
    free(actors);
    free(revoked);
    free(groups);
}

static size_t gen_index(const struct gen *g, const char *name)
{
    size_t i;

    assert_true(name[0] == 'a' && strlen(name) == 6);
    i = (size_t)strtoul(name + 1, NULL, 10);
    assert_true(i < g->n);
    assert_string_equal(g->names[i], name);
    return i;
}

static void gen_check_pw(const struct gen *g, const struct passwd *pw, size_t *i_out)
{
    size_t i = gen_index(g, pw->pw_name);
    char home[64];

    assert_false(g->revoked[i]);
    assert_int_equal(pw->pw_uid, g->uids[i]);
    assert_int_equal(pw->pw_gid, g->uid_base - 1);
    assert_string_equal(pw->pw_passwd, "x");
    assert_string_equal(pw->pw_gecos, i % 3 == 0 ? g->comments[i] : "");
    snprintf(home, sizeof(home), "/var/lib/robots/%s", g->names[i]);
    assert_string_equal(pw->pw_dir, i % 7 == 0 ? g->homes[i] : home);
    assert_string_equal(pw->pw_shell, i % 5 == 0 ? "/bin/sh" : "/usr/sbin/nologin");
    *i_out = i;
}

static bool in_group(size_t i, size_t grp)
{
    return i % 10 == grp || (i / 10) % 10 == grp;
}

/* Members must be exactly the live actors in the group (or all live actors
 * for the accounts group, grp == N_GROUPS), each once. */
static void gen_check_group(const struct gen *g, const struct group *gr)
{
    bool *seen = calloc(g->n, sizeof(bool));
    size_t i, grp, count = 0, expect = 0;

    if (strcmp(gr->gr_name, "robots") == 0) {
        grp = N_GROUPS;
        assert_int_equal(gr->gr_gid, g->uid_base - 1);
    } else {
        assert_true(gr->gr_name[0] == 'g');
        grp = (size_t)strtoul(gr->gr_name + 1, NULL, 10);
        assert_true(grp < N_GROUPS);
        assert_int_equal(gr->gr_gid, g->uid_base + 100000 + grp);
    }
    for (char **m = gr->gr_mem; *m != NULL; m++) {
        i = gen_index(g, *m);
        assert_false(seen[i]);
        seen[i] = true;
        assert_false(g->revoked[i]);
        assert_true(grp == N_GROUPS || in_group(i, grp));
        count++;
    }
    for (i = 0; i < g->n; i++)
        if (!g->revoked[i] && (grp == N_GROUPS || in_group(i, grp)))
            expect++;
    assert_int_equal(count, expect);
    free(seen);
}

static size_t gen_live(const struct gen *g)
{
    size_t i, n = 0;

    for (i = 0; i < g->n; i++)
        n += !g->revoked[i];
    return n;
}

struct fixture {
    char *dir;
    struct gen g;
};

static int setup_small(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = nt_tmpdir();
    gen_build(&f->g, N_SMALL, 70000);
    gen_write(&f->g, f->dir);
    nt_use_config(f->dir);
    *state = f;
    return 0;
}

static int setup_big(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    f->dir = nt_tmpdir();
    gen_build(&f->g, N_BIG, 100000);
    gen_write(&f->g, f->dir);
    nt_use_config(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    _nss_delegate_endpwent();
    _nss_delegate_endgrent();
    _nss_delegate_endspent();
    nss_delegate_set_config_path(NULL);
    gen_free(&f->g);
    nt_rmtree(f->dir);
    free(f);
    return 0;
}

/* Walk the whole passwd enumeration; every live actor exactly once. */
static void enum_passwd_all(const struct gen *g)
{
    bool *seen = calloc(g->n, sizeof(bool));
    struct passwd pw;
    size_t i, count = 0;
    int err = 0;

    assert_int_equal(_nss_delegate_setpwent(1), NSS_STATUS_SUCCESS);
    while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        gen_check_pw(g, &pw, &i);
        assert_false(seen[i]);
        seen[i] = true;
        count++;
    }
    assert_int_equal(err, ENOENT);
    _nss_delegate_endpwent();
    assert_int_equal(count, gen_live(g));
    free(seen);
}

/* Each enumeration interleaved with point lookups of every kind and with the
 * other two enumerations, and a config change in the middle: each still
 * returns every actor of the snapshot it started with exactly once. */
static void test_interleaved(void **state)
{
    struct fixture *f = *state;
    const struct gen *g = &f->g;
    bool *seen_pw = calloc(g->n, sizeof(bool)), *seen_sp = calloc(g->n, sizeof(bool));
    struct passwd pw, pw2;
    struct spwd sp;
    struct group gr;
    static char buf2[4096], buf3[1 << 17], buf4[1 << 17];
    struct group gr2;
    gid_t *groups = NULL;
    long start, size = 0;
    size_t i, k = 0, npw = 0, nsp = 0, ngr = 0;
    int err = 0;
    enum nss_status spst = NSS_STATUS_SUCCESS, grst = NSS_STATUS_SUCCESS;
    struct gen changed;

    /* the version written a quarter of the way through: a00010 revoked,
     * a00019 no longer */
    gen_build(&changed, g->n, g->uid_base);
    changed.revoked[10] = true;
    changed.revoked[19] = false;

    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setspent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_setgrent(0), NSS_STATUS_SUCCESS);
    while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        gen_check_pw(g, &pw, &i);
        assert_false(seen_pw[i]);
        seen_pw[i] = true;
        npw++;
        /* point lookups of some other actor in between */
        k = (k + 13) % g->n;
        if (npw == g->n / 4)
            gen_write(&changed, f->dir);    /* the config changes underneath */
        if (npw > g->n / 4) {
            assert_int_equal(_nss_delegate_getpwnam_r("a00019", &pw2, buf2, sizeof(buf2), &err),
                             NSS_STATUS_SUCCESS);
            assert_int_equal(_nss_delegate_getpwnam_r("a00010", &pw2, buf2, sizeof(buf2), &err),
                             NSS_STATUS_NOTFOUND);
        } else if (!g->revoked[k]) {
            assert_int_equal(_nss_delegate_getpwnam_r(g->names[k], &pw2, buf2, sizeof(buf2),
                                                      &err), NSS_STATUS_SUCCESS);
            assert_string_equal(pw2.pw_name, g->names[k]);
            assert_int_equal(_nss_delegate_getpwuid_r(g->uids[k], &pw2, buf2, sizeof(buf2),
                                                      &err), NSS_STATUS_SUCCESS);
            assert_string_equal(pw2.pw_name, g->names[k]);
            start = 0;
            assert_int_equal(_nss_delegate_initgroups_dyn(g->names[k], (gid_t)-1, &start, &size,
                                                          &groups, 0, &err), NSS_STATUS_SUCCESS);
        }
        assert_int_equal(_nss_delegate_getgrnam_r("g3", &gr2, buf4, sizeof(buf4), &err),
                         NSS_STATUS_SUCCESS);
        gen_check_group(g, &gr2);
        assert_int_equal(_nss_delegate_getspnam_r("a00000", &sp, buf3, sizeof(buf3), &err),
                         NSS_STATUS_SUCCESS);
        if (spst == NSS_STATUS_SUCCESS) {
            spst = _nss_delegate_getspent_r(&sp, buf2, sizeof(buf2), &err);
            if (spst == NSS_STATUS_SUCCESS) {
                i = gen_index(g, sp.sp_namp);
                assert_false(g->revoked[i]);
                assert_false(seen_sp[i]);
                seen_sp[i] = true;
                nsp++;
            }
        }
        if (grst == NSS_STATUS_SUCCESS) {
            grst = _nss_delegate_getgrent_r(&gr, buf3, sizeof(buf3), &err);
            if (grst == NSS_STATUS_SUCCESS) {
                gen_check_group(g, &gr);
                ngr++;
            }
        }
    }
    while (_nss_delegate_getspent_r(&sp, buf2, sizeof(buf2), &err) == NSS_STATUS_SUCCESS) {
        i = gen_index(g, sp.sp_namp);
        assert_false(seen_sp[i]);
        seen_sp[i] = true;
        nsp++;
    }
    assert_int_equal(npw, gen_live(g));
    assert_int_equal(nsp, gen_live(g));
    assert_int_equal(ngr, N_GROUPS + 1);
    _nss_delegate_endpwent();
    _nss_delegate_endspent();
    _nss_delegate_endgrent();
    /* a new enumeration sees the changed config */
    enum_passwd_all(&changed);
    gen_free(&changed);
    free(groups);
    free(seen_pw);
    free(seen_sp);
}

/* getXXent_r without setXXent starts at the beginning; the end stays the end
 * until setXXent; endXXent then getXXent_r starts over. */
static void test_enum_lifecycle(void **state)
{
    struct fixture *f = *state;
    struct passwd pw;
    struct group gr;
    char first[16];
    size_t n = 0;
    int err = 0;

    while (_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        if (n++ == 0)
            snprintf(first, sizeof(first), "%s", pw.pw_name);
    }
    assert_int_equal(n, gen_live(&f->g));
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_delegate_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, first);
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
    assert_string_not_equal(pw.pw_name, first);
    assert_int_equal(_nss_delegate_endpwent(), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, first);
    assert_int_equal(_nss_delegate_endpwent(), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_delegate_endpwent(), NSS_STATUS_SUCCESS);

    assert_int_equal(_nss_delegate_getgrent_r(&gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "robots");
    assert_int_equal(_nss_delegate_endgrent(), NSS_STATUS_SUCCESS);
}

/* 5,000 actors: enumerate passwd, shadow and group and compare with the
 * generated config; look every actor up by name and uid. */
static void test_roundtrip_5000(void **state)
{
    struct fixture *f = *state;
    const struct gen *g = &f->g;
    bool *seen = calloc(g->n, sizeof(bool));
    struct passwd pw;
    struct spwd sp;
    struct group gr;
    size_t i, n = 0, ngr = 0;
    int err = 0;

    enum_passwd_all(g);

    assert_int_equal(_nss_delegate_setspent(0), NSS_STATUS_SUCCESS);
    while (_nss_delegate_getspent_r(&sp, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        i = gen_index(g, sp.sp_namp);
        assert_false(g->revoked[i]);
        assert_false(seen[i]);
        assert_string_equal(sp.sp_pwdp, "!");
        assert_int_equal(sp.sp_lstchg, -1);
        seen[i] = true;
        n++;
    }
    _nss_delegate_endspent();
    assert_int_equal(n, gen_live(g));

    assert_int_equal(_nss_delegate_setgrent(0), NSS_STATUS_SUCCESS);
    while (_nss_delegate_getgrent_r(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
        gen_check_group(g, &gr);
        ngr++;
    }
    _nss_delegate_endgrent();
    assert_int_equal(ngr, N_GROUPS + 1);

    for (i = 0; i < g->n; i++) {
        enum nss_status want = g->revoked[i] ? NSS_STATUS_NOTFOUND : NSS_STATUS_SUCCESS;
        size_t j;

        assert_int_equal(_nss_delegate_getpwnam_r(g->names[i], &pw, buf, sizeof(buf), &err),
                         want);
        if (want == NSS_STATUS_SUCCESS) {
            gen_check_pw(g, &pw, &j);
            assert_int_equal(j, i);
        }
        assert_int_equal(_nss_delegate_getpwuid_r(g->uids[i], &pw, buf, sizeof(buf), &err),
                         want);
        if (want == NSS_STATUS_SUCCESS)
            assert_string_equal(pw.pw_name, g->names[i]);
    }
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interleaved, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_enum_lifecycle, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_interleaved, setup_big, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_5000, setup_big, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
