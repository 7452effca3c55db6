/* make bench: delegate-exchange throughput and latency.  Sends every token
 * of TOKENS (one per line, each exchanged once) with the ssh key PUB to URL
 * (POST /v1/ticket, one kept-alive libcurl handle, one request at a time),
 * then signs as many bare tickets with the issuer key KEY (common/'s
 * signer: one Ed25519 signature over the same claims shape).  Prints
 *   exchange.per_s N  exchange.p50_us N  exchange.p99_us N  sign.p50_us N ...
 * Usage: bench_exchange URL TOKENS PUB KEY [CAFILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bench_common.h"
#include "ticket/sign.h"

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (*(size_t *)ud) += s * n;
    return s * n;
}

static double pct(double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    char line[16384], pub[4096] = "", err[256];
    double *lat = NULL, *sig = NULL;
    size_t n = 0, cap = 0, ok = 0, got = 0;
    FILE *f;
    CURL *c;
    struct curl_slist *h = NULL;
    EVP_PKEY *key;
    uint64_t t0, total;

    if (argc < 5) {
        fprintf(stderr, "usage: bench_exchange URL TOKENS PUB KEY [CAFILE]\n");
        return 2;
    }
    f = fopen(argv[3], "r");
    if (!f || !fgets(pub, sizeof(pub), f))
        return 2;
    fclose(f);
    pub[strcspn(pub, "\n")] = '\0';
    key = dlg_load_private_key(argv[4], err, sizeof(err));
    if (!key) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c = curl_easy_init();
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, argv[1]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    if (argc > 5)
        curl_easy_setopt(c, CURLOPT_CAINFO, argv[5]);
    f = fopen(argv[2], "r");
    if (!f)
        return 2;
    total = 0;
    while (fgets(line, sizeof(line), f)) {
        json_t *body;
        char *text;
        long code = 0;

        line[strcspn(line, "\n")] = '\0';
        body = json_pack("{s:s, s:s}", "token", line, "ssh_key", pub);
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        t0 = bench_now_ns();
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        uint64_t dt = bench_now_ns() - t0;
        free(text);
        if (n == cap) {
            double *nl = realloc(lat, (cap ? cap * 2 : 1024) * sizeof(*lat));
            if (!nl)
                return 2;
            lat = nl;
            cap = cap ? cap * 2 : 1024;
        }
        lat[n++] = (double)dt;
        total += dt;
        ok += code == 200;
    }
    fclose(f);
    if (n == 0 || ok != n) {
        fprintf(stderr, "bench_exchange: %zu of %zu exchanges answered 200\n", ok, n);
        return 1;
    }
    /* the baseline: one bare ticket signing, as many times */
    sig = calloc(n, sizeof(*sig));
    if (!sig)
        return 2;
    for (size_t i = 0; i < n; i++) {
        json_t *cl = json_pack("{s:s, s:s, s:{s:s}, s:s, s:[s], s:I, s:I, s:s, s:{s:s}}",
                               "iss", "ci", "sub", "octocat", "act", "sub", "ci-deploy", "aud",
                               "e2e-host", "svc", "sshd", "iat", (json_int_t)1764500000, "exp",
                               (json_int_t)1764500600, "jti", "AAAAAAAAAAAAAAAA", "cnf", "ssh",
                               "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        t0 = bench_now_ns();
        char *t = dlg_sign_ticket(key, "EdDSA", "ci-1", NULL, cl, err, sizeof(err));
        sig[i] = (double)(bench_now_ns() - t0);
        free(t);
        json_decref(cl);
    }
    struct bench_stat le = bench_summarize(lat, n), ls = bench_summarize(sig, n);
    printf("exchange.count %zu\n", n);
    printf("exchange.per_s %.1f\n", (double)n / ((double)total / 1e9));
    printf("exchange.p50_us %.1f\nexchange.p99_us %.1f\nexchange.max_us %.1f\n", le.median / 1e3,
           pct(lat, n, 0.99) / 1e3, le.max / 1e3);
    printf("sign.p50_us %.1f\nsign.p99_us %.1f\n", ls.median / 1e3, pct(sig, n, 0.99) / 1e3);
    printf("ratio.p50 %.2f\nratio.p99 %.2f\n", le.median / ls.median, pct(lat, n, 0.99) / pct(sig, n, 0.99));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    EVP_PKEY_free(key);
    free(lat);
    free(sig);
    return 0;
}
