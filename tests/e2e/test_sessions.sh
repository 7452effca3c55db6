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
# it runs until the test releases it (not for a fixed time the checks
# below would race with on a loaded machine)
rel=$NS/scratch/release-short
ssh_kbd "$T1" ci-deploy "echo STARTED; for i in \$(seq 1 6000); do [ -e $rel ] && break; sleep 0.1; done; echo FINISHED" >"$NS/short.out" &
c1=$!
check "short session started" wait_for 60 grep -qx STARTED "$NS/short.out"
check "delegatectl sessions lists it (ticket id)" wait_for 60 sessions_show e2e-sess-short
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
touch "$rel"
wait "$c1"
check "short session ran to its end" grep -qx FINISHED "$NS/short.out"
check "after logout the session is no longer listed" wait_for 60 sessions_gone e2e-sess-short

# ---- revoke --terminate ends a running session ---------------------------------
T2=$(ssh_ticket --jti e2e-sess-long)
ssh_kbd "$T2" ci-deploy 'echo STARTED; sleep 600; echo FINISHED' >"$NS/long.out" &
c2=$!
check "long session started" wait_for 60 grep -qx STARTED "$NS/long.out"
check "delegatectl sessions lists the long session" wait_for 60 sessions_show e2e-sess-long
audit_mark
"$CTL" revoke --ticket e2e-sess-long --terminate --config "$CONF" >"$NS/revoke.out" 2>&1
is "$?" 0 "delegatectl revoke --ticket e2e-sess-long --terminate: exit 0"
check "revoke says it terminated that session" \
    grep -q "terminated session $SSHD_SVC pid [0-9]* actor ci-deploy jti e2e-sess-long" "$NS/revoke.out"
client_gone() { ! kill -0 "$c2" 2>/dev/null; }
check "the ssh client ends (its remote sleep 600 cut short)" wait_for 300 client_gone
wait "$c2" 2>/dev/null
check "the remote command was cut short" bash -c '! grep -q FINISHED "$1"' _ "$NS/long.out"
check "the session is no longer listed" wait_for 60 sessions_gone e2e-sess-long
check "audit: session_close for the terminated session" \
    wait_for 60 audit_has event=session_close jti=e2e-sess-long
expect_ssh_refused "the terminated ticket afterwards" revoked_ticket "$T2"
check "no ticket text in the audit file, the sshd log or the session records" \
    secret_absent "$T2" "$AUDIT" "$NS/sshd.log" /run/delegate/sessions/*
