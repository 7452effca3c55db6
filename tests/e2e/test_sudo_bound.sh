#!/bin/bash
# Key-bound sudo tickets (issue 12, DESIGN.md §3 rule 10): a sudo ticket with
# cnf is admitted only when the sudo runs inside a delegated session that
# was admitted with the same key (found through session containment); the
# real sshd, ssh client and sudo.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

# support-bot may also log in by ssh, so that its sudo can run in a session
sed -i 's/services = \["sudo"\];/services = ["sudo", "'"$SSHD_SVC"'"];/' "$CONF"
check "config: support-bot takes sshd and sudo" "$CTL" check-config --config "$CONF"
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd

ssh-keygen -q -t ed25519 -N '' -C e2e-a -f "$NS/client/id_a"
ssh-keygen -q -t ecdsa -N '' -C e2e-b -f "$NS/client/id_b"
fp() { ssh-keygen -lf "$NS/client/id_$1.pub" | awk '{print $2}'; }
HOME_BOT=/var/lib/delegate/support-bot

ssh_ticket() {   # KEY|-: an ssh ticket for support-bot (bound to KEY, or not)
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
        --approver carol --ttl 10m ${1:+--bind-key "$NS/client/id_$1.pub"}
}
sudo_ticket() {  # JTI [KEY]: a sudo ticket for support-bot to alice
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --runas alice \
        --approver carol --ttl 10m --jti "$1" ${2:+--bind-key "$NS/client/id_$2.pub"}
}
put_ticket() {   # NAME TICKET: a file the actor can read in its home
    printf '%s\n' "$2" >"$HOME_BOT/$1"
    chown 62002:62000 "$HOME_BOT/$1"
    chmod 0600 "$HOME_BOT/$1"
}
# in_session KEY|- SSH-TICKET SUDO-FILE: ssh in as support-bot (publickey with
# KEY then the ticket, or the ticket alone), then sudo with the ticket file
in_session() {
    local k=$1 t=$2 f=$3 keyopt=(-o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive)
    [ "$k" != - ] && keyopt=(-o IdentitiesOnly=yes -i "$NS/client/id_$k"
                             -o PreferredAuthentications=publickey,keyboard-interactive)
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no "${keyopt[@]}" \
        -p "$PORT" support-bot@127.0.0.1 \
        "echo IN-SESSION; sudo -S -u alice sh -c 'echo RAN-AS=\$(id -un)' <$f 2>&1" \
        2>>"$NS/ssh-client.err"
}
audit_key() {   # FP KEY=VALUE...: a line since audit_mark with "key":FP and the fields
    local f=$1 lines kv; shift
    lines=$(audit_new | grep -F "\"key\":\"$f\"")
    for kv in "$@"; do
        lines=$(printf '%s\n' "$lines" | grep -E "\"${kv%%=*}\": ?\"${kv#*=}\"")
    done
    [ -n "$lines" ]
}

SA=$(sudo_ticket e2e-sudo-bound-a a)
SB=$(sudo_ticket e2e-sudo-bound-b b)
SU=$(sudo_ticket e2e-sudo-unbound)
put_ticket sa "$SA"
put_ticket sb "$SB"
put_ticket su "$SU"

# ---- outside any delegated session --------------------------------------------
audit_mark
out=$(sudo_as support-bot "$SA" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "bound sudo ticket outside any session: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "outside: audit deny reason=key_mismatch with the ticket's key" \
    audit_key "$(fp a)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-a
audit_mark
out=$(sudo_as support-bot "$SU" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "control: an unbound sudo ticket outside a session is admitted" grep -q "RAN-AS=alice$" <<<"$out"

# ---- inside a session admitted with key a ----------------------------------------
audit_mark
out=$(in_session a "$(ssh_ticket a)" sa)
check "ssh session admitted with key a" grep -qx IN-SESSION <<<"$out"
check "bound sudo ticket inside a session of the same key: admitted" grep -q "RAN-AS=alice$" <<<"$out"
check "inside: audit admit for sudo with the key" \
    audit_key "$(fp a)" event=admit service=sudo jti=e2e-sudo-bound-a
check "inside: audit session_open for sudo with the key" \
    audit_key "$(fp a)" event=session_open service=sudo jti=e2e-sudo-bound-a

audit_mark
out=$(in_session a "$(ssh_ticket a)" sb)
check "session of key a" grep -qx IN-SESSION <<<"$out"
check "sudo ticket bound to key b inside a session of key a: refused" \
    bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "other key: audit deny key_mismatch" \
    audit_key "$(fp b)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-b

# ---- inside a session admitted with an unbound ticket ------------------------------
audit_mark
out=$(in_session - "$(ssh_ticket)" sa)
check "session admitted by keyboard-interactive with an unbound ticket" grep -qx IN-SESSION <<<"$out"
check "bound sudo ticket inside an unbound session: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "unbound session: audit deny key_mismatch" \
    audit_key "$(fp a)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-a
out=$(in_session - "$(ssh_ticket)" su)
check "control: unbound sudo ticket inside that session admitted" grep -q "RAN-AS=alice$" <<<"$out"

check "no ticket text in the audit trail or the sshd log" \
    secret_absent "$SA" "$AUDIT" "$NS/sshd.log" "$NS/sudo.err"
