/* Stable reason strings (DESIGN.md §3) and their one-line explanations. */
#include "ticket/reason.h"

struct reason_text {
    const char *name;
    const char *explain;
};

static const struct reason_text reasons[DLG_REASON_COUNT] = {
    [DLG_ADMIT]                 = { "admit", "the ticket is valid for this request" },
    [DLG_NO_TICKET]             = { "no_ticket", "no ticket was presented" },
    [DLG_MALFORMED]             = { "malformed",
        "the ticket is not a well-formed compact JWS with the expected header and claims" },
    [DLG_UNSUPPORTED_ALG]       = { "unsupported_alg",
        "the signature algorithm is refused, not allowed for this issuer, or does not fit the key" },
    [DLG_WRONG_TYPE]            = { "wrong_type", "the ticket's typ header is not the one this issuer uses" },
    [DLG_UNKNOWN_ISSUER]        = { "unknown_issuer", "the issuer is not configured on this host" },
    [DLG_UNKNOWN_KEY]           = { "unknown_key", "the issuer has no configured key with this key id" },
    [DLG_BAD_SIGNATURE]         = { "bad_signature", "the signature does not verify with the issuer's key" },
    [DLG_EXPIRED]               = { "expired", "the ticket has expired" },
    [DLG_NOT_YET_VALID]         = { "not_yet_valid", "the ticket is not valid yet (nbf)" },
    [DLG_ISSUED_IN_FUTURE]      = { "issued_in_future", "the ticket's issue time lies in the future" },
    [DLG_LIFETIME_TOO_LONG]     = { "lifetime_too_long", "the ticket's lifetime exceeds the allowed maximum" },
    [DLG_WRONG_AUDIENCE]        = { "wrong_audience", "the ticket is not addressed to this host" },
    [DLG_UNKNOWN_ACTOR]         = { "unknown_actor", "the ticket's actor is not configured on this host" },
    [DLG_ACTOR_MISMATCH]        = { "actor_mismatch", "the ticket's actor is not the user being admitted" },
    [DLG_PRINCIPAL_NOT_ALLOWED] = { "principal_not_allowed",
        "the actor or the issuer may not act for this principal" },
    [DLG_SERVICE_NOT_ALLOWED]   = { "service_not_allowed",
        "the service is not allowed by the ticket or the actor's policy" },
    [DLG_SOURCE_NOT_ALLOWED]    = { "source_not_allowed",
        "the remote host is unknown or outside the allowed sources" },
    [DLG_RUNAS_NOT_ALLOWED]     = { "runas_not_allowed", "the target user is not allowed by the ticket or the actor's policy" },
    [DLG_APPROVAL_REQUIRED]     = { "approval_required", "the ticket lacks the required number of distinct approvers" },
    [DLG_REPLAYED]              = { "replayed", "the single-use ticket has already been used on this host" },
    [DLG_REVOKED_TICKET]        = { "revoked_ticket", "the ticket id is revoked" },
    [DLG_REVOKED_ACTOR]         = { "revoked_actor", "the actor is revoked" },
    [DLG_REVOKED_PRINCIPAL]     = { "revoked_principal", "the principal is revoked" },
    [DLG_REVOKED_ISSUER]        = { "revoked_issuer", "the issuer is revoked" },
    [DLG_REVOKED_KEY]           = { "revoked_key", "the signing key is revoked" },
    [DLG_REVOKED_BEFORE]        = { "revoked_before", "tickets issued before this time are revoked" },
    [DLG_KEY_REQUIRED]          = { "key_required",
        "the actor requires tickets bound to an ssh key (cnf), and this one is not" },
    [DLG_KEY_MISMATCH]          = { "key_mismatch",
        "the ticket is bound to an ssh key (cnf) the actor did not authenticate with in this connection" },
    [DLG_FEED_STALE]            = { "feed_stale",
        "a revocation feed this host follows is past its expiry or was never fetched" },
    [DLG_CONFIG_ERROR]          = { "config_error", "the host's delegation config is missing, unsafe or invalid" },
};

const char *dlg_reason_str(enum dlg_reason r)
{
    if ((unsigned)r >= DLG_REASON_COUNT || !reasons[r].name)
        return "config_error";
    return reasons[r].name;
}

const char *dlg_reason_explain(enum dlg_reason r)
{
    if ((unsigned)r >= DLG_REASON_COUNT || !reasons[r].explain)
        return "unknown outcome";
    return reasons[r].explain;
}
