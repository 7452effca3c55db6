/* base64url without padding (RFC 7515 §2, RFC 4648 §5), strict.  The
 * alphabet and the trailing bits are checked here; the decoding itself is
 * OpenSSL's EVP_DecodeBlock on the standard-alphabet translation. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/b64.h"
#include "ticket/ticket.h"

int dlg_b64_digit(unsigned char c, char d62, char d63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)d62)
        return 62;
    if (c == (unsigned char)d63)
        return 63;
    return -1;
}

/* Value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    return dlg_b64_digit(c, '-', '_');
}

/* The largest text either direction takes: a revocation feed (16 MiB of
 * JWS, DESIGN.md §6a) is the largest input; tickets are refused above 8 KiB
 * before they get here. */
#define B64URL_MAX ((size_t)17 << 20)

int dlg_b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
    char *std = NULL;
    unsigned char *buf = NULL;
    size_t rem, padded, want, i;
    int n, rc = -1;

    *out = NULL;
    *outlen = 0;
    if (!in || inlen > B64URL_MAX)
        return -1;
    rem = inlen % 4;
    if (rem == 1)
        return -1;
    for (i = 0; i < inlen; i++)
        if (b64url_value((unsigned char)in[i]) < 0)
            return -1;
    /* The bits after the last whole byte must be zero (canonical form). */
    if (rem == 2 && (b64url_value((unsigned char)in[inlen - 1]) & 0x0f))
        return -1;
    if (rem == 3 && (b64url_value((unsigned char)in[inlen - 1]) & 0x03))
        return -1;

    want = inlen / 4 * 3 + (rem == 2 ? 1 : rem == 3 ? 2 : 0);
    padded = inlen + (rem ? 4 - rem : 0);
    std = malloc(padded + 1);
    buf = malloc(padded / 4 * 3 + 1);
    if (!std || !buf)
        goto out;
    for (i = 0; i < inlen; i++)
        std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    for (; i < padded; i++)
        std[i] = '=';
    std[padded] = '\0';

    if (padded > 0) {
        /* EVP_DecodeBlock counts the zero bytes that stand for padding. */
        n = EVP_DecodeBlock(buf, (const unsigned char *)std, (int)padded);
        if (n < 0 || (size_t)n != padded / 4 * 3)
            goto out;
    }
    buf[want] = '\0';
    *out = buf;
    *outlen = want;
    buf = NULL;
    rc = 0;
out:
    if (std) {
        explicit_bzero(std, padded + 1);
        free(std);
    }
    if (buf) {
        explicit_bzero(buf, padded / 4 * 3 + 1);
        free(buf);
    }
    return rc;
}

char *dlg_b64url_encode(const unsigned char *in, size_t inlen)
{
    char *buf;
    size_t cap, i;
    int n;

    if (inlen > B64URL_MAX)
        return NULL;
    cap = (inlen + 2) / 3 * 4 + 1;
    buf = malloc(cap);
    if (!buf)
        return NULL;
    n = inlen ? EVP_EncodeBlock((unsigned char *)buf, in, (int)inlen) : 0;
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    for (i = 0; i < (size_t)n; i++) {
        if (buf[i] == '+')
            buf[i] = '-';
        else if (buf[i] == '/')
            buf[i] = '_';
        else if (buf[i] == '=') {
            buf[i] = '\0';
            break;
        }
    }
    return buf;
}
