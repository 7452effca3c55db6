/* Key binding (issue 12): OpenSSH SHA256 fingerprints compared with what
 * `ssh-keygen -lf` prints for keys it generates at test time, for every
 * supported type; malformed key lines; SSH_AUTH_INFO_0 parsing; strict
 * parsing of the cnf claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ticket/sshkey.h"
#include "testlib.h"
#include "ticket/ticket.h"

#define NOW INT64_C(1790000000)

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tl_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tl_rmtree(dir);
    free(dir);
    return 0;
}

/* ssh-keygen -t TYPE [-b BITS] into dir/name; returns the .pub path. */
static char *gen_key(const char *name, const char *type, int bits)
{
    char cmd[512], *pub = NULL;

    snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t %s %s%.0d -N '' -C 'unit %s' -f '%s/%s' </dev/null",
             type, bits ? "-b " : "", bits, name, dir, name);
    assert_int_equal(system(cmd), 0);
    assert_true(asprintf(&pub, "%s/%s.pub", dir, name) > 0);
    return pub;
}

/* The second field of `ssh-keygen -lf FILE`. */
static void keygen_fp(const char *pub, char *out, size_t len)
{
    char cmd[512], line[512], bits[32];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "ssh-keygen -lf '%s'", pub);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    assert_int_equal(sscanf(line, "%31s %511s", bits, out), 2);
    assert_true(strlen(out) < len);
}

static void test_fingerprints_match_ssh_keygen(void **state)
{
    static const struct { const char *name, *type; int bits; } keys[] = {
        { "ed25519", "ed25519", 0 }, { "p256", "ecdsa", 256 }, { "p384", "ecdsa", 384 },
        { "p521", "ecdsa", 521 },    { "rsa2048", "rsa", 2048 }, { "rsa3072", "rsa", 3072 },
    };
    char fp[DLG_SSH_FP_LEN], want[512], err[160], *text;
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *pub = gen_key(keys[i].name, keys[i].type, keys[i].bits);

        keygen_fp(pub, want, sizeof(want));
        assert_int_equal(dlg_ssh_pubkey_file_fp(pub, fp, err, sizeof(err)), 0);
        assert_string_equal(fp, want);
        assert_true(dlg_ssh_fp_valid(fp));
        /* the same key as a line, with and without the comment */
        text = tl_read_file(pub, &len);
        assert_non_null(text);
        memset(fp, 0, sizeof(fp));
        assert_int_equal(dlg_ssh_pubkey_line_fp(text, len, fp, err, sizeof(err)), 0);
        assert_string_equal(fp, want);
        *strrchr(text, ' ') = '\0';
        assert_int_equal(dlg_ssh_pubkey_line_fp(text, strlen(text), fp, err, sizeof(err)), 0);
        assert_string_equal(fp, want);
        free(text);
        free(pub);
    }
}

/* The fingerprints dlg_ssh_auth_info_fps finds in info, as one string
 * "fp1 fp2 ..." (caller frees), and their count in *n. */
static char *fps_of(const char *info, int *n)
{
    struct dlg_strv sv = { 0 };
    size_t i, len = 1;
    char *s;

    *n = dlg_ssh_auth_info_fps(info, &sv);
    for (i = 0; i < sv.n; i++)
        len += strlen(sv.v[i]) + 1;
    s = calloc(1, len);
    assert_non_null(s);
    for (i = 0; i < sv.n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, sv.v[i]);
    }
    dlg_strv_free(&sv);
    return s;
}

#define expect_fps(info, count, want)                                           \
    do {                                                                        \
        int n_;                                                                 \
        char *got_ = fps_of(info, &n_);                                         \
        assert_int_equal(n_, count);                                            \
        assert_string_equal(got_, want);                                        \
        free(got_);                                                             \
    } while (0)

static void test_auth_info(void **state)
{
    char want_a[512], want_b[512], both[1100], info[4096], *a, *b, *ta, *tb;
    size_t la, lb;

    (void)state;
    a = gen_key("ia", "ed25519", 0);
    b = gen_key("ib", "ecdsa", 256);
    keygen_fp(a, want_a, sizeof(want_a));
    keygen_fp(b, want_b, sizeof(want_b));
    snprintf(both, sizeof(both), "%s %s", want_a, want_b);
    ta = tl_read_file(a, &la);
    tb = tl_read_file(b, &lb);
    *strrchr(ta, ' ') = '\0';              /* "TYPE BASE64", as sshd writes it */
    *strrchr(tb, ' ') = '\0';

    /* sshd 9.2p1, publickey then keyboard-interactive */
    snprintf(info, sizeof(info), "publickey %s\n", ta);
    expect_fps(info, 1, want_a);
    snprintf(info, sizeof(info), "publickey %s", ta);          /* no final newline */
    expect_fps(info, 1, want_a);
    /* publickey,publickey: every line is a key sshd verified (issue 18 item 9) */
    snprintf(info, sizeof(info), "publickey %s\npublickey %s\n", ta, tb);
    expect_fps(info, 2, both);
    snprintf(info, sizeof(info), "password\npublickey %s\nkeyboard-interactive/pam\n", tb);
    expect_fps(info, 1, want_b);
    /* the same key twice counts once */
    snprintf(info, sizeof(info), "publickey %s\npublickey %s\n", ta, ta);
    expect_fps(info, 1, want_a);

    /* no publickey step */
    expect_fps(NULL, 0, "");
    expect_fps("", 0, "");
    expect_fps("keyboard-interactive/pam\n", 0, "");
    expect_fps("password\n", 0, "");
    /* look-alikes of the method name are not it */
    snprintf(info, sizeof(info), "publickeyx %s\n", ta);
    expect_fps(info, 0, "");
    snprintf(info, sizeof(info), " publickey %s\n", ta);
    expect_fps(info, 0, "");
    /* a publickey line that does not parse adds nothing, and takes nothing
     * from the lines that do */
    snprintf(info, sizeof(info), "publickey %s\npublickey ssh-ed25519-cert-v01@openssh.com AAAA\n", ta);
    expect_fps(info, 1, want_a);
    snprintf(info, sizeof(info), "publickey ssh-ed25519-cert-v01@openssh.com AAAA\npublickey %s\n", tb);
    expect_fps(info, 1, want_b);
    expect_fps("publickey ssh-ed25519\n", 0, "");
    expect_fps("publickey \n", 0, "");
    snprintf(info, sizeof(info), "publickey ssh-rsa %s\n", strchr(ta, ' ') + 1);
    expect_fps(info, 0, "");   /* type and blob disagree */
    free(ta);
    free(tb);
    free(a);
    free(b);
}

static void test_malformed_lines(void **state)
{
    /* a valid ed25519 blob: "ssh-ed25519" + 32 bytes */
    static const char good[] =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    static const char *const bad[] = {
        "",
        "ssh-ed25519",
        "ssh-ed25519 ",
        /* unsupported or look-alike types */
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP8=",
        "SSH-ED25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "ssh-ed25519-cert-v01@openssh.com AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "sk-ssh-ed25519@openssh.com AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        /* the type field and the blob's type disagree */
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "ecdsa-sha2-nistp256 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        /* base64: truncated, bad character, base64url alphabet, bad padding */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJ",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GK!l",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GK_l",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl====",
        "ssh-ed25519 =AAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        /* the blob: a 31-byte key, trailing bytes, a length past the end */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH+MqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKI=",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJlAA==",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAKOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
        "ssh-ed25519 /////w==",
        /* an authorized_keys line with options is not a .pub line */
        "restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        /* two lines */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x\nssh-ed25519 AAAA",
        /* a private key */
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    };
    char fp[DLG_SSH_FP_LEN], err[160];
    size_t i;

    (void)state;
    assert_int_equal(dlg_ssh_pubkey_line_fp(good, strlen(good), fp, err, sizeof(err)), 0);
    assert_true(dlg_ssh_fp_valid(fp));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (dlg_ssh_pubkey_line_fp(bad[i], strlen(bad[i]), fp, err, sizeof(err)) != -1)
            fail_msg("accepted bad key line #%zu: %s", i, bad[i]);
        assert_true(err[0] != '\0');
    }
    /* an embedded NUL */
    assert_int_equal(dlg_ssh_pubkey_line_fp("ssh-ed25519 AAAA\0x", 18, fp, err, sizeof(err)), -1);
    /* files: missing, empty, a directory */
    assert_int_equal(dlg_ssh_pubkey_file_fp("/nonexistent/x.pub", fp, err, sizeof(err)), -1);
    free(tl_write_file(dir, "empty.pub", "", 0644));
    {
        char *p = tl_path(dir, "empty.pub");
        assert_int_equal(dlg_ssh_pubkey_file_fp(p, fp, err, sizeof(err)), -1);
        free(p);
    }
    assert_int_equal(dlg_ssh_pubkey_file_fp(dir, fp, err, sizeof(err)), -1);
}

static void test_fp_valid(void **state)
{
    (void)state;
    assert_true(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"));
    assert_true(dlg_ssh_fp_valid("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_true(dlg_ssh_fp_valid("SHA256:+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8"));
    assert_false(dlg_ssh_fp_valid(NULL));
    assert_false(dlg_ssh_fp_valid(""));
    assert_false(dlg_ssh_fp_valid("SHA256:"));
    assert_false(dlg_ssh_fp_valid("sha256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"));
    assert_false(dlg_ssh_fp_valid("MD5:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"));
    assert_false(dlg_ssh_fp_valid("QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"));
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx"));   /* 42 */
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxww")); /* 44 */
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw="));
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx_"));
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx-"));
    assert_false(dlg_ssh_fp_valid("SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx "));
    assert_false(dlg_ssh_fp_valid("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));  /* stray bits */
    assert_false(dlg_ssh_fp_valid(" SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw"));
}

/* ---- the cnf claim ------------------------------------------------------- */

static enum dlg_reason parse_cnf(const char *cnf_json, char **cnf_out)
{
    static const char header[] = "{\"alg\":\"EdDSA\",\"typ\":\"dlg+jwt\",\"kid\":\"k1\"}";
    json_t *c = tl_claims(NOW);
    char *s, *claims, *tk;
    struct dlg_ticket t;
    enum dlg_reason r;

    s = tl_json(c);
    json_decref(c);
    if (cnf_json) {
        /* splice the raw text in before the final '}' */
        assert_true(asprintf(&claims, "%.*s,\"cnf\":%s}", (int)(strlen(s) - 1), s, cnf_json) > 0);
    } else {
        claims = strdup(s);
    }
    tk = tl_mint_raw(tl_key("ed25519"), "EdDSA", header, claims);
    r = dlg_ticket_parse(tk, strlen(tk), &t);
    if (cnf_out)
        *cnf_out = r == DLG_ADMIT && t.cnf_ssh ? strdup(t.cnf_ssh) : NULL;
    dlg_ticket_free(&t);
    free(tk);
    free(claims);
    free(s);
    return r;
}

static void test_cnf_claim(void **state)
{
    static const char fp[] = "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw";
    static const char *const bad[] = {
        "\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"",         /* not an object */
        "[\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"]",
        "null", "true", "1", "{}",
        "{\"ssh\":null}", "{\"ssh\":1}", "{\"ssh\":true}", "{\"ssh\":{}}",
        "{\"ssh\":[\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"]}",
        "{\"ssh\":\"\"}",
        "{\"ssh\":\"QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"}",          /* no prefix */
        "{\"ssh\":\"sha256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"}",
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx\"}",    /* 42 chars */
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw=\"}",  /* padding */
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mx_\"}",   /* base64url */
        "{\"ssh\":\"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\"}",   /* stray bits */
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\\u0000\"}",
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\",\"x\":1}",  /* extra */
        "{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\","
        "\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"}",    /* duplicate */
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}",          /* other method */
        "{\"jwk\":{\"kty\":\"OKP\"}}",
    };
    char *got = NULL;
    size_t i;

    (void)state;
    assert_int_equal(parse_cnf(NULL, &got), DLG_ADMIT);
    assert_null(got);
    assert_int_equal(parse_cnf("{\"ssh\":\"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw\"}",
                               &got), DLG_ADMIT);
    assert_non_null(got);
    assert_string_equal(got, fp);
    free(got);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse_cnf(bad[i], NULL) != DLG_MALFORMED)
            fail_msg("cnf #%zu not refused as malformed: %s", i, bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprints_match_ssh_keygen),
        cmocka_unit_test(test_auth_info),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_fp_valid),
        cmocka_unit_test(test_cnf_claim),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
