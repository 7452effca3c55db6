/* Minting the catalogue's tickets (see catalogue.h); header-only so that
 * both the adversarial tests and the fuzz seed generator use it.  Needs
 * tests/lib/testlib.c. */
#ifndef DLG_ADV_MINT_H
#define DLG_ADV_MINT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "decision/policy.h"
#include "testlib.h"

struct adv_keys {
    EVP_PKEY *ed, *ec, *rsa;
};

static EVP_PKEY *adv_key(const struct adv_keys *k, const char *name)
{
    if (strcmp(name, "ec") == 0)
        return k->ec;
    if (strcmp(name, "rsa") == 0)
        return k->rsa;
    return k->ed;
}

struct adv_buf {
    char *p;
    size_t n, cap;
};

static void adv_put(struct adv_buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Expand @NOW@, @EXP@, @NOW-N@, @NOW+N@ in a template. */
static char *adv_expand_time(const char *tmpl, int64_t now)
{
    struct adv_buf b = {0};
    const char *p = tmpl;
    char num[32];

    adv_put(&b, "", 0);
    while (*p) {
        if (strncmp(p, "@NOW@", 5) == 0) {
            snprintf(num, sizeof(num), "%" PRId64, now);
            adv_put(&b, num, strlen(num));
            p += 5;
        } else if (strncmp(p, "@EXP@", 5) == 0) {
            snprintf(num, sizeof(num), "%" PRId64, now + 300);
            adv_put(&b, num, strlen(num));
            p += 5;
        } else if (strncmp(p, "@NOW", 4) == 0 && (p[4] == '-' || p[4] == '+')) {
            char *end;
            long long d = strtoll(p + 5, &end, 10);
            snprintf(num, sizeof(num), "%" PRId64, p[4] == '-' ? now - (int64_t)d : now + (int64_t)d);
            adv_put(&b, num, strlen(num));
            p = end + 1;    /* past the closing '@' */
        } else {
            adv_put(&b, p, 1);
            p++;
        }
    }
    return b.p;
}

/* The catalogue's reference ticket (ok_eddsa) at now. */
static char *adv_ok_ticket(const struct adv_keys *k, int64_t now)
{
    char *c = adv_expand_time(C_OK, now);
    char *t = tl_mint_raw(k->ed, "EdDSA", H_ED, c);

    free(c);
    return t;
}

/* A raw framing template: @OK@ (whole reference ticket), @OKH@ / @OKP@ (its
 * header and payload parts), @BIGn@ (the reference ticket padded to n bytes
 * inside its signature part), @NESTEDn@ (the reference claims with one more
 * member, "x", n arrays deep; with the reference header and signature, so
 * it is small enough to reach the JSON parser). */
static char *adv_expand_raw(const struct adv_keys *k, const char *tmpl, int64_t now, size_t *len)
{
    struct adv_buf b = {0};
    char *ok = adv_ok_ticket(k, now);
    const char *dot1 = strchr(ok, '.'), *dot2 = strchr(dot1 + 1, '.');
    const char *p = tmpl;

    adv_put(&b, "", 0);
    while (*p) {
        if (strncmp(p, "@OK@", 4) == 0) {
            adv_put(&b, ok, strlen(ok));
            p += 4;
        } else if (strncmp(p, "@OKH@", 5) == 0) {
            adv_put(&b, ok, (size_t)(dot1 - ok));
            p += 5;
        } else if (strncmp(p, "@OKP@", 5) == 0) {
            adv_put(&b, dot1 + 1, (size_t)(dot2 - dot1 - 1));
            p += 5;
        } else if (strncmp(p, "@BIG", 4) == 0) {
            char *end;
            size_t want = (size_t)strtoull(p + 4, &end, 10);
            adv_put(&b, ok, strlen(ok));
            while (b.n < want)
                adv_put(&b, "A", 1);
            p = end + 1;
        } else if (strncmp(p, "@NESTED", 7) == 0) {
            struct adv_buf n = {0};
            char *claims = adv_expand_time(C_OK, now), *enc, *end;
            long depth = strtol(p + 7, &end, 10), i;
            adv_put(&n, "{\"x\":", 5);
            for (i = 0; i < depth; i++)
                adv_put(&n, "[", 1);
            for (i = 0; i < depth; i++)
                adv_put(&n, "]", 1);
            adv_put(&n, ",", 1);
            adv_put(&n, claims + 1, strlen(claims + 1));
            adv_put(&b, ok, (size_t)(dot1 - ok) + 1);
            enc = tl_b64(n.p);
            adv_put(&b, enc, strlen(enc));
            adv_put(&b, dot2, strlen(dot2));
            free(enc);
            free(n.p);
            free(claims);
            p = end + 1;
        } else {
            adv_put(&b, p, 1);
            p++;
        }
    }
    free(ok);
    *len = b.n;
    return b.p;
}

/* The ticket text of case c at now (heap; *len its length). */
static char *adv_mint(const struct adv_keys *k, const struct adv_case *c, int64_t now, size_t *len)
{
    char *claims, *t;

    if (strcmp(c->sign_as, "raw") == 0)
        return adv_expand_raw(k, c->header, now, len);
    claims = adv_expand_time(c->claims, now);
    t = tl_mint_raw(adv_key(k, c->key), c->sign_as, c->header, claims);
    free(claims);
    *len = strlen(t);
    return t;
}

/* The request a case is presented with. */
static struct dlg_request adv_request(int which, int64_t now)
{
    struct dlg_request r;

    memset(&r, 0, sizeof(r));
    r.now = now;
    switch (which) {
    case 1: r.user = "support-bot"; r.service = "sudo"; r.runas = "alice"; break;
    case 2: r.user = "support-bot"; r.service = "sshd"; r.rhost = "2001:db8::1"; break;
    case 3: r.user = "gone-bot"; r.service = "sshd"; r.rhost = "10.9.9.9"; break;
    case 4: r.user = "sudo-bot"; r.service = "sudo"; r.runas = "root"; break;
    case 5: r.user = "ci-deploy"; r.service = "sshd"; r.rhost = "10.1.2.3"; r.ssh_key = ADV_KEY_A; break;
    case 6: r.user = "support-bot"; r.service = "sudo"; r.runas = "alice"; r.ssh_key = ADV_KEY_A; break;
    case 7: r.user = "ci-strict"; r.service = "sshd"; r.rhost = "10.1.2.3"; r.ssh_key = ADV_KEY_A; break;
    default: r.user = "ci-deploy"; r.service = "sshd"; r.rhost = "10.1.2.3"; break;
    }
    return r;
}

#endif
