/* What a new feed version costs a host (DESIGN.md §6a), for a feed with N
 * revoked ticket ids, step by step, against one ticket verify:
 *
 *   bench_feed CONF FEEDKEY.key FEEDKEY.pub N [REPEATS]
 *
 * CONF names the feed "bench" (its key FEEDKEY.pub) and one issuer whose key
 * is FEEDKEY's too (so a ticket can be minted here).  Steps, each timed on
 * its own, REPEATS times (median, min, max in ns):
 *   verify    dlg_feed_verify: base64url, the signature, strict JSON of N ids
 *   revfile   dlg_feed_revfile_write: the revocation file every reader takes
 *   load      dlg_config_load of CONF with it (the text path: libconfig)
 *   compile   dlg_compiled_write: the compiled form
 *   cpl_load  dlg_compiled_load of that form (what a PAM transaction pays)
 *   decide    dlg_decide_lazy of a ticket on the compiled form
 * and "ticket_verify": one Ed25519 verify of a ticket's signing input.
 * Writes DLG_FEED_REVOKED_DIR/bench.conf and CONF.bin: run it in a private
 * mount namespace (bench/feed.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "config/compiled.h"
#include "decision/policy.h"
#include "feed/feed.h"
#include "ticket/alg.h"
#include "ticket/sign.h"

static const char *conf_path;
static char cpl_path[4096];
static char *feed_text, *ticket;
static EVP_PKEY *pub, *priv;
static struct dlg_feed_doc doc;
static struct dlg_config *loaded;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_feed: %s: %s\n", what, why);
    exit(1);
}

static void step_verify(void)
{
    char err[256];

    dlg_feed_doc_free(&doc);
    if (dlg_feed_verify(feed_text, strlen(feed_text), "bench", pub, (int64_t)time(NULL), &doc,
                        err, sizeof(err)) != 0)
        die("verify", err);
}

static void step_revfile(void)
{
    char err[256];

    if (dlg_feed_revfile_write(DLG_FEED_REVOKED_DIR, &doc, err, sizeof(err)) != 0)
        die("revfile", err);
}

static void step_load(void)
{
    struct dlg_diag d = { 0 };

    dlg_config_free(loaded);
    loaded = dlg_config_load_stamped(conf_path, &d);
    if (loaded == NULL)
        die("load", d.errors.n ? d.errors.v[0] : "?");
    dlg_diag_free(&d);
}

static void step_compile(void)
{
    struct dlg_diag d = { 0 };

    if (dlg_compiled_write_opt(loaded, cpl_path, DLG_CPL_WRITE_NOWAIT, &d) != 0)
        die("compile", d.errors.n ? d.errors.v[0] : "racily clean");
    dlg_diag_free(&d);
}

static struct dlg_config *cpl;

static void step_cpl_load(void)
{
    char why[256];

    dlg_config_free(cpl);
    cpl = dlg_compiled_load(cpl_path, conf_path, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
    if (cpl == NULL)
        die("compiled load", why);
}

static void step_decide(void)
{
    struct dlg_request req = { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3",
                               .now = (int64_t)time(NULL) };
    struct dlg_verdict v;
    enum dlg_reason r = dlg_decide_lazy(cpl, ticket, strlen(ticket), &req, &v, NULL);

    if (r != DLG_ADMIT)
        die("decide", v.detail);
    dlg_verdict_free(&v);
}

static void ticket_verify_once(void *arg)
{
    const char *dot = strrchr(ticket, '.');
    static unsigned char *sig;
    static size_t siglen;

    (void)arg;
    if (sig == NULL && dlg_b64url_decode(dot + 1, strlen(dot + 1), &sig, &siglen) != 0)
        die("ticket", "signature");
    if (!dlg_alg_verify(dlg_alg_find("EdDSA"), pub, (const unsigned char *)ticket,
                        (size_t)(dot - ticket), sig, siglen))
        die("ticket", "does not verify");
}

static double timed(void (*fn)(void))
{
    uint64_t t0 = bench_now_ns();

    fn();
    return (double)(bench_now_ns() - t0);
}

static void report(const char *name, unsigned long n, double *v, size_t k)
{
    struct bench_stat s = bench_summarize(v, k);

    printf("%s %lu %.0f %.0f %.0f\n", name, n, s.median, s.min, s.max);
}

static void settle(void)
{
    /* past the file system's time-stamp granularity, so the compiled form
     * may record the revocation file (compiled.h, racily clean rule) */
    struct timespec d = { 0, 120L * 1000 * 1000 };
    nanosleep(&d, NULL);
}

int main(int argc, char **argv)
{
    unsigned long n, repeats;
    struct dlg_feed_revs revs;
    char err[256];
    int64_t now = (int64_t)time(NULL);

    if (argc < 5) {
        fprintf(stderr, "usage: bench_feed CONF FEEDKEY.key FEEDKEY.pub N [REPEATS]\n");
        return 2;
    }
    conf_path = argv[1];
    n = strtoul(argv[4], NULL, 10);
    repeats = argc > 5 ? strtoul(argv[5], NULL, 10) : 5;
    snprintf(cpl_path, sizeof(cpl_path), "%s.bin", conf_path);
    priv = dlg_load_private_key(argv[2], err, sizeof(err));
    pub = dlg_feed_key_load(argv[3], NULL, 0, err, sizeof(err));
    if (priv == NULL || pub == NULL || repeats == 0)
        die("keys", err);
    memset(&revs, 0, sizeof(revs));
    revs.tickets = calloc(n, sizeof(*revs.tickets));
    for (unsigned long i = 0; i < n; i++) {
        char id[40];
        snprintf(id, sizeof(id), "01JDX3%020lu", i * 2654435761ul % 100000000000ul);
        revs.tickets[i].id = strdup(id);
        revs.tickets[i].until = now + 3600;
    }
    revs.ntickets = n;
    feed_text = dlg_feed_sign(priv, "bench", 1, now, now + 3600, &revs, err, sizeof(err));
    if (feed_text == NULL)
        die("sign", err);
    {
        json_t *c = json_pack("{s:s, s:s, s:{s:s}, s:s, s:[s], s:I, s:I, s:s}", "iss", "corp",
                              "sub", "alice", "act", "sub", "ci-deploy", "aud", "bench-host",
                              "svc", "sshd", "iat", (json_int_t)now, "exp", (json_int_t)(now + 600),
                              "jti", "bench-not-revoked");
        ticket = dlg_sign_ticket(priv, "EdDSA", "k1", NULL, c, err, sizeof(err));
        json_decref(c);
        if (ticket == NULL)
            die("ticket", err);
    }
    printf("bytes %lu %zu\n", n, strlen(feed_text));

    double *tv = calloc(repeats, sizeof(double)), *tr = calloc(repeats, sizeof(double)),
           *tl = calloc(repeats, sizeof(double)), *tc = calloc(repeats, sizeof(double)),
           *tp = calloc(repeats, sizeof(double)), *td = calloc(repeats, sizeof(double));
    for (unsigned long r = 0; r < repeats; r++) {
        tv[r] = timed(step_verify);
        tr[r] = timed(step_revfile);
        settle();
        tl[r] = timed(step_load);
        tc[r] = timed(step_compile);
        settle();
        tp[r] = timed(step_cpl_load);
        td[r] = timed(step_decide);
    }
    report("verify", n, tv, repeats);
    report("revfile", n, tr, repeats);
    report("load", n, tl, repeats);
    report("compile", n, tc, repeats);
    report("cpl_load", n, tp, repeats);
    report("decide", n, td, repeats);
    {
        unsigned long k = bench_calibrate(ticket_verify_once, NULL, 20000000ul, 10);
        double *tt = calloc(repeats * 3, sizeof(double));
        for (unsigned long r = 0; r < repeats * 3; r++)
            tt[r] = bench_batch(ticket_verify_once, NULL, k);
        report("ticket_verify", n, tt, repeats * 3);
        free(tt);
    }
    dlg_config_free(cpl);
    dlg_config_free(loaded);
    dlg_feed_doc_free(&doc);
    dlg_feed_revs_free(&revs);
    free(feed_text);
    free(ticket);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(priv);
    free(tv);
    free(tr);
    free(tl);
    free(tc);
    free(tp);
    free(td);
    return 0;
}
