/* Decision outcomes: stable strings of DESIGN.md §3. */
#ifndef DLG_REASON_H
#define DLG_REASON_H

enum dlg_reason {
    DLG_ADMIT = 0,
    DLG_NO_TICKET,
    DLG_MALFORMED,
    DLG_UNSUPPORTED_ALG,
    DLG_WRONG_TYPE,
    DLG_UNKNOWN_ISSUER,
    DLG_UNKNOWN_KEY,
    DLG_BAD_SIGNATURE,
    DLG_EXPIRED,
    DLG_NOT_YET_VALID,
    DLG_ISSUED_IN_FUTURE,
    DLG_LIFETIME_TOO_LONG,
    DLG_WRONG_AUDIENCE,
    DLG_UNKNOWN_ACTOR,
    DLG_ACTOR_MISMATCH,
    DLG_PRINCIPAL_NOT_ALLOWED,
    DLG_SERVICE_NOT_ALLOWED,
    DLG_SOURCE_NOT_ALLOWED,
    DLG_RUNAS_NOT_ALLOWED,
    DLG_APPROVAL_REQUIRED,
    DLG_REPLAYED,
    DLG_REVOKED_TICKET,
    DLG_REVOKED_ACTOR,
    DLG_REVOKED_PRINCIPAL,
    DLG_REVOKED_ISSUER,
    DLG_REVOKED_KEY,
    DLG_REVOKED_BEFORE,
    DLG_KEY_REQUIRED,
    DLG_KEY_MISMATCH,
    DLG_FEED_STALE,             /* a revocation feed (DESIGN.md §6a) is past its exp or never fetched */
    DLG_CONFIG_ERROR,
    DLG_REASON_COUNT
};

/* "admit", "no_ticket", ... ; never NULL. */
const char *dlg_reason_str(enum dlg_reason r);
/* One-line human explanation for `delegatectl verify`. */
const char *dlg_reason_explain(enum dlg_reason r);

#endif
