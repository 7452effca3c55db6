#!/bin/bash
# Key-bound tickets (issue 12) with the real sshd and ssh client: the actor
# proves a key (publickey, accepted by `delegatectl authorized-keys` run as
# nobody), then presents the ticket (keyboard-interactive); pam_delegate
# compares the ticket's cnf with the key sshd verified (SSH_AUTH_INFO_0).
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

# a third actor that takes only bound tickets
sed -i 's/runas = \["alice", "bob"\]; approvals = 1; }/&,\n  { name = "ci-strict"; uid = 62003; shell = "\/bin\/bash"; principals = ["alice"];\n    services = ["'"$SSHD_SVC"'"]; sources = ["127.0.0.0\/8"]; key_binding = "required"; }/' "$CONF"
install -d -m 0755 -o 62003 -g 62000 /var/lib/delegate/ci-strict
# a fourth actor that logs in with two keys (publickey,publickey,...)
sed -i 's/key_binding = "required"; }/&,\n  { name = "ci-two"; uid = 62004; shell = "\/bin\/bash"; principals = ["alice"];\n    services = ["'"$SSHD_SVC"'"]; sources = ["127.0.0.0\/8"]; }/' "$CONF"
install -d -m 0755 -o 62004 -g 62000 /var/lib/delegate/ci-two
check "config with a key_binding = \"required\" actor is valid" "$CTL" check-config --config "$CONF"

# sshd refuses an AuthorizedKeysCommand on a path others could write: a
# root-owned copy inside the lib dir overlay
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match User ci-two' \
    '    AuthenticationMethods publickey,publickey,keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody' \
    'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd

for k in ed25519 ecdsa rsa other; do
    case $k in
    other) ssh-keygen -q -t ed25519 -N '' -C "e2e-$k" -f "$NS/client/id_$k" ;;
    rsa) ssh-keygen -q -t rsa -b 3072 -N '' -C "e2e-$k" -f "$NS/client/id_$k" ;;
    *) ssh-keygen -q -t "$k" -N '' -C "e2e-$k" -f "$NS/client/id_$k" ;;
    esac
done
fp() { ssh-keygen -lf "$NS/client/id_$1.pub" | awk '{print $2}'; }

# ssh_bound KEY TICKET USER CMD...: publickey with KEY (a path), then the ticket
ssh_bound() {
    local k=$1 t=$2 u=$3; shift 3
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 20 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$k" -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" "$u@127.0.0.1" "$@" 2>>"$NS/ssh-client.err"
}
# audit_key FP KEY=VALUE...: a line since audit_mark with "key":FP and the fields
audit_key() {
    local f=$1 lines kv; shift
    lines=$(audit_new | grep -F "\"key\":\"$f\"")
    for kv in "$@"; do
        lines=$(printf '%s\n' "$lines" | grep -E "\"${kv%%=*}\": ?\"${kv#*=}\"")
    done
    [ -n "$lines" ]
}
bound() {   # KEYNAME [USER] [JTI]: a ticket bound to that key
    issue --actor "${2:-ci-deploy}" --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
        --ttl 10m --jti "${3:-e2e-bound-$1}" --bind-key "$NS/client/id_$1.pub"
}
admitted() { grep -qx ADMITTED <<<"$1"; }
refused()  { ! grep -q ADMITTED <<<"$1"; }

# ---- the AuthorizedKeysCommand ----------------------------------------------
read -r ktype kb64 _ <"$NS/client/id_ed25519.pub"
out=$(runuser -u nobody -- "$AKC_DIR/delegatectl" authorized-keys --config "$CONF" ci-deploy "$ktype" "$kb64")
is "$out" "restrict,pty $ktype $kb64" "authorized-keys (as nobody) prints the offered key back for an actor"
out=$(runuser -u nobody -- "$AKC_DIR/delegatectl" authorized-keys --config "$CONF" carol "$ktype" "$kb64")
is "$out" "" "authorized-keys prints nothing for a non-actor (carol)"
out=$(runuser -u nobody -- "$AKC_DIR/delegatectl" authorized-keys --config "$CONF" root "$ktype" "$kb64")
is "$out" "" "authorized-keys prints nothing for root"

# ---- bound ticket + its key, for each key type --------------------------------
for k in ed25519 ecdsa rsa; do
    T=$(bound "$k")
    audit_mark
    out=$(ssh_bound "$NS/client/id_$k" "$T" ci-deploy 'echo ADMITTED; echo "ID=$(id -un)"')
    check "$k: bound ticket with its key admitted" admitted "$out"
    check "$k: the session runs as the actor" grep -qx ID=ci-deploy <<<"$out"
    check "$k: audit admit carries the key $(fp "$k")" \
        audit_key "$(fp "$k")" event=admit actor=ci-deploy jti="e2e-bound-$k"
done
check "sshd found the key through the AuthorizedKeysCommand (no file in the home)" \
    grep -qF "Accepted key ED25519 $(fp ed25519) found at $AKC_DIR/delegatectl authorized-keys" "$NS/sshd.log"
check "sshd: publickey was a partial success, keyboard-interactive completed the login" \
    grep -qF "Partial publickey for ci-deploy from 127.0.0.1" "$NS/sshd.log"
check "audit: session_open and session_close carry the key" \
    wait_for 5 audit_key "$(fp rsa)" event=session_close jti=e2e-bound-rsa

# the key shows in delegatectl sessions while the session is open
T=$(bound ed25519 ci-deploy e2e-bound-sessions)
audit_mark
ssh_bound "$NS/client/id_ed25519" "$T" ci-deploy 'echo ADMITTED; sleep 30' >"$NS/bg.out" &
BG=$!
sessions_show_key() { "$CTL" sessions | grep -E "e2e-bound-sessions +$(fp ed25519 | sed 's/[+]/[+]/g')\$" >/dev/null; }
check "delegatectl sessions shows the open session's key" wait_for 15 sessions_show_key
check "delegatectl sessions --json: key of the session" \
    bash -c '"$1" sessions --json | /usr/bin/python3 -c "import json,sys; a=json.load(sys.stdin); sys.exit(0 if any(s[\"jti\"]==\"e2e-bound-sessions\" and s[\"key\"]==sys.argv[1] for s in a) else 1)" "$2"' \
    _ "$CTL" "$(fp ed25519)"
check "audit: session_open with the key" audit_key "$(fp ed25519)" event=session_open jti=e2e-bound-sessions
audit_mark
"$CTL" revoke --ticket e2e-bound-sessions --terminate --config "$CONF" >/dev/null 2>&1
client_gone() { ! kill -0 "$BG" 2>/dev/null; }
check "revoke --terminate ends the bound session" wait_for 30 client_gone
check "audit: session_end (revoked_ticket) carries the key" \
    wait_for 10 audit_key "$(fp ed25519)" event=session_end reason=revoked_ticket jti=e2e-bound-sessions
kill "$BG" 2>/dev/null; wait "$BG" 2>/dev/null

# ---- refusals ------------------------------------------------------------------
T=$(bound ed25519 ci-deploy e2e-bound-mismatch)
audit_mark
out=$(ssh_bound "$NS/client/id_other" "$T" ci-deploy 'echo ADMITTED')
check "bound ticket with another key: refused" refused "$out"
check "another key: audit deny reason=key_mismatch names the bound key" \
    audit_key "$(fp ed25519)" event=deny user=ci-deploy reason=key_mismatch jti=e2e-bound-mismatch
check "another key: no admit" audit_lacks event=admit

audit_mark
out=$(ssh_kbd "$T" ci-deploy 'echo ADMITTED')
check "bound ticket by keyboard-interactive alone (no publickey step): refused" refused "$out"
check "keyboard-interactive alone: audit deny reason=key_mismatch" \
    audit_key "$(fp ed25519)" event=deny user=ci-deploy reason=key_mismatch
check "keyboard-interactive alone: no admit" audit_lacks event=admit

# a thief with the ticket and the public key, but not the private key
install -m 0644 "$NS/client/id_ed25519.pub" "$NS/scratch/stolen.pub"
audit_mark
out=$(ssh_bound "$NS/scratch/stolen.pub" "$T" ci-deploy 'echo ADMITTED')
check "stolen bound ticket from a client lacking the private key: nothing" refused "$out"
check "stolen ticket: audit deny key_mismatch" \
    audit_key "$(fp ed25519)" event=deny reason=key_mismatch
check "stolen ticket: no admit" audit_lacks event=admit

# the publickey step alone never admits
audit_mark
out=$(ssh_key "$NS/client/id_ed25519" ci-deploy 'echo ADMITTED')
check "publickey alone (key accepted by the command): not admitted" refused "$out"
check "publickey alone: no admit in the audit" audit_lacks event=admit

# an unbound ticket still works for an actor with key_binding optional
U=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --jti e2e-unbound)
audit_mark
out=$(ssh_kbd "$U" ci-deploy 'echo ADMITTED')
check "unbound ticket by keyboard-interactive alone (key_binding optional): admitted" admitted "$out"
check "unbound: audit admit with key null" \
    bash -c 'audit_new() { tail -n +"$(($1 + 1))" "$2"; }; audit_new "$1" "$2" | grep -F "\"jti\":\"e2e-unbound\"" | grep -qF "\"key\":null"' \
    _ "$AUDIT_MARK" "$AUDIT"
audit_mark
out=$(ssh_bound "$NS/client/id_other" "$U" ci-deploy 'echo ADMITTED')
check "unbound ticket after any key: admitted" admitted "$out"

# ---- key_binding = "required" ---------------------------------------------------
S=$(issue --actor ci-strict --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --jti e2e-strict-unbound)
audit_mark
out=$(ssh_bound "$NS/client/id_ecdsa" "$S" ci-strict 'echo ADMITTED')
check "required: unbound ticket (with a key) refused" refused "$out"
check "required: audit deny reason=key_required" \
    audit_has event=deny user=ci-strict reason=key_required jti=e2e-strict-unbound
out=$(ssh_kbd "$S" ci-strict 'echo ADMITTED')
check "required: unbound ticket by keyboard-interactive alone refused" refused "$out"
S=$(bound ecdsa ci-strict e2e-strict-bound)
audit_mark
out=$(ssh_bound "$NS/client/id_ecdsa" "$S" ci-strict 'echo ADMITTED')
check "required: bound ticket with its key admitted" admitted "$out"
check "required: audit admit with the key" audit_key "$(fp ecdsa)" event=admit user=ci-strict

# ---- publickey,publickey: every key sshd verified counts (issue 18 item 9) -------------
ssh_two() {   # KEY1 KEY2 TICKET: two publickey steps, then the ticket
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$3 \
        timeout 20 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$NS/client/id_$1" -i "$NS/client/id_$2" \
        -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" ci-two@127.0.0.1 'echo ADMITTED' 2>>"$NS/ssh-client.err"
}
for k in ed25519 ecdsa; do
    W=$(bound "$k" ci-two "e2e-two-$k")
    audit_mark
    out=$(ssh_two ed25519 ecdsa "$W")
    check "two keys proven (ed25519 then ecdsa), ticket bound to the $k key: admitted" admitted "$out"
    check "two keys, bound to $k: audit admit with that key" audit_key "$(fp "$k")" event=admit user=ci-two
done
check "sshd: two publickey steps before keyboard-interactive" \
    bash -c '[ "$(grep -c "Partial publickey for ci-two" "$1")" -ge 4 ]' _ "$NS/sshd.log"
W=$(bound rsa ci-two e2e-two-rsa)
audit_mark
out=$(ssh_two ed25519 ecdsa "$W")
check "two keys proven, ticket bound to a third key: refused" refused "$out"
check "third key: audit deny key_mismatch" audit_key "$(fp rsa)" event=deny user=ci-two reason=key_mismatch

# ---- nothing secret written ---------------------------------------------------------
check "no ticket text in the audit file or the sshd log" \
    secret_absent "$T" "$AUDIT" "$NS/sshd.log" "$NS/ssh-client.err"
