/* Delegation tickets: strict compact JWS (DESIGN.md §2). */
#ifndef DLG_TICKET_H
#define DLG_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket/reason.h"
#include "util/util.h"

#define DLG_TICKET_MAX 8192

struct dlg_ticket {
    /* header */
    char *alg;
    char *typ;                  /* NULL if absent */
    char *kid;                  /* NULL if absent */
    /* claims */
    char *iss;
    char *sub;
    char *actor;                /* act.sub */
    struct dlg_strv aud;        /* a single string becomes a one-element list */
    struct dlg_strv svc;
    int64_t iat, exp, nbf;
    bool has_nbf;
    char *jti;
    bool has_runas;
    struct dlg_strv runas;
    bool has_src;
    struct dlg_strv src;
    bool has_apv;
    struct dlg_strv apv;
    bool once;
    /* the signed part and the signature, for verification */
    unsigned char *signing_input;  /* "header.payload" bytes */
    size_t signing_input_len;
    unsigned char *sig;
    size_t sig_len;
    /* cnf.ssh (RFC 7800 confirmation): "SHA256:<43 base64>", NULL if no cnf */
    char *cnf_ssh;
};

/* Parse without verifying.  Returns DLG_ADMIT on success, or DLG_NO_TICKET,
 * DLG_MALFORMED, DLG_UNSUPPORTED_ALG.  (typ is checked by the decision since
 * it depends on the issuer.)  On failure *t is left zeroed. */
enum dlg_reason dlg_ticket_parse(const char *text, size_t len, struct dlg_ticket *t);
void dlg_ticket_free(struct dlg_ticket *t);

/* Decode header and claims as JSON text for `delegatectl inspect` (no checks
 * beyond base64url).  Returns 0 and heap strings, or -1. */
int dlg_ticket_decode_json(const char *text, size_t len, char **header_json, char **claims_json);

/* base64url without padding (RFC 7515 §2); strict: no '=', no whitespace,
 * no non-alphabet bytes, no non-zero trailing bits.  Heap result. */
int dlg_b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen);
char *dlg_b64url_encode(const unsigned char *in, size_t inlen);

#endif
