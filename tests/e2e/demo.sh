#!/bin/bash
# `make demo`: the delegate story end to end, narrated, against the built
# artifacts, with a real sshd, ssh client and sudo, inside a private mount
# namespace (the host's /etc, lib dir, /run and /var are left as they were).
# Exits 0 and ends with "demo: OK" only if every step behaved as expected.
. "$(dirname "$0")/lib.sh"

STEPS=11
E2E_NO_PLAN=1
# narrated expectations instead of TAP lines
ok()     { T_N=$((T_N + 1)); echo "   [ok] $*"; e2e_count; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=1; echo "   [UNEXPECTED] $*"; e2e_count; }
diag()   { printf '%s\n' "$@" | sed 's/^/        /'; }

e2e_after_host() {   # on the host, after the namespace and everything in it is gone
    echo
    if [ "$1" -eq 0 ] && [ "$T_FAILED" -eq 0 ]; then
        echo "demo: OK"
    else
        echo "demo: FAILED (see the [UNEXPECTED] lines above)"
        return 1
    fi
}

if [ "${DLG_E2E_INSIDE:-}" != 1 ]; then
    echo "delegate demo: built artifacts from $B"
    echo "Everything below runs in a private mount namespace: overlays on /etc,"
    echo "$LIBDIR, /var/lib and /var/log, and a tmpfs on /run."
fi
e2e_enter "$@"

step_no=0
step() {
    step_no=$((step_no + 1))
    echo
    echo "==> [$step_no/$STEPS] $*"
}
show() { printf '   $ %s\n' "$*"; }     # the command a person would type
indent() { sed 's/^/     /'; }

e2e_setup_system
e2e_write_revoked

# ---------------------------------------------------------------------------
step "Generate an issuer key pair (the private key stays with the issuer, off the host)"
show "delegatectl keygen --out corp-k1"
(cd "$NS/issuer" && "$CTL" keygen --out corp-k1) 2>&1 | indent
ls -l "$NS/issuer" | tail -n +2 | awk '{ print $1, $3, $NF }' | indent
check "private key corp-k1.key is mode 0600" test "$(stat -c %a "$NS/issuer/corp-k1.key")" = 600
install -m 0644 "$NS/issuer/corp-k1.pub" /etc/delegate/keys/corp-k1.pub
echo "   only the public key goes to the host: /etc/delegate/keys/corp-k1.pub (0644),"
echo "   named by the key id \"k1\" in the config below"

# ---------------------------------------------------------------------------
step "The host's config, /etc/delegate/delegate.conf"
e2e_write_config
indent <"$CONF"
show "delegatectl check-config"
"$CTL" check-config --config "$CONF" 2>&1 | indent
check "check-config accepts it" "$CTL" check-config --config "$CONF" >/dev/null 2>&1
echo "   sshd here is a renamed copy of /usr/sbin/sshd, so its PAM service is '$SSHD_SVC':"
grep pam_delegate "/etc/pam.d/$SSHD_SVC" | indent

e2e_start_sshd
T_EXP=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
              --ttl 2s --jti demo-short-lived)
exp_issued=$(date +%s)

# ---------------------------------------------------------------------------
step "Issue a ticket: ci-deploy may act for alice on $HOSTNAME_DLG through $SSHD_SVC, for 10 minutes"
show "T=\$(delegatectl issue --key corp-k1.key --issuer corp --kid k1 --actor ci-deploy --for alice \\"
show "      --host $HOSTNAME_DLG --service $SSHD_SVC --ttl 10m --jti demo-deploy-1)"
T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --jti demo-deploy-1)
echo "   T = ${T:0:48}...  (${#T} bytes: a JWT, a bearer secret)"
check "ticket issued, under sudo's 512-byte limit" test -n "$T" -a "${#T}" -lt 512

# ---------------------------------------------------------------------------
step "Inspect the ticket (decoded only: inspect does NOT verify)"
show "delegatectl inspect \"\$T\""
out=$("$CTL" inspect "$T" 2>&1)
indent <<<"$out"
check "inspect shows the actor and the principal" \
    bash -c 'grep -q ci-deploy <<<"$1" && grep -q alice <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Verify: the host's own decision, the very code the PAM module runs"
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 127.0.0.1 \"\$T\""
out=$("$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 --config "$CONF" "$T" 2>&1)
rc=$?
indent <<<"$out"
check "verify admits it (exit 0)" test "$rc" -eq 0
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 192.0.2.7 \"\$T\""
out=$("$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 192.0.2.7 --config "$CONF" "$T" 2>&1)
rc=$?
indent <<<"$out"
check "from outside the actor's sources it says deny: source_not_allowed (exit 1)" \
    bash -c '[ "$1" -eq 1 ] && grep -q "deny: source_not_allowed" <<<"$2"' _ "$rc" "$out"

# ---------------------------------------------------------------------------
step "Log in by ssh as ci-deploy, the ticket answered by SSH_ASKPASS"
show "SSH_ASKPASS=askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\"\$T\" \\"
show "    ssh -p $PORT ci-deploy@127.0.0.1 'id; env | grep DELEGATE_'"
echo "   (askpass is a two-line script: exec delegatectl askpass)"
out=$(ssh_kbd "$T" ci-deploy 'id; env | grep ^DELEGATE_ | sort')
rc=$?
indent <<<"$out"
check "admitted, as the NSS-made account with its constrained groups" \
    grep -qx 'uid=62001(ci-deploy) gid=62000(delegated) groups=62000(delegated),62100(deployers)' <<<"$out"
check "the session knows for whom it acts (DELEGATE_PRINCIPAL=alice)" \
    grep -qx DELEGATE_PRINCIPAL=alice <<<"$out"

# ---------------------------------------------------------------------------
step "sudo on behalf of alice, as the actor support-bot (approved by carol)"
Ts=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
           --approver carol --ttl 10m --jti demo-support-1)
show "Ts=\$(delegatectl issue ... --actor support-bot --for alice --service sudo --approver carol ...)"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u alice sh -c 'id -un; env | grep DELEGATE_'    # as support-bot"
out=$(sudo_as support-bot "$Ts" -u alice sh -c 'id -un; env | grep ^DELEGATE_ | sort')
indent <<<"$out"
check "the command ran as alice, with DELEGATE_ACTOR=support-bot" \
    bash -c '[ "$(head -n 1 <<<"$1")" = alice ] && grep -qx DELEGATE_ACTOR=support-bot <<<"$1"' _ "$out"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u bob touch /tmp/bob-was-here    # bob is not in the ticket's runas"
out=$(sudo_as support-bot "$Ts" -u bob touch "$NS/scratch/bob-was-here" 2>&1; tail -n 1 "$NS/sudo.err")
indent <<<"$out"
check "refused for bob, and the command never ran" test ! -e "$NS/scratch/bob-was-here"

# ---------------------------------------------------------------------------
step "An expired ticket is refused"
while [ "$(date +%s)" -lt $((exp_issued + 4)) ]; do sleep 0.2; done
echo "   (a ticket issued at the start with --ttl 2s; the config allows 1 s of clock skew)"
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 127.0.0.1 \"\$T_OLD\""
"$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 --config "$CONF" "$T_EXP" 2>&1 | indent
show "ssh ci-deploy@127.0.0.1 ...   # with \$T_OLD"
out=$(ssh_kbd "$T_EXP" ci-deploy 'echo ADMITTED'; echo "exit $?")
tail -n 1 "$NS/ssh-client.err" | indent
indent <<<"$out"
check "ssh refused it" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Revoke the first ticket on the host: the next login is refused (no restart)"
show "delegatectl revoke --ticket demo-deploy-1"
"$CTL" revoke --ticket demo-deploy-1 --config "$CONF" 2>&1 | indent
grep -v '^#' "$REVOKED" | indent
show "ssh ci-deploy@127.0.0.1 ...   # with \$T again"
out=$(ssh_kbd "$T" ci-deploy 'echo ADMITTED'; echo "exit $?")
tail -n 1 "$NS/ssh-client.err" | indent
indent <<<"$out"
check "the same ticket that worked in step 6 is now refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "sshd kept running" kill -0 "$SSHD_PID"

# ---------------------------------------------------------------------------
step "Open delegated sessions"
T3=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti demo-deploy-2)
show "ssh ci-deploy@127.0.0.1 'sleep 30' &    # with a fresh ticket demo-deploy-2"
ssh_kbd "$T3" ci-deploy 'echo STARTED; sleep 30; echo FINISHED' >"$NS/long.out" &
client=$!
wait_for 60 grep -qx STARTED "$NS/long.out"
listed() { "$CTL" sessions 2>/dev/null | grep -q demo-deploy-2; }
wait_for 60 listed
show "delegatectl sessions"
"$CTL" sessions 2>&1 | indent
check "the running session is listed" listed
show "delegatectl revoke --ticket demo-deploy-2 --terminate"
"$CTL" revoke --ticket demo-deploy-2 --terminate --config "$CONF" 2>&1 | indent
gone() { ! kill -0 "$client" 2>/dev/null; }
check "the session was ended at once" wait_for 60 gone
wait "$client" 2>/dev/null
show "delegatectl sessions"
"$CTL" sessions 2>&1 | indent

# ---------------------------------------------------------------------------
step "The audit trail, $AUDIT"
indent <"$AUDIT"
check "admits, denies and session events are all there" \
    bash -c 'for e in admit deny session_open session_close; do
                 grep -qE "\"event\": ?\"$e\"" "$1" || exit 1; done' _ "$AUDIT"
check "every deny says why (expired, revoked_ticket, runas_not_allowed)" \
    bash -c 'for r in expired revoked_ticket runas_not_allowed; do
                 grep -qE "\"reason\": ?\"$r\"" "$1" || exit 1; done' _ "$AUDIT"
all_secret_absent() {
    local t
    for t in "$T" "$Ts" "$T_EXP" "$T3"; do secret_absent "$t" "$AUDIT" "$NS/sshd.log" || return 1; done
}
check "no ticket text in the audit trail or the sshd log" all_secret_absent

echo
echo "==> Tearing down: sshd (pid $SSHD_PID) stopped, the namespace and its overlays discarded"
