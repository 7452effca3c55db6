#!/bin/bash
# Open sessions: `delegatectl sessions` lists a running delegated ssh
# session (and forgets it at logout); `delegatectl revoke --ticket ID
# --terminate` ends a running one and refuses the ticket afterwards.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
e2e_start_sshd

ssh_ticket() {
    issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 10m "$@"
}
sessions_show() { "$CTL" sessions 2>/dev/null | grep -q -- "$1"; }
sessions_gone() { ! "$CTL" sessions 2>/dev/null | grep -q -- "$1"; }

# ---- a session that ends by itself -------------------------------------------
T1=$(ssh_ticket --jti e2e-sess-short)
ssh_kbd "$T1" ci-deploy 'echo STARTED; sleep 5; echo FINISHED' >"$NS/short.out" &
c1=$!
check "short session started" wait_for 10 grep -qx STARTED "$NS/short.out"
check "delegatectl sessions lists it (ticket id)" wait_for 3 sessions_show e2e-sess-short
out=$("$CTL" sessions 2>&1)
diag "$out"
check "the listing names actor, principal and service" \
    bash -c 'grep -- e2e-sess-short <<<"$1" | grep -q ci-deploy && grep -- e2e-sess-short <<<"$1" |
             grep -q alice && grep -- e2e-sess-short <<<"$1" | grep -q "$2"' _ "$out" "$SSHD_SVC"
json=$("$CTL" sessions --json 2>&1)
check "delegatectl sessions --json has the session" \
    bash -c 'grep -qE "\"jti\": ?\"e2e-sess-short\"" <<<"$1"' _ "$json"
check "a root-only record exists under /run/delegate/sessions" \
    bash -c '[ -n "$(ls -A /run/delegate/sessions)" ] && [ "$(stat -c %a /run/delegate/sessions)" = 700 ]'
wait "$c1"
check "short session ran to its end" grep -qx FINISHED "$NS/short.out"
check "after logout the session is no longer listed" wait_for 5 sessions_gone e2e-sess-short

# ---- revoke --terminate ends a running session ---------------------------------
T2=$(ssh_ticket --jti e2e-sess-long)
ssh_kbd "$T2" ci-deploy 'echo STARTED; sleep 30; echo FINISHED' >"$NS/long.out" &
c2=$!
check "long session started" wait_for 10 grep -qx STARTED "$NS/long.out"
check "delegatectl sessions lists the long session" wait_for 3 sessions_show e2e-sess-long
audit_mark
t0=$(date +%s)
"$CTL" revoke --ticket e2e-sess-long --terminate --config "$CONF" >"$NS/revoke.out" 2>&1
is "$?" 0 "delegatectl revoke --ticket e2e-sess-long --terminate: exit 0"
client_gone() { ! kill -0 "$c2" 2>/dev/null; }
check "the ssh client ends within 10 s" wait_for 10 client_gone
wait "$c2" 2>/dev/null
check "the remote command was cut short" bash -c '! grep -q FINISHED "$1"' _ "$NS/long.out"
check "it ended well before its 30 s" test $(($(date +%s) - t0)) -lt 15
check "the session is no longer listed" wait_for 5 sessions_gone e2e-sess-long
check "audit: session_close for the terminated session" \
    wait_for 5 audit_has event=session_close jti=e2e-sess-long
expect_ssh_refused "the terminated ticket afterwards" revoked_ticket "$T2"
check "no ticket text in the audit file, the sshd log or the session records" \
    secret_absent "$T2" "$AUDIT" "$NS/sshd.log" /run/delegate/sessions/*
