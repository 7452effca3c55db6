/* Signature copies are wiped before they are freed (issue 11 item 9): the
 * ECDSA DER form built for verification, and every signing buffer of
 * dlg_sign_ticket (DER, raw r||s, the base64url signature, the signing
 * input).  free() is intercepted: while tracking, each freed block is
 * searched for a piece of the signature or of the signing input.  (Not
 * under ASan, whose allocator a free() of ours would bypass.) */
#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decision/policy.h"
#include "ticket/sign.h"
#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#define WIPE_TEST_ACTIVE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WIPE_TEST_ACTIVE 0
#endif
#endif
#ifndef WIPE_TEST_ACTIVE
#define WIPE_TEST_ACTIVE 1
#endif

#define NOW INT64_C(1790000000)

struct needle {
    unsigned char bytes[32];
    size_t len;
    const char *what;
};
static struct needle needles[4];
static size_t nneedles;
static int tracking;
static int hits;
static char hit_what[256];

#if WIPE_TEST_ACTIVE
/* Only blocks freed by the code under test count: plain free() called
 * from this executable (common/ is linked into it), and OPENSSL_free()
 * from a file of common/.  OpenSSL's own internal copies (its DER
 * re-encoding in ECDSA verification is freed unwiped by OpenSSL 3.0) are
 * not ours to wipe. */
static const void *exe_base;

static bool from_exe(const void *ra)
{
    Dl_info info;

    if (exe_base == NULL && dladdr((const void *)&exe_base, &info))
        exe_base = info.dli_fbase;
    return dladdr(ra, &info) && info.dli_fbase == exe_base;
}

static void scan(const void *p)
{
    size_t n = malloc_usable_size((void *)p), i;

    for (i = 0; i < nneedles; i++) {
        if (memmem(p, n, needles[i].bytes, needles[i].len)) {
            hits++;
            snprintf(hit_what, sizeof(hit_what), "%s", needles[i].what);
        }
    }
}

extern void __libc_free(void *p);
__attribute__((visibility("default"))) void free(void *p);
void free(void *p)
{
    if (p && tracking && from_exe(__builtin_return_address(0)))
        scan(p);
    __libc_free(p);
}

__attribute__((visibility("default"))) void CRYPTO_free(void *p, const char *file, int line);
void CRYPTO_free(void *p, const char *file, int line)
{
    static void (*real)(void *, const char *, int);

    if (real == NULL)
        real = (void (*)(void *, const char *, int))dlsym(RTLD_NEXT, "CRYPTO_free");
    if (p && tracking && file && strncmp(file, "common/", 7) == 0)
        scan(p);
    real(p, file, line);
}
#endif

static void add_needle(const void *p, size_t len, const char *what)
{
    assert_true(nneedles < 4 && len <= 32);
    memcpy(needles[nneedles].bytes, p, len);
    needles[nneedles].len = len;
    needles[nneedles].what = what;
    nneedles++;
}

/* The raw signature bytes of a compact JWS. */
static unsigned char *raw_sig(const char *tk, size_t *len)
{
    const char *dot = strrchr(tk, '.');
    unsigned char *raw = NULL;

    assert_non_null(dot);
    assert_int_equal(dlg_b64url_decode(dot + 1, strlen(dot + 1), &raw, len), 0);
    return raw;
}

static void test_verify_wipes_der(void **state)
{
    char *dir = tl_mkdtemp(), *pub, *text, *path;
    struct dlg_config *cfg;
    struct dlg_verdict v;
    struct dlg_request req = { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3",
                               .now = NOW };
    json_t *c;
    unsigned char *raw;
    size_t rawlen;
    char *tk;

    (void)state;
    if (!WIPE_TEST_ACTIVE) {
        /* ASan's allocator: our free() would bypass it; the plain build
         * runs this check */
        print_message("# not checked under ASan\n");
        tl_rmtree(dir);
        free(dir);
        return;
    }
    c = tl_claims(NOW);
    pub = tl_write_pub(dir, "ec", tl_key("p256"));
    assert_true(asprintf(&text,
        "version = 1;\nhost = { name = \"web01\"; };\n"
        "issuers = ( { id = \"corp\"; algorithms = [\"ES256\"]; principals = [\"*\"];\n"
        "  keys = ( { kid = \"k1\"; file = \"%s\"; } ); } );\n"
        "accounts = { uid_min = 62001; uid_max = 62999; gid = 62000; };\n"
        "actors = ( { name = \"ci-deploy\"; uid = 62001; principals = [\"*\"]; services = [\"sshd\"]; } );\n"
        "audit = { syslog = false; };\n", pub) > 0);
    path = tl_write_file(dir, "delegate.conf", text, 0644);
    cfg = tl_load_config(path);
    assert_non_null(cfg);
    tk = tl_mint(tl_key("p256"), "ES256", "k1", c);
    raw = raw_sig(tk, &rawlen);
    assert_int_equal(rawlen, 64);
    nneedles = 0;
    add_needle(raw + 8, 16, "r of the ECDSA signature");
    add_needle(raw + 40, 16, "s of the ECDSA signature");
    hits = 0;
    tracking = 1;
    assert_int_equal(dlg_decide_lazy(cfg, tk, strlen(tk), &req, &v, NULL), DLG_ADMIT);
    tracking = 0;
    if (hits)
        fail_msg("%d freed block(s) still held the %s", hits, hit_what);
    dlg_verdict_free(&v);
    free(raw);
    free(tk);
    json_decref(c);
    dlg_config_free(cfg);
    free(path);
    free(text);
    free(pub);
    tl_rmtree(dir);
    free(dir);
}

static void test_sign_wipes_buffers(void **state)
{
    static const char *const types[][2] = { { "p256", "ES256" }, { "ed25519", "EdDSA" } };
    size_t k;

    (void)state;
    if (!WIPE_TEST_ACTIVE) {
        print_message("# not checked under ASan\n");
        return;
    }
    for (k = 0; k < 2; k++) {
        json_t *c = tl_claims(NOW);
        char err[256], *tk, *tk2;
        const char *dot1, *dot2;
        unsigned char *raw;
        size_t rawlen;

        /* learn what the ticket will hold (signatures are deterministic
         * for Ed25519; for ECDSA sign once to get the claims part, the
         * signature needle comes from the tracked call's own result) */
        tk = dlg_sign_ticket(tl_key(types[k][0]), types[k][1], "k1", NULL, c, err, sizeof(err));
        assert_non_null(tk);
        dot1 = strchr(tk, '.');
        dot2 = strrchr(tk, '.');
        nneedles = 0;
        add_needle(dot1 + 1, 24, "signing input (claims)");
        hits = 0;
        tracking = 1;
        tk2 = dlg_sign_ticket(tl_key(types[k][0]), types[k][1], "k1", NULL, c, err, sizeof(err));
        tracking = 0;
        assert_non_null(tk2);
        if (hits)
            fail_msg("%s: %d freed block(s) still held the %s", types[k][1], hits, hit_what);
        /* now the signature of tk2: sign a third time would differ for
         * ECDSA, so check tk2's signature against what was freed while it
         * was made, by re-running with its signature as the needle: for
         * Ed25519 (deterministic) the same bytes come back */
        raw = raw_sig(tk2, &rawlen);
        nneedles = 0;
        add_needle(raw + 8, 16, "raw signature");
        add_needle(dot2 + 1, 16, "base64url signature of the first ticket");
        if (k == 1) {
            char *tk3;
            hits = 0;
            tracking = 1;
            tk3 = dlg_sign_ticket(tl_key(types[k][0]), types[k][1], "k1", NULL, c, err,
                                  sizeof(err));
            tracking = 0;
            assert_non_null(tk3);
            assert_string_equal(tk3, tk2);
            if (hits)
                fail_msg("%s: %d freed block(s) still held the %s", types[k][1], hits, hit_what);
            free(tk3);
        }
        free(raw);
        free(tk);
        free(tk2);
        json_decref(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_wipes_der),
        cmocka_unit_test(test_sign_wipes_buffers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
