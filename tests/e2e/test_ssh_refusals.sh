#!/bin/bash
# Real sshd + real ssh client: every way a ticket can fall outside its scope
# is refused with the DESIGN.md §3 reason, and host-level revocation takes
# effect at the next login without restarting sshd.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
e2e_start_sshd

ssh_ticket() {   # extra issue options...; defaults: ci-deploy for alice via sshd-dlg
    issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" "$@"
}

# Issued first, used last: lifetime 2 s, clock_skew 1 s in the test config.
T_EXP=$(ssh_ticket --ttl 2s --jti e2e-expired)
exp_issued=$(date +%s)

T_OK=$(ssh_ticket --ttl 10m --jti e2e-ok)
expect_ssh_admitted "control: in-scope ticket" "$T_OK"
expect_ssh_admitted "aud as a host alias, other case" \
    "$(ssh_ticket --ttl 10m --jti e2e-alias --host OTHER,E2E-HOST.Example.Test)"

expect_ssh_refused "wrong service (svc sudo)" service_not_allowed \
    "$(ssh_ticket --ttl 10m --jti e2e-svc --service sudo)"
expect_ssh_refused "wrong host (aud other-host)" wrong_audience \
    "$(ssh_ticket --ttl 10m --jti e2e-aud --host other-host)"
expect_ssh_refused "wrong source (src 10.0.0.0/8, client 127.0.0.1)" source_not_allowed \
    "$(ssh_ticket --ttl 10m --jti e2e-src --source 10.0.0.0/8)"
expect_ssh_refused "principal not allowed for the actor" principal_not_allowed \
    "$(ssh_ticket --ttl 10m --jti e2e-sub --for mallory)"
expect_ssh_refused "ticket of another actor" actor_mismatch \
    "$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
             --approver carol --ttl 10m --jti e2e-act)"
expect_ssh_refused "not yet valid (nbf in 5 minutes)" not_yet_valid \
    "$(ssh_ticket --ttl 10m --jti e2e-nbf --not-before "@$(($(date +%s) + 300))")"
expect_ssh_refused "lifetime above the actor's max_lifetime (900 s)" lifetime_too_long \
    "$(ssh_ticket --ttl 1h --jti e2e-life)"
sig=${T_OK##*.}
flip=A; [ "${sig:3:1}" = A ] && flip=B
expect_ssh_refused "signature altered" bad_signature "${T_OK%.*}.${sig:0:3}$flip${sig:4}"
expect_ssh_refused "unknown key id" unknown_key \
    "$("$CTL" issue --key "$NS/issuer/corp-k1.key" --issuer corp --kid k9 --actor ci-deploy \
        --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 10m --jti e2e-kid)"
expect_ssh_refused "empty reply" no_ticket ""
expect_ssh_refused "garbage reply" malformed "not-a-ticket"

audit_mark
out=$(ssh_pass "$(ssh_ticket --ttl 10m --jti e2e-pass-svc --service sudo)" ci-deploy 'echo ADMITTED')
check "sshpass (password auth) with a ticket for another service: refused" \
    bash -c '[ "$1" -ne 0 ] && ! grep -q ADMITTED <<<"$2"' _ "$?" "$out"
check "sshpass refusal: audit deny reason=service_not_allowed" \
    audit_has event=deny user=ci-deploy reason=service_not_allowed jti=e2e-pass-svc

# ---- revocation: takes effect at the next login, sshd keeps running ----------
T_HAND=$(ssh_ticket --ttl 10m --jti e2e-hand-edit)
expect_ssh_admitted "before a hand edit of revoked.conf" "$T_HAND"
cat >"$REVOKED" <<'CONF'
# edited by hand, as an administrator would
revoke = {
  tickets = ( { id = "e2e-hand-edit"; } );
  actors = []; principals = []; issuers = []; keys = [];
};
CONF
expect_ssh_refused "after a hand edit of revoked.conf" revoked_ticket "$T_HAND"

T_REV=$(ssh_ticket --ttl 10m --jti e2e-revoke-me)
expect_ssh_admitted "before revocation" "$T_REV"
out=$("$CTL" revoke --ticket e2e-revoke-me --config "$CONF" 2>&1)
is "$?" 0 "delegatectl revoke --ticket e2e-revoke-me: exit 0"
check "revoked.conf lists the ticket id" grep -q '"e2e-revoke-me"' "$REVOKED"
check "revoked.conf stays root 0644" test "$(stat -c '%a %U' "$REVOKED")" = "644 root"
expect_ssh_refused "after revocation (same ticket)" revoked_ticket "$T_REV"
check "sshd was not restarted" kill -0 "$SSHD_PID"
expect_ssh_admitted "another ticket still admitted" "$(ssh_ticket --ttl 10m --jti e2e-other)"

"$CTL" revoke --principal release --config "$CONF" >/dev/null 2>&1
expect_ssh_refused "principal revoked" revoked_principal \
    "$(ssh_ticket --ttl 10m --jti e2e-release --for release)"

# ---- expiry ---------------------------------------------------------------
while [ "$(date +%s)" -lt $((exp_issued + 4)) ]; do sleep 0.2; done
expect_ssh_refused "expired (ttl 2 s, skew 1 s)" expired "$T_EXP"

# ---- an actor revoked as a whole no longer resolves (NSS, no restart) -------
"$CTL" revoke --actor ci-deploy --config "$CONF" >/dev/null 2>&1
check "revoked actor: getent passwd ci-deploy finds nothing" \
    bash -c '! getent passwd ci-deploy >/dev/null'
audit_mark
out=$(ssh_kbd "$(ssh_ticket --ttl 10m --jti e2e-actor-revoked)" ci-deploy 'echo ADMITTED')
check "revoked actor: ssh login refused" bash -c '[ "$1" -ne 0 ] && ! grep -q ADMITTED <<<"$2"' _ "$?" "$out"
check "revoked actor: audit has no admit" audit_lacks event=admit

all_secret_absent() {
    local t
    for t in "$T_OK" "$T_REV" "$T_EXP"; do
        secret_absent "$t" "$AUDIT" "$NS/sshd.log" "$REVOKED" || return 1
    done
}
check "no ticket text in the audit file, the sshd log or revoked.conf" all_secret_absent
