#!/bin/bash
# Real sshd + real ssh client: a valid ticket admits the NSS-only actor by
# keyboard-interactive (SSH_ASKPASS) and by password (sshpass); the session
# carries DELEGATE_*; an ssh key alone does not get an actor in.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
# A permissive AcceptEnv on purpose: the module's DELEGATE_* must still win.
E2E_SSHD_EXTRA='AcceptEnv DELEGATE_*'
e2e_start_sshd

# ---- the actor exists only through libnss_delegate.so.2 --------------------
check "ci-deploy is not in /etc/passwd (NSS module only)" \
    bash -c '! grep -q "^ci-deploy:" /etc/passwd'
is "$(getent passwd ci-deploy)" \
    "ci-deploy:x:62001:62000:CI deploy pipeline:/var/lib/delegate/ci-deploy:/bin/bash" \
    "getent passwd ci-deploy comes from the config"
is "$(id -Gn ci-deploy)" "delegated deployers" "id: ci-deploy has only its configured groups"
is "$(getent shadow ci-deploy | cut -d: -f2)" "!" "getent shadow ci-deploy: locked"

# ---- keyboard-interactive with SSH_ASKPASS ---------------------------------
T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --jti e2e-ssh-kbd)
check "issued ticket is under 512 bytes" test -n "$T" -a "${#T}" -lt 512

audit_mark
out=$(ssh_kbd "$T" ci-deploy 'echo ADMITTED; pwd; echo "SHELL=$SHELL"; id -un; id -Gn;
                              env | grep "^DELEGATE_" | sort')
rc=$?
is "$rc" 0 "ssh (keyboard-interactive, SSH_ASKPASS) with a valid ticket: exit 0"
check "remote command ran" grep -qx ADMITTED <<<"$out"
is "$(sed -n 2p <<<"$out")" /var/lib/delegate/ci-deploy "session starts in the configured home"
is "$(sed -n 3p <<<"$out")" SHELL=/bin/bash "session runs the configured shell"
is "$(sed -n 4p <<<"$out")" ci-deploy "remote id -un is the actor"
is "$(sed -n 5p <<<"$out")" "delegated deployers" "remote id shows only the constrained groups"
check "session env: DELEGATE_ACTOR=ci-deploy" grep -qx DELEGATE_ACTOR=ci-deploy <<<"$out"
check "session env: DELEGATE_PRINCIPAL=alice" grep -qx DELEGATE_PRINCIPAL=alice <<<"$out"
check "session env: DELEGATE_TICKET_ID=e2e-ssh-kbd" grep -qx DELEGATE_TICKET_ID=e2e-ssh-kbd <<<"$out"
check "session env: DELEGATE_EXPIRES set" grep -qE '^DELEGATE_EXPIRES=.+' <<<"$out"
check "session env has no ticket text" bash -c '! grep -qF -e "$1" <<<"$2"' _ "${T##*.}" "$out"
check "audit: admit for ci-deploy/alice via $SSHD_SVC from 127.0.0.1" \
    audit_has event=admit actor=ci-deploy principal=alice jti=e2e-ssh-kbd \
              service="$SSHD_SVC" rhost=127.0.0.1
check "audit: session_open" audit_has event=session_open actor=ci-deploy jti=e2e-ssh-kbd
check "audit: session_close after logout" \
    wait_for 60 audit_has event=session_close actor=ci-deploy jti=e2e-ssh-kbd
check "audit: no deny for this login" audit_lacks event=deny

out=$(SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$T \
      timeout 120 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o PreferredAuthentications=keyboard-interactive \
      -o SetEnv="DELEGATE_PRINCIPAL=mallory DELEGATE_ACTOR=evil" -p "$PORT" ci-deploy@127.0.0.1 \
      'env | grep "^DELEGATE_" | sort' 2>>"$NS/ssh-client.err")
check "client-sent DELEGATE_* (SetEnv, AcceptEnv) cannot override the module's" \
    bash -c 'grep -qx DELEGATE_PRINCIPAL=alice <<<"$1" && grep -qx DELEGATE_ACTOR=ci-deploy <<<"$1" &&
             ! grep -q -e mallory -e evil <<<"$1"' _ "$out"

# ---- password authentication through sshpass -------------------------------
T2=$(issue --actor ci-deploy --for release --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti e2e-ssh-pass)
audit_mark
out=$(ssh_pass "$T2" ci-deploy 'echo ADMITTED; env | grep "^DELEGATE_" | sort')
rc=$?
is "$rc" 0 "sshpass -p TICKET (password auth): exit 0"
check "sshpass: remote command ran" grep -qx ADMITTED <<<"$out"
check "sshpass: DELEGATE_PRINCIPAL=release" grep -qx DELEGATE_PRINCIPAL=release <<<"$out"
check "sshpass: DELEGATE_TICKET_ID=e2e-ssh-pass" grep -qx DELEGATE_TICKET_ID=e2e-ssh-pass <<<"$out"
check "audit: admit for the sshpass login" \
    audit_has event=admit actor=ci-deploy principal=release jti=e2e-ssh-pass

# ---- an ssh key alone is not enough for an actor ---------------------------
ssh-keygen -q -t ed25519 -N '' -C e2e-client -f "$NS/client/id_ed25519"
for who in ci-deploy:62001:62000:/var/lib/delegate/ci-deploy \
           carol:2903:2903:/var/lib/e2e-home/carol; do
    IFS=: read -r _ uid gid home <<<"$who"
    install -d -m 0700 -o "$uid" -g "$gid" "$home/.ssh"
    install -m 0600 -o "$uid" -g "$gid" "$NS/client/id_ed25519.pub" "$home/.ssh/authorized_keys"
done
out=$(ssh_key "$NS/client/id_ed25519" carol 'echo ADMITTED')
check "control: the same key logs in the ordinary user carol" grep -qx ADMITTED <<<"$out"

audit_mark
out=$(ssh_key "$NS/client/id_ed25519" ci-deploy 'echo ADMITTED')
rc=$?
check "actor with a valid ssh key but no ticket: refused" [ "$rc" -ne 0 ]
check "actor with ssh key: remote command did not run" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "sshd: refused in the PAM account phase" \
    grep -q "Access denied for user ci-deploy by PAM account configuration" "$NS/sshd.log"
check "audit: deny (no_ticket) for the key-only actor" audit_has event=deny user=ci-deploy reason=no_ticket
check "audit: no admit for the key-only actor" audit_lacks event=admit

# ---- ssh key AND ticket: AuthenticationMethods publickey,keyboard-interactive --
e2e_stop_sshd
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match User ci-deploy' \
                 '    AuthenticationMethods publickey,keyboard-interactive')
e2e_start_sshd
T3=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti e2e-ssh-keyticket)
ssh_key_kbd() {   # TICKET: key first, then the ticket by keyboard-interactive
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$1 \
        timeout 120 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$NS/client/id_ed25519" -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" ci-deploy@127.0.0.1 'echo ADMITTED' 2>>"$NS/ssh-client.err"
}
audit_mark
check "key + ticket (publickey,keyboard-interactive): admitted" \
    bash -c 'grep -qx ADMITTED <<<"$1"' _ "$(ssh_key_kbd "$T3")"
check "key + ticket: audit admit" audit_has event=admit actor=ci-deploy jti=e2e-ssh-keyticket
check "key + empty ticket: refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$(ssh_key_kbd "")"
out=$(ssh_kbd "$T3" ci-deploy 'echo ADMITTED')
check "ticket without the required key: refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"

# ---- nothing secret written ------------------------------------------------
tickets_absent() {
    local t
    for t in "$T" "$T2" "$T3"; do
        secret_absent "$t" "$AUDIT" "$NS/sshd.log" "$NS/ssh-client.err" || return 1
    done
}
check "no ticket text in the audit file, the sshd log or the client's stderr" tickets_absent
check "audit file is 0600 root" [ "$(stat -c '%a %U' "$AUDIT")" = "600 root" ]
