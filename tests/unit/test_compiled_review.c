/* The compiled snapshot after the review of issue 18 (items 3, 4, 5):
 * - revoked ids: a jti whose 64-bit hash equals a revoked id's (a collision
 *   constructed by inverting the hash) is neither revoked nor denied
 *   revoked_ticket; every hash hit is confirmed against the stored id;
 * - the lazy reader (PAM's) refuses a form whose actors (or any table it
 *   binary-searches) are out of order, and its lookups allocate nothing, so
 *   no lookup error can read as "not an actor";
 * - every field of the field lists survives the round trip (see
 *   test_fields_probe.c for a field added to a list). */
#include <errno.h>
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

#include "config/compiled.h"
#include "decision/policy.h"
#include "testlib.h"
#include "fields_dump.h"
#include "fields_conf.h"

#define NOW INT64_C(1790000000)

static char *dir, *conf, *revoked, *cpath;

static const char conf_fmt[] =
    "version = 1;\n"
    "host = { name = \"web01\"; };\n"
    "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
    "    keys = ( { kid = \"k1\"; file = \"%1$s/ed.pub\"; } ); } );\n"
    "actors = (\n"
    "  { name = \"alpha\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"]; },\n"
    "  { name = \"bravo\"; uid = 62002; principals = [\"*\"]; services = [\"sshd\"]; },\n"
    "  { name = \"charlie\"; uid = 62003; principals = [\"*\"]; services = [\"sshd\"]; }\n"
    ");\n"
    "groups = ( { name = \"g1\"; gid = 62100; }, { name = \"g2\"; gid = 62101; } );\n"
    "audit = { syslog = false; };\n"
    "@include \"%1$s/revoked.conf\"\n";

static void write_conf(const char *revoke_text)
{
    char *text = NULL;

    assert_true(asprintf(&text, conf_fmt, dir) > 0);
    free(tl_write_file(dir, "delegate.conf", text, 0644));
    free(tl_write_file(dir, "revoked.conf", revoke_text, 0644));
    free(text);
}

static void compile_ok(void)
{
    struct dlg_diag diag = {0};
    struct dlg_config *cfg = dlg_config_load_stamped(conf, &diag);

    for (size_t i = 0; i < diag.errors.n; i++)
        fprintf(stderr, "# %s\n", diag.errors.v[i]);
    assert_non_null(cfg);
    assert_int_equal(dlg_compiled_write(cfg, cpath, &diag), 0);
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
}

static char *ticket(const char *actor, const char *jti)
{
    json_t *c = tl_claims(NOW);
    char *t;

    json_object_set_new(c, "act", json_pack("{s:s}", "sub", actor));
    json_object_set_new(c, "sub", json_string("alice"));
    json_object_set_new(c, "svc", json_pack("[s]", "sshd"));
    json_object_set_new(c, "jti", json_string(jti));
    json_object_set_new(c, "iss", json_string("corp"));
    t = tl_mint(tl_key("ed25519"), "EdDSA", "k1", c);
    json_decref(c);
    return t;
}

static enum dlg_reason decide(const struct dlg_config *c, const char *t, const char *user)
{
    struct dlg_request req = {.user = user, .service = "sshd", .rhost = "10.1.2.3",
                              .now = NOW, .once_dir = NULL, .consume_once = false};
    struct dlg_verdict vd;
    enum dlg_reason r;

    memset(&vd, 0, sizeof(vd));
    r = dlg_decide_lazy(c, t, strlen(t), &req, &vd, NULL);
    dlg_verdict_free(&vd);
    return r;
}

/* ---- item 3: a constructed collision of the 64-bit id hash ------------- */

#define H_P1 UINT64_C(0x9E3779B185EBCA87)
#define H_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define H_P3 UINT64_C(0x165667B19E3779F9)

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t inv_odd(uint64_t a)
{
    uint64_t x = a;                 /* Newton: 5 steps double the correct bits */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

/* dlg_cpl_hash of a 16-byte input, up to the final mix: the initial state
 * and the two word steps (the hash the first format kept revoked ids as). */
static uint64_t h16_state(const char *s, uint64_t *after_first)
{
    uint64_t v[8] = {H_P1, H_P2, H_P3, H_P1 + H_P2, H_P2 + H_P3, H_P1 ^ H_P3, 16, ~H_P2};
    uint64_t h = 16 * H_P3, w1, w2;
    static const int rot[8] = {1, 8, 15, 22, 29, 36, 43, 50};

    for (int i = 0; i < 8; i++)
        h += rotl(v[i] * H_P2, rot[i]);
    memcpy(&w1, s, 8);
    memcpy(&w2, s + 8, 8);
    h = rotl((h ^ w1 ^ H_P2) * H_P1, 29) + H_P3;
    if (after_first != NULL)
        *after_first = h;
    return rotl((h ^ w2 ^ H_P2) * H_P1, 29) + H_P3;
}

static bool jti_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* Another 16-character jti with the same hash as target (16 characters):
 * pick the first word, solve the second (a bijection), until it is made of
 * jti characters (odds 2^-16 a try). */
static void collide(const char *target, char out[17])
{
    const uint64_t want = h16_state(target, NULL), inv = inv_odd(H_P1);
    uint64_t seed = 0x1234567;

    for (;;) {
        uint64_t h1, w2;
        for (int i = 0; i < 8; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            out[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"[(seed >> 33) % 64];
        }
        memcpy(out + 8, "XXXXXXXX", 8);
        out[16] = '\0';
        (void)h16_state(out, &h1);
        w2 = (rotl(want - H_P3, 64 - 29) * inv) ^ H_P2 ^ h1;
        memcpy(out + 8, &w2, 8);
        bool ok = true;
        for (int i = 8; i < 16; i++)
            ok = ok && jti_char((unsigned char)out[i]);
        if (ok && strcmp(out, target) != 0)
            return;
    }
}

static void test_revoked_hash_collision(void **state)
{
    const char *target = "revoked-ticket-1";
    char other[17], *rev = NULL, why[256];
    struct dlg_config *c;
    (void)state;

    collide(target, other);
    assert_int_equal(dlg_cpl_hash(other, 16), dlg_cpl_hash(target, 16));
    assert_string_not_equal(other, target);
    assert_true(asprintf(&rev, "revoke = { tickets = ( { id = \"%s\"; } ); };\n", target) > 0);
    write_conf(rev);
    free(rev);
    compile_ok();
    c = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
    assert_non_null(c);
    assert_true(dlg_config_ticket_revoked(c, target));
    assert_false(dlg_config_ticket_revoked(c, other));
    char *t1 = ticket("alpha", other), *t2 = ticket("alpha", target);
    assert_int_equal(decide(c, t1, "alpha"), DLG_ADMIT);
    assert_int_equal(decide(c, t2, "alpha"), DLG_REVOKED_TICKET);
    free(t1);
    free(t2);
    dlg_config_free(c);
}

/* ---- item 4: tables out of order --------------------------------------- */

/* Recompute every checksum of the form in b (after a patch). */
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

static const struct dlg_cpl_section *section(const unsigned char *b, int id)
{
    return (const struct dlg_cpl_section *)(const void *)(b + sizeof(struct dlg_cpl_header)) + (id - 1);
}

/* Swap records i and j of a section whose records an index section (u32,
 * may be 0) points to; the index is remapped so that only the order of the
 * records themselves is broken. */
static void swap_records(unsigned char *b, int id, int index_id, uint32_t i, uint32_t j)
{
    const struct dlg_cpl_section *s = section(b, id);
    size_t rs = s->record_size;
    unsigned char tmp[4096];

    assert_true(rs <= sizeof(tmp) && i < s->count && j < s->count);
    memcpy(tmp, b + s->offset + i * rs, rs);
    memcpy(b + s->offset + i * rs, b + s->offset + j * rs, rs);
    memcpy(b + s->offset + j * rs, tmp, rs);
    if (index_id != 0) {
        const struct dlg_cpl_section *x = section(b, index_id);
        for (size_t k = 0; k < x->count; k++) {
            uint32_t v;
            memcpy(&v, b + x->offset + k * 4, 4);
            v = v == i ? j : v == j ? i : v;
            memcpy(b + x->offset + k * 4, &v, 4);
        }
    }
    reseal(b);
}

static void write_form(const unsigned char *b, size_t len)
{
    free(tl_write_file(dir, "policy.bin.new", "", 0644));
    char *p = tl_path(dir, "policy.bin.new");
    int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    close(fd);
    assert_int_equal(rename(p, cpath), 0);
    free(p);
}

static void test_unsorted_tables_refused(void **state)
{
    static const struct { int id, index; const char *what; } cases[] = {
        {DLG_CPL_SEC_ACTORS, DLG_CPL_SEC_ACTORS_BY_UID, "actors"},
        {DLG_CPL_SEC_GROUPS, DLG_CPL_SEC_GROUPS_BY_GID, "groups"},
    };
    (void)state;

    write_conf("revoke = { tickets = ( \"t-1\", \"t-2\", \"t-3\" ); };\n");
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        for (unsigned flags = 0; flags <= DLG_CPL_LAZY_ACTORS; flags += DLG_CPL_LAZY_ACTORS) {
            char why[256] = "";
            size_t len;
            unsigned char *b;
            struct dlg_config *c;

            compile_ok();
            b = (unsigned char *)tl_read_file(cpath, &len);
            swap_records(b, cases[k].id, cases[k].index, 0, 1);
            write_form(b, len);
            free(b);
            c = dlg_compiled_load(cpath, conf, flags, why, sizeof(why));
            if (c != NULL) {
                /* before the fix: the lazy form loaded, and an actor
                 * behind the swap was "not an actor" */
                fprintf(stderr, "# %s out of order, flags %u: loaded; bravo %s\n", cases[k].what,
                        flags, dlg_config_actor(c, "bravo") ? "found" : "NOT FOUND");
                dlg_config_free(c);
            }
            assert_null(c);
            assert_non_null(strstr(why, "sorted"));
        }
    }
}

/* ---- item 5: every field of the lists survives the round trip ---------- */

static void write_fields_conf(void)
{
    char *text = NULL;

    assert_true(asprintf(&text, fields_conf_fmt, dir) > 0);
    free(tl_write_file(dir, "delegate.conf", text, 0644));
    free(tl_write_file(dir, "revoked.conf", fields_revoked, 0644));
    free(text);
}

static void test_every_field_round_trip(void **state)
{
    struct dlg_config *text, *full, *lz, *nss;
    char why[256] = "", *a, *b;
    const char *unset;
    (void)state;

    write_fields_conf();
    compile_ok();
    text = dlg_config_load(conf, NULL);
    assert_non_null(text);
    /* the test config sets every carried field (else a dropped one would
     * read as the zero the test config left) */
    const struct { const struct dlg_record_type *rt; const void *obj; } firsts[] = {
        {&dlg_rt_config, text}, {&dlg_rt_issuer, &text->issuers[0]},
        {&dlg_rt_key, &text->issuers[0].keys[0]}, {&dlg_rt_actor, &text->actors[0]},
        {&dlg_rt_group, &text->groups[0]},
    };
    for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
        unset = fd_first_unset(firsts[i].rt, firsts[i].obj);
        if (unset != NULL)
            fail_msg("%s.%s is not set by the test config: give it a non-zero value",
                     firsts[i].rt->name, unset);
    }
    /* files: the absent flag is set only on a feed's file never fetched */
    unset = fd_unset_in_all(&dlg_rt_file, text->files, text->nfiles, sizeof(text->files[0]));
    if (unset != NULL)
        fail_msg("no file record sets %s.%s", dlg_rt_file.name, unset);
    assert_int_equal(text->nfeeds, 2);
    full = dlg_compiled_load(cpath, conf, 0, why, sizeof(why));
    assert_non_null(full);
    a = fd_dump(text, true, true);
    b = fd_dump(full, true, true);
    assert_string_equal(a, b);
    free(b);
    /* PAM's lazy form: the same actors, one lookup at a time */
    lz = dlg_compiled_load(cpath, conf, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
    assert_non_null(lz);
    for (size_t i = 0; i < text->nactors; i++) {
        struct fd_buf x = {0}, y = {0};
        const struct dlg_actor *l = dlg_config_actor(lz, text->actors[i].name);
        assert_non_null(l);
        assert_ptr_equal(dlg_config_actor_by_uid(lz, text->actors[i].uid), l);
        fd_record(&x, &dlg_rt_actor, &text->actors[i], 0);
        fd_record(&y, &dlg_rt_actor, l, 0);
        assert_string_equal(x.p, y.p);
        free(x.p);
        free(y.p);
    }
    /* NSS's form: everything but the revoked ids */
    nss = dlg_compiled_load(cpath, conf, DLG_CPL_NO_TICKETS, why, sizeof(why));
    assert_non_null(nss);
    free(a);
    a = fd_dump(text, true, false);
    b = fd_dump(nss, true, false);
    assert_string_equal(a, b);
    free(a);
    free(b);
    dlg_config_free(nss);
    dlg_config_free(lz);
    dlg_config_free(full);
    dlg_config_free(text);
}

/* Lookups of the lazy form allocate nothing (so no lookup can fail for want
 * of memory): run with every allocation failing. */
static bool fail_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
    return fail_allocs ? (errno = ENOMEM, NULL) : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t s)
{
    return fail_allocs ? (errno = ENOMEM, NULL) : __real_calloc(n, s);
}
void *__wrap_realloc(void *p, size_t n)
{
    return fail_allocs ? (errno = ENOMEM, NULL) : __real_realloc(p, n);
}

static void test_lazy_lookups_allocate_nothing(void **state)
{
    struct dlg_config *text, *lz;
    char why[256] = "";
    (void)state;

    write_fields_conf();
    compile_ok();
    text = dlg_config_load(conf, NULL);
    lz = dlg_compiled_load(cpath, conf, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
    assert_non_null(text);
    assert_non_null(lz);
    fail_allocs = true;
    int found = 0, by_uid = 0, absent;
    for (size_t i = 0; i < text->nactors; i++) {
        const struct dlg_actor *a;
        found += dlg_config_find_actor(lz, text->actors[i].name, &a) == 1;
        by_uid += dlg_config_find_actor_by_uid(lz, text->actors[i].uid, &a) == 1;
    }
    const struct dlg_actor *none;
    absent = dlg_config_find_actor(lz, "nobody-here", &none);
    void *probe = malloc(16);
    fail_allocs = false;
    assert_null(probe);         /* the failing allocator was in force */
    assert_int_equal(found, (int)text->nactors);
    assert_int_equal(by_uid, (int)text->nactors);
    assert_int_equal(absent, 0);
    dlg_config_free(lz);
    dlg_config_free(text);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoked_hash_collision),
        cmocka_unit_test(test_unsorted_tables_refused),
        cmocka_unit_test(test_every_field_round_trip),
        cmocka_unit_test(test_lazy_lookups_allocate_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
