#!/bin/bash
# The shipped sshd drop-in (conf/sshd_config.d/delegate.conf) in a real sshd
# (issue 18 item 12): forwarding off for actors (TCP, agent), on for others;
# an earlier Match block turns it back on for one actor; a bound ticket
# cannot come in by password (sshd proves no key there), an unbound one can;
# a bound one comes by publickey,keyboard-interactive.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
# support-bot logs in by ssh here too
sed -i 's/services = \["sudo"\];/services = ["sudo", "'"$SSHD_SVC"'"];/' "$CONF"
"$CTL" check-config --config "$CONF" >/dev/null 2>&1 || e2e_die "test config valid"
# the drop-in as shipped; only the path of delegatectl and its config differ
dropin() {
    sed "s|/usr/sbin/delegatectl authorized-keys|$AKC_DIR/delegatectl authorized-keys --config $CONF|" \
        "$E2E_ROOT/conf/sshd_config.d/delegate.conf"
}
E2E_SSHD_EXTRA=$(dropin)
grep -q "DisableForwarding yes" <<<"$E2E_SSHD_EXTRA" || e2e_die "the drop-in sets DisableForwarding"
e2e_start_sshd

sshd_T() {   # USER [CONFIG]: sshd -T for a connection of USER from 127.0.0.1
    "$NS/bin/$SSHD_SVC" -T -f "${2:-$NS/sshd/sshd_config}" -C "user=$1,host=localhost,addr=127.0.0.1"
}
check "sshd -T: forwarding disabled for an actor" grep -qx "disableforwarding yes" <<<"$(sshd_T ci-deploy)"
check "sshd -T: forwarding not disabled for carol (not an actor)" \
    grep -qx "disableforwarding no" <<<"$(sshd_T carol)"
check "sshd -T: the actor's methods" grep -qx \
    "authenticationmethods publickey,keyboard-interactive keyboard-interactive password" <<<"$(sshd_T ci-deploy)"
# an admin's block in a file included before the drop-in (as Debian's
# sshd_config includes sshd_config.d/*.conf) wins for that actor only
mkdir "$NS/sshd/conf.d"
printf '%s\n' 'Match User ci-deploy' '    DisableForwarding no' '    AllowTcpForwarding local' \
    >"$NS/sshd/conf.d/00-local.conf"
dropin >"$NS/sshd/conf.d/delegate.conf"
{
    echo "Include $NS/sshd/conf.d/*.conf"
    sed -n '/^Match/q; p' "$NS/sshd/sshd_config"
} >"$NS/sshd/override_config"
out=$(sshd_T ci-deploy "$NS/sshd/override_config" 2>&1)
check "an earlier Match User block turns forwarding on for that actor" \
    grep -qx "disableforwarding no" <<<"$out"
grep -qx "disableforwarding no" <<<"$out" || diag "$out" "$(cat "$NS/sshd/override_config")"
check "... and only for it" grep -qx "disableforwarding yes" <<<"$(sshd_T support-bot "$NS/sshd/override_config")"

T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 10m \
          --jti e2e-dropin-1)

# ---- TCP forwarding (ssh -W: stdio to 127.0.0.1:PORT, sshd's own banner) --------------
fwd_kbd() {   # TICKET USER: the first bytes through ssh -W, logging in with the ticket
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$1 \
        timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -o BatchMode=no -o PubkeyAuthentication=no \
        -o PreferredAuthentications=keyboard-interactive -W "127.0.0.1:$PORT" -p "$PORT" \
        "$2@127.0.0.1" </dev/null 2>>"$NS/fwd.err" | head -c 7
}
out=$(fwd_kbd "$T" ci-deploy)
check "actor: ssh -W (TCP forwarding) refused" test "$out" != "SSH-2.0"
check "sshd refused the forward" grep -q "refused local port forward" "$NS/sshd.log"
out=$(timeout 30 sshpass -p "$CAROL_PASSWORD" ssh "${E2E_SSH_OPTS[@]}" -o PubkeyAuthentication=no \
      -o PreferredAuthentications=password -W "127.0.0.1:$PORT" -p "$PORT" carol@127.0.0.1 \
      </dev/null 2>>"$NS/fwd.err" | head -c 7)
is "$out" "SSH-2.0" "control: carol's ssh -W reaches sshd's banner"

# ---- agent forwarding ---------------------------------------------------------------
eval "$(ssh-agent -s)" >/dev/null
agent_sock() {   # TICKET: SSH_AUTH_SOCK in an actor session opened with ssh -A
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$1 \
        timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -A -o BatchMode=no -o PubkeyAuthentication=no \
        -o PreferredAuthentications=keyboard-interactive -p "$PORT" ci-deploy@127.0.0.1 \
        'echo "SOCK=${SSH_AUTH_SOCK:-none}"' 2>>"$NS/ssh-client.err"
}
out=$(agent_sock "$T")
check "actor: logged in" grep -q "^SOCK=" <<<"$out"
is "$out" "SOCK=none" "actor: no agent forwarded (ssh -A)"
out=$(timeout 30 sshpass -p "$CAROL_PASSWORD" ssh "${E2E_SSH_OPTS[@]}" -n -A -o PubkeyAuthentication=no \
      -o PreferredAuthentications=password -p "$PORT" carol@127.0.0.1 'echo "SOCK=${SSH_AUTH_SOCK:-none}"' \
      2>>"$NS/ssh-client.err")
check "control: carol gets her agent forwarded" bash -c '[[ $1 == SOCK=/* ]]' _ "$out"
ssh-agent -k >/dev/null 2>&1

# ---- tickets by password (sshpass): unbound yes, bound no -----------------------------
ssh-keygen -q -t ed25519 -N '' -C e2e-k -f "$NS/client/id_k"
BT=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 10m \
          --jti e2e-dropin-bound --bind-key "$NS/client/id_k.pub")
audit_mark
out=$(ssh_pass "$T" ci-deploy 'echo ADMITTED')
check "unbound ticket by password (sshpass): admitted" grep -qx ADMITTED <<<"$out"
audit_mark
out=$(ssh_pass "$BT" ci-deploy 'echo ADMITTED')
check "bound ticket by password: refused (no key is proven there)" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "bound ticket by password: audit deny key_mismatch" \
    audit_has event=deny jti=e2e-dropin-bound reason=key_mismatch
audit_mark
out=$(SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$BT \
      timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
      -i "$NS/client/id_k" -o PreferredAuthentications=publickey,keyboard-interactive \
      -p "$PORT" ci-deploy@127.0.0.1 'echo ADMITTED' 2>>"$NS/ssh-client.err")
check "bound ticket by publickey,keyboard-interactive with its key: admitted" grep -qx ADMITTED <<<"$out"

check "no ticket text in the audit file or the sshd log" \
    secret_absent "$BT" "$AUDIT" "$NS/sshd.log" "$NS/ssh-client.err" "$NS/fwd.err"
