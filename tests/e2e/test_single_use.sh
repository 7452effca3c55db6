#!/bin/bash
# A single-use ticket (once: true) admits exactly one of 20 concurrent real
# ssh logins; `delegatectl verify` does not use it up.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
e2e_start_sshd

N=20
T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --single-use --jti e2e-once)
for i in 1 2; do
    out=$("$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 \
            --config "$CONF" "$T" 2>&1)
    check "verify #$i admits the single-use ticket without using it" grep -q '^admit' <<<"$out"
done

audit_mark
pids=()
for i in $(seq 1 "$N"); do
    ( ssh_kbd "$T" ci-deploy 'echo ADMITTED' >"$NS/once.$i.out"; echo $? >"$NS/once.$i.rc" ) &
    pids+=($!)
done
wait "${pids[@]}"

admitted=$(cat "$NS"/once.*.out | grep -cx ADMITTED)
zero=$(cat "$NS"/once.*.rc | grep -cx 0)
finished=$(ls "$NS"/once.*.rc | wc -l)
is "$finished" "$N" "all $N concurrent ssh clients finished"
is "$admitted" 1 "$N concurrent logins with one single-use ticket: exactly one ran its command"
is "$zero" 1 "exactly one ssh client exited 0"
is "$(audit_new | grep -E '"event": ?"admit"' | grep -cE '"jti": ?"e2e-once"')" 1 \
    "audit: exactly one admit for the ticket"
is "$(audit_new | grep -E '"event": ?"deny"' | grep -cE '"reason": ?"replayed"')" $((N - 1)) \
    "audit: $((N - 1)) denies with reason replayed"

expect_ssh_refused "a later, sequential reuse" replayed "$T"
T2=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --single-use --jti e2e-once-2)
expect_ssh_admitted "another single-use ticket" "$T2"
check "no ticket text in the audit file or the sshd log" secret_absent "$T" "$AUDIT" "$NS/sshd.log"
