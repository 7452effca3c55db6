/* Admission against the cryptographic floor.
 *
 *   bench_pam --confdir DIR [--confdir2 DIR2] --service SVC --user ACTOR
 *             [--rhost ADDR] --ticket FILE --pub PEM [--repeats R] [--batch-ms MS]
 *
 * Two operations, measured in alternating batches in this one process:
 *   verify: one bare OpenSSL Ed25519 verification of the ticket's signing
 *           input (EVP_MD_CTX_new, EVP_DigestVerifyInit, EVP_DigestVerify,
 *           EVP_MD_CTX_free) with the public key already loaded;
 *   txn:    one full PAM transaction through libpam with the stack in
 *           DIR/SVC (pam_start_confdir, pam_authenticate with the ticket as
 *           the conversation's reply, pam_acct_mgmt, pam_open_session,
 *           pam_close_session, pam_end), i.e. everything the module does:
 *           dlopen, config and key reads, the decision, audit lines, the
 *           session record.
 * With --confdir2, the same transaction with the stack (and config) of DIR2
 * ("txn2").  Each repeat runs one batch of each, back to back, so that the
 * ratio txn/verify and the difference txn2 - txn are taken within a repeat
 * (the machine's load changes slower than that).  Prints, in ns per
 * operation, "KIND MEDIAN MIN MAX" for verify, txn, txn2, and the per-repeat
 * "ratio" (txn/verify), "diff" (txn2 - txn) and "diffratio" ((txn2 - txn)/verify). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <security/pam_appl.h>

#include "bench_common.h"
#include "ticket/ticket.h"

struct pam_bench {
    const char *confdir, *confdir2, *cur_confdir, *service, *user, *rhost, *ticket;
    EVP_PKEY *pkey;
    const unsigned char *data;
    size_t data_len;
    unsigned char *sig;
    size_t sig_len;
    unsigned long failures;
};

static void die(const char *msg)
{
    fprintf(stderr, "bench_pam: %s\n", msg);
    exit(2);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "re");
    char buf[16384];
    size_t n;

    if (f == NULL)
        die("cannot open the ticket file");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return strdup(buf);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const struct pam_bench *b = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            r[i].resp = strdup(b->ticket);
            if (r[i].resp == NULL) {
                for (int k = 0; k < i; k++)
                    free(r[k].resp);
                free(r);
                return PAM_BUF_ERR;
            }
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void verify_once(void *arg)
{
    struct pam_bench *b = arg;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, b->pkey) != 1 ||
        EVP_DigestVerify(ctx, b->sig, b->sig_len, b->data, b->data_len) != 1)
        b->failures++;
    EVP_MD_CTX_free(ctx);
}

/* Returns the first failing step's name, NULL on success. */
static const char *txn(struct pam_bench *b)
{
    struct pam_conv c = { conv, b };
    pam_handle_t *pamh = NULL;
    const char *failed = NULL;
    int rc;

    rc = pam_start_confdir(b->service, b->user, &c, b->cur_confdir, &pamh);
    if (rc != PAM_SUCCESS)
        return "pam_start";
    if (b->rhost != NULL && pam_set_item(pamh, PAM_RHOST, b->rhost) != PAM_SUCCESS)
        failed = "pam_set_item";
    else if ((rc = pam_authenticate(pamh, 0)) != PAM_SUCCESS)
        failed = "pam_authenticate";
    else if ((rc = pam_acct_mgmt(pamh, 0)) != PAM_SUCCESS)
        failed = "pam_acct_mgmt";
    else if ((rc = pam_open_session(pamh, 0)) != PAM_SUCCESS)
        failed = "pam_open_session";
    else if ((rc = pam_close_session(pamh, 0)) != PAM_SUCCESS)
        failed = "pam_close_session";
    pam_end(pamh, rc);
    return failed;
}

static void txn_once(void *arg)
{
    struct pam_bench *b = arg;

    if (txn(b) != NULL)
        b->failures++;
}

int main(int argc, char **argv)
{
    struct pam_bench b = { .service = "sshd" };
    const char *pub = NULL, *ticket_file = NULL, *why;
    unsigned long repeats = 41, batch_ms = 10, nv, nt, nt2 = 0;
    double *tv, *tt, *tt2, *ratio, *diff, *dratio;
    FILE *f;

    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--confdir") == 0) b.confdir = v;
        else if (strcmp(k, "--confdir2") == 0) b.confdir2 = v;
        else if (strcmp(k, "--service") == 0) b.service = v;
        else if (strcmp(k, "--user") == 0) b.user = v;
        else if (strcmp(k, "--rhost") == 0) b.rhost = v;
        else if (strcmp(k, "--ticket") == 0) ticket_file = v;
        else if (strcmp(k, "--pub") == 0) pub = v;
        else if (strcmp(k, "--repeats") == 0) repeats = strtoul(v, NULL, 10);
        else if (strcmp(k, "--batch-ms") == 0) batch_ms = strtoul(v, NULL, 10);
        else die("unknown option");
    }
    if (b.confdir == NULL || b.user == NULL || ticket_file == NULL || pub == NULL || repeats == 0)
        die("usage: --confdir DIR --service SVC --user U [--rhost A] --ticket F --pub PEM");

    b.ticket = read_text(ticket_file);
    const char *dot = strrchr(b.ticket, '.');
    if (dot == NULL)
        die("ticket has no signature part");
    b.data = (const unsigned char *)b.ticket;
    b.data_len = (size_t)(dot - b.ticket);
    if (dlg_b64url_decode(dot + 1, strlen(dot + 1), &b.sig, &b.sig_len) != 0)
        die("bad signature encoding");
    f = fopen(pub, "re");
    if (f == NULL || (b.pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL)
        die("cannot read the public key");
    fclose(f);

    /* Both must succeed before anything is timed. */
    verify_once(&b);
    if (b.failures != 0)
        die("the bare verification fails");
    for (int pass = 0; pass < 2; pass++) {
        b.cur_confdir = pass == 0 ? b.confdir : b.confdir2;
        if (b.cur_confdir != NULL && (why = txn(&b)) != NULL) {
            fprintf(stderr, "bench_pam: the PAM transaction (%s) fails at %s\n", b.cur_confdir, why);
            return 1;
        }
    }

    nv = bench_calibrate(verify_once, &b, batch_ms * 1000000ul, 20);
    b.cur_confdir = b.confdir;
    nt = bench_calibrate(txn_once, &b, batch_ms * 1000000ul, 5);
    if (b.confdir2 != NULL) {
        b.cur_confdir = b.confdir2;
        nt2 = bench_calibrate(txn_once, &b, batch_ms * 1000000ul, 3);
    }
    tv = calloc(repeats, sizeof(*tv));
    tt = calloc(repeats, sizeof(*tt));
    tt2 = calloc(repeats, sizeof(*tt2));
    ratio = calloc(repeats, sizeof(*ratio));
    diff = calloc(repeats, sizeof(*diff));
    dratio = calloc(repeats, sizeof(*dratio));
    if (tv == NULL || tt == NULL || tt2 == NULL || ratio == NULL || diff == NULL || dratio == NULL)
        die("out of memory");
    for (unsigned long r = 0; r < repeats; r++) {
        tv[r] = bench_batch(verify_once, &b, nv);
        b.cur_confdir = b.confdir;
        tt[r] = bench_batch(txn_once, &b, nt);
        ratio[r] = tt[r] / tv[r];
        if (b.confdir2 != NULL) {
            b.cur_confdir = b.confdir2;
            tt2[r] = bench_batch(txn_once, &b, nt2);
            diff[r] = tt2[r] - tt[r];
            dratio[r] = diff[r] / tv[r];    /* the extra, in bare verifies */
        }
    }
    if (b.failures != 0) {
        fprintf(stderr, "bench_pam: %lu operations failed during the run\n", b.failures);
        return 1;
    }
    struct bench_stat s;
    s = bench_summarize(tv, repeats);
    printf("verify %.0f %.0f %.0f n=%lu\n", s.median, s.min, s.max, nv);
    s = bench_summarize(tt, repeats);
    printf("txn %.0f %.0f %.0f n=%lu\n", s.median, s.min, s.max, nt);
    s = bench_summarize(ratio, repeats);
    printf("ratio %.3f %.3f %.3f\n", s.median, s.min, s.max);
    if (b.confdir2 != NULL) {
        s = bench_summarize(tt2, repeats);
        printf("txn2 %.0f %.0f %.0f n=%lu\n", s.median, s.min, s.max, nt2);
        s = bench_summarize(diff, repeats);
        printf("diff %.0f %.0f %.0f\n", s.median, s.min, s.max);
        s = bench_summarize(dratio, repeats);
        printf("diffratio %.3f %.3f %.3f\n", s.median, s.min, s.max);
    }
    EVP_PKEY_free(b.pkey);
    free(b.sig);
    free(tv);
    free(tt);
    free(tt2);
    free(ratio);
    free(diff);
    free(dratio);
    return 0;
}
